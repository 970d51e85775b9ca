// SPDX-License-Identifier: BSD-3-Clause
/* The detector's rules on synthetic windows: what fires, what stays quiet. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>

#include "hs.h"

struct seen {
	int n;
	struct det_alert a[16];
	char ja4[16][HS_JA4_LEN];
};

static void collect(void *ctx, const struct det_alert *a)
{
	struct seen *s = ctx;

	if (s->n < 16) {
		s->a[s->n] = *a;
		snprintf(s->ja4[s->n], HS_JA4_LEN, "%s", a->obs->ja4);
	}
	s->n++;
}

static struct det_obs ob(const char *ja4, double ips, double conns, double nets, double stacks)
{
	struct det_obs o;

	memset(&o, 0, sizeof(o));
	snprintf(o.ja4, sizeof(o.ja4), "%s", ja4);
	o.ips = ips;
	o.conns = (__u64)conns;
	o.nets = nets;
	o.stacks = stacks;
	return o;
}

/* One window with the given observations; returns the alerts seen. */
static struct seen window(struct detector *d, struct det_obs *o, size_t n)
{
	struct seen s;

	memset(&s, 0, sizeof(s));
	assert_int_equal(det_window(d, o, n, collect, &s), 0);
	return s;
}

static struct detector *fresh(void)
{
	struct det_config c;

	det_config_default(&c);
	return det_new(&c);
}

static void popular_stays_quiet(void **st)
{
	struct detector *d = fresh();
	struct det_obs o[2];
	struct seen s;
	int w;

	(void)st;
	/* a browser from 10,000 IPs per window, every window, from the start */
	for (w = 0; w < 30; w++) {
		o[0] = ob("popular", 10000, 15000, 500, 4);
		o[1] = ob("sdk", 2000, 3000, 48, 3);
		s = window(d, o, 2);
		assert_int_equal(s.n, 0);
	}
	det_free(d);
}

static void new_hydra_fires_and_ends(void **st)
{
	struct detector *d = fresh();
	struct det_obs o[2];
	struct seen s;
	int w;

	(void)st;
	for (w = 0; w < 5; w++) {
		o[0] = ob("popular", 10000, 15000, 500, 4);
		s = window(d, o, 1);
		assert_int_equal(s.n, 0);
	}
	o[0] = ob("popular", 10000, 15000, 500, 4);
	o[1] = ob("hydra", 1300, 2600, 480, 14);
	s = window(d, o, 2);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.ja4[0], "hydra");
	assert_int_equal(s.a[0].state, DET_NEW_ALERT);
	assert_true(s.a[0].signals & (1u << DET_NEW));
	assert_true(s.a[0].signals & (1u << DET_MANY_STACKS));
	assert_true(s.a[0].score >= 5);
	/* still there: one "active" per window */
	s = window(d, o, 2);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.a[0].state, DET_ACTIVE);
	/* gone: "ended" once, then nothing */
	o[0] = ob("popular", 10000, 15000, 500, 4);
	s = window(d, o, 1);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.a[0].state, DET_ENDED);
	s = window(d, o, 1);
	assert_int_equal(s.n, 0);
	det_free(d);
}

static void widening_of_a_known_fingerprint(void **st)
{
	struct detector *d = fresh();
	struct det_obs o;
	struct seen s;
	int w;

	(void)st;
	/* a small steady user base of the same client stack ... */
	for (w = 0; w < 6; w++) {
		o = ob("curl", 40, 60, 30, 5);
		s = window(d, &o, 1);
		assert_int_equal(s.n, 0);
	}
	/* ... then a swarm behind it */
	o = ob("curl", 900, 1800, 300, 12);
	s = window(d, &o, 1);
	assert_int_equal(s.n, 1);
	assert_true(s.a[0].signals & (1u << DET_WIDENING));
	assert_false(s.a[0].signals & (1u << DET_NEW));
	assert_true(s.a[0].baseline_ips > 30 && s.a[0].baseline_ips < 50);
	det_free(d);
}

static void absolute_numbers_alone_never_fire(void **st)
{
	struct detector *d = fresh();
	struct det_obs o;
	struct seen s;
	int w;

	(void)st;
	/* wide, spread, many stacks -- but that has always been so */
	for (w = 0; w < 20; w++) {
		o = ob("wide-always", 5000, 6000, 400, 20);
		s = window(d, &o, 1);
		assert_int_equal(s.n, 0);
	}
	det_free(d);
}

static void small_or_busy_is_not_a_hydra(void **st)
{
	struct detector *d = fresh();
	struct det_obs o[2];
	struct seen s;
	int w;

	(void)st;
	for (w = 0; w < 4; w++)
		window(d, o, 0);
	/* new, but only 50 IPs */
	o[0] = ob("small", 50, 100, 40, 8);
	/* new and wide, but each IP hammering (not under per-IP limits), one
	 * stack, few networks: score too low */
	o[1] = ob("scanner", 300, 30000, 10, 1);
	s = window(d, o, 2);
	assert_int_equal(s.n, 0);
	det_free(d);
}

