import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { DEMO, seedDemo } from './store/demoSeed.js';
import { startTongke } from './tongkeServer.js';

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
  const server = await startTongke(config, log);
  if (config.demo.enabled) await printDemoLinks(server);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`Tongke failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
