// SPDX-License-Identifier: BSD-3-Clause
/*
 * The fingerprint maps read by canonical name: every id of a window (or of
 * the whole map) is named (JA4 for tls_fps, the TCP stack signature for
 * tcp_fps, "JA4 STACK" for pairs, through the tls_fps and tcp_fps entries
 * a pair's ids point at), ids with the same name become one row (counts
 * add, sketches merge register-wise), and the sketches are estimated. What
 * the detector, `top`, the exporter and `dump` work from.
 *
 * Cost: names are cached per id across reads (a JA4 costs two SHA-256s),
 * rows are found through a hash index, and a row's sketches are merged in
 * one scratch buffer while its ids are read: memory is a small row per
 * name, not a sketch per row, and one read is linear in the ids.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "fps.h"
#include "detect.h"
#include "hll.h"
#include "ja4.h"
#include "p0f.h"
#include "p0fdb.h"
#include "util.h"
#include "hs_hash.h"

#define NAME_KEEP 2   /* reads a cached name survives unused */
#define BATCH 256     /* entries per lookup_batch call */
#define SLOTS 4       /* batches read ahead by the copying thread */

union fpv {
	struct hs_tls_fp tls;
	struct hs_tcp_fp tcp;
	struct hs_pair pair;
};

/* A row being read: estimated straight from its only value, or, once a
 * second id shows up, from sketches merged here (allocated then; from the
 * first id on when the reader keeps them). */
struct acc {
	__u64 first_key;
	__u8 (*hll)[HS_HLL_M];    /* 3 sketches; NULL: one id so far */
};

struct name {
	__u64 id;                 /* generation bit cleared */
	__u64 hname;              /* hidx_hash_str(name) */
	char name[DET_NAME_LEN];
	char *detail;             /* JA4_r (malloc'ed) or OS label (p0f db's) */
	unsigned int used;        /* read that last used it */
	bool by_id;               /* FP_PAIR: a part named by its id, its entry gone */
};

struct fp_reader {
	enum fp_kind kind;
	int tls_fd, tcp_fd;       /* FP_PAIR: the maps that name a pair (-1: none) */
	/* FP_PAIR: the TCP reader whose cached names name a pair's stack
	 * when its entry is gone (NULL: none) */
	const struct fp_reader *tcp_rd;
	unsigned int reads;
	struct name *names;       /* the name cache */
	size_t nnames, capnames;
	struct hidx by_id;
	struct det_obs *rows;     /* the last read */
	size_t nrows, caprows;
	struct hidx by_name;
	__u64 *keys;              /* the last read's keys, grouped by row */
	__u32 *row_of, *first;    /* per key its row; per row its first key */
	size_t nkeys, capkeys;
	struct acc *acc;          /* per row: the first key, then merged sketches */
	size_t capacc;
	bool keep;                /* rows' sketches kept after the read (fpr_keep_sketches) */
	size_t nkept;             /* rows of the last read whose acc[].hll are kept */
	/* kept too: the accounts sketches of the last fpr_accounts, per row
	 * an index into acct (-1: untagged) */
	long *acct_slot;
	__u8 (*acct)[2][HS_HLL_M];
	union fpv *v, *old;       /* one value; a row's first, read again */
	struct slot *slots;       /* SLOTS batches */
	__u32 bnames[BATCH];      /* a batch's names (index into names) */
};

/* One batch copied out of the kernel. */
struct slot {
	__u64 keys[BATCH];
	__u32 cnt;
	int err;                  /* 0, ENOENT (the last batch) or an errno */
	union fpv vals[BATCH];    /* packed at the map's value size */
};

struct fp_reader *fpr_new(enum fp_kind kind)
{
	struct fp_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->kind = kind;
	r->tls_fd = r->tcp_fd = -1;
	r->v = malloc(sizeof(*r->v));
	r->old = malloc(sizeof(*r->old));
	r->slots = malloc(SLOTS * sizeof(*r->slots));
	if (!r->v || !r->old || !r->slots) {
		fpr_free(r);
		return NULL;
	}
	return r;
}

