// SPDX-License-Identifier: BSD-3-Clause
/*
 * The Prometheus endpoint (libmicrohttpd): `hydrascope exporter` serves a
 * running instance's pinned maps; `run --metrics` serves the same from the
 * daemon with the detector's results. Built for hostile clients: one
 * server thread of our own runs the daemon (epoll, no thread per
 * connection) and answers every request in turn; connections are bounded
 * in number (at the limit, the one that has waited longest for a request
 * makes room), per client address and in memory (an oversized request
 * line or header gets 414 or 431), and each request with its reply must
 * finish within the timeout, idle time included, or the connection is
 * shut down: libmicrohttpd's own timeout is an idle one, which a client
 * trickling a byte a second never reaches. A read of the maps (10-80 ms on big maps)
 * answers every scrape for cache_ms, so parallel scrapers cost one read,
 * not one each. GET or HEAD without a body only: / is a landing page, the
 * telemetry path the metrics, anything else 404.
 */
#define _GNU_SOURCE  /* asprintf */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/capability.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <microhttpd.h>

#include "exporter.h"
#include "cmd.h"
#include "config.h"
#include "fps.h"
#include "log.h"
#include "metrics.h"
#include "pins.h"
#include "util.h"

#define CONN_MEMORY (32 * 1024)   /* request line, headers, reply headers */
#define LISTEN_BACKLOG 1024        /* bursts of connections wait, not dropped */

/* A connection of the daemon: its socket, and when its current request
 * and reply must be done. */
struct conn {
	struct conn *prev, *next;
	int fd;
	bool busy;                 /* a request in, its reply not yet sent */
	uint64_t deadline_ms;      /* UINT64_MAX: shut down, being closed */
};

enum { R_LANDING, R_NOT_FOUND, R_BAD_METHOD, R_BODY, R_FAILED, R_COUNT };

struct exporter {
	struct MHD_Daemon *d;
	struct web_limits lim;
	char path[256];
	struct metrics_src *m;
	struct MHD_Response *fixed[R_COUNT];
	struct MHD_Response *body;  /* the last read of the maps, while fresh */
	uint64_t body_ms;           /* when it was read */
	struct conn conns;          /* list head */
	unsigned int nconns;
	unsigned long long closed;  /* connections closed so far */
	pthread_t thread;
	bool running;
	int stop_fd;                /* eventfd: the thread ends */
};

static const char landing[] =
	"<!DOCTYPE html>\n<html><head><title>hydrascope</title></head><body>\n"
	"<h1>hydrascope</h1>\n<p>XDP traffic fingerprinting: TCP SYN (p0f) and TLS "
	"ClientHello (JA4) fingerprints, hydra detection.</p>\n"
	"<p><a href=\"%s\">Metrics</a></p>\n</body></html>\n";

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct MHD_Response *text(const char *body, size_t len, enum MHD_ResponseMemoryMode mm,
				 const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, mm);

	if (r && MHD_add_response_header(r, "Content-Type", type) != MHD_YES) {
		MHD_destroy_response(r);
		return NULL;
	}
	return r;
}

/* The metrics as they are now, or NULL. */
static struct MHD_Response *render(struct exporter *e)
{
	struct MHD_Response *r;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int err;

	if (!f)
		return NULL;
	e->m->renders++;
	err = metrics_render(e->m, f);
	if (fclose(f) && !err)
		err = -ENOMEM;
	if (err) {
		pr_warn("scrape: couldn't read the maps: %s", strerror(-err));
		free(buf);
		return NULL;
	}
	r = text(buf, len, MHD_RESPMEM_MUST_FREE, "text/plain; version=0.0.4; charset=utf-8");
	if (!r)
		free(buf);
	return r;
}

static struct conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *i =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return i ? i->socket_context : NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload, size_t *upload_size, void **state)
{
	struct exporter *e = cls;
	struct conn *k = conn_of(c);
	uint64_t now;

