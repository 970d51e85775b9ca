// SPDX-License-Identifier: BSD-3-Clause
/*
 * The seen map (sources seen per fingerprint and with the site, within the
 * history) on disk: saved by `run` as it goes and when it stops, loaded
 * when it starts on a seen map of its own (a cold start: after a stop
 * without --keep-maps, a reboot), so that novelty does not count every
 * returning source as new for a whole history. A handed-over or killed
 * run's successor reuses the pinned map itself and loads nothing.
 *
 * The map is an array of sets of HS_SEEN_WAYS entries (struct
 * hs_seen_set, an empty way's last_ns 0), read and written with the batch
 * operations (a few system calls per thousands of entries), set by set
 * where the kernel has none. A load places each entry in its set as the
 * XDP program does (bpf/seen.h). A file is replaced whole (afile.h) and
 * checked whole (size, CRC) before anything of it goes into the map.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <bpf/bpf.h>

#include "afile.h"
#include "hs_hash.h"
#include "seenfile.h"
#include "util.h"

#define SEEN_BATCH 4096         /* records per write or read, ways per batch operation */
#define SEEN_SET_BATCH (SEEN_BATCH / HS_SEEN_WAYS)    /* sets per batch operation */

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The kernel's boot id (a UUID): zero when it cannot be read. */
static void boot_id(__u8 id[16])
{
	char s[64];
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	int i = 0, hi = -1, v;
	const char *p;

	memset(id, 0, 16);
	if (!f)
		return;
	if (fgets(s, sizeof(s), f)) {
		for (p = s; *p && i < 16; p++) {
			if (*p == '-')
				continue;
			if ((v = hexval(*p)) < 0)
				break;
			if (hi < 0) {
				hi = v;
			} else {
				id[i++] = (__u8)(hi << 4 | v);
				hi = -1;
			}
		}
	}
	if (i != 16)
		memset(id, 0, 16);
	fclose(f);
}

void seen_clock_now(struct seen_clock *c)
{
	c->mono_ns = clock_ns(CLOCK_MONOTONIC);    /* the program clock's (now_ns) */
	c->real_ns = clock_ns(CLOCK_REALTIME);
	boot_id(c->boot_id);
}

/* Is an entry last seen at last within the history at now? (The
 * program's seen_live.) */
static bool live(__u64 last, __u64 now, __u64 history_ns)
{
	return last + history_ns > now;
}

/* ---- writing ---- */

struct seen_writer {
	struct afile af;
	struct seen_file_hdr h;
	__u64 now_mono, history_ns;
	__u64 to_real;                  /* program clock -> Unix ns (mod 2^64) */
	uLong crc;
	size_t expired, nbuf;
	struct seen_file_rec buf[SEEN_BATCH];
};

int seen_writer_open(struct seen_writer **wp, const char *path, const struct seen_clock *now,
		     __u64 history_ns)
{
	static const struct seen_file_hdr zero;
	struct seen_writer *w = calloc(1, sizeof(*w));
	int err;

	*wp = NULL;
	if (!w)
		return -ENOMEM;
	err = afile_open(&w->af, path);
	if (!err)
		err = afile_write(&w->af, &zero, sizeof(zero));   /* the header, at the end */
	if (err) {
		afile_abort(&w->af);
		free(w);
		return err;
	}
	w->h = (struct seen_file_hdr){
		.magic = SEEN_FILE_MAGIC, .version = SEEN_FILE_VERSION,
		.hdr_size = sizeof(struct seen_file_hdr), .rec_size = sizeof(struct seen_file_rec),
		.history_s = history_ns / 1000000000ULL, .saved_real_ns = now->real_ns,
		.saved_mono_ns = now->mono_ns,
	};
	memcpy(w->h.boot_id, now->boot_id, sizeof(w->h.boot_id));
	w->now_mono = now->mono_ns;
	w->history_ns = history_ns;
	w->to_real = now->real_ns - now->mono_ns;
	w->crc = crc32(0L, Z_NULL, 0);
	*wp = w;
	return 0;
}

