// SPDX-License-Identifier: BSD-3-Clause
/*
 * The seen history's cost (user/seenfile.c) on the map run has: an LRU
 * hash of HS_SEEN_MAX entries, filled with N entries (100,000 and the
 * whole map). For each N: the save (batched read, write, fsync, rename)
 * and the file's size, the load into an empty map (read, check, sort,
 * batched update), and what counting the entries costs a reader (status,
 * the exporter): batched, and key by key (bpf_map_get_next_key, as
 * hs_map_count does for the other maps). Also the save element by element
 * (a kernel without batch operations).
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

#include "seenfile.h"

#define S 1000000000ULL

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Entries, key by key (what hs_map_count does, with this map's keys). */
static size_t count_keys(int fd)
{
	struct hs_seen_key key, next;
	size_t n = 0;

	while (bpf_map_get_next_key(fd, n ? &key : NULL, &next) == 0) {
		key = next;
		n++;
	}
	return n;
}

static int new_map(void)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "seen", sizeof(struct hs_seen_key),
				sizeof(struct hs_seen), HS_SEEN_MAX, NULL);

	if (fd < 0)
		fprintf(stderr, "bench_seen: bpf_map_create: %s\n", strerror(errno));
	return fd;
}

/* n entries as the program makes them: a source with a fingerprint (one
 * of 50,000), its /24 with it, sources with the site; times within the
 * last hour. */
static int fill(int fd, size_t n, __u64 now)
{
	enum { B = 4096 };
	static struct hs_seen_key k[B];
	static struct hs_seen v[B];
	size_t i = 0, j;
	__u32 cnt;

	while (i < n) {
		LIBBPF_OPTS(bpf_map_batch_opts, o);

		cnt = n - i < B ? (__u32)(n - i) : B;
		for (j = 0; j < cnt; j++) {
			__u64 x = i + j, age = (x * 2654435761ULL) % (3500 * S);

			memset(&k[j], 0, sizeof(k[j]));
			k[j].fp = x % 3 == 2 ? 0 : ((x * 0x9e3779b97f4a7c15ULL) % 50000 + 1) << 1 |
				  (x % 3 == 1);
			k[j].addr[0] = 100;
			k[j].addr[1] = (__u8)(x >> 16);
			k[j].addr[2] = (__u8)(x >> 8);
			k[j].addr[3] = (__u8)x;
			v[j].last_ns = now - age;
			v[j].first_ns = v[j].last_ns - age / 2;
		}
		if (bpf_map_update_batch(fd, k, v, &cnt, &o)) {
			fprintf(stderr, "bench_seen: fill: %s\n", strerror(errno));
			return -1;
		}
		i += cnt;
	}
	return 0;
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
