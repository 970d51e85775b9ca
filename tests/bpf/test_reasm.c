// SPDX-License-Identifier: BSD-3-Clause
/*
 * ClientHello reassembly through the real XDP program (BPF_PROG_TEST_RUN):
 * real ClientHellos -- chromium's and curl's as captured in
 * tests/data/templates, and pkt.h's Firefox-like one -- cut every way a
 * client may cut them, each on a connection of its own after its SYN:
 *
 * - into 2 TLS records at every message offset, and into 3 at every pair
 *   of offsets (1.8 million connections for chromium's 1,910-byte
 *   message);
 * - into 2 to 8 TCP segments sent in every order, with a segment sent
 *   twice, as one record and as three;
 * - into one-byte segments, in order and reversed, as one record and as
 *   three; retransmissions carrying new bytes, in random orders;
 * - after a proxy request in the same segment, and on the SYN (TCP Fast
 *   Open).
 *
 * Each connection must give one hello event whose hello (everything JA4,
 * JA4_r and JA3 are made of) equals the unsplit hello's byte for byte, and
 * so its names; the counters say no walk was given up. The names are
 * checked against the templates' index (JA4, JA4_r). Past the limits
 * (more holes than kept, the timeout) the hello is counted by reason.
 *
 * HS_REASM_QUICK=1 takes every 16th case of the long loops. Needs root.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>

#include "bpfobj.h"
#include "ja4.h"
#include "hs_bpf.skel.h"
#include "check.h"
#include "prog.h"
#include "pkt.h"

#define TEMPLATES "tests/data/templates"

/* ------------------------------------------------------------------ */
/* The hellos. */

struct hello {
	const char *name;
	__u8 rec[HELLO_MAX];    /* one record */
	int len;
	const char *ja4, *ja4_r;  /* expected (the templates' index), NULL: not known */
	struct hs_tls_hello ref;  /* what the program made of it whole */
	char ref_ja4[64], ref_ja4_r[2048], ref_ja3[33];
};

/* The client payload of the first connection in a template capture
 * (classic pcap, Ethernet, IPv4; client-to-server, port 443): its hello
 * record, as one record. A reader for the files we write ourselves. */
static int template_hello(const char *file, __u8 *out, int cap)
{
	static __u8 d[65536];
	FILE *f = fopen(file, "rb");
	__u32 isn = 0, sport = 0, hdr[4];
	int n = 0, have_syn = 0;

	if (!f || fread(d, 1, 24, f) != 24 || d[0] != 0xd4 || d[1] != 0xc3) {
		if (f)
			fclose(f);
		return -1;              /* not a little-endian microsecond pcap */
	}
	while (fread(hdr, 4, 4, f) == 4 && hdr[2] <= sizeof(d) && fread(d, 1, hdr[2], f) == hdr[2]) {
		int l3 = 14, ihl, doff, l4, plen;
		__u32 seq, off, caplen = hdr[2];

		if (caplen < 54 || d[12] != 0x08 || d[13] != 0x00 || d[l3 + 9] != 6)
			continue;
		ihl = (d[l3] & 15) * 4;
		l4 = l3 + ihl;
		doff = (d[l4 + 12] >> 4) * 4;
		plen = ((d[l3 + 2] << 8) | d[l3 + 3]) - ihl - doff;
		seq = (__u32)d[l4 + 4] << 24 | d[l4 + 5] << 16 | d[l4 + 6] << 8 | d[l4 + 7];
		if (((d[l4 + 2] << 8) | d[l4 + 3]) != 443)
			continue;
		if (d[l4 + 13] & TH_SYN) {
			if (have_syn)
				break;          /* the next connection */
			have_syn = 1;
			isn = seq;
			sport = (__u32)((d[l4] << 8) | d[l4 + 1]);
			continue;
		}
		if (!have_syn || (__u32)((d[l4] << 8) | d[l4 + 1]) != sport || plen <= 0)
			continue;
		off = seq - isn - 1;
		if (off + plen > (__u32)cap || l4 + doff + plen > (int)caplen)
			break;
		memcpy(out + off, d + l4 + doff, plen);
		if ((int)(off + plen) > n)
			n = off + plen;
	}
	fclose(f);
	if (n < 9 || out[0] != 0x16 || ((out[3] << 8) | out[4]) + 5 != n)
		return -1;
	return n;
}

