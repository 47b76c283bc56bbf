import net from 'node:net';
import { onCleanup } from './cleanup.js';

/**
 * A TCP proxy in front of the server that holds every chunk for `rttMs / 2` each way: the
 * signalling of a classroom on a rural link (100–300 ms round trip), without netem (this kernel
 * has none). Media (UDP) does not pass through it. Order is kept: every chunk waits the same.
 */
export async function startDelayProxy(target: URL, rttMs: number): Promise<URL> {
  const oneWay = rttMs / 2;
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    const pipe = (from: net.Socket, to: net.Socket) => {
      from.on('data', (chunk) => setTimeout(() => to.writable && to.write(chunk), oneWay));
      from.on('end', () => setTimeout(() => to.end(), oneWay));
      from.on('error', () => to.destroy());
    };
    pipe(client, upstream);
    pipe(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, target.hostname, resolve));
  onCleanup('signalling delay proxy', () => {
    server.close();
  });
  const url = new URL(target.href);
  url.port = String((server.address() as net.AddressInfo).port);
  return url;
}
