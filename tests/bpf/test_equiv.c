// SPDX-License-Identifier: BSD-3-Clause
/*
 * Equivalence of today's XDP program with the one it was made faster from
 * (issue 19): the BPF object of BASE_REV (Makefile; built from git as
 * .output/base/hydrascope.bpf.o) and today's (.output/hydrascope.bpf.o),
 * each opened by name with plain libbpf (no skeleton: their layouts may
 * differ) and set up alike, take the same packets through hs_xdp
 * (BPF_PROG_TEST_RUN, this process pinned to one CPU, the replay clock
 * set before every packet: deterministic). Required identical: every
 * verdict, every ring-buffer record (byte for byte, in order), and the
 * contents of every map of the old object (by name: key and value bytes,
 * every CPU's value of the per-CPU ones), compared every
 * HS_EQUIV_EVERY packets and at the end of each source (each map read
 * whole in batches; the big arrays, made BPF_F_MMAPABLE, which changes
 * nothing a program does, read in place). Not compared: the
 * ring buffer as a map (its records are), replay's frames, and the
 * ClientHello walk's scratch (tls_walk_scratch, quic_walk: the walk's own
 * state, whose layout changed; what it produces is compared in tls_fps,
 * the events and the counters). Compared for what it means: the reasm
 * map, an LRU hash by flow before and slots since (compare_reasm: the
 * collection of every flow collecting; hs_flow.rslot, where it is, left
 * out of the flows map's bytes), both made big enough never to be full;
 * and a ClientHello's bytes past its lists' and strings' lengths (in
 * tls_fps, the staging maps, the events) and a QUIC event's past the
 * datagram bytes copied, zeroed on both sides (hello_norm): never read,
 * they were whatever a buffer held past the hello's end, which a
 * collection kept in a slot no longer copies whole. A QUIC event holds
 * more of its datagram than it did (HS_QUIC_DGRAM_MAX: 1,500 bytes before,
 * all a replayed frame can hold since): the first 1,500 are compared. And the connection
 * records and the seen entries, hashes by key before and sets of ways
 * since (compare_conns, compare_seen). The QUIC flows' sets (layout 15)
 * are made one slot each, as the one slot a flow had before: the same
 * slots, the same flows shed.
 *
 * The packets, in two configurations (replay's: an event per SYN and
 * ClientHello, the SYN check; live's: events of new fingerprints only, no
 * handshake check, so that every ClientHello is counted):
 * - every packet the fixture tests run (test_xdp, test_tls, test_reasm
 *   with HS_REASM_QUICK, test_seen, test_quicbpf, run with HS_PKT_DUMP);
 * - the client captures of tests/data/templates and the public captures
 *   of ../shared/vectors (HS_VECTORS) when that folder exists;
 * - SYNs of the option layouts the templates read and of random ones,
 *   their values and bytes varied, and ClientHellos of random lists,
 *   lengths and lies, cut into segments (HS_EQUIV_SHAPES each);
 * - connections crowding a few flow slots, their SYNs mostly refused a
 *   slot another's handshake holds (source_crowd; HS_EQUIV_CROWD packets,
 *   default 20,000);
 * - the packet fuzzer's cases (pktgen.h): every truncation of its seeds,
 *   then HS_EQUIV_PACKETS (default 150,000) mutated connections and
 *   random frames, seeded by HS_EQUIV_SEED (default: the time).
 * Needs root; skips without it (a failure under CI=true).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "hydrascope.h"
#include "hs_hash.h"
#include "capture.h"
#include "check.h"
#include "pkt.h"
#include "pktgen.h"
#include "objload.h"

#define MISMATCH_SHOWN 8
#define FIXTURE_MAX (64 << 20)

/* One build of the program, loaded. */
struct side {
	const char *what;
	struct bpf_object *obj;
	int xdp;
	struct ring_buffer *rb;
	__u8 *bss;              /* the program's .bss, mapped: its state (the
				 * flow slots' tags and times) carries from
				 * packet to packet, as live */
	size_t bss_len;
	__u32 now_off;          /* replay_now_ns in it, written before each packet */
	__u8 *ev;               /* ring-buffer records since the last compare */
	size_t ev_len, ev_cap;
	/* the big array maps in place (obj_map_mmap), NULL where a map is
	 * not an array (the old object's reasm, conns and seen) */
	struct hs_flow *flows;
	struct hs_reasm_slot *reasm;
	struct hs_conn_set *conns;
	struct hs_seen_set *seen;
};

struct eq {
	struct side s[2];       /* 0: BASE_REV's, 1: today's */
	__u64 sent, compares, events, entries, skipped, reasm_full;
	__u64 conns_lost;       /* records pushed out of a full set, last compared */
	__u64 seen_lost;        /* seen entries the same */
	__u64 syns, hellos;     /* fingerprinted (today's counters) */
	__u64 back;             /* ns the clock is set back for the next packet */
	int bad;
	__u64 every;
};

struct cfg {
	const char *name;
	__u8 emit_every;
	__u8 handshake;         /* enum hs_check */
};

static const struct cfg cfgs[] = {
	{ "replay (an event per SYN and ClientHello, SYN check)", 1, HS_CHECK_SYN },
	{ "live (events of new fingerprints, no handshake check)", 0, HS_CHECK_NONE },
};

/* ------------------------------------------------------------------ */
/* The objects, by name */

/* Zero what a hello holds past its lists' and strings' lengths: never
 * read, it is whatever the buffer held past the hello's end (the ALPN
 * and host name are copied in fixed windows, lists a word at a time), and
 * since issue 19 a collection kept between segments no longer carries the
 * per-CPU scratch's stale bytes past what it received. */
#define ZERO_PAST(a, n) memset((__u8 *)(a) + (size_t)((n) < sizeof(a) / sizeof((a)[0]) ? (n) : \
			sizeof(a) / sizeof((a)[0])) * sizeof((a)[0]), 0, sizeof(a) - (size_t)((n) < \
			sizeof(a) / sizeof((a)[0]) ? (n) : sizeof(a) / sizeof((a)[0])) * sizeof((a)[0]))

static void hello_norm(struct hs_tls_hello *h)
{
	ZERO_PAST(h->ciphers, h->n_ciphers);
	ZERO_PAST(h->exts, h->n_exts);
	ZERO_PAST(h->sigalgs, h->n_sigalgs);
	ZERO_PAST(h->groups, h->n_groups);
	ZERO_PAST(h->ecpf, h->n_ecpf);
	ZERO_PAST(h->alpn, h->alpn_len);
	ZERO_PAST(h->sni, h->sni_len);
	memset(h->pad, 0, sizeof(h->pad));
	memset(h->sni + HS_TLS_SNI_MAX, 0, sizeof(*h) - offsetof(struct hs_tls_hello, sni) -
	       HS_TLS_SNI_MAX);        /* the struct's tail padding */
}

/* A QUIC Initial's record before its events carried a datagram whole:
 * its first 1,500 bytes, then 4 bytes of padding; compared as such. */
#define QUIC_DATA_OLD 1500
#define QUIC_EVENT_OLD (offsetof(struct hs_quic_event, data) + QUIC_DATA_OLD + 4)

