// SPDX-License-Identifier: BSD-3-Clause
/* The detector's rules on synthetic windows: what fires, what stays quiet. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>

#include "detect.h"
#include "ja4.h"
#include "window.h"
#include "check.h"

#define HS_UNFP_NAME(reason) HS_UNFP_PREFIX reason

struct seen {
	int n;
	struct det_alert a[16];
	char ja4[16][DET_NAME_LEN];
};

static void collect(void *ctx, const struct det_alert *a)
{
	struct seen *s = ctx;

	if (s->n < 16) {
		s->a[s->n] = *a;
		snprintf(s->ja4[s->n], DET_NAME_LEN, "%s", a->obs->name);
	}
	s->n++;
}

static struct det_obs ob(const char *ja4, double ips, double conns, double nets, double stacks)
{
	struct det_obs o;

	memset(&o, 0, sizeof(o));
	snprintf(o.name, sizeof(o.name), "%s", ja4);
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
	assert_int_equal(det_window(d, o, n, NULL, 0, collect, &s), 0);
	return s;
}

static struct detector *fresh(void)
{
	struct det_config c;

	det_config_default(&c);
	return det_new(&c, FP_TLS);
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

/* A QUIC JA4 has no TCP stack to raise many_stacks: it alerts a point
 * lower; a TCP one with the same numbers does not, nor a QUIC one a
 * further point short. */
static void quic_alerts_without_stacks(void **st)
{
	static const char *const names[] = { "q13d2915h3_723694b0fccc_84684a673e38",
					      "t13d2915h2_723694b0fccc_84684a673e38",
					      "q13d1516h3_aaaaaaaaaaaa_bbbbbbbbbbbb" };
	struct detector *d = fresh();
	struct det_obs o[4];
	struct seen s;
	int w;

	(void)st;
	for (w = 0; w < 5; w++) {
		o[0] = ob("popular", 10000, 15000, 500, 4);
		s = window(d, o, 1);
		assert_int_equal(s.n, 0);
	}
	o[0] = ob("popular", 10000, 15000, 500, 4);
	/* wide, many_nets, new: 4 (4 connections an address: not low_rate) */
	o[1] = ob(names[0], 1300, 5200, 480, 0);
	o[2] = ob(names[1], 1300, 5200, 480, 0);
	/* wide, new: 3 */
	o[3] = ob(names[2], 1300, 5200, 20, 0);
	s = window(d, o, 4);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.ja4[0], names[0]);
	assert_int_equal(s.a[0].state, DET_NEW_ALERT);
	assert_int_equal(s.a[0].score, 4);
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
	return det_new(&c, FP_TLS);
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
		"{\"format\":\"hydrascope-detector-state\",\"version\":2,\"kind\":\"tls\",\"window_s\":60,",
		"[1,2,3]",
		"{\"format\":\"something-else\",\"version\":1}",
		/* the previous format version */
		"{\"format\":\"hydrascope-detector-state\",\"version\":1,\"window_s\":60,"
		"\"windows\":1,\"fingerprints\":[],\"history\":[]}",
		/* TCP stacks' state */
		"{\"format\":\"hydrascope-detector-state\",\"version\":2,\"kind\":\"tcp\","
		"\"window_s\":60,\"windows\":1,\"fingerprints\":[],\"history\":[]}",
		"{\"format\":\"hydrascope-detector-state\",\"version\":\"1\"}",
		/* another window length */
		"{\"format\":\"hydrascope-detector-state\",\"version\":2,\"kind\":\"tls\",\"window_s\":30,"
		"\"windows\":1,\"fingerprints\":[],\"history\":[]}",
		/* history naming a fingerprint not listed */
		"{\"format\":\"hydrascope-detector-state\",\"version\":2,\"kind\":\"tls\",\"window_s\":60,"
		"\"windows\":1,\"fingerprints\":[],\"history\":[{\"window\":0,\"obs\":[[0,1,1,1,1]]}]}",
		/* negative baseline, string windows */
		"{\"format\":\"hydrascope-detector-state\",\"version\":2,\"kind\":\"tls\",\"window_s\":60,"
		"\"windows\":1,\"fingerprints\":[{\"name\":\"a\",\"baseline_ips\":-1,\"windows\":1,"
		"\"alerting\":false}],\"history\":[]}",
		"{\"format\":\"hydrascope-detector-state\",\"version\":2,\"kind\":\"tls\",\"window_s\":60,"
		"\"windows\":\"1\",\"fingerprints\":[],\"history\":[]}",
		/* ips past what a save writes (they came back negative) */
		"{\"format\":\"hydrascope-detector-state\",\"version\":2,\"kind\":\"tls\",\"window_s\":60,"
		"\"windows\":1,\"fingerprints\":[{\"name\":\"a\",\"baseline_ips\":1,\"windows\":1,"
		"\"alerting\":false}],\"history\":[{\"window\":0,\"obs\":[[0,1,9223372036854775807,1,1]]}]}",
		/* history windows that do not end at `windows` */
		"{\"format\":\"hydrascope-detector-state\",\"version\":2,\"kind\":\"tls\",\"window_s\":60,"
		"\"windows\":5,\"fingerprints\":[],\"history\":[{\"window\":0,\"obs\":[]}]}",
		"\x01\x02garbage",
		/* account baselines: three numbers, the weight in (0, 1] */
		"{\"format\":\"hydrascope-detector-state\",\"version\":2,\"kind\":\"tls\",\"window_s\":60,"
		"\"windows\":1,\"fingerprints\":[{\"name\":\"a\",\"baseline_ips\":1,\"windows\":1,"
		"\"alerting\":false,\"accounts\":\"300 300\"}],\"history\":[]}",
		"{\"format\":\"hydrascope-detector-state\",\"version\":2,\"kind\":\"tls\",\"window_s\":60,"
		"\"windows\":1,\"fingerprints\":[{\"name\":\"a\",\"baseline_ips\":1,\"windows\":1,"
		"\"alerting\":false,\"accounts\":\"300 300 0\"}],\"history\":[]}",
		"{\"format\":\"hydrascope-detector-state\",\"version\":2,\"kind\":\"tls\",\"window_s\":60,"
		"\"windows\":1,\"fingerprints\":[{\"name\":\"a\",\"baseline_ips\":1,\"windows\":1,"
		"\"alerting\":false,\"accounts\":\"-1 300 0.5\"}],\"history\":[]}",
		"{\"format\":\"hydrascope-detector-state\",\"version\":2,\"kind\":\"tls\",\"window_s\":60,"
		"\"windows\":1,\"fingerprints\":[{\"name\":\"a\",\"baseline_ips\":1,\"windows\":1,"
		"\"alerting\":false,\"accounts\":\"300 300 1.5\"}],\"history\":[]}",
		"{\"format\":\"hydrascope-detector-state\",\"version\":2,\"kind\":\"tls\",\"window_s\":60,"
		"\"windows\":1,\"fingerprints\":[{\"name\":\"a\",\"baseline_ips\":1,\"windows\":1,"
		"\"alerting\":false,\"accounts\":300}],\"history\":[]}",
		/* tagging on since a window not closed yet */
		"{\"format\":\"hydrascope-detector-state\",\"version\":2,\"kind\":\"tls\",\"window_s\":60,"
		"\"windows\":1,\"fingerprints\":[],\"history\":[],\"accounts_since\":2}",
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

