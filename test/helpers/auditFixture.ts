import { shanghaiTime } from '../../server/audit/period.js';
import type { SqliteStore } from '../../server/store/sqliteStore.js';
import type { LessonEventType } from '../../server/store/types.js';

/**
 * A small county whose every audit figure is computed by hand in test/unit/audit.test.ts.
 *
 * Community A (assistance): core U1 (urban, lecture L1); members R1 (rural: C1a, C1b), R2 (rural: C2).
 * Community B (alliance):   core U2 (urban, lecture L2); member R3 (rural: C3).
 *
 * l1 2025-03-03 数学 L1→C1a,C1b,C2  delivered 08:00–08:40; C1a present at start, C1b joins live,
 *    C2 joins and leaves before the start (not reached); present C1a 40→38 (corrected), C1b 35;
 *    quizzes: [10,20,5] correct 1; [3,3] no correct option; [0,0,0] correct 0 (no answers).
 * l2 2025-03-10 数学 L1→C2          planned, never taught.
 * l3 2025-03-20 英语 L2→C3          delivered 09:00–09:30 across a restart; present 25; quiz [5,15] correct 0.
 * l4 (ad hoc, started 2025-04-02) 语文 L1→C1a  delivered 10:00–10:45; present 30.
 * l5 2025-05-05 数学 L1→C1a         delivered, outside the March–April range.
 * l6 2025-04-15 英语 L2→C3          live, never ended (not delivered).
 */
export function buildAuditFixture(store: SqliteStore): void {
  store.upsertCommunity({ id: 'A', name: '甲共同体', type: 'assistance', coreSchoolId: 'U1' });
  store.upsertCommunity({ id: 'B', name: '乙联盟', type: 'alliance', coreSchoolId: 'U2' });
  store.upsertSchool({ id: 'U1', communityId: 'A', name: '城区一小', district: '青州市', area: 'urban' });
  store.upsertSchool({ id: 'R1', communityId: 'A', name: '东高小学', district: '青州市', area: 'rural' });
  store.upsertSchool({ id: 'R2', communityId: 'A', name: '杨集小学', district: '青州市', area: 'rural' });
  store.upsertSchool({ id: 'U2', communityId: 'B', name: '城区二小', district: '临朐县', area: 'urban' });
  store.upsertSchool({ id: 'R3', communityId: 'B', name: '五井小学', district: '临朐县', area: 'rural' });
  store.upsertClassroom({ id: 'L1', schoolId: 'U1', name: '录播教室', kind: 'lecture' });
  store.upsertClassroom({ id: 'L2', schoolId: 'U2', name: '录播教室', kind: 'lecture' });
  store.upsertClassroom({ id: 'C1a', schoolId: 'R1', name: '三年级一班', kind: 'receiving' });
  store.upsertClassroom({ id: 'C1b', schoolId: 'R1', name: '三年级二班', kind: 'receiving' });
  store.upsertClassroom({ id: 'C2', schoolId: 'R2', name: '三年级一班', kind: 'receiving' });
  store.upsertClassroom({ id: 'C3', schoolId: 'R3', name: '四年级一班', kind: 'receiving' });

  const lesson = (
    id: string,
    subject: string,
    lecture: string,
    rooms: string[],
    planned: [string, string, string] | null,
  ) =>
    store.createLesson(
      {
        id,
        title: `${subject}课 ${id}`,
        subject,
        grade: '三年级',
        teacherName: '李老师',
        lectureClassroomId: lecture,
        receivingClassroomIds: rooms,
        plannedStart: planned ? shanghaiTime(planned[0], planned[1]) : null,
        plannedEnd: planned ? shanghaiTime(planned[0], planned[2]) : null,
      },
      shanghaiTime('2025-02-01', '00:00'),
    );
  const ev = (lessonId: string, day: string, hhmm: string, type: LessonEventType, classroomId: string | null = null, data = {}) =>
    store.appendEvent({ lessonId, at: shanghaiTime(day, hhmm), type, classroomId, data });
  const start = (id: string, day: string, hhmm: string) =>
    store.transitionLesson(id, 'scheduled', 'live', { type: 'lesson_started', at: shanghaiTime(day, hhmm) });
  const end = (id: string, day: string, hhmm: string) =>
    store.transitionLesson(id, 'live', 'ended', { type: 'lesson_ended', at: shanghaiTime(day, hhmm) });

  const d1 = '2025-03-03';
  lesson('l1', '数学', 'L1', ['C1a', 'C1b', 'C2'], [d1, '08:00', '08:45']);
  ev('l1', d1, '07:50', 'classroom_joined', 'C2');
  ev('l1', d1, '07:55', 'classroom_joined', 'C1a');
  ev('l1', d1, '07:58', 'classroom_left', 'C2');
  start('l1', d1, '08:00');
  ev('l1', d1, '08:01', 'attendance_reported', 'C1a', { expected: 42, present: 40 });
  ev('l1', d1, '08:05', 'classroom_joined', 'C1b');
  ev('l1', d1, '08:06', 'attendance_reported', 'C1b', { expected: 36, present: 35 });
  ev('l1', d1, '08:10', 'attendance_corrected', 'C1a', { expected: 42, present: 38 });
  ev('l1', d1, '08:20', 'quiz_opened', null, { quizId: 'q1', options: 3, correctOption: 1 });
  ev('l1', d1, '08:22', 'quiz_answered', 'C1a', { quizId: 'q1', counts: [6, 12, 3] });
  ev('l1', d1, '08:23', 'quiz_closed', null, { quizId: 'q1', counts: [10, 20, 5], correctOption: 1 });
  ev('l1', d1, '08:25', 'quiz_closed', null, { quizId: 'q2', counts: [3, 3], correctOption: null });
  ev('l1', d1, '08:30', 'quiz_closed', null, { quizId: 'q3', counts: [0, 0, 0], correctOption: 0 });
  end('l1', d1, '08:40');

  lesson('l2', '数学', 'L1', ['C2'], ['2025-03-10', '08:00', '08:45']);

  const d3 = '2025-03-20';
  lesson('l3', '英语', 'L2', ['C3'], [d3, '09:00', '09:40']);
  start('l3', d3, '09:00');
  ev('l3', d3, '09:01', 'classroom_joined', 'C3');
  ev('l3', d3, '09:10', 'lesson_resumed_after_restart');
  ev('l3', d3, '09:12', 'classroom_joined', 'C3');
  ev('l3', d3, '09:13', 'attendance_reported', 'C3', { expected: 30, present: 25 });
  ev('l3', d3, '09:20', 'quiz_closed', null, { quizId: 'q4', counts: [5, 15], correctOption: 0 });
  end('l3', d3, '09:30');

  const d4 = '2025-04-02';
  lesson('l4', '语文', 'L1', ['C1a'], null);
  start('l4', d4, '10:00');
  ev('l4', d4, '10:01', 'classroom_joined', 'C1a');
  ev('l4', d4, '10:02', 'attendance_reported', 'C1a', { expected: 42, present: 30 });
  end('l4', d4, '10:45');

  const d5 = '2025-05-05';
  lesson('l5', '数学', 'L1', ['C1a'], [d5, '08:00', '08:45']);
  start('l5', d5, '08:00');
  ev('l5', d5, '08:01', 'classroom_joined', 'C1a');
  ev('l5', d5, '08:02', 'attendance_reported', 'C1a', { expected: 42, present: 41 });
  end('l5', d5, '08:45');

  const d6 = '2025-04-15';
  lesson('l6', '英语', 'L2', ['C3'], [d6, '09:00', '09:40']);
  start('l6', d6, '09:00');
  ev('l6', d6, '09:02', 'classroom_joined', 'C3');
  ev('l6', d6, '09:03', 'attendance_reported', 'C3', { expected: 30, present: 28 });
}

