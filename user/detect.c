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
 *   novel         sources new to the JA4 and to the site, from
 *                 >= min_nets networks new to the JA4, >= min_novel
 *                 and either in this window >= growth x the usual
 *                 per window, or over the span (the last
 *                 novel_windows windows) >= growth x the usual
 *                 over as many windows before the span            weight 2
 *   new_stacks    addresses over pairs (the JA4 over one TCP
 *                 stack) first seen within a quarter of the
 *                 history (at least the span), the JA4 known
 *                 before them, >= min_novel, >= min_nets networks,
 *                 with >= min_novel / 2 sources new to the site
 *                 over the span                                 weight 2
 *   accounts      distinct accounts (the application's tags) >=
 *                 min_accounts and >= account_growth x the
 *                 fingerprint's usual accounts per window (0 if
 *                 never tagged); not for users moving in           weight 2
 *   accounts_per_ip  accounts per tagged address >= min_accounts
 *                 and >= the larger of min_accounts_per_ip and
 *                 account_growth x the usual ratio                 weight 2
 * An alert needs a change against the fingerprint's own history and a
 * score >= alert_score: `wide` with `new` or `widening`, or `novel`,
 * `new_stacks`, `accounts` or `accounts_per_ip`. Absolute numbers alone
 * never fire, so a fingerprint whose spread is its normal state (a
 * popular browser, the API's own SDK) stays quiet. `new` and `widening` do not fire for a fingerprint whose new
 * sources were three in four known to the site: users moving to it (a release of
 * their app), not a new population. The baselines (ips per window; sources
 * new to the JA4 and to the site per window, taken from the windows just
 * before the span; accounts and their tagged addresses per window) are
 * exponential averages (the accounts' starting as the mean of the first
 * windows), frozen while an alert is open.
 *
 * Account tags are optional: most sites put none, and then nothing of
 * this changes. The account baselines learn from the windows in which
 * some fingerprint was tagged (tagging is on: a fingerprint without tags
 * then has none), and account signals wait `warmup` windows after the
 * first such window, so turning tagging on is not an alert on every
 * fingerprint that has accounts.
 *
 * Allowlisted JA4s (the operator's SDK, monitoring probes) are judged with
 * their own min_ips and growth, each the larger of theirs and the global
 * one; an entry that sets neither is never alerted for its width. Novelty
 * and new stacks apply to them all the same (a hydra inside the SDK's own
 * fingerprint), unless the entry says novelty = no.
 *
 * The state (baselines, windows closed, the last DET_HISTORY windows'
 * observations) is saved as JSON after each window by `run` and loaded when
 * it starts, so a restart neither repeats the warm-up nor forgets what was
 * normal.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afile.h"
#include "detect.h"
#include "util.h"

struct fp_state {
	char name[DET_NAME_LEN];
	double baseline_ips;    /* exponential average of ips per window */
	double baseline_novel;  /* ... of novel_site per window, before the span */
	double baseline_fast;   /* ... of novel_site per window, up to the last one */
	unsigned int windows;   /* windows this fingerprint has been seen in */
	unsigned int first_win; /* the window it was first seen in */
	unsigned int hist_last; /* last window with a history record, +1 (0: none) */
	bool alerting;
	bool shared;            /* its alerts are on a shared fingerprint */
	bool classified;        /* shared was decided (by its first alert) */
	bool seen_now;
	bool has_novel_base;    /* baseline_novel has been fed */
	bool has_fast_base;     /* baseline_fast has been fed */
	/* account tags: averages of accounts and of tagged addresses per
	 * window, fed by the windows with tagging on (acct_feed); the weight
	 * of the windows they have seen, 1 - (1 - alpha)^n after n (0: none) */
	double baseline_accounts, baseline_tagged;
	double acct_weight;
	/* novelty of the last novel_windows windows: slot w % novel_windows
	 * holds window w's when nov_win is w + 1 */
	struct nov {
		__u32 win, ips, site, nets;
	} nov[DET_NOVEL_MAX];
	/* this window's new pairs (filled before judging) */
	double new_ips, new_nets;
	unsigned int nnew;
	const struct det_obs *new_pairs[DET_NEW_SIGS];
};

/* A (JA4, TCP stack) pair of the history: by the hash of its name. */
struct pair_state {
	__u64 h;
	unsigned int first_win, last_win;
	bool new_stack;         /* first seen after its JA4 was */
};

/* One fingerprint's observation in a past window. */
struct hist_rec {
	__u32 fp;               /* index into detector.fp */
	__u64 conns;
	float ips, nets, stacks;
};
struct hist_win {
	struct hist_rec *r;
	size_t n;
};

struct detector {
	struct det_config cfg;
	enum fp_kind kind;
	unsigned int windows;   /* windows closed so far */
	struct fp_state *fp;
	size_t n, cap;
	struct hidx index;      /* name -> fp */
	struct hist_win hist[DET_HISTORY];   /* window w in hist[w % DET_HISTORY] */
	struct pair_state *pair;
	size_t npair, cappair;
	struct hidx pair_index; /* name hash -> pair */
	unsigned int novel_since;   /* the window novelty is learned from */
	bool acct_on;           /* some window had account tags ... */
	unsigned int acct_since;    /* ... this one first */
};

static const char *const signal_names[] = {
	"wide", "many_nets", "low_rate", "many_stacks", "new", "widening", "novel", "new_stacks",
	"accounts", "accounts_per_ip",
};
static const int signal_weights[] = { 1, 1, 1, 1, 2, 2, 2, 2, 2, 2 };
_Static_assert(sizeof(signal_names) / sizeof(signal_names[0]) == DET_SIG__COUNT &&
	       sizeof(signal_weights) / sizeof(signal_weights[0]) == DET_SIG__COUNT,
	       "a name and a weight per signal");

const char *det_signal_name(int i)
{
	return i >= 0 && i < DET_SIG__COUNT ? signal_names[i] : "?";
}

void det_config_default(struct det_config *c)
{
	memset(c, 0, sizeof(*c));
	c->min_ips = 200;
	c->min_nets = 50;
	c->max_conns_per_ip = 3;
	c->min_stacks = 6;
	c->growth = 4;
	c->warmup = 3;
	c->alert_score = 5;
	c->alpha = 0.2;
	c->tcp_stacks = true;
	c->min_novel = 100;
	c->novel_windows = 5;
	c->history_s = 3600;
	c->novelty = true;
	c->min_accounts = 100;
	c->account_growth = 2;
	c->min_accounts_per_ip = 2;
	c->window_s = 60;
}

static int by_allow_ja4(const void *a, const void *b)
{
	return strcmp(((const struct det_allow *)a)->ja4, ((const struct det_allow *)b)->ja4);
}

struct detector *det_new(const struct det_config *cfg, enum fp_kind kind)
{
	struct detector *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->cfg = *cfg;
	d->kind = kind;
	if (d->cfg.novel_windows < 1)
		d->cfg.novel_windows = 1;
	if (d->cfg.novel_windows > DET_NOVEL_MAX)
		d->cfg.novel_windows = DET_NOVEL_MAX;
	if (kind != FP_TLS)
		d->cfg.nallow = 0;   /* the allowlist names JA4s */
	qsort(d->cfg.allow, d->cfg.nallow, sizeof(d->cfg.allow[0]), by_allow_ja4);
	return d;
}

static void hist_free(struct detector *d)
{
	unsigned int i;

	for (i = 0; i < DET_HISTORY; i++) {
		free(d->hist[i].r);
		d->hist[i].r = NULL;
		d->hist[i].n = 0;
	}
}

void det_free(struct detector *d)
{
	if (d) {
		free(d->fp);
		hidx_free(&d->index);
		hist_free(d);
		free(d->pair);
		hidx_free(&d->pair_index);
	}
	free(d);
}

void det_novelty_relearn(struct detector *d)
{
	size_t i;

	d->novel_since = d->windows;
	for (i = 0; i < d->n; i++) {
		struct fp_state *f = &d->fp[i];

		f->has_novel_base = f->has_fast_base = false;
		memset(f->nov, 0, sizeof(f->nov));
	}
}

void det_skip(struct detector *d, __u64 n)
{
	/* no fingerprint known: no history record either (one keeps its own
	 * fingerprint), and an empty window would only be counted */
	if (!d->n)
		d->windows += (unsigned int)n;
}

unsigned int det_windows(const struct detector *d)
{
	return d->windows;
}

size_t det_known(const struct detector *d)
{
	return d->n;
}

const struct det_allow *det_allowed(const struct det_config *c, const char *ja4)
{
	size_t i;

	for (i = 0; i < c->nallow; i++)
		if (!strcmp(c->allow[i].ja4, ja4))
			return &c->allow[i];
	return NULL;
}

struct name_query {
	const struct detector *d;
	const char *name;
};

static bool name_eq(const void *ctx, __u32 i)
{
	const struct name_query *q = ctx;

	return !strcmp(q->d->fp[i].name, q->name);
}

static struct fp_state *find(struct detector *d, const char *name, bool create)
{
	struct name_query q = { d, name };
	__u64 h = hidx_hash_str(name);
	long i = hidx_get(&d->index, h, name_eq, &q);

	if (i >= 0)
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
	if (hidx_put(&d->index, h, (__u32)d->n))
		return NULL;
	memset(&d->fp[d->n], 0, sizeof(d->fp[0]));
	snprintf(d->fp[d->n].name, sizeof(d->fp[0].name), "%s", name);
	return &d->fp[d->n++];
}

/* A fingerprint that still matters: alerting, a baseline of at least one
 * address (or account), or a record in the kept history. */
static bool kept(const struct detector *d, const struct fp_state *f)
{
	return f->alerting || f->baseline_ips >= 1 || f->baseline_accounts >= 1 ||
	       (f->hist_last && f->hist_last + DET_HISTORY > d->windows);
}

/*
 * Forget fingerprints that no longer matter. Judging one again later
 * gives the same verdict (its `widening` test uses a baseline of at least
 * one address; it is now `new`, of the same weight; its accounts were
 * below one a window), so the table holds what is recent, not everything
 * ever seen.
 */
static int prune(struct detector *d)
{
	size_t i, out = 0, k;
	unsigned int w;
	__u32 *map;

	for (i = 0; i < d->n; i++)
		if (kept(d, &d->fp[i]))
			out++;
	if (out == d->n)
		return 0;
	map = malloc(d->n * sizeof(*map));
	if (!map)
		return -1;
	for (i = 0, out = 0; i < d->n; i++) {
		if (kept(d, &d->fp[i])) {
			map[i] = (__u32)out;
			d->fp[out++] = d->fp[i];
		} else {
			map[i] = UINT32_MAX;
		}
	}
	d->n = out;
	for (w = 0; w < DET_HISTORY; w++)
		for (k = 0; k < d->hist[w].n; k++)
			d->hist[w].r[k].fp = map[d->hist[w].r[k].fp];
	free(map);
	hidx_clear(&d->index);
	for (i = 0; i < d->n; i++)
		hidx_put(&d->index, hidx_hash_str(d->fp[i].name), (__u32)i);   /* fits */
	return 0;
}

/* The thresholds an allowlist entry changes. */
struct thr {
	double min_ips, growth;
	bool never;             /* never alerted for its width */
	bool no_novelty;        /* never alerted for novelty or new stacks */
	bool no_accounts;       /* never alerted for its accounts */
	int alert_score;        /* the score it alerts at: a QUIC JA4's is lower by
				 * the weight of many_stacks, which no TCP stack
				 * behind it can raise */
};

/* c's allowlist is sorted (det_new sorts its copy) */
static struct thr thresholds(const struct det_config *c, const char *ja4)
{
	struct det_allow key;
	const struct det_allow *a = NULL;

	if (c->nallow && strlen(ja4) < sizeof(key.ja4)) {
		memcpy(key.ja4, ja4, strlen(ja4) + 1);
		a = bsearch(&key, c->allow, c->nallow, sizeof(c->allow[0]), by_allow_ja4);
	}
	struct thr t = { c->min_ips, c->growth, false, !c->novelty, false, c->alert_score };

	/* a QUIC ClientHello's JA4 ("q13d..."): no TCP stack behind it */
	if (ja4[0] == 'q' && ja4[1] >= '0' && ja4[1] <= '9')
		t.alert_score -= signal_weights[DET_MANY_STACKS];

	if (a) {
		t.never = !a->min_ips && !a->growth;
		t.min_ips = fmax(a->min_ips, c->min_ips);
		t.growth = fmax(a->growth, c->growth);
		t.no_novelty |= a->no_novelty;
		t.no_accounts = a->no_accounts;
	}
	return t;
}

/* What a fingerprint's history says of this window, beside its counts. */
struct past {
	bool known;             /* seen in an earlier window */
	bool moved;             /* most of its new sources were known to the site */
	double novel_ips, novel_site, novel_nets;   /* over the span, this window's too */
	bool has_novel_base;
	double baseline_novel;
	bool has_fast_base;
	double baseline_fast;
	double new_ips, new_nets;                   /* over new pairs */
	bool acct;              /* account signals judged (tagging on, warmed up) */
	double baseline_accounts;                   /* 0: never tagged */
	double baseline_ratio;  /* accounts per tagged address; -1: none */
};

/* Signals and score of one observation against its fingerprint's past. */
static unsigned int signals(const struct det_config *c, const struct thr *t,
			    const struct fp_state *f, bool learning,
			    const struct det_obs *o, const struct past *p, int *score)
{
	double cpi = o->ips > 0 ? (double)o->conns / o->ips : 0;
	unsigned int s = 0;
	int i;

	if (o->ips >= t->min_ips)
		s |= 1u << DET_WIDE;
	if (o->nets >= c->min_nets)
		s |= 1u << DET_MANY_NETS;
	if (o->ips > 0 && cpi <= c->max_conns_per_ip)
		s |= 1u << DET_LOW_RATE;
	if (o->stacks >= c->min_stacks)
		s |= 1u << DET_MANY_STACKS;
	if (!learning && !p->moved && (!f || f->windows == 0))
		s |= 1u << DET_NEW;
	else if (!learning && !p->moved && f && o->ips >= t->growth * fmax(f->baseline_ips, 1))
		s |= 1u << DET_WIDENING;
	/* novel: a jump in one window (against the windows before it), or
	 * a rise over the span (against the windows before the span: a slow
	 * or rotating hydra that no one window shows) */
	if (!learning && !t->no_novelty &&
	    ((p->has_fast_base && o->novel_site >= fmax(c->min_novel,
							 t->growth * p->baseline_fast) &&
	      o->novel_nets >= c->min_nets) ||
	     (p->has_novel_base &&
	      p->novel_site >= fmax(c->min_novel,
				    t->growth * c->novel_windows * p->baseline_novel) &&
	      p->novel_nets >= c->min_nets)))
		s |= 1u << DET_NOVEL;
	/* new pairs, with sources new to the site behind them: the JA4's
	 * own users over a new stack (an OS upgrade) are known */
	if (!learning && !t->no_novelty && p->new_ips >= c->min_novel &&
	    p->new_nets >= c->min_nets && p->novel_site >= c->min_novel / 2)
		s |= 1u << DET_NEW_STACKS;
	/* many accounts behind one client stack, against its own usual;
	 * users moving in (a release) bring their accounts along */
	if (!learning && p->acct && !t->no_accounts && !p->moved &&
	    o->accounts >= c->min_accounts &&
	    o->accounts >= c->account_growth * p->baseline_accounts)
		s |= 1u << DET_ACCOUNTS;
	/* many accounts per address: a farm behind a few exits */
	if (!learning && p->acct && !t->no_accounts && p->baseline_ratio >= 0 &&
	    o->tagged_ips > 0 && o->accounts >= c->min_accounts &&
	    o->accounts / o->tagged_ips >= fmax(c->min_accounts_per_ip,
						c->account_growth * p->baseline_ratio))
		s |= 1u << DET_ACCOUNTS_PER_IP;
	*score = 0;
	for (i = 0; i < DET_SIG__COUNT; i++)
		if (s & (1u << i))
			*score += signal_weights[i];
	return s;
}

static int by_ips_desc(const void *a, const void *b)
{
	const struct hist_rec *x = a, *y = b;

	return x->ips < y->ips ? 1 : x->ips > y->ips ? -1 : (x->fp > y->fp) - (x->fp < y->fp);
}

struct pair_query {
	const struct detector *d;
	__u64 h;
};

static bool pair_eq(const void *ctx, __u32 i)
{
	const struct pair_query *q = ctx;

	return q->d->pair[i].h == q->h;
}

static struct pair_state *pair_find(struct detector *d, __u64 h, bool create)
{
	struct pair_query q = { d, h };
	long i = hidx_get(&d->pair_index, h, pair_eq, &q);

	if (i >= 0)
		return &d->pair[i];
	if (!create || d->npair >= DET_PAIRS_MAX)
		return NULL;
	if (d->npair == d->cappair) {
		size_t cap = d->cappair ? 2 * d->cappair : 256;
		struct pair_state *np = realloc(d->pair, cap * sizeof(*np));

		if (!np)
			return NULL;
		d->pair = np;
		d->cappair = cap;
	}
	if (hidx_put(&d->pair_index, h, (__u32)d->npair))
		return NULL;
	d->pair[d->npair] = (struct pair_state){ .h = h };
	return &d->pair[d->npair++];
}

/* Windows a source, a network or a pair stays known: the history. */
static unsigned int history_windows(const struct det_config *c)
{
	unsigned int w = c->window_s ? c->history_s / c->window_s : 0;

	return w > c->novel_windows ? w : c->novel_windows;
}

/* Pairs not seen for the history are forgotten. */
static void pairs_expire(struct detector *d)
{
	unsigned int keep = history_windows(&d->cfg);
	size_t i, out = 0;

	for (i = 0; i < d->npair; i++)
		if (d->pair[i].last_win + keep > d->windows)
			d->pair[out++] = d->pair[i];
	if (out == d->npair)
		return;
	d->npair = out;
	hidx_clear(&d->pair_index);
	for (i = 0; i < d->npair; i++)
		hidx_put(&d->pair_index, d->pair[i].h, (__u32)i);   /* fits */
}

/* The window's pairs into the history; the addresses of each pair still
 * new to its JA4's state. */
static void pairs_window(struct detector *d, const struct det_obs *pairs, size_t np,
			 bool learning)
{
	unsigned int t = d->windows, new_span = history_windows(&d->cfg) / 4;
	char ja4[DET_NAME_LEN];
	size_t i;

	/* a pair stays new for a quarter of the history (at least the span):
	 * a slow hydra's exits add up over it */
	if (new_span < d->cfg.novel_windows)
		new_span = d->cfg.novel_windows;
	for (i = 0; i < d->n; i++) {
		d->fp[i].new_ips = d->fp[i].new_nets = 0;
		d->fp[i].nnew = 0;
	}
	for (i = 0; i < np; i++) {
		const struct det_obs *o = &pairs[i];
		const char *sp = strchr(o->name, ' ');
		struct pair_state *ps;
		struct fp_state *f;
		__u64 h;

		if (!sp || (size_t)(sp - o->name) >= sizeof(ja4))
			continue;
		memcpy(ja4, o->name, (size_t)(sp - o->name));
		ja4[sp - o->name] = 0;
		f = find(d, ja4, false);
		h = hidx_hash_str(o->name);
		ps = pair_find(d, h, false);
		if (!ps) {
			ps = pair_find(d, h, true);
			if (!ps)
				continue;   /* out of room: judged as known */
			ps->first_win = t;
			/* "this SDK never came from this stack": the JA4 had
			 * traffic before the pair, and a baseline to judge by */
			ps->new_stack = !learning && f && f->windows && f->first_win < t;
		}
		ps->last_win = t;
		if (!ps->new_stack || !f || t - ps->first_win >= new_span)
			continue;
		f->new_ips += o->ips;
		f->new_nets += o->nets;
		if (f->nnew < DET_NEW_SIGS)
			f->new_pairs[f->nnew++] = o;
	}
	pairs_expire(d);
}

/* f's usual accounts per tagged address: 0 when never tagged, -1 when
 * its accounts came without addresses (tags put by fingerprint ids) */
static double acct_ratio(const struct fp_state *f)
{
	if (!f || !f->acct_weight || (!f->baseline_tagged && !f->baseline_accounts))
		return 0;
	return f->baseline_tagged > 0 ? f->baseline_accounts / f->baseline_tagged : -1;
}

/* The past of f (NULL: none) for observation o of window t. */
static struct past past_of(const struct detector *d, const struct fp_state *f,
			   const struct det_obs *o)
{
	unsigned int k = d->cfg.novel_windows, t = d->windows, j;
	struct past p = { 0 };

	/* account signals wait for `warmup` windows of tagging */
	p.acct = d->acct_on && t - d->acct_since >= d->cfg.warmup;
	p.baseline_accounts = f && f->acct_weight ? f->baseline_accounts : 0;
	p.baseline_ratio = acct_ratio(f);

	/* three in four known to the site: users moving in (a release) */
	p.moved = o->novel_ips > 0 && 4 * o->novel_site < o->novel_ips;
	p.novel_ips = (double)o->novel_ips;
	p.novel_site = (double)o->novel_site;
	p.novel_nets = (double)o->novel_nets;
	if (!f)
		return p;
	p.known = f->windows > 0;
	for (j = 1; j < k && j <= t; j++) {
		const struct nov *v = &f->nov[(t - j) % k];

		if (v->win == t - j + 1) {
			p.novel_ips += v->ips;
			p.novel_site += v->site;
			p.novel_nets += v->nets;
		}
	}
	p.has_novel_base = f->has_novel_base;
	p.baseline_novel = f->baseline_novel;
	p.has_fast_base = f->has_fast_base;
	p.baseline_fast = f->baseline_fast;
	p.new_ips = f->new_ips;
	p.new_nets = f->new_nets;
	return p;
}

static __u32 clamp32(__u64 v)
{
	return v > UINT32_MAX ? UINT32_MAX : (__u32)v;
}

/* Window t's novelty into f's span and its fast baseline; the window
 * leaving the span (t - k) into the span's baseline once past the
 * warm-up; neither while alerting. */
static void novelty_record(struct detector *d, struct fp_state *f, const struct det_obs *o)
{
	const struct det_config *c = &d->cfg;
	unsigned int k = c->novel_windows, t = d->windows;
	struct nov *slot = &f->nov[t % k];

	if (t >= k && t - k >= c->warmup && t - k >= d->novel_since && f->first_win <= t - k &&
	    !f->alerting) {
		double v = slot->win == t - k + 1 ? slot->site : 0;

		f->baseline_novel = f->has_novel_base ?
			(1 - c->alpha) * f->baseline_novel + c->alpha * v : v;
		f->has_novel_base = true;
	}
	/* every window but the fingerprint's first (all its sources are new
	 * to it then) */
	if (f->windows && !f->alerting) {
		f->baseline_fast = f->has_fast_base ? (1 - c->alpha) * f->baseline_fast +
						      c->alpha * (double)o->novel_site :
						      (double)o->novel_site;
		f->has_fast_base = true;
	}
	*slot = (struct nov){ t + 1, clamp32(o->novel_ips), clamp32(o->novel_site),
			      clamp32(o->novel_nets) };
}

/*
 * A window's accounts and tagged addresses into f's account baselines:
 * the mean of its first windows, then an exponential average (alpha).
 * Not the first window taken whole, as baseline_ips is: windows are on
 * round times and tagging starts anywhere in one, so the first is often
 * short, and at account_growth 2 a baseline of a fifth of the usual would
 * alert on every tagged fingerprint as the warm-up ends.
 */
static void acct_feed(struct fp_state *f, double alpha, double accounts, double tagged)
{
	double w = (1 - alpha) * f->acct_weight, nw = fmin(w + alpha, 1);   /* a load takes <= 1 */

	if (!isfinite(accounts) || !isfinite(tagged) || accounts < 0 || tagged < 0)
		return;   /* not an estimate: the state would not load again */
	f->baseline_accounts = (w * f->baseline_accounts + alpha * accounts) / nw;
	f->baseline_tagged = (w * f->baseline_tagged + alpha * tagged) / nw;
	f->acct_weight = nw;
}

/* Tagging on in this window: some fingerprint has tags. The first such
 * window starts the accounts' own warm-up. */
static bool tagging_window(struct detector *d, const struct det_obs *obs, size_t n)
{
	size_t i;

	for (i = 0; i < n && !obs[i].tags; i++)
		;
	if (i == n)
		return false;
	if (!d->acct_on) {
		d->acct_on = true;
		d->acct_since = d->windows;
	}
	return true;
}

int det_window(struct detector *d, const struct det_obs *obs, size_t n,
	       const struct det_obs *pairs, size_t npairs, det_alert_fn fn, void *ctx)
{
	const struct det_config *c = &d->cfg;
	bool learning = d->windows < c->warmup;
	struct hist_win *h = &d->hist[d->windows % DET_HISTORY];
	struct hist_rec *hr;
	bool tagging;
	size_t i;

	/* this window's history replaces the one DET_HISTORY windows ago */
	hr = malloc((n ? n : 1) * sizeof(*hr));
	if (!hr)
		return -1;
	free(h->r);
	h->r = hr;
	h->n = 0;
	for (i = 0; i < d->n; i++)
		d->fp[i].seen_now = false;
	pairs_window(d, pairs, pairs ? npairs : 0, learning);
	tagging = tagging_window(d, obs, n);
	for (i = 0; i < n; i++) {
		const struct det_obs *o = &obs[i];
		struct fp_state *f = find(d, o->name, false);
		struct thr t = thresholds(c, o->name);
		struct past p = past_of(d, f, o);
		struct det_alert a = { .obs = o };
		unsigned int width, nov, acct;
		bool fire;

		a.signals = signals(c, &t, f, learning, o, &p, &a.score);
		width = (a.signals & (1u << DET_WIDE)) &&
			(a.signals & ((1u << DET_NEW) | (1u << DET_WIDENING))) && !t.never;
		nov = a.signals & ((1u << DET_NOVEL) | (1u << DET_NEW_STACKS));
		acct = a.signals & ((1u << DET_ACCOUNTS) | (1u << DET_ACCOUNTS_PER_IP));
		fire = (width || nov || acct) && a.score >= t.alert_score;
		/* an open alert holds while the fingerprint stays wide and well
		 * above the baseline it had before the alert, or its novelty or
		 * its accounts stay above the usual */
		if (f && f->alerting)
			fire = ((a.signals & (1u << DET_WIDE)) && !t.never && !p.moved &&
				o->ips >= t.growth * fmax(f->baseline_ips, 1)) || nov || acct;
		if (!f && !(f = find(d, o->name, true)))
			return -1;
		if (!f->windows)
			f->first_win = d->windows;
		f->seen_now = true;
		h->r[h->n++] = (struct hist_rec){ .fp = (__u32)(f - d->fp), .conns = o->conns,
			.ips = (float)o->ips, .nets = (float)o->nets, .stacks = (float)o->stacks };
		a.baseline_ips = f->baseline_ips;
		a.novel_ips = p.novel_ips;
		a.novel_site = p.novel_site;
		a.novel_nets = p.novel_nets;
		a.baseline_novel = p.baseline_novel;
		a.new_stack_ips = p.new_ips;
		a.nnew_pairs = f->nnew;
		memcpy(a.new_pairs, f->new_pairs, sizeof(a.new_pairs));
		a.baseline_accounts = p.baseline_accounts;
		a.baseline_accounts_per_ip = p.baseline_ratio;
		if (fire) {
			if (!f->alerting && !f->classified) {
				/* shared: it had traffic of its own at least a
				 * span before (a hydra's own ramp-up is not);
				 * decided once, so that the hydra coming back
				 * after an alert ended is not its own "users" */
				f->shared = f->windows > 0 && f->baseline_ips >= 1 &&
					    d->windows >= f->first_win + c->novel_windows;
				f->classified = true;
			}
			a.shared = f->shared;
			a.state = f->alerting ? DET_ACTIVE : DET_NEW_ALERT;
			f->alerting = true;
			fn(ctx, &a);
		} else if (f->alerting) {
			a.shared = f->shared;
			a.state = DET_ENDED;
			f->alerting = false;
			fn(ctx, &a);
		}
		novelty_record(d, f, o);
		/* tagging on: a fingerprint without tags had no accounts */
		if (!f->alerting && tagging)
			acct_feed(f, c->alpha, o->accounts, o->tagged_ips);
		if (!f->alerting)
			f->baseline_ips = f->windows ? (1 - c->alpha) * f->baseline_ips +
							 c->alpha * o->ips : o->ips;
		f->windows++;
	}
	/* history keeps the widest DET_HISTORY_MAX of a window */
	if (h->n > DET_HISTORY_MAX) {
		struct hist_rec *kept;

		qsort(h->r, h->n, sizeof(*h->r), by_ips_desc);
		h->n = DET_HISTORY_MAX;
		/* kept whole, the window's array would hold every observation */
		kept = realloc(h->r, h->n * sizeof(*h->r));
		if (kept)
			h->r = kept;
	}
	for (i = 0; i < h->n; i++)
		d->fp[h->r[i].fp].hist_last = d->windows + 1;
	/* fingerprints absent this window: their alerts end, baselines decay */
	for (i = 0; i < d->n; i++) {
		struct fp_state *f = &d->fp[i];

		if (f->seen_now)
			continue;
		if (f->alerting) {
			struct det_obs none = { 0 };
			struct det_alert a = { .obs = &none, .state = DET_ENDED,
					       .baseline_ips = f->baseline_ips, .shared = f->shared,
					       .baseline_accounts = f->baseline_accounts,
					       .baseline_accounts_per_ip = acct_ratio(f) };

			snprintf(none.name, sizeof(none.name), "%s", f->name);
			f->alerting = false;
			fn(ctx, &a);
		}
		f->baseline_ips *= 1 - c->alpha;
		/* absent: no traffic, no accounts either */
		if (f->acct_weight)
			acct_feed(f, c->alpha, 0, 0);
	}
	d->windows++;
	return prune(d);
}

/* ---- state file ---- */
#define STATE_FORMAT "hydrascope-detector-state"
/* The largest ips, nets and tcp_sigs of a history observation: past any
 * real count (IPv4 has 4.3e9 addresses), an integer a double holds. A
 * save writes no more (llround of a float past 2^63 came out negative),
 * a load takes no more: what one writes, the other reads. */
#define STATE_OBS_MAX 1e15

static long long obs_value(float v)
{
	return llround(fmin(v, STATE_OBS_MAX));
}

static const char *kind_name(enum fp_kind k)
{
	return k == FP_TLS ? "tls" : "tcp";
}

/* A fingerprint's novelty state (version 3), one string of numbers (a
 * JSON object per number costs more than the rest of the file):
 * "first_win shared baseline_novel baseline_fast" (shared: 0 not decided
 * yet, 1 shared, 2 not; a baseline -1: not fed yet), then " window:novel_ips:novel_site:novel_nets" per window of
 * the span kept. */
static void fp_novelty_json(const struct detector *d, const struct fp_state *f, json_object *o)
{
	char buf[64 + DET_NOVEL_MAX * 48];
	size_t off;
	unsigned int k;

	off = (size_t)snprintf(buf, sizeof(buf), "%u %d %.17g %.17g", f->first_win,
			       f->shared ? 1 : f->classified ? 2 : 0,
			       f->has_novel_base ? f->baseline_novel : -1,
			       f->has_fast_base ? f->baseline_fast : -1);
	for (k = 0; k < d->cfg.novel_windows && off < sizeof(buf); k++) {
		const struct nov *v = &f->nov[k];

		if (v->win)
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, " %u:%u:%u:%u",
						v->win - 1, v->ips, v->site, v->nets);
	}
	json_object_object_add(o, "novelty", json_object_new_string(buf));
}

/* A fingerprint's account baselines, when it has them (a site that tags
 * nothing writes none): "baseline_accounts baseline_tagged_ips weight". */
static void fp_accounts_json(const struct fp_state *f, json_object *o)
{
	char buf[80];

	if (!f->acct_weight)
		return;
	snprintf(buf, sizeof(buf), "%.17g %.17g %.17g", f->baseline_accounts, f->baseline_tagged,
		 f->acct_weight);
	json_object_object_add(o, "accounts", json_object_new_string(buf));
}

/* The pairs of the history, one string each: "hash first_window
 * last_window new_stack", the hash of its name in hex. */
static json_object *pairs_json(const struct detector *d)
{
	json_object *a = json_object_new_array_ext((int)d->npair);
	char buf[80];
	size_t i;

	for (i = 0; i < d->npair; i++) {
		snprintf(buf, sizeof(buf), "%016llx %u %u %d", (unsigned long long)d->pair[i].h,
			 d->pair[i].first_win, d->pair[i].last_win, d->pair[i].new_stack);
		json_object_array_add(a, json_object_new_string(buf));
	}
	return a;
}

static json_object *state_json(const struct detector *d, unsigned int window_s)
{
	json_object *j = json_object_new_object(), *fps = json_object_new_array(),
		    *hist = json_object_new_array();
	unsigned int w, first;
	size_t i;

	json_object_object_add(j, "format", json_object_new_string(STATE_FORMAT));
	json_object_object_add(j, "version", json_object_new_int(DET_STATE_VERSION));
	json_object_object_add(j, "kind", json_object_new_string(kind_name(d->kind)));
	json_object_object_add(j, "window_s", json_object_new_int64(window_s));
	json_object_object_add(j, "windows", json_object_new_int64(d->windows));
	for (i = 0; i < d->n; i++) {
		json_object *f = json_object_new_object();

		json_object_object_add(f, "name", json_object_new_string(d->fp[i].name));
		json_object_object_add(f, "baseline_ips",
				       json_object_new_double(d->fp[i].baseline_ips));
		json_object_object_add(f, "windows", json_object_new_int64(d->fp[i].windows));
		json_object_object_add(f, "alerting", json_object_new_boolean(d->fp[i].alerting));
		fp_novelty_json(d, &d->fp[i], f);
		fp_accounts_json(&d->fp[i], f);
		json_object_array_add(fps, f);
	}
	json_object_object_add(j, "fingerprints", fps);
	json_object_object_add(j, "pairs", pairs_json(d));
	json_object_object_add(j, "novel_since", json_object_new_int64(d->novel_since));
	if (d->acct_on)
		json_object_object_add(j, "accounts_since", json_object_new_int64(d->acct_since));
	/* oldest first: each window's observations as
	 * [fingerprint index, conns, ips, nets, tcp_sigs] */
	first = d->windows > DET_HISTORY ? d->windows - DET_HISTORY : 0;
	for (w = first; w < d->windows; w++) {
		const struct hist_win *h = &d->hist[w % DET_HISTORY];
		json_object *hw = json_object_new_object(), *obs = json_object_new_array();

		for (i = 0; i < h->n; i++) {
			json_object *r = json_object_new_array();

			json_object_array_add(r, json_object_new_int64(h->r[i].fp));
			json_object_array_add(r, json_object_new_int64(
				(int64_t)(h->r[i].conns < INT64_MAX ? h->r[i].conns : INT64_MAX)));
			json_object_array_add(r, json_object_new_int64(obs_value(h->r[i].ips)));
			json_object_array_add(r, json_object_new_int64(obs_value(h->r[i].nets)));
			json_object_array_add(r, json_object_new_int64(obs_value(h->r[i].stacks)));
			json_object_array_add(obs, r);
		}
		json_object_object_add(hw, "window", json_object_new_int64(w));
		json_object_object_add(hw, "obs", obs);
		json_object_array_add(hist, hw);
	}
	json_object_object_add(j, "history", hist);
	return j;
}

int det_save(const struct detector *d, const char *path, unsigned int window_s)
{
	json_object *j = state_json(d, window_s);
	const char *text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE);
	struct afile af;
	int err = text ? afile_open(&af, path) : -ENOMEM;

	if (!err) {
		err = afile_write(&af, text, strlen(text));
		if (!err)
			err = afile_write(&af, "\n", 1);
		if (!err)
			err = afile_commit(&af);
		else
			afile_abort(&af);
	}
	json_object_put(j);
	return err;
}

