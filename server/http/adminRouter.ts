import { Router } from 'express';
import { z } from 'zod';
import { idSchema } from '../../shared/ids.js';
import { lessonStatusSchema } from '../../shared/lesson.js';
import type { AccountService } from '../auth/accountService.js';
import type { DeviceService } from '../auth/deviceService.js';
import { AppError } from '../errors.js';
import type { LessonService } from '../lessons/lessonService.js';
import type { Logger } from '../logger.js';
import type { RecordingStore } from '../store/recordingStore.js';
import type { Store } from '../store/types.js';
import type { SqliteAudit } from '../audit/auditQueries.js';
import { summariseLesson } from '../audit/lessonSummary.js';
import type { ModelService } from '../model/modelService.js';
import type { ReportService } from '../reports/reportService.js';
import { requireAction } from './adminAuth.js';
import { auditRouter } from './auditRouter.js';
import { accountsRouter } from './accountsRouter.js';
import { modelRouter } from './modelRouter.js';
import { recordingsRouter } from './recordingsRouter.js';
import { reportsRouter } from './reportsRouter.js';
import { parse } from './validate.js';
import type { DiskRoom } from '../store/diskRoom.js';
import type { MediaLoad } from '../../shared/mediaLoad.js';

// The newest lessons only: a county's year holds tens of thousands (the audit covers them all).
const listQuery = z
  .object({ status: lessonStatusSchema.optional(), limit: z.coerce.number().int().min(1).max(500).default(100) })
  .strict();


/** The admin API: reads need admin:read (admins, inspectors); every write needs admin:write. */
export function adminRouter(deps: {
  accounts: AccountService;
  devices: DeviceService;
  store: Store;
  service: LessonService;
  model: ModelService;
  audit: SqliteAudit;
  reports: ReportService;
  recordings: RecordingStore;
  recordingsDir: string;
  recordingRoom: DiskRoom;
  log: Logger;
  mediaLoad: () => MediaLoad;
}): Router {
  const { store, service } = deps;
  const r = Router();
  r.use(requireAction('admin:read'));
  r.use(modelRouter(deps));
  r.use(accountsRouter(deps));
  r.use('/audit', auditRouter(deps.audit));
  r.use('/reports', reportsRouter(deps));
  r.use(recordingsRouter(deps));

  r.get('/lessons', (req, res) => {
    const q = parse(listQuery, req.query);
    const lessons = store.listLessons(q).map((l) => {
      const state = service.state(l.id, { kind: 'teacher' });
      // The audit's own rule (lessonSummary.ts), so this list and the audit never disagree.
      const reach = summariseLesson(l, store.listEvents(l.id)).classrooms;
      return {
        ...l,
        classroomsInvited: state.classrooms.length,
        classroomsOnline: state.classrooms.filter((c) => c.online).length,
        // Online now, but the lesson's picture and sound do not get through (a blocked network).
        classroomsMediaBlocked: state.classrooms.filter((c) => c.online && c.mediaBlocked).length,
        classroomsReached: reach.filter((c) => c.reached).length,
        teacherOnline: state.teacherOnline,
      };
    });
    // Live reach and the media server's headroom side by side: a busy server explains a live lesson's trouble.
    res.json({ lessons, media: deps.mediaLoad() });
  });

  r.get('/lessons/:lessonId/events', (req, res) => {
    const lessonId = parse(idSchema, req.params.lessonId);
    if (!store.getLesson(lessonId)) throw new AppError('NOT_FOUND', 'unknown lesson');
    res.json({ events: store.listEvents(lessonId) });
  });
  return r;
}
