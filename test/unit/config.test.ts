import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.js';

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

  it('refuses an RTC port range that runs past 65535', () => {
    expect(() => loadConfig({ MEDIASOUP_WORKER_BIN: bin, TONGKE_RTC_PORT: '65535', TONGKE_NUM_WORKERS: '2' })).toThrow(
      /TONGKE_RTC_PORT/,
    );
  });
});
