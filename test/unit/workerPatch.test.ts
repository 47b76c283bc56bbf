import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

describe('our patches of the mediasoup 3.12.16 worker (scripts/patch-worker-*.py)', () => {
  it('meson: turns every bundled subproject into a system dependency', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tongke-patch-'));
    try {
      const src = 'node_modules/mediasoup/worker';
      mkdirSync(path.join(dir, 'deps/libwebrtc'), { recursive: true });
      cpSync(path.join(src, 'meson.build'), path.join(dir, 'meson.build'));
      cpSync(path.join(src, 'deps/libwebrtc/meson.build'), path.join(dir, 'deps/libwebrtc/meson.build'));
      execFileSync('python3', ['scripts/patch-worker-meson.py', dir]);
      const top = readFileSync(path.join(dir, 'meson.build'), 'utf8');
      const webrtc = readFileSync(path.join(dir, 'deps/libwebrtc/meson.build'), 'utf8');
      expect(top).not.toMatch(/^\w+_proj = subproject/m);
      expect(webrtc).not.toMatch(/subproject\(/);
      for (const dep of ['openssl', 'nlohmann_json', 'libuv', 'libsrtp2', 'usrsctp', 'absl_flat_hash_map']) {
        expect(top).toContain(`dependency('${dep}')`);
      }
      expect(top).toContain("get_variable(pkgconfig: 'includedir') + '/srtp2'");
      // Only libwebrtc is linked whole; the system libraries are shared.
      const linkWhole = /link_whole = \[([^\]]*)\]/.exec(top)?.[1] ?? '';
      expect(linkWhole.replace(/\s/g, '')).toBe('libwebrtc,');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('source: turns Nagle off on every ICE-TCP connection the worker accepts, once', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tongke-patch-'));
    try {
      const file = 'src/handles/TcpServerHandler.cpp';
      mkdirSync(path.join(dir, 'src/handles'), { recursive: true });
      cpSync(path.join('node_modules/mediasoup/worker', file), path.join(dir, file));
      execFileSync('python3', ['scripts/patch-worker-tcp-nodelay.py', dir]);
      const once = readFileSync(path.join(dir, file), 'utf8');
      // Right after the accept succeeded, before the connection starts reading.
      expect(once).toMatch(/uv_accept\(\) failed[^\n]*\n\n\t\/\* tongke: TCP_NODELAY \*\/\n\tuv_tcp_nodelay\(connection->GetUvHandle\(\), 1\);\n/);
      expect(once.indexOf('uv_tcp_nodelay')).toBeLessThan(once.indexOf('connection->Start()'));
      execFileSync('python3', ['scripts/patch-worker-tcp-nodelay.py', dir]);
      expect(readFileSync(path.join(dir, file), 'utf8')).toBe(once);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('source: one key-frame window per producer, a key frame answering the requests held on its layer, once', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tongke-patch-'));
    try {
      const files = ['include/RTC/KeyFrameRequestManager.hpp', 'src/RTC/KeyFrameRequestManager.cpp'];
      for (const file of files) {
        mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        cpSync(path.join('node_modules/mediasoup/worker', file), path.join(dir, file));
      }
      execFileSync('python3', ['scripts/patch-worker-keyframe-window.py', dir]);
      const [header, source] = files.map((f) => readFileSync(path.join(dir, f), 'utf8')) as [string, string];
      expect(header).toContain('uint64_t keyFrameWindowEndMs{ 0u };');
      expect(source).toContain('#include "DepLibUV.hpp"');
      const body = (name: string) => {
        const start = source.indexOf(`void RTC::KeyFrameRequestManager::${name}(`);
        return source.slice(start, source.indexOf('\n}\n', start));
      };
      // A layer without a delayer of its own waits, asked for, until the producer's window ends,
      // and sends nothing now; outside a window the request opens one and goes out as before.
      const needed = body('KeyFrameNeeded');
      expect(needed).toMatch(/if \(nowMs < this->keyFrameWindowEndMs\)\s*\{[^}]*this->keyFrameWindowEndMs - nowMs\);[^}]*SetKeyFrameRequested\(true\);[^}]*return;\s*\}/);
      expect(needed.indexOf('this->keyFrameWindowEndMs = nowMs + this->keyFrameRequestDelay;')).toBeLessThan(needed.indexOf('this->listener->OnKeyFrameNeeded'));
      // A forced request (producer resumed, a new stream) starts a window too.
      expect(body('ForceKeyFrameNeeded')).toContain('this->keyFrameWindowEndMs = DepLibUV::GetTimeMs() + this->keyFrameRequestDelay;');
      // A key frame clears the request held on its layer, so none is asked again for nothing.
      expect(body('KeyFrameReceived')).toMatch(/delayerIt->second->SetKeyFrameRequested\(false\);/);
      execFileSync('python3', ['scripts/patch-worker-keyframe-window.py', dir]);
      expect(files.map((f) => readFileSync(path.join(dir, f), 'utf8'))).toEqual([header, source]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  /** Copies the worker files a patch edits into a temp dir, applies it twice, and hands over the result. */
  function patched(script: string, files: string[]): string[] {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tongke-patch-'));
    try {
      for (const file of files) {
        mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        cpSync(path.join('node_modules/mediasoup/worker', file), path.join(dir, file));
      }
      execFileSync('python3', [script, dir]);
      const once = files.map((f) => readFileSync(path.join(dir, f), 'utf8'));
      execFileSync('python3', [script, dir]);
      expect(files.map((f) => readFileSync(path.join(dir, f), 'utf8'))).toEqual(once);
      return once;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('source: a router batches its classrooms\' datagrams for the WebRtcServer socket only, sent with sendmmsg, once', () => {
    const [header, source, router, server] = patched('scripts/patch-worker-batched-send.py', [
      'include/handles/UdpSocketHandler.hpp',
      'src/handles/UdpSocketHandler.cpp',
      'src/RTC/Router.cpp',
      'src/RTC/WebRtcServer.cpp',
    ]) as [string, string, string, string];
    expect(header).toContain('struct SendBatch');
    expect(header).toContain('bool batching{ false };');
    // The scope spans exactly the loop over a producer's consumers.
    expect(router).toMatch(/const UdpSocketHandler::SendBatch sendBatch;\n\n\t\t\tfor \(auto\* consumer : consumers\)/);
    // Only the WebRtcServer's UDP sockets batch; PlainTransports and pipes send as before.
    expect(server.match(/SetBatching\(true\)/g)).toHaveLength(1);
    const send = source.slice(source.indexOf('void UdpSocketHandler::Send('), source.indexOf('void UdpSocketHandler::SendQueued('));
    // A socket with datagrams in libuv's queue is never batched, so nothing overtakes them.
    expect(send).toContain('this->uvHandle->send_queue_count == 0u');
    // A direct send first lets its socket's batched datagrams go.
    expect(send.indexOf('if (batch.socket == this)')).toBeLessThan(send.indexOf('uv_udp_try_send'));
    const flush = source.slice(source.indexOf('void UdpSocketHandler::FlushBatch()'), source.indexOf('void UdpSocketHandler::Send('));
    expect(flush).toContain('sendmmsg(fd, batch.messages + done');
    // Would-block: the rest goes through libuv's queue in order; anything else loses that datagram alone.
    expect(flush).toMatch(/errno == EAGAIN \|\| errno == EWOULDBLOCK\)\s*\{[^}]*break;/);
    expect(flush).toContain('socket->SendQueued(');
    // A closing socket sends its batch first.
    const close = source.slice(source.indexOf('void UdpSocketHandler::Close()'));
    expect(close.indexOf('FlushBatch()')).toBeLessThan(close.indexOf('this->closed = true;'));
  });

  it('source: the NACK buffer recycles its items instead of new/delete per packet, once', () => {
    const [source] = patched('scripts/patch-worker-retransmission-items.py', ['src/RTC/RtpRetransmissionBuffer.cpp']) as [string];
    const afterPool = source.slice(source.indexOf('} // namespace'));
    expect(afterPool).not.toContain('new Item()');
    expect(afterPool).not.toContain('delete item;');
    expect(afterPool.match(/NewItem\(\)/g)).toHaveLength(6);
    expect(afterPool.match(/RecycleItem\(item\)/g)).toHaveLength(2);
    // Reset (the packet reference dropped) before an item goes back.
    expect(afterPool).toMatch(/item->Reset\(\);\n\n\t+RecycleItem\(item\);/g);
  });
});
