import type { LessonState } from '../../shared/lesson.js';
import type { QualityMode } from '../../shared/media.js';
import { byId } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { LEVEL_TEXT, LinkAdvisor, qualityLevel } from '../lib/linkQuality.js';
import type { MediaSession } from '../lib/media.js';
import { PictureWatch } from './pictureWatch.js';

/** How often the page reads how fast the teacher's picture decodes. */
const PICTURE_WATCH_MS = 2_000;
const ADVICE_TEXT = { trySmooth: 'adviceTrySmooth', tryAudio: 'adviceTryAudio' } as const;

/**
 * The classroom's own link: 网络 bars in the header and, while the link stays poor, advice to
 * the assistant (rules in client/lib/linkQuality.ts). Poor is mediasoup's score for this
 * classroom, or the teacher's picture crawling as this page decodes it. Returns the render
 * function; it also re-renders by itself, since scores arrive only when they change.
 */
export function linkPanel(page: {
  state: () => LessonState | null;
  session: () => MediaSession | null;
  /** The quality mode as the assistant last chose it (shown before the server confirms it). */
  mode: (s: LessonState) => QualityMode;
}): (s: LessonState) => void {
  const bars = byId('net-bars');
  const net = byId('net');
  const box = byId('link-advice');
  const advisor = new LinkAdvisor();
  const picture = new PictureWatch();
  let recheck: ReturnType<typeof setTimeout> | null = null;

  function render(s: LessonState): void {
    const quality = s.classrooms.find((c) => c.classroomId === s.viewer.classroomId)?.quality ?? null;
    const level = s.status !== 'live' ? 'unknown' : picture.crawling ? 'poor' : qualityLevel(quality);
    bars.dataset.level = level;
    net.title = `${t('quality')}: ${t(LEVEL_TEXT[level])}${quality === null || picture.crawling ? '' : ` (${quality}/10)`}`;
    // An inspector only watches: nothing to advise.
    const advice = s.viewer.role === 'inspector' ? 'none' : advisor.update(level, page.mode(s), Date.now());
    if (recheck) clearTimeout(recheck);
    const inMs = advisor.recheckInMs(Date.now());
    recheck = inMs !== null && inMs > 0 ? setTimeout(renderNow, inMs + 50) : null;
    box.hidden = advice === 'none';
    box.dataset.advice = advice;
    box.textContent = advice === 'none' ? '' : t(ADVICE_TEXT[advice]);
  }

  function renderNow(): void {
    const s = page.state();
    if (s) render(s);
  }

  /** Reads how many frames of the teacher's camera this page has decoded. */
  async function watchPicture(): Promise<void> {
    const s = page.state();
    const session = page.session();
    // A hidden page (a minimised browser) may decode slowly by design: its rate says nothing about the link.
    const camera =
      s && s.status === 'live' && page.mode(s) !== 'audio' && !document.hidden
        ? s.producers.find((p) => p.ownerClassroomId === null && p.source === 'camera')
        : undefined;
    const frames = camera && session ? (await session.receiveStats(new Set([camera.producerId]))).videoFramesDecoded : null;
    picture.observe(camera && frames !== null ? camera.producerId : null, frames, Date.now());
    renderNow();
  }

  setInterval(() => void watchPicture().catch((err: unknown) => console.warn('picture watch', err)), PICTURE_WATCH_MS);
  return render;
}
