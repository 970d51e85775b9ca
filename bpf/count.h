/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counting: a fingerprinted SYN or ClientHello into its map entry (the
 * admission of new TCP ids under floods, the counters, the HyperLogLog
 * sketches, the address samples) and the ring-buffer events of new ids.
 */
#ifndef HS_COUNT_H
#define HS_COUNT_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "hydrascope.h"
#include "hs_hash.h"
#include "consts.h"
#include "globals.h"
#include "maps.h"
#include "parsing.h"
#include "tcp_sig.h"
#include "tls.h"
#include "enforce.h"
#include "seen.h"
#include "hll.h"
#include "conn.h"

/* One more of counter r (a stats index from a parse or a walk) */
INLINE void count_reason(struct hs_stats *st, int r)
{
	__u32 i = (__u32)r;

	/* the bound checked on this very register (a result of a global
	 * subprogram is unknown to the verifier) */
	asm volatile("" : "+r"(i));
	if (i < HS_ST__COUNT)
		st->c[i]++;
}

/* How a fingerprinted ClientHello came (enum hs_reasm_flag) into the
 * counters of hellos reassembled. */
INLINE void count_reasm(struct hs_stats *st, __u8 flags)
{
	if (flags & HS_RF_RECORDS)
		st->c[HS_ST_HELLO_MULTIREC]++;
	if (flags & HS_RF_REORDERED)
		st->c[HS_ST_HELLO_REORDERED]++;
	if (flags & HS_RF_MID)
		st->c[HS_ST_HELLO_MID_SEGMENT]++;
	if (flags & HS_RF_SYN_DATA)
		st->c[HS_ST_HELLO_SYN_DATA]++;
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

/* make bench only (see bench_vary_src): a new IPv4 source from a count */
INLINE void bench_new_src(struct hs_endpoints *ep, __u64 n)
{
	__u32 src = (__u32)hs_mix64(n);

	__builtin_memcpy(ep->saddr, &src, sizeof(src));
}

/* May a new TCP fingerprint id get an entry in this window? Ids admitted
 * lately may; others only within this CPU's budget. */
INLINE int tcp_admit_new(__u64 kid)
{
	struct hs_admit *a;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(&tcp_known, &kid))
		return 1;
	a = bpf_map_lookup_elem(&tcp_admit, &zero);
	if (!a)
		return 0;
	if (a->gen != cur_gen) {
		a->gen = cur_gen;
		a->used = 0;
	}
	if (a->used >= tcp_new_cap)
		return 0;
	a->used++;
	return 1;
}

/*
 * A SYN signature's ids (hs_tcp_ids_from), remembered per CPU: the chain
 * of multiplies that makes them is the longest wait on a SYN's path, and
 * the SYNs of one client stack repeat a few signatures (a TTL for each
 * path, an MSS or two). Entry i of syn_memo (syn_memo_slot) is used only
 * when its five words are the signature's, so the ids are always the
 * chain's. Its seq is odd while a program writes it: a run that came in
 * between on this CPU finds it odd (and neither uses nor writes it) or
 * changed (and does not use what it read).
 */
INLINE __u64 syn_ids(__u64 head, const struct hs_tcp_sig *sig, __u64 *stack, __u32 i)
{
	const __u64 *sw = (const __u64 *)sig;
	__u64 w0 = sw[0], w1 = sw[1], w2 = sw[2], w3 = sw[3], w4 = sw[4], id, st;
	struct hs_syn_memo *m = bpf_map_lookup_elem(&syn_memo, &i);
	volatile __u32 *seq;
	__u32 s;

	if (!m)
		return hs_tcp_ids_from(head, sig, stack);
	seq = &m->seq;
	s = *seq;
	barrier();
	if (!(s & 1) && m->w[0] == w0 && m->w[1] == w1 && m->w[2] == w2 &&
	    m->w[3] == w3 && m->w[4] == w4) {
		id = m->id;
		st = m->stack;
		barrier();
		if (*seq == s) {
			*stack = st;
			return id;
		}
	}
	id = hs_tcp_ids_from(head, sig, stack);
	s = *seq;
	if (s & 1)
		return id;
	*seq = s + 1;
	barrier();
	m->w[0] = w0;
	m->w[1] = w1;
	m->w[2] = w2;
	m->w[3] = w3;
	m->w[4] = w4;
	m->id = id;
	m->stack = *stack;
	barrier();
	*seq = s + 2;
	return id;
}