/* Typed members of a state object; false if absent or of another type. */
static bool get(json_object *o, const char *k, json_type t, json_object **v)
{
	return json_object_is_type(o, json_type_object) &&
	       json_object_object_get_ex(o, k, v) && json_object_is_type(*v, t);
}

static bool get_uint(json_object *o, const char *k, int64_t max, int64_t *v)
{
	json_object *x;

	if (!get(o, k, json_type_int, &x))
		return false;
	errno = 0;
	*v = json_object_get_int64(x);
	return !errno && *v >= 0 && *v <= max;
}

/* Elements of an array of integers in [0, max]: [fp, conns, ips, nets, sigs] */
static bool get_rec(json_object *r, size_t nfp, struct hist_rec *out)
{
	int64_t v[5];
	size_t i;

	if (!json_object_is_type(r, json_type_array) || json_object_array_length(r) != 5)
		return false;
	for (i = 0; i < 5; i++) {
		json_object *x = json_object_array_get_idx(r, i);

		if (!json_object_is_type(x, json_type_int))
			return false;
		errno = 0;
		v[i] = json_object_get_int64(x);
		if (errno || v[i] < 0 || (i >= 2 && v[i] > STATE_OBS_MAX))
			return false;
	}
	if ((size_t)v[0] >= nfp)
		return false;
	*out = (struct hist_rec){ .fp = (__u32)v[0], .conns = (__u64)v[1],
		.ips = (float)v[2], .nets = (float)v[3], .stacks = (float)v[4] };
	return true;
}

