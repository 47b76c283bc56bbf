import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeLightCopies } from '../../server/jobs/lightCopyJob.js';
import { createLogger } from '../../server/logger.js';
import { RecordingStore } from '../../server/store/recordingStore.js';
import { adminToken, http } from '../helpers/http.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);

/** A short real recording: VP8 + Opus in WebM, as the recorder writes them. */
async function webm(file: string, size: string, seconds = 3): Promise<void> {
  await run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc=size=${size}:rate=15:duration=${seconds}`],
    ...['-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`, '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k'],
    ...['-c:a', 'libopus', '-shortest', '-f', 'webm', '-y', file],
  ]);
}

const probeSchema = z.object({
  streams: z.array(z.object({ codec_name: z.string(), codec_type: z.string(), width: z.number().optional(), height: z.number().optional() })),
  format: z.object({ duration: z.coerce.number() }),
});
async function probe(file: string) {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,codec_type,width,height:format=duration', '-of', 'json', file]);
  return probeSchema.parse(JSON.parse(stdout));
}

/**
 * 流畅版: the nightly light copies of published recordings, made by the real ffmpeg from real
 * WebM files, then served by the public library.
 */
describe('light copies of published recordings', () => {
  let ts: TestServer;
  let store: RecordingStore;
  let dir: string;
  const log = createLogger('silent');
  const fileOf = (name: string) => path.join(dir, ts.lesson.id, name);

  beforeAll(async () => {
    ts = await startTestServer();
    store = new RecordingStore(ts.server.store.db);
    dir = path.join(ts.dataDir, 'recordings');
    mkdirSync(path.join(dir, ts.lesson.id), { recursive: true });
    // A screen's segment with the camera beside it, a camera's segment, one never published, and a broken file.
    await Promise.all([webm(fileOf('rec-a.webm'), '800x600'), webm(fileOf('rec-a.camera.webm'), '640x360'), webm(fileOf('rec-b.webm'), '1280x720'), webm(fileOf('rec-c.webm'), '320x240')]);
    writeFileSync(fileOf('rec-d.webm'), Buffer.alloc(20_000, 7));
    const at = Date.now() - 60_000;
    const bearer = await adminToken(ts);
    for (const [i, id] of ['rec-a', 'rec-b', 'rec-c', 'rec-d'].entries()) {
      const camera = id === 'rec-a' ? `${ts.lesson.id}/rec-a.camera.webm` : null;
      store.add({ id, lessonId: ts.lesson.id, file: `${ts.lesson.id}/${id}.webm`, startedAt: at + i * 3000, cameraFile: camera });
      store.finish(id, at + i * 3000 + 3000, 50_000, camera ? { bytes: 40_000 } : null);
      if (id !== 'rec-c') expect((await http(ts, 'PUT', `/api/admin/recordings/${id}`, { bearer, body: { published: true } })).status).toBe(200);
    }
  }, 60_000);
  afterAll(async () => {
    await ts.close();
  });

  it('makes a 960×540 copy of each published segment, the camera drawn into a screen\'s corner, and the library serves it', async () => {
    const started = Date.now();
    const result = await makeLightCopies({ recordings: store, dir, ffmpeg: 'ffmpeg', log, until: Date.now() + 60_000 });
    console.log(`light copies of 3 s segments: ${JSON.stringify(result)} in ${Date.now() - started} ms`);
    expect(result).toEqual({ made: ['rec-a', 'rec-b'], failed: ['rec-d'] });
    for (const id of ['rec-a', 'rec-b']) {
      const copy = await probe(fileOf(`${id}.light.webm`));
      expect(copy.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort()).toEqual(['audio:opus', 'video:vp8']);
      expect(copy.streams.find((s) => s.codec_type === 'video')).toMatchObject({ width: 960, height: 540 });
      expect(copy.format.duration).toBeGreaterThan(2.5);
      expect(store.get(id)).toMatchObject({ lightFile: `${ts.lesson.id}/${id}.light.webm`, lightBytes: expect.any(Number) });
    }
    // Not published: no copy; a broken file: no copy, nothing half-written left behind.
    expect(store.get('rec-c')).toMatchObject({ lightFile: null });
    expect(store.get('rec-d')).toMatchObject({ lightFile: null });
    expect(readdirSync(path.join(dir, ts.lesson.id)).filter((f) => f.includes('.part') || f.startsWith('rec-c.light') || f.startsWith('rec-d.light'))).toEqual([]);

    // The library lists the copies' sizes and serves them to anybody, with byte ranges.
    const listed = (await http(ts, 'GET', '/api/library')).body as { lessons: { segments: { id: string; lightBytes: number | null }[] }[] };
    const sizes = Object.fromEntries(listed.lessons.flatMap((l) => l.segments.map((s) => [s.id, s.lightBytes])));
    expect(sizes['rec-a']).toBeGreaterThan(10_000);
    expect(sizes['rec-d']).toBeNull();
    const part = await http(ts, 'GET', '/api/library/recordings/rec-a/light', { headers: { range: 'bytes=0-99' } });
    expect(part.status).toBe(206);
    expect((await http(ts, 'GET', '/api/library/recordings/rec-d/light')).body.error.code).toBe('NOT_FOUND');

    // The next night has nothing to redo but the broken file; past the deadline nothing starts.
    expect(await makeLightCopies({ recordings: store, dir, ffmpeg: 'ffmpeg', log, until: Date.now() + 60_000 })).toEqual({ made: [], failed: ['rec-d'] });
    expect(await makeLightCopies({ recordings: store, dir, ffmpeg: 'ffmpeg', log, until: Date.now() - 1 })).toEqual({ made: [], failed: [] });

    // Deleting the segment deletes its light copy too.
    expect((await http(ts, 'DELETE', '/api/admin/recordings/rec-a', { bearer: await adminToken(ts) })).status).toBe(204);
    expect(existsSync(fileOf('rec-a.light.webm'))).toBe(false);
    expect(existsSync(fileOf('rec-a.camera.webm'))).toBe(false);
  }, 120_000);
});
