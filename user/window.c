// SPDX-License-Identifier: BSD-3-Clause
/*
 * Windows for the detector: read a window's TLS fingerprints from the map
 * (ids merged by JA4, sketches merged register-wise), clear the map for the
 * next window, judge, and write the alerts as JSON lines or text.
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "window.h"
#include "detect.h"
#include "fps.h"
#include "ja4.h"
#include "log.h"
#include "util.h"

/* One kind of fingerprint: its map reader and its detector. */
struct side {
	enum fp_kind kind;
	struct fp_reader *rd;
	struct detector *det;
	struct det_obs *rows;           /* the window being judged */
	size_t nrows;
};

struct windows {
	struct side tls, tcp;
	/* the window's (JA4, TCP stack) pairs, read before the TLS side is
	 * judged */
	struct fp_reader *pairs_rd;
	struct det_obs *prows;
	size_t nprows;
	bool tcp_on;                    /* judge TCP stacks too */
	FILE *out;
	bool json, redact;
	unsigned int window_s;
	unsigned int tls_novel_windows;     /* the span, as the alerts say */
	__u64 end_ns;                   /* current window's end (program clock) */
	unsigned char key[32];          /* --redact-ips: lives only in memory */
	unsigned long long alerts;
	/* run --enforce: the enforce map, the mode, how long an entry lives */
	const struct det_config *cfg;
	int enf_fd;
	int enf_mode;                   /* enum hs_enforce_mode */
	__u64 enf_ttl_ns;
	__u64 enf_now;                  /* program clock when the window closed */
	struct win_scope scope;         /* alerts of another scope (the fleet's) */
	win_read_fn sink;               /* each window's rows, read (win_sink) */
	void *sink_ctx;
	/* for scrapes from another thread: the results of the last window */
	pthread_mutex_t lock;
	struct win_summary sum;         /* under lock */
	struct win_summary next;        /* being built by the closing window */
};

static int side_init(struct side *s, enum fp_kind kind, const struct det_config *c)
{
	s->kind = kind;
	s->rd = fpr_new(kind);
	s->det = det_new(c, kind);
	return s->rd && s->det ? 0 : -1;
}

static void side_free(struct side *s)
{
	fpr_free(s->rd);
	det_free(s->det);
}

