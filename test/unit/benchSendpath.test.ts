import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildSendpath, parseSendpathFlags, project, runOnce, summarise, type RunLine } from '../../scripts/bench/sendpath.js';

const line = (batch: number, sent: number, cpuS: number): RunLine => ({ classrooms: 10, batch, rounds: 1, sent, failed: 0, cpuS, wallS: cpuS });

describe('bench-sendpath', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tongke-sendpath-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes its flags through zod: defaults, and clear refusals', () => {
    expect(parseSendpathFlags([])).toMatchObject({ classrooms: 325, batches: [1, 8, 32, 64], repeats: 7 });
    expect(parseSendpathFlags(['--batches', '1,16', '--classrooms', '10']).batches).toEqual([1, 16]);
    expect(() => parseSendpathFlags(['--batches', '8,16'])).toThrow(/first batch must be 1/);
    expect(() => parseSendpathFlags(['--classrooms', '0'])).toThrow(/--classrooms/);
    expect(() => parseSendpathFlags(['--bogus'])).toThrow();
  });

  it('builds the C program and sends every packet, one by one and in batches', async () => {
    const bin = await buildSendpath(dir);
    for (const batch of [1, 4]) {
      const r = await runOnce(bin, 10, batch, 20, null);
      expect(r).toMatchObject({ classrooms: 10, batch, rounds: 20, sent: 200, failed: 0 });
      expect(r.cpuS).toBeGreaterThan(0);
    }
  });

  it('reports the median cost per packet and projects the fan-out ceiling from the capacity step', () => {
    const f = summarise(1, [line(1, 1000, 0.004), line(1, 1000, 0.003), line(1, 1000, 0.005)]);
    expect(f).toMatchObject({ usPerPacket: 4, usPerPacketMin: 3, usPerPacketMax: 5 });

    const fanout = { date: 'd', classroomsPerCore: 300, steps: [{ classrooms: 300, workerUsPerPacket: 10, classroomPacketsPerS: 250 }] };
    const p = project(fanout, 2, 5, 'fanout.json')!;
    // 85% of a core = 850,000 µs/s; 250 packets/s per classroom at 10 µs → 340, at 8 µs → 425, at 5 µs → 680.
    expect(p).toMatchObject({ linearCeiling: 340, batchedUsPerPacket: 8, batchedLinearCeiling: 425, freeSendLinearCeiling: 680, targetUsPerPacket: 6.8 });
    expect(project({ nonsense: true }, 2, 5, 'x')).toBeNull();
    expect(project({ ...fanout, classroomsPerCore: 250 }, 2, 5, 'x')).toBeNull();
  });
});
