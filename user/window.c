// SPDX-License-Identifier: BSD-3-Clause
/*
 * Windows for the detector: read a window's TLS fingerprints from the map
 * (ids merged by JA4, sketches merged register-wise), clear the map for the
 * next window, judge, and write the alerts as JSON lines or text.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
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

#include "hs.h"

#define AGG_IDS 32   /* TLS ids merged into one JA4 that enforcement covers */

struct agg {
	struct det_obs o;
	__u8 hll[3][HS_HLL_M];
	unsigned int nids;
	__u64 ids[AGG_IDS];             /* generation bit cleared */
};

struct windows {
	struct detector *det;
	FILE *out;
	bool json, redact;
	unsigned int window_s;
	__u64 end_ns;                   /* current window's end (program clock) */
	unsigned char key[32];          /* --redact-ips: lives only in memory */
	struct agg *a;
	size_t n, cap;
	unsigned long long alerts;
	/* run --enforce: the enforce map, the mode, how long an entry lives */
	const struct det_config *cfg;
	int enf_fd;
	int enf_mode;                   /* enum hs_enforce_mode */
	__u64 enf_ttl_ns;
	__u64 enf_now;                  /* program clock when the window closed */
};

struct windows *win_new(const struct det_config *c, unsigned int window_s,
			const char *alerts_path, bool json, bool redact)
{
	struct windows *w = calloc(1, sizeof(*w));
	int fd;

	if (!w)
		return NULL;
	w->det = det_new(c);
	w->cfg = c;
	w->enf_fd = -1;
	w->window_s = window_s;
	w->json = json;
	w->redact = redact;
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
	if (!w->det)
		goto fail;
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
	det_free(w->det);
	free(w->a);
	free(w);
}

static struct agg *agg_for(struct windows *w, const char *ja4)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (!strcmp(w->a[i].o.ja4, ja4))
			return &w->a[i];
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 32;
		struct agg *na = realloc(w->a, cap * sizeof(*na));

		if (!na)
			return NULL;
		w->a = na;
		w->cap = cap;
	}
	memset(&w->a[w->n], 0, sizeof(w->a[0]));
	snprintf(w->a[w->n].o.ja4, sizeof(w->a[0].o.ja4), "%s", ja4);
	return &w->a[w->n++];
}

/* The source addresses a tls_fps value kept, as sample_ips candidates. */
static void add_samples(struct agg *a, const struct hs_tls_fp *v)
{
	char src[INET6_ADDRSTRLEN];
	unsigned int i, k;

	for (k = 0; k < HS_TLS_SAMPLES && a->o.nsamples < DET_SAMPLES; k++) {
		const struct hs_addr_sample *smp = &v->samples[k];

		if (smp->family == 4)
			inet_ntop(AF_INET, smp->addr, src, sizeof(src));
		else if (smp->family == 6)
			inet_ntop(AF_INET6, smp->addr, src, sizeof(src));
		else
			continue;
		for (i = 0; i < a->o.nsamples; i++)
			if (!strcmp(a->o.samples[i], src))
				break;
		if (i == a->o.nsamples)
			snprintf(a->o.samples[a->o.nsamples++], sizeof(a->o.samples[0]), "%s", src);
	}
}

