// SPDX-License-Identifier: BSD-3-Clause
/*
 * The seen history across a cold start, through real maps: the XDP program
 * (live settings: the seen map an array of HS_SEEN_SETS sets of
 * HS_SEEN_WAYS, struct hs_seen_set) sees ClientHellos from a few sources
 * under BPF_PROG_TEST_RUN, its seen map is saved (user/seenfile.c), and a
 * second program's empty map loaded from the file holds the same entries,
 * each in its key's set, times exact; a source seen before the restart is
 * not novel to it, a new one is. Also: the set-by-set path, tens of
 * thousands of entries in batches with the expired left out, a seen array
 * of 4 sets (32 ways) loaded from a file of 40 entries (the newest 32 read,
 * and of those the newest 8 of each set kept, the rest pushed out, in
 * batches and set by set), and files (or a map of another layout) that
 * must not load leaving the map empty.
 *
 * Needs root (or CAP_BPF + CAP_NET_ADMIN); skipped without it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfobj.h"
#include "hs_hash.h"
#include "seenfile.h"
#include "hs_bpf.skel.h"
#include "check.h"
#include "prog.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "pkt.h"

#define S 1000000000ULL

struct env {
	struct hs_bpf *skel;
	int prog_fd, seen_fd, tls_fd, flows_fd;
	__u64 history_ns;
};

static char dir[] = "/tmp/hs-test-seen.XXXXXX";
static char path[sizeof(dir) + 16];

static struct env *env_new(void)
{
	struct env *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	/* live settings: the seen map as run has it */
	e->skel = prog_open(&(struct hs_config){ 0 });
	if (!e->skel || prog_load(e->skel)) {
		free(e);
		return NULL;
	}
	e->prog_fd = bpf_program__fd(hs_xdp_prog(e->skel));
	e->seen_fd = bpf_map__fd(e->skel->maps.seen);
	e->tls_fd = bpf_map__fd(e->skel->maps.tls_fps);
	e->flows_fd = bpf_map__fd(e->skel->maps.flows);
	e->history_ns = e->skel->rodata->history_ns;
	return e;
}

static void env_free(struct env *e)
{
	if (e)
		prog_free(e->skel, NULL, e);
}

static int setup(void **state)
{
	*state = NULL;
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/t.seen", dir);
	*state = env_new();
	return 0;
}

static int teardown(void **state)
{
	env_free(*state);
	unlink(path);
	rmdir(dir);
	return 0;
}

/* The sets of a seen array (its max_entries); 0 when unreadable. */
static __u32 nsets_of(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.max_entries;
}

/* A seen array emptied: every set zeroed (an empty way's last_ns is 0),
 * by prog.h's array_zero. */
static void seen_clear(int fd)
{
	CHECK_INT("seen_clear", "zeroing the sets", 0, array_zero(fd));
}

/* A small map keyed by ids emptied (tls_fps). */
static void ids_clear(int fd)
{
	__u64 id;

	while (bpf_map_get_next_key(fd, NULL, &id) == 0)
		if (bpf_map_delete_elem(fd, &id))
			break;
}

/* The entries of a seen array: its ways not empty (last_ns not 0), read
 * set by set. */
static int count(int fd)
{
	static struct hs_seen_set set;
	__u32 nsets = nsets_of(fd), i;
	int n = 0, w;

	for (i = 0; i < nsets; i++) {
		if (bpf_map_lookup_elem(fd, &i, &set)) {
			CHECK_INT("count", "set lookup", 0, -errno);
			return -1;
		}
		for (w = 0; w < HS_SEEN_WAYS; w++)
			n += set.way[w].v.last_ns != 0;
	}
	return n;
}

/* One XDP test run: 0 or -errno. */
static int run(struct env *e, const struct frame *f)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = (__u32)f->len,
		    .repeat = 1);

	prog_dump(f->b, (__u32)f->len);
	return bpf_prog_test_run_opts(e->prog_fd, &o) ? -errno : 0;
}

