/*
 * How fast this host is right now, measured on the worker's core beside the worker. The
 * fan-out figures move with the host's speed (a VM's neighbours): on 2026-12-03 the same
 * binaries spent 76.6% of a core on 300 classrooms in the morning and 46% in the afternoon.
 * This probe does a fixed piece of the worker's own kind of work, over and over: AES-128-GCM
 * on a 1,200-byte packet through OpenSSL's EVP calls (as libsrtp does: IV, AAD, encrypt,
 * tag), then sendto() to one of 50 unread sockets on 127.0.0.1 (the bulk classrooms' path).
 * It runs at SCHED_IDLE, so it only takes time the worker leaves, and counts its own thread's
 * CPU time. Each tick times several short batches and keeps the fastest: a batch the worker
 * interrupted pays for the caches the worker took (measured: the plain mean rose by half
 * beside a busy worker on an unchanged host), the fastest one does not. Its working set stays in
 * the core's caches, so it shows the host's speed switch but not neighbours' contention for the
 * shared caches and memory, which slows the worker too (README "What the probe misses").
 *
 * usage: hostprobe BATCHES_PER_TICK TICK_MS SECONDS
 *   → one JSON line per tick on stdout: {"atMs": wall-clock ms, "ops": ops in the fastest
 *     batch, "cpuNs": that batch's thread CPU ns}
 */
#define _GNU_SOURCE
#include <openssl/evp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "benchc.h"

#define PAYLOAD 1200
#define SINKS 50
/* ~0.2 ms of work: most batches run between two of the worker's wake-ups, undisturbed. */
#define BATCH_OPS 50

static long long nanos(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void fail(const char *what) {
  perror(what);
  exit(1);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: hostprobe BATCHES_PER_TICK TICK_MS SECONDS\n");
    return 2;
  }
  int batches = bench_arg("hostprobe", argv[1], 1, 10000), tickMs = bench_arg("hostprobe", argv[2], 10, 60000),
      secs = bench_arg("hostprobe", argv[3], 1, 86400);

  struct sched_param idle = {.sched_priority = 0};
  if (sched_setscheduler(0, SCHED_IDLE, &idle)) fail("hostprobe: SCHED_IDLE");

  struct sockaddr_in to[SINKS];
  for (int i = 0; i < SINKS; i++) bench_unread_sink("hostprobe", &to[i]);
  int tx = socket(AF_INET, SOCK_DGRAM, 0);
  if (tx < 0) fail("hostprobe: sending socket");

  unsigned char key[16], iv[12], aad[12], tag[16];
  static unsigned char packet[PAYLOAD + 16];
  memset(key, 0x11, sizeof key);
  memset(aad, 0x80, sizeof aad);
  memset(packet, 0x5a, sizeof packet);
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  if (!ctx || !EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, key, NULL)) fail("hostprobe: AES-GCM");

  long long end = nanos(CLOCK_MONOTONIC) + (long long)secs * 1000000000LL;
  unsigned int seq = 0;
  while (nanos(CLOCK_MONOTONIC) < end) {
    long long next = nanos(CLOCK_MONOTONIC) + (long long)tickMs * 1000000LL;
    long long best = -1;
    for (int b = 0; b < batches; b++) {
      long long cpu0 = nanos(CLOCK_THREAD_CPUTIME_ID);
      for (int i = 0; i < BATCH_OPS; i++, seq++) {
        int len = 0;
        memset(iv, 0, sizeof iv);
        memcpy(iv + 8, &seq, sizeof seq);
        if (!EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, iv) || !EVP_EncryptUpdate(ctx, NULL, &len, aad, sizeof aad) ||
            !EVP_EncryptUpdate(ctx, packet, &len, packet, PAYLOAD) || !EVP_EncryptFinal_ex(ctx, packet + len, &len) ||
            !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, sizeof tag, tag))
          fail("hostprobe: encrypt");
        memcpy(packet + PAYLOAD, tag, sizeof tag);
        /* An unread sink's buffer fills and the kernel drops: that is the path being timed. */
        (void)!sendto(tx, packet, PAYLOAD + 16, 0, (void *)&to[i % SINKS], sizeof to[i % SINKS]);
      }
      long long cpu = nanos(CLOCK_THREAD_CPUTIME_ID) - cpu0;
      if (best < 0 || cpu < best) best = cpu;
    }
    printf("{\"atMs\":%lld,\"ops\":%d,\"cpuNs\":%lld}\n", nanos(CLOCK_REALTIME) / 1000000LL, BATCH_OPS, best);
    fflush(stdout);
    long long wait = next - nanos(CLOCK_MONOTONIC);
    if (wait > 0) {
      struct timespec t = {.tv_sec = wait / 1000000000LL, .tv_nsec = wait % 1000000000LL};
      nanosleep(&t, NULL);
    }
  }
  EVP_CIPHER_CTX_free(ctx);
  return 0;
}
