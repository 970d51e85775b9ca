// SPDX-License-Identifier: BSD-3-Clause
/*
 * Packet fuzzer of the real XDP program (BPF_PROG_TEST_RUN), enforcement
 * off. Seeds are real-looking connections: SYNs (IPv4, IPv6, VLAN tags,
 * odd options) and ClientHellos (Chrome-, curl-, Firefox-like, two
 * segments, thousands of extensions and ciphers) after their SYN, and
 * QUIC clients' datagrams (Initials, a coalesced Handshake, 1-RTT). First
 * every truncation of every seed frame, then random cases: a seed
 * connection with one or more frames mutated (truncated, bits flipped,
 * length fields set to lies, TCP options and flags replaced, VLAN tags and
 * IPv6 extension headers inserted, fragment bits set, bytes inserted and
 * removed), or a frame of random bytes.
 *
 * After every packet: the verdict is XDP_PASS; the health counters moved
 * as one packet can move them (packets +1, at most one parse outcome, at
 * most one QUIC outcome and none with another, no counter going down, no
 * new fingerprint without a SYN or ClientHello counted, no QUIC flow
 * validated without a server). Every 20,000 packets and at the end: every map entry is one a
 * real connection could create (a TCP entry's key is the id of the
 * signature it holds, and that signature is within p0f's bounds; a TLS
 * entry's lists are within their bounds and render to a JA4 of the right
 * shape; a flow slot holds a TLS-port connection in a known state; a QUIC
 * slot a client of port 443 with at most its Initials), then
 * the maps are emptied so that new keys keep being inserted.
 *
 * HS_FUZZ_PACKETS (default 300,000), HS_FUZZ_SECONDS (no limit) and
 * HS_FUZZ_SEED (default: the time) set the run; a failure prints the seed
 * and the packet in hex. `make check` runs the default, `make fuzz` long.
 * Needs root (or CAP_BPF + CAP_NET_ADMIN); skips without it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfobj.h"
#include "ja4.h"
#include "p0f.h"
#include "hs_hash.h"
#include "hs_bpf.skel.h"
#include "check.h"
#include "pkt.h"
#include "pktgen.h"

#define CHECK_EVERY 20000

/* ------------------------------------------------------------------ */
/* Running and checking */

struct fuzz {
	struct hs_bpf *skel;
	int prog, stats, tcp, tls, flows, qflows;
	struct hs_stats st;
	__u64 sent, refused, checked_tcp, checked_tls, checked_flows, checked_quic;
	__u64 cls[HS_ST__COUNT];        /* counter totals across map clears */
	int bad;
};

static void hexdump(const struct pframe *f)
{
	char line[80];
	int i, n = 0;

	for (i = 0; i < f->len; i++) {
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%02x", f->b[i]);
		if (n >= 64 || i + 1 == f->len) {
			note("  %s", line);
			n = 0;
		}
	}
}