/* An unsigned decimal up to max at *p, then sep (or the end when sep is
 * 0); *p moves past both. */
static bool scan_uint(const char **p, unsigned long long max, char sep, unsigned long long *v)
{
	char *end;

	if (**p < '0' || **p > '9')
		return false;
	errno = 0;
	*v = strtoull(*p, &end, 10);
	if (errno || *v > max || (sep ? *end != sep : *end != 0 && *end != ' '))
		return false;
	*p = sep ? end + 1 : end;
	return true;
}

/* A baseline as fp_novelty_json writes it: -1 (none) or a number >= 0 */
static bool scan_base(const char **p, double *v, bool *has)
{
	char *end;

	if (!strncmp(*p, "-1 ", 3) || !strcmp(*p, "-1")) {
		*has = false;
		*p += 2;
		return true;
	}
	if (**p < '0' || **p > '9')
		return false;
	errno = 0;
	*v = strtod(*p, &end);
	if (errno || !isfinite(*v) || *v < 0 || (*end != ' ' && *end))
		return false;
	*has = true;
	*p = end;
	return true;
}

/* fp_novelty_json's string into s; NULL, or why refused. */
static const char *fp_novelty_parse(struct detector *n, struct fp_state *s, json_object *f,
				    int64_t windows)
{
	unsigned int k = n->cfg.novel_windows;
	unsigned long long v[4], sh;
	json_object *x;
	const char *p;

	if (!get(f, "novelty", json_type_string, &x))
		return "a fingerprint without its novelty";
	p = json_object_get_string(x);
	if (!scan_uint(&p, (unsigned long long)windows, ' ', &v[0]) ||
	    !scan_uint(&p, 2, ' ', &sh) || !scan_base(&p, &s->baseline_novel, &s->has_novel_base) ||
	    *p++ != ' ' || !scan_base(&p, &s->baseline_fast, &s->has_fast_base))
		return "a malformed fingerprint novelty";
	s->first_win = (unsigned int)v[0];
	s->shared = sh == 1;
	s->classified = sh != 0;
	while (*p) {
		if (*p++ != ' ' || !scan_uint(&p, (unsigned long long)windows - 1, ':', &v[0]) ||
		    !scan_uint(&p, UINT32_MAX, ':', &v[1]) || !scan_uint(&p, UINT32_MAX, ':', &v[2]) ||
		    !scan_uint(&p, UINT32_MAX, 0, &v[3]) || !windows)
			return "a malformed novelty window";
		/* only the span before `windows` (another novel_windows keeps less) */
		if (v[0] + k < (unsigned long long)windows)
			continue;
		s->nov[v[0] % k] = (struct nov){ (__u32)v[0] + 1, (__u32)v[1], (__u32)v[2],
						 (__u32)v[3] };
	}
	return NULL;
}

