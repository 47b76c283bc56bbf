/**
 * WebRTC in Node for the benchmark (@roamhq/wrtc): the browser globals mediasoup-client's
 * Chrome111 handler needs, a synthetic 720p camera that stamps its send time into every
 * frame, a synthetic Opus source, and a sink that reads the stamps back.
 */
import wrtc from '@roamhq/wrtc';
import { elapsedMs, readStamp, toStamp, writeStamp } from './stamp.js';

const { RTCVideoSource, RTCVideoSink, RTCAudioSource } = wrtc.nonstandard;

let installed = false;

/** Puts wrtc's RTCPeerConnection & co. where mediasoup-client looks for them (globalThis). */
export function installWebRtcGlobals(): void {
  if (installed) return;
  installed = true;
  const g = globalThis as Record<string, unknown>;
  for (const name of ['RTCPeerConnection', 'RTCSessionDescription', 'RTCIceCandidate', 'MediaStream', 'MediaStreamTrack', 'RTCRtpSender', 'RTCRtpReceiver', 'RTCRtpTransceiver'] as const) {
    g[name] ??= (wrtc as unknown as Record<string, unknown>)[name];
  }
}

export const WIDTH = 1280;
export const HEIGHT = 720;
export const FPS = 25;

export interface SyntheticCamera {
  video: MediaStreamTrack;
  audio: MediaStreamTrack;
  framesSent: () => number;
  stop(): void;
}

/**
 * 720p25 frames with full-frame motion (a scrolling texture, so the encoder does real work)
 * and the send time (performance.now()) stamped on top; 10 ms of a 440 Hz tone for Opus.
 * Both loops stop by themselves after `maxSeconds`.
 */
export function startSyntheticCamera(maxSeconds: number): SyntheticCamera {
  const videoSource = new RTCVideoSource();
  const audioSource = new RTCAudioSource();
  const ySize = WIDTH * HEIGHT;
  // Twice the height of texture, so each frame is one memcpy of a scrolled window.
  const texture = new Uint8Array(ySize * 2);
  for (let r = 0; r < HEIGHT * 2; r++) {
    for (let c = 0; c < WIDTH; c++) texture[r * WIDTH + c] = 40 + ((((r >> 3) ^ (c >> 3)) * 37 + r * 3 + c) & 0x7f);
  }
  const data = new Uint8Array((ySize * 3) / 2).fill(128);
  let frames = 0;
  const deadline = performance.now() + maxSeconds * 1000;
  const video = setInterval(() => {
    if (performance.now() > deadline) return stop();
    const scroll = (frames * 8) % HEIGHT;
    data.set(texture.subarray(scroll * WIDTH, scroll * WIDTH + ySize), 0);
    const now = performance.now();
    writeStamp(data, WIDTH, HEIGHT, toStamp(now));
    videoSource.onFrame({ width: WIDTH, height: HEIGHT, data });
    frames++;
  }, 1000 / FPS);
  const sampleRate = 48_000;
  const samples = new Int16Array(sampleRate / 100);
  let phase = 0;
  const audio = setInterval(() => {
    for (let i = 0; i < samples.length; i++) samples[i] = Math.round(3000 * Math.sin((2 * Math.PI * 440 * phase++) / sampleRate));
    audioSource.onData({ samples, sampleRate, bitsPerSample: 16, channelCount: 1, numberOfFrames: samples.length });
  }, 10);
  const videoTrack = videoSource.createTrack() as unknown as MediaStreamTrack;
  const audioTrack = audioSource.createTrack() as unknown as MediaStreamTrack;
  function stop(): void {
    clearInterval(video);
    clearInterval(audio);
  }
  return { video: videoTrack, audio: audioTrack, framesSent: () => frames, stop };
}

export interface StampReader {
  /** performance.now() of the first decoded frame, null before it. */
  firstFrameAt: () => number | null;
  frames: () => number;
  /** One-way latencies (ms) of frames whose stamp read back, and the widths they came at. */
  latencies: number[];
  /** Stamp → latency, to pair the same frame across two paths. */
  byStamp: Map<number, number>;
  widths: Map<number, number>;
  unreadable: () => number;
  /** Forgets the samples so far, for a new sampling window. */
  reset(): void;
  stop(): void;
}

/**
 * Watches a received video track. `onFirstFrame` fires on the first decoded frame; stamps
 * are read only while `reading()` is true (reading a 720p luma block costs a little CPU).
 */
export function readFrames(track: MediaStreamTrack, opts: { reading: () => boolean; onFirstFrame?: () => void; maxSamples?: number }): StampReader {
  const sink = new RTCVideoSink(track as never);
  let first: number | null = null;
  let frames = 0;
  let unreadable = 0;
  const latencies: number[] = [];
  const byStamp = new Map<number, number>();
  const widths = new Map<number, number>();
  const max = opts.maxSamples ?? 10_000;
  let stopped = false;
  sink.onframe = (ev: { frame: { width: number; height: number; data: Uint8Array } }) => {
    const now = performance.now();
    frames++;
    if (first === null) {
      first = now;
      opts.onFirstFrame?.();
    }
    if (!opts.reading() || latencies.length >= max) return;
    const { width, height, data } = ev.frame;
    const stamp = readStamp(data, width, height);
    if (stamp === null) {
      unreadable++;
      return;
    }
    const ms = elapsedMs(stamp, now);
    latencies.push(ms);
    byStamp.set(stamp, ms);
    widths.set(width, (widths.get(width) ?? 0) + 1);
  };
  return {
    firstFrameAt: () => first,
    frames: () => frames,
    latencies,
    byStamp,
    widths,
    unreadable: () => unreadable,
    reset: () => {
      latencies.length = 0;
      byStamp.clear();
      widths.clear();
      unreadable = 0;
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      sink.stop();
    },
  };
}