struct windows *win_new(const struct det_config *c, unsigned int window_s,
			const char *alerts_path, bool json, bool redact)
{
	struct windows *w = calloc(1, sizeof(*w));
	struct det_config dc = *c;
	int fd;

	if (!w)
		return NULL;
	dc.window_s = window_s;
	w->tls_novel_windows = c->novel_windows;
	w->cfg = c;
	w->tcp_on = c->tcp_stacks;
	pthread_mutex_init(&w->lock, NULL);
	w->enf_fd = -1;
	w->window_s = window_s;
	w->json = json;
	w->redact = redact;
	w->pairs_rd = fpr_new(FP_PAIR);
	if (!w->pairs_rd || side_init(&w->tls, FP_TLS, &dc) || side_init(&w->tcp, FP_TCP, &dc))
		goto fail;
	/* the stacks read (tcp_on) name a pair's stack whose entry is gone */
	fpr_name_stacks(w->pairs_rd, w->tcp_on ? w->tcp.rd : NULL);
	if (redact && RAND_bytes(w->key, sizeof(w->key)) != 1) {
		pr_warn("Couldn't draw a key for --redact-ips");
		goto fail;
	}
	if (!alerts_path || !strcmp(alerts_path, "-")) {
		w->out = stdout;
	} else {
		fd = open(alerts_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		w->out = fd >= 0 ? fdopen(fd, "a") : NULL;
		if (!w->out) {
			pr_warn("Couldn't open alert file '%s': %s", alerts_path, strerror(errno));
			goto fail;
		}
	}
	return w;
fail:
	win_free(w);
	return NULL;
}

void win_free(struct windows *w)
{
	if (!w)
		return;
	if (w->out && w->out != stdout)
		fclose(w->out);
	side_free(&w->tls);
	side_free(&w->tcp);
	fpr_free(w->pairs_rd);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

static void addr_out(const struct windows *w, const struct hs_addr_sample *a, char *buf,
		     size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	char addr[INET6_ADDRSTRLEN];

	inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->addr, addr, sizeof(addr));
	if (!w->redact) {
		snprintf(buf, len, "%s", addr);
		return;
	}
	HMAC(EVP_sha256(), w->key, sizeof(w->key), (const unsigned char *)addr,
	     strlen(addr), md, &mdlen);
	snprintf(buf, len, "h:");
	for (i = 0; i < 8 && 2 + 2 * i + 2 < len; i++)
		sprintf(buf + 2 + 2 * i, "%02x", md[i]);
}

void win_enforce(struct windows *w, int enforce_fd, int mode, unsigned int ttl_s)
{
	w->enf_fd = enforce_fd;
	w->enf_mode = mode;
	w->enf_ttl_ns = (__u64)ttl_s * 1000000000ULL;
}

const struct hs_opt_name hs_enforce_names[] = {
	{ "dry-run", HS_ENF_DRY_RUN }, { "drop", HS_ENF_DROP }, { 0 }
};

const char *enforce_mode_name(int mode)
{
	return hs_opt_name_of(hs_enforce_names, (unsigned int)mode);
}

/* Delete the enforce entries expired by now. */
static void enforce_sweep(int fd, __u64 now)
{
	__u64 key, next, *keys = NULL, *nk;
	size_t n = 0, cap = 0, i;
	struct hs_enforce v;
	void *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;
		if (v.expires_ns > now)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			nk = realloc(keys, cap * sizeof(*keys));
			if (!nk)
				break;
			keys = nk;
		}
		keys[n++] = key;
	}
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &keys[i]);
	free(keys);
}

/* Put v under key; 1 done, 0 not (said why). */
static int enforce_put(struct windows *w, __u64 key, const struct hs_enforce *v)
{
	if (!bpf_map_update_elem(w->enf_fd, &key, v, BPF_ANY))
		return 1;
	pr_warn("enforce %s: couldn't add id %016llx: %s", v->ja4, (unsigned long long)key,
		strerror(errno));
	return 0;
}

/* A shared fingerprint's novel part, for TLS id id: sources new to its
 * JA4 since the span before the alert (kept from the entry an open alert
 * already has). */
static unsigned int enforce_novel(struct windows *w, __u64 id, struct hs_enforce v)
{
	__u64 span = (__u64)(w->tls_novel_windows + 1) * w->window_s * 1000000000ULL;
	struct hs_enforce old;

	v.scope = HS_SCOPE_NOVEL;
	v.since_ns = w->enf_now > span ? w->enf_now - span : 0;
	if (!bpf_map_lookup_elem(w->enf_fd, &id, &old) && old.scope == HS_SCOPE_NOVEL)
		v.since_ns = old.since_ns;
	return (unsigned int)enforce_put(w, id, &v);
}

/* A shared fingerprint's new pairs: the JA4 over the stacks it never came
 * over before, once for all its ids. */
static unsigned int enforce_pairs(struct windows *w, const struct det_alert *a,
				  struct hs_enforce v)
{
	unsigned int done = 0, i;
	size_t k, nkeys;

	v.scope = HS_SCOPE_PAIR;
	for (i = 0; i < a->nnew_pairs; i++) {
		size_t row = (size_t)(a->new_pairs[i] - w->prows);
		const __u64 *keys;

		if (a->new_pairs[i] < w->prows || row >= w->nprows)
			continue;
		v.stack_id = a->new_pairs[i]->stack_id;   /* for status */
		keys = fpr_keys(w->pairs_rd, row, &nkeys);
		for (k = 0; k < nkeys; k++)
			done += (unsigned int)enforce_put(w, HS_GEN_KEY(keys[k], 1), &v);
	}
	return done;
}