/* A signature's entry in syn_memo: its TTL (one per path), the start of
 * its chain (its option layout), its window and MSS, each at hand as a
 * byte or a half-word: not the signature's words, whose loads would wait
 * for the byte stores that made them. */
INLINE __u32 syn_memo_slot(__u8 ttl, __u64 head, __u16 win, __u16 mss)
{
	return (ttl ^ (__u32)(head >> 56) ^ win ^ mss) & (HS_SYN_MEMO - 1);
}

INLINE __u64 count_syn(struct xdp_md *ctx, struct hs_stats *st, const struct pkt *p,
		       struct hs_endpoints *epp, __u64 *stack, __u64 *tsp)
{
	struct hs_tcp_sig sig = {};
	struct hs_tcp_obs obs = {};
	struct hs_endpoints ep = {};
	struct hs_tcp_fp *fp;
	__u64 id, ts, head, ha, hn;
	__u32 zero = 0;
	int new = 0;
	__u8 ttl;

	ttl = sig_ip(p, &sig, &obs, &ep);
	if (bench_vary_src)
		bench_new_src(&ep, st->c[HS_ST_SYNS]);
	sig_tcp_hdr(p, &sig, &ep);
	head = sig_tcp_opts(ctx, p, &sig, &obs);
	id = HS_GEN_KEY(syn_ids(head, &sig, stack, syn_memo_slot(ttl, head, p->tcp->window, sig.mss)), cur_gen);
	ts = now_ns();
	*tsp = ts;
	st->c[HS_ST_SYNS]++;
	/* the source's sketch hashes before the lookup, whose work they
	 * overlap: after it their multiplies held up the locked add (an
	 * IPv6 address's most, a 16-byte block), 1.02-1.08 times as fast */
	hll_src_hashes(&ep, &ha, &hn);

	fp = bpf_map_lookup_elem(&tcp_fps, &id);
	if (!fp) {
		struct hs_tcp_fp *init = bpf_map_lookup_elem(&tcp_fp_init, &zero);
		long err;

		__u64 kid = HS_GEN_KEY(id, 0);
		__u32 gen = cur_gen;

		if (!init)
			return id;
		if (!tcp_admit_new(kid)) {
			st->c[HS_ST_TCP_FP_SHED]++;
			goto out;
		}
		init->sig = sig;
		init->first_ns = ts;
		init->last_ns = ts;
		err = bpf_map_update_elem(&tcp_fps, &id, init, BPF_NOEXIST);
		if (err == 0) {
			new = 1;
			st->c[HS_ST_FP_NEW]++;
			bpf_map_update_elem(&tcp_known, &kid, &gen, BPF_ANY);
		} else if (err != -EEXIST /* another CPU won the race */) {
			st->c[HS_ST_MAP_FULL]++;
			goto out;
		}
		fp = bpf_map_lookup_elem(&tcp_fps, &id);
		if (!fp)
			goto out;
	}
	if (ts > fp->last_ns)
		fp->last_ns = ts;
	/* inline: no call on a SYN's path but the subprogram's own */
	hll_put(fp->hll_ips, ha);
	hll_put(fp->hll_nets, hn);
	/* the locked add after the sketches, whose loads would wait for it */
	__sync_fetch_and_add(&fp->syns, 1);

	if (emit_every)
		emit(st, new ? HS_EV_TCP_NEW : HS_EV_TCP_SYN, ts, id, &ep, &sig, &obs);
	else if (new)
		emit(st, HS_EV_TCP_NEW, ts, id, &ep, &sig, &obs);
out:
	*epp = ep;
	return id;
}

/* A hello copied 8 bytes at a time: the struct is 2-aligned, and left to
 * it clang copies it 2 bytes at a time (~830 instructions); its copies
 * are all at 8-byte aligned places (the walk's scratch, a tls_fps entry,
 * an event: static asserts), and volatile keeps clang from merging them
 * back into a 2-byte memcpy. */
#define HELLO_WORDS (sizeof(struct hs_tls_hello) / 8)
_Static_assert(sizeof(struct hs_tls_hello) % 8 == 4, "copy_hello: words and a half");
_Static_assert(__builtin_offsetof(struct hs_tls_event, hello) % 8 == 0 &&
	       __builtin_offsetof(struct hs_tls_fp, hello) % 8 == 0,
	       "copy_hello: the hellos 8-byte aligned");

