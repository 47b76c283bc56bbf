import { mkdirSync, writeFileSync } from 'node:fs';
import type { Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../helpers/pageApi.js';
import { launchBrowser, waitForPage } from '../helpers/browser.js';
import { classroomGrant, startTestServer, teacherGrant, type TestServer } from '../helpers/server.js';

/** Waits until the page decodes teacher video and sound in its current media session. */
async function playing(page: Page, timeoutMs = 20_000): Promise<number> {
  const start = Date.now();
  await waitForPage(
    page,
    async () => {
      const s = await window.tongke.stats();
      return s.videoFramesDecoded > 5 && s.audioPacketsReceived > 0;
    },
    timeoutMs,
  );
  return Date.now() - start;
}

describe('recovery and screen sharing in Chromium', () => {
  let ts: TestServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let teacher: Page;
  let rooms: Page[];

  beforeAll(async () => {
    ts = await startTestServer({ TONGKE_NUM_WORKERS: '2' });
    browser = await launchBrowser();
    const open = async (path: string, token: string) => {
      const page = await browser.browser.newPage();
      page.on('dialog', (d) => void d.accept());
      if (process.env.E2E_DEBUG) page.on('console', (m) => console.log(`[${path}] ${m.text()}`));
      await page.goto(`${ts.url}/${path}.html#token=${token}`);
      return page;
    };
    teacher = await open('teacher', await ts.token(teacherGrant(ts.lesson.id)));
    rooms = [
      await open('classroom', await ts.token(classroomGrant(ts.lesson.id, 'demo-recv-1'))),
      await open('classroom', await ts.token(classroomGrant(ts.lesson.id, 'demo-recv-2'))),
    ];
    await teacher.bringToFront();
    await teacher.waitForSelector('#start:not([hidden])');
    await teacher.click('#start');
    await waitForPage(teacher, () => window.tongke.publishing());
    for (const r of rooms) await playing(r);
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await ts?.close();
  });

  it('shows a shared screen as the main picture with the camera inset', async () => {
    await teacher.click('#share');
    const room = rooms[0]!;
    await waitForPage(room, () => window.tongke.state()?.producers.some((p) => p.source === 'screen') ?? false);
    await waitForPage(room, () => {
      const pip = document.querySelector<HTMLVideoElement>('#teacher-pip')!;
      const main = document.querySelector<HTMLVideoElement>('#teacher-video')!;
      return !pip.hidden && pip.videoWidth > 0 && main.videoWidth > 0;
    });
    mkdirSync('test-results', { recursive: true });
    await room.screenshot({ path: 'test-results/classroom-screen-share.png' });
    await teacher.click('#share');
    await waitForPage(room, () => document.querySelector<HTMLVideoElement>('#teacher-pip')!.hidden);
  }, 60_000);

  it('plays the teacher again within 10 s after a mediasoup worker is SIGKILLed', async () => {
    const before = ts.server.pool.pids();
    const sessions = await Promise.all(rooms.map((r) => r.evaluate(() => window.tongke.sessions())));
    const started = Date.now();
    for (const pid of before) process.kill(pid, 'SIGKILL');
    const times = await Promise.all(
      rooms.map(async (r, i) => {
        await waitForPage(r, (n) => window.tongke.sessions() > n, 10_000, sessions[i]);
        await playing(r, 15_000);
        return Date.now() - started;
      }),
    );
    expect(Math.max(...times)).toBeLessThan(10_000);
    expect(ts.server.pool.pids().every((pid) => !before.includes(pid))).toBe(true);
    expect(ts.server.store.getLesson(ts.lesson.id)?.status).toBe('live');
    mkdirSync('test-results', { recursive: true });
    writeFileSync('test-results/worker-kill-recovery.json', JSON.stringify({ recoveryMs: times }, null, 2));
  }, 60_000);

  it('re-creates what is missing after its signalling connection drops', async () => {
    const room = rooms[1]!;
    const state = await room.evaluate(() => window.tongke.state());
    const classroomSocket = [...ts.server.io.sockets.sockets.values()].find(
      (s) => s.data.grant.role === 'assistant' && s.data.grant.classroomId === state?.viewer.classroomId,
    );
    const sessions = await room.evaluate(() => window.tongke.sessions());
    classroomSocket!.conn.close(); // the network drops; the client reconnects by itself
    await waitForPage(room, (n) => window.tongke.sessions() > n, 10_000, sessions);
    await playing(room, 15_000);
  }, 60_000);
});