static int flush(struct seen_writer *w)
{
	size_t len = w->nbuf * sizeof(w->buf[0]);

	w->crc = crc32(w->crc, (const Bytef *)w->buf, (uInt)len);
	w->nbuf = 0;
	return afile_write(&w->af, w->buf, len);
}

int seen_writer_add(struct seen_writer *w, const struct hs_seen_key *k, const struct hs_seen *v)
{
	struct seen_file_rec *r;

	if (!live(v->last_ns, w->now_mono, w->history_ns)) {
		w->expired++;
		return 0;
	}
	r = &w->buf[w->nbuf++];
	r->k = *k;
	r->first_real_ns = v->first_ns + w->to_real;
	r->last_real_ns = v->last_ns + w->to_real;
	w->h.count++;
	return w->nbuf == SEEN_BATCH ? flush(w) : 0;
}

void seen_writer_abort(struct seen_writer *w)
{
	if (!w)
		return;
	afile_abort(&w->af);
	free(w);
}

int seen_writer_commit(struct seen_writer *w, struct seen_io *io)
{
	int err = flush(w);

	w->h.crc = 0;
	w->h.crc = (__u32)crc32(w->crc, (const Bytef *)&w->h, sizeof(w->h));
	if (!err && pwrite(w->af.fd, &w->h, sizeof(w->h), 0) != (ssize_t)sizeof(w->h))
		err = -errno ?: -EIO;
	if (err) {
		seen_writer_abort(w);
		return err;
	}
	err = afile_commit(&w->af);
	if (!err && io) {
		io->records = w->h.count;
		io->expired = w->expired;
		io->bytes = sizeof(w->h) + w->h.count * sizeof(struct seen_file_rec);
	}
	free(w);
	return err;
}

/* ---- reading ---- */

