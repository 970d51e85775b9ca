// SPDX-License-Identifier: BSD-3-Clause
/*
 * The fingerprint maps read by canonical name: every id of a window (or of
 * the whole map) is named (JA4 for tls_fps, the TCP stack signature for
 * tcp_fps), ids with the same name become one row (counts add, sketches
 * merge register-wise), and the sketches are estimated. What the detector,
 * `top` and the exporter work from.
 *
 * Cost: names are cached per id across reads (a JA4 costs two SHA-256s),
 * rows are found through a hash index, and a row's sketches are merged in
 * one scratch buffer while its ids are read: memory is a small row per
 * name, not a sketch per row, and one read is linear in the ids.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>

#include "hs.h"
#include "hs_hash.h"

#define NAME_KEEP 2   /* reads a cached name survives unused */

struct name {
	__u64 id;                 /* generation bit cleared */
	char name[DET_NAME_LEN];
	char *detail;             /* JA4_r (malloc'ed) or OS label (p0f db's) */
	unsigned int used;        /* read that last used it */
};

struct fp_reader {
	enum fp_kind kind;
	unsigned int reads;
	struct name *names;       /* the name cache */
	size_t nnames, capnames;
	struct hidx by_id;
	struct det_obs *rows;     /* the last read */
	size_t nrows, caprows;
	struct hidx by_name;
	__u64 *keys;              /* the last read's keys, grouped by row */
	__u32 *row_of, *first;    /* per key its row; per row its first key */
	size_t nkeys;
	union {
		struct hs_tls_fp tls;
		struct hs_tcp_fp tcp;
	} *v;
	__u8 hll[3][HS_HLL_M];    /* scratch for a row of several ids */
};

struct fp_reader *fpr_new(enum fp_kind kind)
{
	struct fp_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->kind = kind;
	r->v = malloc(sizeof(*r->v));
	if (!r->v) {
		free(r);
		return NULL;
	}
	return r;
}

static void names_free(struct fp_reader *r)
{
	size_t i;

	if (r->kind == FP_TLS)
		for (i = 0; i < r->nnames; i++)
			free(r->names[i].detail);
	free(r->names);
	r->names = NULL;
	r->nnames = r->capnames = 0;
	hidx_free(&r->by_id);
}

void fpr_free(struct fp_reader *r)
{
	if (!r)
		return;
	names_free(r);
	hidx_free(&r->by_name);
	free(r->rows);
	free(r->keys);
	free(r->row_of);
	free(r->first);
	free(r->v);
	free(r);
}

static int by_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* Keys of fd whose lowest bit is gen (every key if gen < 0), sorted and
 * unique (a walk that loses its place to a concurrent delete restarts). */
static int read_keys(struct fp_reader *r, int fd, int gen)
{
	size_t cap = 0, n = 0, i, out;
	__u64 key, cur, *keys = NULL, *nk;
	bool started = false;

	while (bpf_map_get_next_key(fd, started ? &cur : NULL, &key) == 0) {
		cur = key;
		started = true;
		if (gen >= 0 && (int)(key & 1) != gen)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			nk = realloc(keys, cap * sizeof(*keys));
			if (!nk) {
				free(keys);
				return -ENOMEM;
			}
			keys = nk;
		}
		keys[n++] = key;
	}
	if (n)
		qsort(keys, n, sizeof(*keys), by_u64);
	for (i = 0, out = 0; i < n; i++)
		if (!out || keys[i] != keys[out - 1])
			keys[out++] = keys[i];
	free(r->keys);
	r->keys = keys;
	r->nkeys = out;
	return 0;
}

struct id_query {
	const struct fp_reader *r;
	__u64 id;
};

struct name_query {
	const struct fp_reader *r;
	const char *name;
};

static bool id_eq(const void *ctx, __u32 i)
{
	const struct id_query *q = ctx;

	return q->r->names[i].id == q->id;
}

static bool name_eq(const void *ctx, __u32 i)
{
	const struct name_query *q = ctx;

	return !strcmp(q->r->rows[i].name, q->name);
}

/* The cached name of an id, rendered from its map value on a miss; NULL if
 * the entry is gone or cannot be named. */
static struct name *name_of(struct fp_reader *r, int fd, __u64 key)
{
	__u64 id = HS_GEN_KEY(key, 0);
	struct id_query q = { r, id };
	char raw[1024];
	struct name *n;
	long i;

