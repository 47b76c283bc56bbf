import { afterEach, describe, expect, it } from 'vitest';
import { SqliteAudit } from '../../server/audit/auditQueries.js';
import { teacherPublishing } from '../helpers/publishing.js';
import { ok, startTestServer, teacherGrant, classroomGrant, type TestServer } from '../helpers/server.js';
import { until } from '../helpers/poll.js';

/**
 * A page whose transports never connect (its school network blocks the media ports: ICE never
 * completes) is marked on the teacher's wall and logged, after TONGKE_MEDIA_UNREACHABLE_SECONDS.
 * These clients speak the protocol only, with no WebRTC behind them, so their transports never
 * connect: exactly what a blocked page looks like from the server.
 */
describe('media that does not get through', () => {
  let ts: TestServer;
  afterEach(async () => {
    await ts?.close();
  });

  const view = (id: string) => ts.server.service.state(ts.lesson.id, { kind: 'teacher' }).classrooms.find((c) => c.classroomId === id)!;
  const incidents = () =>
    ts.server.store
      .listEvents(ts.lesson.id)
      .filter((e) => e.type === 'media_quality_incident')
      .map((e) => ({ classroomId: e.classroomId, kind: e.data.kind }));

  it('marks a classroom online with a transport that never connects, logs it once, and drops the mark when it leaves', async () => {
    ts = await startTestServer({ TONGKE_MEDIA_UNREACHABLE_SECONDS: '1' });
    const teacher = await ts.connect(teacherGrant(ts.lesson.id));
    await teacherPublishing(teacher);
    const room = await ts.connect(classroomGrant(ts.lesson.id, 'demo-recv-1'));
    const other = await ts.connect(classroomGrant(ts.lesson.id, 'demo-recv-2'));
    await ok(room, 'lesson:sync', {});
    await ok(other, 'lesson:sync', {});
    // Online, but wanting no media yet: no mark, however long.
    await new Promise((r) => setTimeout(r, 1_300));
    expect(view('demo-recv-1').mediaBlocked).toBe(false);

    const started = Date.now();
    const states: boolean[] = [];
    teacher.on('lesson:state', (s) => states.push(s.classrooms.find((c) => c.classroomId === 'demo-recv-1')!.mediaBlocked));
    await ok(room, 'media:createTransport', { direction: 'recv' });
    await ok(room, 'media:createTransport', { direction: 'send' });
    await until(() => view('demo-recv-1').mediaBlocked, 5_000);
    // Not before the window: one second after the first transport, give or take a timer tick.
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(view('demo-recv-2').mediaBlocked).toBe(false);
    await until(() => states.includes(true), 2_000);
    // The administrators' lesson list (巡课) shows it while the lesson runs.
    const admin = await ts.token({ role: 'admin', name: '管理员' });
    const list = (await (await fetch(`${ts.url}/api/admin/lessons`, { headers: { authorization: `Bearer ${admin}` } })).json()) as {
      lessons: { id: string; classroomsOnline: number; classroomsMediaBlocked: number }[];
    };
    expect(list.lessons.find((l) => l.id === ts.lesson.id)).toMatchObject({ classroomsOnline: 2, classroomsMediaBlocked: 1 });
    // The teacher's own send transport never connected either: logged, without a classroom.
    await until(() => incidents().length === 2, 2_000);
    expect(incidents()).toEqual(
      expect.arrayContaining([
        { classroomId: null, kind: 'media_unreachable' },
        { classroomId: 'demo-recv-1', kind: 'media_unreachable' },
      ]),
    );

    // A new transport (the page rebuilding) neither clears the mark nor logs it again.
    await ok(room, 'media:createTransport', { direction: 'recv' });
    await new Promise((r) => setTimeout(r, 1_300));
    expect(view('demo-recv-1').mediaBlocked).toBe(true);
    expect(incidents().filter((i) => i.classroomId === 'demo-recv-1')).toHaveLength(1);

    // Leaving takes the mark with it, and that is not logged as the media getting through.
    room.disconnect();
    await until(() => !view('demo-recv-1').online, 5_000);
    expect(view('demo-recv-1').mediaBlocked).toBe(false);
    expect(incidents().map((i) => i.kind)).not.toContain('media_reachable');
  });

  it('does not count a classroom as reached when the lesson ended before its media ever got through', async () => {
    ts = await startTestServer({ TONGKE_MEDIA_UNREACHABLE_SECONDS: '1' });
    const teacher = await ts.connect(teacherGrant(ts.lesson.id));
    const { video } = await teacherPublishing(teacher);
    const room = await ts.connect(classroomGrant(ts.lesson.id, 'demo-recv-1'));
    await ok(room, 'lesson:sync', {});
    const { rtpCapabilities } = await ok(room, 'media:getRouterRtpCapabilities', {});
    const recv = await ok(room, 'media:createTransport', { direction: 'recv' });
    await ok(room, 'media:consume', { transportId: recv.id, producerId: video.producerId, rtpCapabilities });
    await ok(room, 'attendance:report', { expected: 30, present: 28 });
    await until(() => view('demo-recv-1').mediaBlocked, 5_000);
    await ok(teacher, 'lesson:end', {});

    const events = ts.server.store.listEvents(ts.lesson.id);
    expect(events.find((e) => e.type === 'lesson_started')?.data).toEqual({ reachRule: 'media' });
    expect(events.some((e) => e.type === 'media_received')).toBe(false);
    const d = new SqliteAudit(ts.server.store).lesson(ts.lesson.id);
    expect(d.classrooms.find((c) => c.id === 'demo-recv-1')).toMatchObject({ online: true, reached: false, mediaBlocked: true, present: 28 });
    expect(d.summary).toMatchObject({ lessonsDelivered: 1, classroomsReached: 0, pupilVisits: 0, blockedClassroomLessons: 1, blockedPupilVisits: 28 });
    // The stored summary, which every table and report reads, agrees with the drill-down.
    const row = ts.server.store.db
      .prepare('SELECT reached, present, media_blocked, blocked_present FROM lesson_classroom_summaries WHERE lesson_id = ? AND classroom_id = ?')
      .get(ts.lesson.id, 'demo-recv-1');
    expect(row).toEqual({ reached: 0, present: null, media_blocked: 1, blocked_present: 28 });
  });
});
