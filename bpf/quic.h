/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC (issue 18), the kernel's part: the ClientHello is in the client's
 * Initial packets, encrypted with keys the kernel cannot derive, so the
 * XDP program only selects Initials and hands a bounded number of them to
 * userspace (the ring buffer: HS_QUIC_INITIALS_MAX per flow, quic_budget_max
 * per CPU per second), validates flows as the SYN-ACK check does for TCP
 * (the client's Handshake packet carries the connection ID the server
 * chose, which the egress program recorded), and counts the ClientHello
 * userspace hands back (the hs_quic_hello program) as a TCP one is
 * counted (count.h). With enforcement in drop mode, a flow whose hello was
 * dropped has its later datagrams dropped.
 *
 * Flows live in a fixed array of slots (quic_flows), in sets of quic_ways
 * keyed by the client's address and port and the server's port: no
 * allocation per Initial, and a flow in progress keeps its slot against a
 * flood of new sources. A validated flow keeps its slot for its lifetime
 * (10 s: its hello counts by it, enforcement marks it), so a new flow
 * hashed to its set takes another slot of the set: with one slot a flow,
 * every other flow hashed to it went unseen that long, its Initials never
 * handed.
 */
#ifndef HS_BPF_QUIC_H
#define HS_BPF_QUIC_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "hydrascope.h"
#include "hs_hash.h"
#include "consts.h"
#include "globals.h"
#include "maps.h"
#include "parsing.h"
#include "flow.h"
#include "count.h"

/* Long-header packet types, version 1's numbers (RFC 9000, 17.2). */
enum { QT_INITIAL = 0, QT_0RTT = 1, QT_HANDSHAKE = 2, QT_RETRY = 3 };

#define QH_LONG  0x80   /* header form: long */
#define QH_FIXED_LEN 6  /* first byte, version, DCID length */

/* Is port (host order) one of the QUIC ports set at load? */
INLINE int is_quic_port(__u16 port)
{
	int i;

#pragma unroll
	for (i = 0; i < HS_QUIC_PORTS_MAX; i++)
		if (quic_ports[i] && quic_ports[i] == port)
			return 1;
	return 0;
}

/* The type of a long header's first byte b0 in version's numbering, as
 * version 1's (RFC 9369, 3.2: version 2 numbers them Retry 0, Initial 1,
 * 0-RTT 2, Handshake 3). */
INLINE __u32 quic_type(__u8 b0, __u32 version)
{
	__u32 t = (b0 >> 4) & 3;

	return version == HS_QUIC_V2 ? (t + 3) & 3 : t;
}

/* What to read of a long-header packet besides its type (quic_parse). */
enum { QP_SCID = 1, QP_NEXT = 2 };

/* A long-header packet of a datagram, in and out of quic_parse. */
struct qpkt {
	__u64 dcid[4];          /* out: the DCID, zero-padded (a Handshake's, or asked) */
	__u64 scid[4];          /* out, QP_SCID: the SCID, zero-padded */
	__u32 off;              /* in: packet offset of the QUIC packet */
	__u32 end;              /* in: packet offset of the datagram's end */
	__u32 next;             /* out, QP_NEXT: offset of the packet coalesced after it,
				 * 0: none (or its lengths do not say) */
	__u32 version;          /* out */
	__u8  type;             /* out: QT_* */
	__u8  dcid_len;
	__u8  scid_len;         /* out, QP_SCID or QP_NEXT */
	__u8  want;             /* in: QP_* */
	__u8  dcid_in;          /* in: read the DCID whatever the type */
	__u8  pad[7];
};

/* len bytes (a bounded register, 1..32) of the packet at off into to: the
 * XDP program's helper or, skb (a constant), the tc program's. */
#define QLOAD(ctx, skb, off, to, len) \
	((skb) ? bpf_skb_load_bytes((ctx), (off), (to), (len)) : \
		 bpf_xdp_load_bytes((ctx), (off), (to), (len)))

/* A variable-length integer (RFC 9000, 16) at v (8 bytes loaded); *n: its
 * bytes. */
