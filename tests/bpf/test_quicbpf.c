// SPDX-License-Identifier: BSD-3-Clause
/*
 * QUIC through the real BPF object (BPF_PROG_TEST_RUN), issue 18's kernel
 * part: client datagrams to the QUIC port through hs_xdp (IPv4, IPv6,
 * VLAN tags), the server's through the egress program (tc, an skb) or, in
 * replay, through hs_xdp, and ClientHellos back through the hs_quic_hello
 * syscall program.
 *
 * - An Initial of version 1 and of version 2 hands exactly one event
 *   holding the datagram's bytes; what is not one (short datagrams, short
 *   headers, other versions and ports, other types, a DCID of 21 bytes,
 *   cut headers) is counted by reason, hands nothing, passes.
 * - The bounds: HS_QUIC_INITIALS_MAX Initials per flow, the per-CPU budget
 *   of a window (renewed with sample_epoch), a set whose slots are all
 *   held by other flows; a flow whose set holds a validated one takes
 *   another slot of it and is validated (two chromium connections with
 *   a Retry each, as t_quic_live met them).
 * - Validation: the server's connection ID recorded from its Initial
 *   (egress), then a client Handshake carrying it validates the flow (one
 *   event), alone or coalesced after an Initial, also with the fixed bit
 *   clear (RFC 9287's greased QUIC bit, as ngtcp2 sends); another ID, a
 *   server ID too short, or no server ID recorded validate nothing.
 * - Counting: a ClientHello record written to quic_hello is counted as a
 *   TCP one (an entry with HS_TLSF_QUIC, conns, sketches, novelty, its
 *   event), its id not the same hello's over TCP, its JA4 'q' and
 *   otherwise the TCP one's; no pair, no TCP stack, no connection record.
 *   Unvalidated: not counted (hellos_quic_unvalidated, conns_unvalidated).
 * - Enforcement: in drop mode a validated flow whose hello is dropped has
 *   its next datagrams dropped; dry-run and off pass them; an unvalidated
 *   (spoofable) hello never gets a flow dropped.
 *
 * Needs root (BPF_PROG_TEST_RUN); skips without it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>

#include "bpfobj.h"
#include "ja4.h"
#include "hs_hash.h"
#include "hs_bpf.skel.h"
#include "check.h"
#include "prog.h"
#include "pkt.h"

/* FoxIO JA4.md's example hello (pkt.h's SPEC) over TCP, and over QUIC */
#define SPEC_JA4  "t13d1516h2_8daaf6152771_e5627efa2ab1"
#define SPEC_JA4Q "q13d1516h2_8daaf6152771_e5627efa2ab1"

#define SEC_NS 1000000000ULL
#define CLIENT4 "198.18.5.10"
#define CLIENT6 "2001:db8:5::10"

/* ------------------------------------------------------------------ */
/* The loaded object. */

#define EV_MAX 64

struct env {
	struct hs_bpf *skel;
	int xdp_fd, egress_fd, hello_fd;
	int stats_fd, tls_fd, qflows_fd, qhello_fd, enforce_fd, pairs_fd, conns_fd, seen_fd;
	struct ring_buffer *rb;
	struct hs_quic_event ini[EV_MAX];
	int nini;               /* Initial events since the last drain */
	struct hs_quic_valid_event val[EV_MAX];
	int nval;
	struct hs_tls_event tls[EV_MAX];
	int ntls;
	int bad;                /* records of no known kind or size */
	struct hs_reasm *qhello;        /* quic_hello's value, mmapped */
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct env *e = ctx;
	__u32 type = *(const __u32 *)data;

	if (type == HS_EV_QUIC_INITIAL && size == sizeof(struct hs_quic_event)) {
		if (e->nini < EV_MAX)
			memcpy(&e->ini[e->nini], data, size);
		e->nini++;
	} else if (type == HS_EV_QUIC_VALID && size == sizeof(struct hs_quic_valid_event)) {
		if (e->nval < EV_MAX)
			memcpy(&e->val[e->nval], data, size);
		e->nval++;
	} else if ((type == HS_EV_TLS_NEW || type == HS_EV_TLS_HELLO) &&
		   size == sizeof(struct hs_tls_event)) {
		if (e->ntls < EV_MAX)
			memcpy(&e->tls[e->ntls], data, size);
		e->ntls++;
	} else if (type != HS_EV_TCP_NEW && type != HS_EV_TCP_SYN) {
		note("ring buffer record of %zu bytes, type %u: not a QUIC, TLS or TCP event",
		     size, type);
		e->bad++;
	}
	return 0;
}

static int setup_enforce;               /* enum hs_enforce_mode of the next setup */
static unsigned int setup_budget;       /* quic_budget_max of the next setup (0: default) */

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
	if (setup_budget)
		e->skel->rodata->quic_budget_max = setup_budget;
	if (prog_load(e->skel))
		goto skip;
	e->xdp_fd = bpf_program__fd(hs_xdp_prog(e->skel));
	e->egress_fd = bpf_program__fd(e->skel->progs.hs_egress);
	e->hello_fd = bpf_program__fd(e->skel->progs.hs_quic_hello);
	e->stats_fd = bpf_map__fd(e->skel->maps.stats);
	e->tls_fd = bpf_map__fd(e->skel->maps.tls_fps);
	e->qflows_fd = bpf_map__fd(e->skel->maps.quic_flows);
	e->qhello_fd = bpf_map__fd(e->skel->maps.quic_hello);
	e->enforce_fd = bpf_map__fd(e->skel->maps.enforce);
	e->pairs_fd = bpf_map__fd(e->skel->maps.pairs);
	e->conns_fd = bpf_map__fd(e->skel->maps.conns);
	e->seen_fd = bpf_map__fd(e->skel->maps.seen);
	e->rb = prog_ring(e->skel, on_event, e);
	if (!e->rb)
		goto skip;
	e->qhello = mmap(NULL, sizeof(struct hs_reasm), PROT_READ | PROT_WRITE, MAP_SHARED,
			 e->qhello_fd, 0);
	if (e->qhello == MAP_FAILED)
		fail_msg("mmap of quic_hello: %s", strerror(errno));
	*state = e;
	return 0;
skip:
	free(e);
	return 0;
}

/* Replay's settings: the clock is replay_now_ns, which the tests set. */
static int setup(void **state)
{
	return setup_with(state, &(struct hs_config){ .replay = true });
}

static int setup_live(void **state)
{
	return setup_with(state, &(struct hs_config){ 0 });
}

#define BUDGET 8

static int setup_budget8(void **state)
{
	int r;

	setup_budget = BUDGET;
	r = setup(state);
	setup_budget = 0;
	return r;
}

/* Replay's, QUIC on ports 443 and 8443 (t_quic_live's Retry server) */
static int setup_8443(void **state)
{
	return setup_with(state, &(struct hs_config){ .replay = true, .nquic_ports = 2,
						      .quic_ports = { 443, 8443 } });
}

static int setup_mode(void **state, int mode)
{
	int r;

	setup_enforce = mode;
	r = setup(state);
	setup_enforce = HS_ENF_OFF;
	return r;
}

static int setup_enf_off(void **state)
{
	return setup_mode(state, HS_ENF_OFF);
}

static int setup_enf_dry(void **state)
{
	return setup_mode(state, HS_ENF_DRY_RUN);
}

static int setup_enf_drop(void **state)
{
	return setup_mode(state, HS_ENF_DROP);
}

static int teardown(void **state)
{
	struct env *e = *state;

	if (e) {
		munmap(e->qhello, sizeof(struct hs_reasm));
		prog_free(e->skel, e->rb, e);
	}
	return 0;
}

static struct env *need_env(void **state)
{
	return prog_need(state);
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
	e->nini = e->nval = e->ntls = 0;
}

static void map_clear(int fd)
{
	__u8 key[64];

	while (bpf_map_get_next_key(fd, NULL, key) == 0)
		if (bpf_map_delete_elem(fd, key))
			break;
}

/* The records in the conns array. */
static int conns_count(int fd)
{
	static struct hs_conn_set set;
	__u32 i;
	int n = 0, w;

	for (i = 0; i < HS_CONN_SETS; i++)
		if (!bpf_map_lookup_elem(fd, &i, &set))
			for (w = 0; w < HS_CONN_WAYS; w++)
				n += set.way[w].key.family != 0;
	return n;
}

/* No flows, fingerprints or events; a new window (the budget renewed);
 * the clock at 1 s. */
static void reset(struct env *e)
{
	static struct hs_quic_flow zero[HS_QUIC_FLOWS_MAX];
	static __u32 keys[HS_QUIC_FLOWS_MAX];
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	__u32 i, n = HS_QUIC_FLOWS_MAX;

	e->skel->bss->sample_epoch++;
	e->skel->bss->replay_now_ns = SEC_NS;
	map_clear(e->tls_fd);
	map_clear(e->enforce_fd);
	map_clear(e->pairs_fd);
	array_zero(e->conns_fd);
	array_zero(e->seen_fd);
	for (i = 0; i < HS_QUIC_FLOWS_MAX; i++)
		keys[i] = i;
	if (bpf_map_update_batch(e->qflows_fd, keys, zero, &n, &o))
		fail_msg("clearing the quic_flows map: expected 0, got %s", strerror(errno));
	drain(e);
}

