import { io as ioClient } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, classroomGrant, ok, startTestServer, type TestServer } from '../helpers/server.js';

describe('a flooding classroom', () => {
  let ts: TestServer;
  beforeEach(async () => {
    ts = await startTestServer();
  });
  afterEach(async () => {
    await ts.close();
  });

  it('is disconnected and kept out for a while; other classrooms are unaffected', async () => {
    const flooder = await ts.connect(classroomGrant(ts.lesson.id, 'demo-recv-1'));
    const other = await ts.connect(classroomGrant(ts.lesson.id, 'demo-recv-2'));
    const gone = new Promise<string>((resolve) => flooder.once('disconnect', (reason) => resolve(reason)));
    for (let i = 0; i < 400 && flooder.connected; i++) flooder.emit('lesson:sync', {}, () => {});
    expect(await gone).toBe('io server disconnect');

    const token = await ts.token(classroomGrant(ts.lesson.id, 'demo-recv-1'));
    const refused = await new Promise<{ code?: string }>((resolve) => {
      const s = ioClient(ts.url, { auth: { token }, transports: ['websocket'], reconnection: false });
      s.once('connect_error', (err: Error & { data?: { code?: string } }) => resolve({ code: err.data?.code }));
      s.once('connect', () => resolve({}));
    });
    expect(refused.code).toBe('RATE_LIMITED');
    expect((await ok(other, 'lesson:sync', {})).status).toBe('scheduled');
    expect((await call(other, 'lesson:sync', {})).ok).toBe(true);
  });
});
