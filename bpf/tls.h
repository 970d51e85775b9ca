/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS ClientHello walk. The record is first collected in a buffer (from one
 * segment, or from several in-order segments of one connection), then
 * walked: by the fast walk (hs_tls_walk_fast: plain bounded loops, no call
 * a step) when the hello is within its bounds, nearly always; else by
 * tls_walk, whose steps are bpf_loop callbacks (the cipher list, then one
 * extension per call). Both give the same bytes (test_equiv). GREASE
 * values are left out of every list. The walk also folds the lists into
 * the 64-bit fingerprint id with JA4's invariances: ciphers and
 * extensions as multisets (a sum of per-element hashes), signature
 * algorithms in order. The fast walk takes a list of cipher suites,
 * groups or signature algorithms that this CPU walked lately, GREASE
 * values aside, from what it made of it then (list_memo): a client stack
 * sends the same lists again and again.
 */
#ifndef HS_TLS_H
#define HS_TLS_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "hydrascope.h"
#include "hs_hash.h"
#include "consts.h"

#define B(i)   (b->buf[(i) & HS_HELLO_MASK])
#define U16(i) ((__u16)((B(i) << 8) | B((i) + 1)))

#define HS_SEED_TLS 0x746c7368656c6c6fULL  /* "tlshello" */

/* The fast walk's bounds (tls_walk_fast): a ClientHello past any of them
 * is walked by tls_walk instead. */
#define TLS_FAST_CIPHER_WORDS 16        /* 64 cipher suites, 4 per 8-byte read */
#define TLS_FAST_EXTS 24                /* extensions, GREASE ones included */
#define TLS_FAST_LISTS 8                /* list extensions (versions, groups, signatures) */
#define TLS_FAST_ITEMS 48              /* their elements, and a step per list */

/* Parser state and output: per-CPU scratch, too large for the stack. */
struct tls_walk {
	struct hs_tls_hello h;
	__u64 sum_ciphers;      /* multiset hashes */
	__u64 sum_exts;
	__u64 seq_sigalgs;      /* ordered hash */
	__u32 pos;              /* next byte to read in the record buffer */
	__u32 end;              /* end of the extensions block */
	__u32 end1;             /* the same less one (the fast walk's) */
	__u32 err;              /* stats index of the failure, 0 if none */
	__u32 fill;             /* the fast walk's hello: hs_tls_fill to make */
	__u32 items;            /* the deferred lists' elements left to walk */
	__u32 gpos, gcnt;       /* the groups, left to hs_tls_fill (gcnt: 0, none) */
	/* the fast walk (tls_walk_fast): the list extensions met, walked
	 * after the extensions, and where that walk is */
	__u32 nl;
	__u32 lcur, lidx;
	__u32 sni_at, alpn_at, ecpf_at;  /* where the copies come from (0: none) */
	__u32 lpos[TLS_FAST_LISTS];
	__u16 lcnt[TLS_FAST_LISTS];     /* elements */
	__u8  lkind[TLS_FAST_LISTS];    /* enum hs_list_kind */
	__u8  kind_n[4];                /* lists of each kind met (enum hs_list_kind) */
	__u8  kind_at[4];               /* the last one's index */
	__u32 memo_off;                 /* hs_list_recall's and hs_list_keep's: where
					 * in struct tls_walk a kind's values are */
	__u32 memo_miss;                /* the kinds (1 << kind) to remember after the walk */
};

enum { WALK_MORE = 0, WALK_END = 1, WALK_FAIL = 2 };

/* tls_walk's kind_n and kind_at: one byte a kind, indexed kind & 3, cleared as a word */
_Static_assert(HS_LIST_VERSIONS == 3, "enum hs_list_kind: four kinds");

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
	__u32 which;            /* enum hs_list_kind */
};


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
	case HS_LIST_VERSIONS:
		if (v > w->h.max_version)
			w->h.max_version = v;
		return 0;
	case HS_LIST_CIPHERS:
		w->sum_ciphers += hs_mix64(v ^ 0xc1c1c1c1ULL);
		n = w->h.n_ciphers;
		if (n >= HS_TLS_MAX_CIPHERS)
			break;
		w->h.ciphers[n & (HS_TLS_MAX_CIPHERS - 1)] = v;
		w->h.n_ciphers = n + 1;
		return 0;
	case HS_LIST_GROUPS:
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
	walk_list(b, w, pos, len, HS_LIST_CIPHERS);
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
		walk_list(b, w, pos + 1, l, HS_LIST_VERSIONS);
		break;
	case TLS_EXT_SUPPORTED_GROUPS:   /* list(2), groups */
		if (len < 2 || (l = U16(pos)) > len - 2)
			break;
		walk_list(b, w, pos + 2, l, HS_LIST_GROUPS);
		break;
	case TLS_EXT_SIGNATURE_ALGS:     /* list(2), schemes */
		if (len < 2 || (l = U16(pos)) > len - 2)
			break;
		walk_list(b, w, pos + 2, l, HS_LIST_SIGALGS);
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

/* The hello's fields from ecpf on (its strings), cleared: the bytes up to
 * an 8-byte boundary of w (an 8-byte aligned map value), then 8 at a time
 * to the padding after the hello (clang, left to it, clears them 4 at a
 * time: twice the stores) */