static bool read_all(int fd, void *buf, size_t len, off_t off)
{
	char *p = buf;
	ssize_t k;

	while (len) {
		k = pread(fd, p, len, off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return false;
		p += k;
		len -= (size_t)k;
		off += k;
	}
	return true;
}

/* What makes the header of a file of size bytes not one to load, or
 * NULL. */
static const char *hdr_check(const struct seen_file_hdr *h, off_t size, char *why, size_t len)
{
	__u64 room = size < (off_t)sizeof(*h) ? 0 :
		     ((__u64)size - sizeof(*h)) / sizeof(struct seen_file_rec);

	if (h->magic == __builtin_bswap32(SEEN_FILE_MAGIC))
		return "of another byte order";
	if (h->magic != SEEN_FILE_MAGIC)
		return "not a seen history file";
	if (h->version != SEEN_FILE_VERSION) {
		snprintf(why, len, "version %u, this hydrascope reads %u", h->version,
			 SEEN_FILE_VERSION);
		return why;
	}
	if (h->hdr_size != sizeof(*h) || h->rec_size != sizeof(struct seen_file_rec))
		return "a header or record size not this version's";
	if (h->count > room ||
	    (__u64)size != sizeof(*h) + h->count * sizeof(struct seen_file_rec)) {
		snprintf(why, len, "truncated or padded: %lld bytes for %llu records of %zu",
			 (long long)size, (unsigned long long)h->count,
			 sizeof(struct seen_file_rec));
		return why;
	}
	return NULL;
}

static int by_last(const void *a, const void *b)
{
	const struct seen_entry *x = a, *y = b;

	return x->v.last_ns < y->v.last_ns ? -1 : x->v.last_ns > y->v.last_ns;
}

/* The entries read so far: when cap is reached, the newest max kept. */
struct acc {
	struct seen_entry *e;
	size_t n, cap, max, over;
};

static void acc_add(struct acc *a, const struct seen_entry *e)
{
	if (a->n == a->cap) {
		qsort(a->e, a->n, sizeof(*a->e), by_last);
		memmove(a->e, a->e + (a->n - a->max), a->max * sizeof(*a->e));
		a->over += a->n - a->max;
		a->n = a->max;
	}
	a->e[a->n++] = *e;
}

/* A record in the program clock of now: 0, or 1 when older than the
 * history (left out). to_mono: Unix ns -> program clock. */
static int convert(const struct seen_file_rec *r, int64_t to_mono, __u64 now,
		   __u64 history_ns, struct seen_entry *e, size_t *clamped)
{
	/* wide enough for any time a file may hold */
	__int128 first = (__int128)r->first_real_ns + to_mono,
		 last = (__int128)r->last_real_ns + to_mono;

	if (last <= (__int128)now - (__int128)history_ns)
		return 1;       /* not live: last + history <= now */
	if (last > (__int128)now)       /* ahead of now: the clock went back */
		last = now;
	if (first > last)
		first = last;
	/* the program clock starts at the boot: a time before it is the
	 * boot's start (1, not 0: a first time of 0 means "not seen") */
	if (first < 1) {
		first = 1;
		(*clamped)++;
	}
	if (last < 1)
		last = 1;
	e->k = r->k;
	e->v.first_ns = (__u64)first;
	e->v.last_ns = (__u64)last;
	return 0;
}

/* Unix ns -> the program clock: the save's own offset on the same boot
 * (exact, whatever the wall clock did since), else now's. */
static int64_t to_mono_of(const struct seen_file_hdr *h, const struct seen_clock *now)
{
	static const __u8 zero[16];
	bool same_boot = memcmp(now->boot_id, zero, 16) && !memcmp(h->boot_id, now->boot_id, 16) &&
			 h->saved_mono_ns <= now->mono_ns;

	return same_boot ? (int64_t)(h->saved_mono_ns - h->saved_real_ns)
			 : (int64_t)(now->mono_ns - now->real_ns);
}

int seen_read(int fd, const char *name, const struct seen_clock *now, __u64 history_ns,
	      size_t max, struct seen_entry **out, size_t *n, struct seen_io *io,
	      char *err, size_t errlen)
{
	struct seen_file_rec *buf;
	struct seen_file_hdr h;
	struct acc a = { .max = max };
	const char *why = NULL;
	char whybuf[160];
	struct stat st;
	uLong crc = crc32(0L, Z_NULL, 0);
	__u64 done = 0, k, chunk;
	int64_t to_mono;
	struct seen_entry e;

	*out = NULL;
	*n = 0;
	if (fstat(fd, &st)) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		return -1;
	}
	memset(&h, 0, sizeof(h));
	if (!read_all(fd, &h, st.st_size < (off_t)sizeof(h) ? (size_t)st.st_size : sizeof(h), 0)) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno ?: EIO));
		return -1;
	}
	if (st.st_size < (off_t)sizeof(h) &&
	    (st.st_size < (off_t)sizeof(h.magic) || h.magic == SEEN_FILE_MAGIC)) {
		snprintf(err, errlen, "%s: truncated (%lld bytes, less than a header)", name,
			 (long long)st.st_size);
		return -1;
	}
	why = hdr_check(&h, st.st_size, whybuf, sizeof(whybuf));
	if (why) {
		snprintf(err, errlen, "%s: %s", name, why);
		return -1;
	}
	if (!max)
		max = 1;
	a.cap = h.count < 2 * (__u64)max ? (size_t)h.count : 2 * max;
	a.max = max;
	a.e = malloc((a.cap ? a.cap : 1) * sizeof(*a.e));
	buf = malloc(SEEN_BATCH * sizeof(*buf));
	if (!a.e || !buf) {
		snprintf(err, errlen, "%s: out of memory", name);
		free(a.e);
		free(buf);
		return -1;
	}
	to_mono = to_mono_of(&h, now);
	io->records = h.count;
	io->bytes = (size_t)st.st_size;
	while (done < h.count) {
		chunk = h.count - done < SEEN_BATCH ? h.count - done : SEEN_BATCH;
		if (!read_all(fd, buf, chunk * sizeof(buf[0]),
			      (off_t)(sizeof(h) + done * sizeof(buf[0])))) {
			why = "truncated while read";
			break;
		}
		crc = crc32(crc, (const Bytef *)buf, (uInt)(chunk * sizeof(buf[0])));
		for (k = 0; k < chunk; k++) {
			if (convert(&buf[k], to_mono, now->mono_ns, history_ns, &e, &io->clamped))
				io->expired++;
			else
				acc_add(&a, &e);
		}
		done += chunk;
	}
	free(buf);
	if (!why) {
		__u32 want = h.crc;

		h.crc = 0;
		if ((__u32)crc32(crc, (const Bytef *)&h, sizeof(h)) != want)
			why = "checksum mismatch (corrupt)";
	}
	if (why) {
		snprintf(err, errlen, "%s: %s", name, why);
		free(a.e);
		io->expired = io->clamped = 0;
		return -1;
	}
	/* oldest first: a load places them in the order they were last
	 * seen, so that the newer win in a full set; past max, the oldest
	 * left out */
	qsort(a.e, a.n, sizeof(*a.e), by_last);
	if (a.n > max) {
		memmove(a.e, a.e + (a.n - max), max * sizeof(*a.e));
		a.over += a.n - max;
		a.n = max;
	}
	io->over = a.over;
	*out = a.e;
	*n = a.n;
	return 0;
}

