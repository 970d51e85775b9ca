// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * hydrascope XDP program: fingerprints client SYNs into per-fingerprint
 * counters and sketches. Fail-open: every path returns XDP_PASS.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "hydrascope.h"
#include "hs_hash.h"
#include "maps.h"
#include "parsing.h"
#include "tcp_sig.h"

/* Set by userspace between open and load. */
const volatile __u8 clock_mode = HS_CLOCK_MONO;   /* enum hs_clock */
const volatile __u8 emit_every_syn = 0;           /* replay: one event per SYN */

/* Replay sets this to the packet's timestamp before each test run. */
__u64 replay_now_ns = 0;

INLINE __u64 now_ns(void)
{
	if (clock_mode == HS_CLOCK_REPLAY)
		return replay_now_ns;
	return bpf_ktime_get_coarse_ns();
}

INLINE void hll_add(__u8 *reg, __u64 h)
{
	__u32 idx = hs_hll_index(h) & (HS_HLL_M - 1);
	__u8 rank = hs_hll_rank(h);

	/* check first: most adds do not raise the register, and a read is cheap */
	if (reg[idx] < rank)
		reg[idx] = rank;
}

INLINE void emit(struct hs_stats *st, __u32 type, __u64 ts, __u64 id,
		 const struct hs_endpoints *ep, const struct hs_tcp_sig *sig,
		 const struct hs_tcp_obs *obs)
{
	struct hs_event *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);

	if (!ev) {
		st->c[HS_ST_RB_DROP]++;
		return;
	}
	ev->type = type;
	ev->pad = 0;
	ev->ts_ns = ts;
	ev->fp_id = id;
	ev->ep = *ep;
	ev->sig = *sig;
	ev->obs = *obs;
	bpf_ringbuf_submit(ev, 0);
}

INLINE void count_syn(struct xdp_md *ctx, struct hs_stats *st, const struct pkt *p)
{
	struct optwalk w = {};
	struct hs_endpoints ep = {};
	struct hs_tcp_fp *fp;
	__u64 id, ts, lo, hi;
	__u32 zero = 0;
	int new = 0;

	sig_ip(p, &w.sig, &w.obs, &ep);
	sig_tcp_hdr(p, &w.sig, &ep);
	sig_tcp_opts(ctx, p, &w);
	id = hs_hash_words((const __u64 *)&w.sig, HS_TCP_SIG_WORDS, HS_SEED_TCP);
	ts = now_ns();
	st->c[HS_ST_SYNS]++;

	fp = bpf_map_lookup_elem(&tcp_fps, &id);
	if (!fp) {
		struct hs_tcp_fp *init = bpf_map_lookup_elem(&tcp_fp_init, &zero);
		long err;

		if (!init)
			return;
		init->sig = w.sig;
		init->first_ns = ts;
		init->last_ns = ts;
		err = bpf_map_update_elem(&tcp_fps, &id, init, BPF_NOEXIST);
		if (err == 0) {
			new = 1;
			st->c[HS_ST_FP_NEW]++;
		} else if (err != -17 /* EEXIST: another CPU won the race */) {
			st->c[HS_ST_MAP_FULL]++;
			return;
		}
		fp = bpf_map_lookup_elem(&tcp_fps, &id);
		if (!fp)
			return;
	}
	__sync_fetch_and_add(&fp->syns, 1);
	if (ts > fp->last_ns)
		fp->last_ns = ts;

	__builtin_memcpy(&lo, ep.saddr, 8);
	__builtin_memcpy(&hi, ep.saddr + 8, 8);
	hll_add(fp->hll_ips, hs_hash_addr(lo, hi, ep.family));
	/* network: /24 for IPv4 (first 3 bytes), /48 for IPv6 (first 6) */
	lo &= ep.family == 4 ? 0xffffffULL : 0xffffffffffffULL;
	hll_add(fp->hll_nets, hs_hash_addr(lo, 0, ep.family | 0x80));

	if (emit_every_syn)
		emit(st, new ? HS_EV_TCP_NEW : HS_EV_TCP_SYN, ts, id, &ep, &w.sig, &w.obs);
	else if (new)
		emit(st, HS_EV_TCP_NEW, ts, id, &ep, &w.sig, &w.obs);
}

SEC("xdp")
int hs_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct pkt p = {};
	struct hs_stats *st;
	__u32 zero = 0;
	__u8 flags;
	int r;

	st = bpf_map_lookup_elem(&stats, &zero);
	if (!st)
		return XDP_PASS;
	st->c[HS_ST_PACKETS]++;

	r = parse_packet(data, end, &p);
	if (r) {
		if ((__u32)r < HS_ST__COUNT)
			st->c[r]++;
		return XDP_PASS;
	}
	flags = ((__u8 *)p.tcp)[13];
	/* the common path: anything but a client SYN leaves here */
	if ((flags & 0x12) != 0x02)
		return XDP_PASS;
	if (flags & 0x05) {
		st->c[HS_ST_SYN_BAD_FLAGS]++;
		return XDP_PASS;
	}
	count_syn(ctx, st, &p);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
