import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classroomGrant, startTestServer, teacherGrant, type TestServer } from '../helpers/server.js';

describe('HTTP: health, pages, admin API', () => {
  let ts: TestServer;
  let admin: string;
  beforeAll(async () => {
    ts = await startTestServer();
    admin = await ts.token({ role: 'admin', name: 'test' });
  });
  afterAll(async () => {
    await ts.close();
  });

  const get = (path: string, token?: string) =>
    fetch(`${ts.url}${path}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });

  it('reports health', async () => {
    const res = await get('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, workers: 1, workersBusy: 0, workersShedding: 0, liveLessons: 0, storageLow: false });
  });

  it('serves the pages with a strict CSP', async () => {
    const res = await get('/teacher.html');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('answers unknown routes with the error shape', async () => {
    const res = await get('/api/nothing');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no such route' } });
  });

  it('requires an admin token for the admin API', async () => {
    expect((await get('/api/admin/lessons')).status).toBe(401);
    const asTeacher = await get('/api/admin/lessons', await ts.token(teacherGrant(ts.lesson.id)));
    expect(asTeacher.status).toBe(403);
    expect(await asTeacher.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect((await get('/api/admin/lessons', 'garbage')).status).toBe(401);
  });

  it('lists lessons with reach figures and the event log', async () => {
    const room = await ts.connect(classroomGrant(ts.lesson.id));
    await new Promise((r) => setTimeout(r, 50));
    // Online before the lesson starts, and no media yet: not reached (the audit's rule).
    const res = await get('/api/admin/lessons', admin);
    expect(res.status).toBe(200);
    const { lessons, media } = (await res.json()) as { lessons: Record<string, unknown>[]; media: { busyPct: number; shedPct: number; workers: Record<string, unknown>[] } };
    // The media server's one worker as placement sees it, beside the lessons.
    expect(media.busyPct).toBe(75);
    expect(media.shedPct).toBe(85);
    expect(media.workers).toMatchObject([{ index: 0, consumers: 0, busy: false, layerCap: null }]);
    // Read once a second: a number once the worker has been read twice, null before.
    const cpu = media.workers[0]!.cpuPct;
    expect(cpu === null || (typeof cpu === 'number' && cpu >= 0 && cpu < 100)).toBe(true);
    expect(lessons[0]).toMatchObject({
      id: ts.lesson.id,
      status: 'scheduled',
      classroomsInvited: 3,
      classroomsOnline: 1,
      classroomsReached: 0,
    });
    const events = await (await get(`/api/admin/lessons/${ts.lesson.id}/events`, admin)).json();
    expect(events.events.map((e: { type: string }) => e.type)).toEqual(['classroom_joined']);
    room.disconnect();
  });

  it('validates admin queries', async () => {
    const bad = await get('/api/admin/lessons?status=open', admin);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    expect((await get('/api/admin/lessons/no-such/events', admin)).status).toBe(404);
    expect((await get('/api/admin/lessons/%3Cscript%3E/events', admin)).status).toBe(400);
  });

  it('refuses oversized and malformed JSON bodies with the error shape', async () => {
    const big = await fetch(`${ts.url}/api/admin/lessons`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', Authorization: `Bearer ${admin}` },
      body: JSON.stringify({ x: 'y'.repeat(100_000) }),
    });
    expect(big.status).toBe(413);
    const bad = await fetch(`${ts.url}/api/admin/lessons`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{nope',
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'BAD_REQUEST' } });
  });
});