/* The counters of this file's concern (their deltas are checked whole). */
static const int qstats[] = {
	HS_ST_NON_TCP, HS_ST_ERR_UDP, HS_ST_RB_DROP, HS_ST_QUIC_INITIALS, HS_ST_QUIC_SHED_FLOW,
	HS_ST_QUIC_SHED_BUDGET, HS_ST_QUIC_SHED_BUSY, HS_ST_QUIC_SHORT_HEADER,
	HS_ST_QUIC_BAD_VERSION, HS_ST_QUIC_BAD_DCID_LEN, HS_ST_QUIC_SMALL, HS_ST_QUIC_MALFORMED,
	HS_ST_QUIC_NOT_INITIAL, HS_ST_QUIC_HS_MISMATCH, HS_ST_QUIC_VALIDATED,
	HS_ST_QUIC_SERVER_CIDS, HS_ST_QUIC_SCID_SHORT, HS_ST_QUIC_DROPPED, HS_ST_HELLO_QUIC,
	HS_ST_HELLO_QUIC_UNVAL, HS_ST_HELLOS, HS_ST_TLS_FP_NEW, HS_ST_ENFORCE_MATCHED,
	HS_ST_ENFORCE_DROPPED, HS_ST_QUIC_OTHER_PORT,
};

/* Every counter of qstats moved by want's (zero where want says nothing). */
static void check_deltas(const char *desc, const struct hs_stats *before,
			 const struct hs_stats *after, const struct hs_stats *want)
{
	int i;

	for (i = 0; i < NELEM(qstats); i++) {
		int k = qstats[i];
		char what[96];

		snprintf(what, sizeof(what), "%s delta", hs_stat_names[k]);
		CHECK_INT(desc, what, want->c[k], after->c[k] - before->c[k]);
	}
}

/* ------------------------------------------------------------------ */
/* QUIC datagrams. */

/* the server's chosen connection ID, and a guess at it */
static const __u8 SRV_CID[8] = { 0x5e, 0x57, 0xc1, 0xd0, 0x01, 0x02, 0x03, 0x04 };
static const __u8 BAD_CID[8] = { 0x5e, 0x57, 0xc1, 0xd0, 0x01, 0x02, 0x03, 0x05 };
/* a server ID of 20 bytes (its first 3: SRV_CID's), and one unlike it in
 * its last byte only */
static const __u8 SRV_CID20[20] = { 0x5e, 0x57, 0xc1, 0xd0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
				    11, 12, 13, 14, 15, 16 };
static const __u8 BAD_CID20[20] = { 0x5e, 0x57, 0xc1, 0xd0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
				    11, 12, 13, 14, 15, 17 };

/* Where a datagram goes: client and server sides. */
struct path {
	int ver;                /* 4 or 6 */
	int ntags;
	__u16 sport, dport;     /* the client's port, the server's (0: 443) */
	const char *src;        /* the client (NULL: CLIENT4 or CLIENT6) */
};

static const char *client_of(const struct path *pa)
{
	return pa->src ? pa->src : pa->ver == 6 ? CLIENT6 : CLIENT4;
}

static const char *server_of(const struct path *pa)
{
	return pa->ver == 6 ? DEF_DST6 : DEF_DST4;
}

/* The frame of a datagram: the client's (rev 0) or the server's. */
static void dgram_frame(const struct path *pa, int rev, const __u8 *d, int len, struct frame *f)
{
	struct pspec s = {
		.ver = pa->ver, .ttl = 64, .frag = IPF_DF, .proto = NH_UDP, .udp = 1,
		.data = d, .payload = len,
		.src = rev ? server_of(pa) : client_of(pa), .dst = rev ? client_of(pa) : server_of(pa),
		.sport = rev ? (pa->dport ? pa->dport : 443) : pa->sport,
		.dport = rev ? pa->sport : (pa->dport ? pa->dport : 443),
	};

	if (pa->ntags) {
		s.tags[0] = ETH_P_8021AD;
		s.tags[1] = ETH_P_8021Q;
		s.ntags = pa->ntags;
	}
	build(&s, f);
}

static __u32 run_prog(int fd, const struct frame *f)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = (__u32)f->len,
		    .repeat = 1);

	prog_dump(f->b, (__u32)f->len);
	if (bpf_prog_test_run_opts(fd, &o))
		fail_msg("test run: %s", strerror(errno));
	return o.retval;
}

/* A client datagram through hs_xdp: its verdict. */
static __u32 send_client(struct env *e, const struct path *pa, const struct qspec *q)
{
	static __u8 d[FRAME_MAX];
	struct frame f;

	dgram_frame(pa, 0, d, quic_dgram(q, d, sizeof(d)), &f);
	return run_prog(e->xdp_fd, &f);
}

/* A server datagram: through the egress program (egress 1: its verdict
 * must be TC_ACT_UNSPEC) or, as replay sees it, through hs_xdp. */
static void send_server(struct env *e, const struct path *pa, const struct qspec *q, int egress)
{
	static __u8 d[FRAME_MAX];
	struct frame f;
	__u32 ret;

	dgram_frame(pa, 1, d, quic_dgram(q, d, sizeof(d)), &f);
	ret = run_prog(egress ? e->egress_fd : e->xdp_fd, &f);
	CHECK_HEX("server datagram", "verdict (egress: TC_ACT_UNSPEC)",
		  egress ? (__u32)TC_ACT_UNSPEC : XDP_PASS, ret);
}

/* The server's Initial, choosing SRV_CID (or cid of len bytes); grease:
 * its fixed bit clear (RFC 9287). */
static void server_initial(struct env *e, const struct path *pa, __u32 version, const __u8 *cid,
			   int len, int egress, int grease)
{
	struct qspec q = { .version = version, .type = QT_INITIAL, .dcid = SCID0,
			   .scid = cid ? cid : SRV_CID, .scid_len = cid ? len : 8, .size = 1200,
			   .grease = grease };

	send_server(e, pa, &q, egress);
}

/* The client's Handshake carrying cid (its DCID); grease: its fixed bit
 * clear. */
static __u32 client_handshake(struct env *e, const struct path *pa, __u32 version,
			      const __u8 *cid, int len, int grease)
{
	struct qspec q = { .version = version, .type = QT_HANDSHAKE, .dcid = cid, .dcid_len = len,
			   .size = 80, .grease = grease };

	return send_client(e, pa, &q);
}

/* The endpoints the program makes of a client datagram of pa. */
static void path_ep(const struct path *pa, struct hs_endpoints *ep)
{
	memset(ep, 0, sizeof(*ep));
	addr(pa->ver, client_of(pa), NULL, ep->saddr);
	addr(pa->ver, server_of(pa), NULL, ep->daddr);
	ep->sport = pa->sport;
	ep->dport = pa->dport ? pa->dport : 443;
	ep->family = (__u8)pa->ver;
}

/* The first slot of the set of pa's client's flow, as the program finds
 * it (HS_QUIC_WAYS slots from there). */
static __u32 path_set(const struct path *pa)
{
	struct hs_endpoints ep;
	__u32 lo;

	path_ep(pa, &ep);
	memcpy(&lo, &ep.saddr[pa->ver == 4 ? 0 : 12], 4);
	return hs_quic_set(lo, (__u32)htons(ep.sport) | (__u32)htons(ep.dport) << 16,
			   HS_QUIC_WAYS);
}

/* pa's flow into f: the slot of its set holding its client's endpoints
 * (of two, the one taken later); its number, or -1 and f zeroed: none. */
static int flow_get(struct env *e, const struct path *pa, struct hs_quic_flow *f)
{
	struct hs_quic_flow x;
	struct hs_endpoints ep;
	__u32 set = path_set(pa), k;
	int found = -1;

	path_ep(pa, &ep);
	memset(f, 0, sizeof(*f));
	for (k = set; k < set + HS_QUIC_WAYS; k++) {
		if (bpf_map_lookup_elem(e->qflows_fd, &k, &x))
			fail_msg("quic_flows lookup: %s", strerror(errno));
		if (x.ep.family == ep.family && x.ep.sport == ep.sport && x.ep.dport == ep.dport &&
		    !memcmp(x.ep.saddr, ep.saddr, 16) && (found < 0 || x.first_ns >= f->first_ns)) {
			*f = x;
			found = (int)k;
		}
	}
	return found;
}

/* Client ports of pa's address other than pa's whose flows share pa's set:
 * n of them into ports (from port 1 up). */
static void set_mates(const struct path *pa, __u16 *ports, int n)
{
	struct path b = *pa;
	__u32 set = path_set(pa);
	int k = 0;

	for (b.sport = 1; b.sport < 65535 && k < n; b.sport++)
		if (b.sport != pa->sport && path_set(&b) == set)
			ports[k++] = b.sport;
	if (k < n)
		fail_msg("%d client ports share port %u's set, %d wanted", k, pa->sport, n);
}

/* ------------------------------------------------------------------ */
/* Initials handed to userspace. */

struct icase {
	const char *desc;
	struct path pa;
	struct qspec q;
};

