import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import type { types } from 'mediasoup';
import type { PooledWorker, WorkerPool } from '../../server/media/workerPool.js';
import type { Flags } from './flags.js';
import type { Publisher } from './publisher.js';
import type { ForwardingLatency } from './forwardingLatency.js';
import { FEEDBACK_INTERVAL_MS, TccFeedbackBuilder, transportWideSeq } from './tccFeedback.js';
import { SeqGapTracker, type GapTotals } from './seqGaps.js';
import { startTunEgress, type TunEgress } from './tunEgress.js';
import { IceDtlsPeers, udpPortOf } from './iceDtlsPeers.js';
import { GENERATOR_CORE } from './system.js';

/**
 * Bulk receiving classrooms for the benchmark only (never reachable from the public API). By
 * default (--bulk-transport webrtc) each is what a browser's classroom is to the worker: a
 * WebRtcTransport on its WebRtcServer, ICE and DTLS-SRTP done by IceDtlsPeers. With
 * --bulk-transport plain, and for the latency readers always, each is a PlainTransport (with
 * SRTP unless plain RTP is asked), sending to a UDP socket of this process. Either way the
 * worker encrypts every packet as for a browser; most sockets are never read, and a few are
 * read and checked for sequence gaps.
 */
export interface BulkClassroom {
  index: number;
  /** Null behind the tun device or on a WebRtcTransport: nothing of ours receives there. */
  socket: dgram.Socket | null;
  transport: types.PlainTransport | types.WebRtcTransport;
  consumers: types.Consumer[];
  /** Only the sampled classrooms read their socket (or their far end counts for them). */
  tracker: { totals(): GapTotals } | null;
  /** Stops what runs beside the classroom (its feedback timer). */
  stop: () => void;
}

/**
 * The suite Chromium negotiates with mediasoup 3.12 over DTLS (mediasoup offers it first and
 * OpenSSL keeps the server's preference); test/e2e/liveLesson.test.ts checks it still does. The
 * bulk receivers use it by default so the worker pays per packet what it pays for a browser.
 */
export const BROWSER_SRTP_SUITE = 'AEAD_AES_256_GCM' as const;
export const SRTP_SUITES = ['AEAD_AES_256_GCM', 'AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80'] as const;
export type SrtpSuite = (typeof SRTP_SUITES)[number];
/** Master key + salt: RFC 7714 (AEAD: 12-byte salt), RFC 3711 (AES-CM: 14-byte salt). */
const MASTER_KEY_BYTES: Record<SrtpSuite, number> = {
  AEAD_AES_256_GCM: 32 + 12,
  AEAD_AES_128_GCM: 16 + 12,
  AES_CM_128_HMAC_SHA1_80: 16 + 14,
};

/** A small receive buffer for unread sockets: they only need to exist, not to hold 200 KB each. */
const UNREAD_RCVBUF = 16 * 1024;
const READ_RCVBUF = 1024 * 1024;

/**
 * How bulk classrooms take part in congestion control. `none`: the router's own capabilities
 * without it (transport-cc, REMB), since nobody here sends the feedback it needs; with it, the
 * worker's estimate would stay at its 600 kbit/s start and hold every simulcast consumer on the
 * middle layer. `transport-cc`: as a browser negotiates, so the worker does a browser's
 * classroom's per-packet work (a transport-wide sequence number, the send-side history, a send
 * callback), but no feedback comes back: the estimate stays at its start, so simulcast consumers
 * stay low (a minimum outgoing bitrate does not lift it without feedback; tried at 2.4 and 5
 * Mbit/s), and the history keeps 60 s of packets. `transport-cc-feedback`: as `transport-cc`, and every classroom reads its packets and sends
 * transport-cc feedback every 100 ms as a browser does (tccFeedback.ts); such classrooms
 * receive plain RTP (no SRTP), since the feedback cannot be encrypted here.
 */
export const CONGESTION_CONTROL = ['none', 'transport-cc', 'transport-cc-feedback'] as const;
export type CongestionControl = (typeof CONGESTION_CONTROL)[number];

