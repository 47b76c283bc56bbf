/**
 * Everything the benchmark starts (ffmpeg, mediasoup workers, sockets, a server) registers
 * how to stop it here; it is undone in reverse order on success, on error and on SIGINT,
 * so no process outlives a run.
 */
type Undo = { name: string; run: () => Promise<void> | void };

const undos: Undo[] = [];
/** Child pids to SIGKILL synchronously if the process exits without running the undos. */
const lastResortPids = new Set<number>();
let running: Promise<void> | null = null;

export function onCleanup(name: string, run: Undo['run']): void {
  undos.push({ name, run });
}

export function killOnExit(pid: number): () => void {
  lastResortPids.add(pid);
  return () => lastResortPids.delete(pid);
}

/**
 * Runs every undo registered so far once, newest first, each bounded so one stuck step
 * cannot hang the exit. Also called between phases; later registrations start afresh.
 */
export function cleanupAll(): Promise<void> {
  running ??= (async () => {
    while (undos.length > 0) {
      const undo = undos.pop()!;
      try {
        await Promise.race([undo.run(), new Promise((r) => setTimeout(r, 5_000).unref())]);
      } catch (err) {
        process.stderr.write(`cleanup of ${undo.name} failed: ${(err as Error).message}\n`);
      }
    }
  })().finally(() => {
    running = null;
  });
  return running;
}

export function installSignalHandlers(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping the benchmark and its children…\n`);
      void cleanupAll().finally(() => process.exit(130));
    });
  }
  process.on('exit', () => {
    for (const pid of lastResortPids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}
