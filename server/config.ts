import { accessSync, constants, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const executable = z.string().refine(
  (p) => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  },
  { message: 'is not an executable file (run scripts/setup to build the mediasoup worker)' },
);

/** Every setting comes from the environment and is parsed here, once, at boot. */
const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  TONGKE_HOST: z.string().ip().or(z.literal('localhost')).default('0.0.0.0'),
  TONGKE_PORT: port.default(3000),
  /** Public base URL printed in the demo links; defaults to http://<announced ip>:<port>. */
  TONGKE_PUBLIC_URL: z.string().url().optional(),
  /** The IP address browsers use to reach our media ports (the server's LAN/WAN address). */
  TONGKE_ANNOUNCED_IP: z.string().ip().default('127.0.0.1'),
  TONGKE_RTC_LISTEN_IP: z.string().ip().default('0.0.0.0'),
  /** First media port: worker i listens on UDP and TCP port RTC_PORT + i. 0 picks free ports. */
  TONGKE_RTC_PORT: port.default(40000),
  TONGKE_NUM_WORKERS: z.coerce.number().int().min(1).max(64).default(os.cpus().length),
  TONGKE_DATA_DIR: z.string().min(1).default('data'),
  TONGKE_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** HMAC secret for Socket.IO tokens. Required in production; generated in demo mode. */
  TONGKE_TOKEN_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** How long demo links stay valid, in hours. */
  TONGKE_DEMO_TOKEN_TTL_HOURS: z.coerce.number().int().min(1).max(24 * 30).default(12),
  /** Seed the demo community and lesson at start-up (idempotent). */
  TONGKE_DEMO: z.enum(['0', '1']).default('1').transform((v) => v === '1'),
  /** Consumers one worker carries before new classrooms are placed on another. */
  TONGKE_WORKER_CONSUMER_BUDGET: z.coerce.number().int().min(1).max(100_000).default(500),
  /** Seconds a classroom's media may stay disconnected before the server drops its state. */
  TONGKE_MEDIA_GRACE_SECONDS: z.coerce.number().int().min(1).max(600).default(30),
  /** How many classrooms the teacher may bring on stage at once. */
  TONGKE_MAX_ON_STAGE: z.coerce.number().int().min(1).max(8).default(2),
  /** Days a question's text is kept before the daily purge deletes it (the counts stay). */
  TONGKE_QUESTION_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  MEDIASOUP_WORKER_BIN: executable,
});

export type Config = ReturnType<typeof toConfig>;

function toConfig(env: z.infer<typeof envSchema>) {
  const rtcPort = env.TONGKE_RTC_PORT;
  return {
    env: env.NODE_ENV,
    http: { host: env.TONGKE_HOST, port: env.TONGKE_PORT, publicUrl: env.TONGKE_PUBLIC_URL },
    media: {
      workerBin: env.MEDIASOUP_WORKER_BIN,
      numWorkers: env.TONGKE_NUM_WORKERS,
      listenIp: env.TONGKE_RTC_LISTEN_IP,
      announcedIp: env.TONGKE_ANNOUNCED_IP,
      /** null: let each worker pick free ports (tests). */
      rtcPort: rtcPort === 0 ? null : rtcPort,
      consumerBudget: env.TONGKE_WORKER_CONSUMER_BUDGET,
      disconnectGraceMs: env.TONGKE_MEDIA_GRACE_SECONDS * 1000,
    },
    dataDir: path.resolve(env.TONGKE_DATA_DIR),
    lessons: { maxOnStage: env.TONGKE_MAX_ON_STAGE },
    logLevel: env.TONGKE_LOG_LEVEL,
    tokenSecret: env.TONGKE_TOKEN_SECRET ?? null,
    demo: { enabled: env.TONGKE_DEMO, tokenTtlHours: env.TONGKE_DEMO_TOKEN_TTL_HOURS },
    privacy: { questionRetentionDays: env.TONGKE_QUESTION_RETENTION_DAYS },
  };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const name = i.path.join('.');
      const message = i.code === 'invalid_type' && i.received === 'undefined' ? 'is required' : i.message;
      return `  ${name}: ${message}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  if (parsed.data.NODE_ENV === 'production' && !parsed.data.TONGKE_TOKEN_SECRET) {
    throw new ConfigError(
      'Invalid configuration:\n  TONGKE_TOKEN_SECRET: is required when NODE_ENV=production',
    );
  }
  const config = toConfig(parsed.data);
  if (config.media.rtcPort !== null && config.media.rtcPort + config.media.numWorkers - 1 > 65535) {
    throw new ConfigError('Invalid configuration:\n  TONGKE_RTC_PORT: too high for the number of workers');
  }
  return config;
}