/* A connection from src (SYN, then a ClientHello in one segment). */
static void hello_from(struct env *e, const char *src, __u16 sport)
{
	static __u8 hello[2048];
	int v6 = strchr(src, ':') != NULL, len = pkt_hello(1, hello, sizeof(hello));
	struct pspec syn = {
		.ver = v6 ? 6 : 4, .src = src, .ttl = 64, .ip_id = 1, .frag = IPF_DF,
		.sport = sport, .dport = 443, .seq = 1000, .tflags = TH_SYN, .win = 64240,
		.opts = (const __u8 *)(v6 ? LINUX6 : LINUX4), .olen = 20,
	}, data = syn;
	struct frame f;

	data.seq = 1001;
	data.ack = 0x55667788;
	data.tflags = TH_ACK | TH_PSH;
	data.opts = NULL;
	data.olen = 0;
	data.data = hello;
	data.payload = len;
	build(&syn, &f);
	CHECK_INT(src, "SYN test run", 0, run(e, &f));
	build(&data, &f);
	CHECK_INT(src, "ClientHello test run", 0, run(e, &f));
}

/* The novelty counts over every tls_fps entry. */
struct novel {
	__u64 conns, ips, site, nets;
};

static struct novel novel_of(struct env *e)
{
	static struct hs_tls_fp v;
	struct novel n = { 0 };
	__u64 key, next;
	int started = 0;

	while (bpf_map_get_next_key(e->tls_fd, started ? &key : NULL, &next) == 0) {
		key = next;
		started = 1;
		if (bpf_map_lookup_elem(e->tls_fd, &key, &v))
			continue;
		n.conns += v.conns;
		n.ips += v.novel_ips;
		n.site += v.novel_site;
		n.nets += v.novel_nets;
	}
	return n;
}

static int by_key(const void *a, const void *b)
{
	return memcmp(&((const struct seen_entry *)a)->k, &((const struct seen_entry *)b)->k,
		      sizeof(struct hs_seen_key));
}

/* Every entry of a seen array (its ways not empty, read set by set),
 * sorted by key; their number. Each must be in its key's set, and once. */
static int entries(int fd, struct seen_entry *out, int max)
{
	static struct hs_seen_set set;
	__u32 nsets = nsets_of(fd), i;
	int n = 0, w;

	for (i = 0; i < nsets; i++) {
		if (bpf_map_lookup_elem(fd, &i, &set)) {
			CHECK_INT("entries", "set lookup", 0, -errno);
			break;
		}
		for (w = 0; w < HS_SEEN_WAYS; w++) {
			if (!set.way[w].v.last_ns)
				continue;
			CHECK_INT("entries", "an entry in its key's set", i,
				  hs_seen_set(&set.way[w].k, nsets));
			if (n == max) {
				CHECK_INT("entries", "at most", max, n + 1);
				continue;
			}
			out[n].k = set.way[w].k;
			out[n++].v = set.way[w].v;
		}
	}
	qsort(out, (size_t)n, sizeof(*out), by_key);
	for (w = 1; w < n; w++)
		CHECK_INT("entries", "a key in one way only", 1, by_key(&out[w - 1], &out[w]) < 0);
	return n;
}

static const char *const sources[] = { "198.18.0.1", "198.18.0.2", "198.18.0.3",
				       "2001:db8:1::7" };

/* Save e's seen map, load it into a second program's, compare, and see
 * what is novel to the second: flags for both. */
