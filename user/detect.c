// SPDX-License-Identifier: BSD-3-Clause
/*
 * The hydra detector: per TLS fingerprint (JA4) and window, signals from
 * the window's counts and the fingerprint's own baseline, a score, and
 * alerts that open, repeat once per window while they hold, and end.
 *
 * Signals (each fires or not; the score is the sum of their weights):
 *   wide          ips >= min_ips                                  weight 1
 *   many_nets     nets >= min_nets                                weight 1
 *   low_rate      conns per ip <= max_conns_per_ip                weight 1
 *   many_stacks   distinct TCP stacks >= min_stacks               weight 1
 *   new           no baseline yet (first seen after the warm-up)  weight 2
 *   widening      ips >= growth x the fingerprint's baseline ips  weight 2
 * An alert needs `wide`, a change against the fingerprint's own history
 * (`new` or `widening`), and a score >= alert_score: absolute numbers alone
 * never fire, so a fingerprint whose spread is its normal state (a popular
 * browser, the API's own SDK) stays quiet. The baseline is an exponential
 * average of ips per window, frozen while an alert is open.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs.h"

struct fp_state {
	char ja4[HS_JA4_LEN];
	double baseline_ips;    /* exponential average of ips per window */
	unsigned int windows;   /* windows this fingerprint has been seen in */
	bool alerting;
	bool seen_now;
};

struct detector {
	struct det_config cfg;
	unsigned int windows;   /* windows closed so far */
	struct fp_state *fp;
	size_t n, cap;
};

static const char *const signal_names[] = {
	"wide", "many_nets", "low_rate", "many_stacks", "new", "widening",
};
static const int signal_weights[] = { 1, 1, 1, 1, 2, 2 };

const char *det_signal_name(int i)
{
	return i >= 0 && i < DET_SIG__COUNT ? signal_names[i] : "?";
}

void det_config_default(struct det_config *c)
{
	c->min_ips = 200;
	c->min_nets = 50;
	c->max_conns_per_ip = 3;
	c->min_stacks = 6;
	c->growth = 4;
	c->warmup = 3;
	c->alert_score = 5;
	c->alpha = 0.2;
}

struct detector *det_new(const struct det_config *cfg)
{
	struct detector *d = calloc(1, sizeof(*d));

	if (d)
		d->cfg = *cfg;
	return d;
}

void det_free(struct detector *d)
{
	if (d)
		free(d->fp);
	free(d);
}

static struct fp_state *find(struct detector *d, const char *ja4, bool create)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (!strcmp(d->fp[i].ja4, ja4))
			return &d->fp[i];
	if (!create)
		return NULL;
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 64;
		struct fp_state *nf = realloc(d->fp, cap * sizeof(*nf));

		if (!nf)
			return NULL;
		d->fp = nf;
		d->cap = cap;
	}
	memset(&d->fp[d->n], 0, sizeof(d->fp[0]));
	snprintf(d->fp[d->n].ja4, sizeof(d->fp[0].ja4), "%s", ja4);
	return &d->fp[d->n++];
}

/* Signals and score of one observation against its fingerprint's state. */
static unsigned int signals(const struct det_config *c, const struct fp_state *f,
			    bool learning, const struct det_obs *o, int *score)
{
	double cpi = o->ips > 0 ? (double)o->conns / o->ips : 0;
	unsigned int s = 0;
	int i;

	if (o->ips >= c->min_ips)
		s |= 1u << DET_WIDE;
	if (o->nets >= c->min_nets)
		s |= 1u << DET_MANY_NETS;
	if (o->ips > 0 && cpi <= c->max_conns_per_ip)
		s |= 1u << DET_LOW_RATE;
	if (o->stacks >= c->min_stacks)
		s |= 1u << DET_MANY_STACKS;
	if (!learning && (!f || f->windows == 0))
		s |= 1u << DET_NEW;
	else if (!learning && f && o->ips >= c->growth * fmax(f->baseline_ips, 1))
		s |= 1u << DET_WIDENING;
	*score = 0;
	for (i = 0; i < DET_SIG__COUNT; i++)
		if (s & (1u << i))
			*score += signal_weights[i];
	return s;
}

int det_window(struct detector *d, const struct det_obs *obs, size_t n,
	       det_alert_fn fn, void *ctx)
{
	const struct det_config *c = &d->cfg;
	bool learning = d->windows < c->warmup;
	size_t i;

	for (i = 0; i < d->n; i++)
		d->fp[i].seen_now = false;
	for (i = 0; i < n; i++) {
		const struct det_obs *o = &obs[i];
		struct fp_state *f = find(d, o->ja4, false);
		struct det_alert a = { .obs = o };
		bool fire;

		a.signals = signals(c, f, learning, o, &a.score);
		fire = (a.signals & (1u << DET_WIDE)) &&
		       (a.signals & ((1u << DET_NEW) | (1u << DET_WIDENING))) &&
		       a.score >= c->alert_score;
		/* an open alert holds while the fingerprint stays wide and well
		 * above the baseline it had before the alert */
		if (f && f->alerting)
			fire = (a.signals & (1u << DET_WIDE)) &&
			       o->ips >= c->growth * fmax(f->baseline_ips, 1);
		if (!f && !(f = find(d, o->ja4, true)))
			return -1;
		f->seen_now = true;
		a.baseline_ips = f->baseline_ips;
		if (fire) {
			a.state = f->alerting ? DET_ACTIVE : DET_NEW_ALERT;
			f->alerting = true;
			fn(ctx, &a);
		} else if (f->alerting) {
			a.state = DET_ENDED;
			f->alerting = false;
			fn(ctx, &a);
		}
		if (!f->alerting)
			f->baseline_ips = f->windows ? (1 - c->alpha) * f->baseline_ips +
							 c->alpha * o->ips : o->ips;
		f->windows++;
	}
	/* fingerprints absent this window: their alerts end, baselines decay */
	for (i = 0; i < d->n; i++) {
		struct fp_state *f = &d->fp[i];

		if (f->seen_now)
			continue;
		if (f->alerting) {
			struct det_obs none = { 0 };
			struct det_alert a = { .obs = &none, .state = DET_ENDED,
					       .baseline_ips = f->baseline_ips };

			snprintf(none.ja4, sizeof(none.ja4), "%s", f->ja4);
			f->alerting = false;
			fn(ctx, &a);
		}
		f->baseline_ips *= 1 - c->alpha;
	}
	d->windows++;
	return 0;
}
