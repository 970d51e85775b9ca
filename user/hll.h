/* SPDX-License-Identifier: BSD-3-Clause */
/* HyperLogLog estimates and merges of the maps' sketches (hll.c). */
#ifndef HS_HLL_H
#define HS_HLL_H

#include <stddef.h>

#include "hydrascope.h"

double hll_estimate(const __u8 *reg);
void hll_merge(__u8 *restrict dst, const __u8 *restrict src);

/* The PostgreSQL hll extension's storage format (log2m 10, regwidth 5):
 * registers (a byte each) to a FULL representation, and any of EMPTY,
 * EXPLICIT, SPARSE or FULL back to registers (0, or -1 and a reason). */
#define HLL_PG_LEN 643
size_t hll_pg_encode(const __u8 *reg, __u8 out[HLL_PG_LEN]);
int hll_pg_decode(const __u8 *in, size_t len, __u8 *reg, const char **why);

#endif /* HS_HLL_H */