#define OFF_ECPF __builtin_offsetof(struct tls_walk, h.ecpf)
#define OFF_TAIL ((OFF_ECPF + 7) & ~7UL)
#define OFF_END  __builtin_offsetof(struct tls_walk, sum_ciphers)
_Static_assert(OFF_END == ((sizeof(struct hs_tls_hello) + 7) & ~7UL),
	       "clear_tail: the hello's end to the next 8-byte boundary is padding");
_Static_assert(OFF_TAIL - OFF_ECPF == 4, "clear_tail: 4 bytes before the boundary");

INLINE void clear_tail(struct tls_walk *w)
{
	int k;

	*(volatile __u32 *)((__u8 *)w + OFF_ECPF) = 0;
#pragma unroll
	for (k = 0; k < (int)(OFF_END - OFF_TAIL) / 8; k++)
		*(volatile __u64 *)((__u8 *)w + OFF_TAIL + 8 * k) = 0;
}

/*
 * The ClientHello's start, for both walks: w's counts and small fields
 * cleared, the handshake header checked (a ClientHello, its length within
 * the record), version and session id read. 0 and *pos at the cipher
 * suites' length, or the stats index of why not.
 */
INLINE int hello_head(struct hs_reasm *b, struct tls_walk *w, __u32 *pos)
{
	__u32 rec_len = b->need - TLS_REC_HDR, hs_len, body = 9, sid;

	/* the counts and the small fields; list entries past their counts are
	 * never read (not hashed, not rendered), so the 700 bytes of lists
	 * are not cleared: a ClientHello is 60 ns cheaper (the strings: the
	 * slow walk clears them, the fast one leaves them to hs_tls_fill) */
	__builtin_memset(&w->h, 0, __builtin_offsetof(struct hs_tls_hello, ciphers));
	w->sum_ciphers = w->sum_exts = w->seq_sigalgs = 0;
	if (rec_len < 4 || B(TLS_REC_HDR) != TLS_HS_CLIENT_HELLO)
		return HS_ST_TLS_NOT_HELLO;
	hs_len = (B(6) << 16) | (B(7) << 8) | B(8);
	if (hs_len + 4 > rec_len)
		return HS_ST_TLS_RECORD_SPLIT;
	w->end = body + hs_len;
	/* version(2) random(32) session_id(1+n) */
	if (hs_len < 2 + 32 + 1 + 2)
		return HS_ST_TLS_MALFORMED;
	w->h.legacy_version = U16(body);
	sid = B(body + 34);
	*pos = body + 35 + sid;
	return 0;
}

/* After the cipher suites (pos): compression methods, then the
 * extensions' length. 0 and w->pos, w->end the extensions' bytes (none at
 * all, as old clients send, is pos == end), or HS_ST_TLS_MALFORMED. */
INLINE int hello_exts(struct hs_reasm *b, struct tls_walk *w, __u32 pos)
{
	__u32 ext_len;

	if (pos + 1 > w->end)
		return HS_ST_TLS_MALFORMED;
	pos += 1 + B(pos);
	w->pos = pos;
	if (pos == w->end)
		return 0;
	if (pos + 2 > w->end)
		return HS_ST_TLS_MALFORMED;
	ext_len = U16(pos);
	pos += 2;
	if (pos + ext_len > w->end)
		return HS_ST_TLS_MALFORMED;
	w->end = pos + ext_len;
	w->pos = pos;
	return 0;
}

/*
 * Walk the complete record in b (b->need bytes). Returns 0 and fills w, or
 * the stats index of why not.
 */
INLINE int tls_walk(struct hs_reasm *b, struct tls_walk *w)
{
	struct ext_loop el = { .b = b, .w = w, .r = WALK_MORE };
	__u32 pos = 0;
	int r;

	clear_tail(w);
	w->fill = 0;
	r = hello_head(b, w, &pos);
	if (r)
		return r;
	w->pos = pos;
	if (hs_tls_ciphers(b, w) != WALK_MORE)
		return HS_ST_TLS_MALFORMED;
	r = hello_exts(b, w, w->pos);
	if (r)
		return r;
	/* one extension per step, bpf_loop: verified once, not per iteration;
	 * room for every extension we keep, GREASE ones, and the end */
	bpf_loop(HS_TLS_MAX_EXTS + 32, ext_cb, &el, 0);
	if (el.r != WALK_END)
		return el.r == WALK_FAIL ? HS_ST_TLS_MALFORMED : HS_ST_TLS_TOO_BIG;
	return 0;
}

/*
 * The fast walk: the same result as tls_walk for any ClientHello within
 * the TLS_FAST_* bounds (nearly all of them), in plain bounded loops
 * without a call: the cipher suites four per 8-byte read, the extensions
 * one a step, the lists they hold (supported versions, groups, signature
 * algorithms) one element a step after the extensions, in the order met
 * (each kind's own array and hash see the same order: the kinds are
 * independent of each other and of the other extensions). Every position
 * and count carried from one step to the next is read back from w (a map
 * value, unknown to the verifier): the paths of a step end in one state,
 * so a step is verified once per iteration, not once per path before it.
 * Returns what tls_walk returns, or WALK_SLOW: past a bound, walk it with
 * tls_walk (which starts over).
 */
