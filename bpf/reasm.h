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
		      int *verdict, __u32 *lost)
{
	__u32 want, n;

	if (seq != r->next_seq) {
		/* a retransmission of bytes we have: nothing to do */
		if ((__s32)(seq - r->next_seq) < 0)
			return 0;
		hello_lost(st, HS_ST_TLS_OUT_OF_ORDER, r->unvalidated, lost);
		return 1;
	}
	want = r->need ? r->need : hello_max_bytes;
	n = want > r->len ? want - r->len : 0;
	if (n > plen)
		n = plen;
	if (n > HS_HELLO_LIMIT)
		n = HS_HELLO_LIMIT;
	if (n && copy_payload(ctx, off, r, r->len, n)) {
		hello_lost(st, HS_ST_TLS_MALFORMED, r->unvalidated, lost);
		return 1;
	}
	r->len += n;
	r->next_seq += plen;
	r->segments++;
	if (!r->need && r->len >= 5) {
		r->need = record_need(r);
		if (!r->need) {
			hello_lost(st, HS_ST_TLS_NOT_HELLO, r->unvalidated, lost);
			return 1;
		}
		if (r->need > hello_max_bytes) {
			hello_lost(st, HS_ST_TLS_TOO_BIG, r->unvalidated, lost);
			return 1;
		}
	}
	if (r->need && r->len >= r->need) {
		*verdict = count_hello(st, r, ep, r->tcp_id, r->stack_id, r->segments, lost);
		return 1;
	}
	if (r->segments >= hello_max_segs) {
		hello_lost(st, HS_ST_TLS_TOO_BIG, r->unvalidated, lost);
		return 1;
	}
	return 0;
}

/* What a client payload starts like (payload_looks_tls). */
enum {
	LOOKS_NO = 0,           /* not a TLS record */
	LOOKS_HELLO = 1,        /* a handshake record: a ClientHello, maybe */
	LOOKS_RECORD = 2,       /* another TLS record: the handshake is past its hello */
};

/* What a payload of plen bytes at pl starts like: a handshake record (16
 * 03; a segment of one byte may carry just the 16, the hello split right
 * after its first byte), a change cipher spec, alert or application data
 * record (14, 15, 17 then 03), or neither. */
INLINE int payload_looks_tls(const __u8 *pl, __u32 plen, void *end)
{
	__u8 t;

	if ((void *)(pl + 1) > end)
		return LOOKS_NO;
	t = pl[0];
	if (t == TLS_CT_HANDSHAKE)
		return plen == 1 || ((void *)(pl + 2) <= end && pl[1] == TLS_VERSION_MAJOR) ?
		       LOOKS_HELLO : LOOKS_NO;
	if (t == TLS_CT_CCS || t == TLS_CT_ALERT || t == TLS_CT_APPDATA)
		return (void *)(pl + 2) <= end && pl[1] == TLS_VERSION_MAJOR ? LOOKS_RECORD :
		       LOOKS_NO;
	return LOOKS_NO;
}

/* What the packet parse hands to the TLS path. */
struct seg {
	struct hs_endpoints ep;
	__u32 seq;              /* TCP sequence number */
	__u32 ack;              /* TCP acknowledgment number */
	__u32 off;              /* payload offset in the packet */
	__u32 plen;             /* payload bytes */
	__u32 slot;             /* flow slot */
	__u32 looks;            /* what the payload starts like: LOOKS_* */
	__u32 lost;             /* out: a validated connection's ClientHello given up
				 * on, for this reason (hello_lost); 0: none */
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
	__u8 unval;

	if (!sg)
		return XDP_PASS;
	st = bpf_map_lookup_elem(&stats, &zero);
	if (!st)
		return XDP_PASS;
	f = flow_of(sg->slot, &sg->ep);
	if (!f && sg->looks != LOOKS_HELLO)
		return XDP_PASS;
	if (f && f->state == HS_FLOW_DONE)
		return XDP_PASS;

	if (f && f->state == HS_FLOW_REASM) {
		r = bpf_map_lookup_elem(&reasm, &sg->ep);
		if (!r || reasm_more(ctx, st, r, &sg->ep, sg->seq, sg->off, sg->plen,
				     &verdict, &sg->lost)) {
			if (verdict == XDP_DROP)
				flow_dropped(f);
			else
				f->state = HS_FLOW_DONE;
			bpf_map_delete_elem(&reasm, &sg->ep);
		}
		return verdict == XDP_DROP ? XDP_DROP : XDP_PASS;
	}
	if (f) {
		tcp_id = f->tcp_id;
		stack_id = f->stack_id;
	}
	if (f && f->state == HS_FLOW_SYN) {
		/* the first client payload of the connection */
		if (sg->seq != f->isn + 1) {
			hello_lost(st, HS_ST_TLS_OUT_OF_ORDER, hello_unvalidated(f, sg->ack),
				   &sg->lost);
			f->state = HS_FLOW_DONE;
			return XDP_PASS;
		}
	}
	if (sg->looks != LOOKS_HELLO) {
		if (!f)
			return XDP_PASS;
		/* TLS records past the handshake, or more bytes than a
		 * ClientHello may have, and no ClientHello before them: it was
		 * hidden (or sent where it could not be seen) */
		if (sg->looks == LOOKS_RECORD ||
		    (f->state == HS_FLOW_DATA &&
		     (f->data_bytes += sg->plen) > hello_max_bytes)) {
			hello_lost(st, HS_ST_TLS_NO_HELLO, hello_unvalidated(f, sg->ack),
				   &sg->lost);
			f->state = HS_FLOW_DONE;
			return XDP_PASS;
		}
		/* not TLS yet: a ClientHello may follow (SOCKS, STARTTLS...) */
		if (f->state == HS_FLOW_SYN) {
			st->c[HS_ST_TLS_NOT_HELLO]++;
			f->state = HS_FLOW_DATA;
			f->data_bytes = sg->plen;
		}
		return XDP_PASS;
	}
	/* A ClientHello starts. One whose connection showed no handshake (an
	 * off-path sender can make any number) is walked only within the
	 * window's sample; past it, counted and left: no walk, no slot, no
	 * reassembly, the flow's state as it was. */
	unval = hello_unvalidated(f, sg->ack);
	if (unval && !unval_take(st, unval))
		return XDP_PASS;
	r = bpf_map_lookup_elem(&reasm_scratch, &zero);
	if (!r)
		return XDP_PASS;
	r->tcp_id = tcp_id;
	r->stack_id = stack_id;
	r->unvalidated = unval;
	r->len = 0;
	r->need = 0;
	r->segments = 0;
	r->next_seq = sg->seq;
	if (!reasm_more(ctx, st, r, &sg->ep, sg->seq, sg->off, sg->plen, &verdict,
			&sg->lost)) {
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
