// SPDX-License-Identifier: BSD-3-Clause
/*
 * QUIC ClientHellos from client datagrams (user/quic.c, user/quickeys.c):
 *  - the sample packets of RFC 9001 and RFC 9369 (appendix A): the client
 *    Initial's keys and mask, the packet opened to its ClientHello; the
 *    key derivation against OpenSSL's own HKDF and TLS 1.3 KDF for other
 *    DCIDs;
 *  - hellos (the RFC's, a Chromium-like one of ~1.9 KB) sealed again into
 *    1 to 4 Initials (tests/lib/quicpkt.h), cut into shuffled, overlapping
 *    and repeated CRYPTO frames with PING and PADDING between, fed in every
 *    order: the hello whole, from the datagram that completes it, once;
 *    one-byte frames; coalesced packets; a Retry's new DCID; version 2;
 *  - bad input: every truncation and bit flip of the sample packet,
 *    lying lengths, IDs and versions, frames an Initial cannot hold,
 *    absurd CRYPTO offsets, a hello that is not one or is too big: each
 *    its reason, never a hello;
 *  - the bounds: a full table, eviction after the hold time, the timeout,
 *    and a million Initials of different DCIDs (memory and table bounded).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <time.h>
#include <openssl/core_names.h>
#include <openssl/kdf.h>

#include "quic.h"
#include "check.h"
#include "quicpkt.h"
#include "quic_rfc.h"

#define S 1000000000ULL
#define MAXPKT 4
#define MAXF 64

static struct quic_tracker *T;
static __u64 now_ns = 1000 * S;
static unsigned int next_port = 1024;
static __u8 rfc_hello[512], big_hello[4096];
static int rfc_hello_len, big_hello_len;

/* ---- helpers ---- */

static int hx(const char *s, __u8 *out, int cap)
{
	int n = 0;

	for (; *s; s++) {
		char b[3] = { s[0], s[1], 0 };

		if (*s == ' ')
			continue;
		if (n >= cap || !s[1])
			fail_msg("hx: more than %d bytes, or an odd digit", cap);
		out[n++] = (__u8)strtoul(b, NULL, 16);
		s++;
	}
	return n;
}

static void check_hex(const char *desc, const char *want, const __u8 *got, int len)
{
	__u8 w[256];
	int n = hx(want, w, sizeof(w));

	CHECK_INT(desc, "length", n, len);
	if (n == len && memcmp(w, got, n)) {
		note("%s: bytes differ from %s", desc, want);
		fails++;
	}
}

/* A client of its own: 198.18.x.y, a port never used before. */
static struct hs_endpoints client(void)
{
	struct hs_endpoints ep = { .family = 4, .dport = 443 };
	unsigned int n = next_port++;

	ep.saddr[0] = 198;
	ep.saddr[1] = 18;
	ep.saddr[2] = (__u8)(n >> 16);
	ep.saddr[3] = (__u8)(n >> 24);
	ep.sport = (__u16)n;
	ep.daddr[0] = 198;
	ep.daddr[1] = 19;
	ep.daddr[3] = 1;
	return ep;
}

static int feed(const struct hs_endpoints *ep, const __u8 *d, int len, struct quic_dgram *out)
{
	return quic_datagram(T, ep, d, (size_t)len, now_ns, out);
}

static unsigned int rng_next(unsigned int *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

static void shuffle(struct qp_piece *p, int n, unsigned int *rng)
{
	int i;

	for (i = n - 1; i > 0; i--) {
		int j = (int)(rng_next(rng) % (unsigned int)(i + 1));
		struct qp_piece x = p[i];

		p[i] = p[j];
		p[j] = x;
	}
}

static int setup(void **st)
{
	const struct hspec big = SPEC_GREASE(.pad = 1600);
	__u8 frame[512];
	int n;

	(void)st;
	fails = 0;
	T = quic_tracker_new(NULL);
	assert_non_null(T);
	n = hx(RFC_CRYPTO_FRAME, frame, sizeof(frame));
	rfc_hello_len = n - 4;          /* 06 00 40f1 */
	memcpy(rfc_hello, frame + 4, rfc_hello_len);
	big_hello_len = qp_hello(&big, big_hello, sizeof(big_hello));
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	quic_tracker_free(T);
	T = NULL;
	return 0;
}

/* ---- RFC 9001 and RFC 9369 ---- */

static void keys_check(const char *desc, __u32 v, bool server, const char *secret,
		       const char *key, const char *iv, const char *hp)
{
	struct quic_crypto *c = quic_crypto_new();
	struct quic_keys k;
	__u8 s[32];

	assert_non_null(c);
	CHECK_INT(desc, "secret derived", 0, quic_initial_secret(c, v, qp_rfc_dcid, 8, server, s));
	check_hex(desc, secret, s, 32);
	CHECK_INT(desc, "keys derived", 0, quic_initial_keys(c, v, qp_rfc_dcid, 8, server, &k));
	check_hex(desc, key, k.key, 16);
	check_hex(desc, iv, k.iv, 12);
	check_hex(desc, hp, k.hp, 16);
	quic_crypto_free(c);
}

static void rfc_keys(void **st)
{
	(void)st;
	keys_check("RFC 9001 client", QUIC_V1, false, V1_CLIENT_SECRET, V1_CLIENT_KEY,
		   V1_CLIENT_IV, V1_CLIENT_HP);
	keys_check("RFC 9001 server", QUIC_V1, true, V1_SERVER_SECRET, V1_SERVER_KEY,
		   V1_SERVER_IV, V1_SERVER_HP);
	keys_check("RFC 9369 client", QUIC_V2, false, V2_CLIENT_SECRET, V2_CLIENT_KEY,
		   V2_CLIENT_IV, V2_CLIENT_HP);
	keys_check("RFC 9369 server", QUIC_V2, true, V2_SERVER_SECRET, V2_SERVER_KEY,
		   V2_SERVER_IV, V2_SERVER_HP);
	CHECKS_DONE();
}

static void rfc_masks(void **st)
{
	struct quic_crypto *c = quic_crypto_new();
	__u8 hp[16], sample[16], mask[5];

	(void)st;
	hx(V1_CLIENT_HP, hp, 16);
	hx(V1_SAMPLE, sample, 16);
	CHECK_INT("RFC 9001", "mask", 0, quic_hp_mask(c, hp, sample, mask));
	check_hex("RFC 9001 mask", V1_MASK, mask, 5);
	hx(V2_CLIENT_HP, hp, 16);
	hx(V2_SAMPLE, sample, 16);
	CHECK_INT("RFC 9369", "mask", 0, quic_hp_mask(c, hp, sample, mask));
	check_hex("RFC 9369 mask", V2_MASK, mask, 5);
	quic_crypto_free(c);
	CHECKS_DONE();
}

static void rfc_packet(const char *desc, const char *hex, __u32 version)
{
	struct hs_endpoints ep = client();
	static __u8 pkt[1200];
	struct quic_dgram d;
	const struct quic_packet *p = &d.pkt[0];

	CHECK_INT(desc, "packet bytes", 1200, hx(hex, pkt, sizeof(pkt)));
	CHECK_INT(desc, "a hello", 1, feed(&ep, pkt, 1200, &d));
	CHECK_INT(desc, "packets", 1, d.npkts);
	CHECK_STR(desc, "reason", "ok", quic_reason_name(p->reason));
	CHECK_INT(desc, "type", QUIC_PT_INITIAL, p->type);
	CHECK_HEX(desc, "version", version, p->version);
	CHECK_INT(desc, "DCID", 8, p->dcid_len);
	CHECK_INT(desc, "DCID bytes", 0, memcmp(p->dcid, qp_rfc_dcid, 8));
	CHECK_INT(desc, "SCID", 0, p->scid_len);
	CHECK_INT(desc, "packet number", 2, p->pn);
	CHECK_INT(desc, "packet length", 1200, p->len);
	CHECK_INT(desc, "hello length", rfc_hello_len, d.hello_len);
	if (d.hello && memcmp(d.hello, rfc_hello, rfc_hello_len)) {
		note("%s: the hello differs from the CRYPTO frame's", desc);
		fails++;
	}
	CHECK_INT(desc, "record length", rfc_hello_len + 5, d.record_len);
	if (d.record)
		check_hex(desc, "16030100f1", d.record, 5);
	CHECK_INT(desc, "record body", 0, d.record ? memcmp(d.record + 5, rfc_hello, 241) : 1);
	/* the same datagram again: the hello is taken once */
	CHECK_INT(desc, "again: no hello", 0, feed(&ep, pkt, 1200, &d));
	CHECK_STR(desc, "again", "after_hello", quic_reason_name(d.pkt[0].reason));
}

static void rfc_packets(void **st)
{
	(void)st;
	rfc_packet("RFC 9001 A.2", V1_PACKET, QUIC_V1);
	rfc_packet("RFC 9369 A.2", V2_PACKET, QUIC_V2);
	CHECKS_DONE();
}

/* OpenSSL's HKDF-Extract and TLS 1.3 HKDF-Expand-Label, for comparison. */
static int ossl_kdf(const char *name, OSSL_PARAM *p, __u8 *out, size_t len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, name, NULL);
	EVP_KDF_CTX *x = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	int ok = x && EVP_KDF_derive(x, out, len, p) > 0;

	EVP_KDF_CTX_free(x);
	EVP_KDF_free(kdf);
	return ok ? 0 : -1;
}

