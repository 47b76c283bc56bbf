/**
 * One WebRTC classroom joining a lesson as the classroom page does (client/lib/media.ts
 * MediaSession on @roamhq/wrtc), timed step by step up to its first decoded frame. Used by the
 * WebRTC phase in the benchmark's own process and by the join-storm child processes.
 */
import { MediaSession } from '../../client/lib/media.js';
import { request as pageRequest } from '../../client/lib/socket.js';
import type { TongkeServer } from '../../server/tongkeServer.js';
import { onCleanup } from './cleanup.js';
import { percentile } from './results.js';
import { connect, type ClientSocket } from './signalling.js';
import { round, sleep, withTimeout } from './system.js';
import { readFrames, type StampReader } from './wrtc.js';

/** Every join must reach its first frame within this, or it counts as failed (bounds the phase). */
export const JOIN_TIMEOUT_MS = 15_000;

/**
 * The steps of a join, in order, each ending at a moment the page can see: where a slow join
 * spends its time (signalling, ICE + DTLS, or the wait for a key frame).
 */
export const JOIN_MARKS = ['socket', 'sync', 'consumed', 'transportConnected', 'firstFrame'] as const;
export type JoinMarks = Partial<Record<(typeof JOIN_MARKS)[number], number>>;

/** p50/p95 of each join step's end, ms after the join started. */
export type JoinBreakdown = Partial<Record<(typeof JOIN_MARKS)[number], { p50Ms: number | null; p95Ms: number | null }>>;

export function joinBreakdown(joins: JoinMarks[]): JoinBreakdown {
  const out: JoinBreakdown = {};
  for (const mark of JOIN_MARKS) {
    const times = joins.flatMap((m) => (m[mark] === undefined ? [] : [m[mark]!])).sort((a, b) => a - b);
    out[mark] = { p50Ms: percentile(times, 50), p95Ms: percentile(times, 95) };
  }
  return out;
}

export interface Joined {
  classroomId: string;
  socket: ClientSocket;
  session: MediaSession;
  reader: StampReader;
  joinMs: number;
  /** When each step of the join ended, ms after it started (JOIN_MARKS). */
  marks: JoinMarks;
}

/** Node 20 has no navigator: mediasoup-client's detection then picks Chrome111, as for the page. */
export function pretendChrome(): void {
  if (typeof (globalThis as { navigator?: unknown }).navigator === 'object') return;
  Object.defineProperty(globalThis, 'navigator', {
    value: { userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36' },
    configurable: true,
  });
}

/** A classroom page: connect, sync, receive the teacher's camera and microphone, until first decoded frame. */
export async function joinClassroom(
  url: string,
  token: string,
  classroomId: string,
  reading: () => boolean,
  keep: (j: Joined) => void,
  /** The latency probe: only this video source, no audio. */
  probeSource: 'screen' | null = null,
): Promise<Joined> {
  const start = performance.now();
  const marks: JoinMarks = {};
  const mark = (m: keyof JoinMarks) => (marks[m] ??= round(performance.now() - start));
  let session!: MediaSession;
  // As the classroom page does: receiving is set up as soon as the server says it holds no media
  // for this page (media:session), beside lesson:sync.
  const socket = await connect(url, token, undefined, (s) => {
    session = new MediaSession(s as never);
    s.once('media:session', ({ resumed }) => resumed || session.prepareReceiving());
  });
  mark('socket');
  session.onConnectionState = (state) => state === 'connected' && mark('transportConnected');
  const partial = { classroomId, socket, session, marks };
  let firstFrame!: () => void;
  const decoded = new Promise<void>((r) => (firstFrame = r));
  try {
    const state = await pageRequest(socket as never, 'lesson:sync', {});
    mark('sync');
    const teacher = state.producers.filter((p) => p.ownerClassroomId === null);
    const camera = teacher.find((p) => p.source === (probeSource ?? 'camera'));
    if (!camera) throw new Error(`lesson:sync listed no teacher ${probeSource ?? 'camera'}`);
    const video = await session.receive(camera);
    mark('consumed');
    const reader = readFrames(video.track, {
      reading,
      onFirstFrame: () => {
        mark('firstFrame');
        firstFrame();
      },
    });
    const joined: Joined = { ...partial, reader, joinMs: 0 };
    keep(joined);
    if (!probeSource) for (const p of teacher.filter((p) => p.source === 'microphone')) await session.receive(p);
    await decoded;
    joined.joinMs = performance.now() - start;
    return joined;
  } catch (err) {
    session.close();
    socket.disconnect();
    throw err;
  }
}

type PcHolder = Promise<{ _handler?: { _pc?: RTCPeerConnection } }>;

/**
 * The RTCPeerConnection behind a page's send or receive transport (mediasoup-client keeps it
 * private): wrtc has no RTCRtpReceiver/RTCRtpSender.getStats(), so the benchmark reads the
 * connection's stats instead.
 */
export async function transportPc(session: MediaSession, direction: 'send' | 'recv'): Promise<RTCPeerConnection | undefined> {
  const s = session as unknown as { sendTransport: PcHolder; recvTransport: PcHolder };
  return (await (direction === 'send' ? s.sendTransport : s.recvTransport))._handler?._pc;
}

/** The teacher's page in a bench lesson: signed in, the lesson started, gone at cleanup. */
export async function startBenchTeacher(server: TongkeServer, lessonId: string): Promise<MediaSession> {
  const socket = await connect(server.url, await server.tokens.sign({ role: 'teacher', lessonId, name: '基准老师' }, 600));
  const teacher = new MediaSession(socket as never);
  onCleanup('teacher', () => {
    teacher.close();
    socket.disconnect();
  });
  await pageRequest(socket as never, 'lesson:start', {});
  return teacher;
}

export function closeJoined(j: Joined): void {
  j.reader.stop();
  j.session.close();
  j.socket.disconnect();
}

/** A storm's join: who, where, and when it starts (Date.now() ms, one clock for every process). */
export interface StormJoin {
  url: string;
  token: string;
  classroomId: string;
  atEpochMs: number;
}

/**
 * One join of a storm, in whichever process runs it: started at its fixed moment, timed to its
 * first frame, and gone right after it. `keep` sees the classroom while it joins, for cleanup.
 */
export async function stormJoin(order: StormJoin, keep: (j: Joined) => void = () => {}): Promise<{ joinMs: number; marks: JoinMarks }> {
  await sleep(Math.max(0, order.atEpochMs - Date.now()));
  const j = await withTimeout(joinClassroom(order.url, order.token, order.classroomId, () => false, keep), JOIN_TIMEOUT_MS, 'join');
  closeJoined(j);
  return { joinMs: j.joinMs, marks: j.marks };
}
