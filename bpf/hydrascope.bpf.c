// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * hydrascope XDP program: fingerprints client SYNs and TLS ClientHellos
 * into per-fingerprint counters and sketches. Fail-open: every path
 * returns XDP_PASS, except, with enforcement loaded in drop mode, the
 * segment that completes a ClientHello whose fingerprint is enforced.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "hydrascope.h"
#include "hs_hash.h"
#include "maps.h"
#include "parsing.h"
#include "tcp_sig.h"
#include "tls.h"

/* Set by userspace between open and load. */
const volatile __u8 clock_mode = HS_CLOCK_MONO;   /* enum hs_clock */
const volatile __u8 emit_every = 0;               /* replay: an event per SYN/hello */
/* make bench only: every SYN and every client payload from a new IPv4
 * source (a per-CPU count mixed in), so that BPF_PROG_TEST_RUN's repeats
 * of one packet are each a new connection; pruned by the verifier
 * everywhere else */
const volatile __u8 bench_vary_src = 0;
const volatile __u16 tls_ports[HS_TLS_PORTS_MAX] = { 443, 8443 };
const volatile __u32 hello_max_bytes = HS_HELLO_LIMIT;  /* <= HS_HELLO_LIMIT */
const volatile __u32 hello_max_segs = HS_HELLO_SEGS;
/* Unknown TCP fingerprint ids admitted per CPU per window (struct
 * hs_admit); userspace sets it to half the map over the CPUs. */
const volatile __u32 tcp_new_cap = HS_TCP_FP_MAX / 4;
/* enum hs_enforce_mode, fixed at load: HS_ENF_OFF (the default) leaves the
 * enforcement path out of the verified program altogether, and only
 * HS_ENF_DROP can return XDP_DROP. */
const volatile __u8 enforce_mode = HS_ENF_OFF;

/* Window generation, flipped by `run` through the mmapped .bss; its lowest
 * bit is the lowest bit of every fingerprint map key (HS_GEN_KEY). Replay
 * leaves it at 0. */
__u32 cur_gen = 0;

/* enum hs_check, set before load; `run` raises HS_CHECK_SYN to
 * HS_CHECK_SYNACK once its egress program records the SYN-ACKs. */
__u8 handshake_check = HS_CHECK_SYN;

/* Replay sets this to the packet's timestamp before each test run. */
__u64 replay_now_ns = 0;

INLINE __u64 now_ns(void)
{
	if (clock_mode == HS_CLOCK_REPLAY)
		return replay_now_ns;
	return bpf_ktime_get_coarse_ns();
}

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

struct hll_regs {
	__u8 r[HS_HLL_M];
};

/* A global subprogram: verified once, not once per inlined branch path. */
__noinline int hs_hll_add(struct hll_regs *reg, __u64 h)
{
	__u32 idx = hs_hll_index(h) & (HS_HLL_M - 1);
	__u8 rank = hs_hll_rank(h);

	if (!reg)
		return 0;
	/* check first: most adds do not raise the register, and a read is cheap */
	if (reg->r[idx] < rank)
		reg->r[idx] = rank;
	return 0;
}

#define hll_add(regs, h) hs_hll_add((struct hll_regs *)(regs), (h))

