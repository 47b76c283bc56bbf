import { Device } from 'mediasoup-client';
import type { types } from 'mediasoup-client';
import type { ResultOf } from '../../shared/events.js';
import type { IceCandidateInfo, MediaSource, ProducerInfo } from '../../shared/media.js';
import { DetourPath, SilentPath, StuckPath } from './silentPath.js';
import { request, type TongkeSocket } from './socket.js';

const MAX_ICE_RESTARTS = 3;
const ICE_RESTART_BASE_MS = 1500;
/** How often each transport's received bytes are read for SilentPath. */
const SILENCE_SAMPLE_MS = 500;

/** Three simulcast layers for the teacher's camera: every classroom gets one that fits its link. */
export const CAMERA_SIMULCAST: RTCRtpEncodingParameters[] = [
  { rid: 'r0', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: 'r1', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { rid: 'r2', scaleResolutionDownBy: 1, maxBitrate: 1_800_000 },
];

/** What a page receives, summed over its consumers (inbound-rtp). */
export interface ReceiveStats {
  videoFramesDecoded: number;
  audioPacketsReceived: number;
  videoPacketsLost: number;
  /** NACKs this page sent for video: how often it asked for a lost packet again. */
  videoNackCount: number;
  /** Video packets that arrived as retransmissions (RTX), i.e. repaired losses. */
  videoRetransmittedPackets: number;
}

export const emptyReceiveStats = (): ReceiveStats => ({
  videoFramesDecoded: 0,
  audioPacketsReceived: 0,
  videoPacketsLost: 0,
  videoNackCount: 0,
  videoRetransmittedPackets: 0,
});

export interface ReceivedTrack {
  producerId: string;
  consumer: types.Consumer;
  track: MediaStreamTrack;
}

/** Whether a transport's chosen path is TCP or a TURN relay rather than direct UDP (DetourPath). */
function onDetour(report: RTCStatsReport): boolean {
  let pairId: unknown;
  report.forEach((s: Record<string, unknown>) => {
    if (s.type === 'transport') pairId ??= s.selectedCandidatePairId;
  });
  const pair = typeof pairId === 'string' ? (report.get(pairId) as Record<string, unknown> | undefined) : undefined;
  const local = typeof pair?.localCandidateId === 'string' ? (report.get(pair.localCandidateId) as Record<string, unknown> | undefined) : undefined;
  return local !== undefined && (local.protocol === 'tcp' || local.candidateType === 'relay');
}

/**
 * One page's media session: a mediasoup-client Device and the transports it needs,
 * signalled over our typed socket. Thrown away and rebuilt whole after a reconnect, so it
 * never depends on state from before.
 */
let sessions = 0;

/** How many media sessions this page has built (tests watch it to see a rebuild happen). */
export const sessionCount = () => sessions;

export class MediaSession {
  private readonly device = new Device();
  private loading: Promise<void> | null = null;
  private sendTransport: Promise<types.Transport> | null = null;
  private recvTransport: Promise<types.Transport> | null = null;
  private readonly producers = new Map<MediaSource, types.Producer>();
  private readonly consumers = new Map<string, types.Consumer>();
  private readonly transports: types.Transport[] = [];
  private lastCandidates: readonly IceCandidateInfo[] = [];
  private closed = false;
  onConnectionState: (state: string) => void = () => {};
  /** Called once when ICE restarts did not help: the page should build a new session. */
  onBroken: () => void = () => {};

  constructor(private readonly socket: TongkeSocket) {
    sessions++;
  }

  /** Concurrent callers (audio and video arriving together) share one load. */
  load(): Promise<void> {
    this.loading ??= (async () => {
      const { rtpCapabilities } = await request(this.socket, 'media:getRouterRtpCapabilities', {});
      await this.device.load({ routerRtpCapabilities: rtpCapabilities as unknown as types.RtpCapabilities });
    })();
    this.loading.catch(() => {
      this.loading = null;
    });
    return this.loading;
  }

  private transportFor(direction: 'send' | 'recv'): Promise<types.Transport> {
    const existing = direction === 'send' ? this.sendTransport : this.recvTransport;
    if (existing) return existing;
    // The transport is asked for while the router's capabilities load, not after: one round
    // trip less before media, which on a rural link with 200 ms to the server is 200 ms.
    const asked = request(this.socket, 'media:createTransport', { direction });
    asked.catch(() => {});
    const created = this.load().then(async () => this.createTransport(direction, await asked));
    created.catch(() => {
      if (direction === 'send') this.sendTransport = null;
      else this.recvTransport = null;
    });
    if (direction === 'send') this.sendTransport = created;
    else this.recvTransport = created;
    return created;
  }

  private createTransport(direction: 'send' | 'recv', params: ResultOf<'media:createTransport'>): types.Transport {
    this.lastCandidates = params.iceCandidates;
    const options = params as unknown as types.TransportOptions;
    const transport =
      direction === 'send' ? this.device.createSendTransport(options) : this.device.createRecvTransport(options);
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      request(this.socket, 'media:connectTransport', {
        transportId: transport.id,
        dtlsParameters: dtlsParameters as never,
      }).then(() => callback(), errback);
    });
    this.transports.push(transport);
    this.watchSilence();
    transport.on('connectionstatechange', (state) => {
      this.onConnectionState(state);
      this.watchConnection(transport, state);
    });
    if (direction === 'send') {
      transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
        request(this.socket, 'media:produce', {
          transportId: transport.id,
          kind,
          source: appData.source as MediaSource,
          rtpParameters: rtpParameters as never,
        }).then(({ producerId }) => callback({ id: producerId }), errback);
      });
    }
    return transport;
  }

  private readonly restarts = new Map<string, { tries: number; timer: ReturnType<typeof setTimeout> | null }>();

  /**
   * Weak rural links drop for seconds at a time. On 'disconnected' we wait briefly, then
   * restart ICE with backoff, at most MAX_ICE_RESTARTS times; 'failed' restarts at once.
   * If that does not bring the transport back, the whole session is rebuilt.
   */
  private watchConnection(transport: types.Transport, state: string): void {
    const entry = this.restarts.get(transport.id) ?? { tries: 0, timer: null };
    this.restarts.set(transport.id, entry);
    if (state === 'connected') {
      entry.tries = 0;
      if (entry.timer) clearTimeout(entry.timer);
      entry.timer = null;
      return;
    }
    if (state !== 'disconnected' && state !== 'failed') return;
    if (entry.timer) return;
    if (entry.tries >= MAX_ICE_RESTARTS) {
      if (!this.closed) this.onBroken();
      return;
    }
    const delay = state === 'failed' ? 0 : ICE_RESTART_BASE_MS * 2 ** entry.tries;
    entry.timer = setTimeout(() => {
      entry.timer = null;
      if (this.closed || transport.closed || transport.connectionState === 'connected') return;
      entry.tries++;
      this.restartIce(transport);
    }, delay);
  }

  /**
   * `rebuildOnFailure`: when the browser itself reports the transport broken, a restart the
   * server cannot make means the session must be built anew. A restart of our own (a silent or
   * stuck path) is only an attempt: it is not made without signalling, and a failed one is left
   * to the next attempt, so a full network outage does not throw away media the server still
   * holds for the page while its signalling is down.
   */
  private restartIce(transport: types.Transport, rebuildOnFailure = true): void {
    if (!rebuildOnFailure && !this.socket.connected) return;
    request(this.socket, 'media:restartIce', { transportId: transport.id }).then(
      ({ iceParameters }) => transport.restartIce({ iceParameters: iceParameters as unknown as types.IceParameters }),
      () => {
        if (rebuildOnFailure && !this.closed) this.onBroken();
      },
    ).catch(() => {
      // The transport closed under the restart: the session is being rebuilt or closed anyway.
    });
  }

  private silenceTimer: ReturnType<typeof setInterval> | null = null;
  private readonly silences = new Map<types.Transport, SilentPath>();
  private readonly stuck = new Map<types.Transport, StuckPath>();
  private readonly detours = new Map<types.Transport, DetourPath>();

  /**
   * Restarts ICE on a 'connected' transport whose path went silent (SilentPath), where the
   * browser would take 7–8 s to notice, and every 5 s on one that has not connected for 12 s
   * (StuckPath), and now and then on one whose media goes over TCP or a relay, to get back to UDP
   * (DetourPath). Chrome's own 'disconnected'/'failed' are still handled by watchConnection.
   */
  private watchSilence(): void {
    const watches = this.silences;
    this.silenceTimer ??= setInterval(() => {
      for (const t of this.transports) {
        if (t.closed) {
          watches.delete(t);
          this.stuck.delete(t);
          continue;
        }
        const stuck = this.stuck.get(t) ?? new StuckPath();
        this.stuck.set(t, stuck);
        if (stuck.sample(t.connectionState === 'connected', performance.now()) && !this.closed) this.restartIce(t, false);
        if (t.connectionState !== 'connected') continue;
        void t.getStats().then((report) => {
          let bytes = 0;
          report.forEach((s: Record<string, unknown>) => {
            if (s.type === 'transport') bytes += Number(s.bytesReceived ?? 0);
          });
          const watch = watches.get(t) ?? new SilentPath();
          watches.set(t, watch);
          const detour = this.detours.get(t) ?? new DetourPath();
          this.detours.set(t, detour);
          const now = performance.now();
          const silent = watch.sample(bytes, now);
          const probe = detour.sample(onDetour(report), now);
          if ((silent || probe) && !this.closed && !t.closed && t.connectionState === 'connected') {
            this.restartIce(t, false);
          }
        }, () => {});
      }
    }, SILENCE_SAMPLE_MS);
  }

  async publish(
    track: MediaStreamTrack,
    source: MediaSource,
    opts: { maxBitrate?: number; simulcast?: RTCRtpEncodingParameters[] } = {},
  ): Promise<types.Producer> {
    const transport = await this.transportFor('send');
    const encodings = opts.simulcast ?? (opts.maxBitrate ? [{ maxBitrate: opts.maxBitrate }] : undefined);
    const producer = await transport.produce({
      track,
      // The page owns its camera: rebuilding a session must not switch it off.
      stopTracks: false,
      appData: { source },
      ...(track.kind === 'video'
        ? { codecOptions: { videoGoogleStartBitrate: 1000 }, ...(encodings ? { encodings } : {}) }
        : {}),
    });
    this.producers.set(source, producer);
    return producer;
  }

  /**
   * Sets up receiving ahead of the first receive(): the router's capabilities and the receive
   * transport are asked for now. A page calls it as soon as the server says it holds no media for
   * it, beside lesson:sync rather than after it: one round trip less before the first picture
   * (on a rural link, 100–300 ms). A lesson that is not live refuses both, harmlessly.
   */
  prepareReceiving(): void {
    this.transportFor('recv').catch(() => {});
  }

  /** Receives one producer; the server creates the consumer paused and we resume it here. */
  async receive(info: ProducerInfo): Promise<ReceivedTrack> {
    const transport = await this.transportFor('recv');
    const params = await request(this.socket, 'media:consume', {
      transportId: transport.id,
      producerId: info.producerId,
      rtpCapabilities: this.device.rtpCapabilities as unknown as Record<string, unknown>,
    });
    const consumer = await transport.consume({
      id: params.consumerId,
      producerId: params.producerId,
      kind: params.kind,
      rtpParameters: params.rtpParameters as unknown as types.RtpParameters,
    });
    this.consumers.set(consumer.id, consumer);
    await request(this.socket, 'media:resumeConsumer', { consumerId: consumer.id });
    return { producerId: info.producerId, consumer, track: consumer.track };
  }

  /** The sender's stats of one published source (an outbound-rtp per encoding), or null. */
  async sendStats(source: MediaSource): Promise<RTCStatsReport | null> {
    const producer = this.producers.get(source);
    return producer && !producer.closed ? producer.getStats() : null;
  }

  /** Stops publishing one source (the teacher's screen share). */
  async unpublish(source: MediaSource): Promise<void> {
    const producer = this.producers.get(source);
    if (!producer) return;
    this.producers.delete(source);
    producer.close();
    await request(this.socket, 'media:closeProducer', { producerId: producer.id });
  }

  dropConsumer(consumerId: string): void {
    this.consumers.get(consumerId)?.close();
    this.consumers.delete(consumerId);
  }

  dropProducer(producerId: string): void {
    for (const [id, c] of this.consumers) {
      if (c.producerId === producerId) {
        c.close();
        this.consumers.delete(id);
      }
    }
  }

  /** Counters the pages show and the e2e tests read: frames decoded, packets received, repairs asked. */
  async receiveStats(producerIds?: ReadonlySet<string>): Promise<ReceiveStats> {
    const out = emptyReceiveStats();
    for (const c of this.consumers.values()) {
      if (producerIds && !producerIds.has(c.producerId)) continue;
      const report = await c.getStats();
      report.forEach((s: Record<string, unknown>) => {
        if (s.type !== 'inbound-rtp') return;
        if (s.kind === 'video') {
          out.videoFramesDecoded += Number(s.framesDecoded ?? 0);
          out.videoPacketsLost += Number(s.packetsLost ?? 0);
          out.videoNackCount += Number(s.nackCount ?? 0);
          out.videoRetransmittedPackets += Number(s.retransmittedPacketsReceived ?? 0);
        } else if (s.kind === 'audio') {
          out.audioPacketsReceived += Number(s.packetsReceived ?? 0);
        }
      });
    }
    return out;
  }

  /** Whether this session has set up (or is setting up) a transport: it wants media to flow. */
  get trying(): boolean {
    return !this.closed && (this.sendTransport !== null || this.recvTransport !== null);
  }

  /** Where the server said the last transport could reach it (its ICE candidates). */
  get candidates(): readonly IceCandidateInfo[] {
    return this.lastCandidates;
  }

  /** Whether media flows: a transport of this session is connected. */
  get flowing(): boolean {
    return !this.closed && this.transports.some((t) => !t.closed && t.connectionState === 'connected');
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const r of this.restarts.values()) if (r.timer) clearTimeout(r.timer);
    if (this.silenceTimer) clearInterval(this.silenceTimer);
    for (const p of this.producers.values()) p.close();
    for (const c of this.consumers.values()) c.close();
    void this.sendTransport?.then((t) => t.close(), () => {});
    void this.recvTransport?.then((t) => t.close(), () => {});
    this.producers.clear();
    this.consumers.clear();
  }
}