/* ---- the map ---- */

/* The map's number of sets, when it is an array of struct hs_seen_set as
 * the program's (a power of two, hs_seen_set()): 0 or -EINVAL (another
 * map, or another layout's), or -errno. */
static int map_sets(int fd, __u32 *nsets)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type != BPF_MAP_TYPE_ARRAY || info.key_size != sizeof(__u32) ||
	    info.value_size != sizeof(struct hs_seen_set) || !info.max_entries ||
	    info.max_entries & (info.max_entries - 1))
		return -EINVAL;
	*nsets = info.max_entries;
	return 0;
}

/* Every entry of the map (each way of each set not empty) through fn
 * (which returns 0 to go on, else what the walk returns). A way the
 * program writes meanwhile may be read half old, half new (the program
 * takes no lock): that entry's times, or key, wrong. */
typedef int (*entry_fn)(void *ctx, const struct hs_seen_key *k, const struct hs_seen *v);

static int set_walk(const struct hs_seen_set *s, entry_fn fn, void *ctx)
{
	int w, err;

	for (w = 0; w < HS_SEEN_WAYS; w++) {
		if (!s->way[w].v.last_ns)
			continue;       /* empty */
		err = fn(ctx, &s->way[w].k, &s->way[w].v);
		if (err)
			return err;
	}
	return 0;
}

/* In batches of sets: 0, -EOPNOTSUPP (no batches here, nothing passed to
 * fn yet), fn's non-zero answer, or -errno. */
static int walk_batched(int fd, entry_fn fn, void *ctx)
{
	__u32 *keys = malloc(SEEN_SET_BATCH * sizeof(*keys));
	struct hs_seen_set *sets = malloc(SEEN_SET_BATCH * sizeof(*sets));
	__u32 in = 0, out = 0, i, cnt;
	bool first = true;
	int err = keys && sets ? 0 : -ENOMEM, ret;

	while (!err) {
		LIBBPF_OPTS(bpf_map_batch_opts, o);

		cnt = SEEN_SET_BATCH;
		ret = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, sets, &cnt, &o);
		if (ret && errno != ENOENT) {
			err = first && errno != ENOMEM ? -EOPNOTSUPP : -errno;
			break;
		}
		for (i = 0; i < cnt && !err; i++)
			err = set_walk(&sets[i], fn, ctx);
		if (ret)
			break;          /* ENOENT: that was the last batch */
		in = out;
		first = false;
	}
	free(keys);
	free(sets);
	return err;
}

/* One set at a time. */
static int walk_elems(int fd, __u32 nsets, entry_fn fn, void *ctx)
{
	struct hs_seen_set s;
	__u32 i;
	int err = 0;

	for (i = 0; i < nsets && !err; i++) {
		if (bpf_map_lookup_elem(fd, &i, &s))
			return -errno;
		err = set_walk(&s, fn, ctx);
	}
	return err;
}

/* In batches unless flags say not (or the kernel has none): 0, fn's
 * non-zero answer, -EINVAL (not the program's seen array) or -errno. */
