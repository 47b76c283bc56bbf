import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/logger.js';
import { DEMO, seedDemo } from '../../server/store/demoSeed.js';
import { startTongke, type TongkeServer } from '../../server/tongkeServer.js';
import { onCleanup } from './cleanup.js';
import { testEnv } from '../../test/helpers/server.js';
import type { Flags } from './flags.js';
import { connect, FAKE_DTLS, request, teacherCamera, teacherMicrophone, type ClientSocket } from './signalling.js';
import { percentile } from './results.js';
import { loadavg, pinToCore, round, rssOfPidMB, sleep, withTimeout, WORKER_CORE } from './system.js';

export interface JoinResult {
  classrooms: number;
  ratePerSecond: number;
  completed: number;
  failed: number;
  firstError: string | null;
  p50Ms: number | null;
  p95Ms: number | null;
  maxMs: number | null;
  /**
   * Signalling phase only: growth of Node's live heap (after a full GC) plus the worker's RSS
   * while the classrooms joined and stayed, per classroom: the production server's memory for a
   * connected classroom (Socket.IO connection, lesson state, transport and two consumers).
   */
  memoryPerClassroomMB?: number | null;
  loadavg: [number, number, number];
  measures: string;
}

/** Summarises join times (ms) and failures of a join phase; both join phases report alike. */
export function joinSummary(
  times: number[],
  errors: string[],
  classrooms: number,
  ratePerSecond: number,
  measures: string,
): Omit<JoinResult, 'loadavg'> {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    classrooms,
    ratePerSecond,
    completed: sorted.length,
    failed: errors.length,
    firstError: errors[0] ?? null,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    maxMs: sorted.length ? round(sorted[sorted.length - 1]!) : null,
    measures,
  };
}

const MEASURES =
  'signalling only: socket connect → lesson:sync → getRouterRtpCapabilities → createTransport → connectTransport → ' +
  'consume video + audio → resumeConsumer acks. Excludes ICE, DTLS and first-frame decode (no WebRTC receivers in this run).';

/** Every join must end within this, or it counts as failed (bounds the phase). */
const JOIN_TIMEOUT_MS = 15_000;

/**
 * Starts a real Tongke server in this process (one worker, pinned to core 0), creates a
 * lesson with N receiving classrooms, has the teacher publish (signalling only: no media
 * flows), then starts N classroom joins at a fixed rate through the production path.
 */
export async function measureJoins(flags: Flags, log: (line: string) => void): Promise<JoinResult> {
  const n = flags['join-classrooms'];
  const { server, lessonId } = await startBenchLesson(flags, n);
  const sockets: ClientSocket[] = [];
  onCleanup('join sockets', () => sockets.forEach((s) => s.disconnect()));

  const teacher = await connect(server.url, await server.tokens.sign({ role: 'teacher', lessonId, name: '基准老师' }, 600));
  sockets.push(teacher);
  await request(teacher, 'lesson:start', {});
  const send = await request(teacher, 'media:createTransport', { direction: 'send' });
  await request(teacher, 'media:produce', { transportId: send.id, kind: 'video', source: 'camera', rtpParameters: teacherCamera() });
  await request(teacher, 'media:produce', { transportId: send.id, kind: 'audio', source: 'microphone', rtpParameters: teacherMicrophone() });

  const tokens = await Promise.all(
    Array.from({ length: n }, (_, i) => server.tokens.sign({ role: 'assistant', lessonId, classroomId: benchClassroomId(i) }, 600)),
  );
  const times: number[] = [];
  const errors: string[] = [];
  const memoryBefore = serverMemoryMB(server);
  const t0 = performance.now();
  const joins = tokens.map(async (token, i) => {
    await sleep(Math.max(0, t0 + (i * 1000) / flags['join-rate'] - performance.now()));
    try {
      times.push(await withTimeout(joinOnce(server.url, token, sockets), JOIN_TIMEOUT_MS, 'join'));
    } catch (err) {
      errors.push((err as Error).message);
    }
  });
  await Promise.all(joins);
  const memoryAfter = serverMemoryMB(server);
  const result: JoinResult = {
    ...joinSummary(times, errors, n, flags['join-rate'], MEASURES),
    memoryPerClassroomMB:
      memoryBefore !== null && memoryAfter !== null && times.length > 0 ? round((memoryAfter - memoryBefore) / times.length, 3) : null,
    loadavg: loadavg(),
  };
  log(
    `join: ${result.completed}/${n} at ${flags['join-rate']}/s, p50 ${result.p50Ms} ms, p95 ${result.p95Ms} ms, max ${result.maxMs} ms; ` +
      `server memory ${result.memoryPerClassroomMB ?? '–'} MB per connected classroom`,
  );
  return result;
}

