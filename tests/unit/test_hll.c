// SPDX-License-Identifier: BSD-3-Clause
/*
 * Unit tests of the sketches: the address hash and the registers as
 * PostgreSQL's hll extension makes them, the estimator, merges, and the
 * extension's storage format. Expected hashes and sketch bytes come from
 * the real extension (postgresql-15-hll): hll_hash_bytea and
 * hll_add_agg(hll_hash_bytea(x), 10, 5, ...) over the same bytes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hll.h"
#include "hs_hash.h"
#include "check.h"

#define SE (1.04 / sqrt(HS_HLL_M))   /* the standard error */

/* Fill registers the way the XDP program does. */
static void hll_add(__u8 *reg, __u64 h)
{
	__u32 i = hs_hll_index(h);
	__u8 r = hs_hll_rank(h);

	if (reg[i] < r)
		reg[i] = r;
}

static void v4(__u8 a[16], __u32 i)
{
	memset(a, 0xee, 16);    /* past the address: never hashed */
	a[0] = (__u8)(i >> 24);
	a[1] = (__u8)(i >> 16);
	a[2] = (__u8)(i >> 8);
	a[3] = (__u8)i;
}

static size_t unhex(const char *s, __u8 *out, size_t max)
{
	size_t n = 0;

	for (; s[0] && s[1] && n < max; s += 2) {
		char b[3] = { s[0], s[1], 0 };

		out[n++] = (__u8)strtoul(b, NULL, 16);
	}
	return n;
}