static void bad(struct fuzz *z, const struct pframe *f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void bad(struct fuzz *z, const struct pframe *f, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	note("packet %llu: %s", (unsigned long long)z->sent, msg);
	if (f) {
		note("frame of %d bytes:", f->len);
		hexdump(f);
	}
	z->bad++;
}

static const int parse_outcomes[] = {
	HS_ST_NON_IP, HS_ST_NON_TCP, HS_ST_FRAGMENT, HS_ST_ERR_ETH, HS_ST_ERR_VLAN,
	HS_ST_ERR_IP4, HS_ST_ERR_IP6, HS_ST_ERR_IP6_EXT, HS_ST_ERR_TCP,
	HS_ST_SYNS, HS_ST_SYN_BAD_FLAGS, HS_ST_ERR_UDP,
};
/* what becomes of a datagram to a QUIC port: one of these (an Initial's
 * datagram may validate its flow besides), or none when the ring buffer
 * was full (ringbuf_drops: TCP and TLS events fill it here as well) */
static const int quic_outcomes[] = {
	HS_ST_QUIC_INITIALS, HS_ST_QUIC_SHED_FLOW, HS_ST_QUIC_SHED_BUDGET, HS_ST_QUIC_SHED_BUSY,
	HS_ST_QUIC_SHORT_HEADER, HS_ST_QUIC_BAD_VERSION, HS_ST_QUIC_BAD_DCID_LEN,
	HS_ST_QUIC_SMALL, HS_ST_QUIC_MALFORMED, HS_ST_QUIC_NOT_INITIAL,
};
static const int tls_outcomes[] = {
	HS_ST_HELLOS, HS_ST_TLS_NOT_HELLO, HS_ST_TLS_MALFORMED, HS_ST_TLS_TOO_BIG,
	HS_ST_TLS_OUT_OF_ORDER, HS_ST_TLS_RECORD_SPLIT, HS_ST_TLS_OTHER_PORT,
	HS_ST_TLS_REASM_HOLES, HS_ST_TLS_REASM_TIMEOUT, HS_ST_TLS_NO_HELLO,
};

/* How one packet may move the counters. */
static void check_deltas(struct fuzz *z, const struct pframe *f, const struct hs_stats *now)
{
	__u64 d[HS_ST__COUNT], parse = 0, tls = 0, quic = 0;
	int i;

	for (i = 0; i < HS_ST__COUNT; i++) {
		if (now->c[i] < z->st.c[i]) {
			bad(z, f, "counter %d went down: %llu -> %llu", i,
			    (unsigned long long)z->st.c[i], (unsigned long long)now->c[i]);
			return;
		}
		d[i] = now->c[i] - z->st.c[i];
		z->cls[i] += d[i];
	}
	for (i = 0; i < NELEM(parse_outcomes); i++)
		parse += d[parse_outcomes[i]];
	for (i = 0; i < NELEM(tls_outcomes); i++)
		tls += d[tls_outcomes[i]];
	for (i = 0; i < NELEM(quic_outcomes); i++)
		quic += d[quic_outcomes[i]];
	if (quic > 1 || (quic && (parse || tls)) ||
	    d[HS_ST_QUIC_VALIDATED] + d[HS_ST_QUIC_HS_MISMATCH] > 1)
		bad(z, f, "%llu QUIC outcomes (%llu parse, %llu TLS, %llu validations) for one "
		    "packet", (unsigned long long)quic, (unsigned long long)parse,
		    (unsigned long long)tls,
		    (unsigned long long)(d[HS_ST_QUIC_VALIDATED] + d[HS_ST_QUIC_HS_MISMATCH]));
	/* no egress program here: no server connection ID, nothing validated */
	if (d[HS_ST_QUIC_SERVER_CIDS] || d[HS_ST_QUIC_VALIDATED] || d[HS_ST_QUIC_DROPPED] ||
	    d[HS_ST_HELLO_QUIC])
		bad(z, f, "a QUIC flow validated, dropped or counted from client datagrams alone");
	if (d[HS_ST_PACKETS] != 1)
		bad(z, f, "packets counter moved by %llu", (unsigned long long)d[HS_ST_PACKETS]);
	/* data before a hello in one segment counts as not_hello, then the
	 * hello; a SYN's payload (TCP Fast Open) goes on to the TLS path */
	if (parse > 1 || tls - (tls > 1 ? d[HS_ST_TLS_NOT_HELLO] : 0) > 1 ||
	    (parse && tls && parse != d[HS_ST_SYNS]))
		bad(z, f, "%llu parse outcomes and %llu TLS outcomes for one packet",
		    (unsigned long long)parse, (unsigned long long)tls);
	if (d[HS_ST_FP_NEW] + d[HS_ST_MAP_FULL] + d[HS_ST_TCP_FP_SHED] + d[HS_ST_FLOW_BUSY] >
	    d[HS_ST_SYNS] * 2)
		bad(z, f, "TCP fingerprint or flow counted without a SYN");
	if (d[HS_ST_TLS_FP_NEW] + d[HS_ST_TLS_MAP_FULL] + d[HS_ST_HELLO_MULTISEG] >
	    (d[HS_ST_HELLOS] + d[HS_ST_HELLO_UNFP]) * 2)
		bad(z, f, "TLS fingerprint counted without a ClientHello (or one given up on)");
	if (d[HS_ST_HELLO_UNFP] > tls - d[HS_ST_HELLOS] - d[HS_ST_TLS_OTHER_PORT])
		bad(z, f, "a ClientHello's population counted without a reason to give up");
	/* an unvalidated ClientHello is counted as it starts, walked or not */
	if (d[HS_ST_HELLO_NO_SYN] + d[HS_ST_HELLO_NO_SYNACK] + d[HS_ST_HELLO_BAD_ACK] > 1)
		bad(z, f, "one ClientHello left out for several reasons");
	if (d[HS_ST_HELLO_UNVAL_SAMPLED] >
	    d[HS_ST_HELLO_NO_SYN] + d[HS_ST_HELLO_NO_SYNACK] + d[HS_ST_HELLO_BAD_ACK])
		bad(z, f, "an unvalidated ClientHello sampled without being counted");
	if (d[HS_ST_ENFORCE_MATCHED] || d[HS_ST_ENFORCE_DROPPED])
		bad(z, f, "enforcement counted with enforcement off");
	z->st = *now;
}

static void send_frame(struct fuzz *z, const struct pframe *f)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = (__u32)f->len,
		    .repeat = 1);
	struct hs_stats now;
	int err;

	if (f->len < 14) {      /* the kernel takes no shorter frame (nor would a NIC) */
		z->refused++;
		return;
	}
	z->sent++;
	if (bpf_prog_test_run_opts(z->prog, &o)) {
		bad(z, f, "test run failed: %s", strerror(errno));
		return;
	}
	if (o.retval != XDP_PASS)
		bad(z, f, "verdict %u, expected XDP_PASS (%d)", o.retval, XDP_PASS);
	err = hs_stats_read(z->stats, &now);
	if (err) {
		bad(z, NULL, "reading the stats: %s", strerror(-err));
		return;
	}
	check_deltas(z, f, &now);
}

