import type { Page } from 'puppeteer';
import { beforeAll, describe, expect, it } from 'vitest';
import { waitForPage } from '../helpers/browser.js';
import { startLesson } from '../helpers/lessonBrowser.js';
import { minRate, sampleFor, sampleRoom, sampleUntil, trace, type RoomSample } from '../helpers/reception.js';
import { classroomGrant, teacherGrant } from '../helpers/server.js';
import { SKIP_NETNS, type Impairment } from '../helpers/weakLink.js';
import { useWeakLinkLesson } from '../helpers/weakLinkLesson.js';

/**
 * A classroom whose link is too weak for a moving picture: 150 kbit/s with 4% of its UDP lost.
 * Sound holds there (the server never thins it) but the picture crawls, so the classroom page
 * advises its assistant: first 流畅, then, with 流畅 chosen and the link still poor, 仅音频.
 * With 仅音频 the advice goes, the server pauses the video and the sound keeps coming.
 */
const TOO_WEAK: Impairment = { rateKbit: 150, burstBytes: 1_600, latencyMs: 200, udpLossPercent: 4 };
const ROOM = 'demo-recv-1';
/** Opus sends 50 packets/s; the loss and a busy 2-core host leave far more than this. */
const MIN_AUDIO_PPS = 20;
/** The score turns poor within ~10 s here and advice follows a 6 s spell (client/lib/linkQuality.ts). */
const ADVISED_WITHIN_MS = 45_000;
/**
 * Long enough for the signalling to drop on this link: its TCP backs off behind the media and a
 * pong comes more than 20 s late after 20–30 s (before a peer outlived its socket, that cut the sound).
 */
const LEFT_ON_AUTO_MS = 50_000;
const CUT_SIGNALLING_AT_MS = 15_000;

describe.skipIf(SKIP_NETNS)('a classroom on a link too weak for the picture (netns, 150 kbit/s, 4% loss): its page advises 流畅, then 仅音频', () => {
  const wl = useWeakLinkLesson();
  const lb = wl.lb;
  let room: Page;

  beforeAll(async () => {
    const teacher = await lb.open('teacher', await lb.ts.token(teacherGrant(lb.ts.lesson.id)));
    room = await lb.open('classroom', await lb.ts.token(classroomGrant(lb.ts.lesson.id, ROOM)), { browser: wl.behind });
    await startLesson(teacher);
    await room.bringToFront();
    await waitForPage(room, async () => (await window.tongke.stats()).videoFramesDecoded > 5, 30_000);
  }, 90_000);

  const sample = () => sampleRoom(lb.ts, room, ROOM);

  it('advises the assistant step by step while sound holds, and stops advising once 仅音频 is chosen', async () => {
    const clean = await sample();
    expect(clean.page.advice).toBe('');
    expect(clean.page.net).toBe('good');

    const all: RoomSample[] = [clean];
    await wl.link.impair(TOO_WEAK);
    const advised = await sampleUntil(all, sample, (s) => s.page.advice === 'trySmooth', ADVISED_WITHIN_MS, 'advice to choose 流畅');
    await room.screenshot({ path: 'test-results/classroom-too-weak-advice.png' });
    expect(advised.page.net).not.toBe('good');
    expect(await room.$eval('#link-advice', (e) => e.textContent)).toContain('流畅');

    // The assistant follows it: 流畅. The link is no better, so the page moves on to 仅音频.
    await room.select('#quality', 'smooth');
    await sampleUntil(all, sample, (s) => s.page.advice === 'tryAudio', 15_000, 'advice to choose 仅音频 once 流畅 is chosen');
    expect(await room.$eval('#link-advice', (e) => e.textContent)).toContain('仅音频');

    // 仅音频: no more advice, the server holds the video back, the sound keeps coming.
    await room.select('#quality', 'audio');
    // Over this link the signalling may be down just then; the page sends the choice again once
    // it is back, so allow for a reconnect.
    const quiet = await sampleUntil(all, sample, (s) => s.page.advice === '' && s.videoPaused === true, 30_000, 'no advice and video paused in 仅音频');
    const held = await sampleFor(quiet, sample, 6_000);
    all.push(...held.slice(1));
    const counters = await wl.link.lift();
    console.log(`too weak a link ${JSON.stringify(TOO_WEAK)}: link ${JSON.stringify(counters)}\n${trace(all)}`);

    expect(counters.shapedDrops + counters.randomUdpDrops).toBeGreaterThan(0);
    for (const s of held) {
      expect(s.page.advice, trace(all)).toBe('');
      expect([s.audioPaused, s.videoPaused]).toEqual([false, true]);
    }
    // Sound every second from the moment the link turned too weak, whatever the assistant chose,
    // and the page never had to rebuild its media (its counters never went back).
    expect(minRate(all, (p) => p.audioPacketsReceived), trace(all)).toBeGreaterThanOrEqual(MIN_AUDIO_PPS);
    await room.select('#quality', 'auto');
  }, 120_000);

  it('left on 自动 (the advice ignored), sound holds and the page never rebuilds, even when its signalling drops', async () => {
    // Whatever the case before left behind.
    if (wl.link.impairment) await wl.link.lift();
    await room.select('#quality', 'auto');
    const socketId = () =>
      [...lb.ts.server.io.of('/').sockets.values()].find(
        (x) => x.data.grant.role === 'assistant' && x.data.grant.classroomId === ROOM,
      )?.id ?? null;
    await waitForPage(room, async () => (await window.tongke.stats()).videoFramesDecoded > 0, 10_000);
    const sessions = await room.evaluate(() => window.tongke.sessions());
    const connections = new Set<string | null>([socketId()]);
    const all: RoomSample[] = [await sample()];
    await wl.link.impair(TOO_WEAK);
    const start = Date.now();
    let cut = false;
    const weak = await sampleFor(all[0]!, async () => {
      // It may drop by itself on this link; it surely drops here, as a ping timeout would.
      if (!cut && Date.now() - start > CUT_SIGNALLING_AT_MS) {
        cut = true;
        [...lb.ts.server.io.of('/').sockets.values()].find((x) => x.id === socketId())?.conn.transport.close();
      }
      connections.add(socketId());
      return sample();
    }, LEFT_ON_AUTO_MS);
    all.push(...weak.slice(1));
    const counters = await wl.link.lift();
    const drops = [...connections].filter((id) => id !== null).length - 1;
    expect(drops, 'the page reconnected over the weak link').toBeGreaterThanOrEqual(1);
    console.log(`too weak a link, left on 自动 for ${LEFT_ON_AUTO_MS} ms: signalling reconnected ${drops} time(s), link ${JSON.stringify(counters)}\n${trace(all)}`);
    expect(minRate(all, (p) => p.audioPacketsReceived), trace(all)).toBeGreaterThanOrEqual(MIN_AUDIO_PPS);
    expect(await room.evaluate(() => window.tongke.sessions())).toBe(sessions);
    // Nobody saw it leave: it never did.
    expect(lb.ts.server.store.listEvents(lb.ts.lesson.id).map((e) => e.type)).not.toContain('classroom_left');
    // And the picture comes back once the link does.
    await waitForPage(room, async () => (await window.tongke.stats()).videoFramesDecoded > 0, 5_000);
    const before = (await room.evaluate(() => window.tongke.stats())).videoFramesDecoded;
    await waitForPage(room, async (n) => (await window.tongke.stats()).videoFramesDecoded > n + 20, 20_000, before);
  }, 120_000);
});
