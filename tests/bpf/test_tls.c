// SPDX-License-Identifier: BSD-3-Clause
/*
 * The TLS path of the real XDP program under BPF_PROG_TEST_RUN, Katran-style:
 * tables of {description, TCP segments of one connection, verdict, counter
 * deltas, tls_fps change, JA4 / JA4_r / JA3 of the event and map entry}.
 * ClientHellos are built here from lists we control (a small builder with
 * GREASE, SNI, ALPN, supported_versions, groups, point formats, signature
 * algorithms and padding), wrapped in the segments of a connection (SYN
 * first unless a fixture says otherwise) over IPv4, IPv6 and VLAN tags.
 * Also: unit checks of tls_ja4 / tls_ja3, GREASE and order invariance of
 * the fingerprint id, every truncation of a hello, configured limits.
 *
 * Expected JA4 / JA4_r / JA3 strings are computed independently of
 * user/ja4.c (FoxIO's JA4.md and the public vectors; JA3 by Salesforce's
 * definition with GREASE left out) and hard-coded below.
 *
 * Needs root (or CAP_BPF + CAP_NET_ADMIN); the BPF tests skip without it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>

#include "bpfobj.h"
#include "event.h"
#include "fps.h"
#include "ja4.h"
#include "hs_hash.h"
#include "hs_bpf.skel.h"
#include "check.h"
#include "prog.h"

#pragma GCC diagnostic ignored "-Woverride-init"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* ------------------------------------------------------------------ */
/* Expected values, computed outside user/ja4.c. */

/* FoxIO JA4.md's example: its ciphers, extensions and signature algorithms */
#define SPEC_JA4   "t13d1516h2_8daaf6152771_e5627efa2ab1"
#define SPEC_JA4_R "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c," \
		   "c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b," \
		   "002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601"
#define SPEC_JA3_R "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-" \
		   "156-157-47-53,27-0-51-16-17513-23-45-13-5-35-18-43-65281-11-10-21," \
		   "29-23-24,0"
#define SPEC_JA3   "c000e2caf3a25423f9de6c8a4b12a975"
/* the same with an empty signature_algorithms list: JA4.md's "6d807ffa2a79" */
#define NOSIG_JA4   "t13d1516h2_8daaf6152771_6d807ffa2a79"
#define NOSIG_JA4_R "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c," \
		    "c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b," \
		    "002d,0033,4469,ff01"
/* TLS 1.2, no SNI, no ALPN */
#define T12_JA4   "t12i070600_7fd8c7f1093c_59d25e9dbac3"
#define T12_JA4_R "t12i070600_000a,0035,009c,00ff,c00a,c02b,c02f_000a,000b,000d,0016," \
		  "0017,0023_0401,0403,0501,0503,0201"
#define T12_JA3_R "771,49195-49199-49162-156-53-10-255,11-10-35-13-22-23,23-24-25-29,0-1-2"
#define T12_JA3   "6f4c02363013d578158df2dc08fbce61"
/* the ClientHello of socks-https-example.pcap: JA4.1 / JA4_r.1 of the vector */
#define SOCKS_JA4   "t10d230100_6a57a6f57151_000000000000"
#define SOCKS_JA4_R "t10d230100_0003,0004,0005,0006,0008,0009,000a,0011,0012,0013,0014," \
		    "0015,0016,002f,0032,0033,0035,0038,0039,0096,0099,009a,00ff_"
#define SOCKS_JA3_R "769,57-56-53-22-19-10-51-50-47-154-153-150-5-4-21-18-9-20-17-8-6-3-255,0,,"
#define SOCKS_JA3   "06a92bf69b367389d2feb0d70501ddfe"
/* the spec hello without ALPN */
#define NOALPN_JA4  "t13d151500_8daaf6152771_e5627efa2ab1"
#define NOALPN_JA3  "1a6b73d2917f5316422fadc9bd2829c6"
/* the spec hello with its first two signature algorithms swapped */
#define SIGSWAP_JA4 "t13d1516h2_8daaf6152771_8b78003a6112"
/* the spec hello cut right after the compression methods (no extensions) */
#define NOEXT_JA4   "t12i150000_8daaf6152771_000000000000"
#define NOEXT_JA4_R "t12i150000_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c," \
		    "c02f,c030,cca8,cca9_"
#define NOEXT_JA3   "acff46f3865ca2124829dcff17d098f8"
/* ciphers 0x0001..0x0080 */
#define C128_JA4    "t13d9916h2_6ac02bb14d80_e5627efa2ab1"

#include "pkt.h"

/* ------------------------------------------------------------------ */
/* The loaded program. */

#define EV_MAX 1024

struct env {
	struct hs_bpf *skel;
	int prog_fd, stats_fd, tls_fd, tcp_fd, flows_fd, reasm_fd, pairs_fd, seen_fd;
	struct ring_buffer *rb;
	struct hs_tls_event tls[EV_MAX];
	int ntls;               /* TLS events since the last drain */
	struct hs_event tcp[EV_MAX];
	int ntcp;
	struct hs_unfp_event unfp[EV_MAX];
	int nunfp;              /* unfingerprinted events since the last drain */
	int bad_records;
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct env *e = ctx;
	__u32 type = *(const __u32 *)data;

	if (size == sizeof(struct hs_tls_event) &&
	    (type == HS_EV_TLS_NEW || type == HS_EV_TLS_HELLO)) {
		if (e->ntls < EV_MAX)
			memcpy(&e->tls[e->ntls], data, size);
		e->ntls++;
	} else if (size == sizeof(struct hs_event) &&
		   (type == HS_EV_TCP_NEW || type == HS_EV_TCP_SYN)) {
		if (e->ntcp < EV_MAX)
			memcpy(&e->tcp[e->ntcp], data, size);
		e->ntcp++;
	} else if (size == sizeof(struct hs_unfp_event) && type == HS_EV_TLS_UNFP) {
		if (e->nunfp < EV_MAX)
			memcpy(&e->unfp[e->nunfp], data, size);
		e->nunfp++;
	} else {
		note("ring buffer record of %zu bytes, type %u: expected a TCP event (%zu bytes) "
		     "or a TLS event (%zu bytes)", size, type, sizeof(struct hs_event),
		     sizeof(struct hs_tls_event));
		e->bad_records++;
	}
	return 0;
}

/* enum hs_enforce_mode the next setup loads the program with. */
static int setup_enforce;
/* The pairs map's size the next setup loads the program with (0: the
 * object's). */
static unsigned int setup_pairs_max;
/* The unvalidated sample per CPU and window the next setup loads the
 * program with (0: the object's, HS_UNVAL_SAMPLE). */
static unsigned int setup_unval_max;
/* Sets of the seen and conns maps the next setup loads the program with
 * (0: the object's). */
static unsigned int setup_sets;

static int setup_with(void **state, const struct hs_config *cfg)
{
	struct env *e;

	*state = NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -1;
	e->skel = prog_open(cfg);
	if (!e->skel)
		goto skip;
	hs_set_enforce(e->skel, setup_enforce);
	if (setup_pairs_max)
		bpf_map__set_max_entries(e->skel->maps.pairs, setup_pairs_max);
	if (setup_unval_max)
		e->skel->rodata->unval_sample_max = setup_unval_max;
	if (setup_sets) {
		bpf_map__set_max_entries(e->skel->maps.seen, setup_sets);
		bpf_map__set_max_entries(e->skel->maps.conns, setup_sets);
		e->skel->rodata->seen_sets = setup_sets;
		e->skel->rodata->conn_sets = setup_sets;
	}
	if (prog_load(e->skel))
		goto skip;
	e->prog_fd = bpf_program__fd(hs_xdp_prog(e->skel));
	e->stats_fd = bpf_map__fd(e->skel->maps.stats);
	e->tls_fd = bpf_map__fd(e->skel->maps.tls_fps);
	e->tcp_fd = bpf_map__fd(e->skel->maps.tcp_fps);
	e->flows_fd = bpf_map__fd(e->skel->maps.flows);
	e->reasm_fd = bpf_map__fd(e->skel->maps.reasm);
	e->pairs_fd = bpf_map__fd(e->skel->maps.pairs);
	e->seen_fd = bpf_map__fd(e->skel->maps.seen);
	e->rb = prog_ring(e->skel, on_event, e);
	if (!e->rb)
		goto skip;
	*state = e;
	return 0;
skip:
	free(e);
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, &(struct hs_config){ .replay = true });
}

/* Seen and conns maps of SMALL_SETS sets each. */
#define SMALL_SETS 16
static int setup_small_sets(void **state)
{
	int r;

	setup_sets = SMALL_SETS;
	r = setup(state);
	setup_sets = 0;
	return r;
}

/* Other ports, tight limits: 3 segments, 1024-byte records. */
static int setup_limits(void **state)
{
	return setup_with(state, &(struct hs_config){
		.replay = true, .nports = 2, .ports = { 1080, 8444 },
		.hello_segs = 3, .hello_bytes = 1024 });
}

/* Enough segments for the largest record the program walks. */
static int setup_many_segs(void **state)
{
	return setup_with(state, &(struct hs_config){ .replay = true, .hello_segs = 16 });
}

static int teardown(void **state)
{
	struct env *e = *state;

	if (e)
		prog_free(e->skel, e->rb, e);
	return 0;
}

static struct env *need_env(void **state)
{
	return prog_need(state);
}

/* One test run; returns 0 or -errno. */
static int run_prog(int fd, const void *pkt, int len, __u32 *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, o,
		.data_in = pkt,
		.data_size_in = len,
		.repeat = 1,
	);
	int err;

	prog_dump(pkt, (__u32)len);
	err = bpf_prog_test_run_opts(fd, &o);
	if (err)
		return -errno;
	*retval = o.retval;
	return 0;
}

/* One XDP test run; returns 0 or -errno. */
static int run(struct env *e, const void *pkt, int len, __u32 *retval)
{
	return run_prog(e->prog_fd, pkt, len, retval);
}

static void stats(struct env *e, struct hs_stats *st)
{
	int err = hs_stats_read(e->stats_fd, st);

	if (err)
		fail_msg("reading the stats map: expected 0, got %s", strerror(-err));
}

static void drain(struct env *e)
{
	ring_buffer__consume(e->rb);
	e->ntls = e->ntcp = e->nunfp = 0;
}

/* Busy slots of the reasm map (cleared when clear). */
static int reasm_busy(int fd, int clear)
{
	static struct hs_reasm_slot s, zero;
	__u32 i;
	int n = 0;

	for (i = 0; i < HS_REASM_MAX; i++)
		if (bpf_map_lookup_elem(fd, &i, &s) == 0 && s.busy) {
			n++;
			if (clear)
				bpf_map_update_elem(fd, &i, &zero, BPF_ANY);
		}
	return n;
}

static void map_clear(int fd)
{
	__u8 key[64];

	while (bpf_map_get_next_key(fd, NULL, key) == 0)
		if (bpf_map_delete_elem(fd, key))
			break;
}

/* Empty fingerprint maps and flow state, no events pending. */
static void reset(struct env *e)
{
	static struct hs_flow zero[HS_FLOWS_MAX];
	static __u32 keys[HS_FLOWS_MAX];
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	__u32 i, n = HS_FLOWS_MAX;

	/* a window's sample of unvalidated ClientHellos of its own */
	e->skel->bss->sample_epoch++;
	map_clear(e->tls_fd);
	map_clear(e->tcp_fd);
	reasm_busy(e->reasm_fd, 1);
	map_clear(e->pairs_fd);
	if (array_zero(e->seen_fd))
		fail_msg("clearing the seen map: %s", strerror(errno));
	for (i = 0; i < HS_FLOWS_MAX; i++)
		keys[i] = i;
	if (bpf_map_update_batch(e->flows_fd, keys, zero, &n, &o))
		fail_msg("clearing the flows map: expected 0, got %s", strerror(errno));
	/* the slots made anew, as `run` tags them (their SYN times not known) */
	memset(e->skel->bss->flow_tags.t, 0, sizeof(e->skel->bss->flow_tags.t));
	memset(e->skel->bss->flow_since, 0, sizeof(e->skel->bss->flow_since));
	if (hs_flow_tags_fill(e->skel))
		fail_msg("tagging the flow slots: %s", strerror(errno));
	drain(e);
}

/* Keys of tls_fps, up to max; returns how many there are. */
static int tls_keys(struct env *e, __u64 *keys, int max)
{
	__u64 key, next;
	void *prev = NULL;
	int n = 0;

	while (bpf_map_get_next_key(e->tls_fd, prev, &next) == 0) {
		if (n < max)
			keys[n] = next;
		n++;
		key = next;
		prev = &key;
	}
	return n;
}

static int tls_get(struct env *e, __u64 id, struct hs_tls_fp *v)
{
	return bpf_map_lookup_elem(e->tls_fd, &id, v) ? -errno : 0;
}

static int hll_set(const __u8 *reg)
{
	unsigned int i;
	int n = 0;

	for (i = 0; i < HS_HLL_M; i++)
		n += reg[i] != 0;
	return n;
}

struct names {
	char ja4[64], ja4_r[2048], ja3_r[4096], ja3[33];
};

static void names_of(const struct hs_tls_hello *h, struct names *n)
{
	memset(n, 0, sizeof(*n));
	if (tls_ja4(h, n->ja4, sizeof(n->ja4), n->ja4_r, sizeof(n->ja4_r)))
		snprintf(n->ja4, sizeof(n->ja4), "(tls_ja4 failed)");
	if (tls_ja3(h, n->ja3_r, sizeof(n->ja3_r), n->ja3))
		snprintf(n->ja3, sizeof(n->ja3), "(tls_ja3 failed)");
}

/* ------------------------------------------------------------------ */
/* Connections and their segments. */

#define REST (-1)

struct segdef {
	int off;                /* stream offset of the first byte */
	int len;                /* bytes; REST: to the end of the stream */
};

struct conn {
	int ver;                /* 4 or 6 */
	__u16 tags[2];
	int ntags;
	__u16 sport, dport;
	__u32 isn;
	int nosyn;              /* no SYN first (flow not seen from its start) */
	const char *src;        /* client address (NULL: the default) */
	__u32 ack;              /* the client's ACK number (0: 0x55667788) */
	__u8 ttl;               /* the SYN's TTL (0: 64) */
	__u16 win;              /* the SYN's window (0: 64240) */
};

#define DEF_ISN 0x11223344u

/* The SYN of a connection, built into f. */
static void syn_frame(const struct conn *c, struct frame *f)
{
	struct pspec s = {
		.ver = c->ver, .ntags = c->ntags, .tags = { c->tags[0], c->tags[1] },
		.ttl = c->ttl ? c->ttl : 64, .ip_id = 0x3039, .frag = IPF_DF, .sport = c->sport,
		.dport = c->dport, .seq = c->isn, .tflags = TH_SYN, .win = c->win ? c->win : 64240,
		.src = c->src,
	};

	s.opts = (const __u8 *)(c->ver == 6 ? LINUX6 : LINUX4);
	s.olen = 20;
	build(&s, f);
}

/* The SYN of a connection; returns the verdict via ret. */
static int send_syn(struct env *e, const struct conn *c, __u32 *ret)
{
	struct frame f;

	syn_frame(c, &f);
	return run(e, f.b, f.len, ret);
}

/* The frame of a client segment carrying stream[off, off + len). */
static void data_frame(const struct conn *c, const __u8 *stream, int off, int len,
		       struct frame *f)
{
	struct pspec s = {
		.ver = c->ver, .ntags = c->ntags, .tags = { c->tags[0], c->tags[1] },
		.ttl = 64, .ip_id = 0x303a, .frag = IPF_DF, .sport = c->sport, .dport = c->dport,
		.seq = c->isn + 1 + (__u32)off, .ack = c->ack ? c->ack : 0x55667788,
		.tflags = TH_ACK | TH_PSH, .win = 502, .data = stream + off, .payload = len,
		.src = c->src,
	};

	build(&s, f);
}

/* A client segment carrying stream[off, off + len). */
static int send_data(struct env *e, const struct conn *c, const __u8 *stream, int off,
		     int len, __u32 *ret)
{
	struct frame f;

	data_frame(c, stream, off, len, &f);
	return run(e, f.b, f.len, ret);
}

/* ------------------------------------------------------------------ */
/* Fixtures. */

#define SEGS_MAX 24

struct tfix {
	const char *desc;
	struct hspec h;         /* the hello (unless raw is set) */
	const char *raw;        /* instead of a hello: these bytes */
	int nraw;
	const char *pre;        /* bytes before the hello (SOCKS, HTTP CONNECT) */
	int npre;
	int twice;              /* the same hello again after the first */
	int len;                /* bytes the hello record must have (0: not checked) */
	struct segdef sg[SEGS_MAX];     /* default: one segment, the whole stream */
	int jumbo;              /* segments of up to 8,960 bytes (MTU 9000), not SEG_MAX */
	/* connection */
	int v6;
	__u16 tags[2];
	int ntags;
	__u16 dport;            /* 0: 443 */
	__u32 isn;              /* 0: DEF_ISN */
	int nosyn;
	/* expected */
	__u32 verdict;          /* of every packet: always XDP_PASS, the program fails open */
	struct hs_stats st;     /* TLS counter deltas; packets, syns, fingerprints_new added */
	int fp;                 /* 1: a fingerprint (event + tls_fps entry) */
	int unfp;               /* a stats index: given up on for that reason, counted in its
				 * pseudo-fingerprint (HS_TLSF_UNFP entry + event) */
	int evsegs;             /* the event's segments field; 0: 1 */
	const char *ja4, *ja4_r, *ja3_r, *ja3;
	const char *ja4_a;      /* JA4's first part alone */
	int flags;              /* FLAGS(hello flags); 0: not checked */
};

#define FLAGS_CHECKED 0x100
#define FLAGS(f) .flags = FLAGS_CHECKED | (f)

#define RAW(s) .raw = (s), .nraw = (int)sizeof(s) - 1
#define PRE(s) .pre = (s), .npre = (int)sizeof(s) - 1
#define TAGS(...) .tags = { __VA_ARGS__ }, \
	.ntags = (int)(sizeof((__u16[]){ __VA_ARGS__ }) / sizeof(__u16))
#define SEGS(...) .sg = { __VA_ARGS__ }

#define PASS    .verdict = XDP_PASS
#define HELLO1  PASS, .st = { .c = { [HS_ST_HELLOS] = 1 } }, .fp = 1
#define HELLOM(n) PASS, .st = { .c = { [HS_ST_HELLOS] = 1, [HS_ST_HELLO_MULTISEG] = 1 } }, \
	.fp = 1, .evsegs = (n)
/* ... whose segments came out of order or overlapping */
#define HELLOR(n) PASS, .st = { .c = { [HS_ST_HELLOS] = 1, [HS_ST_HELLO_MULTISEG] = 1, \
				       [HS_ST_HELLO_REORDERED] = 1 } }, .fp = 1, .evsegs = (n)
/* a hello in one segment over several records */
#define HELLO_RECS PASS, .st = { .c = { [HS_ST_HELLOS] = 1, [HS_ST_HELLO_MULTIREC] = 1 } }, .fp = 1
/* walked, but its SYN was not seen: not counted (walked: in the sample) */
#define NOSYN1  PASS, .st = { .c = { [HS_ST_HELLOS] = 1, [HS_ST_HELLO_NO_SYN] = 1, \
				     [HS_ST_HELLO_UNVAL_SAMPLED] = 1 } }
#define NOSYNM  PASS, .st = { .c = { [HS_ST_HELLOS] = 1, [HS_ST_HELLO_MULTISEG] = 1, \
				     [HS_ST_HELLO_NO_SYN] = 1, [HS_ST_HELLO_UNVAL_SAMPLED] = 1 } }
/* a list longer than kept: fingerprinted, its JA4 inexact */
#define HELLO1X PASS, .st = { .c = { [HS_ST_HELLOS] = 1, [HS_ST_HELLO_INEXACT] = 1 } }, .fp = 1
#define COUNT(stat) PASS, .st = { .c = { [stat] = 1 } }
/* given up on for reason stat, its connection validated: counted in the
 * pseudo-fingerprint of stat (an entry, an event) */
#define LOST(stat) PASS, .st = { .c = { [stat] = 1, [HS_ST_HELLO_UNFP] = 1 } }, .unfp = (stat)
#define NOTHING PASS, .st = { .c = { 0 } }

#define F_SPEC  .ja4 = SPEC_JA4, .ja4_r = SPEC_JA4_R, .ja3_r = SPEC_JA3_R, .ja3 = SPEC_JA3, \
	FLAGS(HS_TLSF_SNI | HS_TLSF_ALPN)
#define F_T12   .ja4 = T12_JA4, .ja4_r = T12_JA4_R, .ja3_r = T12_JA3_R, .ja3 = T12_JA3, FLAGS(0)
#define F_SOCKS .ja4 = SOCKS_JA4, .ja4_r = SOCKS_JA4_R, .ja3_r = SOCKS_JA3_R, .ja3 = SOCKS_JA3, \
	FLAGS(HS_TLSF_SNI)

/* The stream of a fixture: pre, the hello (or raw), the hello again. */
static int fixture_stream(const struct tfix *fx, __u8 *buf, int cap, int *rec_len)
{
	static __u8 rec[HELLO_MAX + 64];
	int n = 0, rl = 0;

	if (fx->npre > cap)
		fail_msg("%s: prefix larger than the stream buffer", fx->desc);
	if (fx->npre)           /* pre may be NULL: memcpy's argument may not */
		memcpy(buf, fx->pre, fx->npre);
	n = fx->npre;
	if (fx->raw) {
		rl = fx->nraw;
		memcpy(rec, fx->raw, rl);
	} else {
		rl = build_hello(&fx->h, rec, sizeof(rec));
	}
	if (n + rl * (fx->twice ? 2 : 1) > cap)
		fail_msg("%s: stream of more than %d bytes", fx->desc, cap);
	memcpy(buf + n, rec, rl);
	n += rl;
	if (fx->twice) {
		memcpy(buf + n, rec, rl);
		n += rl;
	}
	*rec_len = rl;
	return n;
}

struct outcome {
	int packets;
	__u64 tcp_id;           /* the SYN's fingerprint id (0: no SYN) */
};

