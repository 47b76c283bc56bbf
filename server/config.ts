import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { createSecureContext } from 'node:tls';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { TRUST_PRESETS, type TrustProxy } from './http/clientAddress.js';
import { SHED_TIMING } from './media/layerShedding.js';

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

/** An address, a subnet (address/prefix) or a proxy-addr preset. */
function trustedHop(entry: string): boolean {
  if ((TRUST_PRESETS as readonly string[]).includes(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** TONGKE_TRUST_PROXY: unset/'false' → trust none; '1'..'10' → that many hops; else a list. */
const trustProxy = z
  .string()
  .trim()
  .optional()
  .transform((v, ctx): TrustProxy => {
    if (v === undefined || v === '' || v === 'false') return null;
    if (v === 'true') {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: "'true' would let any client choose the address the rate limits see: give the proxy's address, subnet or hop count",
      });
      return z.NEVER;
    }
    if (/^\d+$/.test(v)) {
      const hops = Number(v);
      if (hops >= 1 && hops <= 10) return hops;
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'a hop count must be 1 to 10' });
      return z.NEVER;
    }
    const list = v.split(',').map((e) => e.trim());
    const bad = list.filter((e) => !trustedHop(e));
    if (bad.length > 0) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `not an address, subnet or preset (${TRUST_PRESETS.join(', ')}): ${bad.join(', ')}`,
      });
      return z.NEVER;
    }
    return list;
  });

/**
 * TONGKE_TURN_URLS: comma-separated TURN URLs as browsers take them, e.g.
 * `turn:turn.example.cn:443?transport=tcp,turns:turn.example.cn:443?transport=tcp`.
 */
const TURN_URL = /^turns?:(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?(\?transport=(udp|tcp))?$/;
const turnUrls = z
  .string()
  .trim()
  .optional()
  .transform((v, ctx): string[] => {
    if (v === undefined || v === '') return [];
    const list = v.split(',').map((u) => u.trim());
    const bad = list.filter((u) => !TURN_URL.test(u));
    if (bad.length > 0) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `not a turn: or turns: URL (host[:port][?transport=udp|tcp]): ${bad.join(', ')}` });
      return z.NEVER;
    }
    return list;
  });