static void round_trip(struct env *a, unsigned int flags, const char *desc)
{
	static struct seen_entry was[64], got[64];
	struct seen_clock now;
	struct seen_io io;
	struct novel nv;
	struct env *b;
	char err[256] = "";
	int i, n, m, sport = flags & SEEN_NO_BATCH ? 42000 : 40000;

	seen_clear(a->seen_fd);
	ids_clear(a->tls_fd);
	for (i = 0; i < 4; i++)
		hello_from(a, sources[i], (__u16)(sport + i));
	nv = novel_of(a);
	CHECK_INT(desc, "first program: ClientHellos counted", 4, nv.conns);
	CHECK_INT(desc, "first program: novel sources", 4, nv.ips);
	/* 4 sources with the fingerprint, 4 with the site, 2 networks */
	n = entries(a->seen_fd, was, 64);
	CHECK_INT(desc, "first program: seen entries", 10, n);
	seen_clock_now(&now);
	CHECK_INT(desc, "seen_save", 0, seen_save(a->seen_fd, path, &now, a->history_ns, flags, &io));
	CHECK_INT(desc, "records saved", 10, io.records);
	CHECK_INT(desc, "file bytes", 64 + 10 * 40, io.bytes);
	CHECK_INT(desc, "save batched", !(flags & SEEN_NO_BATCH), io.batched);
	note("%s: saved 10 entries in %.3f ms", desc, io.ms);

	b = env_new();
	if (!b) {
		fail_msg("%s: a second program: %s", desc, skip_reason);
		return;
	}
	CHECK_INT(desc, "second program: seen map empty (a cold start)", 0, count(b->seen_fd));
	seen_clock_now(&now);
	CHECK_INT(desc, "seen_load", 0,
		  seen_load(b->seen_fd, path, &now, b->history_ns, flags, &io, err, sizeof(err)));
	if (err[0])
		note("%s: %s", desc, err);
	CHECK_INT(desc, "entries loaded", 10, io.loaded);
	CHECK_INT(desc, "load batched", !(flags & SEEN_NO_BATCH), io.batched);
	note("%s: loaded 10 entries in %.3f ms", desc, io.ms);
	m = entries(b->seen_fd, got, 64);
	CHECK_INT(desc, "second program: seen entries", n, m);
	for (i = 0; i < n && i < m; i++) {
		CHECK_INT(desc, "entry key", 0, memcmp(&was[i].k, &got[i].k, sizeof(was[i].k)));
		CHECK_INT(desc, "entry first_ns (same boot: exact)", was[i].v.first_ns,
			  got[i].v.first_ns);
		CHECK_INT(desc, "entry last_ns (same boot: exact)", was[i].v.last_ns,
			  got[i].v.last_ns);
	}
	/* a source of before the restart, and a new one of the same /24 */
	hello_from(b, "198.18.0.1", (__u16)(sport + 10));
	hello_from(b, "198.18.0.4", (__u16)(sport + 11));
	nv = novel_of(b);
	CHECK_INT(desc, "after the load: ClientHellos counted", 2, nv.conns);
	CHECK_INT(desc, "after the load: novel sources (the new one only)", 1, nv.ips);
	CHECK_INT(desc, "after the load: new to the site", 1, nv.site);
	CHECK_INT(desc, "after the load: novel networks (its /24 seen)", 0, nv.nets);
	/* the same without the history: both novel, and the network */
	seen_clear(b->seen_fd);
	ids_clear(b->tls_fd);
	hello_from(b, "198.18.0.1", (__u16)(sport + 12));
	hello_from(b, "198.18.0.4", (__u16)(sport + 13));
	nv = novel_of(b);
	CHECK_INT(desc, "empty map: novel sources", 2, nv.ips);
	CHECK_INT(desc, "empty map: novel networks", 1, nv.nets);
	env_free(b);
}

static void test_round_trip(void **state)
{
	struct env *e = prog_need(state);

	round_trip(e, 0, "batches");
	CHECKS_DONE();
}

static void test_round_trip_elements(void **state)
{
	struct env *e = prog_need(state);

	round_trip(e, SEEN_NO_BATCH, "set by set");
	CHECKS_DONE();
}

/* n synthetic entries into the seen array fd, each into an empty way of
 * its key's set (none here fills a set): entry i last seen i ms before
 * now; those from `old` on past the history. */
static void fill(int fd, int n, int old, __u64 now, __u64 history_ns)
{
	static struct hs_seen_set set;
	__u32 nsets = nsets_of(fd), s;
	int i, w;

	for (i = 0; i < n; i++) {
		struct hs_seen_key k = { .fp = 0x5000 + (__u64)(i / 256) * 2,
					 .addr = { 10, (__u8)(i >> 16), (__u8)(i >> 8), (__u8)i } };
		__u64 age = i >= old ? history_ns + (__u64)i * 1000000 : (__u64)i * 1000000;
		struct hs_seen v = { now - age - 1000000, now - age };

		s = hs_seen_set(&k, nsets);
		if (bpf_map_lookup_elem(fd, &s, &set)) {
			CHECK_INT("fill", "set lookup", 0, -errno);
			return;
		}
		for (w = 0; w < HS_SEEN_WAYS && set.way[w].v.last_ns; w++)
			;
		if (w == HS_SEEN_WAYS) {
			CHECK_INT("fill", "an empty way in the set", 1, 0);
			return;
		}
		set.way[w].k = k;
		set.way[w].v = v;
		if (bpf_map_update_elem(fd, &s, &set, BPF_ANY)) {
			CHECK_INT("fill", "set update", 0, -errno);
			return;
		}
	}
}

