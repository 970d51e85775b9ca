/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ClientHello reassembly: client payload to a TLS port, collected as a
 * receiving TCP stack would (per flow in the reasm map; a hello in one
 * segment never leaves the per-CPU scratch), then walked and counted
 * (tls.h, count.h).
 *
 * Each segment's new bytes go to their offset in the stream (from the
 * connection's first payload byte when its SYN was seen), in whatever
 * order they come: what lies past a gap waits in a few ranges
 * (HS_REASM_RANGES) until the gap fills. The bytes received in order are
 * parsed as they come: the hello's first record is found (at the
 * stream's start, or by a bounded search after other bytes: a proxy
 * request), the header of every record after it stripped and its body
 * moved down over it, so that the walk sees one record holding the whole
 * handshake message, however it was split into records and segments.
 *
 * Work is bounded by bytes, not segments: a byte is copied, parsed and
 * moved once; a segment bringing nothing new costs a lookup; a collection
 * lives HS_REASM_TIMEOUT_NS at most.
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

#define RB(r, i) ((r)->buf[(i) & HS_HELLO_MASK])

/* Is the byte a client TLS record's content type other than a handshake
 * (change cipher spec, alert, application data)? */
INLINE int tls_other_record(__u8 t)
{
	return t == TLS_CT_CCS || t == TLS_CT_ALERT || t == TLS_CT_APPDATA;
}

/* Parse steps a segment may take at most: a step consumes a record header
 * (5 bytes), body bytes (a record's last ones, a word or a block when they
 * move), searched ones (up to 8, one at a 0x16 that starts no hello), and
 * an empty record takes two: fewer than one a byte of the stream. */
#define HS_PARSE_STEPS HS_HELLO_LIMIT

struct copy_ctx {
	struct xdp_md *xdp;
	struct hs_reasm *b;
	__u32 off;              /* packet offset of the first byte */
	__u32 pos;              /* its stream offset */
	__u32 n;                /* bytes; ~0 once a load failed */
	__u32 done;
};

/* One chunk of a copy from the packet into the buffer. */
static long copy_cb(__u32 i, void *ctx)
{
	struct copy_ctx *cc = ctx;
	__u64 c;

	if (cc->done >= cc->n)
		return 1;
	c = cc->n - cc->done;
	if (c > HS_HELLO_CHUNK)
		c = HS_HELLO_CHUNK;
	/* the mask changes nothing but proves the bound to the verifier;
	 * the barrier keeps the compiler from dropping it */
	asm volatile("" : "+r"(c));
	c &= 2 * HS_HELLO_CHUNK - 1;
	if (!c || bpf_xdp_load_bytes(cc->xdp, cc->off + cc->done,
				     &cc->b->buf[(cc->pos + cc->done) & HS_HELLO_MASK], c)) {
		cc->n = ~0u;
		return 1;
	}
	cc->done += c;
	return 0;
}

/* n payload bytes at packet offset off to stream offset pos (n <=
 * HS_HELLO_LIMIT); 0, or -1 if the packet is shorter. */
INLINE int copy_payload(struct xdp_md *ctx, __u32 off, struct hs_reasm *b, __u32 pos, __u32 n)
{
	struct copy_ctx cc = { .xdp = ctx, .b = b, .off = off, .pos = pos, .n = n };

	if (n <= HS_HELLO_CHUNK) {      /* a segment of an MTU's size: one load */
		__u64 c = n;

		asm volatile("" : "+r"(c));
		c &= 2 * HS_HELLO_CHUNK - 1;
		return c && !bpf_xdp_load_bytes(ctx, off, &b->buf[pos & HS_HELLO_MASK], c) ? 0 : -1;
	}
	bpf_loop(HS_HELLO_LIMIT / HS_HELLO_CHUNK, copy_cb, &cc, 0);
	return cc.done == n ? 0 : -1;
}

/* ---- placing a segment ---- */

enum { PLACE_NOTHING = 0, PLACE_NEW = 1, PLACE_HOLES = -1, PLACE_ERR = -2 };

/* The out-of-order ranges, one per step of a bpf_loop (verified once). */
enum { RG_INSIDE, RG_PREFIX, RG_ADD };

struct range_ctx {
	struct hs_reasm *r;
	__u32 lo, hi;           /* the bytes placed; RG_ADD: the range they make */
	__u32 have;             /* RG_PREFIX: the prefix's end */
	__u32 free;             /* RG_ADD: a slot for the range, HS_REASM_RANGES: none */
	__u32 op;               /* RG_* */
	int inside;             /* RG_INSIDE: [lo, hi) is inside range i */
};

static long range_cb(__u32 i, void *ctx)
{
	struct range_ctx *rc = ctx;
	struct hs_reasm *r = rc->r;
	__u32 k = i & (HS_REASM_RANGES - 1), lo = r->lo[k], hi = r->hi[k];

	if (rc->op == RG_INSIDE) {
		rc->inside = hi && lo <= rc->lo && rc->hi <= hi;
		return rc->inside;
	}
	if (rc->op == RG_PREFIX) {
		/* a range the prefix reaches joins it */
		if (hi && lo <= rc->have) {
			if (hi > rc->have)
				rc->have = hi;
			r->hi[k] = 0;
			r->ranges--;
		}
		return 0;
	}
	if (!hi) {
		rc->free = k;
		return 0;
	}
	if (lo > rc->hi || rc->lo > hi)
		return 0;
	/* touching or overlapping: merged */
	if (lo < rc->lo)
		rc->lo = lo;
	if (hi > rc->hi)
		rc->hi = hi;
	r->hi[k] = 0;
	r->ranges--;
	rc->free = k;
	return 0;
}

