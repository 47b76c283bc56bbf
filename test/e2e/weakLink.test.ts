import type { Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForPage } from '../helpers/browser.js';
import { startLesson } from '../helpers/lessonBrowser.js';
import {
  TOP_WIDTH,
  fullQuality,
  longestFreezeMs,
  lowered,
  minRate,
  onTop,
  rate,
  sampleRoom,
  sampleFor,
  sampleUntil,
  sleep,
  trace,
  type RoomSample,
} from '../helpers/reception.js';
import { classroomGrant, teacherGrant } from '../helpers/server.js';
import { SKIP_NETNS, type Impairment } from '../helpers/weakLink.js';
import { useWeakLinkLesson } from '../helpers/weakLinkLesson.js';

/**
 * A rural link: 300 kbit/s down, 4% of UDP into the classroom lost at random. With the fake
 * camera the layers measure ~150 / ~360 / ~760 kbit/s (below their maxBitrate: the picture is
 * simple) and Opus ~40 kbit/s, so 300 kbit/s carries the 320-px layer and the sound but not the
 * top layer. Not 500 kbit/s: mediasoup prefers a larger picture at a lower frame rate, and the
 * top layer's base temporal layer alone is only ~200–290 kbit/s, so it may rightly send 1280 px
 * at 5 fps there. tbf's bucket is one packet deep: with a 5 kB bucket mediasoup's short probes
 * passed at line rate and it kept trying the top layer. Its queue holds 200 ms, the only delay
 * we can add (this kernel has no netem).
 */
const WEAK: Impairment = { rateKbit: 300, burstBytes: 1_600, latencyMs: 200, udpLossPercent: 4 };
/** Opus sends 50 packets/s; 4% loss and a busy 2-core host leave far more than this. */
const MIN_AUDIO_PPS = 20;
/**
 * Bounds on each phase, above what runs measured: settled on a lower layer 3–8 s after the cap
 * (the switch itself 2–7 s, then up to ~5 s for the lower layer's key frame); back up see
 * CLIMB_WITHIN_MS.
 */
const LOWER_WITHIN_MS = 15_000;
const HOLD_MS = 12_000;
/**
 * The picture stands still while the layer comes down: 0–3 s measured, 5 s twice (samples are
 * a second apart). Without the server's downlink floor (MIN_DOWNLINK_BITRATE) the classroom
 * then lost its layer altogether for 7–17 s; the hold checks catch what starts later.
 */
const MAX_FREEZE_MS = 8_000;
/**
 * Back to full quality after the cap is lifted. Without help it took 3–16 s in most runs and
 * 25–45 s in about one in seven: the estimate sat at the floor, and mediasoup probes mid-call
 * only when what the classroom wants changes. The server now nudges a probe on a loss-free link
 * below its layer (server/media/downlinkProbe.ts): 1.0–15.2 s over 12 runs on 2026-12-03.
 */
const CLIMB_WITHIN_MS = 40_000;
/**
 * Room to spare above the top layer on the clean classroom's link before the cap. In one CI
 * run its estimate had settled at 598 kbit/s, just above the top layer's ~550; the weak
 * classroom's layer switches then asked the teacher for key frames, the top layer swelled to
 * 843 kbit/s, and the clean classroom showed 640 px for a second until the server's probe
 * nudges lifted its estimate (598 → 1196 → 1398). Such a thin estimate is not the weak one's
 * doing, and the top layer grows as the teacher's uplink ramps, so the test waits for room:
 * estimates here reach 1.1–2.4 Mbit/s.
 */
const HEADROOM = 1.5;
const roomToSpare = (s: RoomSample) =>
  s.link.estimateKbit !== null && s.link.teacherKbit.length === 3 && s.link.estimateKbit >= HEADROOM * s.link.teacherKbit[2]!;
/** Chrome's uplink ramps for 24–27 s here, and the clean estimate may need nudges after it. */
const BEFORE_WITHIN_MS = 45_000;
/** The weak classroom, in the namespace, and a second one on a clean link beside it. */
const WEAK_ROOM = 'demo-recv-1';
const CLEAN_ROOM = 'demo-recv-3';
/** A third classroom that joins while the link is already weak. */
const LATE_ROOM = 'demo-recv-2';
/**
 * A first visit on the weak link, from opening the page: loaded (page and script, compressed)
 * 2.9 s, first sound 3.5 s, first picture 5.0 s measured at first; sent uncompressed it took
 * 11.1, 11.9 and 15.2 s. It varies: the page's own media starts before its load event and
 * shares the 300 kbit/s with the rest of the page, and TCP's recovery from the shaper's drops
 * is luck. Six full-suite runs on 2026-12-02 gave loaded 3.9–6.1 s (median 4.7), first sound
 * 4.7–9.0 s, first picture 4.9–9.8 s; 6.1 s broke the first bound of 6 s. Bounds about twice
 * the median.
 */