	(void)version;
	(void)upload;
	(void)upload_size;
	if (k)
		k->busy = true;
	/* first called once the headers are in: a refusal goes then, before
	 * any body is read (and the connection is closed after it) */
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return MHD_queue_response(c, MHD_HTTP_METHOD_NOT_ALLOWED, e->fixed[R_BAD_METHOD]);
	if (MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING) ||
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH))
		return MHD_queue_response(c, MHD_HTTP_CONTENT_TOO_LARGE, e->fixed[R_BODY]);
	/* an answer on the second call keeps the connection open */
	if (!*state) {
		*state = e;
		return MHD_YES;
	}
	if (!strcmp(url, "/") && strcmp(e->path, "/"))
		return MHD_queue_response(c, MHD_HTTP_OK, e->fixed[R_LANDING]);
	if (strcmp(url, e->path))
		return MHD_queue_response(c, MHD_HTTP_NOT_FOUND, e->fixed[R_NOT_FOUND]);
	now = now_ms();
	if (!e->body || now - e->body_ms >= e->lim.cache_ms) {
		struct MHD_Response *r = render(e);

		if (!r)
			return MHD_queue_response(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
						  e->fixed[R_FAILED]);
		if (e->body)
			MHD_destroy_response(e->body);   /* replies in flight keep theirs */
		e->body = r;
		e->body_ms = now;
	}
	return MHD_queue_response(c, MHD_HTTP_OK, e->body);
}

/* Shut a connection down: the daemon then sees it end and closes it, in
 * this same thread (so its socket is still its own here). */
static void conn_shut(struct conn *k)
{
	shutdown(k->fd, SHUT_RDWR);
	k->deadline_ms = UINT64_MAX;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **ctx,
			  enum MHD_ConnectionNotificationCode code)
{
	struct exporter *e = cls;
	struct conn *k = *ctx, *old = NULL, *i;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (k) {
			k->prev->next = k->next;
			k->next->prev = k->prev;
			e->nconns--;
			e->closed++;
			free(k);
		}
		*ctx = NULL;
		return;
	}
	k = calloc(1, sizeof(*k));
	if (!k) {          /* untracked would be unbounded in time: refused */
		shutdown(MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD)->connect_fd,
			 SHUT_RDWR);
		return;
	}
	/* the last free place taken: the connection that has waited longest
	 * for its (next) request makes room, so that clients which hold
	 * connections open, from however many addresses, don't lock others
	 * out until their timeout */
	if (++e->nconns >= e->lim.max_conns) {
		for (i = e->conns.next; i != &e->conns; i = i->next)
			if (!i->busy && i->deadline_ms != UINT64_MAX &&
			    (!old || i->deadline_ms < old->deadline_ms))
				old = i;
		if (old)
			conn_shut(old);
	}
	k->fd = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD)->connect_fd;
	k->deadline_ms = now_ms() + e->lim.timeout_s * 1000ULL;
	k->next = e->conns.next;
	k->prev = &e->conns;
	k->next->prev = k;
	e->conns.next = k;
	*ctx = k;
}

/* A reply sent (or the request abandoned): the next request's time starts. */
static void on_completed(void *cls, struct MHD_Connection *c, void **state,
			 enum MHD_RequestTerminationCode toe)
{
	struct exporter *e = cls;
	struct conn *k = conn_of(c);

	(void)state;
	(void)toe;
	if (k && k->deadline_ms != UINT64_MAX) {
		k->busy = false;
		k->deadline_ms = now_ms() + e->lim.timeout_s * 1000ULL;
	}
}

/* Shut down the connections past their deadline; the milliseconds to the
 * next deadline, -1 for none. */
static int reap(struct exporter *e)
{
	uint64_t now = now_ms(), next = UINT64_MAX;
	struct conn *k;

	for (k = e->conns.next; k != &e->conns; k = k->next) {
		if (k->deadline_ms == UINT64_MAX)
			continue;
		if (k->deadline_ms <= now)
			conn_shut(k);
		else if (k->deadline_ms < next) {
			next = k->deadline_ms;
		}
	}
	return next == UINT64_MAX ? -1 : (int)(next - now);
}

static void *serve(void *arg)
{
	struct exporter *e = arg;
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(e->d, MHD_DAEMON_INFO_EPOLL_FD);
	struct pollfd p[2] = {
		{ .fd = di->epoll_fd, .events = POLLIN },
		{ .fd = e->stop_fd, .events = POLLIN },
	};
	cap_t none = cap_init();

	/* a thread's capabilities are its own: this one, which answers the
	 * network, holds none (the maps and the pins it reads are open or
	 * readable without), whatever the thread that started it keeps */
	if (!none || cap_set_proc(none))
		pr_warn("exporter: couldn't drop the HTTP thread's capabilities: %s",
			strerror(errno));
	cap_free(none);

	for (;;) {
		MHD_UNSIGNED_LONG_LONG mhd_ms;
		unsigned long long closed;
		int wait = reap(e);

		if (MHD_get_timeout(e->d, &mhd_ms) == MHD_YES && (wait < 0 || mhd_ms < (unsigned)wait))
			wait = (int)mhd_ms;
		if (poll(p, 2, wait) < 0 && errno != EINTR) {
			pr_warn("http: poll: %s", strerror(errno));
			break;
		}
		if (p[1].revents)
			break;
		/* a connection closed at the limit: the daemon takes its
		 * listening socket back into its epoll set on the next run only */
		do {
			closed = e->closed;
			MHD_run(e->d);
		} while (e->closed != closed);
	}
	return NULL;
}