/* Send a fixture's connection: SYN (unless nosyn), then its segments. */
static void feed(struct env *e, const struct tfix *fx, __u16 sport, struct outcome *o)
{
	static __u8 stream[2 * HELLO_MAX + 256];
	struct conn c = {
		.ver = fx->v6 ? 6 : 4, .tags = { fx->tags[0], fx->tags[1] }, .ntags = fx->ntags,
		.sport = sport, .dport = fx->dport ? fx->dport : 443,
		.isn = fx->isn ? fx->isn : DEF_ISN, .nosyn = fx->nosyn,
	};
	int rl, n = fixture_stream(fx, stream, sizeof(stream), &rl), i, err;
	char what[96];
	__u32 ret;

	memset(o, 0, sizeof(*o));
	if (fx->len)
		CHECK_INT(fx->desc, "hello record bytes (the fixture's premise)", fx->len, rl);
	if (!c.nosyn) {
		drain(e);
		ret = ~0u;
		err = send_syn(e, &c, &ret);
		o->packets++;
		CHECK_INT(fx->desc, "SYN test run", 0, err);
		CHECK_INT(fx->desc, "SYN verdict", fx->verdict, ret);
		ring_buffer__consume(e->rb);
		CHECK_INT(fx->desc, "TCP events after the SYN", 1, e->ntcp);
		if (e->ntcp == 1)
			o->tcp_id = e->tcp[0].fp_id;
		e->ntcp = 0;
	}
	for (i = 0; i < SEGS_MAX && (i == 0 || fx->sg[i].len); i++) {
		int off = fx->sg[i].off, len = fx->sg[i].len;

		if (i == 0 && !len)
			len = REST;             /* no segments given: the whole stream */
		if (len == REST)
			len = n - off;
		if (off < 0 || len <= 0 || off + len > n || len > (fx->jumbo ? 8960 : SEG_MAX))
			fail_msg("%s: segment %d [%d, +%d) does not fit a stream of %d bytes "
				 "in %d-byte segments", fx->desc, i, off, len, n,
				 fx->jumbo ? 8960 : SEG_MAX);
		ret = ~0u;
		err = send_data(e, &c, stream, off, len, &ret);
		o->packets++;
		snprintf(what, sizeof(what), "segment %d test run", i);
		CHECK_INT(fx->desc, what, 0, err);
		snprintf(what, sizeof(what), "segment %d verdict", i);
		CHECK_INT(fx->desc, what, fx->verdict, ret);
	}
}

static void check_names(const char *desc, const char *where, const struct hs_tls_hello *h,
			const struct tfix *fx)
{
	struct names nm;
	char what[64];

	names_of(h, &nm);
#define CHECK_NAME(field, label) \
	if (fx->field) { \
		snprintf(what, sizeof(what), "%s %s", where, label); \
		CHECK_STR(desc, what, fx->field, nm.field); \
	}
	CHECK_NAME(ja4, "JA4");
	CHECK_NAME(ja4_r, "JA4_r");
	CHECK_NAME(ja3_r, "JA3 string");
	CHECK_NAME(ja3, "JA3");
#undef CHECK_NAME
	if (fx->ja4_a) {
		nm.ja4[10] = '\0';
		snprintf(what, sizeof(what), "%s JA4 a", where);
		CHECK_STR(desc, what, fx->ja4_a, nm.ja4);
	}
}

/* A fixture's ClientHello given up on: its event, and its population's
 * entry (HS_TLSF_UNFP) counts the connection like a ClientHello. */
static void check_unfp(struct env *e, const struct tfix *fx, const struct hs_unfp_event *ev,
		       const struct outcome *o, __u16 sport)
{
	static struct hs_tls_fp v;
	char ja4[64], raw[HS_JA4_R_TEXT], want[64];

	CHECK_INT(fx->desc, "unfingerprinted event reason", fx->unfp, ev->reason);
	CHECK_HEX(fx->desc, "unfingerprinted event tcp_id (the SYN's id)", o->tcp_id, ev->tcp_id);
	CHECK_INT(fx->desc, "unfingerprinted event sport", sport, ev->ep.sport);
	if (tls_get(e, ev->fp_id, &v)) {
		fail_msg("%s: the unfingerprinted event's fp_id %016llx has no tls_fps entry",
			 fx->desc, (unsigned long long)ev->fp_id);
		return;
	}
	CHECK_HEX(fx->desc, "unfingerprinted entry flags", HS_TLSF_UNFP, v.hello.flags);
	CHECK_INT(fx->desc, "unfingerprinted entry reason", fx->unfp, v.hello.unfp_reason);
	CHECK_INT(fx->desc, "unfingerprinted entry conns", 1, v.conns);
	CHECK_INT(fx->desc, "unfingerprinted entry hll_ips registers set", 1, hll_set(v.hll_ips));
	CHECK_INT(fx->desc, "unfingerprinted entry hll_tcp registers set", 1, hll_set(v.hll_tcp));
	CHECK_INT(fx->desc, "unfingerprinted entry renders", 0,
		  tls_ja4(&v.hello, ja4, sizeof(ja4), raw, sizeof(raw)));
	snprintf(want, sizeof(want), "%s%s", HS_UNFP_PREFIX, hs_unfp_reason_name(fx->unfp));
	CHECK_STR(fx->desc, "unfingerprinted entry name", want, ja4);
}

/* Run one fixture against empty maps and check everything it promises. */
static void run_tfix(struct env *e, const struct tfix *fx, __u16 sport)
{
	struct hs_stats before, after;
	struct outcome o;
	__u64 keys[4];
	int j, n;

	reset(e);
	stats(e, &before);
	feed(e, fx, sport, &o);
	stats(e, &after);
	for (j = 0; j < HS_ST__COUNT; j++) {
		long long want = fx->st.c[j];
		char what[64];

		if (j == HS_ST_PACKETS)
			want = o.packets;
		else if (j == HS_ST_SYNS || j == HS_ST_FP_NEW)
			want = fx->nosyn ? 0 : 1;
		else if (j == HS_ST_TLS_FP_NEW)
			want = fx->fp + (fx->unfp != 0);
		snprintf(what, sizeof(what), "counter %s delta", hs_stat_names[j]);
		CHECK_INT(fx->desc, what, want, after.c[j] - before.c[j]);
	}
	n = tls_keys(e, keys, 4);
	CHECK_INT(fx->desc, "tls_fps entries", fx->fp + (fx->unfp != 0), n);
	ring_buffer__consume(e->rb);
	CHECK_INT(fx->desc, "TLS events", fx->fp, e->ntls);
	CHECK_INT(fx->desc, "unfingerprinted events", fx->unfp != 0, e->nunfp);
	if (fx->unfp && e->nunfp == 1)
		check_unfp(e, fx, &e->unfp[0], &o, sport);
	CHECK_INT(fx->desc, "TCP events after the segments", 0, e->ntcp);
	CHECK_INT(fx->desc, "unknown ring buffer records", 0, e->bad_records);
	if (e->ntls == 1) {
		const struct hs_tls_event *ev = &e->tls[0];
		static struct hs_tls_fp v;

		CHECK_INT(fx->desc, "event type", HS_EV_TLS_NEW, ev->type);
		CHECK_INT(fx->desc, "event segments", fx->evsegs ? fx->evsegs : 1, ev->segments);
		CHECK_HEX(fx->desc, "event tcp_id (the SYN's id)", o.tcp_id, ev->tcp_id);
		CHECK_INT(fx->desc, "event family", fx->v6 ? 6 : 4, ev->ep.family);
		CHECK_INT(fx->desc, "event sport", sport, ev->ep.sport);
		CHECK_INT(fx->desc, "event dport", fx->dport ? fx->dport : 443, ev->ep.dport);
		if (fx->flags & FLAGS_CHECKED)
			CHECK_HEX(fx->desc, "event hello flags", fx->flags & 0xff, ev->hello.flags);
		check_names(fx->desc, "event", &ev->hello, fx);
		if (n == 1) {
			CHECK_HEX(fx->desc, "event fp_id is the tls_fps key", keys[0], ev->fp_id);
			CHECK_INT(fx->desc, "tls_fps lookup", 0, tls_get(e, keys[0], &v));
			CHECK_INT(fx->desc, "conns in the map value", 1, v.conns);
			CHECK_INT(fx->desc, "map value hello equals the event's", 0,
				  memcmp(&v.hello, &ev->hello, sizeof(v.hello)));
			check_names(fx->desc, "map entry", &v.hello, fx);
			CHECK_INT(fx->desc, "hll_ips registers set", 1, hll_set(v.hll_ips));
			CHECK_INT(fx->desc, "hll_nets registers set", 1, hll_set(v.hll_nets));
			CHECK_INT(fx->desc, "hll_tcp registers set", fx->nosyn ? 0 : 1,
				  hll_set(v.hll_tcp));
		}
	}
	e->bad_records = 0;
}

static void run_table(void **state, const struct tfix *fx, int n)
{
	struct env *e = need_env(state);
	int i;

	for (i = 0; i < n; i++)
		run_tfix(e, &fx[i], 20000 + i);
	note("%d fixtures", n);
	CHECKS_DONE();
}

#define TABLE_TEST(t) \
static void test_##t(void **state) \
{ \
	run_table(state, t, NELEM(t)); \
}

/* --- single-segment hellos, every encapsulation --- */

static const struct tfix hello_fixtures[] = {
	{ "JA4.md example over IPv4", SPEC(), HELLO1, F_SPEC },
	{ "JA4.md example with GREASE in every list", SPEC_GREASE(), HELLO1, F_SPEC },
	{ "JA4.md example over IPv6", SPEC(), .v6 = 1, HELLO1, F_SPEC },
	{ "JA4.md example, 802.1Q IPv4", SPEC(), TAGS(ETH_P_8021Q), HELLO1, F_SPEC },
	{ "JA4.md example, QinQ IPv6", SPEC_GREASE(), .v6 = 1, TAGS(ETH_P_8021AD, ETH_P_8021Q),
	  HELLO1, F_SPEC },
	{ "JA4.md example to 8443", SPEC(), .dport = 8443, HELLO1, F_SPEC },
	{ "JA4.md example, no session id, record version 0x0303",
	  SPEC(.nosid = 1, .rec_ver = 0x0303), HELLO1, F_SPEC },
	{ "JA4.md example, 1100 padding bytes", SPEC(.pad = 1100), HELLO1, F_SPEC },
	{ "empty signature_algorithms list: no trailing underscore (JA4.md)",
	  SPEC(NOSIGS), HELLO1, .ja4 = NOSIG_JA4, .ja4_r = NOSIG_JA4_R,
	  FLAGS(HS_TLSF_SNI | HS_TLSF_ALPN) },
	{ "TLS 1.2, no SNI, no ALPN", T12(), HELLO1, F_T12 },
	{ "TLS 1.2 with GREASE cipher, extension, group, sig alg",
	  T12(CIPHERS(0xeaea, 0xc02b, 0xc02f, 0xc00a, 0x009c, 0x0035, 0x000a, 0x00ff),
	      EXTS(0x000b, 0x000a, 0x7a7a, 0x0023, 0x000d, 0x0016, 0x0017),
	      GROUPS(0x0017, 0xbaba, 0x0018, 0x0019, 0x001d),
	      SIGS(0x0401, 0x0403, 0x0501, 0x0503, 0x0201, 0x9a9a)), HELLO1, F_T12 },
	{ "socks-https-example.pcap's hello (vector JA4.1 / JA4_r.1)", SOCKS(), HELLO1, F_SOCKS },
	{ "no extension block at all (pre-TLS 1.0 style)",
	  SPEC(.no_ext_block = 1, .sni = NULL), HELLO1,
	  .ja4 = NOEXT_JA4, .ja4_r = NOEXT_JA4_R, .ja3 = NOEXT_JA3, FLAGS(0) },
	{ "supported_versions with only GREASE: legacy version decides",
	  SPEC(VERS(0x3a3a)), HELLO1,
	  .ja4 = "t12d1516h2_8daaf6152771_e5627efa2ab1", .ja3 = SPEC_JA3 },
	{ "supported_versions 0x7f1c (draft): version 00",
	  SPEC(VERS(0x7f1c)), HELLO1, .ja4 = "t00d1516h2_8daaf6152771_e5627efa2ab1" },
	{ "SNI extension without a name still says d", SPEC(.sni = NULL), HELLO1,
	  .ja4 = SPEC_JA4, FLAGS(HS_TLSF_SNI | HS_TLSF_ALPN) },
	/* ALPN edge cases through the whole path */
	{ "no ALPN extension: 00", SPEC(EXTS(0x001b, 0x0000, 0x0033, 0x4469, 0x0017, 0x002d,
		0x000d, 0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015)),
	  HELLO1, .ja4 = NOALPN_JA4, .ja3 = NOALPN_JA3, FLAGS(HS_TLSF_SNI) },
	{ "ALPN first value http/1.1: h1", SPEC(ALPN("http/1.1", "h2")), HELLO1,
	  .ja4 = "t13d1516h1_8daaf6152771_e5627efa2ab1", .ja3 = SPEC_JA3 },
	{ "ALPN single character a: aa", SPEC(ALPN("a")), HELLO1,
	  .ja4 = "t13d1516aa_8daaf6152771_e5627efa2ab1" },
	{ "ALPN 0xab: ab", SPEC(ALPN("\xab")), HELLO1,
	  .ja4 = "t13d1516ab_8daaf6152771_e5627efa2ab1" },
	{ "ALPN 0xab 0xcd: ad", SPEC(ALPN("\xab\xcd")), HELLO1,
	  .ja4 = "t13d1516ad_8daaf6152771_e5627efa2ab1" },
	{ "ALPN 0x30 0xab: 3b", SPEC(ALPN("0\xab")), HELLO1,
	  .ja4 = "t13d15163b_8daaf6152771_e5627efa2ab1" },
	{ "ALPN first value empty: 00", SPEC(ALPN("", "h2")), HELLO1,
	  .ja4 = "t13d151600_8daaf6152771_e5627efa2ab1", .ja3 = SPEC_JA3,
	  FLAGS(HS_TLSF_SNI) },
	{ "ALPN empty list: 00", SPEC(.alpn = NULL), HELLO1,
	  .ja4 = "t13d151600_8daaf6152771_e5627efa2ab1", FLAGS(HS_TLSF_SNI) },
	{ "ALPN 39-byte value (longer than kept): first and last", 
	  SPEC(ALPN("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx9")), HELLO1,
	  .ja4 = "t13d1516x9_8daaf6152771_e5627efa2ab1" },
	/* long lists */
	{ "99 ciphers", SPEC(.gen_ciphers = 99), HELLO1,
	  .ja4 = "t13d9916h2_04c2bee94894_e5627efa2ab1", FLAGS(HS_TLSF_SNI | HS_TLSF_ALPN) },
	{ "100 ciphers: count 99", SPEC(.gen_ciphers = 100), HELLO1,
	  .ja4 = "t13d9916h2_23fcf16c6918_e5627efa2ab1", FLAGS(HS_TLSF_SNI | HS_TLSF_ALPN) },
	{ "128 ciphers: all kept", SPEC(.gen_ciphers = 128), HELLO1,
	  .ja4 = C128_JA4, FLAGS(HS_TLSF_SNI | HS_TLSF_ALPN) },
	/* more than HS_TLS_MAX_CIPHERS: the flag says the lists (and so the
	 * cipher hash, over the first 128) are not the whole story */
	{ "150 ciphers: overflow flag, count 99", SPEC(.gen_ciphers = 150), HELLO1X,
	  .ja4_a = "t13d9916h2", FLAGS(HS_TLSF_SNI | HS_TLSF_ALPN | HS_TLSF_OVERFLOW) },
	/* up to HS_TLS_MAX_EXTS (128) extensions are kept whole */
	{ "70 extensions: kept whole", SPEC(.gen_exts = 54), HELLO1,
	  FLAGS(HS_TLSF_SNI | HS_TLSF_ALPN) },
	/* more: JA4 would count and hash them all; what is kept stops at 128,
	 * and the flag says so -- only the flag is checked */
	{ "136 extensions: overflow flag", SPEC(.gen_exts = 120), HELLO1X,
	  FLAGS(HS_TLSF_SNI | HS_TLSF_ALPN | HS_TLSF_OVERFLOW) },
	{ "159 extensions: still walked", SPEC(.gen_exts = 143), HELLO1X,
	  FLAGS(HS_TLSF_SNI | HS_TLSF_ALPN | HS_TLSF_OVERFLOW) },
};

/* --- segmentation and reassembly --- */

/* The spec hello is 293 bytes plus its padding; this one is 6093 bytes:
 * 5 segments of 1200, the rest in a 6th. */
#define SPEC_BASE 293
#define BIG(...) SPEC(.pad = 6093 - SPEC_BASE, __VA_ARGS__)
/* a spec hello of exactly n bytes, checked when the fixture runs */
#define SIZED(n) SPEC(.pad = (n) - SPEC_BASE), .len = (n)

static const struct tfix segment_fixtures[] = {
	{ "2 segments, cut in the cipher list", SPEC(), SEGS({ 0, 80 }, { 80, REST }),
	  HELLOM(2), F_SPEC },
	{ "2 segments over IPv6 QinQ", SPEC_GREASE(), .v6 = 1, TAGS(ETH_P_8021AD, ETH_P_8021Q),
	  SEGS({ 0, 300 }, { 300, REST }), HELLOM(2), F_SPEC },
	{ "6 segments", BIG(), .len = 6093,
	  SEGS({ 0, 1200 }, { 1200, 1200 }, { 2400, 1200 }, { 3600, 1200 },
	       { 4800, 1200 }, { 6000, REST }), HELLOM(6), F_SPEC },
	{ "6 segments, IPv6", BIG(), .len = 6093, .v6 = 1,
	  SEGS({ 0, 1200 }, { 1200, 1200 }, { 2400, 1200 }, { 3600, 1200 },
	       { 4800, 1200 }, { 6000, REST }), HELLOM(6), F_SPEC },
	{ "8 segments: the default limit", SPEC(.pad = 1000), .len = 1293,
	  SEGS({ 0, 150 }, { 150, 150 }, { 300, 150 }, { 450, 150 }, { 600, 150 },
	       { 750, 150 }, { 900, 150 }, { 1050, REST }), HELLOM(8), F_SPEC },
	{ "9 segments: no segment limit of its own (bytes bound the work)", SPEC(.pad = 1000),
	  .len = 1293,
	  SEGS({ 0, 150 }, { 150, 150 }, { 300, 150 }, { 450, 150 }, { 600, 150 },
	       { 750, 150 }, { 900, 150 }, { 1050, 150 }, { 1200, REST }),
	  HELLOM(9), F_SPEC },
	{ "first segment 1 byte", SPEC(), SEGS({ 0, 1 }, { 1, REST }), HELLOM(2), F_SPEC },
	{ "first segment 2 bytes", SPEC(), SEGS({ 0, 2 }, { 2, REST }), HELLOM(2), F_SPEC },
	{ "first segment 3 bytes", SPEC(), SEGS({ 0, 3 }, { 3, REST }), HELLOM(2), F_SPEC },
	{ "first segment 4 bytes", SPEC(), SEGS({ 0, 4 }, { 4, REST }), HELLOM(2), F_SPEC },
	{ "first segment the record header", SPEC(), SEGS({ 0, 5 }, { 5, REST }),
	  HELLOM(2), F_SPEC },
	{ "1, 1, 1, 1, 1 bytes, then the rest", SPEC(),
	  SEGS({ 0, 1 }, { 1, 1 }, { 2, 1 }, { 3, 1 }, { 4, 1 }, { 5, REST }), HELLOM(6), F_SPEC },
	{ "no SYN seen, 1-byte first segment: walked, not counted", SPEC(), .nosyn = 1,
	  SEGS({ 0, 1 }, { 1, REST }), NOSYNM },
	{ "first segment retransmitted", SPEC(),
	  SEGS({ 0, 100 }, { 0, 100 }, { 100, REST }), HELLOM(2), F_SPEC },
	{ "middle segment retransmitted", BIG(), .len = 6093,
	  SEGS({ 0, 1200 }, { 1200, 1200 }, { 1200, 1200 }, { 2400, 1200 }, { 3600, 1200 },
	       { 4800, 1200 }, { 6000, REST }), HELLOM(6), F_SPEC },
	{ "last segment retransmitted after the hello completed", SPEC(),
	  SEGS({ 0, 100 }, { 100, REST }, { 100, REST }), HELLOM(2), F_SPEC },
	{ "single-segment hello retransmitted", SPEC(), SEGS({ 0, REST }, { 0, REST }),
	  HELLO1, F_SPEC },
	{ "sequence numbers wrap inside the hello", BIG(), .len = 6093, .isn = 0xfffffc00u,
	  SEGS({ 0, 1200 }, { 1200, 1200 }, { 2400, 1200 }, { 3600, 1200 },
	       { 4800, 1200 }, { 6000, REST }), HELLOM(6), F_SPEC },
	{ "second segment missing: waits for it, nothing counted", BIG(), .len = 6093,
	  SEGS({ 0, 1200 }, { 2400, 1200 }, { 3600, 1200 }, { 4800, 1200 }, { 6000, REST }),
	  NOTHING },
	{ "second segment missing, then retransmitted last", BIG(), .len = 6093,
	  SEGS({ 0, 1200 }, { 2400, 1200 }, { 3600, 1200 }, { 4800, 1200 }, { 6000, REST },
	       { 1200, 1200 }), HELLOR(6), F_SPEC },
	{ "segments 2 and 3 swapped", BIG(), .len = 6093,
	  SEGS({ 0, 1200 }, { 2400, 1200 }, { 1200, 1200 }, { 3600, 1200 }, { 4800, 1200 },
	       { 6000, REST }), HELLOR(6), F_SPEC },
	{ "second segment before the first", SPEC(), SEGS({ 100, REST }, { 0, 100 }),
	  HELLOR(2), F_SPEC },
	{ "six segments reversed", BIG(), .len = 6093,
	  SEGS({ 6000, REST }, { 4800, 1200 }, { 3600, 1200 }, { 2400, 1200 }, { 1200, 1200 },
	       { 0, 1200 }), HELLOR(6), F_SPEC },
	{ "every other segment first (three holes), each twice", BIG(), .len = 6093,
	  SEGS({ 1200, 1200 }, { 1200, 1200 }, { 3600, 1200 }, { 6000, REST }, { 3600, 1200 },
	       { 0, 1200 }, { 4800, 1200 }, { 2400, 1200 }, { 2400, 1200 }),
	  HELLOR(6), F_SPEC },
	{ "last segment never comes: nothing counted", BIG(), .len = 6093,
	  SEGS({ 0, 1200 }, { 1200, 1200 }, { 2400, 1200 }), NOTHING },
	{ "retransmission carrying new bytes too (repacketized)", SPEC(),
	  SEGS({ 0, 100 }, { 50, 100 }, { 150, REST }), HELLOR(3), F_SPEC },
	{ "a segment over two out-of-order ones and the gap between them", BIG(), .len = 6093,
	  SEGS({ 0, 1200 }, { 2400, 600 }, { 3200, 600 }, { 2300, 1400 }, { 1200, 1200 },
	       { 3700, 1400 }, { 5100, REST }), HELLOR(7), F_SPEC },
	{ "record of 16390 bytes (over 16384): too big at once",
	  SIZED(16390), SEGS({ 0, 1400 }, { 1400, 1400 }, { 2800, 1400 }),
	  LOST(HS_ST_TLS_TOO_BIG) },
};