#define WALK_SLOW (-1)

/* One cipher suite of the list (tls_walk's list_cb, HS_LIST_CIPHERS) into the
 * sum and count a step keeps in registers for its four (written back
 * once a step). The count stays within 0-127 for the verifier, so that
 * the paths of a suite taken or left (GREASE) end in one state. The fast
 * walk takes at most 4 * TLS_FAST_CIPHER_WORDS of them, fewer than the
 * list holds: never past it (HS_TLSF_OVERFLOW), no test for it. */
_Static_assert(4 * TLS_FAST_CIPHER_WORDS < HS_TLS_MAX_CIPHERS &&
	       TLS_FAST_EXTS <= HS_TLS_MAX_EXTS, "the fast walk's lists never overflow");
INLINE void fast_cipher(struct tls_walk *w, __u64 *sum, __u32 *n, __u16 v)
{
	if (is_grease(v))
		return;
	*sum += hs_mix64(v ^ 0xc1c1c1c1ULL);
	w->h.ciphers[*n & (HS_TLS_MAX_CIPHERS - 1)] = v;
	*n = (*n + 1) & (HS_TLS_MAX_CIPHERS - 1);
}

/* ---- lists remembered (struct hs_list_memo) ---- */

/* Per-CPU lists seen last and their walk; here, not in maps.h, which
 * includes this file for struct tls_walk. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hs_list_memos);
} list_memo SEC(".maps");

/* list_memo's one key, read-only: no stack slot for it in the call chain's
 * frames */
static const __u32 list_memo_key = 0;

_Static_assert(HS_LIST_MEMO_WORDS <= TLS_FAST_CIPHER_WORDS &&
	       4 * HS_LIST_MEMO_WORDS <= HS_TLS_MAX_GROUPS &&
	       4 * HS_LIST_MEMO_WORDS <= HS_TLS_MAX_SIGALGS,
	       "list_memo: a list it holds never overflows the hello's arrays");

#define LANES_LOW 0x00ff00ff00ff00ffULL
#define LANES_ONE 0x0001000100010001ULL
#define LANES_LOW_HI4 0x00f000f000f000f0ULL   /* each lane's low byte's high nibble */
#define NIBBLES_LOW 0x0f0f0f0f0f0f0f0fULL

/* Of eight bytes of a list (four values as read: a little-endian word of
 * big-endian values), each lane's low byte zero where its value is GREASE
 * (is_grease: its two bytes equal, the first ending in 0xa). */
INLINE __u64 lanes_grease(__u64 x)
{
	return ((x ^ (x >> 8)) & LANES_LOW) | ((x ^ 0x0a0a0a0a0a0a0a0aULL) & 0x000f000f000f000fULL);
}

/* The bytes of the eight at i that are the list's (len bytes) */
INLINE __u64 lanes_in(__u32 i, __u32 len)
{
	return i + 8 > len ? (1ULL << (8 * ((len - i) & 7))) - 1 : ~0ULL;
}

/* The entry for a list of kind, len bytes at pos: by its length, its last
 * byte (the first is GREASE in some stacks' lists) and its kind. */
INLINE struct hs_list_memo *list_entry(struct hs_list_memos *ms, const struct hs_reasm *b,
				       __u32 pos, __u32 len, __u32 kind)
{
	__u32 at = ((len >> 1) ^ B(pos + len - 1) ^ (kind << 4)) & (HS_LIST_MEMO - 1);

	return &ms->e[at];
}

#define OFF_CIPHERS __builtin_offsetof(struct tls_walk, h.ciphers)
#define OFF_SIGALGS __builtin_offsetof(struct tls_walk, h.sigalgs)
_Static_assert(OFF_CIPHERS < OFF_SIGALGS, "list_off: the last is the signature algorithms'");

/* Where in w the values of a list of kind (the suites, the signature
 * algorithms: the groups are in no id, the fast walk leaves them to
 * hs_tls_fill) go, as a value the verifier does not know (read back
 * through w): the loops that copy them are verified once for both kinds,
 * not once each. */
INLINE __u32 list_off(struct tls_walk *w, __u32 kind)
{
	w->memo_off = kind == HS_LIST_CIPHERS ? OFF_CIPHERS : OFF_SIGALGS;
	return RD32(w->memo_off);
}

/*
 * A list of kind (the suites or the signature algorithms; len bytes
 * at pos, whose kind has no value in w yet) from its memo entry when the
 * list matches it (the lanes it compares equal, its GREASE lanes GREASE
 * again): 1, and w's values, count and hash as the walk sets
 * them (the values past the count aside). 0: the entry holds another list
 * (then marked in w->memo_miss, to be written after the walk), or a run
 * that came in between on this CPU is writing it, or the list is too
 * long. A global subprogram: verified once for every list.
 */
