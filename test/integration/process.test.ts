import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** Runs the real entry point (node --import tsx server/main.ts) as a user would. */
function runMain(env: NodeJS.ProcessEnv, untilOutput?: RegExp) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = untilOutput
    ? new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no match; stdout=${stdout} stderr=${stderr}`)), 20_000);
        child.stdout.on('data', () => {
          if (untilOutput.test(stdout)) {
            clearTimeout(timer);
            resolve();
          }
        });
      })
    : Promise.resolve();
  return { child, exited, ready, out: () => ({ stdout, stderr }) };
}

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
      const run = runMain(
        {
          MEDIASOUP_WORKER_BIN: process.env.MEDIASOUP_WORKER_BIN,
          TONGKE_DATA_DIR: dataDir,
          TONGKE_PORT: '0',
          TONGKE_RTC_PORT: '0',
          TONGKE_HOST: '127.0.0.1',
          TONGKE_NUM_WORKERS: '1',
          TONGKE_LOG_LEVEL: 'warn',
        },
        /Stop with Ctrl\+C/,
      );
      await run.ready;
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