/* The expected JA4 and JA4_r of a template client, from index.json: the
 * lines after "CLIENT": {. A small reader for a file we write ourselves
 * (ja4 up to 63 characters, ja4_r up to 2047). */
static void template_names(const char *client, char *ja4, char *ja4_r)
{
	FILE *f = fopen(TEMPLATES "/index.json", "r");
	static char line[8192];
	char key[64];
	int in = 0;

	ja4[0] = ja4_r[0] = '\0';
	snprintf(key, sizeof(key), "\"%s\": {", client);
	while (f && fgets(line, sizeof(line), f)) {
		char *v;

		if (strstr(line, key))
			in = 1;
		if (!in)
			continue;
		if ((v = strstr(line, "\"ja4\": \"")))
			sscanf(v + 8, "%63[^\"]", ja4);
		else if ((v = strstr(line, "\"ja4_r\": \"")))
			sscanf(v + 10, "%2047[^\"]", ja4_r);
		if (ja4[0] && ja4_r[0])
			break;
	}
	if (f)
		fclose(f);
}

static struct hello hellos[3];
static int nhellos;

static void names(const struct hs_tls_hello *h, char *ja4, char *ja4_r, char *ja3)
{
	static char ja3_r[4096];

	if (tls_ja4(h, ja4, 64, ja4_r, 2048))
		snprintf(ja4, 64, "(tls_ja4 failed)");
	if (tls_ja3(h, ja3_r, sizeof(ja3_r), ja3))
		snprintf(ja3, 33, "(tls_ja3 failed)");
}

/* ------------------------------------------------------------------ */
/* The program, a connection, its segments. */

#define EV_MAX 64

struct env {
	struct hs_bpf *skel;
	int prog_fd, stats_fd, reasm_fd;
	struct ring_buffer *rb;
	struct hs_tls_event ev[EV_MAX];
	int nev;
	__u16 sport;
	__u32 conns;            /* connections made */
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct env *e = ctx;
	__u32 type = *(const __u32 *)data;

	if (size == sizeof(struct hs_tls_event) &&
	    (type == HS_EV_TLS_NEW || type == HS_EV_TLS_HELLO)) {
		if (e->nev < EV_MAX)
			memcpy(&e->ev[e->nev], data, size);
		e->nev++;
	}
	return 0;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	*state = NULL;
	if (!e)
		return -1;
	/* replay's clock (set by the test: each connection 2 s after the last,
	 * so no slot stays held) and an event per hello */
	e->skel = prog_open(&(struct hs_config){ .replay = true });
	if (!e->skel || prog_load(e->skel))
		goto skip;
	e->prog_fd = bpf_program__fd(hs_xdp_prog(e->skel));
	e->stats_fd = bpf_map__fd(e->skel->maps.stats);
	e->reasm_fd = bpf_map__fd(e->skel->maps.reasm);
	e->rb = prog_ring(e->skel, on_event, e);
	if (!e->rb)
		goto skip;
	e->skel->bss->replay_now_ns = 1700000000ULL * 1000000000ULL;
	*state = e;
	return 0;
skip:
	free(e);
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	if (e)
		prog_free(e->skel, e->rb, e);
	return 0;
}

static void run(struct env *e, const struct pspec *s)
{
	static struct frame f;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f.b, .repeat = 1);

	build(s, &f);
	o.data_size_in = (__u32)f.len;
	prog_dump(f.b, (__u32)f.len);
	if (bpf_prog_test_run_opts(e->prog_fd, &o) || o.retval != XDP_PASS)
		fail_msg("test run: %s, verdict %u (XDP_PASS expected)", strerror(errno), o.retval);
}

/* A segment of the stream: [off, off + len); syn: on the SYN (TCP Fast
 * Open; the stream's first bytes). */
struct cut {
	int off, len;
};

struct conn {
	__u32 isn;
	__u16 sport;
};

/* A new connection: its SYN (carrying stream[0, tfo) when tfo > 0). */
static struct conn conn_open(struct env *e, const __u8 *stream, int tfo)
{
	struct conn c = { .isn = 0x9e3779b9u * ++e->conns, .sport = (__u16)(1024 + e->sport++ % 64000) };
	struct pspec s = {
		.ver = 4, .ttl = 64, .ip_id = 1, .frag = IPF_DF, .sport = c.sport, .dport = 443,
		.seq = c.isn, .tflags = TH_SYN, .win = 64240, OPT(LINUX4),
		.data = stream, .payload = tfo,
	};