__noinline int hs_list_recall(struct hs_reasm *b, struct tls_walk *w, __u32 pos, __u32 len,
			      __u32 kind)
{
	struct hs_list_memos *ms;
	struct hs_list_memo *m;
	volatile __u32 *seq;
	__u32 s, k, i, off;
	__u64 hash, x;
	__u8 n;

	if (!b || !w || len > 8 * HS_LIST_MEMO_WORDS)
		return 0;
	ms = bpf_map_lookup_elem(&list_memo, &list_memo_key);
	if (!ms)
		return 0;
	m = list_entry(ms, b, pos, len, kind);
	seq = &m->seq;
	s = *seq;
	barrier();
	if (s & 1)
		return 0;
	if (m->len != len || m->kind != kind)
		goto miss;
	off = list_off(w, kind);
	if (off > OFF_SIGALGS)
		goto miss;
#pragma clang loop unroll(disable)
	for (k = 0; k < HS_LIST_MEMO_WORDS; k++) {
		i = 8 * k;
		if (i >= len)
			break;
		x = BUF_AT(const __u64, &b->buf[(pos + i) & HS_HELLO_MASK]);
		/* the bits compared equal, and in each GREASE lane the two
		 * bytes' high nibbles equal (their low ones, 0xa, compared):
		 * a GREASE value again, whichever */
		if (((x ^ m->key[k]) & m->care[k]) | ((x ^ (x >> 8)) & m->grease[k]))
			goto miss;
		*(__u64 *)((__u8 *)w + off + i) = m->kept[k];
	}
	hash = m->hash;
	n = m->n;
	barrier();
	if (*seq != s)
		goto miss;
	if (kind == HS_LIST_CIPHERS) {
		w->sum_ciphers = hash;
		w->h.n_ciphers = n;
	} else {
		w->seq_sigalgs = hash;
		w->h.n_sigalgs = n;
	}
	return 1;
miss:
	/* not held: to be written after the walk (hs_list_keep) */
	w->memo_miss |= 1u << kind;
	return 0;
}

/* The walk of a list of kind (len bytes at pos, its kind's only values in
 * w) into its memo entry. */
__noinline int hs_list_keep(struct hs_reasm *b, struct tls_walk *w, __u32 pos, __u32 len,
			    __u32 kind)
{
	struct hs_list_memos *ms;
	struct hs_list_memo *m;
	volatile __u32 *seq;
	__u32 s, k, i, off;
	__u64 x, in, g;

	if (!b || !w || len > 8 * HS_LIST_MEMO_WORDS)
		return 0;
	off = list_off(w, kind);
	if (off > OFF_SIGALGS)
		return 0;
	ms = bpf_map_lookup_elem(&list_memo, &list_memo_key);
	if (!ms)
		return 0;
	m = list_entry(ms, b, pos, len, kind);
	seq = &m->seq;
	s = *seq;
	if (s & 1)
		return 0;
	*seq = s + 1;
	barrier();
	m->len = (__u16)len;
	m->kind = (__u8)kind;
#pragma clang loop unroll(disable)
	for (k = 0; k < HS_LIST_MEMO_WORDS; k++) {
		i = 8 * k;
		if (i >= len)
			break;
		x = BUF_AT(const __u64, &b->buf[(pos + i) & HS_HELLO_MASK]);
		in = lanes_in(i, len);
		/* a GREASE lane's low byte set (a lane's bit 8: the sum's carry
		 * out of a low byte not zero) */
		g = (((((lanes_grease(x) + LANES_LOW) >> 8) & LANES_ONE) ^ LANES_ONE) * 0xff) & in;
		m->grease[k] = g & LANES_LOW_HI4;
		m->care[k] = (~(g | (g << 8)) & in) | ((g | (g << 8)) & NIBBLES_LOW);
		m->key[k] = x & m->care[k];
		m->kept[k] = *(const __u64 *)((const __u8 *)w + off + i);
	}
	if (kind == HS_LIST_CIPHERS) {
		m->hash = w->sum_ciphers;
		m->n = w->h.n_ciphers;
	} else {
		m->hash = w->seq_sigalgs;
		m->n = w->h.n_sigalgs;
	}
	barrier();
	*seq = s + 2;
	return 0;
}

/* The cipher suites: len bytes at pos (even, within the message). */
INLINE int fast_ciphers(struct hs_reasm *b, struct tls_walk *w, __u32 pos, __u32 len)
{
	__u64 x, sum;
	__u32 k, i, n;

	if (len > 8 * TLS_FAST_CIPHER_WORDS)
		return WALK_SLOW;
	if (hs_list_recall(b, w, pos, len, HS_LIST_CIPHERS))
		return 0;
	w->lidx = pos;
	w->lcur = len;
#pragma clang loop unroll(disable)
	for (k = 0; k < TLS_FAST_CIPHER_WORDS; k++) {
		WIDEN();
		pos = RD32(w->lidx);
		len = RD32(w->lcur);
		i = 8 * k;
		if (i >= len)
			break;
		/* the buffer's slack keeps any masked 8-byte read inside it */
		x = BUF_AT(const __u64, &b->buf[(pos + i) & HS_HELLO_MASK]);
		sum = w->sum_ciphers;
		n = RD8(w->h.n_ciphers) & (HS_TLS_MAX_CIPHERS - 1);
		fast_cipher(w, &sum, &n, bpf_ntohs((__u16)x));
		if (i + 2 < len)
			fast_cipher(w, &sum, &n, bpf_ntohs((__u16)(x >> 16)));
		if (i + 4 < len)
			fast_cipher(w, &sum, &n, bpf_ntohs((__u16)(x >> 32)));
		if (i + 6 < len)
			fast_cipher(w, &sum, &n, bpf_ntohs((__u16)(x >> 48)));
		w->sum_ciphers = sum;
		w->h.n_ciphers = (__u8)n;
	}
	if (w->memo_miss & (1u << HS_LIST_CIPHERS))
		hs_list_keep(b, w, RD32(w->lidx), RD32(w->lcur), HS_LIST_CIPHERS);
	return 0;
}

