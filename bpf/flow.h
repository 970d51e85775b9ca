/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow slots: connections to TLS ports in the flows array (struct hs_flow),
 * taken by their SYN, and the handshake check a ClientHello must pass to
 * count (its SYN seen, the server's SYN-ACK acknowledged).
 */
#ifndef HS_FLOW_H
#define HS_FLOW_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "hydrascope.h"
#include "hs_hash.h"
#include "consts.h"
#include "globals.h"
#include "maps.h"
#include "parsing.h"

/* Is port (host order) one of the TLS ports set at load? */
INLINE int is_tls_port(__u16 port)
{
	int i;

#pragma unroll
	for (i = 0; i < HS_TLS_PORTS_MAX; i++)
		if (tls_ports[i] && tls_ports[i] == port)
			return 1;
	return 0;
}

/* Client endpoints of a TCP packet, as the flow key; rev: the packet is
 * the server's (its destination is the client). */
INLINE void endpoints(const struct pkt *p, struct hs_endpoints *ep, int rev)
{
	__builtin_memset(ep, 0, sizeof(*ep));
	if (p->family == 4) {
		const struct iphdr *iph = p->l3;

		__builtin_memcpy(ep->saddr, rev ? &iph->daddr : &iph->saddr, 4);
		__builtin_memcpy(ep->daddr, rev ? &iph->saddr : &iph->daddr, 4);
	} else {
		ep_addrs6(ep, p->l3, rev);
	}
	ep->family = p->family;
	ep->sport = bpf_ntohs(rev ? p->tcp->dest : p->tcp->source);
	ep->dport = bpf_ntohs(rev ? p->tcp->source : p->tcp->dest);
}

/* Flow hash of a packet's connection (hs_flow_hash), client first (rev:
 * the packet is the server's). */
INLINE __u64 flow_hash(const struct pkt *p, int rev)
{
	__u32 a = p->src_lo, b = p->dst_lo, ports = *(const __u32 *)p->tcp;

	if (rev) {
		__u32 t = a;

		a = b;
		b = t;
		ports = ports >> 16 | ports << 16;
	}
	return hs_flow_hash(a, b, ports);
}

/* Slot of a flow in the flows array (hs_flow_slot) */
INLINE __u32 flow_slot(const struct pkt *p, int rev)
{
	return (__u32)flow_hash(p, rev) & (HS_FLOWS_MAX - 1);
}

INLINE int ep_eq(const struct hs_endpoints *a, const struct hs_endpoints *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3] && x[4] == y[4];
}

/* *d = *s as five 64-bit words (written when struct hs_endpoints was
 * 2-aligned and the compiler copied it as twenty 16-bit halves, through
 * the stack; it is 8-aligned since b52ddd3) */
INLINE void ep_copy(struct hs_endpoints *d, const struct hs_endpoints *s)
{
	__u64 *x = (__u64 *)d;
	const __u64 *y = (const __u64 *)s;

	x[0] = y[0];
	x[1] = y[1];
	x[2] = y[2];
	x[3] = y[3];
	x[4] = y[4];
}

/* The flow slots' tags (in .bss: no lookup, no key on the stack; `run`
 * writes those still 0 through the skeleton once attached). */
struct hs_flow_tags flow_tags;

/* Slot slot's tag set to t. */
INLINE void flow_tag(__u32 slot, __u8 t)
{
	flow_tags.t[slot & (HS_FLOWS_MAX - 1)] = t;
}

/*
 * Each flow slot's SYN time, coarse (the program clock >>
 * HS_FLOW_SINCE_SHIFT, ~1 ms), while its state holds it against others (SYN,
 * DATA, REASM: see slot_held); 0 else, or not known (`run` leaves them 0
 * at attach). Written with the tag at every change of a slot's state or
 * SYN time. With the tags it tells that a flood's SYN finds its slot held
 * by another connection from 64 KiB of tags and 512 KiB of times (144
 * pages), not from the slot: a line of the 5 MB flows array (1,281 pages),
 * seldom in cache nor in the TLB under a flood, whose miss is most of a
 * flood's SYN (~150 ns of ~190). A filter only: what it cannot tell for
 * sure, the slot tells.
 */
__u64 flow_since[HS_FLOWS_MAX];

INLINE void flow_since_set(__u32 slot, __u8 state, __u64 syn_ns)
{
	flow_since[slot & (HS_FLOWS_MAX - 1)] =
		state && state != HS_FLOW_DONE ? syn_ns >> HS_FLOW_SINCE_SHIFT : 0;
}

