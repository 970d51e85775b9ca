// SPDX-License-Identifier: BSD-3-Clause
/*
 * What opening QUIC Initials costs in userspace (user/quic.c), on one
 * core: Initials of 1,200 bytes through quic_datagram, beside OpenSSL's
 * raw AES-128-GCM decrypt of the same bytes (the floor: a context keyed
 * once, a new nonce, the 36-byte header as associated data, 1,148 bytes,
 * the tag checked). The machine is shared: each case runs RUNS times
 * (~0.3 s each), each run followed by one of the raw decrypt, and the
 * figures are the medians of the times and of the ratios of each pair.
 *   new_dcid      every Initial of a new connection with a DCID of its own
 *                 (keys derived, the hello whole in it: Firefox, curl; and
 *                 what a flood of spoofed Initials costs)
 *   cached_keys   an Initial of a connection already being put together
 *                 (its keys kept with it): an ACK and PADDING
 *   garbage       an Initial that does not authenticate, a new DCID each
 *   two_initials  a Chromium-like hello of ~1.9 KB in two Initials, 12
 *                 shuffled frames (per hello: against two raw decrypts)
 * and the key derivation alone, with OpenSSL's one-shot HMAC() beside it.
 * No root needed. Prints "name value unit" lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "quic.h"
#include "quicpkt.h"

#define RUNS 7
#define NPKT 1024
#define RUN_NS 300000000ULL

typedef void bench_fn(void *ctx, unsigned long i);

static __u64 now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (__u64)t.tv_sec * 1000000000ULL + (__u64)t.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *r)
{
	qsort(r, RUNS, sizeof(r[0]), cmp_d);
	return r[RUNS / 2];
}

/* ns per call of fn in a run of about RUN_NS. */
static double run_ns(bench_fn *fn, void *ctx, unsigned long *i)
{
	__u64 t0 = now_ns(), t;
	unsigned long n = 0;
	int j;

	do {
		for (j = 0; j < 64; j++, n++)
			fn(ctx, (*i)++);
		t = now_ns();
	} while (t - t0 < RUN_NS);
	return (double)(t - t0) / (double)n;
}

/* ---- OpenSSL's raw AES-128-GCM ---- */

struct gcm {
	EVP_CIPHER_CTX *x;
	__u8 aad[36], ct[1148], pt[1148], tag[16];
	int times;
};

static void gcm_open(void *ctx, unsigned long i)
{
	struct gcm *g = ctx;
	__u8 nonce[12] = { 0 };
	int n, k;

	/* a wrong tag: the whole work, then a refusal, every time alike */
	for (k = 0; k < g->times; k++) {
		memcpy(nonce, &i, sizeof(i));
		nonce[11] = (__u8)k;
		if (!EVP_DecryptInit_ex(g->x, NULL, NULL, NULL, nonce) ||
		    !EVP_DecryptUpdate(g->x, NULL, &n, g->aad, sizeof(g->aad)) ||
		    !EVP_DecryptUpdate(g->x, g->pt, &n, g->ct, sizeof(g->ct)) ||
		    !EVP_CIPHER_CTX_ctrl(g->x, EVP_CTRL_GCM_SET_TAG, 16, g->tag))
			abort();
		(void)EVP_DecryptFinal_ex(g->x, g->pt + n, &n);
	}
}

struct figure {
	double ns, gcm_ns, ratio;
};

/* fn against times raw decrypts, run after run. */
static struct figure measure(bench_fn *fn, void *ctx, int times)
{
	static const __u8 key[16] = { 1, 2, 3 };
	struct gcm g = { .times = times };
	double a[RUNS], b[RUNS], r[RUNS];
	unsigned long i = 0, j = 0;
	struct figure f;
	int k;

	if (!(g.x = EVP_CIPHER_CTX_new()) ||
	    !EVP_DecryptInit_ex(g.x, EVP_aes_128_gcm(), NULL, key, NULL))
		abort();
	for (k = 0; k < RUNS; k++) {
		a[k] = run_ns(fn, ctx, &i);
		b[k] = run_ns(gcm_open, &g, &j);
		r[k] = a[k] / b[k];
	}
	f.ns = median(a);
	f.gcm_ns = median(b);
	f.ratio = median(r);
	EVP_CIPHER_CTX_free(g.x);
	return f;
}

static void report(const char *name, struct figure f, const char *what)
{
	printf("quic_%s_ns %.0f ns\n", name, f.ns);
	printf("quic_%s_per_sec_core %.0f %s/s\n", name, 1e9 / f.ns, what);
	printf("quic_%s_gcm_raw_ns %.0f ns (the raw decrypts run beside it)\n", name, f.gcm_ns);
	printf("quic_%s_vs_gcm %.2f ratio\n", name, f.ratio);
}

