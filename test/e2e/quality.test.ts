import type { Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../helpers/pageApi.js';
import { launchBrowser, waitForPage } from '../helpers/browser.js';
import { classroomGrant, startTestServer, teacherGrant, type TestServer } from '../helpers/server.js';

/** The classroom's choice of 自动/高清/流畅/仅音频, seen in what a real browser receives. */
describe('quality modes in Chromium (simulcast layers and audio only)', () => {
  let ts: TestServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let room: Page;

  beforeAll(async () => {
    ts = await startTestServer();
    browser = await launchBrowser();
    const open = async (path: string, token: string) => {
      const page = await browser.browser.newPage();
      page.on('dialog', (d) => void d.accept());
      await page.goto(`${ts.url}/${path}.html#token=${token}`);
      return page;
    };
    const teacher = await open('teacher', await ts.token(teacherGrant(ts.lesson.id)));
    room = await open('classroom', await ts.token(classroomGrant(ts.lesson.id)));
    await teacher.bringToFront();
    await teacher.waitForSelector('#start:not([hidden])');
    await teacher.click('#start');
    await waitForPage(teacher, () => window.tongke.publishing());
    await room.bringToFront();
    await waitForPage(room, async () => (await window.tongke.stats()).videoFramesDecoded > 5);
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await ts?.close();
  });

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
