import { z } from 'zod';

/**
 * Audit days are Asia/Shanghai days. China has kept UTC+8 without daylight saving since
 * 1991, so a fixed offset is exact and lets SQLite group by month with plain arithmetic.
 */
export const SHANGHAI_OFFSET_MS = 8 * 3600_000;
export const SHANGHAI_TZ = 'Asia/Shanghai';

const DAY_MS = 86_400_000;

export const isoDaySchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine((d) => toUtcDay(d) !== null, 'is not a calendar date');

function toUtcDay(day: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return null;
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const ms = Date.UTC(y, m - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== m - 1 || back.getUTCDate() !== d) return null;
  return ms;
}

/** Start of a Shanghai day, as epoch ms. */
export function shanghaiDayStart(day: string): number {
  const utc = toUtcDay(day);
  if (utc === null) throw new Error(`not a date: ${day}`);
  return utc - SHANGHAI_OFFSET_MS;
}

/** The Shanghai calendar day (YYYY-MM-DD) of an instant. */
export function shanghaiDay(ms: number): string {
  return new Date(ms + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

/** Epoch ms of a Shanghai wall-clock time (day YYYY-MM-DD, time HH:mm). */
export function shanghaiTime(day: string, hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return shanghaiDayStart(day) + h * 3600_000 + m * 60_000;
}

/** An inclusive range of Shanghai days, as the half-open instant range [from, to). */
export interface DayRange {
  fromDay: string;
  toDay: string;
  from: number;
  to: number;
}

export function dayRange(fromDay: string, toDay: string): DayRange {
  return { fromDay, toDay, from: shanghaiDayStart(fromDay), to: shanghaiDayStart(toDay) + DAY_MS };
}

/** The query every audit endpoint takes: from/to are inclusive Shanghai days. */
export const rangeQuerySchema = z
  .object({ from: isoDaySchema, to: isoDaySchema })
  .refine((q) => q.from <= q.to, { message: 'from must not be after to', path: ['from'] })
  // zod runs refinements on a dirty object too: never assume the days parsed.
  .refine((q) => (toUtcDay(q.to) ?? 0) - (toUtcDay(q.from) ?? 0) <= 3 * 366 * DAY_MS, {
    message: 'range must not exceed three years',
    path: ['to'],
  });

/** 月报 / 季报 / 年报: a report's period, named like 2025-03, 2025-Q1, 2025. */
export type PeriodKind = 'monthly' | 'quarterly' | 'yearly';
export interface Period extends DayRange {
  kind: PeriodKind;
  key: string;
}

const pad = (n: number) => String(n).padStart(2, '0');
const lastDay = (y: number, month1: number) => new Date(Date.UTC(y, month1, 0)).getUTCDate();

export function monthPeriod(y: number, month1: number): Period {
  return {
    kind: 'monthly',
    key: `${y}-${pad(month1)}`,
    ...dayRange(`${y}-${pad(month1)}-01`, `${y}-${pad(month1)}-${pad(lastDay(y, month1))}`),
  };
}
export function quarterPeriod(y: number, q: number): Period {
  const first = (q - 1) * 3 + 1;
  return {
    kind: 'quarterly',
    key: `${y}-Q${q}`,
    ...dayRange(`${y}-${pad(first)}-01`, `${y}-${pad(first + 2)}-${pad(lastDay(y, first + 2))}`),
  };
}
export function yearPeriod(y: number): Period {
  return { kind: 'yearly', key: String(y), ...dayRange(`${y}-01-01`, `${y}-12-31`) };
}

export const periodKeySchema = z
  .string()
  .regex(/^(\d{4})(-(0[1-9]|1[0-2])|-Q[1-4])?$/, 'must be YYYY, YYYY-MM or YYYY-Qn')
  .refine((k) => Number(k.slice(0, 4)) >= 2000 && Number(k.slice(0, 4)) <= 2100, 'year out of range');

export function parsePeriod(key: string): Period {
  const y = Number(key.slice(0, 4));
  if (/^\d{4}$/.test(key)) return yearPeriod(y);
  if (/^\d{4}-Q[1-4]$/.test(key)) return quarterPeriod(y, Number(key.slice(6)));
  return monthPeriod(y, Number(key.slice(5, 7)));
}

/** The period that ended just before `now` (Shanghai): last month, last quarter, last year. */
export function previousPeriod(kind: PeriodKind, now: number): Period {
  const [y, m] = shanghaiDay(now).split('-').map(Number) as [number, number];
  if (kind === 'monthly') return m === 1 ? monthPeriod(y - 1, 12) : monthPeriod(y, m - 1);
  if (kind === 'quarterly') {
    const q = Math.floor((m - 1) / 3) + 1;
    return q === 1 ? quarterPeriod(y - 1, 4) : quarterPeriod(y, q - 1);
  }
  return yearPeriod(y - 1);
}
