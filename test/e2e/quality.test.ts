import type { Page } from 'puppeteer';
import { beforeAll, describe, expect, it } from 'vitest';
import '../helpers/pageApi.js';
import { waitForPage } from '../helpers/browser.js';
import { startLesson, useLessonBrowser } from '../helpers/lessonBrowser.js';
import { classroomGrant, teacherGrant } from '../helpers/server.js';

/** The classroom's choice of 自动/高清/流畅/仅音频, seen in what a real browser receives. */
describe('quality modes in Chromium (simulcast layers and audio only)', () => {
  const lb = useLessonBrowser();
  let room: Page;

  beforeAll(async () => {
    const open = (path: 'teacher' | 'classroom', token: string) => lb.open(path, token);
    const teacher = await open('teacher', await lb.ts.token(teacherGrant(lb.ts.lesson.id)));
    room = await open('classroom', await lb.ts.token(classroomGrant(lb.ts.lesson.id)));
    await startLesson(teacher);
    await room.bringToFront();
    await waitForPage(room, async () => (await window.tongke.stats()).videoFramesDecoded > 5);
  }, 90_000);

  const width = () => room.evaluate(() => document.querySelector<HTMLVideoElement>('#teacher-video')!.videoWidth);

  it('流畅 gives the lowest simulcast layer; 仅音频 stops the picture but not the sound; 自动 brings it back', async () => {
    await room.select('#quality', 'smooth');
    await waitForPage(room, () => document.querySelector<HTMLVideoElement>('#teacher-video')!.videoWidth === 320, 20_000);
    expect(await width()).toBe(320);

    await room.select('#quality', 'audio');
    await waitForPage(room, () => !document.getElementById('audio-only')!.hidden);
    // Give the pause a moment to reach the browser, then watch video stand still and audio flow.
    await new Promise((r) => setTimeout(r, 1500));
    const before = await room.evaluate(() => window.tongke.stats());
    await new Promise((r) => setTimeout(r, 2000));
    const after = await room.evaluate(() => window.tongke.stats());
    expect(after.videoFramesDecoded - before.videoFramesDecoded).toBeLessThanOrEqual(2);
    expect(after.audioPacketsReceived - before.audioPacketsReceived).toBeGreaterThan(50);

    await room.select('#quality', 'auto');
    await waitForPage(
      room,
      async (n) => (await window.tongke.stats()).videoFramesDecoded > n + 10,
      15_000,
      after.videoFramesDecoded,
    );
    await waitForPage(room, () => document.querySelector<HTMLVideoElement>('#teacher-video')!.videoWidth > 320, 30_000);
    expect(await width()).toBeGreaterThan(320);
  }, 90_000);
});
