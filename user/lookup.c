// SPDX-License-Identifier: BSD-3-Clause
/*
 * The lookup socket (`run --lookup-socket PATH`): a unix stream socket on
 * which the application behind the edge asks what hydrascope saw of a
 * connection it accepted (its client side, as nginx's
 * "$remote_addr:$remote_port"), and tells it the account the connection
 * belongs to. One request line in, one JSON line out:
 *
 *   lookup CLIENT_IP:PORT [SERVER_IP:PORT]   what `lookup -j` prints
 *   tag CLIENT_IP:PORT ACCOUNT               {"ok":true,"ja4":...}
 *   tag-ids TLS_ID [TCP_ID [STACK_ID]] ACCOUNT
 *
 * or {"error":"..."}. ACCOUNT is the application's keyed hash of the
 * account, 1-16 hex digits; tags go through the hs_tag program (the
 * setsockopt path's code), which the held program fd runs without any
 * capability.
 *
 * One thread of its own, poll-based, never blocking: it shares nothing
 * with run's window loop but the maps. Bounded for clients that misbehave:
 * LK_CLIENTS_MAX connections (the next one is told and closed), request
 * lines of LK_LINE_MAX bytes (a longer one: told and closed), a token
 * bucket per connection (a request over the rate is answered with an
 * error, not served), and LK_OUT_MAX bytes of replies a client leaves
 * unread (then it is closed, the others go on being served).
 */
#define _GNU_SOURCE  /* accept4 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <bpf/bpf.h>
#include <json-c/json.h>

#include "lookup.h"
#include "log.h"
#include "util.h"

#define LK_BACKLOG 128
#define LK_READ 4096                /* bytes read from a client per turn */
#define LK_ACCEPTS 16               /* connections accepted per turn */

struct lk_client {
	int fd;                     /* -1: a free place */
	bool closing;               /* its side closed: closed once its replies are out */
	bool told;                  /* told why it goes: closed after this turn */
	bool drop;                  /* closed now: gone, or its replies unread */
	struct lk_bucket tb;
	size_t inlen;
	char in[LK_LINE_MAX + 1];   /* the line so far, room for its NUL */
	char *out;                  /* replies not sent yet: out[outoff, outlen) */
	size_t outoff, outlen, outcap;
};

struct lookup_server {
	int lfd, stop_fd, tag_fd;
	struct conn_maps m;
	double rate, burst;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev;                  /* the socket file made: removed if still ours */
	ino_t ino;
	bool made;
	pthread_t thread;
	bool running;
	struct lk_client cl[LK_CLIENTS_MAX];
};

/* ---- request lines ---- */

/* 1-16 hex digits */
static int parse_hex(const char *s, __u64 *v)
{
	size_t n = strlen(s), i;

	if (!n || n > 16)
		return -1;
	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return -1;
	*v = strtoull(s, NULL, 16);
	return 0;
}

#define LK_WORDS 6    /* the most a request has, and one to see it is over */

static int parse_lookup(char **w, int n, struct lk_req *r, const char **why)
{
	*why = "usage: lookup CLIENT_IP:PORT [SERVER_IP:PORT]";
	if (n < 2 || n > 3)
		return -1;
	r->kind = LK_LOOKUP;
	if (conn_side_parse(w[1], &r->client)) {
		*why = "invalid client (IP:PORT or [IPV6]:PORT)";
		return -1;
	}
	r->has_server = n == 3;
	if (r->has_server && conn_side_parse(w[2], &r->server)) {
		*why = "invalid server (IP:PORT or [IPV6]:PORT)";
		return -1;
	}
	if (r->has_server && r->server.family != r->client.family) {
		*why = "client and server of different address families";
		return -1;
	}
	return 0;
}

static int parse_tag(char **w, int n, struct lk_req *r, const char **why)
{
	*why = "usage: tag CLIENT_IP:PORT ACCOUNT";
	if (n != 3)
		return -1;
	r->kind = LK_TAG;
	if (conn_side_parse(w[1], &r->client)) {
		*why = "invalid client (IP:PORT or [IPV6]:PORT)";
		return -1;
	}
	if (parse_hex(w[2], &r->account)) {
		*why = "invalid account (1-16 hex digits)";
		return -1;
	}
	return 0;
}

