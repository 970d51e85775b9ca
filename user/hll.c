// SPDX-License-Identifier: BSD-3-Clause
/*
 * HyperLogLog estimate of the registers the XDP program fills. Uses Ertl's
 * "improved raw estimator" (New cardinality estimation algorithms for
 * HyperLogLog sketches, 2017): unbiased from 0 to far beyond 2^32 without
 * empirical bias tables or a switch to linear counting.
 */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "hll.h"

#define Q (64 - HS_HLL_P)   /* register values are 0..Q+1 */

static double sigma(double x)
{
	double y = 1, z = x, prev;

	if (x == 1)
		return INFINITY;
	do {
		x *= x;
		prev = z;
		z += x * y;
		y += y;
	} while (z != prev);
	return z;
}

static double tau(double x)
{
	double y = 1, z, prev;

	if (x == 0 || x == 1)
		return 0;
	z = 1 - x;
	do {
		x = sqrt(x);
		prev = z;
		y *= 0.5;
		z -= (1 - x) * (1 - x) * y;
	} while (z != prev);
	return z / 3;
}

/* m * sigma(c0 / m) for every count of zero registers c0: the series
 * takes a dozen dependent steps per call, a table one load */
static double sigma_m[HS_HLL_M + 1];
static pthread_once_t sigma_once = PTHREAD_ONCE_INIT;

static void sigma_init(void)
{
	unsigned int i;

	for (i = 0; i <= HS_HLL_M; i++)
		sigma_m[i] = HS_HLL_M * sigma((double)i / HS_HLL_M);
}

double hll_estimate(const __u8 *reg)
{
	const double m = HS_HLL_M;
	unsigned int c[Q + 2] = { 0 }, zero = 0, top = 0;
	double z;
	unsigned int i, j;
	int k;

	/* the histogram of register values; most sketches are sparse, so
	 * registers are read 64 at a time and skipped while all zero, then
	 * eight at a time, and only the non-zero ones (lowest first) are
	 * counted one by one */
	for (i = 0; i < HS_HLL_M; i += 64) {
		__u64 w[8], any = 0;

		memcpy(w, reg + i, sizeof(w));
		for (j = 0; j < 8; j++)
			any |= w[j];
		if (!any) {
			zero += 64;
			continue;
		}
		for (j = 0; j < 8; j++) {
			__u64 x = w[j];
			unsigned int n = 0;

			while (x) {
				unsigned int b = (unsigned int)__builtin_ctzll(x) & ~7u, v;

				v = (unsigned int)(x >> b) & 0xff;
				x &= ~(0xffULL << b);
				v = v > Q + 1 ? Q + 1 : v;
				c[v]++;
				top = v > top ? v : top;
				n++;
			}
			zero += 8 - n;
		}
	}
	c[0] += zero;
	if (c[0] == HS_HLL_M)
		return 0;
	/* above the highest register value z only halves: from 0 it stays 0 */
	z = c[Q + 1] ? m * tau(1 - c[Q + 1] / m) : 0;
	for (k = z == 0 && top <= Q ? (int)top : Q; k >= 1; k--)
		z = 0.5 * (z + c[k]);
	pthread_once(&sigma_once, sigma_init);
	z += sigma_m[c[0]];
	return (m / (2 * log(2))) * m / z;
}

void hll_merge(__u8 *restrict dst, const __u8 *restrict src)
{
	unsigned int i;

	/* a plain max (no conditional store) so that it vectorizes */
	for (i = 0; i < HS_HLL_M; i++)
		dst[i] = src[i] > dst[i] ? src[i] : dst[i];
}

/* ---- the hll extension's storage format ----
 * Byte 0: version 1 (high nibble), type (low: 1 EMPTY, 2 EXPLICIT, 3
 * SPARSE, 4 FULL); byte 1: regwidth - 1 (top 3 bits), log2m (low 5);
 * byte 2: the cutoff byte (sparse on, explicit threshold). Registers and
 * sparse entries are bit-packed, most significant bit first. */
