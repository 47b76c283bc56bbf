import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { CHROMIUM } from './browser.js';

/**
 * A weak rural link for one browser: a Linux network namespace joined to the host by a veth
 * pair. Downstream (what the host sends into it: a classroom's lesson) goes through a token
 * bucket (tbf) on the host end, and random loss is an nftables rule on UDP arriving in the
 * namespace; upstream (what the browser sends: a teacher's camera) goes through tbf on the
 * namespace's end and loses UDP leaving it. Either way media loses packets while TCP
 * signalling does not, and the other direction is left alone. The kernels we run on have no
 * netem: there is no way to add a fixed delay, only the queueing delay tbf itself builds up.
 */

/** Set to 1 to skip the tests that need a network namespace (unprivileged machines). */
export const SKIP_NETNS = process.env.TONGKE_SKIP_NETNS === '1';

const NFT_TABLE = 'tongke_weak';
const FIREWALL_TABLE = 'tongke_firewall';
const PREFIX = 'tk-weak-';

export interface Impairment {
  /** Which way: into the namespace (a classroom receiving; the default) or out of it (a teacher sending). */
  direction?: 'down' | 'up';
  /** tbf rate in that direction. */
  rateKbit: number;
  /** Bucket depth: how much may leave at line rate after a pause. */
  burstBytes: number;
  /** How long a packet may wait in tbf's queue before it is dropped (the queue's length). */
  latencyMs: number;
  /** Share of UDP packets in that direction dropped at random, 0–100. */
  udpLossPercent: number;
}

export interface LinkCounters {
  /** Packets tbf let through and packets it dropped (queue full). */
  shapedPackets: number;
  shapedDrops: number;
  /** UDP packets the random-loss rule dropped. */
  randomUdpDrops: number;
}

/** Runs a command (no shell), returns stdout, throws with its stderr on a non-zero exit. */
function run(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => reject(new Error(`${cmd} ${args.join(' ')}: ${e.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.trim()}`));
    });
    // A command that never reads its stdin may exit before we close it.
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

/** Runs a clean-up command whose target may already be gone. */
async function tryRun(cmd: string, args: string[]): Promise<void> {
  await run(cmd, args).catch(() => {});
}

const TbfStats = z.array(
  z.object({ kind: z.string(), packets: z.number().int(), drops: z.number().int() }).passthrough(),
);
const NftCounter = z.object({ packets: z.number().int(), bytes: z.number().int() });
const NftTable = z.object({
  nftables: z.array(
    z.object({ rule: z.object({ chain: z.string().optional(), expr: z.array(z.object({ counter: NftCounter.optional() }).passthrough()) }).optional() }).passthrough(),
  ),
});
const Addresses = z.array(
  z.object({ addr_info: z.array(z.object({ family: z.string(), local: z.string() }).passthrough()) }).passthrough(),
);

const Routes = z.array(z.object({ dst: z.string() }).passthrough());

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes namespaces left by runs of this test that died before their clean-up. */
async function removeLeftovers(own: string): Promise<void> {
  const list = await run('ip', ['netns', 'list']);
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    if (!name.startsWith(PREFIX)) continue;
    const pid = Number(name.slice(PREFIX.length));
    if (name === own || (Number.isInteger(pid) && !pidAlive(pid))) {
      // Deleting the host end removes both ends now; the namespace's end alone goes lazily.
      await tryRun('ip', ['link', 'del', `tkw${pid}h`]);
      await tryRun('ip', ['netns', 'del', name]);
    }
  }
}

/** A 10.213.n.0/30 that no address or route of this host uses yet. */
async function freeSubnet(seed: number): Promise<number> {
  const addresses = Addresses.parse(JSON.parse(await run('ip', ['-j', '-4', 'addr', 'show'])))
    .flatMap((i) => i.addr_info)
    .map((a) => a.local);
  const routes = Routes.parse(JSON.parse(await run('ip', ['-j', '-4', 'route', 'show']))).map((r) => r.dst);
  const used = new Set(
    [...addresses, ...routes].filter((a) => a.startsWith('10.213.')).map((a) => Number(a.split('.')[2])),
  );
  for (let i = 0; i < 250; i++) {
    const n = ((seed + i) % 250) + 1;
    if (!used.has(n)) return n;
  }
  throw new Error('no free 10.213.n.0/30 for the weak link');
}

export class WeakLink {
  private impaired: 'down' | 'up' | null = null;