/* An alert's enforcement: the mode now applied to its JA4 (all of it, or
 * the hydra's part of a shared one), or NULL. */
static const char *enforce_alert(struct windows *w, const struct det_alert *a)
{
	const struct det_obs *o = a->obs;
	struct hs_enforce v = { 0 };
	const __u64 *keys;
	size_t row = (size_t)(o - w->tls.rows), i, nkeys;
	unsigned int done = 0;

	if (w->enf_fd < 0 || !w->enf_mode || !o->name[0] || hs_is_unfp(o->name))
		return NULL;    /* a population without a fingerprint: nothing to match */
	/* ended: its entries lapse at their expiry. A hydra held off tries
	 * less, and its alert may end for that alone: lifted then, it would be
	 * let back in every other window */
	if (a->state == DET_ENDED)
		return NULL;
	if (det_allowed(w->cfg, o->name) && !a->shared)
		return NULL;   /* allowlisted: never enforced whole */
	if (o < w->tls.rows || row >= w->tls.nrows)
		return NULL;
	v.expires_ns = w->enf_now + w->enf_ttl_ns;
	v.mode = (__u8)w->enf_mode;
	snprintf(v.ja4, sizeof(v.ja4), "%.*s", (int)sizeof(v.ja4) - 1, o->name);
	keys = fpr_keys(w->tls.rd, row, &nkeys);
	for (i = 0; i < nkeys; i++) {
		__u64 id = HS_GEN_KEY(keys[i], 0);

		done += a->shared ? enforce_novel(w, id, v) : (unsigned int)enforce_put(w, id, &v);
	}
	if (a->shared)
		done += enforce_pairs(w, a, v);
	return done ? enforce_mode_name(w->enf_mode) : NULL;
}

static const char *state_name(enum det_state s)
{
	return s == DET_NEW_ALERT ? "new" : s == DET_ACTIVE ? "active" : "ended";
}

/* An alert counted, and listed among the open ones unless it ended. */
static void alert_note(struct windows *w, enum fp_kind kind, const struct det_alert *a)
{
	struct win_open *op;

	bool unfp = kind == FP_TLS && hs_is_unfp(a->obs->name);

	w->alerts++;
	w->next.alerts[kind][a->state]++;
	if (unfp)
		w->next.unfp_alerts[a->state]++;
	if (a->state == DET_ENDED)
		return;
	w->next.nopen[kind]++;
	if (unfp)
		w->next.unfp_open++;
	if (w->next.nlisted >= WIN_OPEN_MAX)
		return;
	op = &w->next.open[w->next.nlisted++];
	op->kind = kind;
	op->unfp = unfp;
	snprintf(op->name, sizeof(op->name), "%s", a->obs->name);
	op->score = a->score;
	op->ips = a->obs->ips;
}

/* An alert's event: a JA4's, a TCP stack's, or a population of
 * connections whose ClientHello could not be fingerprinted (judged as a
 * JA4 is, named "unfingerprinted:REASON"). */
static const char *alert_event(enum fp_kind kind, const struct det_obs *o)
{
	if (kind != FP_TLS)
		return "hydra_tcp";
	return hs_is_unfp(o->name) ? "hydra_unfingerprinted" : "hydra";
}

/* The stack of a pair row ("JA4 STACK") */
static const char *pair_stack(const struct det_obs *p)
{
	const char *sp = strchr(p->name, ' ');

	return sp ? sp + 1 : p->name;
}

/* A TLS alert's novelty: shared, the novel part over the span, the new
 * pairs' stacks. */