INLINE __u64 quic_varint(const __u8 *v, __u32 *n)
{
	__u64 x = v[0] & 0x3f;

	switch (v[0] >> 6) {
	case 0:
		*n = 1;
		return x;
	case 1:
		*n = 2;
		return x << 8 | v[1];
	case 2:
		*n = 4;
		return x << 24 | (__u64)v[1] << 16 | (__u64)v[2] << 8 | v[3];
	}
	*n = 8;
	return x << 56 | (__u64)v[1] << 48 | (__u64)v[2] << 40 | (__u64)v[3] << 32 |
	       (__u64)v[4] << 24 | (__u64)v[5] << 16 | (__u64)v[6] << 8 | v[7];
}

/* A connection ID of len bytes (<= HS_QUIC_CID_MAX) at off into cid
 * (zeroed first): 0, or -1 when it does not fit the datagram. */
INLINE int quic_cid(void *ctx, const int skb, __u32 off, __u32 end, __u32 len, __u64 *cid)
{
	__u32 n = len;

	cid[0] = cid[1] = cid[2] = cid[3] = 0;
	if (!n)
		return 0;
	if (off + n > end)
		return -1;
	/* the bound again on this very register: the helper's size */
	asm volatile("" : "+r"(n));
	n &= 31;
	if (!n)
		return -1;
	return QLOAD(ctx, skb, off, cid, n) ? -1 : 0;
}

/* The version of a long header's first bytes h: 1 or 2, else 0. */
INLINE __u32 quic_version(const __u8 *h)
{
	__u32 v = (__u32)h[1] << 24 | (__u32)h[2] << 16 | (__u32)h[3] << 8 | h[4];

	return v == HS_QUIC_V1 || v == HS_QUIC_V2 ? v : 0;
}

/* A long header's first bytes (h: the first byte, the version, the DCID
 * length) into q: form, version (1 or 2), type, DCID length. 0, or the
 * stats index of why not a packet we read. The fixed bit (0x40) is not
 * looked at: a peer told grease_quic_bit (RFC 9287) may clear it on any
 * packet, and ngtcp2 does, at random, on its Initials and Handshakes once
 * it has the other side's transport parameters (a server's first Initial,
 * a client's Handshakes); the version says what a packet is. */
INLINE int quic_fixed(const __u8 *h, struct qpkt *q)
{
	if (!(h[0] & QH_LONG))
		return HS_ST_QUIC_SHORT_HEADER;
	q->version = quic_version(h);
	if (!q->version)
		return HS_ST_QUIC_BAD_VERSION;
	q->type = quic_type(h[0], q->version);
	q->dcid_len = h[5];
	if (h[5] > HS_QUIC_CID_MAX)
		return HS_ST_QUIC_BAD_DCID_LEN;
	return 0;
}

/* Does a datagram of len bytes at pl (end: the packet's) look like a
 * client's QUIC Initial, as quic_fixed reads a long header (version 1 or
 * 2, type Initial, a DCID of at most HS_QUIC_CID_MAX bytes), in at least
 * HS_QUIC_DGRAM_MIN bytes? Without a struct qpkt: it runs on handle's
 * stack (udp_datagram). */
INLINE int quic_initial_like(const __u8 *pl, __u32 len, const void *end)
{
	__u32 v;

	if (len < HS_QUIC_DGRAM_MIN || (void *)(pl + QH_FIXED_LEN) > end || !(pl[0] & QH_LONG))
		return 0;
	v = quic_version(pl);
	return v && pl[5] <= HS_QUIC_CID_MAX && quic_type(pl[0], v) == QT_INITIAL;
}

/*
 * The long header of the packet at q->off (quic_fixed); the DCID for a
 * Handshake (or dcid_in), the SCID (QP_SCID) and where the next coalesced
 * packet starts (QP_NEXT), as far as the datagram holds them. 0, or the
 * stats index of why not a packet we read (a short header, another
 * version, a DCID too long, cut short).
 */
