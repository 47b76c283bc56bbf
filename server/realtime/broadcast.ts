import type { LessonService } from '../lessons/lessonService.js';
import type { Logger } from '../logger.js';
import { lessonOf } from './participant.js';
import { lessonRoom, type TongkeIo } from './types.js';

/**
 * Sends each participant its own view of the lesson after changes. Changes within a short
 * window are coalesced, so a join storm of N classrooms costs N broadcasts, not N².
 */
export class StateBroadcaster {
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly io: TongkeIo,
    private readonly service: LessonService,
    private readonly log: Logger,
    private readonly delayMs = 25,
  ) {}

  schedule(lessonId: string): void {
    this.pending.add(lessonId);
    this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  }

  flush(): void {
    this.timer = null;
    const lessons = [...this.pending];
    this.pending.clear();
    for (const lessonId of lessons) {
      const ids = this.io.sockets.adapter.rooms.get(lessonRoom(lessonId));
      for (const id of ids ?? []) {
        const socket = this.io.sockets.sockets.get(id);
        if (!socket) continue;
        try {
          socket.emit('lesson:state', this.service.state(lessonId, lessonOf(socket.data.grant).participant));
        } catch (err) {
          this.log.error({ err, lessonId }, 'state broadcast failed');
        }
      }
    }
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending.clear();
  }
}
