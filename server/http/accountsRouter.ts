import { Router, type Request } from 'express';
import { z } from 'zod';
import { idSchema } from '../../shared/ids.js';
import { enrolmentRequestSchema, newAccountSchema, passwordResetSchema } from '../auth/accountSchemas.js';
import type { AccountService } from '../auth/accountService.js';
import type { DeviceService } from '../auth/deviceService.js';
import type { Logger } from '../logger.js';
import { requireAction, requireSession } from './adminAuth.js';
import { parse } from './validate.js';

const noQuery = z.object({}).strict();
const noBody = z.object({}).strict();

/** Who acts, for the record: the admin's username, or the API token's name. */
const actor = (req: Request) =>
  req.principal?.via === 'session' ? requireSession(req).account.username : (req.principal?.name ?? 'api');

/**
 * Accounts and classroom devices, admin only (admin:write even to list: the list tells who
 * may log in, and inspectors have no need of it).
 */
export function accountsRouter(deps: { accounts: AccountService; devices: DeviceService; log: Logger }): Router {
  const { accounts, devices, log } = deps;
  const write = requireAction('admin:write');
  const r = Router();

  r.get('/accounts', write, (req, res) => {
    parse(noQuery, req.query);
    res.json({ accounts: accounts.list() });
  });
  r.post('/accounts', write, async (req, res) => {
    res.status(201).json({ account: await accounts.create(parse(newAccountSchema, req.body)) });
  });
  r.post('/accounts/:id/password', write, async (req, res) => {
    const id = parse(idSchema, req.params.id);
    const { password } = parse(passwordResetSchema, req.body);
    const account = await accounts.resetPassword(id, password);
    log.info({ accountId: id, by: actor(req) }, 'password reset by an administrator: sessions ended, tokens withdrawn');
    res.json({ account });
  });
  r.post('/accounts/:id/unlock', write, (req, res) => {
    const id = parse(idSchema, req.params.id);
    parse(noBody, req.body ?? {});
    res.json({ account: accounts.unlock(id) });
  });
  r.delete('/accounts/:id', write, (req, res) => {
    accounts.remove(parse(idSchema, req.params.id));
    res.status(204).end();
  });

  r.get('/devices', write, (req, res) => {
    parse(noQuery, req.query);
    res.json({ devices: devices.list() });
  });
  r.post('/devices/enrolments', write, (req, res) => {
    const { classroomId } = parse(enrolmentRequestSchema, req.body);
    const by = actor(req);
    res.status(201).json({ enrolment: devices.createEnrolment(classroomId, by) });
  });
  r.delete('/devices/:id', write, (req, res) => {
    devices.revoke(parse(idSchema, req.params.id));
    res.status(204).end();
  });
  return r;
}
