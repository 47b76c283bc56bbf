import { mkdirSync } from 'node:fs';
import type { BrowserContext, Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, waitForPage } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const connState = (page: Page) => page.$eval('#conn', (n) => (n as HTMLElement).dataset.state);
const hashToken = (page: Page) => page.evaluate(() => new URLSearchParams(location.hash.slice(1)).get('token'));

/** Passwords through the pages: the account's own change, an administrator's reset and unlock. */
describe('changing, resetting and unlocking passwords through the pages, in Chromium', () => {
  let ts: TestServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  const problems: string[] = [];
  const contexts: BrowserContext[] = [];

  /** A fresh browser profile (its own cookies), as another computer would be. */
  async function computer(): Promise<BrowserContext> {
    const c = await browser.browser.createBrowserContext();
    contexts.push(c);
    return c;
  }
  async function open(context: BrowserContext, path: string): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('dialog', (d) => void d.accept());
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(`${ts.url}/${path}`);
    return page;
  }
  async function signIn(page: Page, username: string, password: string): Promise<void> {
    await page.type('#username', username);
    await page.type('#password', password);
    await page.click('#login-submit');
  }

  beforeAll(async () => {
    ts = await startTestServer({ TONGKE_LOGIN_RATE_PER_MINUTE: '600' });
    await ts.server.accounts.create({ username: 'admin1', displayName: '教育局管理员', role: 'admin', password: 'admin-password-1' });
    await ts.server.accounts.create({ username: 'li', displayName: '李老师', role: 'teacher', teacherName: ts.lesson.teacherName, password: 'teacher-password-1' });
    await ts.server.accounts.create({ username: 'wang', displayName: '王老师', role: 'assistant', classroomId: 'demo-recv-1', password: 'assistant-password-1' });
    browser = await launchBrowser();
    mkdirSync('test-results', { recursive: true });
  }, 60_000);
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await ts?.close();
  });

  it('a teacher changes its password while its lesson is open in another tab: the lesson page carries on by itself', async () => {
    const pc = await computer();
    const lesson = await open(pc, 'login.html');
    await signIn(lesson, 'li', 'teacher-password-1');
    await waitForPage(lesson, () => !(document.getElementById('lesson-pick') as HTMLElement).hidden);
    await Promise.all([lesson.waitForNavigation(), lesson.click('#lesson-submit')]);
    await waitForPage(lesson, () => document.querySelector('#conn')?.getAttribute('data-state') === 'connected');
    const before = await hashToken(lesson);

    // Meanwhile, on the same computer, the password is changed on the sign-in page.
    const tab = await open(pc, 'login.html');
    await tab.click('#show-password-form');
    await tab.type('#pw-username', 'li');
    await tab.type('#pw-current', 'teacher-password-1');
    await tab.type('#pw-new', 'a brand new passphrase');
    await tab.type('#pw-confirm', 'a different passphrase');
    await tab.click('#password-submit');
    await waitForPage(tab, () => document.getElementById('login-message')?.textContent === '两次输入的新密码不一致。');
    await tab.$eval('#pw-confirm', (n) => ((n as HTMLInputElement).value = ''));
    await tab.type('#pw-confirm', 'a brand new passphrase');
    await tab.screenshot({ path: 'test-results/login-change-password.png' });
    await tab.click('#password-submit');
    await waitForPage(tab, () => document.getElementById('login-message')?.textContent?.startsWith('密码已修改'));
    // It goes on into the lesson list, signed in with the new password.
    await waitForPage(tab, () => !(document.getElementById('lesson-form') as HTMLFormElement).hidden, 10_000);

    // The lesson page lost its connection (its token was withdrawn) and came back through the
    // session this computer still holds, with a new token in its address.
    await waitForPage(lesson, (old) => new URLSearchParams(location.hash.slice(1)).get('token') !== old, 15_000, before);
    await waitForPage(lesson, () => document.querySelector('#conn')?.getAttribute('data-state') === 'connected', 15_000);
    const events = ts.server.store.listEvents(ts.lesson.id).map((e) => e.type);
    expect(events.filter((t) => t === 'teacher_joined').length).toBe(2);

    // The old password no longer signs in; the new one does.
    const other = await open(await computer(), 'login.html');
    await signIn(other, 'li', 'teacher-password-1');
    await waitForPage(other, () => document.getElementById('login-message')?.textContent?.includes('用户名或密码错误'));
  }, 90_000);

  it('an administrator resets an assistant’s password: its open lesson page is closed and says why; a locked account is unlocked', async () => {
    const classroomPc = await computer();
    const room = await open(classroomPc, 'login.html');
    await Promise.all([room.waitForNavigation(), signIn(room, 'wang', 'assistant-password-1')]);
    expect(new URL(room.url()).pathname).toBe('/classroom.html');
    await waitForPage(room, () => document.querySelector('#conn')?.getAttribute('data-state') === 'connected');

    // Someone guesses at the teacher's account until it locks.
    for (let i = 0; i < 5; i++) {
      await fetch(`${ts.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: ts.url },
        body: JSON.stringify({ username: 'li', password: 'guess' }),
      });
    }

    const admin = await open(await computer(), 'login.html');
    await Promise.all([admin.waitForNavigation(), signIn(admin, 'admin1', 'admin-password-1')]);
    await waitForPage(admin, () => document.querySelector('#accounts-body tr[data-account="li"]')?.getAttribute('data-locked') === 'true');
    expect(await admin.$eval('#accounts-body tr[data-account="li"] td.status', (n) => n.textContent)).toContain('已锁定至');
    await (await admin.$('#accounts-panel'))?.screenshot({ path: 'test-results/admin-account-locked.png' });
    await admin.click('#accounts-body tr[data-account="li"] td.status button');
    await waitForPage(admin, () => document.querySelector('#accounts-body tr[data-account="li"]')?.getAttribute('data-locked') === 'false');
    expect(ts.server.accounts.list().find((a) => a.username === 'li')?.lockedUntil).toBeNull();

    const resetButton = await admin.$$('#accounts-body tr[data-account="wang"] td.actions button');
    await resetButton[0]!.click();
    await waitForPage(admin, () => !(document.getElementById('reset-form') as HTMLFormElement).hidden);
    expect(await admin.$eval('#reset-title', (n) => n.textContent)).toContain('wang');
    await admin.type('#reset-password', 'temporary-password-9');
    await admin.click('#reset-submit');
    await waitForPage(admin, () => document.getElementById('accounts-message')?.textContent?.startsWith('已重置 wang 的密码'));
    await (await admin.$('#accounts-panel'))?.screenshot({ path: 'test-results/admin-password-reset.png' });

    // The classroom page is out at once, and says why, in Chinese and in English.
    await waitForPage(room, () => document.querySelector('#conn')?.getAttribute('data-state') === 'refused', 15_000);
    expect(await room.$eval('#conn', (n) => n.textContent)).toBe('无法进入课堂：此账号的密码已修改或被管理员重置，请用新密码重新登录');
    // The lesson area says it too, with the way back in.
    expect(await room.$eval('#refused-banner', (n) => (n as HTMLElement).hidden)).toBe(false);
    expect(await room.$eval('#refused-text', (n) => n.textContent)).toContain('此账号的密码已修改或被管理员重置');
    expect(await room.$eval('#sign-in-again', (n) => (n as HTMLElement).hidden || (n as HTMLAnchorElement).getAttribute('href'))).toBe('login.html');
    await room.click('#lang');
    expect(await room.$eval('#conn', (n) => n.textContent)).toContain("this account's password was changed or reset");
    await room.screenshot({ path: 'test-results/classroom-access-withdrawn.png' });
    expect(await connState(room)).toBe('refused');

    // The new password signs in.
    const again = await open(await computer(), 'login.html');
    await Promise.all([again.waitForNavigation(), signIn(again, 'wang', 'temporary-password-9')]);
    await waitForPage(again, () => document.querySelector('#conn')?.getAttribute('data-state') === 'connected');
    expect(problems).toEqual([]);
  }, 90_000);

  it('a classroom PC revoked while it is in the lesson leaves it at once and asks for a new code, with no reload', async () => {
    const { code } = ts.server.devices.createEnrolment('demo-recv-2', 'admin1');
    const pc = await open(await computer(), 'classroom.html');
    await waitForPage(pc, () => !document.getElementById('enrol-main')?.hidden);
    await pc.type('#enrol-code', code);
    await pc.click('#enrol-form button');
    await waitForPage(pc, () => document.querySelector('#conn')?.getAttribute('data-state') === 'connected');
    await pc.evaluate(() => Object.assign(window, { notReloaded: true }));

    ts.server.devices.revoke(ts.server.devices.list().find((d) => d.classroomId === 'demo-recv-2')!.id);
    await waitForPage(pc, () => !document.getElementById('enrol-main')?.hidden, 15_000);
    expect(await pc.$eval('#enrol-message', (n) => n.textContent)).toContain('撤销');
    expect(await pc.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect(await pc.evaluate(() => localStorage.getItem('tongke.device'))).toBeNull();
    const left = ts.server.store.listEvents(ts.lesson.id).filter((e) => e.classroomId === 'demo-recv-2').map((e) => e.type);
    expect(left.at(-1)).toBe('classroom_left');
    expect(problems).toEqual([]);
  }, 60_000);
});