static void novelty_json(const struct windows *w, const struct det_alert *a, json_object *j)
{
	json_object *sigs = json_object_new_array();
	unsigned int i;

	json_object_object_add(j, "shared", json_object_new_boolean(a->shared));
	json_object_object_add(j, "novel_ips", json_object_new_int64(llround(a->novel_ips)));
	json_object_object_add(j, "novel_nets", json_object_new_int64(llround(a->novel_nets)));
	json_object_object_add(j, "new_to_site", json_object_new_int64(llround(a->novel_site)));
	json_object_object_add(j, "novel_windows",
			       json_object_new_int((int)w->tls_novel_windows));
	json_object_object_add(j, "baseline_novel",
			       json_object_new_int64(llround(a->baseline_novel)));
	json_object_object_add(j, "new_stack_ips", json_object_new_int64(llround(a->new_stack_ips)));
	for (i = 0; i < a->nnew_pairs; i++)
		json_object_array_add(sigs, json_object_new_string(pair_stack(a->new_pairs[i])));
	json_object_object_add(j, "new_tcp_sigs", sigs);
}

/* A number with two decimals, written as text (a double prints as
 * 1.4399999999999999). */
static json_object *json_2dp(double v)
{
	char num[32];

	snprintf(num, sizeof(num), "%.2f", v);
	return json_object_new_double_s(v, num);
}

/* The window's account tags: null each when it had none (most sites tag
 * nothing); accounts_per_ip also when the tags came without addresses. */
static void accounts_json(const struct det_alert *a, json_object *j)
{
	const struct det_obs *o = a->obs;
	bool tags = o->tags > 0;

	json_object_object_add(j, "accounts",
			       tags ? json_object_new_int64(llround(o->accounts)) : NULL);
	json_object_object_add(j, "accounts_per_ip", tags && o->tagged_ips > 0 ?
			       json_2dp(o->accounts / o->tagged_ips) : NULL);
	json_object_object_add(j, "baseline_accounts",
			       tags ? json_object_new_int64(llround(a->baseline_accounts)) : NULL);
	json_object_object_add(j, "baseline_accounts_per_ip",
			       tags && a->baseline_accounts_per_ip >= 0 ?
			       json_2dp(a->baseline_accounts_per_ip) : NULL);
}

/* The alert's other scope (the fleet's), in place of enforcement's: the
 * hosts whose rows carried the fingerprint in the window. */
static void scope_json(const struct windows *w, enum fp_kind kind, const struct det_alert *a,
		       json_object *j)
{
	const char *names[WIN_HOSTS_MAX];
	json_object *h = json_object_new_array();
	size_t n = w->scope.hosts(w->scope.ctx, kind, a->obs, names, WIN_HOSTS_MAX), i;

	json_object_object_add(j, "scope", json_object_new_string(w->scope.scope));
	for (i = 0; i < n && i < WIN_HOSTS_MAX; i++)
		json_object_array_add(h, json_object_new_string(names[i]));
	json_object_object_add(j, "hosts", h);
}