static int walk(int fd, unsigned int flags, entry_fn fn, void *ctx, bool *batched)
{
	__u32 nsets;
	int err = map_sets(fd, &nsets);

	*batched = false;
	if (err)
		return err;
	err = flags & SEEN_NO_BATCH ? -EOPNOTSUPP : walk_batched(fd, fn, ctx);
	*batched = err != -EOPNOTSUPP;
	return err == -EOPNOTSUPP ? walk_elems(fd, nsets, fn, ctx) : err;
}

static int add_fn(void *ctx, const struct hs_seen_key *k, const struct hs_seen *v)
{
	return seen_writer_add(ctx, k, v);
}

static double ms_since(__u64 t0)
{
	return (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e6;
}

int seen_save(int map_fd, const char *path, const struct seen_clock *now, __u64 history_ns,
	      unsigned int flags, struct seen_io *io)
{
	__u64 t0 = clock_ns(CLOCK_MONOTONIC);
	struct seen_writer *w;
	int err;

	memset(io, 0, sizeof(*io));
	err = seen_writer_open(&w, path, now, history_ns);
	if (err)
		return err;
	err = walk(map_fd, flags, add_fn, w, &io->batched);
	if (err) {
		seen_writer_abort(w);
		return err;
	}
	err = seen_writer_commit(w, io);
	io->ms = ms_since(t0);
	return err;
}

static bool set_empty(const struct hs_seen_set *s)
{
	int w;

	for (w = 0; w < HS_SEEN_WAYS; w++)
		if (s->way[w].v.last_ns)
			return false;
	return true;
}

/* e into its set s by the XDP program's rule (bpf/seen.h seen_way and
 * seen_put): the way holding its key, else the way least recently
 * refreshed, the first of the smallest last_ns (an empty one first: last_ns
 * 0). 0: an empty way taken; 1: another entry pushed out; 2: its key's
 * way (a second record of the key); -1: no way (every last_ns ~0). */
static int place(struct hs_seen_set *s, const struct seen_entry *e)
{
	struct hs_seen_way *to = NULL;
	__u64 oldest = ~0ULL;
	int w;

	for (w = 0; w < HS_SEEN_WAYS; w++) {
		struct hs_seen_way *x = &s->way[w];

		if (x->v.last_ns && !memcmp(&x->k, &e->k, sizeof(e->k))) {
			x->v = e->v;
			return 2;
		}
		if (x->v.last_ns < oldest) {
			oldest = x->v.last_ns;
			to = x;
		}
	}
	if (!to)
		return -1;
	to->k = e->k;
	to->v = e->v;
	return oldest ? 1 : 0;
}

/* Undo a load that failed half-way: the map was empty, the n sets of
 * idx (every set written, and maybe some not) zeroed again. */
static void unload(int fd, const __u32 *idx, size_t n)
{
	static const struct hs_seen_set zero;
	size_t i;

	for (i = 0; i < n; i++)
		bpf_map_update_elem(fd, &idx[i], &zero, BPF_ANY);
}

static int by_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/* The entries (oldest first) into the map of nsets sets, placed in their
 * sets in memory first (place(): a newer entry pushes an older out of a
 * full set, *pushed of them), then the sets they touched written, in
 * batches unless flags say not (or the kernel has none): 0 (*loaded: the
 * entries the map holds) or -errno (the map emptied again). */
static int fill(int fd, __u32 nsets, const struct seen_entry *e, size_t n, unsigned int flags,
		bool *batched, size_t *loaded, size_t *pushed)
{
	struct hs_seen_set *img = NULL, *vals = NULL;
	__u32 *touched = NULL, *keys = NULL, set;
	bool batch = !(flags & SEEN_NO_BATCH), any = false;
	size_t i, k, nt = 0, reach = 0;
	__u32 cnt;
	int err = 0;

	*batched = batch;
	*loaded = *pushed = 0;
	if (!n)
		return 0;
	/* the whole array's image (about 40 MiB at HS_SEEN_MAX, calloc'd:
	 * only the pages of the sets touched take memory) */
	img = calloc(nsets, sizeof(*img));
	touched = malloc((n < nsets ? n : nsets) * sizeof(*touched));
	if (!img || !touched) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		set = hs_seen_set(&e[i].k, nsets);
		if (set_empty(&img[set]))
			touched[nt++] = set;
		switch (place(&img[set], &e[i])) {
		case 0:
			(*loaded)++;
			break;
		case 1:
		case -1:
			(*pushed)++;
			break;
		}
	}
	qsort(touched, nt, sizeof(*touched), by_u32);
	if (batch) {
		keys = malloc(SEEN_SET_BATCH * sizeof(*keys));
		vals = malloc(SEEN_SET_BATCH * sizeof(*vals));
		batch = keys && vals;
		*batched = batch;
	}
	i = 0;
	while (i < nt) {
		if (batch) {
			LIBBPF_OPTS(bpf_map_batch_opts, o);

			cnt = nt - i < SEEN_SET_BATCH ? (__u32)(nt - i) : SEEN_SET_BATCH;
			for (k = 0; k < cnt; k++) {
				keys[k] = touched[i + k];
				vals[k] = img[touched[i + k]];
			}
			reach = i + cnt;
			if (!bpf_map_update_batch(fd, keys, vals, &cnt, &o)) {
				i += cnt;
				any = true;
				continue;
			}
			/* no batches here (a kernel without them leaves cnt
			 * as it was), or a failure part-way: this batch
			 * again and the rest set by set (a set written twice
			 * is the same) */
			batch = false;
			*batched = any;
			continue;
		}
		if (bpf_map_update_elem(fd, &touched[i], &img[touched[i]], BPF_ANY)) {
			err = -errno;
			break;
		}
		i++;
		if (reach < i)
			reach = i;
	}
	if (err)
		unload(fd, touched, reach);
out:
	free(img);
	free(touched);
	free(keys);
	free(vals);
	if (err)
		*loaded = *pushed = 0;
	return err;
}

