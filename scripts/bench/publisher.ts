import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { types } from 'mediasoup';
import { killOnExit, onCleanup } from './cleanup.js';
import { sleep } from './system.js';

const run = promisify(execFile);

export const VIDEO_PT = 101;
export const AUDIO_PT = 100;
const VIDEO_SSRC = 0x11223344;
const AUDIO_SSRC = 0x55667788;
/** ffmpeg runs here, beside the load generator, never on the worker's core. */
const PUBLISHER_CORE = 1;

/**
 * A 10 s 720p25 VP8 + Opus clip, encoded once and looped: streaming it with `-c copy`
 * costs ffmpeg almost nothing, so the benchmark measures the SFU and not an encoder.
 * A key frame every 2 s (-g 50), as a browser sends after a PLI storm at most.
 */
export async function ensureTestFile(dir: string, videoKbps: number): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `teacher-720p25-vp8-${videoKbps}k-opus.webm`);
  if (existsSync(file)) return file;
  const partial = `${file}.partial.webm`;
  const rate = `${videoKbps}k`;
  await run('taskset', [
    '-c', String(PUBLISHER_CORE),
    'ffmpeg', '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25:duration=10',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=10',
    '-map', '0:v', '-map', '1:a',
    // Near-constant bitrate, like a camera track at the top simulcast layer.
    '-c:v', 'libvpx', '-b:v', rate, '-minrate', rate, '-maxrate', rate, '-bufsize', rate,
    '-g', '50', '-keyint_min', '50', '-deadline', 'realtime', '-cpu-used', '8',
    '-c:a', 'libopus', '-b:a', '64k', '-ac', '2', '-ar', '48000',
    partial,
  ], { timeout: 120_000 });
  renameSync(partial, file);
  return file;
}

export interface Publisher {
  video: types.Producer;
  audio: types.Producer;
}

/**
 * One PlainTransport per stream, learning ffmpeg's addresses from its first packets. RTCP
 * is not multiplexed: ffmpeg sends its sender reports from a second socket, and with one
 * port comedia would lock onto whichever socket spoke first and drop the other's packets.
 */
async function ingest(router: types.Router): Promise<types.PlainTransport> {
  return router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: false, comedia: true });
}

function rtpUrl(t: types.PlainTransport): string {
  const rtcpPort = t.rtcpTuple?.localPort;
  if (rtcpPort === undefined) throw new Error('publisher transport has no RTCP port');
  // 1200-byte packets, like a browser's.
  return `rtp://127.0.0.1:${t.tuple.localPort}?rtcpport=${rtcpPort}&pkt_size=1200`;
}

/**
 * Streams the test file in real time into the router: ffmpeg sends VP8 and Opus as two
 * RTP outputs, each into its own PlainTransport, and the producers' parameters say the
 * same payload types and SSRCs ffmpeg was told to use.
 */
export async function startPublisher(router: types.Router, file: string): Promise<Publisher> {
  const videoIn = await ingest(router);
  const audioIn = await ingest(router);
  onCleanup('publisher transports', () => {
    videoIn.close();
    audioIn.close();
  });
  const video = await videoIn.produce({
    kind: 'video',
    rtpParameters: {
      codecs: [{ mimeType: 'video/VP8', payloadType: VIDEO_PT, clockRate: 90000, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }] }],
      encodings: [{ ssrc: VIDEO_SSRC }],
      rtcp: { cname: 'bench-teacher' },
    },
  });
  const audio = await audioIn.produce({
    kind: 'audio',
    rtpParameters: {
      codecs: [{ mimeType: 'audio/opus', payloadType: AUDIO_PT, clockRate: 48000, channels: 2 }],
      encodings: [{ ssrc: AUDIO_SSRC }],
      rtcp: { cname: 'bench-teacher' },
    },
  });
  const ffmpeg = spawn(
    'taskset',
    [
      '-c', String(PUBLISHER_CORE),
      'ffmpeg', '-hide_banner', '-loglevel', 'error', '-nostdin',
      '-re', '-stream_loop', '-1', '-i', file,
      '-map', '0:v', '-c', 'copy', '-f', 'rtp', '-ssrc', String(VIDEO_SSRC), '-payload_type', String(VIDEO_PT), rtpUrl(videoIn),
      '-map', '0:a', '-c', 'copy', '-f', 'rtp', '-ssrc', String(AUDIO_SSRC), '-payload_type', String(AUDIO_PT), rtpUrl(audioIn),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  watchChild(ffmpeg, 'ffmpeg publisher');
  await waitForPackets(video, audio, 10_000);
  return { video, audio };
}

function watchChild(child: ChildProcess, name: string): void {
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name} did not start`);
  const forget = killOnExit(pid);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopping = false;
  child.once('exit', (code, signal) => {
    forget();
    if (!stopping) process.stderr.write(`${name} exited early (code ${code}, signal ${signal}): ${stderr}\n`);
  });
  onCleanup(name, async () => {
    stopping = true;
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(timer);
  });
}

/** The ramp must not start before media really arrives: both producers must count packets. */
async function waitForPackets(video: types.Producer, audio: types.Producer, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const [v, a] = await Promise.all([producerPackets(video), producerPackets(audio)]);
    if (v > 50 && a > 10) return;
    await sleep(250);
  }
  throw new Error('the publisher sent no RTP within 10 s: check ffmpeg and the PlainTransports');
}

export async function producerPackets(p: types.Producer): Promise<number> {
  return (await p.getStats()).reduce((n, s) => n + s.packetCount, 0);
}

export interface IngressCounters {
  bytes: number;
  packets: number;
  lost: number;
  nacks: number;
}

/** What the worker received from the publisher: its bitrate, and loss on the way in. */
export async function ingressCounters(pub: Publisher): Promise<IngressCounters> {
  const stats = (await Promise.all([pub.video.getStats(), pub.audio.getStats()])).flat();
  return stats.reduce(
    (t, s) => ({ bytes: t.bytes + s.byteCount, packets: t.packets + s.packetCount, lost: t.lost + s.packetsLost, nacks: t.nacks + s.nackCount }),
    { bytes: 0, packets: 0, lost: 0, nacks: 0 },
  );
}