/* The largest values a state file holds load, and what is saved after
 * the next window loads again (fuzz_state: ips of 2^63 saved negative) */
static void state_extremes_round_trip(void **st)
{
	char path[256], err[512];
	struct detector *d = fresh(), *e = fresh();
	struct det_obs o = ob("a", 1e15, 1e15, 1e15, 1e15);

	(void)st;
	state_path(path, sizeof(path), "extremes.json");
	write_file(path, "{\"format\":\"hydrascope-detector-state\",\"version\":2,\"kind\":\"tls\","
		   "\"window_s\":60,\"windows\":1,\"fingerprints\":[{\"name\":\"a\",\"baseline_ips\":1e300,"
		   "\"windows\":1,\"alerting\":false}],\"history\":[{\"window\":0,\"obs\":"
		   "[[0,9223372036854775807,1000000000000000,1000000000000000,1000000000000000]]}]}");
	assert_int_equal(det_load(d, path, 60, err, sizeof(err)), 0);
	o.conns = UINT64_MAX;
	o.ips = 1e300;
	window(d, &o, 1);
	assert_int_equal(det_save(d, path, 60), 0);
	err[0] = 0;
	if (det_load(e, path, 60, err, sizeof(err)))
		fail_msg("saved state does not load: %s", err);
	assert_int_equal(det_windows(e), 2);
	assert_int_equal(det_known(e), 1);
	unlink(path);
	det_free(d);
	det_free(e);
}

/* Fingerprints whose baseline decayed below one address and that left the
 * kept history are forgotten; judging one again gives the same verdict. */
static void forgotten_when_faded(void **st)
{
	struct detector *d = fresh();
	struct det_obs o[2];
	struct seen s;
	int w;

	(void)st;
	for (w = 0; w < 4; w++) {
		o[0] = ob("popular", 10000, 15000, 500, 4);
		o[1] = ob("once", 3, 3, 1, 1);
		window(d, o, w == 3 ? 2 : 1);
	}
	assert_int_equal(det_known(d), 2);
	/* "once" leaves: kept while its history record is within reach */
	for (w = 0; w < DET_HISTORY; w++) {
		o[0] = ob("popular", 10000, 15000, 500, 4);
		window(d, o, 1);
	}
	assert_int_equal(det_known(d), 1);
	/* back as a hydra: fires as new */
	o[1] = ob("once", 1300, 2600, 480, 14);
	s = window(d, o, 2);
	assert_int_equal(s.n, 1);
	assert_true(s.a[0].signals & (1u << DET_NEW));
	det_free(d);
}

/* Skipped windows (replay over a jump in packet time) are the empty
 * windows closed one by one: counted, in the warm-up too, and only once
 * no fingerprint is known. */
static void skip_is_empty_windows(void **st)
{
	struct detector *a = fresh(), *b = fresh();
	struct det_obs o = ob("x", 50, 60, 40, 2), hydra = ob("hydra", 1300, 2600, 480, 14);
	struct seen sa, sb;
	unsigned int k;

	(void)st;
	/* within the warm-up: 2 skipped, then one more window still learns */
	det_skip(a, 2);
	window(b, NULL, 0);
	window(b, NULL, 0);
	assert_int_equal(det_windows(a), 2);
	assert_int_equal(window(a, &hydra, 1).n, 0);
	assert_int_equal(window(b, &hydra, 1).n, 0);
	/* nothing skipped while a fingerprint is known */
	window(a, &o, 1);
	window(b, &o, 1);
	det_skip(a, 1000);
	assert_int_equal(det_windows(a), det_windows(b));
	/* once all is forgotten: 1,000 skipped as 1,000 closed */
	for (k = 0; det_known(a); k++) {
		window(a, NULL, 0);
		window(b, NULL, 0);
	}
	assert_int_equal(det_known(b), 0);
	det_skip(a, 1000);
	for (k = 0; k < 1000; k++)
		window(b, NULL, 0);
	assert_int_equal(det_windows(a), det_windows(b));
	sa = window(a, &hydra, 1);
	sb = window(b, &hydra, 1);
	assert_int_equal(sa.n, 1);
	assert_int_equal(sb.n, 1);
	assert_int_equal(sa.a[0].signals, sb.a[0].signals);
	assert_int_equal(sa.a[0].score, sb.a[0].score);
	det_free(a);
	det_free(b);
}

/* The index stays right at scale: 50,000 fingerprints per window, a hydra
 * among them is the only alert, and every one is still known. */
