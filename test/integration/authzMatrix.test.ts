import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientEvents, type ClientEventName } from '../../shared/events.js';
import type { Role } from '../../shared/roles.js';
import type { Grant } from '../../shared/token.js';
import { adminToken, http, loginAs } from '../helpers/http.js';
import { registeredEndpoints } from '../helpers/routes.js';
import { call, classroomGrant, inspectorGrant, startTestServer, teacherGrant, type ClientSocket, type TestServer } from '../helpers/server.js';

/**
 * The authorization matrix, written out. A socket event or an /api endpoint without a row
 * here fails the test; each row says exactly which roles may use it.
 */
type Who = Role | 'anonymous';
const WHO: readonly Who[] = ['teacher', 'assistant', 'inspector', 'admin', 'anonymous'];

const SOCKET: Record<ClientEventName, Role[]> = {
  'lesson:sync': ['teacher', 'assistant', 'inspector'],
  'lesson:start': ['teacher'],
  'lesson:end': ['teacher'],
  'media:getRouterRtpCapabilities': ['teacher', 'assistant', 'inspector'],
  'media:createTransport': ['teacher', 'assistant', 'inspector'],
  'media:connectTransport': ['teacher', 'assistant', 'inspector'],
  'media:produce': ['teacher', 'assistant'],
  'media:closeProducer': ['teacher', 'assistant'],
  'media:consume': ['teacher', 'assistant', 'inspector'],
  'media:resumeConsumer': ['teacher', 'assistant', 'inspector'],
  'media:restartIce': ['teacher', 'assistant', 'inspector'],
  'media:setQuality': ['teacher', 'assistant', 'inspector'],
  'attendance:report': ['teacher', 'assistant'],
  'question:raise': ['assistant'],
  'question:withdraw': ['assistant'],
  'question:resolve': ['teacher'],
  'stage:invite': ['teacher'],
  'stage:remove': ['teacher'],
  'quiz:open': ['teacher'],
  'quiz:answer': ['teacher', 'assistant'],
  'quiz:close': ['teacher'],
  'recording:start': ['teacher'],
  'recording:stop': ['teacher'],
};

/**
 * `public`: no caller needed (it authenticates by what it carries: a password, a code, a
 * device credential). `session`: a logged-in account of any role (bearer tokens refused).
 * `body` is a valid request: were the check missing, a refused call would change something.
 */
