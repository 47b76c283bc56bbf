import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FIRST_LOOK_MS, followTimetable, LOOK_EVERY_MS } from '../../client/classroom/nextLesson.js';
import type { LessonState } from '../../shared/lesson.js';
import type { TongkeSocket } from '../../client/lib/socket.js';

/** Only what followTimetable reads of a state. */
const state = (lessonId: string, status: LessonState['status']) => ({ lessonId, status }) as LessonState;

describe('a classroom PC follows its timetable once its lesson has ended', () => {
  let reconnects: number;
  let socket: TongkeSocket;
  beforeEach(() => {
    vi.useFakeTimers();
    reconnects = 0;
    const s = { disconnect: () => s, connect: () => (reconnects++, s) };
    socket = s as unknown as TongkeSocket;
  });
  afterEach(() => vi.useRealTimers());

  it('looks 5 s after the end, then every 30 s, and reconnects once another lesson is there', async () => {
    const asked: string[] = [];
    let nextExists = false;
    const follow = followTimetable({ socket, nextLesson: async (id) => (asked.push(id), nextExists) });
    follow(state('a', 'live'));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(asked).toEqual([]);

    follow(state('a', 'ended'));
    follow(state('a', 'ended')); // every state of the same ended lesson: still one watch
    await vi.advanceTimersByTimeAsync(FIRST_LOOK_MS);
    expect(asked).toEqual(['a']);
    await vi.advanceTimersByTimeAsync(LOOK_EVERY_MS);
    expect(asked).toEqual(['a', 'a']);
    expect(reconnects).toBe(0);

    nextExists = true;
    await vi.advanceTimersByTimeAsync(LOOK_EVERY_MS);
    expect(reconnects).toBe(1);
    await vi.advanceTimersByTimeAsync(5 * LOOK_EVERY_MS);
    expect(asked).toHaveLength(3);
  });

  it('stops looking once the page is on a lesson that has not ended, and keeps looking after a failed look', async () => {
    const asked: string[] = [];
    let fail = true;
    const follow = followTimetable({
      socket,
      nextLesson: async (id) => {
        asked.push(id);
        if (fail) throw new Error('network down');
        return false;
      },
    });
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    follow(state('a', 'ended'));
    await vi.advanceTimersByTimeAsync(FIRST_LOOK_MS);
    fail = false;
    await vi.advanceTimersByTimeAsync(LOOK_EVERY_MS);
    expect(asked).toEqual(['a', 'a']);
    follow(state('b', 'scheduled'));
    await vi.advanceTimersByTimeAsync(5 * LOOK_EVERY_MS);
    expect(asked).toEqual(['a', 'a']);
    expect(reconnects).toBe(0);
  });
});
