// SPDX-License-Identifier: BSD-3-Clause
/* `hydrascope status`: a running instance's attachments, map fill levels,
 * enforcement entries and health counters; also what the exporter reads
 * of the same (map sizes, attachments). */
#include <errno.h>
#include <stdint.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>
#include <linux/if_link.h>

#include "status.h"
#include "bpfobj.h"
#include "cmd.h"
#include "log.h"
#include "opts.h"
#include "p0f.h"
#include "pins.h"
#include "quic.h"
#include "fps.h"
#include "hs_hash.h"
#include "seenfile.h"
#include "util.h"
#include "window.h"

/* How long status counts the seen map for, without -v. */
#define SEEN_BUDGET_MS 100
#define SEEN_BUDGET_TEXT "0.1 s"

struct status_opts {
	const char *pin_dir;
	bool json;
};

static const struct hs_cmd_opts status_cmd = {
	.cmd = "status",
	.col = 21,
	.opts = (const struct hs_opt[]){
		HS_OPT_JSON(struct status_opts, json, "one JSON object"),
		HS_OPT_PIN_DIR(struct status_opts, pin_dir,
			       "maps of the instance to read (default " HS_DEFAULT_PIN_DIR ")"),
		HS_OPT_VERBOSE("count all of the seen map, however long it takes\n"
			       "(otherwise " SEEN_BUDGET_TEXT "'s worth: a full map takes\n"
			       "some 50 ms)"),
		{ 0 }
	},
};

__u32 hs_map_max(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.max_entries;
}

__u32 hs_map_count(int fd)
{
	/* room for any key of ours (the seen map's are 24 bytes) */
	__u64 key[8], next[8];
	void *prev = NULL;
	__u32 n = 0;

	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		memcpy(key, next, sizeof(key));
		prev = key;
		n++;
	}
	return n;
}

/* Id of the program a running instance pinned in pin_dir; 0: none. */
static __u32 pinned_prog_id(const char *pin_dir)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = hs_pin_get(pin_dir, HS_PROG_PIN);
	__u32 id = 0;

	if (fd < 0)
		return 0;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		id = info.id;
	close(fd);
	return id;
}

int hs_attachments(const char *pin_dir, struct hs_attach *at, int max)
{
	__u32 prog_id = pinned_prog_id(pin_dir);
	struct if_nameindex *ifs, *it;
	int n = 0;

	if (!prog_id)
		return 0;
	ifs = if_nameindex();
	for (it = ifs; it && it->if_index && n < max; it++) {
		LIBBPF_OPTS(bpf_xdp_query_opts, q);

		if (bpf_xdp_query((int)it->if_index, 0, &q) || q.prog_id != prog_id)
			continue;
		snprintf(at[n].ifname, sizeof(at[n].ifname), "%s", it->if_name);
		at[n].ifindex = (int)it->if_index;
		at[n].mode = q.attach_mode;
		at[n].prog_id = prog_id;
		n++;
	}
	if (ifs)
		if_freenameindex(ifs);
	return n;
}

/* What status shows of an instance. */
struct status_data {
	const char *pin_dir;
	struct hs_attach att[HS_ATTACH_MAX];
	int n_att;
	__u32 fps_n, fps_max, tls_n, tls_max;
	size_t seen_n;                  /* the seen map's entries, or those counted */
	__u32 seen_max;                 /* 0: no seen map (an older instance) */
	bool seen_partial;              /* seen_n: those counted within the budget */
	struct hs_stats sum;
	struct hs_quic_user qu;         /* what run made of the QUIC Initials */
	bool has_qu;                    /* false: no quic_user map (an older instance) */
	int enf_fd;                     /* -1: an older version's maps, nothing enforced */
	int fps_fd, pairs_fd;           /* to name a pair entry's stack (-1: not there) */
	struct stack_name *stacks;      /* the stacks of tcp_fps by id, read at the first need */
	size_t n_stacks;
	bool stacks_read;
};

/* A TCP stack id and its p0f stack, as a tcp_fps entry of it renders it */
struct stack_name {
	__u64 id;
	char name[160];
};

/* An enforce entry, with what status says of its scope. */
struct enf_row {
	__u64 id;
	struct hs_enforce v;
	char stack[160];        /* a pair's TCP stack ("" for the other scopes) */
};