static void many_fingerprints(void **st)
{
	const size_t n = 50000;
	struct det_obs *o = calloc(n + 1, sizeof(*o));
	struct detector *d = fresh();
	char name[64];
	struct seen s;
	size_t i;
	int w;

	(void)st;
	assert_non_null(o);
	for (w = 0; w < 5; w++) {
		for (i = 0; i < n; i++) {
			snprintf(name, sizeof(name), "t13d1516h2_%012zx_e5627efa2ab1", i * 7919);
			o[i] = ob(name, 50 + (double)(i % 300), 100 + (double)(i % 300), 20, 2);
		}
		o[n] = ob("hydra", 1300, 2600, 480, 14);
		s = window(d, o, w == 4 ? n + 1 : n);
	}
	assert_int_equal(s.n, 1);
	assert_string_equal(s.ja4[0], "hydra");
	assert_int_equal(det_known(d), n + 1);
	free(o);
	det_free(d);
}

/* TCP stacks: the same rules without the TLS part (no many_stacks), and no
 * JA4 allowlist. */
static void tcp_stacks(void **st)
{
	const char *stack = "4:64:0:*:mss*20,7:mss,sok,ts,nop,ws:df,id+:0";
	struct det_config c;
	struct detector *d;
	struct det_obs o[2];
	struct seen s;
	int w;

	(void)st;
	det_config_default(&c);
	c.nallow = 1;
	snprintf(c.allow[0].ja4, sizeof(c.allow[0].ja4), "%s", "4");
	d = det_new(&c, FP_TCP);
	assert_non_null(d);
	for (w = 0; w < 4; w++) {
		o[0] = ob("4:128:0:*:65535,8:mss,nop,ws,nop,nop,sok:df,id+:0", 9000, 14000, 480, 0);
		window(d, o, 1);
	}
	o[1] = ob(stack, 1300, 2600, 480, 0);
	s = window(d, o, 2);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.ja4[0], stack);
	assert_int_equal(s.a[0].score, 5);   /* wide, many_nets, low_rate, new */
	assert_false(s.a[0].signals & (1u << DET_MANY_STACKS));
	det_free(d);
}

/* A window's history keeps its widest DET_HISTORY_MAX observations. */
static void history_capped(void **st)
{
	const size_t n = DET_HISTORY_MAX + 500;
	struct det_obs *o = calloc(n, sizeof(*o));
	struct detector *d = fresh(), *e;
	char path[256], err[512];
	size_t i;

	(void)st;
	assert_non_null(o);
	for (i = 0; i < n; i++) {
		char name[32];

		snprintf(name, sizeof(name), "fp%zu", i);
		o[i] = ob(name, 1 + (double)i, 2 + (double)i, 1, 1);
	}
	window(d, o, n);
	state_path(path, sizeof(path), "cap.json");
	assert_int_equal(det_save(d, path, 60), 0);
	e = fresh();
	assert_int_equal(det_load(e, path, 60, err, sizeof(err)), 0);
	assert_int_equal(det_known(e), n);
	det_free(e);
	/* after DET_HISTORY quiet windows only what the history holds is left:
	 * the narrow ones decayed and were never in it */
	for (i = 0; i < 30; i++)
		window(d, o, 0);
	assert_true(det_known(d) <= DET_HISTORY_MAX);
	assert_true(det_known(d) > 0);
	det_free(d);
	free(o);
	unlink(path);
}

/* ---- novelty (issue 14) ---- */

/* o with this window's novelty: sources new to it, of which new to the
 * site, and new networks */
static struct det_obs nov(struct det_obs o, double ips, double site, double nets)
{
	o.novel_ips = (__u64)ips;
	o.novel_site = (__u64)site;
	o.novel_nets = (__u64)nets;
	return o;
}

/* The SDK's steady customers: 300 addresses a window, a few new ones */
static struct det_obs sdk(void)
{
	return nov(ob("sdk", 300, 300, 48, 3), 4, 3, 1);
}

/* a hydra inside the SDK's own fingerprint: the JA4 is not new, it does
 * not widen 4x, but its sources are new to the JA4 and to the site */
static void shared_hydra_by_novelty(void **st)
{
	struct detector *d = fresh();
	struct det_obs o[1];
	struct seen s;
	int w;

	(void)st;
	for (w = 0; w < 12; w++) {
		o[0] = sdk();
		s = window(d, o, 1);
		assert_int_equal(s.n, 0);
	}
	o[0] = nov(ob("sdk", 650, 1000, 290, 3), 350, 345, 240);
	s = window(d, o, 1);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.a[0].state, DET_NEW_ALERT);
	assert_true(s.a[0].signals & (1u << DET_NOVEL));
	assert_false(s.a[0].signals & ((1u << DET_NEW) | (1u << DET_WIDENING)));
	assert_true(s.a[0].shared);
	/* the span's sums: this window's and the four before */
	assert_true(s.a[0].novel_site >= 345 && s.a[0].novel_site <= 345 + 4 * 3);
	assert_true(s.a[0].novel_nets >= 240);
	/* it holds while the novelty does, ends when it is gone for a span */
	s = window(d, o, 1);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.a[0].state, DET_ACTIVE);
	for (w = 0; w < 6 && !(s.n == 1 && s.a[0].state == DET_ENDED); w++) {
		o[0] = sdk();
		s = window(d, o, 1);
	}
	assert_int_equal(s.a[0].state, DET_ENDED);
	det_free(d);
}

/* a new hydra JA4 whose first window caught only its ramp-up (under
 * every threshold) is not shared: its alert is on the whole JA4; and when
 * the hydra comes back after the alert ended, still not (nor after a
 * restart from the state) */
static void hydra_ramp_is_not_shared(void **st)
{
	struct detector *d = fresh(), *e;
	char path[256], err[512];
	struct det_obs o[2];
	struct seen s;
	int w;

	(void)st;
	state_path(path, sizeof(path), "ramp.json");
	for (w = 0; w < 12; w++) {
		o[0] = sdk();
		s = window(d, o, 1);
	}
	o[0] = sdk();
	o[1] = nov(ob("hydra", 12, 12, 5, 1), 12, 12, 5);
	s = window(d, o, 2);
	assert_int_equal(s.n, 0);
	o[1] = nov(ob("hydra", 1300, 2600, 480, 14), 1290, 1290, 470);
	s = window(d, o, 2);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.a[0].state, DET_NEW_ALERT);
	assert_false(s.a[0].shared);
	/* gone a window: the alert ends; back: not shared either */
	o[0] = sdk();
	s = window(d, o, 1);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.a[0].state, DET_ENDED);
	assert_int_equal(det_save(d, path, 60), 0);
	e = fresh();
	assert_int_equal(det_load(e, path, 60, err, sizeof(err)), 0);
	for (w = 0; w < 2; w++) {
		struct detector *x = w ? e : d;

		o[0] = sdk();
		o[1] = nov(ob("hydra", 1300, 2600, 480, 14), 300, 300, 100);
		s = window(x, o, 2);
		assert_int_equal(s.n, 1);
		assert_int_equal(s.a[0].state, DET_NEW_ALERT);
		assert_false(s.a[0].shared);
	}
	unlink(path);
	det_free(e);
	det_free(d);
}