/** Node's live heap after a full GC plus the workers' RSS, MB; null without --expose-gc. */
function serverMemoryMB(server: TongkeServer): number | null {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return null;
  gc();
  const workers = server.pool.pids().reduce((t, pid) => t + (rssOfPidMB(pid) ?? 0), 0);
  return process.memoryUsage().heapUsed / 2 ** 20 + workers;
}

/**
 * A real Tongke server in this process (one worker, pinned to core 0) with a lesson of N
 * receiving classrooms (bench-recv-0001…), torn down by the next cleanupAll().
 */
export async function startBenchLesson(flags: Flags, n: number): Promise<{ server: TongkeServer; lessonId: string }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tongke-bench-'));
  onCleanup('bench data dir', () => rmSync(dataDir, { recursive: true, force: true }));
  // The same single-host loopback settings the integration tests use. Load shedding only with
  // --shed-pct: the WebRTC phases measure joins and latency at the top layer beside a loaded
  // worker, which the server's default line (85%) would cap.
  const config = loadConfig(
    testEnv(dataDir, {
      TONGKE_LOG_LEVEL: flags['log-level'],
      TONGKE_DEMO: '0',
      TONGKE_WORKER_CONSUMER_BUDGET: '100000',
      TONGKE_UPLINK_WORKER_CONSUMER_BUDGET: '100000',
      TONGKE_WORKER_CPU_BUSY_PERCENT: '100',
      TONGKE_WORKER_CPU_SHED_PERCENT: String(flags['shed-pct']),
    }),
  );
  const server = await startTongke(config, createLogger(config.logLevel));
  onCleanup('tongke server', () => server.close());
  for (const pid of server.pool.pids()) await pinToCore(pid, WORKER_CORE);
  return { server, lessonId: createLessonWith(server, n) };
}

export const benchClassroomId = (i: number) => `bench-recv-${String(i + 1).padStart(4, '0')}`;

/** Through the store API, as an administrator's tooling would: N classrooms, one lesson. */
function createLessonWith(server: TongkeServer, n: number): string {
  seedDemo(server.store);
  const ids = Array.from({ length: n }, (_, i) => benchClassroomId(i));
  ids.forEach((id, i) =>
    server.store.upsertClassroom({ id, schoolId: DEMO.ruralSchools[i % DEMO.ruralSchools.length]!.id, name: `基准教室 ${i + 1}`, kind: 'receiving' }),
  );
  const lesson = server.store.createLesson(
    {
      id: `bench-lesson-${randomBytes(4).toString('hex')}`,
      title: '扇出基准（bench-fanout）',
      subject: '基准',
      teacherName: '基准老师',
      lectureClassroomId: DEMO.lectureClassroom.id,
      receivingClassroomIds: ids,
    },
    Date.now(),
  );
  return lesson.id;
}

/** One classroom joining as the classroom page does, up to the acks of its resumed consumers. */
async function joinOnce(url: string, token: string, sockets: ClientSocket[]): Promise<number> {
  const start = performance.now();
  const socket = await connect(url, token);
  sockets.push(socket);
  const state = await request(socket, 'lesson:sync', {});
  const { rtpCapabilities } = await request(socket, 'media:getRouterRtpCapabilities', {});
  const recv = await request(socket, 'media:createTransport', { direction: 'recv' });
  await request(socket, 'media:connectTransport', { transportId: recv.id, dtlsParameters: FAKE_DTLS });
  // The teacher's producers are the ones no classroom owns.
  const teacherMedia = state.producers.filter((p) => p.ownerClassroomId === null);
  if (teacherMedia.length < 2) throw new Error(`lesson:sync listed ${teacherMedia.length} producers, expected the teacher's 2`);
  for (const p of teacherMedia) {
    const c = await request(socket, 'media:consume', { transportId: recv.id, producerId: p.producerId, rtpCapabilities });
    await request(socket, 'media:resumeConsumer', { consumerId: c.consumerId });
  }
  return performance.now() - start;
}
