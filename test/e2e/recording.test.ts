import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statfsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'puppeteer';
import { z } from 'zod';
import { beforeAll, describe, expect, it } from 'vitest';
import '../helpers/pageApi.js';
import { waitForPage } from '../helpers/browser.js';
import { startLesson, useLessonBrowser } from '../helpers/lessonBrowser.js';
import { playing, sleep } from '../helpers/reception.js';
import { classroomGrant, teacherGrant } from '../helpers/server.js';
import { makeLightCopies } from '../../server/jobs/lightCopyJob.js';
import { createLogger } from '../../server/logger.js';
import { fileSize, RecordingStore } from '../../server/store/recordingStore.js';
import { until } from '../helpers/poll.js';

const RECORD_MS = 6_000;
/** Free space on a disk, in MB. */
const freeMb = (dir: string) => {
  const s = statfsSync(dir);
  return Math.floor((s.bavail * s.bsize) / 2 ** 20);
};

/** Polls a condition on the server's side, up to 15 s. */
const waitFor = (ok: () => boolean) => until(ok, 15_000, 'the server', 100);

const probeSchema = z.object({
  streams: z.array(z.object({ codec_name: z.string(), codec_type: z.string(), width: z.number().optional() })),
  format: z.object({ duration: z.coerce.number() }),
});

/**
 * Waits until a page's segment player shows a screen's recording with the camera in its corner,
 * both playing: their picture widths, and how far apart the two players are (s).
 */
async function screenWithCamera(page: Page): Promise<{ main: number; corner: number; drift: number }> {
  const both = await waitForPage(
    page,
    () => {
      const [main, corner] = ['recording-player', 'recording-camera'].map((id) => document.getElementById(id) as HTMLVideoElement);
      const shown = (v: HTMLVideoElement) => !v.hidden && v.readyState >= 2 && v.videoWidth > 0 && !v.paused;
      return shown(main!) && shown(corner!) && main!.currentTime > 1
        ? { main: main!.videoWidth, corner: corner!.videoWidth, drift: Math.abs(main!.currentTime - corner!.currentTime) }
        : null;
    },
    20_000,
  );
  return both!;
}

/** What ffprobe reads in a recorded file: its streams and its length. */
async function probe(file: string) {
  const { stdout } = await promisify(execFile)('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,codec_type,width:format=duration', '-of', 'json', file]);
  return probeSchema.parse(JSON.parse(stdout));
}

