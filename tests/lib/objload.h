/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A build of the BPF object loaded from its file by name, with plain
 * libbpf (no skeleton): today's and BASE_REV's (Makefile), whose layouts
 * may differ, set up alike for test_equiv and bench_pkt. Globals are set
 * by name through the object's BTF (before load in .rodata and .data,
 * after load in .bss through the map). Errors: NULL or -1 with the reason
 * in objload_err.
 */
#ifndef HS_TESTS_OBJLOAD_H
#define HS_TESTS_OBJLOAD_H

#include <errno.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "hydrascope.h"
#include "bpfobj.h"

static char objload_err[256];

struct objcfg {
	int replay;             /* replay's maps (no preallocation, seen a plain hash) */
	__u8 clock_replay;      /* the clock is the replay_now_ns global */
	__u8 emit_every;
	__u8 handshake;         /* enum hs_check; 0: HS_CHECK_SYN */
	__u8 vary_src;          /* bench_vary_src */
	__u8 no_conns;          /* bench_no_conns */
	__u32 reasm_max;        /* > 0: the reasm map this big (the LRU hash before
				 * issue 19, the slots since) */
	__u32 conn_sets;        /* > 0: the conns map this many sets (since layout
				 * 14; before, an LRU hash left as it is) */
	__u32 quic_ways;        /* > 0: the quic_flows map's sets this many slots
				 * (since layout 15; before, one, left as it is) */
	__u8 mmapable;          /* the big array maps (flows, reasm, conns, seen,
				 * where they are arrays) BPF_F_MMAPABLE: a test
				 * reads them in place (obj_map_mmap), no copies */
};

static inline struct bpf_map *obj_internal(struct bpf_object *obj, const char *sec)
{
	struct bpf_map *m;
	size_t n = strlen(sec);

	bpf_object__for_each_map(m, obj) {
		const char *name = bpf_map__name(m);
		size_t l = strlen(name);

		if (bpf_map__is_internal(m) && l >= n && !strcmp(name + l - n, sec))
			return m;
	}
	return NULL;
}

/* Where global name lives in section sec (.rodata, .data, .bss): 0, or -1. */
static inline int obj_var_at(struct bpf_object *obj, const char *sec, const char *name, __u32 *off,
		      __u32 *size)
{
	struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *t;
	int id, i;

	id = btf ? btf__find_by_name_kind(btf, sec, BTF_KIND_DATASEC) : -1;
	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, (__u32)id);
	vs = btf_var_secinfos(t);
	for (i = 0; i < btf_vlen(t); i++, vs++) {
		const struct btf_type *v = btf__type_by_id(btf, vs->type);

		if (!strcmp(btf__name_by_offset(btf, v->name_off), name)) {
			*off = vs->offset;
			*size = vs->size;
			return 0;
		}
	}
	return -1;
}

/* A global's value (n bytes, its size): before load its initial value
 * (.rodata, .data), after load through the map (.data, .bss). 0 or -1. */
static inline int obj_set(struct bpf_object *obj, const char *sec, const char *name, const void *v,
		   __u32 n, int loaded)
{
	struct bpf_map *m = obj_internal(obj, sec);
	__u32 off = 0, size = 0, zero = 0;
	size_t len = 0;
	const void *cur = m ? bpf_map__initial_value(m, &len) : NULL;
	__u8 *img;
	int err;

	if (m && loaded)
		len = bpf_map__value_size(m);
	img = m && len ? malloc(len) : NULL;
	if (!img || obj_var_at(obj, sec, name, &off, &size) || size != n || off + n > len) {
		snprintf(objload_err, sizeof(objload_err), "%s: no global %s of %u bytes", sec,
			 name, n);
		free(img);
		return -1;
	}
	if (loaded)
		err = bpf_map_lookup_elem(bpf_map__fd(m), &zero, img);
	else
		err = cur ? (memcpy(img, cur, len), 0) : -1;
	if (!err) {
		memcpy(img + off, v, n);
		err = loaded ? bpf_map_update_elem(bpf_map__fd(m), &zero, img, BPF_ANY) :
			       bpf_map__set_initial_value(m, img, len);
	}
	free(img);
	if (err)
		snprintf(objload_err, sizeof(objload_err), "%s: setting %s: %s", sec, name,
			 strerror(errno));
	return err ? -1 : 0;
}

