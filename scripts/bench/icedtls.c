/*
 * Bulk classrooms on the production transport (bench-fanout --bulk-transport webrtc): for each
 * one, the part of a browser that mediasoup needs before it sends media, and no more. It binds
 * a UDP socket on 127.0.0.1, sends the worker's WebRtcServer one ICE binding request (USERNAME,
 * PRIORITY, ICE-CONTROLLING, USE-CANDIDATE, MESSAGE-INTEGRITY, FINGERPRINT; RFC 8445/5389) and
 * completes a DTLS 1.2 handshake offering DTLS-SRTP (RFC 5764) with a self-signed certificate.
 * The worker then encrypts and sends every packet to that socket, as to a browser, through the
 * WebRtcServer's one UDP socket. The socket is never read again: like the PlainTransport bulk
 * classrooms, the kernel queues and drops. mediasoup 3.12 asks for no ICE consent, so one
 * binding request keeps the path up.
 *
 * usage: icedtls   (one certificate for all classrooms, made at start)
 *   stdout: "fingerprint sha-256 AB:CD:…" first, then one line per command
 *   stdin:  "add ID PORT UFRAG PWD [read]"  → "ok ID" | "fail ID REASON"
 *           "count ID"  → "count ID RECEIVED EXPECTED REORDERED" for a classroom added with `read`:
 *                         its RTP so far (sequence numbers are in clear under SRTP), per SSRC from
 *                         the first packet seen; RTCP is skipped
 *           "drop ID"                → closes that classroom's socket (no answer)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLASSROOMS 4096
/* Unread sockets only need to exist (as the PlainTransport bulk classrooms' 16 KB). */
#define UNREAD_RCVBUF (16 * 1024)
#define STUN_TRIES 10
#define STUN_WAIT_MS 200
#define DTLS_DEADLINE_MS 5000

#define READ_RCVBUF (4 * 1024 * 1024)
#define MAX_SSRCS 4

static int fds[MAX_CLASSROOMS];

/* What a read classroom has received, per SSRC (extended sequence numbers). */
struct Tally {
  int read;
  int ssrcs;
  uint32_t ssrc[MAX_SSRCS];
  int64_t first[MAX_SSRCS], highest[MAX_SSRCS];
  long long received, reordered;
};
static struct Tally tallies[MAX_CLASSROOMS];

static SSL_CTX *make_context(char *fingerprint, size_t size) {
  EVP_PKEY *key = EVP_EC_gen("prime256v1");
  X509 *cert = X509_new();
  if (!key || !cert) return NULL;
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
  X509_set_pubkey(cert, key);
  X509_NAME *name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"tongke-bench", -1, -1, 0);
  X509_set_issuer_name(cert, name);
  if (!X509_sign(cert, key, EVP_sha256())) return NULL;

  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdLen = 0;
  X509_digest(cert, EVP_sha256(), md, &mdLen);
  size_t at = 0;
  for (unsigned int i = 0; i < mdLen && at + 4 < size; i++) at += (size_t)snprintf(fingerprint + at, size - at, i ? ":%02X" : "%02X", md[i]);

  SSL_CTX *ctx = SSL_CTX_new(DTLS_client_method());
  if (!ctx) return NULL;
  SSL_CTX_use_certificate(ctx, cert);
  SSL_CTX_use_PrivateKey(ctx, key);
  /* The worker's certificate is self-signed too; mediasoup checks ours by fingerprint. */
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
  /* The suite a browser gets from mediasoup 3.12 first (receivers.ts BROWSER_SRTP_SUITE). */
  if (SSL_CTX_set_tlsext_use_srtp(ctx, "SRTP_AEAD_AES_256_GCM:SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80") != 0) return NULL;
  X509_free(cert);
  EVP_PKEY_free(key);
  return ctx;
}

static void put16(unsigned char *p, unsigned v) { p[0] = (unsigned char)(v >> 8); p[1] = (unsigned char)v; }
static void put32(unsigned char *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v & 0xffff); }

static size_t attr(unsigned char *msg, size_t at, unsigned type, const void *value, size_t len) {
  put16(msg + at, type);
  put16(msg + at + 2, (unsigned)len);
  if (len) memcpy(msg + at + 4, value, len);
  size_t padded = (len + 3) & ~(size_t)3;
  memset(msg + at + 4 + len, 0, padded - len);
  return at + 4 + padded;
}