/* Distinct sources and their networks: /24 for IPv4, /48 for IPv6. */
INLINE void hll_add_src(__u8 *ips, __u8 *nets, const struct hs_endpoints *ep)
{
	__u64 lo, hi;

	__builtin_memcpy(&lo, ep->saddr, 8);
	__builtin_memcpy(&hi, ep->saddr + 8, 8);
	hll_add(ips, hs_hash_addr(lo, hi, ep->family));
	lo &= ep->family == 4 ? 0xffffffULL : 0xffffffffffffULL;
	hll_add(nets, hs_hash_addr(lo, 0, ep->family | 0x80));
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

INLINE __u64 count_syn(struct xdp_md *ctx, struct hs_stats *st, const struct pkt *p,
		       struct hs_endpoints *epp, __u64 *stack, __u64 *tsp)
{
	struct optwalk w = {};
	struct hs_endpoints ep = {};
	struct hs_tcp_fp *fp;
	__u64 id, ts;
	__u32 zero = 0;
	int new = 0;

	sig_ip(p, &w.sig, &w.obs, &ep);
	if (bench_vary_src)
		bench_new_src(&ep, st->c[HS_ST_SYNS]);
	sig_tcp_hdr(p, &w.sig, &ep);
	sig_tcp_opts(ctx, p, &w);
	id = HS_GEN_KEY(hs_tcp_ids(&w.sig, stack), cur_gen);
	ts = now_ns();
	*tsp = ts;
	st->c[HS_ST_SYNS]++;

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
		init->sig = w.sig;
		init->first_ns = ts;
		init->last_ns = ts;
		err = bpf_map_update_elem(&tcp_fps, &id, init, BPF_NOEXIST);
		if (err == 0) {
			new = 1;
			st->c[HS_ST_FP_NEW]++;
			bpf_map_update_elem(&tcp_known, &kid, &gen, BPF_ANY);
		} else if (err != -17 /* EEXIST: another CPU won the race */) {
			st->c[HS_ST_MAP_FULL]++;
			goto out;
		}
		fp = bpf_map_lookup_elem(&tcp_fps, &id);
		if (!fp)
			goto out;
	}
	__sync_fetch_and_add(&fp->syns, 1);
	if (ts > fp->last_ns)
		fp->last_ns = ts;

	hll_add_src(fp->hll_ips, fp->hll_nets, &ep);

	if (emit_every)
		emit(st, new ? HS_EV_TCP_NEW : HS_EV_TCP_SYN, ts, id, &ep, &w.sig, &w.obs);
	else if (new)
		emit(st, HS_EV_TCP_NEW, ts, id, &ep, &w.sig, &w.obs);
out:
	*epp = ep;
	return id;
}

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
		const struct ipv6hdr *ip6 = p->l3;

		__builtin_memcpy(ep->saddr, rev ? &ip6->daddr : &ip6->saddr, 16);
		__builtin_memcpy(ep->daddr, rev ? &ip6->saddr : &ip6->daddr, 16);
	}
	ep->family = p->family;
	ep->sport = bpf_ntohs(rev ? p->tcp->dest : p->tcp->source);
	ep->dport = bpf_ntohs(rev ? p->tcp->source : p->tcp->dest);
}

/* Slot of a flow in the flows array: a cheap hash of the ports and the
 * low address words, client first (rev: the packet is the server's). */
INLINE __u32 flow_slot(const struct pkt *p, int rev)
{
	__u32 a = p->src_lo, b = p->dst_lo, ports = *(const __u32 *)p->tcp;

	if (rev) {
		__u32 t = a;

		a = b;
		b = t;
		ports = ports >> 16 | ports << 16;
	}
	return (__u32)hs_mix64(((__u64)a << 32 | b) ^ ports) & (HS_FLOWS_MAX - 1);
}

INLINE int ep_eq(const struct hs_endpoints *a, const struct hs_endpoints *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3] && x[4] == y[4];
}

/* Is slot f held by a handshake in progress (SYN, DATA or REASM, younger
 * than HS_FLOW_HOLD_NS)? Such a slot is not taken by another connection. */
INLINE int slot_held(const struct hs_flow *f, __u64 now)
{
	return f->state && f->state != HS_FLOW_DONE && now - f->syn_ns < HS_FLOW_HOLD_NS;
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
	f->ep = *ep;
	f->tcp_id = tcp_id;
	f->stack_id = stack_id;
	f->syn_ns = now;
	f->flags = 0;
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
	ev->ep = *ep;
	__builtin_memcpy(&ev->hello, h, sizeof(*h));
	bpf_ringbuf_submit(ev, 0);
}

/* The verdict for a ClientHello of TLS fingerprint id (any generation). */
INLINE int enforce_verdict(struct hs_stats *st, __u64 id)
{
	struct hs_enforce *e;
	__u64 key = HS_GEN_KEY(id, 0);

	if (enforce_mode == HS_ENF_OFF)
		return XDP_PASS;
	e = bpf_map_lookup_elem(&enforce, &key);
	if (!e || now_ns() >= e->expires_ns)
		return XDP_PASS;
	st->c[HS_ST_ENFORCE_MATCHED]++;
	if (enforce_mode != HS_ENF_DROP || e->mode != HS_ENF_DROP)
		return XDP_PASS;
	st->c[HS_ST_ENFORCE_DROPPED]++;
	return XDP_DROP;
}

