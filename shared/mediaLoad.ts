/**
 * How loaded the media server's workers are, as placement sees them (server/media/workerLoad.ts):
 * the admin page shows it beside the live lessons, so 巡课 sees a server at its limit before
 * classrooms complain.
 */
export interface WorkerLoadView {
  /** Slot of the worker: one per core. */
  index: number;
  /** Consumers it forwards to (a classroom takes two: picture and sound). */
  consumers: number;
  /** Smoothed share of its core in percent; null right after start-up. */
  cpuPct: number | null;
  /** At the busy line: new classrooms go to another worker while one has room. */
  busy: boolean;
}

export interface MediaLoad {
  /** The busy line, TONGKE_WORKER_CPU_BUSY_PERCENT; 100 means placement ignores CPU. */
  busyPct: number;
  workers: WorkerLoadView[];
}