/* A list extension's elements (len bytes at pos) for after the
 * extensions; WALK_SLOW when there are too many such extensions. */
INLINE int fast_defer(struct tls_walk *w, __u32 pos, __u32 len, __u32 kind)
{
	__u32 n = RD32(w->nl);

	if (n >= TLS_FAST_LISTS)
		return WALK_SLOW;
	if (len > 2048) {       /* as walk_list: at most 1024 elements */
		w->h.flags |= HS_TLSF_OVERFLOW;
		len = 2048;
	}
	w->lpos[n & (TLS_FAST_LISTS - 1)] = pos;
	w->lcnt[n & (TLS_FAST_LISTS - 1)] = (__u16)(len / 2);
	w->items += len / 2;
	w->lkind[n & (TLS_FAST_LISTS - 1)] = (__u8)kind;
	w->kind_n[kind & 3]++;
	w->kind_at[kind & 3] = (__u8)n;
	w->nl = n + 1;
	return 0;
}

/* An extension type's term in the extensions' multiset hash (tls_ext's
 * hs_mix64(type ^ 0xe7e7e7e7)), for the types below 64 (every one a
 * common hello sends but a few) a constant of the table below: one load
 * where the mix is two multiplies. */
#define EXT_MIX(t) HS_MIX64((__u64)(t) ^ 0xe7e7e7e7ULL)
#define EXT_MIX4(t) EXT_MIX(t), EXT_MIX((t) + 1), EXT_MIX((t) + 2), EXT_MIX((t) + 3)
#define EXT_MIX16(t) EXT_MIX4(t), EXT_MIX4((t) + 4), EXT_MIX4((t) + 8), EXT_MIX4((t) + 12)
#define EXT_MIX_N 64
static const __u64 ext_mix[EXT_MIX_N] = {
	EXT_MIX16(0), EXT_MIX16(16), EXT_MIX16(32), EXT_MIX16(48),
};

/* The types below EXT_MIX_N whose fields the walk takes (fast_fields) */
#define EXT_FIELDS ((1ULL << TLS_EXT_SERVER_NAME) | (1ULL << TLS_EXT_SUPPORTED_GROUPS) | \
		    (1ULL << TLS_EXT_EC_POINT_FORMATS) | (1ULL << TLS_EXT_SIGNATURE_ALGS) | \
		    (1ULL << TLS_EXT_ALPN) | (1ULL << TLS_EXT_SUPPORTED_VERSIONS))
_Static_assert(TLS_EXT_SUPPORTED_VERSIONS < EXT_MIX_N, "EXT_FIELDS: every type below EXT_MIX_N");

/* The fields of extension type (one of EXT_FIELDS; len bytes at pos), as
 * tls_ext takes them but lists deferred (fast_defer): WALK_MORE, or
 * WALK_SLOW. */
INLINE int fast_fields(struct hs_reasm *b, struct tls_walk *w, __u16 type, __u32 pos, __u32 len)
{
	__u32 l = 0, lp = 0;
	__u32 kind = HS_LIST_CIPHERS;         /* no list */

	switch (type) {
	case TLS_EXT_SERVER_NAME:
		w->h.flags |= HS_TLSF_SNI;
		if (len < 5 || B(pos + 2) != 0)
			break;
		l = U16(pos + 3);
		if (l > len - 5)
			break;
		if (l > HS_TLS_SNI_MAX)
			l = HS_TLS_SNI_MAX;
		w->h.sni_len = l;
		w->sni_at = pos + 5;    /* copied after the extensions (fast_copies) */
		break;
	case TLS_EXT_ALPN:
		if (len < 3)
			break;
		l = B(pos + 2);
		if (!l || l > len - 3)
			break;
		w->h.flags |= HS_TLSF_ALPN;
		w->h.alpn_len = l;
		/* the value's first and last bytes, the id's (tls_id); the
		 * value itself copied by hs_tls_fill */
		w->h.alpn[0] = B(pos + 3);
		w->h.alpn_last = B(pos + 3 + l - 1);
		w->alpn_at = pos + 3;
		break;
	case TLS_EXT_SUPPORTED_VERSIONS:
		if (len < 1)
			break;
		l = B(pos);
		if (l > len - 1)
			break;
		lp = pos + 1;
		kind = HS_LIST_VERSIONS;
		break;
	case TLS_EXT_SUPPORTED_GROUPS:
		if (len < 2 || (l = U16(pos)) > len - 2)
			break;
		lp = pos + 2;
		kind = HS_LIST_GROUPS;
		break;
	case TLS_EXT_SIGNATURE_ALGS:
		if (len < 2 || (l = U16(pos)) > len - 2)
			break;
		lp = pos + 2;
		kind = HS_LIST_SIGALGS;
		break;
	case TLS_EXT_EC_POINT_FORMATS:
		if (len < 1 || (l = B(pos)) > len - 1)
			break;
		w->ecpf_at = pos + 1;
		w->h.n_ecpf = l < HS_TLS_MAX_ECPF ? l : HS_TLS_MAX_ECPF;
		if (l > HS_TLS_MAX_ECPF)
			w->h.flags |= HS_TLSF_OVERFLOW;
		break;
	}
	/* one place for the three lists: verified once per step */
	if (kind != HS_LIST_CIPHERS)
		return fast_defer(w, lp, l, kind) ? WALK_SLOW : WALK_MORE;
	return WALK_MORE;
}

