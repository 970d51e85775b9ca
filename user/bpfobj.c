// SPDX-License-Identifier: BSD-3-Clause
/*
 * The BPF object's life: the datapath options, open the skeleton, set its
 * read-only settings, load (reusing pinned maps: pins.c), the egress
 * program's attach, and reading the per-CPU counters.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfobj.h"
#include "hs_hash.h"
#include "log.h"
#include "pins.h"
#include "util.h"
#include "hs_bpf.skel.h"

/* hs_clock_measure: the jiffies' changes it times, and how far before the
 * earliest it puts the clock */
#define HS_CLOCK_CHANGES 5
#define HS_CLOCK_MARGIN_NS 1000000ULL
#define HS_CLOCK_TRIES 3        /* measurements before the coarse clock is kept */

#define HS_STAT_NAME(id, name, metric, label, value) [HS_ST_##id] = name,
const char *const hs_stat_names[HS_ST__COUNT] = { HS_STAT_LIST(HS_STAT_NAME) };

/* A comma-separated list of ports into to[max]: strict, no empty items,
 * so "443,,80" is a typo, not two ports. The count, or -1. */
static int port_list(const char *arg, __u16 *to, unsigned int max)
{
	char *copy = strdup(arg), *tok, *save;
	unsigned long long v;
	unsigned int n = 0;
	int err = !copy;

	for (tok = copy; tok && !err; tok = save) {
		save = strchr(tok, ',');
		if (save)
			*save++ = '\0';
		if (parse_uint(tok, 65535, &v) || !v || n == max)
			err = 1;
		else
			to[n++] = (__u16)v;
	}
	free(copy);
	return err || !n ? -1 : (int)n;
}

/* --ports */
static int parse_ports(const struct hs_opt *o, const char *arg, void *dst)
{
	struct hs_config *c = dst;
	int n = port_list(arg, c->ports, HS_TLS_PORTS_MAX);

	(void)o;
	if (n < 0) {
		pr_warn("invalid --ports '%s' (1 to %d ports, 1-65535, comma-separated)",
			arg, HS_TLS_PORTS_MAX);
		return -1;
	}
	c->nports = (unsigned int)n;
	return 0;
}

/* --quic-ports: a list, or none */
static int parse_quic_ports(const struct hs_opt *o, const char *arg, void *dst)
{
	struct hs_config *c = dst;
	int n = strcmp(arg, "none") ? port_list(arg, c->quic_ports, HS_QUIC_PORTS_MAX) : 0;

	(void)o;
	if (n < 0) {
		pr_warn("invalid --quic-ports '%s' (none, or 1 to %d ports, 1-65535, "
			"comma-separated)", arg, HS_QUIC_PORTS_MAX);
		return -1;
	}
	c->nquic_ports = (unsigned int)n;
	c->quic_off = !n;
	return 0;
}

static const struct hs_opt_name handshake_names[] = {
	{ "synack", HS_CHECK_SYNACK }, { "syn", HS_CHECK_SYN }, { "none", HS_CHECK_NONE }, { 0 }
};

const struct hs_opt hs_dp_opts[] = {
	{ .name = "ports", .arg = "LIST", .kind = HS_OPT_FUNC, .parse = parse_ports,
	  .help = "TLS ports, comma-separated (default 443,8443; at most 8)" },
	{ .name = "quic-ports", .arg = "LIST", .kind = HS_OPT_FUNC, .parse = parse_quic_ports,
	  .help = "QUIC (UDP) ports, comma-separated (default 443; at most 8),\n"
		  "or none" },
	{ .name = "hello-bytes", .arg = "N", .kind = HS_OPT_UINT,
	  HS_AT(struct hs_config, hello_bytes), .min = 64, .max = HS_HELLO_LIMIT,
	  .help = "largest ClientHello record walked (64-16384, default 16384)" },
	{ .name = "hello-segments", .arg = "N", .kind = HS_OPT_UINT,
	  HS_AT(struct hs_config, hello_segs), .min = 1, .max = HS_HELLO_SEGS,
	  .help = "most TCP segments a ClientHello may span (1-16384, default: no limit\n"
		  "of its own, the byte limit bounds them)" },
	{ .name = "handshake", .arg = "CHECK", .kind = HS_OPT_ENUM,
	  HS_AT(struct hs_config, handshake), .names = handshake_names,
	  .help = "what a ClientHello's connection must show to count:\n"
		  "synack: its SYN seen and our SYN-ACK acknowledged\n"
		  "(run's default: an egress program reads SYN-ACKs);\n"
		  "syn: its SYN seen (replay's default); none: nothing;\n"
		  "a QUIC one's flow must be validated unless none" },
	{ 0 }
};

