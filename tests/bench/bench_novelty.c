// SPDX-License-Identifier: BSD-3-Clause
/*
 * How well a union of HyperLogLog sketches tells the sources new to a
 * fingerprint: novel = est(window ∪ history) - est(history), the sketches
 * being the XDP program's own (same hash, same registers, same estimator).
 * The union is lossless, but both estimates carry the sketch's error, and
 * the part of it that does not cancel grows with the history. For history
 * sizes from 100 to 1,000,000 addresses and a window of K novel addresses
 * (plus as many returning ones), prints the estimate's bias and standard
 * deviation over trials, and the history size from which K novel sources
 * are no longer told apart from none (the standard deviation above K / 3:
 * a 3-sigma detection no longer holds).
 *
 * Usage: bench_novelty [TRIALS]   (default 40)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hll.h"
#include "hs_hash.h"

static void add_v4(__u8 *reg, __u32 addr)
{
	__u8 a[16] = { (__u8)(addr >> 24), (__u8)(addr >> 16), (__u8)(addr >> 8), (__u8)addr };
	__u64 h = hs_hash_addr(a, 4);
	__u32 i = hs_hll_index(h);
	__u8 r = hs_hll_rank(h);

	if (reg[i] < r)
		reg[i] = r;
}

struct stat {
	double mean, sd;
};

/* trials of: a history of n addresses, then a window of k new ones and k
 * (at most n) of the history's; the estimate of the new ones */
static struct stat novelty(unsigned int n, unsigned int k, unsigned int trials)
{
	static __u8 hist[HS_HLL_M], win[HS_HLL_M];
	double sum = 0, sq = 0;
	unsigned int t, i;

	for (t = 0; t < trials; t++) {
		__u32 base = 0x0a000000u + t * 0x01000000u * 7 + t;   /* other addresses each trial */
		double e;

		memset(hist, 0, sizeof(hist));
		memset(win, 0, sizeof(win));
		for (i = 0; i < n; i++)
			add_v4(hist, base + i);
		for (i = 0; i < k; i++)
			add_v4(win, base + n + i);                 /* new */
		for (i = 0; i < k && i < n; i++)
			add_v4(win, base + i * (n / (k < n ? k : n)));   /* returning */
		e = -hll_estimate(hist);
		hll_merge(win, hist);
		e += hll_estimate(win);
		sum += e;
		sq += e * e;
	}
	return (struct stat){ sum / trials, sqrt(fmax(sq / trials - (sum / trials) * (sum / trials), 0)) };
}

int main(int argc, char **argv)
{
	static const unsigned int hs[] = { 100, 1000, 10000, 30000, 100000, 300000, 1000000 };
	static const unsigned int ks[] = { 100, 300, 1000 };
	unsigned int trials = argc > 1 ? (unsigned int)strtoul(argv[1], NULL, 10) : 40;
	unsigned int a, b;

	if (!trials)
		trials = 40;
	for (b = 0; b < sizeof(ks) / sizeof(ks[0]); b++) {
		unsigned int drown = 0;

		for (a = 0; a < sizeof(hs) / sizeof(hs[0]); a++) {
			struct stat s = novelty(hs[a], ks[b], trials);

			printf("novelty_k%u_hist%u_bias %.1f addresses\n", ks[b], hs[a], s.mean - ks[b]);
			printf("novelty_k%u_hist%u_sd %.1f addresses (%.2f of k)\n", ks[b], hs[a], s.sd,
			       s.sd / ks[b]);
			if (!drown && s.sd > ks[b] / 3.0)
				drown = hs[a];
		}
		if (drown)
			printf("novelty_k%u_drowns_at_history %u addresses (sd > k/3)\n", ks[b], drown);
		else
			printf("novelty_k%u_drowns_at_history >%u addresses (sd > k/3)\n", ks[b],
			       hs[sizeof(hs) / sizeof(hs[0]) - 1]);
	}
	return 0;
}