/* hll_hash_bytea as the extension computes it, as int8 */
static const struct {
	const char *hex;
	long long want;
} pg_hashes[] = {
	{ "00000001", -4069959284402364209LL },
	{ "00000002", -3248873570005575792LL },
	{ "00000003", 9010454139840013625LL },
	{ "0a000001", -5497434528627776251LL },
	{ "0a0000", -3349799720137806834LL },                     /* 10.0.0.0/24 */
	{ "20010db8000000000000000000000001", 7690651592769139653LL },
	{ "20010db80000", 6700107625255798647LL },                 /* its /48 */
	{ "", 0 },
	{ "01", 8849112093580131862LL },
	{ "0102030405060708090a", 6592384700563561155LL },
	{ "0102030405060708090a0b0c0d0e0f10", -5563837382979743776LL },
	{ "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	  "0123456789abcdef0102030405", -731180237933832084LL },   /* 45 bytes */
};

static void hash_is_pg_hll_hash_bytea(void **st)
{
	unsigned int k, i;
	__u8 b[64], a[16];

	(void)st;
	fails = 0;
	for (k = 0; k < sizeof(pg_hashes) / sizeof(pg_hashes[0]); k++) {
		size_t n = unhex(pg_hashes[k].hex, b, sizeof(b));

		CHECK_INT(pg_hashes[k].hex, "hll_hash_bytea", pg_hashes[k].want,
			  (long long)hs_mm3_bytes(b, n));
		memcpy(a, b, 16);
		if (n == 4)
			CHECK_INT(pg_hashes[k].hex, "hs_hash_addr", pg_hashes[k].want,
				  (long long)hs_hash_addr(a, 4));
		if (n == 16)
			CHECK_INT(pg_hashes[k].hex, "hs_hash_addr", pg_hashes[k].want,
				  (long long)hs_hash_addr(a, 6));
	}
	/* the address and network forms against the bytes' hash */
	srand(16);
	for (i = 0; i < 10000; i++) {
		for (k = 0; k < 16; k++)
			a[k] = (__u8)rand();
		CHECK_HEX("IPv6", "address", hs_mm3_bytes(a, 16), hs_hash_addr(a, 6));
		CHECK_HEX("IPv6", "/48", hs_mm3_bytes(a, 6), hs_hash_net(a, 6));
		CHECK_HEX("IPv4", "address", hs_mm3_bytes(a, 4), hs_hash_addr(a, 4));
		CHECK_HEX("IPv4", "/24", hs_mm3_bytes(a, 3), hs_hash_net(a, 4));
		if (fails)
			break;
	}
	CHECKS_DONE();
}

static void register_layout(void **st)
{
	(void)st;
	/* index: the low 10 bits; value: 1 + trailing zeros of the rest */
	assert_int_equal(hs_hll_index(0x3ff), HS_HLL_M - 1);
	assert_int_equal(hs_hll_index(~0ULL), HS_HLL_M - 1);
	assert_int_equal(hs_hll_index(1ULL << 10), 0);
	assert_int_equal(hs_hll_rank(0x3ff), 0);        /* nothing above: 0 */
	assert_int_equal(hs_hll_rank(0), 0);
	assert_int_equal(hs_hll_rank(1ULL << 10), 1);
	assert_int_equal(hs_hll_rank(~0ULL), 1);
	assert_int_equal(hs_hll_rank(3ULL << 11), 2);
	assert_int_equal(hs_hll_rank(1ULL << 39), 30);
	assert_int_equal(hs_hll_rank(1ULL << 40), 31);  /* 30 zeros */
	assert_int_equal(hs_hll_rank(1ULL << 41), 31);  /* clamped */
	assert_int_equal(hs_hll_rank(1ULL << 63), 31);
}

/* The extension's value, spelled out with the compiler's ctz. */
static __u8 rank_ref(__u64 h)
{
	__u64 w = h >> 10;
	unsigned int z;

	if (!w)
		return 0;
	z = (unsigned int)__builtin_ctzll(w);
	return (__u8)(z >= 30 ? 31 : z + 1);
}

static void rank_is_ctz(void **st)
{
	unsigned int i;
	__u64 h = 1;

	(void)st;
	for (i = 0; i < 32; i++) {
		assert_int_equal(hs_ctz32(1u << i), i);
		assert_int_equal(hs_ctz32(~0u << i), i);
	}
	for (i = 0; i < 64; i++)
		assert_int_equal(hs_hll_rank(1ULL << i), rank_ref(1ULL << i));
	for (i = 0; i < 1000000; i++) {
		h = hs_mix64(h + i);
		/* every count of zeros, not only the few that random ones have */
		if (hs_hll_rank(h) != rank_ref(h) ||
		    hs_hll_rank(h << (i % 64)) != rank_ref(h << (i % 64)))
			fail_msg("rank of %#llx: expected %u, got %u", (unsigned long long)h,
				 rank_ref(h), hs_hll_rank(h));
	}
}

/* Distinct addresses added one pass up to the largest count, the
 * estimate checked at each count on the way. */
static void estimates(int family, const unsigned int *ns, unsigned int nn)
{
	static __u8 reg[HS_HLL_M];
	unsigned int i = 0, k;
	__u8 a[16];

	memset(reg, 0, sizeof(reg));
	assert_true(hll_estimate(reg) == 0);
	for (k = 0; k < nn; k++) {
		double e, err;

		for (; i < ns[k]; i++) {
			if (family == 4) {
				v4(a, 0xc6120000u + i);         /* 198.18.0.0 on */
			} else {
				memset(a, 0, 16);
				a[0] = 0x20, a[1] = 0x01, a[2] = 0x0d, a[3] = 0xb8;
				memcpy(a + 8, &i, 4);
			}
			hll_add(reg, hs_hash_addr(a, (__u8)family));
		}
		e = hll_estimate(reg);
		err = fabs(e - ns[k]) / ns[k];
		print_message("# hll IPv%d n=%u estimate=%.1f error=%.2f%%\n", family, ns[k], e,
			      100 * err);
		if (err >= 3 * SE)
			fail_msg("IPv%d, %u addresses: expected within %.2f%%, got %.1f (%.2f%%)",
				 family, ns[k], 300 * SE, e, 100 * err);
	}
}

static void estimates_within_error(void **st)
{
	/* 2,500 is where regwidth 6's estimator fails in the extension, and
	 * the switch from mostly empty to mostly full registers */
	static const unsigned int n4[] = { 1, 2, 5, 10, 100, 1000, 2500, 5000, 20000, 100000,
					   300000, 1000000, 3000000 };
	static const unsigned int n6[] = { 1, 10, 1000, 2500, 100000 };

	(void)st;
	estimates(4, n4, sizeof(n4) / sizeof(n4[0]));
	estimates(6, n6, sizeof(n6) / sizeof(n6[0]));
}

static void merge_is_union(void **st)
{
	static __u8 a[HS_HLL_M], b[HS_HLL_M], u[HS_HLL_M];
	unsigned int i;
	double e;

	(void)st;
	/* a holds 0..19999, b holds 10000..29999 (overlapping), u all */
	for (i = 0; i < 30000; i++) {
		__u8 x[16] = { 0x20, 0x01, 0x0d, 0xb8 };
		__u64 h;

		memcpy(x + 12, &i, 4);
		h = hs_hash_addr(x, 6);
		if (i < 20000)
			hll_add(a, h);
		if (i >= 10000)
			hll_add(b, h);
		hll_add(u, h);
	}
	hll_merge(b, a);
	assert_memory_equal(b, u, HS_HLL_M);
	e = hll_estimate(b);
	assert_true(fabs(e - 30000) / 30000 < 3 * SE);
}

/* 0.0.0.1, 0.0.0.2, 0.0.0.3 in our registers */
static void three(__u8 *reg)
{
	__u8 a[16];
	__u32 i;

	memset(reg, 0, HS_HLL_M);
	for (i = 1; i <= 3; i++) {
		v4(a, i);
		hll_add(reg, hs_hash_addr(a, 4));
	}
}

static void decode_hex(const char *what, const char *hex, __u8 *reg)
{
	static __u8 b[HLL_PG_LEN + 64];
	const char *why = NULL;
	size_t n = unhex(hex, b, sizeof(b));

	if (hll_pg_decode(b, n, reg, &why))
		fail_msg("%s: expected to decode, got '%s'", what, why ? why : "(no reason)");
}

static void pg_format_is_the_extensions(void **st)
{
	static __u8 reg[HS_HLL_M], got[HS_HLL_M];
	__u8 out[HLL_PG_LEN], want[HLL_PG_LEN] = { 0x14, 0x8a, 0x00 };

	(void)st;
	/* hll_add_agg(hll_hash_bytea(x), 10, 5, 0, 0) over the three */
	want[132] = 0x04;
	want[199] = 0x40;
	want[573] = 0x08;
	three(reg);
	assert_int_equal(hll_pg_encode(reg, out), HLL_PG_LEN);
	assert_memory_equal(out, want, HLL_PG_LEN);
	/* the other representations the extension makes of the same three:
	 * EXPLICIT (..., 10, 5, -1, 1), SPARSE (..., 10, 5, 0, 1), and EMPTY */
	decode_hex("EXPLICIT", "128a7fc78499982ae4e0cfd2e9aeb38ba997907d0b904cfe1ca539", got);
	assert_memory_equal(got, reg, HS_HLL_M);
	decode_hex("SPARSE", "138a4033c89c879008", got);
	assert_memory_equal(got, reg, HS_HLL_M);
	memset(reg, 0, sizeof(reg));
	decode_hex("EMPTY", "118a00", got);
	assert_memory_equal(got, reg, HS_HLL_M);
	decode_hex("EMPTY, auto threshold, sparse", "118a7f", got);
	assert_memory_equal(got, reg, HS_HLL_M);
}

static void pg_round_trips(void **st)
{
	static __u8 reg[HS_HLL_M], got[HS_HLL_M];
	__u8 out[HLL_PG_LEN], a[16];
	const char *why = NULL;
	unsigned int i;

	(void)st;
	/* every value at every bit offset a register can have */
	for (i = 0; i < HS_HLL_M; i++)
		reg[i] = (__u8)((i * 7 + i / 32) % 32);
	hll_pg_encode(reg, out);
	assert_int_equal(hll_pg_decode(out, sizeof(out), got, &why), 0);
	assert_memory_equal(got, reg, HS_HLL_M);
	/* above 31: clamped */
	reg[5] = 32;
	reg[6] = 255;
	hll_pg_encode(reg, out);
	assert_int_equal(hll_pg_decode(out, sizeof(out), got, &why), 0);
	assert_int_equal(got[5], 31);
	assert_int_equal(got[6], 31);
	assert_int_equal(got[7], reg[7]);
	/* a real sketch */
	memset(reg, 0, sizeof(reg));
	for (i = 0; i < 100000; i++) {
		v4(a, 0x0a000000u + i * 7);
		hll_add(reg, hs_hash_addr(a, 4));
	}
	hll_pg_encode(reg, out);
	assert_int_equal(hll_pg_decode(out, sizeof(out), got, &why), 0);
	assert_memory_equal(got, reg, HS_HLL_M);
	assert_true(hll_estimate(got) == hll_estimate(reg));
}

static void pg_decode_refuses(void **st)
{
	static const struct {
		const char *what, *hex;
		int len;        /* > 0: the hex's bytes then zeros to len */
	} bad[] = {
		{ "nothing", "", 0 },
		{ "a header's two bytes", "148a", 0 },
		{ "version 2", "248a00", HLL_PG_LEN },
		{ "version 0", "048a00", HLL_PG_LEN },
		{ "log2m 11", "148b00", HLL_PG_LEN },
		{ "log2m 9", "148900", HLL_PG_LEN },
		{ "regwidth 6", "14aa00", HLL_PG_LEN },
		{ "regwidth 4", "146a00", HLL_PG_LEN },
		{ "FULL a byte short", "148a00", HLL_PG_LEN - 1 },
		{ "FULL a byte long", "148a00", HLL_PG_LEN + 1 },
		{ "FULL without a body", "148a00", 0 },
		{ "EMPTY with a body", "118a0000", 0 },
		{ "EXPLICIT of 7 bytes", "128a7f00000000000000", 0 },
		{ "SPARSE with a spare byte", "138a40000000", 0 },
		{ "type 0 (UNDEFINED)", "108a00", 0 },
		{ "type 5", "158a00", 0 },
		{ "type 15", "1f8a00", HLL_PG_LEN },
	};
	static __u8 b[HLL_PG_LEN + 8], reg[HS_HLL_M];
	unsigned int k;

	(void)st;
	fails = 0;
	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		size_t n = unhex(bad[k].hex, b, sizeof(b));
		const char *why = NULL;
		int rc;

		if (bad[k].len > 0) {
			memset(b + n, 0, (size_t)bad[k].len - n);
			n = (size_t)bad[k].len;
		}
		memset(reg, 7, sizeof(reg));
		rc = hll_pg_decode(b, n, reg, &why);
		CHECK_INT(bad[k].what, "hll_pg_decode", -1, rc);
		if (!why) {
			note("%s: no reason given", bad[k].what);
			fails++;
		} else {
			note("%s: refused: %s", bad[k].what, why);
		}
		CHECK_INT(bad[k].what, "registers left", 0, hll_estimate(reg));
	}
	CHECKS_DONE();
}

int main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(hash_is_pg_hll_hash_bytea),
		cmocka_unit_test(register_layout),
		cmocka_unit_test(rank_is_ctz),
		cmocka_unit_test(estimates_within_error),
		cmocka_unit_test(merge_is_union),
		cmocka_unit_test(pg_format_is_the_extensions),
		cmocka_unit_test(pg_round_trips),
		cmocka_unit_test(pg_decode_refuses),
	};

	return cmocka_run_group_tests_name("hll", t, NULL, NULL);
}
