import type { Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../helpers/pageApi.js';
import { waitForPage } from '../helpers/browser.js';
import { loadOnWorker, type ForwardingLoad } from '../helpers/forwardingLoad.js';
import { startLesson, useLessonBrowser } from '../helpers/lessonBrowser.js';
import { classroomGrant, teacherGrant } from '../helpers/server.js';

/**
 * Load shedding as a classroom and the administrator see it: the one worker forwards a real
 * stream to 60 more consumers (test/helpers/forwardingLoad.ts), which takes it over the shed line
 * (lowered here so the helper's load crosses it on this host); the classroom's picture drops to
 * 640 px or lower and its page says the server, not its network, did it; once the load stops the
 * picture climbs back. The timings are shortened so the test need not wait 30 s per step.
 */
describe('a worker at its core’s limit lowers its classrooms’ picture, in Chromium', () => {
  const lb = useLessonBrowser({ TONGKE_WORKER_CPU_BUSY_PERCENT: '20', TONGKE_WORKER_CPU_SHED_PERCENT: '30' }, (c) => {
    c.media.shedTiming = { settleMs: 2_000, minHoldMs: 4_000 };
  });
  let room: Page;
  let teacher: Page;
  let load: ForwardingLoad | null = null;
  const width = () => room.evaluate(() => document.querySelector<HTMLVideoElement>('#teacher-video')!.videoWidth);
  const banner = () => room.$eval('#server-busy', (n) => ((n as HTMLElement).hidden ? null : n.textContent));

  beforeAll(async () => {
    teacher = await lb.open('teacher', await lb.ts.token(teacherGrant(lb.ts.lesson.id)));
    room = await lb.open('classroom', await lb.ts.token(classroomGrant(lb.ts.lesson.id)));
    await startLesson(teacher);
    await room.bringToFront();
    // Chrome takes up to half a minute to raise its uplink to the top layer (README).
    await waitForPage(room, () => document.querySelector<HTMLVideoElement>('#teacher-video')!.videoWidth === 1280, 60_000);
  }, 90_000);

  afterAll(async () => {
    await load?.close();
  });

  it('drops to 640 px or lower while the worker is at its limit, says why, and climbs back after', async () => {
    expect(await banner()).toBeNull();
    load = await loadOnWorker(lb.ts.server.pool, 0, 60);
    load.feed();
    await waitForPage(room, () => !document.getElementById('server-busy')!.hidden, 30_000);
    expect(await banner()).toMatch(/^媒体服务器繁忙，画面暂时降为(标清|流畅)，声音不受影响。这不是本教室网络的问题/);
    await waitForPage(room, () => document.querySelector<HTMLVideoElement>('#teacher-video')!.videoWidth <= 640, 20_000);
    // Still playing, just softer.
    const frames = (await room.evaluate(() => window.tongke.stats())).videoFramesDecoded;
    await waitForPage(room, async (n) => (await window.tongke.stats()).videoFramesDecoded > n + 10, 10_000, frames);
    await room.screenshot({ path: 'test-results/classroom-server-busy.png' });
    // The teacher's reception line says the server, not the schools' links, lowered it.
    await waitForPage(teacher, () => document.getElementById('reception')!.textContent!.includes('其中 1 个因服务器繁忙暂降画质'), 10_000);
    await teacher.screenshot({ path: 'test-results/teacher-server-capped.png' });

    const admin = await lb.open('admin', await lb.ts.token({ role: 'admin', name: '管理员' }));
    await admin.waitForSelector('#media-load .mark.shed', { timeout: 20_000 });
    expect(await admin.$eval('#media-load .mark.shed', (n) => n.textContent)).toMatch(/^画质已降至(标清|流畅)$/);
    expect(await admin.$eval('#media-load .mark.shed', (n) => (n as HTMLElement).title)).toContain('30%');
    await admin.$eval('#media-load', (n) => n.closest('section')!.scrollIntoView());
    await admin.screenshot({ path: 'test-results/admin-media-shed.png' });
    await admin.close();

    load.pause();
    await room.bringToFront();
    await waitForPage(room, () => document.getElementById('server-busy')!.hidden, 30_000);
    await waitForPage(room, () => document.querySelector<HTMLVideoElement>('#teacher-video')!.videoWidth === 1280, 30_000);
    expect(lb.ts.server.pool.loadReport().workers[0]!.layerCap).toBeNull();
    expect(await teacher.$eval('#reception', (n) => n.textContent)).not.toContain('服务器繁忙');
  }, 150_000);
});