INLINE int quic_parse(void *ctx, const int skb, struct qpkt *q)
{
	__u8 h[8], v[8];
	__u32 pos, n;
	__u64 x;
	int r;

	q->next = 0;
	q->scid_len = 0;
	/* first byte, version, DCID length */
	if (q->off + QH_FIXED_LEN + 1 > q->end || QLOAD(ctx, skb, q->off, h, QH_FIXED_LEN))
		return HS_ST_QUIC_MALFORMED;
	r = quic_fixed(h, q);
	if (r)
		return r;
	pos = q->off + QH_FIXED_LEN;
	if ((q->type == QT_HANDSHAKE || q->dcid_in) &&
	    quic_cid(ctx, skb, pos, q->end, h[5], q->dcid))
		return HS_ST_QUIC_MALFORMED;
	if (!(q->want & (QP_SCID | QP_NEXT)))
		return 0;
	pos += h[5];
	if (pos + 1 > q->end || QLOAD(ctx, skb, pos, h, 1) || h[0] > HS_QUIC_CID_MAX)
		return HS_ST_QUIC_MALFORMED;
	q->scid_len = h[0];
	if ((q->want & QP_SCID) && quic_cid(ctx, skb, pos + 1, q->end, h[0], q->scid))
		return HS_ST_QUIC_MALFORMED;
	pos += 1 + h[0];
	if (!(q->want & QP_NEXT) || q->type == QT_RETRY)
		return 0;               /* a Retry has no Length: nothing after it */
	if (q->type == QT_INITIAL) {
		/* the token, its length first */
		if (pos + 8 > q->end || QLOAD(ctx, skb, pos, v, 8))
			return 0;
		x = quic_varint(v, &n);
		if (x > q->end - pos - n)
			return 0;
		pos += n + (__u32)x;
	}
	/* Length: the packet number and payload after it */
	if (pos + 8 > q->end || QLOAD(ctx, skb, pos, v, 8))
		return 0;
	x = quic_varint(v, &n);
	if (x >= q->end - pos - n)
		return 0;               /* the datagram's last packet (or a forged length) */
	q->next = pos + n + (__u32)x;
	return 0;
}

/* The same for the XDP programs in a global subprogram: verified once, not
 * once per packet of a datagram walked. */
__noinline int hs_quic_pkt(struct xdp_md *ctx, struct qpkt *q)
{
	if (!q)
		return HS_ST_QUIC_MALFORMED;
	return quic_parse(ctx, 0, q);
}

/* ---- flow slots ---- */

/* The slots of a set: quic_ways, within 1..HS_QUIC_WAYS. */
INLINE __u32 quic_nways(void)
{
	__u32 w = quic_ways;

	return w >= 1 && w <= HS_QUIC_WAYS ? w : HS_QUIC_WAYS;
}

/* The first slot of the set of the client side of ep (saddr, sport,
 * dport). */
INLINE __u32 quic_set_ep(const struct hs_endpoints *ep)
{
	__u32 lo, ports = (__u32)bpf_htons(ep->sport) | (__u32)bpf_htons(ep->dport) << 16;

	__builtin_memcpy(&lo, &ep->saddr[ep->family == 4 ? 0 : 12], 4);
	return hs_quic_set(lo, ports, quic_nways());
}

/* The same from a packet's headers (rev: the server's packet). */
INLINE __u32 quic_set_pkt(const struct pkt *p, int rev)
{
	__u32 ports = *(const __u32 *)p->udp;

	if (rev)
		return hs_quic_set(p->dst_lo, ports >> 16 | ports << 16, quic_nways());
	return hs_quic_set(p->src_lo, ports, quic_nways());
}

/* Is slot f's flow ep's: the client's address and port, the server's port
 * (the words of struct hs_endpoints but the server address)? */
INLINE int quic_ep_is(const struct hs_quic_flow *f, const struct hs_endpoints *ep)
{
	const __u64 *x = (const __u64 *)&f->ep, *y = (const __u64 *)ep;

	return x[0] == y[0] && x[1] == y[1] && x[4] == y[4];
}

/* Are a flow's datagrams dropped at now (enforcement)? drop_ns is the
 * syscall program's fine clock, which may be up to a tick ahead of the
 * XDP program's (the current tick's start): a now before it is within. */
INLINE int quic_dropping(const struct hs_quic_flow *f, __u64 now)
{
	return (f->flags & HS_QF_DROP) && (__s64)(now - f->drop_ns) < (__s64)HS_QUIC_DROP_NS;
}

