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
});