static void test_initial_event(void **state)
{
	struct env *e = need_env(state);
	static const struct icase cases[] = {
		{ "v1 Initial, IPv4", { 4, 0, 50001 }, { .type = QT_INITIAL } },
		{ "v2 Initial, IPv4", { 4, 0, 50002 }, { .version = HS_QUIC_V2, .type = QT_INITIAL } },
		{ "v1 Initial, IPv6", { 6, 0, 50003 }, { .type = QT_INITIAL, .size = 1350 } },
		{ "v2 Initial, IPv6", { 6, 0, 50004 }, { .version = HS_QUIC_V2, .type = QT_INITIAL } },
		{ "v1 Initial, two VLAN tags", { 4, 2, 50005 }, { .type = QT_INITIAL } },
		{ "v2 Initial, IPv6, two VLAN tags", { 6, 2, 50006 },
		  { .version = HS_QUIC_V2, .type = QT_INITIAL, .size = 1200 } },
		{ "v1 Initial, DCID 20 bytes, SCID 0", { 4, 0, 50007 },
		  { .type = QT_INITIAL, .dcid_len = 20, .scid_len = -1 } },
		{ "v1 Initial, DCID empty", { 4, 0, 50008 }, { .type = QT_INITIAL, .dcid_len = -1 } },
		{ "v1 Initial of 1,900 bytes: all copied", { 4, 0, 50009 },
		  { .type = QT_INITIAL, .size = 1900 } },
		/* version 2's type bits 01 are its Initial (version 1's 0-RTT) */
		{ "v2: wire type 01 is an Initial", { 4, 0, 50010 },
		  { .version = HS_QUIC_V2, .b0 = 0xc0 | 1 << 4 | 1 } },
		{ "to port 8443 (a TLS port, not a QUIC one)", { 4, 0, 50011, 8443 },
		  { .type = QT_INITIAL } },
		/* RFC 9287: with a NEW_TOKEN's token a client may clear it */
		{ "v1 Initial, fixed bit clear", { 4, 0, 50012 }, { .type = QT_INITIAL, .grease = 1 } },
	};
	static __u8 d[FRAME_MAX];
	int i;

	reset(e);
	for (i = 0; i < NELEM(cases); i++) {
		const struct icase *c = &cases[i];
		struct hs_stats before, after, want = { 0 };
		struct hs_endpoints ep;
		const struct hs_quic_event *ev;
		int n = quic_dgram(&c->q, d, sizeof(d));
		int other = c->pa.dport == 8443;

		drain(e);
		stats(e, &before);
		CHECK_INT(c->desc, "verdict", XDP_PASS, send_client(e, &c->pa, &c->q));
		stats(e, &after);
		ring_buffer__consume(e->rb);
		if (other) {
			/* not a QUIC port of this object: plain UDP, that looks
			 * like a client's Initial */
			want.c[HS_ST_NON_TCP] = 1;
			want.c[HS_ST_QUIC_OTHER_PORT] = 1;
			check_deltas(c->desc, &before, &after, &want);
			CHECK_INT(c->desc, "Initial events", 0, e->nini);
			continue;
		}
		want.c[HS_ST_QUIC_INITIALS] = 1;
		check_deltas(c->desc, &before, &after, &want);
		CHECK_INT(c->desc, "Initial events", 1, e->nini);
		CHECK_INT(c->desc, "other records", 0, e->nval + e->ntls + e->bad);
		if (e->nini != 1)
			continue;
		ev = &e->ini[0];
		path_ep(&c->pa, &ep);
		CHECK_INT(c->desc, "event type", HS_EV_QUIC_INITIAL, ev->type);
		CHECK_INT(c->desc, "event len (the datagram)", n, ev->len);
		CHECK_INT(c->desc, "event copied (the whole datagram)", n, ev->copied);
		CHECK_INT(c->desc, "event initial (the flow's first)", 1, ev->initial);
		CHECK_INT(c->desc, "event data: the datagram's bytes", 0,
			  memcmp(ev->data, d, n));
		CHECK_INT(c->desc, "event endpoints", 0, memcmp(&ev->ep, &ep, sizeof(ep)));
		CHECK_HEX(c->desc, "event time (the program clock)", SEC_NS, ev->ts_ns);
	}
	CHECKS_DONE();
}

/* What is not an Initial to hand: counted by reason, nothing else. */
struct ncase {
	const char *desc;
	struct path pa;
	struct qspec q;
	int stat;               /* the counter that moves */
	int udp_adj;            /* added to the UDP length */
	int other;              /* quic_initials_other_port moves too */
};

static void test_not_initials(void **state)
{
	struct env *e = need_env(state);
	static const struct ncase cases[] = {
		{ "Initial in 1,199 bytes", { 4, 0, 51001 }, { .type = QT_INITIAL, .size = 1199 },
		  HS_ST_QUIC_SMALL },
		{ "Initial in 1,199 bytes, IPv6", { 6, 0, 51002 },
		  { .type = QT_INITIAL, .size = 1199 }, HS_ST_QUIC_SMALL },
		{ "Initial in 300 bytes", { 4, 0, 51003 }, { .type = QT_INITIAL, .size = 300 },
		  HS_ST_QUIC_SMALL },
		{ "short header (1-RTT)", { 4, 0, 51004 }, { .b0 = 0x41, .size = 1250 },
		  HS_ST_QUIC_SHORT_HEADER },
		{ "short header, IPv6, VLAN", { 6, 2, 51005 }, { .b0 = 0x43, .size = 60 },
		  HS_ST_QUIC_SHORT_HEADER },
		{ "version 0 (version negotiation)", { 4, 0, 51006 },
		  { .vn = 1, .type = QT_INITIAL }, HS_ST_QUIC_BAD_VERSION },
		{ "draft-29 version", { 4, 0, 51007 }, { .version = 0xff00001d, .type = QT_INITIAL },
		  HS_ST_QUIC_BAD_VERSION },
		{ "a greased version", { 6, 0, 51008 }, { .version = 0x1a2a3a4a, .type = QT_INITIAL },
		  HS_ST_QUIC_BAD_VERSION },
		{ "v1 0-RTT", { 4, 0, 51009 }, { .type = QT_0RTT }, HS_ST_QUIC_NOT_INITIAL },
		{ "v1 Retry (from a client)", { 4, 0, 51010 }, { .type = QT_RETRY },
		  HS_ST_QUIC_NOT_INITIAL },
		{ "v1 Handshake, no flow", { 4, 0, 51011 }, { .type = QT_HANDSHAKE },
		  HS_ST_QUIC_NOT_INITIAL },
		{ "v2 0-RTT", { 4, 0, 51012 }, { .version = HS_QUIC_V2, .type = QT_0RTT },
		  HS_ST_QUIC_NOT_INITIAL },
		{ "v2 Handshake, no flow", { 6, 0, 51013 }, { .version = HS_QUIC_V2,
		  .type = QT_HANDSHAKE }, HS_ST_QUIC_NOT_INITIAL },
		/* version 1's type bits 01 are its 0-RTT (version 2's Initial) */
		{ "v1: wire type 01 is 0-RTT", { 4, 0, 51014 }, { .b0 = 0xc0 | 1 << 4 | 1 },
		  HS_ST_QUIC_NOT_INITIAL },
		{ "v2: wire type 00 is Retry", { 4, 0, 51015 },
		  { .version = HS_QUIC_V2, .b0 = 0xc1 }, HS_ST_QUIC_NOT_INITIAL },
		{ "DCID of 21 bytes", { 4, 0, 51016 }, { .type = QT_INITIAL, .dcid_len = 21 },
		  HS_ST_QUIC_BAD_DCID_LEN },
		{ "DCID of 255 bytes", { 6, 0, 51017 }, { .type = QT_INITIAL, .dcid_len = 255,
		  .size = 1300 }, HS_ST_QUIC_BAD_DCID_LEN },
		{ "v1 Handshake, fixed bit clear, no flow", { 4, 0, 51018 },
		  { .type = QT_HANDSHAKE, .grease = 1 }, HS_ST_QUIC_NOT_INITIAL },
		{ "header cut after the version", { 4, 0, 51019 },
		  { .type = QT_INITIAL, .cut = 5 }, HS_ST_QUIC_MALFORMED },
		{ "Handshake cut in its DCID", { 4, 0, 51020 },
		  { .type = QT_HANDSHAKE, .dcid_len = 20, .cut = 12 }, HS_ST_QUIC_MALFORMED },
		{ "one byte", { 4, 0, 51021 }, { .type = QT_INITIAL, .cut = 1 },
		  HS_ST_QUIC_MALFORMED },
		{ "empty datagram", { 4, 0, 51022 }, { .type = QT_INITIAL, .cut = -1 },
		  HS_ST_QUIC_MALFORMED },
		{ "Initial to another port", { 4, 0, 51023, 4433 }, { .type = QT_INITIAL },
		  HS_ST_NON_TCP, .other = 1 },
		{ "Initial to another port, IPv6", { 6, 0, 51024, 53 }, { .type = QT_INITIAL },
		  HS_ST_NON_TCP, .other = 1 },
		{ "v2 Initial to another port", { 4, 0, 51027, 8443 },
		  { .version = HS_QUIC_V2, .type = QT_INITIAL }, HS_ST_NON_TCP, .other = 1 },
		{ "Initial with its fixed bit clear to another port", { 4, 0, 51028, 8443 },
		  { .type = QT_INITIAL, .grease = 1 }, HS_ST_NON_TCP, .other = 1 },
		{ "Initial in 1,199 bytes to another port", { 4, 0, 51029, 8443 },
		  { .type = QT_INITIAL, .size = 1199 }, HS_ST_NON_TCP },
		{ "0-RTT to another port", { 4, 0, 51030, 8443 }, { .type = QT_0RTT },
		  HS_ST_NON_TCP },
		{ "v1: wire type 01 (0-RTT) to another port", { 4, 0, 51031, 8443 },
		  { .b0 = 0xc0 | 1 << 4 | 1 }, HS_ST_NON_TCP },
		{ "draft-29 Initial to another port", { 4, 0, 51032, 8443 },
		  { .version = 0xff00001d, .type = QT_INITIAL }, HS_ST_NON_TCP },
		{ "DCID of 21 bytes to another port", { 4, 0, 51033, 8443 },
		  { .type = QT_INITIAL, .dcid_len = 21 }, HS_ST_NON_TCP },
		{ "short header to another port", { 4, 0, 51034, 8443 }, { .b0 = 0x41, .size = 1250 },
		  HS_ST_NON_TCP },
		{ "header cut after the version, to another port", { 4, 0, 51035, 8443 },
		  { .type = QT_INITIAL, .cut = 5 }, HS_ST_NON_TCP },
		{ "UDP length past the IP packet", { 4, 0, 51025 }, { .type = QT_INITIAL },
		  HS_ST_ERR_UDP, 1 },
		{ "UDP length under its header", { 6, 0, 51026 }, { .type = QT_INITIAL },
		  HS_ST_ERR_UDP, -1250 - 1 },
	};
	static __u8 d[FRAME_MAX];
	int i;

	reset(e);
	for (i = 0; i < NELEM(cases); i++) {
		const struct ncase *c = &cases[i];
		struct hs_stats before, after, want = { 0 };
		struct frame f;
		int n = c->q.cut < 0 ? 0 : quic_dgram(&c->q, d, sizeof(d));

		drain(e);
		dgram_frame(&c->pa, 0, d, n, &f);
		if (c->udp_adj)         /* the UDP length field, after the ports */
			put16(f.b + f.l4 + 4, (unsigned)(8 + n + c->udp_adj) & 0xffff);
		stats(e, &before);
		CHECK_INT(c->desc, "verdict", XDP_PASS, run_prog(e->xdp_fd, &f));
		stats(e, &after);
		ring_buffer__consume(e->rb);
		want.c[c->stat] = 1;
		want.c[HS_ST_QUIC_OTHER_PORT] = c->other;
		check_deltas(c->desc, &before, &after, &want);
		CHECK_INT(c->desc, "events", 0, e->nini + e->nval + e->ntls + e->bad);
	}
	CHECKS_DONE();
}

