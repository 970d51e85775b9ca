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

/* Ertl's q: a register holds 1 + the trailing zeros of the hash's upper
 * bits, 0..q+1, where q + 1 = HS_HLL_VMAX (31) stands for at least q = 30
 * zeros (regwidth 5 clamps them there, as PostgreSQL hll does). */
#define Q ((int)HS_HLL_VMAX - 1)

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

