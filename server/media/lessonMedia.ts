import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import type { MediaKind, MediaSource, ProducerInfo, TransportDirection } from '../../shared/media.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';

/** Bounds per peer, so one misbehaving client cannot exhaust the worker. */
export const PEER_LIMITS = { transports: 4, producers: 4, consumers: 64 };

interface Peer {
  id: string;
  transports: Map<string, types.WebRtcTransport>;
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
};

/** Turns mediasoup's exceptions (bad parameters, closed objects) into client errors. */
async function media<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('MEDIA_ERROR', `${what} failed: ${(err as Error).message}`);
  }
}

/**
 * The media of one lesson: a router, and per peer (the teacher, each receiving classroom)
 * its transports, producers and consumers. Closing a peer or the lesson closes everything
 * below it, once.
 */
export class LessonMedia extends EventEmitter<LessonMediaEvents> {
  private readonly peers = new Map<string, Peer>();
  private closed = false;

  constructor(
    readonly router: types.Router,
    private readonly webRtcServer: types.WebRtcServer,
    private readonly log: Logger,
  ) {
    super();
    router.observer.once('close', () => this.close());
  }

  get rtpCapabilities(): types.RtpCapabilities {
    return this.router.rtpCapabilities;
  }

  private peer(peerId: string): Peer {
    let peer = this.peers.get(peerId);
    if (!peer) {
      peer = { id: peerId, transports: new Map(), producers: new Map(), consumers: new Map() };
      this.peers.set(peerId, peer);
    }
    return peer;
  }

  private transport(peerId: string, transportId: string): types.WebRtcTransport {
    const t = this.peers.get(peerId)?.transports.get(transportId);
    if (!t) throw new AppError('NOT_FOUND', 'unknown transport');
    return t;
  }

  async createTransport(peerId: string, direction: TransportDirection) {
    this.assertOpen();
    const peer = this.peer(peerId);
    if (peer.transports.size >= PEER_LIMITS.transports) {
      throw new AppError('CONFLICT', `at most ${PEER_LIMITS.transports} transports per connection`);
    }
    const transport = await media('createWebRtcTransport', () =>
      this.router.createWebRtcTransport({
        webRtcServer: this.webRtcServer,
        enableUdp: true,
        enableTcp: true,
        preferUdp: true,
        initialAvailableOutgoingBitrate: 1_000_000,
        appData: { peerId, direction },
      }),
    );
    peer.transports.set(transport.id, transport);
    transport.observer.once('close', () => peer.transports.delete(transport.id));
    transport.on('dtlsstatechange', (state) => {
      if (state === 'failed' || state === 'closed') {
        this.log.warn({ peerId, transportId: transport.id, state }, 'transport DTLS ended');
        transport.close();
      }
    });
    return {
      id: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
    };
  }

  async connectTransport(peerId: string, transportId: string, dtlsParameters: types.DtlsParameters) {
    const transport = this.transport(peerId, transportId);
    await media('connect', () => transport.connect({ dtlsParameters }));
  }