static const char *scope_name(__u8 scope)
{
	return scope == HS_SCOPE_NOVEL ? "novel" : scope == HS_SCOPE_PAIR ? "pair" : "all";
}

/* What an entry acts on besides its JA4: the since of a novel one, the
 * stack of a pair; equal for the entries of one group. */
static __u64 scope_arg(const struct hs_enforce *v)
{
	return v->scope == HS_SCOPE_NOVEL ? v->since_ns :
	       v->scope == HS_SCOPE_PAIR ? v->stack_id : 0;
}

/* Grouped by JA4, then scope (all, novel, pair), then since or stack. */
static int enf_cmp(const void *a, const void *b)
{
	const struct enf_row *x = a, *y = b;
	int c = strcmp(x->v.ja4, y->v.ja4);
	__u64 p = scope_arg(&x->v), q = scope_arg(&y->v);

	if (c)
		return c;
	if (x->v.scope != y->v.scope)
		return x->v.scope < y->v.scope ? -1 : 1;
	if (x->v.mode != y->v.mode)
		return x->v.mode < y->v.mode ? -1 : 1;
	if (p != q)
		return p < q ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static bool same_group(const struct enf_row *x, const struct enf_row *y)
{
	return !strcmp(x->v.ja4, y->v.ja4) && x->v.scope == y->v.scope &&
	       x->v.mode == y->v.mode && scope_arg(&x->v) == scope_arg(&y->v);
}

/* The stacks of tcp_fps's entries, each once, into d->stacks. */
static void stacks_read(struct status_data *d)
{
	static struct hs_tcp_fp t;
	struct stack_name *ns;
	__u64 key, next, sid;
	void *prev = NULL;
	size_t i, cap = 0;

	d->stacks_read = true;
	while (d->fps_fd >= 0 && bpf_map_get_next_key(d->fps_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(d->fps_fd, &key, &t))
			continue;
		hs_tcp_ids(&t.sig, &sid);
		for (i = 0; i < d->n_stacks && d->stacks[i].id != sid; i++)
			;
		if (i < d->n_stacks)
			continue;
		if (d->n_stacks == cap) {
			cap = cap ? 2 * cap : 16;
			ns = realloc(d->stacks, cap * sizeof(*ns));
			if (!ns)
				return;
			d->stacks = ns;
		}
		if (p0f_render_stack(&t.sig, d->stacks[d->n_stacks].name,
				     sizeof(d->stacks[d->n_stacks].name)) < 0)
			continue;
		d->stacks[d->n_stacks++].id = sid;
	}
}

/* A pair entry's TCP stack as p0f renders it: the stack of the pair's SYN
 * while the pairs map holds the pair (this window or the last) and tcp_fps
 * that SYN's fingerprint, else that of any SYN of the entry's stack in
 * tcp_fps (a pair older than the last window, its stack still seen); else
 * "stack-ID" (the stack id), or "" when the entry has none. */
static void pair_stack(struct status_data *d, struct enf_row *r)
{
	static struct hs_pair p;
	static struct hs_tcp_fp t;
	size_t i;

	r->stack[0] = '\0';
	/* the enforce key of a pair is its pairs key with the generation
	 * bit set (HS_ENF_PAIR_KEY) */
	if (!fp_lookup_either_gen(d->pairs_fd, r->id, &p) &&
	    !fp_lookup_either_gen(d->fps_fd, p.tcp_id, &t) &&
	    p0f_render_stack(&t.sig, r->stack, sizeof(r->stack)) >= 0)
		return;
	if (!r->v.stack_id)
		return;
	if (!d->stacks_read)
		stacks_read(d);
	for (i = 0; i < d->n_stacks; i++)
		if (d->stacks[i].id == r->v.stack_id) {
			snprintf(r->stack, sizeof(r->stack), "%s", d->stacks[i].name);
			return;
		}
	snprintf(r->stack, sizeof(r->stack), "stack-%016llx", (unsigned long long)r->v.stack_id);
}

/* The enforce map's live entries (at now, the program clock): *n rows,
 * sorted in groups; NULL when there are none. */
static struct enf_row *enforce_rows(struct status_data *d, __u64 now, size_t *n)
{
	struct enf_row *rows = NULL, *nr;
	size_t cap = 0;
	__u64 key, next;
	void *prev = NULL;

	*n = 0;
	while (d->enf_fd >= 0 && bpf_map_get_next_key(d->enf_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			nr = realloc(rows, cap * sizeof(*rows));
			if (!nr)
				break;
			rows = nr;
		}
		if (bpf_map_lookup_elem(d->enf_fd, &key, &rows[*n].v) ||
		    rows[*n].v.expires_ns <= now)
			continue;   /* expired: the program ignores it already */
		rows[*n].v.ja4[sizeof(rows[*n].v.ja4) - 1] = '\0';
		rows[*n].id = key;
		if (rows[*n].v.scope == HS_SCOPE_PAIR)
			pair_stack(d, &rows[*n]);
		else
			rows[*n].stack[0] = '\0';
		(*n)++;
	}
	if (*n)
		qsort(rows, *n, sizeof(*rows), enf_cmp);
	return rows;
}

/* "3d4h", "2h5m", "5m12s", "40s" */
static void fmt_age(__u64 s, char *buf, size_t len)
{
	if (s >= 86400)
		snprintf(buf, len, "%llud%lluh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, len, "%lluh%llum", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, len, "%llum%llus", s / 60, s % 60);
	else
		snprintf(buf, len, "%llus", s);
}

/* A group's scope: text, or keys added to e. */
static void enforce_scope(const struct enf_row *r, __u64 now, json_object *e)
{
	const struct hs_enforce *v = &r->v;
	__u64 ago = v->since_ns < now ? (now - v->since_ns) / 1000000000ULL : 0;
	char when[48];

	if (e) {
		json_object_object_add(e, "scope", json_object_new_string(scope_name(v->scope)));
		if (v->scope == HS_SCOPE_NOVEL) {
			fmt_time((__u64)((int64_t)v->since_ns + mono_to_unix_offset()), false,
				 when, sizeof(when));
			json_object_object_add(e, "since", json_object_new_string(when));
			json_object_object_add(e, "since_seconds_ago", json_object_new_uint64(ago));
		} else if (v->scope == HS_SCOPE_PAIR) {
			snprintf(when, sizeof(when), "%016llx", (unsigned long long)v->stack_id);
			json_object_object_add(e, "stack_id", v->stack_id ?
					       json_object_new_string(when) : NULL);
			json_object_object_add(e, "tcp_stack", r->stack[0] && strncmp(r->stack,
					       "stack-", 6) ? json_object_new_string(r->stack) : NULL);
		}
		return;
	}
	if (v->scope == HS_SCOPE_NOVEL) {
		fmt_age(ago, when, sizeof(when));
		printf(" novel since %s ago", when);
	} else if (v->scope == HS_SCOPE_PAIR) {
		printf(" pair %s", r->stack[0] ? r->stack : "stack ?");
	} else {
		printf(" all");
	}
}

/* The enforce map's live entries, one group per JA4, scope (and since or
 * stack) and mode: text, or an array added to j as "enforced". */
static void status_enforce(struct status_data *d, json_object *j)
{
	json_object *ja = j ? json_object_new_array() : NULL;
	struct enf_row *rows;
	size_t n, i, k;
	__u64 now;

	now = clock_ns(CLOCK_MONOTONIC);   /* the program clock */
	rows = enforce_rows(d, now, &n);
	if (!j)
		printf("enforced:%s\n", n ? "" : " none");
	for (i = 0; i < n; i = k) {
		const struct hs_enforce *v = &rows[i].v;
		const char *mode = enforce_mode_name(v->mode) ?: "off";
		__u64 left_ns = v->expires_ns - now;
		json_object *e = NULL, *ids = NULL;
		char hex[24];

		if (j) {
			e = json_object_new_object();
			ids = json_object_new_array();
			json_object_object_add(e, "ja4", json_object_new_string(v->ja4));
			json_object_object_add(e, "mode", json_object_new_string(mode));
			enforce_scope(&rows[i], now, e);
		} else {
			printf("  %s %s", v->ja4[0] ? v->ja4 : "?", mode);
			enforce_scope(&rows[i], now, NULL);
			printf(" ids");
		}
		for (k = i; k < n && same_group(&rows[k], &rows[i]); k++) {
			snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)rows[k].id);
			if (j)
				json_object_array_add(ids, json_object_new_string(hex));
			else
				printf("%s%s", k == i ? " " : ",", hex);
			if (rows[k].v.expires_ns - now > left_ns)
				left_ns = rows[k].v.expires_ns - now;
		}
		if (j) {
			json_object_object_add(e, "ids", ids);
			json_object_object_add(e, "seconds_left", json_object_new_uint64(
				(left_ns + 999999999ULL) / 1000000000ULL));
			json_object_array_add(ja, e);
		} else {
			printf(" %llus left\n", (left_ns + 999999999ULL) / 1000000000ULL);
		}
	}
	if (j)
		json_object_object_add(j, "enforced", ja);
	free(rows);
}