	e->skel->bss->replay_now_ns += 2000000000ULL;
	run(e, &s);
	return c;
}

static void conn_send(struct env *e, const struct conn *c, const __u8 *stream, struct cut k)
{
	struct pspec s = {
		.ver = 4, .ttl = 64, .ip_id = 2, .frag = IPF_DF, .sport = c->sport, .dport = 443,
		.seq = c->isn + 1 + (__u32)k.off, .ack = 0x55667788, .tflags = TH_ACK | TH_PSH,
		.win = 502, .data = stream + k.off, .payload = k.len,
	};

	if (k.len > FRAME_MAX - 100)
		fail_msg("segment of %d bytes: more than a frame holds", k.len);
	run(e, &s);
}

/* What a run of connections did: how many gave the hello, how many not,
 * the first wrong one. */
struct tally {
	long runs, ok;
	char first_bad[256];
};

/* Are two walked hellos the same, in everything JA4, JA4_r and JA3 are
 * made of? (List entries past their counts are left as they were in the
 * per-CPU scratch: not compared.) */
static int hello_eq(const struct hs_tls_hello *a, const struct hs_tls_hello *b)
{
	return !memcmp(a, b, offsetof(struct hs_tls_hello, ciphers)) &&
	       !memcmp(a->ciphers, b->ciphers, a->n_ciphers * 2) &&
	       !memcmp(a->exts, b->exts, a->n_exts * 2) &&
	       !memcmp(a->sigalgs, b->sigalgs, a->n_sigalgs * 2) &&
	       !memcmp(a->groups, b->groups, a->n_groups * 2) &&
	       !memcmp(a->ecpf, b->ecpf, a->n_ecpf) &&
	       !memcmp(a->alpn, b->alpn, a->alpn_len < HS_TLS_ALPN_MAX ? a->alpn_len :
				       HS_TLS_ALPN_MAX) &&
	       a->alpn_last == b->alpn_last && !memcmp(a->sni, b->sni, a->sni_len);
}

/* The events of a connection: one hello equal to h's. */
static void conn_check(struct env *e, const struct hello *h, struct tally *t, const char *what)
{
	ring_buffer__consume(e->rb);
	t->runs++;
	if (e->nev == 1 && hello_eq(&e->ev[0].hello, &h->ref))
		t->ok++;
	else if (!t->first_bad[0])
		snprintf(t->first_bad, sizeof(t->first_bad), "%s: %d hello events%s", what, e->nev,
			 e->nev == 1 ? ", the hello differs" : "");
	e->nev = 0;
}

/* One connection: the SYN, then the cuts of stream in the order given. */
static void conn_cuts(struct env *e, const struct hello *h, const __u8 *stream,
		      const struct cut *k, int n, struct tally *t, const char *what)
{
	struct conn c = conn_open(e, stream, 0);
	int i;

	for (i = 0; i < n; i++)
		conn_send(e, &c, stream, k[i]);
	conn_check(e, h, t, what);
}

/* The stream in segments of at most 1400 bytes, in order. */
static int cut_mtu(int len, struct cut *k)
{
	int n = 0, off;

	for (off = 0; off < len; off += 1400)
		k[n++] = (struct cut){ off, len - off < 1400 ? len - off : 1400 };
	return n;
}

static void stats(struct env *e, struct hs_stats *st)
{
	int err = hs_stats_read(e->stats_fd, st);

	if (err)
		fail_msg("reading the stats map: %s", strerror(-err));
}

/* The counters between two reads: every connection's hello counted, no
 * walk given up. */
static void check_counts(const char *desc, const struct hs_stats *a, const struct hs_stats *b,
			 long hellos)
{
	static const int given_up[] = {
		HS_ST_TLS_NOT_HELLO, HS_ST_TLS_MALFORMED, HS_ST_TLS_TOO_BIG,
		HS_ST_TLS_OUT_OF_ORDER, HS_ST_TLS_RECORD_SPLIT, HS_ST_TLS_REASM_HOLES,
		HS_ST_TLS_REASM_TIMEOUT,
	};
	int i;

	CHECK_INT(desc, "hellos counted", hellos, b->c[HS_ST_HELLOS] - a->c[HS_ST_HELLOS]);
	for (i = 0; i < NELEM(given_up); i++)
		CHECK_INT(desc, hs_stat_names[given_up[i]], 0,
			  b->c[given_up[i]] - a->c[given_up[i]]);
}

