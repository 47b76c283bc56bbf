import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import { z } from 'zod';
import type { QualityMode } from '../../shared/media.js';
import type { MediaKind, MediaSource, ProducerInfo, TransportDirection } from '../../shared/media.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { RecordedSegment } from './recordedSegment.js';
import { SegmentRecorder } from './recorder.js';
import { PeerReach } from './peerReach.js';
import { DownlinkProber, type ProbeTarget } from './downlinkProbe.js';
import { SenderLayers } from './senderLayers.js';
import type { PooledWorker, WorkerPool } from './workerPool.js';

/**
 * Bounds per peer, so one misbehaving client cannot exhaust the worker. Transports need no
 * bound: a peer has at most one per direction (a new one replaces the old).
 */
export const PEER_LIMITS = { producers: 4, consumers: 64 };

/**
 * A sender is asked for at most one key frame per layer per this many ms, however many
 * classrooms join or lose packets: requests in between are folded into the next one.
 * Why not shorter, though a join would see its first picture sooner: libwebrtc's VP8 simulcast
 * encoder answers a request with a key frame on every layer, 720p included (bench-fanout counts
 * them per layer on the wrtc teacher: always equal), so each request, whoever asks, costs every
 * classroom. At 500 ms, joins waited half as long (consumer ready →
 * first frame p50 ~225 against ~470 ms, bench-fanout, 7 alternating runs), but a lossy
 * classroom's requests then drove the teacher's top layer hard enough that the clean classroom
 * beside it fell to 640 px and a quarter frame rate for 7 s (test/e2e/weakLink.test.ts, 1 run of
 * 6). Never below 300 ms: libwebrtc drops a request that soon after the last one.
 */
export const KEY_FRAME_REQUEST_DELAY_MS = 1000;

/**
 * The least bandwidth estimate we let a classroom's downlink fall to (bit/s). mediasoup's own
 * floor is 30 kbit/s, below the lowest simulcast layer even at its lowest frame rate (~55–65
 * kbit/s measured): after a burst of congestion the estimate dropped there and, with steady
 * random loss holding it down, the classroom got no layer and no picture for 7–17 s at a time
 * on a 200–300 kbit/s link that carries the 320-px layer well (test/e2e/weakLink.test.ts).
 * With this floor the lowest layer always fits; for a link too weak even for that, 仅音频.
 * Sitting at the floor, mediasoup seldom probes for more once the link recovers (the climb back
 * took up to 45 s): the prober (downlinkProbe.ts) sets off probes for a loss-free link.
 */
export const MIN_DOWNLINK_BITRATE = 100_000;

/**
 * What a classroom's downlink is assumed to carry before any feedback (bit/s): enough for the
 * 320-px layer and sound, not more. GoogCC probes at 3× and 6× of it at once, so a clean link
 * reaches the top layer within a second or two (join to first frame unchanged in
 * bench-fanout: p95 1.53–1.81 s against 1.63–1.72 s at 1 Mbit/s, alternating runs). A
 * 300 kbit/s link is not flooded first: a classroom joining on one saw 70–120 packets dropped
 * by the link instead of ~1,500, and its first picture after 3.6–4.2 s instead of 5.0 s.
 */
export const INITIAL_DOWNLINK_BITRATE = 300_000;

/**
 * The part of a receive transport's stats the prober reads. The worker sends the transport-cc
 * loss (`rtpPacketLossSent`, a fraction) though mediasoup 3.12's types leave it out.
 */
const DownlinkStat = z.object({ availableOutgoingBitrate: z.number(), rtpPacketLossSent: z.number().optional() });

interface Site {
  pooled: PooledWorker;
  router: types.Router;
}

/** What we tag each page's transport with when creating it. */
type PeerTransport = types.WebRtcTransport<{ peerId: string; direction: TransportDirection }>;

interface Peer {
  id: string;
  site: Site | null;
  mode: QualityMode;
  transports: Map<string, PeerTransport>;
  producers: Map<string, types.Producer>;
  consumers: Map<string, types.Consumer>;
}

/** A producer as LessonMedia reports it; the lesson adds who owns it. */
export type PeerProducer = Omit<ProducerInfo, 'ownerClassroomId'>;

export type LessonMediaEvents = {
  producerAdded: [peerId: string, info: PeerProducer];
  producerClosed: [peerId: string, producerId: string];
  consumerClosed: [peerId: string, consumerId: string];
  /** A peer's media quality (0–10): the worse of how it sends and how it receives. */
  peerScore: [peerId: string, score: number];
  /** Which simulcast layer a consumer now receives (null: none). */
  layersChanged: [peerId: string];
  /** A transport stayed disconnected past the grace period and was closed. */
  transportClosed: [peerId: string, transportId: string];
  /** A worker under this lesson died: its media is gone and must be rebuilt. */
  failed: [reason: string];
  /** A peer's media has (true) or no longer has (false) failed to get through (peerReach.ts). */
  peerReach: [peerId: string, blocked: boolean];
  /** A receive transport of the peer completed DTLS: what it consumes now reaches it. */
  receiving: [peerId: string];
};

