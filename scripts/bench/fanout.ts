/**
 * scripts/bench-fanout: how many receiving classrooms one mediasoup worker core serves.
 * Phase 1 ramps bulk SRTP receivers on a pinned worker fed by an ffmpeg publisher;
 * phase 2 times classroom joins through the production signalling path; phase 3 runs WebRTC
 * classrooms (mediasoup-client on @roamhq/wrtc): join to first frame, inbound stats, and
 * SFU-added frame latency against a direct wrtc-to-wrtc baseline. Writes
 * bench/results/fanout.{json,md,svg}. See README "Benchmarks".
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mediasoup from 'mediasoup';
import { createLogger } from '../../server/logger.js';
import { LIBWEBRTC_FIELD_TRIALS, MEDIASOUP_FIELD_TRIALS, WorkerPool } from '../../server/media/workerPool.js';
import { chartSvg } from './chart.js';
import { cleanupAll, installSignalHandlers, onCleanup } from './cleanup.js';
import { parseFlags, USAGE, type Flags } from './flags.js';
import { BROWSER_SRTP_SUITE } from './receivers.js';
import { measureJoins, type JoinResult } from './joinTime.js';
import { ensureTestFile, publishedLayers, startPublisher } from './publisher.js';
import { runRamp, type RampResult } from './ramp.js';
import { measureRealReceivers, type RealPhaseResult } from './realReceivers.js';
import { markdown, stepsTable } from './report.js';
import { classroomsPerCore, classroomsWithinLatencyTarget, hostSpeed, notMeasured, NOTES, rssSlopeMB, TARGETS, type FanoutResults } from './results.js';
import { GENERATOR_CORE, machine, pinToCore, unpin, WORKER_CORE } from './system.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The whole run must end; a hung phase fails instead of holding cores forever. */
const RUN_DEADLINE_MS = 15 * 60_000;

const say = (line: string) => process.stderr.write(`[bench-fanout] ${line}\n`);

async function rampPhase(flags: Flags): Promise<{ ramp: RampResult; publisherFile: string }> {
  const workerBin = process.env.MEDIASOUP_WORKER_BIN;
  if (!workerBin) throw new Error('MEDIASOUP_WORKER_BIN is not set: run scripts/bench-fanout, not this file');
  const publisherFile = await ensureTestFile(path.join(ROOT, 'bench/tmp'), flags.publisher, flags['video-kbps']);
  const pool = await WorkerPool.create(
    {
      workerBin,
      numWorkers: 1,
      listenIp: '127.0.0.1',
      announcedIp: '127.0.0.1',
      rtcPort: null,
      consumerBudget: 100_000,
      cpuShedPct: flags['shed-pct'],
      libwebrtcFieldTrials: flags['field-trials'] === 'mediasoup' ? MEDIASOUP_FIELD_TRIALS : LIBWEBRTC_FIELD_TRIALS,
    },
    createLogger(flags['log-level']),
  );
  onCleanup('worker pool', () => pool.close());
  const pooled = pool.worker(0);
  if (!pooled) throw new Error('the worker under test did not start');
  await pinToCore(pooled.worker.pid, WORKER_CORE);
  const router = await pool.createRouterOn(pooled);
  onCleanup('router', () => router.close());
  const publisher = await startPublisher(router, publisherFile, flags.publisher, flags['video-kbps']);
  say(`publisher streaming ${path.relative(ROOT, publisherFile)}; worker pid ${pooled.worker.pid} on core ${WORKER_CORE}`);
  const ramp = await runRamp(flags, pool, pooled, router, publisher, say);
  say(`ramp ended: ${ramp.stoppedBy}`);
  return { ramp, publisherFile };
}

function describeLayers(flags: Flags): string {
  const layers = publishedLayers(flags.publisher, flags['video-kbps']).map((l) => `${l.width}×${l.height}@${l.kbps}k`);
  return `${flags.publisher === 'simulcast' ? 'simulcast' : 'single layer'} ${layers.join(' + ')} 25 fps`;
}

