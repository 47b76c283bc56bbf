import { statSync } from 'node:fs';
import type { NextFunction, Response } from 'express';
import { AppError } from '../errors.js';
import { cameraFile, recordingFile, type RecordingRow } from '../store/recordingStore.js';

/** Which of a segment's files: the picture and sound, or the camera beside a shared screen. */
export type RecordingPart = 'main' | 'camera';

/** Where a segment's file is; NOT_FOUND when it has no such file or its path leads outside `dir`. */
export function partFile(dir: string, rec: RecordingRow, part: RecordingPart): string {
  if (part === 'camera' && rec.cameraFile === null) {
    throw new AppError('NOT_FOUND', 'this segment has no camera file (the camera is in its own file only beside a shared screen)');
  }
  const file = part === 'main' ? recordingFile(dir, rec) : cameraFile(dir, rec);
  if (!file) throw new AppError('NOT_FOUND', 'no such recording file');
  return file;
}

/** Sends one of a segment's files as WebM, with byte ranges so a player can seek. */
export function sendRecording(res: Response, next: NextFunction, dir: string, rec: RecordingRow, part: RecordingPart): void {
  const file = partFile(dir, rec, part);
  try {
    statSync(file);
  } catch {
    throw new AppError('NOT_FOUND', 'the recording file is missing');
  }
  res.sendFile(file, { headers: { 'content-type': 'video/webm', 'cache-control': 'private, no-store' } }, (err) => {
    if (err && !res.headersSent) next(err);
  });
}
