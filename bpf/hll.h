/* SPDX-License-Identifier: BSD-3-Clause */
/* HyperLogLog sketches in map values: one hash into one or two sketches. */
#ifndef HS_HLL_H
#define HS_HLL_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "hydrascope.h"
#include "hs_hash.h"
#include "consts.h"
#include "globals.h"

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

/* make bench only (bench_old_hash): the address hash of layout 9, two
 * rounds of hs_mix64 over the address words, to time the extension's
 * hash beside it in the same object */
INLINE __u64 bench_hash_addr_old(const __u8 *addr, __u8 family, int net)
{
	__u64 lo, hi;

	__builtin_memcpy(&lo, addr, 8);
	__builtin_memcpy(&hi, addr + 8, 8);
	if (net) {
		lo &= family == 4 ? 0xffffffULL : 0xffffffffffffULL;
		hi = 0;
		family |= 0x80;
	}
	return hs_mix64(hs_mix64(lo ^ 0x9e3779b97f4a7c15ULL ^ family) ^ hi);
}

/* A source's address and network hashes (see hs_hll_add_src). The
 * address read as the 8-aligned words it is (struct hs_endpoints): from a
 * byte pointer clang reads each word a byte at a time, where it cannot
 * see the struct (a pointer argument). */
INLINE void hll_src_hashes(const struct hs_endpoints *ep, __u64 *ha, __u64 *hn)
{
	const __u8 *a = __builtin_assume_aligned(ep->saddr, 8);

	if (bench_old_hash) {
		*ha = bench_hash_addr_old(a, ep->family, 0);
		*hn = bench_hash_addr_old(a, ep->family, 1);
	} else {
		*ha = hs_hash_addr(a, ep->family);
		*hn = hs_hash_net(a, ep->family);
	}
}

/* Distinct sources and their networks (/24 for IPv4, /48 for IPv6) into
 * ips and nets, and into ips2 and nets2 unless they are NULL (any may be):
 * each address hashed once for both, with PostgreSQL hll's hll_hash_bytea
 * of its bytes (hs_hash.h). A global subprogram too: the two hashes, each
 * with an IPv4 and an IPv6 path, are verified once, not at every caller. */
__noinline int hs_hll_add_src(struct hll_regs *ips, struct hll_regs *nets, struct hll_regs *ips2,
			      struct hll_regs *nets2, const struct hs_endpoints *ep)
{
	__u64 ha, hn;

	if (!ep)
		return 0;
	hll_src_hashes(ep, &ha, &hn);
	hs_hll_add(ips, ips2, ha);
	hs_hll_add(nets, nets2, hn);
	return 0;
}

/* The register of hash h in sketch regs raised to its rank (inline). */
INLINE void hll_put(__u8 *regs, __u64 h)
{
	__u32 idx = hs_hll_index(h) & (HS_HLL_M - 1);
	__u8 rank = hs_hll_rank(h);

	if (regs[idx] < rank)
		regs[idx] = rank;
}

/* Every sketch a counted ClientHello goes into, inline (in hs_count_in,
 * itself verified once): its source's hashes ha and hn
 * (hll_src_hashes) into its fingerprint's sketches and, when it has one
 * (pp not NULL), its pair's; its TCP stack (stack_id, 0: none) into the
 * fingerprint's stacks. The same registers as hs_hll_add_src and
 * hs_hll_add one after the other, without their four calls. */
INLINE void hll_hello(struct hs_tls_fp *fp, struct hs_pair *pp, __u64 ha, __u64 hn,
		      __u64 stack_id)
{
	hll_put(fp->hll_ips, ha);
	hll_put(fp->hll_nets, hn);
	if (pp) {
		hll_put(pp->hll_ips, ha);
		hll_put(pp->hll_nets, hn);
	}
	if (stack_id)
		hll_put(fp->hll_tcp, hs_mix64(stack_id));
}

#define hll_add_src(ips, nets, ips2, nets2, ep) \
	hs_hll_add_src((struct hll_regs *)(ips), (struct hll_regs *)(nets), \
		       (struct hll_regs *)(ips2), (struct hll_regs *)(nets2), (ep))

#endif /* HS_HLL_H */