/* ---- Initials through the tracker ---- */

struct run {
	struct quic_tracker *t;
	__u8 (*pkt)[1400];
	int len[NPKT];
	__u64 clock;
	unsigned long hellos;
};

static void client(struct hs_endpoints *ep, unsigned long i)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = 4;
	ep->saddr[0] = 198;
	ep->saddr[1] = 18;
	ep->saddr[2] = (__u8)(i >> 16);
	ep->saddr[3] = (__u8)(i >> 24);
	ep->sport = (__u16)i;
	ep->dport = 443;
}

static struct run *run_new(void)
{
	struct quic_config cfg = { .conns = 16384, .bufs = NPKT + 64 };
	struct run *r = calloc(1, sizeof(*r));

	if (!r || !(r->pkt = calloc(NPKT, sizeof(*r->pkt))) || !(r->t = quic_tracker_new(&cfg)))
		abort();
	r->clock = 1000000000ULL;
	return r;
}

static void run_free(struct run *r)
{
	quic_tracker_free(r->t);
	free(r->pkt);
	free(r);
}

static void dcid_of(__u8 dcid[8], int k)
{
	int j;

	for (j = 0; j < 8; j++)
		dcid[j] = (__u8)(k * 131 + j * 17 + 1);
}

/* The i-th packet from the i-th client (a connection of its own). */
static void feed_new(void *ctx, unsigned long i)
{
	struct run *r = ctx;
	struct hs_endpoints ep;
	struct quic_dgram d;
	int k = (int)(i % NPKT);

	client(&ep, i);
	r->hellos += (unsigned long)quic_datagram(r->t, &ep, r->pkt[k], (size_t)r->len[k],
						  r->clock += 1000, &d);
}

/* Whole hellos, one Initial each, each with its DCID; garbage: the DCID
 * changed after sealing. */
static struct figure new_dcid(const __u8 *hello, int len, bool garbage, unsigned long *hellos)
{
	struct run *r = run_new();
	struct figure f;
	__u8 dcid[8];
	int k;

	for (k = 0; k < NPKT; k++) {
		dcid_of(dcid, k);
		r->len[k] = qp_initial(&(struct qp_spec){ .dcid = dcid, .dcid_len = 8, .scid_len = 8 },
				       hello, &(struct qp_piece){ 0, len }, 1, r->pkt[k], 1400);
		if (garbage)
			r->pkt[k][6] ^= 0xff;
	}
	f = measure(feed_new, r, 1);
	*hellos = r->hellos;
	run_free(r);
	return f;
}

/* The i-th packet from client k's connection (already there). */
static void feed_same(void *ctx, unsigned long i)
{
	struct run *r = ctx;
	struct hs_endpoints ep;
	struct quic_dgram d;
	int k = (int)(i % NPKT);

	client(&ep, (unsigned long)k);
	quic_datagram(r->t, &ep, r->pkt[k], (size_t)r->len[k], r->clock, &d);
	if (d.pkt[0].reason != QUIC_R_OK)
		abort();
}

/* Connections begun (the first 100 bytes of the hello), then an ACK-only
 * Initial of each, again and again: keys kept with the connection. */
static struct figure cached_keys(const __u8 *hello)
{
	static __u8 first[1400];
	struct run *r = run_new();
	struct hs_endpoints ep;
	struct quic_dgram d;
	__u8 dcid[8], ack[64];
	struct wbuf w = { ack, 0, sizeof(ack) };
	struct figure f;
	int k, n;

	qp_ack(&w, 0, 0);
	for (k = 0; k < NPKT; k++) {
		struct qp_spec s = { .dcid = dcid, .dcid_len = 8, .scid_len = 8, .pad_to = 1200 };

		dcid_of(dcid, k);
		n = qp_initial(&s, hello, &(struct qp_piece){ 0, 100 }, 1, first, sizeof(first));
		client(&ep, (unsigned long)k);
		quic_datagram(r->t, &ep, first, (size_t)n, r->clock, &d);
		if (d.pkt[0].reason != QUIC_R_OK)
			abort();
		s.pn = 1;
		r->len[k] = qp_seal(&s, ack, w.n, r->pkt[k], 1400);
	}
	f = measure(feed_same, r, 1);
	run_free(r);
	return f;
}

