import fc from 'fast-check';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../shared/errors.js';
import { clientEvents, type ClientEventName } from '../../shared/events.js';
import { call, classroomGrant, ok, startTestServer, teacherGrant, type ClientSocket, type TestServer } from '../helpers/server.js';

/** The keys a payload schema expects, so near-miss payloads can be generated. */
function keysOf(schema: z.ZodTypeAny): string[] {
  if (schema instanceof z.ZodObject) return Object.keys(schema.shape as object);
  if (schema instanceof z.ZodEffects) return keysOf(schema.innerType());
  return [];
}

/** Random JSON, and objects with the right keys but random values — all invalid. */
function invalidPayloads(schema: z.ZodTypeAny): fc.Arbitrary<unknown> {
  const keys = keysOf(schema);
  const nearMiss = keys.length
    ? fc.dictionary(fc.constantFrom(...keys, 'extra'), fc.jsonValue(), { minKeys: 1, maxKeys: keys.length + 1 })
    : fc.constant({ extra: 1 });
  return fc.oneof(fc.jsonValue(), nearMiss).filter((v) => !schema.safeParse(v).success);
}

describe('fuzzing every socket event with invalid payloads', () => {
  let ts: TestServer;
  let sockets: { teacher: ClientSocket; assistant: ClientSocket };

  beforeAll(async () => {
    ts = await startTestServer();
    sockets = {
      teacher: await ts.connect(teacherGrant(ts.lesson.id)),
      assistant: await ts.connect(classroomGrant(ts.lesson.id)),
    };
    await ok(sockets.teacher, 'lesson:start', {});
    await ok(sockets.assistant, 'attendance:report', { expected: 30, present: 28 });
    await ok(sockets.assistant, 'question:raise', { text: '第一个问题' });
    await ok(sockets.teacher, 'quiz:open', { options: 3, correctOption: 1 });
  });
  afterAll(async () => {
    await ts.close();
  });

  it('never crashes, always acks a documented error, and changes nothing', async () => {
    const before = JSON.stringify(await ok(sockets.teacher, 'lesson:sync', {}));
    const eventsBefore = ts.server.store.listEvents(ts.lesson.id).length;
    let calls = 0;
    for (const event of Object.keys(clientEvents) as ClientEventName[]) {
      const schema = clientEvents[event].payload as z.ZodTypeAny;
      for (const socket of Object.values(sockets)) {
        await fc.assert(
          fc.asyncProperty(invalidPayloads(schema), async (payload) => {
            const ack = await call(socket, event, payload);
            calls++;
            expect(ack.ok).toBe(false);
            if (!ack.ok) expect(ERROR_CODES).toContain(ack.error.code);
          }),
          { numRuns: 20 },
        );
      }
    }
    expect(calls).toBeGreaterThan(500);
    // Still alive and unchanged.
    expect(JSON.stringify(await ok(sockets.teacher, 'lesson:sync', {}))).toBe(before);
    expect(ts.server.store.listEvents(ts.lesson.id)).toHaveLength(eventsBefore);
  }, 120_000);
});