/* Is slot surely held (slot_held) by another connection than the one of
 * flow hash h at now? Its tag names another owner, and its SYN was surely
 * before now and less than HS_FLOW_HOLD_NS before: now d coarse units
 * after it, d at least 1 (0: now may be before it, a clock read earlier
 * on another CPU, or a capture's out of order) and below the hold's units
 * less 1 (d units apart: less than d + 1 units apart). 0: the slot says. */
INLINE int slot_surely_held(__u32 slot, __u64 h, __u64 now)
{
	__u8 t = flow_tags.t[slot & (HS_FLOWS_MAX - 1)];
	__u64 since;

	if (!(t & HS_FLOW_TAG_OWNER) || t == (HS_FLOW_TAG_OWNER | hs_flow_tag_bits(h)))
		return 0;
	since = flow_since[slot & (HS_FLOWS_MAX - 1)];
	return since && (now >> HS_FLOW_SINCE_SHIFT) - since - 1 <
		(HS_FLOW_HOLD_NS >> HS_FLOW_SINCE_SHIFT) - 2;
}

/* Slot f's new state (not 0), its tag with it: its connection's. A
 * global subprogram, for the ClientHello's path (once or twice a
 * connection: nothing on its callers' stacks, verified once); a SYN sets
 * its slot's inline. */
__noinline int hs_flow_state(struct hs_flow *f, __u32 slot, __u8 state)
{
	if (!f)
		return 0;
	f->state = state;
	flow_tag(slot, hs_flow_tag_of(f));
	flow_since_set(slot, state, f->syn_ns);
	return 0;
}

/*
 * Is a ClientHello to flow slot slot from a connection that holds no
 * handshake there: the slot holds no connection, or another's (in
 * whatever state)? Its own slot done answers no as well: it is not one
 * without a handshake. The slot's tag says so, when it can, without
 * reading the slot; else the slot, as far as the words it is hashed from
 * tell (src_lo and dst_lo, the addresses' last words as read; ports, the
 * TCP header's first word as read; v6). A global subprogram: nothing on
 * the stack of the entry's frame, and called only once the window's
 * sample is spent.
 */
__noinline int hs_hello_no_handshake(__u32 slot, __u32 src_lo, __u32 dst_lo, __u32 ports,
				     __u32 v6)
{
	__u16 sport = bpf_ntohs((__u16)ports), dport = bpf_ntohs((__u16)(ports >> 16));
	struct hs_flow *f;
	__u32 lo;
	__u8 t;

	slot &= HS_FLOWS_MAX - 1;
	v6 = !!v6;
	t = flow_tags.t[slot];
	if (t == HS_FLOW_TAG_NONE ||
	    ((t & HS_FLOW_TAG_OWNER) &&
	     t != (HS_FLOW_TAG_OWNER | hs_flow_tag_bits(hs_flow_hash(src_lo, dst_lo, ports)))))
		return 1;
	f = bpf_map_lookup_elem(&flows, &slot);
	if (!f)
		return 0;
	if (!f->state)
		return 1;
	__builtin_memcpy(&lo, &f->ep.saddr[v6 * 12], 4);
	return lo != src_lo || f->ep.sport != sport || f->ep.dport != dport;
}

/* Is slot f held by a handshake in progress (SYN, DATA or REASM, younger
 * than HS_FLOW_HOLD_NS)? Such a slot is not taken by another connection. */
INLINE int slot_held(const struct hs_flow *f, __u64 now)
{
	return f->state && f->state != HS_FLOW_DONE && now - f->syn_ns < HS_FLOW_HOLD_NS;
}

/* Give back reasm slot k, if it holds ep's collection. */
INLINE void reasm_give_back(__u32 k, const struct hs_endpoints *ep)
{
	struct hs_reasm_slot *s = bpf_map_lookup_elem(&reasm, &k);

	if (s && s->busy && ep_eq(&s->ep, ep)) {
		s->busy = 0;
		bpf_map_push_elem(&reasm_free, &k, 0);
	}
}

/* ep takes its slot, with the ids of its SYN (0: not seen) and now as its
 * start; NULL when a handshake of another connection holds the slot. The
 * caller sets the state. */
