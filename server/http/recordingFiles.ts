import { statSync } from 'node:fs';
import type { NextFunction, Response } from 'express';
import { AppError } from '../errors.js';
import { partFile, type RecordingPart, type RecordingRow } from '../store/recordingStore.js';

/** Where one of a segment's files is, for serving; NOT_FOUND (saying why) when it has none or its path leads outside `dir`. */
export function existingPart(dir: string, rec: RecordingRow, part: RecordingPart): string {
  if (part === 'camera' && rec.cameraFile === null) {
    throw new AppError('NOT_FOUND', 'this segment has no camera file (the camera is in its own file only beside a shared screen)');
  }
  if (part === 'light' && rec.lightFile === null) throw new AppError('NOT_FOUND', 'no light copy of this segment yet (made the night after publishing)');
  const file = partFile(dir, rec, part);
  if (!file) throw new AppError('NOT_FOUND', 'no such recording file');
  return file;
}

/** Sends one of a segment's files as WebM, with byte ranges so a player can seek. */
export function sendRecording(res: Response, next: NextFunction, dir: string, rec: RecordingRow, part: RecordingPart): void {
  const file = existingPart(dir, rec, part);
  try {
    statSync(file);
  } catch {
    throw new AppError('NOT_FOUND', 'the recording file is missing');
  }
  res.sendFile(file, { headers: { 'content-type': 'video/webm', 'cache-control': 'private, no-store' } }, (err) => {
    if (err && !res.headersSent) next(err);
  });
}