static void addr_out(const struct windows *w, const char *addr, char *buf, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

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

const char *enforce_mode_name(int mode)
{
	return mode == HS_ENF_DROP ? "drop" : mode == HS_ENF_DRY_RUN ? "dry-run" : NULL;
}

/* Delete the enforce entries of ja4 (NULL: those expired by now). */
static void enforce_remove(int fd, const char *ja4, __u64 now)
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
		v.ja4[sizeof(v.ja4) - 1] = '\0';
		if (ja4 ? strcmp(v.ja4, ja4) : v.expires_ns > now)
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

/* An alert's enforcement: the mode now applied to its JA4, or NULL. */
static const char *enforce_alert(struct windows *w, const struct det_alert *a)
{
	const struct det_obs *o = a->obs;
	struct hs_enforce v = { 0 };
	unsigned int i, done = 0;
	size_t k;

	if (w->enf_fd < 0 || !w->enf_mode || !o->ja4[0])
		return NULL;
	if (a->state == DET_ENDED) {
		enforce_remove(w->enf_fd, o->ja4, 0);
		return NULL;
	}
	if (det_allowed(w->cfg, o->ja4))
		return NULL;   /* allowlisted: alerted on, never enforced */
	v.expires_ns = w->enf_now + w->enf_ttl_ns;
	v.mode = (__u8)w->enf_mode;
	snprintf(v.ja4, sizeof(v.ja4), "%s", o->ja4);
	for (k = 0; k < w->n; k++) {
		const struct agg *g = &w->a[k];

		if (strcmp(g->o.ja4, o->ja4))
			continue;
		for (i = 0; i < g->nids; i++)
			if (!bpf_map_update_elem(w->enf_fd, &g->ids[i], &v, BPF_ANY))
				done++;
			else
				pr_warn("enforce %s: couldn't add id %016llx: %s", o->ja4,
					(unsigned long long)g->ids[i], strerror(errno));
	}
	return done ? enforce_mode_name(w->enf_mode) : NULL;
}

static const char *state_name(enum det_state s)
{
	return s == DET_NEW_ALERT ? "new" : s == DET_ACTIVE ? "active" : "ended";
}

static void on_alert(void *ctx, const struct det_alert *a)
{
	struct windows *w = ctx;
	const struct det_obs *o = a->obs;
	double cpi = o->ips > 0 ? o->conns / o->ips : 0;
	char ts[48], addr[64], num[32];
	const char *enf = enforce_alert(w, a);
	unsigned int i;
	int k;

	w->alerts++;
	fmt_time(w->end_ns, false, ts, sizeof(ts));
	if (w->json) {
		json_object *j = json_object_new_object(), *r, *s;

		json_object_object_add(j, "event", json_object_new_string("hydra"));
		json_object_object_add(j, "state", json_object_new_string(state_name(a->state)));
		json_object_object_add(j, "ts", json_object_new_string(ts));
		json_object_object_add(j, "window_s", json_object_new_int((int)w->window_s));
		json_object_object_add(j, "ja4", json_object_new_string(o->ja4));
		json_object_object_add(j, "ja4_r", json_object_new_string(o->ja4_r));
		json_object_object_add(j, "ips", json_object_new_int64(llround(o->ips)));
		json_object_object_add(j, "nets", json_object_new_int64(llround(o->nets)));
		json_object_object_add(j, "conns", json_object_new_uint64(o->conns));
		snprintf(num, sizeof(num), "%.2f", cpi);
		/* written as text: a double prints as 1.4399999999999999 */
		json_object_object_add(j, "conns_per_ip", json_object_new_double_s(cpi, num));
		json_object_object_add(j, "tcp_sigs", json_object_new_int64(llround(o->stacks)));
		json_object_object_add(j, "baseline_ips", json_object_new_int64(llround(a->baseline_ips)));
		json_object_object_add(j, "score", json_object_new_int(a->score));
		r = json_object_new_array();
		for (k = 0; k < DET_SIG__COUNT; k++)
			if (a->signals & (1u << k))
				json_object_array_add(r, json_object_new_string(det_signal_name(k)));
		json_object_object_add(j, "reasons", r);
		s = json_object_new_array();
		for (i = 0; i < o->nsamples; i++) {
			addr_out(w, o->samples[i], addr, sizeof(addr));
			json_object_array_add(s, json_object_new_string(addr));
		}
		json_object_object_add(j, "sample_ips", s);
		json_object_object_add(j, "enforced", enf ? json_object_new_string(enf) : NULL);
		fprintf(w->out, "%s\n", json_object_to_json_string_ext(j,
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
	} else {
		fprintf(w->out, "%s hydra %-6s %s ips=%lld nets=%lld conns=%llu conns/ip=%.2f "
			"tcp_sigs=%lld baseline_ips=%lld score=%d reasons=", ts,
			state_name(a->state), o->ja4, llround(o->ips), llround(o->nets),
			(unsigned long long)o->conns, cpi, llround(o->stacks),
			llround(a->baseline_ips), a->score);
		for (k = 0, i = 0; k < DET_SIG__COUNT; k++)
			if (a->signals & (1u << k))
				fprintf(w->out, "%s%s", i++ ? "," : "", det_signal_name(k));
		fprintf(w->out, "%s%s%s\n", i ? "" : "-", enf ? " enforced=" : "", enf ? enf : "");
	}
	fflush(w->out);
}

/* Keys of fd whose lowest bit is gen (every key if gen < 0); *n set. */
static __u64 *gen_keys(int fd, int gen, size_t *n)
{
	__u64 key, next, *keys = NULL, *nk;
	size_t cap = 0;
	void *prev = NULL;

	*n = 0;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (gen >= 0 && (int)(key & 1) != gen)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 256;
			nk = realloc(keys, cap * sizeof(*keys));
			if (!nk) {
				free(keys);
				*n = 0;
				return NULL;
			}
			keys = nk;
		}
		keys[(*n)++] = key;
	}
	return keys;
}

/* Delete the given generation's entries (every entry if gen < 0). */
static void clear_gen(int fd, int gen)
{
	size_t n, i;
	__u64 *keys = gen_keys(fd, gen, &n), next;

	if (!keys && gen < 0) {
		/* out of memory: delete as we go */
		while (bpf_map_get_next_key(fd, NULL, &next) == 0)
			if (bpf_map_delete_elem(fd, &next))
				break;
		return;
	}
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &keys[i]);
	free(keys);
}