static int on_event(void *ctx, void *data, size_t size)
{
	struct side *s = ctx;
	__u32 n;

	if (s->ev_len + 4 + size > s->ev_cap) {
		s->ev_cap = (s->ev_len + 4 + size) * 2;
		s->ev = realloc(s->ev, s->ev_cap);
		if (!s->ev)
			fail_msg("out of memory");
	}
	/* normalized in an aligned copy (the record sits after its 4-byte
	 * length in s->ev) */
	if (size == sizeof(struct hs_tls_event)) {
		static struct hs_tls_event e;

		memcpy(&e, data, size);
		hello_norm(&e.hello);
		memset((__u8 *)&e.hello + sizeof(e.hello), 0,
		       sizeof(e) - offsetof(struct hs_tls_event, hello) - sizeof(e.hello));
		data = &e;
	} else if (size >= QUIC_EVENT_OLD && *(const __u32 *)data == HS_EV_QUIC_INITIAL) {
		/* the first QUIC_DATA_OLD bytes of the datagram, all the old
		 * program's record held; past the bytes copied: the ring
		 * buffer's, earlier records' */
		static struct hs_quic_event e;

		memcpy(&e, data, QUIC_EVENT_OLD - 4);
		if (e.copied > QUIC_DATA_OLD)
			e.copied = QUIC_DATA_OLD;
		ZERO_PAST(e.data, e.copied);
		memset(e.pad, 0, sizeof(e.pad));
		data = &e;
		size = QUIC_EVENT_OLD;
	}
	n = (__u32)size;
	memcpy(s->ev + s->ev_len, &n, 4);
	memcpy(s->ev + s->ev_len + 4, data, size);
	s->ev_len += 4 + size;
	return 0;
}

/* The reasm maps, big enough never to be full here: which collection a
 * full map gives up is its own choice (the kernel's LRU order before issue
 * 19, the slots' turn since), and the fuzzed connections leave many
 * behind. (The LRU hash also keeps those of flows taken over by another
 * connection until it pushes them out; the slots give those back.) */
#define REASM_MAX 16384
/* The conns sets, as many as that the records here (some 30,000) never
 * fill one: a record pushed out and made again by a retransmitted hello
 * would differ from the one the old LRU kept. */
#define CONN_SETS (1u << 18)
/* The quic_flows sets of one slot, as before layout 15: a flow whose slot
 * another holds is shed there, where with more slots a set it may take
 * another (test_quicbpf's test_flow_bounds and test_set_mates do it). */
#define QUIC_WAYS 1

/* Map name of s in place if it is an array (made mmapable), else NULL. */
static void *side_mmap(struct side *s, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(s->obj, name);
	void *p;

	if (!m || bpf_map__type(m) != BPF_MAP_TYPE_ARRAY)
		return NULL;
	p = obj_map_mmap(m);
	if (!p)
		fail_msg("%s: mapping %s: %s", s->what, name, strerror(errno));
	return p;
}

static void side_munmap(struct side *s, const char *name, void *p)
{
	obj_map_munmap(bpf_object__find_map_by_name(s->obj, name), p);
}

static void side_load(struct side *s, const char *what, const char *path, const struct cfg *c)
{
	struct objcfg oc = { .replay = 1, .clock_replay = 1, .emit_every = c->emit_every,
			     .handshake = c->handshake, .reasm_max = REASM_MAX,
			     .conn_sets = CONN_SETS, .quic_ways = QUIC_WAYS, .mmapable = 1 };
	struct bpf_map *m;
	__u32 size;

	memset(s, 0, sizeof(*s));
	s->what = what;
	s->obj = obj_load(path, &oc);
	if (!s->obj)
		fail_msg("%s (make tests builds both objects)", objload_err);
	s->xdp = obj_prog_fd(s->obj, "hs_xdp");
	s->rb = ring_buffer__new(obj_map_fd(s->obj, "events"), on_event, s, NULL);
	m = obj_internal(s->obj, ".bss");
	if (s->xdp < 0 || !s->rb || !m ||
	    obj_var_at(s->obj, ".bss", "replay_now_ns", &s->now_off, &size) || size != 8)
		fail_msg("%s: no hs_xdp, ring buffer or replay clock", path);
	s->bss_len = bpf_map__value_size(m);
	s->bss = mmap(NULL, s->bss_len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(m), 0);
	if (s->bss == MAP_FAILED || s->bss_len < s->now_off + 8)
		fail_msg("%s: mapping .bss: %s", path, strerror(errno));
	s->flows = side_mmap(s, "flows");
	s->reasm = side_mmap(s, "reasm");
	s->conns = side_mmap(s, "conns");
	s->seen = side_mmap(s, "seen");
	if (!s->flows)
		fail_msg("%s: the flows map is not an array", path);
}

static void side_free(struct side *s)
{
	side_munmap(s, "flows", s->flows);
	side_munmap(s, "reasm", s->reasm);
	side_munmap(s, "conns", s->conns);
	side_munmap(s, "seen", s->seen);
	ring_buffer__free(s->rb);
	bpf_object__close(s->obj);
	munmap(s->bss, s->bss_len);
	free(s->ev);
}

/* ------------------------------------------------------------------ */
/* Comparing */

static void hexline(const char *what, const __u8 *b, size_t n)
{
	char line[200];
	size_t i, k = 0;

	for (i = 0; i < n && k + 3 < sizeof(line); i++)
		k += (size_t)snprintf(line + k, sizeof(line) - k, "%02x", b[i]);
	note("  %s: %s%s", what, line, i < n ? "..." : "");
}

static void mismatch(struct eq *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void mismatch(struct eq *q, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (q->bad++ >= MISMATCH_SHOWN)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	note("packet %llu: %s", (unsigned long long)q->sent, msg);
}

/* The first byte where values a and b (n bytes) differ, shown. */
static void show_diff(const char *map, const void *key, __u32 ks, const __u8 *a, const __u8 *b,
		      size_t n)
{
	size_t i;

	for (i = 0; i < n && a[i] == b[i]; i++)
		;
	note("  map %s: value bytes differ from offset %zu", map, i);
	hexline("key", key, ks);
	hexline("old", a + (i & ~15UL), n - (i & ~15UL) < 32 ? n - (i & ~15UL) : 32);
	hexline("new", b + (i & ~15UL), n - (i & ~15UL) < 32 ? n - (i & ~15UL) : 32);
}

static int is_skipped(const char *name)
{
	static const char *const skip[] = { "events", "replay_frames", "tls_walk_scratch",
					     "quic_walk" };
	int i;

	for (i = 0; i < NELEM(skip); i++)
		if (!strcmp(name, skip[i]))
			return 1;
	return 0;
}

/* The hellos in the values a and b (vlen bytes: one value of vs bytes, or
 * one per CPU, each 8-byte aligned) of map name, normalized (hello_norm). */
static void fp_norm(const char *name, __u8 *a, __u8 *b, __u32 vs, size_t vlen)
{
	size_t step = (vs + 7) & ~7UL, o;

	if (strcmp(name, "tls_fps") && strcmp(name, "tls_fp_init") &&
	    strcmp(name, "quic_fp_init") && strcmp(name, "unfp_init"))
		return;
	for (o = 0; o + sizeof(struct hs_tls_fp) <= vlen; o += step) {
		hello_norm(&((struct hs_tls_fp *)(a + o))->hello);
		hello_norm(&((struct hs_tls_fp *)(b + o))->hello);
	}
}

/* A map read whole: its n entries' keys (ks bytes each) and values
 * (vlen bytes each: per CPU, 8-byte aligned, for a per-CPU map), in the
 * map's order; by key (sort_all): order[] their indexes sorted. */
struct all {
	__u32 n, ks, *order;
	size_t vlen;
	__u8 *keys, *vals;
};

#define ALL_KEY(a, i) ((a)->keys + (size_t)(i) * (a)->ks)
#define ALL_VAL(a, i) ((a)->vals + (size_t)(i) * (a)->vlen)

/* Map m whole into r, in batches: a few system calls, not three an entry.
 * The buffers grow with what is read, from room for 256 entries (or the
 * map's all), never past the map's max_entries: a per-CPU value is KBs,
 * and a map of one entry is not given room for thousands. */
static void map_all(struct bpf_map *m, size_t vlen, struct all *r)
{
	__u32 ks = bpf_map__key_size(m), max = bpf_map__max_entries(m), cap = 0, cnt, in = 0,
	      out;
	int fd = bpf_map__fd(m), first = 1, err;

	memset(r, 0, sizeof(*r));
	r->ks = ks;
	r->vlen = vlen;
	for (;;) {
		LIBBPF_OPTS(bpf_map_batch_opts, o);

		if (cap - r->n < 256 && cap < max) {
			cap = cap ? 2 * cap : 256;
			cap = cap > max ? max : cap;
			r->keys = realloc(r->keys, (size_t)cap * ks);
			r->vals = realloc(r->vals, (size_t)cap * vlen);
			if (!r->keys || !r->vals)
				fail_msg("out of memory");
		}
		cnt = cap - r->n;
		if (!cnt)
			return;
		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, ALL_KEY(r, r->n),
					   ALL_VAL(r, r->n), &cnt, &o);
		if (err && errno != ENOENT)
			fail_msg("map %s: batched read: %s", bpf_map__name(m), strerror(errno));
		r->n += cnt;
		if (err || !cnt)
			return;
		first = 0;
		in = out;
	}
}

