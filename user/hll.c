// SPDX-License-Identifier: BSD-3-Clause
/*
 * HyperLogLog estimate of the registers the XDP program fills. Uses Ertl's
 * "improved raw estimator" (New cardinality estimation algorithms for
 * HyperLogLog sketches, 2017): unbiased from 0 to far beyond 2^32 without
 * empirical bias tables or a switch to linear counting. Also the sketches
 * in PostgreSQL hll's storage format, to merge there as they are.
 */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "hll.h"
#include "hs_hash.h"

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

/*
 * PostgreSQL hll's storage format (Aggregate Knowledge's STORAGE.md):
 * byte 0 the version (1) in the high nibble and the type in the low one,
 * byte 1 (regwidth - 1) << 5 | log2m, byte 2 the cutoff byte (sparse on in
 * bit 6, the explicit threshold's code in the low 6 bits), then the body:
 * none (EMPTY), 8-byte big-endian hashes (EXPLICIT), (log2m + regwidth)-bit
 * index << regwidth | value chunks (SPARSE) or every register in regwidth
 * bits (FULL), the bits packed big-endian from the body's first byte.
 */
enum { PG_EMPTY = 1, PG_EXPLICIT, PG_SPARSE, PG_FULL };
#define PG_VERSION 1
#define PG_PARAMS ((HS_HLL_REGWIDTH - 1) << 5 | HS_HLL_P)
#define PG_SPARSE_BITS (HS_HLL_P + HS_HLL_REGWIDTH)
#define PG_CUTOFF 0x40          /* sparse on, explicit off */
/* SPARSE while no longer than FULL: 1024 x 5 bits / 15 bits a chunk */
#define PG_SPARSE_MAX (HS_HLL_M * HS_HLL_REGWIDTH / PG_SPARSE_BITS)

/* w bits (w + 7 <= 24) at bit offset o of a big-endian bit stream p[len]. */
static unsigned int bits_get(const __u8 *p, size_t len, size_t o, unsigned int w)
{
	size_t b = o >> 3;
	__u32 win = 0;
	unsigned int j;

	for (j = 0; j < 3; j++)
		win = win << 8 | (b + j < len ? p[b + j] : 0);
	return win >> (24 - w - (o & 7)) & ((1u << w) - 1);
}

/* ... and v put there, into zeroed bits. */
static void bits_put(__u8 *p, size_t len, size_t o, unsigned int w, unsigned int v)
{
	__u32 win = (__u32)v << (24 - w - (o & 7));
	size_t b = o >> 3;
	unsigned int j;

	for (j = 0; j < 3 && b + j < len; j++)
		p[b + j] |= (__u8)(win >> (16 - 8 * j));
}

size_t hll_pg_encode(const __u8 *reg, __u8 out[HLL_PG_LEN])
{
	unsigned int i, n = 0, v;
	size_t len;

	/* sparse on, explicit off (cutoff byte 0x40) on every sketch: every row
	 * of a column carries the same parameters, or the extension refuses to
	 * merge them. The type is what the extension itself picks: EMPTY
	 * without a register set, SPARSE while its chunks take no more bits
	 * than FULL's registers (at most 341 registers set), else FULL. */
	for (i = 0; i < HS_HLL_M; i++)
		n += reg[i] != 0;
	memset(out, 0, HLL_PG_LEN);
	out[1] = PG_PARAMS;
	out[2] = PG_CUTOFF;
	if (!n) {
		out[0] = PG_VERSION << 4 | PG_EMPTY;
		return 3;
	}
	if (n <= PG_SPARSE_MAX) {
		out[0] = PG_VERSION << 4 | PG_SPARSE;
		len = 3 + ((size_t)n * PG_SPARSE_BITS + 7) / 8;
		for (i = 0, n = 0; i < HS_HLL_M; i++) {
			if (!reg[i])
				continue;
			v = reg[i] > HS_HLL_VMAX ? HS_HLL_VMAX : reg[i];
			bits_put(out + 3, len - 3, (size_t)n++ * PG_SPARSE_BITS, PG_SPARSE_BITS,
				 i << HS_HLL_REGWIDTH | v);
		}
		return len;
	}
	out[0] = PG_VERSION << 4 | PG_FULL;
	for (i = 0; i < HS_HLL_M; i++)
		bits_put(out + 3, HLL_PG_LEN - 3, (size_t)i * HS_HLL_REGWIDTH, HS_HLL_REGWIDTH,
			 reg[i] > HS_HLL_VMAX ? HS_HLL_VMAX : reg[i]);
	return HLL_PG_LEN;
}

static void reg_max(__u8 *reg, unsigned int i, unsigned int v)
{
	if (reg[i] < v)
		reg[i] = (__u8)v;
}

static int pg_body(const __u8 *b, size_t n, unsigned int type, __u8 *reg, const char **why)
{
	size_t i, chunks;

	switch (type) {
	case PG_EMPTY:
		if (n) {
			*why = "EMPTY with a body";
			return -1;
		}
		return 0;
	case PG_EXPLICIT:
		if (n % 8) {
			*why = "EXPLICIT body not whole 8-byte hashes";
			return -1;
		}
		for (i = 0; i < n; i += 8) {
			__u64 h = 0;
			unsigned int j;

			for (j = 0; j < 8; j++)
				h = h << 8 | b[i + j];
			reg_max(reg, hs_hll_index(h), hs_hll_rank(h));
		}
		return 0;
	case PG_SPARSE:
		chunks = n * 8 / PG_SPARSE_BITS;
		if ((chunks * PG_SPARSE_BITS + 7) / 8 != n) {
			*why = "SPARSE body not whole registers";
			return -1;
		}
		for (i = 0; i < chunks; i++) {
			unsigned int c = bits_get(b, n, i * PG_SPARSE_BITS, PG_SPARSE_BITS);

			reg_max(reg, c >> HS_HLL_REGWIDTH, c & HS_HLL_VMAX);
		}
		return 0;
	case PG_FULL:
		if (n != HLL_PG_LEN - 3) {
			*why = "FULL body not 1,024 registers";
			return -1;
		}
		for (i = 0; i < HS_HLL_M; i++)
			reg[i] = (__u8)bits_get(b, n, i * HS_HLL_REGWIDTH, HS_HLL_REGWIDTH);
		return 0;
	}
	*why = type ? "unknown type" : "UNDEFINED type";
	return -1;
}

int hll_pg_decode(const __u8 *in, size_t len, __u8 *reg, const char **why)
{
	const char *w = NULL;

	memset(reg, 0, HS_HLL_M);
	if (len < 3)
		w = "shorter than a header";
	else if (in[0] >> 4 != PG_VERSION)
		w = "not version 1";
	else if ((in[1] & 0x1f) != HS_HLL_P)
		w = "not log2m 10";
	else if ((in[1] >> 5) + 1 != HS_HLL_REGWIDTH)
		w = "not regwidth 5";
	else if (!pg_body(in + 3, len - 3, in[0] & 0xf, reg, &w))
		return 0;
	memset(reg, 0, HS_HLL_M);
	if (why)
		*why = w;
	return -1;
}