/* Walk a complete record and count its fingerprint; the verdict for the
 * segment that completed it. */
INLINE int count_hello(struct hs_stats *st, struct hs_reasm *b,
		       const struct hs_endpoints *ep, __u64 tcp_id, __u64 stack_id,
		       __u32 segments)
{
	struct tls_walk *w;
	struct hs_tls_fp *fp;
	__u32 zero = 0;
	__u64 id, ts, n;
	int r, new = 0, verdict;

	w = bpf_map_lookup_elem(&tls_walk_scratch, &zero);
	if (!w)
		return XDP_PASS;
	r = tls_walk(b, w);
	if (r) {
		count_reason(st, r);
		return XDP_PASS;
	}
	st->c[HS_ST_HELLOS]++;
	if (segments > 1)
		st->c[HS_ST_HELLO_MULTISEG]++;
	id = HS_GEN_KEY(tls_id(w), cur_gen);
	ts = now_ns();
	verdict = enforce_verdict(st, id);
	if (b->unvalidated) {
		/* not counted: no entry, no sketch; an existing entry says how
		 * many of its ClientHellos were left out */
		if (b->unvalidated < HS_ST__COUNT)
			st->c[b->unvalidated]++;
		fp = bpf_map_lookup_elem(&tls_fps, &id);
		if (fp)
			__sync_fetch_and_add(&fp->conns_unvalidated, 1);
		return verdict;
	}

	fp = bpf_map_lookup_elem(&tls_fps, &id);
	if (!fp) {
		struct hs_tls_fp *init = bpf_map_lookup_elem(&tls_fp_init, &zero);
		long err;

		if (!init)
			return verdict;
		__builtin_memcpy(&init->hello, &w->h, sizeof(w->h));
		init->first_ns = ts;
		init->last_ns = ts;
		err = bpf_map_update_elem(&tls_fps, &id, init, BPF_NOEXIST);
		if (err == 0) {
			new = 1;
			st->c[HS_ST_TLS_FP_NEW]++;
		} else if (err != -17 /* EEXIST */) {
			st->c[HS_ST_TLS_MAP_FULL]++;
			return verdict;
		}
		fp = bpf_map_lookup_elem(&tls_fps, &id);
		if (!fp)
			return verdict;
	}
	n = __sync_fetch_and_add(&fp->conns, 1);
	if (ts > fp->last_ns)
		fp->last_ns = ts;
	{
		struct hs_addr_sample *smp = &fp->samples[n & (HS_TLS_SAMPLES - 1)];

		__builtin_memcpy(smp->addr, ep->saddr, 16);
		smp->family = ep->family;
	}
	hll_add_src(fp->hll_ips, fp->hll_nets, ep);
	if (stack_id)
		hll_add(fp->hll_tcp, hs_mix64(stack_id));

	if (emit_every || new)
		emit_tls(st, new ? HS_EV_TLS_NEW : HS_EV_TLS_HELLO, ts, id, tcp_id, segments,
			 ep, &w->h);
	return verdict;
}

/* Copy n payload bytes at packet offset off to b->buf[pos...]. */
INLINE int copy_payload(struct xdp_md *ctx, __u32 off, struct hs_reasm *b, __u32 pos, __u32 n)
{
	__u32 done = 0, i;
	__u64 c;

	for (i = 0; i < HS_HELLO_LIMIT / HS_HELLO_CHUNK; i++) {
		if (done >= n)
			break;
		c = n - done;
		if (c > HS_HELLO_CHUNK)
			c = HS_HELLO_CHUNK;
		/* the mask changes nothing but proves the bound to the verifier;
		 * the barrier keeps the compiler from dropping it */
		asm volatile("" : "+r"(c));
		c &= 2 * HS_HELLO_CHUNK - 1;
		if (!c)
			break;
		if (bpf_xdp_load_bytes(ctx, off + done, &b->buf[(pos + done) & HS_HELLO_MASK], c))
			return -1;
		done += c;
	}
	return done >= n ? 0 : -1;
}

