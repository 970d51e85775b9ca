// SPDX-License-Identifier: BSD-3-Clause
/* The fleet's pieces that need no database: TIME parsing, the hll
 * extension's storage format both ways, and a window of rows read
 * elsewhere judged and written as a fleet alert (scope, hosts, no
 * sample_ips, the JSON line handed on). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "detect.h"
#include "fleetdb.h"
#include "hll.h"
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

/* FULL both ways, registers clamped at 31; EMPTY, EXPLICIT and SPARSE
 * read; other parameters and lengths refused. */
static void pg_format(void **st)
{
	__u8 reg[HS_HLL_M], back[HS_HLL_M], buf[HLL_PG_LEN + 16];
	const char *why = NULL;
	unsigned int i;

	(void)st;
	for (i = 0; i < HS_HLL_M; i++)
		reg[i] = (__u8)((i * 7 + i / 3) % 40);
	assert_int_equal(hll_pg_encode(reg, buf), HLL_PG_LEN);
	CHECK_HEX("FULL", "header", 0x148a00, (unsigned)(buf[0] << 16 | buf[1] << 8 | buf[2]));
	assert_int_equal(hll_pg_decode(buf, HLL_PG_LEN, back, &why), 0);
	for (i = 0; i < HS_HLL_M; i++)
		CHECK_INT("FULL round trip", "register", reg[i] > 31 ? 31 : reg[i], back[i]);
	assert_int_equal(hll_pg_decode(buf, HLL_PG_LEN - 1, back, &why), -1);
	buf[1] = 0x8b;   /* log2m 11 */
	assert_int_equal(hll_pg_decode(buf, HLL_PG_LEN, back, &why), -1);
	CHECK_STR("log2m 11", "why", "not log2m 10, regwidth 5", why);

	/* EMPTY */
	memcpy(buf, "\x11\x8a\x00", 3);
	assert_int_equal(hll_pg_decode(buf, 3, back, &why), 0);
	for (i = 0; i < HS_HLL_M; i++)
		CHECK_INT("EMPTY", "register", 0, back[i]);
	/* EXPLICIT: hash 0x...0c05: register 5 (low 10 bits), value 1 + the
	 * trailing zeros of hash >> 10 (0x3: none) = 1; hash 1 << 20 | 9:
	 * register 9, value 11 */
	memcpy(buf, "\x12\x8a\x00" "\x00\x00\x00\x00\x00\x00\x0c\x05"
		    "\x00\x00\x00\x00\x00\x10\x00\x09", 19);
	assert_int_equal(hll_pg_decode(buf, 19, back, &why), 0);
	CHECK_INT("EXPLICIT", "register 5", 1, back[5]);
	CHECK_INT("EXPLICIT", "register 9", 11, back[9]);
	assert_int_equal(hll_pg_decode(buf, 18, back, &why), -1);
	/* SPARSE: 15-bit (index, value) entries: (3, 4) and (1023, 31) */
	memcpy(buf, "\x13\x8a\x40" "\x00\xc9\xff\xfe", 7);
	assert_int_equal(hll_pg_decode(buf, 7, back, &why), 0);
	CHECK_INT("SPARSE", "register 3", 4, back[3]);
	CHECK_INT("SPARSE", "register 1023", 31, back[1023]);
	CHECK_INT("SPARSE", "register 4", 0, back[4]);
	buf[0] = 0x15;
	assert_int_equal(hll_pg_decode(buf, 7, back, &why), -1);
	assert_int_equal(hll_pg_decode(buf, 2, back, &why), -1);
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
		cmocka_unit_test(pg_format),
		cmocka_unit_test(fleet_alert),
	};

	return cmocka_run_group_tests_name("fleet", t, NULL, NULL);
}