/* Is [lo, hi) inside one of r's out-of-order ranges? */
INLINE int in_range(struct hs_reasm *r, __u32 lo, __u32 hi)
{
	struct range_ctx rc = { .r = r, .lo = lo, .hi = hi, .op = RG_INSIDE };

	if (!r->ranges)
		return 0;
	bpf_loop(HS_REASM_RANGES, range_cb, &rc, 0);
	return rc.inside;
}

/* Stream bytes [lo, hi) are in: the prefix grows over the ranges it now
 * reaches, or a range is added (merged with those it touches). Ranges are
 * disjoint and not adjacent, so one pass merges all it must. PLACE_NEW, or
 * PLACE_HOLES when a new range has no room. */
INLINE int add_range(struct hs_reasm *r, __u32 lo, __u32 hi)
{
	struct range_ctx rc = { .r = r, .lo = lo, .hi = hi, .have = r->have,
				.free = HS_REASM_RANGES };

	if (lo <= rc.have) {
		if (hi > rc.have)
			rc.have = hi;
		if (r->ranges) {
			rc.op = RG_PREFIX;
			bpf_loop(HS_REASM_RANGES, range_cb, &rc, 0);
		}
		r->have = rc.have;
		return PLACE_NEW;
	}
	rc.op = RG_ADD;
	bpf_loop(HS_REASM_RANGES, range_cb, &rc, 0);
	if (rc.free >= HS_REASM_RANGES)
		return PLACE_HOLES;
	r->lo[rc.free & (HS_REASM_RANGES - 1)] = rc.lo;
	r->hi[rc.free & (HS_REASM_RANGES - 1)] = rc.hi;
	r->ranges++;
	return PLACE_NEW;
}

/*
 * The bytes of a segment (seq, plen bytes at off in the packet) that r
 * has not received yet, and that fall in the stream's first
 * HS_HELLO_LIMIT bytes (past them, early data: left alone), to their
 * offset. Bytes received in order are kept as they are (as Linux keeps
 * its receive queue); bytes over an out-of-order range take the place of
 * its own. Returns PLACE_*.
 */
INLINE int place(struct xdp_md *ctx, struct hs_reasm *r, __u32 seq, __u32 off, __u32 plen)
{
	__s32 rel = (__s32)(seq - r->base_seq);
	__u32 lo, hi, have = r->have;

	if (rel < 0) {                  /* starts before the stream collected */
		__u32 skip = 0 - (__u32)rel;

		if (skip >= plen)
			return PLACE_NOTHING;
		off += skip;
		plen -= skip;
		rel = 0;
	}
	lo = (__u32)rel;
	if (lo >= HS_HELLO_LIMIT)
		return PLACE_NOTHING;
	hi = lo + plen;
	if (hi > HS_HELLO_LIMIT)
		hi = HS_HELLO_LIMIT;
	if (hi <= have)
		return PLACE_NOTHING;   /* a retransmission of bytes we have */
	if (lo != have) {
		if (lo > have && in_range(r, lo, hi))
			return PLACE_NOTHING;
		r->flags |= HS_RF_REORDERED;
	}
	if (lo < have) {                /* repacketized: new bytes after old ones */
		off += have - lo;
		lo = have;
	}
	if (copy_payload(ctx, off, r, lo, hi - lo))
		return PLACE_ERR;
	if (r->segments < 0xffff)
		r->segments++;
	return add_range(r, lo, hi);
}

/* ---- parsing what came in order ---- */

enum { P_GO, P_MORE, P_DONE, P_NONE, P_FAIL };

struct parse_ctx {
	struct hs_reasm *r;
	struct hs_stats *st;
	int res;                /* P_*: the last step's */
	int reason;             /* with P_FAIL: the stats index */
};

/* Bytes a parse step moves at most (a record body goes down over the
 * headers stripped before it, a block of this many, a word or the last
 * few a step: straight code, cheap to verify). */
#define HS_MOVE_STEP 64

/* Up to n bytes of the stream from src down to dst in r's buffer (dst <
 * src: they may overlap): a block of HS_MOVE_STEP, else a word, else all
 * n (< 8), each piece from the lowest, so that every byte is read before
 * anything is written over it; never past n (the bytes there are not
 * parsed yet). Returns the bytes moved. Unaligned 8-byte accesses
 * to map values are fine where the program runs unstrict (x86-64, arm64),
 * as in tls.h. */