/*
 * The extensions from w->pos to w->end, as tls_ext walks them (GREASE
 * ones stepped over, the others in the multiset hash and counted, their
 * list of types left to hs_tls_fill; the fields of EXT_FIELDS taken,
 * their strings' copies left to it too): WALK_END, WALK_FAIL at a bad
 * one, WALK_SLOW past TLS_FAST_EXTS of them or the deferred lists' room.
 * The position (less one) stays in a register from step to step, not a
 * store and a load through w. Each step's next position waits on its
 * header's read: the loop's chain. It is made of the length's two bytes
 * read apart, a read and two adds (the body's position added while the
 * high byte is shifted), not of the swapped header's low half, a read, a
 * swap, an add and a mask: steady Chrome-like hellos (19 extensions)
 * 1.04 times as fast. Its bound, HS_HELLO_MASK, is a test (a branch never
 * taken, off the chain), so that its range is the same at every step and
 * the steps' states merge. The hash, the count and the end go through w
 * (in registers, clang spills them: no gain, measured).
 */
INLINE int fast_exts(struct hs_reasm *b, struct tls_walk *w)
{
	__u32 q, nq, end1, a, x, k, n, type;

	_Static_assert(TLS_FAST_EXTS < HS_TLS_MAX_EXTS, "fast_exts: the count never wraps");
	/* q: the position less one. Positions are past the message's 9-byte
	 * header and at most end <= HS_HELLO_LIMIT (hello_max_bytes): q is
	 * within HS_HELLO_MASK (the first masked, each next one bounded by the
	 * test below: the same range at every step), and the end's test is
	 * q >= end - 1 (end1, kept in w) */
	q = (RD32(w->pos) - 1) & HS_HELLO_MASK;
	w->end1 = RD32(w->end) - 1;
#pragma clang loop unroll(disable)
	for (k = 0; k < TLS_FAST_EXTS; k++) {
		end1 = RD32(w->end1);
		if (q >= end1)
			return WALK_END;
		/* type and length in one read at q + 1 (the buffer's slack
		 * keeps it inside), byte-swapped: the type its high half, the
		 * length the low (fast_fields') */
		x = bpf_ntohl(BUF_AT(const __u32, &b->buf[q] + 1));
		/* the next q, the extension's end less one: q + 4 + the length,
		 * its bytes at q + 3 and q + 4 read apart (volatile: clang
		 * would take them out of x) and added in this order (the
		 * barriers: clang would add the 4 last, a step more on the
		 * chain). Past end - 1: a bad extension (a header past the end,
		 * q + 5 > end, is such an extension too) */
		a = q + 4;      /* the body's position (q + 5) less one */
		asm volatile("" : "+r"(a));
		nq = a + *(volatile const __u8 *)(&b->buf[q] + 4);
		asm volatile("" : "+r"(nq));
		nq += (__u32)*(volatile const __u8 *)(&b->buf[q] + 3) << 8;
		if (nq > end1 || nq > HS_HELLO_MASK)    /* the second: the bound */
			return WALK_FAIL;
		q = nq;
		type = x >> 16;
		asm volatile("" : "+r"(type));  /* tested itself: its bound the verifier's */
		if (type < EXT_MIX_N)
			w->sum_exts += ext_mix[type];
		else if (is_grease(type))
			continue;
		else
			w->sum_exts += hs_mix64(type ^ 0xe7e7e7e7ULL);
		n = RD8(w->h.n_exts);   /* the list of types: hs_tls_fill's */
		w->h.n_exts = n + 1;
		if (type < EXT_MIX_N && ((EXT_FIELDS >> type) & 1) &&
		    fast_fields(b, w, (__u16)type, a + 1, x & 0xffff) == WALK_SLOW)
			break;
	}
	return WALK_SLOW;
}

/* The SNI, ALPN and point formats of the last such extensions met (only
 * their last copy counts, so it is made once, out of the extensions'
 * loop), over the strings cleared (but ALPN's last byte, taken). */