interface Endpoint {
  allowed: Role[] | 'public' | 'session';
  path: string;
  body?: unknown;
}
const ADMIN: Role[] = ['admin'];
const READ: Role[] = ['admin', 'inspector'];
const lessonBody = {
  subject: '数学',
  teacherName: '李老师',
  lectureClassroomId: 'demo-lecture',
  receivingClassroomIds: ['demo-recv-1'],
  plannedStart: '2030-03-03T08:00+08:00',
  plannedEnd: '2030-03-03T08:45+08:00',
};
const HTTP: Record<string, Endpoint> = {
  'GET /api/openapi.json': { allowed: 'public', path: '/api/openapi.json' },
  'POST /api/auth/login': { allowed: 'public', path: '/api/auth/login', body: { username: 'nobody', password: 'x' } },
  'POST /api/auth/logout': { allowed: 'session', path: '/api/auth/logout' },
  'GET /api/auth/me': { allowed: 'session', path: '/api/auth/me' },
  'GET /api/auth/lessons': { allowed: 'session', path: '/api/auth/lessons' },
  'POST /api/auth/socket-token': { allowed: 'session', path: '/api/auth/socket-token', body: {} },
  'POST /api/auth/password': {
    allowed: 'session',
    path: '/api/auth/password',
    body: { currentPassword: 'correct horse battery', newPassword: 'taken over by mallory' },
  },
  'POST /api/devices/enrol': { allowed: 'public', path: '/api/devices/enrol', body: { code: 'AAAAA-AAAAA' } },
  'POST /api/devices/socket-token': { allowed: 'public', path: '/api/devices/socket-token', body: {} },
  'GET /api/admin/communities': { allowed: READ, path: '/api/admin/communities' },
  'POST /api/admin/communities': { allowed: ADMIN, path: '/api/admin/communities', body: { id: 'm-c', name: 'M', type: 'alliance' } },
  'PUT /api/admin/communities/:id': { allowed: ADMIN, path: '/api/admin/communities/demo-community', body: { name: 'changed', type: 'group' } },
  'GET /api/admin/schools': { allowed: READ, path: '/api/admin/schools' },
  'POST /api/admin/schools': { allowed: ADMIN, path: '/api/admin/schools', body: { communityId: 'demo-community', name: 'S', district: 'D', area: 'rural' } },
  'PUT /api/admin/schools/:id': { allowed: ADMIN, path: '/api/admin/schools/demo-rural-1', body: { communityId: 'demo-community', name: 'changed', district: 'D', area: 'rural' } },
  'GET /api/admin/classrooms': { allowed: READ, path: '/api/admin/classrooms' },
  'POST /api/admin/classrooms': { allowed: ADMIN, path: '/api/admin/classrooms', body: { schoolId: 'demo-rural-1', name: 'C', kind: 'receiving' } },
  'PUT /api/admin/classrooms/:id': { allowed: ADMIN, path: '/api/admin/classrooms/demo-recv-1', body: { schoolId: 'demo-rural-1', name: 'changed', kind: 'receiving' } },
  'GET /api/admin/timetable': { allowed: READ, path: '/api/admin/timetable?from=2030-01-01&to=2030-01-31' },
  'POST /api/admin/timetable': { allowed: ADMIN, path: '/api/admin/timetable', body: lessonBody },
  'PUT /api/admin/timetable/:id': { allowed: ADMIN, path: '/api/admin/timetable/lesson-x', body: lessonBody },
  'POST /api/admin/timetable/import': { allowed: ADMIN, path: '/api/admin/timetable/import' },
  'GET /api/admin/accounts': { allowed: ADMIN, path: '/api/admin/accounts' },
  'POST /api/admin/accounts': { allowed: ADMIN, path: '/api/admin/accounts', body: { username: 'mallory', displayName: 'M', role: 'admin', password: 'a long password' } },
  'DELETE /api/admin/accounts/:id': { allowed: ADMIN, path: '/api/admin/accounts/ACCOUNT' },
  'POST /api/admin/accounts/:id/password': { allowed: ADMIN, path: '/api/admin/accounts/ACCOUNT/password', body: { password: 'taken over by mallory' } },
  'POST /api/admin/accounts/:id/unlock': { allowed: ADMIN, path: '/api/admin/accounts/ACCOUNT/unlock', body: {} },
  'GET /api/admin/devices': { allowed: ADMIN, path: '/api/admin/devices' },
  'POST /api/admin/devices/enrolments': { allowed: ADMIN, path: '/api/admin/devices/enrolments', body: { classroomId: 'demo-recv-1' } },
  'DELETE /api/admin/devices/:id': { allowed: ADMIN, path: '/api/admin/devices/DEVICE' },
  'GET /api/admin/audit/totals': { allowed: READ, path: '/api/admin/audit/totals?from=2030-01-01&to=2030-01-31' },
  'GET /api/admin/audit/table': { allowed: READ, path: '/api/admin/audit/table?from=2030-01-01&to=2030-01-31&groupBy=school' },
  'GET /api/admin/audit/bundled': { allowed: READ, path: '/api/admin/audit/bundled?from=2030-01-01&to=2030-01-31' },
  'GET /api/admin/audit/schools/:schoolId': { allowed: READ, path: '/api/admin/audit/schools/demo-rural-1?from=2030-01-01&to=2030-01-31' },
  'GET /api/admin/audit/lessons/:lessonId': { allowed: READ, path: '/api/admin/audit/lessons/LESSON' },
  'GET /api/admin/reports': { allowed: READ, path: '/api/admin/reports' },
  'POST /api/admin/reports': { allowed: ADMIN, path: '/api/admin/reports', body: { period: '2030-01' } },
  'GET /api/admin/reports/:name': { allowed: READ, path: '/api/admin/reports/none.csv' },
  'GET /api/admin/lessons': { allowed: READ, path: '/api/admin/lessons' },
  'GET /api/admin/recordings': { allowed: READ, path: '/api/admin/recordings' },
  'GET /api/admin/recordings/:id/file': { allowed: READ, path: '/api/admin/recordings/rec-none/file' },
  'GET /api/admin/recordings/:id/camera': { allowed: READ, path: '/api/admin/recordings/rec-none/camera' },
  'PUT /api/admin/recordings/:id': { allowed: ADMIN, path: '/api/admin/recordings/rec-none', body: { published: true } },
  'DELETE /api/admin/recordings/:id': { allowed: ADMIN, path: '/api/admin/recordings/rec-none' },
  'GET /api/library': { allowed: 'public', path: '/api/library' },
  'GET /api/library/recordings/:id/file': { allowed: 'public', path: '/api/library/recordings/rec-none/file' },
  'GET /api/library/recordings/:id/camera': { allowed: 'public', path: '/api/library/recordings/rec-none/camera' },
  'GET /api/library/recordings/:id/light': { allowed: 'public', path: '/api/library/recordings/rec-none/light' },
  'GET /api/admin/lessons/:lessonId/events': { allowed: READ, path: '/api/admin/lessons/LESSON/events' },
};

