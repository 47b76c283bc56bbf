import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'puppeteer';
import { beforeAll, describe, expect, it } from 'vitest';
import '../helpers/pageApi.js';
import { waitForPage } from '../helpers/browser.js';
import { startLesson, useLessonBrowser } from '../helpers/lessonBrowser.js';
import { playing } from '../helpers/reception.js';
import { classroomGrant, teacherGrant } from '../helpers/server.js';
import { fileSize } from '../../server/store/recordingStore.js';

/** How long the server stays down between stop and start, as an upgrade might take. */
const DOWN_MS = 3_000;
/** From the server being back to every page playing again. */
const BACK_WITHIN_MS = 15_000;

async function fill(page: Page, selector: string, value: string) {
  await page.$eval(selector, (n) => ((n as HTMLInputElement).value = ''));
  await page.type(selector, value);
}

describe('a server restarted mid-lesson (an upgrade during the school day), in Chromium', () => {
  const lb = useLessonBrowser();
  let teacher: Page;
  let rooms: Page[];

  beforeAll(async () => {
    const lessonId = lb.ts.lesson.id;
    teacher = await lb.open('teacher', await lb.ts.token(teacherGrant(lessonId)));
    rooms = [
      await lb.open('classroom', await lb.ts.token(classroomGrant(lessonId, 'demo-recv-1'))),
      await lb.open('classroom', await lb.ts.token(classroomGrant(lessonId, 'demo-recv-2'))),
    ];
    await startLesson(teacher);
    for (const r of rooms) await playing(r);
  }, 90_000);

  it('every page comes back by itself, with the lesson as it was: playing, head counts and questions', async () => {
    const [a, b] = rooms as [Page, Page];
    await a.bringToFront();
    await fill(a, '#expected', '40');
    await fill(a, '#present', '38');
    await a.click('#attendance-submit');
    await waitForPage(a, () => document.querySelector('#attendance-message')?.textContent === '已提交');
    await b.bringToFront();
    await fill(b, '#question-text', '老师，分数线下面的数叫什么？');
    await b.click('#raise');
    await waitForPage(teacher, () => document.querySelectorAll('#questions li[data-question]').length === 1);
    await waitForPage(teacher, () => document.querySelector('#present-total')?.textContent === '38');

    // 录播 is on when the server stops.
    await teacher.bringToFront();
    await teacher.click('#record');
    await waitForPage(teacher, () => window.tongke.state()?.recording.active === true);
    const recordings = () =>
      lb.ts.server.store.db.prepare('SELECT file, ended_at AS endedAt, bytes FROM recordings ORDER BY started_at').all() as {
        file: string;
        endedAt: number | null;
        bytes: number;
      }[];
    // …and its file has the picture (once the teacher's encoder sent a key frame).
    const segmentBytes = () => {
      const last = recordings().at(-1);
      return last ? fileSize(path.join(lb.ts.dataDir, 'recordings', last.file)) : 0;
    };
    for (const until = Date.now() + 15_000; segmentBytes() < 20_000 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 200));
    expect(recordings()).toHaveLength(1);

    const pages = [teacher, a, b];
    const sessions = await Promise.all(pages.map((p) => p.evaluate(() => window.tongke.sessions())));
    const restarting = lb.ts.restart({ downMs: DOWN_MS });
    // While it is down, the pages say the server is restarting, not that the school's network failed.
    for (const p of pages) {
      await waitForPage(p, () => document.querySelector('#conn')?.textContent?.startsWith('服务器正在重启') ?? false, DOWN_MS);
    }
    await teacher.screenshot({ path: 'test-results/teacher-server-restarting.png' });
    await restarting;
    const back = Date.now();

    // Each page connects again by itself and sets its media up anew: nobody reloads anything.
    const times = await Promise.all(
      pages.map(async (p, i) => {
        await waitForPage(p, (n) => window.tongke.sessions() > n && document.querySelector('#conn')?.getAttribute('data-state') === 'connected', BACK_WITHIN_MS, sessions[i]);
        if (p === teacher) await waitForPage(p, () => window.tongke.publishing(), BACK_WITHIN_MS);
        else await playing(p, BACK_WITHIN_MS);
        return Date.now() - back;
      }),
    );
    expect(Math.max(...times)).toBeLessThan(BACK_WITHIN_MS);

    // The wall shows both classrooms online again, with the head count and the question it had.
    await waitForPage(teacher, () =>
      ['demo-recv-1', 'demo-recv-2'].every((id) => document.querySelector(`.tile[data-classroom="${id}"]`)?.getAttribute('data-online') === 'true'),
    );
    expect(await teacher.$eval('#present-total', (n) => n.textContent)).toBe('38');
    expect(await teacher.$$eval('#questions .qtext', (n) => n.map((x) => x.textContent))).toEqual(['老师，分数线下面的数叫什么？']);
    // The classroom's own form still holds what it reported, and its question still waits.
    expect(await a.evaluate(() => window.tongke.state()?.classrooms.find((c) => c.classroomId === 'demo-recv-1')?.attendance?.present)).toBe(38);
    expect(await b.evaluate(() => window.tongke.state()?.questions.length)).toBe(1);

    const events = lb.ts.server.store.listEvents(lb.ts.lesson.id).map((e) => e.type);
    expect(events).toContain('lesson_resumed_after_restart');
    // The recording carries on: the segment the stop interrupted was finished (it plays), and a
    // new one started once the teacher published again.
    expect(await teacher.evaluate(() => window.tongke.state()?.recording.active)).toBe(true);
    for (const until = Date.now() + 10_000; recordings().length < 2 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 200));
    const [interrupted, resumed] = recordings();
    expect(interrupted).toMatchObject({ endedAt: expect.any(Number) });
    expect(interrupted!.bytes).toBeGreaterThan(20_000);
    expect(resumed).toMatchObject({ endedAt: null });
    expect(events.filter((t) => t.startsWith('recording_'))).toEqual(['recording_started']);
    expect(lb.ts.server.store.getLesson(lb.ts.lesson.id)?.status).toBe('live');

    mkdirSync('test-results', { recursive: true });
    writeFileSync('test-results/server-restart.json', JSON.stringify({ downMs: DOWN_MS, backMs: { teacher: times[0], classrooms: times.slice(1) } }, null, 2));
    await teacher.bringToFront();
    await teacher.screenshot({ path: 'test-results/teacher-after-restart.png' });
  }, 90_000);
});