static int parse_tag_ids(char **w, int n, struct lk_req *r, const char **why)
{
	__u64 *ids[] = { &r->tls_id, &r->tcp_id, &r->stack_id };
	int i;

	*why = "usage: tag-ids TLS_ID [TCP_ID [STACK_ID]] ACCOUNT";
	if (n < 3 || n > 5)
		return -1;
	r->kind = LK_TAG_IDS;
	for (i = 1; i < n - 1; i++)
		if (parse_hex(w[i], ids[i - 1])) {
			*why = "invalid id (1-16 hex digits, as lookup prints them)";
			return -1;
		}
	if (parse_hex(w[n - 1], &r->account)) {
		*why = "invalid account (1-16 hex digits)";
		return -1;
	}
	if (!r->tls_id && !r->tcp_id) {
		*why = "tag-ids needs a TLS or a TCP id";
		return -1;
	}
	return 0;
}

int lk_parse(char *line, struct lk_req *r, const char **why)
{
	char *w[LK_WORDS], *save = NULL, *t;
	size_t len = strlen(line);
	int n = 0;

	memset(r, 0, sizeof(*r));
	if (len && line[len - 1] == '\r')
		line[len - 1] = '\0';
	for (t = strtok_r(line, " \t", &save); t && n < LK_WORDS; t = strtok_r(NULL, " \t", &save))
		w[n++] = t;
	*why = "unknown request";
	if (!n)
		return -1;
	if (!strcmp(w[0], "lookup"))
		return parse_lookup(w, n, r, why);
	if (!strcmp(w[0], "tag"))
		return parse_tag(w, n, r, why);
	if (!strcmp(w[0], "tag-ids"))
		return parse_tag_ids(w, n, r, why);
	return -1;
}

bool lk_bucket_take(struct lk_bucket *b, __u64 now_ns, double rate, double burst)
{
	if (rate <= 0)
		return true;
	if (!b->last_ns) {
		b->tokens = burst;
		b->last_ns = now_ns;
	} else if (now_ns > b->last_ns) {
		b->tokens += (double)(now_ns - b->last_ns) * 1e-9 * rate;
		if (b->tokens > burst)
			b->tokens = burst;
		b->last_ns = now_ns;
	}
	if (b->tokens < 1)
		return false;
	b->tokens -= 1;
	return true;
}

/* ---- replies ---- */

/* j as one line after c's pending replies (j freed); a client that has
 * left LK_OUT_MAX unread is closed instead. */
