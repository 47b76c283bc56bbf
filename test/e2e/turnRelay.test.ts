import { writeFileSync } from 'node:fs';
import type { Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForPage } from '../helpers/browser.js';
import { peerConnectionStats } from '../helpers/peerStats.js';
import { startLesson } from '../helpers/lessonBrowser.js';
import { playing, sampleFor, sampleRoom, trace, minRate, rate, longestFreezeMs } from '../helpers/reception.js';
import { classroomGrant, teacherGrant } from '../helpers/server.js';
import { startTurnRelay, type TurnRelay } from '../helpers/turnServer.js';
import { SKIP_NETNS } from '../helpers/weakLink.js';
import { useWeakLinkLesson } from '../helpers/weakLinkLesson.js';

const BEHIND = 'demo-recv-1';

/** The candidate type (host, srflx, relay) each of the page's connected transports sends from. */
async function selectedCandidateTypes(page: Page): Promise<string[]> {
  const [transports, pairs, locals] = await Promise.all(
    ['transport', 'candidate-pair', 'local-candidate'].map((type) => peerConnectionStats(page, type)),
  );
  const types = transports!
    .map((t) => pairs!.find((p) => p.id === t.selectedCandidatePairId))
    .filter((p) => p !== undefined)
    .map((p) => locals!.find((l) => l.id === p.localCandidateId)?.candidateType);
  return [...new Set(types.map(String))];
}
/** A relayed classroom on this busy 2-core host: sound and a moving picture, as on TCP. */
const MIN_AUDIO_PPS = 25;
const MIN_FPS = 8;
const MAX_FREEZE_MS = 2_500;

/**
 * Some school networks let only the web ports out (80/443), over TCP. With a TURN relay on
 * such a port (TONGKE_TURN_URLS), a page there reaches the media through the relay. Here the
 * relay is Debian's coturn on the host, and the classroom sits behind a firewall (a network
 * namespace) that lets only TCP to the web server and to the relay's port through.
 */
describe.skipIf(SKIP_NETNS)('a school firewall that lets only the web server and a TURN port through (netns): media goes through the relay', () => {
  let relay: TurnRelay | undefined;
  const wl = useWeakLinkLesson({
    beforeServer: async (link) => {
      relay = await startTurnRelay(link.hostIp);
      return { TONGKE_TURN_URLS: `turn:${link.hostIp}:${relay.port}?transport=tcp`, TONGKE_TURN_SECRET: relay.secret };
    },
  });
  afterAll(async () => {
    await relay?.stop();
  });
  const lb = wl.lb;
  let teacher: Page;

  beforeAll(async () => {
    teacher = await lb.open('teacher', await lb.ts.token(teacherGrant(lb.ts.lesson.id)));
    await startLesson(teacher);
  }, 60_000);

  it('a classroom behind it joins and plays through the relay; the teacher outside goes direct', async () => {
    const webPort = Number(new URL(lb.ts.url).port);
    await wl.link.raiseFirewall({ tcpOnlyTo: [webPort, relay!.port] });
    try {
      const opened = Date.now();
      const behind = await lb.open('classroom', await lb.ts.token(classroomGrant(lb.ts.lesson.id, BEHIND)), { browser: wl.behind });
      await playing(behind, 30_000);
      const joinMs = Date.now() - opened;
      const first = await sampleRoom(lb.ts, behind, BEHIND);
      // Long enough to include the page's first look for a direct path (DetourPath, 15 s after
      // settling on the relay): it finds none here and must not disturb what plays.
      const held = await sampleFor(first, () => sampleRoom(lb.ts, behind, BEHIND), 18_000);
      console.log(`joined through the TURN relay: page open → playing ${joinMs} ms\n${trace(held)}`);
      expect(minRate(held, (p) => p.audioPacketsReceived), trace(held)).toBeGreaterThanOrEqual(MIN_AUDIO_PPS);
      expect(rate(held[0]!, held[held.length - 1]!, (p) => p.videoFramesDecoded), trace(held)).toBeGreaterThanOrEqual(MIN_FPS);
      expect(longestFreezeMs(held), trace(held)).toBeLessThanOrEqual(MAX_FREEZE_MS);

      // The page's chosen path starts at its relay candidate; the server sees the media arrive
      // from the relay (UDP from its relay address), never from the classroom's own address,
      // which the firewall cuts off.
      expect(await selectedCandidateTypes(behind)).toEqual(['relay']);
      const media = await lb.ts.server.service.media(lb.ts.lesson.id);
      const peerOf = (find: (g: { role: string; classroomId?: string }) => boolean) => {
        const socket = [...lb.ts.server.io.of('/').sockets.values()].find((s) => find(s.data.grant));
        return socket ? media.describePeer(socket.data.peerId) : null;
      };
      const recv = peerOf((g) => g.role === 'assistant' && g.classroomId === BEHIND)?.transports.find((t) => t.direction === 'recv');
      expect(recv).toMatchObject({ iceState: expect.stringMatching(/connected|completed/), protocol: 'udp', remoteIp: relay!.host });
      // The teacher, on an open network, was handed the relay too but goes direct.
      expect(await selectedCandidateTypes(teacher)).toEqual(['host']);
      writeFileSync('test-results/turn-relay.json', JSON.stringify({ joinMs, samples: held.length }, null, 2));
    } catch (err) {
      console.log(`coturn's log:\n${relay?.log().slice(-4000)}`);
      throw err;
    } finally {
      await wl.link.lowerFirewall();
    }
  }, 90_000);

  it('with the relay’s port shut as well, the media stays out and the page says so', async () => {
    // The relay is what carried the media above: nothing else of it gets through this firewall.
    const webPort = Number(new URL(lb.ts.url).port);
    await wl.link.raiseFirewall({ tcpOnlyTo: [webPort] });
    try {
      const behind = await lb.open('classroom', await lb.ts.token(classroomGrant(lb.ts.lesson.id, 'demo-recv-2')), { browser: wl.behind });
      await waitForPage(behind, () => !document.querySelector<HTMLElement>('#media-blocked')!.hidden, 40_000);
      expect((await behind.evaluate(() => window.tongke.stats())).videoFramesDecoded).toBe(0);
      await behind.close();
    } finally {
      await wl.link.lowerFirewall();
    }
  }, 60_000);
});
