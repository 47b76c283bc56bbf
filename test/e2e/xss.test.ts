import type { Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, waitForPage } from '../helpers/browser.js';
import { adminToken, http } from '../helpers/http.js';
import { classroomGrant, ok, startTestServer, teacherGrant, type TestServer } from '../helpers/server.js';

/** Each payload would run script, add an element or a handler if rendered as HTML. */
const PAYLOADS = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(2)>',
  "<svg onload=alert(3)></svg>",
  '<a href="javascript:alert(4)">点我</a>',
  "'><iframe srcdoc='<script>alert(5)</script>'>",
  '<body onload=alert(6)>',
  '<div style="x" onmouseover="alert(7)">悬停</div>',
  '\u202Egnp.exe<b>粗</b>\u202C', // RTL override around markup
  '&lt;img src=x onerror=alert(8)&gt;', // pre-escaped: must stay literally escaped
  '{{constructor.constructor("alert(9)")()}}',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(10)>',
  'javascript:alert(11)',
];

/** Elements or attributes only an injection would have put on our pages. */
function injected(): string[] {
  const found: string[] = [];
  for (const n of document.querySelectorAll('*')) {
    for (const a of n.getAttributeNames()) if (/^on/i.test(a)) found.push(`${n.tagName}[${a}]`);
    if (/^(IMG|IFRAME|MATH|MGLYPH|B)$/.test(n.tagName) && !n.closest('svg.chart')) found.push(n.tagName);
    if (n.tagName === 'SCRIPT' && !(n as HTMLScriptElement).src) found.push('inline SCRIPT');
    if (n.tagName === 'A' && /^javascript:/i.test((n as HTMLAnchorElement).getAttribute('href') ?? '')) found.push('javascript: link');
  }
  return found;
}

describe('XSS corpus renders inert in Chromium', () => {
  let ts: TestServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  const shown: string[] = [];

  beforeAll(async () => {
    ts = await startTestServer();
    browser = await launchBrowser();
    const admin = await adminToken(ts);
    const schools = [
      { id: 'demo-rural-1', area: 'rural' },
      { id: 'demo-rural-2', area: 'rural' },
      { id: 'demo-city', area: 'urban' },
    ];
    for (const [i, s] of schools.entries()) {
      const name = PAYLOADS[i]!;
      const r = await http(ts, 'PUT', `/api/admin/schools/${s.id}`, {
        bearer: admin,
        body: { communityId: 'demo-community', name, district: '青州市', area: s.area },
      });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      shown.push(name);
    }
    for (const [i, id] of ['demo-recv-1', 'demo-recv-2', 'demo-recv-3'].entries()) {
      const name = PAYLOADS[3 + i]!;
      const school = id === 'demo-recv-3' ? 'demo-rural-2' : 'demo-rural-1';
      const r = await http(ts, 'PUT', `/api/admin/classrooms/${id}`, { bearer: admin, body: { schoolId: school, name, kind: 'receiving' } });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      shown.push(name);
    }
  });
  afterAll(async () => {
    await browser?.close();
    await ts?.close();
  });

  async function open(url: string, ready: () => boolean): Promise<{ page: Page; dialogs: string[] }> {
    const page = await browser.browser.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(url);
    await waitForPage(page, ready);
    return { page, dialogs };
  }

  async function assertInert(page: Page, dialogs: string[], texts: string[]) {
    await new Promise((r) => setTimeout(r, 500)); // let any onload/onerror fire
    expect(dialogs).toEqual([]);
    expect(await page.evaluate(injected)).toEqual([]);
    const body = await page.evaluate(() => document.body.textContent ?? '');
    for (const t of texts) expect(body, t).toContain(t);
  }

  it('teacher page: names and question texts', async () => {
    const teacher = await ts.connect(teacherGrant(ts.lesson.id));
    await ok(teacher, 'lesson:start', {});
    // One open question per classroom: the rest of the corpus goes in as question text.
    const questions = [PAYLOADS.slice(6, 8).join(' '), PAYLOADS.slice(8, 10).join(' '), PAYLOADS.slice(10).join(' ')];
    for (const [i, id] of ['demo-recv-1', 'demo-recv-2', 'demo-recv-3'].entries()) {
      const room = await ts.connect(classroomGrant(ts.lesson.id, id));
      await ok(room, 'question:raise', { text: questions[i] });
    }
    teacher.disconnect();
    const token = await ts.token(teacherGrant(ts.lesson.id));
    const { page, dialogs } = await open(`${ts.url}/teacher.html#token=${token}`, () => document.querySelectorAll('.qtext').length === 3);
    await assertInert(page, dialogs, [...shown.slice(3), ...questions]);
    await page.close();
  });

  it('classroom page: its own school and classroom names', async () => {
    const token = await ts.token(classroomGrant(ts.lesson.id, 'demo-recv-1'));
    const { page, dialogs } = await open(`${ts.url}/classroom.html#token=${token}`, () => !!document.getElementById('classroom-name')?.textContent);
    await assertInert(page, dialogs, [`${PAYLOADS[0]} ${PAYLOADS[3]}`]);
    await page.close();
  });

  it('admin page: school and classroom names in the tables', async () => {
    const token = await adminToken(ts);
    const { page, dialogs } = await open(`${ts.url}/admin.html#token=${token}`, () => document.querySelectorAll('#bundled-body tr').length > 0);
    await assertInert(page, dialogs, [PAYLOADS[0]!, PAYLOADS[1]!, PAYLOADS[2]!]);
    await page.close();
  });
});
