import { describe, expect, it } from 'vitest';
import { cells, parseTccFlags, type RampStep } from '../../scripts/bench/tcc.js';

const step = (classrooms: number, workerCpuPct: number): RampStep => ({
  classrooms,
  workerCpuPct,
  classroomPacketsPerS: 255,
  workerRssMB: 20,
  sampledLossPct: 0,
});

describe('bench-tcc', () => {
  it('takes its flags through zod, refusing unknown shapes and steps', () => {
    expect(parseTccFlags([])).toMatchObject({ shapes: ['single'], configs: ['plain-none', 'fb-mediasoup', 'fb-tongke'], steps: [100, 200], repeats: 5 });
    expect(parseTccFlags(['--shapes', 'single', '--steps', '100']).steps).toEqual([100]);
    expect(() => parseTccFlags(['--shapes', 'everything'])).toThrow(/--shapes/);
    expect(() => parseTccFlags(['--steps', '0'])).toThrow(/--steps/);
    expect(() => parseTccFlags(['--nonsense'])).toThrow();
  });

  it('gives each configuration its median over the runs and its overhead against none, skipping steps a ramp never reached', () => {
    const runs = new Map<string, RampStep[][]>([
      ['single/none', [[step(150, 30), step(250, 50)], [step(150, 34), step(250, 54)], [step(150, 32), step(250, 52)]]],
      ['single/tcc-mediasoup', [[step(150, 50), step(250, 80)], [step(150, 54)], [step(150, 52), step(250, 84)]]],
      ['single/tcc-tongke', [[step(150, 40), step(250, 70)]]],
    ]);
    const got = cells(runs, ['single'], [150, 250]);
    const at = (config: string, classrooms: number) => got.find((c) => c.config === config && c.classrooms === classrooms);
    expect(at('none', 150)).toMatchObject({ medianCpuPct: 32, overheadPct: 0, cpuPct: [30, 34, 32] });
    expect(at('tcc-mediasoup', 150)).toMatchObject({ medianCpuPct: 52, overheadPct: 20 });
    // The second run stopped before 250 (CPU over the line): the median is over the two that got there.
    expect(at('tcc-mediasoup', 250)).toMatchObject({ medianCpuPct: 82, overheadPct: 30, cpuPct: [80, 84] });
    expect(at('tcc-tongke', 250)).toMatchObject({ medianCpuPct: 70, overheadPct: 18 });
    expect(cells(new Map([['single/tcc-tongke', [[step(150, 40)]]]]), ['single'], [150])[0]!.overheadPct).toBeNull();
  });
});