/* A Chromium-like hello in two Initials, both from a new client. */
static void feed_pair(void *ctx, unsigned long i)
{
	struct run *r = ctx;
	struct hs_endpoints ep;
	struct quic_dgram d;
	int k = (int)(i % (NPKT / 2)) * 2;

	client(&ep, i);
	quic_datagram(r->t, &ep, r->pkt[k], (size_t)r->len[k], r->clock += 1000, &d);
	r->hellos += (unsigned long)quic_datagram(r->t, &ep, r->pkt[k + 1], (size_t)r->len[k + 1],
						  r->clock, &d);
}

static struct figure two_initials(const __u8 *hello, int len, unsigned long *hellos)
{
	static const int order[12] = { 7, 2, 10, 0, 5, 11, 3, 8, 1, 9, 4, 6 };
	struct run *r = run_new();
	struct qp_piece all[12], p[2][6];
	int cuts[11], i, k, nf[2] = { 0, 0 };
	struct figure f;
	__u8 dcid[8];

	for (i = 0; i < 11; i++)
		cuts[i] = (i + 1) * len / 12;
	qp_cut(len, cuts, 11, all);
	for (i = 0; i < 12; i++)
		p[i & 1][nf[i & 1]++] = all[order[i]];
	for (k = 0; k < NPKT; k += 2) {
		dcid_of(dcid, k);
		for (i = 0; i < 2; i++)
			r->len[k + i] = qp_initial(&(struct qp_spec){ .dcid = dcid, .dcid_len = 8,
								  .scid_len = 8, .pn = (__u64)i },
						   hello, p[i], nf[i], r->pkt[k + i], 1400);
	}
	f = measure(feed_pair, r, 2);
	*hellos = r->hellos;
	run_free(r);
	return f;
}

/* ---- the key derivation alone ---- */

static void derive(void *ctx, unsigned long i)
{
	struct quic_keys k;
	__u8 dcid[8];

	memcpy(dcid, &i, 8);
	if (quic_initial_keys(ctx, QUIC_V1, dcid, 8, false, &k))
		abort();
}

/* The same five HMACs with OpenSSL's one-shot HMAC(). */
static void derive_oneshot(void *ctx, unsigned long i)
{
	static const __u8 salt[20] = { 0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
				       0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a };
	static const char *const info[4] = {
		"\x00\x20\x0ftls13 client in\x00\x01", "\x00\x10\x0etls13 quic key\x00\x01",
		"\x00\x0c\x0dtls13 quic iv\x00\x01", "\x00\x10\x0dtls13 quic hp\x00\x01",
	};
	static const int ilen[4] = { 19, 18, 17, 17 };
	__u8 dcid[8], s[32], c[32], out[32];
	unsigned int n;
	int j;

	(void)ctx;
	memcpy(dcid, &i, 8);
	HMAC(EVP_sha256(), salt, 20, dcid, 8, s, &n);
	HMAC(EVP_sha256(), s, 32, (const __u8 *)info[0], ilen[0], c, &n);
	for (j = 1; j < 4; j++)
		HMAC(EVP_sha256(), c, 32, (const __u8 *)info[j], ilen[j], out, &n);
}

int main(void)
{
	const struct hspec big = SPEC_GREASE(.pad = 1600), small = SPEC(.pad = 0);
	static __u8 hb[4096], hs[4096];
	int lb = qp_hello(&big, hb, sizeof(hb)), ls = qp_hello(&small, hs, sizeof(hs));
	struct quic_crypto *c = quic_crypto_new();
	unsigned long h1 = 0, h2 = 0, h3 = 0;
	struct figure a, b;

	if (!c)
		return 1;
	report("initial_new_dcid", new_dcid(hs, ls, false, &h1), "Initials");
	report("initial_cached_keys", cached_keys(hs), "Initials");
	report("initial_garbage", new_dcid(hs, ls, true, &h3), "Initials");
	report("hello_two_initials", two_initials(hb, lb, &h2), "hellos");
	printf("quic_hello_two_initials_bytes %d bytes (its ratio: against two raw decrypts)\n", lb);
	a = measure(derive, c, 1);
	b = measure(derive_oneshot, NULL, 1);
	printf("quic_keys_derive_ns %.0f ns\n", a.ns);
	printf("quic_keys_derive_oneshot_hmac_ns %.0f ns\n", b.ns);
	printf("quic_keys_derive_oneshot_vs_kept %.2f ratio\n", b.ratio / a.ratio);
	quic_crypto_free(c);
	if (!h1 || !h2 || h3) {
		fprintf(stderr, "bench_quic: hellos out: %lu, %lu, %lu from garbage\n", h1, h2, h3);
		return 1;
	}
	return 0;
}