export interface LessonMediaOptions {
  /** How long a transport may stay ICE-disconnected before its state is closed. */
  disconnectGraceMs: number;
  /** How long a peer's transports may all stay unconnected before its media counts as blocked. */
  unreachableMs: number;
}

/** Turns mediasoup's exceptions (bad parameters, closed objects) into client errors. */
async function media<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('MEDIA_ERROR', `${what} failed: ${(err as Error).message}`);
  }
}

const SPATIAL_FOR: Record<Exclude<QualityMode, 'audio'>, number> = { auto: 2, high: 2, smooth: 0 };

/** The simulcast layer a mode asks for (仅音频 pauses video; its layer only matters once resumed). */
const wantedLayer = (mode: QualityMode): number => (mode === 'audio' ? 0 : SPATIAL_FOR[mode]);

/**
 * The media of one lesson, spread over the workers: each peer (the teacher, each
 * receiving classroom) lives on one router, placed on the least-loaded worker; producers
 * are piped to the other routers of the lesson when someone there consumes them.
 * Closing a peer or the lesson closes everything below it, once.
 */
export class LessonMedia extends EventEmitter<LessonMediaEvents> {
  private readonly peers = new Map<string, Peer>();
  /** This lesson's router per worker slot. */
  private readonly sites = new Map<number, Promise<Site>>();
  /** producerId → the peer that owns it. */
  private readonly owners = new Map<string, Peer>();
  /** `${producerId}@${slot}` → pipe in place. */
  private readonly pipes = new Map<string, Promise<void>>();
  private readonly scores = new Map<string, { send: number | null; recv: Map<string, number>; last: number | null }>();
  /** producerId → which of its simulcast layers still flow (the teacher's camera). */
  private readonly senderLayers = new Map<string, SenderLayers>();
  /** producerId → its release from the count of its worker's uplinks (WorkerPool.trackUplink). */
  private readonly uplinks = new Map<string, () => void>();
  private closed = false;
  private readonly reach: PeerReach;
  /** Probes the downlinks of classrooms stuck below their layer (downlinkProbe.ts). */
  readonly prober: DownlinkProber;

  private constructor(
    private readonly pool: WorkerPool,
    private readonly capabilities: types.RtpCapabilities,
    private readonly log: Logger,
    private readonly opts: LessonMediaOptions,
  ) {
    super();
    this.reach = new PeerReach(
      opts.unreachableMs,
      (peerId) => this.waitingForPath(peerId),
      (peerId, blocked) => {
        if (blocked) this.log.warn({ peerId }, 'media cannot get through: no transport connected (ports blocked?)');
        else this.log.info({ peerId }, 'media gets through again');
        this.emit('peerReach', peerId, blocked);
      },
    );
    this.prober = new DownlinkProber(
      () => this.probeTargets(),
      (transportId, estimateBps) => this.log.debug({ transportId, estimateBps }, 'downlink below its layer: probing'),
    );
    pool.on('layerCap', this.onLayerCap);
  }

  /** A worker of the lesson caps its classrooms' layers, or lifts the cap (layerShedding.ts). */
  private readonly onLayerCap = (index: number): void => {
    const onIt = (peer: Peer) => peer.site?.pooled.index === index;
    void this.applyPreferredLayers(onIt);
    // Their pages say why the picture changes (LessonState.viewer.serverLayerCap) from now on;
    // the layers themselves follow as each consumer switches (layerschange).
    for (const peer of this.peers.values()) if (onIt(peer)) this.emit('layersChanged', peer.id);
  };

  /**
   * The highest layer the peer's worker forwards while at its core's limit, where that is below
   * what the peer's mode asks for; null: no cap, or one that changes nothing for it (流畅, 仅音频).
   */
  layerCapOf(peerId: string): number | null {
    const peer = this.peers.get(peerId);
    const cap = peer ? this.workerCapOf(peer) : null;
    return peer && cap !== null && cap < wantedLayer(peer.mode) ? cap : null;
  }

  /** The cap the peer's worker puts on its classrooms while at its core's limit (layerShedding.ts). */
  private workerCapOf(peer: Peer): number | null {
    return peer.site ? this.pool.layerCapOf(peer.site.pooled.index) : null;
  }

