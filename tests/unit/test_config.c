// SPDX-License-Identifier: BSD-3-Clause
/* The configuration file: a good one read in full, every kind of bad line
 * refused with its file and line, values parsed strictly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "detect.h"
#include "check.h"

static char path[] = "/tmp/hs-test-config.XXXXXX";

static int setup(void **st)
{
	int fd = mkstemp(path);

	(void)st;
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	return unlink(path);
}

static void write_cfg(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Load text over the defaults; returns config_load's result. */
static int load(const char *text, struct det_config *c, unsigned int *window_s,
		char *err, size_t errlen)
{
	write_cfg(text);
	det_config_default(c);
	*window_s = 0;
	err[0] = 0;
	return config_load(path, c, window_s, err, errlen);
}

static void good_file(void **st)
{
	struct det_config c, def;
	unsigned int w;
	char err[1024];

	(void)st;
	assert_int_equal(load(
		"; hydrascope detector\n"
		"# both comment styles\n"
		"\n"
		"[detect]\n"
		"min_ips = 300\n"
		"min_nets=40\n"
		"max_conns_per_ip = 2.5   ; inline comment\n"
		"min_stacks = 8\n"
		"growth = 5\n"
		"warmup = 10\n"
		"alert_score = 6\n"
		"alpha = 0.1\n"
		"window = 30\n"
		"history = 86400\n"
		"min_novel = 250\n"
		"novel_windows = 8\n"
		"novelty = yes\n"
		"min_accounts = 250\n"
		"account_growth = 3.5\n"
		"min_accounts_per_ip = 4\n"
		"\n"
		"[allow]\n"
		"ja4 = t13d1516h2_8daaf6152771_e5627efa2ab1\n"
		"ja4 = t13d1516h2_8daaf6152771_02713d6af862\n"
		"\n"
		"[allow \"t13d1517h2_8daaf6152771_b0da82dd1658\"]\n"
		"min_ips = 5000\n"
		"growth = 10\n"
		"[allow \"t12d1209h2_d34a8e72043a_b39be8c56a14\"]\n"
		"growth = 20\n"
		"novelty = no\n"
		"accounts = no\n", &c, &w, err, sizeof(err)), 0);
	assert_int_equal(w, 30);
	assert_true(c.min_ips == 300 && c.min_nets == 40 && c.max_conns_per_ip == 2.5);
	assert_true(c.min_stacks == 8 && c.growth == 5 && c.alpha == 0.1);
	assert_int_equal(c.warmup, 10);
	assert_int_equal(c.alert_score, 6);
	assert_true(c.history_s == 86400 && c.min_novel == 250 && c.novel_windows == 8 &&
		    c.novelty);
	assert_false(det_allowed(&c, "t13d1517h2_8daaf6152771_b0da82dd1658")->no_novelty);
	assert_true(det_allowed(&c, "t12d1209h2_d34a8e72043a_b39be8c56a14")->no_novelty);
	assert_true(c.min_accounts == 250 && c.account_growth == 3.5 &&
		    c.min_accounts_per_ip == 4);
	assert_true(det_allowed(&c, "t12d1209h2_d34a8e72043a_b39be8c56a14")->no_accounts);
	assert_false(det_allowed(&c, "t13d1517h2_8daaf6152771_b0da82dd1658")->no_accounts);
	assert_int_equal(c.nallow, 4);
	assert_string_equal(c.allow[0].ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
	assert_true(c.allow[0].min_ips == 0 && c.allow[0].growth == 0);
	assert_non_null(det_allowed(&c, "t13d1516h2_8daaf6152771_02713d6af862"));
	assert_true(det_allowed(&c, "t13d1517h2_8daaf6152771_b0da82dd1658")->min_ips == 5000);
	assert_true(det_allowed(&c, "t13d1517h2_8daaf6152771_b0da82dd1658")->growth == 10);
	assert_true(det_allowed(&c, "t12d1209h2_d34a8e72043a_b39be8c56a14")->min_ips == 0);
	assert_null(det_allowed(&c, "t13d0000h2_000000000000_000000000000"));

	/* an unfingerprinted population (issue 17) is allowlisted as a JA4 */
	assert_int_equal(load("[allow \"unfingerprinted:no_hello\"]\nmin_ips = 2000\n"
			      "[allow]\nja4 = unfingerprinted:not_hello\n", &c, &w, err,
			      sizeof(err)), 0);
	assert_true(det_allowed(&c, "unfingerprinted:no_hello")->min_ips == 2000);
	assert_non_null(det_allowed(&c, "unfingerprinted:not_hello"));

	/* an empty file, and a partial one: the rest stays as given */
	assert_int_equal(load("", &c, &w, err, sizeof(err)), 0);
	det_config_default(&def);
	assert_memory_equal(&c, &def, sizeof(c));
	assert_int_equal(w, 0);
	assert_int_equal(load("[detect]\nwarmup = 0\n", &c, &w, err, sizeof(err)), 0);
	assert_int_equal(c.warmup, 0);
	assert_true(c.min_ips == def.min_ips);
}

static void bad_lines(void **st)
{
	static const struct {
		const char *text;
		int line;
		const char *says;
	} bad[] = {
		{ "min_ips = 3\n", 1, "outside any section" },
		{ "[detect]\nmin_ips = 3\n[other]\nx = 1\n", 4, "unknown section [other]" },
		{ "[detect]\n\nfoo = 1\n", 3, "unknown key 'foo' in [detect]" },
		{ "[detect]\nMin_IPs = 1\n", 2, "unknown key" },
		{ "[detect]\nmin_ips = 3\nmin_ips = 4\n", 3, "set twice" },
		{ "[detect]\nmin_ips 3\n", 2, "not a [section] or a 'name = value' line" },
		{ "[detect\nmin_ips = 3\n", 1, "not a [section]" },
		{ "[allow]\nja4 = NOT-A-JA4\n", 2, "is not a JA4" },
		{ "[allow]\nja4 = \n", 2, "is not a JA4" },
		{ "[allow]\nname = x\n", 2, "unknown key 'name' in [allow]" },
		{ "[allow]\nja4 = abc\nja4 = abc\n", 3, "allowlisted twice" },
		{ "[allow]\nja4 = abc\n[allow \"abc\"]\nmin_ips = 300\n", 4, "allowlisted twice" },
		{ "[allow \"abc\"]\nwarmup = 3\n", 2, "unknown key 'warmup'" },
		{ "[allow \"abc\"]\n[detect]\nmin_ips = 3\n", 1, "without min_ips or growth" },
		{ "[detect]\nmin_ips = 3\n[allow \"abc\"]\n", 3, "without min_ips or growth" },
		{ "[allow \"a b\"]\nmin_ips = 300\n", 2, "is not a JA4" },
		{ "[allow]\nja4 = unfingerprinted:\n", 2, "is not a JA4" },
		{ "[allow]\nja4 = t13:unfingerprinted\n", 2, "is not a JA4" },
		{ "[detect]\nwindow = 1 2\n", 2, "'window' must be" },
		/* inih reads a line continued by indentation as the same key again */
		{ "[detect]\nmin_ips = 300\n  400\n", 3, "set twice" },
		/* the first error is the one reported */
		{ "[detect]\nfoo = 1\nbar\n", 2, "unknown key 'foo'" },
		{ "[detect]\nbar\nfoo = 1\n", 2, "not a [section]" },
	};
	struct det_config c;
	char err[1024], want[1100];
	unsigned int w;
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (load(bad[i].text, &c, &w, err, sizeof(err)) != -1)
			fail_msg("accepted: %s", bad[i].text);
		snprintf(want, sizeof(want), "%s:%d: ", path, bad[i].line);
		if (strncmp(err, want, strlen(want)) || !strstr(err, bad[i].says))
			fail_msg("'%s': '%s%s...' expected, got '%s'", bad[i].text, want,
				 bad[i].says, err);
		assert_null(strchr(err, '\n'));
	}
}

