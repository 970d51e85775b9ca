// SPDX-License-Identifier: BSD-3-Clause
/*
 * libFuzzer: a sketch in PostgreSQL hll's storage format (hll_pg_decode),
 * as a database hands one back: any bytes. Either refused with a reason
 * and no register set, or registers of 0..31 that encode (EMPTY, SPARSE or
 * FULL, with our parameters: 8a 40) and decode again to themselves; a
 * FULL sketch of ours encodes back to the very bytes.
 */
#include "fuzz.h"
#include "hll.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	__u8 reg[HS_HLL_M], again[HS_HLL_M], out[HLL_PG_LEN];
	const char *why = NULL;
	uint8_t *in = malloc(size ? size : 1);  /* exactly size: a read past is caught */
	unsigned int i;
	size_t n;

	FUZZ_CHECK(in);
	memcpy(in, data, size);
	if (hll_pg_decode(in, size, reg, &why)) {
		FUZZ_CHECK(why && *why);
		for (i = 0; i < HS_HLL_M; i++)
			FUZZ_CHECK(reg[i] == 0);
		free(in);
		return 0;
	}
	for (i = 0; i < HS_HLL_M; i++)
		FUZZ_CHECK(reg[i] <= 31);
	n = hll_pg_encode(reg, out);
	FUZZ_CHECK(n >= 3 && n <= HLL_PG_LEN && out[1] == 0x8a && out[2] == 0x40);
	FUZZ_CHECK(hll_pg_decode(out, n, again, &why) == 0);
	FUZZ_CHECK(!memcmp(reg, again, HS_HLL_M));
	/* a FULL of ours with more than 341 registers set: the same bytes */
	if (size == HLL_PG_LEN && n == HLL_PG_LEN && !memcmp(in, "\x14\x8a\x40", 3))
		FUZZ_CHECK(!memcmp(out, in, n));
	free(in);
	return 0;
}
