import { z } from 'zod';
import { idSchema } from '../../shared/ids.js';
import { parseCsv, CsvSyntaxError } from '../audit/csv.js';
import { isoDaySchema, shanghaiTime } from '../audit/period.js';
import { AppError } from '../errors.js';
import type { ModelService } from './modelService.js';
import { plannedLessonBodySchema } from './schemas.js';

/**
 * CSV columns (header row required, any order; English or Chinese names). Times are
 * Asia/Shanghai wall-clock. Receiving classrooms are ids separated by ; or |.
 */
const COLUMNS = {
  id: ['id', '编号'],
  title: ['title', '课程名称'],
  subject: ['subject', '学科'],
  grade: ['grade', '年级'],
  teacher: ['teacher', 'teacher_name', '主讲教师'],
  lecture_classroom_id: ['lecture_classroom_id', '主讲教室'],
  receiving_classroom_ids: ['receiving_classroom_ids', '听讲教室'],
  date: ['date', '日期'],
  start: ['start', '开始时间'],
  end: ['end', '结束时间'],
} as const;
type Column = keyof typeof COLUMNS;
const REQUIRED: Column[] = ['subject', 'teacher', 'lecture_classroom_id', 'receiving_classroom_ids', 'date', 'start', 'end'];
export const MAX_IMPORT_ROWS = 5000;

const hhmm = z
  .string()
  .regex(/^([01]?\d|2[0-3]):[0-5]\d$/, 'must be a time HH:mm')
  .transform((t) => t.padStart(5, '0'));

const rowSchema = z.object({
  id: z.union([z.literal(''), idSchema]),
  title: z.string(),
  subject: z.string(),
  grade: z.string(),
  teacher: z.string(),
  lecture_classroom_id: z.string(),
  receiving_classroom_ids: z.string(),
  // Spreadsheets like 2025/03/03: accept it, store the ISO form.
  date: z.string().transform((d) => d.replace(/\//g, '-')).pipe(isoDaySchema),
  start: hhmm,
  end: hhmm,
});

export interface ImportResult {
  created: number;
  updated: number;
  rejected: number;
  errors: { row: number; message: string }[];
}

const messageOf = (e: z.ZodError) =>
  e.issues.map((i) => `${i.path.join('.') || 'row'}: ${i.message}`).join('; ');

/**
 * Imports a timetable. Each row is validated and written on its own, in one transaction:
 * a good row is kept, a bad row is reported with its row number and changes nothing.
 * A file whose header is wrong is refused as a whole (HTTP 400).
 */
export function importTimetable(text: string, model: ModelService): ImportResult {
  let records;
  try {
    records = parseCsv(text);
  } catch (err) {
    if (err instanceof CsvSyntaxError) throw new AppError('BAD_REQUEST', `CSV: ${err.message}`);
    throw err;
  }
  const [header, ...rows] = records;
  if (!header) throw new AppError('BAD_REQUEST', 'CSV: empty file');
  if (rows.length > MAX_IMPORT_ROWS) throw new AppError('BAD_REQUEST', `CSV: at most ${MAX_IMPORT_ROWS} rows per import`);
  const index = new Map<Column, number>();
  header.cells.forEach((raw, i) => {
    const name = raw.trim().toLowerCase();
    const col = (Object.keys(COLUMNS) as Column[]).find((c) => (COLUMNS[c] as readonly string[]).includes(name));
    if (!col) throw new AppError('BAD_REQUEST', `CSV header: unknown column "${raw.trim().slice(0, 40)}"`);
    if (index.has(col)) throw new AppError('BAD_REQUEST', `CSV header: column ${col} appears twice`);
    index.set(col, i);
  });
  const missing = REQUIRED.filter((c) => !index.has(c));
  if (missing.length) throw new AppError('BAD_REQUEST', `CSV header: missing column(s) ${missing.join(', ')}`);

  const result: ImportResult = { created: 0, updated: 0, rejected: 0, errors: [] };
  const reject = (row: number, message: string) => {
    result.rejected += 1;
    result.errors.push({ row, message });
  };
  for (const { row, cells } of rows) {
    if (cells.length !== header.cells.length) {
      reject(row, `expected ${header.cells.length} cells, found ${cells.length}`);
      continue;
    }
    const raw = Object.fromEntries(
      (Object.keys(COLUMNS) as Column[]).map((c) => [c, index.has(c) ? (cells[index.get(c)!] ?? '').trim() : '']),
    );
    const parsed = rowSchema.safeParse(raw);
    if (!parsed.success) {
      reject(row, messageOf(parsed.error));
      continue;
    }
    const r = parsed.data;
    const body = plannedLessonBodySchema.safeParse({
      ...(r.id ? { id: r.id } : {}),
      ...(r.title ? { title: r.title } : {}),
      subject: r.subject,
      grade: r.grade,
      teacherName: r.teacher,
      lectureClassroomId: r.lecture_classroom_id,
      receivingClassroomIds: r.receiving_classroom_ids
        .split(/[;|；]/)
        .map((s) => s.trim())
        .filter(Boolean),
      plannedStart: new Date(shanghaiTime(r.date, r.start)).toISOString(),
      plannedEnd: new Date(shanghaiTime(r.date, r.end)).toISOString(),
    });
    if (!body.success) {
      reject(row, messageOf(body.error));
      continue;
    }
    try {
      const { created } = model.savePlannedLesson(body.data, 'upsert');
      if (created) result.created += 1;
      else result.updated += 1;
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      reject(row, err.message);
    }
  }
  return result;
}