describe('recording a lesson (录播) in Chromium', () => {
  // The guard's threshold 3 GB under what the test's disk has free, so a test can fill the rest.
  let thresholdMb = 0;
  const lb = useLessonBrowser(() => {
    thresholdMb = freeMb(os.tmpdir()) - 3072;
    return { TONGKE_RECORDING_MIN_FREE_MB: String(thresholdMb) };
  });
  let teacher: Page;
  const rows = () => lb.ts.server.store.db.prepare('SELECT * FROM recordings ORDER BY started_at').all() as {
    id: string;
    file: string;
    ended_at: number | null;
    bytes: number;
    camera_file: string | null;
    camera_bytes: number;
    published_at: number | null;
  }[];
  const fileOf = (relative: string) => path.join(lb.ts.dataDir, 'recordings', relative);
  /** What the newest segment's file holds so far. */
  const segmentBytes = () => {
    const last = rows().at(-1);
    return last ? fileSize(fileOf(last.file)) : 0;
  };

  /** Presses 录制 and waits for a new segment with picture in it; returns the segments before. */
  async function startRecording(): Promise<number> {
    const before = rows().length;
    await teacher.bringToFront();
    await teacher.click('#record');
    await waitForPage(teacher, () => window.tongke.state()?.recording.active === true);
    await waitFor(() => rows().length === before + 1 && segmentBytes() > 20_000);
    return before;
  }

  beforeAll(async () => {
    teacher = await lb.open('teacher', await lb.ts.token(teacherGrant(lb.ts.lesson.id)));
    const room = await lb.open('classroom', await lb.ts.token(classroomGrant(lb.ts.lesson.id)));
    await startLesson(teacher);
    await playing(room);
  }, 90_000);

  it('the teacher records; the file holds the camera and microphone as sent, and an administrator plays it', async () => {
    await teacher.bringToFront();
    await teacher.click('#record');
    await waitForPage(teacher, () => window.tongke.state()?.recording.active === true);
    await waitForPage(teacher, () => !(document.getElementById('recording-state') as HTMLElement).hidden);
    // Once a segment is being written, the page says 录制中 with the time.
    await waitForPage(teacher, () => window.tongke.state()?.recording.writing === true, 10_000);
    await waitForPage(teacher, () => document.getElementById('recording-state')?.textContent?.startsWith('● 录制中') ?? false);
    await waitForPage(teacher, () => document.getElementById('record')?.textContent === '停止录制');
    mkdirSync('test-results', { recursive: true });
    await teacher.screenshot({ path: 'test-results/teacher-recording.png' });
    // The picture reaches the file once the teacher's encoder sends a key frame.
    const clicked = Date.now();
    await waitFor(() => segmentBytes() > 20_000);
    console.log(`recording: first picture in the file ${Date.now() - clicked} ms after 录制`);
    await sleep(RECORD_MS);
    expect(rows()).toHaveLength(1);
    expect(rows()[0]!.ended_at).toBeNull();

    await teacher.click('#record');
    await waitForPage(teacher, () => window.tongke.state()?.recording.active === false);
    await waitFor(() => rows()[0]?.ended_at !== null);
    const [row] = rows();
    expect(row!.bytes).toBeGreaterThan(50_000);
    const file = await probe(fileOf(row!.file));
    expect(file.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort()).toEqual(['audio:opus', 'video:vp8']);
    expect(file.format.duration).toBeGreaterThan((RECORD_MS - 2000) / 1000);
    const types = lb.ts.server.store.listEvents(lb.ts.lesson.id).map((e) => e.type);
    expect(types.filter((t) => t.startsWith('recording_'))).toEqual(['recording_started', 'recording_stopped']);

    // The administrator's page lists it and plays it.
    const admin = await lb.open('admin', await lb.ts.token({ role: 'admin', name: '管理员' }), { viewport: { width: 1280, height: 1000 } });
    await waitForPage(admin, (id) => document.querySelector(`#recordings-body tr[data-recording="${id}"] button`) !== null, 20_000, row!.id);
    await admin.click(`#recordings-body tr[data-recording="${row!.id}"] button`);
    const played = await waitForPage(
      admin,
      () => {
        const v = document.getElementById('recording-player') as HTMLVideoElement;
        return v.readyState >= 2 && v.videoWidth > 0 && v.currentTime > 0.5 ? { width: v.videoWidth, duration: v.duration } : null;
      },
      20_000,
    );
    expect(played!.width).toBeGreaterThanOrEqual(320);
    await (await admin.$('#recordings-panel'))?.screenshot({ path: 'test-results/admin-recordings.png' });
    await admin.close();
  }, 90_000);

  it('sharing a screen while recording: the screen is recorded while shared, with the camera beside it, then the camera again', async () => {
    const before = await startRecording();
    await teacher.click('#share');
    await waitForPage(teacher, () => window.tongke.state()?.producers.some((p) => p.source === 'screen') ?? false);
    // The camera's segment ends and the next one records the screen, and the camera in a file beside it.
    await waitFor(() => rows().length === before + 2 && segmentBytes() > 20_000);
    const beside = rows().at(-1)!.camera_file;
    expect(beside).not.toBeNull();
    await waitFor(() => fileSize(fileOf(beside!)) > 20_000);
    await sleep(3_000);
    await teacher.click('#share');
    await waitFor(() => rows().length === before + 3 && segmentBytes() > 20_000);
    await teacher.click('#record');
    await waitForPage(teacher, () => window.tongke.state()?.recording.active === false);
    await waitFor(() => rows().at(-1)?.ended_at !== null);
    const segments = rows().slice(before);
    const widths: number[] = [];
    for (const seg of segments) {
      expect(seg.ended_at).not.toBeNull();
      const file = await probe(fileOf(seg.file));
      expect(file.streams.map((x) => `${x.codec_type}:${x.codec_name}`).sort()).toEqual(['audio:opus', 'video:vp8']);
      widths.push(file.streams.find((x) => x.codec_type === 'video')?.width ?? 0);
    }
    console.log(`recording across a screen share: segment widths ${widths.join(', ')} (camera, screen, camera)`);
    // The fake screen is not the camera's size: the middle segment holds the screen.
    expect(widths[1]).not.toBe(widths[0]);

    // Beside the screen: the camera and microphone over the same time, in a file of their own.
    expect(segments.map((s) => s.camera_file !== null)).toEqual([false, true, false]);
    const screen = segments[1]!;
    expect(screen.camera_bytes).toBeGreaterThan(20_000);
    const [screenFile, cameraFile] = [await probe(fileOf(screen.file)), await probe(fileOf(screen.camera_file!))];
    expect(cameraFile.streams.map((x) => `${x.codec_type}:${x.codec_name}`).sort()).toEqual(['audio:opus', 'video:vp8']);
    // The camera, not the screen: one of its simulcast layers (a file may start on a lower one
    // and switch up within it, and ffprobe reads the first picture).
    const cameraLayers = [widths[0]! / 4, widths[0]! / 2, widths[0]!];
    expect(cameraLayers).toContain(cameraFile.streams.find((x) => x.codec_type === 'video')?.width);
    console.log(`screen segment ${screenFile.format.duration.toFixed(2)} s, camera beside it ${cameraFile.format.duration.toFixed(2)} s`);
    expect(Math.abs(cameraFile.format.duration - screenFile.format.duration)).toBeLessThan(1);

    // The administrator plays the screen with the teacher in its corner, the two in step.
    const admin = await lb.open('admin', await lb.ts.token({ role: 'admin', name: '管理员' }), { viewport: { width: 1280, height: 1000 } });
    const playButton = `#recordings-body tr[data-recording="${screen.id}"] button`;
    await waitForPage(admin, (sel) => document.querySelector(sel) !== null, 20_000, playButton);
    await admin.click(playButton);
    const both = await screenWithCamera(admin);
    console.log(`admin plays the screen (${both.main} px) with the camera (${both.corner} px) in its corner, ${(both.drift * 1000).toFixed(0)} ms apart`);
    expect(both.main).toBe(widths[1]);
    expect(cameraLayers).toContain(both.corner);
    expect(await admin.$eval('#recordings-body .tag', (n) => n.textContent)).toBe('屏幕 + 主讲画面');
    expect(both.drift).toBeLessThan(0.5);
    await (await admin.$('#recordings-panel'))?.screenshot({ path: 'test-results/admin-recording-screen-camera.png' });
    // A segment of the camera alone plays without a corner picture.
    await admin.click(`#recordings-body tr[data-recording="${segments[2]!.id}"] button`);
    await waitForPage(admin, () => (document.getElementById('recording-camera') as HTMLVideoElement).hidden);

    // 精品课点播: the administrator makes the screen's part public (after a confirmation), and
    // anybody plays it from the library page without signing in, the teacher in its corner.
    const publishedOf = () => rows().find((r) => r.id === screen.id)?.published_at ?? null;
    expect(publishedOf()).toBeNull();
    await admin.click(`#recordings-body tr[data-recording="${screen.id}"] button[data-publish="true"]`);
    await waitFor(() => publishedOf() !== null);
    await waitForPage(admin, (id) => document.querySelector(`#recordings-body tr[data-recording="${id}"] .tag.published`) !== null, 10_000, screen.id);
    await admin.close();
    const library = await lb.open('library', '', { viewport: { width: 1280, height: 1000 } });
    const part = `#library-list button[data-recording="${screen.id}"]`;
    await waitForPage(library, (sel) => document.querySelector(sel) !== null, 20_000, part);
    // Only what was published is listed: one lesson, one part.
    expect(await library.$$eval('#library-list button[data-recording]', (b) => b.length)).toBe(1);
    await library.click(part);
    const watched = await screenWithCamera(library);
    expect(watched.main).toBe(widths[1]);
    expect(cameraLayers).toContain(watched.corner);
    expect(await library.$eval('#playing-title', (n) => n.textContent)).toContain('第 1 段');
    await library.screenshot({ path: 'test-results/library.png' });

    // That night the light copy is made (流畅版, the camera drawn in): the page plays it by default.
    const made = await makeLightCopies({
      recordings: new RecordingStore(lb.ts.server.store.db),
      dir: path.join(lb.ts.dataDir, 'recordings'),
      ffmpeg: 'ffmpeg',
      log: createLogger('silent'),
      until: Date.now() + 60_000,
    });
    expect(made).toEqual({ made: [screen.id], failed: [] });
    await library.reload();
    await waitForPage(library, (sel) => document.querySelector(sel) !== null, 20_000, part);
    expect(await library.$eval('#version-pick', (s) => (s as HTMLSelectElement).value)).toBe('light');
    await library.click(part);
    const light = await waitForPage(library, () => {
      const [main, corner] = ['recording-player', 'recording-camera'].map((id) => document.getElementById(id) as HTMLVideoElement);
      return main!.readyState >= 2 && main!.videoWidth > 0 && main!.currentTime > 1 && !main!.paused
        ? { width: main!.videoWidth, height: main!.videoHeight, corner: !corner!.hidden, src: main!.currentSrc }
        : null;
    });
    expect(light).toMatchObject({ width: 960, height: 540, corner: false, src: expect.stringMatching(/\/light$/) });
    await library.screenshot({ path: 'test-results/library-light.png' });
    await library.close();
  }, 150_000);

  it('the disk running short stops the recording: its file is finished and kept, and the teacher and the administrator are told', async () => {
    const before = await startRecording();
    await sleep(1_500);
    const filler = path.join(lb.ts.dataDir, 'filler.bin');
    try {
      execFileSync('fallocate', ['-l', `${freeMb(lb.ts.dataDir) - thresholdMb + 512}M`, filler]);
      const filledAt = Date.now();
      await waitForPage(teacher, () => window.tongke.state()?.recording.active === false, 8_000);
      console.log(`recording: stopped ${Date.now() - filledAt} ms after the disk filled`);
      await waitForPage(teacher, () => {
        const line = document.getElementById('recording-state') as HTMLElement;
        return !line.hidden && line.dataset.halted === 'true' && (line.textContent ?? '').includes('磁盘空间不足');
      });
      await waitForPage(teacher, () => document.getElementById('record')?.textContent === '录制');
      await teacher.screenshot({ path: 'test-results/teacher-recording-storage-full.png' });
      await waitFor(() => rows().at(-1)?.ended_at !== null);
      expect(rows()).toHaveLength(before + 1);
      // What was recorded up to then is kept, and plays.
      const last = rows().at(-1)!;
      expect((await probe(fileOf(last.file))).format.duration).toBeGreaterThan(1);
      const stopped = lb.ts.server.store.listEvents(lb.ts.lesson.id).filter((e) => e.type === 'recording_stopped').at(-1);
      expect(stopped?.data).toEqual({ reason: 'storage_full' });

      // 录制 again is refused while the disk is short, in words the teacher can act on.
      await teacher.click('#record');
      await waitForPage(teacher, () => document.getElementById('message')?.textContent?.includes('暂时不能录制') ?? false);
      expect(rows()).toHaveLength(before + 1);
      const admin = await lb.open('admin', await lb.ts.token({ role: 'admin', name: '管理员' }), { viewport: { width: 1280, height: 1000 } });
      await waitForPage(admin, () => {
        const line = document.getElementById('recordings-storage') as HTMLElement;
        return line.dataset.low === 'true' && (line.textContent ?? '').includes('磁盘空间不足');
      }, 20_000);
      // And at the top of the page, where an administrator sees it without scrolling to 录播.
      const banner = await admin.$eval('#storage-alert', (p) => ({ hidden: (p as HTMLElement).hidden, text: p.textContent ?? '', top: p.getBoundingClientRect().top }));
      expect(banner).toMatchObject({ hidden: false, text: expect.stringContaining('磁盘空间不足') });
      expect(banner.top).toBeLessThan(200);
      await admin.screenshot({ path: 'test-results/admin-storage-low-banner.png' });
      await (await admin.$('#recordings-panel'))?.screenshot({ path: 'test-results/admin-recordings-storage-low.png' });
      await admin.close();
    } finally {
      rmSync(filler, { force: true });
    }
    // Room made: 录制 works again (the last test records on).
    await teacher.evaluate(() => (document.getElementById('message')!.textContent = ''));
  }, 90_000);

  it('a recording left on stops with the lesson, and its file is finished', async () => {
    const before = await startRecording();
    await sleep(2_000);
    await teacher.click('#end');
    await waitForPage(teacher, () => window.tongke.state()?.status === 'ended', 20_000);
    await waitFor(() => rows().at(-1)?.ended_at !== null);
    const last = rows().at(-1)!;
    expect(rows()).toHaveLength(before + 1);
    expect(last.ended_at).not.toBeNull();
    expect((await probe(fileOf(last.file))).format.duration).toBeGreaterThan(1.5);
    const stopped = lb.ts.server.store.listEvents(lb.ts.lesson.id).filter((e) => e.type === 'recording_stopped').at(-1);
    expect(stopped?.data).toEqual({ reason: 'lesson_ended' });
  }, 60_000);
});