static int valid_sig(const struct hs_tcp_sig *s)
{
	return (s->ip_ver == 4 || s->ip_ver == 6) && s->opt_cnt <= HS_TCP_MAX_OPTS &&
	       s->tcp_hlen >= 20 && s->tcp_hlen <= 60 && s->tcp_hlen % 4 == 0 &&
	       (s->ip_ver == 6 || s->ip_opt_len <= 40) &&
	       s->opt_eol_pad <= HS_TCP_OPT_BYTES;
}

static void check_tcp(struct fuzz *z)
{
	static struct hs_tcp_fp v;
	__u64 key, next, *prev = NULL, stack;
	char sig[256];

	while (bpf_map_get_next_key(z->tcp, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(z->tcp, &key, &v))
			continue;
		z->checked_tcp++;
		if (HS_GEN_KEY(hs_tcp_ids(&v.sig, &stack), 0) != key)
			bad(z, NULL, "tcp_fps key %#llx is not the id of the signature it holds",
			    (unsigned long long)key);
		else if (!valid_sig(&v.sig))
			bad(z, NULL, "tcp_fps %#llx: signature out of bounds (ver %u, %u options, "
			    "header %u, ip options %u, ttl %u)", (unsigned long long)key,
			    v.sig.ip_ver, v.sig.opt_cnt, v.sig.tcp_hlen, v.sig.ip_opt_len, v.sig.ttl);
		else if (p0f_render(&v.sig, sig, sizeof(sig)) < 0)
			bad(z, NULL, "tcp_fps %#llx: signature does not render", (unsigned long long)key);
		else if (!v.syns || v.first_ns > v.last_ns)
			bad(z, NULL, "tcp_fps %#llx: %llu SYNs, first %llu last %llu",
			    (unsigned long long)key, (unsigned long long)v.syns,
			    (unsigned long long)v.first_ns, (unsigned long long)v.last_ns);
	}
}

/* An unfingerprinted population's entry: no lists, a reason the walk
 * gives up for, its name. */
