/* SPDX-License-Identifier: BSD-3-Clause */
/* HyperLogLog estimates and merges of the maps' sketches (hll.c). */
#ifndef HS_HLL_H
#define HS_HLL_H

#include "hydrascope.h"

double hll_estimate(const __u8 *reg);
void hll_merge(__u8 *restrict dst, const __u8 *restrict src);

#endif /* HS_HLL_H */