/* an app release: its users move to a new JA4, new to it but known to
 * the site; and a population with high steady churn */
static void release_and_churn_stay_quiet(void **st)
{
	struct detector *d = fresh();
	struct det_obs o[3];
	struct seen s;
	int w;

	(void)st;
	for (w = 0; w < 30; w++) {
		double moved = w < 10 ? 0 : w < 20 ? 100 * (w - 9) : 1000;
		double fresh_ips = w >= 10 && w < 20 ? 100 : 0;

		o[0] = nov(ob("old", 1000 - moved, 1500, 300, 4), 0, 0, 0);
		o[1] = nov(ob("mobile", 900, 1200, 40, 3), 300, 280, 1);
		o[2] = nov(ob("new", moved > 0 ? moved : 1, 1500, 300, 4), fresh_ips,
			   fresh_ips / 50, fresh_ips / 4);
		s = window(d, o, moved > 0 ? 3 : 2);
		assert_int_equal(s.n, 0);
	}
	det_free(d);
}

/* a slow hydra no one window shows: 70 new sources a window, under
 * min_novel, caught over the span */
static void slow_hydra_over_the_span(void **st)
{
	struct detector *d = fresh();
	struct det_obs o[1];
	struct seen s;
	int w, fired = -1;

	(void)st;
	for (w = 0; w < 15; w++) {
		o[0] = sdk();
		s = window(d, o, 1);
		assert_int_equal(s.n, 0);
	}
	for (w = 0; w < 6 && fired < 0; w++) {
		o[0] = nov(ob("sdk", 300 + 30 * w, 400, 48 + 60, 4), 70, 70, 60);
		s = window(d, o, 1);
		if (s.n)
			fired = w;
	}
	assert_true(fired >= 1 && fired <= 2);
	assert_true(s.a[0].signals & (1u << DET_NOVEL));
	det_free(d);
}