/* At most HS_QUIC_INITIALS_MAX Initials of a flow; a flow takes a slot of
 * its set no other flow in progress holds, the one taken longest ago, and
 * none while they all are held. */
static void test_flow_bounds(void **state)
{
	struct env *e = need_env(state);
	struct path a = { 4, 0, 52001 }, b[HS_QUIC_WAYS];
	struct qspec q = { .type = QT_INITIAL };
	struct hs_stats before, after, want = { 0 };
	struct hs_quic_flow f;
	__u16 ports[HS_QUIC_WAYS];
	int i, slot_a;

	reset(e);
	stats(e, &before);
	for (i = 0; i < HS_QUIC_INITIALS_MAX + 3; i++)
		CHECK_INT("one flow", "verdict", XDP_PASS, send_client(e, &a, &q));
	stats(e, &after);
	ring_buffer__consume(e->rb);
	want.c[HS_ST_QUIC_INITIALS] = HS_QUIC_INITIALS_MAX;
	want.c[HS_ST_QUIC_SHED_FLOW] = 3;
	check_deltas("one flow, 7 Initials", &before, &after, &want);
	CHECK_INT("one flow", "Initial events", HS_QUIC_INITIALS_MAX, e->nini);
	for (i = 0; i < e->nini && i < EV_MAX; i++)
		CHECK_INT("one flow", "event's initial (its place in the flow)", i + 1,
			  e->ini[i].initial);
	slot_a = flow_get(e, &a, &f);
	CHECK_INT("one flow", "a slot of its set", 1, slot_a >= 0);
	CHECK_INT("one flow", "slot's initials", HS_QUIC_INITIALS_MAX, f.initials);

	/* HS_QUIC_WAYS other client ports of the same address whose flows
	 * share a's set: the first HS_QUIC_WAYS - 1 take its other slots
	 * while a's handshake is in progress, the last finds them all held */
	set_mates(&a, ports, HS_QUIC_WAYS);
	for (i = 0; i < HS_QUIC_WAYS; i++) {
		b[i] = a;
		b[i].sport = ports[i];
	}
	drain(e);
	stats(e, &before);
	e->skel->bss->replay_now_ns = SEC_NS + SEC_NS / 2;     /* a's is 0.5 s old: held */
	for (i = 0; i < HS_QUIC_WAYS; i++)
		CHECK_INT("set held", "verdict", XDP_PASS, send_client(e, &b[i], &q));
	stats(e, &after);
	ring_buffer__consume(e->rb);
	memset(&want, 0, sizeof(want));
	want.c[HS_ST_QUIC_INITIALS] = HS_QUIC_WAYS - 1;
	want.c[HS_ST_QUIC_SHED_BUSY] = 1;
	check_deltas("other flows of a's set, the last one's slots all held", &before, &after,
		     &want);
	CHECK_INT("set held", "Initial events", HS_QUIC_WAYS - 1, e->nini);
	CHECK_INT("set held", "a keeps its slot", slot_a, flow_get(e, &a, &f));
	for (i = 0; i < HS_QUIC_WAYS - 1; i++)
		CHECK_INT("set held", "the others in the set's other slots", 1,
			  flow_get(e, &b[i], &f) >= 0 && flow_get(e, &b[i], &f) != slot_a);
	CHECK_INT("set held", "the last one in none", -1,
		  flow_get(e, &b[HS_QUIC_WAYS - 1], &f));

	/* past a's hold (1 s; the others' 0.5 s old): the last takes the
	 * slot taken longest ago, a's */
	drain(e);
	stats(e, &before);
	e->skel->bss->replay_now_ns = 2 * SEC_NS + 1;
	CHECK_INT("slot free", "verdict", XDP_PASS, send_client(e, &b[HS_QUIC_WAYS - 1], &q));
	stats(e, &after);
	ring_buffer__consume(e->rb);
	memset(&want, 0, sizeof(want));
	want.c[HS_ST_QUIC_INITIALS] = 1;
	check_deltas("the last flow, a's hold over", &before, &after, &want);
	CHECK_INT("slot free", "Initial events", 1, e->nini);
	CHECK_INT("slot free", "a's slot now the last one's", slot_a,
		  flow_get(e, &b[HS_QUIC_WAYS - 1], &f));
	CHECK_INT("slot free", "its initials", 1, f.initials);
	CHECK_INT("slot free", "a's flow gone", -1, flow_get(e, &a, &f));

	/* a's own flow, past every lifetime, starts anew: Initials again */
	drain(e);
	e->skel->bss->replay_now_ns = 30 * SEC_NS;
	CHECK_INT("a again", "verdict", XDP_PASS, send_client(e, &a, &q));
	ring_buffer__consume(e->rb);
	CHECK_INT("a again, 29 s later", "Initial events", 1, e->nini);
	CHECKS_DONE();
}

/* The CPU's budget of the second (quic_budget_max BUDGET here), renewed
 * every 2^30 ns of the program clock, not by the windows. The test runs
 * on one CPU (main). */
static void test_budget(void **state)
{
	struct env *e = need_env(state);
	struct qspec q = { .type = QT_INITIAL };
	struct hs_stats before, after, want = { 0 };
	int i;

	reset(e);
	stats(e, &before);
	for (i = 0; i < BUDGET + 5; i++) {
		struct path pa = { 4, 0, (__u16)(53000 + i) };   /* a flow each */

		CHECK_INT("budget", "verdict", XDP_PASS, send_client(e, &pa, &q));
	}
	stats(e, &after);
	ring_buffer__consume(e->rb);
	want.c[HS_ST_QUIC_INITIALS] = BUDGET;
	want.c[HS_ST_QUIC_SHED_BUDGET] = 5;
	check_deltas("13 flows, a budget of 8", &before, &after, &want);
	CHECK_INT("budget", "Initial events", BUDGET, e->nini);

	/* a new window is not a new second: still shed */
	e->skel->bss->sample_epoch++;
	drain(e);
	stats(e, &before);
	{
		struct path pa = { 4, 0, 53099 };

		send_client(e, &pa, &q);
	}
	stats(e, &after);
	ring_buffer__consume(e->rb);
	memset(&want, 0, sizeof(want));
	want.c[HS_ST_QUIC_SHED_BUDGET] = 1;
	check_deltas("the same second", &before, &after, &want);
	CHECK_INT("same second", "Initial events", 0, e->nini);

	/* the next second (2^30 ns) of the program clock: handed again */
	e->skel->bss->replay_now_ns += 1ULL << 30;
	drain(e);
	stats(e, &before);
	{
		struct path pa = { 4, 0, 53100 };

		send_client(e, &pa, &q);
	}
	stats(e, &after);
	ring_buffer__consume(e->rb);
	memset(&want, 0, sizeof(want));
	want.c[HS_ST_QUIC_INITIALS] = 1;
	check_deltas("the next second", &before, &after, &want);
	CHECK_INT("next second", "Initial events", 1, e->nini);
	CHECKS_DONE();
}

