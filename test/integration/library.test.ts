import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecordingStore } from '../../server/store/recordingStore.js';
import { adminToken, http } from '../helpers/http.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * 精品课点播: an administrator publishes recorded segments; anybody may list and watch what is
 * published, and nothing else. Real server, real SQLite, real files on disk.
 */
describe('the library of published recordings', () => {
  let ts: TestServer;
  let store: RecordingStore;
  let bearer: string;
  const snapshot = () => JSON.stringify(ts.server.store.db.prepare('SELECT * FROM recordings ORDER BY id').all());

  beforeEach(async () => {
    ts = await startTestServer();
    store = new RecordingStore(ts.server.store.db);
    bearer = await adminToken(ts);
    const dir = path.join(ts.dataDir, 'recordings', ts.lesson.id);
    mkdirSync(dir, { recursive: true });
    const at = Date.parse('2026-11-02T01:00:00Z');
    // Three segments of the demo lesson (camera, screen with the camera beside it, camera), and one still being written.
    const segments = [
      { id: 'rec-1', camera: false, start: at, end: at + 60_000 },
      { id: 'rec-2', camera: true, start: at + 60_000, end: at + 90_000 },
      { id: 'rec-3', camera: false, start: at + 90_000, end: at + 120_000 },
      { id: 'rec-4', camera: false, start: at + 120_000, end: null },
    ];
    for (const s of segments) {
      writeFileSync(path.join(dir, `${s.id}.webm`), Buffer.alloc(9_000, 1));
      if (s.camera) writeFileSync(path.join(dir, `${s.id}.camera.webm`), Buffer.alloc(5_000, 2));
      store.add({ id: s.id, lessonId: ts.lesson.id, file: `${ts.lesson.id}/${s.id}.webm`, startedAt: s.start, cameraFile: s.camera ? `${ts.lesson.id}/${s.id}.camera.webm` : null });
      if (s.end !== null) store.finish(s.id, s.end, 9_000, s.camera ? { bytes: 5_000 } : null);
    }
  });
  afterEach(async () => {
    await ts.close();
  });

  const publish = (id: string, published: unknown) => http(ts, 'PUT', `/api/admin/recordings/${id}`, { bearer, body: { published } });
  const library = async (query = '') => (await http(ts, 'GET', `/api/library${query}`)).body as { lessons: { lessonId: string; title: string; subject: string; schoolName: string; segments: { id: string; hasCamera: boolean; bytes: number; durationMs: number }[] }[] };

  it('lists nothing until an administrator publishes, then the published segments of each lesson in order', async () => {
    expect(await library()).toEqual({ lessons: [] });
    expect((await http(ts, 'GET', '/api/library/recordings/rec-1/file')).status).toBe(404);

    for (const id of ['rec-3', 'rec-2']) {
      const res = await publish(id, true);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id, publishedAt: expect.any(Number) });
    }
    const listed = await library();
    expect(listed.lessons).toHaveLength(1);
    expect(listed.lessons[0]).toMatchObject({ lessonId: ts.lesson.id, title: ts.lesson.title, subject: ts.lesson.subject, schoolName: '青州市实验小学' });
    expect(listed.lessons[0]!.segments).toEqual([
      { id: 'rec-2', startedAt: expect.any(Number), durationMs: 30_000, bytes: 14_000, hasCamera: true, lightBytes: null },
      { id: 'rec-3', startedAt: expect.any(Number), durationMs: 30_000, bytes: 9_000, hasCamera: false, lightBytes: null },
    ]);
    // No file paths in public.
    expect(JSON.stringify(listed)).not.toContain('.webm');

    // Anybody plays them, seeking by byte ranges; the camera beside the screen too.
    const part = await http(ts, 'GET', '/api/library/recordings/rec-2/file', { headers: { range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 100-199/9000');
    expect((await http(ts, 'GET', '/api/library/recordings/rec-2/camera')).status).toBe(200);
    expect((await http(ts, 'GET', '/api/library/recordings/rec-3/camera')).body.error.code).toBe('NOT_FOUND');
    // What is not published is not there.
    expect((await http(ts, 'GET', '/api/library/recordings/rec-1/file')).body.error.code).toBe('NOT_FOUND');
    expect((await http(ts, 'GET', '/api/library/recordings/rec-4/file')).body.error.code).toBe('NOT_FOUND');

    // Filters by subject and grade.
    expect((await library(`?subject=${encodeURIComponent(ts.lesson.subject)}`)).lessons).toHaveLength(1);
    expect((await library('?subject=%E8%8B%B1%E8%AF%AD')).lessons).toEqual([]);

    // Withdrawn: gone from the list and the files.
    expect((await publish('rec-2', false)).body).toMatchObject({ publishedAt: null });
    expect((await library()).lessons[0]!.segments.map((s) => s.id)).toEqual(['rec-3']);
    expect((await http(ts, 'GET', '/api/library/recordings/rec-2/file')).status).toBe(404);
  });

  it('publishing again keeps the first date', async () => {
    const first = (await publish('rec-1', true)).body.publishedAt as number;
    await new Promise((r) => setTimeout(r, 5));
    expect((await publish('rec-1', true)).body.publishedAt).toBe(first);
  });

  it('refuses a segment still being written, bad input, and other roles, changing nothing', async () => {
    const before = snapshot();
    expect((await publish('rec-4', true)).body.error.code).toBe('CONFLICT');
    expect((await publish('rec-1', 'yes')).body.error.code).toBe('BAD_REQUEST');
    expect((await http(ts, 'PUT', '/api/admin/recordings/rec-1', { bearer, body: { published: true, extra: 1 } })).body.error.code).toBe('BAD_REQUEST');
    expect((await publish('rec-none', true)).body.error.code).toBe('NOT_FOUND');
    const inspector = await ts.token({ role: 'inspector', name: '督学' });
    expect((await http(ts, 'PUT', '/api/admin/recordings/rec-1', { bearer: inspector, body: { published: true } })).body.error.code).toBe('FORBIDDEN');
    expect((await http(ts, 'PUT', '/api/admin/recordings/rec-1', { body: { published: true } })).body.error.code).toBe('UNAUTHENTICATED');
    expect((await http(ts, 'GET', '/api/library?limit=0')).body.error.code).toBe('BAD_REQUEST');
    expect((await http(ts, 'GET', '/api/library?path=../x')).body.error.code).toBe('BAD_REQUEST');
    expect(snapshot()).toBe(before);
  });

  it('deleting a published segment takes it out of the library', async () => {
    await publish('rec-1', true);
    expect((await http(ts, 'DELETE', '/api/admin/recordings/rec-1', { bearer })).status).toBe(204);
    expect(await library()).toEqual({ lessons: [] });
  });
});
