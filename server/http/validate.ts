import type { Response } from 'express';
import type { z } from 'zod';
import { BOM } from '../audit/csv.js';
import { AppError } from '../errors.js';

/** Parses external input at the boundary: a failure is a 400 naming the first bad field. */
export function parse<T extends z.ZodTypeAny>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new AppError('BAD_REQUEST', `${i?.path.join('.') || 'query'}: ${i?.message ?? 'invalid'}`);
  }
  return r.data;
}

/** Sends CSV lines as a download: UTF-8 with BOM (Excel), CRLF, a UTF-8 file name. */
export function sendCsv(res: Response, fileName: string, lines: string[]): void {
  const ascii = fileName.replace(/[^A-Za-z0-9._-]/g, '_');
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`);
  res.send(BOM + lines.join('\r\n') + '\r\n');
}
