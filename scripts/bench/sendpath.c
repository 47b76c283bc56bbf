/*
 * The kernel's cost per packet of an SFU's fan-out send on this host, the largest share of the
 * worker's CPU per packet (README "Benchmarks"): one UDP socket sends a 1,200-byte packet to each
 * of N receiving sockets on 127.0.0.1 that nobody reads (the fan-out benchmark's bulk
 * classrooms), either one sendto() per packet, as the mediasoup 3.12 worker does, or
 * sendmmsg() batches of B packets, as a worker that batched its sends would.
 *
 * usage: sendpath CLASSROOMS BATCH ROUNDS  → one JSON line on stdout.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "benchc.h"

#define PAYLOAD 1200
#define MAX_CLASSROOMS 1000
#define MAX_BATCH 1024

static double seconds(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: sendpath CLASSROOMS BATCH ROUNDS\n");
    return 2;
  }
  int n = bench_arg("sendpath", argv[1], 1, MAX_CLASSROOMS), batch = bench_arg("sendpath", argv[2], 1, MAX_BATCH),
      rounds = bench_arg("sendpath", argv[3], 1, 1000000);

  struct sockaddr_in *to = calloc(n, sizeof *to);
  struct mmsghdr *msgs = calloc(batch, sizeof *msgs);
  struct iovec *iov = calloc(batch, sizeof *iov);
  if (!to || !msgs || !iov) return 1;
  for (int i = 0; i < n; i++) bench_unread_sink("sendpath", &to[i]);
  int tx = socket(AF_INET, SOCK_DGRAM, 0);
  if (tx < 0) return 1;
  static char payload[PAYLOAD];
  memset(payload, 0x5a, sizeof payload);

  long sent = 0, failed = 0;
  double wall0 = seconds(CLOCK_MONOTONIC), cpu0 = seconds(CLOCK_PROCESS_CPUTIME_ID);
  for (int r = 0; r < rounds; r++) {
    for (int i = 0; i < n; i += batch) {
      int k = 0;
      if (batch == 1) {
        if (sendto(tx, payload, PAYLOAD, 0, (void *)&to[i], sizeof to[i]) == PAYLOAD) sent++;
        else failed++;
        continue;
      }
      for (int j = i; j < n && k < batch; j++, k++) {
        iov[k] = (struct iovec){.iov_base = payload, .iov_len = PAYLOAD};
        msgs[k].msg_hdr = (struct msghdr){.msg_name = &to[j], .msg_namelen = sizeof to[j], .msg_iov = &iov[k], .msg_iovlen = 1};
      }
      int done = sendmmsg(tx, msgs, k, 0);
      sent += done > 0 ? done : 0;
      failed += done > 0 ? k - done : k;
    }
  }
  double cpu = seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0, wall = seconds(CLOCK_MONOTONIC) - wall0;
  printf("{\"classrooms\":%d,\"batch\":%d,\"rounds\":%d,\"sent\":%ld,\"failed\":%ld,\"cpuS\":%.6f,\"wallS\":%.6f}\n", n, batch,
         rounds, sent, failed, cpu, wall);
  return 0;
}
