/**
 * The parent's side of the join storm's processes (stormProcess.ts): starts them, hands each
 * join to one of them round-robin, and collects what each join reported.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { killOnExit, onCleanup } from './cleanup.js';
import type { JoinMarks, StormJoin } from './classroomJoin.js';
import { StormReport, type StormOrder } from './stormProcess.js';
import { withTimeout } from './system.js';

const ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'stormProcess.ts');

export interface StormPool {
  size: number;
  /** Resolves with the join's time and marks; rejects with the join's error. */
  join(order: StormJoin): Promise<{ joinMs: number; marks: JoinMarks }>;
  close(): void;
}

export async function startStormPool(size: number, maxSeconds: number): Promise<StormPool> {
  const children: ChildProcess[] = [];
  const pending = new Map<number, { child: ChildProcess; resolve: (r: { joinMs: number; marks: JoinMarks }) => void; reject: (e: Error) => void }>();
  const failAll = (child: ChildProcess | null, why: string) => {
    for (const [id, p] of pending) {
      if (child && p.child !== child) continue;
      pending.delete(id);
      p.reject(new Error(why));
    }
  };
  let nextId = 0;
  let nextChild = 0;
  const close = () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    failAll(null, 'the storm processes were closed');
  };
  onCleanup('join storm processes', close);
  for (let i = 0; i < size; i++) {
    children.push(spawn(process.execPath, ['--import', 'tsx', ENTRY, String(maxSeconds)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  }
  await Promise.all(
    children.map((child) => {
      killOnExit(child.pid!);
      child.once('exit', (code, signal) => failAll(child, `a storm process exited (${signal ?? code}) during a join`));
      child.on('message', (raw) => {
        const report = StormReport.safeParse(raw);
        if (!report.success || report.data.type === 'ready') return;
        const p = pending.get(report.data.id);
        if (!p) return;
        pending.delete(report.data.id);
        if (report.data.type === 'joined') p.resolve({ joinMs: report.data.joinMs, marks: report.data.marks as JoinMarks });
        else p.reject(new Error(report.data.error));
      });
      return withTimeout(
        new Promise<void>((resolve, reject) => {
          child.on('message', (raw) => StormReport.safeParse(raw).data?.type === 'ready' && resolve());
          child.once('exit', (code) => reject(new Error(`a storm process exited (${code}) before it was ready`)));
        }),
        30_000,
        'starting a storm process',
      );
    }),
  );
  return {
    size,
    join(order) {
      const id = nextId++;
      const child = children[nextChild++ % children.length]!;
      if (!child.connected) return Promise.reject(new Error('the storm processes were closed'));
      return new Promise((resolve, reject) => {
        pending.set(id, { child, resolve, reject });
        child.send({ type: 'join', id, ...order } satisfies StormOrder, (err) => err && failAll(child, err.message));
      });
    },
    close,
  };
}
