import type { Page } from 'puppeteer';
import { waitForPage } from './browser.js';
import type { Stats } from './pageApi.js';
import type { TestServer } from './server.js';

/** How a receiving classroom fares at one moment: its page and its consumers on the server. */
export interface RoomSample {
  at: number;
  /** `net`: the page's own link bars (good/fair/poor/unknown); `advice`: what it advises ('' for none). */
  page: Stats & { width: number; net: string; advice: string };
  /** The classroom's teacher-camera consumer on the server: spatial layer it receives now. */
  spatial: number | null;
  /** Its temporal layer: 2 is the full frame rate, 0 a quarter of it. */
  temporal: number | null;
  videoPaused: boolean | null;
  audioPaused: boolean | null;
  /**
   * The simulcast layers the teacher's camera sends at that moment (its streams scored above
   * 0): a layer missing here is one no classroom can get, whatever its link.
   */
  teacherSends: number[];
  /**
   * Why a layer may not fit: the server's estimate of the bandwidth towards the page (kbit/s),
   * the teacher camera's bitrate per layer (kbit/s) and the key frames asked of it so far.
   */
  link: { estimateKbit: number | null; teacherKbit: number[]; teacherKeyFrames: number };
}

/** The teacher camera's top simulcast layer, as the classroom page decodes it. */
export const TOP_WIDTH = 1280;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function sampleRoom(ts: TestServer, page: Page, classroomId: string): Promise<RoomSample> {
  const stats = await page.evaluate(async () => ({
    ...(await window.tongke.stats()),
    width: document.querySelector<HTMLVideoElement>('#teacher-video')!.videoWidth,
    net: document.querySelector<HTMLElement>('#net-bars')?.dataset.level ?? '',
    advice: document.querySelector<HTMLElement>('#link-advice')?.hidden === false ? (document.querySelector<HTMLElement>('#link-advice')!.dataset.advice ?? '') : '',
  }));
  const socket = [...ts.server.io.of('/').sockets.values()].find(
    (s) => s.data.grant.role === 'assistant' && s.data.grant.classroomId === classroomId,
  );
  const media = await ts.server.service.media(ts.lesson.id);
  const consumers = (socket && media.describePeer(socket.data.peerId)?.consumers) || [];
  const video = consumers.find((c) => c.kind === 'video');
  const audio = consumers.find((c) => c.kind === 'audio');
  const teacher = [...ts.server.io.of('/').sockets.values()].find((s) => s.data.grant.role === 'teacher');
  const camera = (teacher && media.describePeer(teacher.data.peerId)?.producers.find((p) => p.id === video?.producerId)) || null;
  const teacherSends = (camera?.scores ?? []).filter((s) => s.score > 0).map((s) => Number(s.rid?.slice(1) ?? 0)).sort();
  const [links, teacherLinks] = await Promise.all([
    socket ? media.describeLinks(socket.data.peerId) : null,
    teacher ? media.describeLinks(teacher.data.peerId) : null,
  ]);
  const estimate = links?.transports.find((t) => t.direction === 'recv')?.availableOutgoingBitrate ?? null;
  const streams = teacherLinks?.producers.find((p) => p.id === video?.producerId)?.streams ?? [];
  const byRid = [...streams].sort((a, b) => (a.rid ?? '').localeCompare(b.rid ?? ''));
  return {
    at: Date.now(),
    page: stats,
    spatial: video?.currentLayers?.spatialLayer ?? null,
    temporal: video?.currentLayers?.temporalLayer ?? null,
    videoPaused: video?.paused ?? null,
    audioPaused: audio?.paused ?? null,
    teacherSends,
    link: {
      estimateKbit: estimate === null ? null : Math.round(estimate / 1000),
      teacherKbit: byRid.map((x) => Math.round(x.bitrate / 1000)),
      teacherKeyFrames: byRid.reduce((n, x) => n + x.keyFramesAsked, 0),
    },
  };
}

/** Samples into `into` once a second (rates need whole seconds) until `done` or the bound. */
export async function sampleUntil<T>(
  into: T[],
  take: () => Promise<T>,
  done: (s: T) => boolean,
  withinMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    await sleep(1000);
    const s = await take();
    into.push(s);
    if (done(s)) return s;
    if (Date.now() > deadline) throw new Error(`${what} not within ${withinMs} ms; last: ${JSON.stringify(s)}`);
  }
}

/** Samples once a second for `ms` after `first` (which it starts with), or until `done`; returns them all. */
export async function sampleFor<T extends { at: number }>(first: T, take: () => Promise<T>, ms: number, done = () => false): Promise<T[]> {
  const out = [first];
  while (Date.now() - first.at < ms && !done()) {
    await sleep(1000);
    out.push(await take());
  }
  return out;
}

export const onTop = (s: RoomSample) => s.page.width === TOP_WIDTH && s.spatial === 2;
/** Full quality: the top layer at its full frame rate, not 1280 px at 5 fps on the way. */
export const fullQuality = (s: RoomSample) => onTop(s) && s.temporal === 2;
export const lowered = (s: RoomSample) =>
  s.page.width > 0 && s.page.width < TOP_WIDTH && s.spatial !== null && s.spatial < 2;

/** Per second, between two samples. */
export const rate = (a: RoomSample, b: RoomSample, pick: (s: Stats) => number) =>
  (pick(b.page) - pick(a.page)) / ((b.at - a.at) / 1000);

/** The lowest per-second rate between consecutive samples. */
export const minRate = (samples: RoomSample[], pick: (s: Stats) => number) =>
  Math.min(...samples.slice(1).map((x, i) => rate(samples[i]!, x, pick)));

/** One line per sample, for the log and failure messages: seconds, width, server layers, frames, audio. */
export const trace = (samples: RoomSample[]) =>
  samples
    .slice(1)
    .map((x, i) => {
      const p = samples[i]!;
      const t = ((x.at - samples[0]!.at) / 1000).toFixed(0);
      return (
        `${t}s ${x.page.width}px S${x.spatial ?? '-'}T${x.temporal ?? '-'} f+${x.page.videoFramesDecoded - p.page.videoFramesDecoded} a+${x.page.audioPacketsReceived - p.page.audioPacketsReceived}` +
        ` net:${x.page.net}${x.page.advice ? ` advice:${x.page.advice}` : ''}` +
        (x.teacherSends.length < 3 ? ` teacher-sends:${x.teacherSends.join('') || 'none'}` : '') +
        ` bwe:${x.link.estimateKbit ?? '-'} teacher:${x.link.teacherKbit.join('/')} kf+${x.link.teacherKeyFrames - p.link.teacherKeyFrames}`
      );
    })
    .join(' | ');

/** The longest stretch between samples that showed a new decoded frame. */
export const longestFreezeMs = (samples: RoomSample[]) => {
  let longest = 0;
  let movedAt = samples[0]!.at;
  samples.slice(1).forEach((x, i) => {
    if (x.page.videoFramesDecoded > samples[i]!.page.videoFramesDecoded) movedAt = x.at;
    longest = Math.max(longest, x.at - movedAt);
  });
  return longest;
};

/** Waits until the page decodes teacher video and sound in its current media session; returns how long. */
export async function playing(page: Page, timeoutMs = 20_000): Promise<number> {
  const start = Date.now();
  await waitForPage(
    page,
    async () => {
      const s = await window.tongke.stats();
      return s.videoFramesDecoded > 5 && s.audioPacketsReceived > 0;
    },
    timeoutMs,
  );
  return Date.now() - start;
}