int seen_load(int map_fd, const char *path, const struct seen_clock *now, __u64 history_ns,
	      unsigned int flags, struct seen_io *io, char *err, size_t errlen)
{
	__u64 t0 = clock_ns(CLOCK_MONOTONIC);
	struct seen_entry *e;
	size_t n, pushed;
	__u32 nsets;
	int fd, ret;

	memset(io, 0, sizeof(*io));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	ret = map_sets(map_fd, &nsets);
	if (ret) {
		snprintf(err, errlen, "%s: the seen map: %s", path,
			 ret == -EINVAL ? "not an array of sets of this version's" : strerror(-ret));
		close(fd);
		return -1;
	}
	/* at most the map's ways: past them, the oldest left out (over) */
	ret = seen_read(fd, path, now, history_ns, (size_t)nsets * HS_SEEN_WAYS, &e, &n, io, err,
			errlen);
	close(fd);
	if (ret)
		return -1;
	ret = fill(map_fd, nsets, e, n, flags, &io->batched, &io->loaded, &pushed);
	free(e);
	if (ret) {
		snprintf(err, errlen, "%s: couldn't fill the seen map: %s", path, strerror(-ret));
		return -1;
	}
	/* pushed out of a full set by newer ones: over the map's room too */
	io->over += pushed;
	io->ms = ms_since(t0);
	return 0;
}

struct counts {
	double deadline;                /* ms of CLOCK_MONOTONIC; 0: none */
	size_t entries;
};

static int count_fn(void *ctx, const struct hs_seen_key *k, const struct hs_seen *v)
{
	struct counts *c = ctx;

	(void)k;
	(void)v;
	c->entries++;
	if (c->deadline && !(c->entries % 1024) &&
	    (double)clock_ns(CLOCK_MONOTONIC) / 1e6 > c->deadline)
		return 1;       /* out of time: stop here */
	return 0;
}

int seen_count(int map_fd, unsigned int budget_ms, unsigned int flags, size_t *entries)
{
	struct counts c = { 0 };
	bool batched;
	int err;

	if (budget_ms)
		c.deadline = (double)clock_ns(CLOCK_MONOTONIC) / 1e6 + budget_ms;
	err = walk(map_fd, flags, count_fn, &c, &batched);
	*entries = c.entries;
	return err;
}
