import { z } from 'zod';
import { intListFlag, parseFlagsWith } from './cli.js';
import { CAMERA_SIMULCAST } from '../../client/lib/media.js';
import { BROWSER_SRTP_SUITE, CONGESTION_CONTROL, SRTP_SUITES } from './receivers.js';

/** The teacher page's top simulcast layer (client/lib/media.ts), so the bench sends what classrooms get. */
const TOP_LAYER_KBPS = Math.round((CAMERA_SIMULCAST.at(-1)?.maxBitrate ?? 1_800_000) / 1000);

/** The hard cap on one run: beyond it the generator's own sockets start to distort the figures. */
export const MAX_CLASSROOMS = 1000;

/** Dense where one core is expected to saturate on a small VM, then coarse up to the cap. */
const DEFAULT_STEPS = '25,50,100,150,200,225,250,275,300,325,350,400,450,500,600,700,800,900,1000';

/** Simulcast layers (CAMERA_SIMULCAST indices) the frame latency is measured at, in order. */
const latencyLayersSchema = intListFlag(0, CAMERA_SIMULCAST.length - 1).refine((a) => new Set(a).size === a.length, 'latency layers must not repeat');

const stepsSchema = intListFlag(1, MAX_CLASSROOMS).refine((a) => a.every((n, i) => i === 0 || n > a[i - 1]!), 'steps must be strictly increasing');

const flagsSchema = z
  .object({
    steps: stepsSchema.default(DEFAULT_STEPS),
    'hold-s': z.coerce.number().min(2).max(120).default(10),
    /** After a step's consumers exist: at least one key-frame interval (2 s) so video flows everywhere. */
    'settle-s': z.coerce.number().min(0).max(30).default(3),
    'profile-s': z.coerce.number().min(0).max(30).default(4),
    'sample-readers': z.coerce.number().int().min(1).max(50).default(10),
    /** Of the sampled readers, how many receive without SRTP so forwarding latency can be measured. */
    'latency-readers': z.coerce.number().int().min(0).max(50).default(3),
    'cpu-stop': z.coerce.number().min(1).max(100).default(85),
    'slow-retries': z.coerce.number().int().min(0).max(5).default(2),
    'slow-wait-s': z.coerce.number().int().min(0).max(600).default(120),
    'loss-stop': z.coerce.number().min(0).max(100).default(1),
    egress: z.enum(['loopback', 'tun']).default('loopback'),
    'bulk-transport': z.enum(['plain', 'webrtc']).default('webrtc'),
    'srtp-suite': z.enum(SRTP_SUITES).default(BROWSER_SRTP_SUITE),
    'congestion-control': z.enum(CONGESTION_CONTROL).default('none'),
    'spatial-layer': z.coerce.number().int().min(0).max(2).default(2),
    'shed-pct': z.coerce.number().int().min(10).max(100).default(100),
    'field-trials': z.enum(['tongke', 'mediasoup']).default('tongke'),
    'plain-rtp': z.boolean().default(false),
    publisher: z.enum(['simulcast', 'single']).default('simulcast'),
    'video-kbps': z.coerce.number().int().min(100).max(8000).default(TOP_LAYER_KBPS),
    'join-classrooms': z.coerce.number().int().min(0).max(500).default(100),
    'join-rate': z.coerce.number().min(1).max(200).default(20),
    'real-receivers': z.coerce.number().int().min(0).max(10).default(3),
    'loaded-classrooms': z.union([z.literal('auto'), z.coerce.number().int().min(0).max(MAX_CLASSROOMS)]).default('auto'),
    'real-joins': z.coerce.number().int().min(0).max(100).default(20),
    'join-rtt-ms': z.coerce.number().int().min(0).max(2000).default(0),
    'join-processes': z.coerce.number().int().min(0).max(20).default(4),
    'latency-seconds': z.coerce.number().min(3).max(120).default(15),
    'latency-layers': latencyLayersSchema.default('2,0'),
    out: z.string().min(1).default('bench/results'),
    'log-level': z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'silent']).default('warn'),
    help: z.boolean().default(false),
  })
  .strict();

export type Flags = z.infer<typeof flagsSchema>;

