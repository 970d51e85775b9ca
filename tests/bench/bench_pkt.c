// SPDX-License-Identifier: BSD-3-Clause
/*
 * Per-packet cost of the XDP program (`make bench`), with BPF_PROG_TEST_RUN
 * on one pinned CPU, always beside an empty program (two instructions:
 * return XDP_PASS) measured in the same run: figures are the marginal ns
 * over it, medians.
 *
 * Steady classes (one packet repeated 1,000,000 times, 5 runs, median of
 * the runs' averages): a data segment of a tracked flow whose ClientHello
 * is done, a pure ACK, a UDP datagram and QUIC's (see quic(); with
 * BENCH_PKT_QUIC_ONLY set the bench stops after them), a SYN (IPv4, IPv6, two VLAN tags) to
 * the TLS port, a flood of SYNs from a new random source each (the
 * program's bench-only hook mixes a per-CPU count into the source), and
 * with the same hook ClientHellos each from a new source (no SYN seen):
 * novelty's slow path, three seen-map entries made per hello (the source
 * with the fingerprint, with the site, its /24), in a seen map kept full
 * (each entry evicts one). A spoofed ClientHello (issue 17): the
 * curl-like one from a new source each time, no SYN, through a program
 * with the handshake check: past the window's sample (spent in the
 * warm-up) it costs a counter; its ratio to the data segment of a
 * tracked flow in the same run. Enforcement in drop mode (enforce_drop):
 * the same data segment through a program loaded so, and a dropped
 * ClientHello sent again, each beside that segment without enforcement.
 * Connection classes (a fresh connection each
 * time, 20,000 of them, the median of single runs): a ClientHello in one
 * segment (Chrome-, curl- and Firefox-like; each from sources new to its
 * fingerprint: the slow path, the seen map far from full), the Chrome-like
 * one again from the same sources on other ports (known to the
 * fingerprint: novelty's common path, one lookup), each segment of a
 * two-segment ClientHello, in order and the second sent first, and
 * ClientHellos in 1, 2 and 3 TLS records (the reassembly of records, as
 * ratios to one); the SYN before them is sent untimed. The empty
 * program is timed the same way for these; the curl-like one again with
 * and without connection records (bench_no_conns), their difference what
 * a record costs. The sketches' address hash against layout 9's in the
 * SYN and ClientHello classes (bench_old_hash, hashes() below). A floor
 * beside them: a program
 * doing one hash-map lookup and an atomic add, the least a fingerprint
 * update costs. Also the memory of every map at its default size (the
 * kernel's own accounting, fdinfo memlock; the seen map's is its own line,
 * mem_map_seen). Issue 19's comparison (versus(), BENCH_PKT_VERSUS_ONLY)
 * also runs fresh connections batched, many in one test run through a
 * driver program (vs_batched), with the seen map empty and full, and
 * their SYNs alone: a flood of new connections.
 *
 * Output: one "name value unit" line per figure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "bpfobj.h"
#include "hs_bpf.skel.h"
#include "pkt.h"
#include "hs_hash.h"
#include "objload.h"
#include "check.h"
#include "prog.h"

#define REPEAT 1000000
#define RUNS 5
#define CONNS 20000

static int by_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static double median_u32(__u32 *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), by_u32);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/* XDP_DROP is a verdict run takes too (enforcement's classes) */
static bool drop_ok;

/* Average ns per run of fd over repeat runs of one frame; exits on error
 * or on a verdict other than XDP_PASS (or XDP_DROP with drop_ok). */
static __u32 run(int fd, const struct frame *f, __u32 repeat)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = (__u32)f->len,
		    .repeat = repeat);

	if (bpf_prog_test_run_opts(fd, &o) ||
	    (o.retval != XDP_PASS && !(drop_ok && o.retval == XDP_DROP))) {
		fprintf(stderr, "bench_pkt: test run: %s (verdict %u)\n", strerror(errno),
			o.retval);
		exit(1);
	}
	return o.duration;
}

static int empty_prog(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "hs_empty", "GPL", insns, 2, NULL);
}

/* A floor for a SYN's fingerprint update: one lookup in a hash map of 8-byte
 * keys (the kind tcp_fps is) and an atomic add to what it finds, nothing
 * else. flags: its load's (BPF_F_XDP_HAS_FRAGS, for a program array of
 * such programs: the batched classes' driver). */
