import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAuditFixture } from '../helpers/auditFixture.js';
import { startTestServer, teacherGrant, type TestServer } from '../helpers/server.js';

describe('admin API: community model, timetable, CSV import, audit, reports', () => {
  let ts: TestServer;
  let admin: string;
  beforeAll(async () => {
    ts = await startTestServer();
    admin = await ts.token({ role: 'admin', name: 'test' });
    buildAuditFixture(ts.server.store);
  });
  afterAll(async () => {
    await ts.close();
  });

  const req = (method: string, path: string, body?: unknown, type = 'application/json') =>
    fetch(`${ts.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${admin}`, ...(body !== undefined ? { 'content-type': type } : {}) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : body instanceof Uint8Array ? Buffer.from(body) : JSON.stringify(body),
    });
  const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as Record<string, any> });
  const counts = () =>
    ts.server.store.db
      .prepare('SELECT (SELECT count(*) FROM lessons) l, (SELECT count(*) FROM lesson_classrooms) lc')
      .get() as { l: number; lc: number };

  it('creates and updates communities, schools and classrooms, validating references', async () => {
    const c = await json(await req('POST', '/api/admin/communities', { id: 'C9', name: '新共同体', type: 'group' }));
    expect(c).toMatchObject({ status: 201, body: { community: { id: 'C9', coreSchoolId: null } } });
    expect((await req('POST', '/api/admin/communities', { id: 'C9', name: 'x', type: 'group' })).status).toBe(409);
    expect((await json(await req('POST', '/api/admin/communities', { name: 'x', type: 'nope' }))).body.error.code).toBe('BAD_REQUEST');

    const s = await json(await req('POST', '/api/admin/schools', { communityId: 'C9', name: '实验中学', district: '青州市', area: 'urban' }));
    expect(s.status).toBe(201);
    const schoolId = s.body.school.id as string;
    expect((await req('POST', '/api/admin/schools', { communityId: 'nope', name: 'x', district: 'y', area: 'rural' })).status).toBe(400);

    const core = await json(await req('PUT', '/api/admin/communities/C9', { name: '新共同体', type: 'group', coreSchoolId: schoolId }));
    expect(core.body.community.coreSchoolId).toBe(schoolId);
    // The core school must belong to the community.
    expect((await req('PUT', '/api/admin/communities/C9', { name: 'x', type: 'group', coreSchoolId: 'U1' })).status).toBe(400);
    expect((await req('PUT', '/api/admin/communities/none', { name: 'x', type: 'group' })).status).toBe(404);

    const room = await json(await req('POST', '/api/admin/classrooms', { id: 'X1', schoolId, name: '录播室', kind: 'lecture' }));
    expect(room.status).toBe(201);
    const list = await json(await req('GET', `/api/admin/classrooms?schoolId=${schoolId}`));
    expect(list.body.classrooms).toEqual([{ id: 'X1', schoolId, name: '录播室', kind: 'lecture', schoolName: '实验中学', area: 'urban' }]);
    expect((await json(await req('GET', '/api/admin/schools?communityId=C9'))).body.schools).toHaveLength(1);
  });

  it('only admins may write', async () => {
    const teacher = await ts.token(teacherGrant(ts.lesson.id));
    const res = await fetch(`${ts.url}/api/admin/communities`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${teacher}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', type: 'group' }),
    });
    expect(res.status).toBe(403);
  });

  it('plans a lesson, refuses a double-booked lecture room and a wrong classroom kind', async () => {
    const body = {
      subject: '数学',
      grade: '五年级',
      teacherName: '王老师',
      lectureClassroomId: 'L1',
      receivingClassroomIds: ['C1a', 'C2'],
      plannedStart: '2025-06-02T08:00:00+08:00',
      plannedEnd: '2025-06-02T08:45:00+08:00',
    };
    const created = await json(await req('POST', '/api/admin/timetable', body));
    expect(created).toMatchObject({ status: 201, body: { lesson: { title: '五年级数学', grade: '五年级', status: 'scheduled' } } });
    const clash = await json(await req('POST', '/api/admin/timetable', { ...body, plannedStart: '2025-06-02T08:30:00+08:00', plannedEnd: '2025-06-02T09:00:00+08:00' }));
    expect(clash).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT' } } });
    expect((await req('POST', '/api/admin/timetable', { ...body, lectureClassroomId: 'C1a', plannedStart: '2025-06-03T08:00:00+08:00', plannedEnd: '2025-06-03T08:45:00+08:00' })).status).toBe(400);
    expect((await req('POST', '/api/admin/timetable', { ...body, plannedStart: '2025-06-04T08:00:00+08:00', plannedEnd: '2025-06-04T07:00:00+08:00' })).status).toBe(400);
    const id = created.body.lesson.id as string;
    const updated = await json(await req('PUT', `/api/admin/timetable/${id}`, { ...body, receivingClassroomIds: ['C3'] }));
    expect(updated.status).toBe(200);
    const tt = await json(await req('GET', '/api/admin/timetable?from=2025-06-02&to=2025-06-02'));
    expect(tt.body.lessons).toMatchObject([{ id, receivingClassroomIds: ['C3'] }]);
    // A lesson that was taught is history: it cannot be re-planned.
    expect((await req('PUT', '/api/admin/timetable/l1', { ...body, plannedStart: '2025-03-03T08:00:00+08:00', plannedEnd: '2025-03-03T08:45:00+08:00' })).status).toBe(409);
  });

  it('re-planning a lesson that a classroom already has open updates what that classroom sees', async () => {
    const room = await ts.connect({ role: 'assistant', lessonId: ts.lesson.id, classroomId: 'demo-recv-1' });
    const start = new Date(ts.lesson.plannedStart!).toISOString();
    const end = new Date(ts.lesson.plannedEnd!).toISOString();
    const res = await req('PUT', `/api/admin/timetable/${ts.lesson.id}`, {
      title: '三年级数学：分数的大小',
      subject: '数学',
      grade: '三年级',
      teacherName: '李老师',
      lectureClassroomId: 'demo-lecture',
      receivingClassroomIds: ['demo-recv-1', 'demo-recv-2'],
      plannedStart: start,
      plannedEnd: end,
    });
    expect(res.status).toBe(200);
    const state = ts.server.service.state(ts.lesson.id, { kind: 'teacher' });
    expect(state.title).toBe('三年级数学：分数的大小');
    expect(state.classrooms.map((c) => c.classroomId)).toEqual(['demo-recv-1', 'demo-recv-2']);
    room.disconnect();
  });

  it('imports a timetable CSV: good rows kept, bad rows reported by row number, nothing half-written', async () => {
    const before = counts();
    const csv =
      '\uFEFF学科,年级,主讲教师,主讲教室,听讲教室,日期,开始时间,结束时间,课程名称\r\n' +
      '数学,三年级,李老师,L1,C1a;C1b,2025-09-01,08:00,08:40,"分数,初步"\r\n' + // row 2 ok
      '语文,三年级,李老师,L1,C1a;NOPE,2025-09-01,09:00,09:40,\r\n' + // row 3: unknown classroom
      '英语,四年级,赵老师,L2,C3,2025/09/02,10:00,10:40,\r\n' + // row 4 ok (slashes)
      '英语,四年级,赵老师,L2,C3,2025-02-30,10:00,10:40,\r\n' + // row 5: no such date
      '英语,四年级,赵老师,L2,C3,2025-09-03,10:40,10:00,\r\n' + // row 6: ends before it starts
      '英语,四年级,,L2,C3,2025-09-04,10:00,10:40,\r\n' + // row 7: no teacher
      '英语,四年级,赵老师,L2\r\n' + // row 8: too few cells
      '科学,四年级,赵老师,C3,C1a,2025-09-05,10:00,10:40,\r\n'; // row 9: C3 is not a lecture room
    const res = await json(await req('POST', '/api/admin/timetable/import', csv, 'text/csv; charset=utf-8'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ created: 2, updated: 0, rejected: 6 });
    expect(res.body.errors.map((e: { row: number }) => e.row)).toEqual([3, 5, 6, 7, 8, 9]);
    expect(res.body.errors[0].message).toContain('NOPE');
    // Rejected row 3 left neither a lesson nor a classroom link behind.
    expect(counts()).toEqual({ l: before.l + 2, lc: before.lc + 3 });
    const sept = await json(await req('GET', '/api/admin/timetable?from=2025-09-01&to=2025-09-30'));
    expect(sept.body.lessons.map((l: { title: string }) => l.title)).toEqual(['分数,初步', '四年级英语']);

    // Re-importing the same file updates the same slots: no duplicates.
    const again = await json(await req('POST', '/api/admin/timetable/import', csv, 'text/csv'));
    expect(again.body).toMatchObject({ created: 0, updated: 2, rejected: 6 });
    expect(counts()).toEqual({ l: before.l + 2, lc: before.lc + 3 });
  });

  it('refuses a CSV with a bad header, invalid UTF-8 or the wrong content type, changing nothing', async () => {
    const before = counts();
    const badHeader = await json(await req('POST', '/api/admin/timetable/import', 'subject,colour\n数学,red\n', 'text/csv'));
    expect(badHeader).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
    expect(badHeader.body.error.message).toContain('colour');
    const latin1 = new Uint8Array([0x73, 0x75, 0x62, 0xff, 0xfe, 0x0a]);
    expect((await json(await req('POST', '/api/admin/timetable/import', latin1, 'text/csv'))).body.error.message).toContain('UTF-8');
    expect((await req('POST', '/api/admin/timetable/import', 'a,b', 'text/plain')).status).toBe(400);
    expect((await req('POST', '/api/admin/timetable/import', 'subject,"unterminated\n', 'text/csv')).status).toBe(400);
    expect(counts()).toEqual(before);
  });

  it('serves the audit figures and validates the range', async () => {
    const t = await json(await req('GET', '/api/admin/audit/totals?from=2025-03-01&to=2025-04-30'));
    expect(t.body.totals).toMatchObject({ lessonsPlanned: 4, lessonsDelivered: 3, deliveryRate: 0.5, pupilVisits: 128 });
    const table = await json(await req('GET', '/api/admin/audit/table?from=2025-03-01&to=2025-04-30&groupBy=month'));
    expect(table.body.rows.map((r: { key: string }) => r.key)).toEqual(['2025-03', '2025-04']);
    const bundled = await json(await req('GET', '/api/admin/audit/bundled?from=2025-03-01&to=2025-04-30'));
    expect(bundled.body.communities.find((c: any) => c.community.id === 'A').schools[0]).toMatchObject({ key: 'U1', role: 'core' });
    const school = await json(await req('GET', '/api/admin/audit/schools/R1?from=2025-03-01&to=2025-04-30'));
    expect(school.body.totals.pupilVisits).toBe(103);
    const lesson = await json(await req('GET', '/api/admin/audit/lessons/l1'));
    expect(lesson.body.events.length).toBeGreaterThan(5);

    for (const bad of [
      '/api/admin/audit/totals?from=2025-04-30&to=2025-03-01',
      '/api/admin/audit/totals?from=2025-02-30&to=2025-03-01',
      '/api/admin/audit/totals?from=yesterday&to=2025-03-01',
      '/api/admin/audit/table?from=2025-03-01&to=2025-04-30&groupBy=teacher',
      '/api/admin/audit/totals?from=2025-03-01&to=2025-04-30&extra=1',
      '/api/admin/audit/totals?from=2020-01-01&to=2025-04-30',
    ]) {
      const res = await json(await req('GET', bad));
      expect(res, bad).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
    }
    expect((await req('GET', '/api/admin/audit/schools/nope?from=2025-03-01&to=2025-04-30')).status).toBe(404);
  });

  it('exports CSV with a BOM, proper quoting and no formula injection', async () => {
    // A hostile school name: it must stay text in Excel.
    ts.server.store.upsertSchool({ id: 'EV', communityId: 'A', name: '=HYPERLINK("http://x","点我")', district: '青州市', area: 'rural' });
    const res = await req('GET', '/api/admin/audit/table?from=2025-03-01&to=2025-04-30&groupBy=school&format=csv');
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toContain('attachment');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder().decode(bytes);
    expect(text).toContain(`EV,"'=HYPERLINK(""http://x"",""点我"")"`);
    expect(text).toContain('R1,东高小学,1,2,1,1,85,2,1,103,0,0,3,0.5714');
    expect(text.split('\r\n').at(-2)).toMatch(/^,合计 total,/);
    for (const path of [
      '/api/admin/audit/bundled?from=2025-03-01&to=2025-04-30&format=csv',
      '/api/admin/audit/schools/R1?from=2025-03-01&to=2025-04-30&format=csv',
      '/api/admin/audit/lessons/l1?format=csv',
      '/api/admin/audit/totals?from=2025-03-01&to=2025-04-30&format=csv',
    ]) {
      const r = await req('GET', path);
      expect(r.status, path).toBe(200);
      expect([...new Uint8Array(await r.arrayBuffer()).slice(0, 3)], path).toEqual([0xef, 0xbb, 0xbf]);
    }
  });

  it('generates reports on demand, replacing a period rather than duplicating, and serves them', async () => {
    const first = await json(await req('POST', '/api/admin/reports', { period: '2025-03' }));
    expect(first.status).toBe(201);
    expect(first.body.reports.map((r: { name: string }) => r.name)).toEqual(['monthly-2025-03.csv', 'monthly-2025-03.json']);
    await req('POST', '/api/admin/reports', { period: '2025-03' });
    await req('POST', '/api/admin/reports', { period: '2025-Q1' });
    const list = await json(await req('GET', '/api/admin/reports'));
    expect(list.body.reports.filter((r: { period: string }) => r.period === '2025-03')).toHaveLength(2);
    expect(list.body.reports.map((r: { name: string }) => r.name)).toContain('quarterly-2025-Q1.json');
    const report = await json(await req('GET', '/api/admin/reports/monthly-2025-03.json'));
    expect(report.body.totals).toMatchObject({ lessonsPlanned: 3, lessonsDelivered: 2, pupilVisits: 98 });
    const csv = await req('GET', '/api/admin/reports/quarterly-2025-Q1.csv');
    expect([...new Uint8Array(await csv.arrayBuffer()).slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect((await req('GET', '/api/admin/reports/..%2Ftongke.sqlite')).status).toBe(400);
    expect((await req('GET', '/api/admin/reports/monthly-1999-01.json')).status).toBe(404);
    expect((await req('POST', '/api/admin/reports', { period: '2025-13' })).status).toBe(400);
  });
});
