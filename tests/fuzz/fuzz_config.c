// SPDX-License-Identifier: BSD-3-Clause
/*
 * libFuzzer: the configuration file (--config FILE) read from any bytes.
 * A file that loads holds values within the documented ranges; one that
 * does not is refused in one line, leaving the settings as they were.
 */
#include "fuzz.h"
#include "config.h"
#include "detect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct det_config dc, def;
	unsigned int window_s = 0;
	char err[512] = "";
	FILE *f = fuzz_file(data, size);
	size_t i;

	det_config_default(&dc);
	def = dc;
	if (config_read(f, "fuzz.conf", &dc, &window_s, err, sizeof(err))) {
		FUZZ_CHECK(!strncmp(err, "fuzz.conf:", 10) && !strchr(err, '\n'));
		FUZZ_CHECK(!memcmp(&dc, &def, sizeof(dc)) && window_s == 0);
	} else {
		FUZZ_CHECK(dc.min_ips >= 1 && dc.growth >= 1 && dc.alert_score >= 0 &&
			   dc.alert_score <= 16 && dc.alpha > 0 && dc.alpha <= 1 &&
			   dc.max_conns_per_ip > 0 && window_s <= 86400);
		FUZZ_CHECK(dc.min_accounts >= 1 && dc.account_growth >= 1 &&
			   dc.min_accounts_per_ip >= 1);
		FUZZ_CHECK(dc.nallow <= DET_ALLOW_MAX);
		for (i = 0; i < dc.nallow; i++) {
			FUZZ_CHECK(*dc.allow[i].ja4);
			FUZZ_TERMINATED(dc.allow[i].ja4);
			FUZZ_CHECK(det_allowed(&dc, dc.allow[i].ja4) == &dc.allow[i]);
		}
	}
	fclose(f);
	return 0;
}