const TABLES = ['communities', 'schools', 'classrooms', 'lessons', 'lesson_classrooms', 'lesson_events', 'accounts', 'sessions', 'devices', 'device_enrolments'];

describe('authorization matrix', () => {
  let ts: TestServer;
  let app: Express;
  const grants: Record<Role, Grant> = {} as Record<Role, Grant>;
  const snapshot = () =>
    JSON.stringify([
      TABLES.map((t) => ts.server.store.db.prepare(`SELECT * FROM ${t}`).all()),
      ts.server.reports.list(),
      ts.server.service.state(ts.lesson.id, { kind: 'teacher' }),
    ]);

  beforeAll(async () => {
    ts = await startTestServer();
    app = ts.server.app;
    grants.teacher = teacherGrant(ts.lesson.id);
    grants.assistant = classroomGrant(ts.lesson.id);
    grants.inspector = inspectorGrant(ts.lesson.id);
    grants.admin = { role: 'admin', name: 'matrix' };
  });
  afterAll(async () => {
    await ts.close();
  });

  it('has a row for every socket event and every /api endpoint', () => {
    expect(Object.keys(SOCKET).sort()).toEqual(Object.keys(clientEvents).sort());
    expect(registeredEndpoints(app)).toEqual(Object.keys(HTTP).sort());
  });

  it('socket events: allowed roles pass the permission check, others get FORBIDDEN and change nothing', async () => {
    const sockets = {} as Record<Role, ClientSocket>;
    for (const role of Object.keys(grants) as Role[]) sockets[role] = await ts.connect(grants[role]);
    await new Promise((r) => setTimeout(r, 100));
    const before = snapshot();
    for (const role of Object.keys(grants) as Role[]) {
      for (const event of Object.keys(SOCKET) as ClientEventName[]) {
        const allowed = SOCKET[event].includes(role);
        // Allowed: an invalid payload shows the request got past the permission check to
        // the schema. Refused: an empty payload, which lesson:start/end would act on.
        const ack = await call(sockets[role], event, allowed ? null : {});
        expect(ack, `${role} ${event}`).toMatchObject({ ok: false, error: { code: allowed ? 'BAD_REQUEST' : 'FORBIDDEN' } });
      }
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(snapshot()).toBe(before);
  });

  it('socket: an anonymous connection is refused', async () => {
    await expect(ts.connect('not-a-token')).rejects.toMatchObject({ data: { code: 'UNAUTHENTICATED' } });
  });

  it('HTTP endpoints: allowed or refused exactly as the table says, and a refusal changes nothing', async () => {
    const bearer: Partial<Record<Who, string>> = {};
    for (const role of Object.keys(grants) as Role[]) bearer[role] = await ts.token(grants[role]);
    const sessionCookie = await loginAs(ts, { username: 'matrix-inspector', role: 'inspector' });
    const ids = {
      ACCOUNT: (await http(ts, 'GET', '/api/admin/accounts', { bearer: await adminToken(ts) })).body.accounts[0].id as string,
      LESSON: ts.lesson.id,
      DEVICE: 'dev-none',
    };
    const before = snapshot();
    for (const [key, ep] of Object.entries(HTTP)) {
      const method = key.split(' ')[0]!;
      const path = ep.path.replace(/ACCOUNT|LESSON|DEVICE/, (k) => ids[k as keyof typeof ids]);
      for (const who of WHO) {
        const allowed = ep.allowed === 'public' || (Array.isArray(ep.allowed) && who !== 'anonymous' && ep.allowed.includes(who));
        const opts = {
          ...(bearer[who] ? { bearer: bearer[who] } : {}),
          ...(key.endsWith('/import') ? { headers: { 'content-type': 'text/csv' } } : {}),
          ...(ep.body !== undefined ? { body: ep.body } : {}),
        };
        if (allowed) {
          if (method !== 'GET') continue; // writes by allowed roles are covered by their own tests
          const res = await http(ts, method, path, opts);
          expect([401, 403], `${who} ${key}: ${JSON.stringify(res.body)}`).not.toContain(res.status);
          continue;
        }
        const res = await http(ts, method, path, opts);
        const expected = who === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN';
        expect(res.body?.error?.code, `${who} ${key}`).toBe(expected);
      }
      if (ep.allowed === 'session') {
        // With a session cookie they work; GET only, the writes are tested elsewhere.
        if (method === 'GET') expect((await http(ts, method, path, { cookie: sessionCookie })).status).toBe(200);
      }
    }
    expect(snapshot()).toBe(before);
  });
});
