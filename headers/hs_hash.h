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
#define HS_SEED_PAIR 0x7061697273686873ULL  /* "pairshhs" */
#define HS_SEED_ACCOUNT 0x6163636f756e7473ULL  /* "accounts" */
#define HS_SEED_CONN 0x636f6e6e73657473ULL  /* "connsets" */
#define HS_SEED_SEEN 0x7365656e73657473ULL  /* "seensets" */

/* The 64-bit finaliser of MurmurHash3: full avalanche in 2 multiplies.
 * HS_MIX64 is the same as a constant expression (of a constant: tables
 * built at compile time, bpf/tls.h's ext_mix). */
#define HS_MIX_END(h) ((h) ^ ((h) >> 33))
#define HS_MIX_STEP(h, k) (HS_MIX_END(h) * (k))
#define HS_MIX64(h) \
	HS_MIX_END(HS_MIX_STEP(HS_MIX_STEP((__u64)(h), 0xff51afd7ed558ccdULL), 0xc4ceb9fe1a85ec53ULL))

HS_INLINE __u64 hs_mix64(__u64 h)
{
	h = HS_MIX_STEP(h, 0xff51afd7ed558ccdULL);
	h = HS_MIX_STEP(h, 0xc4ceb9fe1a85ec53ULL);
	return HS_MIX_END(h);
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

/* The start of a signature's chain: its words 1 and 2 (option kinds
 * 4-19), the same for every SYN of one option layout: a constant for
 * each of the XDP program's option templates. */
HS_INLINE __u64 hs_tcp_ids_head(__u64 w1, __u64 w2)
{
	return hs_hash_step(hs_hash_step(HS_SEED_TCP, w1), w2);
}

/*
 * A SYN signature's TCP fingerprint id (generation bit not set) and its
 * stack id (the same with the TTL read as its initial value), from the
 * start of its chain (hs_tcp_ids_head of its words 1 and 2). They differ
 * only in the first word, which holds the TTL: the other words are folded
 * once, that one last, and the two ends are mixed side by side.
 */
HS_INLINE __u64 hs_tcp_ids_from(__u64 head, const struct hs_tcp_sig *s, __u64 *stack)
{
	const __u64 *sw = (const __u64 *)s;
	struct hs_tcp_sig first;
	__u64 h = head, w0;
	unsigned int i;

	for (i = 3; i < HS_TCP_SIG_WORDS; i++)
		h = hs_hash_step(h, sw[i]);
	__builtin_memcpy(&first, s, 8);
	first.ttl = hs_ttl_initial(s->ttl);
	__builtin_memcpy(&w0, &first, 8);
	*stack = hs_mix64(hs_hash_step(h, w0));
	return hs_mix64(hs_hash_step(h, sw[0]));
}

HS_INLINE __u64 hs_tcp_ids(const struct hs_tcp_sig *s, __u64 *stack)
{
	const __u64 *sw = (const __u64 *)s;

	return hs_tcp_ids_from(hs_tcp_ids_head(sw[1], sw[2]), s, stack);
}

/* A connection's flow hash: the low address words (client's a, server's
 * b) and the ports as the TCP header holds them (client's first, network
 * order). Its low bits are the connection's slot in the flows array
 * (hs_flow_slot), its top seven its slot's tag bits (hs_flow_tag_bits). */
HS_INLINE __u64 hs_flow_hash(__u32 a, __u32 b, __u32 ports)
{
	return hs_mix64(((__u64)a << 32 | b) ^ ports);
}

/* Slot of a connection in the flows array (nslots, a power of two, at
 * most 2^32): the XDP program's, and userspace's (lookup) to find the
 * same slot. */
HS_INLINE __u32 hs_flow_slot(__u32 a, __u32 b, __u32 ports, __u32 nslots)
{
	return (__u32)hs_flow_hash(a, b, ports) & (nslots - 1);
}

/* A flow slot's tag bits (struct hs_flow_tags) for a connection of flow
 * hash h: two connections with different bits differ in the words hashed
 * (the bits are above any slot's: two connections of one slot mostly
 * differ in them). */
HS_INLINE __u8 hs_flow_tag_bits(__u64 h)
{
	return (__u8)(h >> 57);
}

/* The flow hash of a connection's endpoints: the addresses' last words,
 * the ports as the TCP header holds them. */
HS_INLINE __u64 hs_flow_hash_ep(const struct hs_endpoints *ep)
{
	int lo = ep->family == 6 ? 3 : 0;
	__u32 a = ((const __u32 *)ep->saddr)[lo], b = ((const __u32 *)ep->daddr)[lo], ports;
	__u8 pb[4] = { (__u8)(ep->sport >> 8), (__u8)ep->sport,
		       (__u8)(ep->dport >> 8), (__u8)ep->dport };

	__builtin_memcpy(&ports, pb, sizeof(ports));
	return hs_flow_hash(a, b, ports);
}

/* Flow slot f's tag as its state and endpoints make it: the XDP
 * program's with each state it sets (bpf/flow.h), userspace's for the
 * slots it finds (hs_flow_tags_fill). */
HS_INLINE __u8 hs_flow_tag_of(const struct hs_flow *f)
{
	if (!f->state)
		return HS_FLOW_TAG_NONE;
	return HS_FLOW_TAG_OWNER | hs_flow_tag_bits(hs_flow_hash_ep(&f->ep));
}

/* Set of a connection's client side (its record's key, padding zero) in
 * the conns array (nsets, a power of two): the XDP program's, the sockopt
 * programs' and userspace's (lookup). */
HS_INLINE __u32 hs_conn_set(const struct hs_conn_key *k, __u32 nsets)
{
	__u64 w[3];

	__builtin_memcpy(w, k, sizeof(w));
	return (__u32)hs_hash_words(w, 3, HS_SEED_CONN) & (nsets - 1);
}

/* Set of a seen map key in the seen array (nsets, a power of two): the
 * XDP program's, and userspace's (the seen history's load). */
HS_INLINE __u32 hs_seen_set(const struct hs_seen_key *k, __u32 nsets)
{
	__u64 w[3];

	__builtin_memcpy(w, k, sizeof(w));
	return (__u32)hs_hash_words(w, 3, HS_SEED_SEEN) & (nsets - 1);
}

/* Slot of a QUIC flow in the quic_flows array (nslots, a power of two):
 * the client address's last word (network order, as read) and the UDP
 * header's first word as the client's datagram has it (source port, then
 * destination port, network order); the server address is not in it. */
#define HS_QUIC_SLOT_SALT 0x71756963u  /* "quic" */
HS_INLINE __u32 hs_quic_slot(__u32 client_lo, __u32 ports, __u32 nslots)
{
	return hs_flow_slot(client_lo, HS_QUIC_SLOT_SALT, ports, nslots);
}

/* The first slot of a QUIC flow's set in the quic_flows array when its
 * sets are of ways slots (a power of two, at most HS_QUIC_WAYS): the
 * set's slots are that one and the ways - 1 after it. One way: the slot
 * hs_quic_slot gives over the whole array. */
HS_INLINE __u32 hs_quic_set(__u32 client_lo, __u32 ports, __u32 ways)
{
	return hs_quic_slot(client_lo, ports, HS_QUIC_FLOWS_MAX / ways) * ways;
}

/* The pairs map's id of a TLS fingerprint id (generation bit ignored) over
 * a TCP stack id; the map key is HS_GEN_KEY of it. */
HS_INLINE __u64 hs_pair_id(__u64 tls_id, __u64 stack_id)
{
	return hs_mix64(hs_hash_step(hs_hash_step(HS_SEED_PAIR, tls_id & ~1ULL), stack_id));
}

/*
 * MurmurHash3 x64 128 with seed 0, its first 64 bits (h1): what PostgreSQL's
 * hll extension's hll_hash_bytea returns for the same bytes, so that the
 * address sketches are the ones SQL builds from addresses of any source.
 * Our own code after the public-domain reference (Austin Appleby's
 * MurmurHash3_x64_128): 16-byte blocks, the last 0-15 bytes, a finaliser.
 * Words are read little-endian, as the reference reads them on the hosts
 * the extension runs on (x86-64, arm64).
 */
#define HS_MM3_C1 0x87c37b91114253d5ULL
#define HS_MM3_C2 0x4cf5ad432745937fULL

HS_INLINE __u64 hs_rotl64(__u64 x, int r)
{
	return x << r | x >> (64 - r);
}

/* One 16-byte block, as its two little-endian words k1, k2, into h1, h2. */
HS_INLINE void hs_mm3_block(__u64 *h1, __u64 *h2, __u64 k1, __u64 k2)
{
	*h1 ^= hs_rotl64(k1 * HS_MM3_C1, 31) * HS_MM3_C2;
	*h1 = (hs_rotl64(*h1, 27) + *h2) * 5 + 0x52dce729;
	*h2 ^= hs_rotl64(k2 * HS_MM3_C2, 33) * HS_MM3_C1;
	*h2 = (hs_rotl64(*h2, 31) + *h1) * 5 + 0x38495ab5;
}

/* The last len % 16 bytes as two words, zero-padded (a zero word leaves its
 * half as it is, so a tail of up to 8 bytes, or none, needs no case of its
 * own), then the finaliser over the whole length: h1. */
HS_INLINE __u64 hs_mm3_end(__u64 h1, __u64 h2, __u64 k1, __u64 k2, __u64 len)
{
	h2 ^= hs_rotl64(k2 * HS_MM3_C2, 33) * HS_MM3_C1;
	h1 ^= hs_rotl64(k1 * HS_MM3_C1, 31) * HS_MM3_C2;
	h1 ^= len;
	h2 ^= len;
	h1 += h2;
	h2 += h1;
	return hs_mix64(h1) + hs_mix64(h2);
}

/* Bytes p[i .. i+8) (fewer at end) as a little-endian word. */
HS_INLINE __u64 hs_le64(const __u8 *p, __u64 i, __u64 end)
{
	__u64 w = 0;
	unsigned int j;

	for (j = 0; j < 8 && i + j < end; j++)
		w |= (__u64)p[i + j] << j * 8;
	return w;
}

/* hll_hash_bytea of len bytes (userspace: tests, SQL's side of things). */
HS_INLINE __u64 hs_mm3_bytes(const __u8 *p, __u64 len)
{
	__u64 h1 = 0, h2 = 0, i;

	for (i = 0; i + 16 <= len; i += 16)
		hs_mm3_block(&h1, &h2, hs_le64(p, i, len), hs_le64(p, i + 8, len));
	return hs_mm3_end(h1, h2, hs_le64(p, i, len), hs_le64(p, i + 8, len), len);
}

/*
 * The sketches' hash of a source address (struct hs_endpoints' saddr:
 * network order, IPv4 in the first 4 bytes): hll_hash_bytea of its 4 or 16
 * bytes. Its network's, /24 for IPv4 and /48 for IPv6: of the first 3 or 6
 * bytes, as SQL's hll_hash_bytea(substring(addr from 1 for 3)).
 */
HS_INLINE __u64 hs_hash_addr(const __u8 *addr, __u8 family)
{
	__u64 lo, hi, h1 = 0, h2 = 0;

	__builtin_memcpy(&lo, addr, 8);
	if (family == 4)
		return hs_mm3_end(0, 0, lo & 0xffffffffULL, 0, 4);
	__builtin_memcpy(&hi, addr + 8, 8);
	hs_mm3_block(&h1, &h2, lo, hi);
	return hs_mm3_end(h1, h2, 0, 0, 16);
}

HS_INLINE __u64 hs_hash_net(const __u8 *addr, __u8 family)
{
	__u64 lo;

	__builtin_memcpy(&lo, addr, 8);
	if (family == 4)
		return hs_mm3_end(0, 0, lo & 0xffffffULL, 0, 3);
	return hs_mm3_end(0, 0, lo & 0xffffffffffffULL, 0, 6);
}

/*
 * HyperLogLog registers as the hll extension (Aggregate Knowledge's storage
 * format, log2m 10, regwidth 5) fills them, so that PostgreSQL merges the
 * maps' sketches as they are: the register index is the low log2m bits of
 * the hash ...
 */
HS_INLINE __u32 hs_hll_index(__u64 h)
{
	return (__u32)h & (HS_HLL_M - 1);
}

/* Trailing zeros of a non-zero 32-bit x (BPF has no ctz instruction): its
 * lowest set bit times the de Bruijn sequence 0x077cb531 leaves a distinct
 * pattern in the top 5 bits, and a table (the BPF object's .rodata) maps
 * it back. In a chain of hashes each fed its rank, in an XDP program, a
 * rank added 4.2 ns this way, 5.3 ns as a branchless popcount of the
 * zeros, 5.5 ns as a bisect (its branches mispredicted on random hashes). */
HS_INLINE __u32 hs_ctz32(__u32 x)
{
	/* volatile: in .rodata, not in .rodata.cst32 (merged constants),
	 * which libbpf 1.1 does not load */
	static const volatile __u8 pos[32] = {
		0, 1, 28, 2, 29, 14, 24, 3, 30, 22, 20, 15, 25, 17, 4, 8,
		31, 27, 13, 23, 21, 19, 16, 7, 26, 12, 18, 6, 11, 5, 10, 9,
	};

	return pos[((x & -x) * 0x077cb531u) >> 27 & 31];
}

/*
 * ... and its value 1 + the trailing zeros of the remaining bits, at most
 * HS_HLL_VMAX (31: at least 30 zeros, a sentinel bit bounds the count),
 * 0 when they are all zero (1 in 2^54).
 */
HS_INLINE __u8 hs_hll_rank(__u64 h)
{
	__u64 w = h >> HS_HLL_P;

	if (!w)
		return 0;
	return (__u8)(hs_ctz32((__u32)w | 1u << (HS_HLL_VMAX - 1)) + 1);
}

#endif /* HS_HASH_H */
