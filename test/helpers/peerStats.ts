import type { Page } from 'puppeteer';

/**
 * getStats() entries of one type from every RTCPeerConnection the page holds, found through
 * the DevTools protocol (Runtime.queryObjects), so the pages need no test hook for it.
 */
export async function peerConnectionStats(page: Page, type: string): Promise<Record<string, unknown>[]> {
  const cdp = await page.createCDPSession();
  try {
    const proto = await cdp.send('Runtime.evaluate', { expression: 'RTCPeerConnection.prototype', objectGroup: 'peer-stats' });
    if (!proto.result.objectId) throw new Error('the page has no RTCPeerConnection');
    const { objects } = await cdp.send('Runtime.queryObjects', { prototypeObjectId: proto.result.objectId, objectGroup: 'peer-stats' });
    if (!objects.objectId) return [];
    const res = await cdp.send('Runtime.callFunctionOn', {
      objectId: objects.objectId,
      functionDeclaration: `async function (type) {
        const out = [];
        for (const pc of this) (await pc.getStats()).forEach((s) => { if (s.type === type) out.push(s); });
        return out;
      }`,
      arguments: [{ value: type }],
      awaitPromise: true,
      returnByValue: true,
    });
    return res.result.value as Record<string, unknown>[];
  } finally {
    await cdp.send('Runtime.releaseObjectGroup', { objectGroup: 'peer-stats' }).catch(() => {});
    await cdp.detach().catch(() => {});
  }
}
