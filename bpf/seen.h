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
#include "maps.h"

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

/* When ep was first seen with kid within the history; 0: not seen. */
INLINE __u64 seen_first(__u64 kid, const struct hs_endpoints *ep, __u64 ts)
{
	struct hs_seen_key k;
	struct hs_seen *s;

	seen_key(&k, kid, ep);
	s = bpf_map_lookup_elem(&seen, &k);
	return seen_live(s, ts) ? s->first_ns : 0;
}

/* Mark key k seen at ts: 1 when it was not (a new entry), 0 when it was
 * (its last_ns refreshed). */
INLINE int seen_mark(struct hs_seen_key *k, __u64 ts)
{
	struct hs_seen *s = bpf_map_lookup_elem(&seen, k);
	struct hs_seen v = { ts, ts };

	if (seen_live(s, ts)) {
		s->last_ns = ts;
		return 0;
	}
	bpf_map_update_elem(&seen, k, &v, BPF_ANY);
	return 1;
}

/* Count the source of a ClientHello of fp (id kid) as seen; returns when
 * it was first seen with kid (ts when new). A source the map has no room
 * for (replay's map is not an LRU) is neither recorded nor counted. */
INLINE __u64 seen_source(struct hs_stats *st, struct hs_tls_fp *fp, __u64 kid,
			 const struct hs_endpoints *ep, __u64 ts)
{
	struct hs_seen_key k;
	struct hs_seen *s;
	__u64 first = ts;
	int novel = 1;

	seen_key(&k, kid, ep);
	s = bpf_map_lookup_elem(&seen, &k);
	if (seen_live(s, ts)) {
		first = s->first_ns;
		/* refreshed once per 16th of the history, with the site's
		 * entry and the network's: each stays seen while in use */
		if (ts < s->last_ns || ts - s->last_ns < (history_ns >> 4))
			return first;
		s->last_ns = ts;
		novel = 0;
	} else {
		struct hs_seen v = { ts, ts };
		struct hs_addr_sample *smp;
		__u64 n;

		if (bpf_map_update_elem(&seen, &k, &v, BPF_ANY)) {
			st->c[HS_ST_SEEN_FULL]++;
			return ts;
		}
		n = __sync_fetch_and_add(&fp->novel_ips, 1);
		smp = &fp->novel_samples[n & (HS_TLS_SAMPLES - 1)];
		__builtin_memcpy(smp->addr, ep->saddr, 16);
		smp->family = ep->family;
	}
	k.fp = HS_SEEN_SITE;
	if (seen_mark(&k, ts) && novel)
		__sync_fetch_and_add(&fp->novel_site, 1);
	/* the network: /24 or /48 of the source */
	k.fp = kid | 1;
	if (ep->family == 4)
		__builtin_memset(k.addr + 3, 0, 13);
	else
		__builtin_memset(k.addr + 6, 0, 10);
	if (seen_mark(&k, ts) && novel)
		__sync_fetch_and_add(&fp->novel_nets, 1);
	return first;
}

#endif /* HS_SEEN_H */
