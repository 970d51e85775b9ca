/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS ClientHello walk. The record is first collected in a buffer (from one
 * segment, or from several in-order segments of one connection), then walked
 * in steps that are global subprograms, each verified once: the cipher
 * list, then one extension per call. GREASE values are left out of every
 * list. The walk also folds the lists into the 64-bit fingerprint id with
 * JA4's invariances: ciphers and extensions as multisets (a sum of
 * per-element hashes), signature algorithms in order.
 */
#ifndef HS_TLS_H
#define HS_TLS_H

#include <bpf/bpf_helpers.h>
#include "hydrascope.h"
#include "hs_hash.h"
#include "consts.h"

#define B(i)   (b->buf[(i) & HS_HELLO_MASK])
#define U16(i) ((__u16)((B(i) << 8) | B((i) + 1)))

#define HS_SEED_TLS 0x746c7368656c6c6fULL  /* "tlshello" */

/* Parser state and output: per-CPU scratch, too large for the stack. */
struct tls_walk {
	struct hs_tls_hello h;
	__u64 sum_ciphers;      /* multiset hashes */
	__u64 sum_exts;
	__u64 seq_sigalgs;      /* ordered hash */
	__u32 pos;              /* next byte to read in the record buffer */
	__u32 end;              /* end of the extensions block */
	__u32 err;              /* stats index of the failure, 0 if none */
};

enum { WALK_MORE = 0, WALK_END = 1, WALK_FAIL = 2 };

_Static_assert(sizeof(((struct hs_reasm *)0)->buf) >= HS_HELLO_MASK + 1 + HS_TLS_SNI_MAX,
	       "hs_reasm: slack for a copy from any masked start");

/* 8 * words bytes of the record from i into dst, eight at a time (the
 * buffer's slack past HS_HELLO_MASK keeps any masked start inside it);
 * unaligned 8-byte accesses to map values are fine where the program
 * runs unstrict (x86-64, arm64) */
INLINE void copy_words(void *dst, const struct hs_reasm *b, __u32 i, int words)
{
	const __u8 *src = &b->buf[i & HS_HELLO_MASK];
	int k;

#pragma unroll
	for (k = 0; k < words; k++)
		((__u64 *)dst)[k] = ((const __u64 *)src)[k];
}