static int floor_prog(__u32 flags)
{
	LIBBPF_OPTS(bpf_prog_load_opts, po, .expected_attach_type = BPF_XDP, .prog_flags = flags);
	__u64 key = 1, zero = 0;
	int map = bpf_map_create(BPF_MAP_TYPE_HASH, "hs_floor", 8, 8, HS_TCP_FP_MAX, NULL);
	struct bpf_insn insns[] = {
		{ .code = BPF_ST | BPF_MEM | BPF_DW, .dst_reg = BPF_REG_10, .off = -8, .imm = 1 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_2, .src_reg = BPF_REG_10 },
		{ .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = BPF_REG_2, .imm = -8 },
		{ .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_1,
		  .src_reg = BPF_PSEUDO_MAP_FD, .imm = map },
		{ 0 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_map_lookup_elem },
		{ .code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = BPF_REG_0, .off = 2 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = 1 },
		{ .code = BPF_STX | BPF_ATOMIC | BPF_DW, .dst_reg = BPF_REG_0, .src_reg = BPF_REG_1,
		  .imm = BPF_ADD },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	if (map < 0 || bpf_map_update_elem(map, &key, &zero, BPF_ANY))
		return -1;
	return bpf_prog_load(BPF_PROG_TYPE_XDP, "hs_floor", "GPL", insns,
			     sizeof(insns) / sizeof(insns[0]), &po);
}

/* Median over RUNS of the average of REPEAT runs, program and empty one
 * interleaved; prints the marginal ns, and returns it. */
static double steady(const char *name, int fd, int empty, const struct frame *f)
{
	__u32 a[RUNS], b[RUNS];
	int i;

	run(fd, f, 1000);       /* warm: the flow, the fingerprint exist */
	for (i = 0; i < RUNS; i++) {
		b[i] = run(empty, f, REPEAT);
		a[i] = run(fd, f, REPEAT);
	}
	printf("pkt_%s_ns %.1f ns\n", name, median_u32(a, RUNS) - median_u32(b, RUNS));
	return median_u32(a, RUNS) - median_u32(b, RUNS);
}

static struct pspec tcp4(__u16 sport, __u8 flags)
{
	return (struct pspec){ .ver = 4, .ttl = 64, .ip_id = 1, .frag = IPF_DF, .sport = sport,
			       .dport = 443, .seq = 1000, .ack = flags & TH_ACK ? 5000 : 0, .tflags = flags,
			       .win = 64240 };
}

static void syn_of(struct pspec *p)
{
	p->tflags = TH_SYN;
	p->ack = 0;
	p->seq = 999;
	p->opts = (const __u8 *)(p->ver == 6 ? LINUX6 : LINUX4);
	p->olen = 20;
	p->data = NULL;
	p->payload = 0;
}

/* A fresh connection per sample: its SYN untimed, then the segments of
 * one hello (split at `split` bytes, 0: one segment), each timed; the
 * median ns of segment `seg` (0 or 1; SEG_REVERSED: the second segment
 * sent first, seg counting in the order sent) in fd, of the same in
 * empty. Rounds 0-4 come from sources of their own; round r + 5 from
 * round r's again, on other ports (new connections of sources seen with
 * the fingerprint). */
#define SEG_REVERSED 2

static double per_conn(int fd, int empty, const __u8 *hello, int len, int split, int seg,
		       int round)
{
	static __u32 a[CONNS], b[CONNS];
	struct frame syn, s0, s1;
	int i, l0 = split ? split : len;

	for (i = 0; i < CONNS; i++) {
		__u16 sport = (__u16)(1024 + (i + round / 5 * CONNS) % 60000);
		char src[32];
		struct pspec p = tcp4(sport, TH_ACK | TH_PSH);

		/* a new connection each: no flow left from another round */
		snprintf(src, sizeof(src), "198.18.%d.%d", (round % 5 * 7 + i / 250) % 256,
			 i % 250 + 1);
		p.src = src;
		p.seq = 1000;
		p.data = hello;
		p.payload = l0;
		build(&p, &s0);
		if (split) {
			p.seq = 1000 + (__u32)l0;
			p.data = hello + l0;
			p.payload = len - l0;
			build(&p, &s1);
		}
		syn_of(&p);
		build(&p, &syn);
		run(fd, &syn, 1);
		if (seg & SEG_REVERSED) {
			struct frame t = s0;

			s0 = s1;
			s1 = t;
			seg &= 1;
		}
		if (seg == 0) {
			a[i] = run(fd, &s0, 1);
			if (split)
				run(fd, &s1, 1);
			b[i] = run(empty, &s0, 1);
		} else {
			run(fd, &s0, 1);
			a[i] = run(fd, &s1, 1);
			b[i] = run(empty, &s1, 1);
		}
	}
	return median_u32(a, CONNS) - median_u32(b, CONNS);
}

/* The kernel's accounting of a map's memory (fdinfo "memlock"), bytes. */
static long long memlock(int fd)
{
	char path[64], line[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "memlock:", 8))
			v = strtoll(line + 8, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

static void memory(struct hs_bpf *skel)
{
	struct bpf_map *m;
	long long total = 0;

	bpf_object__for_each_map(m, skel->obj) {
		long long b = memlock(bpf_map__fd(m));

		if (b < 0)
			continue;
		printf("mem_map_%s %.2f MiB\n", bpf_map__name(m), b / 1048576.0);
		total += b;
	}
	printf("mem_maps_total %.1f MiB\n", total / 1048576.0);
	printf("mem_per_tracked_flow %.0f bytes\n",
	       (double)memlock(bpf_map__fd(skel->maps.flows)) / HS_FLOWS_MAX);
	printf("mem_per_tls_fingerprint %.0f bytes\n",
	       (double)memlock(bpf_map__fd(skel->maps.tls_fps)) / HS_TLS_FP_MAX);
	printf("mem_per_tcp_fingerprint %.0f bytes\n",
	       (double)memlock(bpf_map__fd(skel->maps.tcp_fps)) / HS_TCP_FP_MAX);
}

/* check: the handshake check (0: new sources are loaded without it) */
static struct hs_bpf *load4(bool vary, bool no_conns, bool old_hash, unsigned int check)
{
	/* new sources (vary): no SYN is seen for them, so their ClientHellos
	 * count only without the handshake check; that is the path timed */
	struct hs_config cfg = { .handshake = check ? check : vary ? HS_CHECK_NONE : 0 };
	struct hs_bpf *skel = hs_open(&cfg);

	if (!skel)
		return NULL;
	skel->rodata->bench_vary_src = vary;
	skel->rodata->bench_no_conns = no_conns;
	skel->rodata->bench_old_hash = old_hash;
	if (hs_load(skel, NULL)) {
		hs_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

static struct hs_bpf *load3(bool vary, bool no_conns, bool old_hash)
{
	return load4(vary, no_conns, old_hash, 0);
}

static struct hs_bpf *load(bool vary, bool no_conns)
{
	return load3(vary, no_conns, false);
}

/* Connection sport's SYN through fd, and its ClientHello's segment built
 * into f (not run); p: its headers. */
static void conn_hello(int fd, __u16 sport, const __u8 *hello, int len, struct pspec *p,
		       struct frame *f)
{
	*p = tcp4(sport, TH_SYN);
	syn_of(p);
	build(p, f);
	run(fd, f, 1);
	*p = tcp4(sport, TH_ACK | TH_PSH);
	p->data = hello;
	p->payload = len;
	build(p, f);
}

/* A tracked flow through fd: its SYN, its ClientHello, and the data
 * segment after them built into f. */
static void tracked_data(int fd, __u16 sport, const __u8 *hello, int len, struct frame *f)
{
	struct pspec p;

	conn_hello(fd, sport, hello, len, &p, f);
	run(fd, f, 1);
	p.seq += (__u32)len;
	p.data = (const __u8 *)"GET /v1/items HTTP/1.1\r\nHost: api.example.com\r\n\r\n";
	p.payload = 49;
	build(&p, f);
}

/*
 * Spoofed ClientHellos (issue 17): the curl-like one from a new source
 * each time (the bench hook), no SYN seen, through a program with the
 * handshake check (syn): the warm-up spends the window's sample of
 * unvalidated ClientHellos walked (256 on this CPU), every repeat after
 * it is counted without a walk. Beside the data segment of a tracked
 * flow (data_ns, the same run): the ratio the issue bounds at 2.
 */
static void spoofed(int empty, double data_ns)
{
	static __u8 hello[4096];
	struct hs_bpf *sp = load4(true, false, false, HS_CHECK_SYN);
	struct frame f;
	struct pspec p;
	double ns;
	int len;

	if (!sp) {
		fprintf(stderr, "bench_pkt: couldn't load the spoofed-hello program\n");
		exit(1);
	}
	len = pkt_hello(1, hello, sizeof(hello));
	p = tcp4(40006, TH_ACK | TH_PSH);
	p.data = hello;
	p.payload = len;
	build(&p, &f);
	ns = steady("hello_spoofed_past_sample", bpf_program__fd(hs_xdp_prog(sp)), empty, &f);
	printf("pkt_hello_spoofed_vs_data_tracked_flow %.2f ratio\n",
	       data_ns > 0 ? ns / data_ns : 0);
	hs_bpf__destroy(sp);
}

/*
 * Enforcement in drop mode: the data segment of a tracked flow through a
 * program loaded with --enforce drop (one more array read: the dropped
 * hellos' set of the flow slot), as a ratio to data_ns (the same segment without
 * enforcement, the same run); and a dropped ClientHello sent again and
 * again (each repeat judged again on its ids and dropped: hs_redrop).
 */
static void enforce_drop(int empty, double data_ns)
{
	static __u8 hello[4096];
	struct hs_config cfg = { 0 };
	struct hs_enforce v = { .mode = HS_ENF_DROP, .scope = HS_SCOPE_ALL, .expires_ns = ~0ULL };
	struct hs_bpf *sk = hs_open(&cfg);
	__u64 key, next;
	struct frame f;
	struct pspec p;
	double ns = 0;
	int fd, i, len = pkt_hello(1, hello, sizeof(hello));

	if (sk)
		hs_set_enforce(sk, HS_ENF_DROP);
	if (!sk || hs_load(sk, NULL)) {
		fprintf(stderr, "bench_pkt: couldn't load the drop-mode program\n");
		exit(1);
	}
	fd = bpf_program__fd(hs_xdp_prog(sk));
	/* a tracked flow whose hello passed: its data */
	tracked_data(fd, 40021, hello, len, &f);
	ns = steady("data_tracked_flow_drop_mode", fd, empty, &f);
	printf("pkt_data_tracked_flow_drop_mode_vs_off %.2f ratio\n", data_ns > 0 ? ns / data_ns : 0);
	/* the hello's id enforced: another connection's hello dropped, then
	 * sent again */
	if (bpf_map_get_next_key(bpf_map__fd(sk->maps.tls_fps), NULL, &next)) {
		fprintf(stderr, "bench_pkt: no fingerprint in the drop-mode program\n");
		exit(1);
	}
	key = HS_GEN_KEY(next, 0);
	bpf_map_update_elem(bpf_map__fd(sk->maps.enforce), &key, &v, BPF_ANY);
	conn_hello(fd, 40022, hello, len, &p, &f);
	for (i = 0; i < 2; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f.b, .data_size_in = (__u32)f.len);

		if (bpf_prog_test_run_opts(fd, &o) || o.retval != XDP_DROP) {
			fprintf(stderr, "bench_pkt: the enforced hello%s: XDP_DROP expected, got %u\n",
				i ? " sent again" : "", o.retval);
			exit(1);
		}
		if (i)
			break;
		drop_ok = true;
		ns = steady("hello_dropped_sent_again", fd, empty, &f);
		drop_ok = false;
	}
	printf("pkt_hello_dropped_sent_again_vs_data_tracked_flow %.2f ratio\n",
	       data_ns > 0 ? ns / data_ns : 0);
	hs_bpf__destroy(sk);
}

/* A QUIC datagram of len bytes from sport to dport: a version 1 Initial
 * (its packet filling the datagram), or a short header. */
static void quic_frame(__u16 sport, __u16 dport, int initial, int len, struct frame *f)
{
	static __u8 d[1500];
	struct qspec q = { .type = QT_INITIAL, .size = len, .b0 = initial ? 0 : 0x41 };
	struct pspec p = { .ver = 4, .ttl = 64, .frag = IPF_DF, .proto = NH_UDP, .udp = 1,
			   .sport = sport, .dport = dport, .data = d };

	p.payload = quic_dgram(&q, d, sizeof(d));
	build(&p, f);
}

static int no_event(void *ctx, void *data, size_t size)
{
	(void)ctx, (void)data, (void)size;
	return 0;
}

/*
 * QUIC (issue 18) and other UDP: a DNS datagram (other UDP: the parse,
 * the port check, a counter), a short-header datagram to the QUIC port
 * (1-RTT, most of a connection: the first byte, a counter), an Initial
 * from a new source each (the bench hook): a flow slot taken and 1,250
 * bytes into the ring buffer, single runs with the ring buffer read and
 * the budget renewed between them, medians; and the same past the CPU's
 * budget (a program loaded with a budget of 0: a spoofed flood once the
 * window's budget is spent). Ratios: the program's whole time over the
 * empty program's.
 */
static void quic(int fd, int empty, double empty_ns)
{
	static __u32 a[CONNS], b[CONNS];
	struct hs_config cfg = { 0 };
	struct hs_bpf *v = hs_open(&cfg), *shed = hs_open(&cfg);
	struct ring_buffer *rb;
	struct frame f;
	struct pspec p = { .ver = 4, .ttl = 64, .frag = IPF_DF, .proto = NH_UDP, .udp = 1,
			   .sport = 40100, .dport = 53, .payload = 40 };
	double ns;
	int i;

	build(&p, &f);
	ns = steady("non_tcp_udp", fd, empty, &f);
	printf("pkt_non_tcp_udp_ratio %.2f x\n", (empty_ns + ns) / empty_ns);
	quic_frame(40101, 443, 0, 200, &f);
	ns = steady("quic_short_header", fd, empty, &f);
	printf("pkt_quic_short_header_ratio %.2f x\n", (empty_ns + ns) / empty_ns);

	if (!v || !shed) {
		fprintf(stderr, "bench_pkt: couldn't open the QUIC programs\n");
		exit(1);
	}
	v->rodata->bench_vary_src = 1;
	shed->rodata->bench_vary_src = 1;
	shed->rodata->quic_budget_max = 0;
	if (hs_load(v, NULL) || hs_load(shed, NULL)) {
		fprintf(stderr, "bench_pkt: couldn't load the QUIC programs\n");
		exit(1);
	}
	rb = ring_buffer__new(bpf_map__fd(v->maps.events), no_event, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "bench_pkt: couldn't open the ring buffer\n");
		exit(1);
	}
	quic_frame(40102, 443, 1, 1250, &f);
	for (i = 0; i < CONNS; i++) {
		if (i % 256 == 0) {
			ring_buffer__consume(rb);
			v->bss->sample_epoch++;
		}
		a[i] = run(bpf_program__fd(hs_xdp_prog(v)), &f, 1);
		b[i] = run(empty, &f, 1);
	}
	ns = median_u32(a, CONNS) - median_u32(b, CONNS);
	printf("pkt_quic_initial_ns %.1f ns\n", ns);
	printf("pkt_quic_initial_ratio %.2f x\n", (empty_ns + ns) / empty_ns);
	ns = steady("quic_initial_past_budget", bpf_program__fd(hs_xdp_prog(shed)), empty, &f);
	printf("pkt_quic_initial_past_budget_ratio %.2f x\n", (empty_ns + ns) / empty_ns);
	ring_buffer__free(rb);
	hs_bpf__destroy(v);
	hs_bpf__destroy(shed);
}

#define HASH_RUNS 11

/* One steady class on the programs with each address hash, their runs (of
 * repeat packets) and the empty program's interleaved: the medians'
 * marginal ns. */
static void steady_hashes(const char *name, int pg, int old, int empty, const struct frame *f,
			  __u32 repeat)
{
	__u32 a[HASH_RUNS], b[HASH_RUNS], e[HASH_RUNS];
	double na, nb;
	int i;

	run(pg, f, 1000);
	run(old, f, 1000);
	for (i = 0; i < HASH_RUNS; i++) {
		e[i] = run(empty, f, repeat);
		a[i] = run(pg, f, repeat);
		b[i] = run(old, f, repeat);
	}
	na = median_u32(a, HASH_RUNS) - median_u32(e, HASH_RUNS);
	nb = median_u32(b, HASH_RUNS) - median_u32(e, HASH_RUNS);
	printf("pkt_hash_%s_pg_ns %.1f ns\n", name, na);
	printf("pkt_hash_%s_old_ns %.1f ns\n", name, nb);
	printf("pkt_hash_%s_pg_minus_old_ns %.1f ns\n", name, na - nb);
}

/*
 * The sketches' address hash, PostgreSQL hll's (MurmurHash3 x64 128 of
 * the address bytes and of the network's) against layout 9's (hs_mix64
 * twice over the address words), in programs loaded afresh that differ
 * only in it (bench_old_hash): the SYN classes, and ClientHellos from new
 * sources (steady, the flood hook) and in fresh connections. Every SYN
 * and every counted ClientHello hashes its source and its network once.
 */
static void hashes(int empty)
{
	static const char *const stacks[] = { "chrome", "curl", "firefox" };
	static __u8 hello[4096];
	struct hs_bpf *pg = load3(false, false, false), *old = load3(false, false, true);
	struct hs_bpf *pgf = load3(true, false, false), *oldf = load3(true, false, true);
	struct frame f;
	struct pspec p;
	char name[64];
	int i, len;

	if (!pg || !old || !pgf || !oldf) {
		fprintf(stderr, "bench_pkt: couldn't load the programs of each hash\n");
		exit(1);
	}
#define FD(s) bpf_program__fd(hs_xdp_prog(s))
	p = tcp4(41003, TH_SYN);
	syn_of(&p);
	build(&p, &f);
	steady_hashes("syn_ipv4", FD(pg), FD(old), empty, &f, REPEAT);
	p.ver = 6;
	syn_of(&p);
	build(&p, &f);
	steady_hashes("syn_ipv6", FD(pg), FD(old), empty, &f, REPEAT);
	p = tcp4(41004, TH_SYN);
	syn_of(&p);
	build(&p, &f);
	steady_hashes("syn_flood_random_src", FD(pgf), FD(oldf), empty, &f, REPEAT);
	for (i = 0; i < 3; i++) {
		len = pkt_hello(i, hello, sizeof(hello));
		p = tcp4(41005, TH_ACK | TH_PSH);
		p.data = hello;
		p.payload = len;
		build(&p, &f);
		snprintf(name, sizeof(name), "hello_%s_new_source", stacks[i]);
		/* ~4 us each: fewer repeats */
		steady_hashes(name, FD(pgf), FD(oldf), empty, &f, REPEAT / 10);
	}
	for (i = 0; i < 3; i++) {
		double a, b;

		len = pkt_hello(i, hello, sizeof(hello));
		a = per_conn(FD(pg), empty, hello, len, 0, 0, i);
		b = per_conn(FD(old), empty, hello, len, 0, 0, i);
		printf("pkt_hash_hello_%s_conn_pg_ns %.1f ns\n", stacks[i], a);
		printf("pkt_hash_hello_%s_conn_old_ns %.1f ns\n", stacks[i], b);
		printf("pkt_hash_hello_%s_conn_pg_minus_old_ns %.1f ns\n", stacks[i], a - b);
	}
#undef FD
	hs_bpf__destroy(pg);
	hs_bpf__destroy(old);
	hs_bpf__destroy(pgf);
	hs_bpf__destroy(oldf);
}

/*
 * Reassembly of records: a hello in 1, 2 and 3 TLS records (its message
 * cut in halves, in thirds), each from sources known to its fingerprint
 * (round 6: round 1's again) so that only the records differ: the
 * curl-like hello in one segment, and the large Chrome-like one in two
 * (the completing segment timed), with the ratios to one record.
 */
static void records(int fd, int empty)
{
	static __u8 one[4096], two[4096], three[4096];
	struct hspec big = SPEC_GREASE(.pad = 1600);
	int k, l1, l2, l3, m;

	for (k = 0; k < 2; k++) {
		const char *name = k ? "chrome_2seg" : "curl";
		double a, b, c;

		l1 = k ? build_hello(&big, one, sizeof(one)) : pkt_hello(1, one, sizeof(one));
		m = l1 - 5;
		l2 = pkt_records(one, l1, (int[]){ m / 2 }, 1, two, sizeof(two));
		l3 = pkt_records(one, l1, (int[]){ m / 3, 2 * m / 3 }, 2, three, sizeof(three));
		a = per_conn(fd, empty, one, l1, k ? 1200 : 0, k, 6);
		b = per_conn(fd, empty, two, l2, k ? 1200 : 0, k, 6);
		c = per_conn(fd, empty, three, l3, k ? 1200 : 0, k, 6);
		printf("pkt_hello_%s_1rec_ns %.1f ns\n", name, a);
		printf("pkt_hello_%s_2rec_ns %.1f ns\n", name, b);
		printf("pkt_hello_%s_3rec_ns %.1f ns\n", name, c);
		printf("pkt_hello_%s_2rec_ratio %.2f x\n", name, a > 0 ? b / a : 0);
		printf("pkt_hello_%s_3rec_ratio %.2f x\n", name, a > 0 ? c / a : 0);
	}
}

/*
 * Issue 19: today's program beside the one it was made faster from, the
 * BPF object of BASE_REV (Makefile: .output/base/hydrascope.bpf.o, built
 * from git), both loaded by name from their files the same way
 * (objload.h), each class's runs interleaved with the empty program's
 * and the floor's (one hash-map lookup and an atomic add): per class the
 * marginal ns of each, the speedup (old / new) and each as a multiple of
 * the floor's on the same packets, timed the same way. Steady classes:
 * one packet repeated, median of VS_RUNS runs. Connection classes: a
 * fresh connection each (its SYN untimed), single runs, medians over
 * CONNS connections, streamed through one program at a time and cold
 * (vs_conn); batched (vs_batched). BENCH_PKT_VERSUS_ONLY=1: only this.
 */
#define VS_RUNS 7
#define BASE_OBJ ".output/base/hydrascope.bpf.o"
#define NEW_OBJ ".output/hydrascope.bpf.o"

struct vs {
	int empty, floor;
};

static struct bpf_object *vs_load(const char *path, const struct objcfg *c)
{
	struct bpf_object *o = obj_load(path, c);
	struct bpf_map *m;

	if (!o) {
		fprintf(stderr, "bench_pkt: %s\n", objload_err);
		exit(1);
	}
	/* the arrays' pages in memory, as on a host that has run a while:
	 * the kernel allocates a big array's pages at their first write, the
	 * prealloc'd hashes (the old program's LRUs) at the map's creation,
	 * so that the first connections through a fresh array (the seen and
	 * conns sets) cost a page fault each (6 us a hello, measured) */
	bpf_object__for_each_map(m, o)
		if (bpf_map__type(m) == BPF_MAP_TYPE_ARRAY && !bpf_map__is_internal(m) &&
		    array_zero(bpf_map__fd(m))) {
			fprintf(stderr, "bench_pkt: %s: %s\n", bpf_map__name(m), strerror(errno));
			exit(1);
		}
	return o;
}

/* BENCH_PKT_VERSUS_ONLY=WORD (not 1): only the classes whose name holds
 * it; WORD$: whose name ends with it */
static int vs_skip(const char *name)
{
	const char *f = getenv("BENCH_PKT_VERSUS_ONLY");
	size_t n = f ? strlen(f) : 0, m = strlen(name);

	if (!f || !strcmp(f, "1"))
		return 0;
	if (n && f[n - 1] == '$')
		return n - 1 > m || strncmp(name + m - (n - 1), f, n - 1);
	return !strstr(name, f);
}

/* BENCH_PKT_SPIN=N (tests/bench/profile.sh): each steady or batched
 * class BENCH_PKT_VERSUS_ONLY selects is run N times through the new
 * program alone, unmeasured, for a profiler to sample; the fresh
 * connections' classes are left out. 0: not set. */
static long vs_spin(void)
{
	static long n = -1;
	const char *s;
	char *end;

	if (n >= 0)
		return n;
	s = getenv("BENCH_PKT_SPIN");
	n = 0;
	if (s) {
		errno = 0;
		n = strtol(s, &end, 10);
		if (errno || end == s || *end || n < 1) {
			fprintf(stderr, "bench_pkt: BENCH_PKT_SPIN: not a positive count: %s\n", s);
			exit(2);
		}
	}
	return n;
}

/* The line profile.sh waits for: the class, its CPU, its process */
static void vs_spinning(const char *name)
{
	fprintf(stderr, "bench_pkt: spinning %s on CPU %d, pid %d\n", name, sched_getcpu(),
		(int)getpid());
}

/* A class's figures; floor_ns: the floor's on the same packets, timed
 * the same way (not a multiple when its runs left it at 0 or under). */
static void vs_print(const char *name, double old_ns, double new_ns, double floor_ns)
{
	printf("vs_%s_floor_ns %.2f ns\n", name, floor_ns);
	printf("vs_%s_old_ns %.2f ns\n", name, old_ns);
	printf("vs_%s_new_ns %.2f ns\n", name, new_ns);
	printf("vs_%s_speedup %.2f x\n", name, new_ns > 0 ? old_ns / new_ns : 0);
	if (floor_ns > 0) {
		printf("vs_%s_old_x_floor %.1f x\n", name, old_ns / floor_ns);
		printf("vs_%s_new_x_floor %.1f x\n", name, new_ns / floor_ns);
	}
	fflush(stdout);
}

static int by_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median_double(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), by_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* As run, but the ns per run as the clock around the system call sees
 * it, not the kernel's whole ns: the data packet's 6 or 7 ns is 0.86 or
 * 1.00 at that resolution. What the call costs besides the runs (the
 * frame set up, the kernel entered) is the same for every program, and
 * taken off with the empty program's. */
static double run_fine(int fd, const struct frame *f, __u32 repeat)
{
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	run(fd, f, repeat);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / repeat;
}

/* A steady class: f repeated in the old program (fo) and the new (fn). */
static void vs_steady(struct vs *v, const char *name, int fo, int fn, const struct frame *f,
		      __u32 repeat)
{
	double e[VS_RUNS], fl[VS_RUNS], a[VS_RUNS], b[VS_RUNS], en, floor_ns;
	int i;

	if (vs_skip(name))
		return;
	run(fo, f, 1000);
	run(fn, f, 1000);
	if (vs_spin()) {
		vs_spinning(name);
		for (i = 0; i < vs_spin(); i++)
			run(fn, f, repeat);
		return;
	}
	for (i = 0; i < VS_RUNS; i++) {
		e[i] = run_fine(v->empty, f, repeat);
		fl[i] = run_fine(v->floor, f, repeat);
		a[i] = run_fine(fo, f, repeat);
		b[i] = run_fine(fn, f, repeat);
	}
	en = median_double(e, VS_RUNS);
	floor_ns = median_double(fl, VS_RUNS) - en;
	printf("vs_%s_empty_ns %.2f ns\n", name, en);
	vs_print(name, median_double(a, VS_RUNS) - en, median_double(b, VS_RUNS) - en, floor_ns);
}

/* A fresh connection per sample as per_conn, in both programs (the
 * same connections in each), the empty program after them: the medians
 * of segment seg's ns. Streamed (the class's figure): blocks of
 * VS_BLOCK connections, each through one program and then the same
 * through the other (which goes first alternating), as a program meets
 * a stream of new connections on a host. Cold (_cold): each connection
 * through one program right after the other's, so that the other
 * program's code has pushed this one's out of the CPU's caches. The
 * floor's single runs on the same segments beside the empty program's. */
#define VS_BLOCK 64

static void vs_conn_mode(struct vs *v, const char *name, int fo, int fn, const __u8 *hello,
			 int len, int split, int seg, int round, int block)
{
	static __u32 a[CONNS], b[CONNS], e[CONNS], fl[CONNS];
	static struct frame syn[VS_BLOCK], s0[VS_BLOCK], s1[VS_BLOCK];
	int i, j, k, l0 = split ? split : len;

	if (vs_skip(name) || vs_spin())
		return;
	for (i = 0; i < CONNS; i += block) {
		for (j = 0; j < block; j++) {
			int c = i + j;
			__u16 sport = (__u16)(1024 + (c + round / 5 * CONNS) % 60000);
			char src[32];
			struct pspec p = tcp4(sport, TH_ACK | TH_PSH);

			/* the cold connections from sources of their own */
			snprintf(src, sizeof(src), "198.%d.%d.%d", block == 1 ? 19 : 18,
				 (round % 5 * 7 + c / 250) % 128 + (block == 1 ? 128 : 0),
				 c % 250 + 1);
			p.src = src;
			p.seq = 1000;
			p.data = hello;
			p.payload = l0;
			build(&p, &s0[j]);
			if (split) {
				p.seq = 1000 + (__u32)l0;
				p.data = hello + l0;
				p.payload = len - l0;
				build(&p, &s1[j]);
			}
			syn_of(&p);
			build(&p, &syn[j]);
		}
		for (k = 0; k < 2; k++) {
			/* blocks alternate which program goes first */
			int second = (k + i / block) & 1, fd = second ? fn : fo;

			for (j = 0; j < block; j++) {
				__u32 t;

				run(fd, &syn[j], 1);
				if (seg == 0) {
					t = run(fd, &s0[j], 1);
					if (split)
						run(fd, &s1[j], 1);
				} else {
					run(fd, &s0[j], 1);
					t = run(fd, &s1[j], 1);
				}
				(second ? b : a)[i + j] = t;
			}
		}
		for (j = 0; j < block; j++) {
			e[i + j] = run(v->empty, seg ? &s1[j] : &s0[j], 1);
			fl[i + j] = run(v->floor, seg ? &s1[j] : &s0[j], 1);
		}
	}
	vs_print(name, median_u32(a, CONNS) - median_u32(e, CONNS),
		 median_u32(b, CONNS) - median_u32(e, CONNS),
		 median_u32(fl, CONNS) - median_u32(e, CONNS));
}

/* The streamed figure under name, the cold one under name_cold (from
 * sources of their own, 198.19.128.0/17: new to the program as the
 * streamed ones were, or known as they were). */
static void vs_conn(struct vs *v, const char *name, int fo, int fn, const __u8 *hello, int len,
		    int split, int seg, int round)
{
	char cold[80];

	vs_conn_mode(v, name, fo, fn, hello, len, split, seg, round, VS_BLOCK);
	snprintf(cold, sizeof(cold), "%s_cold", name);
	vs_conn_mode(v, cold, fo, fn, hello, len, split, seg, round, 1);
}

/*
 * Fresh connections batched: many in one BPF_PROG_TEST_RUN call, as a
 * NIC's poll hands the program a batch of frames, not one per system call
 * (vs_conn's single runs each begin in a fresh system call: on a VM whose
 * kernel entry flushes the TLB, PTI without PCID, every page the program
 * touches is a TLB miss there, alike in both programs). A driver program
 * (raw instructions, below) rewrites the frame at each run into the next
 * packet of the sequence, SYN, then the hello's segments, each connection
 * from its own source (198.18.0.0/15, counted from a run's first), and
 * tail-calls the program under test (slot 0 of a program array): old, new
 * or the empty one. Its own cost (the copy of a template into the frame)
 * is the same for the three, and is taken off with the empty one's.
 */
#define DRV_TMPL_MAX 2048
#define DRV_T0 1767225600000000000ULL     /* the clock's start (replay clock) */
#define DRV_PHASES 3
struct drv_tmpl {
	__u32 len, pad;
	__u8 b[DRV_TMPL_MAX];
};
struct drv_ctl {
	__u64 count;            /* runs so far: phase count % period, connection count / period */
	__u32 period;           /* packets a connection (1 + the hello's segments) */
	__u32 skip;             /* bit p: phase p not handed to the program */
	__u32 src_base, src_mask; /* connection k's source: base + (k & mask) */
	__u16 sport, pad[3];
};
/* A program array takes only targets whose BPF_F_XDP_HAS_FRAGS is its
 * owner's (the kernel refuses the others, EINVAL): a driver and its empty
 * target each way, [1] with the flag (today's hs_xdp, xdp.frags), [0]
 * without (BASE_REV's). */
struct drv {
	int ctl, tmpl;
	int prog[2], target[2];
	int empty[2];           /* an empty target: return XDP_PASS */
	int floor[2];           /* a floor target (floor_prog) */
	struct frame longest;   /* the frame a run starts from */
};

#define DI(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), \
					      .off = (o), .imm = (i) })
