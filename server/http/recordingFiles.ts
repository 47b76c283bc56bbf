import { statSync } from 'node:fs';
import type { NextFunction, Response } from 'express';
import { AppError } from '../errors.js';
import { cameraFile, lightFile, recordingFile, type RecordingRow } from '../store/recordingStore.js';

/**
 * Which of a segment's files: the picture and sound, the camera beside a shared screen, or the
 * light copy of a published segment (流畅版).
 */
export type RecordingPart = 'main' | 'camera' | 'light';

/** Where a segment's file is; NOT_FOUND when it has no such file or its path leads outside `dir`. */
export function partFile(dir: string, rec: RecordingRow, part: RecordingPart): string {
  if (part === 'camera' && rec.cameraFile === null) {
    throw new AppError('NOT_FOUND', 'this segment has no camera file (the camera is in its own file only beside a shared screen)');
  }
  if (part === 'light' && rec.lightFile === null) throw new AppError('NOT_FOUND', 'no light copy of this segment yet (made the night after publishing)');
  const file = part === 'main' ? recordingFile(dir, rec) : part === 'camera' ? cameraFile(dir, rec) : lightFile(dir, rec);
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