INLINE __u32 move_down(struct hs_reasm *r, __u32 dst, __u32 src, __u32 n)
{
	int k;

	if (n >= HS_MOVE_STEP) {
#pragma unroll
		for (k = 0; k < HS_MOVE_STEP; k += 8)
			BUF_AT(__u64, &r->buf[(dst + k) & HS_HELLO_MASK]) =
				BUF_AT(const __u64, &r->buf[(src + k) & HS_HELLO_MASK]);
		return HS_MOVE_STEP;
	}
	if (n >= 8) {
		BUF_AT(__u64, &r->buf[dst & HS_HELLO_MASK]) = BUF_AT(const __u64, &r->buf[src & HS_HELLO_MASK]);
		return 8;
	}
	/* the last few: four, two and one, from the lowest */
	k = 0;
	if (n & 4) {
		BUF_AT(__u32, &r->buf[dst & HS_HELLO_MASK]) = BUF_AT(const __u32, &r->buf[src & HS_HELLO_MASK]);
		k = 4;
	}
	if (n & 2) {
		BUF_AT(__u16, &r->buf[(dst + k) & HS_HELLO_MASK]) =
			BUF_AT(const __u16, &r->buf[(src + k) & HS_HELLO_MASK]);
		k += 2;
	}
	if (n & 1)
		RB(r, dst + k) = RB(r, src + k);
	return n;
}

/* Does a ClientHello's first record start at stream offset p (16 03 0x,
 * a body of 1 to 2^14 bytes, handshake type 1)? Its six bytes are in. */
INLINE int hello_at(const struct hs_reasm *r, __u32 p)
{
	__u32 len = (RB(r, p + 3) << 8) | RB(r, p + 4);

	return RB(r, p) == TLS_CT_HANDSHAKE && RB(r, p + 1) == TLS_VERSION_MAJOR &&
	       RB(r, p + 2) <= 4 && len && len <= TLS_MAX_RECORD &&
	       RB(r, p + TLS_REC_HDR) == TLS_HS_CLIENT_HELLO;
}

/* Which of the eight bytes from p is the first 0x16 (8: none)? An
 * 8-byte read of the buffer (unaligned reads of a map value are fine
 * where the program runs unstrict, as in tls.h), little-endian: the
 * first byte in the lowest bits. The lowest flag is exact (others may
 * be borrows of it). */
INLINE __u32 first_16(const struct hs_reasm *r, __u32 p)
{
	__u64 x = BUF_AT(const __u64, &r->buf[p & HS_HELLO_MASK]) ^ 0x1616161616161616ULL;
	__u64 t = (x - 0x0101010101010101ULL) & ~x & 0x8080808080808080ULL;
	__u32 j = 0;

	if (!t)
		return 8;
	if (!(t & 0xffffffffULL)) {
		j += 4;
		t >>= 32;
	}
	if (!(t & 0xffff)) {
		j += 2;
		t >>= 16;
	}
	if (!(t & 0xff))
		j += 1;
	return j;
}

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "first_16: little-endian words");

/* Search: from rd to the next 0x16, and whether a ClientHello's first
 * record starts there, within the first HS_HELLO_SEARCH bytes. */
INLINE int step_search(struct hs_reasm *r)
{
	__u32 p = r->rd, have = r->have, j, q;

	if (p >= HS_HELLO_SEARCH)
		return P_NONE;
	j = first_16(r, p);
	q = p + j;
	if (q >= have || j >= 8) {
		/* none in these eight bytes, or none before have */
		if (q < have) {
			r->rd = q;
			return P_GO;
		}
		r->rd = have;
		return r->ranges ? P_MORE : P_NONE;     /* bytes past a hole may bring one */
	}
	if (q + TLS_REC_HDR + 1 > have) {
		r->rd = q;              /* a record may start here: its next bytes decide */
		return P_MORE;
	}
	if (hello_at(r, q)) {
		r->rd = q;
		r->mode = HS_RM_HDR;
		r->flags |= HS_RF_MID;
		return P_GO;
	}
	r->rd = q + 1;
	return P_GO;
}

/* A record header at rd. */
INLINE int step_hdr(struct parse_ctx *pc, struct hs_reasm *r)
{
	__u32 p = r->rd, len, j;

	if (p >= r->have)
		return P_MORE;
	if (!r->wr && tls_other_record(RB(r, p)) && !(r->flags & HS_RF_SEARCHED)) {
		/* a client record past the handshake (change cipher spec,
		 * alert, application data) where its ClientHello should be:
		 * the hello was hidden, or sent where it could not be seen */
		if (p + 1 >= r->have)
			return P_MORE;
		if (RB(r, p + 1) == TLS_VERSION_MAJOR) {
			pc->reason = HS_ST_TLS_NO_HELLO;
			return P_FAIL;
		}
	}
	/* the type and the version's first byte decide as soon as they are in */
	if (RB(r, p) != TLS_CT_HANDSHAKE ||
	    (p + 1 < r->have && RB(r, p + 1) != TLS_VERSION_MAJOR)) {
		if (r->wr) {
			/* TLS forbids other records inside a handshake message */
			pc->reason = HS_ST_TLS_RECORD_SPLIT;
			return P_FAIL;
		}
		/* the collection does not start with a record: counted once,
		 * then searched if the flow may be */
		if (!(r->flags & HS_RF_SEARCHED))
			pc->st->c[HS_ST_TLS_NOT_HELLO]++;
		if ((r->flags & (HS_RF_SEARCH_OK | HS_RF_SEARCHED)) != HS_RF_SEARCH_OK)
			return P_NONE;
		r->flags |= HS_RF_SEARCHED;
		r->mode = HS_RM_SEARCH;
		return P_GO;
	}
	if (p + TLS_REC_HDR > r->have)
		return P_MORE;
	len = (RB(r, p + 3) << 8) | RB(r, p + 4);
	if (len > TLS_MAX_RECORD) {
		pc->reason = HS_ST_TLS_TOO_BIG;
		return P_FAIL;
	}
	if (!r->wr) {
		/* the first record: its header stays in front of the message */
		if (p) {
#pragma unroll
			for (j = 0; j < TLS_REC_HDR; j++)
				RB(r, j) = RB(r, p + j);
		}
		r->wr = TLS_REC_HDR;
	} else {
		r->flags |= HS_RF_RECORDS;
	}
	r->rec_left = len;
	r->rd = p + TLS_REC_HDR;
	r->mode = HS_RM_BODY;
	return P_GO;
}