static void warmup_learns_without_alerting(void **st)
{
	struct detector *d = fresh();
	struct det_obs o;
	struct seen s;

	(void)st;
	/* present from the first window: learned, not alerted */
	o = ob("early", 3000, 6000, 400, 14);
	s = window(d, &o, 1);
	assert_int_equal(s.n, 0);
	det_free(d);
}

static struct detector *with_allow(const char *ja4, double min_ips, double growth)
{
	struct det_config c;

	det_config_default(&c);
	snprintf(c.allow[0].ja4, sizeof(c.allow[0].ja4), "%s", ja4);
	c.allow[0].min_ips = min_ips;
	c.allow[0].growth = growth;
	c.nallow = 1;
	return det_new(&c);
}

/* a hydra-shaped window of an allowlisted JA4 without thresholds: never */
static void allowlisted_never_alerts(void **st)
{
	struct detector *d = with_allow("sdk", 0, 0);
	struct det_obs o[2];
	struct seen s;
	int w;

	(void)st;
	for (w = 0; w < 5; w++) {
		o[0] = ob("popular", 10000, 15000, 500, 4);
		s = window(d, o, 1);
		assert_int_equal(s.n, 0);
	}
	o[1] = ob("sdk", 50000, 60000, 3000, 30);
	o[0] = ob("hydra", 1300, 2600, 480, 14);
	s = window(d, o, 2);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.ja4[0], "hydra");
	det_free(d);
}

/* its own, higher thresholds: quiet below them, alerts past them */
static void allowlisted_own_thresholds(void **st)
{
	struct detector *d = with_allow("sdk", 5000, 10);
	struct det_obs o;
	struct seen s;
	int w;

	(void)st;
	for (w = 0; w < 6; w++) {
		o = ob("sdk", 300, 400, 60, 3);
		s = window(d, &o, 1);
		assert_int_equal(s.n, 0);
	}
	/* 8x its baseline and past the global min_ips: quiet (growth 10, min 5000) */
	o = ob("sdk", 2400, 3000, 400, 10);
	s = window(d, &o, 1);
	assert_int_equal(s.n, 0);
	/* 12x its baseline (moved to 720) and past its own min_ips: an alert */
	o = ob("sdk", 9000, 12000, 900, 20);
	s = window(d, &o, 1);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.a[0].state, DET_NEW_ALERT);
	assert_true(s.a[0].signals & (1u << DET_WIDENING));
	det_free(d);
	/* an own threshold below the global one is raised to it */
	d = with_allow("sdk", 10, 0);
	for (w = 0; w < 4; w++) {
		o = ob("sdk", 20, 30, 10, 3);
		s = window(d, &o, 1);
	}
	o = ob("sdk", 150, 200, 100, 10);       /* 7x baseline, below global 200 */
	s = window(d, &o, 1);
	assert_int_equal(s.n, 0);
	det_free(d);
}

static char state_dir[] = "/tmp/hs-test-state.XXXXXX";

static int dir_setup(void **st)
{
	(void)st;
	return mkdtemp(state_dir) ? 0 : -1;
}

static int dir_teardown(void **st)
{
	(void)st;
	return rmdir(state_dir);
}

static void state_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", state_dir, name);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* save, load into a fresh detector: baselines, warm-up and open alerts kept */
static void state_round_trip(void **st)
{
	struct detector *d = fresh(), *e;
	char path[256], err[512];
	struct det_obs o[2];
	struct stat sb;
	struct seen s;
	int w;

	(void)st;
	state_path(path, sizeof(path), "rt.json");
	for (w = 0; w < 70; w++) {        /* more windows than the history keeps */
		o[0] = ob("popular", 10000, 15000, 500, 4);
		o[1] = ob("sdk", 2000, 3000, 48, 3);
		s = window(d, o, 2);
	}
	o[1] = ob("hydra", 1300, 2600, 480, 14);
	s = window(d, o, 2);
	assert_int_equal(s.n, 1);
	assert_int_equal(det_save(d, path, 60), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);

	e = fresh();
	assert_int_equal(det_load(e, path, 60, err, sizeof(err)), 0);
	assert_int_equal(det_windows(e), 71);
	assert_int_equal(det_known(e), 3);
	/* the same next window gives the same alerts on both */
	o[0] = ob("popular", 10000, 15000, 500, 4);
	o[1] = ob("hydra", 1300, 2600, 480, 14);
	s = window(e, o, 2);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.a[0].state, DET_ACTIVE);    /* the open alert held */
	/* sdk absent: its alert-free baseline decays, no "new" when back */
	o[1] = ob("sdk", 2000, 3000, 48, 3);
	s = window(e, o, 2);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.a[0].state, DET_ENDED);
	/* saved again, the history is the last DET_HISTORY windows */
	assert_int_equal(det_save(e, path, 60), 0);
	det_free(e);
	e = fresh();
	assert_int_equal(det_load(e, path, 60, err, sizeof(err)), 0);
	assert_int_equal(det_windows(e), 73);
	/* a known fingerprint, after a restart, is not "new" (no warm-up again) */
	o[0] = ob("sdk", 2000, 3000, 48, 3);
	s = window(e, o, 1);
	assert_int_equal(s.n, 0);
	det_free(e);
	det_free(d);
	unlink(path);
}

