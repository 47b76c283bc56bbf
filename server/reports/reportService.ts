import { mkdirSync, readdirSync, renameSync, statSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { bundledLines, tableLines } from '../audit/auditCsv.js';
import type { SqliteAudit } from '../audit/auditQueries.js';
import { BOM, csvLines } from '../audit/csv.js';
import type { Period, PeriodKind } from '../audit/period.js';
import { AppError } from '../errors.js';

export interface ReportEntry {
  name: string;
  kind: PeriodKind;
  period: string;
  format: 'json' | 'csv';
  bytes: number;
  modifiedAt: number;
}

/** monthly-2025-03.json, quarterly-2025-Q1.csv, yearly-2025.json: one name per period and format. */
const NAME = /^(monthly|quarterly|yearly)-(\d{4}(?:-\d{2}|-Q[1-4])?)\.(json|csv)$/;
const TITLE: Record<PeriodKind, string> = { monthly: '月报 monthly report', quarterly: '季报 quarterly report', yearly: '年报 yearly report' };

/**
 * 月调度、季通报、年评估: report files under <dataDir>/reports. A report's file name is
 * its period, and files are replaced by rename, so generating a period twice replaces it
 * (never a duplicate, never a half-written file).
 */
export class ReportService {
  constructor(
    private readonly audit: SqliteAudit,
    readonly dir: string,
    private readonly now: () => number = Date.now,
  ) {}

  generate(period: Period): ReportEntry[] {
    const range = period;
    const report = {
      kind: period.kind,
      period: period.key,
      from: period.fromDay,
      to: period.toDay,
      timezone: 'Asia/Shanghai',
      generatedAt: new Date(this.now()).toISOString(),
      totals: this.audit.totals(range),
      byCommunity: this.audit.table(range, 'community'),
      bySchool: this.audit.table(range, 'school'),
      byMonth: this.audit.table(range, 'month'),
      bySubject: this.audit.table(range, 'subject'),
      bundled: this.audit.bundled(range),
    };
    const section = (title: string, lines: string[]) => [...csvLines([title], []), ...lines, ''];
    const csv = [
      ...csvLines([`${TITLE[period.kind]} ${period.key}`, `${period.fromDay} … ${period.toDay}`, `generated ${report.generatedAt}`], []),
      '',
      ...section('总计 totals', tableLines([], 'month', report.totals)),
      ...section('按共同体 by community', tableLines(report.byCommunity, 'community')),
      ...section('按学校 by school', tableLines(report.bySchool, 'school')),
      ...section('按月份 by month', tableLines(report.byMonth, 'month')),
      ...section('按学科 by subject', tableLines(report.bySubject, 'subject')),
      ...section('捆绑评价 bundled evaluation', bundledLines(report.bundled)),
    ];
    mkdirSync(this.dir, { recursive: true });
    const base = `${period.kind}-${period.key}`;
    this.writeAtomically(`${base}.json`, JSON.stringify(report, null, 2));
    this.writeAtomically(`${base}.csv`, BOM + csv.join('\r\n'));
    return this.list().filter((e) => e.name.startsWith(`${base}.`));
  }

  private writeAtomically(name: string, content: string): void {
    const tmp = path.join(this.dir, `.${name}.${process.pid}.tmp`);
    writeFileSync(tmp, content);
    renameSync(tmp, path.join(this.dir, name));
  }

  exists(period: Period): boolean {
    return existsSync(path.join(this.dir, `${period.kind}-${period.key}.json`));
  }

  list(): ReportEntry[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    return names
      .map((name) => ({ name, m: NAME.exec(name) }))
      .filter((x): x is { name: string; m: RegExpExecArray } => x.m !== null)
      .map(({ name, m }) => {
        const st = statSync(path.join(this.dir, name));
        return { name, kind: m[1] as PeriodKind, period: m[2]!, format: m[3] as 'json' | 'csv', bytes: st.size, modifiedAt: st.mtimeMs };
      })
      .sort((a, b) => b.period.localeCompare(a.period) || a.kind.localeCompare(b.kind) || a.format.localeCompare(b.format));
  }

  /** The file for a listed report name; anything else (../, other files) is NOT_FOUND. */
  file(name: string): { path: string; format: 'json' | 'csv' } {
    const m = NAME.exec(name);
    const full = path.join(this.dir, name);
    if (!m || !existsSync(full)) throw new AppError('NOT_FOUND', 'unknown report');
    return { path: full, format: m[3] as 'json' | 'csv' };
  }
}