/* Is slot f's flow alive at now: within its lifetime, or dropped? */
INLINE int quic_alive(const struct hs_quic_flow *f, __u64 now)
{
	return f->ep.family && (now - f->first_ns < HS_QUIC_FLOW_NS || quic_dropping(f, now));
}

/* Does slot f keep its flow against another's Initial at now: a handshake
 * in progress (younger than HS_FLOW_HOLD_NS), a validated flow within its
 * lifetime, a dropped one? */
INLINE int quic_held(const struct hs_quic_flow *f, __u64 now)
{
	__u64 age = now - f->first_ns;

	return f->ep.family && (age < HS_FLOW_HOLD_NS ||
				((f->flags & HS_QF_VALID) && age < HS_QUIC_FLOW_NS) ||
				quic_dropping(f, now));
}

/* The live flow of ep in the set whose first slot is set (NULL: none).
 * *now: the program clock; with lazy (a constant), read here (into it)
 * only when a slot's endpoints are ep's, so that a flood's new sources
 * never read it (an XDP program's: a syscall program reads the fine
 * clock, and passes it read). */
INLINE struct hs_quic_flow *quic_find(__u32 set, const struct hs_endpoints *ep, __u64 *now,
				      const int lazy)
{
	struct hs_quic_flow *f;
	__u32 i, k, n = quic_nways();

	for (i = 0; i < HS_QUIC_WAYS && i < n; i++) {
		k = set + i;
		f = bpf_map_lookup_elem(&quic_flows, &k);
		if (!f || !quic_ep_is(f, ep))
			continue;
		if (lazy && !*now)
			*now = now_ns();
		if (quic_alive(f, *now))
			return f;
	}
	return NULL;
}

/* The slot of the set whose first slot is set a new flow takes at now:
 * of those no flow holds, the one taken longest ago (a free one first);
 * NULL when every one is held. */
INLINE struct hs_quic_flow *quic_free_slot(__u32 set, __u64 now)
{
	struct hs_quic_flow *f, *best = NULL;
	__u64 t, oldest = 0;
	__u32 i, k, n = quic_nways();

	for (i = 0; i < HS_QUIC_WAYS && i < n; i++) {
		k = set + i;
		f = bpf_map_lookup_elem(&quic_flows, &k);
		if (!f || quic_held(f, now))
			continue;
		t = f->ep.family ? f->first_ns : 0;
		if (!best || t < oldest) {
			best = f;
			oldest = t;
		}
	}
	return best;
}

/* The live flow of ep at now (NULL: none): the egress program's, and the
 * hs_quic_hello program's. */
INLINE struct hs_quic_flow *quic_flow_of(__u32 set, const struct hs_endpoints *ep, __u64 now)
{
	return quic_find(set, ep, &now, 0);
}

/* ---- ingress: a client's datagram ---- */

/* Flow f validated (its client's Handshake carried the server's ID): one
 * event for userspace, whose hello then counts. */
INLINE void quic_validated(struct hs_stats *st, struct hs_quic_flow *f, __u64 now)
{
	struct hs_quic_valid_event *ev;

	f->flags |= HS_QF_VALID;
	st->c[HS_ST_QUIC_VALIDATED]++;
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		st->c[HS_ST_RB_DROP]++;         /* the slot says it still (hs_quic_hello) */
		return;
	}
	ev->type = HS_EV_QUIC_VALID;
	ev->initials = f->initials;
	ev->ts_ns = now;
	ep_copy(&ev->ep, &f->ep);
	bpf_ringbuf_submit(ev, 0);
}

/* A client's Handshake packet q of flow f (NULL: not tracked): validates
 * f when its DCID is the connection ID the server chose. 1 when it was
 * compared (validated or not), 0 when there was nothing to compare with.
 * A global subprogram: verified once for its two callers (a Handshake
 * first in its datagram, or coalesced after an Initial). */
__noinline int hs_quic_handshake(struct hs_quic_flow *f, const struct qpkt *q, __u64 now)
{
	struct hs_stats *st;
	const __u64 *s;
	__u32 zero = 0;

	st = bpf_map_lookup_elem(&stats, &zero);
	if (!f || !q || !st || (f->flags & (HS_QF_SCID | HS_QF_VALID)) != HS_QF_SCID)
		return 0;
	s = (const __u64 *)f->scid;
	if (q->dcid_len != f->scid_len || q->dcid[0] != s[0] || q->dcid[1] != s[1] ||
	    q->dcid[2] != s[2]) {
		st->c[HS_ST_QUIC_HS_MISMATCH]++;
		return 1;
	}
	quic_validated(st, f, now);
	return 1;
}

