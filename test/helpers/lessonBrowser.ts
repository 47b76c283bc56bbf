import type { Browser, Dialog, Page } from 'puppeteer';
import { afterAll, beforeAll } from 'vitest';
import { launchBrowser, waitForPage } from './browser.js';
import './pageApi.js';
import type { Config } from '../../server/config.js';
import { startTestServer, type TestServer } from './server.js';

export interface OpenOptions {
  viewport?: { width: number; height: number };
  /** Sees every dialog before it is accepted (the teacher's 下课 asks to confirm). */
  onDialog?: (d: Dialog) => void;
  /**
   * Open in this browser instead of the shared one (a classroom behind a weak link), or in a
   * context of it (a fresh one has an empty cache: a first visit).
   */
  browser?: Pick<Browser, 'newPage'>;
}

export interface LessonBrowser {
  readonly ts: TestServer;
  /** Opens a role page with its token, as a demo link would (the public library needs none: ''). */
  open(page: 'teacher' | 'classroom' | 'admin' | 'library', token: string, opts?: OpenOptions): Promise<Page>;
}

/**
 * A real server and Debian's Chromium for one describe block, both closed after it. Page
 * errors are always printed; page console output with E2E_DEBUG=1.
 */
export function useLessonBrowser(
  env: Record<string, string> | (() => Record<string, string>) = {},
  configure?: (config: Config) => void,
): LessonBrowser {
  let ts: TestServer | undefined;
  let launched: Awaited<ReturnType<typeof launchBrowser>> | undefined;
  beforeAll(async () => {
    // A function when the env is known only once earlier hooks ran (an address they created).
    ts = await startTestServer(typeof env === 'function' ? env() : env, configure);
    // Camera and microphone need a secure context: loopback is one, another address is not.
    launched = await launchBrowser({ extraArgs: [`--unsafely-treat-insecure-origin-as-secure=${ts.url}`] });
  });
  afterAll(async () => {
    await launched?.close();
    await ts?.close();
  });
  return {
    get ts() {
      if (!ts) throw new Error('the server starts in beforeAll');
      return ts;
    },
    async open(path, token, opts = {}) {
      if (!ts || !launched) throw new Error('the browser starts in beforeAll');
      const page = await (opts.browser ?? launched.browser).newPage();
      await page.setViewport(opts.viewport ?? { width: 1280, height: 800 });
      page.on('dialog', (d) => {
        opts.onDialog?.(d);
        void d.accept();
      });
      page.on('pageerror', (e) => console.log(`[${path}] pageerror: ${String(e)}`));
      if (process.env.E2E_DEBUG) page.on('console', (m) => console.log(`[${path}] ${m.type()}: ${m.text()}`));
      await page.goto(token ? `${ts.url}/${path}.html#token=${token}` : `${ts.url}/${path}.html`);
      return page;
    },
  };
}

/** The teacher presses 开始上课 and the page publishes camera and microphone. */
export async function startLesson(teacher: Page): Promise<void> {
  await teacher.bringToFront();
  await teacher.waitForSelector('#start:not([hidden])');
  await teacher.click('#start');
  await waitForPage(teacher, () => window.tongke.publishing());
}
