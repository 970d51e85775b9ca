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

/* The extension's own sketches, hll_add_agg(hll_hash_integer(i), 10, 5,
 * 0, 1) over i = 1..400 (SPARSE: 336 registers set) and 1..1000 (FULL) */
static const char ext_400[] =
	"138a4001c60404100826105c20c8c23084a209c2140829285410b02190c38087"
	"430f0c1f103f0880110c223904920a4314c62a845610b0316c22e045d10bc117"
	"cc30986508d011c0238887420ea1214643088a311622484498495092c126424d"
	"909c1140228845208a5094e12b425788b4116c12e025c88c24988331446304ca"
	"119a133c26a0cd721b0136426d04df09c4139027384ea11da13bc27b08f811f2"
	"13f468091072218143448785131228145488b8d191238147469085240a4c149c"
	"49405290a5a24b86999134326e14ec89e913e128025102a38d4b129e654c2ad0"
	"d5c12ba15982b48d6a22d825b4ab785700ae425cccbb897812f415fc6c209850"
	"b0e16202c5058b0b18b6404ca8d96133026702cf059f2344169c4d405ad335e3"
	"6c46d909b41b6a36e44dd0dbf138017044e389cc0ba827544ed0de013c257902"
	"f405e913d617b42f989fb1c0c181c905120b0c18684c30a06182c3428943131a"
	"280c5418b0b168a310c6c48f031e8640148a391c528125514ac196052c8a621c"
	"c8299c93406740cf019e833e0a7e15021a107430a882d121a4054886950d2c1a"
	"5c74c0a99154c1a9c55506ac1d5a2ac85598ab5156e1ae875d86bf158a1b1c96"
	"406d61db27b6c56f86e315ca1ba037806f70df41bec57e06fd0dfc2bfc980070"
	"40e0a1c1838387080e145c305880b130e361c7039107270e523cc839a0b35267"
	"01cfc3a08f4f1ea42d4c7aa8b5b0ebc1d805b08b6416cc1da85b5a36e0ee01dc"
	"43b9877d0f0a1e203c5078b271a1e383c78b900f221e507cb07980f481e949d5"
	"87ac175c1ec45db07bb0f782f145e68bd217a64f505eb13d70fb04f643ed8be1"
	"2fc43f903f40bea0fd68fb83f807f50fee1fe05fd17fb100";
static const char ext_1000[] =
	"148a4000003080053000118402180011002108c2310000080422084111441080"
	"61000631006008c6630081088a11880409000004020006300840180040882601"
	"800010210800100462088012040410029000002000101041004c200080110820"
	"0422004041002111041104010040100402000401804008843200010012018820"
	"0106000441200001900408442100011882008001300401886100420100411040"
	"208c200106000c04280001080400082090030080108c000840010042184c1088"
	"600000430021000c4010401000008c0308082000261840100840008601040011"
	"0000084018c8011521080460804210820000030040211c211802158000100000"
	"8c8110021084242002300002080210980308c4018c6000862101220882208022"
	"01040380011840110c0000c60380201940008401088010842100402180a00040"
	"3080040000030024004833006000021104022904000c0008000004c208020288"
	"00284200048210400188001000000c2200440100202000000822108401004008"
	"060204c418000008c01800208440090411004000c00180402840108000304002"
	"0c431084010c40000011002200042188a008045088011806100403000a210424"
	"0804318001208000006001c43000020800201000100000000308042000030004"
	"3084640802318841100a11000210061004420004108460004220804100c20008"
	"0000c2311000080011842718c001000008c61000031004330801094010002518"
	"861100400004800c20084a318000004000840210000004001802600465084001"
	"80240800108002088001906000c422004000802000a00804110003000a100821"
	"180022082100044208812040200c21094a03804019028004210900018401108a"
	"200400";

/* hex's sketch decoded and encoded again: the same bytes */
static void same_bytes(const char *what, const char *hex)
{
	static __u8 b[HLL_PG_LEN + 64], reg[HS_HLL_M];
	__u8 out[HLL_PG_LEN];
	size_t n = unhex(hex, b, sizeof(b));

	decode_hex(what, hex, reg);
	if (hll_pg_encode(reg, out) != n || memcmp(out, b, n))
		fail_msg("%s: encoded again, not the extension's %zu bytes", what, n);
}

static void pg_format_is_the_extensions(void **st)
{
	static __u8 reg[HS_HLL_M], got[HS_HLL_M];
	__u8 out[HLL_PG_LEN], full[HLL_PG_LEN] = { 0 };
	const char *why = NULL;
	static const __u8 sparse3[] = { 0x13, 0x8a, 0x40, 0x33, 0xc8, 0x9c, 0x87, 0x90, 0x08 };

	(void)st;
	/* hll_add_agg(hll_hash_bytea(x), 10, 5, 0, 1) over the three */
	three(reg);
	assert_int_equal(hll_pg_encode(reg, out), sizeof(sparse3));
	assert_memory_equal(out, sparse3, sizeof(sparse3));
	/* the same three in the other representations the extension makes:
	 * FULL of (..., 10, 5, 0, 0), EXPLICIT (..., 10, 5, -1, 1) */
	full[0] = 0x14, full[1] = 0x8a, full[132] = 0x04, full[199] = 0x40, full[573] = 0x08;
	assert_int_equal(hll_pg_decode(full, sizeof(full), got, &why), 0);
	assert_memory_equal(got, reg, HS_HLL_M);
	decode_hex("EXPLICIT", "128a7fc78499982ae4e0cfd2e9aeb38ba997907d0b904cfe1ca539", got);
	assert_memory_equal(got, reg, HS_HLL_M);
	/* the extension's choice of SPARSE or FULL, byte for byte */
	same_bytes("SPARSE, 400 values", ext_400);
	same_bytes("FULL, 1000 values", ext_1000);
	/* EMPTY, as the extension writes it with our parameters */
	memset(reg, 0, sizeof(reg));
	assert_int_equal(hll_pg_encode(reg, out), 3);
	assert_memory_equal(out, "\x11\x8a\x40", 3);
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