	i = hidx_get(&r->by_id, hs_mix64(id), id_eq, &q);
	if (i >= 0) {
		r->names[i].used = r->reads;
		return &r->names[i];
	}
	if (bpf_map_lookup_elem(fd, &key, r->v))
		return NULL;
	if (r->nnames == r->capnames) {
		size_t cap = r->capnames ? 2 * r->capnames : 256;
		struct name *nn = realloc(r->names, cap * sizeof(*nn));

		if (!nn)
			return NULL;
		r->names = nn;
		r->capnames = cap;
	}
	n = &r->names[r->nnames];
	memset(n, 0, sizeof(*n));
	n->id = id;
	n->used = r->reads;
	if (r->kind == FP_TLS) {
		if (tls_ja4(&r->v->tls.hello, n->name, sizeof(n->name), raw, sizeof(raw)))
			snprintf(n->name, sizeof(n->name), "unrenderable-%016llx",
				 (unsigned long long)id);
		else if (!(n->detail = strdup(raw)))
			return NULL;
	} else {
		p0f_render_stack(&r->v->tcp.sig, n->name, sizeof(n->name));
		n->detail = (char *)p0f_db_label(&r->v->tcp.sig);
	}
	if (hidx_put(&r->by_id, hs_mix64(id), (__u32)r->nnames)) {
		if (r->kind == FP_TLS)
			free(n->detail);
		return NULL;
	}
	r->nnames++;
	return n;
}

/* Forget the names no read has used lately; rebuild the index. */
static void names_sweep(struct fp_reader *r)
{
	size_t i, out = 0;

	for (i = 0; i < r->nnames; i++) {
		if (r->reads - r->names[i].used >= NAME_KEEP) {
			if (r->kind == FP_TLS)
				free(r->names[i].detail);
			continue;
		}
		r->names[out++] = r->names[i];
	}
	if (out == r->nnames)
		return;
	r->nnames = out;
	hidx_clear(&r->by_id);
	for (i = 0; i < out; i++)
		hidx_put(&r->by_id, hs_mix64(r->names[i].id), (__u32)i);   /* fits: smaller */
}

static long row_for(struct fp_reader *r, const struct name *n)
{
	struct name_query q = { r, n->name };
	__u64 h = hidx_hash_str(n->name);
	struct det_obs *o;
	long i = hidx_get(&r->by_name, h, name_eq, &q);

	if (i >= 0)
		return i;
	if (r->nrows == r->caprows) {
		size_t cap = r->caprows ? 2 * r->caprows : 256;
		struct det_obs *nr = realloc(r->rows, cap * sizeof(*nr));

		if (!nr)
			return -1;
		r->rows = nr;
		r->caprows = cap;
	}
	o = &r->rows[r->nrows];
	memset(o, 0, offsetof(struct det_obs, samples));
	memcpy(o->name, n->name, sizeof(o->name));
	o->detail = n->detail ? n->detail : "";
	if (hidx_put(&r->by_name, h, (__u32)r->nrows))
		return -1;
	return (long)r->nrows++;
}

static void add_samples(struct det_obs *o, const struct hs_tls_fp *v)
{
	char src[INET6_ADDRSTRLEN];
	unsigned int i, k;

	for (k = 0; k < HS_TLS_SAMPLES && o->nsamples < DET_SAMPLES; k++) {
		const struct hs_addr_sample *smp = &v->samples[k];

		if (smp->family == 4)
			inet_ntop(AF_INET, smp->addr, src, sizeof(src));
		else if (smp->family == 6)
			inet_ntop(AF_INET6, smp->addr, src, sizeof(src));
		else
			continue;
		for (i = 0; i < o->nsamples; i++)
			if (!strcmp(o->samples[i], src))
				break;
		if (i == o->nsamples)
			snprintf(o->samples[o->nsamples++], sizeof(o->samples[0]), "%s", src);
	}
}

/* One value into its row: counts, times, samples; sketches into dst (or, for
 * a row of one id, estimated straight from the value). */