/* Body bytes of the current record at rd: to the message's end in buf. */
INLINE int step_body(struct parse_ctx *pc, struct hs_reasm *r)
{
	__u32 p = r->rd, w = r->wr, n, hs;

	if (!r->rec_left) {
		r->mode = HS_RM_HDR;
		return P_GO;
	}
	n = r->have - p;
	if (n > r->rec_left)
		n = r->rec_left;
	if (r->need && n > r->need - w)
		n = r->need - w;
	if (!n)
		return P_MORE;
	if (p != w)
		n = move_down(r, w, p, n);
	r->wr = w + n;
	r->rd = p + n;
	r->rec_left -= n;
	if (!r->need) {
		if (RB(r, TLS_REC_HDR) != TLS_HS_CLIENT_HELLO) {
			pc->reason = HS_ST_TLS_NOT_HELLO;
			return P_FAIL;
		}
		if (r->wr < TLS_REC_HDR + TLS_HS_HDR)
			return P_GO;
		hs = (RB(r, 6) << 16) | (RB(r, 7) << 8) | RB(r, 8);
		r->need = TLS_REC_HDR + TLS_HS_HDR + hs;
		if (r->need > hello_max_bytes) {
			pc->reason = HS_ST_TLS_TOO_BIG;
			return P_FAIL;
		}
	}
	return r->wr >= r->need ? P_DONE : P_GO;
}

static long parse_cb(__u32 i, void *ctx)
{
	struct parse_ctx *pc = ctx;
	struct hs_reasm *r = pc->r;
	int s;

	if (r->mode == HS_RM_SEARCH)
		s = step_search(r);
	else if (r->mode == HS_RM_BODY)
		s = step_body(pc, r);
	else
		s = step_hdr(pc, r);
	pc->res = s;
	return s != P_GO;
}

/* The common cases at once, without the parse's loop: a collection in
 * one ClientHello record so far, that holds the whole handshake message
 * (the hello in one segment, or in several in order): what came taken
 * in, nothing moved. P_DONE, P_MORE, or P_GO: the parse decides (more
 * records, a search, a header not whole, a limit). A global subprogram:
 * its branches are verified once, not once before each way into the
 * parse's loop. */
__noinline int hs_one_record(struct hs_reasm *r)
{
	__u32 len, n;

	if (!r)
		return P_GO;
	if (!r->wr) {
		/* the first record's header and the handshake header, at 0 */
		if (r->mode != HS_RM_HDR || r->rd || r->have < TLS_REC_HDR + TLS_HS_HDR ||
		    RB(r, 0) != TLS_CT_HANDSHAKE || RB(r, 1) != TLS_VERSION_MAJOR ||
		    RB(r, TLS_REC_HDR) != TLS_HS_CLIENT_HELLO)
			return P_GO;
		len = (RB(r, 3) << 8) | RB(r, 4);
		n = TLS_REC_HDR + TLS_HS_HDR + ((RB(r, 6) << 16) | (RB(r, 7) << 8) | RB(r, 8));
		if (len > TLS_MAX_RECORD || n > TLS_REC_HDR + len || n > hello_max_bytes)
			return P_GO;
		r->need = n;
		r->rd = r->wr = TLS_REC_HDR;
		r->rec_left = len;
		r->mode = HS_RM_BODY;
	}
	if (r->mode != HS_RM_BODY || r->rd != r->wr || !r->need ||
	    r->need > r->wr + r->rec_left)
		return P_GO;
	n = (r->have < r->need ? r->have : r->need) - r->rd;
	r->rd += n;
	r->wr += n;
	r->rec_left -= n;
	return r->wr >= r->need ? P_DONE : P_MORE;
}

/* Parse what came in order since the last parse: P_MORE, P_DONE, P_NONE
 * (no hello: the search found none), or P_FAIL with *reason. */
INLINE int parse(struct hs_stats *st, struct hs_reasm *r, int *reason)
{
	struct parse_ctx pc = { .r = r, .st = st, .res = P_MORE };

	pc.res = hs_one_record(r);
	if (pc.res != P_GO)
		return pc.res;
	/* bpf_loop: the step is verified once, not once per iteration */
	bpf_loop(HS_PARSE_STEPS, parse_cb, &pc, 0);
	*reason = pc.res == P_GO ? HS_ST_TLS_TOO_BIG : pc.reason;
	return pc.res == P_GO ? P_FAIL : pc.res;
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
	if (tls_other_record(t))
		return (void *)(pl + 2) <= end && pl[1] == TLS_VERSION_MAJOR ? LOOKS_RECORD :
		       LOOKS_NO;
	return LOOKS_NO;
}

