/**
 * scripts/bench-uplink: does a busy worker hold the teacher back for everyone?
 *
 * The teacher's sender sets its bitrate from the worker's transport-cc feedback, which carries
 * when each packet arrived as the worker saw it. A worker busy forwarding to hundreds of
 * classrooms sends each packet to all of them before it reads the next, so the teacher's
 * packets wait to be read, the feedback shows a growing delay, and libwebrtc's estimate may
 * back off: every classroom then gets a poorer top layer. Measured here: the teacher's page
 * code (client/lib/media.ts on @roamhq/wrtc) publishes its 720p simulcast camera to the
 * production server, whose one worker (pinned to core 0) forwards the ramp's ffmpeg publisher
 * to 0 or N bulk SRTP classrooms on a second router, as in bench-fanout's loaded phase (the
 * classrooms exist throughout; those not forwarded to have their consumers paused). This
 * process (teacher, server, ffmpeg) stays on core 1 in every window, so only the worker's load
 * changes. Per window: the teacher's estimate (availableOutgoingBitrate), what it sent per
 * layer, its pacer queue, the worker's CPU. Writes bench/results/uplink.{json,md}.
 * See README "The teacher's uplink beside a busy worker".
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { CAMERA_SIMULCAST } from '../../client/lib/media.js';
import { startBackgroundLoad } from './background.js';
import { pretendChrome, startBenchTeacher, transportPc } from './classroomJoin.js';
import { cleanupAll, installSignalHandlers, onCleanup } from './cleanup.js';
import { intListFlag, median, parseFlagsWith, runIfMain, writeResults } from './cli.js';
import { parseFlags as parseFanoutFlags } from './flags.js';
import { startBenchLesson } from './joinTime.js';
import { ensureTestFile } from './publisher.js';
import { GENERATOR_CORE, loadavg, machine, pinToCore, round, sleep, type Machine } from './system.js';
import { installWebRtcGlobals, startSyntheticCamera } from './wrtc.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const say = (line: string) => process.stderr.write(`[bench-uplink] ${line}\n`);

const flagsSchema = z
  .object({
    classrooms: intListFlag(1, 600).default('150,200,250,300'),
    'window-s': z.coerce.number().min(5).max(120).default(20),
    rounds: z.coerce.number().int().min(1).max(5).default(2),
    /** The estimate ramps up before the first window; the bulk classrooms settle before theirs. */
    'settle-s': z.coerce.number().min(0).max(60).default(10),
    out: z.string().min(1).default('bench/results'),
    help: z.boolean().default(false),
  })
  .strict();
type UplinkFlags = z.infer<typeof flagsSchema>;

const USAGE = `usage: scripts/bench-uplink [flags]
  --classrooms L   bulk classrooms the worker forwards to, one loaded window each, after an idle one (default 150,200,250,300:
                   up to about the ramp's capacity)
  --window-s N     seconds each window is measured (default 20)
  --rounds N       times the list is run through (default 2)
  --settle-s N     seconds before each window (default 10)
  --out DIR        where uplink.json/.md go (default bench/results)`;

/** The teacher's send-side counters at one moment. */
export interface SendSample {
  at: number;
  /** availableOutgoingBitrate of the selected candidate pair, bit/s. */
  estimateBps: number | null;
  bytesByRid: Map<string, number>;
  widthByRid: Map<string, number>;
  packetsSent: number;
  sendDelayS: number;
}

async function sendSample(pc: RTCPeerConnection | undefined): Promise<SendSample> {
  const out: SendSample = { at: performance.now(), estimateBps: null, bytesByRid: new Map(), widthByRid: new Map(), packetsSent: 0, sendDelayS: 0 };
  if (!pc) return out;
  (await pc.getStats()).forEach((s: Record<string, unknown>) => {
    if (s.type === 'candidate-pair' && s.state === 'succeeded' && s.availableOutgoingBitrate !== undefined) {
      out.estimateBps = Math.max(out.estimateBps ?? 0, Number(s.availableOutgoingBitrate));
    }
    if (s.type === 'outbound-rtp' && s.kind === 'video' && typeof s.rid === 'string') {
      out.bytesByRid.set(s.rid, Number(s.bytesSent ?? 0));
      if (s.frameWidth !== undefined) out.widthByRid.set(s.rid, Number(s.frameWidth));
      out.packetsSent += Number(s.packetsSent ?? 0);
      out.sendDelayS += Number(s.totalPacketSendDelay ?? 0);
    }
  });
  return out;
}