#define DMAP(d, fd) DI(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd), DI(0, 0, 0, 0, 0)

static int drv_load1(struct drv *d, int fr)
{
	LIBBPF_OPTS(bpf_prog_load_opts, po, .expected_attach_type = BPF_XDP,
		    .prog_flags = fr ? BPF_F_XDP_HAS_FRAGS : 0);
	struct bpf_insn empty[] = {
		DI(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, XDP_PASS),
		DI(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	int R0 = BPF_REG_0, R1 = BPF_REG_1, R2 = BPF_REG_2, R3 = BPF_REG_3, R4 = BPF_REG_4,
	    R6 = BPF_REG_6, R7 = BPF_REG_7, R8 = BPF_REG_8, R9 = BPF_REG_9, FP = BPF_REG_10;

	d->target[fr] = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "hs_drv_target", 4, 4, 1, NULL);
	if (d->target[fr] < 0)
		return -1;
	{
		struct bpf_insn p[] = {
			DI(BPF_ALU64 | BPF_MOV | BPF_X, R6, R1, 0, 0),
			/* ctl */
			DI(BPF_ST | BPF_MEM | BPF_W, FP, 0, -4, 0),
			DI(BPF_ALU64 | BPF_MOV | BPF_X, R2, FP, 0, 0),
			DI(BPF_ALU64 | BPF_ADD | BPF_K, R2, 0, 0, -4),
			DMAP(R1, d->ctl),
			DI(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
			DI(BPF_JMP | BPF_JEQ | BPF_K, R0, 0, 48, 0),            /* -> fail */
			DI(BPF_ALU64 | BPF_MOV | BPF_X, R7, R0, 0, 0),
			DI(BPF_LDX | BPF_MEM | BPF_DW, R8, R7, 0, 0),
			DI(BPF_ALU64 | BPF_MOV | BPF_X, R1, R8, 0, 0),
			DI(BPF_ALU64 | BPF_ADD | BPF_K, R1, 0, 0, 1),
			DI(BPF_STX | BPF_MEM | BPF_DW, R7, R1, 0, 0),
			DI(BPF_LDX | BPF_MEM | BPF_W, R1, R7, 8, 0),            /* period */
			DI(BPF_JMP | BPF_JEQ | BPF_K, R1, 0, 41, 0),            /* -> fail */
			DI(BPF_ALU64 | BPF_MOV | BPF_X, R9, R8, 0, 0),
			DI(BPF_ALU64 | BPF_MOD | BPF_X, R9, R1, 0, 0),          /* phase */
			DI(BPF_ALU64 | BPF_DIV | BPF_X, R8, R1, 0, 0),          /* connection */
			DI(BPF_STX | BPF_MEM | BPF_W, FP, R9, -8, 0),
			/* its template */
			DI(BPF_ALU64 | BPF_MOV | BPF_X, R2, FP, 0, 0),
			DI(BPF_ALU64 | BPF_ADD | BPF_K, R2, 0, 0, -8),
			DMAP(R1, d->tmpl),
			DI(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
			DI(BPF_JMP | BPF_JEQ | BPF_K, R0, 0, 31, 0),            /* -> fail */
			DI(BPF_ALU64 | BPF_MOV | BPF_X, R9, R0, 0, 0),
			/* the frame to the template's length, then its bytes */
			DI(BPF_LDX | BPF_MEM | BPF_W, R1, R6, 0, 0),            /* data */
			DI(BPF_LDX | BPF_MEM | BPF_W, R3, R6, 4, 0),            /* data_end */
			DI(BPF_ALU64 | BPF_SUB | BPF_X, R3, R1, 0, 0),
			DI(BPF_LDX | BPF_MEM | BPF_W, R2, R9, 0, 0),
			DI(BPF_ALU64 | BPF_SUB | BPF_X, R2, R3, 0, 0),
			DI(BPF_ALU64 | BPF_MOV | BPF_X, R1, R6, 0, 0),
			DI(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_xdp_adjust_tail),
			DI(BPF_JMP | BPF_JNE | BPF_K, R0, 0, 22, 0),            /* -> fail */
			DI(BPF_LDX | BPF_MEM | BPF_W, R4, R9, 0, 0),
			DI(BPF_JMP | BPF_JGT | BPF_K, R4, 0, 20, DRV_TMPL_MAX),  /* -> fail */
			DI(BPF_JMP | BPF_JEQ | BPF_K, R4, 0, 19, 0),            /* -> fail */
			DI(BPF_ALU64 | BPF_MOV | BPF_X, R1, R6, 0, 0),
			DI(BPF_ALU64 | BPF_MOV | BPF_K, R2, 0, 0, 0),
			DI(BPF_ALU64 | BPF_MOV | BPF_X, R3, R9, 0, 0),
			DI(BPF_ALU64 | BPF_ADD | BPF_K, R3, 0, 0, 8),
			DI(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_xdp_store_bytes),
			DI(BPF_JMP | BPF_JNE | BPF_K, R0, 0, 13, 0),            /* -> fail */
			/* the connection's source address and port */
			DI(BPF_LDX | BPF_MEM | BPF_W, R2, R6, 0, 0),
			DI(BPF_LDX | BPF_MEM | BPF_W, R3, R6, 4, 0),
			DI(BPF_ALU64 | BPF_MOV | BPF_X, R1, R2, 0, 0),
			DI(BPF_ALU64 | BPF_ADD | BPF_K, R1, 0, 0, 36),
			DI(BPF_JMP | BPF_JGT | BPF_X, R1, R3, 8, 0),            /* -> fail */
			DI(BPF_LDX | BPF_MEM | BPF_W, R1, R7, 20, 0),           /* src_mask */
			DI(BPF_ALU64 | BPF_AND | BPF_X, R1, R8, 0, 0),
			DI(BPF_LDX | BPF_MEM | BPF_W, R4, R7, 16, 0),           /* src_base */
			DI(BPF_ALU64 | BPF_ADD | BPF_X, R4, R1, 0, 0),
			DI(BPF_ALU | BPF_END | BPF_TO_BE, R4, 0, 0, 32),
			DI(BPF_STX | BPF_MEM | BPF_W, R2, R4, 26, 0),
			DI(BPF_LDX | BPF_MEM | BPF_H, R4, R7, 24, 0),           /* sport */
			DI(BPF_JMP | BPF_JA, 0, 0, 2, 0),                       /* -> sport */
			/* fail: */
			DI(BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, XDP_ABORTED),
			DI(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
			/* sport: */
			DI(BPF_ALU | BPF_END | BPF_TO_BE, R4, 0, 0, 16),
			DI(BPF_STX | BPF_MEM | BPF_H, R2, R4, 34, 0),
			/* the program under test, unless this phase is skipped */
			DI(BPF_LDX | BPF_MEM | BPF_W, R1, R7, 12, 0),           /* skip */
			DI(BPF_LDX | BPF_MEM | BPF_W, R2, FP, -8, 0),           /* phase */
			DI(BPF_ALU64 | BPF_RSH | BPF_X, R1, R2, 0, 0),
			DI(BPF_ALU64 | BPF_AND | BPF_K, R1, 0, 0, 1),
			DI(BPF_JMP | BPF_JNE | BPF_K, R1, 0, 7, 0),             /* -> pass */
			DI(BPF_ALU64 | BPF_MOV | BPF_X, R1, R6, 0, 0),
			DMAP(R2, d->target[fr]),
			DI(BPF_ALU64 | BPF_MOV | BPF_K, R3, 0, 0, 0),
			DI(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_tail_call),
			/* no target: aborted, as a failure */
			DI(BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, XDP_ABORTED),
			DI(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
			/* pass: */
			DI(BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, XDP_PASS),
			DI(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
		};
		char log[65536];
		LIBBPF_OPTS(bpf_prog_load_opts, lo, .expected_attach_type = BPF_XDP,
			    .prog_flags = po.prog_flags,
			    .log_buf = log, .log_size = sizeof(log), .log_level = 1);

		log[0] = 0;
		d->prog[fr] = bpf_prog_load(BPF_PROG_TYPE_XDP, "hs_drv", "GPL", p,
					    sizeof(p) / sizeof(p[0]), &lo);
		if (d->prog[fr] < 0)
			fprintf(stderr, "bench_pkt: the driver: %s\n%s", strerror(errno), log);
	}
	d->empty[fr] = bpf_prog_load(BPF_PROG_TYPE_XDP, "hs_drv_empty", "GPL", empty, 2, &po);
	d->floor[fr] = floor_prog(po.prog_flags);
	return d->prog[fr] < 0 || d->empty[fr] < 0 || d->floor[fr] < 0 ? -1 : 0;
}

static int drv_load(struct drv *d)
{
	d->ctl = bpf_map_create(BPF_MAP_TYPE_ARRAY, "hs_drv_ctl", 4, sizeof(struct drv_ctl), 1,
				NULL);
	d->tmpl = bpf_map_create(BPF_MAP_TYPE_ARRAY, "hs_drv_tmpl", 4, sizeof(struct drv_tmpl),
				 DRV_PHASES, NULL);
	if (d->ctl < 0 || d->tmpl < 0)
		return -1;
	return drv_load1(d, 0) || drv_load1(d, 1) ? -1 : 0;
}

/* Was obj's hs_xdp loaded for multi-buffer frames (BPF_F_XDP_HAS_FRAGS)?
 * libbpf adds the flag at load for its section, "xdp.frags", and does not
 * keep it in the program's flags. */
static int obj_frags(struct bpf_object *obj)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, "hs_xdp");

	return p && ((bpf_program__flags(p) & BPF_F_XDP_HAS_FRAGS) ||
		     !strcmp(bpf_program__section_name(p), "xdp.frags"));
}

/* The seen map of o full of live entries (other keys: random ids), as a
 * busy host's is once its history holds more sources than the map: the
 * LRU hash of the old program (each new entry evicts one) or the sets of
 * the new (each new entry takes a set's oldest way). */
static void seen_fill(struct bpf_object *o)
{
	struct bpf_map *m = bpf_object__find_map_by_name(o, "seen");
	struct hs_seen_way w;
	__u32 ks, vs, n, i, j, c, per;
	__u8 *keys, *vals;
	int fd, lru;

	if (!m) {
		fprintf(stderr, "bench_pkt: no seen map\n");
		exit(1);
	}
	fd = bpf_map__fd(m);
	ks = bpf_map__key_size(m);
	vs = bpf_map__value_size(m);
	n = bpf_map__max_entries(m);
	lru = bpf_map__type(m) == BPF_MAP_TYPE_LRU_HASH;
	per = lru ? 1 : vs / sizeof(w);
	if (lru ? ks != sizeof(w.k) || vs != sizeof(w.v) : vs % sizeof(w)) {
		fprintf(stderr, "bench_pkt: a seen map of another layout\n");
		exit(1);
	}
	w.v.last_ns = DRV_T0;
	w.v.first_ns = w.v.last_ns - 1000000000ULL;
	keys = malloc(4096 * (size_t)ks);
	vals = malloc(4096 * (size_t)vs);
	for (i = 0; keys && vals && i < n; i += c) {
		LIBBPF_OPTS(bpf_map_batch_opts, bo);

		c = n - i < 4096 ? n - i : 4096;
		for (j = 0; j < c; j++) {
			__u32 x;

			if (!lru)
				memcpy(keys + (size_t)j * ks, &(__u32){ i + j }, 4);
			for (x = 0; x < per; x++) {
				w.k.fp = (__u64)random() << 33 ^ (__u64)random() << 2;
				memset(w.k.addr, 0, sizeof(w.k.addr));
				memcpy(w.k.addr, &(__u32){ htonl(0xc6120000u | (__u32)(random() & 0x1ffff)) }, 4);
				if (lru) {
					memcpy(keys + (size_t)j * ks, &w.k, ks);
					memcpy(vals + (size_t)j * vs, &w.v, vs);
				} else {
					memcpy(vals + (size_t)j * vs + x * sizeof(w), &w, sizeof(w));
				}
			}
		}
		if (bpf_map_update_batch(fd, keys, vals, &c, &bo)) {
			fprintf(stderr, "bench_pkt: filling the seen map: %s\n", strerror(errno));
			exit(1);
		}
	}
	if (!keys || !vals) {
		fprintf(stderr, "bench_pkt: out of memory\n");
		exit(1);
	}
	free(keys);
	free(vals);
}

/* The templates: t[0] the SYN, then the hello's n segments. */
static void drv_templates(struct drv *d, const struct frame *t, int n)
{
	struct drv_tmpl x;
	__u32 i;

	d->longest = t[0];
	for (i = 0; i <= (__u32)n; i++) {
		if (t[i].len > DRV_TMPL_MAX) {
			fprintf(stderr, "bench_pkt: a frame of %d bytes for the driver\n", t[i].len);
			exit(1);
		}
		memset(&x, 0, sizeof(x));
		x.len = (__u32)t[i].len;
		memcpy(x.b, t[i].b, (size_t)t[i].len);
		if (bpf_map_update_elem(d->tmpl, &i, &x, BPF_ANY)) {
			fprintf(stderr, "bench_pkt: the driver's templates: %s\n", strerror(errno));
			exit(1);
		}
		if (t[i].len > d->longest.len)
			d->longest = t[i];
	}
}

/* Connections first .. first + conns - 1 (period packets each; phases in
 * skip not handed over) through target in one run: ns a packet. */
#define DRV_CONNS 2048
static __u32 drv_run(struct drv *d, int target, int fr, __u64 first, __u32 period, __u32 skip,
		     __u16 sport)
{
	struct drv_ctl c = { .count = first * period, .period = period, .skip = skip,
			     .src_base = 0xc6120000, .src_mask = 0x1ffff, .sport = sport };
	__u32 k = 0;

	if (bpf_map_update_elem(d->ctl, &k, &c, BPF_ANY)) {
		fprintf(stderr, "bench_pkt: the driver's control map: %s\n", strerror(errno));
		exit(1);
	}
	if (bpf_map_update_elem(d->target[fr], &k, &target, BPF_ANY)) {
		fprintf(stderr, "bench_pkt: the driver's program array: %s\n", strerror(errno));
		exit(1);
	}
	return run(d->prog[fr], &d->longest, DRV_CONNS * period);
}

/* A batched connection class: the hello's segments (t[1..n], after the
 * SYN t[0]) from new sources (round r's: 2 * VS_RUNS * DRV_CONNS of them
 * a round, within 198.18.0.0/15), through the old program, the new and
 * the empty one; each run beside one of SYNs alone (other connections).
 * The floor's runs beside the new program's, through the same driver.
 * Prints the hello's share, name (the runs' difference), the whole
 * connection's, SYN and hello, name_whole, and the SYN's alone, name_syn
 * (the SYNs of a flood of new connections: a flow slot each, read and
 * written out of cache, as a live flood's are; not bench_vary_src's,
 * whose slot stays the same). sport: the connections' port (another,
 * with round r again: its sources known to the fingerprint). */
static __u64 drv_tick;
static void drv_clock(struct bpf_object *oo, struct bpf_object *on)
{
	__u64 t = DRV_T0 + ++drv_tick * 2 * HS_FLOW_HOLD_NS;

	if (obj_set(oo, ".bss", "replay_now_ns", &t, 8, 1) ||
	    obj_set(on, ".bss", "replay_now_ns", &t, 8, 1)) {
		fprintf(stderr, "bench_pkt: %s\n", objload_err);
		exit(1);
	}
}

static void vs_batched(struct drv *d, const char *name, struct bpf_object *oo,
		       struct bpf_object *on, const struct frame *t, int n, int round, __u16 sport,
		       __u64 *sent)
{
	/* each program beside the empty target of a driver of its own kind:
	 * its figure is its run less that one's */
	int fr[4] = { obj_frags(oo), obj_frags(oo), obj_frags(on), obj_frags(on) };
	int fds[4] = { d->empty[fr[0]], obj_prog_fd(oo, "hs_xdp"), d->empty[fr[2]],
		       obj_prog_fd(on, "hs_xdp") }, r, j;
	__u32 a[4][VS_RUNS], s[4][VS_RUNS], fa[VS_RUNS], period = (__u32)n + 1,
	      skip = (1u << period) - 2;
	double whole[4], hello[4], syn[4], fl;
	char w[96], sn[96];
	int conns;

	snprintf(sn, sizeof(sn), "%s_syn", name);
	conns = !vs_skip(name);
	if (!conns && vs_skip(sn))
		return;
	drv_templates(d, t, n);
	if (vs_spin()) {
		/* the whole connections, or (name_syn alone selected) their SYNs */
		vs_spinning(conns ? name : sn);
		for (r = 0; r < vs_spin(); r++) {
			drv_clock(oo, on);
			drv_run(d, fds[3], fr[3], (__u64)r * DRV_CONNS, period, conns ? 0 : skip,
				sport);
		}
		return;
	}
	for (r = 0; r < VS_RUNS; r++) {
		__u64 first = ((__u64)round * 2 * VS_RUNS + 2 * (__u64)r) * DRV_CONNS;

		/* the clock moves on past the handshakes held before */
		drv_clock(oo, on);
		for (j = 0; j < 4; j++)
			a[j][r] = drv_run(d, fds[j], fr[j], first, period, 0, sport);
		fa[r] = drv_run(d, d->floor[fr[2]], fr[2], first, period, 0, sport);
		drv_clock(oo, on);
		for (j = 0; j < 4; j++)
			s[j][r] = drv_run(d, fds[j], fr[j], first + DRV_CONNS, period, skip, sport);
	}
	*sent += VS_RUNS * DRV_CONNS;   /* hellos, through each program */
	for (j = 0; j < 4; j++) {
		whole[j] = period * median_u32(a[j], VS_RUNS);
		syn[j] = period * median_u32(s[j], VS_RUNS);
		hello[j] = whole[j] - syn[j];
	}
	/* the floor's ns a packet, beside the new program's empty target [2],
	 * from the whole connections' runs alone (a difference with SYN-alone
	 * runs is within the kernel's whole ns at this size) */
	fl = median_u32(fa, VS_RUNS) - median_u32(a[2], VS_RUNS);
	vs_print(name, hello[1] - hello[0], hello[3] - hello[2], fl * n);
	snprintf(w, sizeof(w), "%s_whole", name);
	vs_print(w, whole[1] - whole[0], whole[3] - whole[2], fl * period);
	vs_print(sn, syn[1] - syn[0], syn[3] - syn[2], fl);
}

/* Another connection whose flow slot is that of 198.18.200.1:sport to
 * the default destination: its SYN holds the slot (a handshake in
 * progress, under the frozen replay clock for ever). */
static void slot_blocker(__u16 sport, struct frame *f)
{
	struct pspec p = tcp4(sport, TH_SYN);
	__u32 a = inet_addr("198.18.200.1"), d = inet_addr(DEF_DST4), want, s, port;
	static char src[32];

	want = hs_flow_slot(a, d, (__u32)htons(sport) | (__u32)htons(443) << 16, HS_FLOWS_MAX);
	for (s = 2; s < 255; s++)
		for (port = 1024; port < 65535; port++) {
			__u32 b = htonl(ntohl(inet_addr("198.18.201.0")) + s);

			if (hs_flow_slot(b, d, (__u32)htons((__u16)port) | (__u32)htons(443) << 16,
					 HS_FLOWS_MAX) != want)
				continue;
			snprintf(src, sizeof(src), "198.18.201.%u", s);
			p = tcp4((__u16)port, TH_SYN);
			p.src = src;
			syn_of(&p);
			build(&p, f);
			return;
		}
	fprintf(stderr, "bench_pkt: no connection found for the slot\n");
	exit(1);
}

/* Every entry of o's per-CPU memo map (syn_memo: the ids of SYN
 * signatures seen last, an entry a key; list_memo: ClientHello lists, all
 * its entries in its one value) emptied, and marked as being written when
 * busy (each entry's seq, at seq_off in entries of stride bytes, odd):
 * then no packet uses an entry or writes one, and each works as on a
 * miss. */
static void memo_set(struct bpf_object *o, const char *name, size_t seq_off, size_t stride,
		     int busy)
{
	struct bpf_map *m = bpf_object__find_map_by_name(o, name);
	int ncpu = libbpf_num_possible_cpus(), c;
	size_t vsize, at;
	__u8 *v;
	__u32 i;

	if (!m)
		return;         /* an object from before the map (a bench-only build) */
	vsize = bpf_map__value_size(m);
	if (ncpu < 1 || !(v = calloc((size_t)ncpu, vsize))) {
		fprintf(stderr, "bench_pkt: %s: out of memory\n", name);
		exit(1);
	}
	for (c = 0; c < ncpu; c++)
		for (at = seq_off; at + sizeof(__u32) <= vsize; at += stride)
			*(__u32 *)(v + (size_t)c * vsize + at) = busy ? 1 : 0;
	for (i = 0; i < bpf_map__max_entries(m); i++)
		if (bpf_map_update_elem(bpf_map__fd(m), &i, v, 0)) {
			fprintf(stderr, "bench_pkt: %s: %s\n", name, strerror(errno));
			exit(1);
		}
	free(v);
}

#define MEMO_SET(o, map, type, busy) memo_set(o, #map, offsetof(type, seq), sizeof(type), busy)
_Static_assert(sizeof(struct hs_syn_memo) % 8 == 0 && sizeof(struct hs_list_memos) % 8 == 0,
	       "per-CPU values: whole words, no padding between CPUs");

static void versus(void)
{
	static const char *const stacks[] = { "chrome", "curl", "firefox" };
	static __u8 hello[4096];
	struct objcfg live = { 0 }, vary = { .vary_src = 1, .handshake = HS_CHECK_NONE };
	struct objcfg frozen = { .clock_replay = 1, .handshake = HS_CHECK_NONE };
	struct objcfg norec = { .no_conns = 1 };
	struct objcfg clocked = { .clock_replay = 1 };  /* drv_clock */
	struct bpf_object *o[2], *of[2], *oz[2], *on[2], *ob[2], *obf[2];
	struct vs v = { 0 };
	struct drv d;
	__u64 sent[2] = { 0 };  /* hellos the driver sent through ob's, obf's */
	struct frame f, blk, tp[3];
	struct pspec p;
	char name[64];
	__u64 t = 1767225600000000000ULL;
	int fo, fn, i, k, len;

	if (access(BASE_OBJ, R_OK)) {
		fprintf(stderr, "bench_pkt: no %s (make bench builds it from git)\n", BASE_OBJ);
		exit(1);
	}
	v.empty = empty_prog();
	v.floor = floor_prog(0);
	for (k = 0; k < 2; k++) {
		const char *path = k ? NEW_OBJ : BASE_OBJ;

		o[k] = vs_load(path, &live);
		of[k] = vs_load(path, &vary);
		oz[k] = vs_load(path, &frozen);
		on[k] = vs_load(path, &norec);
		ob[k] = vs_load(path, &clocked);
		obf[k] = vs_load(path, &clocked);
		seen_fill(obf[k]);
		if (obj_set(oz[k], ".bss", "replay_now_ns", &t, 8, 1)) {
			fprintf(stderr, "bench_pkt: %s\n", objload_err);
			exit(1);
		}
	}
	if (v.empty < 0 || v.floor < 0 || drv_load(&d)) {
		fprintf(stderr, "bench_pkt: couldn't load the empty and floor programs\n");
		exit(1);
	}
	printf("vs_base %s (BASE_REV) against %s\n", BASE_OBJ, NEW_OBJ);
#define FD(x) obj_prog_fd((x), "hs_xdp")
	fo = FD(o[0]);
	fn = FD(o[1]);

	/* data of a tracked flow: SYN, a hello, then data */
	for (k = 0; k < 2; k++) {
		p = tcp4(40101, TH_SYN);
		syn_of(&p);
		build(&p, &f);
		run(k ? fn : fo, &f, 1);
		len = pkt_hello(1, hello, sizeof(hello));
		p = tcp4(40101, TH_ACK | TH_PSH);
		p.data = hello;
		p.payload = len;
		build(&p, &f);
		run(k ? fn : fo, &f, 1);
	}
	p.seq += (__u32)len;
	p.data = (const __u8 *)"GET /v1/items HTTP/1.1\r\nHost: api.example.com\r\n\r\n";
	p.payload = 49;
	build(&p, &f);
	vs_steady(&v, "data_tracked_flow", fo, fn, &f, REPEAT);

	p = tcp4(40103, TH_SYN);
	syn_of(&p);
	build(&p, &f);
	vs_steady(&v, "syn_ipv4", fo, fn, &f, REPEAT);
	/* the same with no signature remembered: the cost of a miss */
	MEMO_SET(o[1], syn_memo, struct hs_syn_memo, 1);
	vs_steady(&v, "syn_ipv4_not_remembered", fo, fn, &f, REPEAT);
	MEMO_SET(o[1], syn_memo, struct hs_syn_memo, 0);
	p.ver = 6;
	syn_of(&p);
	build(&p, &f);
	vs_steady(&v, "syn_ipv6", fo, fn, &f, REPEAT);
	p.ver = 4;
	p.tags[0] = 0x88a8;
	p.tags[1] = 0x8100;
	p.ntags = 2;
	syn_of(&p);
	build(&p, &f);
	vs_steady(&v, "syn_vlan2_ipv4", fo, fn, &f, REPEAT);
	p = tcp4(40104, TH_SYN);
	syn_of(&p);
	build(&p, &f);
	vs_steady(&v, "syn_flood_random_src", FD(of[0]), FD(of[1]), &f, REPEAT);
	/* Linux without timestamps: mss, nop, nop, sok, nop, ws (read in
	 * place where the general walk starts, since 2026-12-07) */
	p = tcp4(40108, TH_SYN);
	syn_of(&p);
	p.opts = (const __u8 *)"\x02\x04\x05\xb4\x01\x01\x04\x02\x01\x03\x03\x07";
	p.olen = 12;
	build(&p, &f);
	vs_steady(&v, "syn_linux_no_ts", fo, fn, &f, REPEAT);
	/* options no template fits (the general walk): mss, nop, nop, sok,
	 * nop, ws, then a SACK block and an unknown option */
	p = tcp4(40107, TH_SYN);
	syn_of(&p);
	p.opts = (const __u8 *)"\x02\x04\x05\xb4\x01\x01\x04\x02\x01\x03\x03\x08"
			       "\x05\x0a\x00\x00\x00\x01\x00\x00\x00\x02\x1e\x02";
	p.olen = 24;
	build(&p, &f);
	vs_steady(&v, "syn_other_options", fo, fn, &f, REPEAT);

	/* a steady ClientHello: the same one again and again from a source
	 * known to its fingerprint, walked and counted in full each time (its
	 * flow slot held by another connection's SYN under a frozen clock, no
	 * handshake check: never tracked, so never done) */
	slot_blocker(40105, &blk);
	run(FD(oz[0]), &blk, 1);
	run(FD(oz[1]), &blk, 1);
	for (i = 0; i < 3; i++) {
		len = pkt_hello(i, hello, sizeof(hello));
		p = tcp4(40105, TH_ACK | TH_PSH);
		p.src = "198.18.200.1";
		p.data = hello;
		p.payload = len;
		build(&p, &f);
		snprintf(name, sizeof(name), "hello_%s_steady", stacks[i]);
		vs_steady(&v, name, FD(oz[0]), FD(oz[1]), &f, REPEAT / 10);
		/* the same with no list remembered: the cost of a miss */
		MEMO_SET(oz[1], list_memo, struct hs_list_memo, 1);
		snprintf(name, sizeof(name), "hello_%s_steady_not_remembered", stacks[i]);
		vs_steady(&v, name, FD(oz[0]), FD(oz[1]), &f, REPEAT / 10);
		MEMO_SET(oz[1], list_memo, struct hs_list_memo, 0);
	}
	/* the same from a new source each time (three seen entries made) */
	for (i = 0; i < 3; i++) {
		len = pkt_hello(i, hello, sizeof(hello));
		p = tcp4(40106, TH_ACK | TH_PSH);
		p.data = hello;
		p.payload = len;
		build(&p, &f);
		snprintf(name, sizeof(name), "hello_%s_steady_new_source", stacks[i]);
		vs_steady(&v, name, FD(of[0]), FD(of[1]), &f, REPEAT / 20);
	}
	/* fresh connections */
	for (i = 0; i < 3; i++) {
		len = pkt_hello(i, hello, sizeof(hello));
		snprintf(name, sizeof(name), "hello_%s_conn", stacks[i]);
		vs_conn(&v, name, fo, fn, hello, len, 0, 0, i);
	}
	len = pkt_hello(0, hello, sizeof(hello));
	vs_conn(&v, "hello_chrome_conn_known_source", fo, fn, hello, len, 0, 0, 5);
	/* the same without the connection record (bench_no_conns): new
	 * sources, then the same sources again (round 6: round 1's), what is
	 * left of a fresh connection's hello but for the maps' inserts */
	vs_conn(&v, "hello_chrome_conn_no_record", FD(on[0]), FD(on[1]), hello, len, 0, 0, 1);
	vs_conn(&v, "hello_chrome_conn_known_source_no_record", FD(on[0]), FD(on[1]), hello, len,
		0, 0, 6);
	{
		struct hspec big = SPEC_GREASE(.pad = 1600);

		len = build_hello(&big, hello, sizeof(hello));
	}
	vs_conn(&v, "hello_2seg_first", fo, fn, hello, len, 1200, 0, 3);
	vs_conn(&v, "hello_2seg_second", fo, fn, hello, len, 1200, 1, 4);
	/* fresh connections batched (vs_batched), through programs of their own */
	for (i = 0; i < 4; i++) {
		int stack = i == 3 ? 0 : i;

		len = pkt_hello(stack, hello, sizeof(hello));
		p = tcp4(40200, TH_ACK | TH_PSH);
		p.data = hello;
		p.payload = len;
		build(&p, &tp[1]);
		syn_of(&p);
		build(&p, &tp[0]);
		if (i < 3)
			snprintf(name, sizeof(name), "hello_%s_conn_batched", stacks[i]);
		else
			snprintf(name, sizeof(name), "hello_chrome_conn_known_source_batched");
		vs_batched(&d, name, ob[0], ob[1], tp, 1, i == 3 ? 0 : i, i == 3 ? 40201 : 40200,
			   &sent[0]);
		strcat(name, "_seen_full");
		vs_batched(&d, name, obf[0], obf[1], tp, 1, i == 3 ? 0 : i,
			   i == 3 ? 40201 : 40200, &sent[1]);
	}
	{
		struct hspec big = SPEC_GREASE(.pad = 1600);

		len = build_hello(&big, hello, sizeof(hello));
	}
	p = tcp4(40200, TH_ACK | TH_PSH);
	p.data = hello;
	p.payload = 1200;
	build(&p, &tp[1]);
	p.seq = 1000 + 1200;
	p.data = hello + 1200;
	p.payload = len - 1200;
	build(&p, &tp[2]);
	syn_of(&p);
	build(&p, &tp[0]);
	vs_batched(&d, "hello_2seg_conn_batched", ob[0], ob[1], tp, 2, 3, 40200, &sent[0]);
	vs_batched(&d, "hello_2seg_conn_batched_seen_full", obf[0], obf[1], tp, 2, 3,
		   40200, &sent[1]);
#undef FD
	/* every hello the driver sent counted, in both programs alike (the
	 * old one's hellos counter is at the same place) */
	for (k = 0; k < 4; k++) {
		struct bpf_object *x = k < 2 ? ob[k] : obf[k - 2];
		struct bpf_map *m = bpf_object__find_map_by_name(x, "stats");
		int ncpu = libbpf_num_possible_cpus(), c, fd = m ? bpf_map__fd(m) : -1;
		/* each CPU's value at its own size: the old program's array
		 * may hold fewer counters than today's */
		size_t vsz = m ? (bpf_map__value_size(m) + 7) & ~7u : 0;
		__u8 *st = calloc((size_t)ncpu, vsz ? vsz : 1);
		__u64 h = 0, v;
		__u32 z = 0;

		if (!st || fd < 0 || vsz < 8 * (HS_ST_HELLOS + 1) ||
		    bpf_map_lookup_elem(fd, &z, st)) {
			fprintf(stderr, "bench_pkt: reading the stats\n");
			exit(1);
		}
		for (c = 0; c < ncpu; c++) {
			memcpy(&v, st + c * vsz + 8 * HS_ST_HELLOS, 8);
			h += v;
		}
		free(st);
		if (h != sent[k / 2] && !vs_spin()) {
			fprintf(stderr, "bench_pkt: the batched connections: %llu hellos counted "
				"of %llu sent (%s program)\n", (unsigned long long)h,
				(unsigned long long)sent[k / 2], k % 2 ? "new" : "old");
			exit(1);
		}
	}
	for (k = 0; k < 2; k++) {
		bpf_object__close(o[k]);
		bpf_object__close(of[k]);
		bpf_object__close(oz[k]);
		bpf_object__close(on[k]);
		bpf_object__close(ob[k]);
		bpf_object__close(obf[k]);
	}
	for (k = 0; k < 2; k++) {
		close(d.prog[k]);
		close(d.empty[k]);
		close(d.floor[k]);
		close(d.target[k]);
	}
	close(d.ctl);
	close(d.tmpl);
	close(v.empty);
	close(v.floor);
}

int main(void)
{
	static const char *const stacks[] = { "chrome", "curl", "firefox" };
	static __u8 hello[4096];
	struct hs_bpf *skel, *flood;
	struct frame f;
	struct pspec p;
	cpu_set_t cpus;
	double data_ns, empty_ns;
	int fd, empty, floor, i, len;

	libbpf_set_print(NULL);
	CPU_ZERO(&cpus);
	CPU_SET(1, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus))
		CPU_SET(0, &cpus), sched_setaffinity(0, sizeof(cpus), &cpus);
	skel = load(false, false);
	flood = load(true, false);
	empty = empty_prog();
	if (!skel || !flood || empty < 0) {
		fprintf(stderr, "bench_pkt: couldn't load the programs (root needed)\n");
		return 1;
	}
	fd = bpf_program__fd(hs_xdp_prog(skel));
	printf("pkt_repeat %d runs\n", REPEAT);
	versus();
	if (getenv("BENCH_PKT_VERSUS_ONLY"))
		return 0;
	{
		__u32 e[RUNS];

		p = tcp4(40000, TH_ACK);
		build(&p, &f);
		for (i = 0; i < RUNS; i++)
			e[i] = run(empty, &f, REPEAT);
		empty_ns = median_u32(e, RUNS);
		printf("pkt_empty_xdp_ns %.1f ns\n", empty_ns);
	}

	/* a tracked flow: SYN, a hello, then its data and ACKs */
	len = pkt_hello(1, hello, sizeof(hello));
	tracked_data(fd, 40001, hello, len, &f);
	data_ns = steady("data_tracked_flow", fd, empty, &f);
	spoofed(empty, data_ns);
	enforce_drop(empty, data_ns);
	p = tcp4(40001, TH_ACK);
	build(&p, &f);
	steady("ack", fd, empty, &f);
	quic(fd, empty, empty_ns);
	if (getenv("BENCH_PKT_QUIC_ONLY"))
		return 0;

	p = tcp4(40003, TH_SYN);
	syn_of(&p);
	build(&p, &f);
	steady("syn_ipv4", fd, empty, &f);
	p.ver = 6;
	syn_of(&p);
	build(&p, &f);
	steady("syn_ipv6", fd, empty, &f);
	p.ver = 4;
	p.tags[0] = 0x88a8;
	p.tags[1] = 0x8100;
	p.ntags = 2;
	syn_of(&p);
	build(&p, &f);
	steady("syn_vlan2_ipv4", fd, empty, &f);
	p = tcp4(40004, TH_SYN);
	syn_of(&p);
	build(&p, &f);
	steady("syn_flood_random_src", bpf_program__fd(hs_xdp_prog(flood)), empty, &f);
	/* what any fingerprint update costs at least here */
	floor = floor_prog(0);
	if (floor < 0) {
		fprintf(stderr, "bench_pkt: couldn't load the floor program: %s\n", strerror(errno));
		return 1;
	}
	steady("floor_hash_lookup_atomic_add", floor, empty, &f);
	close(floor);
	/* the same hook makes each repeat of a ClientHello one from a new
	 * source, walked in full (no SYN seen for it) */
	for (i = 0; i < 3; i++) {
		char name[64];

		len = pkt_hello(i, hello, sizeof(hello));
		p = tcp4(40005, TH_ACK | TH_PSH);
		p.data = hello;
		p.payload = len;
		build(&p, &f);
		snprintf(name, sizeof(name), "hello_%s_new_source", stacks[i]);
		steady(name, bpf_program__fd(hs_xdp_prog(flood)), empty, &f);
	}

	for (i = 0; i < 3; i++) {
		char name[64];

		len = pkt_hello(i, hello, sizeof(hello));
		snprintf(name, sizeof(name), "pkt_hello_%s_%dB_ns", stacks[i], len);
		printf("%s %.1f ns\n", name, per_conn(fd, empty, hello, len, 0, 0, i));
	}
	{
		/* the connection record's cost: a fresh connection's hello on two
		 * programs loaded afresh, with records and without, in the same
		 * run (the same sources, ports and map state) */
		struct hs_bpf *wc = load(false, false), *nc = load(false, true);

		len = pkt_hello(1, hello, sizeof(hello));
		if (wc && nc) {
			double with = per_conn(bpf_program__fd(hs_xdp_prog(wc)), empty, hello, len,
					       0, 0, 1);
			double without = per_conn(bpf_program__fd(hs_xdp_prog(nc)), empty, hello,
						  len, 0, 0, 1);

			printf("pkt_hello_curl_no_conn_record_ns %.1f ns\n", without);
			printf("pkt_hello_curl_with_conn_record_ns %.1f ns\n", with);
			printf("pkt_conn_record_ns %.1f ns\n", with - without);
			printf("pkt_conn_record_ratio %.2f x\n", without > 0 ? with / without : 0);
		}
		hs_bpf__destroy(wc);
		hs_bpf__destroy(nc);
	}
	/* Chrome-like again, from round 0's sources (known to its JA4) */
	len = pkt_hello(0, hello, sizeof(hello));
	printf("pkt_hello_chrome_%dB_known_source_ns %.1f ns\n", len,
	       per_conn(fd, empty, hello, len, 0, 0, 5));
	{
		/* two segments: a Chrome-like hello as large as a post-quantum
		 * key share makes it */
		struct hspec big = SPEC_GREASE(.pad = 1600);

		len = build_hello(&big, hello, sizeof(hello));
	}
	printf("pkt_hello_2seg_first_ns %.1f ns\n", per_conn(fd, empty, hello, len, 1200, 0, 3));
	printf("pkt_hello_2seg_second_ns %.1f ns\n", per_conn(fd, empty, hello, len, 1200, 1, 4));
	printf("pkt_hello_2seg_bytes %d bytes\n", len);
	printf("pkt_hello_2seg_reversed_first_ns %.1f ns\n",
	       per_conn(fd, empty, hello, len, 1200, SEG_REVERSED, 8));
	printf("pkt_hello_2seg_reversed_second_ns %.1f ns\n",
	       per_conn(fd, empty, hello, len, 1200, SEG_REVERSED | 1, 9));
	records(fd, empty);

	hashes(empty);

	memory(skel);
	hs_bpf__destroy(flood);
	hs_bpf__destroy(skel);
	close(empty);
	return 0;
}