/* An Initial datagram (len bytes at packet offset off) of ep into the ring
 * buffer, within the flow's bound and the CPU's budget; what is past them
 * counted. f: ep's live flow, read at now; NULL: none, and now is read
 * here, and the flow takes a slot of the set whose first slot is set,
 * unless every one is held. */
INLINE void quic_hand(struct xdp_md *ctx, struct hs_stats *st, struct hs_quic_flow *f,
		      __u32 set, const struct hs_endpoints *ep, __u32 off, __u32 len, __u64 now)
{
	struct hs_quic_event *ev;
	struct hs_admit *a;
	__u32 zero = 0;
	int mine = f != NULL;
	__u64 n;

	if (f && f->initials >= HS_QUIC_INITIALS_MAX) {
		st->c[HS_ST_QUIC_SHED_FLOW]++;
		return;
	}
	/* the CPU's budget, renewed every second (2^30 ns) of the program
	 * clock: a flood that spends it is shed for under a second */
	a = bpf_map_lookup_elem(&quic_budget, &zero);
	if (!a)
		return;
	if (!mine)
		now = now_ns();
	if (a->gen != (__u32)(now >> 30)) {
		a->gen = (__u32)(now >> 30);
		a->used = 0;
	}
	if (a->used >= quic_budget_max) {
		st->c[HS_ST_QUIC_SHED_BUDGET]++;
		return;
	}
	if (!f) {
		f = quic_free_slot(set, now);
		if (!f) {
			st->c[HS_ST_QUIC_SHED_BUSY]++;
			return;
		}
	}
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		st->c[HS_ST_RB_DROP]++;
		return;
	}
	n = len < HS_QUIC_DGRAM_MAX ? len : HS_QUIC_DGRAM_MAX;
	/* both bounds on this very register, each on its own (the helper's
	 * size): tested together, clang folds them into one unsigned test of
	 * n - 1, which the verifier cannot read back as a bound on n */
	asm volatile("" : "+r"(n));
	if (n > HS_QUIC_DGRAM_MAX)
		n = HS_QUIC_DGRAM_MAX;
	asm volatile("" : "+r"(n));
	if (n < 1 || bpf_xdp_load_bytes(ctx, off, ev->data, n)) {
		bpf_ringbuf_discard(ev, 0);
		st->c[HS_ST_QUIC_MALFORMED]++;
		return;
	}
	if (!mine) {
		/* the flow takes its slot: a new one, or ep's own anew */
		__u64 *s = (__u64 *)f->scid;

		ep_copy(&f->ep, ep);
		f->first_ns = now;
		f->drop_ns = 0;
		s[0] = s[1] = s[2] = 0;
		f->scid_len = 0;
		f->initials = 0;
		f->flags = 0;
	}
	a->used++;
	f->initials++;
	ev->type = HS_EV_QUIC_INITIAL;
	ev->len = len;
	ev->ts_ns = now;
	ep_copy(&ev->ep, ep);
	ev->copied = (__u32)n;
	ev->initial = f->initials;
	ev->flow_flags = f->flags;
	ev->pad[0] = ev->pad[1] = 0;
	bpf_ringbuf_submit(ev, 0);
	st->c[HS_ST_QUIC_INITIALS]++;
}

/*
 * A datagram to a QUIC port (see handle): a global subprogram, verified
 * once whatever the headers before it were. Enforcement first (drop mode:
 * a dropped flow's datagrams), then its first long-header packet: a
 * Handshake may validate its flow; an Initial (in a datagram of 1,200
 * bytes at least) goes to userspace, within the bounds, and the packets
 * coalesced after it are looked at for a Handshake. Everything else is
 * counted by reason. The datagram's verdict.
 */