static void all_free(struct all *r)
{
	free(r->keys);
	free(r->vals);
	free(r->order);
}

static int by_key(const void *x, const void *y, void *ctx)
{
	const struct all *r = ctx;

	return memcmp(ALL_KEY(r, *(const __u32 *)x), ALL_KEY(r, *(const __u32 *)y), r->ks);
}

static void sort_all(struct all *r)
{
	__u32 i;

	r->order = calloc(r->n ? r->n : 1, sizeof(*r->order));
	if (!r->order)
		fail_msg("out of memory");
	for (i = 0; i < r->n; i++)
		r->order[i] = i;
	qsort_r(r->order, r->n, sizeof(*r->order), by_key, r);
}

/* The value of key in sorted r, NULL if none. */
static __u8 *all_find(const struct all *r, const void *key)
{
	__u32 lo = 0, hi = r->n;

	while (lo < hi) {
		__u32 mid = lo + (hi - lo) / 2;
		int c = memcmp(ALL_KEY(r, r->order[mid]), key, r->ks);

		if (!c)
			return ALL_VAL(r, r->order[mid]);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Map m of the old object against its namesake n of the new one, each
 * read whole (map_all). */
static void compare_map(struct eq *q, struct bpf_map *m, struct bpf_map *n)
{
	const char *name = bpf_map__name(m);
	enum bpf_map_type t = bpf_map__type(m);
	__u32 ks = bpf_map__key_size(m), vs = bpf_map__value_size(m), i;
	int percpu = t == BPF_MAP_TYPE_PERCPU_ARRAY || t == BPF_MAP_TYPE_PERCPU_HASH ||
		     t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
	int ncpu = libbpf_num_possible_cpus();
	size_t vlen = percpu ? ((vs + 7) & ~7U) * (size_t)ncpu : vs;
	struct all ra, rb;
	__u32 vsn = bpf_map__value_size(n);

	/* the stats array may have grown at its end (counters appended): the
	 * old object's counters are compared, the new ones' left alone */
	if (!strcmp(name, "stats") && t == BPF_MAP_TYPE_PERCPU_ARRAY && vsn > vs && !(vs & 7) &&
	    !(vsn & 7) && bpf_map__type(n) == t && bpf_map__key_size(n) == ks) {
		map_all(m, vlen, &ra);
		map_all(n, (size_t)vsn * (size_t)ncpu, &rb);
		for (i = 0; i < ra.n && i < rb.n; i++)
			for (int c = 0; c < ncpu; c++) {
				__u8 *nv = ALL_VAL(&rb, i) + (size_t)c * vsn;
				struct hs_stats *ns = (struct hs_stats *)nv;

				/* a tunnel's packets: non_tcp's before layout 17 */
				if (vs <= HS_ST_TUNNELED * 8 && vsn == sizeof(*ns)) {
					ns->c[HS_ST_NON_TCP] += ns->c[HS_ST_TUNNELED];
					ns->c[HS_ST_TUNNELED] = 0;
				}
				if (memcmp(ALL_VAL(&ra, i) + (size_t)c * vs, nv, vs)) {
					mismatch(q, "map stats: the old counters of CPU %d differ", c);
					if (q->bad <= MISMATCH_SHOWN)
						show_diff(name, &i, 4, ALL_VAL(&ra, i) + (size_t)c * vs,
							  nv, vs);
				}
			}
		if (ra.n != rb.n)
			mismatch(q, "map stats: %u and %u entries", ra.n, rb.n);
		q->entries += ra.n;
		all_free(&ra);
		all_free(&rb);
		return;
	}
	if (bpf_map__type(n) != t || bpf_map__key_size(n) != ks || vsn != vs) {
		mismatch(q, "map %s: type %d, key %u, value %u bytes in the old object; %d, %u, %u "
			 "in the new", name, t, ks, vs, bpf_map__type(n), bpf_map__key_size(n), vsn);
		return;
	}
	map_all(m, vlen, &ra);
	map_all(n, vlen, &rb);
	if (t == BPF_MAP_TYPE_ARRAY || t == BPF_MAP_TYPE_PERCPU_ARRAY) {
		if (ra.n != bpf_map__max_entries(m) || rb.n != ra.n)
			fail_msg("map %s: %u and %u of %u entries read", name, ra.n, rb.n,
				 bpf_map__max_entries(m));
		for (i = 0; i < ra.n; i++) {
			__u8 *a = ALL_VAL(&ra, i), *b = ALL_VAL(&rb, i);

			if (!strcmp(name, "flows"))     /* where a collection is: compare_reasm */
				((struct hs_flow *)a)->rslot = ((struct hs_flow *)b)->rslot = 0;
			fp_norm(name, a, b, vs, vlen);
			if (memcmp(a, b, vlen)) {
				mismatch(q, "map %s: entry %u differs", name, i);
				if (q->bad <= MISMATCH_SHOWN)
					show_diff(name, &i, 4, a, b, vlen);
			}
			q->entries++;
		}
		goto out;
	}
	/* hashes: every key of the old one in the new one with the same
	 * value, and as many keys in each */
	sort_all(&rb);
	for (i = 0; i < ra.n; i++) {
		__u8 *key = ALL_KEY(&ra, i), *a = ALL_VAL(&ra, i), *b = all_find(&rb, key);

		if (!b) {
			mismatch(q, "map %s: a key of the old object's is not in the new one's", name);
			if (q->bad <= MISMATCH_SHOWN)
				hexline("key", key, ks);
		} else if (fp_norm(name, a, b, vs, vlen), memcmp(a, b, vlen)) {
			mismatch(q, "map %s: the values of a key differ", name);
			if (q->bad <= MISMATCH_SHOWN)
				show_diff(name, key, ks, a, b, vlen);
		}
	}
	if (ra.n != rb.n)
		mismatch(q, "map %s: %u entries in the old object, %u in the new", name, ra.n, rb.n);
	q->entries += ra.n;
out:
	all_free(&ra);
	all_free(&rb);
}

/* Do collections a and b hold the same: their state, their in-order
 * bytes and their out-of-order ranges (what lies elsewhere in the buffer
 * was never written for them)? */
static int reasm_same(const struct hs_reasm *a, const struct hs_reasm *b)
{
	int i;

	if (memcmp(a, b, offsetof(struct hs_reasm, buf)) ||
	    memcmp(a->buf, b->buf, a->have < HS_HELLO_LIMIT ? a->have : HS_HELLO_LIMIT))
		return 0;
	for (i = 0; i < HS_REASM_RANGES; i++)
		if (a->hi[i] && a->hi[i] <= HS_HELLO_LIMIT && a->lo[i] < a->hi[i] &&
		    memcmp(a->buf + a->lo[i], b->buf + a->lo[i], a->hi[i] - a->lo[i]))
			return 0;
	return 1;
}

/* The collection of flow f in reasm map m, into *r: 1, or 0 when it has
 * none. Before issue 19 (BASE_REV) an LRU hash by flow; since, slots
 * (struct hs_reasm_slot) the flow says the number of. */
static int reasm_of(const struct side *sd, struct bpf_map *m, const struct hs_flow *f,
		    struct hs_reasm *r)
{
	const struct hs_reasm_slot *s;

	if (!sd->reasm)
		return bpf_map_lookup_elem(bpf_map__fd(m), &f->ep, r) == 0;
	if (f->rslot >= bpf_map__max_entries(m))
		return 0;
	s = &sd->reasm[f->rslot];
	if (!s->busy || memcmp(&s->ep, &f->ep, sizeof(s->ep)))
		return 0;
	*r = s->r;
	return 1;
}

/* Collections held in reasm map m (entries of the LRU hash, slots taken). */
static __u32 reasm_held(const struct side *sd, struct bpf_map *m)
{
	struct hs_endpoints key;
	int fd = bpf_map__fd(m), first = 1;
	__u32 n = 0, i;

	if (sd->reasm) {
		for (i = 0; i < bpf_map__max_entries(m); i++)
			n += !!sd->reasm[i].busy;
		return n;
	}
	while (bpf_map_get_next_key(fd, first ? NULL : &key, &key) == 0) {
		first = 0;
		n++;
	}
	return n;
}

/*
 * The collections in progress: every flow collecting (the flows maps are
 * compared apart) has the same collection in both, or none in either. A
 * collection no flow points to is never read again, in either. Once a
 * map has been full, which collections it gave up was its own choice (the
 * kernel's LRU order, or the slots' turn): the collections are from then
 * on not compared, what follows from them is (every segment's counts,
 * events and fingerprints).
 */
static void compare_reasm(struct eq *q, struct bpf_map *m, struct bpf_map *n)
{
	static struct hs_reasm ra, rb;
	struct bpf_map *fm = bpf_object__find_map_by_name(q->s[0].obj, "flows"),
		       *fn = bpf_object__find_map_by_name(q->s[1].obj, "flows");
	const struct hs_flow *fa, *fb;
	struct bpf_map *tn = bpf_object__find_map_by_name(q->s[1].obj, "reasm_turn");
	__u64 turn[2] = { 0, 0 };
	__u32 i, one = 1;
	int ha, hb;

	if (!fm || !fn || bpf_map__max_entries(fm) != bpf_map__max_entries(fn))
		fail_msg("no flows map, or two sizes of it");
	/* full once (nine tenths: between two comparisons it may have been
	 * full), or the slots have had to take one over (their second turn) */
	if (tn && bpf_map_lookup_elem(bpf_map__fd(tn), &one, &turn[1]))
		fail_msg("map reasm_turn: %s", strerror(errno));
	if (reasm_held(&q->s[0], m) >= bpf_map__max_entries(m) / 10 * 9 ||
	    reasm_held(&q->s[1], n) >= bpf_map__max_entries(n) / 10 * 9 || turn[1])
		q->reasm_full = 1;
	if (q->reasm_full)
		return;
	for (i = 0; i < bpf_map__max_entries(fm); i++) {
		fa = &q->s[0].flows[i];
		fb = &q->s[1].flows[i];
		if (fa->state != HS_FLOW_REASM || fb->state != HS_FLOW_REASM)
			continue;       /* (a difference the flows maps show) */
		ha = reasm_of(&q->s[0], m, fa, &ra);
		hb = reasm_of(&q->s[1], n, fb, &rb);
		if (ha != hb)
			mismatch(q, "map reasm: flow slot %u's collection %s in the old object, "
				 "%s in the new", i, ha ? "kept" : "lost", hb ? "kept" : "lost");
		else if (ha && !reasm_same(&ra, &rb)) {
			mismatch(q, "map reasm: flow slot %u's collections differ", i);
			if (q->bad <= MISMATCH_SHOWN)
				show_diff("reasm", &i, 4, (const __u8 *)&ra, (const __u8 *)&rb,
					  sizeof(ra));
		}
		q->entries++;
	}
}

/*
 * The connection records: an LRU hash by client side before, sets of
 * ways since (struct hs_conn_set). Every record of the new one is the old
 * one's of its key, byte for byte; one of the old ones the new one does
 * not hold was pushed out of its set: that set is full, of records no
 * older than it. No way is left locked (odd seq). The old map must never
 * have been full (it would have pushed out records of its own choice).
 */
static void compare_conns(struct eq *q, struct bpf_map *m, struct bpf_map *n)
{
	const struct hs_conn_set *sets = q->s[1].conns, *other;
	const struct hs_conn_key *key;
	const struct hs_conn *a;
	struct all old;
	__u64 na, nb = 0;
	__u32 i;
	int w, v;

	if (!sets || bpf_map__value_size(n) != sizeof(struct hs_conn_set))
		fail_msg("map conns: not sets of ways in the new object");
	map_all(m, sizeof(*a), &old);
	sort_all(&old);
	for (i = 0; i < bpf_map__max_entries(n); i++) {
		for (w = 0; w < HS_CONN_WAYS; w++) {
			const struct hs_conn_way *x = &sets[i].way[w];

			if (x->seq & 1)
				mismatch(q, "map conns: set %u way %d left locked", i, w);
			if (!x->key.family)
				continue;
			nb++;
			if (hs_conn_set(&x->key, bpf_map__max_entries(n)) != i)
				mismatch(q, "map conns: a record in set %u, not its own", i);
			a = (const struct hs_conn *)all_find(&old, &x->key);
			if (!a) {
				mismatch(q, "map conns: a record of the new object's is not in the "
					 "old one's");
				if (q->bad <= MISMATCH_SHOWN)
					hexline("key", (const __u8 *)&x->key, sizeof(x->key));
			} else if (memcmp(a, &x->c, sizeof(*a))) {
				mismatch(q, "map conns: the records of a client side differ");
				if (q->bad <= MISMATCH_SHOWN)
					show_diff("conns", &x->key, sizeof(x->key), (const __u8 *)a,
						  (const __u8 *)&x->c, sizeof(*a));
			}
		}
	}
	for (i = 0; i < old.n; i++) {
		key = (const struct hs_conn_key *)ALL_KEY(&old, i);
		a = (const struct hs_conn *)ALL_VAL(&old, i);
		other = &sets[hs_conn_set(key, bpf_map__max_entries(n))];
		for (w = 0, v = 0; w < HS_CONN_WAYS; w++) {
			if (!memcmp(&other->way[w].key, key, sizeof(*key)))
				break;
			v += other->way[w].key.family && other->way[w].c.hello_ns >= a->hello_ns;
		}
		if (w == HS_CONN_WAYS && v != HS_CONN_WAYS) {
			mismatch(q, "map conns: a record of the old object's is not in the new "
				 "one's, and its set had room");
			if (q->bad <= MISMATCH_SHOWN)
				hexline("key", (const __u8 *)key, sizeof(*key));
		}
	}
	na = old.n;
	if (na >= bpf_map__max_entries(m))
		fail_msg("map conns: the old object's is full (%llu): make it bigger",
			 (unsigned long long)na);
	q->entries += nb;
	q->conns_lost = na > nb ? na - nb : 0;
	all_free(&old);
}

/*
 * The seen entries: a hash by key before (an LRU live, a plain hash in
 * replay), sets of ways since (struct hs_seen_set). The same as for the
 * connection records: every entry of the new one is the old one's, an old
 * one missing was pushed out of a full set of entries refreshed no
 * earlier. (Novelty counted from a pushed-out entry would differ in
 * tls_fps: the map is far from full here, so none is.)
 */
static void compare_seen(struct eq *q, struct bpf_map *m, struct bpf_map *n)
{
	const struct hs_seen_set *sets = q->s[1].seen, *other;
	const struct hs_seen_key *key;
	const struct hs_seen *a;
	struct all old;
	__u64 na, nb = 0;
	__u32 i;
	int w, v;

	if (!sets || bpf_map__value_size(n) != sizeof(struct hs_seen_set))
		fail_msg("map seen: not sets of ways in the new object");
	map_all(m, sizeof(*a), &old);
	sort_all(&old);
	for (i = 0; i < bpf_map__max_entries(n); i++) {
		for (w = 0; w < HS_SEEN_WAYS; w++) {
			const struct hs_seen_way *x = &sets[i].way[w];

			if (!x->v.last_ns)
				continue;
			nb++;
			if (hs_seen_set(&x->k, bpf_map__max_entries(n)) != i)
				mismatch(q, "map seen: an entry in set %u, not its own", i);
			a = (const struct hs_seen *)all_find(&old, &x->k);
			if (!a) {
				mismatch(q, "map seen: an entry of the new object's is not in the "
					 "old one's");
				if (q->bad <= MISMATCH_SHOWN)
					hexline("key", (const __u8 *)&x->k, sizeof(x->k));
			} else if (memcmp(a, &x->v, sizeof(*a))) {
				mismatch(q, "map seen: the entries of a key differ");
				if (q->bad <= MISMATCH_SHOWN)
					show_diff("seen", &x->k, sizeof(x->k), (const __u8 *)a,
						  (const __u8 *)&x->v, sizeof(*a));
			}
		}
	}
	for (i = 0; i < old.n; i++) {
		key = (const struct hs_seen_key *)ALL_KEY(&old, i);
		a = (const struct hs_seen *)ALL_VAL(&old, i);
		other = &sets[hs_seen_set(key, bpf_map__max_entries(n))];
		for (w = 0, v = 0; w < HS_SEEN_WAYS; w++) {
			if (other->way[w].v.last_ns && !memcmp(&other->way[w].k, key, sizeof(*key)))
				break;
			v += other->way[w].v.last_ns >= a->last_ns;
		}
		if (w == HS_SEEN_WAYS && v != HS_SEEN_WAYS) {
			mismatch(q, "map seen: an entry of the old object's is not in the new "
				 "one's, and its set had room");
			if (q->bad <= MISMATCH_SHOWN)
				hexline("key", (const __u8 *)key, sizeof(*key));
		}
	}
	na = old.n;
	if (na >= bpf_map__max_entries(m))
		fail_msg("map seen: the old object's is full (%llu): make it bigger",
			 (unsigned long long)na);
	q->entries += nb;
	q->seen_lost = na > nb ? na - nb : 0;
	all_free(&old);
}

static void compare_maps(struct eq *q)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, q->s[0].obj) {
		struct bpf_map *n;

		if (bpf_map__is_internal(m) || is_skipped(bpf_map__name(m)))
			continue;
		n = bpf_object__find_map_by_name(q->s[1].obj, bpf_map__name(m));
		if (!n) {
			mismatch(q, "map %s: not in the new object", bpf_map__name(m));
			continue;
		}
		if (!strcmp(bpf_map__name(m), "reasm"))
			compare_reasm(q, m, n);
		else if (!strcmp(bpf_map__name(m), "conns"))
			compare_conns(q, m, n);
		else if (!strcmp(bpf_map__name(m), "seen"))
			compare_seen(q, m, n);
		else
			compare_map(q, m, n);
	}
	q->compares++;
}