/* --- one connection, one hello; what comes around it --- */

#define SOCKS5 "\x05\x01\x00"
#define SOCKS5_REQ "\x05\x01\x00\x03\x0fwww.example.com\x01\xbb"
#define CONNECT "CONNECT www.example.com:443 HTTP/1.1\r\nHost: www.example.com:443\r\n\r\n"

static const struct tfix flow_fixtures[] = {
	{ "no SYN: walked, not counted", SPEC(), .nosyn = 1, NOSYN1 },
	{ "no SYN, IPv6: walked, not counted", SPEC(), .v6 = 1, .nosyn = 1, NOSYN1 },
	{ "no SYN, 2 segments: walked, not counted", SPEC(), .nosyn = 1,
	  SEGS({ 0, 100 }, { 100, REST }), NOSYNM },
	{ "second hello on the flow (after HelloRetryRequest) is not counted", SPEC(), .len = 393,
	  .twice = 1, SEGS({ 0, 393 }, { 393, REST }), HELLO1, F_SPEC },
	{ "second hello after a 2-segment first", SPEC(), .len = 393, .twice = 1,
	  SEGS({ 0, 200 }, { 200, 193 }, { 393, REST }), HELLOM(2), F_SPEC },
	{ "second hello, no SYN seen", SPEC(), .len = 393, .twice = 1, .nosyn = 1,
	  SEGS({ 0, 393 }, { 393, REST }), NOSYN1 },
	{ "two hellos in one segment: the first counts", SPEC(), .twice = 1, HELLO1, F_SPEC },
	{ "SOCKS5 greeting and request, then the hello", SOCKS(), .len = 152,
	  PRE(SOCKS5 SOCKS5_REQ),
	  SEGS({ 0, 3 }, { 3, 22 }, { 25, REST }),
	  PASS, .st = { .c = { [HS_ST_TLS_NOT_HELLO] = 1, [HS_ST_HELLOS] = 1 } }, .fp = 1,
	  F_SOCKS },
	{ "HTTP CONNECT, then a 2-segment hello", SPEC(), PRE(CONNECT),
	  SEGS({ 0, sizeof(CONNECT) - 1 }, { sizeof(CONNECT) - 1, 100 },
	       { sizeof(CONNECT) - 1 + 100, REST }),
	  PASS, .st = { .c = { [HS_ST_TLS_NOT_HELLO] = 1, [HS_ST_HELLOS] = 1,
			       [HS_ST_HELLO_MULTISEG] = 1 } }, .fp = 1, .evsegs = 2, F_SPEC },
	{ "SOCKS5 then hello then a second hello", SOCKS(), .len = 152, PRE(SOCKS5), .twice = 1,
	  SEGS({ 0, 3 }, { 3, 152 }, { 155, REST }),
	  PASS, .st = { .c = { [HS_ST_TLS_NOT_HELLO] = 1, [HS_ST_HELLOS] = 1 } }, .fp = 1,
	  F_SOCKS },
	{ "HTTP GET to 443: not a hello, counted once",
	  RAW("GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.0\r\n\r\n"
	      "GET /two HTTP/1.1\r\nHost: example.com\r\n\r\n"),
	  SEGS({ 0, 20 }, { 20, REST }), COUNT(HS_ST_TLS_NOT_HELLO) },
	{ "HTTP GET to 443, no SYN: nothing", RAW("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"),
	  .nosyn = 1, NOTHING },
	{ "hello to port 80: other port, no fingerprint", SPEC(), .dport = 80,
	  COUNT(HS_ST_TLS_OTHER_PORT) },
	{ "2-segment hello to port 80: other port once", SPEC(), .dport = 80,
	  SEGS({ 0, 100 }, { 100, REST }), COUNT(HS_ST_TLS_OTHER_PORT) },
	{ "hello to port 1080 (not configured): other port", SOCKS(), .dport = 1080,
	  COUNT(HS_ST_TLS_OTHER_PORT) },
	{ "TLS application data to 443, no hello before it: hidden", RAW("\x17\x03\x03\x00\x05hello"),
	  LOST(HS_ST_TLS_NO_HELLO) },
	{ "HTTP first, then TLS application data: no hello, hidden",
	  RAW("GET / HTTP/1.1\r\n\r\n\x17\x03\x03\x00\x05hello"), SEGS({ 0, 18 }, { 18, REST }),
	  PASS, .st = { .c = { [HS_ST_TLS_NOT_HELLO] = 1, [HS_ST_TLS_NO_HELLO] = 1,
			       [HS_ST_HELLO_UNFP] = 1 } }, .unfp = HS_ST_TLS_NO_HELLO },
	{ "change cipher spec first: no hello, hidden", RAW("\x14\x03\x03\x00\x01\x01"),
	  LOST(HS_ST_TLS_NO_HELLO) },
	{ "TLS application data, no SYN seen: nothing", RAW("\x17\x03\x03\x00\x05hello"),
	  .nosyn = 1, NOTHING },
};

/* --- garbage that looks like TLS: never a fingerprint, always XDP_PASS --- */

static const struct tfix garbage_fixtures[] = {
	{ "handshake type 2 (ServerHello)", SPEC(.hs_type = 2), LOST(HS_ST_TLS_NOT_HELLO) },
	{ "handshake type 11 (Certificate)", SPEC(.hs_type = 11), LOST(HS_ST_TLS_NOT_HELLO) },
	/* an empty record (servers take a few): the hello may follow */
	{ "record length 0: waits", RAW("\x16\x03\x01\x00\x00"), NOTHING },
	{ "record length 0, then an empty hello in the same segment",
	  RAW("\x16\x03\x01\x00\x00\x16\x03\x01\x00\x04\x01\x00\x00\x00"),
	  LOST(HS_ST_TLS_MALFORMED) },
	{ "record length 3: the handshake header goes on in a next record",
	  RAW("\x16\x03\x01\x00\x03\x01\x00\x00"), NOTHING },
	{ "record length 3, then an alert record", RAW("\x16\x03\x01\x00\x03\x01\x00\x00"
	  "\x15\x03\x01\x00\x02\x02\x28"), LOST(HS_ST_TLS_RECORD_SPLIT) },
	{ "empty ClientHello body", RAW("\x16\x03\x01\x00\x04\x01\x00\x00\x00"),
	  LOST(HS_ST_TLS_MALFORMED) },
	{ "handshake length larger than the record: waits for the next record",
	  SPEC(.hs_adj = 1), NOTHING },
	{ "handshake length 0xffffff: too big", SPEC(.hs_adj = 0xff0000),
	  LOST(HS_ST_TLS_TOO_BIG) },
	{ "handshake length 10 short: extensions run past it", SPEC(.hs_adj = -10),
	  LOST(HS_ST_TLS_MALFORMED) },
	{ "cipher list length odd", SPEC(.cipher_adj = 1), LOST(HS_ST_TLS_MALFORMED) },
	{ "cipher list length past the hello", SPEC(.cipher_adj = 2000),
	  LOST(HS_ST_TLS_MALFORMED) },
	{ "cipher list length 0xfffe", SPEC(.cipher_adj = 0xfffe - 30),
	  LOST(HS_ST_TLS_MALFORMED) },
	{ "session id length 255", SPEC(.sid_lie = 255, .pad = 0), LOST(HS_ST_TLS_MALFORMED) },
	{ "extensions block longer than the hello", SPEC(.exts_adj = 1),
	  LOST(HS_ST_TLS_MALFORMED) },
	{ "extensions block 3 bytes short: last extension truncated", SPEC(.exts_adj = -3),
	  LOST(HS_ST_TLS_MALFORMED) },
	{ "first extension length past the block", SPEC(.lie_idx = 1, .lie_adj = 5000),
	  LOST(HS_ST_TLS_MALFORMED) },
	{ "SNI extension length 1 too long", SPEC(.lie_idx = 2, .lie_adj = 1),
	  LOST(HS_ST_TLS_MALFORMED) },
	{ "last extension length 1 too long", SPEC(.lie_idx = 16, .lie_adj = 1),
	  LOST(HS_ST_TLS_MALFORMED) },
	{ "record length 1 short of the hello: what follows is not a record",
	  SPEC(.rec_adj = -1), LOST(HS_ST_TLS_RECORD_SPLIT) },
	{ "record length 1 past the hello: the hello is whole, fingerprinted",
	  SPEC(.rec_adj = 1), HELLO1, F_SPEC },
	{ "record length 0xffff: too big", SPEC(.rec_adj = 0xffff - 388),
	  LOST(HS_ST_TLS_TOO_BIG) },
	{ "compression list past the hello",
	  RAW("\x16\x03\x01\x00\x2c\x01\x00\x00\x28\x03\x03"
	      "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
	      "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
	      "\x00\x00\x02\x13\x01\x09"), LOST(HS_ST_TLS_MALFORMED) },
	{ "one byte after the compression methods", 
	  RAW("\x16\x03\x01\x00\x2e\x01\x00\x00\x2a\x03\x03"
	      "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
	      "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
	      "\x00\x00\x02\x13\x01\x01\x00\x00"), LOST(HS_ST_TLS_MALFORMED) },
	{ "SSLv2-compatible hello", RAW("\x80\x2e\x01\x03\x01\x00\x15\x00\x00\x00\x10"),
	  COUNT(HS_ST_TLS_NOT_HELLO) },
	{ "16 03 then garbage", RAW("\x16\x03\xff\xff\xff\xff\xff\xff\xff\xff"),
	  LOST(HS_ST_TLS_TOO_BIG) },
	{ "garbage record, no SYN seen: in the sample, not its population", SPEC(.hs_type = 2),
	  .nosyn = 1, PASS, .st = { .c = { [HS_ST_TLS_NOT_HELLO] = 1, [HS_ST_HELLO_NO_SYN] = 1,
					   [HS_ST_HELLO_UNVAL_SAMPLED] = 1 } } },
	{ "160 extensions: more than the walk takes", SPEC(.gen_exts = 144),
	  LOST(HS_ST_TLS_TOO_BIG) },
	{ "a lone 16, then not TLS: a hello may follow", RAW("\x16GET / HTTP/1.1\r\n\r\n"),
	  SEGS({ 0, 1 }, { 1, REST }), COUNT(HS_ST_TLS_NOT_HELLO) },
	{ "malformed hello over IPv6 VLAN", SPEC(.cipher_adj = 1), .v6 = 1, TAGS(ETH_P_8021Q),
	  LOST(HS_ST_TLS_MALFORMED) },
};

/* --- one hello over several TLS records (more in test_reasm) --- */

#define RECS_SEGS(n) PASS, .st = { .c = { [HS_ST_HELLOS] = 1, [HS_ST_HELLO_MULTISEG] = 1, \
					   [HS_ST_HELLO_MULTIREC] = 1 } }, .fp = 1, .evsegs = (n)

static const struct tfix record_fixtures[] = {
	{ "hello split across two TLS records", SPEC(.split = 100), HELLO_RECS, F_SPEC },
	{ "two records, two segments", SPEC(.split = 300), SEGS({ 0, 200 }, { 200, REST }),
	  RECS_SEGS(2), F_SPEC },
	{ "two records, the second header cut between segments", SPEC(.split = 300),
	  SEGS({ 0, 307 }, { 307, REST }), RECS_SEGS(2), F_SPEC },
	{ "split after the handshake type", SPEC(.split = 1), HELLO_RECS, F_SPEC },
	{ "split inside the handshake length", SPEC(.split = 2), HELLO_RECS, F_SPEC },
	{ "split right after the handshake header", SPEC(.split = 4), HELLO_RECS, F_SPEC },
	{ "split one byte before the end", SPEC(.split = 292), HELLO_RECS, F_SPEC },
	{ "two records, GREASE, over IPv6", SPEC_GREASE(.split = 150), .v6 = 1, HELLO_RECS,
	  F_SPEC },
	{ "TLS 1.2 hello in two records", T12(.split = 40), HELLO_RECS, F_T12 },
	{ "the vector's hello in two records, record version 0x0300", SOCKS(.split = 75,
	  .rec_ver = 0x0300), HELLO_RECS, F_SOCKS },
	{ "two records, no SYN: walked (in the sample), not counted", SPEC(.split = 100),
	  .nosyn = 1, PASS, .st = { .c = { [HS_ST_HELLOS] = 1, [HS_ST_HELLO_MULTIREC] = 1,
					   [HS_ST_HELLO_NO_SYN] = 1,
					   [HS_ST_HELLO_UNVAL_SAMPLED] = 1 } } },
};

/* --- a program with ports 1080 and 8444, 3 segments, 1024-byte records --- */

static const struct tfix limit_fixtures[] = {
	{ "SOCKS port 1080 configured: the vector's hello", SOCKS(), .dport = 1080,
	  HELLO1, F_SOCKS },
	{ "port 8444 configured", SPEC(), .dport = 8444, HELLO1, F_SPEC },
	{ "443 no longer a TLS port", SPEC(), .dport = 443, COUNT(HS_ST_TLS_OTHER_PORT) },
	{ "3 segments: the limit", SPEC(), .dport = 8444,
	  SEGS({ 0, 100 }, { 100, 100 }, { 200, REST }), HELLOM(3), F_SPEC },
	{ "4 segments: over the limit", SPEC(), .dport = 8444,
	  SEGS({ 0, 100 }, { 100, 100 }, { 200, 100 }, { 300, REST }),
	  LOST(HS_ST_TLS_TOO_BIG) },
	{ "record of 1024 bytes: the limit", SIZED(1024), .dport = 8444,
	  HELLO1, F_SPEC },
	{ "record of 1025 bytes: too big", SIZED(1025), .dport = 8444,
	  LOST(HS_ST_TLS_TOO_BIG) },
	{ "record of 1025 bytes in 2 segments: too big at the handshake header", SIZED(1025),
	  .dport = 8444, SEGS({ 0, 5 }, { 5, REST }), LOST(HS_ST_TLS_TOO_BIG) },
};

/* --- a program with 16 segments: the largest record walked --- */

#define SEG12 SEGS({ 0, 1400 }, { 1400, 1400 }, { 2800, 1400 }, { 4200, 1400 }, \
		   { 5600, 1400 }, { 7000, 1400 }, { 8400, 1400 }, { 9800, 1400 }, \
		   { 11200, 1400 }, { 12600, 1400 }, { 14000, 1400 }, { 15400, REST })

static const struct tfix big_fixtures[] = {
	{ "record of 16384 bytes in 12 segments", SIZED(16384), SEG12,
	  HELLOM(12), F_SPEC },
	{ "record of 16384 bytes, IPv6, GREASE",
	  SPEC_GREASE(.pad = 16384 - SPEC_BASE - 23), .len = 16384, .v6 = 1, SEG12,
	  HELLOM(12), F_SPEC },
	/* the extensions end at the buffer's end, HS_HELLO_LIMIT: a position
	 * there masked with HS_HELLO_MASK is 0 (the fast walk keeps it less
	 * one), and read as an extension at 0, the record header (16 03 ff
	 * 3f) would be one of 0xff3f bytes, past the end */
	{ "record of 16384 bytes, record version 0x03ff",
	  SPEC(.pad = 16384 - SPEC_BASE, .rec_ver = 0x03ff), .len = 16384, SEG12,
	  HELLOM(12), F_SPEC },
	{ "record of 16385 bytes: too big", SIZED(16385), SEG12,
	  LOST(HS_ST_TLS_TOO_BIG) },
	/* past the test run's first buffer (a page): a frame of several, as
	 * a jumbo frame's in native XDP (xdp.frags) */
	{ "record of 8000 bytes in one jumbo segment", SIZED(8000), .jumbo = 1, HELLO1, F_SPEC },
	{ "record of 8000 bytes in one jumbo segment, IPv6", SIZED(8000), .v6 = 1, .jumbo = 1,
	  HELLO1, F_SPEC },
	{ "record of 16384 bytes, first segment 3 bytes", SIZED(16384),
	  SEGS({ 0, 3 }, { 3, 1400 }, { 1403, 1400 }, { 2803, 1400 }, { 4203, 1400 },
	       { 5603, 1400 }, { 7003, 1400 }, { 8403, 1400 }, { 9803, 1400 },
	       { 11203, 1400 }, { 12603, 1400 }, { 14003, 1400 }, { 15403, REST }),
	  HELLOM(13), F_SPEC },
};

TABLE_TEST(hello_fixtures)
TABLE_TEST(segment_fixtures)
TABLE_TEST(flow_fixtures)
TABLE_TEST(garbage_fixtures)
TABLE_TEST(record_fixtures)
TABLE_TEST(limit_fixtures)
TABLE_TEST(big_fixtures)

/* ------------------------------------------------------------------ */
/* The fingerprint id: GREASE and order invariance, one map entry. */

/* Feed fixtures one after the other without a reset; returns their TLS ids. */
static void feed_many(struct env *e, const struct tfix *fx, int n, __u64 *ids)
{
	struct outcome o;
	int i;

	reset(e);
	for (i = 0; i < n; i++) {
		feed(e, &fx[i], 21000 + i, &o);
		ring_buffer__consume(e->rb);
		CHECK_INT(fx[i].desc, "TLS events", 1, e->ntls);
		ids[i] = e->ntls == 1 ? e->tls[0].fp_id : 0;
		if (e->ntls == 1)
			check_names(fx[i].desc, "event", &e->tls[0].hello, &fx[i]);
		e->ntls = 0;
	}
}

static void check_one_entry(struct env *e, const char *desc, int conns)
{
	static struct hs_tls_fp v;
	__u64 keys[4];
	int n = tls_keys(e, keys, 4);

	CHECK_INT(desc, "tls_fps entries", 1, n);
	if (n == 1) {
		CHECK_INT(desc, "tls_fps lookup", 0, tls_get(e, keys[0], &v));
		CHECK_INT(desc, "conns in the map value", conns, v.conns);
		CHECK_INT(desc, "hll_ips registers set (one source)", 1, hll_set(v.hll_ips));
		CHECK_INT(desc, "hll_tcp registers set (one TCP id)", 1, hll_set(v.hll_tcp));
	}
}

static const struct tfix grease_fixtures[] = {
	{ "no GREASE", SPEC(), F_SPEC, PASS },
	{ "GREASE cipher", SPEC(CIPHERS(0x0a0a, SPEC_CIPHERS)), F_SPEC, PASS },
	{ "GREASE cipher at the end", SPEC(CIPHERS(SPEC_CIPHERS, 0xfafa)), F_SPEC, PASS },
	{ "GREASE extension types", SPEC(EXTS(0x8a8a, SPEC_EXTS, 0x9a9a)), F_SPEC, PASS },
	{ "GREASE group", SPEC(GROUPS(0xcaca, 0x001d, 0x0017, 0x0018)), F_SPEC, PASS },
	{ "GREASE sig alg", SPEC(SIGS(0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501,
				      0x0806, 0x0601, 0x6a6a)), F_SPEC, PASS },
	{ "GREASE version", SPEC(VERS(0x4a4a, 0x0304, 0x0303)), F_SPEC, PASS },
	{ "GREASE everywhere", SPEC_GREASE(), F_SPEC, PASS },
};

static void test_grease_invariance(void **state)
{
	struct env *e = need_env(state);
	const struct tfix *fx = grease_fixtures;
	__u64 ids[NELEM(grease_fixtures)];
	int i;

	feed_many(e, fx, NELEM(grease_fixtures), ids);
	for (i = 1; i < NELEM(grease_fixtures); i++)
		CHECK_HEX(fx[i].desc, "TLS id equal to the one without GREASE", ids[0], ids[i]);
	check_one_entry(e, "GREASE variants", NELEM(grease_fixtures));
	CHECKS_DONE();
}

/* ------------------------------------------------------------------ */
/* The remembered lists (list_memo, hs_list_recall): a hello whose list an
 * entry holds takes what the entry says, whatever its GREASE values; an
 * entry being written (seq odd) is neither used nor written. */

/* Entry i of list_memo's one per-CPU value, every CPU's copy (v[cpu]) */
static void lmemo_rw(struct env *e, __u32 i, struct hs_list_memo *v, int write)
{
	int fd = bpf_map__fd(e->skel->maps.list_memo), ncpu = libbpf_num_possible_cpus(), c;
	struct hs_list_memos *all = calloc((size_t)ncpu, sizeof(*all));
	__u32 zero = 0;

	assert_non_null(all);
	assert_int_equal(bpf_map_lookup_elem(fd, &zero, all), 0);
	for (c = 0; c < ncpu; c++) {
		if (write)
			all[c].e[i] = v[c];
		else
			v[c] = all[c].e[i];
	}
	if (write)
		assert_int_equal(bpf_map_update_elem(fd, &zero, all, 0), 0);
	free(all);
}

/* The entry of list_memo holding a list of kind and len bytes on CPU cpu
 * (every CPU's copy of it in v): its index, or -1. */
static int lmemo_find(struct env *e, __u8 kind, __u16 len, struct hs_list_memo *v, int cpu)
{
	__u32 i;

	for (i = 0; i < HS_LIST_MEMO; i++) {
		lmemo_rw(e, i, v, 0);
		if (v[cpu].seq && v[cpu].kind == kind && v[cpu].len == len)
			return (int)i;
	}
	return -1;
}

