/** RTP parameters like a browser sends for produce(), for signalling tests without WebRTC. */
export const videoRtpParameters = (ssrc = 22222222) => ({
  mid: '0',
  codecs: [
    {
      mimeType: 'video/VP8',
      payloadType: 101,
      clockRate: 90000,
      rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
    },
  ],
  headerExtensions: [],
  encodings: [{ ssrc }],
  rtcp: { cname: 'teacher-test' },
});

export const audioRtpParameters = (ssrc = 11111111) => ({
  mid: '1',
  codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }],
  headerExtensions: [],
  encodings: [{ ssrc }],
  rtcp: { cname: 'teacher-test' },
});

export const dtlsParameters = {
  role: 'client' as const,
  fingerprints: [
    {
      algorithm: 'sha-256',
      value: '82:5A:68:3D:36:C3:0A:DE:AF:E7:32:43:D2:88:83:57:AC:2D:65:E5:80:C4:B6:FB:AF:1A:A0:21:9F:6D:0C:AD',
    },
  ],
};

/** The teacher's camera as the page sends it: VP8 with three simulcast layers. */
export const simulcastVideoRtpParameters = () => ({
  ...videoRtpParameters(),
  headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id', id: 10 }],
  encodings: [
    { rid: 'r0', scalabilityMode: 'L1T3', maxBitrate: 150_000 },
    { rid: 'r1', scalabilityMode: 'L1T3', maxBitrate: 500_000 },
    { rid: 'r2', scalabilityMode: 'L1T3', maxBitrate: 1_800_000 },
  ],
});