int win_close(struct windows *w, int tls_fd, int tcp_fd, int gen, __u64 end_ns)
{
	struct hs_tls_fp *v = malloc(sizeof(*v));
	struct det_obs *obs = NULL;
	char ja4[HS_JA4_LEN], raw[1024];
	__u64 *keys = NULL;
	size_t i, nkeys = 0;
	int err = 0;

	if (end_ns)
		w->end_ns = end_ns;
	if (w->enf_fd >= 0) {
		struct timespec mono;

		/* the program clock, bpf_ktime_get_coarse_ns() */
		clock_gettime(CLOCK_MONOTONIC, &mono);
		w->enf_now = (__u64)mono.tv_sec * 1000000000ULL + (__u64)mono.tv_nsec;
	}
	if (!v)
		return -ENOMEM;
	keys = gen_keys(tls_fd, gen, &nkeys);
	for (i = 0; i < nkeys; i++) {
		struct agg *a;

		if (bpf_map_lookup_elem(tls_fd, &keys[i], v) ||
		    tls_ja4(&v->hello, ja4, sizeof(ja4), raw, sizeof(raw)))
			continue;
		if (!(a = agg_for(w, ja4))) {
			err = -ENOMEM;
			goto out;
		}
		if (!a->o.ja4_r[0])
			snprintf(a->o.ja4_r, sizeof(a->o.ja4_r), "%s", raw);
		a->o.conns += v->conns;
		hll_merge(a->hll[0], v->hll_ips);
		hll_merge(a->hll[1], v->hll_nets);
		hll_merge(a->hll[2], v->hll_tcp);
		add_samples(a, v);
		{
			__u64 id = HS_GEN_KEY(keys[i], 0);
			unsigned int k;

			for (k = 0; k < a->nids && a->ids[k] != id; k++)
				;
			if (k == a->nids && k < AGG_IDS)
				a->ids[a->nids++] = id;
		}
	}
	/* clear the window read for the next one: the program writes the other
	 * generation meanwhile (replay runs one packet at a time, so nothing
	 * is written at all) */
	for (i = 0; i < nkeys; i++)
		bpf_map_delete_elem(tls_fd, &keys[i]);
	if (!keys)
		clear_gen(tls_fd, gen);
	if (tcp_fd >= 0)
		clear_gen(tcp_fd, gen);
	obs = calloc(w->n ? w->n : 1, sizeof(*obs));
	if (!obs) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < w->n; i++) {
		struct agg *a = &w->a[i];

		a->o.ips = hll_estimate(a->hll[0]);
		a->o.nets = hll_estimate(a->hll[1]);
		a->o.stacks = hll_estimate(a->hll[2]);
		obs[i] = a->o;
	}
	if (det_window(w->det, obs, w->n, on_alert, w))
		err = -ENOMEM;
	if (w->enf_fd >= 0)
		enforce_remove(w->enf_fd, NULL, w->enf_now);   /* sweep the expired */
	w->n = 0;
out:
	free(keys);
	free(obs);
	free(v);
	return err;
}

/* Close every window that ends at or before now; returns -errno on error. */
int win_advance(struct windows *w, int tls_fd, __u64 now_ns)
{
	__u64 len = (__u64)w->window_s * 1000000000ULL;
	int err;

	if (!w->end_ns)
		w->end_ns = (now_ns / len + 1) * len;  /* windows on round times */
	while (now_ns >= w->end_ns) {
		err = win_close(w, tls_fd, -1, -1, 0);
		if (err)
			return err;
		w->end_ns += len;
	}
	return 0;
}

unsigned long long win_alerts(const struct windows *w)
{
	return w->alerts;
}

struct detector *win_detector(struct windows *w)
{
	return w->det;
}