/* What the packet parse hands to the TLS path. */
struct seg {
	struct hs_endpoints ep;
	__u32 seq;              /* sequence number of the first payload byte */
	__u32 ack;              /* TCP acknowledgment number */
	__u32 off;              /* payload offset in the packet */
	__u32 plen;             /* payload bytes */
	__u32 slot;             /* flow slot */
	__u8  looks;            /* what the payload starts like: LOOKS_* */
	__u8  syn;              /* payload on a SYN (TCP Fast Open) */
	__u16 rslot;            /* its reasm slot, while kept */
	__u32 lost;             /* out: a validated connection's ClientHello given up
				 * on, for this reason (hello_lost); 0: none */
};


/* A collection's outcome: more to come, the hello complete, no hello in
 * the stream; else a stats index (why it was given up). */
enum { RS_MORE = 0, RS_DONE = -1, RS_NONE = -2, RS_NOTHING = -3 };

/*
 * A segment into collection r: its bytes placed, what came in order
 * parsed. Returns RS_* (RS_DONE: the hello is complete) or a stats index;
 * RS_NOTHING when it brought nothing new. A global subprogram: verified
 * once for the two ways a collection is held (the per-CPU scratch, the
 * reasm map).
 */
__noinline int hs_collect(struct xdp_md *ctx, struct hs_stats *st, struct hs_reasm *r,
			  const struct seg *sg)
{
	int n, reason = 0;

	if (!st || !r || !sg)
		return RS_NOTHING;

	n = place(ctx, r, sg->seq, sg->off, sg->plen);
	if (n == PLACE_NOTHING)
		return RS_NOTHING;
	if (n == PLACE_HOLES)
		return HS_ST_TLS_REASM_HOLES;
	if (n != PLACE_NEW)
		return HS_ST_TLS_MALFORMED;     /* the payload is shorter than said */
	if (r->have > r->rd) {
		n = parse(st, r, &reason);
		if (n == P_DONE)
			return RS_DONE;
		if (n == P_NONE)
			return RS_NONE;
		if (n == P_FAIL)
			return reason;
	}
	if (r->have >= HS_HELLO_LIMIT || r->segments >= hello_max_segs)
		return HS_ST_TLS_TOO_BIG;
	return RS_MORE;
}

/* A new collection in r for a segment of flow f (NULL: not tracked),
 * whose connection's handshake check gave unval: from the connection's
 * first byte when its SYN was seen and no payload came yet; else from
 * this segment, which is searched when it does not start like a record
 * (data came first: a proxy exchange). -1: nothing to collect (a flow
 * past its first --hello-bytes with no ClientHello is given up on:
 * no_hello). */
INLINE int collect_start(struct hs_stats *st, struct hs_reasm *r, struct hs_flow *f,
			 struct seg *sg, __u8 unval)
{
	int i;

	r->tcp_id = f ? f->tcp_id : 0;
	r->stack_id = f ? f->stack_id : 0;
	r->unvalidated = unval;
	r->start_ns = now_ns();
	r->base_seq = sg->seq;
	r->have = r->rd = r->wr = r->need = r->rec_left = 0;
	r->segments = 0;
	r->ranges = 0;
	r->mode = HS_RM_HDR;
	r->flags = sg->syn ? HS_RF_SYN_DATA : 0;
#pragma unroll
	for (i = 0; i < HS_REASM_RANGES; i++)
		r->hi[i] = 0;
	if (!f || !(f->flags & HS_FLOWF_SYN))
		return 0;
	r->flags |= HS_RF_SEARCH_OK;
	if (f->state == HS_FLOW_SYN) {
		r->base_seq = f->isn + 1;
		return 0;
	}
	if (sg->looks == LOOKS_NO) {
		if (sg->seq - (f->isn + 1) >= hello_max_bytes) {
			hello_lost(st, HS_ST_TLS_NO_HELLO, unval, &sg->lost);
			hs_flow_state(f, sg->slot, HS_FLOW_DONE);
			return -1;
		}
		r->mode = HS_RM_SEARCH;
		r->flags |= HS_RF_SEARCHED;
	}
	return 0;
}

/* The end of collection r of flow f (NULL: not tracked) with outcome
 * res: the flow's new state, the reason counted (hello_lost). */
INLINE void collect_end(struct hs_stats *st, struct seg *sg, const struct hs_reasm *r,
			struct hs_flow *f, int res)
{
	if (res == RS_NONE && f && (f->flags & HS_FLOWF_SYN)) {
		hs_flow_state(f, sg->slot, HS_FLOW_DATA);  /* a ClientHello may still follow */
		return;
	}
	if (res > 0)
		hello_lost(st, (__u32)res, r->unvalidated, &sg->lost);
	set_flow(sg->slot, &sg->ep, f, HS_FLOW_DONE);
}

/* ---- collections kept between segments (the reasm map) ---- */

/* The slot holding the collection of sg, whose flow f says it is in
 * slot f->rslot; NULL: a newer one took it. */
