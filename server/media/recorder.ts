import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { types } from 'mediasoup';
import type { Logger } from '../logger.js';
import { fileSize } from '../store/recordingStore.js';

const LOOPBACK = '127.0.0.1';
/** ffmpeg opens its RTP sockets a moment after it starts: media sent before that is lost. */
const FFMPEG_LISTEN_MS = 800;
/** A picture starts at a key frame: asked for until the file has one (mediasoup asks once on resume). */
const KEY_FRAME_EVERY_MS = 700;
const KEY_FRAME_TRIES = 5;
/** ffmpeg finishing the file (cues, duration) after it is told to stop. */
const SECOND_SIGNAL_MS = 1000;
const FINISH_MS = 5000;

/** Two free UDP ports on loopback, RTP on an even one and RTCP on the next (what ffmpeg expects). */
async function freePortPair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20000 + 2 * Math.floor(Math.random() * 5000);
    const sockets = [createSocket('udp4'), createSocket('udp4')];
    const bound = await Promise.all(
      sockets.map(
        (s, k) =>
          new Promise<boolean>((resolve) => {
            s.once('error', () => resolve(false));
            s.bind(port + k, LOOPBACK, () => resolve(true));
          }),
      ),
    );
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    if (bound.every(Boolean)) return port;
  }
  throw new Error('no free UDP port pair on loopback for the recorder');
}

interface Track {
  transport: types.PlainTransport;
  consumer: types.Consumer;
  port: number;
}

/** The SDP that tells ffmpeg what arrives on which port: one m= line per consumer. */
function sdpFor(tracks: Track[]): string {
  const lines = ['v=0', `o=- 0 0 IN IP4 ${LOOPBACK}`, 's=tongke recording', `c=IN IP4 ${LOOPBACK}`, 't=0 0'];
  for (const { consumer, port } of tracks) {
    const codec = consumer.rtpParameters.codecs[0]!;
    const name = codec.mimeType.split('/')[1]!;
    const channels = codec.channels && codec.channels > 1 ? `/${codec.channels}` : '';
    lines.push(`m=${consumer.kind} ${port} RTP/AVP ${codec.payloadType}`, `a=rtpmap:${codec.payloadType} ${name}/${codec.clockRate}${channels}`, 'a=sendonly');
  }
  return `${lines.join('\r\n')}\r\n`;
}

export type SegmentEnd = 'stopped' | 'source-closed' | 'failed';

/**
 * One recorded segment of a teacher's camera and microphone: each is consumed on a
 * PlainTransport of the producer's own router and sent over loopback to ffmpeg, which writes
 * them, as they are (VP8 and Opus, no transcoding, so the worker core and this one stay free),
 * into a WebM file. The segment ends when it is stopped, when one of its sources closes (the
 * teacher published anew, a worker died), or when ffmpeg fails; `ended` says which.
 */
export class SegmentRecorder {
  private ending: Promise<void> | null = null;
  private settle!: (why: SegmentEnd) => void;
  /**
   * Resolves once the segment has ended, with why. A promise, not an event: ffmpeg may fail
   * before whoever started the segment has it in hand, and nobody may miss that.
   */
  readonly ended = new Promise<SegmentEnd>((resolve) => (this.settle = resolve));
  /** The end of what ffmpeg said, for the log. */
  private stderr = '';
  private why: SegmentEnd | null = null;
  /** Resolves once ffmpeg is gone: it exited, or it never started (not installed). */
  private readonly gone: Promise<void>;

  private constructor(
    readonly file: string,
    private readonly tracks: Track[],
    private readonly ffmpeg: ChildProcess,
    private readonly log: Logger,
  ) {
    this.gone = new Promise((resolve) => {
      ffmpeg.once('exit', () => resolve());
      ffmpeg.once('error', () => resolve());
    });
  }

