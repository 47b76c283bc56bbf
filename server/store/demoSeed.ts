import { randomBytes } from 'node:crypto';
import type { LessonRecord, Store } from './types.js';

export const DEMO = {
  community: { id: 'demo-community', name: '青州市城乡教育共同体（演示）', type: 'assistance' as const },
  citySchool: { id: 'demo-city', name: '青州市实验小学', district: '青州市', area: 'urban' as const },
  ruralSchools: [
    { id: 'demo-rural-1', name: '王府街道东高小学', district: '青州市', area: 'rural' as const },
    { id: 'demo-rural-2', name: '庙子镇杨集小学', district: '青州市', area: 'rural' as const },
  ],
  lectureClassroom: { id: 'demo-lecture', schoolId: 'demo-city', name: '录播教室' },
  receivingClassrooms: [
    { id: 'demo-recv-1', schoolId: 'demo-rural-1', name: '三年级一班' },
    { id: 'demo-recv-2', schoolId: 'demo-rural-1', name: '三年级二班' },
    { id: 'demo-recv-3', schoolId: 'demo-rural-2', name: '三年级一班' },
  ],
};

/**
 * Seeds the demo community (idempotent) and returns a lesson that can still be taught:
 * the newest demo lesson that has not ended, or a fresh one.
 */
export function seedDemo(store: Store, now = Date.now()): LessonRecord {
  store.upsertCommunity({ ...DEMO.community, coreSchoolId: DEMO.citySchool.id });
  store.upsertSchool({ ...DEMO.citySchool, communityId: DEMO.community.id });
  for (const s of DEMO.ruralSchools) store.upsertSchool({ ...s, communityId: DEMO.community.id });
  store.upsertClassroom({ ...DEMO.lectureClassroom, kind: 'lecture' });
  for (const c of DEMO.receivingClassrooms) store.upsertClassroom({ ...c, kind: 'receiving' });

  const open = store
    .listLessons()
    .find((l) => l.id.startsWith('demo-lesson-') && l.status !== 'ended');
  if (open) return open;
  return store.createLesson(
    {
      id: `demo-lesson-${randomBytes(4).toString('hex')}`,
      title: '三年级数学：认识分数（专递课堂演示）',
      subject: '数学',
      teacherName: '李老师',
      lectureClassroomId: DEMO.lectureClassroom.id,
      receivingClassroomIds: DEMO.receivingClassrooms.map((c) => c.id),
      plannedStart: now,
      plannedEnd: now + 45 * 60_000,
    },
    now,
  );
}