const char *hs_attach_mode(__u8 m)
{
	return m == XDP_ATTACHED_DRV ? "native" : m == XDP_ATTACHED_SKB ? "skb" :
	       m == XDP_ATTACHED_HW ? "offload" : m == XDP_ATTACHED_MULTI ? "multi" : "none";
}

static json_object *map_fill(__u32 n, __u32 max)
{
	json_object *t = json_object_new_object();

	json_object_object_add(t, "entries", json_object_new_int64(n));
	json_object_object_add(t, "max_entries", json_object_new_int64(max));
	return t;
}

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* The QUIC counts of userspace, as name and value; false past the last. */
static bool quic_count(const struct status_data *d, unsigned int i, char *name, size_t len,
		       __u64 *v)
{
	static const struct { unsigned int idx; const char *name; } extra[] = {
		{ HS_QU_DATAGRAMS, "quic_datagrams_decrypted" },
		{ HS_QU_HELLOS, "quic_hellos_assembled" },
		{ HS_QU_UNANSWERED, "quic_hellos_timeout" },
		{ HS_QU_PENDING_FULL, "quic_hellos_no_room" },
	};

	if (i < QUIC_R_MAX) {
		snprintf(name, len, "quic_packets_%s", quic_reason_name(i));
		*v = d->qu.c[i];
		return true;
	}
	i -= QUIC_R_MAX;
	if (i >= sizeof(extra) / sizeof(extra[0]))
		return false;
	snprintf(name, len, "%s", extra[i].name);
	*v = d->qu.c[extra[i].idx];
	return true;
}

