/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Novelty: which sources (and networks) each TLS fingerprint has seen
 * within the history, and which the site has. A ClientHello from a source
 * not seen with its fingerprint counts once in the fingerprint's
 * novel_ips, in novel_site when the site has not seen it either, and its
 * network in novel_nets when new to the fingerprint: exact counts, from
 * one lookup on the common path (a source seen lately).
 */
#ifndef HS_SEEN_H
#define HS_SEEN_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "hydrascope.h"
#include "consts.h"
#include "globals.h"
#include "hs_hash.h"
#include "maps.h"
#include "conn.h"           /* conn_read_ahead */

/* Is the entry (NULL: none) within the history at ts? */
INLINE int seen_live(const struct hs_seen *s, __u64 ts)
{
	return s && s->last_ns + history_ns > ts;
}

/* The key of source ep with fingerprint kid (generation bit clear). */
INLINE void seen_key(struct hs_seen_key *k, __u64 kid, const struct hs_endpoints *ep)
{
	k->fp = kid;
	__builtin_memcpy(k->addr, ep->saddr, 16);
}

/* Seen set i's way holding k: its number; else HS_SEEN_WAYS + the number
 * of the way a new k takes, the set's least recently refreshed (an empty
 * one first: last_ns 0); -1: no set. A global subprogram: its callers
 * share it, verified once (an unrolled search at each cost ~17,000
 * processed instructions). */
__noinline int hs_seen_find(const struct hs_seen_key *k, __u32 i)
{
	struct hs_seen_set *s = bpf_map_lookup_elem(&seen, &i);
	__u64 oldest = ~0ULL, a0, a1, a2;
	int w, to = 0;

	if (!s || !k)
		return -1;
	__builtin_memcpy(&a0, &k->fp, 8);
	__builtin_memcpy(&a1, k->addr, 8);
	__builtin_memcpy(&a2, k->addr + 8, 8);
	for (w = 0; w < HS_SEEN_WAYS; w++) {
		const struct hs_seen_way *x = &s->way[w];
		const __u64 *b = (const __u64 *)x->k.addr;

		if (x->v.last_ns && x->k.fp == a0 && b[0] == a1 && b[1] == a2)
			return w;
		if (x->v.last_ns < oldest) {
			oldest = x->v.last_ns;
			to = w;
		}
	}
	return HS_SEEN_WAYS + to;
}

/* The way of k's set holding it (*new 0), else the way a new k takes
 * (*new 1); NULL: no set (never, the index is masked). */
INLINE struct hs_seen_way *seen_way(const struct hs_seen_key *k, int *new)
{
	__u32 i = hs_seen_set(k, seen_sets);
	struct hs_seen_set *s = bpf_map_lookup_elem(&seen, &i);
	int r = hs_seen_find(k, i);
	__u32 w = (__u32)r & (HS_SEEN_WAYS - 1);

	if (!s || r < 0)
		return NULL;
	*new = r >= HS_SEEN_WAYS;
	asm volatile("" : "+r"(w));     /* the masked index, not r, into the set */
	return &s->way[w];
}

/* k into way w at ts, first seen then. An entry still within the history
 * pushed out (its set full of such) is counted: that source will count as
 * new again. No lock: the way is emptied first, so a reader never takes
 * the new key with the old times; two CPUs writing one way at once may
 * lose one entry. */
INLINE void seen_put(struct hs_stats *st, struct hs_seen_way *w, const struct hs_seen_key *k,
		     __u64 ts)
{
	if (w->v.last_ns && seen_live(&w->v, ts))       /* (k's own way is never live here) */
		st->c[HS_ST_SEEN_FULL]++;
	w->v.last_ns = 0;
	asm volatile("" ::: "memory");
	w->k = *k;
	w->v.first_ns = ts;
	asm volatile("" ::: "memory");
	w->v.last_ns = ts;
}

/* When ep was first seen with kid within the history; 0: not seen. */
INLINE __u64 seen_first(__u64 kid, const struct hs_endpoints *ep, __u64 ts)
{
	struct hs_seen_way *w;
	struct hs_seen_key k;
	int new = 1;

	seen_key(&k, kid, ep);
	w = seen_way(&k, &new);
	return w && !new && seen_live(&w->v, ts) ? w->v.first_ns : 0;
}

/* Mark key k seen at ts: 1 when it was not (a new entry), 0 when it was
 * (its last_ns refreshed). */
INLINE int seen_mark(struct hs_stats *st, struct hs_seen_key *k, __u64 ts)
{
	int new = 1;
	struct hs_seen_way *w = seen_way(k, &new);

	if (!w)
		return 1;
	if (!new && seen_live(&w->v, ts)) {
		w->v.last_ns = ts;
		return 0;
	}
	seen_put(st, w, k, ts);
	return 1;
}

/* Count the source of a ClientHello of fp (id kid) as seen; returns when
 * it was first seen with kid (ts when new). record: the connection's
 * record is put next (count_hello), and a new source reads its set ahead
 * (conn_read_ahead). */
INLINE __u64 seen_source(struct hs_stats *st, struct hs_tls_fp *fp, __u64 kid,
			 const struct hs_endpoints *ep, __u64 ts, const int record)
{
	struct hs_seen_way *w;
	struct hs_seen_key k;
	__u64 first = ts;
	int novel = 1, new = 1;

	seen_key(&k, kid, ep);
	w = seen_way(&k, &new);
	if (!w)
		return ts;
	if (!new && seen_live(&w->v, ts)) {
		first = w->v.first_ns;
		/* refreshed once per 16th of the history, with the site's
		 * entry and the network's: each stays seen while in use */
		if (ts < w->v.last_ns || ts - w->v.last_ns < (history_ns >> 4))
			return first;
		w->v.last_ns = ts;
		novel = 0;
	} else {
		struct hs_addr_sample *smp;
		__u64 n;

		if (record)
			conn_read_ahead(ep);
		seen_put(st, w, &k, ts);
		n = __sync_fetch_and_add(&fp->novel_ips, 1);
		smp = &fp->novel_samples[n & (HS_TLS_SAMPLES - 1)];
		__builtin_memcpy(smp->addr, ep->saddr, 16);
		smp->family = ep->family;
	}
	k.fp = HS_SEEN_SITE;
	if (seen_mark(st, &k, ts) && novel)
		__sync_fetch_and_add(&fp->novel_site, 1);
	/* the network: /24 or /48 of the source */
	k.fp = kid | 1;
	if (ep->family == 4)
		__builtin_memset(k.addr + 3, 0, 13);
	else
		__builtin_memset(k.addr + 6, 0, 10);
	if (seen_mark(st, &k, ts) && novel)
		__sync_fetch_and_add(&fp->novel_nets, 1);
	return first;
}

#endif /* HS_SEEN_H */
