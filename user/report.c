// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fingerprint rows, as `dump` and `replay` print them. Every id of a
 * fingerprint map is rendered to its canonical name (p0f signature, JA4);
 * ids with the same name are merged (counts add, sketches merge
 * register-wise); rows are sorted by count. Then the (JA4, TCP stack)
 * pairs, as fps.c reads them.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <json-c/json.h>

#include "report.h"
#include "fps.h"
#include "hll.h"
#include "ja4.h"
#include "log.h"
#include "p0f.h"
#include "p0fdb.h"
#include "util.h"

enum { SK_IPS, SK_NETS, SK_TCP, SK_ACCTS, SK__N };

struct row {
	char name[256];                 /* p0f signature or JA4 */
	char raw[HS_JA4_R_TEXT];        /* JA4_r (TLS) */
	char sni[HS_SNI_TEXT];
	const char *os;
	__u64 count, first_ns, last_ns;
	__u64 unvalidated;              /* TLS: ClientHellos not counted (handshake check),
					 * of each window's sample walked */
	__u64 tags;                     /* account tags (the application's) */
	bool inexact;                   /* TLS: a list longer than kept */
	__u8 hll[SK__N][HS_HLL_M];
};

struct rows {
	struct row *r;
	size_t n, cap;
};

static struct row *row_new(struct rows *rs)
{
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 64;
		struct row *nr = realloc(rs->r, cap * sizeof(*nr));

		if (!nr)
			return NULL;
		rs->r = nr;
		rs->cap = cap;
	}
	memset(&rs->r[rs->n], 0, sizeof(rs->r[0]));
	return &rs->r[rs->n++];
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->name, ((const struct row *)b)->name);
}

