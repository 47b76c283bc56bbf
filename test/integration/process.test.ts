import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain, startMainOnLoopback } from '../helpers/process.js';

describe('the server process', () => {
  it('refuses to start on bad configuration, naming every bad variable', async () => {
    const { exited, out } = runMain({ TONGKE_PORT: 'eighty', TONGKE_ANNOUNCED_IP: 'not-an-ip' });
    expect(await exited).toBe(2);
    const { stderr } = out();
    expect(stderr).toContain('TONGKE_PORT');
    expect(stderr).toContain('TONGKE_ANNOUNCED_IP');
    expect(stderr).toContain('MEDIASOUP_WORKER_BIN: is required');
  });

  it('refuses to start in production without a token secret', async () => {
    const { exited, out } = runMain({ NODE_ENV: 'production', MEDIASOUP_WORKER_BIN: process.env.MEDIASOUP_WORKER_BIN });
    expect(await exited).toBe(2);
    expect(out().stderr).toContain('TONGKE_TOKEN_SECRET');
  });

  it('starts with the demo, prints a link per role and classroom, and stops cleanly on SIGTERM', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tongke-main-'));
    try {
      const run = await startMainOnLoopback(dataDir);
      const { stdout } = run.out();
      expect(stdout.match(/teacher\.html#token=/g)).toHaveLength(1);
      expect(stdout.match(/classroom\.html#token=/g)).toHaveLength(3);
      expect(stdout.match(/admin\.html#token=/g)).toHaveLength(1);
      // The generated demo secret is announced, never printed.
      expect(stdout).toContain('generated a demo secret');
      const secret = readFileSync(path.join(dataDir, 'token-secret'), 'utf8');
      expect(stdout).not.toContain(secret);
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