static void reply(struct lk_client *c, json_object *j)
{
	const char *s = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t n = strlen(s) + 1, cap;
	char *nb;

	if (c->outoff && c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	if (c->outlen - c->outoff + n > LK_OUT_MAX) {
		c->drop = true;
		goto out;
	}
	if (c->outlen + n > c->outcap && c->outoff) {
		memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
		c->outlen -= c->outoff;
		c->outoff = 0;
	}
	if (c->outlen + n > c->outcap) {
		for (cap = c->outcap ? c->outcap : 4096; cap < c->outlen + n; cap *= 2)
			;
		nb = realloc(c->out, cap);
		if (!nb) {
			c->drop = true;
			goto out;
		}
		c->out = nb;
		c->outcap = cap;
	}
	memcpy(c->out + c->outlen, s, n - 1);
	c->out[c->outlen + n - 1] = '\n';
	c->outlen += n;
out:
	json_object_put(j);
}

static void reply_error(struct lk_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void reply_error(struct lk_client *c, const char *fmt, ...)
{
	json_object *j = json_object_new_object();
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	json_object_object_add(j, "error", json_object_new_string(why));
	reply(c, j);
}

static void reply_no_record(struct lk_client *c, const struct conn_side *client)
{
	char side[CONN_SIDE_TEXT];

	conn_side_fmt(client, side, sizeof(side));
	reply_error(c, "no record of %s", side);
}

static void do_lookup(struct lookup_server *s, struct lk_client *c, const struct lk_req *r)
{
	struct conn_info ci;
	int err = conn_query(&s->m, &r->client, r->has_server ? &r->server : NULL, &ci);

	if (err == -ENOENT)
		reply_no_record(c, &r->client);
	else if (err)
		reply_error(c, "couldn't read the connection records: %s", strerror(-err));
	else
		reply(c, conn_json(&ci));
}

/* t through the hs_tag program: 0, or -errno (the program's result too). */
static int run_tag(struct lookup_server *s, struct hs_tag_req *t)
{
	/* a syscall program's context is copied back into ctx_in: it takes
	 * no ctx_out (EINVAL) */
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = t, .ctx_size_in = sizeof(*t));

	if (s->tag_fd < 0)
		return -EOPNOTSUPP;
	if (bpf_prog_test_run_opts(s->tag_fd, &o))
		return -errno;
	return t->result;
}

/* {"ok":true,"ja4":...} and the ids tagged */
static void reply_tagged(struct lookup_server *s, struct lk_client *c,
			 const struct hs_tag_req *t)
{
	json_object *j = json_object_new_object();
	struct conn_names nm;

	conn_tls_names(&s->m, t->tls_id, &nm);
	json_object_object_add(j, "ok", json_object_new_boolean(1));
	json_object_object_add(j, "ja4", nm.ja4[0] ? json_object_new_string(nm.ja4) : NULL);
	json_object_object_add(j, "tls_id", conn_json_id(HS_GEN_KEY(t->tls_id, 0)));
	json_object_object_add(j, "tcp_id", conn_json_id(HS_GEN_KEY(t->tcp_id, 0)));
	json_object_object_add(j, "stack_id", conn_json_id(t->stack_id));
	reply(c, j);
}

static void do_tag(struct lookup_server *s, struct lk_client *c, const struct lk_req *r)
{
	struct hs_tag_req t = { .key = conn_key(&r->client), .account = r->account,
				.how = HS_TAG_CONN };
	int err = run_tag(s, &t);

	if (err == -ENOENT)
		reply_no_record(c, &r->client);
	else if (err)
		reply_error(c, "couldn't tag: %s", strerror(-err));
	else
		reply_tagged(s, c, &t);
}

static void do_tag_ids(struct lookup_server *s, struct lk_client *c, const struct lk_req *r)
{
	struct hs_tag_req t = { .account = r->account, .tls_id = r->tls_id, .tcp_id = r->tcp_id,
				.stack_id = r->stack_id, .how = HS_TAG_IDS };
	int err = run_tag(s, &t);

	if (err)
		reply_error(c, "couldn't tag: %s", strerror(-err));
	else
		reply_tagged(s, c, &t);
}

/* One request line of len bytes (NUL-terminated in place). */
static void serve_line(struct lookup_server *s, struct lk_client *c, char *line, size_t len)
{
	const char *why;
	struct lk_req r;

	if (!lk_bucket_take(&c->tb, clock_ns(CLOCK_MONOTONIC), s->rate, s->burst)) {
		reply_error(c, "over %.0f requests a second: not served", s->rate);
		return;
	}
	if (memchr(line, '\0', len)) {
		reply_error(c, "unknown request");
		return;
	}
	if (lk_parse(line, &r, &why)) {
		reply_error(c, "%s", why);
		return;
	}
	if (r.kind == LK_LOOKUP)
		do_lookup(s, c, &r);
	else if (r.kind == LK_TAG)
		do_tag(s, c, &r);
	else
		do_tag_ids(s, c, &r);
}

/* ---- connections ---- */

/* Send what c has pending, as much as its socket takes now. */
static void client_flush(struct lk_client *c)
{
	ssize_t w;

	while (c->outoff < c->outlen) {
		w = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				c->drop = true;
			return;
		}
		c->outoff += (size_t)w;
	}
	c->outoff = c->outlen = 0;
}

/* The bytes read: every whole line served, the rest kept; a line over
 * LK_LINE_MAX is told and the connection closed. */
static void client_input(struct lookup_server *s, struct lk_client *c, const char *p, size_t n)
{
	const char *nl;
	size_t k;

	while (n && !c->told && !c->drop) {
		nl = memchr(p, '\n', n);
		k = nl ? (size_t)(nl - p) : n;
		if (c->inlen + k > LK_LINE_MAX) {
			reply_error(c, "request line over %d bytes", LK_LINE_MAX);
			c->told = true;
			return;
		}
		memcpy(c->in + c->inlen, p, k);
		c->inlen += k;
		if (!nl)
			return;
		c->in[c->inlen] = '\0';
		serve_line(s, c, c->in, c->inlen);
		c->inlen = 0;
		p += k + 1;
		n -= k + 1;
	}
}

