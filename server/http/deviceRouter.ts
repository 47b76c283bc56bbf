import { Router } from 'express';
import { enrolSchema, socketTokenRequestSchema } from '../auth/accountSchemas.js';
import type { DeviceService } from '../auth/deviceService.js';
import type { SocketTokenIssuer } from '../auth/socketTokens.js';
import { AppError } from '../errors.js';
import { rateLimitByIp, type IpBuckets } from './ipRateLimit.js';
import { parse } from './validate.js';

/** `Authorization: Device <deviceId>.<secret>`: kept out of bodies and URLs (and so out of logs). */
function credentialOf(header: string | undefined): string {
  const m = /^Device ([A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]{1,128})$/.exec(header ?? '');
  if (!m?.[1]) throw new AppError('UNAUTHENTICATED', 'missing device credential');
  return m[1];
}

/**
 * The receiving classroom's PC: redeems its one-time code once, then trades its device
 * credential for a socket token for the classroom's current lesson. Both are rate limited
 * like logins, so codes cannot be guessed online.
 */
export function deviceRouter(deps: { devices: DeviceService; issuer: SocketTokenIssuer; loginLimit: IpBuckets }): Router {
  const { devices, issuer } = deps;
  const r = Router();
  const limit = rateLimitByIp(deps.loginLimit, 'device');

  r.post('/enrol', limit, (req, res) => {
    const { code, label } = parse(enrolSchema, req.body);
    res.status(201).json(devices.enrol(code, label));
  });

  r.post('/socket-token', limit, async (req, res) => {
    const device = devices.authenticate(credentialOf(req.headers.authorization));
    const { lessonId } = parse(socketTokenRequestSchema, req.body ?? {});
    res.json({ classroomId: device.classroomId, ...(await issuer.forClassroom(`device:${device.id}`, device.classroomId, lessonId)) });
  });
  return r;
}
