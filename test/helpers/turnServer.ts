import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, createServer } from 'node:net';

/** A TCP port free on `host` now (the relay binds it right after). */
async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const canConnect = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect({ host, port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

export interface TurnRelay {
  host: string;
  port: number;
  secret: string;
  /** The relay's own log (allocations, permissions), for a failing test to print. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Debian's coturn as a school's TURN relay would run it: REST credentials under a shared
 * secret (`use-auth-secret`), plain TURN on one TCP (and UDP) port, relaying to `host`.
 * scripts/setup installs it.
 */
export async function startTurnRelay(host: string): Promise<TurnRelay> {
  const port = await freePort(host);
  const secret = randomBytes(24).toString('hex');
  let log = '';
  const child: ChildProcess = spawn(
    'turnserver',
    [
      '-n',
      `--listening-ip=${host}`,
      `--relay-ip=${host}`,
      `--listening-port=${port}`,
      '--min-port=49700',
      '--max-port=49899',
      '--use-auth-secret',
      `--static-auth-secret=${secret}`,
      '--realm=tongke.test',
      `--allowed-peer-ip=${host}`,
      '--no-tls',
      '--no-dtls',
      '--no-cli',
      '--fingerprint',
      '--no-software-attribute',
      '--log-file=stdout',
      '--simple-log',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (d) => (log += d));
  child.stderr?.on('data', (d) => (log += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(host, port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`coturn did not start on ${host}:${port} (is it installed? scripts/setup installs it):\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    host,
    port,
    secret,
    log: () => log,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
