// SPDX-License-Identifier: BSD-3-Clause
/*
 * The two ends of the live throughput benchmark (tests/bench/bench_live.sh):
 *
 *   bench_live count IFACE      attach a count-and-pass XDP program
 *                               natively to IFACE (the baseline receiver);
 *                               on SIGUSR1 print the packets it counted so
 *                               far, on SIGTERM the same, and detach
 *   bench_live gen IFACE CLASS N [PPS]
 *                               send N frames of CLASS out of IFACE with
 *                               BPF_PROG_TEST_RUN in live-frames mode (an
 *                               XDP program that returns XDP_TX); print the
 *                               wall seconds it took. PPS: at most that many
 *                               frames a second (runs of 256 frames, a pause
 *                               after each), else as fast as it can
 *
 * CLASS: syn (one IPv4 SYN to port 443, again and again), hello (a
 * curl-like ClientHello in one segment), flood (that SYN) or flood_opts
 * (that SYN with a random window and MSS: a new TCP fingerprint each),
 * quic (a QUIC version 1 client Initial to UDP port 443, 1,200 bytes: the
 * curl-like ClientHello sealed as a client seals it, tests/lib/quicpkt.h;
 * no UDP checksum); hello, quic and the floods get a random source
 * address of 198.19.0.0/16 and source port per frame (the generator
 * writes them), so that every one is a new connection (quic: a spoofed
 * Initial flood), from 65,536 sources. Programs are a few raw
 * instructions: nothing here needs a BPF object of its own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>

#include "quicpkt.h"

#define I(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), \
					     .off = (o), .imm = (i) })

static int load(const struct bpf_insn *insns, size_t n, const char *name)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o);
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, name, "GPL", insns, n, &o);

	if (fd < 0)
		fprintf(stderr, "bench_live: loading %s: %s\n", name, strerror(errno));
	return fd;
}

/* XDP_TX; with vary 1, a random source first: an IPv4 address of
 * 198.19.0.0/16 (test addresses, none of the bed's) and a source port,
 * from one random word (the IP and L4 checksums are left as they were:
 * the receiver's XDP program checks neither), so that each frame is a new
 * connection; with vary 2 also a random TCP window and MSS value (the
 * SYN's options start with MSS): a new TCP fingerprint each. */
#define GEN_NET 0xc6130000u     /* 198.19.0.0/16 */
#define GEN_ADD(p, n, part) \
	(memcpy(&(p)[n], (part), sizeof(part)), (n) += sizeof(part) / sizeof((part)[0]))
static int gen_prog(int vary)
{
	const struct bpf_insn tx[] = {
		I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, XDP_TX),
		I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	}, word[] = {
		I(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0),          /* r6 = ctx */
		I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_prandom_u32),
		I(BPF_ALU64 | BPF_MOV | BPF_X, 7, 0, 0, 0),          /* r7: address */
		I(BPF_ALU64 | BPF_MOV | BPF_X, 8, 0, 0, 0),
		I(BPF_ALU64 | BPF_RSH | BPF_K, 8, 0, 0, 16),         /* r8: port */
		I(BPF_ALU | BPF_AND | BPF_K, 7, 0, 0, 0xffff),
		I(BPF_ALU | BPF_OR | BPF_K, 7, 0, 0, (__s32)GEN_NET),
		I(BPF_ALU | BPF_END | BPF_TO_BE, 7, 0, 0, 32),
	}, opts_word[] = {
		I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_prandom_u32), /* r0: window, MSS */
	}, src_st[] = {
		I(BPF_STX | BPF_MEM | BPF_W, 2, 7, 26, 0),           /* saddr */
		I(BPF_STX | BPF_MEM | BPF_H, 2, 8, 34, 0),           /* L4 source port */
	}, opts_st[] = {
		I(BPF_STX | BPF_MEM | BPF_H, 2, 0, 48, 0),           /* TCP window */
		I(BPF_ALU64 | BPF_RSH | BPF_K, 0, 0, 0, 16),
		I(BPF_STX | BPF_MEM | BPF_H, 2, 0, 56, 0),           /* MSS value */
	}, end[] = {
		I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, XDP_TX),
		I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	struct bpf_insn p[32];
	int n = 0, stores = (int)(sizeof(src_st) + (vary == 2 ? sizeof(opts_st) : 0)) /
			    (int)sizeof(p[0]);

	if (!vary)
		return load(tx, sizeof(tx) / sizeof(tx[0]), "hs_gen");
	GEN_ADD(p, n, word);
	if (vary == 2)
		GEN_ADD(p, n, opts_word);
	p[n++] = I(BPF_LDX | BPF_MEM | BPF_W, 2, 6, 0, 0);          /* r2 = data */
	p[n++] = I(BPF_LDX | BPF_MEM | BPF_W, 3, 6, 4, 0);          /* r3 = data_end */
	p[n++] = I(BPF_ALU64 | BPF_MOV | BPF_X, 4, 2, 0, 0);
	p[n++] = I(BPF_ALU64 | BPF_ADD | BPF_K, 4, 0, 0, vary == 2 ? 58 : 36);
	p[n++] = I(BPF_JMP | BPF_JGT | BPF_X, 4, 3, stores, 0);     /* short: skip */
	GEN_ADD(p, n, src_st);
	if (vary == 2)
		GEN_ADD(p, n, opts_st);
	GEN_ADD(p, n, end);
	return load(p, (size_t)n, vary == 2 ? "hs_gen_fopts" : "hs_gen_src");
}