static void tally_done(const char *desc, const struct tally *t, double t0)
{
	note("%s: %ld of %ld connections gave the unsplit hello (%.1f s of CPU)", desc, t->ok,
	     t->runs, (double)clock() / CLOCKS_PER_SEC - t0);
	CHECK_INT(desc, "connections giving the unsplit hello", t->runs, t->ok);
	if (t->first_bad[0])
		note("%s: first wrong: %s", desc, t->first_bad);
}

static double now_s(void)
{
	return (double)clock() / CLOCKS_PER_SEC;
}

static int quick(void)
{
	const char *q = getenv("HS_REASM_QUICK");

	return q && *q && strcmp(q, "0");
}

/* ------------------------------------------------------------------ */
/* The hellos, whole: what each gives unsplit, and the names expected. */

static int load_hellos(void)
{
	static const char *const clients[] = { "chromium", "curl" };
	int i;

	nhellos = 0;
	for (i = 0; i < NELEM(clients); i++) {
		struct hello *h = &hellos[nhellos];
		char file[256];
		static char ja4[64], ja4_r[2048];

		snprintf(file, sizeof(file), TEMPLATES "/%s.pcap", clients[i]);
		h->len = template_hello(file, h->rec, sizeof(h->rec));
		if (h->len < 0) {
			note("%s: no hello in %s (run from the source tree)", clients[i], file);
			return -1;
		}
		h->name = clients[i];
		template_names(clients[i], ja4, ja4_r);
		h->ja4 = ja4[0] ? strdup(ja4) : NULL;
		h->ja4_r = ja4_r[0] ? strdup(ja4_r) : NULL;
		nhellos++;
	}
	hellos[nhellos].name = "firefox-like";
	hellos[nhellos].len = pkt_hello(2, hellos[nhellos].rec, sizeof(hellos[nhellos].rec));
	nhellos++;
	return 0;
}

static void test_whole(void **state)
{
	struct env *e = prog_need(state);
	struct cut k[16];
	int i;

	if (load_hellos())
		fail_msg("the template hellos could not be read");
	for (i = 0; i < nhellos; i++) {
		struct hello *h = &hellos[i];
		struct conn c = conn_open(e, h->rec, 0);
		int j, n = cut_mtu(h->len, k);

		for (j = 0; j < n; j++)
			conn_send(e, &c, h->rec, k[j]);
		ring_buffer__consume(e->rb);
		CHECK_INT(h->name, "hello events of the whole hello", 1, e->nev);
		if (e->nev != 1) {
			e->nev = 0;
			continue;
		}
		h->ref = e->ev[0].hello;
		e->nev = 0;
		names(&h->ref, h->ref_ja4, h->ref_ja4_r, h->ref_ja3);
		note("%s: %d bytes, %s %s", h->name, h->len, h->ref_ja4, h->ref_ja3);
		if (h->ja4)
			CHECK_STR(h->name, "JA4 (the templates' index)", h->ja4, h->ref_ja4);
		if (h->ja4_r)
			CHECK_STR(h->name, "JA4_r (the templates' index)", h->ja4_r, h->ref_ja4_r);
	}
	CHECKS_DONE();
}

/* ------------------------------------------------------------------ */
/* Records. */

/* A connection sending h cut into records at cuts (message offsets), in
 * segments of at most 1400 bytes. */
static void records_conn(struct env *e, const struct hello *h, const int *cuts, int ncuts,
			 struct tally *t, const char *what)
{
	static __u8 stream[HELLO_MAX + 1024];
	struct cut k[32];
	int len = pkt_records(h->rec, h->len, cuts, ncuts, stream, sizeof(stream));

	conn_cuts(e, h, stream, k, cut_mtu(len, k), t, what);
}