INLINE void fast_copies(struct hs_reasm *b, struct tls_walk *w)
{
	__u32 at;
	__u8 last = w->h.alpn_last;

	clear_tail(w);
	w->h.alpn_last = last;
	at = RD32(w->sni_at);
	if (at)
		copy_words(w->h.sni, b, at, HS_TLS_SNI_MAX / 8);
	at = RD32(w->alpn_at);
	if (at)
		copy_words(w->h.alpn, b, at, HS_TLS_ALPN_MAX / 8);
	at = RD32(w->ecpf_at);
	if (at)
		copy_words(w->h.ecpf, b, at, HS_TLS_MAX_ECPF / 8);
}

/* One element v of a list of kind k (tls_walk's list_cb), the ordered
 * hash of the signature algorithms in *seq. */
INLINE void fast_item(struct tls_walk *w, __u64 *seq, __u32 k, __u16 v)
{
	__u8 n;

	if (is_grease(v))
		return;
	if (k == HS_LIST_VERSIONS) {
		if (v > w->h.max_version)
			w->h.max_version = v;
		return;
	}
	if (k == HS_LIST_GROUPS) {
		n = RD8(w->h.n_groups);
		if (n >= HS_TLS_MAX_GROUPS) {
			w->h.flags |= HS_TLSF_OVERFLOW;
			return;
		}
		w->h.groups[n & (HS_TLS_MAX_GROUPS - 1)] = v;
		w->h.n_groups = n + 1;
		return;
	}
	*seq = hs_mix64(*seq ^ v);
	n = RD8(w->h.n_sigalgs);
	if (n >= HS_TLS_MAX_SIGALGS) {
		w->h.flags |= HS_TLSF_OVERFLOW;
		return;
	}
	w->h.sigalgs[n & (HS_TLS_MAX_SIGALGS - 1)] = v;
	w->h.n_sigalgs = n + 1;
}

/* The deferred lists, one element (or the move to the next list) a step:
 * 0, or WALK_SLOW when they hold more than the steps. The signature
 * algorithms' hash is a chain (each element's two multiplies wait for the
 * one before): it stays in a register from step to step, not a store and
 * a load through w more on it each step (an unknown scalar to the
 * verifier either way: the steps' states still merge). */
INLINE int fast_lists(struct hs_reasm *b, struct tls_walk *w)
{
	__u64 seq = w->seq_sigalgs;
	__u32 k, j, i;

	w->lcur = 0;
	w->lidx = 0;
#pragma clang loop unroll(disable)
	for (k = 0; k < TLS_FAST_ITEMS; k++) {
		WIDEN();
		j = RD32(w->lcur);
		if (j >= RD32(w->nl)) {
			w->seq_sigalgs = seq;
			return 0;
		}
		j &= TLS_FAST_LISTS - 1;
		i = RD32(w->lidx);
		if (i >= w->lcnt[j]) {
			w->lcur = j + 1;
			w->lidx = 0;
			continue;
		}
		fast_item(w, &seq, w->lkind[j],
			  bpf_ntohs(BUF_AT(const __u16, &b->buf[(w->lpos[j] + 2 * i) & HS_HELLO_MASK])));
		w->lidx = i + 1;
	}
	return WALK_SLOW;
}

/* Deferred list j taken (recalled, read whole, or left to hs_tls_fill):
 * fast_lists does not walk it. */
INLINE void list_taken(struct tls_walk *w, __u32 j)
{
	j &= TLS_FAST_LISTS - 1;
	w->items -= w->lcnt[j];
	w->lcnt[j] = 0;
}

/* The list of kind from its memo entry, when it is the hello's only one
 * of its kind: its elements then not walked (its count of them made 0);
 * else, the entry free, hs_list_recall marks it to be written after the
 * walk (lists_keep). */
INLINE void lists_recall(struct hs_reasm *b, struct tls_walk *w, __u32 kind)
{
	__u32 j = w->kind_at[kind] & (TLS_FAST_LISTS - 1);

	if (w->kind_n[kind] != 1)
		return;
	if (hs_list_recall(b, w, w->lpos[j], 2 * (__u32)w->lcnt[j], kind))
		list_taken(w, j);
}

/* The supported groups, when the hello's only such list has no more of
 * them than the hello holds (HS_TLS_MAX_GROUPS: none left out, no
 * overflow to count), left to hs_tls_fill: they are in no id, and a hello
 * of a known fingerprint does not keep them. */
INLINE void groups_defer(struct tls_walk *w)
{
	__u32 j = w->kind_at[HS_LIST_GROUPS] & (TLS_FAST_LISTS - 1);

	if (w->kind_n[HS_LIST_GROUPS] != 1 || w->lcnt[j] > HS_TLS_MAX_GROUPS)
		return;
	w->gpos = w->lpos[j];
	w->gcnt = w->lcnt[j];
	list_taken(w, j);
}

/* The supported versions, when the hello's only such list has at most
 * four of them (every common hello: one 8-byte read), their highest but
 * GREASE ones, as fast_lists takes them; its count made 0. Out of
 * fast_lists' steps, whose loads and stores through w cost five times
 * what these do. */