static void check_unfp(struct fuzz *z, __u64 key, const struct hs_tls_hello *h)
{
	static const int reasons[] = {
		HS_ST_TLS_NOT_HELLO, HS_ST_TLS_MALFORMED, HS_ST_TLS_TOO_BIG,
		HS_ST_TLS_OUT_OF_ORDER, HS_ST_TLS_RECORD_SPLIT, HS_ST_TLS_NO_HELLO,
	};
	char ja4[64], ja4r[64];
	int i, known = 0;

	for (i = 0; i < NELEM(reasons); i++)
		known |= h->unfp_reason == reasons[i];
	if (!known || h->flags != HS_TLSF_UNFP || h->n_ciphers || h->n_exts ||
	    tls_ja4(h, ja4, sizeof(ja4), ja4r, sizeof(ja4r)) || !hs_is_unfp(ja4))
		bad(z, NULL, "tls_fps %#llx: an unfingerprinted entry of reason %u, flags %#x, "
		    "%u ciphers", (unsigned long long)key, h->unfp_reason, h->flags, h->n_ciphers);
}

static void check_tls(struct fuzz *z)
{
	static struct hs_tls_fp v;
	__u64 key, next, *prev = NULL;
	char ja4[64], ja4r[4096];

	while (bpf_map_get_next_key(z->tls, prev, &next) == 0) {
		const struct hs_tls_hello *h = &v.hello;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(z->tls, &key, &v))
			continue;
		z->checked_tls++;
		if (h->n_ciphers > HS_TLS_MAX_CIPHERS || h->n_exts > HS_TLS_MAX_EXTS ||
		    h->n_sigalgs > HS_TLS_MAX_SIGALGS || h->n_groups > HS_TLS_MAX_GROUPS ||
		    h->n_ecpf > HS_TLS_MAX_ECPF || h->sni_len > HS_TLS_SNI_MAX)
			bad(z, NULL, "tls_fps %#llx: a list over its bound (%u ciphers, %u "
			    "extensions, %u sigalgs, %u groups, %u formats, sni %u)",
			    (unsigned long long)key, h->n_ciphers, h->n_exts, h->n_sigalgs,
			    h->n_groups, h->n_ecpf, h->sni_len);
		else if (h->flags & HS_TLSF_UNFP)
			check_unfp(z, key, h);
		else if (tls_ja4(h, ja4, sizeof(ja4), ja4r, sizeof(ja4r)) ||
			 strlen(ja4) != 36 || ja4[0] != (h->flags & HS_TLSF_QUIC ? 'q' : 't') ||
			 ja4[10] != '_' || ja4[23] != '_')
			bad(z, NULL, "tls_fps %#llx: JA4 '%s' is not of JA4's shape",
			    (unsigned long long)key, ja4);
		else if (!v.conns || v.first_ns > v.last_ns)
			bad(z, NULL, "tls_fps %#llx: %llu connections", (unsigned long long)key,
			    (unsigned long long)v.conns);
	}
}

static void check_flows(struct fuzz *z)
{
	static struct hs_flow f;
	__u32 i;

	for (i = 0; i < HS_FLOWS_MAX; i++) {
		if (bpf_map_lookup_elem(z->flows, &i, &f) || !f.state)
			continue;
		z->checked_flows++;
		if (f.state > HS_FLOW_DONE || (f.ep.family != 4 && f.ep.family != 6) ||
		    (f.ep.dport != 443 && f.ep.dport != 8443))
			bad(z, NULL, "flow slot %u: state %u, family %u, port %u", i, f.state,
			    f.ep.family, f.ep.dport);
	}
}

/* A QUIC flow slot: a client of port 443 with at most its Initials, no
 * server ID (no egress program here), not validated, not dropped. */