/* The tls_fps key of fixture fx's hello, from its event. */
static __u64 hello_id(struct env *e, const struct tfix *fx, __u16 sport)
{
	struct outcome o;
	__u64 id;

	e->ntls = 0;
	feed(e, fx, sport, &o);
	ring_buffer__consume(e->rb);
	CHECK_INT(fx->desc, "TLS events", 1, e->ntls);
	id = e->ntls == 1 ? e->tls[0].fp_id : 0;
	if (e->ntls == 1)
		check_names(fx->desc, "event", &e->tls[0].hello, fx);
	e->ntls = 0;
	return id;
}

static void test_list_memo(void **state)
{
	const struct tfix a = { "GREASE", SPEC_GREASE(), F_SPEC, PASS };
	const struct tfix b = { "other GREASE values", SPEC(CIPHERS(0xdada, SPEC_CIPHERS),
		SIGS(0x0403, 0x0804, 0xeaea, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601),
		VERS(0x5a5a, 0x0304, 0x0303), GROUPS(0x9a9a, 0x001d, 0x0017, 0x0018)), F_SPEC, PASS };
	/* a's but for a suite that is not GREASE (two bytes unequal) where a's
	 * GREASE value is: the same entry, not its list */
	const struct tfix d = { "a suite where GREASE was", SPEC_GREASE(CIPHERS(0x0a1a, SPEC_CIPHERS)),
		.ja4 = NULL, PASS };
	/* ... and one whose bytes are equal but end in 0xb, not 0xa */
	const struct tfix d2 = { "a suite like GREASE where GREASE was",
		SPEC_GREASE(CIPHERS(0x2b2b, SPEC_CIPHERS)), .ja4 = NULL, PASS };
	static const __u16 ciphers[] = { SPEC_CIPHERS }, sigs[] = { SPEC_SIGS };
	const struct { __u8 kind; __u16 len; __u8 n; const __u16 *v; } lists[] = {
		{ HS_LIST_CIPHERS, 32, 15, ciphers },
		{ HS_LIST_SIGALGS, 18, 8, sigs },
	};
	struct env *e = need_env(state);
	int ncpu = libbpf_num_possible_cpus(), cpu = sched_getcpu(), slot[2], i, c;
	struct hs_list_memo *m = calloc((size_t)ncpu, sizeof(*m));
	__u64 ida, id;

	assert_non_null(m);
	assert_true(cpu >= 0 && cpu < ncpu);   /* the one CPU main pinned us to */
	reset(e);
	for (i = 0; i < HS_LIST_MEMO; i++)
		lmemo_rw(e, (__u32)i, m, 1);    /* m is all zero */

	/* a's lists walked, and remembered: what the walk kept of them; its
	 * groups are in no id, walked only for the new entry (hs_tls_fill),
	 * not remembered */
	ida = hello_id(e, &a, 22000);
	assert_int_equal(lmemo_find(e, HS_LIST_GROUPS, 8, m, cpu), -1);
	for (i = 0; i < 2; i++) {
		slot[i] = lmemo_find(e, lists[i].kind, lists[i].len, m, cpu);
		assert_true(slot[i] >= 0);
		assert_int_equal(m[cpu].seq, 2);
		assert_int_equal(m[cpu].n, lists[i].n);
		assert_memory_equal(m[cpu].kept, lists[i].v, 2 * lists[i].n);
	}

	/* b's lists, the same but for their GREASE values, taken from the
	 * entries (which are not written again: seq as it was) */
	assert_true(hello_id(e, &b, 22001) == ida);
	for (i = 0; i < 2; i++) {
		lmemo_rw(e, (__u32)slot[i], m, 0);
		assert_int_equal(m[cpu].seq, 2);
	}

	/* the entry is what a hello consults: its hash made up, a's hello
	 * gets another id (its names are its lists', which are right) */
	lmemo_rw(e, (__u32)slot[0], m, 0);
	for (c = 0; c < ncpu; c++)
		m[c].hash ^= 1;
	lmemo_rw(e, (__u32)slot[0], m, 1);
	id = hello_id(e, &a, 22002);
	assert_true(id != ida);
	assert_int_equal(tls_keys(e, NULL, 0), 2);

	/* ... but not while its seq is odd: then the walk's, and the entry
	 * left as it was */
	for (c = 0; c < ncpu; c++)
		m[c].seq = 3;
	lmemo_rw(e, (__u32)slot[0], m, 1);
	assert_true(hello_id(e, &a, 22003) == ida);
	lmemo_rw(e, (__u32)slot[0], m, 0);
	assert_int_equal(m[cpu].seq, 3);
	assert_int_equal(m[cpu].n, 15);

	/* the entry as it was; d's suites are not a's (16 of them, another
	 * id), and the entry holds them after d's walk; then a's are not d's;
	 * the same for d2 */
	for (c = 0; c < ncpu; c++) {
		m[c].seq = 2;
		m[c].hash ^= 1;
	}
	lmemo_rw(e, (__u32)slot[0], m, 1);
	for (i = 0; i < 2; i++) {
		id = hello_id(e, i ? &d2 : &d, (__u16)(22004 + 2 * i));
		assert_true(id != ida);
		lmemo_rw(e, (__u32)slot[0], m, 0);
		assert_int_equal(m[cpu].seq, 4 + 4 * i);
		assert_int_equal(m[cpu].n, 16);
		assert_true(hello_id(e, &a, (__u16)(22005 + 2 * i)) == ida);
		lmemo_rw(e, (__u32)slot[0], m, 0);
		assert_int_equal(m[cpu].seq, 6 + 4 * i);
		assert_int_equal(m[cpu].n, 15);
	}
	free(m);
	CHECKS_DONE();
}

static const struct tfix order_same[] = {
	{ "wire order", SPEC(), F_SPEC, PASS },
	{ "ciphers reversed, extensions rotated",
	  SPEC(CIPHERS(0x0035, 0x002f, 0x009d, 0x009c, 0xc014, 0xc013, 0xcca8, 0xcca9,
		       0xc030, 0xc02c, 0xc02f, 0xc02b, 0x1303, 0x1302, 0x1301),
	       EXTS(0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015,
		    0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d)),
	  .ja4 = SPEC_JA4, .ja4_r = SPEC_JA4_R, PASS },
};

static const struct tfix order_other[] = {
	{ "wire order", SPEC(), F_SPEC, PASS },
	{ "signature algorithms 1 and 2 swapped",
	  SPEC(SIGS(0x0804, 0x0403, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601)),
	  .ja4 = SIGSWAP_JA4, PASS },
};

static void test_order_invariance(void **state)
{
	struct env *e = need_env(state);
	__u64 ids[2];

	feed_many(e, order_same, 2, ids);
	CHECK_HEX("permuted ciphers and extensions", "TLS id", ids[0], ids[1]);
	check_one_entry(e, "permuted ciphers and extensions", 2);

	feed_many(e, order_other, 2, ids);
	if (ids[0] == ids[1]) {
		note("signature algorithm order: expected two TLS ids, got %#llx twice",
		     (unsigned long long)ids[0]);
		fails++;
	}
	CHECK_INT("signature algorithm order", "tls_fps entries", 2, tls_keys(e, NULL, 0));
	CHECKS_DONE();
}

/* The TCP id of the SYN reaches the TLS event; several SYN stacks, one TLS id. */
static void test_tcp_id(void **state)
{
	struct env *e = need_env(state);
	const struct tfix v4 = { "IPv4", SPEC(), PASS, F_SPEC },
			  v6 = { "IPv6", SPEC(), .v6 = 1, PASS, F_SPEC };
	static struct hs_tls_event ev4;
	static struct hs_tls_fp v;
	struct outcome o4, o6;
	__u64 keys[2];

	reset(e);
	feed(e, &v4, 22000, &o4);
	ring_buffer__consume(e->rb);
	CHECK_INT("IPv4", "TLS events", 1, e->ntls);
	ev4 = e->tls[0];
	feed(e, &v6, 22001, &o6);       /* drains before its SYN */
	ring_buffer__consume(e->rb);
	CHECK_INT("IPv6", "TLS events", 1, e->ntls);
	CHECK_HEX("IPv4", "event tcp_id", o4.tcp_id, ev4.tcp_id);
	CHECK_HEX("IPv6", "event tcp_id", o6.tcp_id, e->tls[0].tcp_id);
	CHECK_HEX("IPv6", "TLS id equal to IPv4's", ev4.fp_id, e->tls[0].fp_id);
	CHECK_INT("IPv4", "event type", HS_EV_TLS_NEW, ev4.type);
	CHECK_INT("IPv6", "event type", HS_EV_TLS_HELLO, e->tls[0].type);
	if (o4.tcp_id == o6.tcp_id) {
		note("two SYN stacks: expected two TCP ids, got %#llx twice",
		     (unsigned long long)o4.tcp_id);
		fails++;
	}
	CHECK_INT("two stacks", "tls_fps entries", 1, tls_keys(e, keys, 2));
	CHECK_INT("two stacks", "tls_fps lookup", 0, tls_get(e, keys[0], &v));
	CHECK_INT("two stacks", "conns", 2, v.conns);
	CHECK_INT("two stacks", "hll_tcp registers set", 2, hll_set(v.hll_tcp));
	CHECK_INT("two stacks", "hll_ips registers set", 2, hll_set(v.hll_ips));
	CHECKS_DONE();
}


/* ------------------------------------------------------------------ */
/* (TLS fingerprint, TCP stack) pairs: one hello over two stacks. */

struct pconn {
	const char *src;
	__u8 ttl;               /* 0: 64 */
	__u16 win;              /* 0: 64240 */
	int nosyn;
};

/* Stack A (Linux, TTL 64 and 60 alike: one stack, two TCP ids) from four
 * sources, stack B (TTL 128, window 65535) from two; then one connection
 * whose SYN was not seen. */
static const struct pconn pconns[] = {
	{ "198.18.1.1" }, { "198.18.2.1" }, { "198.18.3.1" }, { "198.18.4.1", .ttl = 60 },
	{ "198.18.5.1", .ttl = 128, .win = 65535 }, { "198.18.6.1", .ttl = 128, .win = 65535 },
	{ "198.18.7.1", .nosyn = 1 },
};

static void pair_conn(struct env *e, const struct pconn *p, __u16 sport)
{
	static __u8 hello[HELLO_MAX];
	const struct hspec h = SPEC();
	struct conn c = { .ver = 4, .sport = sport, .dport = 443, .isn = DEF_ISN,
			  .nosyn = p->nosyn, .src = p->src, .ttl = p->ttl, .win = p->win };
	int len = build_hello(&h, hello, sizeof(hello));
	__u32 ret = ~0u;

	if (!c.nosyn)
		CHECK_INT(p->src, "SYN test run", 0, send_syn(e, &c, &ret));
	CHECK_INT(p->src, "hello test run", 0, send_data(e, &c, hello, 0, len, &ret));
	CHECK_INT(p->src, "hello verdict", XDP_PASS, ret);
}

/* The pairs map's entries: keys and values, up to max; how many there are. */
static int pair_entries(struct env *e, __u64 *keys, struct hs_pair *v, int max)
{
	__u64 key, next;
	void *prev = NULL;
	int n = 0;

	while (bpf_map_get_next_key(e->pairs_fd, prev, &next) == 0) {
		if (n < max) {
			keys[n] = next;
			if (bpf_map_lookup_elem(e->pairs_fd, &next, &v[n]))
				memset(&v[n], 0, sizeof(v[n]));
		}
		n++;
		key = next;
		prev = &key;
	}
	return n;
}

static int setup_pairs(void **state)
{
	/* every ClientHello counts: the one without its SYN reaches tls_fps */
	return setup_with(state, &(struct hs_config){ .replay = true,
						      .handshake = HS_CHECK_NONE });
}

static void test_pairs(void **state)
{
	struct env *e = need_env(state);
	static struct hs_pair v[4];
	static struct hs_tls_fp fp;
	struct hs_stats before, after;
	struct fp_reader *rd;
	struct det_obs *rows;
	__u64 keys[4], tls_key = 0;
	size_t nrows, i;
	int n, a;

	reset(e);
	stats(e, &before);
	for (i = 0; i < NELEM(pconns); i++)
		pair_conn(e, &pconns[i], (__u16)(23000 + i));
	stats(e, &after);
	CHECK_INT("7 hellos", "tls_fps entries", 1, tls_keys(e, &tls_key, 1));
	CHECK_INT("7 hellos", "tls_fps lookup", 0, tls_get(e, tls_key, &fp));
	CHECK_INT("7 hellos", "conns (the one without SYN too)", 7, fp.conns);
	CHECK_INT("7 hellos", "pair_map_full", 0,
		  after.c[HS_ST_PAIR_MAP_FULL] - before.c[HS_ST_PAIR_MAP_FULL]);
	n = pair_entries(e, keys, v, 4);
	CHECK_INT("two stacks", "pairs entries", 2, n);
	if (n != 2)
		goto done;
	a = v[0].conns == 4 ? 0 : 1;    /* stack A's entry */
	CHECK_INT("stack A (TTL 64 and 60)", "conns", 4, v[a].conns);
	CHECK_INT("stack A (TTL 64 and 60)", "hll_ips registers set", 4, hll_set(v[a].hll_ips));
	CHECK_INT("stack A (TTL 64 and 60)", "hll_nets registers set", 4, hll_set(v[a].hll_nets));
	CHECK_INT("stack B (TTL 128)", "conns", 2, v[!a].conns);
	CHECK_INT("stack B (TTL 128)", "hll_ips registers set", 2, hll_set(v[!a].hll_ips));
	for (i = 0; i < 2; i++) {
		const char *what = i == (size_t)a ? "stack A" : "stack B";

		CHECK_HEX(what, "tls_id: the tls_fps key", tls_key, v[i].tls_id);
		CHECK_HEX(what, "key: HS_GEN_KEY(hs_pair_id(tls id, stack id), 0)",
			  HS_GEN_KEY(hs_pair_id(v[i].tls_id, v[i].stack_id), 0), keys[i]);
		CHECK_INT(what, "tcp_id: a tcp_fps key", 0,
			  bpf_map_lookup_elem(e->tcp_fd, &v[i].tcp_id, &fp) ? -errno : 0);
		CHECK_INT(what, "first <= last", 1, v[i].first_ns <= v[i].last_ns);
	}

	/* the reader: rows by (JA4, TCP stack), estimated */
	rd = fpr_new(FP_PAIR);
	if (!rd)
		fail_msg("fpr_new: out of memory");
	fpr_name_maps(rd, e->tls_fd, e->tcp_fd);
	CHECK_INT("pairs", "fpr_read", 0, fpr_read(rd, e->pairs_fd, -1, &rows, &nrows));
	CHECK_INT("pairs", "rows", 2, nrows);
	for (i = 0; i < nrows && i < 2; i++) {
		const char *stack = strchr(rows[i].name, ' ');
		int isa = rows[i].conns == 4;

		CHECK_INT(rows[i].name, "name: JA4, space, TCP stack", 1,
			  stack && !strncmp(rows[i].name, SPEC_JA4 " ", strlen(SPEC_JA4) + 1));
		CHECK_STR(rows[i].name, "TCP stack", isa ? "4:64:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+:0"
						    : "4:128:0:1460:65535,7:mss,sok,ts,nop,ws:df,id+:0",
			  stack ? stack + 1 : "");
		CHECK_INT(rows[i].name, "ips (estimate)", isa ? 4 : 2, (int)(rows[i].ips + 0.5));
		CHECK_INT(rows[i].name, "nets (estimate)", isa ? 4 : 2, (int)(rows[i].nets + 0.5));
	}
	fpr_free(rd);

	/* the next window: its pairs apart, and the last one's cleared alone */
	e->skel->bss->cur_gen = 1;
	pair_conn(e, &pconns[0], 23100);
	n = pair_entries(e, keys, v, 4);
	CHECK_INT("next window", "pairs entries", 3, n);
	CHECK_INT("window close", "fps_clear of the pairs", 0, fps_clear(e->pairs_fd, 0));
	n = pair_entries(e, keys, v, 4);
	CHECK_INT("window closed", "pairs entries", 1, n);
	CHECK_INT("window closed", "the one left is of generation 1", 1, n == 1 && (keys[0] & 1));
	CHECK_INT("window closed", "its conns", 1, n == 1 ? v[0].conns : 0);
	e->skel->bss->cur_gen = 0;
done:
	CHECKS_DONE();
}

/* A stack seen once, its SYN counted in one window and its hello in the
 * next: when the pairs are read, the SYN's tcp_fps entry went with its
 * window. The pair is named by the stack the TCP reader gave that entry
 * then, as when the entry is there; without that reader, by the stack id
 * (a name the same stack's pair never had before). */
static void test_pairs_late(void **state)
{
	struct env *e = need_env(state);
	static __u8 hello[HELLO_MAX];
	const struct hspec h = SPEC();
	struct conn c = { .ver = 4, .sport = 23200, .dport = 443, .isn = DEF_ISN,
			  .src = "198.18.9.1", .ttl = 128, .win = 12345 };
	const char *stack = "4:128:0:1460:12345,7:mss,sok,ts,nop,ws:df,id+:0";
	int len = build_hello(&h, hello, sizeof(hello));
	struct fp_reader *tcp = fpr_new(FP_TCP), *rd = fpr_new(FP_PAIR), *bare = fpr_new(FP_PAIR);
	struct det_obs *rows;
	char want[DET_NAME_LEN];
	__u64 key;
	size_t n;
	__u32 ret = ~0u;

	if (!tcp || !rd || !bare)
		fail_msg("fpr_new: out of memory");
	reset(e);
	CHECK_INT("window 0", "SYN test run", 0, send_syn(e, &c, &ret));
	e->skel->bss->cur_gen = 1;
	CHECK_INT("window 1", "hello test run", 0, send_data(e, &c, hello, 0, len, &ret));
	/* window 0 closes: its TCP stacks read and deleted */
	CHECK_INT("window 0", "TCP fpr_read", 0, fpr_read(tcp, e->tcp_fd, 0, &rows, &n));
	CHECK_INT("window 0", "TCP rows", 1, n);
	CHECK_STR("window 0", "the stack", stack, n ? rows[0].name : "");
	fpr_delete(tcp, e->tcp_fd);
	CHECK_INT("window 0 closed", "tcp_fps empty", -ENOENT,
		  bpf_map_get_next_key(e->tcp_fd, NULL, &key) ? -errno : 0);
	/* window 1 closes: its pair named */
	snprintf(want, sizeof(want), "%s %s", SPEC_JA4, stack);
	fpr_name_maps(rd, e->tls_fd, e->tcp_fd);
	fpr_name_stacks(rd, tcp);
	CHECK_INT("window 1", "pairs fpr_read", 0, fpr_read(rd, e->pairs_fd, 1, &rows, &n));
	CHECK_INT("window 1", "pair rows", 1, n);
	CHECK_STR("window 1, the TCP reader's name", "pair name", want, n ? rows[0].name : "");
	fpr_name_maps(bare, e->tls_fd, e->tcp_fd);
	CHECK_INT("window 1", "pairs fpr_read (no TCP reader)", 0,
		  fpr_read(bare, e->pairs_fd, 1, &rows, &n));
	CHECK_INT("window 1, no TCP reader", "pair named by its stack id", 1,
		  n == 1 && strstr(rows[0].name, " stack-") != NULL);
	e->skel->bss->cur_gen = 0;
	fpr_free(tcp);
	fpr_free(rd);
	fpr_free(bare);
	CHECKS_DONE();
}

static int setup_pairs_one(void **state)
{
	int err;

	setup_pairs_max = 1;
	err = setup_with(state, &(struct hs_config){ .replay = true });
	setup_pairs_max = 0;
	return err;
}

/* A map of one pair: the second stack's hellos are counted, not paired. */
static void test_pairs_full(void **state)
{
	struct env *e = need_env(state);
	static struct hs_pair v[2];
	static struct hs_tls_fp fp;
	struct hs_stats before, after;
	__u64 keys[2], tls_key = 0;
	size_t i;

	reset(e);
	stats(e, &before);
	for (i = 0; i < 6; i++)         /* stack A 4 times, then stack B twice */
		pair_conn(e, &pconns[i], (__u16)(23200 + i));
	stats(e, &after);
	CHECK_INT("map of 1", "pairs entries", 1, pair_entries(e, keys, v, 2));
	CHECK_INT("map of 1", "the first stack's conns", 4, v[0].conns);
	CHECK_INT("map of 1", "pair_map_full: stack B's 2 hellos", 2,
		  after.c[HS_ST_PAIR_MAP_FULL] - before.c[HS_ST_PAIR_MAP_FULL]);
	CHECK_INT("map of 1", "tls_fps lookup", 0,
		  tls_keys(e, &tls_key, 1) == 1 ? tls_get(e, tls_key, &fp) : -1);
	CHECK_INT("map of 1", "the fingerprint's conns: every hello", 6, fp.conns);
	CHECKS_DONE();
}

/* ------------------------------------------------------------------ */
/* Flow slots: a handshake in progress keeps its slot against another
 * connection that hashes to the same one (what a flood of new sources
 * does): the newcomer is counted as not tracked, its ClientHello still
 * fingerprinted (without a TCP id), and it cannot take the slot either. */

/* The program's flow slot of an untagged IPv4 frame (flow_slot()). */
static __u32 slot_of(const struct frame *f)
{
	__u32 a, b, t;

	memcpy(&a, f->b + 14 + 12, 4);
	memcpy(&b, f->b + 14 + 16, 4);
	memcpy(&t, f->b + 14 + 20, 4);
	return (__u32)hs_mix64(((__u64)a << 32 | b) ^ t) & (HS_FLOWS_MAX - 1);
}

/* The TLS event of one ClientHello segment of connection p (its SYN's). */
static int hello_event(struct env *e, const struct pspec *syn, const __u8 *hello, int len,
		       struct hs_tls_event *ev)
{
	struct pspec h = *syn;
	struct frame f;
	__u32 ret = ~0u;

	h.tflags = TH_ACK | TH_PSH;
	h.seq = syn->seq + 1;
	h.ack = 0x55667788;
	h.opts = NULL;
	h.olen = 0;
	h.data = hello;
	h.payload = len;
	build(&h, &f);
	drain(e);
	if (run(e, f.b, f.len, &ret) || ret != XDP_PASS)
		return -1;
	ring_buffer__consume(e->rb);
	if (e->ntls != 1)
		return -1;
	*ev = e->tls[0];
	return 0;
}

