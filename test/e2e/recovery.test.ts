import { mkdirSync, writeFileSync } from 'node:fs';
import type { Page } from 'puppeteer';
import { beforeAll, describe, expect, it } from 'vitest';
import '../helpers/pageApi.js';
import { waitForPage } from '../helpers/browser.js';
import { startLesson, useLessonBrowser } from '../helpers/lessonBrowser.js';
import { playing } from '../helpers/reception.js';
import { classroomGrant, teacherGrant } from '../helpers/server.js';

describe('recovery and screen sharing in Chromium', () => {
  const lb = useLessonBrowser({ TONGKE_NUM_WORKERS: '2' });
  let teacher: Page;
  let rooms: Page[];

  beforeAll(async () => {
    const open = (path: 'teacher' | 'classroom', token: string) => lb.open(path, token);
    teacher = await open('teacher', await lb.ts.token(teacherGrant(lb.ts.lesson.id)));
    rooms = [
      await open('classroom', await lb.ts.token(classroomGrant(lb.ts.lesson.id, 'demo-recv-1'))),
      await open('classroom', await lb.ts.token(classroomGrant(lb.ts.lesson.id, 'demo-recv-2'))),
    ];
    await startLesson(teacher);
    for (const r of rooms) await playing(r);
  }, 90_000);

  it('shows a shared screen as the main picture with the camera inset', async () => {
    await teacher.click('#share');
    const room = rooms[0]!;
    await waitForPage(room, () => window.tongke.state()?.producers.some((p) => p.source === 'screen') ?? false);
    await waitForPage(room, () => {
      const pip = document.querySelector<HTMLVideoElement>('#teacher-pip')!;
      const main = document.querySelector<HTMLVideoElement>('#teacher-video')!;
      return !pip.hidden && pip.videoWidth > 0 && main.videoWidth > 0;
    });
    mkdirSync('test-results', { recursive: true });
    await room.screenshot({ path: 'test-results/classroom-screen-share.png' });
    await teacher.click('#share');
    await waitForPage(room, () => document.querySelector<HTMLVideoElement>('#teacher-pip')!.hidden);
  }, 60_000);

  it('plays the teacher again within 10 s after a mediasoup worker is SIGKILLed', async () => {
    const before = lb.ts.server.pool.pids();
    const sessions = await Promise.all(rooms.map((r) => r.evaluate(() => window.tongke.sessions())));
    const started = Date.now();
    for (const pid of before) process.kill(pid, 'SIGKILL');
    const times = await Promise.all(
      rooms.map(async (r, i) => {
        await waitForPage(r, (n) => window.tongke.sessions() > n, 10_000, sessions[i]);
        await playing(r, 15_000);
        return Date.now() - started;
      }),
    );
    expect(Math.max(...times)).toBeLessThan(10_000);
    expect(lb.ts.server.pool.pids().every((pid) => !before.includes(pid))).toBe(true);
    expect(lb.ts.server.store.getLesson(lb.ts.lesson.id)?.status).toBe('live');
    mkdirSync('test-results', { recursive: true });
    writeFileSync('test-results/worker-kill-recovery.json', JSON.stringify({ recoveryMs: times }, null, 2));
  }, 60_000);

  it('carries on without a gap when signalling drops: no rebuild, sound and picture throughout', async () => {
    const room = rooms[1]!;
    const classroomId = (await room.evaluate(() => window.tongke.state()))?.viewer.classroomId;
    const socketOf = (pick: (g: { role: string; classroomId?: string }) => boolean) =>
      [...lb.ts.server.io.sockets.sockets.values()].find((s) => pick(s.data.grant as { role: string; classroomId?: string }));
    const classroomSocket = socketOf((g) => g.role === 'assistant' && g.classroomId === classroomId)!;
    const teacherSocket = socketOf((g) => g.role === 'teacher')!;
    const sessionsBefore = await Promise.all([teacher, ...rooms].map((p) => p.evaluate(() => window.tongke.sessions())));
    const sample = () => Promise.all(rooms.map((r) => r.evaluate(() => window.tongke.stats())));
    let last = await sample();
    // The network drops both the classroom's and the teacher's signalling (not their media);
    // the pages reconnect by themselves with their session keys.
    classroomSocket.conn.transport.close();
    teacherSocket.conn.transport.close();
    const stalls: string[] = [];
    for (let second = 1; second <= 8; second++) {
      await new Promise((r) => setTimeout(r, 1000));
      const now = await sample();
      now.forEach((s, i) => {
        if (s.audioPacketsReceived - last[i]!.audioPacketsReceived < 20) stalls.push(`room ${i} sound at ${second}s`);
        if (s.videoFramesDecoded - last[i]!.videoFramesDecoded < 5) stalls.push(`room ${i} picture at ${second}s`);
      });
      last = now;
    }
    expect(stalls).toEqual([]);
    // Both came back on new connections, and nothing was set up again.
    expect(socketOf((g) => g.role === 'teacher')?.id).not.toBe(teacherSocket.id);
    expect(socketOf((g) => g.role === 'assistant' && g.classroomId === classroomId)?.id).not.toBe(classroomSocket.id);
    const sessionsAfter = await Promise.all([teacher, ...rooms].map((p) => p.evaluate(() => window.tongke.sessions())));
    expect(sessionsAfter).toEqual(sessionsBefore);
    expect(await teacher.evaluate(() => window.tongke.publishing())).toBe(true);
    const types = lb.ts.server.store.listEvents(lb.ts.lesson.id).map((e) => e.type);
    expect(types).not.toContain('classroom_left');
    expect(types).not.toContain('teacher_left');
  }, 60_000);

  it('keeps a classroom whose signalling stays down while its media flows, marked 信号重连中 on the wall', async () => {
    const room = rooms[0]!;
    const classroomId = (await room.evaluate(() => window.tongke.state()))!.viewer.classroomId!;
    const sessions = await room.evaluate(() => window.tongke.sessions());
    const tile = `.tile[data-classroom="${classroomId}"]`;
    // DevTools offline closes the page's WebSocket and keeps it from reconnecting; WebRTC is not
    // affected: signalling down, media up, for longer than the silence window.
    await room.setOfflineMode(true);
    let last = await room.evaluate(() => window.tongke.stats());
    const stalls: string[] = [];
    for (let second = 1; second <= 14; second++) {
      await new Promise((r) => setTimeout(r, 1000));
      const now = await room.evaluate(() => window.tongke.stats());
      if (now.audioPacketsReceived - last.audioPacketsReceived < 20) stalls.push(`sound at ${second}s`);
      if (now.videoFramesDecoded - last.videoFramesDecoded < 5) stalls.push(`picture at ${second}s`);
      last = now;
    }
    expect(stalls).toEqual([]);
    // Its badge tells the assistant not to reload: the picture is still coming.
    expect(await room.$eval('#conn', (e) => e.textContent)).toContain('请勿刷新');
    await room.screenshot({ path: 'test-results/classroom-signal-reconnecting.png' });
    await waitForPage(teacher, (sel) => document.querySelector<HTMLElement>(sel)?.dataset.reconnecting === 'true', 5_000, tile);
    expect(await teacher.$eval(tile, (e) => [(e as HTMLElement).dataset.online, e.textContent])).toEqual([
      'true',
      expect.stringContaining('信号重连中'),
    ]);
    await (await teacher.$(tile))!.screenshot({ path: 'test-results/wall-signal-reconnecting.png' });
    await room.setOfflineMode(false);
    await waitForPage(room, () => document.querySelector<HTMLElement>('#conn')?.dataset.state === 'connected', 15_000);
    await waitForPage(teacher, (sel) => document.querySelector<HTMLElement>(sel)?.dataset.reconnecting === 'false', 5_000, tile);
    expect(await room.evaluate(() => window.tongke.sessions())).toBe(sessions);
    await playing(room, 5_000);
  }, 60_000);

  it('sets its media up again when the server no longer holds it after a reconnect', async () => {
    const room = rooms[1]!;
    const classroomId = (await room.evaluate(() => window.tongke.state()))?.viewer.classroomId;
    const classroomSocket = [...lb.ts.server.io.sockets.sockets.values()].find(
      (s) => s.data.grant.role === 'assistant' && s.data.grant.classroomId === classroomId,
    );
    const sessions = await room.evaluate(() => window.tongke.sessions());
    // Forced closed by the server (not the network): its peer leaves at once, media and all.
    classroomSocket!.conn.close();
    await waitForPage(room, (n) => window.tongke.sessions() > n, 10_000, sessions);
    await playing(room, 15_000);
  }, 60_000);
});
