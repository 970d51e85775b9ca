/* SPDX-License-Identifier: BSD-3-Clause */
/* Number parsing, formatting, and an index of hashed keys (util.c). */
#ifndef HS_UTIL_H
#define HS_UTIL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <linux/types.h>

#include "hydrascope.h"

int parse_uint(const char *s, unsigned long long max, unsigned long long *out);
/* RFC 3339 UTC; frac adds microseconds. */
void fmt_time(uint64_t unix_ns, bool frac, char *buf, size_t len);
/* Clock id's time in ns (CLOCK_MONOTONIC: the live program's clock). */
__u64 clock_ns(clockid_t id);
/* Offset that turns the live program clock (CLOCK_MONOTONIC) into Unix ns. */
int64_t mono_to_unix_offset(void);
void fmt_addr(const struct hs_endpoints *ep, bool src, char *buf, size_t len);
/* The signals of sigs (0 ends them) blocked, to be read from the fd this
 * returns (close-on-exec), or -1 with errno set; the mask before in *old
 * unless NULL. */
int signal_fd(const int *sigs, sigset_t *old);
struct json_object;
/* j as one line of plain JSON (slashes as they are) into f; j freed. */
void json_line(FILE *f, struct json_object *j);
/* Bytes as text: printable ASCII as is, anything else as \xNN. */
void fmt_bytes(const void *p, size_t n, char *buf, size_t len);

/* An open-addressing index of items the caller keeps in an array: it maps
 * a 64-bit hash of an item's key to the item's position; eq tells whether
 * item i has the key looked for. No removal: clear and re-add. */
struct hidx_slot {
	__u64 h;
	__u32 i, used;
};
struct hidx {
	struct hidx_slot *s;
	size_t cap, n;
};
typedef bool (*hidx_eq_fn)(const void *ctx, __u32 i);
__u64 hidx_hash_str(const char *s);
long hidx_get(const struct hidx *x, __u64 h, hidx_eq_fn eq, const void *ctx);
int hidx_put(struct hidx *x, __u64 h, __u32 item);
/* Start loading the slot a lookup of h begins at (a batch of lookups whose
 * slots are prefetched first waits for memory once, not once each). */
static inline void hidx_prefetch(const struct hidx *x, __u64 h)
{
	if (x->cap)
		__builtin_prefetch(&x->s[h & (x->cap - 1)]);
}
void hidx_clear(struct hidx *x);
void hidx_free(struct hidx *x);

#endif /* HS_UTIL_H */