/* Record length of a collected header: 0 if it is not a handshake record,
 * else the bytes the record needs (5 + length). */
INLINE __u32 record_need(const struct hs_reasm *b)
{
	if (b->buf[0] != 0x16 || b->buf[1] != 0x03)
		return 0;
	return 5 + ((b->buf[3] << 8) | b->buf[4]);
}

/* A further segment of a ClientHello being collected. Returns true when
 * the collection is over (walked or given up); *verdict is the segment's. */
INLINE int reasm_more(struct xdp_md *ctx, struct hs_stats *st, struct hs_reasm *r,
		      const struct hs_endpoints *ep, __u32 seq, __u32 off, __u32 plen,
		      int *verdict)
{
	__u32 want, n;

	if (seq != r->next_seq) {
		/* a retransmission of bytes we have: nothing to do */
		if ((__s32)(seq - r->next_seq) < 0)
			return 0;
		st->c[HS_ST_TLS_OUT_OF_ORDER]++;
		return 1;
	}
	want = r->need ? r->need : hello_max_bytes;
	n = want > r->len ? want - r->len : 0;
	if (n > plen)
		n = plen;
	if (n > HS_HELLO_LIMIT)
		n = HS_HELLO_LIMIT;
	if (n && copy_payload(ctx, off, r, r->len, n)) {
		st->c[HS_ST_TLS_MALFORMED]++;
		return 1;
	}
	r->len += n;
	r->next_seq += plen;
	r->segments++;
	if (!r->need && r->len >= 5) {
		r->need = record_need(r);
		if (!r->need) {
			st->c[HS_ST_TLS_NOT_HELLO]++;
			return 1;
		}
		if (r->need > hello_max_bytes) {
			st->c[HS_ST_TLS_TOO_BIG]++;
			return 1;
		}
	}
	if (r->need && r->len >= r->need) {
		*verdict = count_hello(st, r, ep, r->tcp_id, r->stack_id, r->segments);
		return 1;
	}
	if (r->segments >= hello_max_segs) {
		st->c[HS_ST_TLS_TOO_BIG]++;
		return 1;
	}
	return 0;
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
		f->state = state;
}

/* A flow whose ClientHello was dropped (enforcement): its retransmission
 * is judged again, and counts like the first: a connection whose SYN was
 * seen goes back to its SYN state (its handshake check kept), one whose
 * SYN was not is forgotten. */
INLINE void flow_dropped(struct hs_flow *f)
{
	f->state = f->flags & HS_FLOWF_SYN ? HS_FLOW_SYN : 0;
}

/* Does a payload of plen bytes at pl start like a TLS handshake record
 * (16 03)? A segment of one byte may carry just the 16 (the hello split
 * right after its first byte). */
INLINE int payload_looks_tls(const __u8 *pl, __u32 plen, void *end)
{
	return (void *)(pl + 1) <= end && pl[0] == 0x16 &&
	       (plen == 1 || ((void *)(pl + 2) <= end && pl[1] == 0x03));
}

/* What the packet parse hands to the TLS path. */
struct seg {
	struct hs_endpoints ep;
	__u32 seq;              /* TCP sequence number */
	__u32 ack;              /* TCP acknowledgment number */
	__u32 off;              /* payload offset in the packet */
	__u32 plen;             /* payload bytes */
	__u32 slot;             /* flow slot */
	__u32 looks;            /* payload starts like a handshake record */
};

/*
 * Client payload to a TLS port that may matter: a global subprogram, so
 * the verifier checks this long path once rather than once per way the
 * packet headers were parsed. Returns the packet's verdict: XDP_PASS but
 * for the segment completing an enforced ClientHello in drop mode. A flow
 * whose ClientHello was dropped is forgotten, so its retransmission is
 * judged (and dropped) again.
 */
