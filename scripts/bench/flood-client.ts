/**
 * A misbehaving classroom: sends one event as fast as it can for a while, counting how
 * the server answers. Runs in its own process so it cannot slow the measuring client.
 */
import { io } from 'socket.io-client';

const [url, token, seconds] = [process.argv[2]!, process.argv[3]!, Number(process.argv[4] ?? 10)];
const socket = io(url, { auth: { token }, transports: ['websocket'], reconnection: false });
const counts = { sent: 0, ok: 0, rateLimited: 0, other: 0, disconnectedAfterMs: null as number | null, reason: '' };
const started = Date.now();
socket.on('disconnect', (reason) => {
  counts.disconnectedAfterMs = Date.now() - started;
  counts.reason = reason;
});
let inFlight = 0;

function finish(): void {
  process.stdout.write(JSON.stringify(counts) + '\n', () => process.exit(0));
}

socket.on('connect', () => {
  const end = Date.now() + seconds * 1000;
  // Stop whatever happens: a bounded run, then report what was seen.
  setTimeout(finish, seconds * 1000 + 2000);
  const pump = () => {
    // Keep a bounded number in flight so the flood is limited by the server, not memory.
    while (inFlight < 200 && Date.now() < end) {
      inFlight++;
      counts.sent++;
      socket.emit('lesson:sync' as never, {} as never, ((ack: { ok: boolean; error?: { code: string } }) => {
        inFlight--;
        if (ack.ok) counts.ok++;
        else if (ack.error?.code === 'RATE_LIMITED') counts.rateLimited++;
        else counts.other++;
      }) as never);
    }
    if (Date.now() < end) setTimeout(pump, 0);
  };
  pump();
});
socket.on('connect_error', (err) => {
  process.stderr.write(`flood client refused: ${err.message}\n`);
  process.exit(1);
});
