import { describe, expect, it } from 'vitest';
import { PictureWatch } from '../../client/classroom/pictureWatch.js';
import { LinkAdvisor, qualityLevel, type QualityLevel } from '../../client/lib/linkQuality.js';

/** Feeds (second, level) pairs; returns the advice after each. */
function run(steps: [number, QualityLevel][], mode: 'auto' | 'high' | 'smooth' | 'audio' = 'auto', advisor = new LinkAdvisor(6_000)) {
  return steps.map(([s, level]) => advisor.update(level, mode, s * 1000));
}

describe("the classroom page's advice about its own link", () => {
  it('maps mediasoup scores to levels', () => {
    expect([null, 0, 3, 4, 6, 7, 10].map(qualityLevel)).toEqual(['unknown', 'poor', 'poor', 'fair', 'fair', 'good', 'good']);
  });

  it('stays quiet through a short dip that 自动 rides out (poor for 2 s while the layer drops)', () => {
    expect(run([[0, 'good'], [4, 'poor'], [5, 'fair'], [6, 'good'], [20, 'good']])).toEqual(['none', 'none', 'none', 'none', 'none']);
  });

  it('advises 流畅 once a spell of poor (or poor then fair) lasts 6 s, until the link is good again', () => {
    expect(run([[0, 'poor'], [3, 'fair'], [6, 'fair'], [9, 'poor'], [12, 'good'], [13, 'fair']])).toEqual([
      'none',
      'none',
      'trySmooth',
      'trySmooth',
      'none',
      'none',
    ]);
  });

  it('advises 仅音频 when 流畅 is already chosen, and nothing in sound-only mode', () => {
    expect(run([[0, 'poor'], [7, 'poor']], 'smooth')).toEqual(['none', 'tryAudio']);
    expect(run([[0, 'poor'], [7, 'poor']], 'audio')).toEqual(['none', 'none']);
    expect(run([[0, 'poor'], [7, 'poor']], 'high')).toEqual(['none', 'trySmooth']);
  });

  it("neither starts nor ends a spell on 'unknown' (no score while media is rebuilt), and shows nothing then", () => {
    expect(run([[0, 'poor'], [3, 'unknown'], [7, 'poor'], [8, 'unknown']])).toEqual(['none', 'none', 'trySmooth', 'none']);
  });

  it('counts a crawling picture (under 3 decoded frames a second) once it had started', () => {
    const w = new PictureWatch();
    w.observe('cam', 0, 0);
    w.observe('cam', 0, 2_000); // not started yet: a join waiting for its first frame
    expect(w.crawling).toBe(false);
    w.observe('cam', 40, 4_000); // 20 fps
    expect(w.crawling).toBe(false);
    w.observe('cam', 44, 6_000); // 2 fps
    expect(w.crawling).toBe(true);
    w.observe('cam', 3, 8_000); // a rebuilt session: its counter starts again
    expect(w.crawling).toBe(false);
    w.observe('cam', 40, 10_000);
    expect(w.crawling).toBe(false);
    w.observe('cam', 41, 12_000);
    expect(w.crawling).toBe(true);
    w.observe(null, null, 14_000); // 仅音频 or no camera: nothing to judge
    expect(w.crawling).toBe(false);
    w.observe('screen-cam', 50, 16_000);
    w.observe('screen-cam', 51, 18_000);
    expect(w.crawling).toBe(true);
  });

  it('tells the page when to look again, since no new score may come', () => {
    const a = new LinkAdvisor(6_000);
    a.update('good', 'auto', 0);
    expect(a.recheckInMs(0)).toBeNull();
    a.update('poor', 'auto', 1_000);
    expect(a.recheckInMs(2_000)).toBe(5_000);
    expect(a.update('poor', 'auto', 7_000)).toBe('trySmooth');
    expect(a.recheckInMs(8_000)).toBe(0);
  });
});
