/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Enforcement (run --enforce): the verdict for a ClientHello whose TLS
 * fingerprint id has a live entry in the enforce map. With enforce_mode
 * HS_ENF_OFF the verifier prunes all of it, XDP_DROP included.
 */
#ifndef HS_ENFORCE_H
#define HS_ENFORCE_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "hydrascope.h"
#include "consts.h"
#include "globals.h"
#include "maps.h"

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

#endif /* HS_ENFORCE_H */
