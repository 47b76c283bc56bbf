import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteAudit } from '../../server/audit/auditQueries.js';
import { dayRange } from '../../server/audit/period.js';
import { migrate } from '../../server/store/db.js';
import { MIGRATIONS } from '../../server/store/migrations.js';
import { buildAuditFixture } from '../helpers/auditFixture.js';
import { seedDemo } from '../../server/store/demoSeed.js';
import { RecordingStore } from '../../server/store/recordingStore.js';
import { SqliteStore } from '../../server/store/sqliteStore.js';

describe('SqliteStore', () => {
  let dir: string;
  let store: SqliteStore;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tongke-store-'));
    store = new SqliteStore(path.join(dir, 'db.sqlite'));
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens in WAL mode with synchronous=FULL and migrates once', () => {
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2);
    expect(migrate(store.db)).toEqual([]);
  });

  it('migrates a database whose summaries predate media_received without changing a figure', () => {
    buildAuditFixture(store);
    const range = dayRange('2025-03-01', '2025-05-31');
    const before = new SqliteAudit(store).totals(range);
    // Put the summaries back as version 5 left them: no media columns, the old indexes.
    const v6 = MIGRATIONS.find((m) => m.version === 6)!.sql;
    const oldIndexes = [...v6.matchAll(/CREATE INDEX [^;]+;/g)].map((m) => m[0].replaceAll(', media_blocked, blocked_present', ''));
    store.db.exec(`
      ${[...v6.matchAll(/DROP INDEX [^;]+;/g)].map((m) => m[0]).join('\n')}
      ALTER TABLE lesson_classroom_summaries DROP COLUMN media_blocked;
      ALTER TABLE lesson_classroom_summaries DROP COLUMN blocked_present;
      ${oldIndexes.join('\n')}
      DELETE FROM schema_migrations WHERE version = 6;
    `);
    expect(migrate(store.db)).toEqual([6]);
    expect(new SqliteAudit(store).totals(range)).toEqual(before);
    expect(before).toMatchObject({ classroomsReached: 3, pupilVisits: 169, blockedClassroomLessons: 0 });
  });

  it('seeds the demo community idempotently', () => {
    const a = seedDemo(store);
    const b = seedDemo(store);
    expect(b.id).toBe(a.id);
    const counts = store.db
      .prepare(
        `SELECT (SELECT count(*) FROM communities) c, (SELECT count(*) FROM schools) s,
                (SELECT count(*) FROM schools WHERE area = 'rural') r,
                (SELECT count(*) FROM classrooms WHERE kind = 'lecture') l,
                (SELECT count(*) FROM classrooms WHERE kind = 'receiving') rc`,
      )
      .get();
    expect(counts).toEqual({ c: 1, s: 3, r: 2, l: 1, rc: 3 });
    expect(store.lessonClassrooms(a.id).map((c) => c.id)).toEqual(['demo-recv-1', 'demo-recv-2', 'demo-recv-3']);
  });

  it('hands out a fresh demo lesson once the last one ended', () => {
    const a = seedDemo(store);
    store.transitionLesson(a.id, 'scheduled', 'live', { type: 'lesson_started', at: 1 });
    store.transitionLesson(a.id, 'live', 'ended', { type: 'lesson_ended', at: 2 });
    expect(seedDemo(store).id).not.toBe(a.id);
  });

  it('moves a lesson only from the state it is in, logging atomically', () => {
    const l = seedDemo(store);
    expect(() => store.transitionLesson(l.id, 'live', 'ended', { type: 'lesson_ended', at: 5 })).toThrow(/not live/);
    expect(store.listEvents(l.id)).toEqual([]);
    const live = store.transitionLesson(l.id, 'scheduled', 'live', { type: 'lesson_started', at: 7 });
    expect(live).toMatchObject({ status: 'live', startedAt: 7 });
    expect(store.listEvents(l.id)).toMatchObject([{ type: 'lesson_started', at: 7 }]);
  });

  it('keeps the lesson log append-only', () => {
    const l = seedDemo(store);
    store.appendEvent({ lessonId: l.id, at: 1, type: 'classroom_joined', classroomId: 'demo-recv-1', data: {} });
    expect(() => store.db.prepare('UPDATE lesson_events SET at = 2').run()).toThrow(/append-only/);
    expect(() => store.db.prepare('DELETE FROM lesson_events').run()).toThrow(/append-only/);
    expect(store.listEvents(l.id)).toHaveLength(1);
  });

  it('closes the recordings a process that died left open, with what both files of a segment hold', () => {
    const l = seedDemo(store);
    const recordings = new RecordingStore(store.db);
    recordings.add({ id: 'rec-a', lessonId: l.id, file: `${l.id}/rec-a.webm`, startedAt: 1 });
    recordings.add({ id: 'rec-b', lessonId: l.id, file: `${l.id}/rec-b.webm`, startedAt: 2, cameraFile: `${l.id}/rec-b.camera.webm` });
    const sizes: Record<string, number> = { [`${l.id}/rec-a.webm`]: 700, [`${l.id}/rec-b.webm`]: 900, [`${l.id}/rec-b.camera.webm`]: 500 };
    expect(recordings.closeUnfinished(10, (file) => sizes[file] ?? 0)).toBe(2);
    expect(recordings.get('rec-a')).toMatchObject({ endedAt: 10, bytes: 700, cameraFile: null, cameraBytes: 0 });
    expect(recordings.get('rec-b')).toMatchObject({ endedAt: 10, bytes: 900, cameraFile: `${l.id}/rec-b.camera.webm`, cameraBytes: 500 });
    expect(recordings.closeUnfinished(20, () => 0)).toBe(0);
  });
});