static int ossl_expand(const __u8 *secret, const char *label, __u8 *out, size_t len)
{
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	OSSL_PARAM p[] = {
		OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, 32),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PREFIX, "tls13 ", 6),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_LABEL, (void *)label,
						  strlen(label)),
		OSSL_PARAM_construct_end(),
	};

	return ossl_kdf("TLS13-KDF", p, out, len);
}

static int ossl_keys(__u32 v, const __u8 *dcid, int len, __u8 secret[32], struct quic_keys *k)
{
	static const __u8 salt1[] = { 0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
				      0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a };
	static const __u8 salt2[] = { 0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
				      0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9 };
	int mode = EVP_KDF_HKDF_MODE_EXTRACT_ONLY;
	const char *pre = v == QUIC_V2 ? "quicv2 " : "quic ";
	char l[3][16];
	__u8 initial[32];
	OSSL_PARAM p[] = {
		OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)dcid, len),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
						  (void *)(v == QUIC_V2 ? salt2 : salt1), 20),
		OSSL_PARAM_construct_end(),
	};

	snprintf(l[0], 16, "%skey", pre);
	snprintf(l[1], 16, "%siv", pre);
	snprintf(l[2], 16, "%shp", pre);
	return ossl_kdf("HKDF", p, initial, 32) || ossl_expand(initial, "client in", secret, 32) ||
	       ossl_expand(secret, l[0], k->key, 16) || ossl_expand(secret, l[1], k->iv, 12) ||
	       ossl_expand(secret, l[2], k->hp, 16);
}

/* Our derivation is OpenSSL's HKDF for DCIDs of 1 to 20 bytes. */
static void keys_are_openssl_hkdf(void **st)
{
	struct quic_crypto *c = quic_crypto_new();
	unsigned int rng = 7, i, j;

	(void)st;
	for (i = 0; i < 400; i++) {
		__u32 v = i & 1 ? QUIC_V2 : QUIC_V1;
		int len = 1 + (int)(i / 2 % 20);
		struct quic_keys a, b;
		__u8 dcid[20], sa[32], sb[32];
		char desc[64];

		for (j = 0; j < 20; j++)
			dcid[j] = (__u8)rng_next(&rng);
		snprintf(desc, sizeof(desc), "v%d DCID of %d bytes (%u)", v == QUIC_V2 ? 2 : 1, len, i);
		CHECK_INT(desc, "OpenSSL's KDFs", 0, ossl_keys(v, dcid, len, sb, &b));
		CHECK_INT(desc, "ours", 0, quic_initial_secret(c, v, dcid, len, false, sa) ||
					   quic_initial_keys(c, v, dcid, len, false, &a));
		CHECK_INT(desc, "secret", 0, memcmp(sa, sb, 32));
		CHECK_INT(desc, "keys", 0, memcmp(&a, &b, sizeof(a)));
	}
	CHECK_INT("an unknown version", "derived", -1,
		  quic_initial_keys(c, 0xff00001d, qp_rfc_dcid, 8, false, &(struct quic_keys){ 0 }));
	quic_crypto_free(c);
	CHECKS_DONE();
}

/* ---- hellos cut, shuffled, in several Initials, in every order ---- */

struct plan {
	int npkts;
	int nf[MAXPKT];
	struct qp_piece f[MAXPKT][MAXF];
	__u8 pkt[MAXPKT][8192];
	int len[MAXPKT];
};

/* A hello of len bytes cut into 1 to 22 pieces (and a few pieces again,
 * overlapping others) over npkts packets, shuffled within each. */
static void plan_cut(struct plan *pl, int len, int npkts, unsigned int *rng)
{
	struct qp_piece pieces[MAXF];
	int cuts[MAXF], ncuts = npkts - 1 + (int)(rng_next(rng) % 22), n, i;

	ncuts = ncuts > len - 1 ? len - 1 : ncuts > 40 ? 40 : ncuts;
	for (i = 0; i < ncuts; i++)
		cuts[i] = 1 + (int)(rng_next(rng) % (unsigned int)(len - 1));
	for (i = 1; i < ncuts; i++) {           /* sorted (repeats make empty pieces) */
		int j, x = cuts[i];

		for (j = i; j > 0 && cuts[j - 1] > x; j--)
			cuts[j] = cuts[j - 1];
		cuts[j] = x;
	}
	n = qp_cut(len, cuts, ncuts, pieces);
	for (i = 0; i < (int)(rng_next(rng) % 4); i++) {   /* overlaps and repeats */
		int a = (int)(rng_next(rng) % (unsigned int)len);

		pieces[n].off = a;
		pieces[n++].len = 1 + (int)(rng_next(rng) % (unsigned int)(len - a));
	}
	shuffle(pieces, n, rng);
	memset(pl->nf, 0, sizeof(pl->nf));
	pl->npkts = npkts;
	for (i = 0; i < n; i++) {       /* every packet one piece at least */
		int k = i < npkts ? i : (int)(rng_next(rng) % (unsigned int)npkts);

		pl->f[k][pl->nf[k]++] = pieces[i];
	}
}

