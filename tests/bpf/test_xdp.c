// SPDX-License-Identifier: BSD-3-Clause
/*
 * The real XDP program under BPF_PROG_TEST_RUN, Katran-style: tables of
 * {description, packet, verdict, counter deltas, fingerprint change}, each
 * packet built by the small helpers below. Also: every truncation of three
 * packets, id stability, the ring buffer, replay timestamps, HyperLogLog
 * accuracy, and agreement with `p0f -r` on a pcap of the same packets.
 *
 * Needs root (or CAP_BPF + CAP_NET_ADMIN); every test skips without it.
 * Expected raw_sig strings are derived by hand from p0f 3.09b's rules
 * (process.c: parse_packet, fp_tcp.c: detect_win_multi, dump_sig).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>

#include "bpfobj.h"
#include "detect.h"
#include "fps.h"
#include "hll.h"
#include "p0f.h"
#include "util.h"
#include "hs_hash.h"
#include "hs_bpf.skel.h"
#include "check.h"
#include "prog.h"

/* ------------------------------------------------------------------ */
/* Packets: tests/lib/pkt.h's builder, from these addresses by default. */

#define DEF_SRC4 "198.51.100.7"
#define DEF_DST4 "203.0.113.9"
#include "pkt.h"

/*
 * Later designators override earlier ones: the macros put the defaults
 * first, the fixture's own fields after them. Short extension-header
 * entries ({ NH_HOP }) leave len and frag at their zero defaults.
 */
#define SYN4(...) { .ver = 4, .ttl = 64, .ip_id = 0x3039, .frag = IPF_DF, \
	.sport = 40000, .dport = 443, .seq = 0x11223344, .tflags = TH_SYN, \
	.win = 64240, OPT(LINUX4), __VA_ARGS__ }
#define SYN6(...) { .ver = 6, .ttl = 64, \
	.sport = 40000, .dport = 443, .seq = 0x11223344, .tflags = TH_SYN, \
	.win = 64800, OPT(LINUX6), __VA_ARGS__ }

/* The signatures of the two base packets. */
#define SIG4 "4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+:0"
#define SIG6 "6:64+0:0:1440:mss*45,7:mss,sok,ts,nop,ws::0"

/* Where the program should say the SYN came from. */
static void spec_endpoints(const struct pspec *s, struct hs_endpoints *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = s->ver;
	addr(s->ver, s->src, s->ver == 6 ? DEF_SRC6 : DEF_SRC4, ep->saddr);
	addr(s->ver, s->dst, s->ver == 6 ? DEF_DST6 : DEF_DST4, ep->daddr);
	ep->sport = s->sport;
	ep->dport = s->dport;
}

/* ------------------------------------------------------------------ */
/* The loaded program. */

#define EV_MAX 4096

struct env {
	struct hs_bpf *skel;
	int prog_fd, stats_fd, fps_fd;
	struct ring_buffer *rb;
	struct hs_event ev[EV_MAX];
	int nev;                /* events consumed since the last drain */
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct env *e = ctx;

	if (size != sizeof(struct hs_event)) {
		note("ring buffer record of %zu bytes, expected %zu", size,
		     sizeof(struct hs_event));
		fails++;
		return 0;
	}
	if (e->nev < EV_MAX)
		memcpy(&e->ev[e->nev], data, sizeof(struct hs_event));
	e->nev++;
	return 0;
}

/* The program with an unknown-TCP-id budget of cap per CPU per window
 * (0: the default), replay's (its clock the replay_now_ns global) or, live
 * 1, run's (CLOCK_MONOTONIC). */
static int setup_env(void **state, __u32 cap, bool live)
{
	struct env *e;

	*state = NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -1;
	e->skel = prog_open(&(struct hs_config){ .replay = !live });
	if (!e->skel)
		goto skip;
	if (cap)
		e->skel->rodata->tcp_new_cap = cap;
	if (prog_load(e->skel))
		goto skip;
	e->prog_fd = bpf_program__fd(hs_xdp_prog(e->skel));
	e->stats_fd = bpf_map__fd(e->skel->maps.stats);
	e->fps_fd = bpf_map__fd(e->skel->maps.tcp_fps);
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
	return setup_env(state, 0, false);
}

static int setup_live(void **state)
{
	return setup_env(state, 0, true);
}

#define FLOOD_CAP 50

static int setup_flood(void **state)
{
	return setup_env(state, FLOOD_CAP, false);
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
static int run(struct env *e, const void *pkt, int len, __u32 *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, o,
		.data_in = pkt,
		.data_size_in = len,
		.repeat = 1,
	);
	int err;

	prog_dump(pkt, (__u32)len);
	err = bpf_prog_test_run_opts(e->prog_fd, &o);
	if (err)
		return -errno;
	*retval = o.retval;
	return 0;
}

static void stats(struct env *e, struct hs_stats *st)
{
	int err = hs_stats_read(e->stats_fd, st);

	if (err)
		fail_msg("reading the stats map: expected 0, got %s", strerror(-err));
}

/* Keys of tcp_fps, up to max; returns how many there are. */
static int fp_keys(struct env *e, __u64 *keys, int max)
{
	__u64 key, next;
	int n = 0;
	void *prev = NULL;

	while (bpf_map_get_next_key(e->fps_fd, prev, &next) == 0) {
		if (n < max)
			keys[n] = next;
		n++;
		key = next;
		prev = &key;
	}
	return n;
}

static void fp_clear(struct env *e)
{
	__u64 keys[HS_TCP_FP_MAX];
	int i, n = fp_keys(e, keys, HS_TCP_FP_MAX);

	for (i = 0; i < n && i < HS_TCP_FP_MAX; i++)
		bpf_map_delete_elem(e->fps_fd, &keys[i]);
}

static int fp_get(struct env *e, __u64 id, struct hs_tcp_fp *v)
{
	return bpf_map_lookup_elem(e->fps_fd, &id, v) ? -errno : 0;
}

static void drain(struct env *e)
{
	e->nev = 0;
	ring_buffer__consume(e->rb);
}

static void render(const struct hs_tcp_sig *s, char *buf, size_t len)
{
	p0f_render(s, buf, len);
}

/* ------------------------------------------------------------------ */
/* Fixtures. */

struct fixture {
	const char *desc;
	struct pspec p;
	__u32 verdict;          /* always XDP_PASS: the program fails open */
	struct hs_stats st;     /* counter deltas besides packets (always +1) */
	int new_ids;            /* tcp_fps entries added */
	const char *sig;        /* raw_sig of the added entry */
};

#define FP(s)        .verdict = XDP_PASS, .new_ids = 1, .sig = (s), \
		     .st = { .c = { [HS_ST_SYNS] = 1, [HS_ST_FP_NEW] = 1 } }
/* a SYN with payload to the TLS port: its data, the connection's first
 * bytes (TCP Fast Open), is client data that is not a ClientHello */
#define FP_DATA(s)   .verdict = XDP_PASS, .new_ids = 1, .sig = (s), \
		     .st = { .c = { [HS_ST_SYNS] = 1, [HS_ST_FP_NEW] = 1, [HS_ST_TLS_NOT_HELLO] = 1 } }
#define COUNT(stat)  .verdict = XDP_PASS, .st = { .c = { [stat] = 1 } }
#define NOTHING      .verdict = XDP_PASS