INLINE struct hs_reasm_slot *reasm_find(struct seg *sg, const struct hs_flow *f)
{
	__u32 k = f->rslot;
	struct hs_reasm_slot *s = bpf_map_lookup_elem(&reasm, &k);

	if (!s || !s->busy || !ep_eq(&s->ep, &sg->ep))
		return NULL;
	sg->rslot = (__u16)k;
	return s;
}

/* Slots looked at, the map full, for one whose collection timed out. */
#define HS_REASM_PROBES 8

/* A slot to take: one given back, else one never used (and not held by
 * the run this one took over from), else (the map full: as an LRU would,
 * something goes) the first whose collection timed out among the next
 * HS_REASM_PROBES in turn, else the next in turn. Its number;
 * reasm_slots or more: none. */
INLINE __u32 reasm_take(__u64 now)
{
	struct hs_reasm_slot *s;
	__u32 zero = 0, one = 1, k, i, start;
	__u64 *turn;

	if (bpf_map_pop_elem(&reasm_free, &k) == 0)
		return k;
	turn = bpf_map_lookup_elem(&reasm_turn, &zero);
	if (!turn)
		return HS_REASM_MAX;
	if (*turn < reasm_slots) {
		/* never used by this program: but a run handed over to keeps
		 * the pinned map, and its collections in progress go on */
		k = (__u32)__sync_fetch_and_add(turn, 1);
		s = bpf_map_lookup_elem(&reasm, &k);
		if (s && !s->busy)
			return k;
	}
	turn = bpf_map_lookup_elem(&reasm_turn, &one);
	if (!turn)
		return HS_REASM_MAX;
	start = (__u32)__sync_fetch_and_add(turn, HS_REASM_PROBES);
	for (i = 0; i < HS_REASM_PROBES; i++) {
		k = (start + i) % reasm_slots;
		s = bpf_map_lookup_elem(&reasm, &k);
		if (s && now - s->r.start_ns > HS_REASM_TIMEOUT_NS)
			return k;
	}
	return start % reasm_slots;
}

/*
 * Keep collection r (the per-CPU scratch's) of sg in a slot (reasm_take).
 * Only the bytes it holds are copied: its state, its in-order bytes and
 * its out-of-order ranges, a segment's worth for most. Its number in
 * sg->rslot; 0, or -1 when it was not kept. A global subprogram: its
 * dynptr's stack is its own.
 */
__noinline int hs_reasm_keep(const struct hs_reasm *r, struct seg *sg)
{
	struct hs_reasm_slot *s;
	struct bpf_dynptr d;
	__u32 k, n, i;
	__u64 len;

	if (!r || !sg)
		return -1;
	k = reasm_take(r->start_ns);
	s = bpf_map_lookup_elem(&reasm, &k);
	if (!s)
		return -1;
	s->busy = 1;
	ep_copy(&s->ep, &sg->ep);
	sg->rslot = (__u16)k;
	/* the bytes held: [0, have) and the ranges past it */
	n = r->have;
#pragma unroll
	for (i = 0; i < HS_REASM_RANGES; i++)
		if (r->hi[i] > n)
			n = r->hi[i];
	len = (__u64)n + __builtin_offsetof(struct hs_reasm, buf);
	asm volatile("" : "+r"(len));   /* the bound below on this register */
	if (len > sizeof(*r))
		len = sizeof(*r);
	if (bpf_dynptr_from_mem(&s->r, sizeof(s->r), 0, &d) ||
	    bpf_dynptr_write(&d, 0, (void *)r, (__u32)len, 0)) {
		s->busy = 0;
		bpf_map_push_elem(&reasm_free, &k, 0);
		return -1;
	}
	return 0;
}

/* What hs_tls_segment hands back: nothing more to do, or a complete
 * ClientHello in the per-CPU scratch or in the reasm map. */
enum { HS_SEG_PASS = 0, HS_SEG_HELLO = 16, HS_SEG_HELLO_KEPT = 17 };

/*
 * Client payload to a TLS port that may matter: a global subprogram, so
 * the verifier checks this long path once rather than once per way the
 * packet headers were parsed. The segment into its flow's collection (a
 * new one when none goes on). Returns HS_SEG_*: a complete hello is
 * counted by the caller (tls_data), so that the stack frames of this path
 * and of the count are not stacked on each other.
 */