static json_object *alert_json(struct windows *w, enum fp_kind kind, const struct det_alert *a,
			       const char *ts, const char *enf)
{
	const struct det_obs *o = a->obs;
	double cpi = o->ips > 0 ? o->conns / o->ips : 0;
	const char *detail = o->detail ? o->detail : "";
	json_object *j = json_object_new_object(), *r, *s;
	char addr[64];
	unsigned int i;
	int k;

	json_object_object_add(j, "event", json_object_new_string(alert_event(kind, o)));
	json_object_object_add(j, "state", json_object_new_string(state_name(a->state)));
	json_object_object_add(j, "ts", json_object_new_string(ts));
	json_object_object_add(j, "window_s", json_object_new_int((int)w->window_s));
	if (kind == FP_TLS && hs_is_unfp(o->name)) {
		/* why their ClientHellos could not be fingerprinted */
		json_object_object_add(j, "unfingerprinted", json_object_new_string(
			o->name + sizeof(HS_UNFP_PREFIX) - 1));
	} else if (kind == FP_TLS) {
		json_object_object_add(j, "ja4", json_object_new_string(o->name));
		json_object_object_add(j, "ja4_r", json_object_new_string(detail));
		/* a list longer than kept: the JA4 is not the exact one */
		json_object_object_add(j, "inexact", json_object_new_boolean(o->inexact));
	} else {
		json_object_object_add(j, "tcp_sig", json_object_new_string(o->name));
		json_object_object_add(j, "os", *detail ? json_object_new_string(detail) : NULL);
	}
	json_object_object_add(j, "ips", json_object_new_int64(llround(o->ips)));
	json_object_object_add(j, "nets", json_object_new_int64(llround(o->nets)));
	json_object_object_add(j, "conns", json_object_new_uint64(o->conns));
	json_object_object_add(j, "conns_per_ip", json_2dp(cpi));
	if (kind == FP_TLS)
		json_object_object_add(j, "tcp_sigs", json_object_new_int64(llround(o->stacks)));
	json_object_object_add(j, "baseline_ips", json_object_new_int64(llround(a->baseline_ips)));
	json_object_object_add(j, "score", json_object_new_int(a->score));
	r = json_object_new_array();
	for (k = 0; k < DET_SIG__COUNT; k++)
		if (a->signals & (1u << k))
			json_object_array_add(r, json_object_new_string(det_signal_name(k)));
	json_object_object_add(j, "reasons", r);
	accounts_json(a, j);
	if (kind == FP_TLS) {
		const struct hs_addr_sample *smp = a->shared ? o->novel_samples : o->samples;
		unsigned int nsmp = a->shared ? o->nnovel : o->nsamples;

		novelty_json(w, a, j);
		/* a shared fingerprint's samples are of its novel part: the
		 * hydra's, not its legitimate users'; none in another scope
		 * (the fleet's rows carry no addresses) */
		s = json_object_new_array();
		for (i = 0; i < nsmp; i++) {
			addr_out(w, &smp[i], addr, sizeof(addr));
			json_object_array_add(s, json_object_new_string(addr));
		}
		if (w->scope.scope)
			json_object_put(s);
		else
			json_object_object_add(j, "sample_ips", s);
		json_object_object_add(j, "enforced", enf ? json_object_new_string(enf) : NULL);
		if (!w->scope.scope)
			json_object_object_add(j, "scope", enf ? json_object_new_string(
				a->shared ? "novel" : "all") : NULL);
	}
	if (w->scope.scope)
		scope_json(w, kind, a, j);
	return j;
}

static void alert_text(struct windows *w, enum fp_kind kind, const struct det_alert *a,
		       const char *ts, const char *enf)
{
	const struct det_obs *o = a->obs;
	double cpi = o->ips > 0 ? o->conns / o->ips : 0;
	int k, i;

	fprintf(w->out, "%s %s %-6s %s%s ips=%lld nets=%lld conns=%llu conns/ip=%.2f ", ts,
		alert_event(kind, o), state_name(a->state), o->name, o->inexact ? " (inexact)" : "",
		llround(o->ips), llround(o->nets), (unsigned long long)o->conns, cpi);
	if (kind == FP_TLS)
		fprintf(w->out, "tcp_sigs=%lld ", llround(o->stacks));
	if (kind == FP_TLS)
		fprintf(w->out, "shared=%s novel_ips=%lld novel_nets=%lld new_to_site=%lld "
			"new_stacks=%u ", a->shared ? "yes" : "no", llround(a->novel_ips),
			llround(a->novel_nets), llround(a->novel_site), a->nnew_pairs);
	if (o->tags && o->tagged_ips > 0)
		fprintf(w->out, "accounts=%lld accounts/ip=%.2f ", llround(o->accounts),
			o->accounts / o->tagged_ips);
	else if (o->tags)
		fprintf(w->out, "accounts=%lld accounts/ip=- ", llround(o->accounts));
	fprintf(w->out, "baseline_ips=%lld score=%d reasons=", llround(a->baseline_ips), a->score);
	for (k = 0, i = 0; k < DET_SIG__COUNT; k++)
		if (a->signals & (1u << k))
			fprintf(w->out, "%s%s", i++ ? "," : "", det_signal_name(k));
	fprintf(w->out, "%s%s%s%s", i ? "" : "-", enf ? " enforced=" : "", enf ? enf : "",
		enf ? (a->shared ? " scope=novel" : " scope=all") : "");
	if (w->scope.scope) {
		const char *names[WIN_HOSTS_MAX];
		size_t n = w->scope.hosts(w->scope.ctx, kind, a->obs, names, WIN_HOSTS_MAX), h;

		fprintf(w->out, " scope=%s hosts=", w->scope.scope);
		for (h = 0; h < n && h < WIN_HOSTS_MAX; h++)
			fprintf(w->out, "%s%s", h ? "," : "", names[h]);
		fputs(n ? "" : "-", w->out);
	}
	fputc('\n', w->out);
}