  private constructor(
    readonly ns: string,
    readonly hostIf: string,
    readonly nsIf: string,
    /** The host end's address: the server listens and announces its media here. */
    readonly hostIp: string,
    readonly nsIp: string,
    private readonly tmpDir: string,
  ) {}

  /**
   * Creates the namespace and veth pair (after removing leftovers of the same name), or
   * fails with a message saying how to opt out on machines without the privilege.
   */
  static async create(): Promise<WeakLink> {
    const ns = `${PREFIX}${process.pid}`;
    const hostIf = `tkw${process.pid}h`;
    const nsIf = `tkw${process.pid}n`;
    let n: number;
    try {
      await run('nft', ['--version']);
      await removeLeftovers(ns);
      n = await freeSubnet(process.pid);
      await run('ip', ['netns', 'add', ns]);
    } catch (err) {
      throw new Error(
        `The weak-link test needs a Linux network namespace, veth, tbf and nftables (root or CAP_NET_ADMIN; ` +
          `scripts/setup installs iproute2 and nftables). Setting it up failed: ${(err as Error).message}. ` +
          `To skip this test explicitly on such a machine, set TONGKE_SKIP_NETNS=1.`,
      );
    }
    const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'tongke-weak-'));
    const link = new WeakLink(ns, hostIf, nsIf, `10.213.${n}.1`, `10.213.${n}.2`, tmpDir);
    try {
      await run('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf, 'netns', ns]);
      await run('ip', ['addr', 'add', `${link.hostIp}/30`, 'dev', hostIf]);
      await run('ip', ['link', 'set', hostIf, 'up']);
      await run('ip', ['-n', ns, 'addr', 'add', `${link.nsIp}/30`, 'dev', nsIf]);
      await run('ip', ['-n', ns, 'link', 'set', nsIf, 'up']);
      // Chromium talks to itself over loopback (e.g. its network service).
      await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    } catch (err) {
      await link.destroy();
      throw err;
    }
    return link;
  }

  /**
   * A Chromium launcher that enters the namespace. Puppeteer must use `pipe: true` with it:
   * a DevTools port would be on the namespace's loopback, out of the test's reach.
   */
  chromiumLauncher(): string {
    const file = path.join(this.tmpDir, 'chromium-in-netns');
    writeFileSync(file, `#!/bin/sh\nexec ip netns exec '${this.ns}' '${CHROMIUM}' "$@"\n`);
    chmodSync(file, 0o755);
    return file;
  }

  /** Which direction is impaired now, if any. */
  get impairment(): 'down' | 'up' | null {
    return this.impaired;
  }

  /** `tc` on the device the impaired direction leaves by: the host end (down) or the namespace's (up). */
  private tc(direction: 'down' | 'up', args: string[]): Promise<string> {
    return direction === 'down' ? run('tc', [...args, 'dev', this.hostIf]) : run('tc', ['-n', this.ns, ...args, 'dev', this.nsIf]);
  }

  /** Caps one direction of the link and drops UDP going that way at random. */
  async impair(i: Impairment): Promise<void> {
    if (this.impaired) throw new Error(`the link is already impaired (${this.impaired})`);
    const direction = i.direction ?? 'down';
    const tbf = ['rate', `${i.rateKbit}kbit`, 'burst', String(i.burstBytes), 'latency', `${i.latencyMs}ms`];
    await run('tc', direction === 'down'
      ? ['qdisc', 'replace', 'dev', this.hostIf, 'root', 'tbf', ...tbf]
      : ['-n', this.ns, 'qdisc', 'replace', 'dev', this.nsIf, 'root', 'tbf', ...tbf]);
    const hook = direction === 'down' ? 'input' : 'output';
    const ruleset =
      `table inet ${NFT_TABLE} {\n` +
      `  chain ${hook} {\n` +
      `    type filter hook ${hook} priority 0; policy accept;\n` +
      `    meta l4proto udp numgen random mod 100 < ${i.udpLossPercent} counter drop\n` +
      `  }\n` +
      `}\n`;
    await run('ip', ['netns', 'exec', this.ns, 'nft', '-f', '/dev/stdin'], ruleset);
    this.impaired = direction;
  }

  /** What the impairment has done so far (zeros when the link is not impaired). */
  async counters(): Promise<LinkCounters> {
    if (!this.impaired) return { shapedPackets: 0, shapedDrops: 0, randomUdpDrops: 0 };
    const tbf = TbfStats.parse(JSON.parse(await this.tc(this.impaired, ['-s', '-j', 'qdisc', 'show']))).find(
      (q) => q.kind === 'tbf',
    );
    if (!tbf) throw new Error(`no tbf qdisc on the ${this.impaired} side of the link`);
    const nft = NftTable.parse(
      JSON.parse(await run('ip', ['netns', 'exec', this.ns, 'nft', '-j', 'list', 'table', 'inet', NFT_TABLE])),
    );
    const counter = nft.nftables.flatMap((e) => e.rule?.expr ?? []).find((x) => x.counter)?.counter;
    if (!counter) throw new Error(`no counter in the nftables table ${NFT_TABLE}`);
    return { shapedPackets: tbf.packets, shapedDrops: tbf.drops, randomUdpDrops: counter.packets };
  }

  /** Back to a clean link; returns what the impairment did while it lasted. */
  async lift(): Promise<LinkCounters> {
    if (!this.impaired) throw new Error('the link is not impaired');
    const last = await this.counters();
    await this.tc(this.impaired, ['qdisc', 'del', 'root']);
    await run('ip', ['netns', 'exec', this.ns, 'nft', 'delete', 'table', 'inet', NFT_TABLE]);
    this.impaired = null;
    return last;
  }

  /**
   * A school firewall that lets no UDP through, either way, on the link; TCP, and with it the
   * signalling and ICE over TCP, passes. With `tcpOnlyTo` it also stops TCP to any other port:
   * only the web server is reachable (and a TURN relay, if its port is listed), no media at all. Independent of `impair`; `lowerFirewall`
   * lifts it and says how many packets it stopped.
   */
  async raiseFirewall(opts: { tcpOnlyTo?: number | number[] } = {}): Promise<void> {
    const ports = opts.tcpOnlyTo === undefined ? [] : [opts.tcpOnlyTo].flat();
    const tcp = (dir: 'dport' | 'sport', open: number[]) =>
      `    ${dir === 'dport' ? 'oifname' : 'iifname'} "${this.nsIf}" tcp ${dir} != { ${open.join(', ')} } counter drop\n`;
    const ruleset =
      `table inet ${FIREWALL_TABLE} {\n` +
      `  chain input {\n` +
      `    type filter hook input priority 0; policy accept;\n` +
      `    iifname "${this.nsIf}" meta l4proto udp counter drop\n` +
      (ports.length > 0 ? tcp('sport', ports) : '') +
      `  }\n` +
      `  chain output {\n` +
      `    type filter hook output priority 0; policy accept;\n` +
      `    oifname "${this.nsIf}" meta l4proto udp counter drop\n` +
      (ports.length > 0 ? tcp('dport', ports) : '') +
      `  }\n` +
      `}\n`;
    await run('ip', ['netns', 'exec', this.ns, 'nft', '-f', '/dev/stdin'], ruleset);
  }

  /** The packets `raiseFirewall` has dropped so far, coming in and going out; it stays up. */
  async firewallDrops(): Promise<{ inbound: number; outbound: number }> {
    const nft = NftTable.parse(
      JSON.parse(await run('ip', ['netns', 'exec', this.ns, 'nft', '-j', 'list', 'table', 'inet', FIREWALL_TABLE])),
    );
    const dropped = (chain: string) =>
      nft.nftables
        .filter((e) => e.rule?.chain === chain)
        .flatMap((e) => e.rule?.expr ?? [])
        .reduce((n, x) => n + (x.counter?.packets ?? 0), 0);
    return { inbound: dropped('input'), outbound: dropped('output') };
  }

  /** Lifts `raiseFirewall`; returns the packets it dropped coming in and going out. */
  async lowerFirewall(): Promise<{ inbound: number; outbound: number }> {
    const dropped = await this.firewallDrops();
    await run('ip', ['netns', 'exec', this.ns, 'nft', 'delete', 'table', 'inet', FIREWALL_TABLE]);
    return dropped;
  }

  /** Removes the veth pair, the namespace and the temp dir; safe to call twice. */
  async destroy(): Promise<void> {
    await tryRun('ip', ['link', 'del', this.hostIf]);
    await tryRun('ip', ['netns', 'del', this.ns]);
    rmSync(this.tmpDir, { recursive: true, force: true });
    const left = await run('ip', ['netns', 'list']);
    if (left.split('\n').some((l) => l.split(' ')[0] === this.ns)) {
      throw new Error(`network namespace ${this.ns} is still there after clean-up`);
    }
  }
}
