import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { killOnExit, onCleanup } from './cleanup.js';

const run = promisify(execFile);

/**
 * A NIC-like way out for the bulk classrooms (`--egress tun`). On loopback the kernel runs
 * the whole receive path (softirq → IP → UDP → socket) in the sending worker's context,
 * which a server's real NIC never does. Here the bulk classrooms sit behind a tun device:
 * the worker's packets go through the same UDP/IP output path and then into the device's
 * queue, as into a NIC's transmit ring. Nothing reads the queue, so once it is full the
 * device drops at its transmit step, where a NIC would hand the packet to the wire (no
 * DMA or doorbell here: a little optimistic). The sampled classrooms stay on loopback and
 * keep measuring loss.
 */
export interface TunEgress {
  name: string;
  /** The worker's bulk transports listen here (an address of the tun device). */
  localIp: string;
  /** The bulk classrooms' address: routed out through the device. */
  remoteIp: string;
  txDropped(): number;
}

/**
 * The device lives as long as this helper holds its file descriptor (no `persist`): if the
 * benchmark dies, the kernel removes it. Python because Node has no ioctl().
 */
const ATTACH = `
import fcntl, os, signal, struct, sys
fd = os.open('/dev/net/tun', os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack('16sH', sys.argv[1].encode(), 0x0001 | 0x1000))  # TUNSETIFF, IFF_TUN | IFF_NO_PI
print('attached', flush=True)
signal.pause()
`;

export async function startTunEgress(): Promise<TunEgress> {
  const name = `tkbench${process.pid % 10000}`;
  const localIp = '10.213.0.1';
  const remoteIp = '10.213.0.2';
  const helper = spawn('python3', ['-c', ATTACH, name], { stdio: ['ignore', 'pipe', 'pipe'] });
  if (helper.pid === undefined) throw new Error('could not start python3 for the tun device');
  const forget = killOnExit(helper.pid);
  const exited = new Promise<void>((resolve) => helper.once('exit', () => resolve()));
  onCleanup('tun device', async () => {
    forget();
    helper.kill('SIGTERM');
    // The next phase may create the device again under the same name.
    await exited;
  });
  await new Promise<void>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`tun device ${name} not attached within 5 s: ${err}`)), 5_000);
    helper.stderr.on('data', (d: Buffer) => (err += d.toString()));
    helper.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('attached')) {
        clearTimeout(timer);
        resolve();
      }
    });
    helper.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tun helper exited (${code}): ${err.trim() || 'needs root and /dev/net/tun'}`));
    });
  });
  await run('ip', ['addr', 'add', `${localIp}/24`, 'dev', name]);
  await run('ip', ['link', 'set', name, 'up']);
  return {
    name,
    localIp,
    remoteIp,
    txDropped: () => Number(readFileSync(`/sys/class/net/${name}/statistics/tx_dropped`, 'utf8')),
  };
}
