/*
 * What the benchmarks' C programs share: whole-number arguments and the unread loopback
 * sockets that stand in for the fan-out benchmark's bulk classrooms.
 */
#ifndef TONGKE_BENCHC_H
#define TONGKE_BENCHC_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

/* argv value s as a whole number in lo..hi, or exit 2 naming the program. */
static int bench_arg(const char *prog, const char *s, int lo, int hi) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
    fprintf(stderr, "%s: %s is not a whole number in %d..%d\n", prog, s, lo, hi);
    exit(2);
  }
  return (int)v;
}

/*
 * A UDP socket on 127.0.0.1 that nobody reads, its address in *to. Its receive buffer is small,
 * as the bench's unread classrooms': it fills, then the kernel drops. Exits 1 on failure.
 */
static void bench_unread_sink(const char *prog, struct sockaddr_in *to) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int size = 64 * 1024;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof *to;
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) || bind(fd, (void *)&a, sizeof a) ||
      getsockname(fd, (void *)to, &len)) {
    fprintf(stderr, "%s: ", prog);
    perror("receiving socket");
    exit(1);
  }
}

#endif
