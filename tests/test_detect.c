// SPDX-License-Identifier: BSD-3-Clause
/* The detector's rules on synthetic windows: what fires, what stays quiet. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

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

int main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(popular_stays_quiet),
		cmocka_unit_test(new_hydra_fires_and_ends),
		cmocka_unit_test(widening_of_a_known_fingerprint),
		cmocka_unit_test(absolute_numbers_alone_never_fire),
		cmocka_unit_test(small_or_busy_is_not_a_hydra),
		cmocka_unit_test(warmup_learns_without_alerting),
	};

	return cmocka_run_group_tests_name("detect", t, NULL, NULL);
}
