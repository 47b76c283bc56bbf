import dgram from 'node:dgram';
import { onCleanup } from './cleanup.js';

/**
 * ffmpeg sends each RTP output from its own socket, but a simulcast producer's encodings
 * must all arrive on one PlainTransport from one address (comedia locks onto the first).
 * The relay gives ffmpeg one RTP/RTCP port pair per layer and forwards everything from a
 * single RTP socket and a single RTCP socket. A few hundred packets a second: negligible.
 *
 * It also paces the RTP as a browser does. ffmpeg writes each video frame out as one burst;
 * Chrome's pacer (libwebrtc PacingController: a leaky bucket at 2.5× the target bitrate,
 * run every 5 ms) spreads a frame's packets over several milliseconds. The worker sends each
 * packet to every classroom before it reads the next, so bursts would queue there and
 * overstate what the SFU adds to a browser teacher's latency.
 */
export interface RelayInput {
  rtpPort: number;
  rtcpPort: number;
}

export interface RelayOptions {
  /** Sees each RTP packet of an input right as it is sent on (after pacing). */
  onForward?: (input: number, rtp: Buffer) => void;
  /** Pacing rate, bit/s; 0 forwards at once. */
  pacingBps?: number;
}

/** libwebrtc's pacer: how often it wakes, and its rate over the encoder's target. */
export const PACING_INTERVAL_MS = 5;
export const PACING_FACTOR = 2.5;

const bind = (): Promise<dgram.Socket> =>
  new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      s.off('error', reject);
      resolve(s);
    });
  });

export async function startRtpRelay(
  target: { rtpPort: number; rtcpPort: number },
  inputs: number,
  { onForward = () => {}, pacingBps = 0 }: RelayOptions = {},
): Promise<RelayInput[]> {
  const rtpOut = await bind();
  const rtcpOut = await bind();
  const sockets = [rtpOut, rtcpOut];
  const send = (input: number, rtp: Buffer) => {
    onForward(input, rtp);
    rtpOut.send(rtp, target.rtpPort, '127.0.0.1');
  };
  const pacer = pacingBps > 0 ? startPacer(pacingBps, send) : null;
  onCleanup('rtp relay', () => {
    pacer?.stop();
    sockets.forEach((s) => s.close());
  });
  const result: RelayInput[] = [];
  for (let i = 0; i < inputs; i++) {
    const rtpIn = await bind();
    const rtcpIn = await bind();
    sockets.push(rtpIn, rtcpIn);
    rtpIn.on('message', (msg) => (pacer ? pacer.enqueue(i, msg) : send(i, msg)));
    rtcpIn.on('message', (msg) => rtcpOut.send(msg, target.rtcpPort, '127.0.0.1'));
    result.push({ rtpPort: rtpIn.address().port, rtcpPort: rtcpIn.address().port });
  }
  return result;
}

/** A leaky bucket: every PACING_INTERVAL_MS, send what the rate allows since the last wake (a packet may overdraw it). */
function startPacer(bps: number, send: (input: number, rtp: Buffer) => void) {
  const queue: { input: number; rtp: Buffer }[] = [];
  let head = 0;
  let budgetBytes = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    budgetBytes = Math.min(budgetBytes + ((now - last) / 1000) * (bps / 8), (bps / 8) * (PACING_INTERVAL_MS / 1000) * 4);
    last = now;
    while (head < queue.length && budgetBytes > 0) {
      const p = queue[head++]!;
      budgetBytes -= p.rtp.length;
      send(p.input, p.rtp);
    }
    if (head === queue.length) {
      queue.length = 0;
      head = 0;
      budgetBytes = Math.min(budgetBytes, 0);
    }
  }, PACING_INTERVAL_MS);
  return {
    enqueue: (input: number, rtp: Buffer) => queue.push({ input, rtp }),
    stop: () => clearInterval(timer),
  };
}