static int by_count(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* Merge rows with the same name, then sort by count. */
static void merge(struct rows *rs)
{
	size_t i, out = 0, k;

	if (!rs->n)
		return;
	qsort(rs->r, rs->n, sizeof(*rs->r), by_name);
	for (i = 1; i < rs->n; i++) {
		struct row *o = &rs->r[out], *x = &rs->r[i];

		if (strcmp(o->name, x->name) == 0) {
			o->count += x->count;
			o->unvalidated += x->unvalidated;
			o->inexact |= x->inexact;
			o->tags += x->tags;
			if (x->first_ns < o->first_ns) {
				o->first_ns = x->first_ns;
				memcpy(o->sni, x->sni, sizeof(o->sni));
			}
			if (x->last_ns > o->last_ns)
				o->last_ns = x->last_ns;
			for (k = 0; k < SK__N; k++)
				hll_merge(o->hll[k], x->hll[k]);
		} else if (++out != i) {
			rs->r[out] = *x;
		}
	}
	rs->n = out + 1;
	qsort(rs->r, rs->n, sizeof(*rs->r), by_count);
}

/* Iterate a hash map keyed by __u64; value into buf (vsize bytes). */
#define FOR_EACH_ID(fd, key, buf) \
	for (void *_prev = NULL; bpf_map_get_next_key(fd, _prev, &key) == 0; _prev = &key) \
		if (bpf_map_lookup_elem(fd, &key, buf) == 0)

/* The account tags of map key key (of kind) into row r. */
static void add_accounts(int acct_fd, __u64 key, __u32 kind, struct row *r)
{
	struct hs_acct_key k = { .key = key, .kind = kind };
	struct hs_acct a;

	if (acct_fd >= 0 && !bpf_map_lookup_elem(acct_fd, &k, &a)) {
		r->tags += a.tags;
		hll_merge(r->hll[SK_ACCTS], a.hll_accounts);
	}
}

static int collect_tcp(int fd, int acct_fd, struct rows *rs)
{
	struct hs_tcp_fp *v = malloc(sizeof(*v));
	struct row *r;
	__u64 key;

	if (!v)
		return -ENOMEM;
	FOR_EACH_ID(fd, key, v) {
		if (!(r = row_new(rs))) {
			free(v);
			return -ENOMEM;
		}
		p0f_render(&v->sig, r->name, sizeof(r->name));
		r->os = p0f_db_label(&v->sig);
		r->count = v->syns;
		r->first_ns = v->first_ns;
		r->last_ns = v->last_ns;
		memcpy(r->hll[SK_IPS], v->hll_ips, HS_HLL_M);
		memcpy(r->hll[SK_NETS], v->hll_nets, HS_HLL_M);
		add_accounts(acct_fd, key, HS_ACCT_TCP, r);
	}
	free(v);
	return 0;
}

static int collect_tls(int fd, int acct_fd, struct rows *rs)
{
	struct hs_tls_fp *v = malloc(sizeof(*v));
	struct row *r;
	__u64 key;

	if (!v)
		return -ENOMEM;
	FOR_EACH_ID(fd, key, v) {
		if (!(r = row_new(rs))) {
			free(v);
			return -ENOMEM;
		}
		if (tls_ja4(&v->hello, r->name, sizeof(r->name), r->raw, sizeof(r->raw)))
			snprintf(r->name, sizeof(r->name), "unrenderable-%016llx",
				 (unsigned long long)key);
		r->os = "";
		tls_sni(&v->hello, r->sni, sizeof(r->sni));
		r->count = v->conns;
		r->unvalidated = v->conns_unvalidated;
		r->inexact = !!(v->hello.flags & HS_TLSF_OVERFLOW);
		r->first_ns = v->first_ns;
		r->last_ns = v->last_ns;
		memcpy(r->hll[SK_IPS], v->hll_ips, HS_HLL_M);
		memcpy(r->hll[SK_NETS], v->hll_nets, HS_HLL_M);
		memcpy(r->hll[SK_TCP], v->hll_tcp, HS_HLL_M);
		add_accounts(acct_fd, key, HS_ACCT_TLS, r);
	}
	free(v);
	return 0;
}

static unsigned long long est(const __u8 *reg)
{
	return (unsigned long long)llround(hll_estimate(reg));
}

static void print_json(const struct row *r, bool tls, const struct report_opts *o)
{
	json_object *j = json_object_new_object();
	char first[40], last[40];

	fmt_time(r->first_ns + o->clock_offset, false, first, sizeof(first));
	fmt_time(r->last_ns + o->clock_offset, false, last, sizeof(last));
	if (tls && hs_is_unfp(r->name)) {
		/* connections whose ClientHello could not be fingerprinted */
		json_object_object_add(j, "kind", json_object_new_string("unfingerprinted"));
		json_object_object_add(j, "reason", json_object_new_string(
			r->name + sizeof(HS_UNFP_PREFIX) - 1));
		json_object_object_add(j, "conns", json_object_new_uint64(r->count));
	} else if (tls) {
		json_object_object_add(j, "kind", json_object_new_string("tls"));
		json_object_object_add(j, "ja4", json_object_new_string(r->name));
		json_object_object_add(j, "ja4_r", json_object_new_string(r->raw));
		/* a list longer than kept: the JA4 is not the exact one */
		json_object_object_add(j, "inexact", json_object_new_boolean(r->inexact));
		json_object_object_add(j, "conns", json_object_new_uint64(r->count));
		/* of the unvalidated ClientHellos walked: each window's sample */
		json_object_object_add(j, "conns_unvalidated_sampled",
				       json_object_new_uint64(r->unvalidated));
	} else {
		json_object_object_add(j, "kind", json_object_new_string("tcp"));
		json_object_object_add(j, "tcp_sig", json_object_new_string(r->name));
		json_object_object_add(j, "os", json_object_new_string(r->os));
		json_object_object_add(j, "syns", json_object_new_uint64(r->count));
	}
	json_object_object_add(j, "ips", json_object_new_uint64(est(r->hll[SK_IPS])));
	json_object_object_add(j, "nets", json_object_new_uint64(est(r->hll[SK_NETS])));
	if (tls)
		json_object_object_add(j, "tcp_sigs", json_object_new_uint64(est(r->hll[SK_TCP])));
	json_object_object_add(j, "first_seen", json_object_new_string(first));
	json_object_object_add(j, "last_seen", json_object_new_string(last));
	if (tls && !hs_is_unfp(r->name))
		json_object_object_add(j, "sni_sample", json_object_new_string(r->sni));
	/* the application's account tags: null when it put none */
	json_object_object_add(j, "account_tags", json_object_new_uint64(r->tags));
	json_object_object_add(j, "accounts", r->tags ? json_object_new_uint64(est(r->hll[SK_ACCTS])) :
							NULL);
	json_line(stdout, j);
}

static void print_table(const struct rows *rs, size_t n, bool tls, const struct report_opts *o)
{
	char first[40], last[40];
	int w = tls ? 36 : 13, ow = 10;
	size_t i;

	for (i = 0; i < n; i++) {
		if ((int)strlen(rs->r[i].name) > w)
			w = (int)strlen(rs->r[i].name);
		if (!tls && (int)strlen(rs->r[i].os) > ow)
			ow = (int)strlen(rs->r[i].os);
	}
	if (tls)
		printf("%-*s %8s %8s %8s %8s  %-20s  %-20s  %s\n", w, "JA4", "CONNS", "IPS",
		       "NETS", "TCP SIGS", "FIRST SEEN", "LAST SEEN", "SNI SAMPLE");
	else
		printf("%-*s  %-*s %8s %8s %8s  %-20s  %s\n", w, "TCP SIGNATURE", ow, "OS",
		       "SYNS", "IPS", "NETS", "FIRST SEEN", "LAST SEEN");
	for (i = 0; i < n; i++) {
		const struct row *r = &rs->r[i];

		fmt_time(r->first_ns + o->clock_offset, false, first, sizeof(first));
		fmt_time(r->last_ns + o->clock_offset, false, last, sizeof(last));
		if (tls)
			printf("%-*s %8llu %8llu %8llu %8llu  %-20s  %-20s  %s%s\n", w, r->name,
			       (unsigned long long)r->count, est(r->hll[SK_IPS]),
			       est(r->hll[SK_NETS]), est(r->hll[SK_TCP]), first, last,
			       *r->sni ? r->sni : "-", r->inexact ? " (inexact JA4)" : "");
		else
			printf("%-*s  %-*s %8llu %8llu %8llu  %-20s  %s\n", w, r->name, ow,
			       *r->os ? r->os : "-", (unsigned long long)r->count,
			       est(r->hll[SK_IPS]), est(r->hll[SK_NETS]), first, last);
	}
}

static int by_conns(const void *a, const void *b)
{
	const struct det_obs *x = *(const struct det_obs *const *)a;
	const struct det_obs *y = *(const struct det_obs *const *)b;

	if (x->conns != y->conns)
		return x->conns < y->conns ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* A pair row's JA4 and TCP stack: its name is "JA4 STACK". */
static void pair_split(const struct det_obs *p, char *ja4, size_t len, const char **stack)
{
	const char *sp = strchr(p->name, ' ');
	size_t n = sp ? (size_t)(sp - p->name) : strlen(p->name);

	snprintf(ja4, len, "%.*s", (int)n, p->name);
	*stack = sp ? sp + 1 : "";
}

static void print_pair_json(const struct det_obs *p, const struct report_opts *o)
{
	json_object *j = json_object_new_object();
	char first[40], last[40], ja4[DET_NAME_LEN];
	const char *stack;

	pair_split(p, ja4, sizeof(ja4), &stack);
	fmt_time(p->first_ns + o->clock_offset, false, first, sizeof(first));
	fmt_time(p->last_ns + o->clock_offset, false, last, sizeof(last));
	json_object_object_add(j, "kind", json_object_new_string("pair"));
	json_object_object_add(j, "ja4", json_object_new_string(ja4));
	json_object_object_add(j, "tcp_stack", json_object_new_string(stack));
	json_object_object_add(j, "os", json_object_new_string(p->detail ? p->detail : ""));
	json_object_object_add(j, "conns", json_object_new_uint64(p->conns));
	json_object_object_add(j, "ips", json_object_new_uint64((uint64_t)llround(p->ips)));
	json_object_object_add(j, "nets", json_object_new_uint64((uint64_t)llround(p->nets)));
	json_object_object_add(j, "first_seen", json_object_new_string(first));
	json_object_object_add(j, "last_seen", json_object_new_string(last));
	puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
					       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
}

static void print_pairs_table(struct det_obs *const *p, size_t n, const struct report_opts *o)
{
	char first[40], last[40], ja4[DET_NAME_LEN];
	const char *stack;
	int w = 36, sw = 9;
	size_t i;

	for (i = 0; i < n; i++) {
		pair_split(p[i], ja4, sizeof(ja4), &stack);
		if ((int)strlen(ja4) > w)
			w = (int)strlen(ja4);
		if ((int)strlen(stack) > sw)
			sw = (int)strlen(stack);
	}
	printf("%-*s  %-*s %8s %8s %8s  %-20s  %s\n", w, "JA4", sw, "TCP STACK", "CONNS", "IPS",
	       "NETS", "FIRST SEEN", "LAST SEEN");
	for (i = 0; i < n; i++) {
		pair_split(p[i], ja4, sizeof(ja4), &stack);
		fmt_time(p[i]->first_ns + o->clock_offset, false, first, sizeof(first));
		fmt_time(p[i]->last_ns + o->clock_offset, false, last, sizeof(last));
		printf("%-*s  %-*s %8llu %8lld %8lld  %-20s  %s\n", w, ja4, sw, stack,
		       (unsigned long long)p[i]->conns, llround(p[i]->ips), llround(p[i]->nets),
		       first, last);
	}
}

/* The pairs (none: nothing printed), named through tls_fps and tcp_fps,
 * most connections first. */
static int report_pairs(const struct fp_maps *m, const struct report_opts *o)
{
	int err;
	struct fp_reader *rd;
	struct det_obs *rows, **by;
	size_t n, i;

	if (m->pairs < 0)
		return 0;
	if (!(rd = fpr_new(FP_PAIR)))
		return -ENOMEM;
	fpr_name_maps(rd, m->tls, m->tcp);
	err = fpr_read(rd, m->pairs, -1, &rows, &n);
	by = err ? NULL : malloc((n ? n : 1) * sizeof(*by));
	if (!err && !by)
		err = -ENOMEM;
	if (!err) {
		for (i = 0; i < n; i++)
			by[i] = &rows[i];
		qsort(by, n, sizeof(*by), by_conns);
		if (o->top && n > o->top)
			n = o->top;
		if (o->json) {
			for (i = 0; i < n; i++)
				print_pair_json(by[i], o);
		} else {
			putchar('\n');
			print_pairs_table(by, n, o);
		}
	}
	free(by);
	fpr_free(rd);
	return err;
}

int report(const struct fp_maps *m, const struct report_opts *o)
{
	struct rows rs[2] = { { 0 } };
	int err, k, ret = HS_EXIT_OK;

	err = collect_tcp(m->tcp, m->accounts, &rs[0]);
	if (!err)
		err = collect_tls(m->tls, m->accounts, &rs[1]);
	if (err) {
		pr_warn("Couldn't read the fingerprint maps: %s", strerror(-err));
		ret = HS_EXIT_ERR;
		goto out;
	}
	for (k = 0; k < 2; k++) {
		size_t n, i;

		merge(&rs[k]);
		n = o->top && rs[k].n > o->top ? o->top : rs[k].n;
		if (o->json) {
			for (i = 0; i < n; i++)
				print_json(&rs[k].r[i], k == 1, o);
		} else {
			if (k == 1)
				putchar('\n');
			print_table(&rs[k], n, k == 1, o);
		}
	}
	err = report_pairs(m, o);
	if (err) {
		pr_warn("Couldn't read the pairs map: %s", strerror(-err));
		ret = HS_EXIT_ERR;
	}
	if (fflush(stdout))
		ret = HS_EXIT_ERR;
out:
	free(rs[0].r);
	free(rs[1].r);
	return ret;
}