static void check_quic(struct fuzz *z)
{
	static struct hs_quic_flow f;
	__u32 i;

	for (i = 0; i < HS_QUIC_FLOWS_MAX; i++) {
		if (bpf_map_lookup_elem(z->qflows, &i, &f) || !f.ep.family)
			continue;
		z->checked_quic++;
		if ((f.ep.family != 4 && f.ep.family != 6) || f.ep.dport != 443 || !f.initials ||
		    f.initials > HS_QUIC_INITIALS_MAX || f.flags || f.scid_len)
			bad(z, NULL, "quic slot %u: family %u, port %u, %u Initials, flags %#x, "
			    "server ID of %u bytes", i, f.ep.family, f.ep.dport, f.initials,
			    f.flags, f.scid_len);
	}
}

/* Check every entry, then empty the maps so that new keys keep coming. */
static void check_maps(struct fuzz *z)
{
	static const struct hs_flow none;
	static const struct hs_quic_flow qnone;
	__u64 key;
	__u32 i;

	check_tcp(z);
	check_tls(z);
	check_flows(z);
	check_quic(z);
	for (i = 0; i < HS_QUIC_FLOWS_MAX; i++)
		bpf_map_update_elem(z->qflows, &i, &qnone, BPF_ANY);
	while (bpf_map_get_next_key(z->tcp, NULL, &key) == 0)
		bpf_map_delete_elem(z->tcp, &key);
	while (bpf_map_get_next_key(z->tls, NULL, &key) == 0)
		bpf_map_delete_elem(z->tls, &key);
	for (i = 0; i < HS_FLOWS_MAX; i++)
		bpf_map_update_elem(z->flows, &i, &none, BPF_ANY);
}

static void send_checked(struct fuzz *z, const struct pframe *f)
{
	send_frame(z, f);
	if (z->sent % CHECK_EVERY == 0)
		check_maps(z);
}

static void send_cb(void *z, const struct pframe *f)
{
	send_checked(z, f);
}

/* A seed connection with some frames mutated, a new source port each. */
static void fuzz_case(struct fuzz *z, __u16 sport)
{
	pktgen_case(sport, send_cb, z);
}

static void random_frame(struct fuzz *z)
{
	static struct pframe f;

	pktgen_random(&f);
	send_checked(z, &f);
}

