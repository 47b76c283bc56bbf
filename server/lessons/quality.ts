/**
 * A classroom's connection quality (0–10) from mediasoup scores, with hysteresis so a
 * flapping link logs one incident, not dozens.
 */
export const QUALITY_BAD = 4;
export const QUALITY_RECOVERED = 7;

export class QualityTracker {
  private readonly scores = new Map<string, number>();
  private readonly degraded = new Set<string>();

  /** Returns 'degraded' or 'recovered' when the classroom crosses a threshold. */
  record(classroomId: string, score: number): 'degraded' | 'recovered' | null {
    this.scores.set(classroomId, score);
    if (score < QUALITY_BAD && !this.degraded.has(classroomId)) {
      this.degraded.add(classroomId);
      return 'degraded';
    }
    if (score >= QUALITY_RECOVERED && this.degraded.has(classroomId)) {
      this.degraded.delete(classroomId);
      return 'recovered';
    }
    return null;
  }

  get(classroomId: string): number | null {
    return this.scores.get(classroomId) ?? null;
  }

  forget(classroomId: string): void {
    this.scores.delete(classroomId);
    this.degraded.delete(classroomId);
  }
}