  private *probeTargets(): Iterable<ProbeTarget> {
    for (const peer of this.peers.values()) {
      for (const t of peer.transports.values()) {
        if (t.closed || t.appData.direction !== 'recv') continue;
        yield {
          id: t.id,
          wantsMore: () => this.belowItsLayer(peer),
          link: async () => {
            const s = DownlinkStat.safeParse((await t.getStats())[0]);
            return s.success ? { estimateBps: s.data.availableOutgoingBitrate, lossFraction: s.data.rtpPacketLossSent ?? 0 } : null;
          },
          setMax: (bps) => t.setMaxOutgoingBitrate(bps),
        };
      }
    }
  }

  /**
   * Whether a picture the peer receives is below the layer it asked for, as far as the sender
   * sends it: a full frame rate on the highest layer it may take and the sender still sends.
   */
  private belowItsLayer(peer: Peer): boolean {
    for (const c of peer.consumers.values()) {
      if (c.closed || c.type !== 'simulcast' || c.paused || c.producerPaused) continue;
      const current = c.currentLayers;
      const preferred = c.preferredLayers;
      const producer = this.owners.get(c.producerId)?.producers.get(c.producerId);
      if (!current || !preferred || !producer) continue;
      const encodings = producer.rtpParameters.encodings ?? [];
      const sent = producer.score.filter((s) => s.score > 0).map((s) => encodings.findIndex((e) => (s.rid !== undefined ? e.rid === s.rid : e.ssrc === s.ssrc)));
      const top = Math.max(-1, ...sent);
      if (top < 0) continue;
      const target = Math.min(preferred.spatialLayer, top);
      if (current.spatialLayer < target) return true;
      if (current.spatialLayer === target && (current.temporalLayer ?? 0) < (preferred.temporalLayer ?? 2)) return true;
    }
    return false;
  }

  /** Whether a peer has transports and none of them is connected. */
  private waitingForPath(peerId: string): boolean {
    const peer = this.peers.get(peerId);
    if (!peer || peer.transports.size === 0) return false;
    return ![...peer.transports.values()].some((t) => t.iceState === 'connected' || t.iceState === 'completed');
  }

  /** Creates the lesson's first router (where the teacher will usually land). */
  static async create(pool: WorkerPool, log: Logger, opts: LessonMediaOptions): Promise<LessonMedia> {
    const pooled = await pool.place();
    const router = await pool.createRouterOn(pooled);
    const m = new LessonMedia(pool, router.rtpCapabilities, log, opts);
    m.adopt({ pooled, router });
    return m;
  }

  private adopt(site: Site): void {
    this.sites.set(site.pooled.index, Promise.resolve(site));
    site.router.observer.once('close', () => {
      // Closed under us (the worker died), not by close(): the lesson must rebuild.
      if (this.closed) return;
      this.log.error({ worker: site.pooled.index }, 'a router of the lesson closed: media must be rebuilt');
      this.emit('failed', `worker ${site.pooled.index} died`);
      this.close();
    });
  }

  private siteOn(pooled: PooledWorker): Promise<Site> {
    let site = this.sites.get(pooled.index);
    if (!site) {
      site = this.pool.createRouterOn(pooled).then((router) => {
        const s = { pooled, router };
        if (this.closed) router.close();
        else {
          this.sites.delete(pooled.index);
          this.adopt(s);
        }
        return s;
      });
      this.sites.set(pooled.index, site);
      site.catch(() => this.sites.delete(pooled.index));
    }
    return site;
  }

  get rtpCapabilities(): types.RtpCapabilities {
    return this.capabilities;
  }

  /** Which worker slots this lesson uses (for tests and the admin view). */
  async slots(): Promise<number[]> {
    return (await Promise.all(this.sites.values())).map((s) => s.pooled.index).sort();
  }

  private peer(peerId: string): Peer {
    let peer = this.peers.get(peerId);
    if (!peer) {
      peer = { id: peerId, site: null, mode: 'auto', transports: new Map(), producers: new Map(), consumers: new Map() };
      this.peers.set(peerId, peer);
    }
    return peer;
  }

  private transport(peerId: string, transportId: string): PeerTransport {
    const t = this.peers.get(peerId)?.transports.get(transportId);
    if (!t) throw new AppError('NOT_FOUND', 'unknown transport');
    return t;
  }

  /** A peer's router: placed on the least-loaded worker on its first transport. */
  private async siteOf(peer: Peer): Promise<Site> {
    if (peer.site && !peer.site.router.closed) return peer.site;
    const site = await this.siteOn(await this.pool.place());
    peer.site = site;
    return site;
  }

