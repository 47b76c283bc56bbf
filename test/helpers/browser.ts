import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface LaunchOptions {
  /** Another launcher for the same Chromium (a wrapper that enters a network namespace). */
  executablePath?: string;
  /** DevTools over fds 3/4 instead of a loopback port the test process may not reach. */
  pipe?: boolean;
  extraArgs?: string[];
}

/** Debian's Chromium, headless, with fake camera and microphone; no network chatter. */
export async function launchBrowser(opts: LaunchOptions = {}): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'tongke-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: opts.executablePath ?? CHROMIUM,
    userDataDir,
    headless: true,
    pipe: opts.pipe ?? false,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      // The classroom PC is unattended in tests; a person would click "turn on sound".
      '--autoplay-policy=no-user-gesture-required',
      ...(opts.extraArgs ?? []),
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Polls a page function until it returns a truthy value, or fails with the last value. */
export async function waitForPage<T, A = undefined>(
  page: Page,
  fn: (arg: A) => T | Promise<T>,
  timeoutMs = 20_000,
  arg?: A,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = (await page.evaluate(fn as (a: unknown) => T, arg)) as T;
    if (last) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting; last value: ${JSON.stringify(last)}`);
}

/**
 * Clicks an element of a list the page re-renders on every lesson state (questions, the
 * classroom wall, quiz options). A person's click lands on whatever sits there; puppeteer's
 * holds the element it found, which a re-render between finding and clicking detaches. So
 * find and click again, a few times, when that happens.
 */
export async function clickRendered(page: Page, selector: string, tries = 5): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      await page.click(selector);
      return;
    } catch (err) {
      if (i >= tries || !/detached|not attached|not clickable/i.test(String(err))) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
