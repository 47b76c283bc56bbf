import { createSocket, type Socket } from 'node:dgram';
import type { types } from 'mediasoup';
import type { WorkerPool } from '../../server/media/workerPool.js';
import { audioRtpParameters } from './rtp.js';

const SSRC = 11111111;
const PT = audioRtpParameters().codecs[0]!.payloadType;

function rtp(seq: number): Buffer {
  const b = Buffer.alloc(12 + 160, 0x55);
  b[0] = 0x80;
  b[1] = PT;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE((seq * 960) >>> 0, 4);
  b.writeUInt32BE(SSRC, 8);
  return b;
}

export interface ForwardingLoad {
  /** Starts sending ~4,000 packets/s into the producer: with 40 consumers, ~160,000 sends a second on that worker's core. */
  feed(): void;
  /** Stops sending (the consumers stay). */
  pause(): void;
  close(): Promise<void>;
}

/**
 * Real work for one worker of a pool: a producer on a PlainTransport and `consumers` consumers
 * of it, each on its own PlainTransport sending to one socket nobody reads (its buffer fills and
 * the kernel drops, as for the fan-out benchmark's bulk classrooms). Placement counts the
 * consumers. Nothing is sent until feed().
 */
export async function loadOnWorker(pool: WorkerPool, index: number, consumers: number): Promise<ForwardingLoad> {
  const sockets: Socket[] = [];
  const udp = async () => {
    const s = createSocket('udp4');
    sockets.push(s);
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    return s;
  };
  const sink = await udp();
  const teacher = await udp();
  const router: types.Router = await pool.createRouterOn(pool.worker(index)!);
  const ingest = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: false });
  await ingest.connect({ ip: '127.0.0.1', port: teacher.address().port });
  const producer = await ingest.produce({ kind: 'audio', rtpParameters: audioRtpParameters(SSRC) });
  for (let i = 0; i < consumers; i++) {
    const t = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: false });
    await t.connect({ ip: '127.0.0.1', port: sink.address().port });
    pool.trackConsumer(pool.worker(index)!, await t.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities }));
  }
  let timer: NodeJS.Timeout | null = null;
  let seq = 0;
  const pause = () => {
    if (timer) clearInterval(timer);
    timer = null;
  };
  return {
    feed() {
      timer ??= setInterval(() => {
        for (let i = 0; i < 20; i++) teacher.send(rtp(seq++), ingest.tuple.localPort, '127.0.0.1');
      }, 5);
    },
    pause,
    async close() {
      pause();
      router.close();
      for (const s of sockets) s.close();
    },
  };
}