export interface UplinkWindow {
  round: number;
  /** Bulk classrooms the worker forwarded to (0: idle). */
  bulkClassrooms: number;
  seconds: number;
  workerCpuPct: number;
  /** The teacher's estimate, sampled every second: min, median, max (kbit/s). */
  estimateKbps: { min: number | null; median: number | null; max: number | null };
  /** What the teacher sent per simulcast layer (kbit/s), and the width each layer was at the end. */
  sentKbpsByRid: Record<string, number>;
  widthByRid: Record<string, number>;
  /** Mean time a video packet waited in the teacher's pacer during the window. */
  pacerMs: number | null;
  bulkSampledLossPct: number | null;
  /** The host's speed on the worker's core over the window (hostProbe.ts): µs per probe operation, less is faster. */
  hostProbeUsPerOp: number | null;
  loadavg: [number, number, number];
}

/** Summarises one window from the teacher's per-second samples. */
export function summarizeWindow(samples: SendSample[]): Pick<UplinkWindow, 'seconds' | 'estimateKbps' | 'sentKbpsByRid' | 'widthByRid' | 'pacerMs'> {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (!first || !last || last.at <= first.at) {
    return { seconds: 0, estimateKbps: { min: null, median: null, max: null }, sentKbpsByRid: {}, widthByRid: {}, pacerMs: null };
  }
  const seconds = (last.at - first.at) / 1000;
  const estimates = samples.flatMap((s) => (s.estimateBps === null ? [] : [s.estimateBps / 1000]));
  const packets = last.packetsSent - first.packetsSent;
  return {
    seconds: round(seconds),
    estimateKbps: estimates.length
      ? { min: round(Math.min(...estimates)), median: round(median(estimates)), max: round(Math.max(...estimates)) }
      : { min: null, median: null, max: null },
    sentKbpsByRid: Object.fromEntries([...last.bytesByRid].map(([rid, b]) => [rid, round(((b - (first.bytesByRid.get(rid) ?? 0)) * 8) / seconds / 1000)])),
    widthByRid: Object.fromEntries(last.widthByRid),
    pacerMs: packets > 0 ? round(((last.sendDelayS - first.sendDelayS) / packets) * 1000) : null,
  };
}

