import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../shared/errors.js';
import { adminToken, http } from '../helpers/http.js';
import { registeredEndpoints } from '../helpers/routes.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const TABLES = ['communities', 'schools', 'classrooms', 'lessons', 'lesson_classrooms', 'lesson_events', 'accounts', 'devices', 'device_enrolments'];

/** Random but printable path segments, queries and JSON bodies. */
const segment = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('demo-recv-1', '2025', '..', '%00', '<script>', '9'.repeat(30)));
const query = fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ maxLength: 40 }), { maxKeys: 4 });

describe('fuzzing every HTTP endpoint', () => {
  let ts: TestServer;
  let bearer: string;
  const snapshot = () => JSON.stringify(TABLES.map((t) => ts.server.store.db.prepare(`SELECT * FROM ${t}`).all()));

  beforeAll(async () => {
    // Generous per-IP limits: this test is one client sending many requests on purpose.
    ts = await startTestServer({ TONGKE_HTTP_RATE_PER_SECOND: '10000', TONGKE_HTTP_RATE_BURST: '100000', TONGKE_LOGIN_RATE_PER_MINUTE: '100000' });
    bearer = await adminToken(ts);
  });
  afterAll(async () => {
    await ts.close();
  });

  it('answers random input as an administrator with a documented 4xx, never a 5xx, and changes nothing', async () => {
    const endpoints = registeredEndpoints(ts.server.app);
    expect(endpoints.length).toBeGreaterThan(30);
    const before = snapshot();
    let requests = 0;
    for (const endpoint of endpoints) {
      const [method, pattern] = endpoint.split(' ') as [string, string];
      await fc.assert(
        fc.asyncProperty(segment, query, fc.jsonValue(), async (seg, q, body) => {
          const path = pattern.replace(/:[A-Za-z]+/g, () => encodeURIComponent(seg));
          const qs = new URLSearchParams(q).toString();
          const res = await http(ts, method, `${path}${qs ? `?${qs}` : ''}`, {
            bearer,
            ...(method === 'GET' || method === 'DELETE' ? {} : { body }),
          });
          requests++;
          expect(res.status, `${endpoint} ${JSON.stringify(res.body)}`).toBeLessThan(500);
          if (res.status >= 400) expect(ERROR_CODES).toContain(res.body?.error?.code);
          // A write that random input got through would show up below; say which.
          if (method !== 'GET' && res.status < 300) throw new Error(`${endpoint} accepted random input: ${JSON.stringify(body)}`);
        }),
        { numRuns: 12 },
      );
    }
    expect(requests).toBeGreaterThan(300);
    expect(snapshot()).toBe(before);
  }, 120_000);

  it('answers random cookies, credentials and bodies on the sign-in, session and device paths with a 4xx, never a 5xx, and changes nothing', async () => {
    // A real session, so random bodies also reach the handlers behind the session check.
    await ts.server.accounts.create({ username: 'fuzz', displayName: 'F', role: 'teacher', teacherName: ts.lesson.teacherName, password: 'fuzz password 1' });
    const login = await http(ts, 'POST', '/api/auth/login', { body: { username: 'fuzz', password: 'fuzz password 1' } });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const { code } = ts.server.devices.createEnrolment('demo-recv-1', 'fuzz');
    const { credential } = ts.server.devices.enrol(code.replace('-', ''), 'PC');
    const before = snapshot();
    const sessionsBefore = ts.server.store.db.prepare('SELECT id_hash, expires_at FROM sessions').all();
    // Header values a browser or client could send: printable ASCII only (fetch refuses others).
    const printable = fc.string({ maxLength: 80 }).map((v) => v.replace(/[^\x20-\x7e]/g, ''));
    const cookieHeader = fc.oneof(
      printable,
      printable.map((v) => `tongke_session=${v}`),
      fc.constant(`${cookie}; tongke_session=other`),
      printable.map((v) => `${cookie}${v}`),
    );
    const authorization = fc.oneof(
      printable,
      printable.map((v) => `Device ${v}`),
      printable.map((v) => `Device ${credential.split('.')[0]}.${v}`),
      printable.map((v) => `Bearer ${v}`),
      fc.constant(`Device ${credential}x`),
    );
    const checked = (what: string, res: { status: number; body: any }) => {
      expect(res.status, `${what} ${JSON.stringify(res.body)}`).toBeLessThan(500);
      if (res.status >= 400) expect(ERROR_CODES).toContain(res.body?.error?.code);
    };
    const writes = ['POST /api/auth/password', 'POST /api/auth/socket-token', 'POST /api/devices/socket-token', 'POST /api/devices/enrol', 'POST /api/auth/login'];
    await fc.assert(
      fc.asyncProperty(cookieHeader, authorization, fc.jsonValue(), fc.constantFrom(...writes, 'GET /api/auth/me', 'GET /api/auth/lessons'), async (c, a, body, endpoint) => {
        const [method, path] = endpoint.split(' ') as [string, string];
        const headers = { cookie: c, authorization: a };
        checked(`${endpoint} cookie=${c} auth=${a}`, await http(ts, method, path, { headers, ...(method === 'POST' ? { body } : {}) }));
        // The valid session with a random body: past the session check, into the schema.
        if (method === 'POST') {
          const res = await http(ts, method, path, { cookie, body });
          checked(`${endpoint} (session) ${JSON.stringify(body)}`, res);
          if (endpoint === 'POST /api/auth/password' || endpoint === 'POST /api/auth/login') expect(res.status).toBeGreaterThanOrEqual(400);
        }
      }),
      { numRuns: 150 },
    );
    // Socket tokens may have been issued to the valid session and credential: that reads only.
    expect(snapshot().replace(/"last_used_at":\d+/g, '')).toBe(before.replace(/"last_used_at":\d+/g, ''));
    expect(ts.server.store.db.prepare('SELECT id_hash, expires_at FROM sessions').all()).toEqual(sessionsBefore);
    expect((await http(ts, 'GET', '/api/auth/me', { cookie })).status).toBe(200);
  }, 120_000);
});
