import { AppError } from '../errors.js';

/** The classrooms on stage (连麦/上台): their sound and picture reach everyone. */
export class Stage {
  private readonly onStage = new Set<string>();

  constructor(readonly max: number) {}

  /** Returns false when the classroom was already on stage. */
  invite(classroomId: string): boolean {
    if (this.onStage.has(classroomId)) return false;
    if (this.onStage.size >= this.max) {
      throw new AppError('CONFLICT', `at most ${this.max} classroom(s) on stage: take one off first`);
    }
    this.onStage.add(classroomId);
    return true;
  }

  /** Returns false when the classroom was not on stage. */
  remove(classroomId: string): boolean {
    return this.onStage.delete(classroomId);
  }

  has(classroomId: string): boolean {
    return this.onStage.has(classroomId);
  }

  list(): string[] {
    return [...this.onStage];
  }
}
