/* SPDX-License-Identifier: BSD-3-Clause */
/* HyperLogLog sketches in map values: one hash into one or two sketches. */
#ifndef HS_HLL_H
#define HS_HLL_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "hydrascope.h"
#include "hs_hash.h"
#include "consts.h"

struct hll_regs {
	__u8 r[HS_HLL_M];
};

/* One hash into the sketch reg and, unless NULL, into reg2 as well (a
 * ClientHello's source goes to its fingerprint's and its pair's). A global
 * subprogram: verified once, not once per inlined branch path. */
__noinline int hs_hll_add(struct hll_regs *reg, struct hll_regs *reg2, __u64 h)
{
	__u32 idx = hs_hll_index(h) & (HS_HLL_M - 1);
	__u8 rank = hs_hll_rank(h);

	/* check first: most adds do not raise the register, and a read is cheap */
	if (reg && reg->r[idx] < rank)
		reg->r[idx] = rank;
	if (reg2 && reg2->r[idx] < rank)
		reg2->r[idx] = rank;
	return 0;
}

#define hll_add(regs, h) hs_hll_add((struct hll_regs *)(regs), NULL, (h))

/* Distinct sources and their networks (/24 for IPv4, /48 for IPv6) into
 * ips and nets, and into ips2 and nets2 unless they are NULL: each address
 * hashed once for both. */
INLINE void hll_add_src(__u8 *ips, __u8 *nets, __u8 *ips2, __u8 *nets2,
			const struct hs_endpoints *ep)
{
	__u64 lo, hi;

	__builtin_memcpy(&lo, ep->saddr, 8);
	__builtin_memcpy(&hi, ep->saddr + 8, 8);
	hs_hll_add((struct hll_regs *)ips, (struct hll_regs *)ips2,
		   hs_hash_addr(lo, hi, ep->family));
	lo &= ep->family == 4 ? 0xffffffULL : 0xffffffffffffULL;
	hs_hll_add((struct hll_regs *)nets, (struct hll_regs *)nets2,
		   hs_hash_addr(lo, 0, ep->family | 0x80));
}

#endif /* HS_HLL_H */