  async createTransport(peerId: string, direction: TransportDirection) {
    this.assertOpen();
    const peer = this.peer(peerId);
    const site = await this.siteOf(peer);
    const transport = await media('createWebRtcTransport', () =>
      site.router.createWebRtcTransport({
        webRtcServer: site.pooled.webRtcServer,
        enableUdp: true,
        enableTcp: true,
        preferUdp: true,
        // Only receive transports send from the server; a send transport's value is unused.
        initialAvailableOutgoingBitrate: INITIAL_DOWNLINK_BITRATE,
        appData: { peerId, direction },
      }),
    );
    // A page sets up a fresh session (its old one broke) under the same peer, which outlives
    // its socket: the transport it replaces goes, with its producers and consumers.
    for (const old of [...peer.transports.values()]) {
      if (old.appData.direction === direction) old.close();
    }
    peer.transports.set(transport.id, transport);
    transport.observer.once('close', () => peer.transports.delete(transport.id));
    if (this.waitingForPath(peer.id)) this.reach.waiting(peer.id);
    if (direction === 'recv') {
      await media('setMinOutgoingBitrate', () => transport.setMinOutgoingBitrate(MIN_DOWNLINK_BITRATE));
    }
    this.watchTransport(peer, transport);
    return {
      id: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
    };
  }

  /** Closes a transport whose ICE stays disconnected past the grace period. */
  private watchTransport(peer: Peer, transport: PeerTransport): void {
    let timer: NodeJS.Timeout | null = null;
    const clear = () => {
      if (timer) clearTimeout(timer);
      timer = null;
    };
    transport.on('icestatechange', (state) => {
      const fields = { peerId: peer.id, transportId: transport.id, direction: transport.appData.direction, state };
      // Every join connects; only a lost path is worth a line at info.
      if (state === 'disconnected') this.log.info(fields, 'ICE state');
      else this.log.debug(fields, 'ICE state');
      if (state === 'connected' || state === 'completed') this.reach.connected(peer.id);
      else if (this.waitingForPath(peer.id)) this.reach.waiting(peer.id);
      if (state === 'disconnected') {
        timer ??= setTimeout(() => {
          timer = null;
          if (transport.closed) return;
          this.log.warn({ peerId: peer.id, transportId: transport.id }, 'transport disconnected past grace: closing');
          transport.close();
          this.emit('transportClosed', peer.id, transport.id);
        }, this.opts.disconnectGraceMs);
      } else clear();
    });
    transport.on('dtlsstatechange', (state) => {
      if (state === 'connected' && transport.appData.direction === 'recv') this.emit('receiving', peer.id);
      if (state === 'failed' || state === 'closed') {
        this.log.warn({ peerId: peer.id, transportId: transport.id, state }, 'transport DTLS ended');
        clear();
        if (!transport.closed) {
          transport.close();
          this.emit('transportClosed', peer.id, transport.id);
        }
      }
    });
    transport.observer.once('close', clear);
    // Media over TCP works but suffers more on a lossy link (a lost segment holds up everything
    // behind it): support wants to know which classrooms' firewalls let no UDP through.
    let protocol: string | null = null;
    transport.on('iceselectedtuplechange', (tuple) => {
      if (tuple.protocol === protocol) return;
      protocol = tuple.protocol;
      const fields = { peerId: peer.id, transportId: transport.id, direction: transport.appData.direction, protocol };
      if (protocol === 'tcp') this.log.info(fields, 'media path over TCP (the network lets no UDP through)');
      else this.log.debug(fields, 'media path');
    });
  }

  async connectTransport(peerId: string, transportId: string, dtlsParameters: types.DtlsParameters) {
    const transport = this.transport(peerId, transportId);
    await media('connect', () => transport.connect({ dtlsParameters }));
  }

  /** New ICE credentials for a transport whose network path broke. */
  async restartIce(peerId: string, transportId: string): Promise<types.IceParameters> {
    const transport = this.transport(peerId, transportId);
    this.log.info({ peerId, transportId, direction: transport.appData.direction }, 'ICE restart');
    return media('restartIce', () => transport.restartIce());
  }

  async produce(
    peerId: string,
    transportId: string,
    kind: MediaKind,
    source: MediaSource,
    rtpParameters: types.RtpParameters,
    /** broadcast: every classroom receives it (the teacher's, a classroom's on stage), so its worker must stay light. */
    opts: { paused?: boolean; broadcast?: boolean } = {},
  ): Promise<PeerProducer> {
    this.assertOpen();
    const transport = this.transport(peerId, transportId);
    const peer = this.peer(peerId);
    if (peer.producers.size >= PEER_LIMITS.producers) {
      throw new AppError('CONFLICT', `at most ${PEER_LIMITS.producers} producers per connection`);
    }
    if ([...peer.producers.values()].some((p) => p.appData.source === source)) {
      throw new AppError('CONFLICT', `${source} is already published`);
    }
    const producer = await media('produce', () =>
      transport.produce({
        kind,
        rtpParameters,
        paused: opts.paused ?? false,
        keyFrameRequestDelay: kind === 'video' ? KEY_FRAME_REQUEST_DELAY_MS : 0,
        appData: { peerId, source },
      }),
    );
    peer.producers.set(producer.id, producer);
    this.owners.set(producer.id, peer);
    if (opts.broadcast) this.markUplink(peer, producer, true);
    producer.on('score', (scores) => {
      const worst = scores.reduce((m, s) => Math.min(m, s.score), 10);
      this.scoreOf(peer.id).send = worst;
      this.reportScore(peer.id);
    });
    const info: PeerProducer = { producerId: producer.id, kind, source };
    if (kind === 'video' && (rtpParameters.encodings?.length ?? 0) > 1) this.watchLayers(producer);
    producer.observer.once('close', () => {
      this.senderLayers.get(producer.id)?.close();
      this.senderLayers.delete(producer.id);
      this.uplinks.delete(producer.id);
      peer.producers.delete(producer.id);
      this.owners.delete(producer.id);
      for (const key of [...this.pipes.keys()]) if (key.startsWith(`${producer.id}@`)) this.pipes.delete(key);
      this.emit('producerClosed', peerId, producer.id);
    });
    this.emit('producerAdded', peerId, info);
    return info;
  }