static const struct fixture ipv4_fixtures[] = {
	{ "IPv4 Linux-like SYN (df, id+)", SYN4(), FP(SIG4) },
	{ "df with zero IP ID", SYN4(.ip_id = 0),
	  FP("4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df:0") },
	{ "id-: no DF, zero IP ID", SYN4(.frag = 0, .ip_id = 0),
	  FP("4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:id-:0") },
	{ "no DF, non-zero IP ID: no quirk", SYN4(.frag = 0),
	  FP("4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws::0") },
	{ "ecn: IP ECT(0)", SYN4(.tos = 0x02),
	  FP("4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+,ecn:0") },
	{ "ecn: IP ECT(1)", SYN4(.tos = 0x01),
	  FP("4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+,ecn:0") },
	{ "ecn: IP CE with DSCP", SYN4(.tos = 0xbb),
	  FP("4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+,ecn:0") },
	{ "DSCP only: no ecn", SYN4(.tos = 0xb8), FP(SIG4) },
	{ "ecn: TCP ECE+CWR", SYN4(.tflags = TH_SYN | TH_ECE | TH_CWR),
	  FP("4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+,ecn:0") },
	{ "ecn: TCP CWR only", SYN4(.tflags = TH_SYN | TH_CWR),
	  FP("4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+,ecn:0") },
	{ "ecn: TCP NS bit", SYN4(.rsvd = 0x1),
	  FP("4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+,ecn:0") },
	{ "other reserved TCP bits: no ecn", SYN4(.rsvd = 0xe), FP(SIG4) },
	{ "0+: IP must-be-zero bit", SYN4(.frag = IPF_DF | IPF_MBZ),
	  FP("4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+,0+:0") },
	{ "0+ without DF", SYN4(.frag = IPF_MBZ, .ip_id = 0),
	  FP("4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:id-,0+:0") },
	{ "seq-", SYN4(.seq = 0),
	  FP("4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+,seq-:0") },
	{ "ack+: ACK number with odd first byte", SYN4(.ack = 0x01000000),
	  FP("4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+,ack+:0") },
	{ "ack+: all ACK bits set", SYN4(.ack = 0xffffffff),
	  FP("4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+,ack+:0") },
	/* p0f 3.09b tests RD32(ack) & 1: bit 0 of the first byte on x86 */
	{ "no ack+: non-zero ACK, even first byte", SYN4(.ack = 0x00000001), FP(SIG4) },
	{ "no ack+: ACK 0x02ffffff", SYN4(.ack = 0x02ffffff), FP(SIG4) },
	{ "uptr+", SYN4(.urg = 0x1234),
	  FP("4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+,uptr+:0") },
	{ "urgf+ (pointer too: no uptr+)", SYN4(.tflags = TH_SYN | TH_URG, .urg = 7),
	  FP("4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+,urgf+:0") },
	{ "pushf+", SYN4(.tflags = TH_SYN | TH_PSH),
	  FP("4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+,pushf+:0") },
	{ "every header quirk at once",
	  SYN4(.tos = 0x03, .frag = IPF_DF | IPF_MBZ, .seq = 0, .ack = 0x11000000, .urg = 1,
	       .tflags = TH_SYN | TH_PSH | TH_ECE),
	  FP("4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+,ecn,0+,seq-,ack+,uptr+,pushf+:0") },
	{ "ts1-", SYN4(OPT("\x02\x04\x05\xb4\x04\x02\x08\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x01\x03\x03\x07")),
	  FP("4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+,ts1-:0") },
	{ "ts2+", SYN4(OPT("\x02\x04\x05\xb4\x04\x02\x08\x0a\x00\x01\xe2\x40\x00\x00\x30\x39\x01\x03\x03\x07")),
	  FP("4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+,ts2+:0") },
	{ "ttl 128", SYN4(.ttl = 128),
	  FP("4:128+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+:0") },
	{ "ttl 57: 7 hops from 64", SYN4(.ttl = 57),
	  FP("4:57+7:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+:0") },
	{ "ttl 255", SYN4(.ttl = 255),
	  FP("4:255+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+:0") },
	{ "ttl 200: distance unknown", SYN4(.ttl = 200),
	  FP("4:200+?:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+:0") },
	{ "ttl 1", SYN4(.ttl = 1),
	  FP("4:1+31:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+:0") },
	{ "IP options: router alert (olen 4)", SYN4(IPOPT("\x94\x04\x00\x00")),
	  FP("4:64+0:4:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+:0") },
	{ "IP options: 12 bytes", SYN4(IPOPT("\x94\x04\x00\x00\x01\x01\x01\x01\x01\x01\x00\x00")),
	  FP("4:64+0:12:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+:0") },
	{ "payload on a SYN", SYN4(.payload = 10),
	  FP_DATA("4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+:+") },
	{ "one payload byte", SYN4(.payload = 1),
	  FP_DATA("4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+:+") },
	{ "Ethernet padding after a short SYN is not payload",
	  SYN4(OPT(""), .pad = 6),
	  FP("4:64+0:0:0:64240,0::df,id+:0") },
	{ "Ethernet padding after a SYN with payload",
	  SYN4(OPT("\x02\x04\x05\xb4"), .payload = 2, .pad = 4),
	  FP_DATA("4:64+0:0:1460:mss*44,0:mss:df,id+:+") },
	{ "Windows-like SYN",
	  SYN4(.ttl = 128, OPT("\x02\x04\x05\xb4\x01\x03\x03\x08\x01\x01\x04\x02")),
	  FP("4:128+0:0:1460:mss*44,8:mss,nop,ws,nop,nop,sok:df,id+:0") },
	{ "window: plain 65535", SYN4(.win = 65535),
	  FP("4:64+0:0:1460:65535,7:mss,sok,ts,nop,ws:df,id+:0") },
	{ "window: zero", SYN4(.win = 0),
	  FP("4:64+0:0:1460:0,7:mss,sok,ts,nop,ws:df,id+:0") },
	{ "window: mtu*2 (mss + 40)", SYN4(.win = 3000),
	  FP("4:64+0:0:1460:mtu*2,7:mss,sok,ts,nop,ws:df,id+:0") },
	{ "window: mtu*4 (1500)", SYN4(OPT("\x02\x04\x02\x00"), .win = 6000),
	  FP("4:64+0:0:512:mtu*4,0:mss:df,id+:0") },
	{ "window: mss*10 via 1448 (1500 - 40 - 12)", SYN4(OPT("\x02\x04\x02\x00"), .win = 14480),
	  FP("4:64+0:0:512:mss*10,0:mss:df,id+:0") },
	{ "window: mss*10 via mss - 12 (timestamp set)",
	  SYN4(OPT("\x02\x04\x05\x78\x04\x02\x08\x0a\x00\x01\xe2\x40\x00\x00\x00\x00\x01\x03\x03\x07"),
	       .win = 13880),
	  FP("4:64+0:0:1400:mss*10,7:mss,sok,ts,nop,ws:df,id+:0") },
	{ "window: no mss - 12 when ts1 is zero",
	  SYN4(OPT("\x02\x04\x05\x78\x04\x02\x08\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x01\x03\x03\x07"),
	       .win = 13880),
	  FP("4:64+0:0:1400:13880,7:mss,sok,ts,nop,ws:df,id+,ts1-:0") },
	{ "window: mtu*3 via mss + actual headers (IP options counted)",
	  SYN4(IPOPT("\x94\x04\x00\x00"),
	       OPT("\x02\x04\x03\xe8\x04\x02\x08\x0a\x00\x01\xe2\x40\x00\x00\x00\x00\x01\x03\x03\x07"),
	       .win = 3192),
	  FP("4:64+0:4:1000:mtu*3,7:mss,sok,ts,nop,ws:df,id+:0") },
	{ "window: mss below 100 is never a multiple", SYN4(OPT("\x02\x04\x00\x5a"), .win = 900),
	  FP("4:64+0:0:90:900,0:mss:df,id+:0") },
};

static const struct fixture option_fixtures[] = {
	{ "no options", SYN4(OPT("")), FP("4:64+0:0:0:64240,0::df,id+:0") },
	{ "EOL padding: eol+3", SYN4(OPT("\x02\x04\x05\xb4\x00\x00\x00\x00")),
	  FP("4:64+0:0:1460:mss*44,0:mss,eol+3:df,id+:0") },
	{ "EOL as the last byte: eol+0", SYN4(OPT("\x02\x04\x05\xb4\x01\x01\x01\x00")),
	  FP("4:64+0:0:1460:mss*44,0:mss,nop,nop,nop,eol+0:df,id+:0") },
	{ "EOL first: eol+7", SYN4(OPT("\x00\x00\x00\x00\x00\x00\x00\x00")),
	  FP("4:64+0:0:0:64240,0:eol+7:df,id+:0") },
	{ "opt+: non-zero byte after EOL", SYN4(OPT("\x02\x04\x05\xb4\x00\x00\x01\x00")),
	  FP("4:64+0:0:1460:mss*44,0:mss,eol+3:df,id+,opt+:0") },
	{ "opt+: non-zero byte right after EOL", SYN4(OPT("\x02\x04\x05\xb4\x00\x02\x04\x05\xb4\x00\x00\x00")),
	  FP("4:64+0:0:1460:mss*44,0:mss,eol+7:df,id+,opt+:0") },
	{ "no opt+ when only the last pad byte is non-zero",
	  SYN4(OPT("\x02\x04\x05\xb4\x00\x00\x00\x01")),
	  FP("4:64+0:0:1460:mss*44,0:mss,eol+3:df,id+:0") },
	{ "exws: window scale 15", SYN4(OPT("\x02\x04\x05\xb4\x01\x03\x03\x0f")),
	  FP("4:64+0:0:1460:mss*44,15:mss,nop,ws:df,id+,exws:0") },
	{ "window scale 14: no exws", SYN4(OPT("\x02\x04\x05\xb4\x01\x03\x03\x0e")),
	  FP("4:64+0:0:1460:mss*44,14:mss,nop,ws:df,id+:0") },
	{ "bad: MSS truncated", SYN4(OPT("\x01\x01\x01\x02")),
	  FP("4:64+0:0:0:64240,0:nop,nop,nop,mss:df,id+,bad:0") },
	{ "bad: MSS length 5 (value still read)", SYN4(OPT("\x02\x05\x05\xb4")),
	  FP("4:64+0:0:1460:mss*44,0:mss:df,id+,bad:0") },
	{ "bad: WS truncated", SYN4(OPT("\x02\x04\x05\xb4\x01\x01\x01\x03")),
	  FP("4:64+0:0:1460:mss*44,0:mss,nop,nop,nop,ws:df,id+,bad:0") },
	{ "bad: WS length 4 (walk goes on by 3)", SYN4(OPT("\x02\x04\x05\xb4\x03\x04\x07\x01")),
	  FP("4:64+0:0:1460:mss*44,7:mss,ws,nop:df,id+,bad:0") },
	{ "bad: SACK-permitted truncated", SYN4(OPT("\x02\x04\x05\xb4\x01\x01\x01\x04")),
	  FP("4:64+0:0:1460:mss*44,0:mss,nop,nop,nop,sok:df,id+,bad:0") },
	{ "bad: SACK-permitted length 3", SYN4(OPT("\x02\x04\x05\xb4\x04\x03\x01\x01")),
	  FP("4:64+0:0:1460:mss*44,0:mss,sok,nop,nop:df,id+,bad:0") },
	{ "bad: timestamp truncated", SYN4(OPT("\x02\x04\x05\xb4\x08\x0a\x00\x00\x00\x01\x00\x00")),
	  FP("4:64+0:0:1460:mss*44,0:mss,ts:df,id+,bad:0") },
	{ "bad: timestamp length 8",
	  SYN4(OPT("\x02\x04\x05\xb4\x08\x08\x00\x00\x00\x01\x00\x00\x00\x00\x01\x01")),
	  FP("4:64+0:0:1460:mss*44,0:mss,ts,nop,nop:df,id+,bad:0") },
	{ "SACK block", SYN4(OPT("\x02\x04\x05\xb4\x05\x0a\x00\x00\x00\x01\x00\x00\x00\x02\x01\x01")),
	  FP("4:64+0:0:1460:mss*44,0:mss,sack,nop,nop:df,id+:0") },
	{ "bad: SACK length 8", SYN4(OPT("\x02\x04\x05\xb4\x05\x08\x00\x00\x00\x01\x00\x00")),
	  FP("4:64+0:0:1460:mss*44,0:mss,sack:df,id+,bad:0") },
	{ "bad: SACK past the header", SYN4(OPT("\x02\x04\x05\xb4\x05\x12\x00\x00")),
	  FP("4:64+0:0:1460:mss*44,0:mss,sack:df,id+,bad:0") },
	{ "bad: SACK without a length byte", SYN4(OPT("\x02\x04\x05\xb4\x01\x01\x01\x05")),
	  FP("4:64+0:0:1460:mss*44,0:mss,nop,nop,nop,sack:df,id+,bad:0") },
	{ "unknown option 30 (MPTCP) as ?30",
	  SYN4(OPT("\x02\x04\x05\xb4\x1e\x0c\x00\x81\x01\x02\x03\x04\x05\x06\x07\x08")),
	  FP("4:64+0:0:1460:mss*44,0:mss,?30:df,id+:0") },
	{ "unknown option 34 (TFO) as ?34", SYN4(OPT("\x02\x04\x05\xb4\x22\x02\x01\x01")),
	  FP("4:64+0:0:1460:mss*44,0:mss,?34,nop,nop:df,id+:0") },
	{ "bad: unknown option length 1", SYN4(OPT("\x02\x04\x05\xb4\x22\x01\x01\x01")),
	  FP("4:64+0:0:1460:mss*44,0:mss,?34:df,id+,bad:0") },
	{ "bad: unknown option length 0", SYN4(OPT("\x02\x04\x05\xb4\xfd\x00\x01\x01")),
	  FP("4:64+0:0:1460:mss*44,0:mss,?253:df,id+,bad:0") },
	{ "bad: unknown option past the header", SYN4(OPT("\x02\x04\x05\xb4\x22\x08\x00\x00")),
	  FP("4:64+0:0:1460:mss*44,0:mss,?34:df,id+,bad:0") },
	{ "bad: unknown option without a length byte", SYN4(OPT("\x02\x04\x05\xb4\x01\x01\x01\xfe")),
	  FP("4:64+0:0:1460:mss*44,0:mss,nop,nop,nop,?254:df,id+,bad:0") },
	{ "24 options: p0f's limit, not bad", SYN4(OPT(NOP4 NOP4 NOP4 NOP4 NOP4 NOP4)),
	  FP("4:64+0:0:0:64240,0:nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,"
	     "nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop:df,id+:0") },
	{ "bad: more than 24 options", SYN4(OPT(NOP4 NOP4 NOP4 NOP4 NOP4 NOP4 NOP4)),
	  FP("4:64+0:0:0:64240,0:nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,"
	     "nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop:df,id+,bad:0") },
	{ "bad: 24 options, then an EOL",
	  SYN4(OPT(NOP4 NOP4 NOP4 NOP4 NOP4 "\x01\x01\x01\x02\x04\x05\xb4\x00")),
	  FP("4:64+0:0:1460:mss*44,0:nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,"
	     "nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,mss:df,id+,bad:0") },
	{ "40 option bytes (data offset 15)",
	  SYN4(OPT(LINUX4 "\x1e\x14\x00\x81\x01\x02\x03\x04\x05\x06\x07\x08\x01\x02\x03\x04\x05\x06\x07\x08")),
	  FP("4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws,?30:df,id+:0") },
	{ "two timestamps: the last ts1 (zero) decides mss - 12",
	  SYN4(OPT("\x08\x0a\x00\x00\x00\x05\x00\x00\x00\x00\x08\x0a\x00\x00\x00\x00\x00\x00\x00\x00"
		   "\x02\x04\x05\x78"), .win = 13880),
	  FP("4:64+0:0:1400:13880,0:ts,ts,mss:df,id+,ts1-:0") },
	{ "two timestamps: the last ts1 (non-zero) decides mss - 12",
	  SYN4(OPT("\x08\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x08\x0a\x00\x00\x00\x05\x00\x00\x00\x00"
		   "\x02\x04\x05\x78"), .win = 13880),
	  FP("4:64+0:0:1400:mss*10,0:ts,ts,mss:df,id+,ts1-:0") },
	{ "two MSS options: the last one counts", SYN4(OPT("\x02\x04\x02\x00\x02\x04\x05\xb4")),
	  FP("4:64+0:0:1460:mss*44,0:mss,mss:df,id+:0") },
};