static void compare_events(struct eq *q)
{
	struct side *a = &q->s[0], *b = &q->s[1];

	if (a->ev_len != b->ev_len || memcmp(a->ev, b->ev, a->ev_len)) {
		mismatch(q, "ring-buffer records differ: %zu bytes from the old object, %zu from "
			 "the new", a->ev_len, b->ev_len);
		if (q->bad <= MISMATCH_SHOWN)
			show_diff("events", "", 0, a->ev, b->ev,
				  a->ev_len < b->ev_len ? a->ev_len : b->ev_len);
	}
	if (a->ev_len)
		q->events++;
	a->ev_len = b->ev_len = 0;
}

/* ------------------------------------------------------------------ */
/* Sending */

#define T0_NS 1767225600000000000ULL    /* 2026-01-01: the replay clock's start */

static void send2(struct eq *q, const __u8 *pkt, __u32 len)
{
	__u32 verdict[2];
	__u64 now = T0_NS + q->sent * 1000000ULL - q->back;     /* 1 ms a packet */
	int i;

	if (len < 14 || len > BUF_MAX) {        /* the kernel takes neither */
		q->skipped++;
		return;
	}
	for (i = 0; i < 2; i++) {
		struct side *s = &q->s[i];
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len, .repeat = 1);

		memcpy(s->bss + s->now_off, &now, 8);
		if (bpf_prog_test_run_opts(s->xdp, &o))
			fail_msg("%s: test run: %s", s->what, strerror(errno));
		verdict[i] = o.retval;
		ring_buffer__consume(s->rb);
	}
	if (verdict[0] != verdict[1]) {
		mismatch(q, "verdict %u from the old object, %u from the new", verdict[0],
			 verdict[1]);
		if (q->bad <= MISMATCH_SHOWN)
			hexline("packet", pkt, len);
	}
	compare_events(q);
	q->sent++;
	if (q->sent % q->every == 0)
		compare_maps(q);
}