__noinline int hs_tls_segment(struct xdp_md *ctx, struct seg *sg)
{
	struct hs_stats *st;
	struct hs_reasm *r;
	struct hs_flow *f;
	__u64 tcp_id = 0, stack_id = 0;
	__u32 zero = 0;
	int verdict = XDP_PASS;

	if (!sg)
		return XDP_PASS;
	st = bpf_map_lookup_elem(&stats, &zero);
	if (!st)
		return XDP_PASS;
	f = flow_of(sg->slot, &sg->ep);
	if (!f && !sg->looks)
		return XDP_PASS;
	if (f && f->state == HS_FLOW_DONE)
		return XDP_PASS;

	if (f && f->state == HS_FLOW_REASM) {
		r = bpf_map_lookup_elem(&reasm, &sg->ep);
		if (!r || reasm_more(ctx, st, r, &sg->ep, sg->seq, sg->off, sg->plen,
				     &verdict)) {
			if (verdict == XDP_DROP)
				flow_dropped(f);
			else
				f->state = HS_FLOW_DONE;
			bpf_map_delete_elem(&reasm, &sg->ep);
		}
		return verdict == XDP_DROP ? XDP_DROP : XDP_PASS;
	}
	if (f && f->state == HS_FLOW_SYN) {
		/* the first client payload of the connection */
		if (sg->seq != f->isn + 1) {
			st->c[HS_ST_TLS_OUT_OF_ORDER]++;
			f->state = HS_FLOW_DONE;
			return XDP_PASS;
		}
	}
	if (f) {
		tcp_id = f->tcp_id;
		stack_id = f->stack_id;
	}
	if (!sg->looks) {
		/* not TLS yet: a ClientHello may follow (SOCKS, STARTTLS...) */
		if (f && f->state == HS_FLOW_SYN) {
			st->c[HS_ST_TLS_NOT_HELLO]++;
			f->state = HS_FLOW_DATA;
		}
		return XDP_PASS;
	}
	r = bpf_map_lookup_elem(&reasm_scratch, &zero);
	if (!r)
		return XDP_PASS;
	r->tcp_id = tcp_id;
	r->stack_id = stack_id;
	r->unvalidated = hello_unvalidated(f, sg->ack);
	r->len = 0;
	r->need = 0;
	r->segments = 0;
	r->next_seq = sg->seq;
	if (!reasm_more(ctx, st, r, &sg->ep, sg->seq, sg->off, sg->plen, &verdict)) {
		/* more segments to come: keep what we have per flow */
		if (bpf_map_update_elem(&reasm, &sg->ep, r, BPF_ANY) == 0) {
			set_flow(sg->slot, &sg->ep, f, HS_FLOW_REASM);
			return XDP_PASS;
		}
	}
	if (verdict == XDP_DROP) {
		if (f)
			flow_dropped(f);
		return XDP_DROP;
	}
	set_flow(sg->slot, &sg->ep, f, HS_FLOW_DONE);
	return XDP_PASS;
}

/* Where the parse found the headers of a TCP packet, as offsets from
 * ctx->data, and what the subprograms below need of it. */
struct tcp_at {
	__u32 l3_off;
	__u32 tcp_off;
	__u32 l4_len;
	__u32 ext_len;
	__u32 src_lo;           /* as in struct pkt */
	__u32 dst_lo;
	__u32 family;
	__u32 slot;             /* data: the flow slot */
	__u32 looks;            /* data: the payload starts like a handshake record */
};

/*
 * The packet headers again, in a global subprogram: packet pointers cannot
 * cross into one, so they are found from their offsets, each checked
 * against the end of the packet. 0, or -1 if they do not fit.
 */
INLINE int pkt_at(struct xdp_md *ctx, const struct tcp_at *at, struct pkt *p)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	/* bounded well below 64 KiB: the verifier only trusts such offsets */
	struct tcphdr *t = data + (at->tcp_off & 0x3fff);

	if ((void *)(t + 1) > end)
		return -1;
	/* keep the compiler from recomputing the pointer without the check */
	asm volatile("" : "+r"(t));
	p->tcp = t;
	/* the family a constant on each path: the verifier then knows which
	 * header length was checked wherever p->family is read */
	if (at->family == 4) {
		struct iphdr *iph = data + (at->l3_off & 0xff);

		if ((void *)(iph + 1) > end)
			return -1;
		p->l3 = iph;
		p->family = 4;
	} else {
		struct ipv6hdr *ip6 = data + (at->l3_off & 0xff);

		if ((void *)(ip6 + 1) > end)
			return -1;
		p->l3 = ip6;
		p->family = 6;
	}
	p->l4_len = at->l4_len;
	p->ip_ext_len = at->ext_len;
	p->src_lo = at->src_lo;
	p->dst_lo = at->dst_lo;
	return 0;
}

