import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { io as ioClient } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { Grant } from '../../shared/token.js';
import { TokenService } from '../../server/auth/tokens.js';
import { startMainOnLoopback } from '../helpers/process.js';
import { call, type ClientSocket } from '../helpers/server.js';

/** The real entry point, as in production, on loopback with the given secret. */
const startProcess = (dataDir: string, secret: string) => startMainOnLoopback(dataDir, { TONGKE_TOKEN_SECRET: secret });

async function connect(url: string, token: string): Promise<ClientSocket> {
  const socket: ClientSocket = ioClient(url, { auth: { token }, transports: ['websocket'], reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

const kill9 = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });

describe('durability: SIGKILL mid-lesson', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const f of cleanup.splice(0).reverse()) f();
  });

  it('keeps every acknowledged event, and resumes the interrupted lesson explicitly', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tongke-kill-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const secret = randomBytes(32).toString('hex');
    const tokens = new TokenService(secret);
    const sign = (g: Grant) => tokens.sign(g, 600);

    // First life: the teacher starts the lesson, two classrooms join; each step is acknowledged.
    const first = await startProcess(dataDir, secret);
    cleanup.push(() => first.child.kill('SIGKILL'));
    const { lessonId } = first;
    const teacher = await connect(first.url, await sign({ role: 'teacher', lessonId, name: '李老师' }));
    const started = await call(teacher, 'lesson:start', {});
    expect(started).toMatchObject({ ok: true, data: { status: 'live' } });
    const rooms: ClientSocket[] = [];
    for (const classroomId of ['demo-recv-1', 'demo-recv-3']) {
      const room = await connect(first.url, await sign({ role: 'assistant', lessonId, classroomId }));
      // The join is written before the socket's first ack, so this ack covers it.
      expect(await call(room, 'lesson:sync', {})).toMatchObject({ ok: true });
      rooms.push(room);
    }
    // No goodbye: the process dies between two instructions, sockets still open.
    await kill9(first.child);
    for (const s of [teacher, ...rooms]) s.disconnect();

    const db = new Database(path.join(dataDir, 'tongke.sqlite'), { readonly: true });
    const afterKill = db.prepare('SELECT type, classroom_id AS c FROM lesson_events WHERE lesson_id = ? ORDER BY seq').all(lessonId);
    const status = db.prepare('SELECT status FROM lessons WHERE id = ?').pluck().get(lessonId);
    db.close();
    expect(afterKill).toEqual([
      { type: 'teacher_joined', c: null },
      { type: 'lesson_started', c: null },
      { type: 'classroom_joined', c: 'demo-recv-1' },
      { type: 'classroom_joined', c: 'demo-recv-3' },
    ]);
    expect(status).toBe('live');

    // Second life on the same data: the lesson is resumed explicitly and the log says so.
    const second = await startProcess(dataDir, secret);
    cleanup.push(() => second.child.kill('SIGKILL'));
    expect(second.lessonId).toBe(lessonId); // the demo hands out the same open lesson
    const admin = await sign({ role: 'admin', name: 'test' });
    const drill = async () =>
      (await (await fetch(`${second.url}/api/admin/audit/lessons/${lessonId}`, { headers: { Authorization: `Bearer ${admin}` } })).json()) as {
        lesson: { status: string };
        summary: { lessonsDelivered: number; classroomsReached: number; blockedClassroomLessons: number };
        events: { type: string }[];
      };
    const resumed = await drill();
    expect(resumed.lesson.status).toBe('live');
    expect(resumed.events.map((e) => e.type).slice(0, 5)).toEqual([
      'teacher_joined',
      'lesson_started',
      'classroom_joined',
      'classroom_joined',
      'lesson_resumed_after_restart',
    ]);

    // The teacher comes back and ends it: the lesson is delivered and both classrooms counted,
    // as online without media (these clients speak the protocol only and never receive any).
    const back = await connect(second.url, await sign({ role: 'teacher', lessonId, name: '李老师' }));
    expect(await call(back, 'lesson:end', {})).toMatchObject({ ok: true, data: { status: 'ended' } });
    back.disconnect();
    const ended = await drill();
    expect(ended.lesson.status).toBe('ended');
    expect(ended.summary).toMatchObject({ lessonsDelivered: 1, classroomsReached: 0, blockedClassroomLessons: 2 });
    await kill9(second.child);
  });
});