static void send_pframe(void *q, const struct pframe *f)
{
	send2(q, f->b, (__u32)f->len);
}

static void send_spec(struct eq *q, const struct pspec *p)
{
	static struct frame f;

	build(p, &f);
	send2(q, f.b, (__u32)f.len);
}

/* ------------------------------------------------------------------ */
/* The packets */

static void dump_remove(void);

static const char *dump_path(void)
{
	static char path[64];

	if (!path[0]) {
		snprintf(path, sizeof(path), "/tmp/hs-equiv-%d.pkts", (int)getpid());
		atexit(dump_remove);    /* a failure past it leaves no file behind */
	}
	return path;
}

static void dump_remove(void)
{
	unlink(dump_path());
}

/* Every packet the fixture tests run, once for all configurations: each
 * test run with HS_PKT_DUMP (its own result is its own test's). */
static void fixtures_collect(void)
{
	static const char *const tests[] = { "test_xdp", "test_tls", "test_reasm", "test_seen",
					     "test_quicbpf" };
	const char *out = getenv("HS_OUT") ? getenv("HS_OUT") : ".output";
	char cmd[512];
	int i;

	unlink(dump_path());
	for (i = 0; i < NELEM(tests); i++) {
		snprintf(cmd, sizeof(cmd),
			 "HS_PKT_DUMP=%s HS_REASM_QUICK=1 %s/tests/%s >/dev/null 2>&1",
			 dump_path(), out, tests[i]);
		if (system(cmd) == -1)
			note("couldn't run %s", tests[i]);
	}
}