static void test_two_records(void **state)
{
	struct env *e = prog_need(state);
	int i, c;

	for (i = 0; i < nhellos; i++) {
		const struct hello *h = &hellos[i];
		struct tally t = { 0 };
		struct hs_stats a, b;
		double t0 = now_s();
		char desc[96], what[64];

		stats(e, &a);
		for (c = 1; c < h->len - 5; c += quick() ? 16 : 1) {
			snprintf(what, sizeof(what), "cut at %d", c);
			records_conn(e, h, &c, 1, &t, what);
		}
		stats(e, &b);
		snprintf(desc, sizeof(desc), "%s in 2 records, every cut", h->name);
		tally_done(desc, &t, t0);
		check_counts(desc, &a, &b, t.runs);
		CHECK_INT(desc, "hellos_multi_record", t.runs,
			  b.c[HS_ST_HELLO_MULTIREC] - a.c[HS_ST_HELLO_MULTIREC]);
	}
	CHECKS_DONE();
}

static void test_three_records(void **state)
{
	struct env *e = prog_need(state);
	int i, c[2];

	for (i = 0; i < nhellos; i++) {
		const struct hello *h = &hellos[i];
		int m = h->len - 5, step = quick() ? 16 : 1;
		struct tally t = { 0 };
		struct hs_stats a, b;
		double t0 = now_s();
		char desc[128], what[64];

		stats(e, &a);
		for (c[0] = 1; c[0] < m; c[0] += step)
			for (c[1] = c[0] + 1; c[1] < m; c[1] += step) {
				snprintf(what, sizeof(what), "cuts at %d, %d", c[0], c[1]);
				records_conn(e, h, c, 2, &t, what);
			}
		stats(e, &b);
		snprintf(desc, sizeof(desc), "%s in 3 records, every pair of cuts", h->name);
		tally_done(desc, &t, t0);
		check_counts(desc, &a, &b, t.runs);
	}
	CHECKS_DONE();
}

/* Records of every size from 0 (an empty record before each) to 16
 * bytes, and 100: the stream in segments of up to 1400 bytes sent in
 * order and last to first (so that the whole stream is parsed at once,
 * the most parse steps a segment takes). */
static void test_small_records(void **state)
{
	struct env *e = prog_need(state);
	static __u8 stream[HELLO_MAX * 8];
	static int cuts[HELLO_MAX * 2];
	int i, size, rev;

	for (i = 0; i < nhellos; i++) {
		const struct hello *h = &hellos[i];
		struct tally t = { 0 };
		struct hs_stats a, b;
		double t0 = now_s();
		char desc[96], what[64];

		stats(e, &a);
		for (size = 0; size <= 100; size = size < 16 ? size + 1 : size + 84) {
			int m = h->len - 5, n = 0, c, len, j, nk;
			struct cut k[32];

			for (c = size ? size : 1; c < m; c += size ? size : 1) {
				if (!size)
					cuts[n++] = c - 1;      /* an empty record, then a byte */
				cuts[n++] = c;
			}
			len = pkt_records(h->rec, h->len, cuts, n, stream, sizeof(stream));
			if (len > HS_HELLO_LIMIT)
				continue;       /* past the bytes a collection keeps */
			nk = cut_mtu(len, k);
			for (rev = 0; rev < 2; rev++) {
				if (rev)
					for (j = 0; j < nk / 2; j++) {
						struct cut x = k[j];

						k[j] = k[nk - 1 - j];
						k[nk - 1 - j] = x;
					}
				snprintf(what, sizeof(what), "%d-byte records%s", size,
					 rev ? ", segments last to first" : "");
				conn_cuts(e, h, stream, k, nk, &t, what);
			}
		}
		stats(e, &b);
		snprintf(desc, sizeof(desc), "%s in records of 0 to 16 and 100 bytes", h->name);
		tally_done(desc, &t, t0);
		check_counts(desc, &a, &b, t.runs);
	}
	CHECKS_DONE();
}

/* ------------------------------------------------------------------ */
/* Segments in every order. */

static int next_perm(int *p, int n)
{
	int i = n - 2, j, t;

	while (i >= 0 && p[i] >= p[i + 1])
		i--;
	if (i < 0)
		return 0;
	for (j = n - 1; p[j] <= p[i]; j--)
		;
	t = p[i], p[i] = p[j], p[j] = t;
	for (i++, j = n - 1; i < j; i++, j--)
		t = p[i], p[i] = p[j], p[j] = t;
	return 1;
}