void fpr_name_maps(struct fp_reader *r, int tls_fd, int tcp_fd)
{
	r->tls_fd = tls_fd;
	r->tcp_fd = tcp_fd;
}

void fpr_name_stacks(struct fp_reader *r, const struct fp_reader *tcp)
{
	r->tcp_rd = tcp;
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

/* The sketches the last read and fpr_accounts kept. */
static void kept_free(struct fp_reader *r)
{
	size_t k;

	for (k = 0; k < r->nkept; k++) {
		free(r->acc[k].hll);
		r->acc[k].hll = NULL;
	}
	r->nkept = 0;
	free(r->acct_slot);
	free(r->acct);
	r->acct_slot = NULL;
	r->acct = NULL;
}

void fpr_keep_sketches(struct fp_reader *r, bool on)
{
	r->keep = on;
	if (!on)
		kept_free(r);
}

void fpr_free(struct fp_reader *r)
{
	if (!r)
		return;
	kept_free(r);
	names_free(r);
	hidx_free(&r->by_name);
	free(r->rows);
	free(r->keys);
	free(r->row_of);
	free(r->first);
	free(r->acc);
	free(r->v);
	free(r->old);
	free(r->slots);
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

int fp_lookup_either_gen(int fd, __u64 key, void *v)
{
	if (fd < 0)
		return -1;
	if (!bpf_map_lookup_elem(fd, &key, v))
		return 0;
	key ^= 1;
	return bpf_map_lookup_elem(fd, &key, v) ? -1 : 0;
}

/* The index of the name r has cached for id (generation bit cleared), or
 * -1. */
static long name_index(const struct fp_reader *r, __u64 id)
{
	struct id_query q = { r, id };

	return hidx_get(&r->by_id, hs_mix64(id), id_eq, &q);
}

/* A pair's name, "JA4 STACK", from the tls_fps and tcp_fps entries its ids
 * point at (read into scratch). A stack whose entry is gone (a SYN of a
 * stack seen once, counted in the window before its hello: deleted with
 * that window) by the name the TCP reader gave it in its last reads. Else
 * an id in hex (n->by_id: named again when next used). */
static void pair_name(struct fp_reader *r, struct name *n, const struct hs_pair *p,
		     union fpv *scratch)
{
	char ja4[DET_NAME_LEN] = "", stack[DET_NAME_LEN] = "", raw[HS_JA4_R_TEXT];
	long c;

	n->by_id = false;
	if (fp_lookup_either_gen(r->tls_fd, p->tls_id, scratch)) {
		snprintf(ja4, sizeof(ja4), "tls-%016llx", (unsigned long long)HS_GEN_KEY(p->tls_id, 0));
		n->by_id = true;
	} else if (tls_ja4(&scratch->tls.hello, ja4, sizeof(ja4), raw, sizeof(raw))) {
		snprintf(ja4, sizeof(ja4), "unrenderable-%016llx",
			 (unsigned long long)HS_GEN_KEY(p->tls_id, 0));
	}
	if (!fp_lookup_either_gen(r->tcp_fd, p->tcp_id, scratch)) {
		p0f_render_stack(&scratch->tcp.sig, stack, sizeof(stack));
		n->detail = (char *)p0f_db_label(&scratch->tcp.sig);
	} else if (r->tcp_rd && (c = name_index(r->tcp_rd, HS_GEN_KEY(p->tcp_id, 0))) >= 0) {
		snprintf(stack, sizeof(stack), "%s", r->tcp_rd->names[c].name);
		n->detail = r->tcp_rd->names[c].detail;   /* the p0f db's, as above */
	} else {
		snprintf(stack, sizeof(stack), "stack-%016llx", (unsigned long long)p->stack_id);
		n->by_id = true;
	}
	snprintf(n->name, sizeof(n->name), "%.*s %.*s", DET_NAME_LEN / 4, ja4,
		 DET_NAME_LEN / 2, stack);
}

/* The cached name of an id, rendered from its value v on a miss; NULL when
 * out of memory. */
static struct name *name_of(struct fp_reader *r, __u64 key, const union fpv *v)
{
	__u64 id = HS_GEN_KEY(key, 0);
	char raw[HS_JA4_R_TEXT];
	struct name *n;
	long i = name_index(r, id);

	if (i >= 0) {
		n = &r->names[i];
		n->used = r->reads;
		if (n->by_id) {   /* its entries may be back (r->old: free, as below) */
			pair_name(r, n, &v->pair, r->old);
			n->hname = hidx_hash_str(n->name);
		}
		return n;
	}
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
		if (tls_ja4(&v->tls.hello, n->name, sizeof(n->name), raw, sizeof(raw)))
			snprintf(n->name, sizeof(n->name), "unrenderable-%016llx",
				 (unsigned long long)id);
		else if (!(n->detail = strdup(raw)))
			return NULL;
	} else if (r->kind == FP_PAIR) {
		/* r->old: free between entries (add_entry's merge scratch) */
		pair_name(r, n, &v->pair, r->old);
	} else {
		p0f_render_stack(&v->tcp.sig, n->name, sizeof(n->name));
		n->detail = (char *)p0f_db_label(&v->tcp.sig);
	}
	n->hname = hidx_hash_str(n->name);
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
	__u64 h = n->hname;
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
	o->tags = 0;
	o->accounts = o->tagged_ips = 0;
	strcpy(o->name, n->name);   /* fits: the same size */
	o->detail = n->detail ? n->detail : "";
	if (hidx_put(&r->by_name, h, (__u32)r->nrows))
		return -1;
	return (long)r->nrows++;
}

/* The samples of a value (HS_TLS_SAMPLES) into a row's (DET_SAMPLES, n
 * of them), each once. */
static void add_samples(struct hs_addr_sample *out, unsigned int *n,
			const struct hs_addr_sample *in)
{
	unsigned int i, k;

	/* raw addresses, compared whole (the pad is zero): rendered only
	 * when an alert is written */
	for (k = 0; k < HS_TLS_SAMPLES && *n < DET_SAMPLES; k++) {
		const struct hs_addr_sample *smp = &in[k];

		if (smp->family != 4 && smp->family != 6)
			continue;
		for (i = 0; i < *n; i++)
			if (!memcmp(&out[i], smp, sizeof(*smp)))
				break;
		if (i == *n)
			out[(*n)++] = *smp;
	}
}

/* One value's sketches (3 for TLS: ips, nets, stacks; 2 for TCP and
 * pairs). */
static unsigned int sketches(const struct fp_reader *r, const union fpv *v, const __u8 *sk[3])
{
	if (r->kind == FP_TLS) {
		sk[0] = v->tls.hll_ips;
		sk[1] = v->tls.hll_nets;
		sk[2] = v->tls.hll_tcp;
		return 3;
	}
	if (r->kind == FP_PAIR) {
		sk[0] = v->pair.hll_ips;
		sk[1] = v->pair.hll_nets;
		return 2;
	}
	sk[0] = v->tcp.hll_ips;
	sk[1] = v->tcp.hll_nets;
	return 2;
}

/* Counts, times and samples of one value into its row. */
static void add_counts(const struct fp_reader *r, struct det_obs *o, const union fpv *v)
{
	__u64 first, last;

	if (r->kind == FP_TLS) {
		o->conns += v->tls.conns;
		o->unvalidated += v->tls.conns_unvalidated;
		if (v->tls.hello.flags & HS_TLSF_OVERFLOW)
			o->inexact = true;
		first = v->tls.first_ns;
		last = v->tls.last_ns;
		o->novel_ips += v->tls.novel_ips;
		o->novel_site += v->tls.novel_site;
		o->novel_nets += v->tls.novel_nets;
		add_samples(o->samples, &o->nsamples, v->tls.samples);
		add_samples(o->novel_samples, &o->nnovel, v->tls.novel_samples);
	} else if (r->kind == FP_PAIR) {
		o->conns += v->pair.conns;
		o->stack_id = v->pair.stack_id;
		first = v->pair.first_ns;
		last = v->pair.last_ns;
	} else {
		o->conns += v->tcp.syns;
		first = v->tcp.first_ns;
		last = v->tcp.last_ns;
	}
	if (!o->first_ns || first < o->first_ns)
		o->first_ns = first;
	if (last > o->last_ns)
		o->last_ns = last;
}

static void estimate(struct det_obs *o, const __u8 *const sk[3], unsigned int n)
{
	o->ips = hll_estimate(sk[0]);
	o->nets = hll_estimate(sk[1]);
	o->stacks = n > 2 ? hll_estimate(sk[2]) : 0;
}

static int add_key(struct fp_reader *r, __u64 key, __u32 row)
{
	if (r->nkeys == r->capkeys) {
		size_t cap = r->capkeys ? 2 * r->capkeys : 1024;
		__u64 *nk = realloc(r->keys, cap * sizeof(*nk));
		__u32 *nr = nk ? realloc(r->row_of, cap * sizeof(*nr)) : NULL;

		if (nk)
			r->keys = nk;
		if (!nr)
			return -ENOMEM;
		r->row_of = nr;
		r->capkeys = cap;
	}
	r->keys[r->nkeys] = key;
	r->row_of[r->nkeys++] = row;
	return 0;
}

/* One map entry: named, counted into its row; a row's only value is
 * estimated at once, a second id starts a merge (the first value read
 * again). */
static int add_entry(struct fp_reader *r, int fd, __u64 key, const union fpv *v,
		     const struct name *n)
{
	const __u8 *sk[3];
	unsigned int nsk = sketches(r, v, sk), k;
	size_t before = r->nrows;
	struct det_obs *o;
	struct acc *a;
	long row;

	if ((row = row_for(r, n)) < 0 || add_key(r, key, (__u32)row))
		return -ENOMEM;
	if ((size_t)row >= r->capacc) {
		size_t cap = r->capacc ? 2 * r->capacc : 256;
		struct acc *na = realloc(r->acc, cap * sizeof(*na));

		if (!na)
			return -ENOMEM;
		r->acc = na;
		r->capacc = cap;
	}
	o = &r->rows[row];
	a = &r->acc[row];
	if ((size_t)row == before && r->keep) { /* kept: merged from the first id */
		a->first_key = key;
		a->hll = calloc(3, HS_HLL_M);
		if (!a->hll)
			return -ENOMEM;
		for (k = 0; k < nsk; k++)
			memcpy(a->hll[k], sk[k], HS_HLL_M);
	} else if ((size_t)row == before) {     /* the row's first id */
		a->first_key = key;
		a->hll = NULL;
		estimate(o, sk, nsk);
	} else {
		if (!a->hll) {                  /* its second: merge from here on */
			const __u8 *fk[3];

			a->hll = calloc(3, HS_HLL_M);
			if (!a->hll)
				return -ENOMEM;
			if (!bpf_map_lookup_elem(fd, &a->first_key, r->old)) {
				sketches(r, r->old, fk);
				for (k = 0; k < nsk; k++)
					hll_merge(a->hll[k], fk[k]);
			}
		}
		for (k = 0; k < nsk; k++)
			hll_merge(a->hll[k], sk[k]);
	}
	add_counts(r, o, v);
	return 0;
}

static bool gen_ok(__u64 key, int gen)
{
	return gen < 0 || (int)(key & 1) == gen;
}

/* The batched read in two threads: one copies batches out of the kernel
 * (bpf_map_lookup_batch, which takes each bucket's lock) into SLOTS
 * buffers, the caller names, merges and estimates them meanwhile. */
struct copier {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct slot *slots;
	unsigned int head, tail;  /* batches copied; batches taken */
	bool stop;                /* the caller gave up */
	int fd;
};

static void *copy_batches(void *arg)
{
	struct copier *c = arg;
	__u64 in = 0, out = 0;
	bool first = true;
	int ret;

	for (;;) {
		LIBBPF_OPTS(bpf_map_batch_opts, o);
		struct slot *s;

		pthread_mutex_lock(&c->mu);
		while (c->head - c->tail == SLOTS && !c->stop)
			pthread_cond_wait(&c->cv, &c->mu);
		pthread_mutex_unlock(&c->mu);
		if (c->stop)
			return NULL;
		s = &c->slots[c->head % SLOTS];
		s->cnt = BATCH;
		ret = bpf_map_lookup_batch(c->fd, first ? NULL : &in, &out, s->keys, s->vals,
					   &s->cnt, &o);
		s->err = ret ? errno : 0;
		if (s->err && s->err != ENOENT)
			s->cnt = 0;
		pthread_mutex_lock(&c->mu);
		c->head++;
		pthread_cond_broadcast(&c->cv);
		pthread_mutex_unlock(&c->mu);
		if (s->err)
			return NULL;
		in = out;
		first = false;
	}
}

/* Every entry of one batch through add_entry, in three passes so that the
 * index lookups wait for memory once: prefetch the id slots, name every
 * id (and prefetch the name slots), add every entry. */
static int add_batch(struct fp_reader *r, int fd, int gen, const struct slot *s)
{
	size_t vsize = r->kind == FP_TLS ? sizeof(struct hs_tls_fp) :
		       r->kind == FP_PAIR ? sizeof(struct hs_pair) : sizeof(struct hs_tcp_fp);
	__u32 i;

	for (i = 0; i < s->cnt; i++)
		hidx_prefetch(&r->by_id, hs_mix64(HS_GEN_KEY(s->keys[i], 0)));
	for (i = 0; i < s->cnt; i++) {
		const union fpv *v = (const void *)((const char *)s->vals + i * vsize);
		struct name *n;

		if (!gen_ok(s->keys[i], gen))
			continue;
		if (!(n = name_of(r, s->keys[i], v)))
			return -ENOMEM;
		r->bnames[i] = (__u32)(n - r->names);
		hidx_prefetch(&r->by_name, n->hname);
	}
	for (i = 0; i < s->cnt; i++)
		if (gen_ok(s->keys[i], gen) &&
		    add_entry(r, fd, s->keys[i], (const void *)((const char *)s->vals + i * vsize),
			      &r->names[r->bnames[i]]))
			return -ENOMEM;
	return 0;
}

/* Every entry through add_entry, in batches; -EOPNOTSUPP when this kernel
 * or map cannot batch, or no thread can be started (nothing added then). */
static int read_batched(struct fp_reader *r, int fd, int gen)
{
	struct copier c = { .slots = r->slots, .fd = fd };
	bool first = true;
	pthread_t t;
	int err = 0;

	pthread_mutex_init(&c.mu, NULL);
	pthread_cond_init(&c.cv, NULL);
	if (pthread_create(&t, NULL, copy_batches, &c)) {
		pthread_mutex_destroy(&c.mu);
		pthread_cond_destroy(&c.cv);
		return -EOPNOTSUPP;     /* no thread: walk key by key */
	}
	for (;;) {
		struct slot *s;

		pthread_mutex_lock(&c.mu);
		while (c.head == c.tail)
			pthread_cond_wait(&c.cv, &c.mu);
		pthread_mutex_unlock(&c.mu);
		s = &c.slots[c.tail % SLOTS];
		if (s->err && s->err != ENOENT) {
			/* not supported, or a bucket larger than a batch: the
			 * caller walks key by key (from the start, if nothing
			 * was added yet) */
			err = first || s->err == ENOSPC ? (r->nkeys ? -s->err : -EOPNOTSUPP)
							: -s->err;
			break;
		}
		if (add_batch(r, fd, gen, s)) {
			err = -ENOMEM;
			break;
		}
		if (s->err)
			break;              /* ENOENT: the last batch */
		first = false;
		pthread_mutex_lock(&c.mu);
		c.tail++;
		pthread_cond_broadcast(&c.cv);
		pthread_mutex_unlock(&c.mu);
	}
	pthread_mutex_lock(&c.mu);
	c.stop = true;
	pthread_cond_broadcast(&c.cv);
	pthread_mutex_unlock(&c.mu);
	pthread_join(t, NULL);
	pthread_mutex_destroy(&c.mu);
	pthread_cond_destroy(&c.cv);
	return err;
}

static int read_walk(struct fp_reader *r, int fd, int gen)
{
	__u64 key, cur;
	bool started = false;

	while (bpf_map_get_next_key(fd, started ? &cur : NULL, &key) == 0) {
		cur = key;
		started = true;
		struct name *n;

		if (!gen_ok(key, gen) || bpf_map_lookup_elem(fd, &key, r->v))
			continue;
		if (!(n = name_of(r, key, r->v)) || add_entry(r, fd, key, r->v, n))
			return -ENOMEM;
	}
	return 0;
}

int fpr_read(struct fp_reader *r, int fd, int gen, struct det_obs **rows, size_t *nrows)
{
	size_t i, k, nk;
	__u32 *count;
	__u64 *sorted;
	int err;

	kept_free(r);
	r->reads++;
	r->nrows = 0;
	r->nkeys = 0;
	hidx_clear(&r->by_name);
	err = read_batched(r, fd, gen);
	if (err == -EOPNOTSUPP)
		err = read_walk(r, fd, gen);
	/* rows of several ids: estimated from their merged sketches */
	for (k = 0; k < r->nrows; k++) {
		struct acc *a = &r->acc[k];

		if (a->hll) {
			const __u8 *sk[3] = { a->hll[0], a->hll[1], a->hll[2] };

			if (!err)
				estimate(&r->rows[k], sk, r->kind == FP_TLS ? 3 : 2);
			if (err || !r->keep) {
				free(a->hll);
				a->hll = NULL;
			}
		}
	}
	if (err)
		return err;
	if (r->keep)
		r->nkept = r->nrows;
	names_sweep(r);
	/* group the keys by row (counting sort) */
	nk = r->nkeys;
	free(r->first);
	r->first = calloc(r->nrows + 2, sizeof(*r->first));
	count = r->first;
	sorted = malloc((nk ? nk : 1) * sizeof(*sorted));
	if (!count || !sorted) {
		free(sorted);
		return -ENOMEM;
	}
	for (i = 0; i < nk; i++)
		count[r->row_of[i] + 1]++;
	for (i = 1; i <= r->nrows; i++)
		count[i] += count[i - 1];
	for (i = 0; i < nk; i++)
		sorted[r->first[r->row_of[i]]++] = r->keys[i];
	/* first[row] now ends row: shift back */
	memmove(r->first + 1, r->first, r->nrows * sizeof(*r->first));
	r->first[0] = 0;
	free(r->keys);
	r->keys = sorted;
	/* what both keys and row_of hold at least (row_of may never have
	 * been allocated when no key was read) */
	r->capkeys = nk;
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
	size_t i = 0;

	/* in batches; one key at a time past a key already gone */
	while (i < r->nkeys) {
		LIBBPF_OPTS(bpf_map_batch_opts, o);
		__u32 cnt = (__u32)(r->nkeys - i > 4096 ? 4096 : r->nkeys - i);

		if (bpf_map_delete_batch(fd, r->keys + i, &cnt, &o) == 0) {
			i += cnt;
			continue;
		}
		i += cnt;
		if (i < r->nkeys)
			bpf_map_delete_elem(fd, &r->keys[i++]);
	}
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

size_t fpr_entries(const struct fp_reader *r)
{
	return r->nkeys;
}

struct key_query {
	const __u64 *keys;
	__u64 key;
};

static bool key_eq(const void *ctx, __u32 i)
{
	const struct key_query *q = ctx;

	return q->keys[i] == q->key;
}

/* The accounts entries of kind whose key has generation gen (-1: any):
 * an array of n (malloc'ed), or NULL with n 0 (none, or out of memory). */
static struct acct_ent {
	__u64 key;
	struct hs_acct v;
} *acct_entries(int fd, __u32 kind, int gen, size_t *n)
{
	struct hs_acct_key k, cur;
	struct acct_ent *e = NULL, *ne;
	size_t cap = 0;
	bool started = false;

	*n = 0;
	while (bpf_map_get_next_key(fd, started ? &cur : NULL, &k) == 0) {
		cur = k;
		started = true;
		if (k.kind != kind || !gen_ok(k.key, gen))
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			if (!(ne = realloc(e, cap * sizeof(*e))))
				break;
			e = ne;
		}
		if (!bpf_map_lookup_elem(fd, &k, &e[*n].v))
			e[(*n)++].key = k.key;
	}
	if (!*n) {
		free(e);
		e = NULL;
	}
	return e;
}

int fpr_accounts(struct fp_reader *r, int acct_fd, __u32 kind, int gen)
{
	struct hidx by_key = { 0 };
	struct acct_ent *e;
	__u8 (*acc)[2][HS_HLL_M] = NULL;
	long *slot = NULL;
	size_t n, i, k, nacc = 0, lo, hi;
	int err = 0;

	free(r->acct_slot);
	free(r->acct);
	r->acct_slot = NULL;
	r->acct = NULL;
	for (k = 0; k < r->nrows; k++)
		r->rows[k].tags = 0, r->rows[k].accounts = r->rows[k].tagged_ips = 0;
	if (acct_fd < 0 || !(e = acct_entries(acct_fd, kind, gen, &n)))
		return 0;
	/* the read's keys by value, to their rows */
	for (i = 0; i < r->nkeys && !err; i++)
		err = hidx_put(&by_key, hs_mix64(r->keys[i]), (__u32)i);
	slot = malloc((r->nrows ? r->nrows : 1) * sizeof(*slot));
	acc = calloc(n, sizeof(*acc));
	if (err || !slot || !acc) {
		err = -ENOMEM;
		goto out;
	}
	for (k = 0; k < r->nrows; k++)
		slot[k] = -1;
	for (i = 0; i < n; i++) {
		struct key_query q = { r->keys, e[i].key };
		long ki = hidx_get(&by_key, hs_mix64(e[i].key), key_eq, &q);
		size_t row;

		if (ki < 0)
			continue;       /* tags of an entry gone (or not read) */
		/* the row of key index ki: keys are grouped by row, first[]
		 * ascending (the last row whose first key is at or before it) */
		lo = 0;
		hi = r->nrows;
		while (hi - lo > 1) {
			size_t mid = (lo + hi) / 2;

			if (r->first[mid] <= (__u32)ki)
				lo = mid;
			else
				hi = mid;
		}
		row = lo;
		if (row >= r->nrows)
			continue;
		if (slot[row] < 0)
			slot[row] = (long)nacc++;
		hll_merge(acc[slot[row]][0], e[i].v.hll_accounts);
		hll_merge(acc[slot[row]][1], e[i].v.hll_ips);
		r->rows[row].tags += e[i].v.tags;
	}
	for (k = 0; k < r->nrows; k++) {
		if (slot[k] < 0)
			continue;
		r->rows[k].accounts = hll_estimate(acc[slot[k]][0]);
		r->rows[k].tagged_ips = hll_estimate(acc[slot[k]][1]);
	}
	if (r->keep) {          /* the reader's now */
		r->acct_slot = slot;
		r->acct = acc;
		slot = NULL;
		acc = NULL;
	}
out:
	hidx_free(&by_key);
	free(slot);
	free(acc);
	free(e);
	return err;
}

int acct_clear(int fd, int gen)
{
	struct hs_acct_key k, cur, *del = NULL, *nd;
	size_t n = 0, cap = 0, i;
	bool started = false;

	if (fd < 0)
		return 0;
	while (bpf_map_get_next_key(fd, started ? &cur : NULL, &k) == 0) {
		cur = k;
		started = true;
		if (!gen_ok(k.key, gen))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			if (!(nd = realloc(del, cap * sizeof(*del)))) {
				free(del);
				return -ENOMEM;
			}
			del = nd;
		}
		del[n++] = k;
	}
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &del[i]);
	free(del);
	return 0;
}

unsigned int fpr_sketches(const struct fp_reader *r, size_t row, const __u8 *sk[3])
{
	if (row >= r->nkept || !r->acc[row].hll)
		return 0;
	sk[0] = r->acc[row].hll[0];
	sk[1] = r->acc[row].hll[1];
	sk[2] = r->acc[row].hll[2];
	return r->kind == FP_TLS ? 3 : 2;
}

int fpr_account_sketches(const struct fp_reader *r, size_t row, const __u8 *sk[2])
{
	if (!r->acct_slot || row >= r->nrows || r->acct_slot[row] < 0)
		return -1;
	sk[0] = r->acct[r->acct_slot[row]][0];
	sk[1] = r->acct[r->acct_slot[row]][1];
	return 0;
}