/* the SDK from stacks it never came from: pairs first seen after the JA4 */
static void new_stacks_of_a_known_fingerprint(void **st)
{
	struct detector *d = fresh();
	struct det_obs o[1], p[3];
	struct seen s;
	int w;

	(void)st;
	for (w = 0; w < 10; w++) {
		o[0] = sdk();
		p[0] = ob("sdk 4:64:0:*:mss*20,7:mss,sok,ts,nop,ws:df,id+:0", 300, 300, 48, 0);
		assert_int_equal(det_window(d, o, 1, p, 1, collect, memset(&s, 0, sizeof(s))), 0);
		assert_int_equal(s.n, 0);
	}
	/* new exits, but the JA4's novelty alone under min_novel: the pairs say it */
	o[0] = nov(ob("sdk", 480, 520, 170, 5), 90, 90, 80);
	p[0] = ob("sdk 4:64:0:*:mss*20,7:mss,sok,ts,nop,ws:df,id+:0", 300, 300, 48, 0);
	p[1] = ob("sdk 4:128:0:*:mss*20,8:mss,nop,ws,nop,nop,sok:df,id+:0", 100, 100, 70, 0);
	p[2] = ob("sdk 4:64:0:*:65535,6:mss,nop,ws,nop,nop,ts,sok,eol+1:df:0", 80, 80, 60, 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(det_window(d, o, 1, p, 3, collect, &s), 0);
	assert_int_equal(s.n, 1);
	assert_true(s.a[0].signals & (1u << DET_NEW_STACKS));
	assert_true(s.a[0].shared);
	assert_int_equal(s.a[0].nnew_pairs, 2);
	assert_true(s.a[0].new_stack_ips >= 180);
	/* a known pair is not new after a restart either: saved with the state */
	det_free(d);
}

/* a cold seen map under a restored state: every returning source is new
 * for a while; learned anew, it raises no alert, and a hydra after is
 * still caught */
static void novelty_relearned_after_cold_start(void **st)
{
	struct detector *d = fresh();
	struct det_obs o[1];
	struct seen s;
	int w;

	(void)st;
	for (w = 0; w < 12; w++) {
		o[0] = sdk();
		s = window(d, o, 1);
	}
	det_novelty_relearn(d);
	/* the SDK's 300 customers come back, new to the empty map, fewer
	 * each window */
	for (w = 0; w < 12; w++) {
		double n = 300.0 / (1 << (w < 8 ? w : 8));

		o[0] = nov(ob("sdk", 300, 300, 60, 3), n, n, n / 6 + 60);
		s = window(d, o, 1);
		assert_int_equal(s.n, 0);
	}
	o[0] = nov(ob("sdk", 650, 1000, 290, 3), 350, 345, 240);
	s = window(d, o, 1);
	assert_int_equal(s.n, 1);
	assert_true(s.a[0].signals & (1u << DET_NOVEL));
	det_free(d);
}

/* the JA4's own users over a new stack (their OS upgraded): known to the
 * site, so not a new stack's hydra */
static void known_users_over_a_new_stack(void **st)
{
	struct detector *d = fresh();
	struct det_obs o[1], p[2];
	struct seen s;
	int w;

	(void)st;
	for (w = 0; w < 16; w++) {
		o[0] = nov(ob("sdk", 400, 500, 120, 3), 4, 3, 1);
		p[0] = ob("sdk lin-old", w < 10 ? 400 : 150, 400, 120, 0);
		p[1] = ob("sdk lin-new", 250, 250, 80, 0);
		assert_int_equal(det_window(d, o, 1, p, w < 10 ? 1 : 2, collect,
					    memset(&s, 0, sizeof(s))), 0);
		assert_int_equal(s.n, 0);
	}
	det_free(d);
}

/* an allowlist entry means "wide on purpose": novelty still applies,
 * unless the entry says novelty = no */
static void allowlisted_novelty(void **st)
{
	struct det_config c;
	struct det_obs o[1];
	struct seen s;
	int k, w;

	(void)st;
	for (k = 0; k < 2; k++) {
		struct detector *d;

		det_config_default(&c);
		c.nallow = 1;
		memset(&c.allow[0], 0, sizeof(c.allow[0]));
		snprintf(c.allow[0].ja4, sizeof(c.allow[0].ja4), "sdk");
		c.allow[0].no_novelty = k == 1;
		d = det_new(&c, FP_TLS);
		for (w = 0; w < 12; w++) {
			o[0] = sdk();
			s = window(d, o, 1);
		}
		o[0] = nov(ob("sdk", 650, 1000, 290, 3), 350, 345, 240);
		s = window(d, o, 1);
		assert_int_equal(s.n, k == 0 ? 1 : 0);
		det_free(d);
	}
}

/* the novelty's baselines, spans and pairs survive a save and a load */
static void state_keeps_novelty(void **st)
{
	struct detector *d = fresh(), *e;
	char path[256], err[512];
	struct det_obs o[1], p[2];
	struct seen s;
	int w;

	(void)st;
	state_path(path, sizeof(path), "nov.json");
	for (w = 0; w < 12; w++) {
		o[0] = sdk();
		p[0] = ob("sdk lin", 300, 300, 48, 0);
		p[1] = ob("sdk win", w == 11 ? 150 : 0, 150, 80, 0);
		assert_int_equal(det_window(d, o, 1, p, w == 11 ? 2 : 1, collect,
					    memset(&s, 0, sizeof(s))), 0);
		assert_int_equal(s.n, 0);
	}
	assert_int_equal(det_save(d, path, 60), 0);
	e = fresh();
	assert_int_equal(det_load(e, path, 60, err, sizeof(err)), 0);
	/* the same windows on both: the same verdicts */
	for (w = 0; w < 2; w++) {
		struct seen s2;

		o[0] = nov(ob("sdk", 650, 1000, 290, 3), 350, 345, 240);
		p[0] = ob("sdk lin", 300, 300, 48, 0);
		p[1] = ob("sdk win", 150, 150, 80, 0);
		memset(&s, 0, sizeof(s));
		memset(&s2, 0, sizeof(s2));
		assert_int_equal(det_window(d, o, 1, p, 2, collect, &s), 0);
		assert_int_equal(det_window(e, o, 1, p, 2, collect, &s2), 0);
		assert_int_equal(s.n, 1);
		assert_int_equal(s2.n, 1);
		assert_int_equal(s.a[0].signals, s2.a[0].signals);
		assert_int_equal(s.a[0].nnew_pairs, s2.a[0].nnew_pairs);
		assert_true(s.a[0].novel_site == s2.a[0].novel_site);
		assert_true(s.a[0].baseline_novel == s2.a[0].baseline_novel);
	}
	det_free(e);
	det_free(d);
	unlink(path);
}

/* ---- account tags (issue 15) ---- */

#define ACCT_BITS ((1u << DET_ACCOUNTS) | (1u << DET_ACCOUNTS_PER_IP))

/* o with this window's account tags: connections tagged, distinct
 * accounts and distinct addresses of the tagged connections */
static struct det_obs tag(struct det_obs o, double tags, double accounts, double tagged_ips)
{
	o.tags = (__u64)tags;
	o.accounts = accounts;
	o.tagged_ips = tagged_ips;
	return o;
}

/* the SDK's customers, one account per address, every one tagged */
static struct det_obs sdk_tagged(void)
{
	return tag(ob("sdk", 300, 300, 48, 3), 300, 300, 300);
}

/* n windows of the tagged SDK alone: no alert */
static void sdk_windows(struct detector *d, int n)
{
	struct det_obs o;
	int w;

	for (w = 0; w < n; w++) {
		o = sdk_tagged();
		assert_int_equal(window(d, &o, 1).n, 0);
	}
}

/* 500 accounts through 700 addresses join the SDK's JA4 (300 accounts
 * from 300 addresses): it widens 3.3x (not 4x), its addresses say
 * nothing new (no novelty counted here), its accounts alone alert */
static void accounts_hydra_in_a_shared_ja4(void **st)
{
	struct detector *d = fresh(), *twin = fresh();
	struct det_obs o;
	struct seen s;
	int w;

	(void)st;
	sdk_windows(d, 12);
	sdk_windows(twin, 12);
	/* the same window untagged raises nothing (wide, many_nets,
	 * low_rate: 3) */
	o = ob("sdk", 1000, 1500, 200, 3);
	assert_int_equal(window(twin, &o, 1).n, 0);
	det_free(twin);
	o = tag(ob("sdk", 1000, 1500, 200, 3), 1500, 800, 1000);
	s = window(d, &o, 1);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.a[0].state, DET_NEW_ALERT);
	assert_true(s.a[0].signals & (1u << DET_ACCOUNTS));
	assert_false(s.a[0].signals & (1u << DET_ACCOUNTS_PER_IP));   /* 0.8 per address */
	assert_false(s.a[0].signals & ((1u << DET_WIDENING) | (1u << DET_NOVEL)));
	assert_int_equal(s.a[0].score, 5);
	assert_true(s.a[0].baseline_accounts > 299 && s.a[0].baseline_accounts < 301);
	assert_true(s.a[0].baseline_accounts_per_ip > 0.99 && s.a[0].baseline_accounts_per_ip < 1.01);
	assert_true(s.a[0].shared);
	/* the baseline is frozen while the alert is open: it holds */
	for (w = 0; w < 6; w++) {
		s = window(d, &o, 1);
		assert_int_equal(s.n, 1);
		assert_int_equal(s.a[0].state, DET_ACTIVE);
	}
	/* gone: it ends, and the usual is still the SDK's */
	o = sdk_tagged();
	s = window(d, &o, 1);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.a[0].state, DET_ENDED);
	assert_true(s.a[0].baseline_accounts < 301);
	sdk_windows(d, 3);
	det_free(d);
}