INLINE void copy_hello(struct hs_tls_hello *dst, const struct hs_tls_hello *src)
{
	int k;

#pragma unroll
	for (k = 0; k < (int)HELLO_WORDS; k++)
		((volatile __u64 *)dst)[k] = ((const volatile __u64 *)src)[k];
	*(volatile __u32 *)((__u8 *)dst + 8 * HELLO_WORDS) =
		*(const volatile __u32 *)((const __u8 *)src + 8 * HELLO_WORDS);
}

INLINE void emit_tls(struct hs_stats *st, __u32 type, __u64 ts, __u64 id, __u64 tcp_id,
		     __u32 segments, const struct hs_endpoints *ep,
		     const struct hs_tls_hello *h)
{
	struct hs_tls_event *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);

	if (!ev) {
		st->c[HS_ST_RB_DROP]++;
		return;
	}
	ev->type = type;
	ev->segments = segments;
	ev->ts_ns = ts;
	ev->fp_id = id;
	ev->tcp_id = tcp_id;
	ep_copy(&ev->ep, ep);
	copy_hello(&ev->hello, h);
	bpf_ringbuf_submit(ev, 0);
}

/* The pairs entry of TLS fingerprint id (key of tls_fps) over the stack of
 * its SYN, made on a miss; NULL when the map is full. */
INLINE struct hs_pair *pair_entry(struct hs_stats *st, __u64 id, __u64 tcp_id, __u64 stack_id,
				  __u64 ts)
{
	__u64 key = HS_GEN_KEY(hs_pair_id(id, stack_id), cur_gen);
	struct hs_pair *p, *init;
	__u32 zero = 0;
	long err;

	/* look up first: an update of an existing key costs far more */
	p = bpf_map_lookup_elem(&pairs, &key);
	if (p)
		return p;
	init = bpf_map_lookup_elem(&pair_init, &zero);
	if (!init)
		return NULL;
	init->tls_id = id;
	init->tcp_id = tcp_id;
	init->stack_id = stack_id;
	init->first_ns = ts;
	init->last_ns = ts;
	err = bpf_map_update_elem(&pairs, &key, init, BPF_NOEXIST);
	if (err && err != -EEXIST /* another CPU won the race */) {
		st->c[HS_ST_PAIR_MAP_FULL]++;
		return NULL;
	}
	return bpf_map_lookup_elem(&pairs, &key);
}

/*
 * One more ClientHello of tls_fps entry fp (key id), from a validated
 * connection ep whose SYN had the ids tcp_id and stack_id (0: not seen),
 * at ts: the counts, samples, its pair, the sketches, novelty. Returns
 * when the source was first seen with the fingerprint (seen_source).
 * tcp (a constant): a TCP connection's, whose record count_hello puts
 * next, read ahead by a new source (seen_source; hs_count_unfp and a
 * dropped hello's retransmission, which share hs_count_in, put none:
 * their read ahead is for nothing, on paths far rarer than a counted
 * hello's).
 */
INLINE __u64 count_in(struct hs_tls_fp *fp, __u64 id, __u64 tcp_id, __u64 stack_id,
		      const struct hs_endpoints *ep, __u64 ts, const int tcp)
{
	struct hs_stats *st;
	struct hs_pair *pp;
	__u32 zero = 0;
	__u64 n, ha, hn;

	st = bpf_map_lookup_elem(&stats, &zero);
	if (!fp || !ep || !st)
		return 0;
	/* the source's sketch hashes first, their multiplies beside the
	 * locked adds and the pair's lookup (as a SYN's: count_syn) */
	hll_src_hashes(ep, &ha, &hn);
	n = __sync_fetch_and_add(&fp->conns, 1);
	if (ts > fp->last_ns)
		fp->last_ns = ts;
	{
		struct hs_addr_sample *smp = &fp->samples[n & (HS_TLS_SAMPLES - 1)];

		__builtin_memcpy(smp->addr, ep->saddr, 16);
		smp->family = ep->family;
	}
	pp = tcp_id ? pair_entry(st, id, tcp_id, stack_id, ts) : NULL;
	if (pp) {
		__sync_fetch_and_add(&pp->conns, 1);
		if (ts > pp->last_ns)
			pp->last_ns = ts;
	}
	hll_hello(fp, pp, ha, hn, stack_id);
	return seen_source(st, fp, HS_GEN_KEY(id, 0), ep, ts, tcp && !bench_no_conns);
}