static const struct fixture ipv6_fixtures[] = {
	{ "IPv6 Linux-like SYN", SYN6(), FP(SIG6) },
	{ "flow label", SYN6(.flow = 0x12345),
	  FP("6:64+0:0:1440:mss*45,7:mss,sok,ts,nop,ws:flow:0") },
	{ "traffic class ECT(0)", SYN6(.tos = 0x02),
	  FP("6:64+0:0:1440:mss*45,7:mss,sok,ts,nop,ws:ecn:0") },
	{ "traffic class CE with DSCP", SYN6(.tos = 0xbb),
	  FP("6:64+0:0:1440:mss*45,7:mss,sok,ts,nop,ws:ecn:0") },
	{ "traffic class DSCP only: no ecn", SYN6(.tos = 0xb8), FP(SIG6) },
	{ "ecn and flow", SYN6(.tos = 0x01, .flow = 0xfffff),
	  FP("6:64+0:0:1440:mss*45,7:mss,sok,ts,nop,ws:ecn,flow:0") },
	{ "TCP ECE+CWR over IPv6", SYN6(.tflags = TH_SYN | TH_ECE | TH_CWR),
	  FP("6:64+0:0:1440:mss*45,7:mss,sok,ts,nop,ws:ecn:0") },
	{ "hop limit 128", SYN6(.ttl = 128),
	  FP("6:128+0:0:1440:mss*45,7:mss,sok,ts,nop,ws::0") },
	{ "IPv6 window: 1440 (1500 - 60)", SYN6(OPT(LINUX4), .win = 14400),
	  FP("6:64+0:0:1460:mss*10,7:mss,sok,ts,nop,ws::0") },
	{ "IPv6 window: 1428 (1500 - 60 - 12)", SYN6(OPT(LINUX4), .win = 14280),
	  FP("6:64+0:0:1460:mss*10,7:mss,sok,ts,nop,ws::0") },
	{ "IPv6 window: mtu*3 (mss + 60)",
	  SYN6(OPT("\x02\x04\x03\xe8\x04\x02\x08\x0a\x00\x01\xe2\x40\x00\x00\x00\x00\x01\x03\x03\x07"),
	       .win = 3180),
	  FP("6:64+0:0:1000:mtu*3,7:mss,sok,ts,nop,ws::0") },
	{ "IPv6 SYN with payload", SYN6(.payload = 5),
	  FP_DATA("6:64+0:0:1440:mss*45,7:mss,sok,ts,nop,ws::+") },
	{ "hop-by-hop + destination + routing headers (olen 24)",
	  SYN6(EXT({ NH_HOP }, { NH_DST }, { NH_RT })),
	  FP("6:64+0:24:1440:mss*45,7:mss,sok,ts,nop,ws::0") },
	{ "16-byte hop-by-hop header", SYN6(EXT({ NH_HOP, 16 })),
	  FP("6:64+0:16:1440:mss*45,7:mss,sok,ts,nop,ws::0") },
	{ "atomic fragment header (olen 8)", SYN6(EXT({ NH_FRAG, 8, 0 })),
	  FP("6:64+0:8:1440:mss*45,7:mss,sok,ts,nop,ws::0") },
	{ "hop-by-hop + AH (olen 32)", SYN6(EXT({ NH_HOP }, { NH_AH, 24 })),
	  FP("6:64+0:32:1440:mss*45,7:mss,sok,ts,nop,ws::0") },
	{ "six extension headers: the limit",
	  SYN6(EXT({ NH_HOP }, { NH_DST }, { NH_RT }, { NH_DST }, { NH_DST }, { NH_DST })),
	  FP("6:64+0:48:1440:mss*45,7:mss,sok,ts,nop,ws::0") },
	{ "seven extension headers: chain too long",
	  SYN6(EXT({ NH_HOP }, { NH_DST }, { NH_RT }, { NH_DST }, { NH_DST }, { NH_DST }, { NH_DST })),
	  COUNT(HS_ST_ERR_IP6_EXT) },
	{ "extension header longer than the payload length",
	  SYN6(EXT({ NH_HOP }), .ip_len_adj = -44), COUNT(HS_ST_ERR_IP6_EXT) },
	{ "fragment: more-fragments set", SYN6(EXT({ NH_FRAG, 8, 1 })), COUNT(HS_ST_FRAGMENT) },
	{ "fragment: non-zero offset", SYN6(EXT({ NH_FRAG, 8, 185 << 3 })), COUNT(HS_ST_FRAGMENT) },
	{ "fragment after hop-by-hop", SYN6(EXT({ NH_HOP }, { NH_FRAG, 8, 1 })),
	  COUNT(HS_ST_FRAGMENT) },
	{ "IPv6 UDP", SYN6(.proto = NH_UDP), COUNT(HS_ST_NON_TCP) },
	{ "ICMPv6", SYN6(.proto = NH_ICMP6), COUNT(HS_ST_NON_TCP) },
	{ "UDP after a destination header", SYN6(.proto = NH_UDP, EXT({ NH_DST })),
	  COUNT(HS_ST_NON_TCP) },
	{ "IPv4 in IPv6", SYN6(.proto = 4), COUNT(HS_ST_TUNNELED) },
	{ "IPv6 in IPv6", SYN6(.proto = 41), COUNT(HS_ST_TUNNELED) },
	{ "GRE after a destination header", SYN6(.proto = 47, EXT({ NH_DST })),
	  COUNT(HS_ST_TUNNELED) },
	{ "IPv6 UDP to Geneve's port", SYN6(.proto = NH_UDP, .udp = 1, .dport = 6081, .payload = 64),
	  COUNT(HS_ST_TUNNELED) },
	{ "payload length zero (jumbogram)", SYN6(.ip_len_adj = -40), COUNT(HS_ST_ERR_IP6) },
	{ "payload length past the frame", SYN6(.ip_len_adj = 1), COUNT(HS_ST_ERR_IP6) },
	{ "version nibble 4 in an IPv6 frame", SYN6(.vnib = 4), COUNT(HS_ST_ERR_IP6) },
	{ "TCP header cut by the payload length", SYN6(.ip_len_adj = -30), COUNT(HS_ST_ERR_TCP) },
	{ "IPv6 SYN+FIN", SYN6(.tflags = TH_SYN | TH_FIN), COUNT(HS_ST_SYN_BAD_FLAGS) },
};

