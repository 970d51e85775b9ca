// SPDX-License-Identifier: BSD-3-Clause
/*
 * libFuzzer: p0f's fingerprint database (--p0f-db FILE) read from any
 * bytes, then a few SYN signatures matched against what loaded.
 */
#include "fuzz.h"
#include "p0fdb.h"

static const struct hs_tcp_sig probes[] = {
	{ .ip_ver = 4, .ttl = 61, .opt_cnt = 5, .opt_layout = { 2, 4, 8, 1, 3 },
	  .wscale = 7, .mss = 1460, .win = 64240, .tcp_hlen = 40, .flags = HS_SIGF_TS1,
	  .quirks = HS_Q_DF | HS_Q_NZ_ID },
	{ .ip_ver = 6, .ttl = 120, .opt_cnt = 6, .opt_layout = { 2, 1, 3, 1, 1, 4 },
	  .wscale = 8, .mss = 1440, .win = 65535, .tcp_hlen = 32, .quirks = HS_Q_FLOW },
	{ .ip_ver = 4, .ttl = 250, .opt_cnt = 2, .opt_layout = { 2, 0 }, .opt_eol_pad = 3,
	  .mss = 536, .win = 1072, .tcp_hlen = 28, .flags = HS_SIGF_PAYLOAD,
	  .quirks = HS_Q_ZERO_ID | HS_Q_ECN | HS_Q_OPT_EOL },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fuzz_file(data, size);
	size_t i;

	if (!p0f_db_read(f, "fuzz.fp"))
		for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
			FUZZ_CHECK(p0f_db_label(&probes[i]));
	fclose(f);
	p0f_db_free();
	return 0;
}