static void plan_seal(struct plan *pl, const __u8 *hello, const struct qp_spec *s)
{
	int k;

	for (k = 0; k < pl->npkts; k++) {
		struct qp_spec t = *s;

		t.pn = (__u64)k;
		pl->len[k] = qp_initial(&t, hello, pl->f[k], pl->nf[k], pl->pkt[k], sizeof(pl->pkt[k]));
	}
}

/* After which packet of order[] the hello is whole: its index. */
static int plan_done_at(const struct plan *pl, const int *order, int len)
{
	static __u8 have[QUIC_HELLO_MAX];
	int i, j, b, left = len;

	memset(have, 0, (size_t)len);
	for (i = 0; i < pl->npkts; i++) {
		const struct plan *p = pl;

		for (j = 0; j < p->nf[order[i]]; j++) {
			const struct qp_piece *f = &p->f[order[i]][j];

			for (b = f->off; b < f->off + f->len; b++)
				left -= !have[b]++;
		}
		if (!left)
			return i;
	}
	return -1;
}

/* The packets in that order from a new client: the hello once, whole,
 * from the packet that completes it; the later ones not opened. */
static void plan_run(const struct plan *pl, const int *order, const __u8 *hello, int len,
		     const char *desc)
{
	struct hs_endpoints ep = client();
	int i, at = plan_done_at(pl, order, len), got;
	struct quic_dgram d;

	for (i = 0; i < pl->npkts; i++) {
		got = feed(&ep, pl->pkt[order[i]], pl->len[order[i]], &d);
		CHECK_INT(desc, "hello from this packet", i == at, got);
		if (got && (d.hello_len != (__u32)len || memcmp(d.hello, hello, len))) {
			note("%s: the hello (%u bytes) is not the one sent (%d)", desc, d.hello_len, len);
			fails++;
		}
		CHECK_STR(desc, "reason", i > at ? "after_hello" : "ok",
			  quic_reason_name(d.pkt[0].reason));
		if (fails > 20)
			fail_msg("%s: too many failures", desc);
	}
}

static bool next_perm(int *a, int n)
{
	int i = n - 2, j = n - 1, x;

	while (i >= 0 && a[i] >= a[i + 1])
		i--;
	if (i < 0)
		return false;
	while (a[j] <= a[i])
		j--;
	x = a[i], a[i] = a[j], a[j] = x;
	for (i++, j = n - 1; i < j; i++, j--)
		x = a[i], a[i] = a[j], a[j] = x;
	return true;
}

static int plans_every_order(const __u8 *hello, int len, __u32 version, int plans,
			     unsigned int seed)
{
	static struct plan pl;
	unsigned int rng = seed;
	int i, k, runs = 0;
	struct qp_spec s = { .version = version, .scid_len = 8 };
	char desc[96];

	for (i = 0; i < plans; i++) {
		int order[MAXPKT] = { 0, 1, 2, 3 }, npkts = 1 + i % MAXPKT;

		plan_cut(&pl, len, npkts, &rng);
		plan_seal(&pl, hello, &s);
		do {
			snprintf(desc, sizeof(desc), "v%d hello of %d bytes, plan %d, order", version == QUIC_V2 ? 2 : 1, len, i);
			for (k = 0; k < npkts; k++)
				snprintf(desc + strlen(desc), sizeof(desc) - strlen(desc), " %d", order[k]);
			plan_run(&pl, order, hello, len, desc);
			runs++;
		} while (next_perm(order, npkts));
	}
	return runs;
}

static void split_every_order(void **st)
{
	int runs = 0;

	(void)st;
	runs += plans_every_order(big_hello, big_hello_len, QUIC_V1, 200, 1);
	runs += plans_every_order(rfc_hello, rfc_hello_len, QUIC_V1, 100, 2);
	runs += plans_every_order(big_hello, big_hello_len, QUIC_V2, 100, 3);
	note("%d connections: hellos of %d and %d bytes in 1 to %d Initials, every order",
	     runs, big_hello_len, rfc_hello_len, MAXPKT);
	CHECKS_DONE();
}

/* Chromium's way: two Initials, 8 to 22 shuffled frames, PING and PADDING
 * between, neither packet the whole start or end. */
static void split_chromium(void **st)
{
	static struct plan pl;
	unsigned int rng = 11;
	struct qp_spec s = { .scid_len = 0 };
	int i, both[2][2] = { { 0, 1 }, { 1, 0 } };

	(void)st;
	for (i = 0; i < 500; i++) {
		struct qp_piece pieces[MAXF];
		int cuts[22], n, j, k;

		n = 8 + i % 15;
		for (j = 0; j < n - 1; j++)
			cuts[j] = (j + 1) * big_hello_len / n + (int)(rng_next(&rng) % 17) - 8;
		n = qp_cut(big_hello_len, cuts, n - 1, pieces);
		shuffle(pieces, n, &rng);
		pl.npkts = 2;
		pl.nf[0] = pl.nf[1] = 0;
		for (j = 0; j < n; j++) {
			k = j & 1;
			pl.f[k][pl.nf[k]++] = pieces[j];
		}
		plan_seal(&pl, big_hello, &s);
		plan_run(&pl, both[0], big_hello, big_hello_len, "chromium-like, in order");
		plan_run(&pl, both[1], big_hello, big_hello_len, "chromium-like, reversed");
	}
	CHECKS_DONE();
}

/* Frames of one byte: in order and reversed they merge as they come; in a
 * random order the pieces apart pass QUIC_RANGES (too_many_ranges), and
 * the hello still comes whole once the client sends it again. */