__noinline int hs_tls_segment(struct xdp_md *ctx, struct seg *sg)
{
	struct hs_stats *st;
	struct hs_reasm *r;
	struct hs_flow *f;
	__u32 zero = 0;
	int res, kept;
	__u8 unval;

	if (!sg)
		return HS_SEG_PASS;
	st = bpf_map_lookup_elem(&stats, &zero);
	if (!st)
		return HS_SEG_PASS;
	f = flow_of(sg->slot, &sg->ep);
	if (!f && sg->looks != LOOKS_HELLO)
		return HS_SEG_PASS;
	if (f && f->state == HS_FLOW_DONE)
		return HS_SEG_PASS;

	kept = f && f->state == HS_FLOW_REASM;
	if (kept) {
		struct hs_reasm_slot *s = reasm_find(sg, f);

		if (!s) {
			hs_flow_state(f, sg->slot, HS_FLOW_DONE);
			return HS_SEG_PASS;
		}
		r = &s->r;
	} else {
		/* A ClientHello whose connection showed no handshake (an
		 * off-path sender can make any number) is collected and walked
		 * only within the window's sample; past it, counted and left:
		 * no walk, no slot, no reassembly, the flow's state as it was.
		 * Such a connection's other bytes are not searched. */
		unval = hello_unvalidated(f, sg->ack);
		if (unval && (sg->looks != LOOKS_HELLO || !unval_take(st, unval)))
			return HS_SEG_PASS;
		r = bpf_map_lookup_elem(&reasm_scratch, &zero);
		if (!r || collect_start(st, r, f, sg, unval))
			return HS_SEG_PASS;
	}
	if (kept && now_ns() - r->start_ns > HS_REASM_TIMEOUT_NS)
		res = HS_ST_TLS_REASM_TIMEOUT;
	else
		res = hs_collect(ctx, st, r, sg);
	if (res == RS_NOTHING)
		return HS_SEG_PASS;
	if (res == RS_DONE)
		return kept ? HS_SEG_HELLO_KEPT : HS_SEG_HELLO;
	if (res == RS_MORE) {
		if (kept)
			return HS_SEG_PASS;
		/* more segments to come: keep what we have per flow (a flow
		 * whose slot is held by another connection's handshake has
		 * nowhere to say where: not kept) */
		if (!f)
			f = take_slot(sg->slot, &sg->ep, 0, 0, now_ns());
		if (f && hs_reasm_keep(r, sg) == 0) {
			hs_flow_state(f, sg->slot, HS_FLOW_REASM);
			f->rslot = sg->rslot;
			return HS_SEG_PASS;
		}
	}
	collect_end(st, sg, r, f, res);
	if (kept)
		reasm_give_back(sg->rslot, &sg->ep);
	return HS_SEG_PASS;
}

/* ---- dropped ClientHellos (struct hs_dropped) ---- */

/* The set of flow slot's dropped hellos (NULL: none, never: masked). */
INLINE struct hs_dropped_set *dropped_set(__u32 slot)
{
	__u32 k = (slot & (HS_FLOWS_MAX - 1)) / HS_DROPPED_WAYS;

	return bpf_map_lookup_elem(&dropped, &k);
}

/* The way of set ds a new hello takes at now (stamps of ns >> 20): an
 * empty one, else the one dropped (or dropped again) longest ago. */
INLINE __u32 dropped_oldest(const struct hs_dropped_set *ds, __u32 now)
{
	__u32 w, to = 0, age = 0, a;

#pragma unroll
	for (w = 0; w < HS_DROPPED_WAYS; w++) {
		a = ds->way[w].len ? now - ds->way[w].stamp : ~0u;
		if (a >= age) {
			age = a;
			to = w;
		}
	}
	return to;
}

/* The way of set ds holding a hello of ep: its number, else
 * HS_DROPPED_WAYS. */
INLINE __u32 dropped_way(const struct hs_dropped_set *ds, const struct hs_endpoints *ep)
{
	__u32 w;

#pragma unroll
	for (w = 0; w < HS_DROPPED_WAYS; w++)
		if (ds->way[w].len && ep_eq(&ds->way[w].ep, ep))
			return w;
	return HS_DROPPED_WAYS;
}

/* The hello of sg's connection, just dropped: its bytes so far, up to the
 * end of the segment completing it, are judged again when they come
 * again. It takes its connection's way of the set (a hello of it dropped
 * before), else an empty one, else the one dropped longest ago. Its
 * collection (kept: in the reasm map, at sg->rslot; else the per-CPU
 * scratch) and its walk (the per-CPU scratch: its id made again) are read
 * here, not kept on the stack of the count (hs_hello_done's). */
__noinline int hs_mark_dropped(const struct seg *sg, int kept)
{
	struct hs_dropped_set *ds;
	struct hs_reasm_slot *s;
	struct hs_reasm *r;
	struct hs_dropped *d;
	struct tls_walk *w;
	__u32 k, zero = 0, i, now;

	if (!sg)
		return 0;
	if (kept) {
		k = sg->rslot;
		s = bpf_map_lookup_elem(&reasm, &k);
		r = s ? &s->r : NULL;
	} else {
		r = bpf_map_lookup_elem(&reasm_scratch, &zero);
	}
	w = bpf_map_lookup_elem(&tls_walk_scratch, &zero);
	ds = dropped_set(sg->slot);
	if (!r || !w || !ds)
		return 0;
	now = (__u32)(now_ns() >> 20);
	i = dropped_way(ds, &sg->ep);
	if (i >= HS_DROPPED_WAYS)
		i = dropped_oldest(ds, now);
	d = &ds->way[i & (HS_DROPPED_WAYS - 1)];
	ep_copy(&d->ep, &sg->ep);
	d->tls_id = HS_GEN_KEY(tls_id(w), cur_gen);
	d->tcp_id = r->tcp_id;
	d->stack_id = r->stack_id;
	d->unvalidated = r->unvalidated;
	d->seq = r->base_seq;
	d->len = sg->seq + sg->plen - r->base_seq;
	d->stamp = now;
	return 0;
}

