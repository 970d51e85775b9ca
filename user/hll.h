/* SPDX-License-Identifier: BSD-3-Clause */
/* HyperLogLog estimates and merges of the maps' sketches (hll.c). */
#ifndef HS_HLL_H
#define HS_HLL_H

#include <stddef.h>

#include "hydrascope.h"

double hll_estimate(const __u8 *reg);
void hll_merge(__u8 *restrict dst, const __u8 *restrict src);

/* The hll extension's FULL representation of registers (log2m 10,
 * regwidth 5, expthresh 0, sparse off): header bytes 14 8a 00, then the
 * 1024 5-bit registers packed big-endian, values clamped at 31. */
#define HLL_PG_LEN 643
size_t hll_pg_encode(const __u8 *reg, __u8 out[HLL_PG_LEN]);

#endif /* HS_HLL_H */
