// SPDX-License-Identifier: BSD-3-Clause
/*
 * Seeds for fuzz_quic (tests/fuzz/fuzz.sh runs it; no root needed): inputs
 * in fuzz_quic's format (records [flags][port and length, 2 bytes][bytes]) that
 * reach every part of user/quic.c (each record of 4,095 bytes at most): the sample Initials of RFC 9001 and
 * RFC 9369 as they are, a Chromium-like hello of ~1.9 KB cut into shuffled
 * CRYPTO frames over two Initials (sealed here, and as frames fuzz_quic
 * seals), coalesced Initial and Handshake packets, a Retry's new DCID, and
 * frames of every type an Initial may carry.
 * Usage: mkseeds_quic DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quic.h"
#include "quicpkt.h"
#include "quic_rfc.h"

#define SEALED 0x80

struct seed {
	__u8 b[65536];
	int n;
};

static void rec(struct seed *s, __u8 flags, const __u8 *p, int n)
{
	if (s->n + 3 + n > (int)sizeof(s->b) || n > 4095)
		pkt_fail("mkseeds_quic: a seed over %zu bytes, or a record over 4,095", sizeof(s->b));
	s->b[s->n++] = flags;
	s->b[s->n++] = (__u8)(n >> 8);
	s->b[s->n++] = (__u8)n;
	memcpy(s->b + s->n, p, n);
	s->n += n;
}

static void save(const char *dir, const char *name, struct seed *s)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(s->b, 1, s->n, f) != (size_t)s->n || fclose(f))
		pkt_fail("mkseeds_quic: cannot write %s", path);
	s->n = 0;
}

static int unhex(const char *h, __u8 *out)
{
	int n = 0;

	for (; *h; h++) {
		char b[3] = { h[0], h[1], 0 };

		if (*h == ' ')
			continue;
		out[n++] = (__u8)strtoul(b, NULL, 16);
		h++;
	}
	return n;
}

/* The big hello's pieces over two packets, every other one. */
static int chrome_cut(int len, struct qp_piece p[2][16], int nf[2])
{
	static const int order[12] = { 7, 2, 10, 0, 5, 11, 3, 8, 1, 9, 4, 6 };
	struct qp_piece all[12];
	int cuts[11], i;

	for (i = 0; i < 11; i++)
		cuts[i] = (i + 1) * len / 12 + (i % 3) * 5;
	qp_cut(len, cuts, 11, all);
	nf[0] = nf[1] = 0;
	for (i = 0; i < 12; i++)
		p[i & 1][nf[i & 1]++] = all[order[i]];
	return 12;
}

static void chrome_seeds(const char *dir, struct seed *s)
{
	const struct hspec h = SPEC_GREASE(.pad = 1600);
	static __u8 hello[4096], pkt[8192], frames[8192];
	struct qp_piece p[2][16];
	int len = qp_hello(&h, hello, sizeof(hello)), nf[2], k, n;

	chrome_cut(len, p, nf);
	for (k = 0; k < 2; k++) {
		n = qp_initial(&(struct qp_spec){ .pn = (__u64)k }, hello, p[k], nf[k], pkt,
			       sizeof(pkt));
		rec(s, 0, pkt, n);
	}
	save(dir, "chrome-two-initials", s);
	for (k = 1; k >= 0; k--) {
		n = qp_frames(hello, p[k], nf[k], 1, frames, sizeof(frames));
		rec(s, SEALED, frames, n);
	}
	save(dir, "chrome-frames-reversed", s);
	for (k = 0; k < 2; k++) {
		n = qp_frames(hello, p[k], nf[k], 1, frames, sizeof(frames));
		rec(s, SEALED | 0x01 | 0x10, frames, n);
	}
	save(dir, "chrome-frames-v2", s);
	/* the first half under one DCID, then all of it under another (Retry) */
	n = qp_frames(hello, p[0], nf[0], 1, frames, sizeof(frames));
	rec(s, SEALED, frames, n);
	n = qp_frames(hello, &(struct qp_piece){ 0, len }, 1, 0, frames, sizeof(frames));
	rec(s, SEALED | 0x02 | 0x20, frames, n);
	save(dir, "chrome-retry", s);
}

static void rfc_seeds(const char *dir, struct seed *s)
{
	static __u8 pkt[2048], hs[2048];
	struct qp_spec h = { .type = QUIC_PT_HANDSHAKE, .pad_to = 60 };
	__u8 ping[4] = { 1, 0, 0, 0 };
	int n, m;

	n = unhex(V1_PACKET, pkt);
	rec(s, 0, pkt, n);
	save(dir, "rfc9001-initial", s);
	n = unhex(V2_PACKET, pkt);
	rec(s, 0, pkt, n);
	save(dir, "rfc9369-initial", s);
	n = unhex(RFC_CRYPTO_FRAME, pkt);
	rec(s, SEALED, pkt, n);
	save(dir, "rfc-frame", s);
	/* an Initial with a Handshake packet after it, then zeros */
	n = qp_initial(&(struct qp_spec){ .pad_to = 1000 }, pkt + 4,
		       &(struct qp_piece){ 0, 241 }, 1, hs, sizeof(hs));
	m = qp_seal(&h, ping, 4, hs + n, sizeof(hs) - n);
	memset(hs + n + m, 0, 200);
	rec(s, 0, hs, n + m + 200);
	save(dir, "coalesced", s);
}

static void frame_seeds(const char *dir, struct seed *s)
{
	static const char *const payloads[] = {
		"0205190000" "01" "060000" "1c0a0603616263",    /* ACK, PING, CRYPTO, CLOSE */
		"030a1901010005000001020300",                  /* ACK with ECN and a range */
		"0600040100000a" "060404" "0303aabb",           /* a hello's start, then more */
		"0600040200000000",                            /* not a hello */
		"060004" "01004e20",                           /* a hello too big */
		"06" "7ffa" "0101",                            /* at the limit */
	};
	__u8 p[128];
	unsigned int i;

	for (i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++)
		rec(s, SEALED | (__u8)(i & 1 ? 0x08 : 0), p, unhex(payloads[i], p));
	save(dir, "frames", s);
}

int main(int argc, char **argv)
{
	static struct seed s;

	if (argc != 2) {
		fprintf(stderr, "usage: mkseeds_quic DIR\n");
		return 2;
	}
	rfc_seeds(argv[1], &s);
	chrome_seeds(argv[1], &s);
	frame_seeds(argv[1], &s);
	return 0;
}
