import { execFile } from 'node:child_process';
import { renameSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';
import type { Logger } from '../logger.js';
import { fileSize, partFile, partName, recordingFile, type RecordingRow, type RecordingStore } from '../store/recordingStore.js';

const run = promisify(execFile);

/** The light copy's picture: what a pupil's phone or an old PC shows well, at ~0.5 Mbit/s. */
const WIDTH = 960;
const HEIGHT = 540;
const CORNER_WIDTH = 240;
const VIDEO_KBPS = 500;
/** A 45-minute lesson transcodes in minutes on one thread; this is the bound for a broken file. */
const TRANSCODE_TIMEOUT_MS = 60 * 60_000;

/** The picture: scaled into 960×540 (bars where the shape differs) and, beside a screen, the camera in its corner. */
function videoFilter(withCamera: boolean): string {
  const frame = `[0:v]scale=${WIDTH}:${HEIGHT}:force_original_aspect_ratio=decrease,pad=${WIDTH}:${HEIGHT}:(ow-iw)/2:(oh-ih)/2,setsar=1`;
  if (!withCamera) return `${frame}[v]`;
  // eof_action=pass: should the camera's file end first, the screen goes on alone.
  return `${frame}[s];[1:v]scale=${CORNER_WIDTH}:-2,setsar=1[c];[s][c]overlay=W-w-12:H-h-12:eof_action=pass[v]`;
}

function ffmpegArgs(main: string, camera: string | null, out: string): string[] {
  return [
    ...['-hide_banner', '-loglevel', 'error', '-nostdin', '-i', main],
    ...(camera ? ['-i', camera] : []),
    ...['-filter_complex', videoFilter(camera !== null), '-map', '[v]', '-map', '0:a?'],
    // One thread, a moderate speed preset: the SFU's cores stay the lesson's if one runs late.
    ...['-c:v', 'libvpx', '-b:v', `${VIDEO_KBPS}k`, '-maxrate', `${Math.round(VIDEO_KBPS * 1.4)}k`, '-bufsize', `${VIDEO_KBPS * 2}k`],
    ...['-deadline', 'good', '-cpu-used', '5', '-threads', '1', '-g', '150'],
    // The teacher's Opus as it was recorded (~40 kbit/s): no need to touch it.
    ...['-c:a', 'copy', '-f', 'webm', '-y', out],
  ];
}

/**
 * 流畅版: a light copy of each published segment, for pupils who watch again at home on a weak
 * link. ffmpeg runs under `nice -n 19` on one thread, one segment at a time, at night (the
 * scheduler), so live lessons keep the CPU. A copy that fails is logged and tried again the next
 * night; the original is never touched. Returns the ids made and failed.
 */
export async function makeLightCopies(deps: {
  recordings: RecordingStore;
  dir: string;
  ffmpeg: string;
  log: Logger;
  /** No new copy starts after this time (ms since the epoch). */
  until: number;
  now?: () => number;
  limit?: number;
}): Promise<{ made: string[]; failed: string[] }> {
  const now = deps.now ?? Date.now;
  const made: string[] = [];
  const failed: string[] = [];
  for (const rec of deps.recordings.wantingLightCopy(deps.limit ?? 200)) {
    if (now() >= deps.until) break;
    try {
      made.push(await makeOne(rec, deps));
    } catch (err) {
      failed.push(rec.id);
      deps.log.warn({ err: (err as Error).message.slice(-1500), recordingId: rec.id }, 'library: light copy failed (tried again next night)');
    }
  }
  return { made, failed };
}

async function makeOne(rec: RecordingRow, deps: { recordings: RecordingStore; dir: string; ffmpeg: string; log: Logger }): Promise<string> {
  const main = partFile(deps.dir, rec, 'main');
  if (!main) throw new Error('recording path outside the recordings folder');
  const camera = partFile(deps.dir, rec, 'camera');
  const relative = partName(rec.file, 'light');
  const out = recordingFile(deps.dir, { file: relative });
  if (!out) throw new Error('light copy path outside the recordings folder');
  // Written aside and moved into place: a half-written copy is never served.
  const partial = `${out}.part`;
  const started = Date.now();
  try {
    await run('nice', ['-n', '19', deps.ffmpeg, ...ffmpegArgs(main, camera, partial)], { timeout: TRANSCODE_TIMEOUT_MS, maxBuffer: 4 * 2 ** 20 });
    renameSync(partial, out);
  } finally {
    rmSync(partial, { force: true });
  }
  const bytes = fileSize(out);
  deps.recordings.setLightCopy(rec.id, relative, bytes);
  deps.log.info({ recordingId: rec.id, bytes, originalBytes: rec.bytes + rec.cameraBytes, ms: Date.now() - started }, 'library: light copy made');
  return rec.id;
}