/* "ADDR:PORT" or "[V6ADDR]:PORT" into a socket address; 0 or -1. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, char *err, size_t errlen)
{
	char host[128];
	const char *colon, *port;
	unsigned long long p;
	size_t n;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || end[1] != ':')
			goto bad;
		n = (size_t)(end - s - 1);
		if (n >= sizeof(host))
			goto bad;
		memcpy(host, s + 1, n);
		port = end + 2;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon)
			goto bad;
		n = (size_t)(colon - s);
		if (n >= sizeof(host))
			goto bad;
		memcpy(host, s, n);
		port = colon + 1;
	}
	host[n] = 0;
	if (parse_uint(port, 65535, &p) || !p)
		goto bad;
	if (!*host && s[0] != '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;   /* ":PORT": every address */

		a6->sin6_family = AF_INET6;
		a6->sin6_addr = in6addr_any;
		a6->sin6_port = htons((uint16_t)p);
		return 0;
	}
	{
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		if (s[0] != '[' && inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
			a4->sin_family = AF_INET;
			a4->sin_port = htons((uint16_t)p);
			return 0;
		}
		if (s[0] == '[' && inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
			a6->sin6_family = AF_INET6;
			a6->sin6_port = htons((uint16_t)p);
			return 0;
		}
	}
bad:
	snprintf(err, errlen, "invalid listen address '%s' (ADDR:PORT or [IPV6]:PORT, "
		 "numeric, e.g. %s)", s, HS_DEFAULT_LISTEN);
	return -1;
}

int listen_addr_check(const char *addr)
{
	struct sockaddr_storage ss;
	char err[256];

	if (parse_listen(addr, &ss, err, sizeof(err))) {
		pr_warn("%s", err);
		return -1;
	}
	return 0;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = 0;
	pr_debug("http: %s", line);
}

void exporter_stop(struct exporter *e)
{
	uint64_t one = 1;
	int i;

	if (!e)
		return;
	if (e->running && write(e->stop_fd, &one, sizeof(one)) == sizeof(one))
		pthread_join(e->thread, NULL);
	if (e->d)
		MHD_stop_daemon(e->d);   /* closes every connection, and the socket */
	for (i = 0; i < R_COUNT; i++)
		if (e->fixed[i])
			MHD_destroy_response(e->fixed[i]);
	if (e->body)
		MHD_destroy_response(e->body);
	if (e->stop_fd >= 0)
		close(e->stop_fd);
	free(e);
}

static int fixed_replies(struct exporter *e)
{
	static const char not_found[] = "Not found\n", bad_method[] = "Method not allowed\n",
			  no_body[] = "Request body not accepted\n",
			  failed[] = "Couldn't read the maps\n";
	char *page;

	if (asprintf(&page, landing, e->path) < 0)
		return -1;
	e->fixed[R_LANDING] = text(page, strlen(page), MHD_RESPMEM_MUST_FREE,
				   "text/html; charset=utf-8");
	if (!e->fixed[R_LANDING])
		free(page);
	e->fixed[R_NOT_FOUND] = text(not_found, sizeof(not_found) - 1, MHD_RESPMEM_PERSISTENT,
				     "text/plain");
	e->fixed[R_BAD_METHOD] = text(bad_method, sizeof(bad_method) - 1, MHD_RESPMEM_PERSISTENT,
				      "text/plain");
	e->fixed[R_BODY] = text(no_body, sizeof(no_body) - 1, MHD_RESPMEM_PERSISTENT, "text/plain");
	e->fixed[R_FAILED] = text(failed, sizeof(failed) - 1, MHD_RESPMEM_PERSISTENT, "text/plain");
	for (int i = 0; i < R_COUNT; i++)
		if (!e->fixed[i])
			return -1;
	if (MHD_add_response_header(e->fixed[R_BAD_METHOD], MHD_HTTP_HEADER_ALLOW,
				    "GET, HEAD") != MHD_YES)
		return -1;
	return 0;
}

