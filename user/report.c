// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fingerprint rows, as `dump` and `replay` print them: read every id of the
 * tcp_fps map, render its p0f signature, merge ids that render the same
 * (counts add, sketches merge register-wise), sort by SYNs.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <json-c/json.h>

#include "hs.h"

struct row {
	char sig[256];
	const char *os;
	__u64 syns, first_ns, last_ns;
	__u8 ips[HS_HLL_M];
	__u8 nets[HS_HLL_M];
};

static int by_sig(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->sig, ((const struct row *)b)->sig);
}

static int by_syns(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->syns != y->syns)
		return x->syns < y->syns ? 1 : -1;
	return strcmp(x->sig, y->sig);
}

/* Read and merge; *rows is malloc'd, returns the row count or -errno. */
static int collect(int fd, struct row **rows)
{
	struct hs_tcp_fp *v = malloc(sizeof(*v));
	size_t n = 0, cap = 0, i, out;
	struct row *r = NULL;
	__u64 key, next;
	int err = 0;
	void *prev = NULL;

	if (!v)
		return -ENOMEM;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, v))
			continue;  /* deleted meanwhile */
		if (n == cap) {
			struct row *nr = realloc(r, (cap = cap ? cap * 2 : 64) * sizeof(*r));

			if (!nr) {
				err = -ENOMEM;
				goto out;
			}
			r = nr;
		}
		p0f_render(&v->sig, r[n].sig, sizeof(r[n].sig));
		r[n].os = p0f_db_label(&v->sig);
		r[n].syns = v->syns;
		r[n].first_ns = v->first_ns;
		r[n].last_ns = v->last_ns;
		memcpy(r[n].ips, v->hll_ips, HS_HLL_M);
		memcpy(r[n].nets, v->hll_nets, HS_HLL_M);
		n++;
	}
	if (n)
		qsort(r, n, sizeof(*r), by_sig);
	for (i = 1, out = 0; i < n; i++) {
		if (strcmp(r[out].sig, r[i].sig) == 0) {
			r[out].syns += r[i].syns;
			if (r[i].first_ns < r[out].first_ns)
				r[out].first_ns = r[i].first_ns;
			if (r[i].last_ns > r[out].last_ns)
				r[out].last_ns = r[i].last_ns;
			hll_merge(r[out].ips, r[i].ips);
			hll_merge(r[out].nets, r[i].nets);
		} else if (++out != i) {
			r[out] = r[i];
		}
	}
	if (n)
		n = out + 1;
	qsort(r, n, sizeof(*r), by_syns);
out:
	free(v);
	if (err) {
		free(r);
		return err;
	}
	*rows = r;
	return (int)n;
}

static unsigned long long est(const __u8 *reg)
{
	return (unsigned long long)llround(hll_estimate(reg));
}

int report_tcp(int fd, const struct report_opts *o)
{
	struct row *rows = NULL;
	char first[40], last[40];
	int n, i, w = 13;

	n = collect(fd, &rows);
	if (n < 0) {
		pr_warn("Couldn't read the fingerprint map: %s", strerror(-n));
		return HS_EXIT_ERR;
	}
	if (o->top && (unsigned long)n > o->top)
		n = (int)o->top;
	for (i = 0; i < n; i++)
		if ((int)strlen(rows[i].sig) > w)
			w = (int)strlen(rows[i].sig);
	if (!o->json)
		printf("%-*s  %-24s %8s %8s %8s  %-20s  %-20s\n", w, "TCP SIGNATURE", "OS",
		       "SYNS", "IPS", "NETS", "FIRST SEEN", "LAST SEEN");
	for (i = 0; i < n; i++) {
		struct row *r = &rows[i];

		fmt_time(r->first_ns + o->clock_offset, false, first, sizeof(first));
		fmt_time(r->last_ns + o->clock_offset, false, last, sizeof(last));
		if (o->json) {
			json_object *j = json_object_new_object();

			json_object_object_add(j, "kind", json_object_new_string("tcp"));
			json_object_object_add(j, "tcp_sig", json_object_new_string(r->sig));
			json_object_object_add(j, "os", json_object_new_string(r->os));
			json_object_object_add(j, "syns", json_object_new_uint64(r->syns));
			json_object_object_add(j, "ips", json_object_new_uint64(est(r->ips)));
			json_object_object_add(j, "nets", json_object_new_uint64(est(r->nets)));
			json_object_object_add(j, "first_seen", json_object_new_string(first));
			json_object_object_add(j, "last_seen", json_object_new_string(last));
			puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
			json_object_put(j);
		} else {
			printf("%-*s  %-24s %8llu %8llu %8llu  %-20s  %-20s\n", w, r->sig,
			       *r->os ? r->os : "-", (unsigned long long)r->syns,
			       est(r->ips), est(r->nets), first, last);
		}
	}
	free(rows);
	return fflush(stdout) ? HS_EXIT_ERR : HS_EXIT_OK;
}