static void on_alert(struct windows *w, enum fp_kind kind, const struct det_alert *a)
{
	const char *enf = kind == FP_TLS ? enforce_alert(w, a) : NULL;
	char ts[48];

	json_object *j = NULL;
	const char *line = NULL;

	alert_note(w, kind, a);
	fmt_time(w->end_ns, false, ts, sizeof(ts));
	if (w->json || w->scope.alerted) {
		j = alert_json(w, kind, a, ts, enf);
		line = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
						      JSON_C_TO_STRING_NOSLASHESCAPE);
	}
	if (w->json)
		fprintf(w->out, "%s\n", line);
	else
		alert_text(w, kind, a, ts, enf);
	fflush(w->out);
	if (w->scope.alerted)
		w->scope.alerted(w->scope.ctx, kind, a, line);
	json_object_put(j);
}

static void on_tls_alert(void *ctx, const struct det_alert *a)
{
	on_alert(ctx, FP_TLS, a);
}

static void on_tcp_alert(void *ctx, const struct det_alert *a)
{
	on_alert(ctx, FP_TCP, a);
}

/* Read a side's window (generation gen) and clear it from the map for the
 * next one: the program writes the other generation meanwhile (replay
 * runs one packet at a time, so nothing is written at all). */
static int side_read(struct side *s, int fd, int gen)
{
	int err = fpr_read(s->rd, fd, gen, &s->rows, &s->nrows);

	fpr_delete(s->rd, fd);
	if (err)
		s->nrows = 0;
	return err;
}

/* The detector on a side's window read. */
static int side_judge(struct windows *w, struct side *s)
{
	int err = det_window(s->det, s->rows, s->nrows, s->kind == FP_TLS ? w->prows : NULL,
			     s->kind == FP_TLS ? w->nprows : 0,
			     s->kind == FP_TLS ? on_tls_alert : on_tcp_alert, w) ? -ENOMEM : 0;

	s->rows = NULL;
	s->nrows = 0;
	return err;
}

void win_sink(struct windows *w, win_read_fn fn, void *ctx)
{
	w->sink = fn;
	w->sink_ctx = ctx;
	fpr_keep_sketches(w->tls.rd, fn != NULL);
	fpr_keep_sketches(w->tcp.rd, fn != NULL);
	fpr_keep_sketches(w->pairs_rd, fn != NULL);
}

/* The window's rows to the sink: the kinds read without error. */
static void sink_rows(struct windows *w, bool tls, bool tcp)
{
	struct win_read r = { .end_ns = w->end_ns, .window_s = w->window_s };

	if (!w->sink)
		return;
	if (tls) {
		r.rd[FP_TLS] = w->tls.rd;
		r.rows[FP_TLS] = w->tls.rows;
		r.n[FP_TLS] = w->tls.nrows;
	}
	if (tcp) {
		r.rd[FP_TCP] = w->tcp.rd;
		r.rows[FP_TCP] = w->tcp.rows;
		r.n[FP_TCP] = w->tcp.nrows;
	}
	r.rd[FP_PAIR] = w->pairs_rd;
	r.rows[FP_PAIR] = w->prows;
	r.n[FP_PAIR] = w->nprows;
	w->sink(w->sink_ctx, &r);
}