static void source_fixtures(struct eq *q)
{
	static __u8 b[65536];
	FILE *f = fopen(dump_path(), "rb");
	__u32 len;
	__u64 n = 0;

	if (!f)
		fail_msg("no fixture packets in %s", dump_path());
	while (fread(&len, 4, 1, f) == 1 && len <= sizeof(b) && fread(b, 1, len, f) == len) {
		send2(q, b, len);
		n++;
	}
	fclose(f);
	if (n < 1000)
		fail_msg("only %llu fixture packets: the fixture tests did not run",
			 (unsigned long long)n);
	note("fixture tests' packets: %llu", (unsigned long long)n);
}

static __u64 source_capture(struct eq *q, const char *path)
{
	struct capture_frame fr = { 0 };
	char err[256];
	struct capture *c = capture_open(path, err, sizeof(err));
	__u64 n = 0;

	if (!c) {
		note("%s: %s", path, err);
		return 0;
	}
	while (capture_next(c, &fr) == 1) {
		send2(q, fr.data, fr.len);
		n++;
	}
	capture_close(c);
	return n;
}

/* Every capture file in dir; the packets. */
static __u64 source_dir(struct eq *q, const char *dir, int *files)
{
	struct dirent **ents;
	char path[1024];
	__u64 n = 0;
	int i, k = scandir(dir, &ents, NULL, alphasort);

	for (i = 0; i < k; i++) {
		const char *e = strrchr(ents[i]->d_name, '.');

		if (e && (!strcmp(e, ".pcap") || !strcmp(e, ".pcapng") || !strcmp(e, ".cap"))) {
			snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
			n += source_capture(q, path);
			(*files)++;
		}
		free(ents[i]);
	}
	free(ents);
	return n;
}

static void source_captures(struct eq *q)
{
	const char *vec = getenv("HS_VECTORS") ? getenv("HS_VECTORS") : "../shared/vectors";
	char dir[512];
	int files = 0;
	__u64 n = source_dir(q, "tests/data/templates", &files);

	note("tests/data/templates: %llu packets in %d captures", (unsigned long long)n, files);
	snprintf(dir, sizeof(dir), "%s/foxio-ja4", vec);
	if (access(dir, R_OK)) {
		note("%s: not there, its captures left out", dir);
		return;
	}
	files = 0;
	n = source_dir(q, dir, &files);
	note("%s: %llu packets in %d captures", dir, (unsigned long long)n, files);
}

/* SYN option layouts: the three templates, Linux without timestamps
 * (opt_linux_no_ts), and the general walk's. */
static int syn_opts(__u8 *o)
{
	static const __u8 linux_[] = { 2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 1, 0xe2, 0x40, 0, 0, 0, 0,
				       1, 3, 3, 7 };
	static const __u8 win[] = { 2, 4, 5, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2 };
	static const __u8 nots[] = { 2, 4, 5, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7 };
	static const __u8 apple[] = { 2, 4, 5, 0xb4, 1, 3, 3, 6, 1, 1, 8, 10, 0x12, 0x34, 0x56,
				      0x78, 0, 0, 0, 0, 4, 2, 0, 0 };
	static const __u8 kinds[] = { 0, 1, 2, 3, 4, 5, 8, 28, 30, 34, 254 };
	int n = 0, i, k = (int)below(6), ws, ts;

	if (k == 0 || k == 3) {
		memcpy(o, linux_, sizeof(linux_));
		n = sizeof(linux_);
	} else if (k == 1) {
		memcpy(o, win, sizeof(win));
		n = sizeof(win);
	} else if (k == 2) {
		memcpy(o, apple, sizeof(apple));
		n = sizeof(apple);
	} else if (k == 5) {
		memcpy(o, nots, sizeof(nots));
		n = sizeof(nots);
	} else {                /* random kinds and lengths */
		n = 4 * (int)below(11);
		for (i = 0; i < n; i++)
			o[i] = below(2) ? kinds[below(sizeof(kinds))] : (__u8)below(12);
		return n;
	}
	/* the values: mss, ws (14, 15, any), timestamps zero or not; the
	 * layout's scale byte and its timestamps' first byte (0: none) */
	ws = k == 0 || k == 3 ? 19 : k == 5 ? 11 : 7;
	ts = k == 0 || k == 3 ? 8 : k == 2 ? 12 : 0;
	o[2] = (__u8)rnd();
	o[3] = (__u8)rnd();
	o[ws] = below(3) ? (__u8)(13 + below(4)) : (__u8)rnd();
	for (i = ts; ts && i < ts + 8; i++)
		o[i] = below(2) ? 0 : (__u8)rnd();
	/* one byte off the layout: a kind, a length, a padding byte */
	for (i = (int)below(4) == 0 ? (int)below(3) + 1 : 0; i > 0; i--)
		o[below((unsigned int)n)] = below(2) ? (__u8)rnd() : (__u8)below(12);
	return n;
}

static void shape_syn(struct eq *q, __u16 sport)
{
	static __u8 o[40];
	struct pspec p = { .ver = below(3) ? 4 : 6, .ttl = (__u8)(32 + below(224)), .ip_id = 7,
			   .frag = below(4) ? IPF_DF : 0, .sport = sport, .dport = 443,
			   .seq = 1000, .tflags = TH_SYN, .win = (__u16)rnd() };

	p.olen = syn_opts(o);
	p.opts = o;
	if (below(8) == 0)
		p.payload = (int)below(40);
	send_spec(q, &p);
}

static const __u16 *rand16(__u16 *v, int n, int grease)
{
	int i;

	for (i = 0; i < n; i++)
		v[i] = grease && below(6) == 0 ? (__u16)(0x0a0a + 0x1010 * below(16)) :
		       (__u16)(below(4) ? below(0x40) : rnd());
	return v;
}

/* A ClientHello of random lists (around and past the fast walk's
 * bounds), extensions (duplicates, GREASE, lies) and records. */