/* Every order of n segments of stream (len bytes): the cut points at
 * len * i / n, but the first inside the record header and the second
 * inside the handshake header when n allows; each order once as it is and
 * once with one segment sent twice (in turn the first, the middle, the
 * last of the order, again right away or at the end). */
static void every_order(struct env *e, const struct hello *h, const __u8 *stream, int len,
			int n, struct tally *t)
{
	int p[8], i, perms = 0;
	struct cut k[8], seq[9];
	char what[96];

	for (i = 0; i < n; i++) {
		int a = len * i / n, b = len * (i + 1) / n;

		if (n >= 4 && i == 1)
			a = 3;          /* 16 03 01 | ... */
		if (n >= 4 && i == 0)
			b = 3;
		if (n >= 5 && i == 1)
			b = 7;          /* inside the handshake length */
		if (n >= 5 && i == 2)
			a = 7;
		if (b - a > 1400)
			fail_msg("%d segments of %d bytes: more than 1400 in one", n, len);
		k[i] = (struct cut){ a, b - a };
		p[i] = i;
	}
	do {
		int d = p[perms % n], m = 0;

		if (quick() && perms % 16) {
			perms++;
			continue;
		}
		for (i = 0; i < n; i++)
			seq[i] = k[p[i]];
		snprintf(what, sizeof(what), "%d segments, order %d", n, perms);
		conn_cuts(e, h, stream, seq, n, t, what);
		/* with a duplicate */
		for (i = 0; i < n; i++) {
			seq[m++] = k[p[i]];
			if (p[i] == d && perms % 2)
				seq[m++] = k[d];
		}
		if (m == n)
			seq[m++] = k[d];
		snprintf(what, sizeof(what), "%d segments, order %d, segment %d twice", n, perms, d);
		conn_cuts(e, h, stream, seq, m, t, what);
		perms++;
	} while (next_perm(p, n));
}

static void test_segment_orders(void **state)
{
	struct env *e = prog_need(state);
	static __u8 stream[HELLO_MAX + 1024];
	int i, n, r;

	for (i = 0; i < nhellos; i++) {
		const struct hello *h = &hellos[i];

		for (r = 0; r < 2; r++) {
			/* one record; three, cut a third and two thirds in */
			int cuts[2] = { (h->len - 5) / 3, 2 * (h->len - 5) / 3 };
			int len = r ? pkt_records(h->rec, h->len, cuts, 2, stream, sizeof(stream)) :
				      (memcpy(stream, h->rec, h->len), h->len);

			for (n = 2; n <= 8; n++) {
				struct tally t = { 0 };
				struct hs_stats a, b;
				double t0 = now_s();
				char desc[96];

				if (len / n > 1400)
					continue;
				stats(e, &a);
				every_order(e, h, stream, len, n, &t);
				stats(e, &b);
				snprintf(desc, sizeof(desc), "%s, %s, %d segments in every order",
					 h->name, r ? "3 records" : "1 record", n);
				tally_done(desc, &t, t0);
				check_counts(desc, &a, &b, t.runs);
			}
		}
	}
	CHECKS_DONE();
}

/* ------------------------------------------------------------------ */
/* One-byte segments; overlapping retransmissions. */

static void test_one_byte(void **state)
{
	struct env *e = prog_need(state);
	static __u8 stream[HELLO_MAX + 1024];
	static struct cut k[HELLO_MAX + 1024];
	int i, j, r, o;

	for (i = 0; i < nhellos; i++) {
		const struct hello *h = &hellos[i];

		for (r = 0; r < 2; r++) {
			int cuts[2] = { 1, (h->len - 5) / 2 };
			int len = r ? pkt_records(h->rec, h->len, cuts, 2, stream, sizeof(stream)) :
				      (memcpy(stream, h->rec, h->len), h->len);

			for (o = 0; o < 3; o++) {
				static const char *const orders[] = {
					"in order", "reversed", "pairs swapped" };
				struct tally t = { 0 };
				struct hs_stats a, b;
				double t0 = now_s();
				char desc[128];

				for (j = 0; j < len; j++) {
					int at = o == 0 ? j : o == 1 ? len - 1 - j :
						 (j ^ 1) < len ? j ^ 1 : j;

					k[j] = (struct cut){ at, 1 };
				}
				stats(e, &a);
				conn_cuts(e, h, stream, k, len, &t, orders[o]);
				stats(e, &b);
				snprintf(desc, sizeof(desc), "%s, %s, %d one-byte segments %s", h->name,
					 r ? "3 records" : "1 record", len, orders[o]);
				tally_done(desc, &t, t0);
				check_counts(desc, &a, &b, 1);
				CHECK_INT(desc, "event segments", len, e->ev[0].segments);
			}
		}
	}
	CHECKS_DONE();
}