/* The summary a scrape reads: the windows closed and fingerprints known
 * (after a window, or the state a run restored), the alerts built up. */
static void win_publish(struct windows *w)
{
	w->next.windows = det_windows(w->tls.det);
	w->next.known[FP_TLS] = det_known(w->tls.det);
	w->next.known[FP_TCP] = det_known(w->tcp.det);
	pthread_mutex_lock(&w->lock);
	w->sum = w->next;
	pthread_mutex_unlock(&w->lock);
}

/* Judge the window read into the sides and the pairs: TLS (unless its read
 * failed, err), then TCP stacks (when tcp), publish; err or err2. */
static int win_judge_read(struct windows *w, int err, bool tcp, int err2)
{
	if (!err)
		err = side_judge(w, &w->tls);
	w->prows = NULL;
	w->nprows = 0;
	if (tcp)
		err2 = side_judge(w, &w->tcp);
	win_publish(w);
	if (w->enf_fd >= 0)
		enforce_sweep(w->enf_fd, w->enf_now);
	return err ?: err2;
}

int win_close(struct windows *w, const struct fp_maps *m, int gen, __u64 end_ns)
{
	int err, err2 = 0;

	if (end_ns)
		w->end_ns = end_ns;
	if (w->enf_fd >= 0)   /* the program clock (now_ns) */
		w->enf_now = clock_ns(CLOCK_MONOTONIC);
	/* this window's summary: totals carried on, open alerts afresh */
	w->next.nopen[0] = w->next.nopen[1] = 0;
	w->next.unfp_open = 0;
	w->next.nlisted = 0;
	/* every map read and cleared before any judging, so that the window
	 * the program fills meanwhile never meets the last one's entries (a
	 * SYN flood fills its half of tcp_fps in a window): the pairs first,
	 * named through the fingerprint entries the sides then delete */
	w->nprows = 0;
	if (m->pairs >= 0) {
		fpr_name_maps(w->pairs_rd, m->tls, m->tcp);
		if (fpr_read(w->pairs_rd, m->pairs, gen, &w->prows, &w->nprows)) {
			w->nprows = 0;
			fps_clear(m->pairs, gen);
		} else {
			fpr_delete(w->pairs_rd, m->pairs);
		}
	}
	if (m->tcp >= 0)
		err2 = w->tcp_on ? side_read(&w->tcp, m->tcp, gen) : fps_clear(m->tcp, gen);
	err = side_read(&w->tls, m->tls, gen);
	/* the application's account tags of the window, beside each row */
	if (m->accounts >= 0) {
		if (!err)
			fpr_accounts(w->tls.rd, m->accounts, HS_ACCT_TLS, gen);
		if (m->tcp >= 0 && w->tcp_on && !err2)
			fpr_accounts(w->tcp.rd, m->accounts, HS_ACCT_TCP, gen);
		if (w->nprows)
			fpr_accounts(w->pairs_rd, m->accounts, HS_ACCT_PAIR, gen);
		acct_clear(m->accounts, gen);
	}
	sink_rows(w, !err, m->tcp >= 0 && w->tcp_on && !err2);
	return win_judge_read(w, err, m->tcp >= 0 && w->tcp_on && !err2, err2);
}

void win_set_scope(struct windows *w, const struct win_scope *s)
{
	w->scope = *s;
}

int win_judge(struct windows *w, const struct win_rows *r, __u64 end_ns)
{
	w->end_ns = end_ns;
	w->next.nopen[0] = w->next.nopen[1] = 0;
	w->next.unfp_open = 0;
	w->next.nlisted = 0;
	w->tls.rows = r->tls;
	w->tls.nrows = r->ntls;
	w->prows = r->pairs;
	w->nprows = r->npairs;
	w->tcp.rows = r->tcp;
	w->tcp.nrows = r->ntcp;
	return win_judge_read(w, 0, w->tcp_on, 0);
}

