// SPDX-License-Identifier: BSD-3-Clause
/*
 * libFuzzer: a sketch in PostgreSQL hll's storage format (hll_pg_decode),
 * as a database hands one back: any bytes. Either refused with a reason
 * and no register set, or registers of 0..31 that encode (FULL) and decode
 * again to themselves; a FULL sketch as hll_pg_encode writes them (header
 * 14 8a 00) encodes back to the very bytes.
 */
#include "fuzz.h"
#include "hll.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t full[3] = { 0x14, 0x8a, 0x00 };
	__u8 reg[HS_HLL_M], again[HS_HLL_M], out[HLL_PG_LEN];
	const char *why = NULL;
	uint8_t *in = malloc(size ? size : 1);  /* exactly size: a read past is caught */
	unsigned int i;

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
	FUZZ_CHECK(hll_pg_encode(reg, out) == HLL_PG_LEN);
	FUZZ_CHECK(!memcmp(out, full, 3));
	FUZZ_CHECK(hll_pg_decode(out, sizeof(out), again, &why) == 0);
	FUZZ_CHECK(!memcmp(reg, again, HS_HLL_M));
	if (size == HLL_PG_LEN && !memcmp(in, full, 3))
		FUZZ_CHECK(!memcmp(out, in, HLL_PG_LEN));
	free(in);
	return 0;
}