static void status_json(struct status_data *d)
{
	json_object *j = json_object_new_object(), *ja = json_object_new_array();
	json_object *m = json_object_new_object(), *jc = json_object_new_object(), *js;
	char name[64];
	__u64 v;
	int i;

	json_object_object_add(j, "pin_dir", json_object_new_string(d->pin_dir));
	json_object_object_add(j, "attached", ja);
	for (i = 0; i < d->n_att; i++) {
		const struct hs_attach *at = &d->att[i];
		json_object *a = json_object_new_object();

		json_object_object_add(a, "interface", json_object_new_string(at->ifname));
		json_object_object_add(a, "ifindex", json_object_new_int(at->ifindex));
		json_object_object_add(a, "mode", json_object_new_string(hs_attach_mode(at->mode)));
		json_object_object_add(a, "prog_id", json_object_new_int64(at->prog_id));
		json_object_array_add(ja, a);
	}
	json_object_object_add(m, "tcp_fps", map_fill(d->fps_n, d->fps_max));
	json_object_object_add(m, "tls_fps", map_fill(d->tls_n, d->tls_max));
	if (d->seen_max) {
		/* entries: all of them, or (complete false) those counted */
		js = map_fill((__u32)d->seen_n, d->seen_max);
		json_object_object_add(js, "complete", json_object_new_boolean(!d->seen_partial));
		json_object_object_add(m, "seen", js);
	}
	json_object_object_add(j, "maps", m);
	for (i = 0; i < HS_ST__COUNT; i++)
		json_object_object_add(jc, hs_stat_names[i], json_object_new_uint64(d->sum.c[i]));
	for (i = 0; d->has_qu && quic_count(d, (unsigned int)i, name, sizeof(name), &v); i++)
		json_object_object_add(jc, name, json_object_new_uint64(v));
	json_object_object_add(j, "counters", jc);
	status_enforce(d, j);
	json_line(stdout, j);
}

static void fill_line(const char *name, size_t n, __u32 max, bool partial)
{
	printf("  %-20s %s%zu / %u (%s%.1f%%)%s\n", name, partial ? ">= " : "", n, max,
	       partial ? ">= " : "", max ? 100.0 * (double)n / max : 0.0,
	       partial ? ", counting stopped at " SEEN_BUDGET_TEXT ": -v counts all" : "");
}