function assemble(
  flags: Flags,
  ramp: RampResult,
  join: JoinResult | null,
  real: RealPhaseResult | null,
  underLoad: RealPhaseResult | null,
  publisherFile: string,
): FanoutResults {
  // With --shed-pct, a step whose classrooms ended capped below their layer does not count.
  const uncapped = ramp.steps.filter((s) => (s.layerCap ?? null) === null);
  const best = classroomsPerCore(uncapped);
  const layer = flags['spatial-layer'] === 2 ? 'the top layer' : `layer ${flags['spatial-layer']}`;
  const shedding = flags['shed-pct'] < 100 ? `; load shedding at ${flags['shed-pct']}% worker CPU (the [layer] a step ended capped at is in the per-classroom column; such steps do not count for classroomsPerCore)` : '';
  return {
    benchmark: 'fanout',
    date: new Date().toISOString(),
    machine: machine(),
    versions: { node: process.version, mediasoup: mediasoup.version },
    setup: {
      workerCore: WORKER_CORE,
      generatorCore: GENERATOR_CORE,
      publisherFile: path.relative(ROOT, publisherFile),
      receivers:
        flags['bulk-transport'] === 'webrtc'
          ? `WebRtcTransport on the worker's WebRtcServer (one UDP socket for all, as browsers' classrooms), ICE and DTLS-SRTP (${BROWSER_SRTP_SUITE}) by scripts/bench/icedtls.c, congestion control ${flags['congestion-control']}, each a UDP socket of icedtls on 127.0.0.1, unread except the sample (icedtls counts their RTP); the ${flags['latency-readers']} latency readers PlainTransport, plain RTP, read here`
          : flags.egress === 'tun'
          ? `PlainTransport, enableSrtp ${flags['srtp-suite']}, congestion control ${flags['congestion-control']}; the sampled ones to UDP sockets on 127.0.0.1, the others out through a tun device nobody reads (NIC-like egress)`
          : `PlainTransport, ${flags['plain-rtp'] || flags['congestion-control'] === 'transport-cc-feedback' ? 'plain RTP' : `enableSrtp ${flags['srtp-suite']}`}, congestion control ${flags['congestion-control']}, one UDP socket each on 127.0.0.1, unread except the sample`,
    },
    flags,
    publisher: {
      description: `${describeLayers(flags)} VP8 (key frame every 2 s) + Opus 64 kbit/s stereo, ffmpeg -re -stream_loop -1 -c copy; classrooms consume ${layer}${shedding}`,
      measuredKbps: ramp.publisherKbps,
    },
    classroomsPerCore: best?.classrooms ?? null,
    lossPct: best?.sampledLossPct ?? null,
    joinP95Ms: real?.join.p95Ms ?? null,
    signallingJoinP95Ms: join?.p95Ms ?? null,
    forwardingLatencyP99Ms: best?.forwarding?.p99Ms ?? null,
    forwardingLatencyP50Ms: best?.forwarding?.p50Ms ?? null,
    classroomsWithinLatencyTarget: classroomsWithinLatencyTarget(uncapped),
    addedLatencyP99Ms: real?.latency.layers[0]?.addedP99Ms ?? null,
    addedLatencyP50Ms: real?.latency.layers[0]?.addedP50Ms ?? null,
    addedLatencyByLayer:
      real?.latency.layers.map((l) => ({
        widthPx: l.layer.width,
        addedP50Ms: l.addedP50Ms,
        addedP99Ms: l.addedP99Ms,
        controlP50Ms: l.control.addedP50Ms,
        controlP99Ms: l.control.addedP99Ms,
      })) ?? null,
    // The production server's memory per connected classroom when the signalling phase ran.
    rssPerClassroomMB: join?.memoryPerClassroomMB ?? rssSlopeMB(ramp.steps),
    rampMemorySlopeMB: rssSlopeMB(ramp.steps),
    realReceivers: real?.receivers ?? null,
    latency: real?.latency ?? null,
    realJoin: real?.join ?? null,
    realPhase: real
      ? { publisherFramesSent: real.publisherFramesSent, publisherFps: real.publisherFps, loadavg: real.loadavg, background: real.background }
      : null,
    realUnderLoad: underLoad,
    hostSpeed: hostSpeed(ramp.steps),
    notMeasured: notMeasured(underLoad?.background?.classrooms ?? 0),
    targets: TARGETS,
    stoppedBy: ramp.stoppedBy,
    steps: ramp.steps,
    join,
    notes: NOTES,
  };
}