static void one_byte_frames(void **st)
{
	static struct qp_piece pieces[4096];
	static __u8 pkt[8][4096];
	struct qp_spec s = { .scid_len = 4 };
	unsigned int rng = 5;
	int mode, i, k, n = big_hello_len, len[8], per = n / 8 + 1;
	struct quic_stats before, after;

	(void)st;
	for (mode = 0; mode < 3; mode++) {
		struct hs_endpoints ep = client();
		struct quic_dgram d;
		int got = 0, first = -1;

		for (i = 0; i < n; i++)
			pieces[i] = (struct qp_piece){ mode == 1 ? n - 1 - i : i, 1 };
		if (mode == 2)
			shuffle(pieces, n, &rng);
		for (k = 0; k < 8; k++) {
			int cnt = k * per + per > n ? n - k * per : per;

			s.pn = (__u64)k;
			len[k] = qp_initial(&s, big_hello, pieces + k * per, cnt, pkt[k], sizeof(pkt[k]));
		}
		quic_get_stats(T, &before);
		for (k = 0; k < 8; k++)
			if (feed(&ep, pkt[k], len[k], &d) && first < 0)
				first = k, got++;
		quic_get_stats(T, &after);
		if (mode < 2) {
			CHECK_INT(mode ? "reversed" : "in order", "hello at the last packet", 7, first);
			CHECK_INT(mode ? "reversed" : "in order", "too_many_ranges", 0,
				  after.reasons[QUIC_R_TOO_MANY_RANGES] - before.reasons[QUIC_R_TOO_MANY_RANGES]);
			continue;
		}
		CHECK_INT("shuffled", "hello", 0, got);
		CHECK_INT("shuffled", "too_many_ranges", 8,
			  after.reasons[QUIC_R_TOO_MANY_RANGES] - before.reasons[QUIC_R_TOO_MANY_RANGES]);
		/* sent again whole: it completes */
		s.pn = 9;
		len[0] = qp_initial(&s, big_hello, &(struct qp_piece){ 0, n }, 1, pkt[0], sizeof(pkt[0]));
		CHECK_INT("shuffled, then whole", "hello", 1, feed(&ep, pkt[0], len[0], &d));
		CHECK_INT("shuffled, then whole", "bytes", 0, d.hello ? memcmp(d.hello, big_hello, n) : 1);
	}
	CHECKS_DONE();
}

/* ---- coalesced packets ---- */

static int dgram_join(__u8 *out, const __u8 *a, int la, const __u8 *b, int lb)
{
	memcpy(out, a, la);
	memcpy(out + la, b, lb);
	return la + lb;
}

