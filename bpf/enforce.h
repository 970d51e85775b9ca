/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Enforcement (run --enforce): the verdict for a ClientHello whose TLS
 * fingerprint id has a live entry in the enforce map: on the whole JA4,
 * on its sources new to it since a time (scope novel), or on the JA4 over
 * one TCP stack (a pair entry). With enforce_mode HS_ENF_OFF the verifier
 * prunes all of it, XDP_DROP included.
 */
#ifndef HS_ENFORCE_H
#define HS_ENFORCE_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "hydrascope.h"
#include "hs_hash.h"
#include "consts.h"
#include "globals.h"
#include "maps.h"
#include "seen.h"

/* The verdict for a ClientHello of TLS fingerprint id (any generation)
 * from ep over stack stack_id (0: unknown). first: when ep was first seen
 * with the fingerprint (seen_source's answer), 0 to look it up here. */
INLINE int enforce_verdict(struct hs_stats *st, __u64 id, __u64 stack_id,
			   const struct hs_endpoints *ep, __u64 ts, __u64 first)
{
	struct hs_enforce *e;
	__u64 key = HS_GEN_KEY(id, 0);
	int scope = -1;

	if (enforce_mode == HS_ENF_OFF)
		return XDP_PASS;
	e = bpf_map_lookup_elem(&enforce, &key);
	if (e && ts < e->expires_ns) {
		if (e->scope != HS_SCOPE_NOVEL) {
			scope = HS_SCOPE_ALL;
		} else {
			__u64 f = first ? first : seen_first(key, ep, ts);

			if (!f || f >= e->since_ns)
				scope = HS_SCOPE_NOVEL;
		}
	}
	if (scope < 0 && stack_id) {
		key = HS_ENF_PAIR_KEY(id, stack_id);
		e = bpf_map_lookup_elem(&enforce, &key);
		if (e && ts < e->expires_ns)
			scope = HS_SCOPE_PAIR;
	}
	if (scope < 0 || !e)
		return XDP_PASS;
	st->c[HS_ST_ENFORCE_MATCHED]++;
	if (scope == HS_SCOPE_NOVEL)
		st->c[HS_ST_ENFORCE_MATCHED_NOVEL]++;
	else if (scope == HS_SCOPE_PAIR)
		st->c[HS_ST_ENFORCE_MATCHED_PAIR]++;
	if (enforce_mode != HS_ENF_DROP || e->mode != HS_ENF_DROP)
		return XDP_PASS;
	st->c[HS_ST_ENFORCE_DROPPED]++;
	if (scope == HS_SCOPE_NOVEL)
		st->c[HS_ST_ENFORCE_DROPPED_NOVEL]++;
	else if (scope == HS_SCOPE_PAIR)
		st->c[HS_ST_ENFORCE_DROPPED_PAIR]++;
	return XDP_DROP;
}

#endif /* HS_ENFORCE_H */