  /** Caps every classroom below the simulcast layers the sender has stopped (senderLayers.ts). */
  private watchLayers(producer: types.Producer): void {
    const encodings = producer.rtpParameters.encodings ?? [];
    const counts = async () => {
      const stats = await producer.getStats();
      return encodings.map(
        (e) => stats.find((s) => (e.rid !== undefined ? s.rid === e.rid : s.ssrc === e.ssrc))?.packetCount ?? 0,
      );
    };
    const watch = new SenderLayers(counts, (cap) => {
      this.log.info({ producerId: producer.id, cap }, cap === null ? 'sender sends all layers again' : 'sender stopped its upper layers: classrooms capped');
      void this.applyPreferredLayers(() => true, producer.id);
    });
    this.senderLayers.set(producer.id, watch);
  }

  /**
   * The simulcast consumers of the chosen peers (of one producer, or all) back in line with their
   * peer's mode, the sender's cap and their worker's.
   */
  private async applyPreferredLayers(which: (peer: Peer) => boolean, producerId?: string): Promise<void> {
    const requests: Promise<void>[] = [];
    for (const peer of this.peers.values()) {
      if (!which(peer)) continue;
      for (const c of peer.consumers.values()) {
        if ((producerId !== undefined && c.producerId !== producerId) || c.closed || c.type !== 'simulcast') continue;
        requests.push(c.setPreferredLayers(this.layersFor(peer, c.producerId)).catch(() => {}));
      }
    }
    // All at once: a worker at its core's limit answers its channel late. One request after
    // another, capping 500 classrooms at 640 px (116 packets/s each) left a step of bench-fanout
    // --shed-pct still averaging 202 packets/s and losing 4.9%; sent together, they are read in
    // a few batches.
    await Promise.all(requests);
  }

  closeProducer(peerId: string, producerId: string): void {
    const producer = this.peers.get(peerId)?.producers.get(producerId);
    if (!producer) throw new AppError('NOT_FOUND', 'unknown producer');
    producer.close();
  }

  /** A classroom goes on stage or leaves it: every classroom now receives its sources, or no longer. */
  setBroadcast(peerId: string, on: boolean): void {
    const peer = this.peers.get(peerId);
    if (peer) for (const producer of peer.producers.values()) this.markUplink(peer, producer, on);
  }

  private markUplink(peer: Peer, producer: types.Producer, on: boolean): void {
    const release = this.uplinks.get(producer.id);
    if (on && !release && peer.site) {
      // The transport lives on the peer's site: that worker receives the uplink.
      this.uplinks.set(producer.id, this.pool.trackUplink(peer.site.pooled, producer));
    } else if (!on && release) {
      release();
      this.uplinks.delete(producer.id);
    }
  }

  /** Pauses or resumes a peer's producer of one source (a classroom's mic off stage). */
  async setSourcePaused(peerId: string, source: MediaSource, paused: boolean): Promise<void> {
    const peer = this.peers.get(peerId);
    if (!peer) return;
    for (const p of peer.producers.values()) {
      if (p.appData.source !== source || p.closed) continue;
      await media(paused ? 'pause' : 'resume', () => (paused ? p.pause() : p.resume()));
    }
  }

  /** Whether a producer is paused (a muted classroom mic); null if unknown. */
  isProducerPaused(producerId: string): boolean | null {
    const p = this.owners.get(producerId)?.producers.get(producerId);
    return p ? p.paused : null;
  }

  /** Closes a consumer the page did not close itself, and tells the page. */
  private dropConsumer(peer: Peer, c: types.Consumer): void {
    c.close();
    peer.consumers.delete(c.id);
    this.emit('consumerClosed', peer.id, c.id);
  }

