import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { types } from 'mediasoup';
import { killOnExit, onCleanup } from './cleanup.js';
import { CAMERA_SIMULCAST } from '../../client/lib/media.js';
import { ForwardingLatency } from './forwardingLatency.js';
import { PACING_FACTOR, startRtpRelay } from './rtpRelay.js';
import { GENERATOR_CORE, sleep } from './system.js';

const run = promisify(execFile);

export const VIDEO_PT = 101;
export const AUDIO_PT = 100;
/** One SSRC per simulcast layer, lowest first as mediasoup orders encodings. */
const VIDEO_SSRCS = [0x11223340, 0x11223341, 0x11223342];
const AUDIO_SSRC = 0x55667788;

export type PublisherShape = 'simulcast' | 'single';

/** The layers the bench publishes: the teacher page's own (client/lib/media.ts), top layer at `topKbps`. */
export function publishedLayers(shape: PublisherShape, topKbps: number): { width: number; height: number; kbps: number }[] {
  const layers = shape === 'simulcast' ? CAMERA_SIMULCAST : CAMERA_SIMULCAST.slice(-1);
  return layers.map((l, i) => {
    const down = l.scaleResolutionDownBy ?? 1;
    const kbps = i === layers.length - 1 ? topKbps : Math.round((l.maxBitrate ?? 0) / 1000);
    return { width: Math.round(1280 / down), height: Math.round(720 / down), kbps };
  });
}

/**
 * A 10 s 720p25 VP8 + Opus clip, encoded once and looped: streaming it with `-c copy`
 * costs ffmpeg almost nothing, so the benchmark measures the SFU and not an encoder.
 * Simulcast: the teacher page's three layers (320×180, 640×360, 1280×720) as three VP8
 * streams of one file. A key frame every 2 s (-g 50), as a browser sends after a PLI storm at most.
 */
export async function ensureTestFile(dir: string, shape: PublisherShape, topKbps: number): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const layers = publishedLayers(shape, topKbps);
  const file = path.join(dir, `teacher-720p25-vp8-${layers.map((l) => l.kbps).join('-')}k-opus.mkv`);
  if (existsSync(file)) return file;
  const partial = `${file}.partial.mkv`;
  const split = `[0:v]split=${layers.length}${layers.map((_, i) => `[s${i}]`).join('')};` +
    layers.map((l, i) => `[s${i}]scale=${l.width}:${l.height}[v${i}]`).join(';');
  const perLayer = layers.flatMap((l, i) => {
    const rate = `${l.kbps}k`;
    // Near-constant bitrate, like a camera track held at its simulcast layer's maxBitrate.
    return ['-map', `[v${i}]`, `-b:v:${i}`, rate, `-minrate:v:${i}`, rate, `-maxrate:v:${i}`, rate, `-bufsize:v:${i}`, rate];
  });
  await run('taskset', [
    '-c', String(GENERATOR_CORE),
    'ffmpeg', '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25:duration=10',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=10',
    '-filter_complex', split,
    ...perLayer,
    '-map', '1:a',
    '-c:v', 'libvpx', '-g', '50', '-keyint_min', '50', '-deadline', 'realtime', '-cpu-used', '8',
    '-c:a', 'libopus', '-b:a', '64k', '-ac', '2', '-ar', '48000',
    partial,
  ], { timeout: 180_000 });
  renameSync(partial, file);
  return file;
}

export interface Publisher {
  video: types.Producer;
  audio: types.Producer;
  /**
   * When each top-layer packet went to the worker, for classrooms to match what they receive;
   * null for a single-layer publisher (ffmpeg sends straight to the worker, no relay to watch).
   */
  forwarding: ForwardingLatency | null;
}

/**
 * One PlainTransport per kind, learning its sender's address from the first packets. RTCP
 * is not multiplexed: ffmpeg sends its sender reports from a second socket, and with one
 * port comedia would lock onto whichever socket spoke first and drop the other's packets.
 */
async function ingest(router: types.Router): Promise<types.PlainTransport> {
  return router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: false, comedia: true });
}

function rtcpPortOf(t: types.PlainTransport): number {
  const rtcpPort = t.rtcpTuple?.localPort;
  if (rtcpPort === undefined) throw new Error('publisher transport has no RTCP port');
  return rtcpPort;
}

// 1200-byte packets, like a browser's.
const rtpUrl = (rtpPort: number, rtcpPort: number) => `rtp://127.0.0.1:${rtpPort}?rtcpport=${rtcpPort}&pkt_size=1200`;

/**
 * Streams the test file in real time into the router: ffmpeg sends each VP8 layer and Opus
 * as RTP outputs (the layers through a relay, so they reach one transport from one address),
 * and the producers' parameters say the same payload types and SSRCs ffmpeg was told to use.
 */
export async function startPublisher(router: types.Router, file: string, shape: PublisherShape, topKbps: number): Promise<Publisher> {
  const videoIn = await ingest(router);
  const audioIn = await ingest(router);
  onCleanup('publisher transports', () => {
    videoIn.close();
    audioIn.close();
  });
  const ssrcs = shape === 'simulcast' ? VIDEO_SSRCS : VIDEO_SSRCS.slice(-1);
  const video = await videoIn.produce({
    kind: 'video',
    rtpParameters: {
      codecs: [{ mimeType: 'video/VP8', payloadType: VIDEO_PT, clockRate: 90000, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }] }],
      encodings: ssrcs.map((ssrc) => ({ ssrc })),
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
  const videoTarget = { rtpPort: videoIn.tuple.localPort, rtcpPort: rtcpPortOf(videoIn) };
  const forwarding = ssrcs.length > 1 ? new ForwardingLatency() : null;
  const top = ssrcs.length - 1;
  const layerInputs =
    ssrcs.length > 1
      ? await startRtpRelay(videoTarget, ssrcs.length, {
          onForward: (input, rtp) => input === top && forwarding?.onSent(rtp, performance.now()),
          pacingBps: PACING_FACTOR * publishedLayers(shape, topKbps).reduce((t, l) => t + l.kbps * 1000, 0),
        })
      : [videoTarget];
  const videoOutputs = ssrcs.flatMap((ssrc, i) => [
    '-map', `0:v:${i}`, '-c', 'copy', '-f', 'rtp', '-ssrc', String(ssrc), '-payload_type', String(VIDEO_PT),
    rtpUrl(layerInputs[i]!.rtpPort, layerInputs[i]!.rtcpPort),
  ]);
  const ffmpeg = spawn(
    'taskset',
    [
      '-c', String(GENERATOR_CORE),
      'ffmpeg', '-hide_banner', '-loglevel', 'error', '-nostdin',
      '-re', '-stream_loop', '-1', '-i', file,
      ...videoOutputs,
      '-map', '0:a', '-c', 'copy', '-f', 'rtp', '-ssrc', String(AUDIO_SSRC), '-payload_type', String(AUDIO_PT),
      rtpUrl(audioIn.tuple.localPort, rtcpPortOf(audioIn)),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  watchChild(ffmpeg, 'ffmpeg publisher');
  await waitForPackets(video, audio, 10_000);
  return { video, audio, forwarding };
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
