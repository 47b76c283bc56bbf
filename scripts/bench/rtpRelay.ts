import dgram from 'node:dgram';
import { onCleanup } from './cleanup.js';

/**
 * ffmpeg sends each RTP output from its own socket, but a simulcast producer's encodings
 * must all arrive on one PlainTransport from one address (comedia locks onto the first).
 * The relay gives ffmpeg one RTP/RTCP port pair per layer and forwards everything from a
 * single RTP socket and a single RTCP socket. A few hundred packets a second: negligible.
 */
export interface RelayInput {
  rtpPort: number;
  rtcpPort: number;
}

const bind = (): Promise<dgram.Socket> =>
  new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      s.off('error', reject);
      resolve(s);
    });
  });

export async function startRtpRelay(target: { rtpPort: number; rtcpPort: number }, inputs: number): Promise<RelayInput[]> {
  const rtpOut = await bind();
  const rtcpOut = await bind();
  const sockets = [rtpOut, rtcpOut];
  onCleanup('rtp relay', () => sockets.forEach((s) => s.close()));
  const result: RelayInput[] = [];
  for (let i = 0; i < inputs; i++) {
    const rtpIn = await bind();
    const rtcpIn = await bind();
    sockets.push(rtpIn, rtcpIn);
    rtpIn.on('message', (msg) => rtpOut.send(msg, target.rtpPort, '127.0.0.1'));
    rtcpIn.on('message', (msg) => rtcpOut.send(msg, target.rtcpPort, '127.0.0.1'));
    result.push({ rtpPort: rtpIn.address().port, rtcpPort: rtcpIn.address().port });
  }
  return result;
}