export function receiverCapabilities(router: types.Router, cc: CongestionControl = 'none'): types.RtpCapabilities {
  const caps = router.rtpCapabilities;
  const dropFeedback = new Set(cc === 'none' ? ['transport-cc', 'goog-remb'] : ['goog-remb']);
  const dropExtension = (uri: string) => uri.includes('abs-send-time') || (cc === 'none' && uri.includes('transport-wide-cc'));
  return {
    codecs: caps.codecs?.map((c) => ({ ...c, rtcpFeedback: c.rtcpFeedback?.filter((f) => !dropFeedback.has(f.type)) })),
    headerExtensions: caps.headerExtensions?.filter((h) => !dropExtension(h.uri)),
  };
}

function bindSocket(read: boolean): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: read ? READ_RCVBUF : UNREAD_RCVBUF });
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      socket.off('error', reject);
      if (!read) stopReading(socket);
      resolve(socket);
    });
  });
}

/**
 * Node starts reading every bound UDP socket, listener or not: left alone, this process
 * would receive all the fan-out (hundreds of thousands of packets a second) and take the
 * core ffmpeg needs. Node has no public API to stop, so this calls its handle's recvStop()
 * (Node 20 keeps the handle under the 'state symbol'); the kernel then just queues and drops.
 */
function stopReading(socket: dgram.Socket): void {
  const stateKey = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  const state = stateKey ? (socket as unknown as Record<symbol, { handle?: { recvStop?: () => number } }>)[stateKey] : undefined;
  if (typeof state?.handle?.recvStop !== 'function') {
    throw new Error('cannot stop reading a UDP socket on this Node version: bulk receivers would be read');
  }
  state.handle.recvStop();
}

export interface BulkTarget {
  pool: WorkerPool;
  pooled: PooledWorker;
  router: types.Router;
  producers: types.Producer[];
  caps: types.RtpCapabilities;
  cc: CongestionControl;
  /** Every classroom receives plain RTP (no SRTP). */
  plainRtp: boolean;
  /** The simulcast layer classrooms ask for (a layer the estimate allows is what they get). */
  spatialLayer: number;
  suite: SrtpSuite;
  /** --egress tun: where unread classrooms' packets leave (see tunEgress.ts). */
  tun: TunEgress | null;
  /** The publisher's send times, for classrooms that read without SRTP. */
  forwarding: ForwardingLatency | null;
  /** --bulk-transport webrtc: the classrooms' far ends and the WebRtcServer's UDP port. */
  webrtc: { peers: IceDtlsPeers; port: number } | null;
}

/** Unread classrooms behind a tun device (--egress tun) get distinct ports; nothing listens there. */
const TUN_FIRST_PORT = 20_000;

/**
 * `read`: the classroom's socket is read (loss from sequence gaps). `plain`: it also receives
 * without SRTP, so its packets can be matched to the publisher's (forwarding latency).
 */
export async function addClassroom(target: BulkTarget, index: number, read: boolean, plain = false): Promise<BulkClassroom> {
  const { pool, pooled, router, producers, caps, cc, suite, tun, forwarding } = target;
  const spatialLayer = cappedLayer(target.spatialLayer, pool.layerCapOf(pooled.index));
  // Latency readers stay PlainTransports: this process must read their packets as they come.
  if (target.webrtc && !plain) return addWebRtcClassroom(target, target.webrtc, index, spatialLayer, read);
  const feedback = cc === 'transport-cc-feedback';
  // Feedback: every classroom reads (to acknowledge what it got) and receives plain RTP.
  if (feedback || target.plainRtp) plain = true;
  // The sampled classrooms always read on loopback; the others go out the tun device if there is one.
  const viaTun = tun && !read && !feedback ? tun : null;
  const socket = viaTun ? null : await bindSocket(read || feedback);
  const tracker = read ? new SeqGapTracker() : null;
  if (tracker) socket?.on('message', (msg) => tracker.onDatagram(msg));
  if (read && plain && forwarding) socket?.on('message', (msg) => forwarding.onReceived(msg, performance.now()));
  let transport: types.PlainTransport | null = null;
  try {
    transport = await router.createPlainTransport({
      listenIp: viaTun ? viaTun.localIp : '127.0.0.1',
      rtcpMux: true,
      comedia: false,
      enableSrtp: !plain,
      srtpCryptoSuite: suite,
      appData: { benchClassroom: index },
    });
    await transport.connect({
      ip: viaTun ? viaTun.remoteIp : '127.0.0.1',
      port: socket ? socket.address().port : TUN_FIRST_PORT + index,
      // We never decrypt: the worker must only pay for encrypting.
      ...(plain ? {} : { srtpParameters: { cryptoSuite: suite, keyBase64: randomBytes(MASTER_KEY_BYTES[suite]).toString('base64') } }),
    });
    const consumers = await consumeAll(target, transport, spatialLayer);
    const stop = feedback && socket ? answerWithFeedback(socket, transport, consumers) : () => {};
    return { index, socket, transport, consumers, tracker, stop };
  } catch (err) {
    transport?.close();
    socket?.close();
    throw err;
  }
}

