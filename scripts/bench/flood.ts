/**
 * Flood benchmark (issue "Accounts, roles and hardening"): one classroom floods the server
 * far beyond its rate limit while another classroom measures its signalling round trip.
 * Prints the unloaded and loaded latency and writes bench/results/flood.json.
 *
 * The server runs as its own process (the real entry point), the flooding classroom in
 * another, and this process only measures.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io } from 'socket.io-client';
import { z } from 'zod';
import { startMainOnLoopback } from '../../test/helpers/process.js';

const args = z
  .object({ samples: z.coerce.number().int().min(20).max(5000).default(400), floodSeconds: z.coerce.number().min(2).max(60).default(8) })
  .parse(Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('='))));

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

async function main() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tongke-flood-'));
  // The real entry point in its own process, as in production; its demo prints the tokens.
  const server = await startMainOnLoopback(dataDir);
  const { child, url } = server;
  try {
    const classroomTokens = server.tokens('classroom');
    const victim = io(url, { auth: { token: classroomTokens[1] }, transports: ['websocket'], reconnection: false });
    await new Promise<void>((resolve, reject) => {
      victim.once('connect', () => resolve());
      victim.once('connect_error', reject);
    });
    // Measure at a rate well inside the limit (10/s per event): alternate two events.
    const rtt = async (n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const event = i % 2 === 0 ? 'lesson:sync' : 'media:getRouterRtpCapabilities';
        const t0 = process.hrtime.bigint();
        await new Promise((resolve) => victim.emit(event as never, {} as never, resolve as never));
        out.push(Number(process.hrtime.bigint() - t0) / 1e6);
        await new Promise((r) => setTimeout(r, 110));
      }
      return out;
    };
    const perPhase = Math.min(args.samples, Math.floor((args.floodSeconds * 1000) / 115));
    const unloaded = await rtt(perPhase);
    const flood = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench/flood-client.ts', url, classroomTokens[0]!, String(args.floodSeconds)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let floodOut = '';
    flood.stdout.on('data', (d) => (floodOut += d));
    await new Promise((r) => setTimeout(r, 500)); // let the flood ramp up
    const loaded = await rtt(perPhase);
    await new Promise((resolve) => flood.once('exit', resolve));
    victim.disconnect();
    const counts = JSON.parse(floodOut.trim() || '{}') as Record<string, number>;
    const result = {
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), loadavg: os.loadavg() },
      samplesPerPhase: perPhase,
      floodSeconds: args.floodSeconds,
      flood: { ...counts, perSecond: Math.round((counts.sent ?? 0) / args.floodSeconds) },
      unloadedMs: { p50: pct(unloaded, 50), p95: pct(unloaded, 95), mean: unloaded.reduce((a, b) => a + b, 0) / unloaded.length },
      loadedMs: { p50: pct(loaded, 50), p95: pct(loaded, 95), mean: loaded.reduce((a, b) => a + b, 0) / loaded.length },
    };
    const ratio = result.loadedMs.p50 / result.unloadedMs.p50;
    const summary = { ...result, loadedOverUnloadedP50: ratio, withinTarget: ratio <= 1.2 };
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/flood.json', JSON.stringify(summary, null, 2) + '\n');
    console.log(
      `flood: ${counts.sent} requests sent, ${counts.rateLimited} RATE_LIMITED, ${counts.ok} served; ` +
        `flooder disconnected after ${counts.disconnectedAfterMs ?? '—'} ms (${counts.reason || 'not disconnected'})`,
    );
    console.log(`other classroom round trip, unloaded: p50 ${result.unloadedMs.p50.toFixed(2)} ms, p95 ${result.unloadedMs.p95.toFixed(2)} ms`);
    console.log(`other classroom round trip, during flood: p50 ${result.loadedMs.p50.toFixed(2)} ms, p95 ${result.loadedMs.p95.toFixed(2)} ms`);
    console.log(`loaded/unloaded p50: ${ratio.toFixed(2)} (target ≤ 1.20: ${ratio <= 1.2 ? 'met' : 'NOT met'})`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