/* Does a way of flow slot's set hold a hello dropped of source port
 * sport (hs_redrop reads on)? One array read, inline on the data path. */
INLINE int dropped_port(__u32 slot, __u16 sport)
{
	const struct hs_dropped_set *ds = dropped_set(slot);
	__u32 w;

	if (!ds)
		return 0;
#pragma unroll
	for (w = 0; w < HS_DROPPED_WAYS; w++)
		if (ds->way[w].ep.sport == sport && ds->way[w].len)
			return 1;
	return 0;
}

/* A segment of a TLS port's connection (run --enforce drop): when it
 * carries bytes of a hello of its connection dropped (a way of the set of
 * its flow slot), they are counted again as the hello was (count_hello:
 * in the window's entry of its id, when the window has one; not walked
 * again) and judged again on its ids, as enforce_verdict judged it; the
 * verdict. Dropped, its way is the set's newest again; passed (the entry
 * gone or expired), the hello is forgotten. A global subprogram: run
 * --enforce drop's alone. */
__noinline int hs_redrop(struct xdp_md *ctx, const struct tcp_at *at)
{
	struct hs_dropped_set *ds;
	struct hs_endpoints ep;
	struct hs_tls_fp *fp;
	struct hs_dropped *d;
	struct hs_stats *st;
	struct pkt p = {};
	__u32 zero = 0, k, seq, plen;
	__u64 id, first = 0;
	int verdict;

	if (!at || pkt_at(ctx, at, &p))
		return XDP_PASS;
	ds = dropped_set(at->slot);
	if (!ds)
		return XDP_PASS;
	endpoints(&p, &ep, 0);
	k = dropped_way(ds, &ep);
	if (k >= HS_DROPPED_WAYS)
		return XDP_PASS;
	d = &ds->way[k & (HS_DROPPED_WAYS - 1)];
	/* a SYN's payload (TCP Fast Open) starts after the SYN's own number */
	seq = bpf_ntohl(p.tcp->seq) + !!(((__u8 *)p.tcp)[TCP_FLAGS_OFF] & TH_SYN);
	plen = p.l4_len - p.tcp->doff * 4;
	if (seq - d->seq >= d->len && d->seq - seq >= plen)
		return XDP_PASS;        /* other bytes of the connection */
	st = bpf_map_lookup_elem(&stats, &zero);
	if (!st)
		return XDP_PASS;
	st->c[HS_ST_HELLOS]++;
	id = HS_GEN_KEY(d->tls_id, cur_gen);
	fp = bpf_map_lookup_elem(&tls_fps, &id);
	if (fp && d->unvalidated)
		__sync_fetch_and_add(&fp->conns_unvalidated, 1);
	else if (fp)
		first = hs_count_in(fp, id, d->tcp_id, d->stack_id, &ep);
	verdict = enforce_verdict(st, id, d->stack_id, &ep, now_ns(), first);
	if (verdict != XDP_DROP)
		d->len = 0;
	else
		d->stamp = (__u32)(now_ns() >> 20);
	return verdict;
}

/* A complete ClientHello walked and counted (count.h), and the end of its
 * collection (kept: in the reasm map): the verdict of the segment
 * completing it; a hello dropped is marked so (hs_mark_dropped). A global
 * subprogram: verified once, not once per way the collection is held (the
 * per-CPU scratch, the reasm map). */
__noinline int hs_hello_done(struct hs_stats *st, struct hs_reasm *r, struct seg *sg,
			     int kept)
{
	int verdict;

	if (!st || !r || !sg)
		return XDP_PASS;
	verdict = count_hello(st, r, &sg->ep, r->tcp_id, r->stack_id, r->segments, &sg->lost,
			      NULL, 0);
	if (verdict == XDP_DROP)
		hs_mark_dropped(sg, kept);
	collect_end(st, sg, r, flow_of(sg->slot, &sg->ep), RS_DONE);
	if (kept)
		reasm_give_back(sg->rslot, &sg->ep);
	return verdict;
}

/*
 * The TLS path of a segment (see hs_tls_segment), and the count of the
 * ClientHello it completes: the packet's verdict, XDP_PASS but for the
 * segment completing an enforced ClientHello in drop mode (whose
 * retransmissions hs_redrop judges).
 */
INLINE int tls_data(struct xdp_md *ctx, struct hs_stats *st, struct seg *sg)
{
	struct hs_reasm *r;
	__u32 zero = 0;
	int res, verdict;

	res = hs_tls_segment(ctx, sg);
	if (res == HS_SEG_HELLO_KEPT) {
		__u32 k = sg->rslot;
		struct hs_reasm_slot *s = bpf_map_lookup_elem(&reasm, &k);

		if (!s)
			return XDP_PASS;
		asm volatile("" : "+r"(s));     /* no offset before the check */
		r = &s->r;
	} else if (res == HS_SEG_HELLO)
		r = bpf_map_lookup_elem(&reasm_scratch, &zero);
	else
		return XDP_PASS;
	if (!r)
		return XDP_PASS;
	verdict = hs_hello_done(st, r, sg, res == HS_SEG_HELLO_KEPT);
	return verdict == XDP_DROP ? XDP_DROP : XDP_PASS;
}

#endif /* HS_REASM_H */