static const struct fixture vlan_fixtures[] = {
	{ "802.1Q IPv4 SYN", SYN4(TAGS(ETH_P_8021Q)), FP(SIG4) },
	{ "QinQ (802.1ad + 802.1Q) IPv4 SYN", SYN4(TAGS(ETH_P_8021AD, ETH_P_8021Q)), FP(SIG4) },
	{ "double 802.1Q IPv4 SYN", SYN4(TAGS(ETH_P_8021Q, ETH_P_8021Q)), FP(SIG4) },
	{ "802.1Q IPv6 SYN", SYN6(TAGS(ETH_P_8021Q)), FP(SIG6) },
	{ "QinQ IPv6 SYN with flow label", SYN6(TAGS(ETH_P_8021AD, ETH_P_8021Q), .flow = 1),
	  FP("6:64+0:0:1440:mss*45,7:mss,sok,ts,nop,ws:flow:0") },
	{ "QinQ IPv4 SYN with payload", SYN4(TAGS(ETH_P_8021AD, ETH_P_8021Q), .payload = 3),
	  FP_DATA("4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+:+") },
	{ "three tags", SYN4(TAGS(ETH_P_8021AD, ETH_P_8021Q, ETH_P_8021Q)), COUNT(HS_ST_ERR_VLAN) },
	{ "three 802.1ad tags", SYN6(TAGS(ETH_P_8021AD, ETH_P_8021AD, ETH_P_8021AD)),
	  COUNT(HS_ST_ERR_VLAN) },
	{ "802.1Q ARP", { TAGS(ETH_P_8021Q), .eth_type = ETH_P_ARP }, COUNT(HS_ST_NON_IP) },
	{ "QinQ UDP", SYN4(TAGS(ETH_P_8021AD, ETH_P_8021Q), .proto = NH_UDP), COUNT(HS_ST_NON_TCP) },
	{ "802.1Q SYN+ACK", SYN4(TAGS(ETH_P_8021Q), .tflags = TH_SYN | TH_ACK), NOTHING },
};

static const struct fixture other_fixtures[] = {
	{ "ARP", { .eth_type = ETH_P_ARP }, COUNT(HS_ST_NON_IP) },
	{ "LLDP", { .eth_type = 0x88cc }, COUNT(HS_ST_NON_IP) },
	{ "Ethernet header only, unknown type", { .eth_type = 0x88b5, .cut = 46 }, COUNT(HS_ST_NON_IP) },
	{ "Ethernet header only, IPv4 type", SYN4(.cut = 60), COUNT(HS_ST_ERR_IP4) },
	{ "UDP", SYN4(.proto = NH_UDP), COUNT(HS_ST_NON_TCP) },
	{ "ICMP", SYN4(.proto = 1), COUNT(HS_ST_NON_TCP) },
	{ "IPv4 fragment: MF set", SYN4(.frag = IPF_MF), COUNT(HS_ST_FRAGMENT) },
	{ "IPv4 fragment: MF with DF", SYN4(.frag = IPF_DF | IPF_MF), COUNT(HS_ST_FRAGMENT) },
	{ "IPv4 fragment: non-zero offset", SYN4(.frag = 185), COUNT(HS_ST_FRAGMENT) },
	{ "IPv4 fragment: last (offset 1)", SYN4(.frag = 1), COUNT(HS_ST_FRAGMENT) },
	{ "UDP fragment: not TCP first", SYN4(.proto = NH_UDP, .frag = IPF_MF), COUNT(HS_ST_NON_TCP) },
	{ "IP in IP", SYN4(.proto = 4), COUNT(HS_ST_TUNNELED) },
	{ "IPv6 in IP", SYN4(.proto = 41), COUNT(HS_ST_TUNNELED) },
	{ "GRE", SYN4(.proto = 47), COUNT(HS_ST_TUNNELED) },
	{ "GRE fragment: a tunnel's first", SYN4(.proto = 47, .frag = IPF_MF), COUNT(HS_ST_TUNNELED) },
	{ "UDP to VXLAN's port", SYN4(.proto = NH_UDP, .udp = 1, .dport = 4789, .payload = 64),
	  COUNT(HS_ST_TUNNELED) },
	{ "UDP to Geneve's port", SYN4(.proto = NH_UDP, .udp = 1, .dport = 6081, .payload = 64),
	  COUNT(HS_ST_TUNNELED) },
	{ "UDP from VXLAN's port (not to it)",
	  SYN4(.proto = NH_UDP, .udp = 1, .sport = 4789, .dport = 5000, .payload = 64),
	  COUNT(HS_ST_NON_TCP) },
	{ "IP protocol 94 (not a tunnel we name)", SYN4(.proto = 94), COUNT(HS_ST_NON_TCP) },
	{ "SYN+ACK", SYN4(.tflags = TH_SYN | TH_ACK), NOTHING },
	{ "ACK", SYN4(.tflags = TH_ACK, OPT("")), NOTHING },
	{ "FIN", SYN4(.tflags = TH_FIN | TH_ACK, OPT("")), NOTHING },
	{ "RST", SYN4(.tflags = TH_RST, OPT("")), NOTHING },
	{ "no TCP flags", SYN4(.tflags = 0), NOTHING },
	{ "SYN+ACK+FIN", SYN4(.tflags = TH_SYN | TH_ACK | TH_FIN), NOTHING },
	{ "SYN+FIN", SYN4(.tflags = TH_SYN | TH_FIN), COUNT(HS_ST_SYN_BAD_FLAGS) },
	{ "SYN+RST", SYN4(.tflags = TH_SYN | TH_RST), COUNT(HS_ST_SYN_BAD_FLAGS) },
	{ "SYN+FIN+PSH+URG", SYN4(.tflags = TH_SYN | TH_FIN | TH_PSH | TH_URG),
	  COUNT(HS_ST_SYN_BAD_FLAGS) },
	{ "IHL 4", SYN4(.ihl = 4), COUNT(HS_ST_ERR_IP4) },
	{ "IHL 0", SYN4(.ihl = 0xf0 /* low nibble 0 */), COUNT(HS_ST_ERR_IP4) },
	{ "IHL 15, beyond the total length", SYN4(OPT(""), .ihl = 15, .ip_len_adj = -8),
	  COUNT(HS_ST_ERR_IP4) },
	{ "version nibble 6 in an IPv4 frame", SYN4(.vnib = 6), COUNT(HS_ST_ERR_IP4) },
	{ "total length past the frame", SYN4(.ip_len_adj = 1), COUNT(HS_ST_ERR_IP4) },
	{ "total length past the frame by 1000", SYN4(.ip_len_adj = 1000), COUNT(HS_ST_ERR_IP4) },
	{ "total length below the header", SYN4(.ip_len_adj = -45), COUNT(HS_ST_ERR_IP4) },
	{ "total length leaves 10 bytes of TCP", SYN4(.ip_len_adj = -30), COUNT(HS_ST_ERR_TCP) },
	{ "TCP data offset 4", SYN4(OPT(""), .doff = 4), COUNT(HS_ST_ERR_TCP) },
	{ "TCP data offset 0", SYN4(OPT(""), .doff = 0x10 /* low nibble 0 */), COUNT(HS_ST_ERR_TCP) },
	{ "TCP data offset past the IP length", SYN4(OPT(""), .doff = 15), COUNT(HS_ST_ERR_TCP) },
	{ "TCP data offset past the IP length, padding in the frame",
	  SYN4(.doff = 15, .pad = 20), COUNT(HS_ST_ERR_TCP) },
	{ "TCP options cut by the total length", SYN4(.ip_len_adj = -4, .pad = 0), COUNT(HS_ST_ERR_TCP) },
};

static const struct {
	const char *name;
	const struct fixture *fx;
	int n;
} tables[] = {
#define TABLE(t) { #t, t, (int)(sizeof(t) / sizeof(t[0])) }
	TABLE(ipv4_fixtures),
	TABLE(option_fixtures),
	TABLE(ipv6_fixtures),
	TABLE(vlan_fixtures),
	TABLE(other_fixtures),
};

/* The sig of the one tcp_fps entry, or "" when there is not exactly one. */
static int only_fp(struct env *e, __u64 *id, struct hs_tcp_fp *v)
{
	__u64 keys[4];
	int n = fp_keys(e, keys, 4);

	if (n == 1) {
		*id = keys[0];
		if (fp_get(e, keys[0], v))
			return -1;
	}
	return n;
}

/* Run one fixture against empty maps and check everything it promises. */
static void run_fixture(struct env *e, const struct fixture *fx, char *sig_out, size_t sig_len)
{
	struct hs_stats before, after;
	struct hs_endpoints want_ep;
	struct hs_tcp_fp v;
	struct frame f;
	char sig[256] = "";
	__u32 ret = ~0u;
	__u64 id = 0;
	int err, j, n;

	fp_clear(e);
	drain(e);
	build(&fx->p, &f);
	stats(e, &before);
	err = run(e, f.b, f.len, &ret);
	if (err) {
		note("%s: test run: expected success, got %s (frame of %d bytes)",
		     fx->desc, strerror(-err), f.len);
		fails++;
		return;
	}
	stats(e, &after);
	CHECK_INT(fx->desc, "verdict", fx->verdict, ret);
	for (j = 0; j < HS_ST__COUNT; j++) {
		char what[64];

		snprintf(what, sizeof(what), "counter %s delta", hs_stat_names[j]);
		CHECK_INT(fx->desc, what, fx->st.c[j] + (j == HS_ST_PACKETS),
			  after.c[j] - before.c[j]);
	}
	n = only_fp(e, &id, &v);
	CHECK_INT(fx->desc, "new tcp_fps entries", fx->new_ids, n);
	if (n == 1) {
		render(&v.sig, sig, sizeof(sig));
		if (fx->sig)
			CHECK_STR(fx->desc, "raw_sig", fx->sig, sig);
		CHECK_INT(fx->desc, "syns in the map value", 1, v.syns);
	}
	if (sig_out)
		snprintf(sig_out, sig_len, "%s", sig);

	ring_buffer__consume(e->rb);
	CHECK_INT(fx->desc, "ring buffer events", fx->st.c[HS_ST_SYNS], e->nev);
	if (e->nev == 1 && n == 1) {
		const struct hs_event *ev = &e->ev[0];
		char evsig[256];

		spec_endpoints(&fx->p, &want_ep);
		CHECK_INT(fx->desc, "event type", HS_EV_TCP_NEW, ev->type);
		CHECK_INT(fx->desc, "event fp_id equals the map key", 1, ev->fp_id == id);
		CHECK_INT(fx->desc, "event family", want_ep.family, ev->ep.family);
		CHECK_INT(fx->desc, "event sport", want_ep.sport, ev->ep.sport);
		CHECK_INT(fx->desc, "event dport", want_ep.dport, ev->ep.dport);
		CHECK_INT(fx->desc, "event saddr equal", 1,
			  !memcmp(want_ep.saddr, ev->ep.saddr, 16));
		CHECK_INT(fx->desc, "event daddr equal", 1,
			  !memcmp(want_ep.daddr, ev->ep.daddr, 16));
		render(&ev->sig, evsig, sizeof(evsig));
		CHECK_STR(fx->desc, "event raw_sig", sig, evsig);
	}
}