async function consumeAll(target: BulkTarget, transport: types.Transport, spatialLayer: number): Promise<types.Consumer[]> {
  const consumers: types.Consumer[] = [];
  for (const producer of target.producers) {
    const consumer = await transport.consume({
      producerId: producer.id,
      rtpCapabilities: target.caps,
      ...(producer.kind === 'video' ? { preferredLayers: { spatialLayer, temporalLayer: 2 } } : {}),
    });
    target.pool.trackConsumer(target.pooled, consumer);
    consumers.push(consumer);
  }
  return consumers;
}

/** How often a sampled WebRTC classroom's far end is asked for its tally (it drains the socket then). */
const TALLY_POLL_MS = 250;

/**
 * A classroom as a browser's is: a WebRtcTransport on the worker's WebRtcServer (one UDP socket
 * for all), ICE and DTLS done by the far end. Consumers come after DTLS is up, as a page consumes
 * once its transport is connected. A sampled one's far end tallies its RTP; the figures here are
 * at most TALLY_POLL_MS old, expected and received from the same moment.
 */
async function addWebRtcClassroom(
  target: BulkTarget,
  webrtc: NonNullable<BulkTarget['webrtc']>,
  index: number,
  spatialLayer: number,
  read: boolean,
): Promise<BulkClassroom> {
  const transport = await target.router.createWebRtcTransport({
    webRtcServer: target.pooled.webRtcServer,
    enableUdp: true,
    enableTcp: false,
    appData: { benchClassroom: index },
  });
  try {
    await transport.connect({ dtlsParameters: { role: 'client', fingerprints: [webrtc.peers.fingerprint] } });
    await webrtc.peers.connect(index, transport, webrtc.port, read);
    const consumers = await consumeAll(target, transport, spatialLayer);
    let tally: GapTotals = { expected: 0, received: 0 };
    const poll = read
      ? setInterval(() => {
          webrtc.peers.count(index).then(
            (t) => (tally = { expected: t.expected, received: t.received }),
            () => {},
          );
        }, TALLY_POLL_MS)
      : null;
    const stop = () => {
      if (poll) clearInterval(poll);
      webrtc.peers.drop(index);
    };
    return { index, socket: null, transport, consumers, tracker: read ? { totals: () => tally } : null, stop };
  } catch (err) {
    transport.close();
    webrtc.peers.drop(index);
    throw err;
  }
}

/** The layer a bulk classroom asks for under the worker's shedding cap (--shed-pct), as LessonMedia does for a real one. */
const cappedLayer = (wanted: number, cap: number | null) => (cap === null ? wanted : Math.min(wanted, cap));

/** Every bulk classroom's video in line with the worker's shedding cap (pool event layerCap). */
export async function applyLayerCap(target: BulkTarget, classrooms: readonly BulkClassroom[], cap: number | null): Promise<void> {
  const layers = { spatialLayer: cappedLayer(target.spatialLayer, cap), temporalLayer: 2 };
  // All at once, as LessonMedia.applyPreferredLayers does.
  await Promise.all(
    classrooms.flatMap((c) => c.consumers.filter((k) => k.kind === 'video' && !k.closed).map((k) => k.setPreferredLayers(layers).catch(() => {}))),
  );
}

