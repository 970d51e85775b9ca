// SPDX-License-Identifier: BSD-3-Clause
/* Small helpers: strict number parsing, time and address formatting. */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/signalfd.h>
#include <json-c/json.h>

#include "util.h"
#include "log.h"
#include "hs_hash.h"

int parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

void fmt_time(uint64_t unix_ns, bool frac, char *buf, size_t len)
{
	time_t secs = (time_t)(unix_ns / 1000000000ULL);
	struct tm tm;
	size_t n;

	if (!gmtime_r(&secs, &tm)) {
		snprintf(buf, len, "invalid");
		return;
	}
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (frac)
		snprintf(buf + n, len - n, ".%06lluZ",
			 (unsigned long long)(unix_ns % 1000000000ULL) / 1000);
	else
		snprintf(buf + n, len - n, "Z");
}

__u64 clock_ns(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (__u64)t.tv_sec * 1000000000ULL + (__u64)t.tv_nsec;
}

int64_t mono_to_unix_offset(void)
{
	struct timespec rt, mono;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	return ((int64_t)rt.tv_sec - mono.tv_sec) * 1000000000LL +
	       ((int64_t)rt.tv_nsec - mono.tv_nsec);
}

void fmt_addr(const struct hs_endpoints *ep, bool src, char *buf, size_t len)
{
	const __u8 *a = src ? ep->saddr : ep->daddr;

	if (!inet_ntop(ep->family == 6 ? AF_INET6 : AF_INET, a, buf, len))
		snprintf(buf, len, "?");
}

int signal_fd(const int *sigs, sigset_t *old)
{
	sigset_t mask;

	sigemptyset(&mask);
	for (; *sigs; sigs++)
		sigaddset(&mask, *sigs);
	if (sigprocmask(SIG_BLOCK, &mask, old))
		return -1;
	return signalfd(-1, &mask, SFD_CLOEXEC);
}

void json_line(FILE *f, json_object *j)
{
	fprintf(f, "%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
}

void fmt_bytes(const void *p, size_t n, char *buf, size_t len)
{
	const unsigned char *b = p;
	size_t i, o = 0;

	if (!len)
		return;
	for (i = 0; i < n; i++) {
		int k = (b[i] >= 0x20 && b[i] < 0x7f && b[i] != '\\') ?
			snprintf(buf + o, len - o, "%c", b[i]) :
			snprintf(buf + o, len - o, "\\x%02x", b[i]);

		if (k < 0 || (size_t)k >= len - o)
			break;
		o += (size_t)k;
	}
	buf[o] = '\0';
}

/* ---- hidx: an index of items kept in the caller's array ---- */

__u64 hidx_hash_str(const char *s)
{
	__u64 h = 0xcbf29ce484222325ULL;   /* FNV-1a, then the ids' finalizer */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return hs_mix64(h);
}

void hidx_clear(struct hidx *x)
{
	if (x->s)
		memset(x->s, 0, x->cap * sizeof(*x->s));
	x->n = 0;
}

void hidx_free(struct hidx *x)
{
	free(x->s);
	memset(x, 0, sizeof(*x));
}

long hidx_get(const struct hidx *x, __u64 h, hidx_eq_fn eq, const void *ctx)
{
	size_t i;

	if (!x->cap)
		return -1;
	for (i = h & (x->cap - 1); x->s[i].used; i = (i + 1) & (x->cap - 1))
		if (x->s[i].h == h && eq(ctx, x->s[i].i))
			return x->s[i].i;
	return -1;
}

static void hidx_place(struct hidx_slot *s, size_t cap, __u64 h, __u32 item)
{
	size_t i;

	for (i = h & (cap - 1); s[i].used; i = (i + 1) & (cap - 1))
		;
	s[i] = (struct hidx_slot){ .h = h, .i = item, .used = 1 };
}

int hidx_put(struct hidx *x, __u64 h, __u32 item)
{
	if (2 * (x->n + 1) > x->cap) {   /* at most half full */
		size_t cap = x->cap ? 2 * x->cap : 64, i;
		struct hidx_slot *s = calloc(cap, sizeof(*s));

		if (!s)
			return -ENOMEM;
		for (i = 0; i < x->cap; i++)
			if (x->s[i].used)
				hidx_place(s, cap, x->s[i].h, x->s[i].i);
		free(x->s);
		x->s = s;
		x->cap = cap;
	}
	hidx_place(x->s, x->cap, h, item);
	x->n++;
	return 0;
}
