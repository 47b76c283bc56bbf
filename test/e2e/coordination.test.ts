import { mkdirSync } from 'node:fs';
import type { Page } from 'puppeteer';
import { describe, expect, it } from 'vitest';
import { clickRendered, waitForPage } from '../helpers/browser.js';
import { startLesson, useLessonBrowser } from '../helpers/lessonBrowser.js';
import { classroomGrant, teacherGrant } from '../helpers/server.js';

import '../helpers/pageApi.js';

const XSS = '<img src=x onerror=alert(1)><script>alert(2)</script>';

describe('a whole lesson with coordination, in Chromium', () => {
  const dialogs: string[] = [];
  const lb = useLessonBrowser();
  const open = (path: 'teacher' | 'classroom', token: string) =>
    lb.open(path, token, {
      viewport: { width: 1280, height: 900 },
      onDialog: (d) => {
        if (d.type() !== 'confirm') dialogs.push(d.message());
      },
    });

  async function fill(page: Page, selector: string, value: string) {
    await page.$eval(selector, (n) => ((n as HTMLInputElement).value = ''));
    await page.type(selector, value);
  }

  it('attendance, two questions, one classroom on stage seen by another, and a quiz', async () => {
    const lessonId = lb.ts.lesson.id;
    const teacher = await open('teacher', await lb.ts.token(teacherGrant(lessonId)));
    const ids = ['demo-recv-1', 'demo-recv-2', 'demo-recv-3'];
    const rooms: Page[] = [];
    for (const id of ids) rooms.push(await open('classroom', await lb.ts.token(classroomGrant(lessonId, id))));
    const [a, b, c] = rooms as [Page, Page, Page];

    await startLesson(teacher);

    // Attendance from every classroom, typed into the page.
    const present = [38, 29, 41];
    for (const [i, room] of rooms.entries()) {
      await room.bringToFront();
      await fill(room, '#expected', String(present[i]! + 2));
      await fill(room, '#present', String(present[i]));
      await room.click('#attendance-submit');
      await waitForPage(room, () => document.querySelector('#attendance-message')?.textContent === '已提交');
    }
    await waitForPage(teacher, () => document.querySelector('#present-total')?.textContent === '108');

    // Two questions, one carrying markup that must stay text.
    await a.bringToFront();
    await fill(a, '#question-text', XSS);
    await a.click('#raise');
    await b.bringToFront();
    await fill(b, '#question-text', '分子和分母有什么区别？');
    await b.click('#raise');
    await waitForPage(teacher, () => document.querySelectorAll('#questions li[data-question]').length === 2);
    const texts = await teacher.$$eval('#questions .qtext', (n) => n.map((x) => x.textContent));
    expect(texts).toEqual([XSS, '分子和分母有什么区别？']);
    expect(await teacher.$$eval('#questions img, #questions script', (n) => n.length)).toBe(0);
    await waitForPage(b, () => document.querySelector('#position')?.textContent?.includes('2') ?? false);
    // The teacher answers the first.
    await teacher.bringToFront();
    await clickRendered(teacher, '#questions li[data-question] button');
    await waitForPage(teacher, () => document.querySelectorAll('#questions li[data-question]').length === 1);

    // Classroom A goes on stage; classroom C receives its picture.
    await waitForPage(teacher, () => !!document.querySelector('.tile[data-classroom="demo-recv-1"] video') &&
      (document.querySelector('.tile[data-classroom="demo-recv-1"] video') as HTMLVideoElement).videoWidth > 0);
    await clickRendered(teacher, '.tile[data-classroom="demo-recv-1"] button');
    await waitForPage(teacher, () => document.querySelector('.tile[data-classroom="demo-recv-1"]')?.getAttribute('data-stage') === 'true');
    await c.bringToFront();
    const fromStage = await waitForPage(c, async () => {
      const s = await window.tongke.stageStats();
      return s.videoFramesDecoded > 0 && s.audioPacketsReceived > 0 ? s : null;
    });
    expect(fromStage?.videoFramesDecoded).toBeGreaterThan(0);
    expect(await c.evaluate(() => window.tongke.receivingFrom())).toEqual(['demo-recv-1']);
    await waitForPage(a, () => !(document.querySelector('#on-stage-banner') as HTMLElement).hidden);

    // A quiz: three options, B correct; every classroom answers.
    await teacher.bringToFront();
    await teacher.select('#quiz-options', '3');
    await teacher.select('#quiz-correct', '1');
    await fill(teacher, '#quiz-question', '3/4 的分母是几？');
    await teacher.click('#quiz-publish');
    const answers = [
      [2, 30, 6],
      [5, 20, 4],
      [1, 40, 0],
    ];
    for (const [i, room] of rooms.entries()) {
      await room.bringToFront();
      await room.waitForSelector('#quiz-panel:not([hidden]) input.count');
      const inputs = await room.$$('#quiz-body input.count');
      for (const [j, input] of inputs.entries()) {
        await input.click({ count: 3 });
        await input.type(String(answers[i]![j]));
      }
      await clickRendered(room, '#quiz-body button');
      await waitForPage(room, () => document.querySelector('#quiz-message')?.textContent?.startsWith('已提交') ?? false);
    }
    await teacher.bringToFront();
    await waitForPage(teacher, () => window.tongke.state()?.quiz?.answers.length === 3);
    const quiz = (await teacher.evaluate(() => window.tongke.state()?.quiz))!;
    expect(quiz.total.counts).toEqual([8, 90, 10]);
    expect(quiz.rural.correctRate).toBeCloseTo(90 / 108);
    await teacher.click('#quiz-close');
    await waitForPage(a, () => window.tongke.state()?.quiz?.status === 'closed');

    mkdirSync('test-results', { recursive: true });
    await teacher.screenshot({ path: 'test-results/teacher-lesson.png', fullPage: true });
    await c.screenshot({ path: 'test-results/classroom-lesson.png', fullPage: true });

    expect(dialogs).toEqual([]);
    const types = lb.ts.server.store.listEvents(lessonId).map((e) => e.type);
    for (const t of ['attendance_reported', 'question_raised', 'question_answered', 'stage_on', 'quiz_opened', 'quiz_answered', 'quiz_closed']) {
      expect(types).toContain(t);
    }
  }, 90_000);
});