/* the fresh detector's warm-up is not repeated after a load */
static void state_new_after_restart(void **st)
{
	struct detector *d = fresh();
	char path[256], err[512];
	struct det_obs o;
	struct seen s;
	int w;

	(void)st;
	state_path(path, sizeof(path), "warm.json");
	for (w = 0; w < 4; w++) {
		o = ob("popular", 10000, 15000, 500, 4);
		window(d, &o, 1);
	}
	assert_int_equal(det_save(d, path, 4), 0);
	det_free(d);
	d = fresh();
	assert_int_equal(det_load(d, path, 4, err, sizeof(err)), 0);
	/* first window after the restart: a hydra is "new" at once */
	o = ob("hydra", 1300, 2600, 480, 14);
	s = window(d, &o, 1);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.a[0].state, DET_NEW_ALERT);
	det_free(d);
	unlink(path);
}

static void state_bad_files(void **st)
{
	static const char *const bad[] = {
		"",
		"{\"format\":\"hydrascope-detector-state\",\"version\":1,\"window_s\":60,",
		"[1,2,3]",
		"{\"format\":\"something-else\",\"version\":1}",
		"{\"format\":\"hydrascope-detector-state\",\"version\":2,\"window_s\":60,"
		"\"windows\":1,\"fingerprints\":[],\"history\":[]}",
		"{\"format\":\"hydrascope-detector-state\",\"version\":\"1\"}",
		/* another window length */
		"{\"format\":\"hydrascope-detector-state\",\"version\":1,\"window_s\":30,"
		"\"windows\":1,\"fingerprints\":[],\"history\":[]}",
		/* history naming a fingerprint not listed */
		"{\"format\":\"hydrascope-detector-state\",\"version\":1,\"window_s\":60,"
		"\"windows\":1,\"fingerprints\":[],\"history\":[{\"window\":0,\"obs\":[[0,1,1,1,1]]}]}",
		/* negative baseline, string windows */
		"{\"format\":\"hydrascope-detector-state\",\"version\":1,\"window_s\":60,"
		"\"windows\":1,\"fingerprints\":[{\"ja4\":\"a\",\"baseline_ips\":-1,\"windows\":1,"
		"\"alerting\":false}],\"history\":[]}",
		"{\"format\":\"hydrascope-detector-state\",\"version\":1,\"window_s\":60,"
		"\"windows\":\"1\",\"fingerprints\":[],\"history\":[]}",
		/* history windows that do not end at `windows` */
		"{\"format\":\"hydrascope-detector-state\",\"version\":1,\"window_s\":60,"
		"\"windows\":5,\"fingerprints\":[],\"history\":[{\"window\":0,\"obs\":[]}]}",
		"\x01\x02garbage",
	};
	char path[256], err[512];
	struct detector *d;
	struct det_obs o;
	struct seen s;
	size_t i;
	int w;

	(void)st;
	state_path(path, sizeof(path), "bad.json");
	/* no file: fine, nothing loaded */
	d = fresh();
	assert_int_equal(det_load(d, path, 60, err, sizeof(err)), 1);
	det_free(d);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(path, bad[i]);
		d = fresh();
		/* some state first: a refused file leaves it as it was */
		for (w = 0; w < 4; w++) {
			o = ob("popular", 10000, 15000, 500, 4);
			window(d, &o, 1);
		}
		err[0] = 0;
		if (det_load(d, path, 60, err, sizeof(err)) != -1)
			fail_msg("bad file %zu loaded: %s", i, bad[i]);
		assert_non_null(strstr(err, path));
		assert_null(strchr(err, '\n'));
		assert_int_equal(det_windows(d), 4);
		assert_int_equal(det_known(d), 1);
		o = ob("popular", 10000, 15000, 500, 4);
		s = window(d, &o, 1);
		assert_int_equal(s.n, 0);
		det_free(d);
	}
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(popular_stays_quiet),
		cmocka_unit_test(new_hydra_fires_and_ends),
		cmocka_unit_test(widening_of_a_known_fingerprint),
		cmocka_unit_test(absolute_numbers_alone_never_fire),
		cmocka_unit_test(small_or_busy_is_not_a_hydra),
		cmocka_unit_test(warmup_learns_without_alerting),
		cmocka_unit_test(allowlisted_never_alerts),
		cmocka_unit_test(allowlisted_own_thresholds),
		cmocka_unit_test(state_round_trip),
		cmocka_unit_test(state_new_after_restart),
		cmocka_unit_test(state_bad_files),
	};

	return cmocka_run_group_tests_name("detect", t, dir_setup, dir_teardown);
}
