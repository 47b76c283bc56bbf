import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/logger.js';
import { seedDemo } from '../../server/store/demoSeed.js';
import { startTongke } from '../../server/tongkeServer.js';
import { testEnv } from '../helpers/server.js';

describe('restart and shutdown', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('resumes a lesson that was live when the server stopped, and logs it', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tongke-restart-'));
    dirs.push(dataDir);
    const secret = randomBytes(32).toString('hex');
    const config = loadConfig(testEnv(dataDir, { TONGKE_TOKEN_SECRET: secret }));
    const first = await startTongke(config, createLogger('silent'));
    const lesson = seedDemo(first.store);
    await first.service.start(lesson.id);
    await first.close();

    const second = await startTongke(config, createLogger('silent'));
    try {
      expect(second.store.getLesson(lesson.id)?.status).toBe('live');
      expect(second.store.listEvents(lesson.id).map((e) => e.type)).toEqual([
        'lesson_started',
        'lesson_resumed_after_restart',
      ]);
      // Media is rebuilt on first use, so the teacher can publish again.
      const media = await second.service.media(lesson.id);
      expect(media.rtpCapabilities.codecs?.length).toBeGreaterThan(0);
      // The demo seed hands out the same open lesson, not a new one.
      expect(seedDemo(second.store).id).toBe(lesson.id);
    } finally {
      await second.close();
    }
  });

  it('shuts down with live transports without crashing the workers', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tongke-shutdown-'));
    dirs.push(dataDir);
    const server = await startTongke(loadConfig(testEnv(dataDir)), createLogger('silent'));
    const lesson = seedDemo(server.store);
    await server.service.start(lesson.id);
    const media = await server.service.media(lesson.id);
    await media.createTransport('peer-a', 'send');
    await media.createTransport('peer-b', 'recv');
    const pids = (await server.pool.resourceUsage()).map((w) => w.pid);
    await server.close();
    await server.close(); // idempotent
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  });
});