/* The object at path, set up as c says (and as hs_open does), loaded. */
static inline struct bpf_object *obj_load(const char *path, const struct objcfg *c)
{
	static const char *const off[] = { "hs_replay", "hs_getsockopt", "hs_setsockopt",
					   "hs_xdp_l3", "hs_xdp_drop", "hs_xdp_l3_drop" };
	static const char *const big[] = { "flows", "reasm", "conns", "seen" };
	__u8 clock = c->clock_replay ? HS_CLOCK_REPLAY : HS_CLOCK_MONO;
	__u8 hc = c->handshake ? c->handshake : HS_CHECK_SYN;
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *p;
	struct bpf_map *m;
	int ncpu = libbpf_num_possible_cpus(), err;
	__u32 cap, qoff, qsize;
	unsigned int i;

	if (!obj) {
		snprintf(objload_err, sizeof(objload_err), "opening %s: %s", path, strerror(errno));
		return NULL;
	}
	m = bpf_object__find_map_by_name(obj, "tcp_fps");
	cap = m ? bpf_map__max_entries(m) / 2 / (__u32)(ncpu > 0 ? ncpu : 1) : 1;
	if (!cap)
		cap = 1;
	if (!m || obj_set(obj, ".rodata", "clock_mode", &clock, 1, 0) ||
	    obj_set(obj, ".rodata", "emit_every", &c->emit_every, 1, 0) ||
	    obj_set(obj, ".rodata", "bench_vary_src", &c->vary_src, 1, 0) ||
	    obj_set(obj, ".rodata", "bench_no_conns", &c->no_conns, 1, 0) ||
	    obj_set(obj, ".rodata", "tcp_new_cap", &cap, 4, 0) ||
	    obj_set(obj, ".data", "handshake_check", &hc, 1, 0))
		goto fail;
	if (c->replay) {
		bpf_map__set_map_flags(m, BPF_F_NO_PREALLOC);
		bpf_map__set_map_flags(bpf_object__find_map_by_name(obj, "tls_fps"),
				       BPF_F_NO_PREALLOC);
		bpf_map__set_map_flags(bpf_object__find_map_by_name(obj, "pairs"),
				       BPF_F_NO_PREALLOC);
		/* replay's seen map before layout 14 (an LRU then) */
		m = bpf_object__find_map_by_name(obj, "seen");
		if (bpf_map__type(m) == BPF_MAP_TYPE_LRU_HASH) {
			bpf_map__set_type(m, BPF_MAP_TYPE_HASH);
			bpf_map__set_map_flags(m, BPF_F_NO_PREALLOC);
		}
		bpf_map__set_max_entries(bpf_object__find_map_by_name(obj, "enforce"), 1);
	} else {
		bpf_map__set_max_entries(bpf_object__find_map_by_name(obj, "replay_frames"), 1);
	}
	m = bpf_object__find_map_by_name(obj, "conns");
	if (c->conn_sets && m && bpf_map__type(m) == BPF_MAP_TYPE_ARRAY &&
	    (bpf_map__set_max_entries(m, c->conn_sets) ||
	     obj_set(obj, ".rodata", "conn_sets", &c->conn_sets, 4, 0)))
		goto fail;
	if (c->quic_ways && !obj_var_at(obj, ".rodata", "quic_ways", &qoff, &qsize) &&
	    obj_set(obj, ".rodata", "quic_ways", &c->quic_ways, 4, 0))
		goto fail;
	m = bpf_object__find_map_by_name(obj, "reasm");
	if (c->reasm_max && m) {
		bpf_map__set_max_entries(m, c->reasm_max);
		m = bpf_object__find_map_by_name(obj, "reasm_free");
		if (m && (bpf_map__set_max_entries(m, c->reasm_max) ||
			  obj_set(obj, ".rodata", "reasm_slots", &c->reasm_max, 4, 0)))
			goto fail;
	}
	for (i = 0; c->mmapable && i < sizeof(big) / sizeof(big[0]); i++) {
		m = bpf_object__find_map_by_name(obj, big[i]);
		if (m && bpf_map__type(m) == BPF_MAP_TYPE_ARRAY)
			bpf_map__set_map_flags(m, bpf_map__map_flags(m) | BPF_F_MMAPABLE);
	}
	for (i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		p = bpf_object__find_program_by_name(obj, off[i]);
		if (p)
			bpf_program__set_autoload(p, false);
	}
	err = bpf_object__load(obj);
	if (err) {
		snprintf(objload_err, sizeof(objload_err), "loading %s: %s", path, strerror(-err));
		goto fail_quiet;
	}
	/* live, the clock on the ticks as hs_load puts it (a build without
	 * the hs_clock program keeps the coarse clock's helper) */
	p = bpf_object__find_program_by_name(obj, "hs_clock");
	if (!c->clock_replay && p) {
		__u64 tick, base;

		err = hs_clock_measure(bpf_program__fd(p), &tick, &base);
		if (err || obj_set(obj, ".bss", "jiffy_base_ns", &base, 8, 1) ||
		    obj_set(obj, ".bss", "jiffy_ns", &tick, 8, 1)) {
			snprintf(objload_err, sizeof(objload_err), "%s: the clock's ticks: %s",
				 path, strerror(err ? -err : errno));
			goto fail;
		}
	}
	return obj;
fail:
	/* objload_err says why */
fail_quiet:
	bpf_object__close(obj);
	return NULL;
}

static inline int obj_prog_fd(struct bpf_object *obj, const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, name);

	return p ? bpf_program__fd(p) : -1;
}

/* Array map m's values in place (made BPF_F_MMAPABLE: objcfg.mmapable),
 * read-only, or NULL (errno); obj_map_munmap gives it back. */
static inline void *obj_map_mmap(struct bpf_map *m)
{
	size_t len = (size_t)bpf_map__max_entries(m) * ((bpf_map__value_size(m) + 7) & ~7U);
	void *p;

	if (bpf_map__type(m) != BPF_MAP_TYPE_ARRAY || !(bpf_map__map_flags(m) & BPF_F_MMAPABLE)) {
		errno = EINVAL;
		return NULL;
	}
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, bpf_map__fd(m), 0);
	return p == MAP_FAILED ? NULL : p;
}

static inline void obj_map_munmap(struct bpf_map *m, void *p)
{
	if (p)
		munmap(p, (size_t)bpf_map__max_entries(m) * ((bpf_map__value_size(m) + 7) & ~7U));
}

static inline int obj_map_fd(struct bpf_object *obj, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	return m ? bpf_map__fd(m) : -1;
}

#endif /* HS_TESTS_OBJLOAD_H */