INLINE int is_grease(__u16 v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/*
 * Long lists are walked with bpf_loop(): its callback is verified once,
 * where an open loop would be verified once per iteration and path.
 */
struct list_ctx {
	struct hs_reasm *b;
	struct tls_walk *w;
	__u32 pos;              /* first element */
	__u32 len;              /* bytes of elements */
	__u32 which;            /* enum list_kind */
};

enum list_kind { L_CIPHERS, L_GROUPS, L_SIGALGS, L_VERSIONS };

static long list_cb(__u32 i, void *ctx)
{
	struct list_ctx *lc = ctx;
	struct hs_reasm *b = lc->b;
	struct tls_walk *w = lc->w;
	__u16 v;
	__u8 n;

	if (2 * i + 1 >= lc->len)
		return 1;
	v = U16(lc->pos + 2 * i);
	if (is_grease(v))
		return 0;
	switch (lc->which) {
	case L_VERSIONS:
		if (v > w->h.max_version)
			w->h.max_version = v;
		return 0;
	case L_CIPHERS:
		w->sum_ciphers += hs_mix64(v ^ 0xc1c1c1c1ULL);
		n = w->h.n_ciphers;
		if (n >= HS_TLS_MAX_CIPHERS)
			break;
		w->h.ciphers[n & (HS_TLS_MAX_CIPHERS - 1)] = v;
		w->h.n_ciphers = n + 1;
		return 0;
	case L_GROUPS:
		n = w->h.n_groups;
		if (n >= HS_TLS_MAX_GROUPS)
			break;
		w->h.groups[n & (HS_TLS_MAX_GROUPS - 1)] = v;
		w->h.n_groups = n + 1;
		return 0;
	default:
		w->seq_sigalgs = hs_mix64(w->seq_sigalgs ^ v);
		n = w->h.n_sigalgs;
		if (n >= HS_TLS_MAX_SIGALGS)
			break;
		w->h.sigalgs[n & (HS_TLS_MAX_SIGALGS - 1)] = v;
		w->h.n_sigalgs = n + 1;
		return 0;
	}
	w->h.flags |= HS_TLSF_OVERFLOW;
	return 0;
}

/* 16-bit values at [pos, pos + len), at most 1024 of them. */
INLINE void walk_list(struct hs_reasm *b, struct tls_walk *w, __u32 pos, __u32 len,
		      __u32 which)
{
	struct list_ctx lc = { .b = b, .w = w, .pos = pos, .len = len, .which = which };

	if (len > 2048) {
		w->h.flags |= HS_TLSF_OVERFLOW;
		len = 2048;
	}
	bpf_loop(len / 2, list_cb, &lc, 0);
}

/* Cipher suites; w->pos at the 2-byte list length. */
__noinline int hs_tls_ciphers(struct hs_reasm *b, struct tls_walk *w)
{
	__u32 pos, len;

	if (!b || !w)
		return WALK_FAIL;
	pos = w->pos;
	if (pos + 2 > w->end)
		return WALK_FAIL;
	len = U16(pos);
	pos += 2;
	if ((len & 1) || pos + len > w->end)
		return WALK_FAIL;
	walk_list(b, w, pos, len, L_CIPHERS);
	w->pos = pos + len;
	return WALK_MORE;
}

/* One extension at w->pos: record its type, read the ones JA4/JA3 use. */
INLINE int tls_ext(struct hs_reasm *b, struct tls_walk *w)
{
	__u32 pos, len, l;
	__u16 type;

	if (!b || !w)
		return WALK_FAIL;
	pos = w->pos;
	if (pos >= w->end)
		return WALK_END;
	if (pos + 4 > w->end)
		return WALK_FAIL;
	type = U16(pos);
	len = U16(pos + 2);
	pos += 4;
	if (pos + len > w->end)
		return WALK_FAIL;
	w->pos = pos + len;
	if (is_grease(type))
		return WALK_MORE;

	w->sum_exts += hs_mix64(type ^ 0xe7e7e7e7ULL);
	l = w->h.n_exts;
	if (l < HS_TLS_MAX_EXTS) {
		w->h.exts[l & (HS_TLS_MAX_EXTS - 1)] = type;
		w->h.n_exts = l + 1;
	} else {
		w->h.flags |= HS_TLSF_OVERFLOW;
	}

	switch (type) {
	case TLS_EXT_SERVER_NAME:        /* list(2) type(1) name_len(2) name */
		w->h.flags |= HS_TLSF_SNI;
		if (len < 5 || B(pos + 2) != 0)
			break;
		l = U16(pos + 3);
		if (l > len - 5)
			break;
		if (l > HS_TLS_SNI_MAX)
			l = HS_TLS_SNI_MAX;
		w->h.sni_len = l;
		/* a fixed-length copy, no data-dependent exit for the verifier to
		 * follow: bytes past sni_len are never read */
		copy_words(w->h.sni, b, pos + 5, HS_TLS_SNI_MAX / 8);
		break;
	case TLS_EXT_ALPN:               /* list(2), then len(1) value ... */
		if (len < 3)
			break;
		l = B(pos + 2);
		if (!l || l > len - 3)
			break;
		w->h.flags |= HS_TLSF_ALPN;
		w->h.alpn_len = l;
		w->h.alpn_last = B(pos + 3 + l - 1);
		copy_words(w->h.alpn, b, pos + 3, HS_TLS_ALPN_MAX / 8);  /* as for the SNI */
		break;
	case TLS_EXT_SUPPORTED_VERSIONS: /* len(1), versions */
		if (len < 1)
			break;
		l = B(pos);
		if (l > len - 1)
			break;
		walk_list(b, w, pos + 1, l, L_VERSIONS);
		break;
	case TLS_EXT_SUPPORTED_GROUPS:   /* list(2), groups */
		if (len < 2 || (l = U16(pos)) > len - 2)
			break;
		walk_list(b, w, pos + 2, l, L_GROUPS);
		break;
	case TLS_EXT_SIGNATURE_ALGS:     /* list(2), schemes */
		if (len < 2 || (l = U16(pos)) > len - 2)
			break;
		walk_list(b, w, pos + 2, l, L_SIGALGS);
		break;
	case TLS_EXT_EC_POINT_FORMATS:   /* len(1), formats */
		if (len < 1 || (l = B(pos)) > len - 1)
			break;
		copy_words(w->h.ecpf, b, pos + 1, HS_TLS_MAX_ECPF / 8);  /* as for the SNI */
		w->h.n_ecpf = l < HS_TLS_MAX_ECPF ? l : HS_TLS_MAX_ECPF;
		if (l > HS_TLS_MAX_ECPF)
			w->h.flags |= HS_TLSF_OVERFLOW;
		break;
	}
	return WALK_MORE;
}

struct ext_loop {
	struct hs_reasm *b;
	struct tls_walk *w;
	int r;
};

static long ext_cb(__u32 i, void *ctx)
{
	struct ext_loop *el = ctx;

	el->r = tls_ext(el->b, el->w);
	return el->r != WALK_MORE;
}

/*
 * Walk the complete record in b (b->need bytes). Returns 0 and fills w, or
 * the stats index of why not.
 */
INLINE int tls_walk(struct hs_reasm *b, struct tls_walk *w)
{
	__u32 rec_len = b->need - TLS_REC_HDR, hs_len, body, pos, sid, comp, ext_len;
	struct ext_loop el = { .b = b, .w = w, .r = WALK_MORE };

	/* the counts and the small fields; list entries past their counts are
	 * never read (not hashed, not rendered), so the 700 bytes of lists
	 * are not cleared: a ClientHello is 60 ns cheaper */
	__builtin_memset(&w->h, 0, __builtin_offsetof(struct hs_tls_hello, ciphers));
	__builtin_memset(w->h.ecpf, 0, sizeof(w->h) - __builtin_offsetof(struct hs_tls_hello, ecpf));
	w->sum_ciphers = w->sum_exts = w->seq_sigalgs = 0;
	/* handshake header: ClientHello, length within the record */
	if (rec_len < 4 || B(TLS_REC_HDR) != TLS_HS_CLIENT_HELLO)
		return HS_ST_TLS_NOT_HELLO;
	hs_len = (B(6) << 16) | (B(7) << 8) | B(8);
	if (hs_len + 4 > rec_len)
		return HS_ST_TLS_RECORD_SPLIT;
	body = 9;
	w->end = body + hs_len;
	/* version(2) random(32) session_id(1+n) */
	if (hs_len < 2 + 32 + 1 + 2)
		return HS_ST_TLS_MALFORMED;
	w->h.legacy_version = U16(body);
	sid = B(body + 34);
	pos = body + 35 + sid;
	w->pos = pos;
	if (hs_tls_ciphers(b, w) != WALK_MORE)
		return HS_ST_TLS_MALFORMED;
	pos = w->pos;
	if (pos + 1 > w->end)
		return HS_ST_TLS_MALFORMED;
	comp = B(pos);
	pos += 1 + comp;
	if (pos == w->end)
		goto done;  /* no extensions at all (old clients) */
	if (pos + 2 > w->end)
		return HS_ST_TLS_MALFORMED;
	ext_len = U16(pos);
	pos += 2;
	if (pos + ext_len > w->end)
		return HS_ST_TLS_MALFORMED;
	w->end = pos + ext_len;
	w->pos = pos;
	/* one extension per step, bpf_loop: verified once, not per iteration;
	 * room for every extension we keep, GREASE ones, and the end */
	bpf_loop(HS_TLS_MAX_EXTS + 32, ext_cb, &el, 0);
	if (el.r != WALK_END)
		return el.r == WALK_FAIL ? HS_ST_TLS_MALFORMED : HS_ST_TLS_TOO_BIG;
done:
	return 0;
}

/* The TLS fingerprint id of a walked ClientHello (HS_TLSF_QUIC in it: a
 * QUIC hello's id is not the same lists' over TCP). */
INLINE __u64 tls_id(const struct tls_walk *w)
{
	__u64 v[4];

	v[0] = w->sum_ciphers;
	v[1] = w->sum_exts;
	v[2] = w->seq_sigalgs;
	v[3] = (__u64)(w->h.max_version ? w->h.max_version : w->h.legacy_version) |
	       ((__u64)(w->h.flags & (HS_TLSF_SNI | HS_TLSF_ALPN | HS_TLSF_QUIC)) << 16) |
	       ((__u64)w->h.alpn[0] << 24) | ((__u64)w->h.alpn_last << 32) |
	       ((__u64)w->h.n_ciphers << 40) | ((__u64)w->h.n_exts << 48);
	return hs_hash_words(v, 4, HS_SEED_TLS);
}

#endif /* HS_TLS_H */