struct hs_bpf *hs_open(const struct hs_config *c)
{
	struct hs_bpf *skel = hs_bpf__open();
	unsigned int i, hc;
	int ncpu;

	if (!skel) {
		pr_warn("Couldn't open the BPF object: %s", strerror(errno));
		return NULL;
	}
	if (c->replay) {
		skel->rodata->clock_mode = HS_CLOCK_REPLAY;
		skel->rodata->emit_every = 1;
		/* private maps, never pinned: entries allocated as they come
		 * (filling the free lists of every entry up front is a third of
		 * a short replay's time); enforcement is live only */
		bpf_map__set_map_flags(skel->maps.tcp_fps, BPF_F_NO_PREALLOC);
		bpf_map__set_map_flags(skel->maps.tls_fps, BPF_F_NO_PREALLOC);
		bpf_map__set_map_flags(skel->maps.pairs, BPF_F_NO_PREALLOC);
		bpf_map__set_max_entries(skel->maps.enforce, 1);
	} else {
		/* live: no batches of captured frames */
		bpf_program__set_autoload(skel->progs.hs_replay, false);
		bpf_map__set_max_entries(skel->maps.replay_frames, 1);
	}
	if (c->nports) {
		for (i = 0; i < HS_TLS_PORTS_MAX; i++)
			skel->rodata->tls_ports[i] = i < c->nports ? c->ports[i] : 0;
	}
	if (c->nquic_ports || c->quic_off) {
		for (i = 0; i < HS_QUIC_PORTS_MAX; i++)
			skel->rodata->quic_ports[i] = i < c->nquic_ports ? c->quic_ports[i] : 0;
	}
	if (c->hello_bytes)
		skel->rodata->hello_max_bytes = c->hello_bytes;
	if (c->hello_segs)
		skel->rodata->hello_max_segs = c->hello_segs;
	if (c->history_s)
		skel->rodata->history_ns = (__u64)c->history_s * 1000000000ULL;
	/* live, the SYN-ACK check starts once run's egress program reads them;
	 * in replay the capture's SYN-ACKs come through the XDP program */
	hc = c->handshake ? c->handshake : c->replay ? HS_CHECK_SYN : HS_CHECK_SYNACK;
	skel->data->handshake_check = (__u8)(!c->replay && hc == HS_CHECK_SYNACK ? HS_CHECK_SYN : hc);
	hs_set_enforce(skel, HS_ENF_OFF);
	hs_set_link_l3(skel, 0);
	/* the sockopt programs load only for run --sockopt-cgroup */
	bpf_program__set_autoload(skel->progs.hs_getsockopt, false);
	bpf_program__set_autoload(skel->progs.hs_setsockopt, false);
	/* unknown TCP ids may take half the map in a window, over all CPUs;
	 * the map's size is the object's (a build may override the macro's) */
	ncpu = libbpf_num_possible_cpus();
	if (ncpu > 0)
		skel->rodata->tcp_new_cap =
			bpf_map__max_entries(skel->maps.tcp_fps) / 2 / (unsigned int)ncpu ?: 1;
	/* QUIC Initials to decrypt, a second: shared by the CPUs live (one
	 * thread decrypts them all); replay runs on one */
	if (ncpu > 0 && !c->replay) {
		unsigned int b = HS_QUIC_BUDGET / (unsigned int)ncpu;

		skel->rodata->quic_budget_max = b > HS_QUIC_BUDGET_CPU_MIN ? b : HS_QUIC_BUDGET_CPU_MIN;
	}
	return skel;
}

/* The XDP entry of the interface and mode set loads, not the three others
 * (see hs_xdp in the BPF object). */