struct exporter *exporter_start(const char *addr, const char *path,
				const struct web_limits *lim, struct metrics_src *m,
				char *err, size_t errlen)
{
	struct exporter *e = calloc(1, sizeof(*e));
	struct sockaddr_storage ss;
	struct rlimit rl;
	int fd = -1, one = 1;
	socklen_t sl;

	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->lim = *lim;
	e->m = m;
	e->conns.next = e->conns.prev = &e->conns;
	e->stop_fd = -1;
	if (parse_listen(addr, &ss, err, errlen))
		goto fail;
	if (path[0] != '/' || strlen(path) >= sizeof(e->path)) {
		snprintf(err, errlen, "invalid telemetry path '%s' (must start with '/')", path);
		goto fail;
	}
	snprintf(e->path, sizeof(e->path), "%s", path);
	/* room for every connection beside the maps and the rest: the soft
	 * limit raised when it is lower and the hard one allows */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < lim->max_conns + 64ULL &&
	    rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max < lim->max_conns + 64ULL ? rl.rlim_max :
			      lim->max_conns + 64ULL;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	e->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (e->stop_fd < 0 || fixed_replies(e)) {
		snprintf(err, errlen, "couldn't set up the HTTP server: %s", strerror(errno));
		goto fail;
	}
	/* our own socket: a port in use is reported as such, in one line */
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sl = ss.ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, LISTEN_BACKLOG)) {
		snprintf(err, errlen, "couldn't listen on %s: %s", addr, strerror(errno));
		goto fail;
	}
	e->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, e,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_CONNECTION_LIMIT, lim->max_conns,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, lim->per_ip,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
				MHD_OPTION_NOTIFY_CONNECTION, on_connection, e,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, e,
				MHD_OPTION_END);
	if (!e->d) {
		snprintf(err, errlen, "couldn't start the HTTP server on %s", addr);
		goto fail;
	}
	fd = -1;                        /* the daemon's now */
	if (pthread_create(&e->thread, NULL, serve, e)) {
		snprintf(err, errlen, "couldn't start the HTTP server's thread");
		goto fail;
	}
	e->running = true;
	return e;
fail:
	if (fd >= 0)
		close(fd);
	exporter_stop(e);
	return NULL;
}

#define WEB_LIMIT(nm, m, lo, hi, a, h) \
	{ .name = nm, .arg = a, .kind = HS_OPT_UINT, HS_AT(struct web_limits, m), \
	  .min = lo, .max = hi, .help = h }
const struct hs_opt hs_web_opts[] = {
	WEB_LIMIT("web.max-connections", max_conns, 1, 1024, "N",
		  "HTTP connections at once (1-1024, default 32)"),
	WEB_LIMIT("web.max-connections-per-ip", per_ip, 1, 1024, "N",
		  "of them from one address (1-1024, default 8)"),
	WEB_LIMIT("web.timeout", timeout_s, 1, 3600, "S",
		  "seconds a connection has for each request and its\n"
		  "reply, idle time included (1-3600, default 10)"),
	WEB_LIMIT("web.cache-ms", cache_ms, 0, 60000, "MS",
		  "a read of the maps answers every scrape for MS\n"
		  "milliseconds (0-60000, default 1000)"),
	{ 0 }
};

int hs_opt_listen(const struct hs_opt *o, const char *arg, void *dst)
{
	(void)o;
	if (listen_addr_check(arg))
		return -1;
	*(const char **)dst = arg;
	return 0;
}

static int opt_telemetry_path(const struct hs_opt *o, const char *arg, void *dst)
{
	(void)o;
	if (arg[0] != '/') {
		pr_warn("invalid --web.telemetry-path '%s' (must start with '/')", arg);
		return -1;
	}
	*(const char **)dst = arg;
	return 0;
}

struct exporter_opts {
	struct web_limits lim;
	const char *pin_dir, *listen, *path, *config;
	unsigned long top;
};