/* fp_accounts_json's string into s, if there is one; NULL, or why
 * refused. */
static const char *fp_accounts_parse(struct fp_state *s, json_object *f)
{
	double v[3];
	bool has[3];
	json_object *x;
	const char *p;
	int i;

	if (!json_object_object_get_ex(f, "accounts", &x))
		return NULL;
	if (!json_object_is_type(x, json_type_string))
		return "malformed account baselines";
	p = json_object_get_string(x);
	for (i = 0; i < 3; i++)
		if ((i && *p++ != ' ') || !scan_base(&p, &v[i], &has[i]) || !has[i])
			return "malformed account baselines";
	if (*p || !v[2] || v[2] > 1)
		return "malformed account baselines";
	s->baseline_accounts = v[0];
	s->baseline_tagged = v[1];
	s->acct_weight = v[2];
	return NULL;
}

/* pairs_json's array into n; NULL, or why refused. */
static const char *pairs_parse(struct detector *n, json_object *j, int64_t windows)
{
	json_object *a;
	size_t i;

	if (!get(j, "pairs", json_type_array, &a) || json_object_array_length(a) > DET_PAIRS_MAX)
		return "no pairs, or too many";
	for (i = 0; i < json_object_array_length(a); i++) {
		json_object *r = json_object_array_get_idx(a, i);
		unsigned long long first, last, ns;
		struct pair_state *ps;
		const char *p;
		char *end;
		__u64 h;

		if (!json_object_is_type(r, json_type_string))
			return "a malformed pair";
		p = json_object_get_string(r);
		errno = 0;
		h = strtoull(p, &end, 16);
		if (errno || end != p + 16 || *end != ' ')
			return "a malformed pair";
		p = end + 1;
		if (!scan_uint(&p, (unsigned long long)windows, ' ', &first) ||
		    !scan_uint(&p, (unsigned long long)windows, ' ', &last) ||
		    !scan_uint(&p, 1, 0, &ns) || *p)
			return "a malformed pair";
		if (pair_find(n, h, false))
			return "a pair listed twice";
		ps = pair_find(n, h, true);
		if (!ps)
			return "out of memory";
		ps->first_win = (unsigned int)first;
		ps->last_win = (unsigned int)last;
		ps->new_stack = ns;
	}
	return NULL;
}