/** Reads the classroom's packets and sends the worker transport-cc feedback; returns how to stop. */
function answerWithFeedback(socket: dgram.Socket, transport: types.PlainTransport, consumers: types.Consumer[]): () => void {
  const video = consumers.find((c) => c.kind === 'video');
  const extensionId = video?.rtpParameters.headerExtensions?.find((h) => h.uri.includes('transport-wide-cc'))?.id;
  const mediaSsrc = video?.rtpParameters.encodings?.[0]?.ssrc;
  if (!extensionId || !mediaSsrc) throw new Error('the video consumer negotiated no transport-wide-cc extension');
  const builder = new TccFeedbackBuilder(randomBytes(4).readUInt32BE(0), mediaSsrc);
  socket.on('message', (msg) => {
    const seq = transportWideSeq(msg, extensionId);
    if (seq !== null) builder.onPacket(seq, Number(process.hrtime.bigint() / 1000n));
  });
  const timer = setInterval(() => {
    const packet = builder.build();
    if (packet) socket.send(packet, transport.tuple.localPort, transport.tuple.localIp);
  }, FEEDBACK_INTERVAL_MS);
  return () => clearInterval(timer);
}

export function removeClassroom(c: BulkClassroom): void {
  c.stop();
  if (!c.transport.closed) c.transport.close();
  try {
    c.socket?.close();
  } catch {
    // already closed
  }
}

/** Where bulk classrooms go, with the flags' SRTP suite and egress (a tun device is started if asked). */
export async function bulkTarget(
  flags: Pick<Flags, 'egress' | 'srtp-suite' | 'congestion-control' | 'spatial-layer' | 'plain-rtp' | 'bulk-transport'>,
  at: { pool: WorkerPool; pooled: PooledWorker; router: types.Router },
  publisher: Publisher,
): Promise<BulkTarget> {
  return {
    webrtc: flags['bulk-transport'] === 'webrtc' ? { peers: await IceDtlsPeers.start(GENERATOR_CORE), port: await udpPortOf(at.pooled.webRtcServer) } : null,
    ...at,
    producers: [publisher.video, publisher.audio],
    forwarding: publisher.forwarding,
    caps: receiverCapabilities(at.router, flags['congestion-control']),
    cc: flags['congestion-control'],
    plainRtp: flags['plain-rtp'],
    spatialLayer: flags['spatial-layer'],
    suite: flags['srtp-suite'],
    tun: flags.egress === 'tun' ? await startTunEgress() : null,
  };
}

/** Ends what bulkTarget started beside the classrooms (the WebRTC far ends). */
export function closeBulkTarget(target: BulkTarget): void {
  target.webrtc?.peers.close();
}

/** Classrooms created at once: keeps the worker's request queue short while it forwards media. */
const CREATE_CONCURRENCY = 10;

/**
 * Adds classrooms to `list` until it holds `count`; the first `sampleReaders` are read, and
 * the first `latencyReaders` of those receive without SRTP for the forwarding latency.
 */
export async function growTo(target: BulkTarget, list: BulkClassroom[], count: number, sampleReaders: number, latencyReaders = 0): Promise<void> {
  while (list.length < count) {
    const base = list.length;
    const batch = Math.min(CREATE_CONCURRENCY, count - base);
    list.push(
      ...(await Promise.all(
        Array.from({ length: batch }, (_, k) => addClassroom(target, base + k, base + k < sampleReaders, base + k < Math.min(latencyReaders, sampleReaders))),
      )),
    );
  }
}

/** Sequence-gap totals over the classrooms that are read. */
export function sampledGaps(list: BulkClassroom[]): GapTotals {
  return list
    .flatMap((c) => (c.tracker ? [c.tracker.totals()] : []))
    .reduce((t, g) => ({ expected: t.expected + g.expected, received: t.received + g.received }), { expected: 0, received: 0 });
}
