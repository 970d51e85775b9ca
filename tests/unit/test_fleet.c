// SPDX-License-Identifier: BSD-3-Clause
/* The fleet's pieces that need no database: TIME parsing, and a window
 * of rows read
 * elsewhere judged and written as a fleet alert (scope, hosts, no
 * sample_ips, the JSON line handed on). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "detect.h"
#include "fleetdb.h"
#include "window.h"
#include "check.h"

static void times(void **st)
{
	static const struct {
		const char *in;
		int rc;
		long long want;
	} t[] = {
		{ "1795996800", 0, 1795996800 },
		{ "2026-11-30T00:00:00Z", 0, 1795996800 },
		{ "2026-11-30t00:00:00z", 0, 1795996800 },
		{ "2026-11-30 00:00:00Z", 0, 1795996800 },
		{ "2026-11-30T00:00:00.250Z", 0, 1795996800 },
		{ "2026-11-30T01:30:00+01:30", 0, 1795996800 },
		{ "2026-11-29T22:00:00-02:00", 0, 1795996800 },
		{ "2026-11-30T00:00:00", -1, 0 },         /* no zone */
		{ "2026-11-30", -1, 0 },
		{ "2026-13-01T00:00:00Z", -1, 0 },
		{ "2026-11-30T00:00:00Zjunk", -1, 0 },
		{ "2026-11-30T00:00:00+25:00", -1, 0 },
		{ "-5", -1, 0 },
		{ "", -1, 0 },
		{ "yesterday", -1, 0 },
	};
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		long long got = 0;
		int rc = fleet_parse_time("--from", t[i].in, &got);

		CHECK_INT(t[i].in, "rc", t[i].rc, rc);
		if (!t[i].rc && !rc)
			CHECK_INT(t[i].in, "time", t[i].want, got);
	}
	CHECKS_DONE();
}

static const char *const two[] = { "edge-a", "edge-b" };

static size_t hosts_of(void *ctx, enum fp_kind kind, const struct det_obs *o,
		       const char **names, size_t max)
{
	(void)kind;
	if (o != ctx)
		return 0;
	names[0] = two[0];
	names[1] = max > 1 ? two[1] : NULL;
	return 2;
}

static char said[4096];

static void alerted(void *ctx, enum fp_kind kind, const struct det_alert *a, const char *json)
{
	(void)ctx;
	(void)kind;
	(void)a;
	snprintf(said, sizeof(said), "%s", json);
}

static void fleet_alert(void **st)
{
	char path[] = "/tmp/hs-test-fleet.XXXXXX", line[4096] = "";
	struct det_config c;
	struct det_obs o = { .conns = 400, .ips = 400, .nets = 300, .stacks = 8,
			     .nsamples = 1, .samples = { { .addr = { 198, 18, 0, 1 }, .family = 4 } } };
	struct win_rows r = { .tls = &o, .ntls = 1 };
	struct windows *w;
	FILE *f;
	int fd = mkstemp(path);

	(void)st;
	assert_true(fd >= 0);
	close(fd);
	det_config_default(&c);
	c.warmup = 0;
	snprintf(o.name, sizeof(o.name), "t13d1516h2_8daaf6152771_b0da82dd1658");
	w = win_new(&c, 60, path, true, false);
	assert_non_null(w);
	win_set_scope(w, &(struct win_scope){ .scope = "fleet", .hosts = hosts_of,
					      .alerted = alerted, .ctx = &o });
	assert_int_equal(win_judge(w, &r, 1795996860ULL * 1000000000ULL), 0);
	win_free(w);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	unlink(path);
	line[strcspn(line, "\n")] = 0;
	CHECK_STR("fleet alert", "handed on", line, said);
	CHECK_INT("fleet alert", "ts", 1, strstr(line, "\"ts\":\"2026-11-30T00:01:00Z\"") != NULL);
	CHECK_INT("fleet alert", "scope and hosts", 1,
		  strstr(line, "\"scope\":\"fleet\",\"hosts\":[\"edge-a\",\"edge-b\"]") != NULL);
	CHECK_INT("fleet alert", "no sample_ips", 0, strstr(line, "sample_ips") != NULL);
	CHECK_INT("fleet alert", "state new", 1, strstr(line, "\"state\":\"new\"") != NULL);
	CHECKS_DONE();
}

int main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(times),
		cmocka_unit_test(fleet_alert),
	};

	return cmocka_run_group_tests_name("fleet", t, NULL, NULL);
}