static void test_many(void **state)
{
	struct env *e = prog_need(state);
	struct seen_clock now;
	struct seen_io io;
	char err[256] = "";

	seen_clear(e->seen_fd);
	seen_clock_now(&now);
	/* 50,000 entries, 1,000 of them expired: a dozen batches */
	fill(e->seen_fd, 50000, 49000, now.mono_ns, e->history_ns);
	CHECK_INT("50k", "seen_save", 0, seen_save(e->seen_fd, path, &now, e->history_ns, 0, &io));
	CHECK_INT("50k", "records", 49000, io.records);
	CHECK_INT("50k", "expired left out", 1000, io.expired);
	CHECK_INT("50k", "bytes", 64 + 49000 * 40, io.bytes);
	note("50k: saved 49,000 entries in %.1f ms", io.ms);
	seen_clear(e->seen_fd);
	CHECK_INT("50k", "seen_load", 0,
		  seen_load(e->seen_fd, path, &now, e->history_ns, 0, &io, err, sizeof(err)));
	CHECK_INT("50k", "loaded", 49000, io.loaded);
	CHECK_INT("50k", "none over", 0, io.over);
	CHECK_INT("50k", "load batched", 1, io.batched);
	CHECK_INT("50k", "map entries", 49000, count(e->seen_fd));
	note("50k: loaded 49,000 entries in %.1f ms", io.ms);
	CHECKS_DONE();
}

static int by_last_desc(const void *a, const void *b)
{
	const struct seen_entry *x = a, *y = b;

	return x->v.last_ns > y->v.last_ns ? -1 : x->v.last_ns < y->v.last_ns;
}

/* A seen array of 4 sets (32 ways), a file of 40 entries: the load reads
 * the newest 32, and keeps of them the newest 8 of each set, the others
 * of a set pushed out; in batches and set by set. */
#define SMALL_SETS 4u
static void test_bounded(void **state)
{
	struct env *e = prog_need(state);
	static struct seen_entry was[64], want[64], got[64];
	struct seen_clock now;
	struct seen_io io;
	unsigned int per[SMALL_SETS] = { 0 }, f, over_sets = 0;
	char err[256] = "", desc[64];
	int small, n, m = 0, i, k;

	seen_clock_now(&now);
	small = bpf_map_create(BPF_MAP_TYPE_ARRAY, "seen_small", sizeof(__u32),
			       sizeof(struct hs_seen_set), SMALL_SETS, NULL);
	CHECK_INT("small map", "bpf_map_create", 1, small >= 0);
	if (small < 0)
		return;
	seen_clear(e->seen_fd);
	fill(e->seen_fd, 40, 40, now.mono_ns, e->history_ns);
	n = entries(e->seen_fd, was, 64);
	CHECK_INT("small map", "entries filled", 40, n);
	CHECK_INT("small map", "seen_save", 0,
		  seen_save(e->seen_fd, path, &now, e->history_ns, 0, &io));
	CHECK_INT("small map", "records saved", 40, io.records);
	/* what must stay: of the newest 32, the newest 8 of each set */
	qsort(was, (size_t)n, sizeof(*was), by_last_desc);
	for (i = 0; i < n && i < (int)SMALL_SETS * HS_SEEN_WAYS; i++) {
		__u32 s = hs_seen_set(&was[i].k, SMALL_SETS);

		if (per[s]++ < HS_SEEN_WAYS)
			want[m++] = was[i];
	}
	for (i = 0; i < (int)SMALL_SETS; i++)
		over_sets += per[i] > HS_SEEN_WAYS;
	/* the test's premise: a set of the newest 32 has more than 8 */
	CHECK_INT("small map", "sets with more than 8 of the newest 32", 1, over_sets > 0);
	CHECK_INT("small map", "some pushed out of a full set", 1, m < 32);
	note("small map: of the newest 32 (per set %u %u %u %u), %d to keep", per[0], per[1],
	     per[2], per[3], m);
	qsort(want, (size_t)m, sizeof(*want), by_key);
	for (f = 0; f <= SEEN_NO_BATCH; f++) {
		snprintf(desc, sizeof(desc), "small map, %s", f ? "set by set" : "batches");
		seen_clear(small);
		CHECK_INT(desc, "empty", 0, count(small));
		CHECK_INT(desc, "seen_load", 0,
			  seen_load(small, path, &now, e->history_ns, f, &io, err, sizeof(err)));
		CHECK_INT(desc, "loaded", m, io.loaded);
		CHECK_INT(desc, "left out past the map's room or a set's", 40 - m, io.over);
		CHECK_INT(desc, "batched", !f, io.batched);
		k = entries(small, got, 64);
		CHECK_INT(desc, "entries", m, k);
		for (i = 0; i < m && i < k; i++) {
			CHECK_INT(desc, "the newest of its set (address)", want[i].k.addr[3],
				  got[i].k.addr[3]);
			CHECK_INT(desc, "its first_ns", want[i].v.first_ns, got[i].v.first_ns);
			CHECK_INT(desc, "its last_ns", want[i].v.last_ns, got[i].v.last_ns);
		}
	}
	close(small);
	CHECKS_DONE();
}

