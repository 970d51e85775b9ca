// SPDX-License-Identifier: BSD-3-Clause
/*
 * libFuzzer: the p0f signature of a raw struct hs_tcp_sig (any bytes, as
 * the maps and the ring buffer hand it over), in both forms, and its OS
 * label from p0f's database when installed.
 */
#include "fuzz.h"
#include "p0f.h"
#include "p0fdb.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	p0f_db_load(HS_DEFAULT_P0F_DB);
	return 0;
}

/* What the XDP program can write: at most 24 options, an EOL only last. */
static bool plausible(const struct hs_tcp_sig *s)
{
	unsigned int i;

	if (s->opt_cnt > HS_TCP_MAX_OPTS)
		return false;
	for (i = 0; i + 1 < s->opt_cnt; i++)
		if (s->opt_layout[i] == 0)
			return false;
	return true;
}

/* Rendered like snprintf: n is the full length, buf its start. */
static void check_render(int n, const char *buf, size_t len, bool fits)
{
	FUZZ_CHECK(n > 0 && strlen(buf) == ((size_t)n < len ? (size_t)n : len - 1));
	/* the longest such signature (24 options, every quirk) fits the
	 * buffers every caller uses */
	FUZZ_CHECK(!fits || (size_t)n < len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_tcp_sig *s = FUZZ_STRUCT(struct hs_tcp_sig, data, size);
	char sig[256], stack[256];
	const char *os;

	check_render(p0f_render(s, sig, sizeof(sig)), sig, sizeof(sig), plausible(s));
	check_render(p0f_render_stack(s, stack, sizeof(stack)), stack, sizeof(stack),
		     plausible(s));
	os = p0f_db_label(s);
	FUZZ_CHECK(os && strlen(os) < 4096);
	free(s);
	return 0;
}
