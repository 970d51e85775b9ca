/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hashing shared by the XDP program and userspace, so that both compute the
 * same fingerprint ids and sketch registers. Cheap on purpose: the kernel
 * side never runs a cryptographic hash.
 */
#ifndef HS_HASH_H
#define HS_HASH_H

#include <linux/types.h>
#include "hydrascope.h"

#ifndef HS_INLINE
#define HS_INLINE static inline __attribute__((always_inline))
#endif

/* Fixed seeds: ids and sketches must merge across restarts and replays. */
#define HS_SEED_TCP  0x6879647261736370ULL  /* "hydrascp" */
#define HS_SEED_ADDR 0x9e3779b97f4a7c15ULL
#define HS_SEED_PAIR 0x7061697273686873ULL  /* "pairshhs" */
#define HS_SEED_ACCOUNT 0x6163636f756e7473ULL  /* "accounts" */

/* The 64-bit finaliser of MurmurHash3: full avalanche in 2 multiplies. */
HS_INLINE __u64 hs_mix64(__u64 h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* One word into a running hash with a single multiply: a chain of these
 * ends in hs_mix64, which spreads every bit. On every SYN and ClientHello,
 * where a full mix per word made the chain the slowest part of an id. */
HS_INLINE __u64 hs_hash_step(__u64 h, __u64 w)
{
	return (h ^ w) * 0x9e3779b97f4a7c15ULL;
}

/* Fold n 64-bit words into one hash. */
HS_INLINE __u64 hs_hash_words(const __u64 *w, int n, __u64 seed)
{
	__u64 h = seed;
	int i;

	for (i = 0; i < n; i++)
		h = hs_hash_step(h, w[i]);
	return hs_mix64(h);
}

/* Initial TTL as p0f guesses it: the hop distance is not part of a stack. */
HS_INLINE __u8 hs_ttl_initial(__u8 ttl)
{
	return ttl <= 32 ? 32 : ttl <= 64 ? 64 : ttl <= 128 ? 128 : 255;
}

/*
 * A SYN signature's TCP fingerprint id (generation bit not set) and its
 * stack id (the same with the TTL read as its initial value). They differ
 * only in the first word, which holds the TTL: the other words are folded
 * once, that one last, and the two ends are mixed side by side.
 */
HS_INLINE __u64 hs_tcp_ids(const struct hs_tcp_sig *s, __u64 *stack)
{
	const __u64 *sw = (const __u64 *)s;
	struct hs_tcp_sig first;
	__u64 h = HS_SEED_TCP, w0;
	unsigned int i;

	for (i = 1; i < HS_TCP_SIG_WORDS; i++)
		h = hs_hash_step(h, sw[i]);
	__builtin_memcpy(&first, s, 8);
	first.ttl = hs_ttl_initial(s->ttl);
	__builtin_memcpy(&w0, &first, 8);
	*stack = hs_mix64(hs_hash_step(h, w0));
	return hs_mix64(hs_hash_step(h, sw[0]));
}

/* Hash of up to 16 address bytes given as two words plus the family. */
HS_INLINE __u64 hs_hash_addr(__u64 lo, __u64 hi, __u8 family)
{
	return hs_mix64(hs_mix64(lo ^ HS_SEED_ADDR ^ family) ^ hi);
}

/* Slot of a connection in the flows array (nslots, a power of two): the
 * low address words (client's a, server's b) and the ports as the TCP
 * header holds them (client's first, network order). The XDP program's,
 * and userspace's (lookup) to find the same slot. */
HS_INLINE __u32 hs_flow_slot(__u32 a, __u32 b, __u32 ports, __u32 nslots)
{
	return (__u32)hs_mix64(((__u64)a << 32 | b) ^ ports) & (nslots - 1);
}

/* The pairs map's id of a TLS fingerprint id (generation bit ignored) over
 * a TCP stack id; the map key is HS_GEN_KEY of it. */
HS_INLINE __u64 hs_pair_id(__u64 tls_id, __u64 stack_id)
{
	return hs_mix64(hs_hash_step(hs_hash_step(HS_SEED_PAIR, tls_id & ~1ULL), stack_id));
}

/* Leading zeros of a non-zero 64-bit value, without a clz instruction. */
HS_INLINE __u32 hs_clz64(__u64 x)
{
	__u32 n = 0;

	if (!(x >> 32)) { n += 32; x <<= 32; }
	if (!(x >> 48)) { n += 16; x <<= 16; }
	if (!(x >> 56)) { n += 8;  x <<= 8; }
	if (!(x >> 60)) { n += 4;  x <<= 4; }
	if (!(x >> 62)) { n += 2;  x <<= 2; }
	if (!(x >> 63)) { n += 1; }
	return n;
}

/* HyperLogLog: register index from the top P bits ... */
HS_INLINE __u32 hs_hll_index(__u64 h)
{
	return (__u32)(h >> (64 - HS_HLL_P));
}

/* ... and the rank (position of the first 1) of the remaining bits. */
HS_INLINE __u8 hs_hll_rank(__u64 h)
{
	/* A sentinel bit bounds the rank at 64 - P + 1. */
	__u64 rest = (h << HS_HLL_P) | (1ULL << (HS_HLL_P - 1));

	return (__u8)(hs_clz64(rest) + 1);
}

#endif /* HS_HASH_H */