/* A small PRNG, seeded: the same cases every run. */
static __u32 rnd_state = 0x2545f491;

static __u32 rnd(__u32 n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state % n;
}

/* Random covers of the stream by up to 8 segments, each overlapping the
 * one before by up to 200 bytes (a retransmission carrying new bytes),
 * sent in a random order with up to two sent again. */
static void test_overlaps(void **state)
{
	struct env *e = prog_need(state);
	static __u8 stream[HELLO_MAX + 1024];
	int i, run, runs = quick() ? 200 : 3000;

	for (i = 0; i < nhellos; i++) {
		const struct hello *h = &hellos[i];
		struct tally t = { 0 };
		struct hs_stats a, b;
		double t0 = now_s();
		char desc[96], what[64];

		stats(e, &a);
		for (run = 0; run < runs; run++) {
			struct cut k[12];
			int n = 0, off = 0, j, len;
			int cuts[2] = { 1 + (int)rnd(h->len - 6), 0 };

			len = run % 2 ? pkt_records(h->rec, h->len, cuts, 1, stream, sizeof(stream)) :
					(memcpy(stream, h->rec, h->len), h->len);
			while (off < len && n < 8) {
				int start = off > 0 ? off - (int)rnd(off < 200 ? off + 1 : 201) : 0;
				int end = n == 7 ? len : off + 1 + (int)rnd(len / 3 + 1);

				if (end > len)
					end = len;
				if (end - start > 1400)
					end = start + 1400;
				k[n++] = (struct cut){ start, end - start };
				off = end;
			}
			if (off < len)
				continue;       /* could not cover it in 8 */
			for (j = n - 1; j > 0; j--) {
				int r = (int)rnd(j + 1);
				struct cut c = k[j];

				k[j] = k[r];
				k[r] = c;
			}
			for (j = 0; j < 2 && run % 3; j++) {
				struct cut again = k[rnd(n)];

				k[n++] = again;
			}
			snprintf(what, sizeof(what), "random cover %d", run);
			conn_cuts(e, h, stream, k, n, &t, what);
		}
		stats(e, &b);
		snprintf(desc, sizeof(desc), "%s, overlapping segments in random orders", h->name);
		tally_done(desc, &t, t0);
		check_counts(desc, &a, &b, t.runs);
	}
	CHECKS_DONE();
}

/* ------------------------------------------------------------------ */
/* Hello not first; TCP Fast Open. */

#define CONNECT "CONNECT api.example.com:443 HTTP/1.1\r\nHost: api.example.com:443\r\n\r\n"

