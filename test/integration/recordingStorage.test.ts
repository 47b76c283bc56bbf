import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordingStore } from '../../server/store/recordingStore.js';
import { adminToken, http } from '../helpers/http.js';
import { teacherPublishing } from '../helpers/publishing.js';
import { call, ok, startTestServer, teacherGrant, type ClientSocket, type TestServer } from '../helpers/server.js';
import { until } from '../helpers/poll.js';

const MB = 1024 * 1024;
const freeMb = (dir: string) => {
  const s = statfsSync(dir);
  return Math.floor((s.bavail * s.bsize) / MB);
};


/**
 * 录播 gives way to the lesson log when the disk runs short: on the real disk of the test's data
 * dir, with the guard's threshold set just under (or over) what is free, and a real file that
 * fills the difference. The teacher's producers carry no media here: the guard works whether or
 * not a file is being written (the e2e recording test covers a file being finished).
 */
describe('recording and a disk running short', () => {
  let ts: TestServer | undefined;
  let filler: string | null = null;
  afterEach(async () => {
    if (filler) rmSync(filler, { force: true });
    filler = null;
    await ts?.close();
    ts = undefined;
  });

  const recordingEvents = (server: TestServer) =>
    server.server.store
      .listEvents(server.lesson.id)
      .filter((e) => e.type.startsWith('recording_'))
      .map((e) => ({ type: e.type, ...(e.type === 'recording_stopped' ? { reason: e.data.reason } : {}) }));
  const storage = async (server: TestServer) =>
    (await http(server, 'GET', '/api/admin/recordings', { bearer: await adminToken(server) })).body.storage as {
      freeBytes: number;
      minFreeBytes: number;
      enough: boolean;
    };

  it('does not start on a disk with too little room, says why, and changes nothing', async () => {
    const probe = await startTestServer();
    const needMb = freeMb(probe.dataDir) + 10_240;
    await probe.close();
    ts = await startTestServer({ TONGKE_RECORDING_MIN_FREE_MB: String(needMb) });
    const teacher = await ts.connect(teacherGrant(ts.lesson.id));
    await teacherPublishing(teacher);

    const refused = await call(teacher, 'recording:start', {});
    expect(refused).toMatchObject({ ok: false, error: { code: 'STORAGE_FULL' } });
    expect((await ok(teacher, 'lesson:sync', {})).recording).toEqual({ active: false, since: null, writing: false, halted: 'storage_full' });
    expect(recordingEvents(ts)).toEqual([]);
    expect(ts.server.store.db.prepare('SELECT COUNT(*) AS n FROM recordings').get()).toEqual({ n: 0 });
    const s = await storage(ts);
    expect(s).toMatchObject({ minFreeBytes: needMb * MB, enough: false });
    // Monitoring sees it without signing in (and without the figures).
    expect(await (await fetch(`${ts.url}/healthz`)).json()).toMatchObject({ ok: true, storageLow: true });
    expect(s.freeBytes).toBeGreaterThan(0);
    // The lesson itself goes on: the log still takes its events.
    expect((await ok(teacher, 'lesson:end', {})).status).toBe('ended');
  }, 30_000);

  it('stops a running recording within seconds when the disk fills, and starts again once room is made', async () => {
    const probe = await startTestServer();
    // 200 MB of room above the threshold; the filler then takes 400 MB.
    const thresholdMb = freeMb(probe.dataDir) - 200;
    await probe.close();
    ts = await startTestServer({ TONGKE_RECORDING_MIN_FREE_MB: String(thresholdMb) });
    const teacher: ClientSocket = await ts.connect(teacherGrant(ts.lesson.id));
    await teacherPublishing(teacher);
    const states: unknown[] = [];
    teacher.on('lesson:state', (s) => states.push(s.recording));

    await ok(teacher, 'recording:start', {});
    expect((await ok(teacher, 'lesson:sync', {})).recording).toMatchObject({ active: true, halted: null });
    expect((await storage(ts)).enough).toBe(true);

    filler = path.join(ts.dataDir, 'filler.bin');
    execFileSync('fallocate', ['-l', `${400 * MB}`, filler]);
    const filledAt = Date.now();
    const stopped = await until(async () => (await ok(teacher, 'lesson:sync', {})).recording.active === false, 6_000, 'recording off', 200).then(
      () => true,
      () => false,
    );
    const stopMs = Date.now() - filledAt;
    expect(stopped, 'recording still on 6 s after the disk filled').toBe(true);
    expect(stopMs).toBeLessThan(4_000);
    expect((await ok(teacher, 'lesson:sync', {})).recording).toEqual({ active: false, since: null, writing: false, halted: 'storage_full' });
    // The teacher's page was told, not left to find out.
    expect(states).toContainEqual({ active: false, since: null, writing: false, halted: 'storage_full' });
    expect(recordingEvents(ts)).toEqual([{ type: 'recording_started' }, { type: 'recording_stopped', reason: 'storage_full' }]);
    expect(await call(teacher, 'recording:start', {})).toMatchObject({ ok: false, error: { code: 'STORAGE_FULL' } });
    expect((await storage(ts)).enough).toBe(false);

    rmSync(filler);
    filler = null;
    await ok(teacher, 'recording:start', {});
    expect((await ok(teacher, 'lesson:sync', {})).recording).toMatchObject({ active: true, halted: null });
    expect(recordingEvents(ts).map((e) => e.type)).toEqual(['recording_started', 'recording_stopped', 'recording_started']);
    console.log(`recording stopped ${stopMs} ms after the disk filled`);
  }, 30_000);

  it('an administrator makes room by deleting a finished recording: its files and row go; one being written is refused', async () => {
    ts = await startTestServer();
    const dir = path.join(ts.dataDir, 'recordings');
    const store = new RecordingStore(ts.server.store.db);
    mkdirSync(path.join(dir, ts.lesson.id), { recursive: true });
    const at = Date.now();
    const fileOf = (name: string) => path.join(dir, ts!.lesson.id, name);
    for (const id of ['rec-done', 'rec-open']) {
      writeFileSync(fileOf(`${id}.webm`), Buffer.alloc(10_000));
      writeFileSync(fileOf(`${id}.camera.webm`), Buffer.alloc(6_000));
      store.add({ id, lessonId: ts.lesson.id, file: `${ts.lesson.id}/${id}.webm`, startedAt: at, cameraFile: `${ts.lesson.id}/${id}.camera.webm` });
    }
    store.finish('rec-done', at + 1000, 10_000, { bytes: 6_000 });
    const bearer = await adminToken(ts);

    // A segment recorded beside a shared screen lists its camera file, which plays on its own.
    const listed = (await http(ts, 'GET', '/api/admin/recordings', { bearer })).body.recordings as { id: string; cameraBytes: number }[];
    expect(listed.find((r) => r.id === 'rec-done')).toMatchObject({ cameraFile: `${ts.lesson.id}/rec-done.camera.webm`, cameraBytes: 6_000 });
    const camera = await http(ts, 'GET', '/api/admin/recordings/rec-done/camera', { bearer, headers: { range: 'bytes=0-99' } });
    expect(camera.status).toBe(206);
    expect(camera.headers.get('content-type')).toBe('video/webm');
    // One recorded from the camera itself has no second file.
    writeFileSync(fileOf('rec-plain.webm'), Buffer.alloc(10_000));
    store.add({ id: 'rec-plain', lessonId: ts.lesson.id, file: `${ts.lesson.id}/rec-plain.webm`, startedAt: at });
    store.finish('rec-plain', at + 1000, 10_000, null);
    expect(store.get('rec-plain')).toMatchObject({ cameraFile: null, cameraBytes: 0 });
    expect((await http(ts, 'GET', '/api/admin/recordings/rec-plain/camera', { bearer })).body.error.code).toBe('NOT_FOUND');

    expect((await http(ts, 'DELETE', '/api/admin/recordings/rec-open', { bearer })).body.error.code).toBe('CONFLICT');
    expect((await http(ts, 'DELETE', '/api/admin/recordings/rec-done', { bearer })).status).toBe(204);
    expect(existsSync(fileOf('rec-done.webm'))).toBe(false);
    expect(existsSync(fileOf('rec-done.camera.webm'))).toBe(false);
    expect(existsSync(fileOf('rec-open.webm'))).toBe(true);
    expect(existsSync(fileOf('rec-open.camera.webm'))).toBe(true);
    expect(store.get('rec-done')).toBeNull();
    expect(store.get('rec-open')).not.toBeNull();
  }, 30_000);
});
