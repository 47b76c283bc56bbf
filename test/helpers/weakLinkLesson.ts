import type { Browser } from 'puppeteer';
import { afterAll, beforeAll } from 'vitest';
import { launchBrowser } from './browser.js';
import { useLessonBrowser, type LessonBrowser } from './lessonBrowser.js';
import { WeakLink } from './weakLink.js';

export interface WeakLinkLesson {
  readonly link: WeakLink;
  readonly lb: LessonBrowser;
  /** A Chromium inside the namespace: whoever sits behind the weak link. */
  readonly behind: Browser;
}

/**
 * A lesson server and the host's Chromium, plus a second Chromium behind a weak link, for one
 * describe block. Hooks run in order and are undone in reverse: the link, then the server and
 * the host's browser, then the browser in the namespace; the link goes last, after its browser
 * closed.
 */
export function useWeakLinkLesson(
  opts: {
    /** Runs once the link exists, before the server starts; returns more of the server's env. */
    beforeServer?: (link: WeakLink) => Promise<Record<string, string>>;
  } = {},
): WeakLinkLesson {
  let link: WeakLink | undefined;
  beforeAll(async () => {
    link = await WeakLink.create();
  });
  afterAll(async () => {
    await link?.destroy();
  });
  const created = () => {
    if (!link) throw new Error('the weak link was not created');
    return link;
  };
  let extraEnv: Record<string, string> = {};
  if (opts.beforeServer) {
    const prepare = opts.beforeServer;
    beforeAll(async () => {
      extraEnv = await prepare(created());
    });
  }

  // Media and HTTP on the host end of the veth, so the namespace reaches both through it.
  const lb = useLessonBrowser(() => {
    const { hostIp } = created();
    return { TONGKE_HOST: hostIp, TONGKE_RTC_LISTEN_IP: hostIp, TONGKE_ANNOUNCED_IP: hostIp, ...extraEnv };
  });

  let behind: Awaited<ReturnType<typeof launchBrowser>> | undefined;
  beforeAll(async () => {
    behind = await launchBrowser({
      executablePath: created().chromiumLauncher(),
      pipe: true,
      extraArgs: [`--unsafely-treat-insecure-origin-as-secure=${lb.ts.url}`],
    });
  });
  afterAll(async () => {
    await behind?.close();
  });

  return {
    get link() {
      return created();
    },
    lb,
    get behind() {
      if (!behind) throw new Error('the browser behind the link starts in beforeAll');
      return behind.browser;
    },
  };
}