__noinline int hs_quic(struct xdp_md *ctx, const struct tcp_at *at)
{
	void *end = (void *)(long)ctx->data_end;
	struct hs_endpoints ep;
	struct hs_quic_flow *f;
	struct hs_stats *st;
	struct qpkt q = {};
	struct pkt p = {};
	__u32 zero = 0, set, off, len, i;
	const __u8 *h;
	__u64 now = 0;
	int r, walk;

	if (!at || pkt_at_l4(ctx, at, &p, sizeof(struct udphdr)))
		return XDP_PASS;
	st = bpf_map_lookup_elem(&stats, &zero);
	if (!st)
		return XDP_PASS;
	off = (at->tcp_off & PKT_OFF_MASK) + sizeof(struct udphdr);
	len = p.l4_len - sizeof(struct udphdr);
	endpoints(&p, &ep, 0);
	if (bench_vary_src)
		bench_new_src(&ep, st->c[HS_ST_PACKETS]);
	set = quic_set_ep(&ep);
	/* ep's live flow, or NULL; the clock read only if a slot holds ep's
	 * (a flood's new sources never read it before the budget) */
	f = quic_find(set, &ep, &now, 1);
	if (enforce_mode == HS_ENF_DROP && f && quic_dropping(f, now)) {
		st->c[HS_ST_QUIC_DROPPED]++;
		return XDP_DROP;
	}
	/* the first bytes straight from the packet (no helper call): most
	 * datagrams are decided by them */
	h = (const __u8 *)p.udp + sizeof(struct udphdr);
	if (len < QH_FIXED_LEN + 1 || (void *)(h + QH_FIXED_LEN) > end) {
		st->c[HS_ST_QUIC_MALFORMED]++;
		return XDP_PASS;
	}
	r = quic_fixed(h, &q);
	if (r) {
		count_reason(st, r);
		return XDP_PASS;
	}
	q.off = off;
	q.end = off + len;
	if (q.type == QT_HANDSHAKE) {
		r = hs_quic_pkt(ctx, &q);       /* its DCID */
		if (r)
			count_reason(st, r);
		else if (!hs_quic_handshake(f, &q, now))
			st->c[HS_ST_QUIC_NOT_INITIAL]++;
		return XDP_PASS;
	}
	if (q.type != QT_INITIAL) {
		st->c[HS_ST_QUIC_NOT_INITIAL]++;
		return XDP_PASS;
	}
	if (len < HS_QUIC_DGRAM_MIN) {
		st->c[HS_ST_QUIC_SMALL]++;
		return XDP_PASS;
	}
	/* the client's second flight: an Initial (its ACK), then the
	 * Handshake, coalesced; looked at only while the flow waits for it,
	 * after the Initial is handed (userspace has a flow's Initials before
	 * its validation) */
	walk = f && (f->flags & (HS_QF_SCID | HS_QF_VALID)) == HS_QF_SCID;
	quic_hand(ctx, st, f, set, &ep, off, len, now);
	if (walk && f) {
		q.want = QP_NEXT;       /* the Initial again: where the next one starts */
		if (hs_quic_pkt(ctx, &q))
			q.next = 0;
		for (i = 1; i < HS_QUIC_COALESCED && q.next; i++) {
			q.off = q.next;
			if (hs_quic_pkt(ctx, &q))
				break;
			if (q.type == QT_HANDSHAKE) {
				hs_quic_handshake(f, &q, now);
				break;
			}
		}
	}
	return XDP_PASS;
}

/* ---- the server's packets: its connection ID ---- */

/* A server's datagram from a QUIC port (p: its headers; off, len: its UDP
 * payload): the SCID of its long-header Initial or Handshake into the
 * slot of the flow it answers, if that flow's Initial was handed and it is
 * not validated yet. ctx: the tc program's skb (skb 1) or, in replay, the
 * XDP program's. */
