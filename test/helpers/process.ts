import { spawn } from 'node:child_process';

/**
 * Runs the real entry point (`node --import tsx server/main.ts`) as a user would, with only
 * the given environment (plus PATH and HOME). `untilOutput` makes `ready` resolve once stdout
 * matches it (e.g. the demo's "Stop with Ctrl+C"); tests and benchmarks parse stdout after.
 */
export function runMain(env: NodeJS.ProcessEnv, untilOutput?: RegExp, timeoutMs = 30_000) {
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
        const fail = (why: string) => reject(new Error(`${why}; stdout=${stdout} stderr=${stderr}`));
        const timer = setTimeout(() => fail('no match'), timeoutMs);
        child.stdout.on('data', () => {
          if (untilOutput.test(stdout)) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('exit', (code) => {
          clearTimeout(timer);
          fail(`server exited ${code}`);
        });
      })
    : Promise.resolve();
  return { child, exited, ready, out: () => ({ stdout, stderr }) };
}

/** A demo server on loopback with free ports, in `dataDir`; resolves once its links are printed. */
export async function startMainOnLoopback(dataDir: string, extra: NodeJS.ProcessEnv = {}) {
  const run = runMain(
    {
      MEDIASOUP_WORKER_BIN: process.env.MEDIASOUP_WORKER_BIN,
      TONGKE_DATA_DIR: dataDir,
      TONGKE_PORT: '0',
      TONGKE_RTC_PORT: '0',
      TONGKE_HOST: '127.0.0.1',
      TONGKE_NUM_WORKERS: '1',
      TONGKE_LOG_LEVEL: 'warn',
      ...extra,
    },
    /Stop with Ctrl\+C/,
  );
  await run.ready;
  const { stdout } = run.out();
  return {
    ...run,
    url: /running at (http:\/\/\S+)/.exec(stdout)![1]!,
    lessonId: /Demo lesson: .* \(([A-Za-z0-9_-]+)\)/.exec(stdout)![1]!,
    /** The tokens of the printed links, by page, in order. */
    tokens: (page: 'teacher' | 'classroom' | 'admin') =>
      [...stdout.matchAll(new RegExp(`/${page}\\.html#token=(\\S+)`, 'g'))].map((m) => m[1]!),
  };
}