/* Count in a per-CPU array, then XDP_PASS. */
static int count_prog(int map_fd)
{
	const struct bpf_insn insns[] = {
		I(BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, 0),           /* key 0 */
		I(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0),
		I(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4),
		I(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, map_fd),
		I(0, 0, 0, 0, 0),
		I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
		I(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 3, 0),
		I(BPF_LDX | BPF_MEM | BPF_DW, 1, 0, 0, 0),
		I(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, 1),
		I(BPF_STX | BPF_MEM | BPF_DW, 0, 1, 0, 0),
		I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, XDP_PASS),
		I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};

	return load(insns, sizeof(insns) / sizeof(insns[0]), "hs_count_pass");
}

static volatile sig_atomic_t stop, say;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_usr1(int sig)
{
	(void)sig;
	say = 1;
}

/* The packets counted so far, summed over the CPUs (0 if unreadable). */
static unsigned long long count_sum(int map, __u64 *per, int ncpu)
{
	unsigned long long sum = 0;
	__u32 zero = 0;
	int i;

	if (!bpf_map_lookup_elem(map, &zero, per))
		for (i = 0; i < ncpu; i++)
			sum += per[i];
	return sum;
}

static int cmd_count(const char *ifname)
{
	int ifindex = (int)if_nametoindex(ifname), map, prog, ncpu = libbpf_num_possible_cpus();
	__u64 *per = calloc((size_t)ncpu, sizeof(*per));

	map = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "hs_count", 4, 8, 1, NULL);
	prog = map < 0 ? -1 : count_prog(map);
	if (!ifindex || prog < 0 || !per ||
	    bpf_xdp_attach(ifindex, prog, XDP_FLAGS_DRV_MODE, NULL)) {
		fprintf(stderr, "bench_live: count on %s: %s\n", ifname, strerror(errno));
		return 1;
	}
	signal(SIGTERM, on_term);
	signal(SIGUSR1, on_usr1);
	printf("attached\n");
	fflush(stdout);
	while (!stop) {
		pause();
		if (say) {
			say = 0;
			printf("%llu\n", count_sum(map, per, ncpu));
			fflush(stdout);
		}
	}
	bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	printf("%llu\n", count_sum(map, per, ncpu));
	return 0;
}

/* A QUIC client Initial from 198.18.0.1 (its source rewritten per frame):
 * the curl-like ClientHello in one CRYPTO frame, sealed, padded to 1,200
 * bytes, with no UDP checksum (zero: none, for IPv4; a rewritten source
 * would spoil one). */
static void quic_initial(struct frame *f)
{
	static __u8 rec[2048], d[1500];
	const struct qp_spec q = { .type = 0, .pn = 0, .pn_len = 2 };
	struct pspec p = { .ver = 4, .ttl = 64, .ip_id = 1, .frag = IPF_DF, .proto = NH_UDP,
			   .udp = 1, .sport = 40000, .dport = 443, .data = d };
	struct qp_piece piece;
	int n = pkt_hello(1, rec, sizeof(rec));

	piece.off = 0;
	piece.len = n - 5;              /* the handshake message, not its record header */
	p.payload = qp_initial(&q, rec + 5, &piece, 1, d, sizeof(d));
	build(&p, f);
	f->b[14 + 20 + 6] = f->b[14 + 20 + 7] = 0;
}