function write(flags: Flags, results: FanoutResults): void {
  const dir = path.resolve(ROOT, flags.out);
  mkdirSync(dir, { recursive: true });
  // Each variant keeps its own files, so a variant never overwrites the headline run.
  const cc = { none: [], 'transport-cc': ['tcc'], 'transport-cc-feedback': ['tccfb'] }[flags['congestion-control']];
  const base = ['fanout', ...(flags['bulk-transport'] === 'plain' ? ['plaintransport'] : []), ...(flags.egress === 'tun' ? ['tun'] : []), ...cc, ...(flags['plain-rtp'] ? ['plain'] : [])].join('-');
  writeFileSync(path.join(dir, `${base}.json`), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(path.join(dir, `${base}.md`), markdown(results));
  const title = `Tongke fan-out: one worker core (${results.machine.cpuModel})`;
  writeFileSync(path.join(dir, `${base}.svg`), chartSvg(results.steps, title, flags['cpu-stop'], flags['loss-stop']));
  say(`wrote ${path.relative(ROOT, dir)}/${base}.{json,md,svg}`);
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  installSignalHandlers();
  setTimeout(() => {
    say(`run exceeded ${RUN_DEADLINE_MS / 60_000} min: aborting`);
    void cleanupAll().finally(() => process.exit(1));
  }, RUN_DEADLINE_MS).unref();
  await pinToCore(process.pid, GENERATOR_CORE);

  const { ramp, publisherFile } = await rampPhase(flags);
  // Tear the ramp down before timing joins, so the join phase owns the worker core.
  await cleanupAll();
  const join = flags['join-classrooms'] > 0 ? await measureJoins(flags, say) : null;
  await cleanupAll();
  const loaded = flags['loaded-classrooms'] === 'auto' ? (classroomsPerCore(ramp.steps)?.classrooms ?? 0) : flags['loaded-classrooms'];
  // Beside bulk classrooms the worker needs its core to itself, as on a server: this process
  // (and the wrtc threads it creates) stays pinned to the other core, where it is short of CPU.
  const underLoad =
    flags['real-receivers'] > 0 && loaded > 0
      ? await measureRealReceivers(flags, say, { file: publisherFile, classrooms: loaded })
      : null;
  await cleanupAll();
  // On an otherwise idle worker the wrtc encoders and decoders may use every core.
  if (flags['real-receivers'] > 0) await unpin(process.pid);
  const real = flags['real-receivers'] > 0 ? await measureRealReceivers(flags, say, { file: publisherFile, classrooms: 0 }) : null;
  await cleanupAll();

  const results = assemble(flags, ramp, join, real, underLoad, publisherFile);
  write(flags, results);
  process.stdout.write(`${stepsTable(results.steps)}\n\n`);
  process.stdout.write(
    `classroomsPerCore ${results.classroomsPerCore ?? '–'} (loss ${results.lossPct ?? '–'}%, egress ${flags.egress}), joinP95Ms ${results.joinP95Ms ?? '–'} ` +
      `(connect → first decoded frame; signalling only ${results.signallingJoinP95Ms ?? '–'}), rssPerClassroomMB ${results.rssPerClassroomMB ?? '–'}, ` +
      `forwardingLatencyP99Ms ${results.forwardingLatencyP99Ms ?? '–'} (p50 ${results.forwardingLatencyP50Ms ?? '–'}; p99 < ${TARGETS.addedLatencyP99Ms} ms up to ${results.classroomsWithinLatencyTarget ?? '–'} classrooms), ` +
      `addedLatencyP99Ms ${results.addedLatencyP99Ms ?? '–'} (p50 ${results.addedLatencyP50Ms ?? '–'}); publisher ${results.publisher.measuredKbps ?? '–'} kbit/s\n`,
  );
}

main()
  .catch(async (err: unknown) => {
    say(`failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanupAll();
    // Socket.IO clients or timers must not keep a finished benchmark alive.
    setTimeout(() => process.exit(), 200).unref();
  });
