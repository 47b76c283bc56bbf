import { readFileSync, renameSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodingQualities } from '../../server/http/precompressed.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const CLIENT = path.resolve('dist/client');

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A GET or HEAD that keeps the body as sent (fetch would decompress it behind our back). */
function raw(url: string, headers: Record<string, string>, method = 'GET'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('pages sent compressed, as built (brotli, else gzip, else plain)', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer();
  });
  afterAll(async () => {
    await ts.close();
  });

  const plain = (f: string) => readFileSync(path.join(CLIENT, f));

  it('sends brotli to a browser that takes it, even listed after gzip (as Chrome does)', async () => {
    const res = await raw(`${ts.url}/classroom.js`, { 'Accept-Encoding': 'gzip, deflate, br, zstd' });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    expect(res.headers.vary).toMatch(/Accept-Encoding/i);
    expect(res.headers['cache-control']).toBe('public, max-age=3600');
    expect(brotliDecompressSync(res.body).equals(plain('classroom.js'))).toBe(true);
    // What a rural link has to carry: a fraction of the plain script.
    expect(res.body.length).toBeLessThan(plain('classroom.js').length / 4);
  });

  it('sends gzip where brotli is refused, the plain file where both are, and the same headers for HEAD', async () => {
    const gz = await raw(`${ts.url}/teacher.js`, { 'Accept-Encoding': 'br;q=0, gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).equals(plain('teacher.js'))).toBe(true);

    const none = await raw(`${ts.url}/teacher.js`, { 'Accept-Encoding': 'identity' });
    expect(none.headers['content-encoding']).toBeUndefined();
    expect(none.body.equals(plain('teacher.js'))).toBe(true);

    const head = await raw(`${ts.url}/teacher.js`, { 'Accept-Encoding': 'gzip' }, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-encoding']).toBe('gzip');
    expect(head.body.length).toBe(0);
  });

  it('compresses the pages and the index, keeps their security headers, and leaves source maps plain', async () => {
    const page = await raw(`${ts.url}/classroom.html`, { 'Accept-Encoding': 'br' });
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(brotliDecompressSync(page.body).equals(plain('classroom.html'))).toBe(true);

    const index = await raw(`${ts.url}/`, { 'Accept-Encoding': 'gzip' });
    expect(index.status).toBe(200);
    expect(gunzipSync(index.body).equals(plain('index.html'))).toBe(true);

    const map = await raw(`${ts.url}/classroom.js.map`, { 'Accept-Encoding': 'br, gzip' });
    expect(map.status).toBe(200);
    expect(map.headers['content-encoding']).toBeUndefined();
  });

  it('sends the plain file, without the encoding header, when a compressed copy went missing after start-up', async () => {
    const moved = path.join(CLIENT, 'login.js.br');
    const aside = `${moved}.aside`;
    renameSync(moved, aside);
    try {
      const res = await raw(`${ts.url}/login.js`, { 'Accept-Encoding': 'br' });
      expect(res.status).toBe(200);
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(res.headers['content-type']).toMatch(/^(text|application)\/javascript/);
      expect(res.body.equals(plain('login.js'))).toBe(true);
    } finally {
      renameSync(aside, moved);
    }
  });

  it('never turns a request path into a file of its own: traversal and unknown names fall through', async () => {
    expect((await raw(`${ts.url}/..%2fpackage.json`, { 'Accept-Encoding': 'br' })).status).toBe(404);
    expect((await raw(`${ts.url}/classroom.js.br`, { 'Accept-Encoding': 'identity' })).headers['content-encoding']).toBeUndefined();
    expect((await raw(`${ts.url}/nothing.js`, { 'Accept-Encoding': 'br' })).status).toBe(404);
  });
});

describe('Accept-Encoding qualities', () => {
  it('reads q values, * for the names not given, and treats junk as nothing accepted', () => {
    const q = encodingQualities('gzip;q=0.5, br;q=0, *;q=0.1');
    expect([q('gzip'), q('br'), q('zstd')]).toEqual([0.5, 0, 0.1]);
    expect(encodingQualities('GZIP')('gzip')).toBe(1);
    expect(encodingQualities(undefined)('br')).toBe(0);
    expect(encodingQualities(['br'])('br')).toBe(0);
    expect(encodingQualities('br;q=abc')('br')).toBe(0);
    expect(encodingQualities('br;q=7')('br')).toBe(1);
    expect(encodingQualities('x'.repeat(5_000))('br')).toBe(0);
  });
});