#define PG_REGW 5
#define PG_REGMAX ((1u << PG_REGW) - 1)

size_t hll_pg_encode(const __u8 *reg, __u8 out[HLL_PG_LEN])
{
	unsigned int i, bit = 0;

	memset(out, 0, HLL_PG_LEN);
	out[0] = 0x14;                                  /* version 1, FULL */
	out[1] = (PG_REGW - 1) << 5 | HS_HLL_P;
	out[2] = 0;                                     /* explicit and sparse off */
	for (i = 0; i < HS_HLL_M; i++, bit += PG_REGW) {
		unsigned int v = reg[i] > PG_REGMAX ? PG_REGMAX : reg[i];
		unsigned int sh = 16 - PG_REGW - bit % 8;   /* within two bytes */
		__u8 *p = out + 3 + bit / 8;

		p[0] |= (__u8)(v << sh >> 8);
		if (bit / 8 + 1 < HLL_PG_LEN - 3)
			p[1] |= (__u8)(v << sh);
	}
	return HLL_PG_LEN;
}

/* n bits (n <= 32) at bit offset bit of p, most significant first */
static unsigned int bits_at(const __u8 *p, size_t bit, unsigned int n)
{
	unsigned int v = 0, i;

	for (i = 0; i < n; i++, bit++)
		v = v << 1 | ((p[bit / 8] >> (7 - bit % 8)) & 1);
	return v;
}

static void pg_add_hash(__u8 *reg, __u64 h)
{
	__u64 w = h >> HS_HLL_P;
	unsigned int v = w ? (unsigned int)__builtin_ctzll(w) + 1 : 0, i = h & (HS_HLL_M - 1);

	v = v > PG_REGMAX ? PG_REGMAX : v;
	if (reg[i] < v)
		reg[i] = (__u8)v;
}

int hll_pg_decode(const __u8 *in, size_t len, __u8 *reg, const char **why)
{
	size_t i, n;

	memset(reg, 0, HS_HLL_M);
	if (len < 3 || in[0] >> 4 != 1) {
		*why = len < 3 ? "shorter than its header" : "not version 1 of the hll format";
		return -1;
	}
	if (in[1] != ((PG_REGW - 1) << 5 | HS_HLL_P)) {
		*why = "not log2m 10, regwidth 5";
		return -1;
	}
	in += 3;
	len -= 3;
	switch (in[-3] & 0xf) {
	case 1:         /* EMPTY */
		return 0;
	case 2:         /* EXPLICIT: 64-bit hashes, big-endian */
		if (len % 8)
			break;
		for (i = 0; i < len; i += 8) {
			__u64 h = 0;

			for (n = 0; n < 8; n++)
				h = h << 8 | in[i + n];
			pg_add_hash(reg, h);
		}
		return 0;
	case 3:         /* SPARSE: (index, value) entries of log2m + regwidth bits */
		n = len * 8 / (HS_HLL_P + PG_REGW);
		for (i = 0; i < n; i++) {
			unsigned int e = bits_at(in, i * (HS_HLL_P + PG_REGW), HS_HLL_P + PG_REGW);

			if ((e & PG_REGMAX) > reg[e >> PG_REGW])
				reg[e >> PG_REGW] = (__u8)(e & PG_REGMAX);
		}
		return 0;
	case 4:         /* FULL */
		if (len != HLL_PG_LEN - 3)
			break;
		/* eight registers in every five bytes */
		for (i = 0; i < HS_HLL_M; i += 8) {
			const __u8 *p = in + i / 8 * PG_REGW;
			__u64 w = (__u64)p[0] << 32 | (__u64)p[1] << 24 | (__u64)p[2] << 16 |
				  (__u64)p[3] << 8 | p[4];

			for (n = 0; n < 8; n++)
				reg[i + n] = (__u8)(w >> (35 - PG_REGW * n) & PG_REGMAX);
		}
		return 0;
	default:
		*why = "of an unknown type";
		return -1;
	}
	*why = "of the wrong length for its type";
	return -1;
}
