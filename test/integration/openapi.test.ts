import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../shared/errors.js';
import { idSchema } from '../../shared/ids.js';
import { LESSON_STATUSES } from '../../shared/lesson.js';
import { GROUP_BYS } from '../../server/audit/auditQueries.js';
import { periodKeySchema } from '../../server/audit/period.js';
import { classroomBodySchema, communityBodySchema, plannedLessonBodySchema, schoolBodySchema } from '../../server/model/schemas.js';
import { LESSON_EVENT_TYPES } from '../../server/store/types.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// The document and Express's layers are untyped JSON / JS objects.
type Doc = Record<string, any>;

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Express path → OpenAPI path: /a/:id/ → /a/{id}. */
function toOpenApiPath(p: string): string {
  const joined = p.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1');
  return joined.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/**
 * Every route of an Express 5 app as "METHOD /path", by walking the router stacks:
 * a route layer carries `route.path` and `route.methods`; a mounted router is a layer whose
 * handle has its own `stack`, and (router ≥ 2.3) its mount path in `layer.rawPath`.
 * Plain middleware (auth, body parsers, static files) is not a route. Also returns the mounts
 * seen, so the walk itself can be checked.
 */
function expressRoutes(router: { stack: any[] }): { routes: Set<string>; mounts: string[] } {
  const routes = new Set<string>();
  const mounts: string[] = [];
  const walk = (stack: any[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const path = layer.route.path;
        if (typeof path !== 'string') throw new Error(`route path ${String(path)} is not a string: document it and extend this walk`);
        const methods = Object.keys(layer.route.methods).filter((m) => layer.route.methods[m]);
        if (methods.includes('_all')) throw new Error(`${path}: .all() routes are not supported by this check`);
        for (const m of methods) routes.add(`${m.toUpperCase()} ${toOpenApiPath(prefix + path)}`);
      } else if (Array.isArray(layer.handle?.stack)) {
        const mount = layer.rawPath;
        if (typeof mount !== 'string') {
          throw new Error('cannot recover a router mount path from its layer (router < 2.3?): keep a mount table here instead');
        }
        mounts.push(mount);
        walk(layer.handle.stack, mount === '/' ? prefix : prefix + mount);
      }
    }
  };
  walk(router.stack, '');
  return { routes, mounts };
}

function documentedRoutes(doc: Doc): Set<string> {
  const out = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths as Doc)) {
    for (const m of HTTP_METHODS) if (item[m]) out.add(`${m.toUpperCase()} ${path}`);
  }
  return out;
}