/* The frame of cls in f; the generator's vary (see gen_prog), -1: no such
 * class. */
static int gen_frame(const char *cls, struct frame *f)
{
	static __u8 hello[2048];
	struct pspec p = { .ver = 4, .ttl = 64, .ip_id = 1, .frag = IPF_DF, .sport = 40000, .dport = 443,
			   .seq = 999, .tflags = TH_SYN, .win = 64240,
			   .opts = (const __u8 *)LINUX4, .olen = 20 };

	if (!strcmp(cls, "quic")) {
		quic_initial(f);
		return 1;
	}
	if (!strcmp(cls, "hello")) {
		p.payload = pkt_hello(1, hello, sizeof(hello));
		p.tflags = TH_ACK | TH_PSH;
		p.seq = 1000;
		p.ack = 5000;
		p.opts = NULL;
		p.olen = 0;
		p.data = hello;
	} else if (strcmp(cls, "syn") && strcmp(cls, "flood") && strcmp(cls, "flood_opts")) {
		return -1;
	}
	build(&p, f);
	return !strcmp(cls, "syn") ? 0 : !strcmp(cls, "flood_opts") ? 2 : 1;
}

/* n frames of f through prog (XDP_TX out of ctx's interface), in runs of
 * 256 at most pps frames a second (0: one run of n, as fast as it goes). */
static int send_frames(int prog, struct frame *f, struct xdp_md *ctx, unsigned long n,
		       unsigned long pps)
{
	struct timespec t0, t;
	unsigned long sent = 0, run;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (sent < n) {
		run = pps ? (n - sent < 256 ? n - sent : 256) : n;
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = (__u32)f->len,
			    .ctx_in = ctx, .ctx_size_in = sizeof(*ctx), .repeat = (__u32)run,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = 64);

		if (bpf_prog_test_run_opts(prog, &o))
			return -1;
		sent += run;
		if (pps && sent < n) {
			/* wait until sent frames are due */
			double due = (double)sent / (double)pps, now;
			struct timespec d;

			clock_gettime(CLOCK_MONOTONIC, &t);
			now = (t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9;
			if (due > now) {
				d.tv_sec = (time_t)(due - now);
				d.tv_nsec = (long)((due - now - (double)d.tv_sec) * 1e9);
				nanosleep(&d, NULL);
			}
		}
	}
	return 0;
}

static int cmd_gen(const char *ifname, const char *cls, unsigned long n, unsigned long pps)
{
	struct xdp_md ctx = { .ingress_ifindex = if_nametoindex(ifname) };
	const struct bpf_insn pass_insns[] = {
		I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, XDP_PASS),
		I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	struct timespec t0, t1;
	struct frame f;
	int vary = gen_frame(cls, &f), prog, pass, rc;

	if (vary < 0) {
		fprintf(stderr, "bench_live: class syn, hello, flood, flood_opts or quic\n");
		return 2;
	}
	prog = gen_prog(vary);
	ctx.data_end = (__u32)f.len;    /* the kernel checks the context against the frame */
	if (prog < 0 || !ctx.ingress_ifindex)
		return 1;
	/* frames enter as if received on ifname: its queue must be set up
	 * for XDP, which on veth takes a program attached (one that passes) */
	pass = load(pass_insns, 2, "hs_gen_pass");
	if (pass < 0 || bpf_xdp_attach((int)ctx.ingress_ifindex, pass, XDP_FLAGS_DRV_MODE, NULL)) {
		fprintf(stderr, "bench_live: XDP on %s: %s\n", ifname, strerror(errno));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = send_frames(prog, &f, &ctx, n, pps);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc)
		fprintf(stderr, "bench_live: live frames out of %s: %s\n", ifname, strerror(errno));
	bpf_xdp_detach((int)ctx.ingress_ifindex, XDP_FLAGS_DRV_MODE, NULL);
	if (rc)
		return 1;
	printf("%.6f\n", (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}

int main(int argc, char **argv)
{
	libbpf_set_print(NULL);
	if (argc == 3 && !strcmp(argv[1], "count"))
		return cmd_count(argv[2]);
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "gen"))
		return cmd_gen(argv[2], argv[3], strtoul(argv[4], NULL, 10),
			       argc == 6 ? strtoul(argv[5], NULL, 10) : 0);
	fprintf(stderr, "usage: bench_live count IFACE | "
		"gen IFACE syn|hello|flood|flood_opts|quic N [PPS]\n");
	return 2;
}