static void status_text(struct status_data *d)
{
	char name[64];
	__u64 v;
	int i;

	printf("pin dir: %s\nattached:\n", d->pin_dir);
	for (i = 0; i < d->n_att; i++)
		printf("  %-16s %-7s prog id %u\n", d->att[i].ifname,
		       hs_attach_mode(d->att[i].mode), d->att[i].prog_id);
	if (!d->n_att)
		printf("  none in this network namespace\n");
	printf("maps:\n");
	fill_line("tcp_fps", d->fps_n, d->fps_max, false);
	fill_line("tls_fps", d->tls_n, d->tls_max, false);
	if (d->seen_max)
		fill_line("seen", d->seen_n, d->seen_max, d->seen_partial);
	printf("counters:\n");
	for (i = 0; i < HS_ST__COUNT; i++)
		printf("  %-20s %llu\n", hs_stat_names[i], (unsigned long long)d->sum.c[i]);
	for (i = 0; d->has_qu && quic_count(d, (unsigned int)i, name, sizeof(name), &v); i++)
		printf("  %-20s %llu\n", name, (unsigned long long)v);
	status_enforce(d, NULL);
}

/* The seen map's fill (its capacity: sets of HS_SEEN_WAYS): counted for
 * SEEN_BUDGET_MS (a full map of a million entries takes some 40 ms to
 * walk), all of it with -v. */
static void status_seen(struct status_data *d)
{
	int fd = hs_pin_get(d->pin_dir, "seen");

	if (fd < 0)
		return;
	d->seen_max = hs_map_max(fd) * HS_SEEN_WAYS;
	d->seen_partial = seen_count(fd, hs_verbose ? 0 : SEEN_BUDGET_MS, 0, &d->seen_n) == 1;
	close(fd);
}

/* The maps' fill levels and counters, the attachments; 0 or an exit code. */
static int status_read(struct status_data *d)
{
	int tls_fd = -1, st_fd = -1, qu_fd, err, ret = HS_EXIT_ERR;
	__u32 zero = 0;

	err = hs_pin_open(d->pin_dir, "tcp_fps", &d->fps_fd);
	if (!err)
		err = hs_pin_open(d->pin_dir, "tls_fps", &tls_fd);
	if (!err)
		err = hs_pin_open(d->pin_dir, "stats", &st_fd);
	if (err) {
		ret = hs_err_exit(err);
		goto out;
	}
	d->enf_fd = hs_pin_get(d->pin_dir, "enforce");
	d->pairs_fd = hs_pin_get(d->pin_dir, "pairs");
	qu_fd = hs_pin_get(d->pin_dir, "quic_user");
	d->has_qu = qu_fd >= 0 && !bpf_map_lookup_elem(qu_fd, &zero, &d->qu);
	close_fd(qu_fd);
	err = hs_stats_read(st_fd, &d->sum);
	if (err) {
		pr_warn("Couldn't read health counters: %s", strerror(-err));
		goto out;
	}
	d->fps_n = hs_map_count(d->fps_fd);
	d->fps_max = hs_map_max(d->fps_fd);
	d->tls_n = hs_map_count(tls_fd);
	d->tls_max = hs_map_max(tls_fd);
	status_seen(d);
	d->n_att = hs_attachments(d->pin_dir, d->att, HS_ATTACH_MAX);
	ret = HS_EXIT_OK;
out:
	if (tls_fd >= 0)
		close(tls_fd);
	if (st_fd >= 0)
		close(st_fd);
	return ret;
}

int cmd_status(int argc, char **argv)
{
	struct status_opts o = { .pin_dir = HS_DEFAULT_PIN_DIR };
	struct status_data d = { .enf_fd = -1, .fps_fd = -1, .pairs_fd = -1 };
	int ret = hs_opts_parse(&status_cmd, argc, argv, &o);

	if (ret <= 0)
		return hs_opts_exit(ret);
	d.pin_dir = o.pin_dir;
	ret = status_read(&d);
	if (!ret && o.json)
		status_json(&d);
	else if (!ret)
		status_text(&d);
	close_fd(d.enf_fd);
	close_fd(d.fps_fd);
	close_fd(d.pairs_fd);
	free(d.stacks);
	return ret;
}
