import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import readline from 'node:readline';
import type { types } from 'mediasoup';
import { buildC } from './cbuild.js';

/** A handshake on loopback takes milliseconds; past this the worker is not answering. */
const ANSWER_TIMEOUT_MS = 15_000;

/**
 * The far ends of the WebRTC bulk classrooms (--bulk-transport webrtc): one child process
 * (scripts/bench/icedtls.c, on the generator's core) that, for each classroom, does what a
 * browser does before mediasoup sends it media (one ICE binding request, a DTLS-SRTP handshake),
 * then leaves the socket unread, or tallies its RTP when asked to. Commands go one at a time,
 * answered in order; one left unanswered ends the process, as every later answer would be
 * another command's.
 */
export class IceDtlsPeers {
  private queue: Promise<unknown> = Promise.resolve();
  private broken: Error | null = null;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly lines: AsyncIterator<string>,
    /** The certificate every classroom presents (mediasoup checks it by fingerprint). */
    readonly fingerprint: types.DtlsFingerprint,
  ) {}

  /** `core`: the one it runs on (the benchmark keeps the worker's core free), or any. */
  static async start(core: number | null = null): Promise<IceDtlsPeers> {
    const bin = await buildC('icedtls', ['-lssl', '-lcrypto']);
    const [command, args] = core === null ? [bin, []] : ['taskset', ['-c', String(core), bin]];
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await lines.next();
    const match = /^fingerprint (sha-256) ([0-9A-F:]+)$/.exec(first.done ? '' : first.value);
    if (!match) {
      child.kill();
      throw new Error(`icedtls did not start: ${stderr.trim() || (first.done ? 'no output' : first.value)}`);
    }
    return new IceDtlsPeers(child, lines, { algorithm: 'sha-256', value: match[2]! });
  }

  /**
   * Connects classroom `id` to `transport` (already given our fingerprint): resolves once
   * mediasoup's DTLS is up. A `read` classroom tallies its RTP for `count`.
   */
  connect(id: number, transport: types.WebRtcTransport, serverPort: number, read = false): Promise<void> {
    const { usernameFragment, password } = transport.iceParameters;
    const answered = this.ask(`add ${id} ${serverPort} ${usernameFragment} ${password}${read ? ' read' : ''}`);
    return answered.then(async (answer) => {
      if (answer !== `ok ${id}`) throw new Error(`bulk classroom ${id}: ${answer}`);
      await dtlsConnected(transport);
    });
  }

  /** A read classroom's RTP so far: packets received, expected from the sequence numbers, and out of order. */
  async count(id: number): Promise<{ received: number; expected: number; reordered: number }> {
    const answer = await this.ask(`count ${id}`);
    const m = /^count (\d+) (\d+) (\d+) (\d+)$/.exec(answer);
    if (!m || Number(m[1]) !== id) throw new Error(`bulk classroom ${id}: ${answer}`);
    return { received: Number(m[2]), expected: Number(m[3]), reordered: Number(m[4]) };
  }

  drop(id: number): void {
    if (!this.child.killed) this.child.stdin.write(`drop ${id}\n`);
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }

  private ask(command: string): Promise<string> {
    const next = this.queue.then(async () => {
      if (this.broken) throw this.broken;
      this.child.stdin.write(`${command}\n`);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          this.broken = new Error(`icedtls gave no answer to "${command.split(' ')[0]}" in ${ANSWER_TIMEOUT_MS} ms`);
          this.child.kill();
          reject(this.broken);
        }, ANSWER_TIMEOUT_MS);
      });
      try {
        const line = await Promise.race([this.lines.next(), timeout]);
        if (line.done) throw (this.broken = new Error('icedtls exited'));
        return line.value;
      } finally {
        clearTimeout(timer);
      }
    });
    this.queue = next.catch(() => {});
    return next;
  }
}

/** The worker's side reports its DTLS state asynchronously, after the child's handshake ends. */
function dtlsConnected(transport: types.WebRtcTransport): Promise<void> {
  if (transport.dtlsState === 'connected') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      transport.off('dtlsstatechange', onState);
      reject(new Error(`DTLS ${transport.dtlsState} after the handshake`));
    }, ANSWER_TIMEOUT_MS);
    const onState = (state: types.DtlsState) => {
      if (state === 'connecting') return;
      clearTimeout(timer);
      transport.off('dtlsstatechange', onState);
      if (state === 'connected') resolve();
      else reject(new Error(`DTLS ${state}`));
    };
    transport.on('dtlsstatechange', onState);
  });
}

/** The UDP port a worker's WebRtcServer listens on, where the far ends send their ICE and DTLS. */
export async function udpPortOf(server: types.WebRtcServer): Promise<number> {
  const dump = (await server.dump()) as { udpSockets?: { ip: string; port: number }[] };
  const port = dump.udpSockets?.[0]?.port;
  if (!port) throw new Error("the worker's WebRtcServer listens on no UDP port");
  return port;
}