/**
 * A lesson logged under the media rule (lesson_started { reachRule: 'media' }): a classroom
 * counts as reached only once the lesson's media got through to it (media_received).
 * Needs buildAuditFixture first. Its figures are computed by hand in test/unit/audit.test.ts.
 *
 * l7 2025-06-02 数学 L1→C1a,C1b,C2,C3, live 08:00–08:40:
 *   C1a present at the start, media 08:00, 30 pupils            → reached;
 *   C1b joins 08:01, its media never gets through, 20 pupils    → online, not reached (blocked);
 *   C2 joins 08:02, media 08:03, leaves 08:20, no head count    → reached;
 *   C3 joins and gets media after the lesson ended              → neither.
 */
export function addMediaBlockedLesson(store: SqliteStore): void {
  const at = (hhmm: string) => shanghaiTime('2025-06-02', hhmm);
  const ev = (type: LessonEventType, classroomId: string | null, hhmm: string, data = {}) =>
    store.appendEvent({ lessonId: 'l7', at: at(hhmm), type, classroomId, data });
  store.createLesson(
    {
      id: 'l7',
      title: '数学课 l7',
      subject: '数学',
      teacherName: '李老师',
      lectureClassroomId: 'L1',
      receivingClassroomIds: ['C1a', 'C1b', 'C2', 'C3'],
      plannedStart: at('08:00'),
      plannedEnd: at('08:45'),
    },
    at('07:00'),
  );
  ev('classroom_joined', 'C1a', '07:58');
  store.transitionLesson('l7', 'scheduled', 'live', { type: 'lesson_started', at: at('08:00'), data: { reachRule: 'media' } });
  ev('media_received', 'C1a', '08:00');
  ev('classroom_joined', 'C1b', '08:01');
  ev('classroom_joined', 'C2', '08:02');
  ev('media_received', 'C2', '08:03');
  ev('attendance_reported', 'C1a', '08:05', { expected: 32, present: 30 });
  ev('attendance_reported', 'C1b', '08:06', { expected: 22, present: 20 });
  ev('media_quality_incident', 'C1b', '08:06', { kind: 'media_unreachable' });
  ev('classroom_left', 'C2', '08:20');
  store.transitionLesson('l7', 'live', 'ended', { type: 'lesson_ended', at: at('08:40') });
  ev('classroom_joined', 'C3', '08:41');
  ev('media_received', 'C3', '08:41');
}