INLINE struct hs_flow *take_slot(__u32 slot, const struct hs_endpoints *ep, __u64 tcp_id,
				 __u64 stack_id, __u64 now)
{
	struct hs_flow *f = bpf_map_lookup_elem(&flows, &slot);

	if (!f || (slot_held(f, now) && !ep_eq(&f->ep, ep)))
		return NULL;
	if (f->state == HS_FLOW_REASM)  /* a collection nothing will continue */
		reasm_give_back(f->rslot, &f->ep);
	ep_copy(&f->ep, ep);
	f->tcp_id = tcp_id;
	f->stack_id = stack_id;
	f->syn_ns = now;
	f->flags = 0;
	flow_tag(slot, 0);      /* not known (nor its flow_since) until its state is set */
	return f;
}

/* The flow of ep in its slot, NULL when the slot holds another (or none). */
INLINE struct hs_flow *flow_of(__u32 slot, const struct hs_endpoints *ep)
{
	struct hs_flow *f = bpf_map_lookup_elem(&flows, &slot);

	return f && f->state && ep_eq(&f->ep, ep) ? f : NULL;
}

/* A SYN-ACK from a TLS port: the server's initial sequence number into
 * the slot of the connection it answers, if that connection's SYN was
 * seen. Called by the egress program (and, in replay, for the capture's
 * SYN-ACKs). */
INLINE void record_synack(const struct pkt *p)
{
	struct hs_endpoints ep;
	struct hs_flow *f;
	struct hs_stats *st;
	__u32 zero = 0;

	if (!is_tls_port(bpf_ntohs(p->tcp->source)))
		return;
	endpoints(p, &ep, 1);
	f = flow_of(flow_slot(p, 1), &ep);
	if (!f || !(f->flags & HS_FLOWF_SYN) || f->state != HS_FLOW_SYN)
		return;
	f->srv_isn = bpf_ntohl(p->tcp->seq);
	f->flags |= HS_FLOWF_SYNACK;
	st = bpf_map_lookup_elem(&stats, &zero);
	if (st)
		st->c[HS_ST_SYNACKS]++;
}

/* Does a ClientHello acknowledging ack on flow f (NULL: untracked) count?
 * 0 if so, else the HS_ST_HELLO_* reason. */
INLINE __u8 hello_unvalidated(const struct hs_flow *f, __u32 ack)
{
	if (handshake_check == HS_CHECK_NONE)
		return 0;
	if (!f || !(f->flags & HS_FLOWF_SYN))
		return HS_ST_HELLO_NO_SYN;
	if (f->flags & HS_FLOWF_SYNACK)
		return ack - (f->srv_isn + 1) <= HS_ACK_SLACK ? 0 : HS_ST_HELLO_BAD_ACK;
	return handshake_check == HS_CHECK_SYNACK ? HS_ST_HELLO_NO_SYNACK : 0;
}

/* This CPU's sample of unvalidated ClientHellos for the window (struct
 * hs_admit): renewed when sample_epoch moved on. NULL: no map value. */
INLINE struct hs_admit *unval_budget(const __u32 *zero)
{
	struct hs_admit *a = bpf_map_lookup_elem(&unval_sample, zero);

	if (a && a->gen != sample_epoch) {
		a->gen = sample_epoch;
		a->used = 0;
	}
	return a;
}

/* Is the window's sample spent on this CPU (an unvalidated ClientHello
 * would not be walked)? zero: a key 0 (the caller's, on its stack). */
INLINE int unval_spent(const __u32 *zero)
{
	struct hs_admit *a = unval_budget(zero);

	return !a || a->used >= unval_sample_max;
}

/* An unvalidated ClientHello for reason why (HS_ST_HELLO_*): counted, and
 * 1 when it may be walked (taken from the sample), 0 when it is left at
 * that: no walk, no flow slot, no reassembly, its flow as it was. */
INLINE int unval_take(struct hs_stats *st, __u8 why)
{
	__u32 zero = 0;
	struct hs_admit *a = unval_budget(&zero);

	if (why < HS_ST__COUNT)
		st->c[why]++;
	if (!a || a->used >= unval_sample_max)
		return 0;
	a->used++;
	st->c[HS_ST_HELLO_UNVAL_SAMPLED]++;
	return 1;
}

/* The flow's new state; a connection whose SYN was not seen takes its
 * slot now, unless another handshake holds it (then it is not tracked:
 * the one in progress keeps its state). */
INLINE void set_flow(__u32 slot, const struct hs_endpoints *ep, struct hs_flow *f,
		     __u8 state)
{
	if (!f)
		f = take_slot(slot, ep, 0, 0, now_ns());
	if (f)
		hs_flow_state(f, slot, state);
}

#endif /* HS_FLOW_H */