static __u64 env_u64(const char *name, __u64 def)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : def;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void test_fuzz(void **state)
{
	__u64 packets = env_u64("HS_FUZZ_PACKETS", 300000);
	__u64 seconds = env_u64("HS_FUZZ_SECONDS", 0), seed = env_u64("HS_FUZZ_SEED", 0);
	struct fuzz z = { 0 };
	struct pframe f;
	__u16 sport = 1024;
	double t0;
	int s, i, len, err;

	(void)state;
	if (geteuid() != 0) {
		note("skipped: not root: BPF_PROG_TEST_RUN of XDP needs root");
		skip();
	}
	if (!seed)
		seed = (__u64)time(NULL);
	rng = seed | 1;
	note("seed %llu (HS_FUZZ_SEED=%llu repeats this run)", (unsigned long long)seed,
	     (unsigned long long)seed);
	z.skel = hs_open(&(struct hs_config){ 0 });
	if (!z.skel)
		fail_msg("opening the BPF object: %s", strerror(errno));
	err = hs_load(z.skel, NULL);
	if (err)
		fail_msg("loading the XDP program: %s", strerror(-err));
	z.prog = bpf_program__fd(hs_xdp_prog(z.skel));
	z.stats = bpf_map__fd(z.skel->maps.stats);
	z.tcp = bpf_map__fd(z.skel->maps.tcp_fps);
	z.tls = bpf_map__fd(z.skel->maps.tls_fps);
	z.flows = bpf_map__fd(z.skel->maps.flows);
	z.qflows = bpf_map__fd(z.skel->maps.quic_flows);
	make_seeds();
	t0 = now_s();

	/* every truncation of every seed frame, after the frames before it */
	for (s = 0; s < nseeds; s++)
		for (i = 0; i < seeds[s].n; i++)
			for (len = 14; len < seeds[s].f[i].len; len++) {
				int j;

				for (j = 0; j < i; j++)
					send_checked(&z, &seeds[s].f[j]);
				f = seeds[s].f[i];
				f.len = len;
				send_checked(&z, &f);
			}
	note("every truncation of %d seed connections: %llu packets", nseeds,
	     (unsigned long long)z.sent);

	while (z.sent < packets && z.bad < 10 && (!seconds || now_s() - t0 < (double)seconds)) {
		if (below(10) == 0)
			random_frame(&z);
		else
			fuzz_case(&z, sport++);
	}
	check_maps(&z);

	note("%llu packets in %.1f s (%llu frames under 14 bytes not sent), all XDP_PASS: %s",
	     (unsigned long long)z.sent, now_s() - t0, (unsigned long long)z.refused,
	     z.bad ? "no" : "yes");
	note("outcomes: syns %llu, tcp fingerprints new %llu, hellos %llu, tls fingerprints "
	     "new %llu, malformed %llu, too big %llu, not hello %llu, reassembly holes %llu, "
	     "parse errors %llu, fragments %llu, non-tcp %llu",
	     (unsigned long long)z.cls[HS_ST_SYNS], (unsigned long long)z.cls[HS_ST_FP_NEW],
	     (unsigned long long)z.cls[HS_ST_HELLOS], (unsigned long long)z.cls[HS_ST_TLS_FP_NEW],
	     (unsigned long long)z.cls[HS_ST_TLS_MALFORMED],
	     (unsigned long long)z.cls[HS_ST_TLS_TOO_BIG],
	     (unsigned long long)z.cls[HS_ST_TLS_NOT_HELLO],
	     (unsigned long long)z.cls[HS_ST_TLS_REASM_HOLES],
	     (unsigned long long)(z.cls[HS_ST_ERR_ETH] + z.cls[HS_ST_ERR_VLAN] +
				  z.cls[HS_ST_ERR_IP4] + z.cls[HS_ST_ERR_IP6] +
				  z.cls[HS_ST_ERR_IP6_EXT] + z.cls[HS_ST_ERR_TCP]),
	     (unsigned long long)z.cls[HS_ST_FRAGMENT], (unsigned long long)z.cls[HS_ST_NON_TCP]);
	note("map entries checked: %llu TCP, %llu TLS, %llu flow slots, %llu QUIC slots",
	     (unsigned long long)z.checked_tcp, (unsigned long long)z.checked_tls,
	     (unsigned long long)z.checked_flows, (unsigned long long)z.checked_quic);
	note("QUIC: Initials handed %llu, shed %llu, short headers %llu, malformed %llu, "
	     "other versions %llu, not Initials %llu, small %llu",
	     (unsigned long long)z.cls[HS_ST_QUIC_INITIALS],
	     (unsigned long long)(z.cls[HS_ST_QUIC_SHED_FLOW] + z.cls[HS_ST_QUIC_SHED_BUDGET] +
				  z.cls[HS_ST_QUIC_SHED_BUSY]),
	     (unsigned long long)z.cls[HS_ST_QUIC_SHORT_HEADER],
	     (unsigned long long)z.cls[HS_ST_QUIC_MALFORMED],
	     (unsigned long long)z.cls[HS_ST_QUIC_BAD_VERSION],
	     (unsigned long long)z.cls[HS_ST_QUIC_NOT_INITIAL],
	     (unsigned long long)z.cls[HS_ST_QUIC_SMALL]);
	hs_bpf__destroy(z.skel);
	if (z.bad)
		fail_msg("%d problems (seed %llu)", z.bad, (unsigned long long)seed);
	if (!z.cls[HS_ST_HELLOS] || !z.cls[HS_ST_FP_NEW] || !z.cls[HS_ST_TLS_MALFORMED])
		fail_msg("the run never reached a fingerprint or a malformed hello: seeds broken");
	if (!z.cls[HS_ST_QUIC_INITIALS] || !z.cls[HS_ST_QUIC_MALFORMED] ||
	    !z.cls[HS_ST_QUIC_NOT_INITIAL])
		fail_msg("the run never handed an Initial or met a bad QUIC header: seeds broken");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests_name("pktfuzz", tests, NULL, NULL);
}
