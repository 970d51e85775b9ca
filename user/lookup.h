/* SPDX-License-Identifier: BSD-3-Clause */
/* The lookup socket `run --lookup-socket` serves, its options and its
 * request lines (lookup.c). */
#ifndef HS_LOOKUP_H
#define HS_LOOKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "conninfo.h"
#include "opts.h"

#define LK_CLIENTS_MAX 64          /* connections at once; more are told and closed */
#define LK_LINE_MAX 512            /* bytes of a request line, its newline left out */
#define LK_OUT_MAX (64 * 1024)     /* replies a client leaves unread, then it is closed */
#define LK_DEFAULT_RATE 2000       /* requests a second per connection */

struct lookup_opts {
	const char *path;          /* NULL: no socket */
	unsigned int mode;         /* the socket file's permissions */
	gid_t gid;                 /* its group; (gid_t)-1: left as made */
	unsigned int rate;         /* per connection, a burst of a tenth; 0: no limit */
};
#define HS_LOOKUP_DEFAULTS { .mode = 0660, .gid = (gid_t)-1, .rate = LK_DEFAULT_RATE }
/* --lookup-socket-mode, --lookup-socket-group, --lookup-socket-rate into a
 * struct lookup_opts: an HS_OPT_GROUP's table. */
extern const struct hs_opt hs_lookup_opts[];
/* An HS_OPT_FUNC: a socket path that fits a sockaddr_un, as a const char *. */
int hs_opt_lookup_path(const struct hs_opt *o, const char *arg, void *dst);

struct lookup_server;
/* The socket bound and listening at o->path (a stale one of a killed run
 * replaced; anything else there refused), its mode and group set: made
 * before anything is loaded. NULL with one line said. */
struct lookup_server *lookup_open(const struct lookup_opts *o);
/* Serve it in a thread of its own from the maps m and the hs_tag program
 * (tag_fd; -1: no tags), which are the caller's and must outlive it.
 * Started once the caller has dropped its capabilities: the thread has
 * none either. 0 or -errno (said); s NULL: nothing to do. */
int lookup_start(struct lookup_server *s, const struct conn_maps *m, int tag_fd);
/* Stop serving, close every connection, remove the socket file. */
void lookup_stop(struct lookup_server *s);

/* ---- request lines (pure: tests/unit) ---- */

enum lk_kind {
	LK_LOOKUP = 1,      /* lookup CLIENT_IP:PORT [SERVER_IP:PORT] */
	LK_TAG,             /* tag CLIENT_IP:PORT ACCOUNT */
	LK_TAG_IDS,         /* tag-ids TLS_ID [TCP_ID [STACK_ID]] ACCOUNT */
};

struct lk_req {
	enum lk_kind kind;
	struct conn_side client, server;
	bool has_server;
	__u64 account;
	__u64 tls_id, tcp_id, stack_id;
};

/* One request line (no newline; a trailing CR is ignored) into r: 0, or -1
 * with *why the error line's text ("unknown request" for anything that is
 * not one of the three). line is split in place. */
int lk_parse(char *line, struct lk_req *r, const char **why);

/* A connection's requests: a token bucket of rate a second, burst deep. */
struct lk_bucket {
	double tokens;
	__u64 last_ns;      /* 0: full, first use */
};
/* One request at now_ns: true if it may be served (rate 0: always). */
bool lk_bucket_take(struct lk_bucket *b, __u64 now_ns, double rate, double burst);

#endif /* HS_LOOKUP_H */