static void xdp_entry_pick(struct hs_bpf *skel)
{
	struct bpf_program *all[] = { skel->progs.hs_xdp, skel->progs.hs_xdp_l3,
				      skel->progs.hs_xdp_drop, skel->progs.hs_xdp_l3_drop };
	struct bpf_program *mine = hs_xdp_prog(skel);
	unsigned int i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		bpf_program__set_autoload(all[i], all[i] == mine);
}

struct bpf_program *hs_xdp_prog(struct hs_bpf *skel)
{
	bool l3 = skel->rodata->link_l3, drop = skel->rodata->enforce_mode == HS_ENF_DROP;

	return drop ? (l3 ? skel->progs.hs_xdp_l3_drop : skel->progs.hs_xdp_drop) :
		      (l3 ? skel->progs.hs_xdp_l3 : skel->progs.hs_xdp);
}

void hs_set_enforce(struct hs_bpf *skel, int mode)
{
	skel->rodata->enforce_mode = (__u8)mode;
	bpf_map__set_max_entries(skel->maps.dropped,
				 mode == HS_ENF_DROP ? HS_FLOWS_MAX / HS_DROPPED_WAYS : 1);
	xdp_entry_pick(skel);
}

void hs_set_link_l3(struct hs_bpf *skel, int l3)
{
	skel->rodata->link_l3 = (__u8)!!l3;    /* (the egress program reads it) */
	xdp_entry_pick(skel);
}

static int clock_measure_once(int fd, __u64 *tick_ns, __u64 *base_ns)
{
	static const unsigned int hz[] = { 100, 250, 300, 1000 };
	struct hs_clock_sample s = { 0 };
	/* a syscall program's context is written back to ctx_in */
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &s, .ctx_size_in = sizeof(s));
	__u64 j[HS_CLOCK_CHANGES], t[HS_CLOCK_CHANGES], last = 0, start = 0, per, tick = 0, base;
	unsigned int i, n = 0, k;

	/* at most 200 ms (HZ 100 moves on five times in 50 ms) */
	for (i = 0; n < HS_CLOCK_CHANGES; i++) {
		if (bpf_prog_test_run_opts(fd, &o))
			return -errno;
		if (!i)
			start = s.ns;
		else if (s.jiffies != last) {
			j[n] = s.jiffies;
			t[n++] = s.ns;
		}
		last = s.jiffies;
		if (s.ns - start > 200000000ULL)
			return -ETIMEDOUT;
	}
	per = (t[n - 1] - t[0]) / (j[n - 1] - j[0]);
	for (k = 0; k < sizeof(hz) / sizeof(hz[0]); k++) {
		__u64 c = (1000000000ULL + hz[k] / 2) / hz[k];

		/* within 10% (each change is seen some microseconds late: the
		 * tick's interrupt, a VM's exit) */
		if (per > c - c / 10 && per < c + c / 10)
			tick = c;
	}
	if (!tick)
		return -ERANGE;
	/* a sample read the jiffies, then the clock: the jiffies became j[k]
	 * by t[k], so t[k] - j[k] * tick is at or past the start of the
	 * ticks' grid plus the jiffies' lateness then; the least of them,
	 * less a margin for a change seen later than others, keeps the clock
	 * at or before CLOCK_MONOTONIC */
	base = t[0] - j[0] * tick;
	for (k = 1; k < n; k++)
		if ((__s64)(t[k] - j[k] * tick - base) < 0)
			base = t[k] - j[k] * tick;
	*tick_ns = tick;
	*base_ns = base - HS_CLOCK_MARGIN_NS;
	return 0;
}

/* The tick and where the jiffies start, measured again when a
 * measurement was off (a tick seen late: a busy or descheduled vCPU
 * stretches the changes' spacing past the 10%): -ERANGE or -ETIMEDOUT
 * only when HS_CLOCK_TRIES in a row were. */
int hs_clock_measure(int fd, __u64 *tick_ns, __u64 *base_ns)
{
	int err = -ERANGE, i;

	for (i = 0; i < HS_CLOCK_TRIES; i++) {
		err = clock_measure_once(fd, tick_ns, base_ns);
		if (err != -ERANGE && err != -ETIMEDOUT)
			break;
	}
	return err;
}

