import { describe, expect, it } from 'vitest';
import { withStartBitrate } from '../../scripts/bench/directPeer.js';
import { pairFrames } from '../../scripts/bench/latency.js';

describe('bench-fanout frame latency', () => {
  it('compares only frames seen through both paths', () => {
    const sfu = new Map([
      [1, 105],
      [2, 100],
      [3, 130],
    ]);
    const direct = new Map([
      [1, 100],
      [3, 100],
      [4, 90],
    ]);
    expect(pairFrames(sfu, direct)).toEqual({ frames: 2, p50Ms: 5, p99Ms: 30 });
    expect(pairFrames(new Map(), direct)).toEqual({ frames: 0, p50Ms: null, p99Ms: null });
  });

  it('gives the direct sender the page\'s start bitrate, as mediasoup-client gives the teacher\'s', () => {
    const video = ['m=video 9 UDP/TLS/RTP/SAVPF 96 97', 'a=rtpmap:96 VP8/90000', 'a=rtcp-fb:96 nack', 'a=rtpmap:97 rtx/90000', 'a=fmtp:97 apt=96', ''].join('\r\n');
    expect(withStartBitrate(video, 1000)).toContain('a=rtpmap:96 VP8/90000\r\na=fmtp:96 x-google-start-bitrate=1000\r\na=rtcp-fb:96 nack');
    // Only VP8's parameters, and added to those it already has.
    expect(withStartBitrate(video, 1000)).toContain('a=fmtp:97 apt=96\r\n');
    const withParams = video.replace('a=rtcp-fb:96 nack', 'a=fmtp:96 max-fr=30\r\na=rtcp-fb:96 nack');
    expect(withStartBitrate(withParams, 1000)).toContain('a=fmtp:96 max-fr=30;x-google-start-bitrate=1000\r\n');
    expect(withStartBitrate('m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n', 1000)).toBe('m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n');
  });
});