static void run_table(void **state, const struct fixture *fx, int n)
{
	struct env *e = need_env(state);
	int i;

	for (i = 0; i < n; i++)
		run_fixture(e, &fx[i], NULL, 0);
	note("%d fixtures", n);
	CHECKS_DONE();
}

#define TABLE_TEST(t) \
static void test_##t(void **state) \
{ \
	run_table(state, t, (int)(sizeof(t) / sizeof(t[0]))); \
}

TABLE_TEST(ipv4_fixtures)
TABLE_TEST(option_fixtures)
TABLE_TEST(ipv6_fixtures)
TABLE_TEST(vlan_fixtures)
TABLE_TEST(other_fixtures)

/* ------------------------------------------------------------------ */
/* p0f: write the fixtures p0f can read to a pcap, compare raw_sig. */

/* p0f 3.09b reads Ethernet at a fixed offset and no IPv6 extension headers. */
static int p0f_readable(const struct pspec *p)
{
	return p->ntags == 0 && p->next == 0;
}

struct p0f_row {
	const struct fixture *fx;
	char ours[256];
	char p0f[256];
};

static void test_p0f_agreement(void **state)
{
	struct env *e = need_env(state);
	static struct p0f_row rows[512];
	char path[] = "/tmp/hs-test-xdp-XXXXXX.pcap";
	char cmd[512], line[1024], client_port[16] = "";
	int fd, t, i, nrows = 0, compared = 0, in_syn = 0;
	FILE *pcap, *out;

	if (system("command -v p0f >/dev/null 2>&1") != 0) {
		note("skipped: p0f is not installed");
		skip();
	}
	fd = mkstemps(path, 5);
	assert_true(fd >= 0);
	pcap = fdopen(fd, "wb");
	assert_non_null(pcap);
	{
		struct { __u32 magic; __u16 maj, min; __s32 zone; __u32 sigfigs, snap, link; }
			gh = { 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1 /* Ethernet */ };
		fwrite(&gh, sizeof(gh), 1, pcap);
	}
	for (t = 0; t < (int)(sizeof(tables) / sizeof(tables[0])); t++) {
		for (i = 0; i < tables[t].n; i++) {
			const struct fixture *fx = &tables[t].fx[i];
			struct p0f_row *r = &rows[nrows];
			struct pspec p = fx->p;
			struct frame f;
			struct { __u32 sec, usec, caplen, len; } ph;

			if (!p0f_readable(&p) || nrows >= 512)
				continue;
			/* our signature, from the program */
			r->fx = fx;
			run_fixture(e, fx, r->ours, sizeof(r->ours));
			/* p0f tracks flows: one source port per packet */
			p.sport = 20000 + nrows;
			build(&p, &f);
			ph.sec = 1700000000 + nrows;
			ph.usec = 0;
			ph.caplen = ph.len = f.len;
			fwrite(&ph, sizeof(ph), 1, pcap);
			fwrite(f.b, f.len, 1, pcap);
			nrows++;
		}
	}
	assert_int_equal(fclose(pcap), 0);

	snprintf(cmd, sizeof(cmd), "p0f -r %s 2>/dev/null", path);
	out = popen(cmd, "r");
	assert_non_null(out);
	/*
	 * .-[ 198.51.100.7/20000 -> 203.0.113.9/443 (syn) ]-
	 * | raw_sig  = 4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+:0
	 */
	while (fgets(line, sizeof(line), out)) {
		char *arrow, *slash, *sig;

		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, ".-[ ", 4)) {
			in_syn = strstr(line, "(syn)") != NULL;
			arrow = strstr(line, " -> ");
			if (!arrow)
				continue;
			*arrow = '\0';
			slash = strrchr(line, '/');
			snprintf(client_port, sizeof(client_port), "%s", slash ? slash + 1 : "");
			continue;
		}
		if (in_syn && !strncmp(line, "| raw_sig", 9) && (sig = strstr(line, "= "))) {
			int port = atoi(client_port) - 20000;

			if (port >= 0 && port < nrows)
				snprintf(rows[port].p0f, sizeof(rows[port].p0f), "%s", sig + 2);
			in_syn = 0;
		}
	}
	pclose(out);
	unlink(path);

	for (i = 0; i < nrows; i++) {
		const struct p0f_row *r = &rows[i];

		if (r->ours[0] || r->p0f[0])
			compared++;
		if (strcmp(r->ours, r->p0f)) {
			note("%s: p0f raw_sig: p0f printed \"%s\", we rendered \"%s\"",
			     r->fx->desc, r->p0f[0] ? r->p0f : "(nothing)",
			     r->ours[0] ? r->ours : "(nothing)");
			fails++;
		}
	}
	note("%d packets written for p0f, %d SYN signatures compared", nrows, compared);
	CHECKS_DONE();
}

/* ------------------------------------------------------------------ */
/* Truncation: every prefix is an error, counted once, never a fingerprint. */

static void truncate_all(struct env *e, const char *name, const struct pspec *p,
			 int l3_stat)
{
	struct frame f;
	int len, j, tried = 0;

	build(p, &f);
	for (len = 1; len < f.len; len++) {
		struct hs_stats before, after;
		char desc[128];
		__u32 ret = ~0u;
		int err, moved = 0, which = -1, want;

		snprintf(desc, sizeof(desc), "%s cut to %d of %d bytes", name, len, f.len);
		fp_clear(e);
		drain(e);
		stats(e, &before);
		err = run(e, f.b, len, &ret);
		if (len < ETH_HLEN) {
			/* the kernel refuses XDP test input shorter than Ethernet */
			if (!err) {
				note("%s: test run: expected an error, got success", desc);
				fails++;
			}
			continue;
		}
		if (err) {
			note("%s: test run: expected success, got %s", desc, strerror(-err));
			fails++;
			continue;
		}
		tried++;
		stats(e, &after);
		CHECK_INT(desc, "verdict", XDP_PASS, ret);
		CHECK_INT(desc, "counter packets delta", 1,
			  after.c[HS_ST_PACKETS] - before.c[HS_ST_PACKETS]);
		for (j = HS_ST_PACKETS + 1; j < HS_ST__COUNT; j++) {
			__u64 d = after.c[j] - before.c[j];

			if (d) {
				moved += d;
				which = j;
			}
		}
		CHECK_INT(desc, "counters moved besides packets", 1, moved);
		/* VLAN tags end at f.l3; after that the IP length gives it away */
		want = len < f.l3 ? HS_ST_ERR_VLAN : l3_stat;
		if (moved == 1 && which != want) {
			note("%s: counter moved: expected %s, got %s", desc,
			     hs_stat_names[want], hs_stat_names[which]);
			fails++;
		}
		CHECK_INT(desc, "tcp_fps entries", 0, fp_keys(e, NULL, 0));
		ring_buffer__consume(e->rb);
		CHECK_INT(desc, "ring buffer events", 0, e->nev);
	}
	note("%s: %d truncated frames run (%d bytes in full)", name, tried, f.len);
}

static void test_truncation(void **state)
{
	struct env *e = need_env(state);
	const struct pspec v4 = SYN4(IPOPT("\x94\x04\x00\x00"), .payload = 4);
	const struct pspec v6 = SYN6(EXT({ NH_HOP }, { NH_FRAG }, { NH_DST, 16 }, { NH_RT }));
	const struct pspec qinq = SYN4(TAGS(ETH_P_8021AD, ETH_P_8021Q));
	struct hs_stats before, after;
	struct frame f;
	__u32 ret;

	/* the full packets are fingerprinted: the cuts are what fails */
	build(&v6, &f);
	stats(e, &before);
	assert_int_equal(run(e, f.b, f.len, &ret), 0);
	stats(e, &after);
	assert_int_equal(after.c[HS_ST_SYNS] - before.c[HS_ST_SYNS], 1);

	truncate_all(e, "IPv4 SYN with IP and TCP options", &v4, HS_ST_ERR_IP4);
	truncate_all(e, "IPv6 SYN with 4 extension headers", &v6, HS_ST_ERR_IP6);
	truncate_all(e, "QinQ IPv4 SYN", &qinq, HS_ST_ERR_IP4);
	CHECKS_DONE();
}

/* ------------------------------------------------------------------ */
/* Fingerprint ids: per-connection values do not matter, the sig does. */

