import type { Attendance } from '../../shared/coordination.js';

/** Expected (应到) and present (实到) head counts per classroom; the latest report wins. */
export class AttendanceBook {
  private readonly byClassroom = new Map<string, Attendance>();

  /** Returns whether this was the classroom's first report (else a correction). */
  report(classroomId: string, counts: { expected: number; present: number }, at: number): { first: boolean } {
    const first = !this.byClassroom.has(classroomId);
    this.byClassroom.set(classroomId, { ...counts, updatedAt: at });
    return { first };
  }

  get(classroomId: string): Attendance | null {
    return this.byClassroom.get(classroomId) ?? null;
  }

  presentTotal(classroomIds: Iterable<string>): number {
    let total = 0;
    for (const id of classroomIds) total += this.byClassroom.get(id)?.present ?? 0;
    return total;
  }
}