static const struct hs_cmd_opts exporter_cmd = {
	.cmd = "exporter",
	.about = "Serve the pinned maps of a running 'hydrascope run' to Prometheus.\n",
	.epilog = "Stop with Ctrl-C (or SIGTERM).\n",
	.col = 31,
	.opts = (const struct hs_opt[]){
		HS_OPT_PIN_DIR(struct exporter_opts, pin_dir,
			       "maps to read (default " HS_DEFAULT_PIN_DIR ")"),
		{ .name = "web.listen-address", .arg = "ADDR:PORT", .kind = HS_OPT_FUNC,
		  .parse = hs_opt_listen, HS_AT(struct exporter_opts, listen),
		  .help = "(default " HS_DEFAULT_LISTEN ")" },
		{ .name = "web.telemetry-path", .arg = "PATH", .kind = HS_OPT_FUNC,
		  .parse = opt_telemetry_path, HS_AT(struct exporter_opts, path),
		  .help = "(default " HS_DEFAULT_METRICS_PATH ")" },
		{ .kind = HS_OPT_GROUP, .group = hs_web_opts, HS_AT(struct exporter_opts, lim) },
		HS_OPT_TOP(struct exporter_opts, top, "JA4s with their own series (default "
			   HS_OPT_STRINGIFY(HS_METRICS_TOP) ")"),
		HS_OPT_CONFIG(struct exporter_opts, config,
			      "score them with run's thresholds and allowlist"),
		HS_OPT_VERBOSE("log each HTTP error"),
		{ 0 }
	},
};

int cmd_exporter(int argc, char **argv)
{
	struct exporter_opts o = { .lim = HS_WEB_DEFAULTS, .pin_dir = HS_DEFAULT_PIN_DIR,
				   .listen = HS_DEFAULT_LISTEN, .path = HS_DEFAULT_METRICS_PATH,
				   .top = HS_METRICS_TOP };
	struct metrics_src m = { .stats_fd = -1, .tcp_fd = -1, .tls_fd = -1, .enforce_fd = -1,
				 .seen_fd = -1, .acct_fd = -1, .quic_fd = -1 };
	struct signalfd_siginfo si;
	struct det_config dc;
	unsigned int file_window;
	struct exporter *e = NULL;
	int err, ret = HS_EXIT_ERR, sfd = -1;
	char errbuf[512];

	err = hs_opts_parse(&exporter_cmd, argc, argv, &o);
	if (err <= 0)
		return hs_opts_exit(err);
	if (det_settings(o.config, 0, &dc, &file_window))
		return HS_EXIT_USAGE;
	m.dc = &dc;
	m.pin_dir = o.pin_dir;
	m.top = o.top;
	err = hs_pin_open(m.pin_dir, "tcp_fps", &m.tcp_fd);
	if (!err)
		err = hs_pin_open(m.pin_dir, "tls_fps", &m.tls_fd);
	if (!err)
		err = hs_pin_open(m.pin_dir, "stats", &m.stats_fd);
	if (err) {
		ret = hs_err_exit(err);
		goto out;
	}
	m.enforce_fd = hs_pin_get(m.pin_dir, "enforce");
	m.seen_fd = hs_pin_get(m.pin_dir, "seen");
	m.acct_fd = hs_pin_get(m.pin_dir, "accounts");
	m.quic_fd = hs_pin_get(m.pin_dir, "quic_user");
	sfd = signal_fd((const int[]){ SIGINT, SIGTERM, 0 }, NULL);
	if (sfd < 0) {
		pr_warn("Couldn't set up signal handling: %s", strerror(errno));
		goto out;
	}
	e = exporter_start(o.listen, o.path, &o.lim, &m, errbuf, sizeof(errbuf));
	if (!e) {
		pr_warn("%s", errbuf);
		goto out;
	}
	pr_info("serving %s on http://%s%s", m.pin_dir, o.listen, o.path);
	while (read(sfd, &si, sizeof(si)) < 0 && errno == EINTR)
		;
	ret = HS_EXIT_OK;
out:
	exporter_stop(e);
	fpr_free(m.rd);
	if (sfd >= 0)
		close(sfd);
	if (m.stats_fd >= 0)
		close(m.stats_fd);
	if (m.tcp_fd >= 0)
		close(m.tcp_fd);
	if (m.tls_fd >= 0)
		close(m.tls_fd);
	if (m.enforce_fd >= 0)
		close(m.enforce_fd);
	if (m.seen_fd >= 0)
		close(m.seen_fd);
	if (m.acct_fd >= 0)
		close(m.acct_fd);
	if (m.quic_fd >= 0)
		close(m.quic_fd);
	return ret;
}
