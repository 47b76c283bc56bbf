import type { BundledCommunity, Figures, GroupBy, GroupRow, LessonDrillDown, SchoolReport } from './auditQueries.js';
import { csvLines, type Cell } from './csv.js';
import { shanghaiDay, SHANGHAI_OFFSET_MS } from './period.js';

/** Column headers are Chinese first (the administrators' language), English after. */
const FIGURE_COLUMNS: [keyof Figures, string][] = [
  ['lessonsPlanned', '计划节数 planned'],
  ['lessonsDelivered', '开课节数 delivered'],
  ['plannedDelivered', '按计划开课 planned delivered'],
  ['deliveryRate', '开课率 delivery rate'],
  ['minutesDelivered', '授课分钟 minutes'],
  ['classroomsReached', '覆盖听讲课堂 classrooms reached'],
  ['ruralSchoolsReached', '覆盖乡村学校 rural schools reached'],
  ['pupilVisits', '受益学生人次 pupil-visits'],
  ['blockedClassroomLessons', '音视频未连通课堂次 classroom-lessons online without media'],
  ['blockedPupilVisits', '未计入人次 pupil-visits not counted (no media)'],
  ['quizzesRun', '课堂检测次数 quizzes'],
  ['avgCorrectRate', '平均正确率 avg correct rate'],
];
export const figureHeader = FIGURE_COLUMNS.map(([, h]) => h);
export const figureCells = (f: Figures): Cell[] => FIGURE_COLUMNS.map(([k]) => f[k]);

const GROUP_HEADER: Record<GroupBy, string> = {
  community: '共同体 community',
  school: '学校 school',
  month: '月份 month',
  subject: '学科 subject',
};

export function tableLines(rows: readonly GroupRow[], groupBy: GroupBy, totals?: Figures): string[] {
  const body: Cell[][] = rows.map((r) => [r.key, r.label, ...figureCells(r)]);
  if (totals) body.push(['', '合计 total', ...figureCells(totals)]);
  return csvLines(['id', GROUP_HEADER[groupBy], ...figureHeader], body);
}

const COMMUNITY_TYPE: Record<string, string> = { assistance: '帮扶式', alliance: '联盟式', group: '集团式' };

export function bundledLines(communities: readonly BundledCommunity[]): string[] {
  const rows: Cell[][] = [];
  for (const c of communities) {
    for (const s of c.schools) {
      rows.push([c.community.name, COMMUNITY_TYPE[c.community.type], s.role === 'core' ? '核心校 core' : '成员校 member', s.label, s.district, s.area === 'rural' ? '乡村 rural' : '城区 urban', ...figureCells(s)]);
    }
    rows.push([c.community.name, COMMUNITY_TYPE[c.community.type], '共同体合计 total', '', '', '', ...figureCells(c.total)]);
  }
  return csvLines(['共同体 community', '类型 type', '角色 role', '学校 school', '区县 district', '城乡 area', ...figureHeader], rows);
}

const time = (ms: number | null) => (ms === null ? '' : new Date(ms + SHANGHAI_OFFSET_MS).toISOString().slice(0, 16).replace('T', ' '));

export function schoolReportLines(r: SchoolReport): string[] {
  return [
    ...csvLines(['学校 school', '共同体 community', '角色 role', ...figureHeader], [[r.school.name, r.community?.name ?? '', r.role, ...figureCells(r.totals)]]),
    '',
    ...tableLines(r.byMonth, 'month'),
    '',
    ...csvLines(
      ['课程 lesson id', '课程名称 title', '学科 subject', '年级 grade', '主讲教师 teacher', '计划开始 planned start', '开始 started', '结束 ended', '状态 status', '本校到课课堂 classrooms reached', '本校人次 pupil-visits'],
      r.lessons.map((l) => [l.id, l.title, l.subject, l.grade, l.teacherName, time(l.plannedStart), time(l.startedAt), time(l.endedAt), l.status, l.classroomsReached, l.pupilVisits]),
    ),
  ];
}

/** A lesson's log as a table; `data` stays JSON (head counts and ids only, never text). */
export function lessonLines(d: LessonDrillDown): string[] {
  return [
    ...csvLines(['课程 lesson id', '课程名称 title', ...figureHeader], [[d.lesson.id, d.lesson.title, ...figureCells(d.summary)]]),
    '',
    ...csvLines(
      ['seq', '时间 time (Asia/Shanghai)', '事件 type', '课堂 classroom', 'data'],
      d.events.map((e) => [e.seq, time(e.at), e.type, e.classroomId, JSON.stringify(e.data)]),
    ),
  ];
}

export const csvFileName = (parts: string[]) => `${parts.join('-')}.csv`;
export const today = (now = Date.now()) => shanghaiDay(now);