/* a new JA4 of 500 accounts: alerted with accounts among the reasons,
 * also when it is too narrow to be `wide` */
static void accounts_new_ja4(void **st)
{
	struct detector *d = fresh();
	struct det_obs o[2];
	struct seen s;

	(void)st;
	sdk_windows(d, 6);
	o[0] = sdk_tagged();
	o[1] = tag(ob("hydra", 700, 1400, 300, 9), 1400, 500, 700);
	s = window(d, o, 2);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.ja4[0], "hydra");
	assert_true(s.a[0].signals & (1u << DET_NEW));
	assert_true(s.a[0].signals & (1u << DET_ACCOUNTS));
	assert_true(s.a[0].baseline_accounts == 0);
	/* 150 addresses, 40 networks: new and low_rate (3) would not alert,
	 * its 500 accounts do */
	o[1] = tag(ob("narrow", 150, 450, 40, 2), 450, 500, 150);
	s = window(d, o, 2);
	assert_int_equal(s.n, 2);                 /* narrow, then the hydra's end */
	assert_string_equal(s.ja4[0], "narrow");
	assert_int_equal(s.a[0].state, DET_NEW_ALERT);
	assert_true(s.a[0].signals & (1u << DET_ACCOUNTS));
	assert_true(s.a[0].signals & (1u << DET_ACCOUNTS_PER_IP));   /* 3.3 per address */
	assert_false(s.a[0].signals & (1u << DET_WIDE));
	assert_int_equal(s.a[1].state, DET_ENDED);
	det_free(d);
}

/* deterministic wobble in [-1, 1] */
static double wobble(int w, int k)
{
	return ((double)((w * 7919 + k * 104729) % 201) - 100) / 100;
}

/* one account per address: steady populations, the estimates' noise, a
 * small one, slow growth and churn, from a first window that caught 15%
 * of a window's traffic (windows are on round times); then an app release
 * moving its users (known to the site) to a new JA4 within ten minutes */
static void accounts_legit_stays_quiet(void **st)
{
	struct detector *d = fresh();
	struct det_obs o[4];
	struct seen s;
	int w;

	(void)st;
	for (w = 0; w < 60; w++) {
		double part = w ? 1 : 0.15;
		/* 2,000 users, +-5% (beyond the sketches' 3% error) */
		double big = part * 2000 * (1 + 0.05 * wobble(w, 1));
		/* growing 8% a window from 200, to ~20,000 */
		double grow = part * 200 * pow(1.08, w);
		/* 150 users, a third replaced every window, +-20% */
		double small = part * 150 * (1 + 0.2 * wobble(w, 2));
		/* the release: 100 more users a window from window 30 */
		double moved = w < 30 ? 0 : fmin(100 * (w - 29), 1000);

		o[0] = tag(ob("app", big, 2 * big, big / 8, 4), 2 * big, big, big * 0.98);
		o[1] = tag(ob("growing", grow, 2 * grow, fmin(grow / 4, 500), 3), 2 * grow,
			   grow * 1.02, grow);
		o[2] = nov(tag(ob("small", small, 3 * small, 40, 2), 3 * small, small, small),
			   small / 3, small / 20, 2);
		o[3] = nov(tag(ob("release", moved > 0 ? moved : 1, 2 * moved, moved / 4, 3),
			       2 * moved, moved, moved), 100, 5, 20);
		s = window(d, o, moved > 0 ? 4 : 3);
		if (s.n)
			fail_msg("window %d: an alert on %s (signals %#x)", w, s.ja4[0],
				 s.a[0].signals);
	}
	det_free(d);
}

/* 3 accounts tagging 300 connections from 200 addresses: nothing about
 * accounts, on a new JA4 that alerts for its width or on a known one */
static void few_accounts_never_count(void **st)
{
	struct detector *d = fresh();
	struct det_obs o[2];
	struct seen s;
	int w;

	(void)st;
	sdk_windows(d, 6);
	o[0] = tag(ob("sdk", 300, 300, 48, 3), 300, 3, 300);
	o[1] = tag(ob("wide", 200, 300, 60, 2), 300, 3, 200);
	s = window(d, o, 2);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.ja4[0], "wide");   /* new, wide, many_nets, low_rate */
	assert_int_equal(s.a[0].signals & ACCT_BITS, 0);
	for (w = 0; w < 5; w++) {
		o[0] = tag(ob("sdk", 300, 300, 48, 3), 300, 3, 1);    /* 3 per address */
		s = window(d, o, 1);
		assert_false(s.n && (s.a[0].signals & ACCT_BITS));
	}
	det_free(d);
}

/* a farm: 500 accounts behind 20 addresses, inside the SDK's JA4 (300
 * accounts from 300 addresses) or as a JA4 of its own; a population whose
 * usual is 3 accounts an address (offices behind NAT) stays quiet */
static void accounts_per_ip_farm(void **st)
{
	struct detector *d = fresh();
	struct det_obs o[3];
	struct seen s;
	int w;

	(void)st;
	for (w = 0; w < 8; w++) {
		o[0] = sdk_tagged();
		o[1] = tag(ob("office", 300, 900, 60, 4), 900, 900, 300);
		assert_int_equal(window(d, o, 2).n, 0);
	}
	o[0] = tag(ob("sdk", 320, 1300, 49, 3), 1300, 800, 320);
	o[1] = tag(ob("office", 300, 900, 60, 4), 900, 900, 300);
	o[2] = tag(ob("farm", 20, 1000, 5, 1), 1000, 500, 20);
	s = window(d, o, 3);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.ja4[0], "sdk");
	assert_true(s.a[0].signals & (1u << DET_ACCOUNTS_PER_IP));   /* 2.5 against 1 */
	assert_true(s.a[0].signals & (1u << DET_ACCOUNTS));
	assert_string_equal(s.ja4[1], "farm");
	assert_true(s.a[1].signals & (1u << DET_ACCOUNTS_PER_IP));   /* 25 */
	assert_true(s.a[1].signals & (1u << DET_NEW));
	assert_false(s.a[1].signals & (1u << DET_WIDE));
	/* the office's ratio more than doubles: 7 accounts an address */
	o[1] = tag(ob("office", 300, 2100, 60, 4), 2100, 2100, 300);
	s = window(d, o, 3);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.ja4[1], "office");
	assert_true(s.a[1].signals & (1u << DET_ACCOUNTS_PER_IP));
	assert_true(s.a[1].baseline_accounts_per_ip > 2.9 && s.a[1].baseline_accounts_per_ip < 3.1);
	det_free(d);
}