static void test_same_sig_same_id(void **state)
{
	struct env *e = need_env(state);
	static const char *srcs[] = { "198.51.100.1", "192.0.2.77", "10.1.2.3",
				      "198.18.4.5", "203.0.113.200" };
	/* ts1 values differ (non-zero), ts2 stays zero */
	static const char *opts[] = {
		"\x02\x04\x05\xb4\x04\x02\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x00\x01\x03\x03\x07",
		"\x02\x04\x05\xb4\x04\x02\x08\x0a\x12\x34\x56\x78\x00\x00\x00\x00\x01\x03\x03\x07",
		"\x02\x04\x05\xb4\x04\x02\x08\x0a\xff\xff\xff\xff\x00\x00\x00\x00\x01\x03\x03\x07",
		"\x02\x04\x05\xb4\x04\x02\x08\x0a\x00\x01\xe2\x40\x00\x00\x00\x00\x01\x03\x03\x07",
		"\x02\x04\x05\xb4\x04\x02\x08\x0a\x80\x00\x00\x00\x00\x00\x00\x00\x01\x03\x03\x07",
	};
	struct hs_stats before, after;
	struct hs_tcp_fp v;
	__u64 keys[8], id0 = 0;
	char sig[256];
	int i, n;
	__u32 ret;

	fp_clear(e);
	drain(e);
	stats(e, &before);
	for (i = 0; i < 5; i++) {
		struct pspec p = SYN4(.src = srcs[i], .sport = 1024 + 7919 * i,
				      .dport = i & 1 ? 80 : 443, .ip_id = 1 + 4099 * i,
				      .seq = 0x9e3779b9u * (i + 1));
		struct frame f;

		p.opts = (const __u8 *)opts[i];
		build(&p, &f);
		assert_int_equal(run(e, f.b, f.len, &ret), 0);
	}
	stats(e, &after);
	n = fp_keys(e, keys, 8);
	assert_int_equal(n, 1);
	id0 = keys[0];
	assert_int_equal(fp_get(e, id0, &v), 0);
	assert_int_equal(v.syns, 5);
	render(&v.sig, sig, sizeof(sig));
	assert_string_equal(sig, SIG4);
	assert_int_equal(after.c[HS_ST_SYNS] - before.c[HS_ST_SYNS], 5);
	assert_int_equal(after.c[HS_ST_FP_NEW] - before.c[HS_ST_FP_NEW], 1);

	ring_buffer__consume(e->rb);
	assert_int_equal(e->nev, 5);
	for (i = 0; i < 5; i++) {
		assert_int_equal(e->ev[i].type, i ? HS_EV_TCP_SYN : HS_EV_TCP_NEW);
		assert_true(e->ev[i].fp_id == id0);
	}

	/* a different TTL, then a different window: a new id each */
	{
		const struct pspec ttl = SYN4(.ttl = 63), win = SYN4(.win = 29200);
		struct frame f;

		build(&ttl, &f);
		assert_int_equal(run(e, f.b, f.len, &ret), 0);
		assert_int_equal(fp_keys(e, keys, 8), 2);
		build(&win, &f);
		assert_int_equal(run(e, f.b, f.len, &ret), 0);
		assert_int_equal(fp_keys(e, keys, 8), 3);
		/* and the same TTL again: no new id */
		build(&ttl, &f);
		assert_int_equal(run(e, f.b, f.len, &ret), 0);
		assert_int_equal(fp_keys(e, keys, 8), 3);
	}
	ring_buffer__consume(e->rb);
	assert_int_equal(e->nev, 8);
	assert_int_equal(e->ev[5].type, HS_EV_TCP_NEW);
	assert_int_equal(e->ev[6].type, HS_EV_TCP_NEW);
	assert_int_equal(e->ev[7].type, HS_EV_TCP_SYN);
	assert_true(e->ev[5].fp_id != id0);
	assert_true(e->ev[6].fp_id != id0);
	assert_true(e->ev[6].fp_id != e->ev[5].fp_id);
	assert_true(e->ev[7].fp_id == e->ev[5].fp_id);
	render(&e->ev[5].sig, sig, sizeof(sig));
	assert_string_equal(sig, "4:63+1:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+:0");
	render(&e->ev[6].sig, sig, sizeof(sig));
	assert_string_equal(sig, "4:64+0:0:1460:mss*20,7:mss,sok,ts,nop,ws:df,id+:0");
}

/* ------------------------------------------------------------------ */
/* The remembered ids (syn_memo, syn_ids): a SYN whose signature an entry
 * holds takes the entry's ids; two signatures that share an entry never
 * get each other's; an entry being written (seq odd) is neither used nor
 * written. */

/* Every CPU's copy of syn_memo entry i (ncpu of them) into v. */
static void memo_read(struct env *e, __u32 i, struct hs_syn_memo *v)
{
	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(e->skel->maps.syn_memo), &i, v), 0);
}

static void memo_write(struct env *e, __u32 i, const struct hs_syn_memo *v)
{
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(e->skel->maps.syn_memo), &i, v, 0), 0);
}

/* The entry of syn_memo whose words are sig's, on some CPU: its index,
 * or -1. */
static int memo_find(struct env *e, const struct hs_tcp_sig *sig, struct hs_syn_memo *v, int ncpu)
{
	__u32 i;
	int c;

	for (i = 0; i < HS_SYN_MEMO; i++) {
		memo_read(e, i, v);
		for (c = 0; c < ncpu; c++)
			if (!memcmp(v[c].w, sig, sizeof(*sig)))
				return (int)i;
	}
	return -1;
}

/* The one tcp_fps entry whose signature has this MSS: its key; its value
 * in *v. The key must be the chain's (hs_tcp_ids) of its signature. */
static __u64 fp_of(struct env *e, __u16 mss, struct hs_tcp_fp *v)
{
	__u64 keys[8], stack, found = 0;
	int i, n = fp_keys(e, keys, 8);

	for (i = 0; i < n && i < 8; i++) {
		assert_int_equal(fp_get(e, keys[i], v), 0);
		if (v->sig.mss == mss) {
			assert_true(!found);
			found = keys[i];
		}
	}
	assert_true(found);
	assert_int_equal(fp_get(e, found, v), 0);
	assert_true((found & ~1ULL) == (hs_tcp_ids(&v->sig, &stack) & ~1ULL));
	return found;
}

static void test_memo(void **state)
{
	struct env *e = need_env(state);
	/* the Linux layout with MSS 1460 and 1204 (0x5b4, 0x4b4): the same
	 * TTL, window, layout and MSS low byte, so the same entry */
	const struct pspec a = SYN4(), b = SYN4(OPT(
		"\x02\x04\x04\xb4\x04\x02\x08\x0a\x00\x01\xe2\x40\x00\x00\x00\x00\x01\x03\x03\x07"));
	int ncpu = libbpf_num_possible_cpus(), i, c, slot;
	struct hs_syn_memo *m = calloc((size_t)ncpu, sizeof(*m));
	struct frame fa, fb;
	struct hs_tcp_fp va, vb;
	__u64 ida, idb, poison = 0x1234567890abcdeeULL, stack;
	__u32 ret;

	assert_non_null(m);
	build(&a, &fa);
	build(&b, &fb);
	fp_clear(e);
	for (i = 0; i < 5; i++) {
		const struct frame *f = i & 1 ? &fb : &fa;

		assert_int_equal(run(e, f->b, f->len, &ret), 0);
		assert_int_equal(ret, XDP_PASS);
	}
	assert_int_equal(fp_keys(e, NULL, 0), 2);
	ida = fp_of(e, 1460, &va);
	idb = fp_of(e, 1204, &vb);
	assert_int_equal(va.syns, 3);
	assert_int_equal(vb.syns, 2);

	/* the last SYN's signature has an entry, holding its ids; the one
	 * before it, the other signature, had the same */
	slot = memo_find(e, &va.sig, m, ncpu);
	assert_true(slot >= 0);
	assert_int_equal(memo_find(e, &vb.sig, m, ncpu), -1);
	memo_read(e, (__u32)slot, m);
	hs_tcp_ids(&va.sig, &stack);
	for (c = 0; c < ncpu; c++)
		if (!memcmp(m[c].w, &va.sig, sizeof(va.sig))) {
			assert_true((m[c].id & ~1ULL) == (ida & ~1ULL));
			assert_true(m[c].stack == stack);
			assert_int_equal(m[c].seq & 1, 0);
		}

	/* an entry with a's words is used as it is: a's SYN is counted under
	 * the id it holds (so the entry is what a SYN consults) */
	for (c = 0; c < ncpu; c++) {
		memcpy(m[c].w, &va.sig, sizeof(va.sig));
		m[c].id = poison;
		m[c].seq = 2;
	}
	memo_write(e, (__u32)slot, m);
	assert_int_equal(run(e, fa.b, fa.len, &ret), 0);
	assert_int_equal(fp_keys(e, NULL, 0), 3);
	assert_int_equal(fp_get(e, HS_GEN_KEY(poison, ida), &vb), 0);
	assert_int_equal(vb.syns, 1);

	/* ... but not while its seq is odd: then the chain's id, and the
	 * entry left as it was */
	for (c = 0; c < ncpu; c++)
		m[c].seq = 3;
	memo_write(e, (__u32)slot, m);
	assert_int_equal(run(e, fa.b, fa.len, &ret), 0);
	assert_int_equal(run(e, fb.b, fb.len, &ret), 0);
	assert_int_equal(fp_keys(e, NULL, 0), 3);
	assert_int_equal(fp_get(e, ida, &va), 0);
	assert_int_equal(va.syns, 4);
	assert_int_equal(fp_get(e, idb, &vb), 0);
	assert_int_equal(vb.syns, 3);
	memo_read(e, (__u32)slot, m);
	for (c = 0; c < ncpu; c++) {
		assert_int_equal(m[c].seq, 3);
		assert_true(m[c].id == poison);
		assert_memory_equal(m[c].w, &va.sig, sizeof(va.sig));
	}
	free(m);
}

/* ------------------------------------------------------------------ */
/* Ring buffer: one event per fingerprinted SYN, with its endpoints. */