export const USAGE = `usage: scripts/bench-fanout [flags]
  --steps LIST          classrooms per step, increasing, each ≤ ${MAX_CLASSROOMS} (default ${DEFAULT_STEPS})
  --hold-s N            seconds each step is measured (default 10)
  --settle-s N          seconds between creating a step's classrooms and measuring (default 3)
  --profile-s N         seconds of perf profile of the worker after each step's hold; 0 skips (default 4)
  --sample-readers N    classrooms whose RTP is read and checked for sequence gaps (default 10)
  --latency-readers N   of those, how many receive without SRTP so each video packet can be matched to the
                        publisher's and the worker's forwarding time measured (default 3; simulcast publisher only)
  --cpu-stop PCT        stop the ramp at this worker CPU % (default 85)
  --slow-retries N      a step whose host probe ran over 1.2× slower than the run's fastest (the host's slow state) is held
                        again once the probe reads fast, up to N times; the fastest-host hold is kept, the others are
                        recorded as set aside (default 2)
  --slow-wait-s N       how long to wait for the host to speed up before each such hold; if it does not, the step keeps
                        what it measured (default 120)
  --loss-stop PCT       stop the ramp above this sampled loss % (default 1)
  --egress WAY          loopback: bulk classrooms are unread UDP sockets on 127.0.0.1 (the kernel's receive path is charged to the worker);
                        tun (with --bulk-transport plain only): they sit behind a tun device whose queue nobody reads, like a NIC's
                        transmit ring (needs root); writes fanout-plaintransport-tun.* (default loopback)
  --bulk-transport WAY  webrtc: bulk classrooms are WebRtcTransports on the worker's WebRtcServer, as browsers' classrooms
                        are (one UDP socket for all; ICE and DTLS-SRTP done by scripts/bench/icedtls.c, which also counts
                        the sampled ones' packets); only the --latency-readers are PlainTransports (plain RTP, read here);
                        plain: every bulk classroom is a PlainTransport with SRTP keyed by us, one UDP socket each on the
                        worker's side (the design before 2026-12-04), writes fanout-plaintransport*.* (default webrtc)
  --srtp-suite NAME     bulk receivers' SRTP suite: ${SRTP_SUITES.join(', ')} (default ${BROWSER_SRTP_SUITE}, what Chromium negotiates)
  --congestion-control WAY  none: bulk classrooms negotiate no congestion control; transport-cc: they negotiate it as
                        browsers do, so the worker keeps its per-packet send-side history, but they send no
                        feedback (the estimate stays at its start, simulcast consumers low); transport-cc-feedback: every
                        classroom reads its packets and answers with transport-cc feedback every 100 ms, as a browser
                        does (plain RTP) (default none)
  --spatial-layer N     the simulcast layer bulk classrooms ask for, 0–2 (default 2, the top one)
  --shed-pct PCT        load shedding as the server does it (TONGKE_WORKER_CPU_SHED_PERCENT): at this worker CPU the
                        bulk classrooms are capped at 640 px, then 320 px, and lifted once there is room; each step
                        records the cap at its end. Give --settle-s ≥ 8 so a step's cap settles before its hold
                        (default 100: off)
  --field-trials WHICH  the worker's libwebrtc field trials: tongke (the server's, LIBWEBRTC_FIELD_TRIALS) or
                        mediasoup (its default) (default tongke)
  --plain-rtp           bulk classrooms receive plain RTP, no SRTP (transport-cc-feedback always does; this gives its baseline)
  --publisher SHAPE     simulcast: the teacher page's 3 VP8 layers, classrooms on the top one; single: one 720p layer (default simulcast)
  --video-kbps N        top layer's bitrate when the test clip is first encoded (default ${TOP_LAYER_KBPS}, the teacher page's maxBitrate)
  --join-classrooms N   classrooms joining through the production signalling path; 0 skips (default 100)
  --join-rate N         joins started per second, both join phases (default 20)
  --real-receivers N    WebRTC classrooms (mediasoup-client on @roamhq/wrtc) kept playing; 0 skips the WebRTC phase (default 3)
  --loaded-classrooms N|auto  bulk classrooms the worker keeps serving during the WebRTC phase; auto = the ramp's classroomsPerCore (default auto)
  --real-joins N        WebRTC classrooms timed from connect to first decoded frame (default 20)
  --join-rtt-ms N       those joins' signalling goes through a proxy adding N ms of round trip (a rural link's; media is not delayed) (default 0)
  --join-processes N    those joins run in N processes of their own (as each classroom has its own PC), each warmed by one
                        join first; 0 runs them in this process, beside the server and the teacher (default 4)
  --latency-seconds N   seconds of frame-latency sampling, SFU and direct baseline (default 15)
  --latency-layers L,L  the teacher's simulcast layers (0 = 320 px, 1 = 640, 2 = 1280) the frame latency is measured at, one after
                        the other; the first is the headline (default 2,0: the top layer, then the smallest, where this host's
                        own noise is least)
  --out DIR             where fanout.json/.md/.svg go (default bench/results)
  --log-level LEVEL     server log level (default warn)`;

/** WebRTC bulk classrooms are unread sockets of the far ends' process, encrypted as DTLS agreed. */
function bulkTransportClash(f: Flags): string | null {
  if (f['bulk-transport'] !== 'webrtc') return null;
  const clash = [
    f.egress === 'tun' && '--egress tun',
    f['plain-rtp'] && '--plain-rtp',
    f['congestion-control'] === 'transport-cc-feedback' && '--congestion-control transport-cc-feedback',
    f['srtp-suite'] !== BROWSER_SRTP_SUITE && `--srtp-suite ${f['srtp-suite']}`,
  ].filter(Boolean);
  return clash.length ? `--bulk-transport webrtc cannot go with ${clash.join(', ')}` : null;
}

export function parseFlags(argv: string[]): Flags {
  return parseFlagsWith(flagsSchema, argv, USAGE, ['plain-rtp'], bulkTransportClash);
}