/* The same now (the XDP programs' clock), in a global subprogram: the
 * fingerprints (count_hello) and the unfingerprinted (hs_count_unfp)
 * share it, verified once. */
__noinline __u64 hs_count_in(struct hs_tls_fp *fp, __u64 id, __u64 tcp_id, __u64 stack_id,
			     const struct hs_endpoints *ep)
{
	return count_in(fp, id, tcp_id, stack_id, ep, now_ns(), 1);
}

/* The same for a QUIC ClientHello (the hs_quic_hello program), at ts (that
 * program's clock: the coarse one is not a syscall program's helper): no
 * TCP stack, so no pair and nothing in hll_tcp. */
__noinline __u64 hs_quic_count_in(struct hs_tls_fp *fp, __u64 id, const struct hs_endpoints *ep,
				  __u64 ts)
{
	return count_in(fp, id, 0, 0, ep, ts, 0);
}

#define HS_SEED_UNFP 0x756e667072696e74ULL  /* "unfprint" */

/* The tls_fps id (before HS_GEN_KEY) of the connections whose ClientHello
 * was given up on for reason r (a stats index). */
INLINE __u64 unfp_id(__u32 r)
{
	return hs_mix64(HS_SEED_UNFP ^ r);
}

/*
 * A validated connection (ep, the ids of its SYN) whose ClientHello could
 * not be fingerprinted for reason r (a stats index): counted as a
 * ClientHello of the pseudo-fingerprint of r (HS_TLSF_UNFP), with its
 * sketches, samples, pair and novelty, so that a hydra that hides its
 * ClientHello is judged as a population like any JA4. Not enforced, no
 * connection record. A global subprogram: verified once for its callers.
 */
__noinline int hs_count_unfp(const struct hs_endpoints *ep, __u64 tcp_id, __u64 stack_id,
			     __u32 r)
{
	struct hs_tls_fp *fp;
	struct hs_stats *st;
	__u64 id, ts;
	__u32 zero = 0;
	int new = 0;

	st = bpf_map_lookup_elem(&stats, &zero);
	if (!ep || !st || r >= HS_ST__COUNT)
		return 0;
	st->c[HS_ST_HELLO_UNFP]++;
	id = HS_GEN_KEY(unfp_id(r), cur_gen);
	ts = now_ns();
	fp = bpf_map_lookup_elem(&tls_fps, &id);
	if (!fp) {
		/* a staging area of its own: tls_fp_init holds the last real
		 * hello, and clearing its lists here costs a hundred stores */
		struct hs_tls_fp *init = bpf_map_lookup_elem(&unfp_init, &zero);
		long err;

		if (!init)
			return 0;
		init->hello.flags = HS_TLSF_UNFP;
		init->hello.unfp_reason = (__u8)r;
		init->first_ns = ts;
		init->last_ns = ts;
		err = bpf_map_update_elem(&tls_fps, &id, init, BPF_NOEXIST);
		if (err == 0) {
			new = 1;
			st->c[HS_ST_TLS_FP_NEW]++;
		} else if (err != -EEXIST) {
			st->c[HS_ST_TLS_MAP_FULL]++;
			return 0;
		}
		fp = bpf_map_lookup_elem(&tls_fps, &id);
		if (!fp)
			return 0;
	}
	hs_count_in(fp, id, tcp_id, stack_id, ep);
	if (emit_every || new) {
		struct hs_unfp_event *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);

		if (!ev) {
			st->c[HS_ST_RB_DROP]++;
			return 0;
		}
		ev->type = HS_EV_TLS_UNFP;
		ev->reason = r;
		ev->ts_ns = ts;
		ev->fp_id = id;
		ev->tcp_id = tcp_id;
		ev->ep = *ep;
		bpf_ringbuf_submit(ev, 0);
	}
	return 0;
}

/* A ClientHello given up on for reason r (a stats index): counted by
 * reason, and when its connection was validated (unvalidated 0) noted in
 * *lost, for the caller of the TLS path (hs_data) to count in its
 * population (hs_count_unfp) once out of the path's frames: the stack
 * the verifier allows would not hold one more. */
INLINE void hello_lost(struct hs_stats *st, __u32 r, __u8 unvalidated, __u32 *lost)
{
	count_reason(st, (int)r);
	if (!unvalidated)
		*lost = r;
}

