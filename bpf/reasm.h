/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ClientHello reassembly: client payload to a TLS port, collected from one
 * segment or several in-order ones (per flow in the reasm map) until the
 * handshake record is complete, then walked and counted (count.h).
 */
#ifndef HS_REASM_H
#define HS_REASM_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "hydrascope.h"
#include "consts.h"
#include "globals.h"
#include "maps.h"
#include "flow.h"
#include "count.h"

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
 * else the bytes the record needs (header + length). */
INLINE __u32 record_need(const struct hs_reasm *b)
{
	if (b->buf[0] != TLS_CT_HANDSHAKE || b->buf[1] != TLS_VERSION_MAJOR)
		return 0;
	return TLS_REC_HDR + ((b->buf[3] << 8) | b->buf[4]);
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

/* Does a payload of plen bytes at pl start like a TLS handshake record
 * (16 03)? A segment of one byte may carry just the 16 (the hello split
 * right after its first byte). */
INLINE int payload_looks_tls(const __u8 *pl, __u32 plen, void *end)
{
	return (void *)(pl + 1) <= end && pl[0] == TLS_CT_HANDSHAKE &&
	       (plen == 1 || ((void *)(pl + 2) <= end && pl[1] == TLS_VERSION_MAJOR));
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

#endif /* HS_REASM_H */