#define VERSIONS_INLINE 4
INLINE void versions_max(struct hs_reasm *b, struct tls_walk *w)
{
	__u32 j = w->kind_at[HS_LIST_VERSIONS] & (TLS_FAST_LISTS - 1), n, i;
	__u64 x;
	__u16 v, max;

	n = w->lcnt[j];
	if (w->kind_n[HS_LIST_VERSIONS] != 1 || n > VERSIONS_INLINE)
		return;
	x = BUF_AT(const __u64, &b->buf[w->lpos[j] & HS_HELLO_MASK]);
	max = w->h.max_version;
#pragma unroll
	for (i = 0; i < VERSIONS_INLINE; i++) {
		v = bpf_ntohs((__u16)(x >> (16 * i)));
		if (i < n && !is_grease(v) && v > max)
			max = v;
	}
	w->h.max_version = max;
	list_taken(w, j);
}

/* The walk of the list of kind into its memo entry, when its recall
 * marked it (w->memo_miss). */
INLINE void lists_keep(struct hs_reasm *b, struct tls_walk *w, __u32 kind)
{
	__u32 j = w->kind_at[kind] & (TLS_FAST_LISTS - 1);

	if (w->memo_miss & (1u << kind))
		hs_list_keep(b, w, w->lpos[j], 2 * (__u32)w->lcnt[j], kind);
}

/* The fast walk, in a global subprogram: its loops verified once, whatever
 * the states its callers come with. */
__noinline int hs_tls_walk_fast(struct hs_reasm *b, struct tls_walk *w)
{
	__u32 pos = 0, len;
	int r;

	if (!b || !w)
		return WALK_SLOW;
	w->nl = w->items = w->gcnt = 0;
	w->sni_at = w->alpn_at = w->ecpf_at = 0;
	w->h.alpn[0] = w->h.alpn_last = 0;      /* the id's (tls_id) */
	w->fill = 1;
	*(__u32 *)w->kind_n = 0;
	w->memo_miss = 0;
	r = hello_head(b, w, &pos);
	if (r)
		return r;
	/* the cipher suites (hs_tls_ciphers) */
	if (pos + 2 > w->end)
		return HS_ST_TLS_MALFORMED;
	len = U16(pos);
	pos += 2;
	if ((len & 1) || pos + len > w->end)
		return HS_ST_TLS_MALFORMED;
	if (fast_ciphers(b, w, pos, len))
		return WALK_SLOW;
	r = hello_exts(b, w, pos + len);
	if (r)
		return r;
	r = fast_exts(b, w);
	WIDEN();
	if (r != WALK_FAIL && r != WALK_END)
		return WALK_SLOW;
	/* a bad extension: tls_walk walked the lists before it as it met
	 * them, so here too, for the same walk state (the scratch's list
	 * entries past the counts end up in a new map entry); the outcome
	 * through w, so that one path walks the lists */
	w->err = r == WALK_FAIL ? HS_ST_TLS_MALFORMED : 0;
	WIDEN();
	groups_defer(w);
	lists_recall(b, w, HS_LIST_SIGALGS);
	versions_max(b, w);
	if (RD32(w->items) && fast_lists(b, w))
		return WALK_SLOW;
	lists_keep(b, w, HS_LIST_SIGALGS);
	return (int)RD32(w->err);
}

/*
 * What the fast walk (its 0) leaves of a hello, made when the hello is
 * kept (a new fingerprint's entry, an event): its list of extension types,
 * its groups (groups_defer) and its strings (the SNI, the ALPN value, the
 * point formats). No id is made of them, so a hello of a known
 * fingerprint, most, is walked without them. The extensions walked again
 * as fast_exts walked them (they are whole: its WALK_END), their types
 * listed, GREASE ones left out; once (w->fill). A global subprogram:
 * verified once.
 */
__noinline int hs_tls_fill(struct hs_reasm *b, struct tls_walk *w)
{
	__u32 q, x, k, n, type;
	__u16 v;

	if (!b || !w || !w->fill)
		return 0;
	w->fill = 0;
	fast_copies(b, w);
	/* the groups as fast_item takes them (no more than the hello holds:
	 * its overflow test, ~1,200 processed instructions here, left out) */
#pragma clang loop unroll(disable)
	for (k = 0; k < HS_TLS_MAX_GROUPS; k++) {
		if (k >= RD32(w->gcnt))
			break;
		v = bpf_ntohs(BUF_AT(const __u16, &b->buf[(RD32(w->gpos) + 2 * k) & HS_HELLO_MASK]));
		if (is_grease(v))
			continue;
		n = RD8(w->h.n_groups);
		w->h.groups[n & (HS_TLS_MAX_GROUPS - 1)] = v;
		w->h.n_groups = n + 1;
	}
	/* counted again (the same count), through w: the verifier's steps'
	 * states merge (one count in a register: a state per count) */
	w->h.n_exts = 0;
	q = (RD32(w->pos) - 1) & HS_HELLO_MASK;
#pragma clang loop unroll(disable)
	for (k = 0; k < TLS_FAST_EXTS; k++) {
		if (q >= RD32(w->end1))
			break;
		x = bpf_ntohl(BUF_AT(const __u32, &b->buf[q] + 1));
		q = (q + 4 + x) & HS_HELLO_MASK;
		type = x >> 16;
		if (is_grease((__u16)type))
			continue;
		n = RD8(w->h.n_exts);
		w->h.exts[n & (HS_TLS_MAX_EXTS - 1)] = (__u16)type;
		w->h.n_exts = n + 1;
	}
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