  async produce(
    peerId: string,
    transportId: string,
    kind: MediaKind,
    source: MediaSource,
    rtpParameters: types.RtpParameters,
    opts: { paused?: boolean } = {},
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
      transport.produce({ kind, rtpParameters, paused: opts.paused ?? false, appData: { peerId, source } }),
    );
    peer.producers.set(producer.id, producer);
    producer.on('score', (scores) => {
      const worst = scores.reduce((m, s) => Math.min(m, s.score), 10);
      this.scoreOf(peer).send = worst;
      this.reportScore(peer);
    });
    const info: PeerProducer = { producerId: producer.id, kind, source };
    producer.observer.once('close', () => {
      peer.producers.delete(producer.id);
      this.emit('producerClosed', peerId, producer.id);
    });
    this.emit('producerAdded', peerId, info);
    return info;
  }

  closeProducer(peerId: string, producerId: string): void {
    const producer = this.peers.get(peerId)?.producers.get(producerId);
    if (!producer) throw new AppError('NOT_FOUND', 'unknown producer');
    producer.close();
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

  /** Closes the consumers of these producers held by anyone but `keep` (stage off). */
  closeConsumersOf(producerIds: ReadonlySet<string>, keep: ReadonlySet<string>): void {
    for (const peer of this.peers.values()) {
      if (keep.has(peer.id)) continue;
      for (const c of [...peer.consumers.values()]) {
        if (!producerIds.has(c.producerId)) continue;
        c.close();
        peer.consumers.delete(c.id);
        this.emit('consumerClosed', peer.id, c.id);
      }
    }
  }

  /** Whether a producer is paused (a muted classroom mic); null if unknown. */
  isProducerPaused(producerId: string): boolean | null {
    for (const peer of this.peers.values()) {
      const p = peer.producers.get(producerId);
      if (p) return p.paused;
    }
    return null;
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

  /**
   * Creates a consumer paused: the client resumes it once its track is wired, so the
   * first packets (and the key frame we request on resume) are not lost.
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
    if (!allowedProducerIds.has(producerId)) throw new AppError('NOT_FOUND', 'unknown producer');
    if (peer.consumers.size >= PEER_LIMITS.consumers) {
      throw new AppError('CONFLICT', `at most ${PEER_LIMITS.consumers} consumers per connection`);
    }
    if (!this.router.canConsume({ producerId, rtpCapabilities })) {
      throw new AppError('MEDIA_ERROR', 'this device cannot decode that stream');
    }
    const consumer = await media('consume', () =>
      transport.consume({ producerId, rtpCapabilities, paused: true, appData: { peerId } }),
    );
    peer.consumers.set(consumer.id, consumer);
    consumer.observer.once('close', () => peer.consumers.delete(consumer.id));
    consumer.on('producerclose', () => {
      consumer.close();
      this.emit('consumerClosed', peerId, consumer.id);
    });
    consumer.on('transportclose', () => peer.consumers.delete(consumer.id));
    consumer.on('score', ({ score }) => {
      this.scoreOf(peer).recv.set(consumer.id, score);
      this.reportScore(peer);
    });
    consumer.observer.once('close', () => this.scoreOf(peer).recv.delete(consumer.id));
    return {
      consumerId: consumer.id,
      producerId,
      kind: consumer.kind,
      rtpParameters: consumer.rtpParameters,
    };
  }

  async resumeConsumer(peerId: string, consumerId: string): Promise<void> {
    const consumer = this.peers.get(peerId)?.consumers.get(consumerId);
    if (!consumer) throw new AppError('NOT_FOUND', 'unknown consumer');
    await media('resume', () => consumer.resume());
    if (consumer.kind === 'video') await media('requestKeyFrame', () => consumer.requestKeyFrame());
  }

  private readonly scores = new Map<string, { send: number | null; recv: Map<string, number>; last: number | null }>();

  private scoreOf(peer: Peer) {
    let s = this.scores.get(peer.id);
    if (!s) {
      s = { send: null, recv: new Map(), last: null };
      this.scores.set(peer.id, s);
    }
    return s;
  }

  private reportScore(peer: Peer): void {
    const s = this.scoreOf(peer);
    const parts = [...s.recv.values()];
    if (s.send !== null) parts.push(s.send);
    if (parts.length === 0) return;
    const score = Math.min(...parts);
    if (score === s.last) return;
    s.last = score;
    this.emit('peerScore', peer.id, score);
  }

  /** Closes every transport of a peer (and with them its producers and consumers). */
  closePeer(peerId: string): void {
    const peer = this.peers.get(peerId);
    if (!peer) return;
    this.peers.delete(peerId);
    this.scores.delete(peerId);
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
    for (const id of [...this.peers.keys()]) this.closePeer(id);
    if (!this.router.closed) this.router.close();
    this.removeAllListeners();
  }
}