/* Fill the fresh detector n from j; NULL, or why it is refused. */
static const char *state_parse(struct detector *n, json_object *j, unsigned int window_s)
{
	json_object *x, *fps, *hist;
	int64_t v, windows, version;
	size_t i, k, nf, nh;
	const char *why;

	if (!get(j, "format", json_type_string, &x) ||
	    strcmp(json_object_get_string(x), STATE_FORMAT))
		return "not a hydrascope state file";
	if (!get_uint(j, "version", INT32_MAX, &v))
		return "no format version";
	if (v != DET_STATE_VERSION && v != 2)
		return "a format version this hydrascope does not read";
	version = v;
	if (!get(j, "kind", json_type_string, &x) ||
	    strcmp(json_object_get_string(x), kind_name(n->kind)))
		return "state of another fingerprint kind";
	if (!get_uint(j, "window_s", 86400, &v))
		return "no window_s";
	if (v != window_s)
		return "written with another --window";
	if (!get_uint(j, "windows", UINT32_MAX, &windows))
		return "no window count";
	if (!get(j, "fingerprints", json_type_array, &fps) ||
	    !get(j, "history", json_type_array, &hist))
		return "no fingerprints or history";
	nf = json_object_array_length(fps);
	for (i = 0; i < nf; i++) {
		json_object *f = json_object_array_get_idx(fps, i), *name, *b, *al;
		struct fp_state *s;
		double base;

		if (!get(f, "name", json_type_string, &name) ||
		    json_object_get_string_len(name) < 1 ||
		    json_object_get_string_len(name) >= DET_NAME_LEN ||
		    !json_object_object_get_ex(f, "baseline_ips", &b) ||
		    !(json_object_is_type(b, json_type_double) ||
		      json_object_is_type(b, json_type_int)) ||
		    !get_uint(f, "windows", UINT32_MAX, &v) ||
		    !get(f, "alerting", json_type_boolean, &al))
			return "a malformed fingerprint";
		base = json_object_get_double(b);
		if (!isfinite(base) || base < 0)
			return "a malformed baseline";
		if (find(n, json_object_get_string(name), false))
			return "a fingerprint listed twice";
		s = find(n, json_object_get_string(name), true);
		if (!s)
			return "out of memory";
		s->baseline_ips = base;
		s->windows = (unsigned int)v;
		s->alerting = json_object_get_boolean(al);
		if (version >= 3 && (why = fp_novelty_parse(n, s, f, windows)))
			return why;
		if ((why = fp_accounts_parse(s, f)))
			return why;
	}
	if (version >= 3 && (why = pairs_parse(n, j, windows)))
		return why;
	if (version >= 3 && !get_uint(j, "novel_since", windows, &v))
		return "no novel_since";
	n->novel_since = version >= 3 ? (unsigned int)v : (unsigned int)windows;
	/* none: no window had account tags yet (or the file is older) */
	if (json_object_object_get_ex(j, "accounts_since", &x)) {
		if (!get_uint(j, "accounts_since", windows, &v))
			return "a malformed accounts_since";
		n->acct_on = true;
		n->acct_since = (unsigned int)v;
	}
	nh = json_object_array_length(hist);
	if (nh > DET_HISTORY)
		return "more history than kept";
	for (i = 0; i < nh; i++) {
		json_object *hw = json_object_array_get_idx(hist, i), *obs;
		struct hist_win *h;

		/* the last windows before `windows`, oldest first */
		if (!get_uint(hw, "window", UINT32_MAX, &v) ||
		    v != windows - (int64_t)nh + (int64_t)i ||
		    !get(hw, "obs", json_type_array, &obs))
			return "a malformed history window";
		h = &n->hist[v % DET_HISTORY];
		h->n = json_object_array_length(obs);
		h->r = malloc((h->n ? h->n : 1) * sizeof(*h->r));
		if (!h->r) {
			h->n = 0;
			return "out of memory";
		}
		for (k = 0; k < h->n; k++) {
			if (!get_rec(json_object_array_get_idx(obs, k), nf, &h->r[k]))
				return "a malformed history observation";
			n->fp[h->r[k].fp].hist_last = (unsigned int)v + 1;
		}
	}
	n->windows = (unsigned int)windows;
	return NULL;
}

