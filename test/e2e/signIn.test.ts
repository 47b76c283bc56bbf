import { mkdirSync } from 'node:fs';
import type { Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, waitForPage } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** Sign-in through the pages: an admin by password and cookie, a classroom PC by enrolment code, a teacher by password. */
describe('signing in through the pages in Chromium', () => {
  let ts: TestServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  const problems: string[] = [];
  const watch = (page: Page) => {
    page.on('pageerror', (e) => problems.push(String(e)));
    return page;
  };
  const title = (page: Page) =>
    waitForPage(page, () => (window as unknown as { tongke: { state: () => { title: string } | null } }).tongke.state()?.title);

  beforeAll(async () => {
    ts = await startTestServer();
    await ts.server.accounts.create({ username: 'admin1', displayName: '教育局管理员', role: 'admin', password: 'admin-password-1' });
    await ts.server.accounts.create({
      username: 'li',
      displayName: '李老师',
      role: 'teacher',
      teacherName: ts.lesson.teacherName,
      password: 'teacher-password-1',
    });
    browser = await launchBrowser();
    mkdirSync('test-results', { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await ts?.close();
  });

  let code = '';

  it('an admin logs in on login.html, the admin page works by cookie, and generates an enrolment code', async () => {
    const page = watch(await browser.browser.newPage());
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(`${ts.url}/login.html`);
    await page.type('#username', 'admin1');
    await page.type('#password', 'not-the-password');
    await page.click('#login-submit');
    await waitForPage(page, () => document.getElementById('login-message')?.textContent?.includes('用户名或密码错误'));
    await page.screenshot({ path: 'test-results/login.png' });
    // The lesson step is not shown to someone who has not logged in yet.
    expect(await page.$eval('#lesson-form', (n) => getComputedStyle(n).display)).toBe('none');

    await page.$eval('#password', (n) => ((n as HTMLInputElement).value = ''));
    await page.type('#password', 'admin-password-1');
    await Promise.all([page.waitForNavigation(), page.click('#login-submit')]);
    expect(new URL(page.url()).pathname).toBe('/admin.html');
    expect(page.url()).not.toContain('token=');

    // The audit and the accounts panel load with the session cookie alone.
    await waitForPage(page, () => document.querySelectorAll('#cards .card').length > 0);
    await waitForPage(page, () => document.querySelector('#accounts-body tr[data-account="admin1"]') !== null);
    expect(await page.$eval('#signed-in', (n) => n.textContent)).toContain('admin1');
    expect(await page.$eval('#logout', (n) => (n as HTMLElement).hidden)).toBe(false);

    await page.select('#enrol-classroom', 'demo-recv-1');
    await page.click('#enrol-code-form button');
    code = await waitForPage(page, () => document.querySelector('.enrol-code')?.textContent ?? '');
    expect(code).toMatch(/^[A-Z2-9]{5}-[A-Z2-9]{5}$/);
    await (await page.$('#accounts-panel'))?.screenshot({ path: 'test-results/admin-accounts.png' });

    // An account created in the panel can log in.
    await page.type('#acc-username', 'wang');
    await page.type('#acc-display', '王老师');
    await page.select('#acc-role', 'assistant');
    await page.select('#acc-classroom', 'demo-recv-2');
    await page.type('#acc-password', 'assistant-password-1');
    await page.click('#acc-create');
    await waitForPage(page, () => document.querySelector('#accounts-body tr[data-account="wang"]') !== null);
    expect(ts.server.accounts.list().find((a) => a.username === 'wang')?.classroomId).toBe('demo-recv-2');
    await page.close();
  }, 60_000);

  it('a classroom PC without a token enrols with the code, reaches the lesson, and after a reload is still in', async () => {
    const context = await browser.browser.createBrowserContext();
    const page = watch(await context.newPage());
    await page.setViewport({ width: 1280, height: 800 });
    await page.goto(`${ts.url}/classroom.html`);
    await waitForPage(page, () => !document.getElementById('enrol-main')?.hidden);
    expect(await page.$eval('#lesson-main', (n) => (n as HTMLElement).hidden)).toBe(true);

    // A wrong code is refused clearly; the form stays.
    await page.type('#enrol-code', 'AAAAA-AAAAA');
    await page.click('#enrol-form button');
    await waitForPage(page, () => document.getElementById('enrol-message')?.textContent?.includes('登记码无效'));
    await page.screenshot({ path: 'test-results/enrol.png' });

    await page.$eval('#enrol-code', (n) => ((n as HTMLInputElement).value = ''));
    await page.type('#enrol-code', code.toLowerCase());
    await page.click('#enrol-form button');
    expect(await title(page)).toBe(ts.lesson.title);
    expect(await page.$eval('#enrol-main', (n) => (n as HTMLElement).hidden)).toBe(true);
    const stored = await page.evaluate(() => localStorage.getItem('tongke.device'));
    expect(JSON.parse(stored ?? '{}')).toMatchObject({ classroomId: 'demo-recv-1' });
    expect(ts.server.devices.list()).toHaveLength(1);

    await page.reload();
    expect(await title(page)).toBe(ts.lesson.title);
    expect(await page.$eval('#enrol-main', (n) => (n as HTMLElement).hidden)).toBe(true);
    expect(await page.$eval('#conn', (n) => (n as HTMLElement).dataset.state)).toBe('connected');

    // Revoked: the credential is forgotten and the form comes back.
    ts.server.devices.revoke(ts.server.devices.list()[0]!.id);
    await page.reload();
    await waitForPage(page, () => !document.getElementById('enrol-main')?.hidden);
    expect(await page.$eval('#enrol-message', (n) => n.textContent)).toContain('撤销');
    expect(await page.evaluate(() => localStorage.getItem('tongke.device'))).toBeNull();
    await context.close();
  }, 60_000);

  it('a teacher logs in, picks its lesson from the list and reaches teacher.html', async () => {
    const context = await browser.browser.createBrowserContext();
    const page = watch(await context.newPage());
    await page.goto(`${ts.url}/login.html`);
    await page.type('#username', 'li');
    await page.type('#password', 'teacher-password-1');
    await page.click('#login-submit');
    await waitForPage(page, () => !(document.getElementById('lesson-form') as HTMLFormElement).hidden);
    // Its own lesson is offered and chosen already: no lesson id to type.
    await waitForPage(page, () => !(document.getElementById('lesson-pick') as HTMLElement).hidden);
    expect(await page.$eval('#lesson-select', (n) => (n as HTMLSelectElement).value)).toBe(ts.lesson.id);
    expect(await page.$eval('#lesson-select', (n) => n.textContent)).toContain(ts.lesson.title);
    await page.screenshot({ path: 'test-results/login-lesson.png' });
    await Promise.all([page.waitForNavigation(), page.click('#lesson-submit')]);
    expect(new URL(page.url()).pathname).toBe('/teacher.html');
    expect(await title(page)).toBe(ts.lesson.title);
    await context.close();
    expect(problems).toEqual([]);
  }, 60_000);

  // Last: it ends the demo lesson the cases above use.
  it('a classroom PC, or a signed-in assistant, left on after its lesson ends moves on to the classroom’s next lesson by itself, with no reload', async () => {
    const next = ts.server.store.createLesson(
      {
        id: 'next-lesson',
        title: '英语 · 下一节',
        subject: '英语',
        teacherName: ts.lesson.teacherName,
        lectureClassroomId: ts.lesson.lectureClassroomId,
        receivingClassroomIds: ['demo-recv-1'],
        plannedStart: Date.now() + 2 * 3600_000,
        plannedEnd: Date.now() + 3 * 3600_000,
      },
      Date.now(),
    );
    const device = ts.server.devices.enrol(ts.server.devices.createEnrolment('demo-recv-1', 'test').code.replace('-', ''), '三年级一班电脑');
    const context = await browser.browser.createBrowserContext();
    const page = watch(await context.newPage());
    await page.setViewport({ width: 1280, height: 800 });
    await page.evaluateOnNewDocument((d) => localStorage.setItem('tongke.device', d), JSON.stringify(device));
    await page.goto(`${ts.url}/classroom.html`);
    expect(await title(page)).toBe(ts.lesson.title);
    await page.evaluate(() => Object.assign(window, { sameDocument: true }));
    // An assistant who signs in with a password follows too, through its login session.
    await ts.server.accounts.create({
      username: 'zhao',
      displayName: '赵老师',
      role: 'assistant',
      classroomId: 'demo-recv-1',
      password: 'assistant-password-1',
    });
    const signedIn = watch(await (await browser.browser.createBrowserContext()).newPage());
    await signedIn.goto(`${ts.url}/login.html`);
    await signedIn.type('#username', 'zhao');
    await signedIn.type('#password', 'assistant-password-1');
    await Promise.all([signedIn.waitForNavigation(), signedIn.click('#login-submit')]);
    expect(new URL(signedIn.url()).pathname).toBe('/classroom.html');
    expect(await title(signedIn)).toBe(ts.lesson.title);
    await signedIn.evaluate(() => Object.assign(window, { sameDocument: true }));

    await ts.server.service.start(ts.lesson.id);
    await ts.server.service.end(ts.lesson.id);
    // It says so, in the overlay the classroom sees, then joins the next lesson on its own.
    await waitForPage(page, () => document.getElementById('overlay')?.textContent?.includes('下一节课会自动进入'));
    await page.screenshot({ path: 'test-results/classroom-lesson-ended-next.png' });
    await waitForPage(
      page,
      () => (window as unknown as { tongke: { state: () => { lessonId: string } | null } }).tongke.state()?.lessonId === 'next-lesson',
      20_000,
    );
    expect(await title(page)).toBe(next.title);
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    expect(await page.$eval('#conn', (n) => (n as HTMLElement).dataset.state)).toBe('connected');
    expect(await page.$eval('#lesson-status', (n) => (n as HTMLElement).dataset.status)).toBe('scheduled');
    await waitForPage(
      signedIn,
      () => (window as unknown as { tongke: { state: () => { lessonId: string } | null } }).tongke.state()?.lessonId === 'next-lesson',
      20_000,
    );
    expect(await signedIn.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    // A reload opens the new lesson, not the ended one.
    await signedIn.reload();
    expect(await title(signedIn)).toBe(next.title);
    await signedIn.browserContext().close();
    await context.close();
    expect(problems).toEqual([]);
  }, 60_000);
});