static void client_read(struct lookup_server *s, struct lk_client *c)
{
	char buf[LK_READ];
	ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			c->drop = true;
		return;
	}
	if (n == 0) {
		/* its side closed: a last line without its newline served too,
		 * then closed once the replies are out */
		if (c->inlen) {
			c->in[c->inlen] = '\0';
			serve_line(s, c, c->in, c->inlen);
			c->inlen = 0;
		}
		c->closing = true;
		return;
	}
	client_input(s, c, buf, (size_t)n);
}

static void client_close(struct lk_client *c)
{
	close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static void accept_clients(struct lookup_server *s)
{
	static const char full[] = "{\"error\":\"too many clients\"}\n";
	struct lk_client *c;
	int i, k, fd;

	for (k = 0; k < LK_ACCEPTS; k++) {
		fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		for (i = 0, c = NULL; i < LK_CLIENTS_MAX && !c; i++)
			if (s->cl[i].fd < 0)
				c = &s->cl[i];
		if (!c) {
			if (send(fd, full, sizeof(full) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				pr_debug("lookup socket: a client over the limit: %s", strerror(errno));
			close(fd);
			continue;
		}
		c->fd = fd;
	}
}

/* One turn for client c, whose poll events were ev. */
static void client_turn(struct lookup_server *s, struct lk_client *c, short ev)
{
	if (ev & POLLIN)
		client_read(s, c);
	else if (ev & (POLLERR | POLLNVAL))
		c->drop = true;
	if (!c->drop)
		client_flush(c);
	/* told why it goes (a line too long): closed whether it read it or not */
	if (c->drop || c->told || (c->closing && !c->outlen))
		client_close(c);
}

static void *serve(void *arg)
{
	struct lookup_server *s = arg;
	struct pollfd p[2 + LK_CLIENTS_MAX];
	int at[LK_CLIENTS_MAX], i, n;

	for (;;) {
		p[0] = (struct pollfd){ .fd = s->stop_fd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
		for (i = 0, n = 2; i < LK_CLIENTS_MAX; i++) {
			struct lk_client *c = &s->cl[i];

			if (c->fd < 0)
				continue;
			p[n] = (struct pollfd){ .fd = c->fd,
						.events = (short)((c->closing ? 0 : POLLIN) |
								  (c->outlen ? POLLOUT : 0)) };
			at[n - 2] = i;
			n++;
		}
		if (poll(p, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			pr_warn("lookup socket: poll: %s", strerror(errno));
			break;
		}
		if (p[0].revents)
			break;
		for (i = 2; i < n; i++)
			if (p[i].revents)
				client_turn(s, &s->cl[at[i - 2]], p[i].revents);
		if (p[1].revents)
			accept_clients(s);
	}
	return NULL;
}

/* ---- the socket file ---- */

/* A socket file at path that no one serves (a killed run's): removed. 0,
 * or -1 with one line said (someone serves it, or it is not a socket). */
static int stale_remove(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, err;

	if (lstat(path, &st))
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		pr_warn("--lookup-socket: '%s' exists and is not a socket: left alone", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		pr_warn("--lookup-socket: socket: %s", strerror(errno));
		return -1;
	}
	err = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) ? errno : 0;
	close(fd);
	if (!err) {
		pr_warn("--lookup-socket: '%s' is served by another process (another run?)", path);
		return -1;
	}
	if (err != ECONNREFUSED) {
		pr_warn("--lookup-socket: '%s': %s", path, strerror(err));
		return -1;
	}
	if (unlink(path) && errno != ENOENT) {
		pr_warn("--lookup-socket: couldn't remove the stale '%s': %s", path, strerror(errno));
		return -1;
	}
	pr_debug("--lookup-socket: a stale '%s' replaced", path);
	return 0;
}

/* Bound at path, mode and group set, listening: 0 or -1 (said). */
static int socket_make(struct lookup_server *s, const struct lookup_opts *o)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", o->path);
	snprintf(s->path, sizeof(s->path), "%s", o->path);
	if (stale_remove(o->path, &sa))
		return -1;
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa))) {
		pr_warn("Couldn't make the lookup socket '%s': %s", o->path, strerror(errno));
		return -1;
	}
	s->made = !stat(o->path, &st);
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	/* connections are refused until listen: the mode is set first */
	if ((o->gid != (gid_t)-1 && chown(o->path, (uid_t)-1, o->gid)) || chmod(o->path, o->mode) ||
	    listen(s->lfd, LK_BACKLOG)) {
		pr_warn("Couldn't set up the lookup socket '%s': %s", o->path, strerror(errno));
		return -1;
	}
	return 0;
}