/* Files that must not load: the map stays empty, one line says why. */
static void test_bad_files(void **state)
{
	struct env *e = prog_need(state);
	static const struct { const char *desc; long cut; int junk; } cases[] = {
		{ "truncated in a record", -17, 0 },
		{ "truncated in the header", 30, 0 },
		{ "empty", 0, 0 },
		{ "a byte changed", 0, 1 },
	};
	struct seen_clock now;
	struct seen_io io;
	char err[256], desc[96];
	size_t c;
	int other;

	seen_clock_now(&now);
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		seen_clear(e->seen_fd);
		fill(e->seen_fd, 100, 100, now.mono_ns, e->history_ns);
		CHECK_INT(cases[c].desc, "seen_save", 0,
			  seen_save(e->seen_fd, path, &now, e->history_ns, 0, &io));
		if (cases[c].junk) {
			FILE *f = fopen(path, "r+");

			if (f) {
				fseek(f, 64 + 40 * 50 + 30, SEEK_SET);
				fputc(0xff, f);
				fclose(f);
			}
		} else {
			CHECK_INT(cases[c].desc, "truncate", 0,
				  truncate(path, cases[c].cut < 0 ? (off_t)io.bytes + cases[c].cut
								  : cases[c].cut));
		}
		seen_clear(e->seen_fd);
		err[0] = '\0';
		snprintf(desc, sizeof(desc), "%s", cases[c].desc);
		CHECK_INT(desc, "seen_load", -1,
			  seen_load(e->seen_fd, path, &now, e->history_ns, 0, &io, err, sizeof(err)));
		CHECK_INT(desc, "map left empty", 0, count(e->seen_fd));
		CHECK_INT(desc, "one line said", 1, err[0] && !strchr(err, '\n'));
		note("%s: %s", desc, err);
	}
	/* a map of another layout (the seen LRU hash of before layout 14) */
	other = bpf_map_create(BPF_MAP_TYPE_HASH, "seen_hash", sizeof(struct hs_seen_key),
			       sizeof(struct hs_seen), 8, NULL);
	CHECK_INT("another layout", "bpf_map_create", 1, other >= 0);
	if (other >= 0) {
		__u8 key[sizeof(struct hs_seen_key)];

		seen_clear(e->seen_fd);
		fill(e->seen_fd, 10, 10, now.mono_ns, e->history_ns);
		CHECK_INT("another layout", "seen_save of the array", 0,
			  seen_save(e->seen_fd, path, &now, e->history_ns, 0, &io));
		CHECK_INT("another layout", "seen_save", -EINVAL,
			  seen_save(other, path, &now, e->history_ns, 0, &io));
		err[0] = '\0';
		CHECK_INT("another layout", "seen_load", -1,
			  seen_load(other, path, &now, e->history_ns, 0, &io, err, sizeof(err)));
		CHECK_INT("another layout", "map left empty", -ENOENT,
			  bpf_map_get_next_key(other, NULL, key) ? -errno : 0);
		CHECK_INT("another layout", "one line said", 1, err[0] && !strchr(err, '\n'));
		note("another layout: %s", err);
		close(other);
	}
	unlink(path);
	CHECK_INT("no file", "seen_load", 1,
		  seen_load(e->seen_fd, path, &now, e->history_ns, 0, &io, err, sizeof(err)));
	CHECKS_DONE();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_round_trip_elements),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_bad_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