int det_load(struct detector *d, const char *path, unsigned int window_s,
	     char *err, size_t errlen)
{
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = det_read(d, fd, path, window_s, err, errlen);
	close(fd);
	return rc;
}

int det_read(struct detector *d, int fd, const char *path, unsigned int window_s,
	     char *err, size_t errlen)
{
	struct detector *n;
	const char *why;
	json_object *j;

	j = json_object_from_fd(fd);
	if (!j) {
		snprintf(err, errlen, "%s: not JSON (corrupt or truncated)", path);
		return -1;
	}
	n = det_new(&d->cfg, d->kind);
	if (!n) {
		json_object_put(j);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	why = state_parse(n, j, window_s);
	json_object_put(j);
	if (why) {
		snprintf(err, errlen, "%s: %s", path, why);
		det_free(n);
		return -1;
	}
	/* swap the loaded state in */
	free(d->fp);
	hidx_free(&d->index);
	hist_free(d);
	d->fp = n->fp;
	d->n = n->n;
	d->cap = n->cap;
	d->index = n->index;
	d->windows = n->windows;
	memcpy(d->hist, n->hist, sizeof(d->hist));
	free(d->pair);
	hidx_free(&d->pair_index);
	d->pair = n->pair;
	d->npair = n->npair;
	d->cappair = n->cappair;
	d->pair_index = n->pair_index;
	d->novel_since = n->novel_since;
	d->acct_on = n->acct_on;
	d->acct_since = n->acct_since;
	free(n);
	return 0;
}

/* The signals and score an observation gets from its own numbers alone
 * (wide, many_nets, low_rate, many_stacks, with the allowlist's thresholds):
 * no baseline, so never `new` or `widening`. What `hydrascope top` shows. */
unsigned int det_signals(const struct det_config *c, const struct det_obs *o, int *score)
{
	struct thr t = thresholds(c, o->name);

	struct past p = { 0 };

	return signals(c, &t, NULL, true, o, &p, score);
}
