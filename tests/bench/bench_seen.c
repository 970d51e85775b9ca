// SPDX-License-Identifier: BSD-3-Clause
/*
 * The seen history's cost (user/seenfile.c) on the map run has: an array
 * of HS_SEEN_SETS sets of HS_SEEN_WAYS (struct hs_seen_set), filled with N
 * entries (100,000 and HS_SEEN_MAX, the map's ways; each put in its key's
 * set as the program puts it, so that at HS_SEEN_MAX some are pushed out
 * of full sets: seen_entries says how many the map holds). For each N: the
 * save (batched read, write, fsync, rename) and the file's size, the load
 * into an empty map (read, check, sort, place in sets, batched update),
 * and what counting the entries costs a reader (status, the exporter):
 * batched, and set by set (bpf_map_lookup_elem: seen_count without
 * batches, seen_count_keys). Also the save set by set (a kernel without
 * batch operations).
 *
 * Usage: bench_seen [DIR]   (the file goes in DIR, default /var/tmp: a
 * disk, as /var/lib/hydrascope is, not a tmpfs)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "hs_hash.h"
#include "seenfile.h"

#define S 1000000000ULL

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Entries, set by set (a kernel without batch operations). */
static size_t count_keys(int fd)
{
	size_t n = 0;

	seen_count(fd, 0, SEEN_NO_BATCH, &n);
	return n;
}

static int new_map(void)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "seen", sizeof(__u32),
				sizeof(struct hs_seen_set), HS_SEEN_SETS, NULL);

	if (fd < 0)
		fprintf(stderr, "bench_seen: bpf_map_create: %s\n", strerror(errno));
	return fd;
}

/* n entries as the program makes them: a source with a fingerprint (one
 * of 50,000), its /24 with it, sources with the site; times within the
 * last hour. Each into its key's set as the program puts them in the
 * order they are seen (bpf/seen.h: into the way least recently refreshed,
 * an empty one first): of a set, the newest HS_SEEN_WAYS kept. The whole
 * array is built in memory, then written in batches of sets. */
static int fill(int fd, size_t n, __u64 now)
{
	enum { B = 512 };
	static __u32 keys[B];
	struct hs_seen_set *img = calloc(HS_SEEN_SETS, sizeof(*img));
	size_t i;
	__u32 s, cnt;
	int w, to, rc = 0;

	if (!img) {
		fprintf(stderr, "bench_seen: fill: out of memory\n");
		return -1;
	}
	for (i = 0; i < n; i++) {
		__u64 x = i, age = (x * 2654435761ULL) % (3500 * S);
		struct hs_seen_key k = { 0 };
		struct hs_seen_way *way;

		k.fp = x % 3 == 2 ? 0 : ((x * 0x9e3779b97f4a7c15ULL) % 50000 + 1) << 1 | (x % 3 == 1);
		k.addr[0] = 100;
		k.addr[1] = (__u8)(x >> 16);
		k.addr[2] = (__u8)(x >> 8);
		k.addr[3] = (__u8)x;
		s = hs_seen_set(&k, HS_SEEN_SETS);
		way = img[s].way;
		/* (every key here is another: no way holds it yet) */
		for (to = 0, w = 1; w < HS_SEEN_WAYS; w++)
			if (way[w].v.last_ns < way[to].v.last_ns)
				to = w;
		if (way[to].v.last_ns > now - age)
			continue;       /* a full set of newer ones */
		way[to].k = k;
		way[to].v.last_ns = now - age;
		way[to].v.first_ns = way[to].v.last_ns - age / 2;
	}
	for (s = 0; s < HS_SEEN_SETS && !rc; s += cnt) {
		LIBBPF_OPTS(bpf_map_batch_opts, o);

		cnt = HS_SEEN_SETS - s < B ? HS_SEEN_SETS - s : B;
		for (w = 0; w < (int)cnt; w++)
			keys[w] = s + (__u32)w;
		if (bpf_map_update_batch(fd, keys, &img[s], &cnt, &o)) {
			fprintf(stderr, "bench_seen: fill: %s\n", strerror(errno));
			rc = -1;
		}
	}
	free(img);
	return rc;
}

static int one(const char *name, size_t n, const char *path)
{
	struct seen_clock now;
	struct seen_io io;
	size_t entries;
	char err[256];
	double t;
	int fd = new_map(), fd2;

	if (fd < 0)
		return -1;
	seen_clock_now(&now);
	if (fill(fd, n, now.mono_ns)) {
		close(fd);
		return -1;
	}
	t = now_ms();
	seen_count(fd, 0, 0, &entries);
	printf("seen_count_batched_%s %.1f ms\n", name, now_ms() - t);
	printf("seen_entries_%s %zu entries\n", name, entries);
	t = now_ms();
	printf("seen_count_100ms_budget_%s %s\n", name,
	       seen_count(fd, 100, 0, &entries) == 1 ? "partial" : "complete");
	printf("seen_counted_in_100ms_%s %zu entries (%.1f ms)\n", name, entries, now_ms() - t);
	t = now_ms();
	entries = count_keys(fd);
	printf("seen_count_keys_%s %.1f ms\n", name, now_ms() - t);
	seen_clock_now(&now);
	if (seen_save(fd, path, &now, 3600 * S, 0, &io)) {
		fprintf(stderr, "bench_seen: save: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	printf("seen_save_%s %.1f ms\n", name, io.ms);
	printf("seen_file_%s %zu bytes\n", name, io.bytes);
	printf("seen_file_per_entry_%s %.1f bytes\n", name, (double)io.bytes / (double)io.records);
	if (!seen_save(fd, path, &now, 3600 * S, SEEN_NO_BATCH, &io))
		printf("seen_save_elements_%s %.1f ms\n", name, io.ms);
	close(fd);
	fd2 = new_map();
	if (fd2 < 0)
		return -1;
	seen_clock_now(&now);
	if (seen_load(fd2, path, &now, 3600 * S, 0, &io, err, sizeof(err))) {
		fprintf(stderr, "bench_seen: load: %s\n", err);
		close(fd2);
		return -1;
	}
	printf("seen_load_%s %.1f ms\n", name, io.ms);
	printf("seen_loaded_%s %zu entries\n", name, io.loaded);
	close(fd2);
	unlink(path);
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/var/tmp";
	char path[4096];
	int rc = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(path, sizeof(path), "%s/bench-seen.%d.seen", dir, (int)getpid());
	rc |= one("100k", 100000, path);
	rc |= one("1m", HS_SEEN_MAX, path);
	return rc ? 1 : 0;
}
