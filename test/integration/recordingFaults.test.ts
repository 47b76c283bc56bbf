import { afterEach, describe, expect, it } from 'vitest';
import { teacherPublishing } from '../helpers/publishing.js';
import { ok, startTestServer, teacherGrant, type TestServer } from '../helpers/server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * 录播 when things go wrong: the teacher's producers here carry no media (protocol only), so
 * ffmpeg never gets a picture; and a server whose ffmpeg is missing. Either way stopping the
 * recording and ending the lesson must answer promptly, and no empty file is listed.
 */
describe('recording without media, and without ffmpeg', () => {
  let ts: TestServer | undefined;
  afterEach(async () => {
    await ts?.close();
    ts = undefined;
  });

  const recordThenEnd = async (server: TestServer) => {
    const teacher = await server.connect(teacherGrant(server.lesson.id));
    await teacherPublishing(teacher);
    await ok(teacher, 'recording:start', {});
    await sleep(2_500);
    const during = (await ok(teacher, 'lesson:sync', {})).recording;
    const stopAsked = Date.now();
    await ok(teacher, 'recording:stop', {});
    const stopMs = Date.now() - stopAsked;
    await ok(teacher, 'recording:start', {});
    const endAsked = Date.now();
    expect((await ok(teacher, 'lesson:end', {})).status).toBe('ended');
    const endMs = Date.now() - endAsked;
    const rows = server.server.store.db.prepare('SELECT * FROM recordings').all();
    const types = server.server.store.listEvents(server.lesson.id).map((e) => e.type).filter((t) => t.startsWith('recording_'));
    return { during, stopMs, endMs, rows, types };
  };

  it('with no picture coming, ffmpeg is stopped within seconds and leaves no empty recording', async () => {
    ts = await startTestServer();
    const r = await recordThenEnd(ts);
    expect(r.during).toMatchObject({ active: true });
    // One SIGINT, a second after 1 s for a read that waits on media that never comes.
    expect(r.stopMs).toBeLessThan(4_000);
    expect(r.endMs).toBeLessThan(4_000);
    expect(r.rows).toEqual([]);
    expect(r.types).toEqual(['recording_started', 'recording_stopped', 'recording_started', 'recording_stopped']);
  }, 30_000);

  it('with ffmpeg missing, the page is told nothing is written, and stopping and 下课 still answer', async () => {
    ts = await startTestServer({ TONGKE_FFMPEG: '/nonexistent/ffmpeg' });
    const r = await recordThenEnd(ts);
    expect(r.during).toEqual({ active: true, since: expect.any(Number), writing: false, halted: null });
    expect(r.stopMs).toBeLessThan(2_000);
    expect(r.endMs).toBeLessThan(2_000);
    expect(r.rows).toEqual([]);
  }, 30_000);
});