  /** Closes the consumers of these producers held by anyone but `keep` (stage off). */
  closeConsumersOf(producerIds: ReadonlySet<string>, keep: ReadonlySet<string>): void {
    for (const peer of this.peers.values()) {
      if (keep.has(peer.id)) continue;
      for (const c of [...peer.consumers.values()]) if (producerIds.has(c.producerId)) this.dropConsumer(peer, c);
    }
  }

  /** Producers of one peer. */
  producersOf(peerId: string): PeerProducer[] {
    const peer = this.peers.get(peerId);
    if (!peer) return [];
    return [...peer.producers.values()].map((p) => ({
      producerId: p.id,
      kind: p.kind,
      source: p.appData.source as MediaSource,
    }));
  }

  /** Makes a producer available on a router of another worker (once per producer and worker). */
  private pipeTo(producerId: string, target: Site): Promise<void> {
    const owner = this.owners.get(producerId);
    if (!owner?.site) return Promise.reject(new AppError('NOT_FOUND', 'unknown producer'));
    if (owner.site.pooled.index === target.pooled.index) return Promise.resolve();
    const key = `${producerId}@${target.pooled.index}`;
    let pipe = this.pipes.get(key);
    if (!pipe) {
      const from = owner.site.router;
      pipe = media('pipeToRouter', async () => {
        await from.pipeToRouter({ producerId, router: target.router });
      });
      this.pipes.set(key, pipe);
      pipe.catch(() => this.pipes.delete(key));
    }
    return pipe;
  }

  /**
   * Creates a consumer paused: the client resumes it once its track is wired, so the
   * first packets (and the key frame mediasoup asks for on resume) are not lost.
   */
  async consume(
    peerId: string,
    transportId: string,
    producerId: string,
    rtpCapabilities: types.RtpCapabilities,
    allowedProducerIds: ReadonlySet<string>,
  ) {
    this.assertOpen();
    const transport = this.transport(peerId, transportId);
    const peer = this.peer(peerId);
    if (!allowedProducerIds.has(producerId) || !this.owners.has(producerId)) {
      throw new AppError('NOT_FOUND', 'unknown producer');
    }
    if (peer.consumers.size >= PEER_LIMITS.consumers) {
      throw new AppError('CONFLICT', `at most ${PEER_LIMITS.consumers} consumers per connection`);
    }
    const site = await this.siteOf(peer);
    await this.pipeTo(producerId, site);
    if (!site.router.canConsume({ producerId, rtpCapabilities })) {
      throw new AppError('MEDIA_ERROR', 'this device cannot decode that stream');
    }
    // Asking again for a producer means the page lost track of the first consumer (a request
    // that timed out across a signalling drop): one consumer per producer, never a second stream.
    for (const c of [...peer.consumers.values()]) if (c.producerId === producerId) this.dropConsumer(peer, c);
    const simulcast = (this.owners.get(producerId)?.producers.get(producerId)?.rtpParameters.encodings?.length ?? 1) > 1;
    const consumer = await media('consume', () =>
      transport.consume({
        producerId,
        rtpCapabilities,
        paused: true,
        ...(simulcast ? { preferredLayers: this.layersFor(peer, producerId) } : {}),
        appData: { peerId },
      }),
    );
    this.pool.trackConsumer(site.pooled, consumer);
    peer.consumers.set(consumer.id, consumer);
    consumer.observer.once('close', () => {
      peer.consumers.delete(consumer.id);
      this.scoreOf(peer.id).recv.delete(consumer.id);
    });
    consumer.on('producerclose', () => {
      consumer.close();
      this.emit('consumerClosed', peerId, consumer.id);
    });
    consumer.on('transportclose', () => peer.consumers.delete(consumer.id));
    consumer.on('score', ({ score }) => {
      this.scoreOf(peer.id).recv.set(consumer.id, score);
      this.reportScore(peer.id);
    });
    consumer.on('layerschange', () => this.emit('layersChanged', peerId));
    // Audio first. mediasoup 3.12 leaves audio consumers out of its bandwidth allocation
    // altogether, so only video layers give way when bandwidth is short (the weak-link e2e test
    // checks it); the priority states the intent should that ever change.
    await media('setPriority', () => consumer.setPriority(consumer.kind === 'audio' ? 255 : 1));
    return {
      consumerId: consumer.id,
      producerId,
      kind: consumer.kind,
      rtpParameters: consumer.rtpParameters,
    };
  }

  /**
   * The layers a peer's mode asks for, no higher than what the sender still sends, nor than its
   * worker forwards while at its core's limit.
   */
  private layersFor(peer: Peer, producerId: string): types.ConsumerLayers {
    const caps = [this.senderLayers.get(producerId)?.current ?? null, this.workerCapOf(peer)];
    return { spatialLayer: caps.reduce<number>((layer, cap) => (cap === null ? layer : Math.min(layer, cap)), wantedLayer(peer.mode)), temporalLayer: 2 };
  }

