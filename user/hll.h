/* SPDX-License-Identifier: BSD-3-Clause */
/* HyperLogLog estimates and merges of the maps' sketches (hll.c). */
#ifndef HS_HLL_H
#define HS_HLL_H

#include <stddef.h>
#include "hydrascope.h"

double hll_estimate(const __u8 *reg);
void hll_merge(__u8 *restrict dst, const __u8 *restrict src);

/* A sketch in PostgreSQL hll's storage format (log2m 10, regwidth 5,
 * explicit off, sparse on), as hll_add_agg(hll_hash_bytea(addr), 10, 5,
 * 0, 1) builds one: EMPTY, SPARSE up to 341 registers set, else FULL;
 * registers above 31 clamped. Its length (at most HLL_PG_LEN bytes). */
#define HLL_PG_LEN 643
size_t hll_pg_encode(const __u8 *reg, __u8 out[HLL_PG_LEN]);
/* The HS_HLL_M registers of a sketch in that format: EMPTY, EXPLICIT,
 * SPARSE or FULL with log2m 10 and regwidth 5, any cutoff byte. 0, or -1
 * with *why a short reason (another version, other parameters, a length
 * that is not its type's) and reg all zero. */
int hll_pg_decode(const __u8 *in, size_t len, __u8 *reg, const char **why);

#endif /* HS_HLL_H */