async function main(flags: UplinkFlags): Promise<void> {
  installSignalHandlers();
  installWebRtcGlobals();
  pretendChrome();
  await pinToCore(process.pid, GENERATOR_CORE);
  // bench-fanout's defaults: its one worker pinned to core 0, the teacher page's layers.
  const fanout = parseFanoutFlags([]);
  const clip = await ensureTestFile(path.join(ROOT, 'bench/tmp'), fanout.publisher, fanout['video-kbps']);
  const { server, lessonId } = await startBenchLesson(fanout, 1);
  const pooled = server.pool.worker(0)!;
  const cpuMs = async () => {
    const u = await pooled.worker.getResourceUsage();
    return u.ru_utime + u.ru_stime;
  };
  const total = flags.rounds * flags.classrooms.length * 2 * (flags['window-s'] + flags['settle-s'] + 10) + 180;
  const camera = startSyntheticCamera(total);
  onCleanup('synthetic camera', () => camera.stop());
  const teacher = await startBenchTeacher(server, lessonId);
  await teacher.publish(camera.video, 'camera', { simulcast: CAMERA_SIMULCAST });
  await teacher.publish(camera.audio, 'microphone');
  const pc = await transportPc(teacher, 'send');
  say(`teacher publishing 720p VP8 simulcast + Opus from wrtc; worker pid ${pooled.worker.pid}`);

  // The bulk classrooms exist throughout; those not forwarded to have their consumers paused,
  // so the worker holds the same state and only forwards more or less.
  const bulk = await startBackgroundLoad(server.pool, fanout, clip, Math.max(...flags.classrooms));
  say(`${bulk.classrooms} bulk classrooms on a second router of the same worker`);
  const windows: UplinkWindow[] = [];
  const measure = async (pass: number, classrooms: number) => {
    await bulk.forward(classrooms);
    await sleep(flags['settle-s'] * 1000);
    await bulk.mark();
    const cpu0 = await cpuMs();
    const t0 = performance.now();
    const samples = [await sendSample(pc)];
    for (let i = 0; i < flags['window-s']; i++) {
      await sleep(1000);
      samples.push(await sendSample(pc));
    }
    const workerCpuPct = round((100 * ((await cpuMs()) - cpu0)) / (performance.now() - t0));
    const since = await bulk.since();
    const w: UplinkWindow = {
      round: pass,
      bulkClassrooms: classrooms,
      workerCpuPct,
      ...summarizeWindow(samples),
      bulkSampledLossPct: classrooms > 0 ? since.sampledLossPct : null,
      hostProbeUsPerOp: since.hostProbe?.usPerOp ?? null,
      loadavg: loadavg(),
    };
    windows.push(w);
    say(
      `round ${pass}, ${w.bulkClassrooms} bulk classrooms (worker ${w.workerCpuPct}%): teacher's estimate min/median/max ${w.estimateKbps.min}/${w.estimateKbps.median}/${w.estimateKbps.max} kbit/s, ` +
        `sent ${JSON.stringify(w.sentKbpsByRid)} kbit/s, widths ${JSON.stringify(w.widthByRid)}, pacer ${w.pacerMs} ms`,
    );
  };
  for (let r = 1; r <= flags.rounds; r++) {
    for (const n of flags.classrooms) {
      await measure(r, 0);
      await measure(r, n);
    }
  }
  const results = { date: new Date().toISOString(), machine: machine(), flags, windows, measures: MEASURES };
  await cleanupAll();
  process.stdout.write(writeResults(path.resolve(ROOT, flags.out), 'uplink', results, markdown(results)));
  // wrtc's threads keep the process alive after its peer connections are closed.
  process.exit(0);
}

const MEASURES =
  "The teacher's page code (client/lib/media.ts MediaSession, mediasoup-client on @roamhq/wrtc) publishing a synthetic 720p25 camera as the page's 3 VP8 simulcast layers + Opus to the production server. " +
  "estimateKbps: the send transport's selected candidate pair's availableOutgoingBitrate (libwebrtc's estimate from the worker's transport-cc feedback), sampled every second. " +
  "Each window with N > 0: the same worker (pinned to core 0) also forwards bench-fanout's ffmpeg publisher to N bulk SRTP classrooms on a second router (the others' consumers paused); before each, a window with all of them paused. This process (teacher, server, ffmpeg) stays on core 1 throughout.";

function markdown(r: { date: string; machine: Machine; flags: UplinkFlags; windows: UplinkWindow[] }): string {
  const dash = (x: number | null | undefined) => (x === null || x === undefined ? '–' : String(x));
  const rows = r.windows.map(
    (w) =>
      `| ${w.round} | ${w.bulkClassrooms} | ${w.workerCpuPct} | ${dash(w.estimateKbps.min)} / ${dash(w.estimateKbps.median)} / ${dash(w.estimateKbps.max)} | ` +
      `${Object.entries(w.sentKbpsByRid).map(([rid, k]) => `${rid} ${k}`).join(', ')} | ${Object.entries(w.widthByRid).map(([rid, px]) => `${rid} ${px}`).join(', ')} | ${dash(w.pacerMs)} | ${dash(w.bulkSampledLossPct)} | ${dash(w.hostProbeUsPerOp)} |`,
  );
  return `# Teacher's uplink beside a busy worker (\`scripts/bench-uplink\`)

${r.date} on ${r.machine.cpuModel}, ${r.machine.cores} cores, ${r.machine.os}, kernel ${r.machine.kernel}; worker \`${path.basename(path.dirname(r.machine.workerBin))}\`; windows of ${r.flags['window-s']} s after ${r.flags['settle-s']} s settling.

| round | bulk classrooms | worker CPU % | teacher's estimate kbit/s min / median / max | sent kbit/s per layer | width per layer | pacer ms | bulk sampled loss % | host probe µs/op |
| --- | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: |
${rows.join('\n')}

${MEASURES}
`;
}

runIfMain(import.meta.url, 'bench-uplink', USAGE, (argv) => parseFlagsWith(flagsSchema, argv, USAGE), main);
