import { statfsSync } from 'node:fs';

export interface DiskRoom {
  /** Bytes an unprivileged writer may still use (on the fuller disk of `dirs`); null if none can be read. */
  freeBytes(): number | null;
  /** What must stay free (0: no guard). */
  readonly minFreeBytes: number;
  /** Whether a large writer (a recording) may go on: enough is free, or it cannot be told. */
  enough(): boolean;
}

/**
 * How much room the data dir's disk has left (and the recordings' own, should they be mounted
 * elsewhere). Recordings are the only large writer there; the lesson log (SQLite) shares the disk,
 * and a full disk would fail its writes, so the recordings give way first. A disk whose free space
 * cannot be read does not stop recordings: the guard must not turn 录播 off on a system it does
 * not understand.
 */
export function diskRoom(dirs: readonly string[], minFreeBytes: number): DiskRoom {
  const freeBytes = () => {
    let least: number | null = null;
    for (const dir of dirs) {
      try {
        const s = statfsSync(dir);
        least = Math.min(least ?? Infinity, s.bavail * s.bsize);
      } catch {
        // Not there (yet): the recordings' folder is made with the first segment.
      }
    }
    return least;
  };
  return {
    freeBytes,
    minFreeBytes,
    enough() {
      if (minFreeBytes === 0) return true;
      const free = freeBytes();
      return free === null || free >= minFreeBytes;
    },
  };
}