  /** `ffmpeg`: the program to run (TONGKE_FFMPEG). */
  static async start(
    router: types.Router,
    producers: types.Producer[],
    file: string,
    log: Logger,
    ffmpegPath = 'ffmpeg',
  ): Promise<SegmentRecorder> {
    if (producers.length === 0) throw new Error('nothing to record');
    const tracks: Track[] = [];
    try {
      for (const producer of producers) {
        const port = await freePortPair();
        const transport = await router.createPlainTransport({ listenIp: { ip: LOOPBACK }, rtcpMux: false, comedia: false });
        await transport.connect({ ip: LOOPBACK, port, rtcpPort: port + 1 });
        const consumer = await transport.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities, paused: true });
        // The widest layer the teacher sends: the recording is watched later, on any screen.
        if (consumer.type === 'simulcast') await consumer.setPreferredLayers({ spatialLayer: 2, temporalLayer: 2 });
        tracks.push({ transport, consumer, port });
      }
    } catch (err) {
      for (const t of tracks) t.transport.close();
      throw err;
    }
    const ffmpeg = spawn(
      ffmpegPath,
      [
        ...['-hide_banner', '-loglevel', process.env.TONGKE_RECORDER_LOGLEVEL ?? 'error', '-protocol_whitelist', 'pipe,udp,rtp', '-fflags', '+genpts'],
        // ffmpeg waits for a key frame to learn the picture's size (the teacher's encoder sends
        // one within a second or two of being asked, its requests throttled); it stops waiting
        // as soon as it has one, and gives up after this long (the segment is then retried).
        ...['-analyzeduration', '4000000', '-probesize', '5000000'],
        ...['-f', 'sdp', '-i', 'pipe:0', '-map', '0', '-c', 'copy'],
        // Each packet reaches the file as it comes: a process that dies leaves all but the end.
        ...['-flush_packets', '1', '-f', 'webm', '-y', file],
      ],
      { stdio: ['pipe', 'ignore', 'pipe'] },
    );
    // An ffmpeg that failed to start (or quit early) breaks its pipe: that is reported below.
    ffmpeg.stdin?.on('error', () => {});
    ffmpeg.stdin?.end(sdpFor(tracks));
    const recorder = new SegmentRecorder(file, tracks, ffmpeg, log);
    ffmpeg.stderr?.on('data', (d: Buffer) => (recorder.stderr = (recorder.stderr + d.toString()).slice(-4000)));
    ffmpeg.once('exit', (code, signal) => {
      if (recorder.why === null) log.warn({ code, signal, ffmpeg: recorder.stderr }, 'recording: ffmpeg stopped by itself');
      void recorder.finish('failed');
    });
    // Not installed, or not runnable: no 'exit' follows.
    ffmpeg.once('error', (err) => {
      log.error({ err, ffmpeg: ffmpegPath }, 'recording: ffmpeg could not start');
      void recorder.finish('failed');
    });
    for (const t of tracks) t.consumer.observer.once('close', () => recorder.finish('source-closed'));
    await new Promise((r) => setTimeout(r, FFMPEG_LISTEN_MS));
    for (const t of tracks) await t.consumer.resume().catch(() => {});
    void recorder.askForKeyFrames();
    return recorder;
  }

  private async askForKeyFrames(): Promise<void> {
    const video = this.tracks.find((t) => t.consumer.kind === 'video')?.consumer;
    // No way to see from here when ffmpeg has its first key frame: ask a few times (cheap: one
    // key frame from the teacher's encoder each, throttled there like the classrooms' requests).
    for (let i = 0; i < KEY_FRAME_TRIES && video && !video.closed && this.why === null; i++) {
      await new Promise((r) => setTimeout(r, KEY_FRAME_EVERY_MS));
      await video.requestKeyFrame().catch(() => {});
    }
  }

  /** What ffmpeg has written so far. */
  bytes(): number {
    return fileSize(this.file);
  }

  /** Ends the segment: ffmpeg is asked to finish the file (SIGINT), and killed if it does not. */
  stop(): Promise<void> {
    return this.finish('stopped');
  }

  private finish(why: SegmentEnd): Promise<void> {
    if (this.ending) return this.ending;
    this.why = why;
    // Closing the transports closes the consumers, which calls here again: by then `ending` is
    // set (the first await comes before anything closes).
    this.ending = (async () => {
      await Promise.resolve();
      // A process that never started (pid undefined) gets no signal: it would never answer.
      if (this.ffmpeg.pid !== undefined && this.ffmpeg.exitCode === null && this.ffmpeg.signalCode === null) {
        // ffmpeg acts on one SIGINT between two packets, so it goes while media still flows; a
        // second one interrupts a read that waits for media that no longer comes (a source
        // closed). Either way it writes the file's end (cues, duration). A third would not.
        this.ffmpeg.kill('SIGINT');
        const again = setTimeout(() => this.ffmpeg.kill('SIGINT'), SECOND_SIGNAL_MS);
        const kill = setTimeout(() => this.ffmpeg.kill('SIGKILL'), FINISH_MS);
        await this.gone;
        clearTimeout(again);
        clearTimeout(kill);
      }
      for (const t of this.tracks) t.transport.close();
      this.log.info({ file: this.file, why, bytes: this.bytes(), ffmpeg: this.stderr.slice(-1500) }, 'recording segment ended');
      this.settle(why);
    })();
    return this.ending;
  }
}