static void long_line(void **st)
{
	char text[600], err[1024];
	struct det_config c;
	unsigned int w;

	(void)st;
	snprintf(text, sizeof(text), "[detect]\n; %0400d\nmin_ips = 3\n", 0);
	assert_int_equal(load(text, &c, &w, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":2: line longer than"));
}

/* A NUL byte: the line is refused as such, the next one is read */
static void nul_byte(void **st)
{
	static const char text[] = "[detect]\nmin_ips = 2\0 junk\nbogus = 1\n";
	struct det_config c;
	unsigned int w = 0;
	char err[1024];
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");

	(void)st;
	assert_non_null(f);
	det_config_default(&c);
	assert_int_equal(config_read(f, "x.conf", &c, &w, err, sizeof(err)), -1);
	assert_string_equal(err, "x.conf:2: a NUL byte in the line");
	fclose(f);
}

static void numbers_strict(void **st)
{
	static const char *const bad[] = {
		"[detect]\nmin_ips = \n", "[detect]\nmin_ips = abc\n",
		"[detect]\nmin_ips = 1e3\n", "[detect]\nmin_ips = 0x10\n",
		"[detect]\nmin_ips = -5\n", "[detect]\nmin_ips = +5\n",
		"[detect]\nmin_ips = 5.\n", "[detect]\nmin_ips = .5\n",
		"[detect]\nmin_ips = 1.2.3\n", "[detect]\nmin_ips = inf\n",
		"[detect]\nmin_ips = nan\n", "[detect]\nmin_ips = 200ips\n",
		"[detect]\nmin_ips = 0\n", "[detect]\nmin_ips = 2000000000\n",
		"[detect]\nwarmup = 2.5\n", "[detect]\nalert_score = 17\n",
		"[detect]\nalpha = 0\n", "[detect]\nalpha = 1.5\n",
		"[detect]\ngrowth = 0.5\n", "[detect]\nwindow = 0\n",
		"[detect]\nwindow = 86401\n", "[detect]\nwindow = 60s\n",
		"[allow \"abc\"]\nmin_ips = 0\n", "[allow \"abc\"]\ngrowth = x\n",
		"[detect]\nhistory = 59\n", "[detect]\nnovel_windows = 17\n",
		"[detect]\nnovel_windows = 0\n", "[detect]\nmin_novel = 0\n",
		"[detect]\nnovelty = maybe\n", "[allow \"abc\"]\nnovelty = 2\n",
		"[detect]\nmin_accounts = 0\n", "[detect]\nmin_accounts = 1e2\n",
		"[detect]\naccount_growth = 0.9\n", "[detect]\nmin_accounts_per_ip = 0.5\n",
		"[allow \"abc\"]\naccounts = maybe\n",
	};
	struct det_config c;
	char err[1024];
	unsigned int w;
	double v;
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (load(bad[i], &c, &w, err, sizeof(err)) != -1)
			fail_msg("accepted: %s", bad[i]);
		if (!strstr(err, ":2: '") || !strstr(err, "must be"))
			fail_msg("'%s': 'FILE:2: 'KEY' must be ...' expected, got '%s'", bad[i], err);
	}
	assert_int_equal(config_number("12.50", 1, 100, &v), 0);
	assert_true(v == 12.5);
	assert_int_equal(config_number("007", 1, 100, &v), 0);
	assert_true(v == 7);
	assert_int_equal(config_number("100", 1, 100, &v), 0);
	assert_int_equal(config_number("100.01", 1, 100, &v), -1);
	assert_int_equal(config_number(" 5", 1, 100, &v), -1);
}

static void missing_file(void **st)
{
	struct det_config c;
	unsigned int w = 0;
	char err[1024];

	(void)st;
	det_config_default(&c);
	assert_int_equal(config_load("/nonexistent/hs.ini", &c, &w, err, sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/hs.ini: No such file or directory");
}

int main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(good_file),
		cmocka_unit_test(bad_lines),
		cmocka_unit_test(long_line),
		cmocka_unit_test(nul_byte),
		cmocka_unit_test(numbers_strict),
		cmocka_unit_test(missing_file),
	};

	return cmocka_run_group_tests_name("config", t, setup, teardown);
}