/*
 * The subprograms for the packets that matter: a client SYN, a SYN-ACK in
 * replay, client data to a TLS port that may be (part of) a ClientHello.
 * Each is global: verified once, not once per way the headers before it
 * were parsed (VLAN tags, IPv6 extensions).
 */

/* A client SYN: its fingerprint, and its flow if to a TLS port. */
__noinline int hs_syn(struct xdp_md *ctx, const struct tcp_at *at)
{
	struct hs_endpoints ep;
	__u64 id, stack = 0, ts = 0;
	struct hs_flow *f;
	struct hs_stats *st;
	struct pkt p = {};
	__u32 zero = 0;

	if (!at || pkt_at(ctx, at, &p))
		return 0;
	st = bpf_map_lookup_elem(&stats, &zero);
	if (!st)
		return 0;
	id = count_syn(ctx, st, &p, &ep, &stack, &ts);
	if (!is_tls_port(ep.dport))
		return 0;
	/* a handshake in progress keeps its slot (a retransmitted SYN of the
	 * same connection starts it again) */
	f = take_slot(flow_slot(&p, 0), &ep, id, stack, ts);
	if (!f) {
		st->c[HS_ST_FLOW_BUSY]++;
		return 0;
	}
	f->isn = bpf_ntohl(p.tcp->seq);
	f->flags = HS_FLOWF_SYN;
	f->state = HS_FLOW_SYN;
	return 0;
}

/* A SYN-ACK of a replayed capture (see record_synack). */
__noinline int hs_synack(struct xdp_md *ctx, const struct tcp_at *at)
{
	struct pkt p = {};

	if (at && !pkt_at(ctx, at, &p))
		record_synack(&p);
	return 0;
}

/* Client data to a TLS port that may matter (see handle): to the TLS
 * path; the packet's verdict. */
__noinline int hs_data(struct xdp_md *ctx, const struct tcp_at *at)
{
	struct hs_stats *st;
	struct pkt p = {};
	struct seg sg;
	__u32 zero = 0, hlen;

	if (!at || pkt_at(ctx, at, &p))
		return XDP_PASS;
	st = bpf_map_lookup_elem(&stats, &zero);
	if (!st)
		return XDP_PASS;
	hlen = p.tcp->doff * 4;
	sg.slot = at->slot & (HS_FLOWS_MAX - 1);
	endpoints(&p, &sg.ep, 0);
	if (bench_vary_src)
		bench_new_src(&sg.ep, st->c[HS_ST_PACKETS]);
	sg.seq = bpf_ntohl(p.tcp->seq);
	sg.ack = bpf_ntohl(p.tcp->ack_seq);
	sg.off = (at->tcp_off & 0x3fff) + hlen;
	sg.plen = p.l4_len - hlen;
	sg.looks = at->looks;
	return hs_tls_segment(ctx, &sg) == XDP_DROP ? XDP_DROP : XDP_PASS;
}

