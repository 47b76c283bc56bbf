import { mkdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SqliteAudit } from '../../server/audit/auditQueries.js';
import { waitForPage } from '../helpers/browser.js';
import { startLesson, useLessonBrowser } from '../helpers/lessonBrowser.js';
import { peerConnectionStats } from '../helpers/peerStats.js';
import { classroomGrant, inspectorGrant, teacherGrant } from '../helpers/server.js';
import { BROWSER_SRTP_SUITE } from '../../scripts/bench/receivers.js';

import '../helpers/pageApi.js';

describe('a live lesson in Chromium', () => {
  const lb = useLessonBrowser();
  const open = (path: 'teacher' | 'classroom', token: string) => lb.open(path, token);

  it('teacher starts the lesson and two classrooms see and hear it', async () => {
    const lessonId = lb.ts.lesson.id;
    const teacher = await open('teacher', await lb.ts.token(teacherGrant(lessonId)));
    const rooms = [
      await open('classroom', await lb.ts.token(classroomGrant(lessonId, 'demo-recv-1'))),
      await open('classroom', await lb.ts.token(classroomGrant(lessonId, 'demo-recv-3'))),
    ];
    await teacher.waitForSelector('#start:not([hidden])');
    // Both classrooms show as online on the teacher's page before the lesson starts.
    await waitForPage(teacher, () => document.querySelectorAll('.tile[data-online="true"]').length === 2);

    await startLesson(teacher);

    for (const room of rooms) {
      const stats = await waitForPage(room, async () => {
        const s = await window.tongke.stats();
        return s.videoFramesDecoded > 0 && s.audioPacketsReceived > 0 ? s : null;
      });
      expect(stats?.videoFramesDecoded).toBeGreaterThan(0);
      expect(stats?.audioPacketsReceived).toBeGreaterThan(0);
      const status = await room.$eval('#lesson-status', (n) => n.textContent);
      expect(status).toBe('上课中');
      // What the fan-out benchmark's bulk receivers are set to (scripts/bench/receivers.ts):
      // the worker's per-packet SRTP cost there is the browser's only if this holds.
      const transports = await peerConnectionStats(room, 'transport');
      expect(transports.length).toBeGreaterThan(0);
      for (const t of transports) expect(t.srtpCipher).toBe(`SRTP_${BROWSER_SRTP_SUITE}`);
    }
    // On a clean link each page shows its network as good and advises nothing.
    for (const room of rooms) {
      await waitForPage(room, () => document.querySelector<HTMLElement>('#net-bars')?.dataset.level === 'good', 15_000);
      expect(await room.$eval('#link-advice', (n) => (n as HTMLElement).hidden)).toBe(true);
    }

    // An inspector (巡课) watches through the same page: it receives, publishes nothing and
    // sees no reporting forms.
    const inspector = await open('classroom', await lb.ts.token(inspectorGrant(lessonId)));
    await waitForPage(inspector, async () => {
      const s = await window.tongke.stats();
      return s.videoFramesDecoded > 0 && s.audioPacketsReceived > 0;
    });
    expect(await inspector.$eval('#attendance-submit', (n) => (n as HTMLElement).offsetParent === null)).toBe(true);
    expect(await inspector.$eval('#raise', (n) => (n as HTMLElement).offsetParent === null)).toBe(true);
    // It never opened a camera: nothing in its self view, and its role is shown as such.
    expect(await inspector.$eval('#self-view', (v) => (v as HTMLVideoElement).srcObject)).toBeNull();
    expect(await inspector.evaluate(() => document.body.dataset.role)).toBe('inspector');
    // 巡课 sees the receiving classrooms too (实时查看各成员校区的教室教学): a wall like the
    // teacher's, each classroom's picture playing, with no stage buttons.
    const wall = await waitForPage(inspector, () => {
      const tiles = [...document.querySelectorAll<HTMLElement>('#inspect-wall .tile[data-online="true"]')];
      const playing = tiles.filter((tile) => {
        const v = tile.querySelector('video');
        return v !== null && v.readyState >= 2 && v.videoWidth > 0 && !v.paused;
      });
      return playing.length === 2 ? { tiles: tiles.length, widths: playing.map((tile) => tile.querySelector('video')!.videoWidth), buttons: document.querySelectorAll('#inspect-wall button').length } : null;
    });
    console.log(`inspector's wall: ${wall!.tiles} classrooms playing at ${wall!.widths.join(', ')} px`);
    expect(wall).toMatchObject({ tiles: 2, buttons: 0 });

    mkdirSync('test-results', { recursive: true });
    await inspector.screenshot({ path: 'test-results/inspector.png' });
    // Headless Chromium renders only the tab in front: bring each to the front to capture it.
    await teacher.bringToFront();
    await teacher.screenshot({ path: 'test-results/teacher.png' });
    await rooms[0]!.bringToFront();
    await rooms[0]!.screenshot({ path: 'test-results/classroom.png' });

    // The teacher ends the lesson: classrooms see it ended and the log has it.
    await teacher.bringToFront();
    await teacher.click('#end');
    await waitForPage(rooms[0]!, () => window.tongke.state()?.status === 'ended');
    const types = lb.ts.server.store.listEvents(lessonId).map((e) => e.type);
    expect(types).toContain('lesson_started');
    expect(types).toContain('lesson_ended');
    expect(types.filter((t) => t === 'classroom_joined')).toHaveLength(2);
    // Both classrooms played the lesson: the log holds that evidence and the audit counts them.
    expect(types.filter((t) => t === 'media_received')).toHaveLength(2);
    const audit = new SqliteAudit(lb.ts.server.store).lesson(lessonId);
    expect(audit.summary).toMatchObject({ classroomsReached: 2, blockedClassroomLessons: 0 });
  }, 60_000);
});