  async resumeConsumer(peerId: string, consumerId: string): Promise<void> {
    const peer = this.peers.get(peerId);
    const consumer = peer?.consumers.get(consumerId);
    if (!peer || !consumer) throw new AppError('NOT_FOUND', 'unknown consumer');
    // In audio-only mode video stays paused on the server, whatever the client asks.
    if (consumer.kind === 'video' && peer.mode === 'audio') return;
    // No key-frame request of our own: mediasoup asks for one itself when a video consumer
    // resumes (or its transport connects). A second request a moment later fell into the
    // throttle's window and came out as a second key frame a second later: every join cost the
    // teacher's encoder two on every layer, and every classroom the quality they take
    // (bench-fanout: loneJoinKeyFrames).
    await media('resume', () => consumer.resume());
  }

  /**
   * The classroom's choice of 自动/高清/流畅/仅音频, enforced here: preferred simulcast
   * layers for video, or video paused altogether while audio keeps flowing.
   */
  async setQualityMode(peerId: string, mode: QualityMode): Promise<void> {
    const peer = this.peer(peerId);
    peer.mode = mode;
    for (const c of peer.consumers.values()) {
      if (c.kind !== 'video' || c.closed) continue;
      if (mode === 'audio') {
        await media('pause', () => c.pause());
        continue;
      }
      if (c.type === 'simulcast' || c.type === 'svc') {
        await media('setPreferredLayers', () => c.setPreferredLayers(this.layersFor(peer, c.producerId)));
      }
      // Resuming asks the teacher for a key frame by itself (see resumeConsumer).
      if (c.paused) await media('resume', () => c.resume());
    }
    this.emit('layersChanged', peerId);
  }

  qualityMode(peerId: string): QualityMode {
    return this.peers.get(peerId)?.mode ?? 'auto';
  }

  /**
   * How peers receive a set of (simulcast) producers: per peer, the spatial layer it
   * currently gets, or 'audio' (audio-only mode) / 'none' (nothing flowing yet).
   */
  receptionOf(producerIds: ReadonlySet<string>, peerIds: Iterable<string>): Map<string, number | 'audio' | 'none'> {
    const out = new Map<string, number | 'audio' | 'none'>();
    for (const id of peerIds) {
      const peer = this.peers.get(id);
      if (!peer) continue;
      if (peer.mode === 'audio') {
        out.set(id, 'audio');
        continue;
      }
      let best: number | 'none' = 'none';
      for (const c of peer.consumers.values()) {
        if (c.kind !== 'video' || !producerIds.has(c.producerId) || c.paused) continue;
        const layer = c.currentLayers?.spatialLayer ?? (c.type === 'simple' ? 0 : undefined);
        if (layer !== undefined && (best === 'none' || layer > best)) best = layer;
      }
      out.set(id, best);
    }
    return out;
  }

  /** What a peer holds, for tests and support: its worker slot and its consumers' state. */
  describePeer(peerId: string) {
    const peer = this.peers.get(peerId);
    if (!peer) return null;
    return {
      slot: peer.site?.pooled.index ?? null,
      mode: peer.mode,
      transports: [...peer.transports.values()].map((t) => ({
        direction: t.appData.direction,
        iceState: t.iceState,
        /** 'tcp' where the page's network lets no UDP through (a school firewall). */
        protocol: t.iceSelectedTuple?.protocol ?? null,
        /** Where the page's media comes from: its own address, or a TURN relay's. */
        remoteIp: t.iceSelectedTuple?.remoteIp ?? null,
      })),
      /** Per simulcast stream: a score of 0 is a layer the page has stopped sending. */
      producers: [...peer.producers.values()].map((p) => ({
        id: p.id,
        kind: p.kind,
        scores: p.score.map((s) => ({ rid: s.rid ?? null, score: s.score })),
      })),
      consumers: [...peer.consumers.values()].map((c) => ({
        producerId: c.producerId,
        kind: c.kind,
        type: c.type,
        paused: c.paused,
        preferredLayers: c.preferredLayers ?? null,
        currentLayers: c.currentLayers ?? null,
      })),
    };
  }

  /**
   * What a peer's links carry now, for tests and support: each transport's estimate of the
   * bandwidth towards the page, and per simulcast stream of its producers the bitrate and the
   * key frames asked of it.
   */
  async describeLinks(peerId: string) {
    const peer = this.peers.get(peerId);
    if (!peer) return null;
    const transports = await Promise.all(
      [...peer.transports.values()].map(async (t) => {
        const s = (await t.getStats().catch(() => []))[0];
        return { direction: t.appData.direction, availableOutgoingBitrate: s?.availableOutgoingBitrate ?? null, sendBitrate: s?.sendBitrate ?? null };
      }),
    );
    const producers = await Promise.all(
      [...peer.producers.values()].map(async (p) => ({
        id: p.id,
        streams: (await p.getStats().catch(() => [])).map((s) => ({ rid: s.rid ?? null, bitrate: s.bitrate, keyFramesAsked: s.pliCount + s.firCount })),
      })),
    );
    return { transports, producers };
  }

