import type { ClassroomPresence, LessonState } from '../../shared/lesson.js';
import { byId, el } from './dom.js';
import { withFeedback } from './feedback.js';
import { t } from './i18n.js';
import { LEVEL_TEXT, qualityLevel } from './linkQuality.js';
import { request, type TongkeSocket } from './socket.js';

interface Tile {
  box: HTMLElement;
  video: HTMLVideoElement;
  audio: HTMLAudioElement;
  name: HTMLElement;
  school: HTMLElement;
  counts: HTMLElement;
  marks: HTMLElement;
  quality: HTMLElement;
  stageBtn: HTMLButtonElement | null;
}

/** The teacher's wall calls classrooms on stage; an inspector's (巡课) only watches. */
export type StageControls = { socket: TongkeSocket; message: HTMLElement } | null;


/**
 * The classroom wall: one tile per receiving classroom with its low-res picture, head
 * counts, hand and stage markers, connection quality, and (for the teacher) the stage button.
 * Tiles persist across renders so their video keeps playing.
 */
export function classroomWall(stage: StageControls) {
  const wall = byId('wall');
  const tiles = new Map<string, Tile>();

  function tile(c: ClassroomPresence): Tile {
    let tl = tiles.get(c.classroomId);
    if (tl) return tl;
    const video = el('video');
    video.autoplay = true;
    video.muted = true;
    video.playsInline = true;
    const audio = el('audio');
    audio.autoplay = true;
    const stageBtn = stage ? el('button', { className: 'small' }) : null;
    if (stage && stageBtn) {
      stageBtn.type = 'button';
      stageBtn.addEventListener('click', () => {
        const on = tl?.box.dataset.stage === 'true';
        void withFeedback(stageBtn, stage.message, () =>
          request(stage.socket, on ? 'stage:remove' : 'stage:invite', { classroomId: c.classroomId }),
        );
      });
    }
    const name = el('div', { className: 'name' });
    const school = el('div', { className: 'school' });
    const counts = el('div', { className: 'counts-line' });
    const marks = el('div', { className: 'marks' });
    const quality = el('span', { className: 'qbar' }, [el('i'), el('i'), el('i')]);
    const box = el('div', { className: 'tile', dataset: { classroom: c.classroomId } }, [
      video,
      audio,
      el('div', { className: 'info' }, [name, school, counts, el('div', { className: 'marks' }, [marks, quality, stageBtn])]),
    ]);
    tl = { box, video, audio, name, school, counts, marks, quality, stageBtn };
    tiles.set(c.classroomId, tl);
    wall.append(box);
    return tl;
  }

  function render(s: LessonState): void {
    for (const c of s.classrooms) {
      const tl = tile(c);
      tl.box.dataset.online = String(c.online);
      tl.box.dataset.reconnecting = String(c.reconnecting);
      tl.box.dataset.mediaBlocked = String(c.mediaBlocked);
      tl.box.dataset.stage = String(c.onStage);
      tl.box.dataset.hand = String(c.handRaised);
      tl.name.textContent = c.name;
      tl.school.textContent = c.schoolName;
      tl.counts.textContent = c.attendance
        ? `${t('present')} ${c.attendance.present} / ${t('expected')} ${c.attendance.expected}`
        : `${t('present')} ${t('notReported')}`;
      tl.marks.replaceChildren(
        ...(c.handRaised ? [el('span', { className: 'mark hand', text: t('handRaised') })] : []),
        ...(c.onStage ? [el('span', { className: 'mark stage', text: t('onStage') })] : []),
        ...(c.reconnecting
          ? [el('span', { className: 'mark reconnecting', text: t('signalReconnecting'), title: t('reconnectingHint') })]
          : []),
        ...(c.mediaBlocked
          ? [el('span', { className: 'mark blocked', text: t('mediaBlockedMark'), title: t('mediaBlockedHint') })]
          : []),
      );
      const lv = qualityLevel(c.quality);
      tl.quality.dataset.level = lv;
      tl.quality.title = `${t('quality')}: ${t(LEVEL_TEXT[lv])}${c.quality === null ? '' : ` (${c.quality}/10)`}`;
      if (tl.stageBtn) {
        tl.stageBtn.textContent = c.onStage ? t('removeStage') : t('inviteStage');
        tl.stageBtn.classList.toggle('on', c.onStage);
        tl.stageBtn.disabled = s.status !== 'live' || (!c.online && !c.onStage);
      }
    }
    byId('online-count').textContent = `${s.classrooms.filter((c) => c.online).length}/${s.classrooms.length}`;
    byId('present-total').textContent = String(s.presentTotal);
  }

  return {
    render,
    player(classroomId: string, kind: string): HTMLMediaElement | null {
      const tl = tiles.get(classroomId);
      if (!tl) return null;
      return kind === 'video' ? tl.video : tl.audio;
    },
  };
}
