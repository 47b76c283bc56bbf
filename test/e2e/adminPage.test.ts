import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMediaBlockedLesson, buildAuditFixture } from '../helpers/auditFixture.js';
import { launchBrowser, waitForPage } from '../helpers/browser.js';
import { teacherPublishing } from '../helpers/publishing.js';
import { until } from '../helpers/poll.js';
import { classroomGrant, ok, startTestServer, teacherGrant, type TestServer } from '../helpers/server.js';
import { loadOnWorker } from '../helpers/forwardingLoad.js';

describe('the administrator page in Chromium', () => {
  let ts: TestServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  beforeAll(async () => {
    ts = await startTestServer();
    buildAuditFixture(ts.server.store);
    addMediaBlockedLesson(ts.server.store);
    ts.server.reports.generate((await import('../../server/audit/period.js')).parsePeriod('2025-03'));
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await ts?.close();
  });

  it('shows totals, the monthly chart, the grouped table, bundled evaluation, reports and a drill-down', async () => {
    const page = await browser.browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    const token = await ts.token({ role: 'admin', name: '管理员' });
    await page.goto(`${ts.url}/admin.html#token=${token}&from=2025-03-01&to=2025-04-30`);

    const cards = await waitForPage(page, () => {
      const v = [...document.querySelectorAll('#cards .card .value')].map((n) => n.textContent);
      return v.length === 11 ? v : null;
    });
    // planned, delivered, rate, minutes, classrooms, rural schools, pupil-visits,
    // online without media (classroom-lessons, their pupils), quizzes, correct rate
    expect(cards).toEqual(['4', '3', '50.0%', '115', '3', '2', '128', '0', '0', '4', '41.1%']);
    expect(await page.$$eval('#chart svg rect.bar-lessons', (n) => n.length)).toBe(3); // legend + 2 months
    expect(await page.$$eval('#bundled-body tr[data-role="core"]', (n) => n.length)).toBe(3); // A, B and the demo
    await waitForPage(page, () => document.querySelectorAll('#reports li button').length === 2);

    await page.select('#group-by', 'school');
    await waitForPage(page, () => document.querySelector('#table-body tr[data-key="R1"]') !== null);
    await page.click('#table-body tr[data-key="R1"]');
    await waitForPage(page, () => document.querySelector('#school-report h3')?.textContent?.includes('东高小学'));
    await page.click('#school-report table:last-of-type tbody tr');
    await waitForPage(page, () => document.querySelectorAll('#events li').length > 5);

    await page.click('#lang');
    await waitForPage(page, () => document.querySelector('#cards .label')?.textContent === 'Planned');
    await page.click('#lang');
    await waitForPage(page, () => document.querySelector('#cards .label')?.textContent === '计划节数');

    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/admin.png', fullPage: true });
    expect(problems).toEqual([]);
  });

  it('marks a live lesson with a classroom online whose media does not get through (巡课)', async () => {
    const live = await startTestServer({ TONGKE_MEDIA_UNREACHABLE_SECONDS: '1' });
    try {
      // Protocol-only pages: transports that never connect, as behind a blocking firewall.
      await teacherPublishing(await live.connect(teacherGrant(live.lesson.id)));
      const room = await live.connect(classroomGrant(live.lesson.id, 'demo-recv-1'));
      await ok(room, 'media:createTransport', { direction: 'recv' });
      const page = await browser.browser.newPage();
      await page.setViewport({ width: 1280, height: 900 });
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(String(e)));
      // After the 1 s window, so the first load of the list already shows it.
      await new Promise((r) => setTimeout(r, 2_000));
      await page.goto(`${live.url}/admin.html#token=${await live.token({ role: 'admin', name: '管理员' })}`);
      const mark = await waitForPage(page, () => {
        const m = document.querySelector<HTMLElement>('#lessons-body tr[data-status="live"] .mark.blocked');
        return m ? { text: m.textContent, n: m.dataset.blocked } : null;
      });
      expect(mark).toEqual({ text: '音视频未连通 1', n: '1' });
      await page.screenshot({ path: 'test-results/admin-live-media-blocked.png', fullPage: true });
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      await live.close();
    }
  });

  it('shows each media core’s load, marks a busy one, and warns when every core is busy', async () => {
    const two = await startTestServer({ TONGKE_NUM_WORKERS: '2', TONGKE_WORKER_CPU_BUSY_PERCENT: '10' });
    const loads = [await loadOnWorker(two.server.pool, 0, 40), await loadOnWorker(two.server.pool, 1, 40)];
    const page = await browser.browser.newPage();
    try {
      await page.setViewport({ width: 1280, height: 900 });
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(String(e)));
      const busyOnServer = () => two.server.pool.loadReport().workers.map((w) => w.busy);
      const workersOnPage = () =>
        waitForPage(page, () => {
          const ws = [...document.querySelectorAll<HTMLElement>('#media-load .media-worker')];
          return ws.length === 2 && ws.every((w) => /\d+%/.test(w.textContent ?? ''))
            ? { workers: ws.map((w) => [w.dataset.busy, w.textContent]), alert: document.querySelector<HTMLElement>('#media-alert')!.hidden ? null : document.querySelector('#media-alert')!.textContent }
            : null;
        });
      const url = `${two.url}/admin.html#token=${await two.token({ role: 'admin', name: '管理员' })}`;

      // Real forwarding on core 1 only.
      loads[0]!.feed();
      await until(() => busyOnServer().join() === 'true,false', 20_000, 'worker 0 busy, worker 1 not');
      await page.goto(url);
      const one = (await workersOnPage())!;
      expect(one.workers[0]).toEqual(['true', expect.stringMatching(/^核心 1：\d+%，40 路繁忙$/)]);
      expect(one.workers[1]).toEqual(['false', expect.stringMatching(/^核心 2：\d+%，40 路$/)]);
      expect(one.alert).toBeNull();
      expect(await page.$eval('#media-load .mark.blocked', (n) => (n as HTMLElement).title)).toContain('其他核心');
      mkdirSync('test-results', { recursive: true });
      await page.$eval('#media-load', (n) => n.closest('section')!.scrollIntoView());
      await page.screenshot({ path: 'test-results/admin-media-busy.png' });

      // Both cores busy: new classrooms have nowhere better to go, and the page says so.
      loads[1]!.feed();
      await until(() => busyOnServer().join() === 'true,true', 20_000, 'both workers busy');
      await page.reload();
      const both = (await workersOnPage())!;
      expect(both.workers.map(([busy]) => busy)).toEqual(['true', 'true']);
      expect(both.alert).toContain('所有核心都已繁忙（CPU 达 10% 以上）');
      // The warning heads the page; the line sits above the lesson list.
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: 'test-results/admin-media-all-busy.png' });
      await page.$eval('#media-load', (n) => n.closest('section')!.scrollIntoView());
      await page.screenshot({ path: 'test-results/admin-media-all-busy-line.png' });
      await page.click('#lang');
      await waitForPage(page, () => document.querySelector('#media-alert')?.textContent?.startsWith('Every core'));
      expect(await page.$eval('#media-load', (n) => n.textContent)).toMatch(/^Media forwarding load: core 1: \d+%, 40 streamsbusycore 2/);
      await page.click('#lang');
      expect(problems).toEqual([]);
    } finally {
      await page.close();
      for (const l of loads) await l.close();
      await two.close();
    }
  });

  it('shows a classroom that was online but whose media never got through, apart from those reached', async () => {
    const page = await browser.browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    const token = await ts.token({ role: 'admin', name: '管理员' });
    await page.goto(`${ts.url}/admin.html#token=${token}&from=2025-06-01&to=2025-06-30`);
    const cards = await waitForPage(page, () => {
      const v = [...document.querySelectorAll<HTMLElement>('#cards .card')].map((n) => [n.dataset.figure, n.querySelector('.value')?.textContent]);
      return v.length === 11 ? Object.fromEntries(v) : null;
    });
    expect(cards).toMatchObject({ classroomsReached: '2', pupilVisits: '30', blockedClassroomLessons: '1', blockedPupilVisits: '20' });
    // The card carries its definition for whoever wonders what it counts.
    expect(await page.$eval('#cards .card[data-figure="blockedClassroomLessons"]', (n) => (n as HTMLElement).title)).toContain('不计入');

    await page.select('#group-by', 'school');
    await waitForPage(page, () => document.querySelector('#table-body tr[data-key="R1"]') !== null);
    await page.click('#table-body tr[data-key="R1"]');
    await waitForPage(page, () => document.querySelector('#school-report h3')?.textContent?.includes('东高小学'));
    await page.click('#school-report table:last-of-type tbody tr');
    const marks = await waitForPage(page, () => {
      const cells = [...document.querySelectorAll<HTMLElement>('#lesson-detail td[data-reach]')];
      return cells.length === 4 ? cells.map((c) => [c.dataset.reach, c.textContent]) : null;
    });
    expect(marks?.filter(([reach]) => reach === 'no-media')).toEqual([['no-media', '否（在线，音视频未连通）']]);
    expect(marks?.filter(([reach]) => reach === 'reached')).toHaveLength(2);
    await page.screenshot({ path: 'test-results/admin-media-blocked.png', fullPage: true });
    await page.click('#lang');
    await waitForPage(page, () => document.querySelector('#lesson-detail td[data-reach="no-media"]')?.textContent === 'no (online, media never got through)');
    expect(problems).toEqual([]);
  });
});