/* a site that tags nothing: no account signal, no account baseline, and
 * nothing of accounts in the state */
static void no_tags_no_accounts(void **st)
{
	struct detector *d = fresh();
	char path[256], buf[65536];
	struct det_obs o[2];
	struct seen s;
	size_t len;
	FILE *f;
	int w;

	(void)st;
	state_path(path, sizeof(path), "untagged.json");
	for (w = 0; w < 12; w++) {
		o[0] = sdk();
		o[0].accounts = 500;     /* ignored: no tags */
		s = window(d, o, 1);
		assert_int_equal(s.n, 0);
	}
	o[0] = nov(ob("sdk", 650, 1000, 290, 3), 350, 345, 240);
	o[1] = ob("hydra", 1300, 2600, 480, 14);
	s = window(d, o, 2);
	assert_int_equal(s.n, 2);
	for (w = 0; w < 2; w++) {
		assert_int_equal(s.a[w].signals & ACCT_BITS, 0);
		assert_true(s.a[w].baseline_accounts == 0);
	}
	assert_int_equal(det_save(d, path, 60), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = 0;
	assert_null(strstr(buf, "accounts"));
	unlink(path);
	det_free(d);
}

/* tagging turned on at a site running for a while: every fingerprint
 * with accounts has no account baseline yet; none is alerted for them,
 * they are learned over the warm-up first; a hydra after is caught */
static void tagging_turned_on_learns_first(void **st)
{
	struct detector *d = fresh();
	struct det_obs o[2];
	struct seen s;
	int w;

	(void)st;
	for (w = 0; w < 10; w++) {
		o[0] = ob("popular", 9000, 15000, 500, 4);
		o[1] = ob("sdk", 300, 300, 48, 3);
		assert_int_equal(window(d, o, 2).n, 0);
	}
	for (w = 0; w < 10; w++) {
		/* turned on near the end of a window: a fifth of its tags */
		double part = w ? 1 : 0.2;

		o[0] = tag(ob("popular", 9000, 15000, 500, 4), part * 12000, part * 8000,
			   part * 8500);
		o[1] = tag(sdk_tagged(), part * 300, part * 300, part * 300);
		s = window(d, o, 2);
		if (s.n)
			fail_msg("window %d after tagging began: an alert on %s", w, s.ja4[0]);
	}
	o[1] = tag(ob("sdk", 1000, 1500, 200, 3), 1500, 800, 1000);
	s = window(d, o, 2);
	assert_int_equal(s.n, 1);
	assert_true(s.a[0].signals & (1u << DET_ACCOUNTS));
	det_free(d);
}

/* an allowlist entry with accounts = no: no account alert for that JA4 */
static void allowlisted_accounts_off(void **st)
{
	struct detector *d = with_allow("sdk", 0, 0);
	struct det_config c;
	struct det_obs o;

	(void)st;
	det_free(d);
	det_config_default(&c);
	snprintf(c.allow[0].ja4, sizeof(c.allow[0].ja4), "sdk");
	c.allow[0].no_accounts = true;
	c.nallow = 1;
	d = det_new(&c, FP_TLS);
	sdk_windows(d, 8);
	o = tag(ob("sdk", 320, 1300, 49, 3), 1300, 800, 320);
	assert_int_equal(window(d, &o, 1).n, 0);
	det_free(d);
}

/* the account baselines and the accounts' warm-up survive a save and a
 * load; a file without them (before issue 15) loads without them */
static void state_keeps_accounts(void **st)
{
	struct detector *d = fresh(), *e;
	char path[256], err[512];
	struct det_obs o;
	struct seen s, s2;
	int w;

	(void)st;
	state_path(path, sizeof(path), "acct.json");
	sdk_windows(d, 8);
	assert_int_equal(det_save(d, path, 60), 0);
	e = fresh();
	assert_int_equal(det_load(e, path, 60, err, sizeof(err)), 0);
	for (w = 0; w < 2; w++) {
		o = tag(ob("sdk", 1000, 1500, 200, 3), 1500, 800, 1000);
		s = window(d, &o, 1);
		s2 = window(e, &o, 1);
		assert_int_equal(s.n, 1);
		assert_int_equal(s2.n, 1);
		assert_int_equal(s.a[0].signals, s2.a[0].signals);
		assert_true(s.a[0].signals & (1u << DET_ACCOUNTS));
		assert_true(s.a[0].baseline_accounts == s2.a[0].baseline_accounts);
		assert_true(s.a[0].baseline_accounts_per_ip == s2.a[0].baseline_accounts_per_ip);
	}
	det_free(e);
	det_free(d);
	/* a state without account baselines (an older file): the SDK has
	 * none, and tagging is not on yet: it is learned, not alerted */
	write_file(path, "{\"format\":\"hydrascope-detector-state\",\"version\":2,\"kind\":\"tls\","
		   "\"window_s\":60,\"windows\":10,\"fingerprints\":[{\"name\":\"sdk\","
		   "\"baseline_ips\":300,\"windows\":10,\"alerting\":false}],\"history\":[]}");
	e = fresh();
	assert_int_equal(det_load(e, path, 60, err, sizeof(err)), 0);
	for (w = 0; w < 3; w++) {
		o = tag(ob("sdk", 1000, 1500, 200, 3), 1500, 800, 1000);
		assert_int_equal(window(e, &o, 1).n, 0);
	}
	det_free(e);
	unlink(path);
}

/*
 * Issue 17: connections whose ClientHello could not be fingerprinted are
 * counted per reason as a population named "unfingerprinted:REASON", and
 * judged like a JA4. A site's own few (scanners, plain HTTP to 443) make a
 * small usual; a fragmenting hydra of 600 addresses over 300 networks at
 * 2 connections each alerts in the window it arrives (new to the reason,
 * or 4x its usual), as hydra_unfingerprinted with the reason, never
 * enforced; the usual few stay quiet.
 */
static void unfingerprinted_hydra(void **st)
{
	const char *noise = HS_UNFP_NAME("not_hello"), *split = HS_UNFP_NAME("record_split");
	struct detector *d = fresh();
	struct det_obs o[3];
	struct seen s;
	int w;

	(void)st;
	for (w = 0; w < 8; w++) {
		o[0] = ob("popular", 10000, 15000, 500, 4);
		o[1] = ob(noise, 30 + w % 3, 40, 25, 3);
		o[2] = ob(split, 2, 2, 2, 1);
		s = window(d, o, 3);
		assert_int_equal(s.n, 0);
	}
	/* the hydra splits its ClientHellos: record_split widens 300x */
	o[2] = ob(split, 600, 1200, 300, 9);
	s = window(d, o, 3);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.ja4[0], split);
	assert_true(s.a[0].signals & (1u << DET_WIDENING));
	assert_true(s.a[0].score >= 5);
	/* a reason never seen before: new */
	o[2] = ob(split, 2, 2, 2, 1);
	window(d, o, 3);
	window(d, o, 3);
	o[2] = ob(HS_UNFP_NAME("malformed"), 700, 1400, 350, 12);
	s = window(d, o, 3);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.ja4[0], HS_UNFP_NAME("malformed"));
	assert_true(s.a[0].signals & (1u << DET_NEW));
	det_free(d);
}