/** Follows a local "#/components/..." reference. */
function deref(doc: Doc, node: any): any {
  if (!node?.$ref) return node;
  const target = (node.$ref as string)
    .replace(/^#\//, '')
    .split('/')
    .reduce<any>((o, k) => o?.[k], doc);
  if (target === undefined) throw new Error(`dangling $ref ${node.$ref}`);
  return deref(doc, target);
}

describe('OpenAPI description', () => {
  let ts: TestServer;
  let doc: Doc;
  beforeAll(async () => {
    ts = await startTestServer();
    const res = await fetch(`${ts.url}/api/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    doc = (await res.json()) as Doc;
  });
  afterAll(async () => {
    await ts.close();
  });

  it('is served publicly as OpenAPI 3.0', () => {
    expect(doc.openapi).toMatch(/^3\.0\.\d+$/);
    expect(doc.info.title).toBe('Tongke 同课 API');
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  });

  it('documents exactly the routes the Express app has', () => {
    // The running server's own Express app.
    const app = ts.server.app;
    const { routes, mounts } = expressRoutes(app.router as unknown as { stack: any[] });
    // The walk really went into the nested routers (app.ts, adminRouter.ts).
    expect(mounts).toEqual(expect.arrayContaining(['/api/admin', '/audit', '/reports']));
    expect(routes).toContain('GET /api/admin/audit/schools/{schoolId}');
    expect(routes).toContain('GET /healthz');

    const documented = documentedRoutes(doc);
    const undocumented = [...routes].filter((r) => !documented.has(r));
    const phantom = [...documented].filter((r) => !routes.has(r));
    expect(undocumented, 'routes missing from server/http/openapi.json').toEqual([]);
    expect(phantom, 'documented routes the app does not have').toEqual([]);
  });

  it('declares every path parameter, resolves every $ref, and guards /api/admin with the bearer token', () => {
    const refs: string[] = [];
    const collect = (n: any) => {
      if (n && typeof n === 'object') {
        if (typeof n.$ref === 'string') refs.push(n.$ref);
        for (const v of Object.values(n)) collect(v);
      }
    };
    collect(doc);
    for (const r of refs) expect(() => deref(doc, { $ref: r }), r).not.toThrow();

    for (const [path, item] of Object.entries(doc.paths as Doc)) {
      const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      for (const m of HTTP_METHODS) {
        const op = item[m];
        if (!op) continue;
        const params = (op.parameters ?? []).map((p: any) => deref(doc, p));
        const declared = params.filter((p: any) => p.in === 'path').map((p: any) => p.name).sort();
        expect(declared, `${m} ${path} path parameters`).toEqual(inPath);
        for (const p of params.filter((p: any) => p.in === 'path')) expect(p.required).toBe(true);
        const admin = path.startsWith('/api/admin/');
        const security = op.security ?? doc.security ?? [];
        if (admin) expect(security, `${m} ${path} security`).toEqual([{ bearerAuth: [] }, { sessionCookie: [] }]);
        else expect(JSON.stringify(security), `${m} ${path} security`).not.toContain('bearerAuth');
        if (admin) expect(Object.keys(op.responses), `${m} ${path} responses`).toEqual(expect.arrayContaining(['401', '403']));
      }
    }
  });

  it('keeps enums and bounds in step with the zod schemas', () => {
    const s = doc.components.schemas;
    expect(s.ErrorCode.enum).toEqual([...ERROR_CODES]);
    expect(s.LessonStatus.enum).toEqual([...LESSON_STATUSES]);
    expect(s.GroupBy.enum).toEqual([...GROUP_BYS]);
    expect(s.CommunityType.enum).toEqual(communityBodySchema.shape.type.options);
    expect(s.Area.enum).toEqual(schoolBodySchema.shape.area.options);
    expect(s.ClassroomKind.enum).toEqual(classroomBodySchema.shape.kind.options);
    expect(s.LessonEvent.properties.type.enum).toEqual([...LESSON_EVENT_TYPES]);

    const regexOf = (checks: { kind: string; regex?: RegExp }[]) => checks.find((c) => c.kind === 'regex')?.regex?.source;
    expect(s.Id).toMatchObject({ minLength: idSchema.minLength, maxLength: idSchema.maxLength, pattern: regexOf(idSchema._def.checks) });
    expect(s.PeriodKey.pattern).toBe(regexOf((periodKeySchema._def.schema as typeof idSchema)._def.checks));

    // Body schemas list the same fields and the same required ones.
    const bodies = {
      CommunityBody: communityBodySchema,
      SchoolBody: schoolBodySchema,
      ClassroomBody: classroomBodySchema,
      PlannedLessonBody: plannedLessonBodySchema,
    };
    for (const [name, zod] of Object.entries(bodies)) {
      const shape = zod.shape as Record<string, { isOptional(): boolean; _def: { typeName: string } }>;
      expect(Object.keys(s[name].properties).sort(), name).toEqual(Object.keys(shape).sort());
      // A zod default makes a field optional in the body, as does .optional().
      const required = Object.keys(shape).filter((k) => !shape[k]!.isOptional() && shape[k]!._def.typeName !== 'ZodDefault');
      expect([...s[name].required].sort(), `${name} required`).toEqual(required.sort());
      expect(s[name].additionalProperties, `${name} is strict`).toBe(false);
    }
  });
});
