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
  /**
   * At the busy line, or capping its classrooms (layerCap): new classrooms go to another worker
   * while one has room.
   */
  busy: boolean;
  /**
   * At its core's limit, the highest simulcast layer its classrooms receive for now (0: 320 px,
   * 1: 640 px); null: no cap (server/media/layerShedding.ts).
   */
  layerCap: number | null;
}

export interface MediaLoad {
  /** The busy line, TONGKE_WORKER_CPU_BUSY_PERCENT; 100 means placement ignores CPU. */
  busyPct: number;
  /** The shed line, TONGKE_WORKER_CPU_SHED_PERCENT; 100 means no worker caps its classrooms. */
  shedPct: number;
  workers: WorkerLoadView[];
}