static void test_flow_slot_held(void **state)
{
	struct env *e = need_env(state);
	static __u8 hello[2048];
	struct pspec a = {
		.ver = 4, .src = "198.18.0.7", .ttl = 64, .ip_id = 1, .frag = IPF_DF, .sport = 30000,
		.dport = 443, .seq = 1000, .tflags = TH_SYN, .win = 64240,
		.opts = (const __u8 *)LINUX4, .olen = 20,
	}, b = a;
	struct hs_stats before, after;
	struct hs_tls_event ev;
	struct frame fa, fb;
	char src[32];
	__u64 tcp_a = 0;
	__u32 ret = ~0u;
	int len = pkt_hello(1, hello, sizeof(hello)), i;

	reset(e);
	build(&a, &fa);
	/* another source hashing to the same slot */
	for (i = 0; i < 4000000; i++) {
		snprintf(src, sizeof(src), "198.18.%d.%d", 1 + (i / 250) % 250, 1 + i % 250);
		b.src = src;
		b.sport = (__u16)(30001 + i / 62500);
		build(&b, &fb);
		if (slot_of(&fb) == slot_of(&fa))
			break;
	}
	CHECK_INT("search", "a colliding connection found", 1, slot_of(&fb) == slot_of(&fa));
	stats(e, &before);
	CHECK_INT("SYN A", "test run", 0, run(e, fa.b, fa.len, &ret));
	ring_buffer__consume(e->rb);
	CHECK_INT("SYN A", "TCP events", 1, e->ntcp);
	if (e->ntcp == 1)
		tcp_a = e->tcp[0].fp_id;
	CHECK_INT("SYN B", "test run", 0, run(e, fb.b, fb.len, &ret));
	CHECK_INT("SYN B", "verdict", XDP_PASS, ret);
	stats(e, &after);
	CHECK_INT("SYN B", "flow_busy delta", 1, after.c[HS_ST_FLOW_BUSY] - before.c[HS_ST_FLOW_BUSY]);
	/* B's hello first: walked, not counted (its connection is not tracked,
	 * so its handshake cannot be told real), and A keeps the slot */
	stats(e, &before);
	CHECK_INT("hello B", "no TLS event", -1, hello_event(e, &b, hello, len, &ev));
	stats(e, &after);
	CHECK_INT("hello B", "hellos_no_syn delta", 1,
		  after.c[HS_ST_HELLO_NO_SYN] - before.c[HS_ST_HELLO_NO_SYN]);
	CHECK_INT("hello B", "tls_fps entries", 0, tls_keys(e, NULL, 0));
	CHECK_INT("hello A", "one TLS event", 0, hello_event(e, &a, hello, len, &ev));
	CHECK_HEX("hello A", "event tcp_id (its SYN's)", tcp_a, ev.tcp_id);
	CHECKS_DONE();
}

/* ------------------------------------------------------------------ */
/* The handshake check: a ClientHello counts (entry, conns, sketches) only
 * if its connection's SYN was seen and, once the egress program records
 * SYN-ACKs (HS_CHECK_SYNACK), only if it acknowledges the server's one.
 * Each connection from a source of its own: hll_ips holds the counted
 * ones only; conns_unvalidated the others of an existing entry. */

#define SRV_ISN 0x70000000u

/* The server's SYN-ACK to c, through the egress program (or, egress 0,
 * the XDP program, as if it arrived). */
static void send_synack(struct env *e, const struct conn *c, int egress)
{
	struct pspec s = {
		.ver = 4, .src = DEF_DST4, .dst = c->src, .ttl = 64, .frag = IPF_DF, .sport = c->dport,
		.dport = c->sport, .seq = SRV_ISN, .ack = c->isn + 1,
		.tflags = TH_SYN | TH_ACK, .win = 65160,
		.opts = (const __u8 *)LINUX4, .olen = 20,
	};
	struct frame f;
	__u32 ret = 0;

	build(&s, &f);
	CHECK_INT("SYN-ACK", "test run", 0,
		  run_prog(egress ? bpf_program__fd(e->skel->progs.hs_egress) : e->prog_fd,
			   f.b, f.len, &ret));
	CHECK_HEX("SYN-ACK", "verdict (egress: TC_ACT_UNSPEC)",
		  egress ? (__u32)TC_ACT_UNSPEC : XDP_PASS, ret);
}

struct hcase {
	const char *desc;
	int syn;                /* the SYN is sent */
	int synack;             /* 0 none, 1 through egress, 2 arriving on XDP */
	__u32 ack;              /* the hello's ACK */
	int reason;             /* HS_ST_HELLO_* counted, 0: the hello counts */
};

static void run_hcase(struct env *e, const struct hcase *h, int i, __u8 *hello, int len)
{
	char src[32];
	struct conn c = { .ver = 4, .sport = (__u16)(31000 + i), .dport = 443, .isn = DEF_ISN,
			  .nosyn = !h->syn, .src = src, .ack = h->ack };
	struct hs_stats before, after;
	__u32 ret;
	int j;

	snprintf(src, sizeof(src), "198.18.7.%d", 10 + i);
	stats(e, &before);
	if (h->syn)
		CHECK_INT(h->desc, "SYN test run", 0, send_syn(e, &c, &ret));
	if (h->synack)
		send_synack(e, &c, h->synack == 1);
	CHECK_INT(h->desc, "hello test run", 0, send_data(e, &c, hello, 0, len, &ret));
	CHECK_INT(h->desc, "hello verdict", XDP_PASS, ret);
	stats(e, &after);
	CHECK_INT(h->desc, "synacks delta (of connections whose SYN was seen)",
		  h->syn && (h->synack == 1 ||
			     (h->synack == 2 && e->skel->rodata->clock_mode == HS_CLOCK_REPLAY)),
		  after.c[HS_ST_SYNACKS] - before.c[HS_ST_SYNACKS]);
	for (j = HS_ST_HELLO_NO_SYN; j <= HS_ST_HELLO_BAD_ACK; j++)
		CHECK_INT(h->desc, hs_stat_names[j], j == h->reason,
			  after.c[j] - before.c[j]);
}

static void hcases(struct env *e, const struct hcase *h, int n, int counted, int uncounted)
{
	static __u8 hello[2048];
	static struct hs_tls_fp v;
	int len = pkt_hello(0, hello, sizeof(hello)), i;
	__u64 key = 0;

	reset(e);
	for (i = 0; i < n; i++)
		run_hcase(e, &h[i], i, hello, len);
	CHECK_INT("all", "tls_fps entries", 1, tls_keys(e, &key, 1));
	CHECK_INT("all", "tls_fps lookup", 0, tls_get(e, key, &v));
	CHECK_INT("all", "conns", counted, v.conns);
	CHECK_INT("all", "conns_unvalidated", uncounted, v.conns_unvalidated);
	CHECK_INT("all", "hll_ips registers set: counted sources only", counted,
		  hll_set(v.hll_ips));
}

static int setup_live(void **state)
{
	return setup_with(state, &(struct hs_config){ 0 });
}

#define OK_ACK (SRV_ISN + 1)

static void test_synack_check(void **state)
{
	struct env *e = need_env(state);
	const struct hcase live[] = {
		{ "SYN, SYN-ACK out, hello acks it", 1, 1, OK_ACK, 0 },
		{ "the same after a proxy exchange (ack further on)", 1, 1, OK_ACK + 4000, 0 },
		{ "SYN, SYN-ACK out, hello acks something else", 1, 1, OK_ACK + (2u << 20),
		  HS_ST_HELLO_BAD_ACK },
		{ "SYN, SYN-ACK out, hello acks before it", 1, 1, OK_ACK - 1, HS_ST_HELLO_BAD_ACK },
		{ "SYN, no SYN-ACK, hello", 1, 0, OK_ACK, HS_ST_HELLO_NO_SYNACK },
		{ "SYN, a SYN-ACK arriving from outside (forged), hello", 1, 2, OK_ACK,
		  HS_ST_HELLO_NO_SYNACK },
		{ "no SYN, SYN-ACK out, hello", 0, 1, OK_ACK, HS_ST_HELLO_NO_SYN },
		{ "no SYN, hello", 0, 0, OK_ACK, HS_ST_HELLO_NO_SYN },
	}, relaxed[] = {
		{ "SYN, no SYN-ACK, hello: counted", 1, 0, OK_ACK, 0 },
		{ "SYN, SYN-ACK out, hello acks it", 1, 1, OK_ACK, 0 },
		{ "SYN, SYN-ACK out, a wrong ack: still checked", 1, 1, 5, HS_ST_HELLO_BAD_ACK },
		{ "no SYN, hello", 0, 0, OK_ACK, HS_ST_HELLO_NO_SYN },
	};

	e->skel->data->handshake_check = HS_CHECK_SYNACK;
	hcases(e, live, NELEM(live), 2, 6);
	e->skel->data->handshake_check = HS_CHECK_SYN;
	hcases(e, relaxed, NELEM(relaxed), 2, 2);
	CHECKS_DONE();
}

/* Replay: the capture's SYN-ACKs arrive through the XDP program and are
 * recorded (no egress program there); no SYN-ACK required. */
static void test_synack_replay(void **state)
{
	struct env *e = need_env(state);
	const struct hcase replay[] = {
		{ "SYN, SYN-ACK in the capture, hello acks it", 1, 2, OK_ACK, 0 },
		{ "SYN, SYN-ACK in the capture, a wrong ack", 1, 2, 77, HS_ST_HELLO_BAD_ACK },
		{ "SYN, no SYN-ACK (one-way capture), hello", 1, 0, OK_ACK, 0 },
		{ "no SYN, hello", 0, 2, OK_ACK, HS_ST_HELLO_NO_SYN },
	};

	hcases(e, replay, NELEM(replay), 2, 2);
	CHECKS_DONE();
}

/* ------------------------------------------------------------------ */
/* Truncation: every cut of a hello is never a fingerprint. */

/* ------------------------------------------------------------------ */
/* Evasion is a signal, spoofing is cheap (issue 17). */

/* Connections whose ClientHello cannot be fingerprinted, their handshake
 * seen: one population per reason, counted like a JA4 (its entry, conns,
 * sketches, pair), named "unfingerprinted:REASON" by the reader; without
 * a SYN they count by reason only. Client data with no ClientHello within
 * --hello-bytes (16,384) is given up on: no_hello. */
static void test_unfp_population(void **state)
{
	struct env *e = need_env(state);
	static __u8 stream[20000];
	static struct hs_tls_fp v;
	const struct hspec bad = SPEC(.cipher_adj = 1);   /* never a fingerprint */
	struct fp_reader *rd;
	struct det_obs *rows;
	size_t nrows = 0, i;
	struct hs_stats before, after;
	__u64 keys[4];
	char src[32];
	__u32 ret;
	int len = build_hello(&bad, stream, sizeof(stream)), k, n;

	reset(e);
	stats(e, &before);
	for (k = 0; k < 6; k++) {
		struct conn c = { .ver = 4, .sport = (__u16)(24000 + k), .dport = 443, .isn = DEF_ISN,
				  .src = src, .nosyn = k == 5 };

		snprintf(src, sizeof(src), "198.18.%d.%d", 40 + k, 7 + k);
		if (!c.nosyn)
			CHECK_INT("malformed", "SYN test run", 0, send_syn(e, &c, &ret));
		CHECK_INT("malformed", "hello test run", 0, send_data(e, &c, stream, 0, len, &ret));
		CHECK_INT("malformed", "verdict", XDP_PASS, ret);
	}
	stats(e, &after);
	CHECK_INT("malformed", "tls_malformed delta (all 6)", 6,
		  after.c[HS_ST_TLS_MALFORMED] - before.c[HS_ST_TLS_MALFORMED]);
	CHECK_INT("malformed", "hellos_unfingerprinted delta (the 5 after a SYN)", 5,
		  after.c[HS_ST_HELLO_UNFP] - before.c[HS_ST_HELLO_UNFP]);
	n = tls_keys(e, keys, 4);
	CHECK_INT("malformed", "tls_fps entries (one population)", 1, n);
	if (n == 1 && !tls_get(e, keys[0], &v)) {
		CHECK_INT("malformed", "conns", 5, v.conns);
		CHECK_INT("malformed", "hll_ips registers set", 5, hll_set(v.hll_ips));
		CHECK_INT("malformed", "hll_tcp registers set (one stack)", 1, hll_set(v.hll_tcp));
		CHECK_INT("malformed", "novel_ips (seen map)", 5, v.novel_ips);
	}
	ring_buffer__consume(e->rb);
	CHECK_INT("malformed", "unfingerprinted events (its first in the window; every "
		  "one in replay)", 5, e->nunfp);
	CHECK_INT("malformed", "TLS events", 0, e->ntls);
	/* the reader names it, its pair too */
	rd = fpr_new(FP_TLS);
	if (!rd)
		fail_msg("fpr_new: out of memory");
	CHECK_INT("malformed", "fpr_read", 0, fpr_read(rd, e->tls_fd, -1, &rows, &nrows));
	CHECK_INT("malformed", "rows", 1, nrows);
	if (nrows == 1) {
		CHECK_STR("malformed", "row name", HS_UNFP_PREFIX "malformed", rows[0].name);
		CHECK_INT("malformed", "row conns", 5, rows[0].conns);
		CHECK_INT("malformed", "row ips", 5, (long long)(rows[0].ips + 0.5));
		CHECK_INT("malformed", "row is_unfp", 1, hs_is_unfp(rows[0].name));
	}
	fpr_free(rd);
	rd = fpr_new(FP_PAIR);
	if (!rd)
		fail_msg("fpr_new: out of memory");
	fpr_name_maps(rd, e->tls_fd, e->tcp_fd);
	CHECK_INT("malformed", "pairs fpr_read", 0, fpr_read(rd, e->pairs_fd, -1, &rows, &nrows));
	CHECK_INT("malformed", "pair rows (one stack)", 1, nrows);
	if (nrows == 1)
		CHECK_INT("malformed", "pair named by its population", 0,
			  strncmp(rows[0].name, HS_UNFP_PREFIX "malformed ",
				  sizeof(HS_UNFP_PREFIX "malformed ") - 1));
	fpr_free(rd);

	/* a proxy exchange, then more client data than a ClientHello may
	 * have, none of it one */
	reset(e);
	memset(stream, 'x', sizeof(stream));
	memcpy(stream, "GET / HTTP/1.1\r\n", 16);
	stats(e, &before);
	{
		struct conn c = { .ver = 4, .sport = 24100, .dport = 443, .isn = DEF_ISN,
				  .src = "198.18.41.1" };

		CHECK_INT("no_hello", "SYN test run", 0, send_syn(e, &c, &ret));
		for (i = 0; i + 1400 <= sizeof(stream); i += 1400)
			CHECK_INT("no_hello", "segment test run", 0,
				  send_data(e, &c, stream, (int)i, 1400, &ret));
	}
	stats(e, &after);
	CHECK_INT("no_hello", "tls_not_hello delta (the first payload)", 1,
		  after.c[HS_ST_TLS_NOT_HELLO] - before.c[HS_ST_TLS_NOT_HELLO]);
	CHECK_INT("no_hello", "tls_no_hello delta (past 16,384 bytes)", 1,
		  after.c[HS_ST_TLS_NO_HELLO] - before.c[HS_ST_TLS_NO_HELLO]);
	CHECK_INT("no_hello", "hellos_unfingerprinted delta", 1,
		  after.c[HS_ST_HELLO_UNFP] - before.c[HS_ST_HELLO_UNFP]);
	n = tls_keys(e, keys, 4);
	CHECK_INT("no_hello", "tls_fps entries", 1, n);
	if (n == 1 && !tls_get(e, keys[0], &v)) {
		CHECK_HEX("no_hello", "entry flags", HS_TLSF_UNFP, v.hello.flags);
		CHECK_INT("no_hello", "entry reason", HS_ST_TLS_NO_HELLO, v.hello.unfp_reason);
	}
	CHECKS_DONE();
}

/* ClientHellos without a handshake: counted by reason, walked only within
 * the window's sample per CPU (4 here); past it no walk, no flow slot, no
 * reassembly, and a tracked connection's state is left as it was, so that
 * its real ClientHello still counts. */
static void test_unval_sample(void **state)
{
	struct env *e = need_env(state);
	static __u8 hello[2048];
	struct hs_stats before, after;
	static struct hs_flow fl;
	struct pspec p = {
		.ver = 4, .ttl = 64, .ip_id = 1, .frag = IPF_DF, .dport = 443, .seq = 1000,
		.ack = 0x55667788, .tflags = TH_ACK | TH_PSH, .win = 502,
	};
	struct frame f;
	char src[32];
	__u32 ret, slot;
	__u64 key = 0;
	static struct hs_tls_fp v;
	int len = pkt_hello(1, hello, sizeof(hello)), k, untouched = 0;

	e->skel->data->handshake_check = HS_CHECK_SYNACK;
	reset(e);
	stats(e, &before);
	for (k = 0; k < 10; k++) {
		snprintf(src, sizeof(src), "198.18.50.%d", 1 + k);
		p.src = src;
		p.sport = (__u16)(25000 + k);
		/* the last two: the first segment of a two-segment hello */
		p.data = hello;
		p.payload = k < 8 ? len : 100;
		build(&p, &f);
		CHECK_INT("spoofed", "test run", 0, run(e, f.b, f.len, &ret));
		CHECK_INT("spoofed", "verdict", XDP_PASS, ret);
		slot = slot_of(&f);
		if (k >= 4 && !bpf_map_lookup_elem(e->flows_fd, &slot, &fl) && !fl.state)
			untouched++;
	}
	stats(e, &after);
	CHECK_INT("spoofed", "hellos_no_syn delta (all)", 10,
		  after.c[HS_ST_HELLO_NO_SYN] - before.c[HS_ST_HELLO_NO_SYN]);
	CHECK_INT("spoofed", "hellos_unvalidated_sampled delta (the sample)", 4,
		  after.c[HS_ST_HELLO_UNVAL_SAMPLED] - before.c[HS_ST_HELLO_UNVAL_SAMPLED]);
	CHECK_INT("spoofed", "hellos delta (walked: the sample)", 4,
		  after.c[HS_ST_HELLOS] - before.c[HS_ST_HELLOS]);
	CHECK_INT("spoofed", "flow slots past the sample left free", 6, untouched);
	CHECK_INT("spoofed", "reasm slots taken (none past the sample)", 0,
		  reasm_busy(e->reasm_fd, 0));
	CHECK_INT("spoofed", "tls_fps entries", 0, tls_keys(e, NULL, 0));

	/* a tracked connection: a forged ClientHello (a wrong ack) past the
	 * sample leaves it be; its own then counts */
	{
		struct conn c = { .ver = 4, .sport = 25100, .dport = 443, .isn = DEF_ISN,
				  .src = "198.18.50.100", .ack = OK_ACK + (2u << 20) };

		CHECK_INT("forged", "SYN test run", 0, send_syn(e, &c, &ret));
		send_synack(e, &c, 1);
		stats(e, &before);
		CHECK_INT("forged", "hello test run", 0, send_data(e, &c, hello, 0, len, &ret));
		stats(e, &after);
		CHECK_INT("forged", "hellos_bad_ack delta", 1,
			  after.c[HS_ST_HELLO_BAD_ACK] - before.c[HS_ST_HELLO_BAD_ACK]);
		CHECK_INT("forged", "hellos delta (not walked)", 0,
			  after.c[HS_ST_HELLOS] - before.c[HS_ST_HELLOS]);
		c.ack = OK_ACK;
		CHECK_INT("real", "hello test run", 0, send_data(e, &c, hello, 0, len, &ret));
		CHECK_INT("real", "tls_fps entries", 1, tls_keys(e, &key, 1));
		CHECK_INT("real", "tls_fps lookup", 0, tls_get(e, key, &v));
		CHECK_INT("real", "conns", 1, v.conns);
	}
	/* the next window: a sample again */
	e->skel->bss->sample_epoch++;
	stats(e, &before);
	p.src = "198.18.50.200";
	p.sport = 25200;
	p.payload = len;
	build(&p, &f);
	CHECK_INT("next window", "test run", 0, run(e, f.b, f.len, &ret));
	stats(e, &after);
	CHECK_INT("next window", "hellos delta (walked)", 1,
		  after.c[HS_ST_HELLOS] - before.c[HS_ST_HELLOS]);
	e->skel->data->handshake_check = HS_CHECK_SYN;
	CHECKS_DONE();
}

/* Frame f through the program: the deltas of hellos_no_syn and hellos
 * checked against no_syn and walked. */
static void hello_verdict(struct env *e, const char *what, const struct frame *f, long long no_syn,
			  long long walked)
{
	struct hs_stats before, after;
	__u32 ret;

	stats(e, &before);
	CHECK_INT(what, "test run", 0, run(e, f->b, f->len, &ret));
	stats(e, &after);
	CHECK_INT(what, "hellos_no_syn delta", no_syn,
		  after.c[HS_ST_HELLO_NO_SYN] - before.c[HS_ST_HELLO_NO_SYN]);
	CHECK_INT(what, "hellos delta (walked)", walked,
		  after.c[HS_ST_HELLOS] - before.c[HS_ST_HELLOS]);
}

/* A flow slot's SYN time (flow_since, ~1 ms units) beside its tag: kept
 * while its state holds the slot, 0 once done; a SYN whose slot's tag
 * names another connection and whose time says its handshake surely holds
 * the slot is refused it without the slot read, and only then. */