/* Through the window code: the alert is hydra_unfingerprinted, says why
 * and has no JA4; a JA4 alert says whether its JA4 is inexact. */
static void unfingerprinted_alert_line(void **st)
{
	struct det_config c;
	struct windows *w;
	struct det_obs o[3];
	struct win_rows r = { 0 };
	char path[] = "/tmp/hs-test-unfp-XXXXXX", line[4096];
	int fd, k, got = 0, ja4 = 0;
	FILE *f;

	(void)st;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	det_config_default(&c);
	w = win_new(&c, 60, path, true, false);
	assert_non_null(w);
	for (k = 0; k < 6; k++) {
		o[0] = ob("t13d1516h2_8daaf6152771_e5627efa2ab1", 9000, 14000, 480, 4);
		r.tls = o;
		r.ntls = 1;
		assert_int_equal(win_judge(w, &r, (__u64)(k + 1) * 60000000000ULL), 0);
	}
	o[1] = ob(HS_UNFP_NAME("out_of_order"), 800, 1600, 400, 11);
	o[2] = ob("t13d9916h2_23fcf16c6918_e5627efa2ab1", 900, 1800, 400, 11);
	o[2].inexact = true;
	r.ntls = 3;
	assert_int_equal(win_judge(w, &r, 7 * 60000000000ULL), 0);
	win_free(w);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "\"event\":\"hydra_unfingerprinted\"")) {
			got++;
			assert_non_null(strstr(line, "\"unfingerprinted\":\"out_of_order\""));
			assert_null(strstr(line, "\"ja4\""));
			assert_non_null(strstr(line, "\"enforced\":null"));
		} else if (strstr(line, "\"event\":\"hydra\"")) {
			ja4++;
			assert_non_null(strstr(line, "\"inexact\":true"));
		}
	}
	fclose(f);
	unlink(path);
	assert_int_equal(got, 1);
	assert_int_equal(ja4, 1);
}

int main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(popular_stays_quiet),
		cmocka_unit_test(new_hydra_fires_and_ends),
		cmocka_unit_test(quic_alerts_without_stacks),
		cmocka_unit_test(widening_of_a_known_fingerprint),
		cmocka_unit_test(absolute_numbers_alone_never_fire),
		cmocka_unit_test(small_or_busy_is_not_a_hydra),
		cmocka_unit_test(warmup_learns_without_alerting),
		cmocka_unit_test(allowlisted_never_alerts),
		cmocka_unit_test(allowlisted_own_thresholds),
		cmocka_unit_test(state_round_trip),
		cmocka_unit_test(state_new_after_restart),
		cmocka_unit_test(state_bad_files),
		cmocka_unit_test(state_extremes_round_trip),
		cmocka_unit_test(forgotten_when_faded),
		cmocka_unit_test(skip_is_empty_windows),
		cmocka_unit_test(many_fingerprints),
		cmocka_unit_test(tcp_stacks),
		cmocka_unit_test(history_capped),
		cmocka_unit_test(shared_hydra_by_novelty),
		cmocka_unit_test(hydra_ramp_is_not_shared),
		cmocka_unit_test(release_and_churn_stay_quiet),
		cmocka_unit_test(slow_hydra_over_the_span),
		cmocka_unit_test(new_stacks_of_a_known_fingerprint),
		cmocka_unit_test(allowlisted_novelty),
		cmocka_unit_test(state_keeps_novelty),
		cmocka_unit_test(novelty_relearned_after_cold_start),
		cmocka_unit_test(known_users_over_a_new_stack),
		cmocka_unit_test(accounts_hydra_in_a_shared_ja4),
		cmocka_unit_test(accounts_new_ja4),
		cmocka_unit_test(accounts_legit_stays_quiet),
		cmocka_unit_test(few_accounts_never_count),
		cmocka_unit_test(accounts_per_ip_farm),
		cmocka_unit_test(no_tags_no_accounts),
		cmocka_unit_test(tagging_turned_on_learns_first),
		cmocka_unit_test(allowlisted_accounts_off),
		cmocka_unit_test(state_keeps_accounts),
		cmocka_unit_test(unfingerprinted_hydra),
		cmocka_unit_test(unfingerprinted_alert_line),
	};

	return cmocka_run_group_tests_name("detect", t, dir_setup, dir_teardown);
}