  private scoreOf(peerId: string) {
    let s = this.scores.get(peerId);
    if (!s) {
      s = { send: null, recv: new Map(), last: null };
      this.scores.set(peerId, s);
    }
    return s;
  }

  private reportScore(peerId: string): void {
    const s = this.scoreOf(peerId);
    const parts = [...s.recv.values()];
    if (s.send !== null) parts.push(s.send);
    if (parts.length === 0) return;
    const score = Math.min(...parts);
    if (score === s.last) return;
    s.last = score;
    this.emit('peerScore', peerId, score);
  }

  /** Whether the peer still has media here (a transport), so a page coming back can carry on with it. */
  hasMedia(peerId: string): boolean {
    return (this.peers.get(peerId)?.transports.size ?? 0) > 0;
  }

  /**
   * Bytes the peer's transports have received from its page so far: RTP from a sender, RTCP
   * feedback from a receiver. Growing means the page is still there, whatever its socket does.
   */
  async bytesReceived(peerId: string): Promise<number> {
    const peer = this.peers.get(peerId);
    if (!peer) return 0;
    let total = 0;
    for (const t of [...peer.transports.values()]) {
      if (t.closed) continue;
      const stats = await t.getStats().catch(() => []);
      for (const s of stats) total += s.bytesReceived ?? 0;
    }
    return total;
  }

  /**
   * Records a peer's picture and microphone (the teacher's, for 录播) on the router they were
   * produced on: the shared screen while there is one (the courseware is what a pupil watching
   * later needs), else the camera. Beside a shared screen the camera goes into a file of its own
   * (`files.camera`), so a pupil watching later sees the teacher too. Null when it publishes none
   * of them now.
   */
  async record(peerId: string, files: { main: string; camera: string }, log: Logger, ffmpegPath?: string): Promise<RecordedSegment | null> {
    const peer = this.peers.get(peerId);
    if (this.closed || !peer?.site || peer.site.router.closed) return null;
    const router = peer.site.router;
    const live = [...peer.producers.values()].filter((p) => !p.closed);
    const of = (source: MediaSource) => live.find((p) => p.appData.source === source);
    const [screen, camera, microphone] = [of('screen'), of('camera'), of('microphone')];
    const sources = [screen ?? camera, microphone].filter((p) => p !== undefined);
    if (sources.length === 0) return null;
    const peerLog = log.child({ peerId });
    // Started together so both files begin at the same moment (their players are kept in step).
    const [main, beside] = await Promise.allSettled([
      SegmentRecorder.start(router, sources, files.main, peerLog, ffmpegPath),
      screen && camera
        ? SegmentRecorder.start(router, [camera, microphone].filter((p) => p !== undefined), files.camera, peerLog.child({ beside: 'camera' }), ffmpegPath)
        : Promise.resolve(null),
    ]);
    if (main.status === 'rejected') {
      if (beside.status === 'fulfilled') await beside.value?.stop();
      throw main.reason;
    }
    // Without the camera the screen is still worth recording.
    if (beside.status === 'rejected') peerLog.warn({ err: beside.reason }, 'recording: the camera beside the screen could not be recorded');
    return new RecordedSegment(main.value, beside.status === 'fulfilled' ? beside.value : null);
  }

  /** Closes every transport of a peer (and with them its producers and consumers). */
  closePeer(peerId: string): void {
    const peer = this.peers.get(peerId);
    if (!peer) return;
    this.peers.delete(peerId);
    this.scores.delete(peerId);
    this.reach.forget(peerId);
    for (const t of peer.transports.values()) t.close();
  }

  stats(): { peers: number; transports: number; producers: number; consumers: number } {
    let transports = 0;
    let producers = 0;
    let consumers = 0;
    for (const p of this.peers.values()) {
      transports += p.transports.size;
      producers += p.producers.size;
      consumers += p.consumers.size;
    }
    return { peers: this.peers.size, transports, producers, consumers };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private assertOpen(): void {
    if (this.closed) throw new AppError('CONFLICT', 'lesson media is closed');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pool.off('layerCap', this.onLayerCap);
    this.prober.close();
    for (const w of this.senderLayers.values()) w.close();
    this.senderLayers.clear();
    for (const id of [...this.peers.keys()]) this.closePeer(id);
    this.reach.close();
    for (const site of this.sites.values()) void site.then((s) => !s.router.closed && s.router.close(), () => {});
    this.sites.clear();
    this.removeAllListeners();
  }
}