static void test_not_first(void **state)
{
	struct env *e = prog_need(state);
	static __u8 stream[HELLO_MAX + 1024];
	int i, pre = sizeof(CONNECT) - 1;

	for (i = 0; i < nhellos; i++) {
		const struct hello *h = &hellos[i];
		struct tally t = { 0 };
		struct hs_stats a, b;
		double t0 = now_s();
		struct cut k[32];
		char desc[96];
		int n, c, tfo;

		memcpy(stream, CONNECT, pre);
		stats(e, &a);
		/* the request and the hello in one stream: segments of 1400, and
		 * cut every 97 bytes, in order and the first two swapped */
		for (c = 0; c < 2; c++) {
			int len, m = 0, off;
			int cuts[1] = { 200 };

			len = pre + (c ? pkt_records(h->rec, h->len, cuts, 1, stream + pre,
						     sizeof(stream) - pre) :
				     (memcpy(stream + pre, h->rec, h->len), h->len));
			conn_cuts(e, h, stream, k, cut_mtu(len, k), &t, "CONNECT and the hello");
			for (off = 0; off < len; off += 97)
				k[m++] = (struct cut){ off, len - off < 97 ? len - off : 97 };
			conn_cuts(e, h, stream, k, m, &t, "CONNECT and the hello, 97-byte segments");
			n = k[0].len, k[0] = k[1], k[1] = (struct cut){ 0, n };
			conn_cuts(e, h, stream, k, m, &t, "the same, the first two swapped");
		}
		stats(e, &b);
		snprintf(desc, sizeof(desc), "%s after an HTTP CONNECT in its segment", h->name);
		tally_done(desc, &t, t0);
		/* the request counts once a connection as data before a hello */
		CHECK_INT(desc, "tls_not_hello (the request, once a connection)", t.runs,
			  b.c[HS_ST_TLS_NOT_HELLO] - a.c[HS_ST_TLS_NOT_HELLO]);
		b.c[HS_ST_TLS_NOT_HELLO] = a.c[HS_ST_TLS_NOT_HELLO];
		check_counts(desc, &a, &b, t.runs);
		CHECK_INT(desc, "hellos_mid_segment", t.runs,
			  b.c[HS_ST_HELLO_MID_SEGMENT] - a.c[HS_ST_HELLO_MID_SEGMENT]);

		/* TCP Fast Open: the hello (or its first bytes) on the SYN */
		memset(&t, 0, sizeof(t));
		stats(e, &a);
		for (tfo = 1; tfo <= h->len && tfo <= 1400; tfo += tfo < 16 ? 1 : 97) {
			struct conn cn = conn_open(e, h->rec, tfo);
			int off;

			for (off = tfo; off < h->len; off += 1400)
				conn_send(e, &cn, h->rec, (struct cut){ off, h->len - off < 1400 ?
								h->len - off : 1400 });
			conn_check(e, h, &t, "TCP Fast Open");
		}
		stats(e, &b);
		snprintf(desc, sizeof(desc), "%s, its first bytes on the SYN", h->name);
		tally_done(desc, &t, t0);
		check_counts(desc, &a, &b, t.runs);
		CHECK_INT(desc, "hellos_syn_data", t.runs,
			  b.c[HS_ST_HELLO_SYN_DATA] - a.c[HS_ST_HELLO_SYN_DATA]);
	}
	CHECKS_DONE();
}

/* ------------------------------------------------------------------ */
/* Past the limits: counted by reason, nothing else. */

static void test_limits(void **state)
{
	struct env *e = prog_need(state);
	const struct hello *h = &hellos[0];    /* chromium's: 1,915 bytes */
	struct hs_stats a, b;
	struct cut k[32];
	int n = 0, j;

	/* every other 50-byte piece first: more holes than 8 ranges */
	for (j = 50; j < h->len && n < 20; j += 100)
		k[n++] = (struct cut){ j, 50 };
	k[n++] = (struct cut){ 0, 50 };
	stats(e, &a);
	{
		struct conn c = conn_open(e, h->rec, 0);

		for (j = 0; j < n; j++)
			conn_send(e, &c, h->rec, k[j]);
	}
	stats(e, &b);
	ring_buffer__consume(e->rb);
	CHECK_INT("10 holes", "hello events", 0, e->nev);
	CHECK_INT("10 holes", "tls_reasm_holes", 1,
		  b.c[HS_ST_TLS_REASM_HOLES] - a.c[HS_ST_TLS_REASM_HOLES]);
	e->nev = 0;

	/* the last segment 11 s after the first: given up at it */
	stats(e, &a);
	{
		struct conn c = conn_open(e, h->rec, 0);

		conn_send(e, &c, h->rec, (struct cut){ 0, 1000 });
		e->skel->bss->replay_now_ns += 11000000000ULL;
		conn_send(e, &c, h->rec, (struct cut){ 1000, h->len - 1000 });
	}
	stats(e, &b);
	ring_buffer__consume(e->rb);
	CHECK_INT("11 s between segments", "hello events", 0, e->nev);
	CHECK_INT("11 s between segments", "tls_reasm_timeout", 1,
		  b.c[HS_ST_TLS_REASM_TIMEOUT] - a.c[HS_ST_TLS_REASM_TIMEOUT]);
	e->nev = 0;
	CHECKS_DONE();
}

#define T(t) cmocka_unit_test(t)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_whole),
		T(test_two_records),
		T(test_three_records),
		T(test_small_records),
		T(test_segment_orders),
		T(test_one_byte),
		T(test_overlaps),
		T(test_not_first),
		T(test_limits),
	};

	return cmocka_run_group_tests_name("reasm", tests, setup, teardown);
}