/* ------------------------------------------------------------------ */
/* Validation. */

struct vcase {
	const char *desc;
	struct path pa;
	__u32 version;
	int server;             /* 0 none, 1 its Initial through egress, 2 through hs_xdp */
	int srv_cid_len;        /* 0: 8 (SRV_CID) */
	int hs;                 /* the client's Handshake: 1 alone, 2 coalesced after an Initial */
	const __u8 *hs_cid;     /* its DCID (NULL: SRV_CID) */
	int hs_cid_len;         /* 0: 8 */
	int valid;              /* expected: validated */
	int recorded;           /* expected: the server's ID recorded */
	int stat;               /* the Handshake's counter (0: none) */
	int grease;             /* the fixed bit clear on the server's Initial and the client's
				 * packets after it (RFC 9287: ngtcp2 clears it at random) */
};

static void run_vcase(struct env *e, const struct vcase *c, int live)
{
	struct qspec ini = { .version = c->version, .type = QT_INITIAL };
	struct hs_stats before, after;
	struct hs_quic_flow f;
	const __u8 *cid = c->hs_cid ? c->hs_cid : SRV_CID;
	int cl = c->hs_cid_len ? c->hs_cid_len : 8, k;

	drain(e);
	CHECK_INT(c->desc, "Initial verdict", XDP_PASS, send_client(e, &c->pa, &ini));
	stats(e, &before);
	if (c->server) {
		int sl = c->srv_cid_len ? c->srv_cid_len : 8;

		server_initial(e, &c->pa, c->version, sl == 8 ? SRV_CID : SRV_CID20, sl,
			       c->server == 1, c->grease);
	}
	stats(e, &after);
	CHECK_INT(c->desc, "quic_server_cids delta", c->recorded,
		  after.c[HS_ST_QUIC_SERVER_CIDS] - before.c[HS_ST_QUIC_SERVER_CIDS]);
	CHECK_INT(c->desc, "quic_server_cid_short delta",
		  c->server && (c->srv_cid_len ? c->srv_cid_len : 8) < HS_QUIC_SCID_MIN &&
		  (c->server == 1 || !live),
		  after.c[HS_ST_QUIC_SCID_SHORT] - before.c[HS_ST_QUIC_SCID_SHORT]);
	stats(e, &before);
	if (c->hs == 1) {
		CHECK_INT(c->desc, "Handshake verdict", XDP_PASS,
			  client_handshake(e, &c->pa, c->version, cid, cl, c->grease));
	} else if (c->hs == 2) {
		struct qspec two = { .version = c->version, .type = QT_INITIAL, .size = 1250,
				     .hs_after = 90, .hs_dcid = cid, .hs_dcid_len = cl,
				     .grease = c->grease };

		CHECK_INT(c->desc, "Initial+Handshake verdict", XDP_PASS,
			  send_client(e, &c->pa, &two));
	}
	stats(e, &after);
	ring_buffer__consume(e->rb);
	for (k = HS_ST_QUIC_NOT_INITIAL; k <= HS_ST_QUIC_VALIDATED; k++)
		CHECK_INT(c->desc, hs_stat_names[k], k == c->stat, after.c[k] - before.c[k]);
	CHECK_INT(c->desc, "validation events", c->valid, e->nval);
	flow_get(e, &c->pa, &f);
	CHECK_INT(c->desc, "slot: validated", c->valid, !!(f.flags & HS_QF_VALID));
	CHECK_INT(c->desc, "slot: the server's ID recorded", c->recorded && 1,
		  !!(f.flags & HS_QF_SCID));
	if (c->recorded)
		CHECK_INT(c->desc, "slot: the server's ID", 0,
			  memcmp(f.scid, c->srv_cid_len > 8 ? SRV_CID20 : SRV_CID,
				 c->srv_cid_len ? c->srv_cid_len : 8));
	if (c->valid && e->nval >= 1) {
		struct hs_endpoints ep;

		path_ep(&c->pa, &ep);
		CHECK_INT(c->desc, "validation event type", HS_EV_QUIC_VALID, e->val[0].type);
		CHECK_INT(c->desc, "validation event endpoints", 0,
			  memcmp(&e->val[0].ep, &ep, sizeof(ep)));
		CHECK_INT(c->desc, "validation event: the flow's Initials", 1 + (c->hs == 2),
			  e->val[0].initials);
	}
}

#define VALID  .valid = 1, .recorded = 1, .stat = HS_ST_QUIC_VALIDATED

static void test_validation(void **state)
{
	struct env *e = need_env(state);
	static const struct vcase cases[] = {
		{ "server's ID, Handshake carries it", { 4, 0, 54001 }, 0, 1, 0, 1, VALID },
		{ "the same, IPv6", { 6, 0, 54002 }, 0, 1, 0, 1, VALID },
		{ "the same, version 2, VLAN", { 4, 2, 54003 }, HS_QUIC_V2, 1, 0, 1, VALID },
		{ "a 20-byte server ID", { 6, 0, 54004 }, HS_QUIC_V2, 1, 20, 1, SRV_CID20, 20,
		  VALID },
		{ "Handshake coalesced after an Initial", { 4, 0, 54005 }, 0, 1, 0, 2, VALID },
		{ "the same, IPv6, version 2", { 6, 0, 54006 }, HS_QUIC_V2, 1, 0, 2, VALID },
		{ "Handshake with another ID (spoofed)", { 4, 0, 54007 }, 0, 1, 0, 1, BAD_CID, 8,
		  .recorded = 1, .stat = HS_ST_QUIC_HS_MISMATCH },
		{ "Handshake with the ID cut short", { 4, 0, 54008 }, 0, 1, 0, 1, SRV_CID, 7,
		  .recorded = 1, .stat = HS_ST_QUIC_HS_MISMATCH },
		{ "a 20-byte server ID, the Handshake's unlike it in its last byte",
		  { 6, 0, 54013 }, 0, 1, 20, 1, BAD_CID20, 20, .recorded = 1,
		  .stat = HS_ST_QUIC_HS_MISMATCH },
		{ "coalesced Handshake with another ID", { 6, 0, 54009 }, 0, 1, 0, 2, BAD_CID, 8,
		  .recorded = 1, .stat = HS_ST_QUIC_HS_MISMATCH },
		{ "no server ID seen, Handshake", { 4, 0, 54010 }, 0, 0, 0, 1,
		  .stat = HS_ST_QUIC_NOT_INITIAL },
		{ "server ID of 3 bytes: not recorded", { 4, 0, 54011 }, 0, 1, 3, 1, SRV_CID, 3,
		  .stat = HS_ST_QUIC_NOT_INITIAL },
		{ "server ID recorded, no Handshake", { 4, 0, 54012 }, 0, 1, 0, 0, .recorded = 1 },
		{ "fixed bits clear (RFC 9287): server's Initial, Handshake", { 4, 0, 54014 }, 0,
		  1, 0, 1, VALID, .grease = 1 },
		{ "the same, IPv6, a 20-byte ID, coalesced after an Initial", { 6, 0, 54015 }, 0,
		  1, 20, 2, SRV_CID20, 20, VALID, .grease = 1 },
		{ "the same, version 2, another ID", { 4, 0, 54016 }, HS_QUIC_V2, 1, 0, 1,
		  BAD_CID, 8, .recorded = 1, .stat = HS_ST_QUIC_HS_MISMATCH, .grease = 1 },
	};
	int i;

	reset(e);
	for (i = 0; i < NELEM(cases); i++)
		run_vcase(e, &cases[i], 0);
	CHECKS_DONE();
}

/* Live, the server's packets are the egress program's: one arriving on
 * the XDP program (a forgery, or this host a client) records nothing. In
 * replay the capture's own server packets come through hs_xdp. */
static void validation_paths(void **state, int live)
{
	struct env *e = need_env(state);
	const struct vcase replay[] = {
		{ "replay: the server's Initial in the capture", { 4, 0, 55001 }, 0, 2, 0, 1,
		  VALID },
		{ "replay: ... IPv6, coalesced", { 6, 0, 55002 }, HS_QUIC_V2, 2, 0, 2, VALID },
		{ "replay: ... fixed bits clear", { 4, 0, 55006 }, 0, 2, 0, 1, VALID, .grease = 1 },
	}, onlive[] = {
		{ "live: a server Initial arriving from outside", { 4, 0, 55003 }, 0, 2, 0, 1,
		  .stat = HS_ST_QUIC_NOT_INITIAL },
		{ "live: through egress", { 4, 0, 55004 }, 0, 1, 0, 1, VALID },
		{ "live: through egress, IPv6 coalesced", { 6, 0, 55005 }, 0, 1, 0, 2, VALID },
		{ "live: through egress, fixed bits clear", { 6, 0, 55007 }, 0, 1, 0, 1, VALID,
		  .grease = 1 },
	};
	int i;

	reset(e);
	if (live)
		for (i = 0; i < NELEM(onlive); i++)
			run_vcase(e, &onlive[i], 1);
	else
		for (i = 0; i < NELEM(replay); i++)
			run_vcase(e, &replay[i], 0);
	CHECKS_DONE();
}

static void test_validation_replay(void **state)
{
	validation_paths(state, 0);
}

static void test_validation_live(void **state)
{
	validation_paths(state, 1);
}

