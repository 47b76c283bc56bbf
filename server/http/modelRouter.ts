import express, { Router } from 'express';
import { z } from 'zod';
import { idSchema } from '../../shared/ids.js';
import { rangeQuerySchema, dayRange } from '../audit/period.js';
import { AppError } from '../errors.js';
import type { ModelService } from '../model/modelService.js';
import {
  classroomBodySchema,
  communityBodySchema,
  plannedLessonBodySchema,
  schoolBodySchema,
} from '../model/schemas.js';
import { importTimetable } from '../model/timetableImport.js';
import type { Store } from '../store/types.js';
import { requireAction } from './adminAuth.js';
import { parse } from './validate.js';

const byCommunity = z.object({ communityId: idSchema.optional() }).strict();
const bySchool = z.object({ schoolId: idSchema.optional() }).strict();

/** The body of a PUT names the resource in the path; an id in the body must agree. */
function withPathId<T extends { id?: string | undefined }>(body: T, id: string): T {
  if (body.id !== undefined && body.id !== id) throw new AppError('BAD_REQUEST', 'id: differs from the path');
  return { ...body, id };
}

/** Communities, schools, classrooms and the timetable (admin API; writes need admin:write). */
export function modelRouter(deps: { store: Store; model: ModelService }): Router {
  const { store, model } = deps;
  const write = requireAction('admin:write');
  const r = Router();

  r.get('/communities', (req, res) => {
    parse(z.object({}).strict(), req.query);
    res.json({ communities: store.listCommunities() });
  });
  r.post('/communities', write, (req, res) => {
    res.status(201).json({ community: model.saveCommunity(parse(communityBodySchema, req.body), 'create') });
  });
  r.put('/communities/:id', write, (req, res) => {
    const id = parse(idSchema, req.params.id);
    res.json({ community: model.saveCommunity(withPathId(parse(communityBodySchema, req.body), id), 'update') });
  });

  r.get('/schools', (req, res) => {
    res.json({ schools: store.listSchools(parse(byCommunity, req.query)) });
  });
  r.post('/schools', write, (req, res) => {
    res.status(201).json({ school: model.saveSchool(parse(schoolBodySchema, req.body), 'create') });
  });
  r.put('/schools/:id', write, (req, res) => {
    const id = parse(idSchema, req.params.id);
    res.json({ school: model.saveSchool(withPathId(parse(schoolBodySchema, req.body), id), 'update') });
  });

  r.get('/classrooms', (req, res) => {
    res.json({ classrooms: store.listClassrooms(parse(bySchool, req.query)) });
  });
  r.post('/classrooms', write, (req, res) => {
    res.status(201).json({ classroom: model.saveClassroom(parse(classroomBodySchema, req.body), 'create') });
  });
  r.put('/classrooms/:id', write, (req, res) => {
    const id = parse(idSchema, req.params.id);
    res.json({ classroom: model.saveClassroom(withPathId(parse(classroomBodySchema, req.body), id), 'update') });
  });

  r.get('/timetable', (req, res) => {
    const q = parse(rangeQuerySchema, req.query);
    res.json({ lessons: store.listTimetable(dayRange(q.from, q.to)) });
  });
  r.post('/timetable', write, (req, res) => {
    const { lesson } = model.savePlannedLesson(parse(plannedLessonBodySchema, req.body), 'create');
    res.status(201).json({ lesson });
  });
  r.put('/timetable/:id', write, (req, res) => {
    const id = parse(idSchema, req.params.id);
    const { lesson } = model.savePlannedLesson(withPathId(parse(plannedLessonBodySchema, req.body), id), 'update');
    res.json({ lesson });
  });

  // The CSV arrives as raw bytes so that invalid UTF-8 is refused, not silently replaced.
  r.post(
    '/timetable/import',
    write,
    express.raw({ type: () => true, limit: '2mb' }),
    (req, res) => {
      const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      if (type !== 'text/csv') throw new AppError('BAD_REQUEST', 'send the timetable as text/csv');
      if (!Buffer.isBuffer(req.body) || req.body.length === 0) throw new AppError('BAD_REQUEST', 'CSV: empty file');
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(req.body);
      } catch {
        throw new AppError('BAD_REQUEST', 'CSV: not valid UTF-8 (save the file as UTF-8 / CSV UTF-8)');
      }
      res.json(importTimetable(text, model));
    },
  );
  return r;
}