static void test_flow_since(void **state)
{
	struct env *e = need_env(state);
	static __u8 hello[2048];
	static struct hs_flow fl;
	struct conn a = { .ver = 4, .sport = 26400, .dport = 443, .isn = DEF_ISN,
			  .src = "198.18.52.150", .ack = OK_ACK };
	__u64 *since = e->skel->bss->flow_since, t = 5000000000ULL, unit;
	__u8 *tag = e->skel->bss->flow_tags.t, mine;
	int len = pkt_hello(1, hello, sizeof(hello));
	struct hs_stats before, after;
	struct frame f;
	__u32 ret, slot;

	e->skel->data->handshake_check = HS_CHECK_SYN;
	reset(e);
	unit = 1ULL << HS_FLOW_SINCE_SHIFT;
	e->skel->bss->replay_now_ns = t;
	syn_frame(&a, &f);
	slot = slot_of(&f);
	CHECK_INT("syn", "test run", 0, send_syn(e, &a, &ret));
	mine = tag[slot];
	CHECK_INT("syn", "tag: a's", 1, (mine & HS_FLOW_TAG_OWNER) != 0);
	CHECK_HEX("syn", "SYN time: the clock's units", t >> HS_FLOW_SINCE_SHIFT, since[slot]);

	/* planted: the slot free (done), but its tag another's and its SYN
	 * time 5 units ago: a's SYN is refused, the slot not read (left done) */
	CHECK_INT("planted", "flows lookup", 0, bpf_map_lookup_elem(e->flows_fd, &slot, &fl));
	fl.state = HS_FLOW_DONE;
	CHECK_INT("planted", "done slot", 0, bpf_map_update_elem(e->flows_fd, &slot, &fl, 0));
	t += 10 * unit;
	e->skel->bss->replay_now_ns = t;
	tag[slot] = mine ^ 1;
	since[slot] = (t >> HS_FLOW_SINCE_SHIFT) - 5;
	stats(e, &before);
	CHECK_INT("planted", "test run", 0, send_syn(e, &a, &ret));
	stats(e, &after);
	CHECK_INT("planted", "flow_busy delta", 1,
		  after.c[HS_ST_FLOW_BUSY] - before.c[HS_ST_FLOW_BUSY]);
	CHECK_INT("planted", "flows lookup", 0, bpf_map_lookup_elem(e->flows_fd, &slot, &fl));
	CHECK_INT("planted", "slot's state (done, left)", HS_FLOW_DONE, fl.state);

	/* not believed, the slot read (and taken: it is done) when the time
	 * cannot tell: not known (0), the same unit as now (now may be before
	 * it), a hold or more ago; nor when the tag is a's own */
	{
		static const struct { const char *what; int tag_mine; __u64 back; } c[] = {
			{ "not known", 0, ~0ULL }, { "same unit", 0, 0 },
			{ "a hold ago", 0, (HS_FLOW_HOLD_NS >> HS_FLOW_SINCE_SHIFT) - 1 },
			{ "own tag", 1, 5 },
		};
		int i;

		for (i = 0; i < (int)(sizeof(c) / sizeof(c[0])); i++) {
			fl.state = HS_FLOW_DONE;
			CHECK_INT(c[i].what, "done slot", 0,
				  bpf_map_update_elem(e->flows_fd, &slot, &fl, 0));
			t += 2000 * unit;
			e->skel->bss->replay_now_ns = t;
			tag[slot] = c[i].tag_mine ? mine : mine ^ 1;
			since[slot] = c[i].back == ~0ULL ? 0 : (t >> HS_FLOW_SINCE_SHIFT) - c[i].back;
			stats(e, &before);
			CHECK_INT(c[i].what, "test run", 0, send_syn(e, &a, &ret));
			stats(e, &after);
			CHECK_INT(c[i].what, "flow_busy delta", 0,
				  after.c[HS_ST_FLOW_BUSY] - before.c[HS_ST_FLOW_BUSY]);
			CHECK_INT(c[i].what, "flows lookup", 0,
				  bpf_map_lookup_elem(e->flows_fd, &slot, &fl));
			CHECK_INT(c[i].what, "slot taken (SYN)", HS_FLOW_SYN, fl.state);
			CHECK_HEX(c[i].what, "SYN time", t >> HS_FLOW_SINCE_SHIFT, since[slot]);
		}
	}

	/* the hello: the slot done, its time 0 */
	data_frame(&a, hello, 0, len, &f);
	CHECK_INT("hello", "test run", 0, run(e, f.b, f.len, &ret));
	CHECK_INT("hello", "flows lookup", 0, bpf_map_lookup_elem(e->flows_fd, &slot, &fl));
	CHECK_INT("hello", "slot's state", HS_FLOW_DONE, fl.state);
	CHECK_HEX("hello", "SYN time once done", 0, since[slot]);
	CHECKS_DONE();
}

/* A flow slot's tag: set by the program with the slot's state (its
 * connection's from the SYN on, none for a slot never used), and what
 * decides, past the window's sample, that a ClientHello has no handshake
 * in its slot without reading the slot. */
static void test_flow_tags(void **state)
{
	struct env *e = need_env(state);
	static __u8 hello[2048];
	static struct hs_flow fl;
	struct conn a = { .ver = 4, .sport = 26100, .dport = 443, .isn = DEF_ISN,
			  .src = "198.18.52.100", .ack = OK_ACK };
	struct pspec p = {
		.ver = 4, .ttl = 64, .ip_id = 1, .frag = IPF_DF, .dport = 443, .seq = 1000,
		.ack = 0x55667788, .tflags = TH_ACK | TH_PSH, .win = 502,
	};
	__u8 *tag = e->skel->bss->flow_tags.t, mine;
	int len = pkt_hello(1, hello, sizeof(hello)), k;
	struct frame f;
	__u32 ret, slot, lo, dlo, ports;
	char src[32];

	e->skel->data->handshake_check = HS_CHECK_SYNACK;
	reset(e);
	/* the sample (4) spent on spoofed hellos of other sources */
	p.data = hello;
	p.payload = len;
	for (k = 0; k < 4; k++) {
		snprintf(src, sizeof(src), "198.18.52.%d", 1 + k);
		p.src = src;
		p.sport = (__u16)(26000 + k);
		build(&p, &f);
		CHECK_INT("sample", "test run", 0, run(e, f.b, f.len, &ret));
	}
	/* a's SYN: its slot busy */
	syn_frame(&a, &f);
	slot = slot_of(&f);
	memcpy(&lo, f.b + 14 + 12, 4);
	memcpy(&dlo, f.b + 14 + 16, 4);
	memcpy(&ports, f.b + 14 + 20, 4);
	mine = HS_FLOW_TAG_OWNER | hs_flow_tag_bits(hs_flow_hash(lo, dlo, ports));
	CHECK_HEX("syn", "tag of a never used slot", HS_FLOW_TAG_NONE, tag[slot]);
	CHECK_INT("syn", "test run", 0, send_syn(e, &a, &ret));
	CHECK_HEX("syn", "tag after the SYN: a's", mine, tag[slot]);
	send_synack(e, &a, 1);

	/* a tag that says "another connection's" is believed: a's own hello
	 * is then one without a handshake (the slot not read, its state
	 * left); so is "none" */
	data_frame(&a, hello, 0, len, &f);
	tag[slot] = mine ^ 1;
	hello_verdict(e, "planted", &f, 1, 0);
	tag[slot] = HS_FLOW_TAG_NONE;
	hello_verdict(e, "planted none", &f, 1, 0);
	CHECK_INT("planted", "flows lookup", 0, bpf_map_lookup_elem(e->flows_fd, &slot, &fl));
	CHECK_INT("planted", "slot's state (SYN, left)", HS_FLOW_SYN, fl.state);

	/* a tag of its own connection: the slot is read, and the hello
	 * walked; then the slot is done, tagged with a */
	tag[slot] = mine;
	hello_verdict(e, "own tag", &f, 0, 1);
	CHECK_INT("own tag", "flows lookup", 0, bpf_map_lookup_elem(e->flows_fd, &slot, &fl));
	CHECK_INT("own tag", "slot's state", HS_FLOW_DONE, fl.state);
	CHECK_HEX("own tag", "tag once done", mine, tag[slot]);

	/* a tag not known (0): the slot read, the same verdict as the tag's
	 * for a spoofed hello of a slot never used, and of a slot another
	 * connection's handshake holds (its state left) */
	p.src = "198.18.52.200";
	p.sport = 26200;
	build(&p, &f);
	k = (int)slot_of(&f);
	tag[k] = 0;
	hello_verdict(e, "unknown", &f, 1, 0);
	memset(&fl, 0, sizeof(fl));
	fl.ep.family = 4;
	memcpy(fl.ep.saddr, &lo, 4);
	fl.ep.sport = a.sport;
	fl.ep.dport = a.dport;
	fl.state = HS_FLOW_SYN;
	fl.syn_ns = 1;
	CHECK_INT("unknown", "busy slot planted", 0, bpf_map_update_elem(e->flows_fd, &k, &fl, 0));
	tag[k] = 0;
	hello_verdict(e, "unknown, another's handshake", &f, 1, 0);
	CHECK_INT("unknown", "flows lookup", 0, bpf_map_lookup_elem(e->flows_fd, &k, &fl));
	CHECK_INT("unknown", "the other's state (SYN, left)", HS_FLOW_SYN, fl.state);

	/* `run`'s tags after its attach (hs_flow_tags_fill): from the slots
	 * as they are, where the program has written none */
	memset(tag, 0, sizeof(e->skel->bss->flow_tags.t));
	memset(&fl, 0, sizeof(fl));
	fl.ep.family = 4;
	memcpy(fl.ep.saddr, &lo, 4);
	memcpy(fl.ep.daddr, &dlo, 4);
	fl.ep.sport = a.sport;
	fl.ep.dport = a.dport;
	fl.state = HS_FLOW_DONE;
	CHECK_INT("fill", "done slot planted", 0, bpf_map_update_elem(e->flows_fd, &slot, &fl, 0));
	fl.state = HS_FLOW_SYN;
	k = (int)((slot + 1) & (HS_FLOWS_MAX - 1));
	CHECK_INT("fill", "busy slot planted", 0, bpf_map_update_elem(e->flows_fd, &k, &fl, 0));
	k = (int)((slot + 2) & (HS_FLOWS_MAX - 1));
	fl.state = HS_FLOW_DONE;
	CHECK_INT("fill", "done slot planted", 0, bpf_map_update_elem(e->flows_fd, &k, &fl, 0));
	tag[k] = HS_FLOW_TAG_NONE;      /* as if the program had written it since */
	CHECK_INT("fill", "hs_flow_tags_fill", 0, hs_flow_tags_fill(e->skel));
	CHECK_HEX("fill", "a done slot: its connection's", mine, tag[slot]);
	CHECK_HEX("fill", "a busy slot: its connection's", mine,
		  tag[(slot + 1) & (HS_FLOWS_MAX - 1)]);
	CHECK_HEX("fill", "a tag the program wrote: left", HS_FLOW_TAG_NONE, tag[k]);
	CHECK_HEX("fill", "a slot never used", HS_FLOW_TAG_NONE, tag[(slot + 3) & (HS_FLOWS_MAX - 1)]);

	/* an IPv6 connection's SYN: its slot and tag as userspace makes them
	 * (the addresses' last words), the tag as `run` would fill it */
	{
		struct conn b6 = { .ver = 6, .sport = 26300, .dport = 443, .isn = DEF_ISN };
		__u32 s6, a6, d6, p6;

		syn_frame(&b6, &f);
		memcpy(&a6, f.b + 14 + 8 + 12, 4);
		memcpy(&d6, f.b + 14 + 24 + 12, 4);
		memcpy(&p6, f.b + 14 + 40, 4);
		s6 = hs_flow_slot(a6, d6, p6, HS_FLOWS_MAX);
		CHECK_INT("ipv6", "test run", 0, run(e, f.b, f.len, &ret));
		CHECK_INT("ipv6", "flows lookup", 0, bpf_map_lookup_elem(e->flows_fd, &s6, &fl));
		CHECK_INT("ipv6", "the SYN's slot", HS_FLOW_SYN, fl.state);
		CHECK_INT("ipv6", "the slot's family", 6, fl.ep.family);
		CHECK_HEX("ipv6", "the SYN's tag: its flow hash's",
			  HS_FLOW_TAG_OWNER | hs_flow_tag_bits(hs_flow_hash(a6, d6, p6)), tag[s6]);
		CHECK_HEX("ipv6", "the same from the slot (hs_flow_tag_of)", hs_flow_tag_of(&fl),
			  tag[s6]);
	}
	e->skel->data->handshake_check = HS_CHECK_SYN;
	CHECKS_DONE();
}

static int setup_sample(void **state)
{
	int r;

	setup_unval_max = 4;
	r = setup_with(state, &(struct hs_config){ 0 });
	setup_unval_max = 0;
	return r;
}

struct cut_result {
	int moved;              /* counters moved besides packets, syns, fingerprints_new,
				 * and the three below */
	int which;
	int unval;              /* hellos_no_syn moved ... */
	int sampled;            /* ... hellos_unvalidated_sampled */
	int unfp;               /* hellos_unfingerprinted */
	int fps, events;
	struct names nm;        /* of the first event */
};

static void run_cut(struct env *e, const struct tfix *fx, __u16 sport, struct cut_result *r)
{
	struct hs_stats before, after;
	struct outcome o;
	int j;

	memset(r, 0, sizeof(*r));
	r->which = -1;
	stats(e, &before);
	feed(e, fx, sport, &o);
	stats(e, &after);
	for (j = 0; j < HS_ST__COUNT; j++) {
		__u64 d = after.c[j] - before.c[j];

		if (j == HS_ST_PACKETS || j == HS_ST_SYNS || j == HS_ST_FP_NEW ||
		    j == HS_ST_TLS_FP_NEW)
			continue;
		if (j == HS_ST_HELLO_NO_SYN)
			r->unval = (int)d;
		else if (j == HS_ST_HELLO_UNVAL_SAMPLED)
			r->sampled = (int)d;
		else if (j == HS_ST_HELLO_UNFP)
			r->unfp = (int)d;
		else if (d) {
			r->moved += d;
			r->which = j;
		}
	}
	r->fps = tls_keys(e, NULL, 0);
	ring_buffer__consume(e->rb);
	r->events = e->ntls;
	if (e->ntls)
		names_of(&e->tls[0].hello, &r->nm);
	e->ntls = e->ntcp = e->nunfp = 0;
}

static int is_tls_stat(int j)
{
	return j >= HS_ST_TLS_NOT_HELLO && j <= HS_ST_TLS_OTHER_PORT && j != HS_ST_TLS_MAP_FULL;
}

static void test_truncation(void **state)
{
	struct env *e = need_env(state);
	static __u8 rec[HELLO_MAX];
	const struct hspec specs[] = { SPEC(.pad = 0), T12() };
	const char *names[] = { "JA4.md hello", "TLS 1.2 hello" };
	int s, k, lone = 0, fixed = 0, hellos = 0;

	for (s = 0; s < NELEM(specs); s++) {
		int len = build_hello(&specs[s], rec, sizeof(rec));
		int cend = hello_cipher_end(&specs[s]) + 2;   /* + compression methods */

		reset(e);
		for (k = 1; k < len; k++) {
			struct tfix fx = { .raw = (const char *)rec, .nraw = k, PASS };
			struct cut_result r;
			char desc[128];

			/* a lone segment of the first k bytes after a SYN: the rest may come */
			snprintf(desc, sizeof(desc), "%s, first %d of %d bytes alone",
				 names[s], k, len);
			fx.desc = desc;
			run_cut(e, &fx, (__u16)(23000 + k), &r);
			CHECK_INT(desc, "counters moved", 0, r.moved + r.unval + r.unfp);
			CHECK_INT(desc, "tls_fps entries", 0, r.fps);
			CHECK_INT(desc, "TLS events", 0, r.events);
			lone++;
		}
		/* no SYN: the same cuts, each on a flow of its own */
		for (k = 1; k < len; k++) {
			struct tfix fx = { .raw = (const char *)rec, .nraw = k, .nosyn = 1, PASS };
			struct cut_result r;
			char desc[128];

			snprintf(desc, sizeof(desc), "%s, first %d of %d bytes, no SYN",
				 names[s], k, len);
			fx.desc = desc;
			e->skel->bss->sample_epoch++;   /* a window's sample of its own */
			run_cut(e, &fx, (__u16)(33000 + k), &r);
			CHECK_INT(desc, "counters moved", 0, r.moved);
			CHECK_INT(desc, "hellos_no_syn moved", 1, r.unval);
			CHECK_INT(desc, "hellos_unvalidated_sampled moved", 1, r.sampled);
			CHECK_INT(desc, "hellos_unfingerprinted moved", 0, r.unfp);
			CHECK_INT(desc, "tls_fps entries", 0, r.fps);
			CHECK_INT(desc, "TLS events", 0, r.events);
			lone++;
		}
		/* record and handshake lengths rewritten to the cut: a complete record
		 * whose insides stop short. One TLS counter, or a hello with no
		 * extensions when the cut falls right after the compression methods;
		 * none while the handshake header is not whole (k < 9: it may go on
		 * in a next record). */
		for (k = 5; k < len; k++) {
			struct tfix fx = { .raw = (const char *)rec, .nraw = k, PASS };
			struct cut_result r;
			char desc[128];
			__u8 save[4];

			snprintf(desc, sizeof(desc), "%s cut to %d of %d bytes, lengths fixed",
				 names[s], k, len);
			fx.desc = desc;
			memcpy(save, rec + 3, 2);
			memcpy(save + 2, rec + 7, 2);
			put16(rec + 3, k - 5);
			if (k >= 9)
				put16(rec + 7, k - 9);  /* low 16 bits of the 24-bit length */
			reset(e);
			run_cut(e, &fx, (__u16)(43000 + k), &r);
			memcpy(rec + 3, save, 2);
			memcpy(rec + 7, save + 2, 2);
			if (k < 9) {
				CHECK_INT(desc, "counters moved (a next record awaited)", 0,
					  r.moved);
				CHECK_INT(desc, "tls_fps entries", 0, r.fps);
			} else if (k == cend) {
				CHECK_INT(desc, "counters moved (hellos)", 1, r.moved);
				CHECK_INT(desc, "counter moved is hellos", HS_ST_HELLOS, r.which);
				CHECK_INT(desc, "tls_fps entries", 1, r.fps);
				CHECK_INT(desc, "TLS events", 1, r.events);
				if (r.events == 1 && s == 0)
					CHECK_STR(desc, "JA4", NOEXT_JA4, r.nm.ja4);
				hellos++;
			} else {
				CHECK_INT(desc, "counters moved", 1, r.moved);
				if (r.moved == 1 && !is_tls_stat(r.which)) {
					note("%s: counter moved: expected a tls_* one, got %s",
					     desc,
					     hs_stat_names[r.which]);
					fails++;
				}
				/* given up on after a SYN: its population counts it */
				CHECK_INT(desc, "hellos_unfingerprinted moved", 1, r.unfp);
				CHECK_INT(desc, "tls_fps entries (its population's)", 1, r.fps);
				CHECK_INT(desc, "TLS events", 0, r.events);
			}
			fixed++;
		}
	}
	note("%d lone truncated segments, %d length-consistent cuts (%d of them a hello "
	     "without extensions)", lone, fixed, hellos);
	CHECKS_DONE();
}

/* ------------------------------------------------------------------ */
/* tls_ja4 / tls_ja3 on hand-made hellos: no BPF needed. */

static struct hs_tls_hello mkhello(__u16 legacy, __u16 maxv, const __u16 *c, int nc,
				   const __u16 *x, int nx, const __u16 *s, int ns)
{
	struct hs_tls_hello h;

	memset(&h, 0, sizeof(h));
	h.legacy_version = legacy;
	h.max_version = maxv;
	h.n_ciphers = nc;
	h.n_exts = nx;
	h.n_sigalgs = ns;
	/* lists may be NULL when empty: memcpy's arguments may not */
	if (nc)
		memcpy(h.ciphers, c, nc * sizeof(*c));
	if (nx)
		memcpy(h.exts, x, nx * sizeof(*x));
	if (ns)
		memcpy(h.sigalgs, s, ns * sizeof(*s));
	return h;
}

static void set_alpn(struct hs_tls_hello *h, const char *v, int n)
{
	h->flags |= HS_TLSF_ALPN;
	h->alpn_len = n;
	memcpy(h->alpn, v, n < HS_TLS_ALPN_MAX ? n : HS_TLS_ALPN_MAX);
	h->alpn_last = (__u8)v[n - 1];
}