/* Every packet, live or replayed: its verdict. */
INLINE int handle(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct tcp_at at;
	struct pkt p = {};
	struct hs_stats *st;
	const __u8 *pl;
	__u32 zero = 0, hlen;
	__u8 flags;
	int r;

	st = bpf_map_lookup_elem(&stats, &zero);
	if (!st)
		return XDP_PASS;
	st->c[HS_ST_PACKETS]++;

	r = parse_packet(data, end, &p, ctx);
	if (r) {
		count_reason(st, r);
		return XDP_PASS;
	}
	flags = ((__u8 *)p.tcp)[13];
	at.l3_off = p.l3 - data;
	at.tcp_off = (void *)p.tcp - data;
	at.l4_len = p.l4_len;
	at.ext_len = p.ip_ext_len;
	at.src_lo = p.src_lo;
	at.dst_lo = p.dst_lo;
	at.family = p.family;
	if ((flags & 0x12) == 0x02) {           /* SYN without ACK: a client SYN */
		if (flags & 0x05) {             /* with FIN or RST: as p0f, ignore */
			st->c[HS_ST_SYN_BAD_FLAGS]++;
			return XDP_PASS;
		}
		hs_syn(ctx, &at);
		return XDP_PASS;
	}
	if ((flags & 0x17) == 0x12) {           /* SYN-ACK */
		/* live, the server's own leave through the egress program; one
		 * arriving here is not ours to trust */
		if (clock_mode == HS_CLOCK_REPLAY)
			hs_synack(ctx, &at);
		return XDP_PASS;
	}
	hlen = p.tcp->doff * 4;
	if ((flags & 0x06) || p.l4_len <= hlen)  /* not data, or SYN/RST */
		return XDP_PASS;
	pl = (const __u8 *)p.tcp + hlen;
	at.looks = payload_looks_tls(pl, p.l4_len - hlen, end);
	if (!is_tls_port(bpf_ntohs(p.tcp->dest))) {
		if (at.looks && (void *)(pl + 6) <= end && pl[5] == 0x01)
			st->c[HS_ST_TLS_OTHER_PORT]++;
		return XDP_PASS;
	}
	at.slot = flow_slot(&p, 0);
	if (!at.looks) {
		/* the common case, data on an established flow: one array read,
		 * here, before any call */
		struct hs_flow *f = bpf_map_lookup_elem(&flows, &at.slot);

		if (!f || !f->state || f->state == HS_FLOW_DONE)
			return XDP_PASS;
	}
	return hs_data(ctx, &at) == XDP_DROP ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int hs_xdp(struct xdp_md *ctx)
{
	return handle(ctx);
}

/* The same path for replay's frames: a global subprogram, verified once
 * and called per frame of a batch. */
__noinline int hs_packet(struct xdp_md *ctx)
{
	return handle(ctx);
}

/* Frames of this test run in replay_frames (userspace sets it). */
__u32 replay_n = 0;

/* Frame i of replay_frames made the packet (its length, then its bytes)
 * and run through hs_packet with its capture time as the clock; its
 * verdict into its slot, HS_REPLAY_NOT_RUN if the packet cannot hold it.
 * A global subprogram: verified once, not once per frame of the loop. */
__noinline int hs_replay_one(struct xdp_md *ctx, __u32 i)
{
	struct hs_replay_frame *fr = bpf_map_lookup_elem(&replay_frames, &i);
	__u32 len;
	int have;

	if (!fr)
		return -1;
	len = fr->len;
	fr->verdict = HS_REPLAY_NOT_RUN;
	if (len < 14 || len > HS_REPLAY_FRAME)
		return 0;
	have = (int)bpf_xdp_get_buff_len(ctx);
	if (bpf_xdp_adjust_tail(ctx, (int)len - have) ||
	    bpf_xdp_store_bytes(ctx, 0, fr->data, len))
		return 0;
	replay_now_ns = fr->ts_ns;
	fr->verdict = (__u32)hs_packet(ctx);
	return 0;
}

/*
 * Replay: the first replay_n frames of replay_frames, each in turn through
 * the very path hs_xdp runs (see hs_replay_one). One system call for a
 * batch, not one per packet.
 */
SEC("xdp")
int hs_replay(struct xdp_md *ctx)
{
	__u32 i;

	for (i = 0; i < HS_REPLAY_BATCH && i < replay_n; i++)
		if (hs_replay_one(ctx, i))
			break;
	return XDP_PASS;
}

/*
 * Egress (tc, clsact): the server's SYN-ACKs, so that a ClientHello counts
 * only if its client acknowledged one (see hello_unvalidated). Never
 * changes a packet or its fate: TC_ACT_UNSPEC lets the next filter and
 * the default action decide, as if this one were not there.
 */
SEC("tc")
int hs_egress(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct pkt p = {};

	if (parse_packet(data, end, &p, NULL) == 0 && (((__u8 *)p.tcp)[13] & 0x17) == 0x12)
		record_synack(&p);
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