static uint32_t crc32(const unsigned char *p, size_t n) {
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return ~c;
}

/* A binding request from us (controlling, nominating) to the worker's ICE-lite side. */
static size_t stun_request(unsigned char *msg, const char *ufrag, const char *pwd, unsigned char txid[12]) {
  char username[300];
  snprintf(username, sizeof username, "%s:bench", ufrag);
  put16(msg, 0x0001);
  put32(msg + 4, 0x2112A442);
  memcpy(msg + 8, txid, 12);
  size_t at = 20;
  at = attr(msg, at, 0x0006, username, strlen(username));
  unsigned char priority[4];
  put32(priority, 0x6e7f1eff);
  at = attr(msg, at, 0x0024, priority, 4);
  unsigned char tiebreaker[8];
  RAND_bytes(tiebreaker, sizeof tiebreaker);
  at = attr(msg, at, 0x802A, tiebreaker, 8);
  at = attr(msg, at, 0x0025, NULL, 0);
  /* MESSAGE-INTEGRITY covers the header with the length up to and including itself. */
  put16(msg + 2, (unsigned)(at - 20 + 24));
  unsigned char mac[20];
  unsigned int macLen = 0;
  HMAC(EVP_sha1(), pwd, (int)strlen(pwd), msg, at, mac, &macLen);
  at = attr(msg, at, 0x0008, mac, 20);
  put16(msg + 2, (unsigned)(at - 20 + 8));
  unsigned char fp[4];
  put32(fp, crc32(msg, at) ^ 0x5354554eu);
  return attr(msg, at, 0x8028, fp, 4);
}

static void set_timeout(int fd, int ms) {
  struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* A binding success response (0x0101) to our transaction, within a few tries. */
static int ice_connect(int fd, const char *ufrag, const char *pwd) {
  unsigned char msg[512], reply[2048], txid[12];
  RAND_bytes(txid, sizeof txid);
  size_t len = stun_request(msg, ufrag, pwd, txid);
  set_timeout(fd, STUN_WAIT_MS);
  for (int tries = 0; tries < STUN_TRIES; tries++) {
    if (send(fd, msg, len, 0) < 0) return -1;
    for (;;) {
      ssize_t n = recv(fd, reply, sizeof reply, 0);
      if (n < 0) break;
      if (n >= 20 && reply[0] == 0x01 && reply[1] == 0x01 && memcmp(reply + 8, txid, 12) == 0) return 0;
    }
  }
  return -1;
}

static const char *dtls_connect(SSL_CTX *ctx, int fd, struct sockaddr_in *peer) {
  SSL *ssl = SSL_new(ctx);
  BIO *bio = BIO_new_dgram(fd, BIO_NOCLOSE);
  if (!ssl || !bio) return "no memory";
  BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, peer);
  SSL_set_bio(ssl, bio, bio);
  SSL_set_connect_state(ssl);
  set_timeout(fd, 50);
  const char *failure = NULL;
  long long deadline = now_ms() + DTLS_DEADLINE_MS;
  for (;;) {
    int rc = SSL_do_handshake(ssl);
    if (rc == 1) break;
    int err = SSL_get_error(ssl, rc);
    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
      failure = "handshake refused";
      break;
    }
    if (now_ms() > deadline) {
      failure = "handshake timed out";
      break;
    }
    DTLSv1_handle_timeout(ssl);
  }
  if (!failure && !SSL_get_selected_srtp_profile(ssl)) failure = "no SRTP profile agreed";
  /* The socket stays ours; mediasoup keeps the keys it derived. */
  SSL_free(ssl);
  ERR_clear_error();
  return failure;
}

