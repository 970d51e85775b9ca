// SPDX-License-Identifier: BSD-3-Clause
/* `hydrascope status`: a running instance's attachments, map fill levels,
 * enforcement entries and health counters; also what the exporter reads
 * of the same (map sizes, attachments). */
#include <errno.h>
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
#include "pins.h"
#include "util.h"
#include "window.h"

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
	__u64 key, next;
	void *prev = NULL;
	__u32 n = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
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

struct enf_row {
	__u64 id;
	struct hs_enforce v;
};

static int enf_cmp(const void *a, const void *b)
{
	const struct enf_row *x = a, *y = b;
	int c = strcmp(x->v.ja4, y->v.ja4);

	return c ? c : x->id < y->id ? -1 : x->id > y->id;
}

/* The enforce map's live entries, one group per JA4: text, or an array
 * added to j as "enforced". */
static void status_enforce(int fd, json_object *j)
{
	struct enf_row *rows = NULL, *nr;
	size_t n = 0, cap = 0, i, k;
	__u64 key, next, now;
	struct timespec mono;
	void *prev = NULL;
	json_object *ja = j ? json_object_new_array() : NULL;

	clock_gettime(CLOCK_MONOTONIC, &mono);   /* the program clock */
	now = (__u64)mono.tv_sec * 1000000000ULL + (__u64)mono.tv_nsec;
	while (fd >= 0 && bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			nr = realloc(rows, cap * sizeof(*rows));
			if (!nr)
				break;
			rows = nr;
		}
		if (bpf_map_lookup_elem(fd, &key, &rows[n].v) || rows[n].v.expires_ns <= now)
			continue;   /* expired: the program ignores it already */
		rows[n].v.ja4[sizeof(rows[n].v.ja4) - 1] = '\0';
		rows[n++].id = key;
	}
	if (n)
		qsort(rows, n, sizeof(*rows), enf_cmp);
	if (!j)
		printf("enforced:%s\n", n ? "" : " none");
	for (i = 0; i < n; i = k) {
		const struct hs_enforce *v = &rows[i].v;
		const char *mode = enforce_mode_name(v->mode) ?: "off";
		unsigned long long left = (v->expires_ns - now + 999999999ULL) / 1000000000ULL;
		json_object *e = NULL, *ids = NULL;
		char hex[24];

		if (j) {
			e = json_object_new_object();
			ids = json_object_new_array();
			json_object_object_add(e, "ja4", json_object_new_string(v->ja4));
			json_object_object_add(e, "mode", json_object_new_string(mode));
		} else {
			printf("  %s %s ids", v->ja4[0] ? v->ja4 : "?", mode);
		}
		for (k = i; k < n && !strcmp(rows[k].v.ja4, v->ja4); k++) {
			snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)rows[k].id);
			if (j)
				json_object_array_add(ids, json_object_new_string(hex));
			else
				printf("%s%s", k == i ? " " : ",", hex);
			if (rows[k].v.expires_ns > v->expires_ns)
				left = (rows[k].v.expires_ns - now + 999999999ULL) / 1000000000ULL;
		}
		if (j) {
			json_object_object_add(e, "ids", ids);
			json_object_object_add(e, "seconds_left", json_object_new_uint64(left));
			json_object_array_add(ja, e);
		} else {
			printf(" %llus left\n", left);
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

/* What status shows of an instance. */
struct status_data {
	const char *pin_dir;
	struct hs_attach att[HS_ATTACH_MAX];
	int n_att;
	__u32 fps_n, fps_max, tls_n, tls_max;
	struct hs_stats sum;
	int enf_fd;                     /* -1: an older version's maps, nothing enforced */
};

static json_object *map_fill(__u32 n, __u32 max)
{
	json_object *t = json_object_new_object();

	json_object_object_add(t, "entries", json_object_new_int64(n));
	json_object_object_add(t, "max_entries", json_object_new_int64(max));
	return t;
}

static void status_json(const struct status_data *d)
{
	json_object *j = json_object_new_object(), *ja = json_object_new_array();
	json_object *m = json_object_new_object(), *jc = json_object_new_object();
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
	json_object_object_add(j, "maps", m);
	for (i = 0; i < HS_ST__COUNT; i++)
		json_object_object_add(jc, hs_stat_names[i], json_object_new_uint64(d->sum.c[i]));
	json_object_object_add(j, "counters", jc);
	status_enforce(d->enf_fd, j);
	json_line(stdout, j);
}

static void status_text(const struct status_data *d)
{
	int i;

	printf("pin dir: %s\nattached:\n", d->pin_dir);
	for (i = 0; i < d->n_att; i++)
		printf("  %-16s %-7s prog id %u\n", d->att[i].ifname,
		       hs_attach_mode(d->att[i].mode), d->att[i].prog_id);
	if (!d->n_att)
		printf("  none in this network namespace\n");
	printf("maps:\n  %-20s %u / %u (%.1f%%)\n", "tcp_fps", d->fps_n, d->fps_max,
	       d->fps_max ? 100.0 * d->fps_n / d->fps_max : 0.0);
	printf("  %-20s %u / %u (%.1f%%)\ncounters:\n", "tls_fps", d->tls_n, d->tls_max,
	       d->tls_max ? 100.0 * d->tls_n / d->tls_max : 0.0);
	for (i = 0; i < HS_ST__COUNT; i++)
		printf("  %-20s %llu\n", hs_stat_names[i], (unsigned long long)d->sum.c[i]);
	status_enforce(d->enf_fd, NULL);
}

/* The maps' fill levels and counters, the attachments; 0 or an exit code. */
static int status_read(struct status_data *d)
{
	int fps_fd = -1, tls_fd = -1, st_fd = -1, err, ret = HS_EXIT_ERR;

	err = hs_pin_open(d->pin_dir, "tcp_fps", &fps_fd);
	if (!err)
		err = hs_pin_open(d->pin_dir, "tls_fps", &tls_fd);
	if (!err)
		err = hs_pin_open(d->pin_dir, "stats", &st_fd);
	if (err) {
		ret = hs_err_exit(err);
		goto out;
	}
	d->enf_fd = hs_pin_get(d->pin_dir, "enforce");
	err = hs_stats_read(st_fd, &d->sum);
	if (err) {
		pr_warn("Couldn't read health counters: %s", strerror(-err));
		goto out;
	}
	d->fps_n = hs_map_count(fps_fd);
	d->fps_max = hs_map_max(fps_fd);
	d->tls_n = hs_map_count(tls_fd);
	d->tls_max = hs_map_max(tls_fd);
	d->n_att = hs_attachments(d->pin_dir, d->att, HS_ATTACH_MAX);
	ret = HS_EXIT_OK;
out:
	if (fps_fd >= 0)
		close(fps_fd);
	if (tls_fd >= 0)
		close(tls_fd);
	if (st_fd >= 0)
		close(st_fd);
	return ret;
}

int cmd_status(int argc, char **argv)
{
	struct status_opts o = { .pin_dir = HS_DEFAULT_PIN_DIR };
	struct status_data d = { .enf_fd = -1 };
	int ret = hs_opts_parse(&status_cmd, argc, argv, &o);

	if (ret <= 0)
		return hs_opts_exit(ret);
	d.pin_dir = o.pin_dir;
	ret = status_read(&d);
	if (!ret && o.json)
		status_json(&d);
	else if (!ret)
		status_text(&d);
	if (d.enf_fd >= 0)
		close(d.enf_fd);
	return ret;
}