int hs_load(struct hs_bpf *skel, const char *pin_dir)
{
	int err = pin_dir ? hs_pins_set_paths(skel, pin_dir) : 0;
	__u64 tick, base;

	if (err)
		return err;
	err = hs_bpf__load(skel);
	if (err) {
		pr_warn("Couldn't load the BPF program: %s%s", strerror(-err),
			hs_err_exit(err) == HS_EXIT_NOPRIV ? HS_PRIV_HINT :
			hs_verbose ? "" : " (run with -v for libbpf's explanation)");
		return err;
	}
	if (skel->rodata->clock_mode != HS_CLOCK_MONO)
		return 0;
	/* before the attach: no packet reads the two words half set */
	err = hs_clock_measure(bpf_program__fd(skel->progs.hs_clock), &tick, &base);
	if (err)
		pr_debug("The program clock stays the coarse clock's helper: "
			 "the ticks not measured: %s", strerror(-err));
	else {
		skel->bss->jiffy_base_ns = base;
		skel->bss->jiffy_ns = tick;
	}
	return 0;
}

/*
 * Every change of a slot by the program ends with its tag set (not 0), so
 * a compare-and-swap from 0 after the slot was read either finds the
 * program's tag (left) or sets one the program's next change of the slot
 * will overwrite: a tag never says less than the slot does for long.
 */
int hs_flow_tags_fill(struct hs_bpf *skel)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	int fd = bpf_map__fd(skel->maps.flows), err = 0;
	__u32 *keys = calloc(HS_FLOWS_MAX, sizeof(*keys)), n = HS_FLOWS_MAX, i, out;
	struct hs_flow *v = calloc(HS_FLOWS_MAX, sizeof(*v));
	__u8 *tags = skel->bss->flow_tags.t, zero, t;

	if (!keys || !v) {
		err = -ENOMEM;
		goto out;
	}
	if (bpf_map_lookup_batch(fd, NULL, &out, keys, v, &n, &o) && errno != ENOENT) {
		err = -errno;
		goto out;
	}
	for (i = 0; i < n; i++) {
		t = hs_flow_tag_of(&v[i]);
		zero = 0;
		__atomic_compare_exchange_n(&tags[keys[i] & (HS_FLOWS_MAX - 1)], &zero, t, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	}
out:
	free(keys);
	free(v);
	return err;
}

/* Debian 12's kernel headers predate tcx (kernel 6.6) */
#ifndef BPF_TCX_EGRESS
#define BPF_TCX_EGRESS 47
#endif
#ifndef BPF_F_BEFORE
#define BPF_F_BEFORE (1U << 3)
#endif

int hs_egress_attach(struct hs_bpf *skel, int ifindex)
{
	/* first in the egress chain: a program before it that ends the chain
	 * would hide the SYN-ACKs; ours always lets the chain go on */
	LIBBPF_OPTS(bpf_link_create_opts, o, .flags = BPF_F_BEFORE);
	int fd = bpf_link_create(bpf_program__fd(skel->progs.hs_egress), ifindex,
				 BPF_TCX_EGRESS, &o);

	return fd < 0 ? -errno : fd;
}


struct fp_maps hs_fp_maps(struct hs_bpf *skel)
{
	return (struct fp_maps){ .tcp = bpf_map__fd(skel->maps.tcp_fps),
				 .tls = bpf_map__fd(skel->maps.tls_fps),
				 .pairs = bpf_map__fd(skel->maps.pairs),
				 .accounts = bpf_map__fd(skel->maps.accounts) };
}

int hs_stats_read(int stats_fd, struct hs_stats *sum)
{
	int ncpu = libbpf_num_possible_cpus(), i, j;
	struct hs_stats *per;
	__u32 zero = 0;

	if (ncpu < 0)
		return ncpu;
	per = calloc(ncpu, sizeof(*per));
	if (!per)
		return -ENOMEM;
	memset(sum, 0, sizeof(*sum));
	if (bpf_map_lookup_elem(stats_fd, &zero, per)) {
		int err = -errno;

		free(per);
		return err;
	}
	for (i = 0; i < ncpu; i++)
		for (j = 0; j < HS_ST__COUNT; j++)
			sum->c[j] += per[i].c[j];
	free(per);
	return 0;
}