/* A flow validated the whole way: Initial, the server's, the Handshake. */
static void validate_flow(struct env *e, const struct path *pa)
{
	struct qspec ini = { .type = QT_INITIAL };

	send_client(e, pa, &ini);
	server_initial(e, pa, HS_QUIC_V1, NULL, 0, 1, 0);
	client_handshake(e, pa, HS_QUIC_V1, SRV_CID, 8, 0);
	ring_buffer__consume(e->rb);
}

/* ------------------------------------------------------------------ */
/* The ClientHello back: the hs_quic_hello program. */

/* rec (len bytes) into quic_hello's buf, then the program for pa's flow;
 * the request as it came back. The record goes in through the map's
 * mmap (as userspace writes it), or with bpf_map_update_elem (a whole
 * value, the rest of it garbage: the program sets what it reads). */
static int count_by_update;

static struct hs_quic_req quic_count(struct env *e, const struct path *pa, const __u8 *rec,
				      int len, int validated)
{
	static struct hs_reasm b;
	struct hs_quic_req r = { .len = (__u32)len, .validated = (__u8)validated,
				 .ts_ns = e->skel->bss->replay_now_ns, .packets = 2 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &r, .ctx_size_in = sizeof(r));
	__u32 zero = 0;

	if (count_by_update) {
		memset(&b, 0xa5, sizeof(b));
		if (len > 0)
			memcpy(b.buf, rec, (size_t)len);
		if (bpf_map_update_elem(e->qhello_fd, &zero, &b, BPF_ANY))
			fail_msg("writing quic_hello: %s", strerror(errno));
	} else if (len > 0) {
		memcpy(e->qhello->buf, rec, (size_t)len);
	}
	path_ep(pa, &r.ep);
	if (bpf_prog_test_run_opts(e->hello_fd, &o))
		fail_msg("running hs_quic_hello: %s", strerror(errno));
	return r;
}

/* The same hello over TCP (SYN, one segment) through hs_xdp, from pa's
 * client address. */
