/**
 * The latency baseline: the same synthetic camera track sent over a direct wrtc-to-wrtc
 * peer connection on this host (no SFU), VP8 only, at the size and cap of `encoding` and with
 * the page's start bitrate, as the SFU path's sender has, received by a stamp reader.
 */
import wrtc from '@roamhq/wrtc';
import { readFrames, type StampReader } from './wrtc.js';

export interface DirectPeer {
  reader: StampReader;
  receiver: InstanceType<typeof wrtc.RTCPeerConnection>;
  sender: InstanceType<typeof wrtc.RTCPeerConnection>;
  close(): void;
}

type Pc = InstanceType<typeof wrtc.RTCPeerConnection>;

export async function startDirectPeer(video: MediaStreamTrack, reading: () => boolean, encoding: { maxBitrate: number; scaleResolutionDownBy: number }, timeoutMs = 10_000): Promise<DirectPeer> {
  const a: Pc = new wrtc.RTCPeerConnection({ iceServers: [] });
  const b: Pc = new wrtc.RTCPeerConnection({ iceServers: [] });
  const close = () => {
    a.close();
    b.close();
  };
  try {
    a.onicecandidate = (e) => e.candidate && void b.addIceCandidate(e.candidate).catch(() => {});
    b.onicecandidate = (e) => e.candidate && void a.addIceCandidate(e.candidate).catch(() => {});
    const tx = a.addTransceiver(video as never, { direction: 'sendonly', sendEncodings: [encoding] });
    // VP8 only, as the SFU path negotiates it.
    const caps = wrtc.RTCRtpSender.getCapabilities?.('video');
    const vp8 = caps?.codecs.filter((c) => /vp8|rtx/i.test(c.mimeType));
    if (vp8?.length) tx.setCodecPreferences?.(vp8);
    const gotTrack = new Promise<MediaStreamTrack>((resolve) => {
      b.ontrack = (e) => {
        if (e.track.kind === 'video') resolve(e.track as unknown as MediaStreamTrack);
      };
    });
    // The descriptions as created, not as read back after gathering: candidates trickle above,
    // and a read-back one's connection line (rewritten to a gathered candidate) was sometimes
    // refused ("the address type is mismatching").
    const offer = await a.createOffer();
    await a.setLocalDescription(offer);
    await b.setRemoteDescription(offer);
    const answer = await b.createAnswer();
    await b.setLocalDescription(answer);
    await a.setRemoteDescription({ type: 'answer', sdp: withStartBitrate(answer.sdp ?? '', START_BITRATE_KBPS) });
    let timer: NodeJS.Timeout | undefined;
    const track = await Promise.race([
      gotTrack.finally(() => clearTimeout(timer)),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('direct peer: no track')), timeoutMs);
      }),
    ]);
    return { reader: readFrames(track, { reading }), receiver: b, sender: a, close };
  } catch (err) {
    close();
    throw err;
  }
}

/** The teacher page's codecOptions.videoGoogleStartBitrate (client/lib/media.ts), so both senders ramp alike. */
const START_BITRATE_KBPS = 1000;

/** Adds x-google-start-bitrate to VP8's format parameters in an SDP, as mediasoup-client does in the answer it hands the sender. */
export function withStartBitrate(sdp: string, kbps: number): string {
  const pt = /a=rtpmap:(\d+) VP8\/90000/i.exec(sdp)?.[1];
  if (!pt) return sdp;
  const fmtp = new RegExp(`^a=fmtp:${pt} (.*)$`, 'm');
  if (fmtp.test(sdp)) return sdp.replace(fmtp, (_, params: string) => `a=fmtp:${pt} ${params};x-google-start-bitrate=${kbps}`);
  return sdp.replace(new RegExp(`^(a=rtpmap:${pt} VP8/90000.*)$`, 'mi'), `$1\r\na=fmtp:${pt} x-google-start-bitrate=${kbps}`);
}