/* JA4 a: the version codes */
static void ja4_versions(void)
{
	static const __u16 c1 = 0x1301;
	struct hs_tls_hello h;
	struct names nm;
	static const struct { __u16 v; const char *code; } vs[] = {
		{ 0x0304, "13" }, { 0x0303, "12" }, { 0x0302, "11" }, { 0x0301, "10" },
		{ 0x0300, "s3" }, { 0x0002, "s2" }, { 0xfeff, "d1" }, { 0xfefd, "d2" },
		{ 0xfefc, "d3" }, { 0x7f1c, "00" }, { 0x0305, "00" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
		char want[16], desc[32];

		h = mkhello(0x0301, vs[i].v, &c1, 1, NULL, 0, NULL, 0);
		names_of(&h, &nm);
		snprintf(want, sizeof(want), "t%si010000", vs[i].code);
		snprintf(desc, sizeof(desc), "version %#06x", vs[i].v);
		nm.ja4[10] = '\0';
		CHECK_STR(desc, "JA4 a", want, nm.ja4);
	}
}

/* JA4 a: ALPN codes, JA4.md's list */
static void ja4_alpn_codes(void)
{
	static const __u16 c1 = 0x1301;
	struct hs_tls_hello h;
	struct names nm;
	static const struct { const char *v; int n; const char *code; } as[] = {
		{ "h2", 2, "h2" }, { "http/1.1", 8, "h1" }, { "a", 1, "aa" },
		{ "\xab", 1, "ab" }, { "\xab\xcd", 2, "ad" }, { "0\xab", 2, "3b" },
		{ "01\xab\xcd", 4, "3d" }, { "0\xab\xcd" "1", 4, "01" },
		{ "\x01x", 2, "08" }, { "Zz", 2, "Zz" },
		{ "x23456789012345678901234567890123456789", 39, "x9" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(as) / sizeof(as[0]); i++) {
		char want[16], desc[48];

		h = mkhello(0x0303, 0, &c1, 1, NULL, 0, NULL, 0);
		set_alpn(&h, as[i].v, as[i].n);
		names_of(&h, &nm);
		snprintf(want, sizeof(want), "t12i0100%s", as[i].code);
		snprintf(desc, sizeof(desc), "ALPN value %d of the list", (int)i);
		nm.ja4[10] = '\0';
		CHECK_STR(desc, "JA4 a", want, nm.ja4);
	}
	h = mkhello(0x0303, 0, &c1, 1, NULL, 0, NULL, 0);
	h.flags = HS_TLSF_ALPN;         /* flag without a length: 00 */
	names_of(&h, &nm);
	nm.ja4[10] = '\0';
	CHECK_STR("ALPN of length 0", "JA4 a", "t12i010000", nm.ja4);
}

/* JA4 a: counts cap at 99 */
static void ja4_count_caps(void)
{
	struct hs_tls_hello h;
	struct names nm;
	static __u16 many[HS_TLS_MAX_CIPHERS];
	int i;

	for (i = 0; i < HS_TLS_MAX_CIPHERS; i++)
		many[i] = i + 1;
	h = mkhello(0x0303, 0, many, 100, many, 64, NULL, 0);
	names_of(&h, &nm);
	nm.ja4[10] = '\0';
	CHECK_STR("100 ciphers, 64 extensions", "JA4 a", "t12i996400", nm.ja4);
	h = mkhello(0x0303, 0, many, 128, NULL, 0, NULL, 0);
	names_of(&h, &nm);
	nm.ja4[10] = '\0';
	CHECK_STR("128 ciphers", "JA4 a", "t12i990000", nm.ja4);
}

static void test_ja4_unit(void **state)
{
	static const __u16 spec_c[] = { SPEC_CIPHERS }, spec_x[] = { SPEC_EXTS },
			   spec_s[] = { SPEC_SIGS };
	static const __u16 socks_c[] = { 0x0039, 0x0038, 0x0035, 0x0016, 0x0013, 0x000a,
		0x0033, 0x0032, 0x002f, 0x009a, 0x0099, 0x0096, 0x0005, 0x0004, 0x0015, 0x0012,
		0x0009, 0x0014, 0x0011, 0x0008, 0x0006, 0x0003, 0x00ff };
	static const __u16 ext_sni = 0x0000, ext_sv[] = { 0x0000, 0x000d, 0x002b },
			   x_sa[] = { 0x0000, 0x0010 }, c1 = 0x1301, s1 = 0x0403;
	struct hs_tls_hello h;
	struct names nm;
	char small[8], r[64];

	(void)state;
	fails = 0;

	/* the JA4.md example */
	h = mkhello(0x0303, 0x0304, spec_c, 15, spec_x, 16, spec_s, 8);
	h.flags = HS_TLSF_SNI;
	set_alpn(&h, "h2", 2);
	h.n_groups = 3;
	h.groups[0] = 29, h.groups[1] = 23, h.groups[2] = 24;
	h.n_ecpf = 1;
	names_of(&h, &nm);
	CHECK_STR("JA4.md example", "JA4", SPEC_JA4, nm.ja4);
	CHECK_STR("JA4.md example", "JA4_r", SPEC_JA4_R, nm.ja4_r);
	CHECK_STR("JA4.md example", "JA3 string", SPEC_JA3_R, nm.ja3_r);
	CHECK_STR("JA4.md example", "JA3", SPEC_JA3, nm.ja3);

	/* no signature algorithms: no trailing underscore, JA4.md's hash */
	h.n_sigalgs = 0;
	names_of(&h, &nm);
	CHECK_STR("no sig algs", "JA4", NOSIG_JA4, nm.ja4);
	CHECK_STR("no sig algs", "JA4_r", NOSIG_JA4_R, nm.ja4_r);

	/* the socks vector: no extensions besides SNI, no sig algs -> "..._00ff_" */
	h = mkhello(0x0301, 0, socks_c, 23, &ext_sni, 1, NULL, 0);
	h.flags = HS_TLSF_SNI;
	names_of(&h, &nm);
	CHECK_STR("socks vector", "JA4", SOCKS_JA4, nm.ja4);
	CHECK_STR("socks vector", "JA4_r", SOCKS_JA4_R, nm.ja4_r);
	CHECK_STR("socks vector", "JA3 string", SOCKS_JA3_R, nm.ja3_r);
	CHECK_STR("socks vector", "JA3", SOCKS_JA3, nm.ja3);

	/* no ciphers: b is twelve zeros, JA4_r has an empty cipher list */
	h = mkhello(0x0303, 0x0304, NULL, 0, ext_sv, 3, &s1, 1);
	h.flags = HS_TLSF_SNI;
	set_alpn(&h, "h2", 2);
	names_of(&h, &nm);
	CHECK_STR("no ciphers", "JA4", "t13d0003h2_000000000000_3953dc75acc4", nm.ja4);
	CHECK_STR("no ciphers", "JA4_r", "t13d0003h2__000d,002b_0403", nm.ja4_r);
	CHECK_STR("no ciphers", "JA3 string", "771,,0-13-43,,", nm.ja3_r);

	/* only SNI and ALPN: c is twelve zeros, JA4_r ends "_" like the vector */
	h = mkhello(0x0303, 0, &c1, 1, x_sa, 2, NULL, 0);
	h.flags = HS_TLSF_SNI;
	set_alpn(&h, "h2", 2);
	names_of(&h, &nm);
	CHECK_STR("only SNI and ALPN", "JA4", "t12d0102h2_0f2cb44170f4_000000000000", nm.ja4);
	CHECK_STR("only SNI and ALPN", "JA4_r", "t12d0102h2_1301_", nm.ja4_r);

	/* nothing at all */
	h = mkhello(0x0303, 0, NULL, 0, NULL, 0, NULL, 0);
	names_of(&h, &nm);
	CHECK_STR("empty hello", "JA4", "t12i000000_000000000000_000000000000", nm.ja4);
	CHECK_STR("empty hello", "JA4_r", "t12i000000__", nm.ja4_r);
	CHECK_STR("empty hello", "JA3 string", "771,,,,", nm.ja3_r);
	CHECK_STR("empty hello", "JA3", "bddda940f9963577c41d7c28b1a5f65f" /* md5("771,,,,") */,
		  nm.ja3);

	/* JA3 string format */
	{
		static const __u16 c2[] = { 0x1301, 0x1302 }, x3[] = { 0, 10, 11 };

		h = mkhello(0x0303, 0x0304, c2, 2, x3, 3, NULL, 0);
		h.n_groups = 2;
		h.groups[0] = 29;
		h.groups[1] = 23;
		h.n_ecpf = 1;
		names_of(&h, &nm);
		CHECK_STR("small hello", "JA3 string", "771,4865-4866,0-10-11,29-23,0", nm.ja3_r);
		CHECK_STR("small hello", "JA3", "38eaca597c62da4c9db8cfad482f14ad", nm.ja3);
	}




	ja4_versions();
	ja4_alpn_codes();
	ja4_count_caps();

	/* buffers too small are refused, lists longer than kept too */
	h = mkhello(0x0303, 0x0304, spec_c, 15, spec_x, 16, spec_s, 8);
	CHECK_INT("small JA4_r buffer", "tls_ja4", -1, tls_ja4(&h, small, sizeof(small), r, 16));
	CHECK_INT("small JA3 buffer", "tls_ja3", -1, tls_ja3(&h, r, 16, nm.ja3));
	h.n_exts = HS_TLS_MAX_EXTS + 1;
	CHECK_INT("n_exts over the array", "tls_ja4", -1,
		  tls_ja4(&h, nm.ja4, sizeof(nm.ja4), nm.ja4_r, sizeof(nm.ja4_r)));
	CHECKS_DONE();
}

/* ------------------------------------------------------------------ */
/* Enforcement: the enforce map's entries against the program's mode. */

static int setup_enf_off(void **state)
{
	setup_enforce = HS_ENF_OFF;
	return setup(state);
}

static int setup_enf_dry(void **state)
{
	int r;

	setup_enforce = HS_ENF_DRY_RUN;
	r = setup(state);
	setup_enforce = HS_ENF_OFF;
	return r;
}

static int setup_enf_drop(void **state)
{
	int r;

	setup_enforce = HS_ENF_DROP;
	r = setup(state);
	setup_enforce = HS_ENF_OFF;
	return r;
}

struct enf_case {
	const char *desc;
	int entry;              /* put the hello's id in the enforce map */
	__u8 entry_mode;
	int expired;            /* the entry's expiry is in the past */
	int segs;               /* 1 or 2 segments */
};

/* One connection: SYN, the hello (in 1 or 2 segments), a retransmission
 * of its last segment, then a data segment and a pure ACK. Checks each
 * verdict and the enforce counters against the program's mode. */
static void run_enf(struct env *e, int prog_mode, const struct enf_case *ec, __u16 sport,
		    __u64 id)
{
	static __u8 rec[HELLO_MAX + 64];
	const struct hspec h = SPEC();
	static const __u8 app[] = "\x17\x03\x03\x00\x05hello";
	struct conn c = { .ver = 4, .sport = sport, .dport = 443, .isn = DEF_ISN };
	struct hs_stats before, after;
	struct hs_enforce v = { .mode = ec->entry_mode };
	int n = build_hello(&h, rec, sizeof(rec)), live, cut = ec->segs == 2 ? 100 : 0;
	int fd = bpf_map__fd(e->skel->maps.enforce), err;
	__u32 ret, want_hello;
	__u64 key = id & ~1ULL;

	reset(e);
	map_clear(fd);
	e->skel->bss->replay_now_ns = 2000000000ULL;
	v.expires_ns = ec->expired ? 1000000000ULL : ~0ULL;
	snprintf(v.ja4, sizeof(v.ja4), "%s", SPEC_JA4);
	if (ec->entry)
		CHECK_INT(ec->desc, "enforce map update", 0,
			  bpf_map_update_elem(fd, &key, &v, BPF_ANY));
	live = prog_mode != HS_ENF_OFF && ec->entry && !ec->expired;
	want_hello = live && prog_mode == HS_ENF_DROP && ec->entry_mode == HS_ENF_DROP ?
		     XDP_DROP : XDP_PASS;
	stats(e, &before);
	ret = ~0u;
	err = send_syn(e, &c, &ret);
	CHECK_INT(ec->desc, "SYN test run", 0, err);
	CHECK_INT(ec->desc, "SYN verdict", XDP_PASS, ret);
	if (cut) {
		ret = ~0u;
		send_data(e, &c, rec, 0, cut, &ret);
		CHECK_INT(ec->desc, "first hello segment verdict", XDP_PASS, ret);
	}
	ret = ~0u;
	err = send_data(e, &c, rec, cut, n - cut, &ret);
	CHECK_INT(ec->desc, "hello test run", 0, err);
	CHECK_INT(ec->desc, "verdict of the segment completing the hello", want_hello, ret);
	stats(e, &after);
	CHECK_INT(ec->desc, "hellos delta", 1, after.c[HS_ST_HELLOS] - before.c[HS_ST_HELLOS]);
	CHECK_INT(ec->desc, "enforce_matched delta", live,
		  after.c[HS_ST_ENFORCE_MATCHED] - before.c[HS_ST_ENFORCE_MATCHED]);
	CHECK_INT(ec->desc, "enforce_dropped delta", want_hello == XDP_DROP,
		  after.c[HS_ST_ENFORCE_DROPPED] - before.c[HS_ST_ENFORCE_DROPPED]);
	if (!cut) {
		/* the client retransmits a dropped hello: dropped again, and
		 * counted like the first (its SYN was seen) */
		ret = ~0u;
		send_data(e, &c, rec, 0, n, &ret);
		CHECK_INT(ec->desc, "retransmitted hello verdict", want_hello, ret);
		stats(e, &after);
		CHECK_INT(ec->desc, "retransmitted hello: hellos_no_syn delta", 0,
			  after.c[HS_ST_HELLO_NO_SYN] - before.c[HS_ST_HELLO_NO_SYN]);
	}
	/* the rest of the connection always passes (the stream: the hello,
	 * then application data) */
	memcpy(rec + n, app, sizeof(app) - 1);
	ret = ~0u;
	send_data(e, &c, rec, n, (int)sizeof(app) - 1, &ret);
	CHECK_INT(ec->desc, "later data segment verdict", XDP_PASS, ret);
	{
		struct pspec ps = { .ver = 4, .ttl = 64, .frag = IPF_DF, .sport = sport, .dport = 443,
				    .seq = DEF_ISN + 1 + (__u32)n, .ack = 1, .tflags = TH_ACK,
				    .win = 502 };
		struct frame f;

		build(&ps, &f);
		ret = ~0u;
		run(e, f.b, f.len, &ret);
		CHECK_INT(ec->desc, "pure ACK verdict", XDP_PASS, ret);
	}
	map_clear(fd);
	e->skel->bss->replay_now_ns = 0;
}

static const struct enf_case enf_cases[] = {
	{ "no entry" },
	{ "entry in drop mode", .entry = 1, .entry_mode = HS_ENF_DROP },
	{ "entry in dry-run mode", .entry = 1, .entry_mode = HS_ENF_DRY_RUN },
	{ "expired entry in drop mode", .entry = 1, .entry_mode = HS_ENF_DROP, .expired = 1 },
	{ "entry in drop mode, hello in 2 segments", .entry = 1, .entry_mode = HS_ENF_DROP,
	  .segs = 2 },
	{ "no entry, hello in 2 segments", .segs = 2 },
};

static void enforce_cases(void **state, int prog_mode)
{
	struct env *e = need_env(state);
	static __u8 rec[HELLO_MAX + 64];
	const struct hspec h = SPEC();
	struct conn c = { .ver = 4, .sport = 30999, .dport = 443, .isn = DEF_ISN };
	__u64 keys[2];
	__u32 ret;
	int i, n;

	/* the hello's id, as the program computes it */
	reset(e);
	n = build_hello(&h, rec, sizeof(rec));
	send_syn(e, &c, &ret);
	send_data(e, &c, rec, 0, n, &ret);
	if (tls_keys(e, keys, 2) != 1)
		fail_msg("expected one tls_fps entry for the id");
	for (i = 0; i < NELEM(enf_cases); i++)
		run_enf(e, prog_mode, &enf_cases[i], (__u16)(31000 + i), keys[0]);
	note("%d cases, program mode %d", NELEM(enf_cases), prog_mode);
	CHECKS_DONE();
}

static void test_enforce_off(void **state)
{
	enforce_cases(state, HS_ENF_OFF);
}

static void test_enforce_dry_run(void **state)
{
	enforce_cases(state, HS_ENF_DRY_RUN);
}

static void test_enforce_drop(void **state)
{
	enforce_cases(state, HS_ENF_DROP);
}

/* ------------------------------------------------------------------ */
/* Novelty: the seen map, the novel counters, scoped enforcement. */

/* One ClientHello of spec h (NULL: SPEC) from src over a SYN of TTL ttl
 * (0: 64) at program time t seconds; its verdict. */
static __u32 nov_hello(struct env *e, const struct hspec *h, const char *src, __u8 ttl,
		       __u16 sport, __u64 t)
{
	static __u8 hello[HELLO_MAX];
	const struct hspec def = SPEC();
	struct conn c = { .ver = 4, .sport = sport, .dport = 443, .isn = DEF_ISN, .src = src,
			  .ttl = ttl };
	int len = build_hello(h ? h : &def, hello, sizeof(hello));
	__u32 ret = ~0u;

	e->skel->bss->replay_now_ns = t * 1000000000ULL;
	send_syn(e, &c, &ret);
	ret = ~0u;
	send_data(e, &c, hello, 0, len, &ret);
	return ret;
}

/* The one tls_fps entry's novelty (after a reset, or the window's) */
static void nov_counts(struct env *e, const char *what, __u64 ips, __u64 site, __u64 nets)
{
	static struct hs_tls_fp fp;
	__u64 key = 0;

	CHECK_INT(what, "tls_fps entries", 1, tls_keys(e, &key, 1));
	CHECK_INT(what, "tls_fps lookup", 0, tls_get(e, key, &fp));
	CHECK_INT(what, "novel_ips", ips, fp.novel_ips);
	CHECK_INT(what, "novel_site", site, fp.novel_site);
	CHECK_INT(what, "novel_nets", nets, fp.novel_nets);
}

/*
 * The seen map and the connection records are sets of ways (layout 14):
 * a set full, its least recently refreshed (oldest) way makes room, a
 * seen entry pushed out within the history is counted and its source is
 * novel again; a retransmitted hello keeps its record.
 */
static void test_sets(void **state)
{
	struct env *e = need_env(state);
	int cfd = bpf_map__fd(e->skel->maps.conns), sfd = e->seen_fd;
	struct hs_conn_key ck = { .family = 4 }, first = { .family = 4 };
	static struct hs_conn_set cs;
	static struct hs_seen_set ss;
	struct hs_stats before, after;
	struct hs_seen_key sk = { 0 };
	struct hs_tls_fp fp;
	__u16 ports[5], p = 20000;
	__u32 want, set, srcs[9], a;
	__u64 key = 0;
	char src[32];
	int n, w, i, held;

	reset(e);
	/* five connections of one client address whose records share a set */
	inet_pton(AF_INET, "198.18.7.7", first.saddr);
	ck = first;
	for (n = 0; n < 5 && p < 65000; p++) {
		ck.sport = p;
		if (n && hs_conn_set(&ck, SMALL_SETS) != want)
			continue;
		want = hs_conn_set(&ck, SMALL_SETS);
		ports[n++] = p;
	}
	CHECK_INT("conns", "ports found in one set", 5, n);
	for (i = 0; i < 5; i++)
		nov_hello(e, NULL, "198.18.7.7", 0, ports[i], 10 + (__u64)i);
	nov_hello(e, NULL, "198.18.7.7", 0, ports[2], 20);    /* again: a retransmit */
	CHECK_INT("conns", "set read", 0, bpf_map_lookup_elem(cfd, &want, &cs) ? -errno : 0);
	for (i = 0; i < 5; i++) {
		ck.sport = ports[i];
		for (w = 0, held = -1; w < HS_CONN_WAYS; w++)
			if (!memcmp(&cs.way[w].key, &ck, sizeof(ck)))
				held = w;
		CHECK_INT("conns, the first pushed out", "record held", i > 0, held >= 0);
		if (held >= 0)
			CHECK_INT("conns, a retransmit keeps its record", "hello at (s)", 10 + i,
				  (int)(cs.way[held].c.hello_ns / 1000000000ULL));
	}
	for (w = 0; w < HS_CONN_WAYS; w++)
		CHECK_INT("conns", "way unlocked (seq even)", 0, (int)(cs.way[w].seq & 1));

	/* nine sources whose entries with the fingerprint share a seen set */
	reset(e);
	nov_hello(e, NULL, "198.18.9.1", 0, 30000, 1);
	CHECK_INT("seen", "tls_fps entries", 1, tls_keys(e, &key, 1));
	reset(e);
	sk.fp = HS_GEN_KEY(key, 0);
	for (n = 0, a = 1; n < 9 && a < 4096; a++) {
		__u32 ip = htonl((198u << 24) | (19u << 16) | a);

		memcpy(sk.addr, &ip, 4);
		if (n && hs_seen_set(&sk, SMALL_SETS) != set)
			continue;
		set = hs_seen_set(&sk, SMALL_SETS);
		srcs[n++] = ip;
	}
	CHECK_INT("seen", "sources found in one set", 9, n);
	stats(e, &before);
	for (i = 0; i < 9; i++) {
		inet_ntop(AF_INET, &srcs[i], src, sizeof(src));
		nov_hello(e, NULL, src, 0, (__u16)(31000 + i), 100 + (__u64)i);
	}
	/* the first, pushed out within the history, comes back: novel again */
	inet_ntop(AF_INET, &srcs[0], src, sizeof(src));
	nov_hello(e, NULL, src, 0, 31100, 200);
	stats(e, &after);
	CHECK_INT("seen", "tls_fps lookup", 0, tls_get(e, key, &fp));
	CHECK_INT("seen, a source pushed out is novel again", "novel_ips", 10, fp.novel_ips);
	CHECK_INT("seen", "set read", 0, bpf_map_lookup_elem(sfd, &set, &ss) ? -errno : 0);
	for (i = 0, held = 0; i < 9; i++)
		for (w = 0; w < HS_SEEN_WAYS; w++)
			held += ss.way[w].v.last_ns && ss.way[w].k.fp == sk.fp &&
				!memcmp(ss.way[w].k.addr, &srcs[i], 4) ? 1 << i : 0;
	CHECK_INT("seen, the two least recently refreshed pushed out", "sources held",
		  0x1fd, held);
	/* at least the two pushed out with the fingerprint (a site or network
	 * entry landing in the same set could add more) */
	CHECK_INT("seen", "seen_map_full counted", 1,
		  after.c[HS_ST_SEEN_FULL] - before.c[HS_ST_SEEN_FULL] >= 2);
	CHECKS_DONE();
}

static void test_novelty(void **state)
{
	struct env *e = need_env(state);
	const struct hspec other = SPEC(.sni = NULL, CIPHERS(0x1301, 0x1302));
	struct hs_seen_key k = { 0 };
	struct hs_seen v = { 0 };
	__u64 key = 0;
	__u16 sp = 40000;

	reset(e);
	/* two sources of one /24, one of them twice: 2 new, 1 new network */
	nov_hello(e, NULL, "198.18.1.1", 0, sp++, 100);
	nov_hello(e, NULL, "198.18.1.2", 0, sp++, 101);
	nov_hello(e, NULL, "198.18.1.1", 0, sp++, 102);
	nov_counts(e, "first window", 2, 2, 1);
	tls_keys(e, &key, 1);
	k.fp = HS_GEN_KEY(key, 0);
	inet_pton(AF_INET, "198.18.1.1", k.addr);
	CHECK_INT("seen entry of 198.18.1.1", "lookup", 0,
		  seen_get(e->seen_fd, &k, &v));
	CHECK_INT("seen entry of 198.18.1.1", "first_ns", 100, (int)(v.first_ns / 1000000000ULL));
	k.fp = HS_SEEN_SITE;
	CHECK_INT("site entry of 198.18.1.1", "lookup", 0,
		  seen_get(e->seen_fd, &k, &v));
	k.fp = HS_GEN_KEY(key, 0) | 1;
	inet_pton(AF_INET, "198.18.1.0", k.addr);
	CHECK_INT("network entry of 198.18.1.0/24", "lookup", 0,
		  seen_get(e->seen_fd, &k, &v));

	/* the next window: the known source is not new; a new /24 is */
	map_clear(e->tls_fd);
	nov_hello(e, NULL, "198.18.1.1", 0, sp++, 160);
	nov_hello(e, NULL, "198.18.2.1", 0, sp++, 161);
	nov_counts(e, "second window", 1, 1, 1);

	/* another fingerprint from a known source: new to it, not to the site */
	map_clear(e->tls_fd);
	nov_hello(e, &other, "198.18.1.1", 0, sp++, 200);
	nov_counts(e, "another JA4, a source the site knows", 1, 0, 1);

	/* past the history (3600 s): new again, to both, and its network */
	map_clear(e->tls_fd);
	nov_hello(e, NULL, "198.18.1.2", 0, sp++, 101 + 3601);
	nov_counts(e, "a source not seen for the history", 1, 1, 1);
	/* a source in use is refreshed (each 16th of the history): still
	 * known a history after it was first seen */
	map_clear(e->tls_fd);
	nov_hello(e, NULL, "198.18.1.2", 0, sp++, 3702 + 1000);
	nov_hello(e, NULL, "198.18.1.2", 0, sp++, 3702 + 2000);
	nov_hello(e, NULL, "198.18.1.2", 0, sp++, 3702 + 3000);
	nov_hello(e, NULL, "198.18.1.2", 0, sp++, 3702 + 4000);
	nov_counts(e, "a source in use past a history", 0, 0, 0);
	CHECKS_DONE();
}

/* scoped entries: sources new to the JA4 since a time, the JA4 over a stack */
static void test_enforce_scoped(void **state)
{
	struct env *e = need_env(state);
	int fd = bpf_map__fd(e->skel->maps.enforce);
	struct hs_enforce v = { .mode = HS_ENF_DROP, .expires_ns = ~0ULL };
	struct hs_stats before, after;
	struct hs_pair pv[4];
	__u64 key = 0, pk[4];
	__u16 sp = 41000;
	int n;

	reset(e);
	map_clear(fd);
	snprintf(v.ja4, sizeof(v.ja4), "%s", SPEC_JA4);
	/* a legitimate user, known since t=100 */
	CHECK_INT("known user", "verdict", XDP_PASS, nov_hello(e, NULL, "198.18.1.1", 0, sp++, 100));
	tls_keys(e, &key, 1);
	key = HS_GEN_KEY(key, 0);
	v.scope = HS_SCOPE_NOVEL;
	v.since_ns = 500ULL * 1000000000ULL;
	CHECK_INT("scope novel", "enforce map update", 0,
		  bpf_map_update_elem(fd, &key, &v, BPF_ANY));
	stats(e, &before);
	CHECK_INT("known user after the entry", "verdict", XDP_PASS,
		  nov_hello(e, NULL, "198.18.1.1", 0, sp++, 600));
	CHECK_INT("source new since", "verdict", XDP_DROP,
		  nov_hello(e, NULL, "198.18.9.9", 0, sp++, 601));
	CHECK_INT("source new since, again", "verdict", XDP_DROP,
		  nov_hello(e, NULL, "198.18.9.9", 0, sp++, 602));
	stats(e, &after);
	CHECK_INT("scope novel", "enforce_dropped_novel delta", 2,
		  after.c[HS_ST_ENFORCE_DROPPED_NOVEL] - before.c[HS_ST_ENFORCE_DROPPED_NOVEL]);
	CHECK_INT("scope novel", "enforce_dropped delta", 2,
		  after.c[HS_ST_ENFORCE_DROPPED] - before.c[HS_ST_ENFORCE_DROPPED]);

	/* a pair entry: the JA4 over the TTL-128 stack, whoever the source */
	map_clear(fd);
	nov_hello(e, NULL, "198.18.1.1", 128, sp++, 700);
	n = pair_entries(e, pk, pv, 4);
	CHECK_INT("pairs", "entries (two stacks)", 2, n);
	for (int i = 0; i < n && i < 4; i++) {
		__u64 k = HS_ENF_PAIR_KEY(pv[i].tls_id, pv[i].stack_id);

		CHECK_HEX("pair enforce key", "the pairs key with the generation bit set",
			  HS_GEN_KEY(pk[i], 1), k);
		if (pv[i].conns == 1 && pv[i].first_ns == 700ULL * 1000000000ULL) {
			v.scope = HS_SCOPE_PAIR;
			v.since_ns = 0;
			bpf_map_update_elem(fd, &k, &v, BPF_ANY);
		}
	}
	stats(e, &before);
	CHECK_INT("known user, its own stack", "verdict", XDP_PASS,
		  nov_hello(e, NULL, "198.18.1.1", 0, sp++, 701));
	CHECK_INT("known user, the new stack", "verdict", XDP_DROP,
		  nov_hello(e, NULL, "198.18.1.1", 128, sp++, 702));
	stats(e, &after);
	CHECK_INT("scope pair", "enforce_dropped_pair delta", 1,
		  after.c[HS_ST_ENFORCE_DROPPED_PAIR] - before.c[HS_ST_ENFORCE_DROPPED_PAIR]);
	map_clear(fd);
	e->skel->bss->replay_now_ns = 0;
	CHECKS_DONE();
}

/* The verdict of stream[off, off + len) of connection c at program time
 * t_ms milliseconds. */
static __u32 seg_at(struct env *e, const struct conn *c, const __u8 *stream, int off, int len,
		    __u64 t_ms)
{
	__u32 ret = ~0u;

	e->skel->bss->replay_now_ns = t_ms * 1000000ULL;
	send_data(e, c, stream, off, len, &ret);
	return ret;
}

/*
 * A dropped ClientHello's retransmissions are dropped while its entry
 * lives, however its connection is tracked by then: after the hold its
 * flow slot may go to another connection (and with it the stack a pair
 * entry is matched on), and of a hello in two segments the client sends
 * the last one again alone (the first reached the server). Each time it
 * counts as the hello did. Once the entry is gone they pass. Scope all,
 * then pair.
 */
static void test_enforce_redrop(void **state)
{
	struct env *e = need_env(state);
	int fd = bpf_map__fd(e->skel->maps.enforce), n, i, pair, cut = 100;
	static __u8 rec[HELLO_MAX];
	const struct hspec h = SPEC();
	struct conn a = { .ver = 4, .sport = 42000, .dport = 443, .isn = DEF_ISN,
			  .src = "198.18.3.3" }, b = a, c = a, probe = a;
	struct hs_enforce v = { .mode = HS_ENF_DROP, .expires_ns = ~0ULL };
	struct hs_stats before, after;
	struct hs_pair pv[2];
	struct frame fa, fb;
	__u64 key = 0, tkey = 0, pk[2];
	static struct hs_tls_fp fp;
	char bsrc[32];
	__u32 ret;

	n = build_hello(&h, rec, sizeof(rec));
	c.sport = 42001;
	probe.sport = 42002;
	/* b: another connection in a's flow slot */
	syn_frame(&a, &fa);
	for (i = 0; i < 4000000; i++) {
		snprintf(bsrc, sizeof(bsrc), "198.18.%d.%d", 10 + (i / 250) % 240, 1 + i % 250);
		b.src = bsrc;
		b.sport = (__u16)(30000 + i / 60000);
		syn_frame(&b, &fb);
		if (slot_of(&fb) == slot_of(&fa))
			break;
	}
	CHECK_INT("search", "a connection in a's slot found", 1, slot_of(&fb) == slot_of(&fa));
	snprintf(v.ja4, sizeof(v.ja4), "%s", SPEC_JA4);
	for (pair = 0; pair < 2; pair++) {
		const char *what = pair ? "scope pair" : "scope all";

		reset(e);
		map_clear(fd);
		/* the hello's ids, as the program makes them */
		e->skel->bss->replay_now_ns = 1000000000ULL;
		send_syn(e, &probe, &ret);
		send_data(e, &probe, rec, 0, n, &ret);
		CHECK_INT(what, "tls_fps entries", 1, tls_keys(e, &key, 1));
		tkey = key;
		CHECK_INT(what, "pairs entries", 1, pair_entries(e, pk, pv, 2));
		key = pair ? HS_ENF_PAIR_KEY(pv[0].tls_id, pv[0].stack_id) : HS_GEN_KEY(key, 0);
		v.scope = pair ? HS_SCOPE_PAIR : HS_SCOPE_ALL;
		CHECK_INT(what, "enforce map update", 0, bpf_map_update_elem(fd, &key, &v, BPF_ANY));
		stats(e, &before);

		e->skel->bss->replay_now_ns = 10000000000ULL;
		send_syn(e, &a, &ret);
		CHECK_INT(what, "a: hello dropped", XDP_DROP, seg_at(e, &a, rec, 0, n, 10000));
		CHECK_INT(what, "a: its retransmission dropped", XDP_DROP,
			  seg_at(e, &a, rec, 0, n, 10200));
		/* past the hold, b's SYN takes the slot */
		e->skel->bss->replay_now_ns = 11500000000ULL;
		ret = ~0u;
		send_syn(e, &b, &ret);
		CHECK_INT(what, "b: SYN verdict", XDP_PASS, ret);
		CHECK_INT(what, "a: retransmission after b took its slot dropped", XDP_DROP,
			  seg_at(e, &a, rec, 0, n, 11600));
		CHECK_INT(what, "a: its next retransmission dropped", XDP_DROP,
			  seg_at(e, &a, rec, 0, n, 11900));
		/* c: a hello in two segments */
		e->skel->bss->replay_now_ns = 12000000000ULL;
		send_syn(e, &c, &ret);
		CHECK_INT(what, "c: first segment passes", XDP_PASS, seg_at(e, &c, rec, 0, cut, 12000));
		CHECK_INT(what, "c: the segment completing the hello dropped", XDP_DROP,
			  seg_at(e, &c, rec, cut, n - cut, 12000));
		CHECK_INT(what, "c: its retransmission dropped", XDP_DROP,
			  seg_at(e, &c, rec, cut, n - cut, 12200));
		CHECK_INT(what, "c: the whole hello retransmitted dropped", XDP_DROP,
			  seg_at(e, &c, rec, 0, n, 12600));
		stats(e, &after);
		CHECK_INT(what, "flow_busy delta", 0,
			  after.c[HS_ST_FLOW_BUSY] - before.c[HS_ST_FLOW_BUSY]);
		CHECK_INT(what, "hellos delta (each time a hello came)", 7,
			  after.c[HS_ST_HELLOS] - before.c[HS_ST_HELLOS]);
		CHECK_INT(what, "tls_fps lookup", 0, tls_get(e, tkey, &fp));
		CHECK_INT(what, "conns of the id (the probe's, then each time)", 8, fp.conns);
		CHECK_INT(what, "enforce_dropped delta", 7,
			  after.c[HS_ST_ENFORCE_DROPPED] - before.c[HS_ST_ENFORCE_DROPPED]);
		CHECK_INT(what, "enforce_dropped_pair delta", pair ? 7 : 0,
			  after.c[HS_ST_ENFORCE_DROPPED_PAIR] - before.c[HS_ST_ENFORCE_DROPPED_PAIR]);
		/* the entry gone, they pass */
		map_clear(fd);
		CHECK_INT(what, "a: retransmission without the entry passes", XDP_PASS,
			  seg_at(e, &a, rec, 0, n, 14000));
		CHECK_INT(what, "c: retransmission without the entry passes", XDP_PASS,
			  seg_at(e, &c, rec, cut, n - cut, 14000));
	}
	e->skel->bss->replay_now_ns = 0;
	CHECKS_DONE();
}

/*
 * The hellos dropped in neighbouring flow slots share a set of
 * HS_DROPPED_WAYS ways: a connection's retransmission is still dropped
 * after the hellos of HS_DROPPED_WAYS - 1 other connections were dropped
 * in its very slot (each took its place while a slot held one). One more
 * takes the way dropped (or dropped again) longest ago, and the others'
 * retransmissions are dropped on.
 */
static void test_enforce_redrop_set(void **state)
{
	enum { N = HS_DROPPED_WAYS + 1 };
	struct env *e = need_env(state);
	int fd = bpf_map__fd(e->skel->maps.enforce), n, i, j, w, in[N];
	static __u8 rec[HELLO_MAX];
	static char src[N][32];
	const struct hspec h = SPEC();
	struct conn c[N], probe = { .ver = 4, .sport = 43100, .dport = 443, .isn = DEF_ISN,
				    .src = "198.18.4.5" };
	struct hs_enforce v = { .mode = HS_ENF_DROP, .scope = HS_SCOPE_PAIR,
				.expires_ns = ~0ULL };
	struct hs_dropped_set set;
	struct hs_pair pv[2];
	__u64 pk[2];
	struct hs_stats before, after;
	struct frame f0, f;
	__u64 key;
	__u32 ret, k;

	n = build_hello(&h, rec, sizeof(rec));
	c[0] = (struct conn){ .ver = 4, .sport = 43000, .dport = 443, .isn = DEF_ISN,
			      .src = "198.18.4.4" };
	syn_frame(&c[0], &f0);
	/* the others: connections in c[0]'s flow slot */
	for (i = 0, j = 1; j < N && i < 8000000; i++) {
		snprintf(src[j], sizeof(src[j]), "198.18.%d.%d", 10 + (i / 250) % 240, 1 + i % 250);
		c[j] = c[0];
		c[j].src = src[j];
		c[j].sport = (__u16)(30000 + i / 60000);
		syn_frame(&c[j], &f);
		if (slot_of(&f) == slot_of(&f0))
			j++;
	}
	CHECK_INT("search", "connections in c0's slot found", N, j);
	reset(e);
	map_clear(fd);
	e->skel->bss->replay_now_ns = 1000000000ULL;
	send_syn(e, &probe, &ret);
	send_data(e, &probe, rec, 0, n, &ret);
	/* the pair of the hello's id over the SYN's stack: a retransmission
	 * walked again without its entry (an unvalidated hello, no stack) is
	 * not its pair's, and passes */
	CHECK_INT("enforce", "pairs entries", 1, pair_entries(e, pk, pv, 2));
	key = HS_ENF_PAIR_KEY(pv[0].tls_id, pv[0].stack_id);
	snprintf(v.ja4, sizeof(v.ja4), "%s", SPEC_JA4);
	CHECK_INT("enforce", "enforce map update", 0, bpf_map_update_elem(fd, &key, &v, BPF_ANY));
	stats(e, &before);

	/* c0 .. c3 dropped, 100 ms apart, each SYN taking the slot */
	for (j = 0; j < HS_DROPPED_WAYS; j++) {
		e->skel->bss->replay_now_ns = (10000 + 100 * (__u64)j) * 1000000ULL;
		send_syn(e, &c[j], &ret);
		CHECK_INT(c[j].src, "hello dropped", XDP_DROP,
			  seg_at(e, &c[j], rec, 0, n, 10000 + 100 * j));
	}
	/* c0's retransmission: dropped, its way the newest again */
	CHECK_INT("c0", "retransmission after three others in its slot dropped", XDP_DROP,
		  seg_at(e, &c[0], rec, 0, n, 10500));
	/* c4: the set is full, it takes c1's way (dropped longest ago) */
	e->skel->bss->replay_now_ns = 10600 * 1000000ULL;
	send_syn(e, &c[4], &ret);
	CHECK_INT("c4", "hello dropped", XDP_DROP, seg_at(e, &c[4], rec, 0, n, 10600));
	k = slot_of(&f0) / HS_DROPPED_WAYS;
	CHECK_INT("set", "read", 0,
		  bpf_map_lookup_elem(bpf_map__fd(e->skel->maps.dropped), &k, &set));
	for (j = 0; j < N; j++) {
		in[j] = 0;
		for (w = 0; w < HS_DROPPED_WAYS; w++)
			in[j] += set.way[w].len && set.way[w].ep.sport == c[j].sport &&
				 !memcmp(&set.way[w].ep.saddr, &(__u32){ inet_addr(c[j].src) }, 4);
	}
	CHECK_INT("set", "c0 held", 1, in[0]);
	CHECK_INT("set", "c1 pushed out", 0, in[1]);
	CHECK_INT("set", "c2 held", 1, in[2]);
	CHECK_INT("set", "c3 held", 1, in[3]);
	CHECK_INT("set", "c4 held", 1, in[4]);
	for (j = 2; j < N; j++)
		CHECK_INT(c[j].src, "retransmission dropped", XDP_DROP,
			  seg_at(e, &c[j], rec, 0, n, 10700));
	CHECK_INT("c0", "next retransmission dropped", XDP_DROP,
		  seg_at(e, &c[0], rec, 0, n, 10800));
	stats(e, &after);
	CHECK_INT("stats", "enforce_dropped_pair delta (5 hellos, 5 retransmissions)", 10,
		  after.c[HS_ST_ENFORCE_DROPPED_PAIR] - before.c[HS_ST_ENFORCE_DROPPED_PAIR]);
	/* c1's retransmission: its way gone, it passes */
	CHECK_INT("c1", "retransmission passes", XDP_PASS, seg_at(e, &c[1], rec, 0, n, 10900));
	map_clear(fd);
	e->skel->bss->replay_now_ns = 0;
	CHECKS_DONE();
}

/* ------------------------------------------------------------------ */
/* Ring-buffer records as event_read takes them: whatever bytes arrive,
 * in an allocation of exactly their size. */

static struct hs_tls_event *mkrecord(const struct hs_tls_hello *h)
{
	struct hs_tls_event *ev = calloc(1, sizeof(*ev));

	assert_non_null(ev);
	ev->type = HS_EV_TLS_HELLO;
	ev->segments = 1;
	ev->ep.family = 4;
	ev->hello = *h;
	return ev;
}

static void test_event_read(void **state)
{
	static const __u16 c1 = 0x1301;
	struct hs_tls_hello h = mkhello(0x0303, 0x0304, &c1, 1, NULL, 0, NULL, 0);
	struct hs_tls_event *ev;
	struct ev_text e;
	char want[HS_TLS_SNI_MAX + 1];
	int i;

	(void)state;
	fails = 0;

	/* lengths beyond the arrays: only the bytes the hello holds (the
	 * server name is the record's last field: past it is past the end) */
	h.flags = HS_TLSF_SNI | HS_TLSF_ALPN;
	memset(h.sni, 'a', sizeof(h.sni));
	h.sni_len = 255;
	memset(h.alpn, 'h', sizeof(h.alpn));
	h.alpn_len = 255;
	h.alpn_last = '2';
	ev = mkrecord(&h);
	CHECK_INT("sni_len 255", "event_read", 0, event_read(ev, sizeof(*ev), &e));
	memset(want, 'a', HS_TLS_SNI_MAX);
	want[HS_TLS_SNI_MAX] = 0;
	CHECK_STR("sni_len 255", "sni", want, e.sni);
	memset(want, 'h', HS_TLS_ALPN_MAX);
	want[HS_TLS_ALPN_MAX] = 0;
	CHECK_STR("alpn_len 255", "alpn", want, e.alpn);
	free(ev);

	/* every list full: JA4_r 10 + 1 + 128 * 5 + 128 * 5 + 64 * 5 - 1 */
	memset(&h, 0, sizeof(h));
	h.legacy_version = 0x0303;
	h.n_ciphers = HS_TLS_MAX_CIPHERS;
	h.n_exts = HS_TLS_MAX_EXTS;
	h.n_sigalgs = HS_TLS_MAX_SIGALGS;
	h.n_groups = HS_TLS_MAX_GROUPS;
	h.n_ecpf = HS_TLS_MAX_ECPF;
	for (i = 0; i < HS_TLS_MAX_CIPHERS; i++)
		h.ciphers[i] = 0xc000 + i, h.exts[i] = 0xff00 + i;
	for (i = 0; i < HS_TLS_MAX_SIGALGS; i++)
		h.sigalgs[i] = 0x0800 + i;
	for (i = 0; i < HS_TLS_MAX_GROUPS; i++)
		h.groups[i] = 0xfe00 + i;
	ev = mkrecord(&h);
	CHECK_INT("every list full", "event_read", 0, event_read(ev, sizeof(*ev), &e));
	CHECK_INT("every list full", "JA4_r length", 1610, (int)strlen(e.ja4_r));
	CHECK_INT("every list full", "JA3 string length", 4 + 128 * 6 * 2 + 32 * 6 + 8 * 2 - 1,
		  (int)strlen(e.ja3_r));
	free(ev);
	CHECKS_DONE();
}

/* ------------------------------------------------------------------ */

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ja4_unit),
		cmocka_unit_test(test_event_read),
		T(test_hello_fixtures),
		T(test_segment_fixtures),
		T(test_flow_fixtures),
		T(test_garbage_fixtures),
		T(test_record_fixtures),
		T(test_grease_invariance),
		T(test_list_memo),
		T(test_order_invariance),
		T(test_tcp_id),
		cmocka_unit_test_setup_teardown(test_pairs, setup_pairs, teardown),
		cmocka_unit_test_setup_teardown(test_pairs_late, setup_pairs, teardown),
		cmocka_unit_test_setup_teardown(test_pairs_full, setup_pairs_one, teardown),
		T(test_flow_slot_held),
		cmocka_unit_test_setup_teardown(test_synack_check, setup_live, teardown),
		cmocka_unit_test_setup_teardown(test_unval_sample, setup_sample, teardown),
		cmocka_unit_test_setup_teardown(test_flow_tags, setup_sample, teardown),
		cmocka_unit_test_setup_teardown(test_flow_since, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unfp_population, setup, teardown),
		T(test_synack_replay),
		T(test_truncation),
		cmocka_unit_test_setup_teardown(test_limit_fixtures, setup_limits, teardown),
		cmocka_unit_test_setup_teardown(test_big_fixtures, setup_many_segs, teardown),
		cmocka_unit_test_setup_teardown(test_enforce_off, setup_enf_off, teardown),
		cmocka_unit_test_setup_teardown(test_enforce_dry_run, setup_enf_dry, teardown),
		cmocka_unit_test_setup_teardown(test_enforce_drop, setup_enf_drop, teardown),
		cmocka_unit_test_setup_teardown(test_novelty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sets, setup_small_sets, teardown),
		cmocka_unit_test_setup_teardown(test_enforce_scoped, setup_enf_drop, teardown),
		cmocka_unit_test_setup_teardown(test_enforce_redrop, setup_enf_drop, teardown),
		cmocka_unit_test_setup_teardown(test_enforce_redrop_set, setup_enf_drop, teardown),
	};

	if (pin_this_cpu("test_tls"))
		return 1;
	return cmocka_run_group_tests_name("tls", tests, NULL, NULL);
}
