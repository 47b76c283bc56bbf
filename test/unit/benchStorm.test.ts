import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { busyPctBetween, hostCpuTimes, startHostLoad } from '../../scripts/bench/hostLoad.js';
import { startStormPool, type StormPool } from '../../scripts/bench/stormPool.js';
import { StormOrder } from '../../scripts/bench/stormProcess.js';

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

describe('bench-fanout join storm', () => {
  let pool: StormPool | null = null;
  afterEach(() => pool?.close());

  it('reads host-wide busy and idle time from /proc/stat', () => {
    const a = hostCpuTimes(() => 'cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4\n');
    const b = hostCpuTimes(() => 'cpu  200 0 100 1000 100 0 0 0 0 0\n');
    expect(a).toEqual({ busy: 150, total: 1000 });
    // 150 busy of 400 jiffies between the two.
    expect(busyPctBetween(a, b)).toBe(37.5);
    expect(hostCpuTimes(() => 'nothing here')).toBeNull();
    expect(busyPctBetween(a, a)).toBeNull();
  });

  it('measures this process, the host and the event loop over a phase', async () => {
    const meter = startHostLoad();
    await new Promise((r) => setTimeout(r, 30)); // the delay monitor's timer is armed
    const until = performance.now() + 60;
    while (performance.now() < until); // a busy event loop for 60 ms
    await new Promise((r) => setTimeout(r, 40));
    const load = meter.stop();
    expect(load.seconds).toBeGreaterThanOrEqual(0.12);
    expect(load.processCpuPct).toBeGreaterThan(5);
    expect(load.eventLoopDelayMaxMs).toBeGreaterThanOrEqual(40);
  });

  it('only takes well-formed orders', () => {
    const join = { type: 'join', id: 1, url: 'http://127.0.0.1:1', token: 't', classroomId: 'c', atEpochMs: 0 };
    expect(StormOrder.safeParse(join).success).toBe(true);
    expect(StormOrder.safeParse({ ...join, url: 'not a url' }).success).toBe(false);
    expect(StormOrder.safeParse({ ...join, id: -1 }).success).toBe(false);
    expect(StormOrder.safeParse({ type: 'dance' }).success).toBe(false);
  });

  it('runs joins in child processes and brings each failure back to the parent', async () => {
    pool = await startStormPool(2, 60);
    const url = `http://127.0.0.1:${await closedPort()}`;
    const results = await Promise.allSettled(
      [0, 1, 2].map((i) => pool!.join({ url, token: 'x', classroomId: `c${i}`, atEpochMs: Date.now() + 50 })),
    );
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const r of results) expect(String((r as PromiseRejectedResult).reason)).toMatch(/error/i);
    pool.close();
    await expect(pool.join({ url, token: 'x', classroomId: 'late', atEpochMs: 0 })).rejects.toThrow();
  }, 60_000);
});
