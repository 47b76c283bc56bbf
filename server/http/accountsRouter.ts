import { Router } from 'express';
import { z } from 'zod';
import { idSchema } from '../../shared/ids.js';
import { enrolmentRequestSchema, newAccountSchema } from '../auth/accountSchemas.js';
import type { AccountService } from '../auth/accountService.js';
import type { DeviceService } from '../auth/deviceService.js';
import { requireAction, requireSession } from './adminAuth.js';
import { parse } from './validate.js';

const noQuery = z.object({}).strict();

/**
 * Accounts and classroom devices, admin only (admin:write even to list: the list tells who
 * may log in, and inspectors have no need of it).
 */
export function accountsRouter(deps: { accounts: AccountService; devices: DeviceService }): Router {
  const { accounts, devices } = deps;
  const write = requireAction('admin:write');
  const r = Router();

  r.get('/accounts', write, (req, res) => {
    parse(noQuery, req.query);
    res.json({ accounts: accounts.list() });
  });
  r.post('/accounts', write, async (req, res) => {
    res.status(201).json({ account: await accounts.create(parse(newAccountSchema, req.body)) });
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
    const by = req.principal?.via === 'session' ? requireSession(req).account.username : (req.principal?.name ?? 'api');
    res.status(201).json({ enrolment: devices.createEnrolment(classroomId, by) });
  });
  r.delete('/devices/:id', write, (req, res) => {
    devices.revoke(parse(idSchema, req.params.id));
    res.status(204).end();
  });
  return r;
}