/* a bogus timestamp at the end of time: in the last window there is */
static __u64 win_clamp(const struct windows *w, __u64 now_ns)
{
	__u64 len = (__u64)w->window_s * 1000000000ULL;

	return now_ns >= UINT64_MAX - len ? UINT64_MAX - len : now_ns;
}

bool win_due(const struct windows *w, __u64 now_ns)
{
	return !w->end_ns || win_clamp(w, now_ns) >= w->end_ns;
}

/* Close every window that ends at or before now; returns -errno on error. */
int win_advance(struct windows *w, const struct fp_maps *m, __u64 now_ns)
{
	__u64 len = (__u64)w->window_s * 1000000000ULL, skip;
	int err;

	now_ns = win_clamp(w, now_ns);
	if (!w->end_ns)
		w->end_ns = (now_ns / len + 1) * len;  /* windows on round times */
	while (now_ns >= w->end_ns) {
		err = win_close(w, m, -1, 0);
		if (err)
			return err;
		w->end_ns += len;
		/* a jump in packet time (captures far apart, a bogus timestamp):
		 * once the detectors know no fingerprint, the empty windows up to
		 * now change nothing but their count: counted, not closed one by
		 * one (a year of one-second windows took hours) */
		if (now_ns >= w->end_ns && !det_known(w->tls.det) && !det_known(w->tcp.det)) {
			skip = (now_ns - w->end_ns) / len + 1;
			det_skip(w->tls.det, skip);
			det_skip(w->tcp.det, skip);
			w->end_ns += skip * len;
		}
	}
	return 0;
}

unsigned long long win_alerts(const struct windows *w)
{
	return w->alerts;
}

void win_summary(struct windows *w, struct win_summary *s)
{
	pthread_mutex_lock(&w->lock);
	*s = w->sum;
	pthread_mutex_unlock(&w->lock);
}

/* The TCP stacks' state file next to the TLS one: X.json -> X-tcp.json. */
static char *tcp_path(const char *path)
{
	size_t n = strlen(path);
	char *p = malloc(n + 8);

	if (!p)
		return NULL;
	if (n > 5 && !strcmp(path + n - 5, ".json"))
		snprintf(p, n + 8, "%.*s-tcp.json", (int)(n - 5), path);
	else
		snprintf(p, n + 8, "%s-tcp", path);
	return p;
}

int win_save(const struct windows *w, const char *path)
{
	char *tp = tcp_path(path);
	int err = det_save(w->tls.det, path, w->window_s);

	if (!err && w->tcp_on)
		err = tp ? det_save(w->tcp.det, tp, w->window_s) : -ENOMEM;
	free(tp);
	return err;
}

void win_novelty_relearn(struct windows *w)
{
	det_novelty_relearn(w->tls.det);
}

int win_load(struct windows *w, const char *path)
{
	char *tp = tcp_path(path), err[512];
	int ret = det_load(w->tls.det, path, w->window_s, err, sizeof(err));

	if (ret < 0)
		pr_warn("Ignoring detector state %s; starting fresh", err);
	else if (!ret)
		pr_info("detector state restored from %s: %u windows closed, %zu fingerprints",
			path, det_windows(w->tls.det), det_known(w->tls.det));
	if (w->tcp_on && tp) {
		ret = det_load(w->tcp.det, tp, w->window_s, err, sizeof(err));
		if (ret < 0)
			pr_warn("Ignoring detector state %s; starting fresh", err);
		else if (!ret)
			pr_info("TCP stack state restored from %s: %u windows closed, %zu stacks",
				tp, det_windows(w->tcp.det), det_known(w->tcp.det));
	}
	free(tp);
	win_publish(w);         /* a scrape before the first window sees them */
	return 0;
}
