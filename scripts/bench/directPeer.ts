/**
 * The latency baseline: the same synthetic camera track sent over a direct wrtc-to-wrtc
 * peer connection on this host (no SFU), VP8 only, received by a stamp reader.
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

export async function startDirectPeer(video: MediaStreamTrack, reading: () => boolean, timeoutMs = 10_000): Promise<DirectPeer> {
  const a: Pc = new wrtc.RTCPeerConnection({ iceServers: [] });
  const b: Pc = new wrtc.RTCPeerConnection({ iceServers: [] });
  const close = () => {
    a.close();
    b.close();
  };
  try {
    a.onicecandidate = (e) => e.candidate && void b.addIceCandidate(e.candidate).catch(() => {});
    b.onicecandidate = (e) => e.candidate && void a.addIceCandidate(e.candidate).catch(() => {});
    const tx = a.addTransceiver(video as never, { direction: 'sendonly' });
    // VP8 only, as the SFU path negotiates it.
    const caps = wrtc.RTCRtpSender.getCapabilities?.('video');
    const vp8 = caps?.codecs.filter((c) => /vp8|rtx/i.test(c.mimeType));
    if (vp8?.length) tx.setCodecPreferences?.(vp8);
    const gotTrack = new Promise<MediaStreamTrack>((resolve) => {
      b.ontrack = (e) => {
        if (e.track.kind === 'video') resolve(e.track as unknown as MediaStreamTrack);
      };
    });
    await a.setLocalDescription(await a.createOffer());
    await b.setRemoteDescription(a.localDescription!);
    await b.setLocalDescription(await b.createAnswer());
    await a.setRemoteDescription(b.localDescription!);
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
