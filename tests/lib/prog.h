/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP program for a BPF_PROG_TEST_RUN test (tests/bpf/): opened, set
 * up by the test, loaded, its ring buffer opened. Where that cannot be
 * (not root, no BPF) each step returns NULL or an error with the reason in
 * skip_reason, and the test skips saying it. Include after the skeleton
 * and check.h.
 */
#ifndef HS_TESTS_PROG_H
#define HS_TESTS_PROG_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include "hs_hash.h"

static char skip_reason[256];

/* Every entry of array map fd zeroed (the seen and conns sets emptied):
 * 0 or -errno. */
static inline int array_zero(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), i, n, k[256];
	void *zero;
	int err = 0;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	zero = calloc(256, info.value_size);
	if (!zero)
		return -ENOMEM;
	for (i = 0; i < info.max_entries && !err; i += n) {
		LIBBPF_OPTS(bpf_map_batch_opts, o);
		__u32 j;

		n = info.max_entries - i < 256 ? info.max_entries - i : 256;
		for (j = 0; j < n; j++)
			k[j] = i + j;
		if (bpf_map_update_batch(fd, k, zero, &n, &o))
			err = -errno;
	}
	free(zero);
	return err;
}

/* Entry k of the seen array fd (sets of ways) into *v: 0 or -ENOENT. */
static inline int seen_get(int fd, const struct hs_seen_key *k, struct hs_seen *v)
{
	static struct hs_seen_set s;
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), i;
	int w;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	i = hs_seen_set(k, info.max_entries);
	if (bpf_map_lookup_elem(fd, &i, &s))
		return -errno;
	for (w = 0; w < HS_SEEN_WAYS; w++)
		if (s.way[w].v.last_ns && !memcmp(&s.way[w].k, k, sizeof(*k))) {
			*v = s.way[w].v;
			return 0;
		}
	return -ENOENT;
}

/* The BPF object of cfg, open: its rodata may be set before prog_load. */
static inline struct hs_bpf *prog_open(const struct hs_config *cfg)
{
	struct hs_bpf *skel;

	if (geteuid() != 0) {
		snprintf(skip_reason, sizeof(skip_reason),
			 "not root: BPF_PROG_TEST_RUN of XDP needs root");
		return NULL;
	}
	skel = hs_open(cfg);
	if (!skel)
		snprintf(skip_reason, sizeof(skip_reason),
			 "couldn't open the BPF object: %s", strerror(errno));
	return skel;
}

/* Loads it; on failure destroys it. Returns 0 or -errno. */
static inline int prog_load(struct hs_bpf *skel)
{
	int err = hs_load(skel, NULL);

	if (err) {
		snprintf(skip_reason, sizeof(skip_reason),
			 "couldn't load the XDP program: %s", strerror(-err));
		hs_bpf__destroy(skel);
	}
	return err;
}

/* Its ring buffer with cb(ctx, ...) for each record; on failure destroys
 * the program. */
static inline struct ring_buffer *prog_ring(struct hs_bpf *skel, ring_buffer_sample_fn cb,
					    void *ctx)
{
	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(skel->maps.events), cb, ctx, NULL);

	if (!rb) {
		snprintf(skip_reason, sizeof(skip_reason),
			 "couldn't open the ring buffer: %s", strerror(errno));
		hs_bpf__destroy(skel);
	}
	return rb;
}

/* A test's environment, or the skip with the reason it could not be made
 * (cmocka's skip() does not return). */
static inline void *prog_need(void **state)
{
	fails = 0;
	if (!*state) {
		note("skipped: %s", skip_reason);
		skip();
	}
	return *state;
}

/* What prog_open, prog_load and prog_ring made, and the test's env. */
static inline void prog_free(struct hs_bpf *skel, struct ring_buffer *rb, void *env)
{
	ring_buffer__free(rb);
	hs_bpf__destroy(skel);
	free(env);
}

/* With HS_PKT_DUMP set, every packet a test runs through the program is
 * appended to that file (its length as 4 bytes in host order, then its
 * bytes), for test_equiv to run them again through two builds of the
 * program. */
static inline void prog_dump(const void *pkt, __u32 len)
{
	static FILE *f;
	static int tried;

	if (!tried) {
		const char *path = getenv("HS_PKT_DUMP");

		tried = 1;
		f = path && *path ? fopen(path, "ab") : NULL;
	}
	if (f && (fwrite(&len, sizeof(len), 1, f) != 1 || fwrite(pkt, 1, len, f) != len ||
		  fflush(f)))
		f = NULL;
}

#endif /* HS_TESTS_PROG_H */