INLINE void quic_server(void *ctx, const int skb, const struct pkt *p, __u32 off, __u32 len)
{
	struct hs_endpoints ep;
	struct hs_quic_flow *f;
	struct hs_stats *st;
	struct qpkt q = {};
	__u32 zero = 0;
	__u64 *s;

	q.off = off;
	q.end = off + len;
	q.want = QP_SCID;
	if (quic_parse(ctx, skb, &q) || (q.type != QT_INITIAL && q.type != QT_HANDSHAKE))
		return;
	endpoints(p, &ep, 1);
	f = quic_flow_of(quic_set_pkt(p, 1), &ep, now_ns());
	st = bpf_map_lookup_elem(&stats, &zero);
	if (!f || !st || (f->flags & HS_QF_VALID))
		return;
	if (q.scid_len < HS_QUIC_SCID_MIN) {
		st->c[HS_ST_QUIC_SCID_SHORT]++;
		return;
	}
	s = (__u64 *)f->scid;
	if ((f->flags & HS_QF_SCID) && f->scid_len == q.scid_len && s[0] == q.scid[0] &&
	    s[1] == q.scid[1] && s[2] == q.scid[2])
		return;                 /* the same again (its Handshake after its Initial) */
	s[0] = q.scid[0];
	s[1] = q.scid[1];
	s[2] = q.scid[2];
	f->scid_len = q.scid_len;
	f->flags |= HS_QF_SCID;
	st->c[HS_ST_QUIC_SERVER_CIDS]++;
}

/* A server's datagram of a replayed capture (see quic_server). */
__noinline int hs_quic_server(struct xdp_md *ctx, const struct tcp_at *at)
{
	struct pkt p = {};
	__u32 off;

	if (!at || pkt_at_l4(ctx, at, &p, sizeof(struct udphdr)))
		return 0;
	off = (at->tcp_off & PKT_OFF_MASK) + sizeof(struct udphdr);
	quic_server(ctx, 0, &p, off, p.l4_len - sizeof(struct udphdr));
	return 0;
}

/* ---- the ClientHello userspace took from the Initials ---- */

/*
 * The hs_quic_hello program (struct hs_quic_req): the record in
 * quic_hello's buf walked and counted as a TCP ClientHello is
 * (count_hello, quic): in its flow's counts when validated (the request
 * says so, or the flow's slot does, or the handshake check is off), else
 * only in hellos_quic_unvalidated and the entry's conns_unvalidated.
 * Enforcement's drop of a validated flow marks its slot: its datagrams
 * are dropped from then on (hs_quic).
 */
INLINE int hs_quic_hello_run(struct hs_quic_req *req)
{
	struct hs_endpoints ep;
	struct hs_quic_flow *f;
	struct hs_stats *st;
	struct hs_reasm *b;
	__u32 zero = 0, len = req->len, lost = 0, verdict;
	__u64 id = 0, now;
	int valid;

	req->result = -HS_EINVAL;
	req->verdict = XDP_PASS;
	req->tls_id = 0;
	req->flags = 0;
	st = bpf_map_lookup_elem(&stats, &zero);
	b = bpf_map_lookup_elem(&quic_hello, &zero);
	if (!st || !b)
		return 0;
	ep = req->ep;   /* a pointer to it from the stack, not the context */
	if ((ep.family != 4 && ep.family != 6) || len < TLS_REC_HDR + TLS_HS_HDR ||
	    len > hello_max_bytes || len > HS_HELLO_LIMIT)
		return 0;
	if (clock_mode == HS_CLOCK_REPLAY && req->ts_ns)
		replay_now_ns = req->ts_ns;
	now = syscall_now_ns();
	f = quic_flow_of(quic_set_ep(&ep), &ep, now);
	valid = req->validated || (f && (f->flags & HS_QF_VALID)) ||
		handshake_check == HS_CHECK_NONE;
	b->need = len;
	b->unvalidated = valid ? 0 : HS_ST_HELLO_QUIC_UNVAL;
	b->flags = 0;
	b->segments = req->packets ? req->packets : 1;
	b->tcp_id = b->stack_id = 0;
	if (!valid)
		st->c[HS_ST_HELLO_QUIC_UNVAL]++;
	verdict = count_hello(st, b, &ep, 0, 0, b->segments, &lost, &id, 1);
	req->result = (__s32)lost;
	req->tls_id = id;
	req->verdict = verdict;
	req->flags = (valid ? HS_QR_VALIDATED : 0) | (f ? 0 : HS_QR_NO_FLOW);
	if (verdict == XDP_DROP && valid && f) {
		f->flags |= HS_QF_DROP;
		f->drop_ns = now;
		req->flags |= HS_QR_DROP;
	}
	return 0;
}

#endif /* HS_BPF_QUIC_H */
