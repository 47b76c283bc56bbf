import { rmSync } from 'node:fs';
import { request } from 'node:https';
import { io as ioClient } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { http } from '../helpers/http.js';
import { classroomGrant, ok, startTestServer, type ClientSocket, type TestServer } from '../helpers/server.js';
import { selfSignedCertificate } from '../helpers/tls.js';

/** A GET over HTTPS that checks the server's certificate against `ca`. */
function httpsGet(url: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { ca }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('HTTPS, and the client address behind a reverse proxy', () => {
  let ts: TestServer | undefined;
  const cleanup: (() => void)[] = [];
  afterEach(async () => {
    await ts?.close();
    ts = undefined;
    for (const c of cleanup.splice(0)) c();
  });

  it('serves the pages, the API and Socket.IO over HTTPS with the configured certificate', async () => {
    const tls = selfSignedCertificate();
    cleanup.push(() => rmSync(tls.dir, { recursive: true, force: true }));
    ts = await startTestServer({ TONGKE_TLS_CERT_FILE: tls.certFile, TONGKE_TLS_KEY_FILE: tls.keyFile });
    expect(ts.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const health = await httpsGet(`${ts.url}/healthz`, tls.cert);
    expect(health.status).toBe(200);
    expect((await httpsGet(`${ts.url}/classroom.html`, tls.cert)).status).toBe(200);
    // A client that does not know the certificate is refused by TLS itself.
    await expect(httpsGet(`${ts.url}/healthz`, Buffer.from(''))).rejects.toThrow();

    const socket: ClientSocket = ioClient(ts.url, {
      auth: { token: await ts.token(classroomGrant(ts.lesson.id)) },
      transports: ['websocket'],
      reconnection: false,
      ca: tls.cert.toString(),
    });
    cleanup.push(() => socket.disconnect());
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    expect((await ok(socket, 'lesson:sync', {})).lessonId).toBe(ts.lesson.id);
  });

  const login = (from: string) =>
    http(ts!, 'POST', '/api/auth/login', { body: { username: 'x', password: 'y' }, headers: { 'x-forwarded-for': from } });
  const handshake = async (from: string) => {
    const socket: ClientSocket = ioClient(ts!.url, {
      auth: { token: await ts!.token(classroomGrant(ts!.lesson.id)) },
      transports: ['websocket'],
      reconnection: false,
      extraHeaders: { 'x-forwarded-for': from },
    });
    cleanup.push(() => socket.disconnect());
    return new Promise<string>((resolve) => {
      socket.once('connect', () => resolve('connected'));
      socket.once('connect_error', (err) => resolve((err as Error & { data?: { code?: string } }).data?.code ?? err.message));
    });
  };
  const limits = { TONGKE_LOGIN_RATE_PER_MINUTE: '2', TONGKE_HANDSHAKE_RATE_PER_SECOND: '0.1', TONGKE_HANDSHAKE_RATE_BURST: '2' };

  it('behind a trusted proxy, limits each school by its own address, not the proxy’s', async () => {
    ts = await startTestServer({ ...limits, TONGKE_TRUST_PROXY: 'loopback' });
    const first = [await login('203.0.113.1'), await login('203.0.113.1'), await login('203.0.113.1')];
    expect(first.map((r) => r.status)).toEqual([401, 401, 429]);
    // Another school behind the same proxy still gets in.
    expect((await login('203.0.113.2')).status).toBe(401);
    expect([await handshake('198.51.100.1'), await handshake('198.51.100.1'), await handshake('198.51.100.1')]).toEqual([
      'connected',
      'connected',
      'RATE_LIMITED',
    ]);
    expect(await handshake('198.51.100.2')).toBe('connected');
  });

  it('without TONGKE_TRUST_PROXY, a client cannot pick its own address with the header', async () => {
    ts = await startTestServer(limits);
    const tries = [await login('203.0.113.1'), await login('203.0.113.2'), await login('203.0.113.3')];
    expect(tries.map((r) => r.status)).toEqual([401, 401, 429]);
    expect([await handshake('198.51.100.1'), await handshake('198.51.100.2'), await handshake('198.51.100.3')]).toEqual([
      'connected',
      'connected',
      'RATE_LIMITED',
    ]);
  });
});