static int shape_hello(__u8 *out, int cap)
{
	static const __u16 pool[] = { 0x0000, 0x000a, 0x000b, 0x000d, 0x0010, 0x002b, 0x0015,
				      0x0017, 0x0023, 0x0005, 0x0033, 0x002d, 0x001b, 0xff01,
				      0x4469, 0x1a1a, 0xfafa, 0x0012, 0x0031 };
	static __u16 ciphers[200], exts[64], groups[64], sigs[80], vers[12];
	static __u8 ecpf[16];
	static char sni[120];
	static const char *alpn[4];
	static char alpnv[3][50];
	struct hspec h = SPEC();
	int i, n;

	h.nc = (int)(below(4) ? below(70) : below(200));
	h.ciphers = rand16(ciphers, h.nc, 1);
	if (below(10) == 0)
		h.gen_ciphers = (int)below(300);
	h.ne = (int)(below(4) ? below(30) : below(64));
	for (i = 0; i < h.ne; i++)
		exts[i] = below(6) ? pool[below(NELEM(pool))] : (__u16)rnd();
	h.exts = exts;
	h.ng = (int)(below(3) ? below(12) : below(64));
	h.groups = rand16(groups, h.ng, 1);
	h.ns = (int)(below(3) ? below(24) : below(80));
	h.sigs = rand16(sigs, h.ns, 1);
	h.nv = (int)below(12);
	h.vers = rand16(vers, h.nv, 1);
	h.nep = (int)below(16);
	for (i = 0; i < h.nep; i++)
		ecpf[i] = (__u8)below(4);
	h.ecpf = ecpf;
	n = (int)(below(4) ? below(30) : below(110));
	for (i = 0; i < n; i++)
		sni[i] = (char)('a' + below(26));
	sni[n] = 0;
	h.sni = below(8) ? sni : NULL;
	for (i = 0; i < 3; i++) {
		int l = (int)(below(3) ? below(9) : below(45)), j;

		for (j = 0; j < l; j++)
			alpnv[i][j] = (char)(0x20 + below(0x60));
		alpnv[i][l] = 0;
		alpn[i] = alpnv[i];
	}
	alpn[below(4)] = NULL;
	h.alpn = alpn;
	h.pad = (int)below(3) * (int)below(300);
	if (below(8) == 0)
		h.gen_exts = (int)below(40);
	h.nosid = below(4) == 0;
	if (below(6) == 0) {    /* a lie somewhere */
		switch (below(5)) {
		case 0: h.cipher_adj = (int)below(7) - 3; break;
		case 1: h.lie_idx = 1 + (int)below((unsigned int)h.ne + 1);
			h.lie_adj = (int)below(9) - 4; break;
		case 2: h.exts_adj = (int)below(9) - 4; break;
		case 3: h.hs_adj = (int)below(9) - 4; break;
		default: h.sid_lie = (int)below(256); break;
		}
	}
	if (below(8) == 0)
		h.legacy = (__u16)(0x0300 + below(5));
	if (below(6) == 0)
		h.split = 1 + (int)below(400);
	return build_hello(&h, out, cap);
}

/* p, a connection's SYN, made one of its client's data segments (the
 * server's ISN as a fixture's); seq, data and payload the caller's. */
static void to_data(struct pspec *p)
{
	p->tflags = TH_ACK | TH_PSH;
	p->ack = 5000;
	p->opts = NULL;
	p->olen = 0;
}

/* A connection: its SYN (or none), then a random ClientHello in one to
 * three segments (the second before the first, now and then). */
static void shape_conn(struct eq *q, __u16 sport)
{
	static __u8 hello[HELLO_MAX];
	struct pspec p = { .ver = below(3) ? 4 : 6, .ttl = 64, .ip_id = 7, .frag = IPF_DF,
			   .sport = sport, .dport = below(8) ? 443 : 8443, .seq = 1000,
			   .tflags = TH_SYN, .win = 64240 };
	int len = shape_hello(hello, sizeof(hello)), cut[4], nseg, i, order;

	p.opts = (const __u8 *)(p.ver == 6 ? LINUX6 : LINUX4);
	p.olen = 20;
	if (below(8))
		send_spec(q, &p);
	nseg = len > 2 * SEG_MAX ? 3 : len > SEG_MAX ? 2 + (int)below(2) : 1 + (int)below(2);
	cut[0] = 0;
	cut[nseg] = len;
	for (i = 1; i < nseg; i++) {
		int lo = cut[i - 1] + 1, hi = len - (nseg - i);
		int c = len - (nseg - i) * SEG_MAX > lo ? len - (nseg - i) * SEG_MAX : lo;

		cut[i] = c + (int)below((unsigned int)(hi - c > 0 ? (hi - c < SEG_MAX ? hi - c : SEG_MAX) : 1));
		if (cut[i] - cut[i - 1] > SEG_MAX)
			cut[i] = cut[i - 1] + SEG_MAX;
	}
	if (cut[nseg] - cut[nseg - 1] > SEG_MAX)
		return;         /* too large to send: the next one */
	order = nseg > 1 && below(6) == 0;
	to_data(&p);
	for (i = 0; i < nseg; i++) {
		int k = order ? nseg - 1 - i : i;

		p.seq = 1001 + (__u32)cut[k];
		p.data = hello + cut[k];
		p.payload = cut[k + 1] - cut[k];
		send_spec(q, &p);
	}
}

static void source_shapes(struct eq *q, __u64 n)
{
	__u64 i;

	for (i = 0; i < n; i++) {
		shape_syn(q, (__u16)(1024 + i % 60000));
		shape_conn(q, (__u16)(1024 + (i + 30000) % 60000));
	}
	note("SYN layouts and ClientHellos of random shapes: %llu of each",
	     (unsigned long long)n);
}

/*
 * Connections crowding a few flow slots (CROWD_SLOTS of them), a SYN from
 * a new one most packets, each from its own source (198.18.0.0/15) and
 * port, sought to fall in one of those slots: at a millisecond a packet,
 * each slot is mostly held (HS_FLOW_HOLD_NS) by another's handshake, as a
 * flood's slots are, so that a SYN is refused its slot (whether a SYN's
 * own slot is held, the slot's tag and SYN time tell today's program
 * without the slot); some SYNs again, some hellos after them (their slots
 * done: taken again at once), some hellos of a slot's older connection;
 * one packet in eight timed up to 1.5 ms before the one before it.
 */
#define CROWD_SLOTS 16
#define CROWD_RECENT 64

/* Today's counter c, summed over the CPUs. */
static __u64 stat_sum(struct eq *q, int c)
{
	int ncpu = libbpf_num_possible_cpus(), fd, i;
	struct hs_stats *v = calloc((size_t)ncpu, sizeof(*v));
	__u64 sum = 0;
	__u32 zero = 0;

	fd = bpf_map__fd(bpf_object__find_map_by_name(q->s[1].obj, "stats"));
	if (v && !bpf_map_lookup_elem(fd, &zero, v))
		for (i = 0; i < ncpu; i++)
			sum += v[i].c[c];
	free(v);
	return sum;
}