static void test_ringbuf_endpoints(void **state)
{
	struct env *e = need_env(state);
	const struct pspec ps[] = {
		SYN4(.src = "192.0.2.1", .dst = "198.51.100.200", .sport = 1, .dport = 65535),
		SYN4(.src = "10.255.0.9", .dst = "172.16.3.4", .sport = 65535, .dport = 22,
		     TAGS(ETH_P_8021Q)),
		SYN6(.src = "2001:db8::1", .dst = "2001:db8:ffff::2", .sport = 51000, .dport = 443),
		SYN6(.src = "fe80::1:2:3:4", .dst = "ff02::1", .sport = 12345, .dport = 8080,
		     EXT({ NH_HOP }), .flow = 0xabcde),
		SYN4(.tflags = TH_SYN | TH_ACK),        /* no event */
		SYN4(.src = "192.0.2.1", .dst = "198.51.100.200", .sport = 2, .dport = 65535,
		     .ip_id = 0xbeef),
	};
	/* the tagged SYN has the first one's signature: not a new id */
	const int want_type[] = { HS_EV_TCP_NEW, HS_EV_TCP_SYN, HS_EV_TCP_NEW, HS_EV_TCP_NEW,
				  HS_EV_TCP_SYN };
	const int pi[] = { 0, 1, 2, 3, 5 };    /* packet of each event */
	char desc[64];
	int i;
	__u32 ret;

	fp_clear(e);
	drain(e);
	for (i = 0; i < (int)(sizeof(ps) / sizeof(ps[0])); i++) {
		struct frame f;

		build(&ps[i], &f);
		e->skel->bss->replay_now_ns = 1000 + i;
		assert_int_equal(run(e, f.b, f.len, &ret), 0);
		assert_int_equal(ret, XDP_PASS);
	}
	assert_int_equal(ring_buffer__consume(e->rb), 5);
	assert_int_equal(e->nev, 5);
	for (i = 0; i < 5; i++) {
		const struct hs_event *ev = &e->ev[i];
		const struct pspec *p = &ps[pi[i]];
		struct hs_endpoints want;
		struct hs_tcp_fp v;
		char a[64], b[64];

		snprintf(desc, sizeof(desc), "event %d", i);
		spec_endpoints(p, &want);
		CHECK_INT(desc, "type", want_type[i], ev->type);
		CHECK_INT(desc, "ts_ns", 1000 + pi[i], ev->ts_ns);
		CHECK_INT(desc, "family", want.family, ev->ep.family);
		fmt_addr(&want, true, a, sizeof(a));
		fmt_addr(&ev->ep, true, b, sizeof(b));
		CHECK_STR(desc, "source address", a, b);
		fmt_addr(&want, false, a, sizeof(a));
		fmt_addr(&ev->ep, false, b, sizeof(b));
		CHECK_STR(desc, "destination address", a, b);
		CHECK_INT(desc, "saddr bytes equal (zero beyond IPv4)", 1,
			  !memcmp(want.saddr, ev->ep.saddr, 16));
		CHECK_INT(desc, "daddr bytes equal (zero beyond IPv4)", 1,
			  !memcmp(want.daddr, ev->ep.daddr, 16));
		CHECK_INT(desc, "sport", want.sport, ev->ep.sport);
		CHECK_INT(desc, "dport", want.dport, ev->ep.dport);
		CHECK_INT(desc, "fp_id is a tcp_fps key", 0, fp_get(e, ev->fp_id, &v));
	}
	/* per-connection observations */
	CHECK_INT("event 0", "obs.ip_id", 0x3039, e->ev[0].obs.ip_id);
	CHECK_INT("event 0", "obs.ts1", 0x1e240, e->ev[0].obs.ts1);
	CHECK_INT("event 0", "obs.ts2", 0, e->ev[0].obs.ts2);
	CHECK_INT("event 3", "obs.flow_label", 0xabcde, e->ev[3].obs.flow_label);
	CHECK_INT("event 4", "obs.ip_id", 0xbeef, e->ev[4].obs.ip_id);
	CHECK_INT("event 4", "fp_id of the same sig as event 0", 1,
		  e->ev[4].fp_id == e->ev[0].fp_id);
	CHECKS_DONE();
}

/* ------------------------------------------------------------------ */
/* Replay clock: first_ns / last_ns in the map value. */

static void test_timestamps(void **state)
{
	struct env *e = need_env(state);
	const __u64 t0 = 1700000000ULL * 1000000000ULL;
	const struct pspec p = SYN4();
	struct hs_tcp_fp v;
	struct frame f;
	__u64 keys[2];
	__u32 ret;

	fp_clear(e);
	drain(e);
	build(&p, &f);

	e->skel->bss->replay_now_ns = t0;
	assert_int_equal(run(e, f.b, f.len, &ret), 0);
	assert_int_equal(fp_keys(e, keys, 2), 1);
	assert_int_equal(fp_get(e, keys[0], &v), 0);
	assert_int_equal(v.first_ns, t0);
	assert_int_equal(v.last_ns, t0);

	e->skel->bss->replay_now_ns = t0 + 5000000000ULL;
	assert_int_equal(run(e, f.b, f.len, &ret), 0);
	assert_int_equal(fp_get(e, keys[0], &v), 0);
	assert_int_equal(v.first_ns, t0);
	assert_int_equal(v.last_ns, t0 + 5000000000ULL);

	/* an older packet (reordered capture) does not move last_ns back */
	e->skel->bss->replay_now_ns = t0 + 2000000000ULL;
	assert_int_equal(run(e, f.b, f.len, &ret), 0);
	assert_int_equal(fp_get(e, keys[0], &v), 0);
	assert_int_equal(v.first_ns, t0);
	assert_int_equal(v.last_ns, t0 + 5000000000ULL);
	assert_int_equal(v.syns, 3);

	ring_buffer__consume(e->rb);
	assert_int_equal(e->nev, 3);
	assert_int_equal(e->ev[0].ts_ns, t0);
	assert_int_equal(e->ev[1].ts_ns, t0 + 5000000000ULL);
	assert_int_equal(e->ev[2].ts_ns, t0 + 2000000000ULL);
}

/* Live, the program's clock is the start of the current tick, from the
 * jiffies (hs_load measured the tick and where the jiffies start): a SYN's
 * first_ns is a whole number of ticks past jiffy_base_ns (the coarse
 * clock's helper, which the program reads when they are not set, is not
 * on that grid), at or before CLOCK_MONOTONIC after its run, within a tick
 * and 2 ms of it before. */
static void test_live_clock(void **state)
{
	struct env *e = need_env(state);
	const struct pspec p = SYN4();
	__u64 keys[2], tick, base, before, after;
	struct hs_tcp_fp v;
	struct timespec ts;
	struct frame f;
	__u32 ret;

	tick = e->skel->bss->jiffy_ns;
	base = e->skel->bss->jiffy_base_ns;
	if (tick != 10000000 && tick != 4000000 && tick != 3333333 && tick != 1000000)
		fail_msg("jiffy_ns %llu: not the tick of HZ 100, 250, 300 or 1000",
			 (unsigned long long)tick);
	fp_clear(e);
	build(&p, &f);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	before = (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
	assert_int_equal(run(e, f.b, f.len, &ret), 0);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	after = (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
	assert_int_equal(ret, XDP_PASS);
	assert_int_equal(fp_keys(e, keys, 2), 1);
	assert_int_equal(fp_get(e, keys[0], &v), 0);
	if ((v.first_ns - base) % tick)
		fail_msg("first_ns %llu: %llu ns past a tick's start (jiffy_ns %llu, base %llu)",
			 (unsigned long long)v.first_ns,
			 (unsigned long long)((v.first_ns - base) % tick),
			 (unsigned long long)tick, (unsigned long long)base);
	/* at or before the clock, within a tick and hs_clock_measure's 1 ms
	 * margin (and its own error: microseconds) */
	if (v.first_ns + tick + 2000000 < before || v.first_ns > after)
		fail_msg("first_ns %llu: not within a tick and 2 ms before [%llu, %llu]",
			 (unsigned long long)v.first_ns, (unsigned long long)before,
			 (unsigned long long)after);
	fp_clear(e);
}

/* ------------------------------------------------------------------ */
/* HyperLogLog through the real program. */

#define HLL_TOL (3 * 1.04 / sqrt(HS_HLL_M))

static int within(double est, double truth, double tol)
{
	return est >= truth * (1 - tol) && est <= truth * (1 + tol);
}

/* The kernel's registers against the same addresses' in userspace: the
 * extension's hash and register layout (hs_hash.h), byte for byte. */
static void same_registers(const char *what, const char *which, const __u8 *kernel,
			   const __u8 *want)
{
	unsigned int i;

	for (i = 0; i < HS_HLL_M; i++)
		if (kernel[i] != want[i])
			fail_msg("%s: %s register %u: expected %u (userspace's hash), got %u", what,
				 which, i, want[i], kernel[i]);
}

static void reg_add(__u8 *reg, __u64 h)
{
	if (reg[hs_hll_index(h)] < hs_hll_rank(h))
		reg[hs_hll_index(h)] = hs_hll_rank(h);
}

/* Feed n SYNs whose source addresses come from addr_of(i); check the sketches. */
static void hll_case(struct env *e, const struct pspec *p, int n, int nets,
		     void (*addr_of)(int i, __u8 *a), const char *what)
{
	static __u8 want_ips[HS_HLL_M], want_nets[HS_HLL_M];
	struct hs_stats before, after;
	struct hs_tcp_fp v;
	struct frame f;
	__u64 keys[2];
	double ips, nts;
	int i, events = 0, soff;
	__u32 ret;
	struct timespec t1, t2;

	fp_clear(e);
	drain(e);
	build(p, &f);
	soff = f.l3 + (p->ver == 6 ? 8 : 12);
	stats(e, &before);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	memset(want_ips, 0, sizeof(want_ips));
	memset(want_nets, 0, sizeof(want_nets));
	for (i = 0; i < n; i++) {
		__u8 a[16] = { 0 };

		addr_of(i, f.b + soff);
		addr_of(i, a);
		reg_add(want_ips, hs_hash_addr(a, (__u8)p->ver));
		reg_add(want_nets, hs_hash_net(a, (__u8)p->ver));
		if (run(e, f.b, f.len, &ret))
			fail_msg("%s: test run %d: expected success, got %s", what, i,
				 strerror(errno));
		if ((i & 1023) == 1023) {
			drain(e);
			events += e->nev;
		}
	}
	drain(e);
	events += e->nev;
	clock_gettime(CLOCK_MONOTONIC, &t2);
	stats(e, &after);
	assert_int_equal(fp_keys(e, keys, 2), 1);
	assert_int_equal(fp_get(e, keys[0], &v), 0);
	assert_int_equal(v.syns, n);
	assert_int_equal(events, n);
	assert_int_equal(after.c[HS_ST_RB_DROP] - before.c[HS_ST_RB_DROP], 0);
	ips = hll_estimate(v.hll_ips);
	nts = hll_estimate(v.hll_nets);
	print_message("# HLL %s: %d addresses -> %.1f (%+.2f%%), %d networks -> %.1f (%+.2f%%), %.2fs\n",
		      what, n, ips, 100 * (ips - n) / n, nets, nts, 100 * (nts - nets) / nets,
		      (t2.tv_sec - t1.tv_sec) + (t2.tv_nsec - t1.tv_nsec) / 1e9);
	same_registers(what, "hll_ips", v.hll_ips, want_ips);
	same_registers(what, "hll_nets", v.hll_nets, want_nets);
	/* three standard errors (1.04 / sqrt(m)) */
	if (!within(ips, n, HLL_TOL))
		fail_msg("%s: hll_ips: expected %d +- %.1f%%, got %.1f", what, n, 100 * HLL_TOL, ips);
	if (!within(nts, nets, HLL_TOL))
		fail_msg("%s: hll_nets: expected %d +- %.1f%%, got %.1f", what, nets,
			 100 * HLL_TOL, nts);
}

/* 198.18.0.0/15 holds 2^17 addresses: an odd multiplier permutes them, so
 * consecutive i land in different /24s. */
static __u32 v4_index(int i)
{
	return ((__u32)i * 40503u) & 0x1ffff;
}

static void v4_addr(int i, __u8 *a)
{
	__u32 x = (198u << 24 | 18u << 16) + v4_index(i);

	a[0] = x >> 24;
	a[1] = x >> 16;
	a[2] = x >> 8;
	a[3] = x;
}

/* 2001:db8:NNNN::HHHH:LLLL with NNNN from a 400-value cycle */
static void v6_addr(int i, __u8 *a)
{
	unsigned int net = ((unsigned int)i * 37) % 400;

	memset(a, 0, 16);
	a[0] = 0x20; a[1] = 0x01; a[2] = 0x0d; a[3] = 0xb8;
	a[4] = net >> 8; a[5] = net;
	a[12] = i >> 24; a[13] = i >> 16; a[14] = i >> 8; a[15] = i;
}

static int v4_nets(int n)
{
	static unsigned char seen[512];
	int i, c = 0;

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < n; i++) {
		__u32 net = v4_index(i) >> 8;

		c += !seen[net];
		seen[net] = 1;
	}
	return c;
}

static int v6_nets(int n)
{
	static unsigned char seen[400];
	int i, c = 0;

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < n; i++) {
		unsigned int net = ((unsigned int)i * 37) % 400;

		c += !seen[net];
		seen[net] = 1;
	}
	return c;
}