/** Every setting comes from the environment and is parsed here, once, at boot. */
const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  TONGKE_HOST: z.string().ip().or(z.literal('localhost')).default('0.0.0.0'),
  TONGKE_PORT: port.default(3000),
  /** Public base URL printed in the demo links; defaults to http://<announced ip>:<port>. */
  TONGKE_PUBLIC_URL: z.string().url().optional(),
  /**
   * HTTPS: a PEM certificate (chain) and its key. Browsers give a page the camera and
   * microphone only in a secure context, so the teacher's and classrooms' pages need HTTPS
   * (here, or at a reverse proxy in front) unless opened on the server itself.
   */
  TONGKE_TLS_CERT_FILE: z.string().min(1).optional(),
  TONGKE_TLS_KEY_FILE: z.string().min(1).optional(),
  /** Behind a reverse proxy: which hops may report the client's address (X-Forwarded-For). */
  TONGKE_TRUST_PROXY: trustProxy,
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
  /** Or a file holding it (Docker/systemd secrets): the file wins over the variable. */
  TONGKE_TOKEN_SECRET_FILE: z.string().min(1).optional(),
  /** How long a login session lasts, in hours. */
  TONGKE_SESSION_HOURS: z.coerce.number().int().min(1).max(24 * 30).default(12),
  /** Failed logins in a row that lock an account, and for how long. */
  TONGKE_LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(100).default(5),
  TONGKE_LOGIN_LOCK_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(15),
  /** How long a classroom device's one-time enrolment code stays valid. */
  TONGKE_ENROL_CODE_MINUTES: z.coerce.number().int().min(1).max(7 * 24 * 60).default(30),
  /** A socket token for a lesson expires this long after the lesson's planned end. */
  TONGKE_SOCKET_TOKEN_MARGIN_MINUTES: z.coerce.number().int().min(0).max(24 * 60).default(30),
  /** Per-IP token buckets: the whole HTTP API, login attempts, Socket.IO handshakes. */
  TONGKE_HTTP_RATE_PER_SECOND: z.coerce.number().min(0.1).max(100_000).default(50),
  TONGKE_HTTP_RATE_BURST: z.coerce.number().int().min(1).max(1_000_000).default(500),
  TONGKE_LOGIN_RATE_PER_MINUTE: z.coerce.number().min(0.1).max(100_000).default(20),
  TONGKE_HANDSHAKE_RATE_PER_SECOND: z.coerce.number().min(0.1).max(100_000).default(50),
  TONGKE_HANDSHAKE_RATE_BURST: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  /** How long demo links stay valid, in hours. */
  TONGKE_DEMO_TOKEN_TTL_HOURS: z.coerce.number().int().min(1).max(24 * 30).default(12),
  /** Seed the demo community and lesson at start-up (idempotent). */
  TONGKE_DEMO: z.enum(['0', '1']).default('1').transform((v) => v === '1'),
  /**
   * Consumers one worker carries before new classrooms are placed on another: 200 classrooms
   * (video + audio), where forwarding p99 stays near 10 ms and browser classrooms' congestion
   * control still leaves headroom on one core (README "Benchmarks").
   */
  TONGKE_WORKER_CONSUMER_BUDGET: z.coerce.number().int().min(1).max(100_000).default(400),
  /**
   * The same for a worker that also receives a teacher's uplink (or an on-stage classroom's);
   * unset, TONGKE_WORKER_CONSUMER_BUDGET. A lower one keeps that worker lighter. It was 100
   * classrooms while the worker's feedback stamped packets when it read them: beside 150–300
   * bulk classrooms the teacher's estimate then fell in 7 of 8 windows. With the kernel's
   * receive time (scripts/patch-worker-kernel-arrival.py) it held in 8 of 8, up to 300
   * classrooms at 80% of the core (scripts/bench-uplink, README "The teacher's uplink beside a
   * busy worker").
   */
  TONGKE_UPLINK_WORKER_CONSUMER_BUDGET: z.coerce.number().int().min(1).max(100_000).optional(),
  /**
   * Share of its core (percent, smoothed over a few seconds) at which a worker takes no new
   * classrooms while another worker has room; 100 places by consumer count alone. Near its limit
   * a worker's forwarding p99 grows from under 10 ms to 24–108 ms and joins beside it slow down
   * (README "Benchmarks"); on a slower host or with costlier classrooms it gets there under its
   * consumer budget, which this catches.
   */
  TONGKE_WORKER_CPU_BUSY_PERCENT: z.coerce.number().int().min(10).max(100).default(75),
  /**
   * Share of its core at which a worker caps the simulcast layer of the classrooms already on it
   * (640 px, then 320 px) until it has room again; 100 never does. Past ~85% every classroom on
   * the worker starts losing packets (bench-fanout: 0.28% at 87%, 15.6% at 98.5%); sharpness is
   * the cheaper thing to give up. The CPU figure is smoothed and a switch waits for a key frame,
   * so the line must leave room for the seconds that takes.
   * Not under the busy line: new classrooms should go elsewhere before anyone is capped.
   */
  TONGKE_WORKER_CPU_SHED_PERCENT: z.coerce.number().int().min(10).max(100).default(85),
  /** Seconds a classroom's media may stay disconnected before the server drops its state. */
  TONGKE_MEDIA_GRACE_SECONDS: z.coerce.number().int().min(1).max(600).default(30),
  /**
   * Seconds a page's transports may all stay unconnected before its media counts as blocked
   * (the teacher's wall marks the classroom, the log records it); the page says so after 12 s.
   */
  TONGKE_MEDIA_UNREACHABLE_SECONDS: z.coerce.number().int().min(1).max(600).default(12),
  /**
   * Seconds a page whose signalling dropped keeps its media and its place in the lesson while its
   * media still flows, waiting for the page to reconnect; 0 lets it go at once.
   */
  TONGKE_SIGNAL_GRACE_SECONDS: z.coerce.number().int().min(0).max(600).default(60),
  /** Within that grace, seconds without a byte from the page's media before it counts as gone. */
  TONGKE_SIGNAL_SILENCE_SECONDS: z.coerce.number().int().min(1).max(600).default(10),
  /**
   * A TURN relay (coturn, `use-auth-secret`) for schools whose firewall lets only a port such
   * as 443 through: its URLs, the `static-auth-secret` it shares with us (or a file holding
   * it), and how long the credentials handed to a page stay valid.
   */
  TONGKE_TURN_URLS: turnUrls,
  TONGKE_TURN_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  TONGKE_TURN_SECRET_FILE: z.string().min(1).optional(),
  TONGKE_TURN_TTL_HOURS: z.coerce.number().int().min(1).max(48).default(12),
  /** How many classrooms the teacher may bring on stage at once. */
  TONGKE_MAX_ON_STAGE: z.coerce.number().int().min(1).max(8).default(2),
  /** Days a finished recording (录播) is kept before the daily purge deletes it; 0 keeps them. */
  TONGKE_RECORDING_RETENTION_DAYS: z.coerce.number().int().min(0).max(36_500).default(0),
  /** The ffmpeg that writes recordings (a name on PATH, or a path). */
  TONGKE_FFMPEG: z.string().min(1).default('ffmpeg'),
  /**
   * Free space (MB) the data dir's disk must keep: below it a recording does not start, and one
   * running stops with its file finished, so the lesson log never meets a full disk. 0 turns the
   * guard off.
   */
  TONGKE_RECORDING_MIN_FREE_MB: z.coerce.number().int().min(0).max(10_000_000).default(2048),
  /** Days a question's text is kept before the daily purge deletes it (the counts stay). */
  TONGKE_QUESTION_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  MEDIASOUP_WORKER_BIN: executable,
});