static void tally_packet(struct Tally *t, const unsigned char *p, ssize_t n) {
  /* RTP version 2; RTCP (SR, RR, SDES…) is multiplexed with it (seqGaps.ts does the same). */
  int pt = p[1] & 0x7f;
  if (n < 12 || (p[0] >> 6) != 2 || (pt >= 64 && pt <= 95)) return;
  uint16_t seq = (uint16_t)((p[2] << 8) | p[3]);
  uint32_t ssrc = ((uint32_t)p[8] << 24) | ((uint32_t)p[9] << 16) | ((uint32_t)p[10] << 8) | p[11];
  int k = 0;
  while (k < t->ssrcs && t->ssrc[k] != ssrc) k++;
  if (k == t->ssrcs) {
    if (k == MAX_SSRCS) return;
    t->ssrcs++;
    t->ssrc[k] = ssrc;
    t->first[k] = t->highest[k] = seq;
    t->received++;
    return;
  }
  /* Extend against the highest so far: the nearest value with these 16 bits. */
  int64_t ext = (t->highest[k] & ~(int64_t)0xffff) | seq;
  if (ext < t->highest[k] - 0x8000) ext += 0x10000;
  else if (ext > t->highest[k] + 0x8000) ext -= 0x10000;
  if (ext < t->highest[k]) t->reordered++;
  else t->highest[k] = ext;
  t->received++;
}

static void count(int id) {
  if (id < 0 || id >= MAX_CLASSROOMS || fds[id] < 0 || !tallies[id].read) {
    printf("fail %d not a read classroom\n", id);
    return;
  }
  struct Tally *t = &tallies[id];
  unsigned char buf[2048];
  for (;;) {
    ssize_t n = recv(fds[id], buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) break;
    tally_packet(t, buf, n);
  }
  long long expected = 0;
  for (int k = 0; k < t->ssrcs; k++) expected += t->highest[k] - t->first[k] + 1;
  printf("count %d %lld %lld %lld\n", id, t->received, expected, t->reordered);
}

static void add(SSL_CTX *ctx, int id, int port, const char *ufrag, const char *pwd, int read) {
  if (id < 0 || id >= MAX_CLASSROOMS || fds[id] >= 0) {
    printf("fail %d bad id\n", id);
    return;
  }
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in local = { .sin_family = AF_INET, .sin_port = 0 };
  struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
  inet_pton(AF_INET, "127.0.0.1", &local.sin_addr);
  inet_pton(AF_INET, "127.0.0.1", &peer.sin_addr);
  int rcvbuf = read ? READ_RCVBUF : UNREAD_RCVBUF;
  /* Past net.core.rmem_max only as root (SO_RCVBUFFORCE); a read classroom is drained often anyway. */
  if (fd >= 0 && (!read || setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0))
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (fd < 0 ||
      bind(fd, (struct sockaddr *)&local, sizeof local) != 0 || connect(fd, (struct sockaddr *)&peer, sizeof peer) != 0) {
    printf("fail %d socket: %s\n", id, strerror(errno));
    if (fd >= 0) close(fd);
    return;
  }
  if (ice_connect(fd, ufrag, pwd) != 0) {
    printf("fail %d no ICE answer\n", id);
    close(fd);
    return;
  }
  const char *failure = dtls_connect(ctx, fd, &peer);
  if (failure) {
    printf("fail %d %s\n", id, failure);
    close(fd);
    return;
  }
  fds[id] = fd;
  memset(&tallies[id], 0, sizeof tallies[id]);
  tallies[id].read = read;
  printf("ok %d\n", id);
}

int main(void) {
  for (int i = 0; i < MAX_CLASSROOMS; i++) fds[i] = -1;
  char fingerprint[128] = "";
  SSL_CTX *ctx = make_context(fingerprint, sizeof fingerprint);
  if (!ctx) {
    fprintf(stderr, "icedtls: cannot make the DTLS context\n");
    return 1;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("fingerprint sha-256 %s\n", fingerprint);

  char line[512], ufrag[256], pwd[256], mode[16];
  int id, port;
  while (fgets(line, sizeof line, stdin)) {
    int fields = sscanf(line, "add %d %d %255s %255s %15s", &id, &port, ufrag, pwd, mode);
    if (fields >= 4) {
      add(ctx, id, port, ufrag, pwd, fields == 5 && strcmp(mode, "read") == 0);
    } else if (sscanf(line, "count %d", &id) == 1) {
      count(id);
    } else if (sscanf(line, "drop %d", &id) == 1) {
      if (id >= 0 && id < MAX_CLASSROOMS && fds[id] >= 0) {
        close(fds[id]);
        fds[id] = -1;
      }
    } else {
      printf("fail -1 unknown command\n");
    }
  }
  SSL_CTX_free(ctx);
  return 0;
}
