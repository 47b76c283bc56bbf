import { describe, expect, it } from 'vitest';
import { LIMIT_CLEARED_AFTER_MS, LIMIT_SHOWN_AFTER_MS, RAMP_UP_MS, SendLimitWatch, type EncodingSample } from '../../client/lib/sendLimit.js';

const enc = (width: number, framesPerSecond: number, reason = 'none'): EncodingSample => ({ width, framesPerSecond, reason });
const ALL = [enc(320, 25), enc(640, 25), enc(1280, 25)];
/** The top layer stopped (allocation), the others limited by the given reason. */
const twoLayers = (reason: string) => [enc(320, 25, reason), enc(640, 25, reason), enc(1280, 0, reason)];

describe("telling the teacher that its own computer or uplink limits every classroom's picture", () => {
  it('says nothing while all three layers go out, nor during the encoder’s ramp-up', () => {
    const w = new SendLimitWatch(0);
    for (let t = 0; t <= 60_000; t += 2000) expect(w.sample(ALL, 1280, t)).toBeNull();
    const early = new SendLimitWatch(0);
    for (let t = 0; t < RAMP_UP_MS; t += 2000) expect(early.sample(twoLayers('bandwidth'), 1280, t)).toBeNull();
  });

  it('names the reason and the widest picture still sent once it has held, and clears once gone', () => {
    const w = new SendLimitWatch(0);
    const t0 = RAMP_UP_MS + 10_000;
    expect(w.sample(twoLayers('bandwidth'), 1280, t0)).toBeNull();
    expect(w.sample(twoLayers('bandwidth'), 1280, t0 + LIMIT_SHOWN_AFTER_MS - 1)).toBeNull();
    expect(w.sample(twoLayers('bandwidth'), 1280, t0 + LIMIT_SHOWN_AFTER_MS)).toEqual({ limit: 'bandwidth', width: 640 });
    // CPU wins over bandwidth when Chrome names both on different layers.
    expect(w.sample([enc(320, 25, 'cpu'), enc(480, 20, 'bandwidth'), enc(960, 0, 'bandwidth')], 1280, t0 + 12_000)).toEqual({
      limit: 'cpu',
      width: 480,
    });
    const back = t0 + 14_000;
    expect(w.sample(ALL, 1280, back)).not.toBeNull();
    expect(w.sample(ALL, 1280, back + LIMIT_CLEARED_AFTER_MS)).toBeNull();
  });

  it('does not count a full-width picture held back in bitrate, nor a camera that sends nothing', () => {
    const w = new SendLimitWatch(0);
    const full = [enc(320, 25, 'bandwidth'), enc(640, 25, 'bandwidth'), enc(1280, 25, 'bandwidth')];
    for (let t = RAMP_UP_MS; t <= RAMP_UP_MS + 30_000; t += 2000) expect(w.sample(full, 1280, t)).toBeNull();
    for (let t = RAMP_UP_MS; t <= RAMP_UP_MS + 30_000; t += 2000) expect(w.sample([enc(0, 0, 'bandwidth')], 1280, t)).toBeNull();
  });
});