const JOIN_BOUNDS_MS = { loaded: 9_000, audio: 12_000, frame: 14_000 };
const JOIN_WITHIN_MS = 20_000;
/** The fake camera's top layer decodes at ~20 fps here; a classroom beside the weak one keeps most of it. */
const MIN_CLEAN_FPS = 12;

/** The weak classroom as it fares, and the clean one sampled at the same moment. */
interface Sample extends RoomSample {
  clean: RoomSample;
}

describe.skipIf(SKIP_NETNS)('a receiving classroom on a weak rural link (netns, tbf cap, random UDP loss), another beside it on a clean one', () => {
  const wl = useWeakLinkLesson();
  const lb = wl.lb;
  let teacher: Page;
  let room: Page;
  let clean: Page;

  beforeAll(async () => {
    teacher = await lb.open('teacher', await lb.ts.token(teacherGrant(lb.ts.lesson.id)));
    room = await lb.open('classroom', await lb.ts.token(classroomGrant(lb.ts.lesson.id, WEAK_ROOM)), {
      browser: wl.behind,
    });
    clean = await lb.open('classroom', await lb.ts.token(classroomGrant(lb.ts.lesson.id, CLEAN_ROOM)));
    await startLesson(teacher);
    for (const p of [room, clean]) {
      await p.bringToFront();
      await waitForPage(p, async () => (await window.tongke.stats()).videoFramesDecoded > 5, 30_000);
    }
  }, 90_000);

  async function sample(): Promise<Sample> {
    const [weak, other] = await Promise.all([sampleRoom(lb.ts, room, WEAK_ROOM), sampleRoom(lb.ts, clean, CLEAN_ROOM)]);
    return { ...weak, clean: other };
  }

  it('keeps picture (lower layer) and sound under the cap, repairs losses by NACK, climbs back to 1280 px, and costs the clean classroom nothing', async () => {
    // A clean link first: the classroom is on the top layer, so what follows is the link's doing;
    // the one beside it at full quality with room to spare, so what it loses later is the weak
    // one's doing.
    const before: Sample[] = [await sample()];
    await sampleUntil(before, sample, (s) => onTop(s) && fullQuality(s.clean) && roomToSpare(s.clean), BEFORE_WITHIN_MS, 'the top layer on a clean link');
    console.log(`before the cap: weak ${trace(before)}\nclean ${trace(before.map((x) => x.clean))}`);

    const weak: Sample[] = [await sample()];
    await wl.link.impair(WEAK);
    const start = weak[0]!;
    // Settled on the lower layer: the server sends it, and the page decodes it (its frames have
    // that layer's width and keep coming). While the switch waits for that layer's key frame
    // through the congested link, the page can still show the last larger frames; MAX_FREEZE_MS
    // bounds that wait.
    const settled = (s: Sample) =>
      lowered(s) &&
      s.page.width === TOP_WIDTH >> (2 - s.spatial!) &&
      s.page.videoFramesDecoded > weak.at(-2)!.page.videoFramesDecoded;
    const down = await sampleUntil(weak, sample, settled, LOWER_WITHIN_MS, 'a lower layer under the cap');
    const hold = await sampleFor(down, sample, HOLD_MS);
    weak.push(...hold.slice(1));
    const end = weak.at(-1)!;
    const fromTeacher = await teacher.evaluate(() => window.tongke.state()?.reception ?? null);
    const counters = await wl.link.lift();

    const figures = {
      settledLowerAfterMs: down.at - start.at,
      longestFreezeMs: longestFreezeMs(weak),
      widths: [...new Set(hold.map((x) => x.page.width))],
      spatial: [...new Set(hold.map((x) => x.spatial))],
      fpsOnLowerLayer: +rate(hold[0]!, end, (p) => p.videoFramesDecoded).toFixed(1),
      framesDecoded: end.page.videoFramesDecoded - start.page.videoFramesDecoded,
      audioPackets: end.page.audioPacketsReceived - start.page.audioPacketsReceived,
      minAudioPps: +minRate(weak, (p) => p.audioPacketsReceived).toFixed(1),
      videoPacketsLost: end.page.videoPacketsLost - start.page.videoPacketsLost,
      nacks: end.page.videoNackCount - start.page.videoNackCount,
      retransmitted: end.page.videoRetransmittedPackets - start.page.videoRetransmittedPackets,
      // The same once settled on the lower layer, when only the random loss remains.
      holdNacks: end.page.videoNackCount - hold[0]!.page.videoNackCount,
      holdRetransmitted: end.page.videoRetransmittedPackets - hold[0]!.page.videoRetransmittedPackets,
      link: counters,
    };
    const timeline = trace(weak);
    const besides = weak.map((x) => x.clean);
    const cleanFigures = {
      widths: [...new Set(besides.map((x) => x.page.width))],
      spatial: [...new Set(besides.map((x) => x.spatial))],
      fps: +rate(besides[0]!, besides.at(-1)!, (p) => p.videoFramesDecoded).toFixed(1),
      longestFreezeMs: longestFreezeMs(besides),
      videoPacketsLost: besides.at(-1)!.page.videoPacketsLost - besides[0]!.page.videoPacketsLost,
      minAudioPps: +minRate(besides, (p) => p.audioPacketsReceived).toFixed(1),
    };
    console.log(
      `weak link ${JSON.stringify(WEAK)}: ${JSON.stringify(figures)}\n${timeline}\n` +
        `classroom beside it on a clean link: ${JSON.stringify(cleanFigures)}\n${trace(besides)}`,
    );

    // The cap carried the classroom's traffic and the loss happened. The shaper need not drop
    // anything: the server's congestion control may back off on the queue's delay before the
    // queue overflows (one run in many: shapedDrops 0, down to 640 px within a second).
    expect(counters.shapedPackets).toBeGreaterThan(0);
    expect(counters.randomUdpDrops).toBeGreaterThan(0);
    // The picture froze only while the layer came down (a few seconds), never for long: a
    // classroom must not sit in front of a still picture while its link carries a lower layer.
    expect(figures.longestFreezeMs, timeline).toBeLessThanOrEqual(MAX_FREEZE_MS);
    // A lower layer for the whole hold, seen by the page, the server and the teacher's page.
    for (const x of hold) expect(lowered(x), timeline).toBe(true);
    // The teacher's page counts one classroom on the top layer (the clean one), one below,
    // unless the teacher's camera has stopped sending its top layer (below).
    const teacherSendsTop = (i: number) => besides.slice(Math.max(0, i - 1), i + 2).every((x) => x.teacherSends.includes(2));
    if (teacherSendsTop(besides.length - 1)) expect(fromTeacher?.layers[2], trace(besides)).toBe(1);
    expect((fromTeacher?.layers[0] ?? 0) + (fromTeacher?.layers[1] ?? 0)).toBeGreaterThanOrEqual(1);
    expect((fromTeacher?.layers[0] ?? 0) + (fromTeacher?.layers[1] ?? 0) + (fromTeacher?.layers[2] ?? 0)).toBe(2);
    // One weak classroom costs the others nothing: the one on a clean link kept the top layer,
    // a moving picture and its sound the whole time, though the weak one's layer switches asked
    // the teacher's encoder for key frames and its losses for retransmissions. The SFU can only
    // forward what the teacher sends, so the top layer is required wherever the teacher sent it
    // steadily (its r2 stream scored 0 in one early failure: every classroom then gets the next).
    // The other failures of this check (3 of 13 runs, then one in CI) had the clean classroom's
    // own estimate stuck at 250–650 kbit/s since it joined, and the weak one's key frames pushed
    // the top layer over it; it must now be at full quality before the cap, and the server
    // probes a loss-free downlink stuck below its layer (the trace's bwe: shows the estimate).
    besides.forEach((x, i) => {
      if (teacherSendsTop(i)) expect(onTop(x), trace(besides)).toBe(true);
    });
    expect(cleanFigures.longestFreezeMs, trace(besides)).toBeLessThan(2_000);
    expect(cleanFigures.fps, trace(besides)).toBeGreaterThanOrEqual(MIN_CLEAN_FPS);
    expect(cleanFigures.videoPacketsLost).toBe(0);
    expect(cleanFigures.minAudioPps, trace(besides)).toBeGreaterThanOrEqual(MIN_AUDIO_PPS);
    for (const x of besides) expect([x.audioPaused, x.videoPaused]).toEqual([false, false]);
    // …and its page never tells its assistant that its own network is poor.
    for (const x of besides) expect(x.page.advice, trace(besides)).toBe('');
    // Picture keeps moving on that layer: a new frame in every sample but the odd one, and at
    // least the lowest temporal layer's 5 fps.
    expect(longestFreezeMs(hold), timeline).toBeLessThan(2_000);
    expect(figures.fpsOnLowerLayer, timeline).toBeGreaterThanOrEqual(4);
    // Sound flows every second from the moment the cap hit, through the layer switch: audio
    // gives way to nothing, and neither consumer was paused to cope.
    expect(figures.minAudioPps, timeline).toBeGreaterThanOrEqual(MIN_AUDIO_PPS);
    for (const x of weak) expect([x.audioPaused, x.videoPaused]).toEqual([false, false]);
    // Losses (the cap's at first, then the random ones) were asked for again (NACK) and
    // repaired by retransmission (RTX).
    expect(figures.videoPacketsLost).toBeGreaterThan(0);
    expect(figures.nacks).toBeGreaterThan(0);
    expect(figures.retransmitted).toBeGreaterThan(0);

    // Link restored: back to full quality within the bound, and staying there with the picture
    // moving (three samples in a row, 2 s). A probe's jump may overshoot on this busy host and
    // drop the classroom a layer for a second or two on the way; it must then come back.
    const liftedAt = Date.now();
    const climb: Sample[] = [end];
    const steady = (s: Sample) => fullQuality(s) && climb.length >= 3 && climb.slice(-3).every(fullQuality);
    const top = await sampleUntil(climb, sample, steady, CLIMB_WITHIN_MS, 'full quality after the link recovered, for 2 s');
    const reached = climb.at(-3)!;
    console.log(`back to ${TOP_WIDTH} px ${reached.at - liftedAt} ms after the cap was lifted (steady ${top.at - liftedAt} ms)\n${trace(climb)}`);
    expect(top.page.videoFramesDecoded - reached.page.videoFramesDecoded).toBeGreaterThan(10);
    expect(top.page.audioPacketsReceived - reached.page.audioPacketsReceived).toBeGreaterThan(2 * MIN_AUDIO_PPS);
  }, 150_000);

  it('lets a classroom that joins on the weak link, on its first visit, hear and see the teacher within seconds', async () => {
    if (wl.link.impairment) await wl.link.lift();
    // The first weak classroom leaves: the link is the newcomer's alone.
    await room.close();
    await sleep(2_000);
    await wl.link.impair(WEAK);
    // A fresh browser context: nothing cached, the page and its script come over the weak link.
    const firstVisit = await wl.behind.createBrowserContext();
    const openedAt = Date.now();
    const late = await lb.open('classroom', await lb.ts.token(classroomGrant(lb.ts.lesson.id, LATE_ROOM)), {
      browser: firstVisit,
    });
    const loadedMs = Date.now() - openedAt;
    // Time to the first sound and the first picture, polled a few times a second.
    let firstAudioMs: number | null = null;
    let firstFrameMs: number | null = null;
    while (Date.now() - openedAt < JOIN_WITHIN_MS && (firstAudioMs === null || firstFrameMs === null)) {
      const st = await late.evaluate(() => window.tongke.stats());
      if (firstAudioMs === null && st.audioPacketsReceived > 0) firstAudioMs = Date.now() - openedAt;
      if (firstFrameMs === null && st.videoFramesDecoded > 0) firstFrameMs = Date.now() - openedAt;
      await sleep(250);
    }
    const take = () => sampleRoom(lb.ts, late, LATE_ROOM);
    const joined = await sampleFor(await take(), take, HOLD_MS);
    const counters = await wl.link.lift();
    const timeline = trace(joined);
    const figures = {
      loadedMs,
      firstAudioMs,
      firstFrameMs,
      widths: [...new Set(joined.map((x) => x.page.width))],
      layers: [...new Set(joined.map((x) => `S${x.spatial}T${x.temporal}`))],
      fps: +rate(joined[0]!, joined.at(-1)!, (p) => p.videoFramesDecoded).toFixed(1),
      longestFreezeMs: longestFreezeMs(joined),
      minAudioPps: +minRate(joined, (p) => p.audioPacketsReceived).toFixed(1),
      link: counters,
    };
    console.log(`joined on the weak link ${JSON.stringify(WEAK)}: ${JSON.stringify(figures)}\n${timeline}`);

    expect(loadedMs).toBeLessThan(JOIN_BOUNDS_MS.loaded);
    expect(firstAudioMs, timeline).not.toBeNull();
    expect(firstAudioMs!).toBeLessThan(JOIN_BOUNDS_MS.audio);
    expect(firstFrameMs, timeline).not.toBeNull();
    expect(firstFrameMs!).toBeLessThan(JOIN_BOUNDS_MS.frame);
    // Then it plays on: a picture that keeps moving and sound every second, nothing paused.
    expect(figures.longestFreezeMs, timeline).toBeLessThan(MAX_FREEZE_MS);
    expect(figures.fps, timeline).toBeGreaterThanOrEqual(4);
    expect(figures.minAudioPps, timeline).toBeGreaterThanOrEqual(MIN_AUDIO_PPS);
    for (const x of joined) expect([x.audioPaused, x.videoPaused]).toEqual([false, false]);
    await firstVisit.close();
  }, 90_000);
});