/*
 * Walk a complete record and count its fingerprint; the verdict for the
 * segment that completed it. quic (a constant): a QUIC ClientHello from
 * userspace (the hs_quic_hello program, bpf/quic.h): HS_TLSF_QUIC in its
 * lists and id, no TCP stack (tcp_id and stack_id 0: no pair, no stack in
 * the sketch), no connection record (the conns map is of TCP sockets), and
 * the program's own walk state and staging area, not the XDP program's
 * per-CPU ones (a packet's softirq may use them on the same CPU meanwhile).
 * idp (NULL: not asked): the fingerprint's tls_fps key, once walked. A
 * QUIC hello not walked says why in *lost whether validated or not (its
 * caller counts no population of it: the hs_quic_hello program answers
 * userspace).
 */
INLINE int count_hello(struct hs_stats *st, struct hs_reasm *b,
		       const struct hs_endpoints *ep, __u64 tcp_id, __u64 stack_id,
		       __u32 segments, __u32 *lost, __u64 *idp, const int quic)
{
	struct tls_walk *w;
	struct hs_tls_fp *fp;
	__u32 zero = 0;
	__u64 id, ts, first = 0;   /* first: seen_source's; 0 looked up by enforcement */
	int r, new = 0;

	w = bpf_map_lookup_elem(quic ? (void *)&quic_walk : (void *)&tls_walk_scratch, &zero);
	if (!w)
		return XDP_PASS;
	/* QUIC's hellos (a syscall program's, from userspace) take the
	 * bpf_loop walk alone: its verification is the smaller */
	r = quic ? WALK_SLOW : hs_tls_walk_fast(b, w);
	if (r == WALK_SLOW)
		r = tls_walk(b, w);
	if (r) {
		hello_lost(st, (__u32)r, b->unvalidated, lost);
		if (quic)
			*lost = (__u32)r;       /* the reason, validated or not */
		return XDP_PASS;
	}
	st->c[HS_ST_HELLOS]++;
	if (quic) {
		st->c[HS_ST_HELLO_QUIC]++;
		w->h.flags |= HS_TLSF_QUIC;
	}
	if (segments > 1)
		st->c[HS_ST_HELLO_MULTISEG]++;
	count_reasm(st, b->flags);
	if (w->h.flags & HS_TLSF_OVERFLOW)
		st->c[HS_ST_HELLO_INEXACT]++;
	id = HS_GEN_KEY(tls_id(w), cur_gen);
	ts = quic ? syscall_now_ns() : now_ns();
	if (b->unvalidated) {
		/* not counted: no entry, no sketch; an existing entry says how
		 * many of its ClientHellos were left out (of the sample walked:
		 * the reason was counted before the walk) */
		fp = bpf_map_lookup_elem(&tls_fps, &id);
		if (fp)
			__sync_fetch_and_add(&fp->conns_unvalidated, 1);
		goto verdict;
	}

	fp = bpf_map_lookup_elem(&tls_fps, &id);
	/* a hello kept (a new entry's, an event's) made whole: the fast walk
	 * leaves what no id is made of (hs_tls_fill) */
	if (!fp || emit_every)
		hs_tls_fill(b, w);
	if (!fp) {
		struct hs_tls_fp *init =
			bpf_map_lookup_elem(quic ? (void *)&quic_fp_init : (void *)&tls_fp_init,
					    &zero);
		long err;

		if (!init)
			goto verdict;
		copy_hello(&init->hello, &w->h);
		init->first_ns = ts;
		init->last_ns = ts;
		err = bpf_map_update_elem(&tls_fps, &id, init, BPF_NOEXIST);
		if (err == 0) {
			new = 1;
			st->c[HS_ST_TLS_FP_NEW]++;
		} else if (err != -EEXIST) {
			st->c[HS_ST_TLS_MAP_FULL]++;
			goto verdict;
		}
		fp = bpf_map_lookup_elem(&tls_fps, &id);
		if (!fp)
			goto verdict;
	}
	first = quic ? hs_quic_count_in(fp, id, ep, ts) : hs_count_in(fp, id, tcp_id, stack_id, ep);
	if (!bench_no_conns && !quic)
		conn_record(ep, tcp_id, stack_id, id, ts);

	if (emit_every || new)
		emit_tls(st, new ? HS_EV_TLS_NEW : HS_EV_TLS_HELLO, ts, id, tcp_id, segments,
			 ep, &w->h);
verdict:
	if (idp)
		*idp = id;
	return enforce_verdict(st, id, stack_id, ep, ts, first);
}


#endif /* HS_COUNT_H */
