import { createHmac } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { turnIceServers } from '../../server/auth/turnCredentials.js';
import { ConfigError, loadConfig } from '../../server/config.js';
import { selfSignedCertificate } from '../helpers/tls.js';

const bin = process.env.MEDIASOUP_WORKER_BIN!;

describe('loadConfig', () => {
  it('fills defaults from a minimal environment', () => {
    const c = loadConfig({ MEDIASOUP_WORKER_BIN: bin });
    expect(c.http.port).toBe(3000);
    expect(c.media).toMatchObject({ rtcPort: 40000, announcedIp: '127.0.0.1', workerBin: bin });
    expect(c.media.numWorkers).toBeGreaterThanOrEqual(1);
    expect(c.demo.enabled).toBe(true);
    expect(c.tokenSecret).toBeNull();
  });

  it('places by CPU at 75% of a core unless told otherwise, and refuses a line under 10%', () => {
    expect(loadConfig({ MEDIASOUP_WORKER_BIN: bin }).media.cpuBusyPct).toBe(75);
    expect(loadConfig({ MEDIASOUP_WORKER_BIN: bin, TONGKE_WORKER_CPU_BUSY_PERCENT: '100' }).media.cpuBusyPct).toBe(100);
    expect(() => loadConfig({ MEDIASOUP_WORKER_BIN: bin, TONGKE_WORKER_CPU_BUSY_PERCENT: '5' })).toThrow(/TONGKE_WORKER_CPU_BUSY_PERCENT/);
  });

  it('sheds layers at 85% unless told otherwise, never under the busy line', () => {
    const env = (extra: Record<string, string>) => ({ MEDIASOUP_WORKER_BIN: bin, ...extra });
    expect(loadConfig(env({})).media.cpuShedPct).toBe(85);
    expect(loadConfig(env({ TONGKE_WORKER_CPU_SHED_PERCENT: '100' })).media.cpuShedPct).toBe(100);
    expect(() => loadConfig(env({ TONGKE_WORKER_CPU_SHED_PERCENT: '60' }))).toThrow(/TONGKE_WORKER_CPU_SHED_PERCENT: 60 is under TONGKE_WORKER_CPU_BUSY_PERCENT \(75\)/);
    // Placement by count alone: any shed line goes.
    expect(loadConfig(env({ TONGKE_WORKER_CPU_BUSY_PERCENT: '100', TONGKE_WORKER_CPU_SHED_PERCENT: '60' })).media.cpuShedPct).toBe(60);
    expect(() => loadConfig(env({ TONGKE_WORKER_CPU_SHED_PERCENT: '101' }))).toThrow(/TONGKE_WORKER_CPU_SHED_PERCENT/);
  });

  it('treats RTC port 0 as "pick free ports"', () => {
    expect(loadConfig({ MEDIASOUP_WORKER_BIN: bin, TONGKE_RTC_PORT: '0' }).media.rtcPort).toBeNull();
  });

  it('names every bad variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({ TONGKE_PORT: '70000', TONGKE_LOG_LEVEL: 'loud', TONGKE_TOKEN_SECRET: 'short' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const msg = (error as Error).message;
    for (const name of ['TONGKE_PORT', 'TONGKE_LOG_LEVEL', 'TONGKE_TOKEN_SECRET', 'MEDIASOUP_WORKER_BIN: is required']) {
      expect(msg).toContain(name);
    }
  });

  it('refuses a worker path that is not an executable', () => {
    for (const p of ['package.json', '/tmp', '/no/such/file']) {
      expect(() => loadConfig({ MEDIASOUP_WORKER_BIN: p })).toThrow(/MEDIASOUP_WORKER_BIN: is not an executable/);
    }
  });

  it('requires a token secret in production', () => {
    expect(() => loadConfig({ MEDIASOUP_WORKER_BIN: bin, NODE_ENV: 'production' })).toThrow(/TONGKE_TOKEN_SECRET/);
    expect(
      loadConfig({ MEDIASOUP_WORKER_BIN: bin, NODE_ENV: 'production', TONGKE_TOKEN_SECRET: 's'.repeat(32) }).tokenSecret,
    ).toBe('s'.repeat(32));
  });

  it('reads a certificate and key for HTTPS, both or neither, and refuses a key of another certificate', () => {
    const a = selfSignedCertificate();
    const b = selfSignedCertificate();
    try {
      const tls = loadConfig({ MEDIASOUP_WORKER_BIN: bin, TONGKE_TLS_CERT_FILE: a.certFile, TONGKE_TLS_KEY_FILE: a.keyFile }).http.tls;
      expect(tls?.cert.equals(a.cert)).toBe(true);
      expect(loadConfig({ MEDIASOUP_WORKER_BIN: bin }).http.tls).toBeNull();
      expect(() => loadConfig({ MEDIASOUP_WORKER_BIN: bin, TONGKE_TLS_CERT_FILE: a.certFile })).toThrow(/TONGKE_TLS_KEY_FILE: is required/);
      expect(() =>
        loadConfig({ MEDIASOUP_WORKER_BIN: bin, TONGKE_TLS_CERT_FILE: a.certFile, TONGKE_TLS_KEY_FILE: path.join(a.dir, 'none.pem') }),
      ).toThrow(/TONGKE_TLS_KEY_FILE: cannot read/);
      expect(() => loadConfig({ MEDIASOUP_WORKER_BIN: bin, TONGKE_TLS_CERT_FILE: a.certFile, TONGKE_TLS_KEY_FILE: b.keyFile })).toThrow(
        ConfigError,
      );
      writeFileSync(path.join(a.dir, 'junk.pem'), 'not a certificate');
      expect(() =>
        loadConfig({ MEDIASOUP_WORKER_BIN: bin, TONGKE_TLS_CERT_FILE: path.join(a.dir, 'junk.pem'), TONGKE_TLS_KEY_FILE: a.keyFile }),
      ).toThrow(/TONGKE_TLS_CERT_FILE\/TONGKE_TLS_KEY_FILE/);
    } finally {
      rmSync(a.dir, { recursive: true, force: true });
      rmSync(b.dir, { recursive: true, force: true });
    }
  });

  it('parses which reverse proxies may report the client address, and never trusts any hop', () => {
    const trust = (v?: string) => loadConfig({ MEDIASOUP_WORKER_BIN: bin, ...(v === undefined ? {} : { TONGKE_TRUST_PROXY: v }) }).http.trustProxy;
    expect(trust()).toBeNull();
    expect(trust('false')).toBeNull();
    expect(trust('1')).toBe(1);
    expect(trust(' loopback, 10.0.0.0/8 ,192.168.1.5, fd00::/8 ')).toEqual(['loopback', '10.0.0.0/8', '192.168.1.5', 'fd00::/8']);
    expect(() => trust('true')).toThrow(/TONGKE_TRUST_PROXY: 'true' would let any client/);
    expect(() => trust('0')).toThrow(/hop count must be 1 to 10/);
    expect(() => trust('loopback, proxy.example, 10.0.0.0/33')).toThrow(/proxy\.example, 10\.0\.0\.0\/33/);
  });

  it('takes a TURN relay as URLs and a shared secret together (or its file), and hands out credentials coturn checks', () => {
    const turn = (env: Record<string, string>) => loadConfig({ MEDIASOUP_WORKER_BIN: bin, ...env }).media.turn;
    expect(turn({})).toBeNull();
    const secret = 'sixteen chars ok';
    expect(turn({ TONGKE_TURN_URLS: ' turn:turn.example.cn:443?transport=tcp, turns:[2001:db8::1]:5349 ', TONGKE_TURN_SECRET: secret })).toEqual({
      urls: ['turn:turn.example.cn:443?transport=tcp', 'turns:[2001:db8::1]:5349'],
      secret,
      ttlSeconds: 12 * 3600,
    });
    expect(() => turn({ TONGKE_TURN_URLS: 'turn:a.example:3478' })).toThrow(/TONGKE_TURN_SECRET: TONGKE_TURN_URLS and TONGKE_TURN_SECRET/);
    expect(() => turn({ TONGKE_TURN_SECRET: secret })).toThrow(/TONGKE_TURN_URLS: TONGKE_TURN_URLS and TONGKE_TURN_SECRET/);
    expect(() => turn({ TONGKE_TURN_URLS: 'stun:a.example:3478, turn:b c', TONGKE_TURN_SECRET: secret })).toThrow(
      /TONGKE_TURN_URLS: not a turn: or turns: URL .*: stun:a\.example:3478, turn:b c/,
    );
    expect(() => turn({ TONGKE_TURN_URLS: 'turn:a.example', TONGKE_TURN_SECRET: 'short' })).toThrow(/TONGKE_TURN_SECRET: must be at least 16/);
    const file = path.join(os.tmpdir(), `tongke-turn-secret-${process.pid}`);
    writeFileSync(file, `${secret}\n`);
    try {
      expect(turn({ TONGKE_TURN_URLS: 'turn:a.example', TONGKE_TURN_SECRET_FILE: file, TONGKE_TURN_TTL_HOURS: '2' })).toMatchObject({ secret, ttlSeconds: 7200 });
    } finally {
      rmSync(file);
    }

    // coturn's REST form: <expiry>:<who>, and base64 HMAC-SHA1 of it under the shared secret.
    const [server] = turnIceServers({ urls: ['turn:a.example'], secret, ttlSeconds: 60 }, 'classroom:l1:c 1', 1_700_000_000_000);
    expect(server).toEqual({
      urls: ['turn:a.example'],
      username: '1700000060:classroom-l1-c-1',
      credential: createHmac('sha1', secret).update('1700000060:classroom-l1-c-1').digest('base64'),
    });
    expect(turnIceServers(null, 'x')).toEqual([]);
  });

  it('refuses an RTC port range that runs past 65535', () => {
    expect(() => loadConfig({ MEDIASOUP_WORKER_BIN: bin, TONGKE_RTC_PORT: '65535', TONGKE_NUM_WORKERS: '2' })).toThrow(
      /TONGKE_RTC_PORT/,
    );
  });
});