static void coalesced(void **st)
{
	static __u8 a[4096], b[4096], c[4096], dg[16384];
	struct qp_piece half[2] = { { 0, 100 }, { 100, 141 } };
	struct qp_spec s = { .scid_len = 5 }, hs = s, other = s;
	__u8 ping[8] = { 0x01, 0, 0, 0 }, odcid[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct hs_endpoints ep = client();
	struct quic_dgram d;
	int la, lb, lc, n, i;

	(void)st;
	/* an Initial with the first part, then 0-RTT and Handshake packets */
	s.pad_to = 0;
	la = qp_initial(&(struct qp_spec){ .scid_len = 5, .pad_to = 300 }, rfc_hello, half, 1, a,
			sizeof(a));
	hs.type = QUIC_PT_0RTT;
	hs.pad_to = 500;
	lb = qp_seal(&hs, ping, 4, b, sizeof(b));
	hs.type = QUIC_PT_HANDSHAKE;
	lc = qp_seal(&hs, ping, 4, c, sizeof(c));
	n = dgram_join(dg, a, la, b, lb);
	n = dgram_join(dg, dg, n, c, lc);
	CHECK_INT("Initial, 0-RTT, Handshake", "hello", 0, feed(&ep, dg, n, &d));
	CHECK_INT("Initial, 0-RTT, Handshake", "packets", 3, d.npkts);
	CHECK_STR("Initial, 0-RTT, Handshake", "first", "ok", quic_reason_name(d.pkt[0].reason));
	CHECK_INT("Initial, 0-RTT, Handshake", "second type", QUIC_PT_0RTT, d.pkt[1].type);
	CHECK_INT("Initial, 0-RTT, Handshake", "third type", QUIC_PT_HANDSHAKE, d.pkt[2].type);
	CHECK_STR("Initial, 0-RTT, Handshake", "third", "not_initial",
		  quic_reason_name(d.pkt[2].reason));
	CHECK_INT("Initial, 0-RTT, Handshake", "third SCID", 5, d.pkt[2].scid_len);
	CHECK_INT("Initial, 0-RTT, Handshake", "third at", la + lb, d.pkt[2].off);
	CHECK_INT("Initial, 0-RTT, Handshake", "third length", lc, d.pkt[2].len);
	/* the second part in an Initial, with zeros after it (a short header) */
	s.pn = 1;
	s.pad_to = 1100;
	la = qp_initial(&s, rfc_hello, half + 1, 1, a, sizeof(a));
	memset(a + la, 0, 200);
	CHECK_INT("second Initial, then zeros", "hello", 1, feed(&ep, a, la + 200, &d));
	CHECK_INT("second Initial, then zeros", "short tail", 1, d.short_tail);
	CHECK_INT("second Initial, then zeros", "bytes", 0,
		  d.hello ? memcmp(d.hello, rfc_hello, rfc_hello_len) : 1);
	/* two datagrams merged by a capture's GRO: the first's Initial padded
	 * with zeros after the packet, the second's Initial after them */
	ep = client();
	la = qp_initial(&(struct qp_spec){ .scid_len = 5, .pad_to = 1 }, rfc_hello, half, 1, a,
			sizeof(a));
	memset(a + la, 0, 1200 - la);
	CHECK_INT("zeros between merged datagrams", "zeros after the first Initial", 1, la < 1100);
	lb = qp_initial(&(struct qp_spec){ .scid_len = 5, .pn = 1, .pad_to = 1200 }, rfc_hello,
			half + 1, 1, b, sizeof(b));
	n = dgram_join(dg, a, 1200, b, lb);
	CHECK_INT("zeros between merged datagrams", "hello", 1, feed(&ep, dg, n, &d));
	CHECK_INT("zeros between merged datagrams", "packets", 2, d.npkts);
	CHECK_INT("zeros between merged datagrams", "second at", 1200, d.pkt[1].off);
	/* two Initials of one hello in one datagram */
	ep = client();
	la = qp_initial(&(struct qp_spec){ .scid_len = 5, .pad_to = 300 }, rfc_hello, half + 1, 1,
			a, sizeof(a));
	lb = qp_initial(&(struct qp_spec){ .scid_len = 5, .pn = 1, .pad_to = 900 }, rfc_hello,
			half, 1, b, sizeof(b));
	n = dgram_join(dg, a, la, b, lb);
	CHECK_INT("two Initials coalesced", "hello", 1, feed(&ep, dg, n, &d));
	CHECK_INT("two Initials coalesced", "packets", 2, d.npkts);
	/* a PING-only Initial, then the hello's: the keys derived once serve both */
	ep = client();
	la = qp_seal(&(struct qp_spec){ .scid_len = 5, .pad_to = 300 }, ping, 4, a, sizeof(a));
	lb = qp_initial(&(struct qp_spec){ .scid_len = 5, .pn = 1, .pad_to = 900 }, rfc_hello,
			&(struct qp_piece){ 0, rfc_hello_len }, 1, b, sizeof(b));
	n = dgram_join(dg, a, la, b, lb);
	CHECK_INT("a PING, then the hello, coalesced", "hello", 1, feed(&ep, dg, n, &d));
	CHECK_STR("a PING, then the hello, coalesced", "first", "ok", quic_reason_name(d.pkt[0].reason));
	/* a packet of other IDs after an Initial: ignored */
	ep = client();
	other.dcid = odcid;
	other.dcid_len = 8;
	other.pad_to = 900;
	lb = qp_initial(&other, rfc_hello, half, 2, b, sizeof(b));
	n = dgram_join(dg, a, la, b, lb);
	CHECK_INT("another connection's Initial after", "hello", 0, feed(&ep, dg, n, &d));
	CHECK_STR("another connection's Initial after", "reason", "other_conn",
		  quic_reason_name(d.pkt[1].reason));
	/* nine packets: eight walked */
	for (i = 0, n = 0; i < 9; i++) {
		hs.pad_to = 0;
		n += qp_seal(&hs, ping, 4, dg + n, sizeof(dg) - n);
	}
	CHECK_INT("nine Handshake packets", "walked", QUIC_DGRAM_PKTS, (feed(&ep, dg, n, &d), d.npkts));
	CHECK_STR("nine Handshake packets", "reason", "not_initial", quic_reason_name(d.reason));
	CHECKS_DONE();
}

/* ---- Retry and version negotiation ---- */

/* Datagrams merged by GSO or GRO: quic_dgram_size finds their length from
 * the packets' own. */
static void merged_sizes(void **st)
{
	static __u8 a[4096], b[4096], c[4096], dg[16384];
	struct qp_piece half[2] = { { 0, 100 }, { 100, 141 } };
	struct qp_spec s = { .scid_len = 5, .pad_to = 1252 }, z = s;
	__u8 ping[8] = { 0x01, 0, 0, 0 };
	int la, lb, lc, n;

	(void)st;
	la = qp_initial(&s, rfc_hello, half, 1, a, sizeof(a));
	s.pn = 1;
	lb = qp_initial(&s, rfc_hello, half + 1, 1, b, sizeof(b));
	z.type = QUIC_PT_0RTT;
	lc = qp_seal(&z, ping, 4, c, sizeof(c));
	CHECK_INT("merged", "each 1,252 bytes", 1, la == 1252 && lb == 1252 && lc == 1252);
	CHECK_INT("merged", "one datagram: nothing to cut", 0, (int)quic_dgram_size(a, la));
	/* two Initials and two 0-RTT datagrams, as a GSO send */
	n = dgram_join(dg, a, la, b, lb);
	n = dgram_join(dg, dg, n, c, lc);
	n = dgram_join(dg, dg, n, c, lc);
	CHECK_INT("four merged", "size", 1252, (int)quic_dgram_size(dg, n));
	/* the last one shorter */
	CHECK_INT("last shorter", "size", 1252, (int)quic_dgram_size(dg, n - 52));
	/* an Initial padded with zeros after its packet, then the next */
	la = qp_initial(&(struct qp_spec){ .scid_len = 5, .pad_to = 1 }, rfc_hello, half, 1, a,
			sizeof(a));
	memset(a + la, 0, 1300 - la);
	n = dgram_join(dg, a, 1300, b, lb);
	CHECK_INT("zeros after the packet", "size", 1300, (int)quic_dgram_size(dg, n));
	/* packets coalesced in each datagram: a boundary under 1,200 bytes is
	 * a packet's, not a datagram's */
	la = qp_initial(&(struct qp_spec){ .scid_len = 5, .pad_to = 700 }, rfc_hello, half, 1, a,
			sizeof(a));
	z.pad_to = 552;
	lc = qp_seal(&z, ping, 4, c, sizeof(c));
	n = dgram_join(dg, a, la, c, lc);
	n = dgram_join(dg, dg, n, a, la);
	n = dgram_join(dg, dg, n, c, lc);
	n = dgram_join(dg, dg, n, a, la);
	CHECK_INT("coalesced in each", "size", 1252, (int)quic_dgram_size(dg, n));
	/* what is not walked whole is not cut */
	n = dgram_join(dg, a, la, c, lc);
	memset(dg + n, 0x5a, 1252);
	CHECK_INT("bytes not a packet", "size", 0, (int)quic_dgram_size(dg, n + 1252));
	memset(dg, 0x40, 2504);
	CHECK_INT("short headers", "size", 0, (int)quic_dgram_size(dg, 2504));
	CHECK_INT("nothing", "size", 0, (int)quic_dgram_size(dg, 0));
}

static void retry(void **st)
{
	static __u8 a[4096], b[4096], c[4096];
	__u8 dcid2[12] = { 0xaa, 0xbb, 0xcc, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	__u8 token[40] = { 't', 'o', 'k' };
	struct qp_piece all = { 0, 0 }, first = { 0, 1000 };
	struct qp_spec s = { .scid_len = 8 }, r = s;
	struct hs_endpoints ep = client(), ep2;
	struct quic_dgram d;
	int la, lb, lc;

	(void)st;
	all.len = big_hello_len;
	r.dcid = dcid2;
	r.dcid_len = sizeof(dcid2);
	r.token = token;
	r.token_len = sizeof(token);
	r.pn = 1;
	/* part of the hello, then a Retry: the whole hello under the new DCID */
	la = qp_initial(&s, big_hello, &first, 1, a, sizeof(a));
	lb = qp_initial(&r, big_hello, &all, 1, b, sizeof(b));
	CHECK_INT("before the Retry", "hello", 0, feed(&ep, a, la, &d));
	CHECK_INT("after the Retry", "hello", 1, feed(&ep, b, lb, &d));
	CHECK_INT("after the Retry", "restarted", 1, d.restarted);
	CHECK_INT("after the Retry", "token", sizeof(token), d.pkt[0].token_len);
	CHECK_INT("after the Retry", "bytes", 0, d.hello ? memcmp(d.hello, big_hello, big_hello_len) : 1);
	/* a whole hello, then the Retry's Initial: taken once */
	ep = client();
	lc = qp_initial(&s, big_hello, &all, 1, c, sizeof(c));
	CHECK_INT("whole before the Retry", "hello", 1, feed(&ep, c, lc, &d));
	CHECK_INT("whole before the Retry", "restarted", 0, d.restarted);
	CHECK_INT("the Retry's Initial", "hello", 0, feed(&ep, b, lb, &d));
	CHECK_STR("the Retry's Initial", "reason", "after_hello", quic_reason_name(d.pkt[0].reason));
	/* half under the first DCID, the rest under the new one: one hello */
	ep = client();
	first.off = 1000;
	first.len = big_hello_len - 1000;
	la = qp_initial(&s, big_hello, &(struct qp_piece){ 0, 1000 }, 1, a, sizeof(a));
	lb = qp_initial(&r, big_hello, &first, 1, b, sizeof(b));
	CHECK_INT("halves across the Retry", "first", 0, feed(&ep, a, la, &d));
	CHECK_INT("halves across the Retry", "hello", 1, feed(&ep, b, lb, &d));
	/* version negotiation: the client starts again from another port */
	ep2 = client();
	CHECK_INT("another port", "hello", 1, feed(&ep2, c, lc, &d));
	/* the same address and port, another SCID: another connection */
	ep2 = ep;
	s.scid_len = 9;
	lc = qp_initial(&s, big_hello, &all, 1, c, sizeof(c));
	CHECK_INT("another SCID", "hello", 1, feed(&ep2, c, lc, &d));
	CHECKS_DONE();
}

/* ---- bad input ---- */

static void counts_consistent(const char *desc)
{
	struct quic_stats st;

	quic_get_stats(T, &st);
	CHECK_INT(desc, "connections within the bound", 1, st.conns <= st.conns_max);
	CHECK_INT(desc, "buffers within the bound", 1, st.bufs <= st.bufs_max);
}

/* The RFC packet cut at every length, and with every bit flipped: never a
 * hello, never a connection, each with a reason. */
static void truncated_and_flipped(void **st)
{
	static __u8 pkt[1200], bad[1200];
	struct hs_endpoints ep = client();
	struct quic_stats stats;
	struct quic_dgram d;
	int n, i, b, why[QUIC_R_MAX] = { 0 };

	(void)st;
	hx(V1_PACKET, pkt, sizeof(pkt));
	for (n = 0; n < 1200; n++) {
		CHECK_INT("truncated", "hello", 0, feed(&ep, pkt, n, &d));
		why[d.reason]++;
	}
	note("truncated at every byte: %d short", why[QUIC_R_SHORT]);
	CHECK_INT("truncated", "short", 1200, why[QUIC_R_SHORT]);
	memset(why, 0, sizeof(why));
	for (i = 0; i < 1200 * 8; i++) {
		memcpy(bad, pkt, sizeof(bad));
		bad[i / 8] ^= (__u8)(1 << (i % 8));
		b = feed(&ep, bad, 1200, &d);
		if (b || d.reason == QUIC_R_OK) {
			note("bit %d flipped: %s", i, b ? "a hello" : "taken");
			fails++;
		}
		why[d.reason]++;
	}
	quic_get_stats(T, &stats);
	CHECK_INT("flipped", "connections", 0, stats.conns);
	note("bit flips: decrypt_failed %d, not_long %d, bad_version %d, not_initial %d, short %d",
	     why[QUIC_R_DECRYPT_FAILED], why[QUIC_R_NOT_LONG], why[QUIC_R_BAD_VERSION],
	     why[QUIC_R_NOT_INITIAL], why[QUIC_R_SHORT]);
	CHECK_INT("the packet itself", "hello", 1, feed(&ep, pkt, 1200, &d));
	CHECKS_DONE();
}

/* A sealed packet of spec s and payload through a new client: its first
 * packet's reason. */
static const char *reason_of(const struct qp_spec *s, const __u8 *payload, int plen, int dglen)
{
	static __u8 pkt[70000];
	struct hs_endpoints ep = client();
	struct quic_dgram d;
	int n = qp_seal(s, payload, plen, pkt, sizeof(pkt));

	if (dglen > n)
		memset(pkt + n, 0, dglen - n), n = dglen;
	feed(&ep, pkt, dglen < 0 ? n + dglen : n, &d);
	return quic_reason_name(d.npkts ? d.pkt[0].reason : d.reason);
}

static void lying_headers(void **st)
{
	__u8 p[1300] = { 0x06, 0x00, 0x01, 0x01 }, big[21], raw[1300] = { 0 };
	struct quic_dgram d;
	struct hs_endpoints ep = client();

	(void)st;
	memset(big, 7, sizeof(big));
	CHECK_STR("Length past the datagram", "reason", "short",
		  reason_of(&(struct qp_spec){ .len_adj = 1, .pad_to = 1200 }, p, 4, 0));
	CHECK_STR("Length one short", "reason", "decrypt_failed",
		  reason_of(&(struct qp_spec){ .len_adj = -1, .pad_to = 1200 }, p, 4, 0));
	CHECK_STR("Length of 19", "reason", "no_sample",
		  reason_of(&(struct qp_spec){ .pn_len = 1, .len_adj = -1 }, p, 3, 1200));
	CHECK_STR("Length in 8 bytes", "reason", "ok",
		  reason_of(&(struct qp_spec){ .len_size = 8, .pad_to = 1200 }, p, 4, 0));
	CHECK_STR("DCID of 21 bytes", "reason", "bad_dcid_len",
		  reason_of(&(struct qp_spec){ .dcid = big, .dcid_len = 21, .pad_to = 1200 }, p, 4, 0));
	CHECK_STR("SCID of 21 bytes", "reason", "bad_scid_len",
		  reason_of(&(struct qp_spec){ .scid = big, .scid_len = 21, .pad_to = 1200 }, p, 4, 0));
	CHECK_STR("DCID of 0 bytes", "reason", "ok",
		  reason_of(&(struct qp_spec){ .dcid = big, .dcid_len = 0, .pad_to = 1200 }, p, 4, 0));
	CHECK_STR("DCID of 20 bytes", "reason", "ok",
		  reason_of(&(struct qp_spec){ .dcid = big, .dcid_len = 20, .pad_to = 1200 }, p, 4, 0));
	CHECK_STR("a datagram of 1,199 bytes", "reason", "small_datagram",
		  reason_of(&(struct qp_spec){ .pad_to = 1199 }, p, 4, 0));
	CHECK_STR("reserved bits", "reason", "bad_reserved",
		  reason_of(&(struct qp_spec){ .reserved = 0x08, .pad_to = 1200 }, p, 4, 0));
	CHECK_STR("packet number of 1 byte", "reason", "ok",
		  reason_of(&(struct qp_spec){ .pn_len = 1, .pn = 200, .pad_to = 1200 }, p, 4, 0));
	/* headers of no version we open */
	raw[0] = 0xc0;
	raw[4] = 0x00;  /* version 0: version negotiation */
	raw[5] = 8;
	CHECK_INT("version 0", "hello", 0, feed(&ep, raw, 1200, &d));
	CHECK_STR("version 0", "reason", "bad_version", quic_reason_name(d.reason));
	raw[1] = 0xff, raw[4] = 0x1d;   /* draft-29 */
	feed(&ep, raw, 1200, &d);
	CHECK_STR("draft 29", "reason", "bad_version", quic_reason_name(d.reason));
	raw[1] = 0x0a, raw[2] = 0x1a, raw[3] = 0x2a, raw[4] = 0x3a, raw[5] = 200;
	feed(&ep, raw, 1200, &d);
	CHECK_STR("a greased version with a DCID of 200", "reason", "bad_version",
		  quic_reason_name(d.reason));
	CHECK_INT("a greased version with a DCID of 200", "DCID kept", 20, d.pkt[0].dcid_len);
	raw[0] = 0x40;
	feed(&ep, raw, 1200, &d);
	CHECK_STR("a short header", "reason", "not_long", quic_reason_name(d.reason));
	feed(&ep, raw, 0, &d);
	CHECK_STR("nothing", "reason", "short", quic_reason_name(d.reason));
	feed(&ep, raw, QUIC_DGRAM_MAX + 1, &d);
	CHECK_STR("a datagram too big", "reason", "oversize", quic_reason_name(d.reason));
	raw[0] = 0xc0, raw[1] = 0, raw[2] = 0, raw[3] = 0, raw[4] = 1, raw[5] = 8;
	raw[15] = 0x80, raw[16] = 0xff, raw[17] = 0xff, raw[18] = 0xff;   /* a token of 16 MB */
	feed(&ep, raw, 1200, &d);
	CHECK_STR("a token of 16 MB", "reason", "short", quic_reason_name(d.reason));
	raw[0] = 0xf0;          /* Retry: the rest of the datagram */
	feed(&ep, raw, 1200, &d);
	CHECK_STR("a Retry from a client", "reason", "not_initial", quic_reason_name(d.reason));
	CHECK_INT("a Retry from a client", "type", QUIC_PT_RETRY, d.pkt[0].type);
	CHECKS_DONE();
}

static void bad_frames(void **st)
{
	static const struct {
		const char *desc, *hex, *reason;
		int cut;        /* no PADDING after it in the packet */
	} cases[] = {
		{ "PADDING only", "000000", "ok", 0 },
		{ "PING", "01000000", "ok", 0 },
		{ "ACK", "0205190000", "ok", 0 },
		{ "ACK with ranges", "020a19010100050000", "ok", 0 },
		{ "ACK with ECN", "030519000001020300", "ok", 0 },
		{ "ACK with a billion ranges", "020a19bfffffff00", "bad_frame", 0 },
		{ "ACK with a range too many", "020a1902010005", "bad_frame", 1 },
		{ "ACK cut", "020a19", "bad_frame", 1 },
		{ "ACK with ECN cut", "03051900000102", "bad_frame", 1 },
		{ "CONNECTION_CLOSE", "1c0a0603616263", "ok", 0 },
		{ "CONNECTION_CLOSE cut", "1c0a0609616263", "bad_frame", 1 },
		{ "CONNECTION_CLOSE of the application", "1d0a03616263", "bad_frame", 0 },
		{ "STREAM", "0800016100", "bad_frame", 0 },
		{ "HANDSHAKE_DONE", "1e000000", "bad_frame", 0 },
		{ "NEW_TOKEN", "07016100", "bad_frame", 0 },
		{ "CRYPTO's type in two bytes", "40060001010000", "bad_frame", 0 },
		{ "CRYPTO cut", "060004010000", "bad_frame", 1 },
		{ "CRYPTO's offset cut", "0640", "bad_frame", 1 },
		{ "CRYPTO of 0 bytes", "06000000", "ok", 0 },
		{ "CRYPTO at 2^62 - 1", "06ffffffffffffffff0101", "crypto_too_far", 0 },
		{ "CRYPTO past the limit", "06" "7ffb" "0101", "crypto_too_far", 0 },
		{ "CRYPTO to the limit", "06" "7ffa" "0101", "ok", 0 },
		{ "CRYPTO at 2^40", "06c0000100000000000101", "crypto_too_far", 0 },
		{ "not a ClientHello", "0600040200000000", "not_hello", 0 },
		{ "a ClientHello of 20,000 bytes", "060004" "01004e20", "hello_too_big", 0 },
		{ "a ClientHello of 16,375 bytes", "060004" "01003ff7", "ok", 0 },
		{ "a ClientHello of 16,376 bytes", "060004" "01003ff8", "hello_too_big", 0 },
		{ "bytes unlike those before", "0600020102" "0601020303", "crypto_conflict", 0 },
		{ "overlapping bytes alike", "0600020102" "0601020203", "ok", 0 },
		{ "the same bytes again", "0600020102" "0600020102" "0601010200", "ok", 0 },
	};
	__u8 p[64];
	int i, n;

	(void)st;
	for (i = 0; i < NELEM(cases); i++) {
		n = hx(cases[i].hex, p, sizeof(p));
		CHECK_STR(cases[i].desc, "reason", cases[i].reason,
			  cases[i].cut ? reason_of(&(struct qp_spec){ 0 }, p, n, 1200)
				       : reason_of(&(struct qp_spec){ .pad_to = 1200 }, p, n, 0));
	}
	/* an empty payload (with a 0-RTT packet after, for the size) */
	{
		static __u8 dg[2000];
		struct hs_endpoints ep = client();
		struct quic_dgram d;
		int la = qp_seal(&(struct qp_spec){ 0 }, p, 0, dg, sizeof(dg));

		la += qp_seal(&(struct qp_spec){ .type = QUIC_PT_0RTT, .pad_to = 1200 }, p, 4,
			      dg + la, sizeof(dg) - la);
		feed(&ep, dg, la, &d);
		CHECK_STR("no frame", "reason", "bad_frame", quic_reason_name(d.pkt[0].reason));
		CHECK_STR("no frame", "then", "not_initial", quic_reason_name(d.pkt[1].reason));
		CHECK_INT("no frame", "closed", 0, d.closed);
		n = hx("1c0a0603616263", p, sizeof(p));
		la = qp_seal(&(struct qp_spec){ .pad_to = 1200 }, p, n, dg, sizeof(dg));
		feed(&ep, dg, la, &d);
		CHECK_INT("CONNECTION_CLOSE", "closed", 1, d.closed);
	}
	CHECKS_DONE();
}

/* A connection given up on: its later Initials not opened. */
static void given_up(void **st)
{
	static __u8 a[2000];
	__u8 p[8] = { 0x06, 0x00, 0x04, 0x02, 0, 0, 0 };
	struct hs_endpoints ep = client();
	struct quic_dgram d;
	int n = qp_seal(&(struct qp_spec){ .pad_to = 1200 }, p, 7, a, sizeof(a));

	(void)st;
	feed(&ep, a, n, &d);
	CHECK_STR("not a hello", "reason", "not_hello", quic_reason_name(d.pkt[0].reason));
	feed(&ep, a, n, &d);
	CHECK_STR("not a hello, again", "reason", "given_up", quic_reason_name(d.pkt[0].reason));
	CHECKS_DONE();
}

/* ---- bounds ---- */

/* A half hello from a new client: a collection that holds a buffer. */
static const char *half_hello(__u64 at, struct hs_endpoints *ep)
{
	static __u8 a[4096];
	struct quic_dgram d;
	int n;

	*ep = client();
	n = qp_initial(&(struct qp_spec){ .scid_len = 4 }, rfc_hello, &(struct qp_piece){ 0, 100 },
		       1, a, sizeof(a));
	quic_datagram(T, ep, a, n, at, &d);
	return quic_reason_name(d.pkt[0].reason);
}

static void table_bounds(void **st)
{
	struct quic_config cfg = { .conns = 8, .bufs = 2, .timeout_ns = 10 * S, .hold_ns = S,
				   .seed = 1 };
	struct hs_endpoints ep[12];
	struct quic_stats s;
	__u64 t0 = now_ns;
	int i;

	(void)st;
	quic_tracker_free(T);
	T = quic_tracker_new(&cfg);
	assert_non_null(T);
	/* two buffers: the third collection is refused while they are held */
	CHECK_STR("first", "reason", "ok", half_hello(t0, &ep[0]));
	CHECK_STR("second", "reason", "ok", half_hello(t0, &ep[1]));
	CHECK_STR("third, within the hold", "reason", "table_full", half_hello(t0 + S / 2, &ep[2]));
	/* past the hold time the oldest is pushed out */
	CHECK_STR("third, past the hold", "reason", "ok", half_hello(t0 + 2 * S, &ep[3]));
	quic_get_stats(T, &s);
	CHECK_INT("after an eviction", "evicted", 1, s.reasons[QUIC_R_EVICTED]);
	CHECK_INT("after an eviction", "buffers", 2, s.bufs);
	/* eight slots: whole hellos fill them, then push out the done ones */
	for (i = 4; i < 12; i++) {
		static __u8 a[4096];
		struct quic_dgram d;
		int n;

		ep[i] = client();
		n = qp_initial(&(struct qp_spec){ .scid_len = 4 }, rfc_hello,
			       &(struct qp_piece){ 0, rfc_hello_len }, 1, a, sizeof(a));
		CHECK_INT("whole hellos", "hello", 1, quic_datagram(T, &ep[i], a, n, t0 + 3 * S, &d));
		quic_get_stats(T, &s);
		CHECK_INT("whole hellos", "within the table", 1, s.conns <= 8);
	}
	/* past the timeout: the collections left are counted as timed out */
	quic_get_stats(T, &s);
	CHECK_INT("before the timeout", "timeouts", 0, s.reasons[QUIC_R_TIMEOUT]);
	quic_expire(T, t0 + 20 * S, 8);
	quic_get_stats(T, &s);
	CHECK_INT("after the timeout", "connections", 0, s.conns);
	CHECK_INT("after the timeout", "buffers", 0, s.bufs);
	CHECK_INT("after the timeout", "timeouts (one without a buffer)", 3,
		  s.reasons[QUIC_R_TIMEOUT]);
	CHECKS_DONE();
}

/* Under AddressSanitizer freed memory waits in quarantine: no figure of
 * memory means anything there. */
#if defined(__SANITIZE_ADDRESS__)
#define HS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HS_ASAN 1
#endif
#endif

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, rss = 0;

	if (f && fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = 0;
	if (f)
		fclose(f);
	return rss * 4;
}

/* Heap bytes in use (glibc's count). */
static long heap_used(void)
{
	return (long)mallinfo2().uordblks;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A million Initials, each with its own DCID, SCID and port, 10,000 a
 * second of the tracker's clock: one in 16 opens (a hello begun, that
 * holds a buffer), the others are garbage of the right shape. The table,
 * the buffers and the memory stay bounded; a real hello still gets
 * through afterwards. */
static void million_dcids(void **st)
{
	static __u8 good[4096], bad[1200];
	struct quic_stats s;
	struct quic_dgram d;
	struct hs_endpoints ep;
	unsigned int rng = 3, i, maxc = 0, maxb = 0;
	long rss0, rss1, heap0, heap1;
	double t0 = mono_s(), secs;
	__u8 dcid[8];
	int n = 0, j;

	(void)st;
	quic_get_stats(T, &s);
	rss0 = rss_kb();
	heap0 = heap_used();
	for (i = 0; i < 1000000; i++) {
		__u64 at = now_ns + (__u64)i * 100000;

		for (j = 0; j < 8; j++)
			dcid[j] = (__u8)rng_next(&rng);
		ep = client();
		if (i % 16 == 0) {
			n = qp_initial(&(struct qp_spec){ .dcid = dcid, .dcid_len = 8, .scid_len = 4 },
				       rfc_hello, &(struct qp_piece){ 0, 100 }, 1, good, sizeof(good));
			quic_datagram(T, &ep, good, n, at, &d);
		} else {
			memcpy(bad, good, 1200);
			memcpy(bad + 6, dcid, 8);
			quic_datagram(T, &ep, bad, 1200, at, &d);
		}
		if (i % 1024 == 0) {
			quic_get_stats(T, &s);
			maxc = s.conns > maxc ? s.conns : maxc;
			maxb = s.bufs > maxb ? s.bufs : maxb;
		}
	}
	secs = mono_s() - t0;
	rss1 = rss_kb();
	heap1 = heap_used();
	quic_get_stats(T, &s);
	note("a million DCIDs in %.1f s: connections at most %u (bound %u), buffers %u (%u), "
	     "memory %zu KiB held, RSS %+ld KiB, heap in use %+ld bytes", secs, maxc, s.conns_max,
	     maxb, s.bufs_max, s.memory / 1024, rss1 - rss0, heap1 - heap0);
	note("reasons: ok %llu, decrypt_failed %llu, table_full %llu, evicted %llu, timeout %llu",
	     (unsigned long long)s.reasons[QUIC_R_OK],
	     (unsigned long long)s.reasons[QUIC_R_DECRYPT_FAILED],
	     (unsigned long long)s.reasons[QUIC_R_TABLE_FULL],
	     (unsigned long long)s.reasons[QUIC_R_EVICTED],
	     (unsigned long long)s.reasons[QUIC_R_TIMEOUT]);
	CHECK_INT("a million DCIDs", "connections within the bound", 1, maxc <= s.conns_max);
	CHECK_INT("a million DCIDs", "buffers within the bound", 1, maxb <= s.bufs_max);
#ifndef HS_ASAN
	CHECK_INT("a million DCIDs", "RSS grew by the tracker's memory at most", 1,
		  rss1 - rss0 < (long)(s.memory / 1024) + 2048);
	CHECK_INT("a million DCIDs", "heap in use grew under 64 KiB", 1, heap1 - heap0 < 65536);
#endif
	CHECK_INT("a million DCIDs", "within 120 s", 1, secs < 120);
	CHECK_INT("a million DCIDs", "garbage that opened", 0, s.reasons[QUIC_R_OK] > 62500);
	/* a real client, after: its hello gets through */
	ep = client();
	n = qp_initial(&(struct qp_spec){ .scid_len = 4 }, big_hello,
		       &(struct qp_piece){ 0, big_hello_len }, 1, good, sizeof(good));
	CHECK_INT("after the flood", "hello", 1,
		  quic_datagram(T, &ep, good, n, now_ns + 100001 * S / 1000, &d));
	counts_consistent("after the flood");
	CHECKS_DONE();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(rfc_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(rfc_masks, setup, teardown),
		cmocka_unit_test_setup_teardown(rfc_packets, setup, teardown),
		cmocka_unit_test_setup_teardown(keys_are_openssl_hkdf, setup, teardown),
		cmocka_unit_test_setup_teardown(split_every_order, setup, teardown),
		cmocka_unit_test_setup_teardown(split_chromium, setup, teardown),
		cmocka_unit_test_setup_teardown(one_byte_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(coalesced, setup, teardown),
		cmocka_unit_test_setup_teardown(merged_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(retry, setup, teardown),
		cmocka_unit_test_setup_teardown(truncated_and_flipped, setup, teardown),
		cmocka_unit_test_setup_teardown(lying_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(given_up, setup, teardown),
		cmocka_unit_test_setup_teardown(table_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(million_dcids, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