export type Config = ReturnType<typeof toConfig>;

function toConfig(env: z.infer<typeof envSchema>) {
  const rtcPort = env.TONGKE_RTC_PORT;
  return {
    env: env.NODE_ENV,
    http: {
      host: env.TONGKE_HOST,
      port: env.TONGKE_PORT,
      publicUrl: env.TONGKE_PUBLIC_URL,
      /** Filled in by loadConfig from the two files. */
      tls: null as { cert: Buffer; key: Buffer } | null,
      trustProxy: env.TONGKE_TRUST_PROXY,
    },
    media: {
      workerBin: env.MEDIASOUP_WORKER_BIN,
      numWorkers: env.TONGKE_NUM_WORKERS,
      listenIp: env.TONGKE_RTC_LISTEN_IP,
      announcedIp: env.TONGKE_ANNOUNCED_IP,
      /** null: let each worker pick free ports (tests). */
      rtcPort: rtcPort === 0 ? null : rtcPort,
      consumerBudget: env.TONGKE_WORKER_CONSUMER_BUDGET,
      uplinkConsumerBudget: env.TONGKE_UPLINK_WORKER_CONSUMER_BUDGET,
      cpuBusyPct: env.TONGKE_WORKER_CPU_BUSY_PERCENT,
      cpuShedPct: env.TONGKE_WORKER_CPU_SHED_PERCENT,
      /** How long load shedding waits for a step's effect and holds a step; tests shorten it. */
      shedTiming: SHED_TIMING,
      disconnectGraceMs: env.TONGKE_MEDIA_GRACE_SECONDS * 1000,
      unreachableMs: env.TONGKE_MEDIA_UNREACHABLE_SECONDS * 1000,
      /** null: no TURN relay; pages reach the media ports directly or not at all. */
      turn:
        env.TONGKE_TURN_URLS.length > 0 && env.TONGKE_TURN_SECRET
          ? { urls: env.TONGKE_TURN_URLS, secret: env.TONGKE_TURN_SECRET, ttlSeconds: env.TONGKE_TURN_TTL_HOURS * 3600 }
          : null,
    },
    dataDir: path.resolve(env.TONGKE_DATA_DIR),
    lessons: { maxOnStage: env.TONGKE_MAX_ON_STAGE },
    realtime: {
      linger: {
        graceMs: env.TONGKE_SIGNAL_GRACE_SECONDS * 1000,
        silenceMs: Math.min(env.TONGKE_SIGNAL_SILENCE_SECONDS, env.TONGKE_SIGNAL_GRACE_SECONDS) * 1000,
        checkEveryMs: Math.min(2000, env.TONGKE_SIGNAL_SILENCE_SECONDS * 500),
      },
    },
    logLevel: env.TONGKE_LOG_LEVEL,
    tokenSecret: env.TONGKE_TOKEN_SECRET ?? null,
    auth: {
      sessionMs: env.TONGKE_SESSION_HOURS * 3600_000,
      maxFailures: env.TONGKE_LOGIN_MAX_FAILURES,
      lockMs: env.TONGKE_LOGIN_LOCK_MINUTES * 60_000,
      enrolCodeMs: env.TONGKE_ENROL_CODE_MINUTES * 60_000,
      socketTokenMarginMs: env.TONGKE_SOCKET_TOKEN_MARGIN_MINUTES * 60_000,
    },
    rateLimits: {
      http: { perSecond: env.TONGKE_HTTP_RATE_PER_SECOND, burst: env.TONGKE_HTTP_RATE_BURST },
      login: { perSecond: env.TONGKE_LOGIN_RATE_PER_MINUTE / 60, burst: Math.max(1, Math.ceil(env.TONGKE_LOGIN_RATE_PER_MINUTE)) },
      handshake: { perSecond: env.TONGKE_HANDSHAKE_RATE_PER_SECOND, burst: env.TONGKE_HANDSHAKE_RATE_BURST },
    },
    demo: { enabled: env.TONGKE_DEMO, tokenTtlHours: env.TONGKE_DEMO_TOKEN_TTL_HOURS },
    privacy: { questionRetentionDays: env.TONGKE_QUESTION_RETENTION_DAYS },
    recordings: {
      retentionDays: env.TONGKE_RECORDING_RETENTION_DAYS,
      ffmpeg: env.TONGKE_FFMPEG,
      minFreeBytes: env.TONGKE_RECORDING_MIN_FREE_MB * 1024 * 1024,
    },
  };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** A secret file's content, trimmed; a missing or short file refuses to start. */
function readSecretFile(name: string, file: string, minLength: number): string {
  let secret: string;
  try {
    secret = readFileSync(file, 'utf8').trim();
  } catch {
    throw new ConfigError(`Invalid configuration:\n  ${name}: cannot read ${file}`);
  }
  if (secret.length < minLength) {
    throw new ConfigError(`Invalid configuration:\n  ${name}: must hold at least ${minLength} characters`);
  }
  return secret;
}

/** Both files or neither; each readable, and the key must belong to the certificate. */
function readTls(certFile: string | undefined, keyFile: string | undefined): { cert: Buffer; key: Buffer } | null {
  if (!certFile && !keyFile) return null;
  if (!certFile || !keyFile) {
    const missing = certFile ? 'TONGKE_TLS_KEY_FILE' : 'TONGKE_TLS_CERT_FILE';
    throw new ConfigError(`Invalid configuration:\n  ${missing}: is required with ${certFile ? 'TONGKE_TLS_CERT_FILE' : 'TONGKE_TLS_KEY_FILE'}`);
  }
  const read = (name: string, file: string) => {
    try {
      return readFileSync(file);
    } catch {
      throw new ConfigError(`Invalid configuration:\n  ${name}: cannot read ${file}`);
    }
  };
  const tls = { cert: read('TONGKE_TLS_CERT_FILE', certFile), key: read('TONGKE_TLS_KEY_FILE', keyFile) };
  try {
    createSecureContext(tls);
  } catch (err) {
    throw new ConfigError(`Invalid configuration:\n  TONGKE_TLS_CERT_FILE/TONGKE_TLS_KEY_FILE: ${(err as Error).message}`);
  }
  return tls;
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
  if (parsed.data.TONGKE_TOKEN_SECRET_FILE) {
    parsed.data.TONGKE_TOKEN_SECRET = readSecretFile('TONGKE_TOKEN_SECRET_FILE', parsed.data.TONGKE_TOKEN_SECRET_FILE, 32);
  }
  if (parsed.data.TONGKE_TURN_SECRET_FILE) {
    parsed.data.TONGKE_TURN_SECRET = readSecretFile('TONGKE_TURN_SECRET_FILE', parsed.data.TONGKE_TURN_SECRET_FILE, 16);
  }
  // A relay without its secret (or the reverse) would hand out credentials nobody accepts.
  if ((parsed.data.TONGKE_TURN_URLS.length > 0) !== (parsed.data.TONGKE_TURN_SECRET !== undefined)) {
    const missing = parsed.data.TONGKE_TURN_SECRET === undefined ? 'TONGKE_TURN_SECRET' : 'TONGKE_TURN_URLS';
    throw new ConfigError(`Invalid configuration:\n  ${missing}: TONGKE_TURN_URLS and TONGKE_TURN_SECRET (or _FILE) go together`);
  }
  const { TONGKE_WORKER_CPU_BUSY_PERCENT: busyPct, TONGKE_WORKER_CPU_SHED_PERCENT: shedPct } = parsed.data;
  if (busyPct < 100 && shedPct < busyPct) {
    throw new ConfigError(
      `Invalid configuration:\n  TONGKE_WORKER_CPU_SHED_PERCENT: ${shedPct} is under TONGKE_WORKER_CPU_BUSY_PERCENT (${busyPct}); classrooms would be capped before new ones went elsewhere`,
    );
  }
  if (parsed.data.NODE_ENV === 'production' && !parsed.data.TONGKE_TOKEN_SECRET) {
    throw new ConfigError(
      'Invalid configuration:\n  TONGKE_TOKEN_SECRET: is required when NODE_ENV=production (or TONGKE_TOKEN_SECRET_FILE)',
    );
  }
  const config = toConfig(parsed.data);
  config.http.tls = readTls(parsed.data.TONGKE_TLS_CERT_FILE, parsed.data.TONGKE_TLS_KEY_FILE);
  if (config.media.rtcPort !== null && config.media.rtcPort + config.media.numWorkers - 1 > 65535) {
    throw new ConfigError('Invalid configuration:\n  TONGKE_RTC_PORT: too high for the number of workers');
  }
  return config;
}