struct lookup_server *lookup_open(const struct lookup_opts *o)
{
	struct lookup_server *s = calloc(1, sizeof(*s));
	int i;

	if (!s) {
		pr_warn("Couldn't set up the lookup socket: %s", strerror(errno));
		return NULL;
	}
	s->lfd = -1;
	s->tag_fd = -1;
	s->rate = o->rate;
	s->burst = o->rate / 10 > 1 ? o->rate / 10 : 1;
	for (i = 0; i < LK_CLIENTS_MAX; i++)
		s->cl[i].fd = -1;
	s->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (s->stop_fd < 0) {
		pr_warn("Couldn't set up the lookup socket: %s", strerror(errno));
		lookup_stop(s);
		return NULL;
	}
	if (socket_make(s, o)) {
		lookup_stop(s);
		return NULL;
	}
	return s;
}

int lookup_start(struct lookup_server *s, const struct conn_maps *m, int tag_fd)
{
	int err;

	if (!s)
		return 0;
	s->m = *m;
	err = conn_maps_sizes(&s->m);
	if (err) {
		pr_warn("Couldn't start the lookup socket: the conns map: %s", strerror(-err));
		return err;
	}
	s->m.cache = conn_cache_new();
	if (!s->m.cache) {
		pr_warn("Couldn't start the lookup socket: %s", strerror(errno));
		return -ENOMEM;
	}
	s->tag_fd = tag_fd;
	err = pthread_create(&s->thread, NULL, serve, s);
	if (err) {
		pr_warn("Couldn't start the lookup socket's thread: %s", strerror(err));
		return -err;
	}
	s->running = true;
	return 0;
}

void lookup_stop(struct lookup_server *s)
{
	__u64 one = 1;
	struct stat st;
	int i;

	if (!s)
		return;
	if (s->running && write(s->stop_fd, &one, sizeof(one)) == sizeof(one))
		pthread_join(s->thread, NULL);
	for (i = 0; i < LK_CLIENTS_MAX; i++)
		if (s->cl[i].fd >= 0)
			client_close(&s->cl[i]);
	if (s->lfd >= 0)
		close(s->lfd);
	/* ours only: not one another process has put there since */
	if (s->made && !stat(s->path, &st) && st.st_dev == s->dev && st.st_ino == s->ino)
		unlink(s->path);
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	conn_cache_free(s->m.cache);
	free(s);
}

/* ---- options ---- */

int hs_opt_lookup_path(const struct hs_opt *o, const char *arg, void *dst)
{
	size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;

	if (!*arg || strlen(arg) > max) {
		pr_warn("invalid --%s '%s' (a path of 1-%zu bytes)", o->name, arg, max);
		return -1;
	}
	*(const char **)dst = arg;
	return 0;
}

static int opt_mode(const struct hs_opt *o, const char *arg, void *dst)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 8);
	if (!*arg || *arg < '0' || *arg > '7' || *end || errno || v > 0777) {
		pr_warn("invalid --%s '%s' (octal permissions, 0-0777)", o->name, arg);
		return -1;
	}
	*(unsigned int *)dst = (unsigned int)v;
	return 0;
}

const struct hs_opt hs_lookup_opts[] = {
	{ .name = "lookup-socket-mode", .arg = "OCTAL", .kind = HS_OPT_FUNC, .parse = opt_mode,
	  HS_AT(struct lookup_opts, mode),
	  .help = "its permissions (default 0660: its owner\n"
		  "and group may look up and tag)" },
	{ .name = "lookup-socket-group", .arg = "GROUP", .kind = HS_OPT_FUNC,
	  .parse = hs_opt_group, HS_AT(struct lookup_opts, gid),
	  .help = "its group (default: run's)" },
	{ .name = "lookup-socket-rate", .arg = "N", .kind = HS_OPT_UINT,
	  HS_AT(struct lookup_opts, rate), .min = 0, .max = 10000000,
	  .help = "requests a second per connection, in\n"
		  "bursts of N/10 (default " HS_OPT_STRINGIFY(LK_DEFAULT_RATE) "; 0: none)" },
	{ 0 }
};
