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
 *
 * Allowlisted JA4s (the operator's SDK, monitoring probes) are judged with
 * their own min_ips and growth, each the larger of theirs and the global
 * one; an entry that sets neither never alerts.
 *
 * The state (baselines, windows closed, the last DET_HISTORY windows'
 * observations) is saved as JSON after each window by `run` and loaded when
 * it starts, so a restart neither repeats the warm-up nor forgets what was
 * normal.
 */
#define _GNU_SOURCE  /* asprintf */
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

#include "detect.h"
#include "util.h"

struct fp_state {
	char name[DET_NAME_LEN];
	double baseline_ips;    /* exponential average of ips per window */
	unsigned int windows;   /* windows this fingerprint has been seen in */
	unsigned int hist_last; /* last window with a history record, +1 (0: none) */
	bool alerting;
	bool seen_now;
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
	}
	free(d);
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

/*
 * Forget fingerprints that no longer matter: not alerting, a baseline
 * decayed below one address, and no record in the kept history. Judging
 * one again later gives the same verdict (its `widening` test uses a
 * baseline of at least one address; it is now `new`, of the same weight),
 * so the table holds what is recent, not everything ever seen.
 */
static int prune(struct detector *d)
{
	size_t i, out = 0, k;
	unsigned int w;
	__u32 *map;

	for (i = 0; i < d->n; i++) {
		const struct fp_state *f = &d->fp[i];

		if (f->alerting || f->baseline_ips >= 1 ||
		    (f->hist_last && f->hist_last + DET_HISTORY > d->windows))
			out++;
	}
	if (out == d->n)
		return 0;
	map = malloc(d->n * sizeof(*map));
	if (!map)
		return -1;
	for (i = 0, out = 0; i < d->n; i++) {
		const struct fp_state *f = &d->fp[i];

		if (f->alerting || f->baseline_ips >= 1 ||
		    (f->hist_last && f->hist_last + DET_HISTORY > d->windows)) {
			map[i] = (__u32)out;
			d->fp[out++] = *f;
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
	bool never;
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
	struct thr t = { c->min_ips, c->growth, false };

	if (a) {
		t.never = !a->min_ips && !a->growth;
		t.min_ips = fmax(a->min_ips, c->min_ips);
		t.growth = fmax(a->growth, c->growth);
	}
	return t;
}

/* Signals and score of one observation against its fingerprint's state. */
static unsigned int signals(const struct det_config *c, const struct thr *t,
			    const struct fp_state *f, bool learning,
			    const struct det_obs *o, int *score)
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
	if (!learning && (!f || f->windows == 0))
		s |= 1u << DET_NEW;
	else if (!learning && f && o->ips >= t->growth * fmax(f->baseline_ips, 1))
		s |= 1u << DET_WIDENING;
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

int det_window(struct detector *d, const struct det_obs *obs, size_t n,
	       det_alert_fn fn, void *ctx)
{
	const struct det_config *c = &d->cfg;
	bool learning = d->windows < c->warmup;
	struct hist_win *h = &d->hist[d->windows % DET_HISTORY];
	struct hist_rec *hr;
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
	for (i = 0; i < n; i++) {
		const struct det_obs *o = &obs[i];
		struct fp_state *f = find(d, o->name, false);
		struct thr t = thresholds(c, o->name);
		struct det_alert a = { .obs = o };
		bool fire;

		a.signals = signals(c, &t, f, learning, o, &a.score);
		fire = (a.signals & (1u << DET_WIDE)) &&
		       (a.signals & ((1u << DET_NEW) | (1u << DET_WIDENING))) &&
		       a.score >= c->alert_score;
		/* an open alert holds while the fingerprint stays wide and well
		 * above the baseline it had before the alert */
		if (f && f->alerting)
			fire = (a.signals & (1u << DET_WIDE)) &&
			       o->ips >= t.growth * fmax(f->baseline_ips, 1);
		if (t.never)
			fire = false;
		if (!f && !(f = find(d, o->name, true)))
			return -1;
		f->seen_now = true;
		h->r[h->n++] = (struct hist_rec){ .fp = (__u32)(f - d->fp), .conns = o->conns,
			.ips = (float)o->ips, .nets = (float)o->nets, .stacks = (float)o->stacks };
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
	/* history keeps the widest DET_HISTORY_MAX of a window */
	if (h->n > DET_HISTORY_MAX) {
		qsort(h->r, h->n, sizeof(*h->r), by_ips_desc);
		h->n = DET_HISTORY_MAX;
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
					       .baseline_ips = f->baseline_ips };

			snprintf(none.name, sizeof(none.name), "%s", f->name);
			f->alerting = false;
			fn(ctx, &a);
		}
		f->baseline_ips *= 1 - c->alpha;
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
		json_object_array_add(fps, f);
	}
	json_object_object_add(j, "fingerprints", fps);
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
	size_t len = text ? strlen(text) : 0, off = 0;
	char *tmp = NULL, *dir = NULL, *slash;
	int fd = -1, err = 0, dfd;
	ssize_t k;

	if (!text || asprintf(&tmp, "%s.XXXXXX", path) < 0) {
		tmp = NULL;
		err = -ENOMEM;
		goto out;
	}
	fd = mkstemp(tmp);      /* 0600, in the state file's directory */
	if (fd < 0) {
		err = -errno;
		free(tmp);
		tmp = NULL;
		goto out;
	}
	while (off < len) {
		k = write(fd, text + off, len - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			err = k < 0 ? -errno : -EIO;
			goto out;
		}
		off += (size_t)k;
	}
	if (write(fd, "\n", 1) != 1 || fsync(fd)) {
		err = -errno ?: -EIO;
		goto out;
	}
	if (close(fd)) {
		fd = -1;
		err = -errno;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path)) {
		err = -errno;
		goto out;
	}
	free(tmp);
	tmp = NULL;
	/* the rename itself, durable */
	dir = strdup(path);
	if (dir) {
		slash = strrchr(dir, '/');
		if (slash == dir)
			slash[1] = 0;
		else if (slash)
			*slash = 0;
		dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
out:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(dir);
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

/* Fill the fresh detector n from j; NULL, or why it is refused. */
static const char *state_parse(struct detector *n, json_object *j, unsigned int window_s)
{
	json_object *x, *fps, *hist;
	int64_t v, windows;
	size_t i, k, nf, nh;

	if (!get(j, "format", json_type_string, &x) ||
	    strcmp(json_object_get_string(x), STATE_FORMAT))
		return "not a hydrascope state file";
	if (!get_uint(j, "version", INT32_MAX, &v))
		return "no format version";
	if (v != DET_STATE_VERSION)
		return "a format version this hydrascope does not read";
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
	free(n);
	return 0;
}

/* The signals and score an observation gets from its own numbers alone
 * (wide, many_nets, low_rate, many_stacks, with the allowlist's thresholds):
 * no baseline, so never `new` or `widening`. What `hydrascope top` shows. */
unsigned int det_signals(const struct det_config *c, const struct det_obs *o, int *score)
{
	struct thr t = thresholds(c, o->name);

	return signals(c, &t, NULL, true, o, score);
}