static void source_crowd(struct eq *q, __u64 n)
{
	static __u8 hello[HELLO_MAX];
	__u32 slot[CROWD_SLOTS], dst = inet_addr(DEF_DST4), src, s;
	struct { __u32 src; __u16 sport, dport; } recent[CROWD_RECENT];
	char srcs[INET_ADDRSTRLEN];
	__u64 i, start = q->sent, busy = stat_sum(q, HS_ST_FLOW_BUSY);
	int k, nrecent = 0, len;

	for (k = 0; k < CROWD_SLOTS; k++)
		slot[k] = (__u32)rnd() & (HS_FLOWS_MAX - 1);
	for (i = 0; i < n; i++) {
		struct pspec p = { .ver = 4, .ttl = 64, .ip_id = 7, .frag = IPF_DF, .seq = 1000,
				   .tflags = TH_SYN, .win = 64240, .opts = (const __u8 *)LINUX4,
				   .olen = 20 };
		unsigned int what = below(10);

		if (what < 6 || !nrecent) {     /* a new connection's SYN */
			__u16 sport, dport = below(8) ? 443 : 8443;

			for (;;) {
				src = htonl(0xc6120000u | (__u32)(rnd() & 0x1ffff));   /* 198.18.0.0/15 */
				sport = (__u16)(1024 + below(64000));
				s = hs_flow_slot(src, dst, (__u32)htons(sport) | (__u32)htons(dport) << 16,
						 HS_FLOWS_MAX);
				for (k = 0; k < CROWD_SLOTS && slot[k] != s; k++)
					;
				if (k < CROWD_SLOTS)
					break;
			}
			k = nrecent < CROWD_RECENT ? nrecent++ : (int)below(CROWD_RECENT);
			recent[k].src = src;
			recent[k].sport = sport;
			recent[k].dport = dport;
		} else {
			k = (int)below((unsigned int)nrecent);
		}
		/* now and then a packet a little before the last (a capture's
		 * out of order, a clock read before another CPU's) */
		q->back = below(8) ? 0 : below(1500000);
		inet_ntop(AF_INET, &recent[k].src, srcs, sizeof(srcs));
		p.src = srcs;
		p.sport = recent[k].sport;
		p.dport = recent[k].dport;
		if (what >= 8) {                /* its hello, in one segment */
			len = shape_hello(hello, sizeof(hello));
			if (len > SEG_MAX)
				continue;
			to_data(&p);
			p.seq = 1001;
			p.data = hello;
			p.payload = len;
		}
		send_spec(q, &p);
	}
	q->back = 0;
	busy = stat_sum(q, HS_ST_FLOW_BUSY) - busy;
	note("connections crowding %d flow slots: %llu packets, %llu SYNs refused a held slot",
	     CROWD_SLOTS, (unsigned long long)(q->sent - start), (unsigned long long)busy);
	if (n >= 1000 && busy < n / 10)
		fail_msg("crowding the flow slots refused only %llu SYNs a slot",
			 (unsigned long long)busy);
}

static void source_fuzz(struct eq *q, __u64 packets)
{
	static struct pframe f;
	__u64 start = q->sent;
	__u16 sport = 1024;
	int s, i, len, j;

	make_seeds();
	for (s = 0; s < nseeds; s++)
		for (i = 0; i < seeds[s].n; i++)
			for (len = 14; len < seeds[s].f[i].len; len++) {
				for (j = 0; j < i; j++)
					send_pframe(q, &seeds[s].f[j]);
				f = seeds[s].f[i];
				f.len = len;
				send_pframe(q, &f);
			}
	note("every truncation of the fuzzer's %d seed connections: %llu packets", nseeds,
	     (unsigned long long)(q->sent - start));
	start = q->sent;
	while (q->sent - start < packets && q->bad < 100) {
		if (below(10) == 0) {
			pktgen_random(&f);
			send_pframe(q, &f);
		} else {
			pktgen_case(sport++, send_pframe, q);
		}
	}
	note("fuzzed: %llu packets", (unsigned long long)(q->sent - start));
}

/* ------------------------------------------------------------------ */

static __u64 env_u64(const char *name, __u64 def)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : def;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* Today's fingerprinting counters. */
static void count_fps(struct eq *q)
{
	q->syns = stat_sum(q, HS_ST_SYNS);
	q->hellos = stat_sum(q, HS_ST_HELLOS);
}

static void test_equiv(void **state)
{
	const char *base = getenv("HS_EQUIV_OLD") ? getenv("HS_EQUIV_OLD") :
			   ".output/base/hydrascope.bpf.o";
	const char *cur = getenv("HS_EQUIV_NEW") ? getenv("HS_EQUIV_NEW") :
			  ".output/hydrascope.bpf.o";
	__u64 packets = env_u64("HS_EQUIV_PACKETS", 150000), seed = env_u64("HS_EQUIV_SEED", 0);
	__u64 shapes = env_u64("HS_EQUIV_SHAPES", 5000), total = 0, syns = 0, hellos = 0;
	__u64 crowd = env_u64("HS_EQUIV_CROWD", 20000);
	double t0 = now_s();
	int c, bad = 0;

	(void)state;
	if (geteuid() != 0) {
		note("skipped: not root: BPF_PROG_TEST_RUN of XDP needs root");
		skip();
	}
	if (access(base, R_OK)) {
		note("skipped: no %s (make tests builds it from git: BASE_REV)", base);
		skip();
	}
	if (!seed)
		seed = (__u64)time(NULL);
	note("seed %llu (HS_EQUIV_SEED=%llu repeats this run)", (unsigned long long)seed,
	     (unsigned long long)seed);
	fixtures_collect();
	for (c = 0; c < NELEM(cfgs); c++) {
		struct eq q = { .every = env_u64("HS_EQUIV_EVERY", 25000) };

		note("configuration: %s", cfgs[c].name);
		rng = (seed + (__u64)c) | 1;
		side_load(&q.s[0], "old", base, &cfgs[c]);
		side_load(&q.s[1], "new", cur, &cfgs[c]);
		source_fixtures(&q);
		compare_maps(&q);
		source_captures(&q);
		compare_maps(&q);
		source_shapes(&q, shapes);
		compare_maps(&q);
		source_crowd(&q, crowd);
		compare_maps(&q);
		source_fuzz(&q, packets);
		compare_maps(&q);
		count_fps(&q);
		note("%llu packets (%llu not sendable), %llu with ring-buffer records, maps compared "
		     "%llu times (%llu entries), %llu SYNs and %llu ClientHellos fingerprinted: %d "
		     "differences", (unsigned long long)q.sent, (unsigned long long)q.skipped,
		     (unsigned long long)q.events, (unsigned long long)q.compares,
		     (unsigned long long)q.entries, (unsigned long long)q.syns,
		     (unsigned long long)q.hellos, q.bad);
		if (q.reasm_full)
			note("  (a reasm map was full: its collections not compared from then on)");
		note("  at the end, pushed out of a full set of the new object's: %llu connection "
		     "records, %llu seen entries of the old one's", (unsigned long long)q.conns_lost,
		     (unsigned long long)q.seen_lost);
		total += q.sent;
		syns += q.syns;
		hellos += q.hellos;
		bad += q.bad;
		side_free(&q.s[0]);
		side_free(&q.s[1]);
	}
	unlink(dump_path());
	note("in all: %llu packets, %llu SYNs and %llu ClientHellos fingerprinted, %.1f s",
	     (unsigned long long)total, (unsigned long long)syns, (unsigned long long)hellos,
	     now_s() - t0);
	if (bad)
		fail_msg("%d differences between %s and %s (seed %llu)", bad, base, cur,
			 (unsigned long long)seed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equiv),
	};

	/* both objects' per-CPU maps and budgets on the same CPU */
	if (pin_this_cpu("test_equiv"))
		return 1;
	return cmocka_run_group_tests_name("equiv", tests, NULL, NULL);
}