static void add_value(struct fp_reader *r, struct det_obs *o, bool single)
{
	double *est[3] = { &o->ips, &o->nets, &o->stacks };
	const __u8 *sk[3];
	unsigned int nsk, k;
	__u64 first, last;

	if (r->kind == FP_TLS) {
		o->conns += r->v->tls.conns;
		first = r->v->tls.first_ns;
		last = r->v->tls.last_ns;
		sk[0] = r->v->tls.hll_ips;
		sk[1] = r->v->tls.hll_nets;
		sk[2] = r->v->tls.hll_tcp;
		nsk = 3;
		add_samples(o, &r->v->tls);
	} else {
		o->conns += r->v->tcp.syns;
		first = r->v->tcp.first_ns;
		last = r->v->tcp.last_ns;
		sk[0] = r->v->tcp.hll_ips;
		sk[1] = r->v->tcp.hll_nets;
		nsk = 2;
	}
	if (!o->first_ns || first < o->first_ns)
		o->first_ns = first;
	if (last > o->last_ns)
		o->last_ns = last;
	for (k = 0; k < nsk; k++)
		if (single)
			*est[k] = hll_estimate(sk[k]);
		else
			hll_merge(r->hll[k], sk[k]);
}

int fpr_read(struct fp_reader *r, int fd, int gen, struct det_obs **rows, size_t *nrows)
{
	size_t i, k, nk;
	__u32 *count;
	__u64 *sorted;
	int err;

	r->reads++;
	r->nrows = 0;
	hidx_clear(&r->by_name);
	err = read_keys(r, fd, gen);
	if (err)
		return err;
	nk = r->nkeys;
	free(r->row_of);
	r->row_of = malloc((nk ? nk : 1) * sizeof(*r->row_of));
	if (!r->row_of)
		return -ENOMEM;
	/* name every id: its row */
	for (i = 0; i < nk; i++) {
		struct name *n = name_of(r, fd, r->keys[i]);
		long row = n ? row_for(r, n) : -1;

		if (n && row < 0)
			return -ENOMEM;
		r->row_of[i] = row < 0 ? UINT32_MAX : (__u32)row;
	}
	names_sweep(r);
	/* group the keys by row (counting sort; unnamed keys last) */
	free(r->first);
	r->first = calloc(r->nrows + 2, sizeof(*r->first));
	count = r->first;
	sorted = malloc((nk ? nk : 1) * sizeof(*sorted));
	if (!count || !sorted) {
		free(sorted);
		return -ENOMEM;
	}
	for (i = 0; i < nk; i++)
		count[(r->row_of[i] == UINT32_MAX ? r->nrows : r->row_of[i]) + 1]++;
	for (i = 1; i <= r->nrows + 1; i++)
		count[i] += count[i - 1];
	for (i = 0; i < nk; i++) {
		size_t row = r->row_of[i] == UINT32_MAX ? r->nrows : r->row_of[i];

		sorted[r->first[row]++] = r->keys[i];
	}
	/* first[row] now ends row: shift back */
	memmove(r->first + 1, r->first, (r->nrows + 1) * sizeof(*r->first));
	r->first[0] = 0;
	free(r->keys);
	r->keys = sorted;
	/* counts and sketches, one row at a time */
	for (k = 0; k < r->nrows; k++) {
		struct det_obs *o = &r->rows[k];
		size_t a = r->first[k], b = r->first[k + 1];
		bool single = b - a == 1;

		if (!single)
			memset(r->hll, 0, sizeof(r->hll));
		for (i = a; i < b; i++)
			if (!bpf_map_lookup_elem(fd, &r->keys[i], r->v))
				add_value(r, o, single);
		if (!single) {
			o->ips = hll_estimate(r->hll[0]);
			o->nets = hll_estimate(r->hll[1]);
			if (r->kind == FP_TLS)
				o->stacks = hll_estimate(r->hll[2]);
		}
	}
	*rows = r->rows;
	*nrows = r->nrows;
	return 0;
}

const __u64 *fpr_keys(const struct fp_reader *r, size_t row, size_t *n)
{
	if (row >= r->nrows) {
		*n = 0;
		return NULL;
	}
	*n = r->first[row + 1] - r->first[row];
	return r->keys + r->first[row];
}

void fpr_delete(const struct fp_reader *r, int fd)
{
	size_t i;

	for (i = 0; i < r->nkeys; i++)
		bpf_map_delete_elem(fd, &r->keys[i]);
}

int fps_clear(int fd, int gen)
{
	struct fp_reader r = { 0 };
	__u64 next;
	int err = read_keys(&r, fd, gen);

	if (err) {
		if (gen >= 0)
			return err;
		/* out of memory: delete as we go */
		while (bpf_map_get_next_key(fd, NULL, &next) == 0)
			if (bpf_map_delete_elem(fd, &next))
				break;
		return 0;
	}
	fpr_delete(&r, fd);
	free(r.keys);
	return 0;
}
