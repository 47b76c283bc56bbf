/**
 * One process of the join storm: classroom pages joining at the times the parent gives, each
 * timed from connect to first decoded frame and gone right after it (classroomJoin.ts). In a
 * county every classroom runs its page on its own PC, so the storm's page code must not queue
 * behind the server's and the teacher's on one JavaScript thread: the parent spreads the joins
 * over a few of these, warmed by one join each before the storm (the page is loaded before
 * the assistant joins; compiling it is not part of a join).
 *
 * Run by stormPool.ts with an IPC channel, which kills it on cleanup; it also exits when the
 * parent goes, or after its deadline.
 */
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { pretendChrome, stormJoin } from './classroomJoin.js';
import { installWebRtcGlobals } from './wrtc.js';

export const StormOrder = z.object({
  type: z.literal('join'),
  id: z.number().int().nonnegative(),
  url: z.string().url(),
  token: z.string().min(1),
  classroomId: z.string().min(1),
  /** When to start, Date.now() milliseconds (one clock for every process of the host). */
  atEpochMs: z.number(),
});
export type StormOrder = z.infer<typeof StormOrder>;

export const StormReport = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('joined'), id: z.number(), joinMs: z.number(), marks: z.record(z.number()) }),
  z.object({ type: z.literal('failed'), id: z.number(), error: z.string() }),
]);
export type StormReport = z.infer<typeof StormReport>;

async function join(order: StormOrder): Promise<StormReport> {
  try {
    const { joinMs, marks } = await stormJoin(order);
    return { type: 'joined', id: order.id, joinMs, marks: marks as Record<string, number> };
  } catch (err) {
    return { type: 'failed', id: order.id, error: (err as Error).message };
  }
}

function main(): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error('stormProcess.ts runs as a child of the benchmark, with an IPC channel');
  const maxSeconds = z.coerce.number().positive().max(3600).parse(process.argv[2]);
  // Bounded: gone with the parent, and by its deadline whatever happens.
  setTimeout(() => process.exit(1), maxSeconds * 1000).unref();
  process.on('disconnect', () => process.exit(0));
  installWebRtcGlobals();
  pretendChrome();
  process.on('message', (raw) => {
    const order = StormOrder.safeParse(raw);
    if (!order.success) {
      process.stderr.write(`storm process: ignoring a malformed order: ${order.error.message}\n`);
      return;
    }
    void join(order.data).then((report) => send(report));
  });
  send({ type: 'ready' } satisfies StormReport);
}

// The parent imports the two schemas above; only the child process runs.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