static void tcp_hello(struct env *e, const struct path *pa, __u16 sport, const __u8 *rec, int len)
{
	struct pspec s = { .ver = pa->ver, .ttl = 64, .ip_id = 1, .frag = IPF_DF, .sport = sport,
			   .dport = 443, .seq = 1000, .tflags = TH_SYN, .win = 64240,
			   .src = client_of(pa), .opts = (const __u8 *)LINUX4, .olen = 20 };
	struct frame f;

	build(&s, &f);
	CHECK_INT("TCP", "SYN verdict", XDP_PASS, run_prog(e->xdp_fd, &f));
	s.tflags = TH_ACK | TH_PSH;
	s.seq = 1001;
	s.ack = 5000;
	s.olen = 0;
	s.data = rec;
	s.payload = len;
	build(&s, &f);
	CHECK_INT("TCP", "hello verdict", XDP_PASS, run_prog(e->xdp_fd, &f));
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

static int map_count(int fd)
{
	__u8 key[64], next[64];
	int n = 0;

	if (bpf_map_get_next_key(fd, NULL, next))
		return 0;
	do {
		n++;
		memcpy(key, next, sizeof(key));
	} while (bpf_map_get_next_key(fd, key, next) == 0);
	return n;
}

/*
 * Two connections whose flows share a set, as t_quic_live once met them:
 * chromium to ngtcp2's server with Retry (-V), from 198.18.1.2 port 55131,
 * then, 2.2 s later, from 2001:2:0:1::2 port 60855, whose flows took the
 * same slot when a set was one slot (the quic_flows array's 16,384). Each
 * connection as the capture had it: two Initials (the post-quantum hello
 * spans two), two Retries (one each; the client takes the first), the two
 * Initials again to the Retry's ID with its 78-byte token, the server's
 * Initial choosing its 18-byte ID, the client's Initial coalesced with its
 * first Handshake (the fifth Initial: past the flow's bound, walked all the
 * same), then a Handshake alone. The first flow, validated, holds its
 * slot for its lifetime (10 s); the second took none, so none of its
 * Initials were handed and the server's ID never recorded: its hello
 * never counted, its flow never validated. Now it takes another slot of
 * the set and is validated, and its hello counts as validated.
 */
struct rconn {
	struct path pa;
	__u8 retry_cid[20], srv_cid[20];        /* 18 bytes each: ngtcp2's */
};

static void retry_connection(struct env *e, const struct rconn *c, __u64 t0)
{
	struct qspec ini = { .type = QT_INITIAL, .size = 1238 };
	struct qspec retry = { .type = QT_RETRY, .dcid = SCID0, .scid = c->retry_cid,
			       .scid_len = 18, .size = 119 };
	struct qspec again = { .type = QT_INITIAL, .dcid = c->retry_cid, .dcid_len = 18,
			       .token = 78, .size = 1238 };
	struct qspec srv = { .type = QT_INITIAL, .dcid = SCID0, .scid = c->srv_cid,
			     .scid_len = 18, .size = 1200 };
	struct qspec two = { .type = QT_INITIAL, .dcid = c->srv_cid, .dcid_len = 18,
			     .token = 78, .size = 1238, .hs_after = 53, .hs_dcid = c->srv_cid,
			     .hs_dcid_len = 18 };
	__u64 ms = SEC_NS / 1000;

	e->skel->bss->replay_now_ns = t0;
	CHECK_INT("Retry", "Initial 1", XDP_PASS, send_client(e, &c->pa, &ini));
	CHECK_INT("Retry", "Initial 2", XDP_PASS, send_client(e, &c->pa, &ini));
	send_server(e, &c->pa, &retry, 0);
	send_server(e, &c->pa, &retry, 0);
	e->skel->bss->replay_now_ns = t0 + 1 * ms;
	CHECK_INT("Retry", "Initial 1 again", XDP_PASS, send_client(e, &c->pa, &again));
	CHECK_INT("Retry", "Initial 2 again", XDP_PASS, send_client(e, &c->pa, &again));
	send_server(e, &c->pa, &srv, 0);
	e->skel->bss->replay_now_ns = t0 + 12 * ms;
	CHECK_INT("Retry", "Initial and Handshake", XDP_PASS, send_client(e, &c->pa, &two));
	e->skel->bss->replay_now_ns = t0 + 21 * ms;
	CHECK_INT("Retry", "Handshake", XDP_PASS,
		  client_handshake(e, &c->pa, HS_QUIC_V1, c->srv_cid, 18, 0));
	ring_buffer__consume(e->rb);
}

static void test_set_mates(void **state)
{
	struct env *e = need_env(state);
	static const struct rconn a = {
		{ 4, 0, 55131, 8443, "198.18.1.2" },
		{ 0x68, 0x19, 0xec, 0x67, 0x8a, 0x2c, 0xce, 0xde, 0x97, 0xca, 0x5b, 0x7c, 0x1d,
		  0xa2, 0xe3, 0xc7, 0x7b, 0x78 },
		{ 0x80, 0x60, 0x8a, 0xd2, 0x3c, 0x24, 0xa9, 0xee, 0x16, 0xb4, 0xf4, 0x18, 0xb7,
		  0x8c, 0xa2, 0xe4, 0xf3, 0x3b },
	}, b = {
		{ 6, 0, 60855, 8443, "2001:2:0:1::2" },
		{ 0x08, 0x5b, 0xd6, 0x35, 0x62, 0xc6, 0x7c, 0x98, 0x07, 0x16, 0xe4, 0x56, 0x8f,
		  0xcd, 0x7e, 0x17, 0x33, 0xe5 },
		{ 0x04, 0x1d, 0x3a, 0x00, 0x30, 0x4e, 0x3d, 0xa4, 0x48, 0xe0, 0x7e, 0x79, 0xe8,
		  0xf4, 0x03, 0x5d, 0x99, 0x9b },
	};
	static __u8 rec[HELLO_MAX];
	const struct hspec h = SPEC();
	int len = build_hello(&h, rec, sizeof(rec)), slot_a, slot_b;
	struct hs_stats before, after, want = { 0 };
	struct hs_endpoints ep;
	struct hs_quic_flow f;
	struct hs_quic_req r;
	__u32 lo_a, lo_b;

	/* they shared a slot, and share a set */
	memcpy(&lo_a, (__u8[4]){ 198, 18, 1, 2 }, 4);
	memcpy(&lo_b, (__u8[4]){ 0, 0, 0, 2 }, 4);
	CHECK_INT("set mates", "one slot of 16,384",
		  hs_quic_slot(lo_a, htons(55131) | (__u32)htons(8443) << 16, HS_QUIC_FLOWS_MAX),
		  hs_quic_slot(lo_b, htons(60855) | (__u32)htons(8443) << 16, HS_QUIC_FLOWS_MAX));
	CHECK_INT("set mates", "one set", path_set(&a.pa), path_set(&b.pa));

	reset(e);
	stats(e, &before);
	retry_connection(e, &a, SEC_NS + 898746000ULL);
	stats(e, &after);
	want.c[HS_ST_QUIC_INITIALS] = HS_QUIC_INITIALS_MAX;
	want.c[HS_ST_QUIC_SHED_FLOW] = 1;
	want.c[HS_ST_QUIC_SERVER_CIDS] = 1;
	want.c[HS_ST_QUIC_VALIDATED] = 1;
	want.c[HS_ST_QUIC_NOT_INITIAL] = 1;     /* the Handshake after it */
	check_deltas("the first connection", &before, &after, &want);
	CHECK_INT("first", "Initial events", HS_QUIC_INITIALS_MAX, e->nini);
	CHECK_INT("first", "validation events", 1, e->nval);
	slot_a = flow_get(e, &a.pa, &f);
	CHECK_INT("first", "validated", 1, slot_a >= 0 && (f.flags & HS_QF_VALID));
	r = quic_count(e, &a.pa, rec, len, 1);
	CHECK_HEX("first", "its hello counted validated, its flow found", HS_QR_VALIDATED, r.flags);

	/* 2.2 s later: the first flow, validated, holds its slot (10 s) */
	drain(e);
	stats(e, &before);
	retry_connection(e, &b, 3 * SEC_NS + 119968000ULL);
	stats(e, &after);
	check_deltas("the second connection, its set's first slot held", &before, &after, &want);
	CHECK_INT("second", "Initial events", HS_QUIC_INITIALS_MAX, e->nini);
	CHECK_INT("second", "validation events", 1, e->nval);
	if (e->nval >= 1) {
		path_ep(&b.pa, &ep);
		CHECK_INT("second", "the validation event's endpoints", 0,
			  memcmp(&e->val[0].ep, &ep, sizeof(ep)));
	}
	slot_b = flow_get(e, &b.pa, &f);
	CHECK_INT("second", "in another slot of the set", 1, slot_b >= 0 && slot_b != slot_a);
	CHECK_INT("second", "validated", 1, !!(f.flags & HS_QF_VALID));
	CHECK_INT("second", "the server's ID recorded", 0, memcmp(f.scid, b.srv_cid, 18));
	CHECK_INT("second", "the first flow keeps its slot", slot_a, flow_get(e, &a.pa, &f));
	CHECK_INT("second", "and stays validated", 1, !!(f.flags & HS_QF_VALID));
	r = quic_count(e, &b.pa, rec, len, 0);   /* its slot says validated */
	CHECK_HEX("second", "its hello counted validated, its flow found", HS_QR_VALIDATED,
		  r.flags);
	CHECKS_DONE();
}

static void test_count(void **state)
{
	struct env *e = need_env(state);
	static __u8 rec[HELLO_MAX];
	static struct hs_tls_fp v, t;
	const struct hspec h = SPEC();
	struct path pa = { 4, 0, 56001 }, pb = { 6, 0, 56002 }, pc = { 4, 0, 56003 };
	struct hs_stats before, after, want = { 0 };
	struct hs_quic_req r;
	char ja4[64], ja4_r[HS_JA4_R_TEXT], tja4[64], tja4_r[HS_JA4_R_TEXT];
	int len = build_hello(&h, rec, sizeof(rec));
	__u64 qid, tid;

	reset(e);
	validate_flow(e, &pa);
	drain(e);
	stats(e, &before);
	r = quic_count(e, &pa, rec, len, 0);   /* the slot says validated */
	stats(e, &after);
	ring_buffer__consume(e->rb);
	CHECK_INT("validated", "result", 0, r.result);
	CHECK_INT("validated", "verdict", XDP_PASS, r.verdict);
	CHECK_HEX("validated", "flags", HS_QR_VALIDATED, r.flags);
	want.c[HS_ST_HELLOS] = 1;
	want.c[HS_ST_HELLO_QUIC] = 1;
	want.c[HS_ST_TLS_FP_NEW] = 1;
	check_deltas("validated", &before, &after, &want);
	qid = r.tls_id;
	CHECK_INT("validated", "tls_fps entry", 0, tls_get(e, qid, &v));
	CHECK_HEX("validated", "hello flags", HS_TLSF_SNI | HS_TLSF_ALPN | HS_TLSF_QUIC,
		  v.hello.flags);
	CHECK_INT("validated", "conns", 1, v.conns);
	CHECK_INT("validated", "conns_unvalidated", 0, v.conns_unvalidated);
	CHECK_INT("validated", "hll_ips registers", 1, hll_set(v.hll_ips));
	CHECK_INT("validated", "hll_nets registers", 1, hll_set(v.hll_nets));
	CHECK_INT("validated", "hll_tcp registers (no TCP stack)", 0, hll_set(v.hll_tcp));
	CHECK_INT("validated", "novel_ips", 1, v.novel_ips);
	CHECK_INT("validated", "pairs (no TCP stack)", 0, map_count(e->pairs_fd));
	CHECK_INT("validated", "connection records (TCP only)", 0, conns_count(e->conns_fd));
	CHECK_INT("validated", "TLS events", 1, e->ntls);
	if (e->ntls == 1) {
		CHECK_INT("validated", "event type (replay: every hello)", HS_EV_TLS_NEW,
			  e->tls[0].type);
		CHECK_HEX("validated", "event fp_id", qid, e->tls[0].fp_id);
		CHECK_HEX("validated", "event tcp_id", 0, e->tls[0].tcp_id);
		CHECK_INT("validated", "event segments (the Initials)", 2, e->tls[0].segments);
		CHECK_INT("validated", "event hello: QUIC", HS_TLSF_QUIC,
			  e->tls[0].hello.flags & HS_TLSF_QUIC);
	}
	if (tls_ja4(&v.hello, ja4, sizeof(ja4), ja4_r, sizeof(ja4_r)))
		fail_msg("tls_ja4 failed");
	CHECK_STR("validated", "JA4", SPEC_JA4Q, ja4);

	/* the same hello over TCP: another id, the JA4 the same but its 'q' */
	tcp_hello(e, &pa, 41000, rec, len);
	{
		__u64 keys[4], key, next;
		void *prev = NULL;
		int n = 0;

		while (bpf_map_get_next_key(e->tls_fd, prev, &next) == 0) {
			if (n < 4)
				keys[n] = next;
			n++;
			key = next;
			prev = &key;
		}
		CHECK_INT("TCP", "tls_fps entries: the QUIC one and the TCP one", 2, n);
		tid = n >= 2 ? (keys[0] == qid ? keys[1] : keys[0]) : 0;
	}
	CHECK_INT("TCP", "another id", 1, tid != qid && tid);
	CHECK_INT("TCP", "tls_fps entry", 0, tls_get(e, tid, &t));
	CHECK_INT("TCP", "hello flags: not QUIC", 0, t.hello.flags & HS_TLSF_QUIC);
	if (tls_ja4(&t.hello, tja4, sizeof(tja4), tja4_r, sizeof(tja4_r)))
		fail_msg("tls_ja4 failed");
	CHECK_STR("TCP", "JA4", SPEC_JA4, tja4);
	CHECK_STR("TCP", "JA4 past its first character: the QUIC one's", ja4 + 1, tja4 + 1);
	CHECK_STR("TCP", "JA4_r past its first character: the QUIC one's", ja4_r + 1, tja4_r + 1);
	CHECK_INT("TCP", "JA4_r's protocol", 'q', ja4_r[0]);
	CHECK_INT("TCP", "lists: the same", 0,
		  memcmp(&t.hello.ciphers, &v.hello.ciphers,
			 sizeof(v.hello) - offsetof(struct hs_tls_hello, ciphers)));

	/* unvalidated (no slot, not said): not counted; the entry says it */
	drain(e);
	stats(e, &before);
	r = quic_count(e, &pb, rec, len, 0);
	stats(e, &after);
	ring_buffer__consume(e->rb);
	CHECK_INT("unvalidated", "result", 0, r.result);
	CHECK_HEX("unvalidated", "flags", HS_QR_NO_FLOW, r.flags);
	CHECK_HEX("unvalidated", "id: the validated one's", qid, r.tls_id);
	memset(&want, 0, sizeof(want));
	want.c[HS_ST_HELLOS] = 1;
	want.c[HS_ST_HELLO_QUIC] = 1;
	want.c[HS_ST_HELLO_QUIC_UNVAL] = 1;
	check_deltas("unvalidated", &before, &after, &want);
	CHECK_INT("unvalidated", "tls_fps entry", 0, tls_get(e, qid, &v));
	CHECK_INT("unvalidated", "conns", 1, v.conns);
	CHECK_INT("unvalidated", "conns_unvalidated", 1, v.conns_unvalidated);
	CHECK_INT("unvalidated", "hll_ips registers (the counted source only)", 1,
		  hll_set(v.hll_ips));
	CHECK_INT("unvalidated", "TLS events", 0, e->ntls);

	/* an Initial handed, the server's ID seen, no Handshake: unvalidated */
	{
		struct qspec ini = { .type = QT_INITIAL };

		send_client(e, &pc, &ini);
		server_initial(e, &pc, HS_QUIC_V1, NULL, 0, 1, 0);
		r = quic_count(e, &pc, rec, len, 0);
		CHECK_HEX("no Handshake", "flags", 0, r.flags);
		CHECK_INT("no Handshake", "tls_fps entry", 0, tls_get(e, qid, &v));
		CHECK_INT("no Handshake", "conns_unvalidated", 2, v.conns_unvalidated);
		/* userspace says it saw the flow validated: counted (the record
		 * written as a whole value, the rest of it garbage) */
		count_by_update = 1;
		r = quic_count(e, &pc, rec, len, 1);
		count_by_update = 0;
		CHECK_HEX("said validated", "flags", HS_QR_VALIDATED, r.flags);
		CHECK_INT("said validated", "tls_fps entry", 0, tls_get(e, qid, &v));
		CHECK_INT("said validated", "conns", 2, v.conns);
	}

	/* an unvalidated hello of a fingerprint not seen: no entry */
	{
		const struct hspec h2 = SPEC(ALPN("http/1.1"));
		static __u8 rec2[HELLO_MAX];
		int len2 = build_hello(&h2, rec2, sizeof(rec2)), n0 = map_count(e->tls_fd);

		r = quic_count(e, &pb, rec2, len2, 0);
		CHECK_INT("unvalidated, new", "result", 0, r.result);
		CHECK_INT("unvalidated, new", "tls_fps entries: none made", n0,
			  map_count(e->tls_fd));
	}

	/* bad requests and bad hellos */
	r = quic_count(e, &pa, rec, 3, 1);
	CHECK_INT("3 bytes", "result", -EINVAL, r.result);
	r = quic_count(e, &pa, rec, HS_HELLO_LIMIT + 1, 1);
	CHECK_INT("past the limit", "result", -EINVAL, r.result);
	{
		static __u8 bad[HELLO_MAX];

		memcpy(bad, rec, (size_t)len);
		bad[5] = 2;             /* a ServerHello */
		stats(e, &before);
		r = quic_count(e, &pa, bad, len, 1);
		stats(e, &after);
		CHECK_INT("not a ClientHello", "result", HS_ST_TLS_NOT_HELLO, r.result);
		CHECK_INT("not a ClientHello", "tls_not_hello delta", 1,
			  after.c[HS_ST_TLS_NOT_HELLO] - before.c[HS_ST_TLS_NOT_HELLO]);
		CHECK_INT("not a ClientHello", "hellos delta", 0,
			  after.c[HS_ST_HELLOS] - before.c[HS_ST_HELLOS]);
		memcpy(bad, rec, (size_t)len);
		bad[6] = bad[7] = 0;    /* a handshake length too short for a hello */
		bad[8] = 10;
		r = quic_count(e, &pa, bad, len, 1);
		CHECK_INT("handshake of 10 bytes", "result", HS_ST_TLS_MALFORMED, r.result);
	}
	CHECKS_DONE();
}

/* ------------------------------------------------------------------ */
/* Enforcement. */

static void enforce_case(void **state, int mode)
{
	struct env *e = need_env(state);
	static __u8 rec[HELLO_MAX];
	const struct hspec h = SPEC();
	struct path learn = { 4, 0, 57000 }, pa = { 4, 0, 57001 }, other = { 4, 0, 57002 },
		    spoofed = { 6, 0, 57003 };
	struct hs_enforce v = { .mode = HS_ENF_DROP, .expires_ns = ~0ULL };
	struct qspec one_rtt = { .b0 = 0x41, .size = 200 }, ini = { .type = QT_INITIAL };
	struct hs_stats before, after;
	struct hs_quic_req r;
	int len = build_hello(&h, rec, sizeof(rec)), drop = mode == HS_ENF_DROP;
	__u64 key;

	reset(e);
	/* the QUIC id, then an entry for it in drop mode */
	r = quic_count(e, &learn, rec, len, 1);
	key = HS_GEN_KEY(r.tls_id, 0);
	snprintf(v.ja4, sizeof(v.ja4), "%s", SPEC_JA4Q);
	if (bpf_map_update_elem(e->enforce_fd, &key, &v, BPF_ANY))
		fail_msg("enforce map update: %s", strerror(errno));

	validate_flow(e, &pa);
	validate_flow(e, &other);
	stats(e, &before);
	r = quic_count(e, &pa, rec, len, 0);
	stats(e, &after);
	CHECK_INT("enforced", "verdict", drop ? XDP_DROP : XDP_PASS, r.verdict);
	CHECK_HEX("enforced", "flags", HS_QR_VALIDATED | (drop ? HS_QR_DROP : 0), r.flags);
	CHECK_INT("enforced", "enforce_matched delta", mode != HS_ENF_OFF,
		  after.c[HS_ST_ENFORCE_MATCHED] - before.c[HS_ST_ENFORCE_MATCHED]);
	CHECK_INT("enforced", "enforce_dropped delta", drop,
		  after.c[HS_ST_ENFORCE_DROPPED] - before.c[HS_ST_ENFORCE_DROPPED]);

	/* the flow's next datagrams: dropped in drop mode only */
	stats(e, &before);
	CHECK_INT("next 1-RTT datagram", "verdict", drop ? XDP_DROP : XDP_PASS,
		  send_client(e, &pa, &one_rtt));
	CHECK_INT("next Initial", "verdict", drop ? XDP_DROP : XDP_PASS,
		  send_client(e, &pa, &ini));
	CHECK_INT("next Handshake", "verdict", drop ? XDP_DROP : XDP_PASS,
		  client_handshake(e, &pa, HS_QUIC_V1, SRV_CID, 8, 0));
	stats(e, &after);
	CHECK_INT("next datagrams", "quic_datagrams_dropped delta", drop ? 3 : 0,
		  after.c[HS_ST_QUIC_DROPPED] - before.c[HS_ST_QUIC_DROPPED]);
	/* another flow's datagrams pass */
	CHECK_INT("another flow's 1-RTT", "verdict", XDP_PASS, send_client(e, &other, &one_rtt));
	/* past HS_QUIC_DROP_NS, the flow's datagrams pass again */
	e->skel->bss->replay_now_ns += HS_QUIC_DROP_NS;
	CHECK_INT("a minute later", "verdict", XDP_PASS, send_client(e, &pa, &one_rtt));

	/* an unvalidated hello (spoofable) never has a flow dropped */
	reset(e);
	if (bpf_map_update_elem(e->enforce_fd, &key, &v, BPF_ANY))
		fail_msg("enforce map update: %s", strerror(errno));
	send_client(e, &spoofed, &ini);
	r = quic_count(e, &spoofed, rec, len, 0);
	CHECK_INT("unvalidated, enforced", "verdict", drop ? XDP_DROP : XDP_PASS, r.verdict);
	CHECK_HEX("unvalidated, enforced", "flags (no drop set)", 0, r.flags);
	CHECK_INT("unvalidated, enforced: next datagram", "verdict", XDP_PASS,
		  send_client(e, &spoofed, &one_rtt));
	CHECKS_DONE();
}

static void test_enforce_off(void **state)
{
	enforce_case(state, HS_ENF_OFF);
}

static void test_enforce_dry_run(void **state)
{
	enforce_case(state, HS_ENF_DRY_RUN);
}

static void test_enforce_drop(void **state)
{
	enforce_case(state, HS_ENF_DROP);
}

/* ------------------------------------------------------------------ */

/* tls_ja4 of the same lists with and without HS_TLSF_QUIC (no program). */
static void test_ja4_q(void **state)
{
	struct hs_tls_hello h = { .legacy_version = 0x0303, .max_version = 0x0304,
				  .n_ciphers = 2, .n_exts = 3, .flags = HS_TLSF_SNI | HS_TLSF_ALPN,
				  .ciphers = { 0x1301, 0x1302 }, .exts = { 0x0000, 0x0010, 0x0039 },
				  .alpn = "h3", .alpn_len = 2, .alpn_last = '3' };
	char t[64], q[64], tr[HS_JA4_R_TEXT], qr[HS_JA4_R_TEXT], j3t[HS_JA3_R_TEXT],
	     j3q[HS_JA3_R_TEXT], m3t[33], m3q[33];

	(void)state;
	fails = 0;
	CHECK_INT("tcp", "tls_ja4", 0, tls_ja4(&h, t, sizeof(t), tr, sizeof(tr)));
	CHECK_INT("tcp", "tls_ja3", 0, tls_ja3(&h, j3t, sizeof(j3t), m3t));
	h.flags |= HS_TLSF_QUIC;
	CHECK_INT("quic", "tls_ja4", 0, tls_ja4(&h, q, sizeof(q), qr, sizeof(qr)));
	CHECK_INT("quic", "tls_ja3", 0, tls_ja3(&h, j3q, sizeof(j3q), m3q));
	/* the transport parameters (0x0039) count as any extension: 3 */
	CHECK_STR("quic", "JA4's first part", "q13d0203h3", (q[10] = 0, q));
	CHECK_STR("tcp", "JA4's first part", "t13d0203h3", (t[10] = 0, t));
	CHECK_INT("quic", "JA4_r protocol", 'q', qr[0]);
	CHECK_STR("quic", "JA4_r past its first character", tr + 1, qr + 1);
	CHECK_STR("quic", "JA3: no protocol in it", m3t, m3q);
	CHECKS_DONE();
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ja4_q),
		T(test_initial_event),
		T(test_not_initials),
		T(test_flow_bounds),
		cmocka_unit_test_setup_teardown(test_set_mates, setup_8443, teardown),
		cmocka_unit_test_setup_teardown(test_budget, setup_budget8, teardown),
		T(test_validation),
		T(test_validation_replay),
		cmocka_unit_test_setup_teardown(test_validation_live, setup_live, teardown),
		T(test_count),
		cmocka_unit_test_setup_teardown(test_enforce_off, setup_enf_off, teardown),
		cmocka_unit_test_setup_teardown(test_enforce_dry_run, setup_enf_dry, teardown),
		cmocka_unit_test_setup_teardown(test_enforce_drop, setup_enf_drop, teardown),
	};

	if (pin_this_cpu("test_quicbpf"))
		return 1;
	return cmocka_run_group_tests_name("quic", tests, NULL, NULL);
}
