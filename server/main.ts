import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { DEMO, seedDemo } from './store/demoSeed.js';
import { startTongke, type TongkeServer } from './tongkeServer.js';

/** Prints the demo links: a person copies them into Chromium, one per role and classroom. */
async function printDemoLinks(server: Awaited<ReturnType<typeof startTongke>>): Promise<void> {
  const lesson = seedDemo(server.store);
  const ttl = server.config.demo.tokenTtlHours * 3600;
  const lines = [
    '',
    `同课 Tongke is running at ${server.url}`,
    `Demo lesson: ${lesson.title} (${lesson.id})`,
    '',
    `主讲教师 Master teacher:\n  ${await server.link('teacher', { role: 'teacher', lessonId: lesson.id, name: lesson.teacherName }, ttl)}`,
  ];
  for (const c of DEMO.receivingClassrooms) {
    const school = DEMO.ruralSchools.find((s) => s.id === c.schoolId)?.name ?? '';
    const link = await server.link('classroom', { role: 'assistant', lessonId: lesson.id, classroomId: c.id }, ttl);
    lines.push(`听讲课堂 Receiving classroom — ${school} ${c.name}:\n  ${link}`);
  }
  lines.push(`管理员 Administrator:\n  ${await server.link('admin', { role: 'admin', name: '管理员' }, ttl)}`);
  lines.push('', `Links are valid for ${server.config.demo.tokenTtlHours} h. Stop with Ctrl+C.`, '');
  process.stdout.write(lines.join('\n') + '\n');
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  // Signal handlers first: a SIGTERM that arrives while the server is still starting (or
  // printing its links) must still shut down in order, not kill the process mid-way.
  let server: TongkeServer | null = null;
  let startFailed = false;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    void (async () => {
      // Still starting: wait for it, so workers and the database close properly.
      while (!server && !startFailed) await new Promise((r) => setTimeout(r, 20));
      await server?.close();
    })().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  try {
    server = await startTongke(config, log);
  } catch (err) {
    startFailed = true;
    throw err;
  }
  if (config.demo.enabled && !stopping) await printDemoLinks(server);
}

main().catch((err: unknown) => {
  process.stderr.write(`Tongke failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