static void test_hll_ipv4(void **state)
{
	struct env *e = need_env(state);
	const struct pspec p = SYN4();
	static const int ns[] = { 10, 1000, 100000 };
	char what[64];
	int i;

	for (i = 0; i < 3; i++) {
		snprintf(what, sizeof(what), "IPv4 %d sources", ns[i]);
		hll_case(e, &p, ns[i], v4_nets(ns[i]), v4_addr, what);
	}
}

static void test_hll_ipv6(void **state)
{
	struct env *e = need_env(state);
	const struct pspec p = SYN6();

	hll_case(e, &p, 1000, v6_nets(1000), v6_addr, "IPv6 1000 sources");
}

/* ------------------------------------------------------------------ */

/* The map reader (fps.c) as the exporter uses it, one reader across
 * scrapes: a scrape of an empty map, then of a map with entries (a window
 * flip can empty the map between scrapes), then empty again. */
static void test_reader_across_reads(void **state)
{
	struct env *e = need_env(state);
	struct fp_reader *rd = fpr_new(FP_TCP);
	struct det_obs *rows;
	size_t n = 99;
	__u32 ret;
	int i, k;

	assert_non_null(rd);
	for (k = 0; k < 2; k++) {
		fp_clear(e);
		assert_int_equal(fpr_read(rd, e->fps_fd, -1, &rows, &n), 0);
		assert_int_equal(n, 0);
		for (i = 0; i < 3; i++) {
			struct pspec p = SYN4(.sport = (__u16)(2000 + i), .seq = 77u + (__u32)i);
			struct frame f;

			build(&p, &f);
			assert_int_equal(run(e, f.b, f.len, &ret), 0);
		}
		assert_int_equal(fpr_read(rd, e->fps_fd, -1, &rows, &n), 0);
		assert_int_equal(n, 1);
		assert_int_equal(rows[0].conns, 3);
		assert_int_equal(fpr_entries(rd), 1);
	}
	fpr_free(rd);
}

/* ------------------------------------------------------------------ */
/* Flood admission: a flood of SYNs from random sources with a new TCP
 * fingerprint each takes at most the window's budget of unknown ids
 * (FLOOD_CAP here); the stacks seen before it keep their entries and
 * counts, and in the next window they are admitted although the flood
 * has spent the new budget again. One CPU, so one budget. */

static void send_syns(struct env *e, const struct pspec *p, int n, int vary)
{
	char src[32];
	__u32 ret;
	int i;

	for (i = 0; i < n; i++) {
		struct pspec q = *p;
		struct frame f;

		if (vary) {     /* a new source and a new window size: a new id */
			snprintf(src, sizeof(src), "198.%d.%d.%d", 18 + (i >> 16 & 1),
				 i >> 8 & 255, i & 255);
			q.src = src;
			q.win = (__u16)(vary + i);
		}
		q.sport = (__u16)(10000 + i);
		build(&q, &f);
		assert_int_equal(run(e, f.b, f.len, &ret), 0);
		assert_int_equal(ret, XDP_PASS);
	}
}

static const struct pspec real_stacks[] = {
	SYN4(), SYN6(), SYN4(.ttl = 128, .win = 8192, OPT("\x02\x04\x05\xb4\x01\x03\x03\x08\x01\x01\x04\x02")),
};
#define NREAL 3

/* The syns of the entry of each real stack in generation gen (0: none). */
static void real_counts(struct env *e, const __u64 *ids, int gen, __u64 *syns)
{
	struct hs_tcp_fp v;
	int i;

	for (i = 0; i < NREAL; i++) {
		__u64 k = HS_GEN_KEY(ids[i], gen);

		syns[i] = fp_get(e, k, &v) ? 0 : v.syns;
	}
}

static void test_flood_admission(void **state)
{
	struct env *e = need_env(state);
	struct hs_stats s0, s1, s2;
	__u64 ids[NREAL], keys[HS_TCP_FP_MAX], syns[NREAL];
	const struct pspec flood = SYN4(OPT("\x02\x04\x05\x78\x01\x03\x03\x02"));
	int i, n, flood_n = 2000;

	fp_clear(e);
	stats(e, &s0);
	for (i = 0; i < NREAL; i++)
		send_syns(e, &real_stacks[i], 2, 0);
	n = fp_keys(e, keys, HS_TCP_FP_MAX);
	assert_int_equal(n, NREAL);
	for (i = 0; i < NREAL; i++) {
		struct hs_tcp_fp v;

		ids[i] = HS_GEN_KEY(keys[i], 0);
		assert_int_equal(fp_get(e, keys[i], &v), 0);
		ids[i] = HS_GEN_KEY(hs_tcp_ids(&v.sig, &(__u64){ 0 }), 0);
	}

	/* the flood, the real stacks during it */
	send_syns(e, &flood, flood_n, 1000);
	for (i = 0; i < NREAL; i++)
		send_syns(e, &real_stacks[i], 2, 0);
	stats(e, &s1);
	CHECK_INT("flood", "entries: the budget", FLOOD_CAP, fp_keys(e, keys, HS_TCP_FP_MAX));
	CHECK_INT("flood", "new ids admitted", FLOOD_CAP, s1.c[HS_ST_FP_NEW] - s0.c[HS_ST_FP_NEW]);
	CHECK_INT("flood", "ids shed", flood_n - (FLOOD_CAP - NREAL),
		  s1.c[HS_ST_TCP_FP_SHED] - s0.c[HS_ST_TCP_FP_SHED]);
	CHECK_INT("flood", "SYNs counted", flood_n + 4 * NREAL, s1.c[HS_ST_SYNS] - s0.c[HS_ST_SYNS]);
	CHECK_INT("flood", "map full", 0, s1.c[HS_ST_MAP_FULL] - s0.c[HS_ST_MAP_FULL]);
	real_counts(e, ids, 0, syns);
	for (i = 0; i < NREAL; i++)
		CHECK_INT("flood", "a real stack's SYNs, before and during", 4, syns[i]);

	/* next window: the flood spends the new budget first */
	e->skel->bss->cur_gen = 1;
	send_syns(e, &flood, flood_n, 5000);
	for (i = 0; i < NREAL; i++)
		send_syns(e, &real_stacks[i], 3, 0);
	stats(e, &s2);
	real_counts(e, ids, 1, syns);
	for (i = 0; i < NREAL; i++)
		CHECK_INT("next window", "a known stack admitted past the spent budget", 3, syns[i]);
	CHECK_INT("next window", "ids shed", flood_n - FLOOD_CAP,
		  s2.c[HS_ST_TCP_FP_SHED] - s1.c[HS_ST_TCP_FP_SHED]);
	CHECK_INT("next window", "entries: both windows' budgets and the known stacks",
		  2 * FLOOD_CAP + NREAL, fp_keys(e, keys, HS_TCP_FP_MAX));
	e->skel->bss->cur_gen = 0;
	fp_clear(e);
	CHECKS_DONE();
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ipv4_fixtures),
		T(test_option_fixtures),
		T(test_ipv6_fixtures),
		T(test_vlan_fixtures),
		T(test_other_fixtures),
		T(test_p0f_agreement),
		T(test_truncation),
		T(test_same_sig_same_id),
		T(test_memo),
		T(test_ringbuf_endpoints),
		T(test_timestamps),
		cmocka_unit_test_setup_teardown(test_live_clock, setup_live, teardown),
		T(test_hll_ipv4),
		T(test_hll_ipv6),
		T(test_reader_across_reads),
		cmocka_unit_test_setup_teardown(test_flood_admission, setup_flood, teardown),
	};

	if (pin_this_cpu("test_xdp"))
		return 1;
	return cmocka_run_group_tests_name("xdp", tests, NULL, NULL);
}
