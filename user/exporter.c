// SPDX-License-Identifier: BSD-3-Clause
/*
 * The Prometheus endpoint (libmicrohttpd): `hydrascope exporter` serves a
 * running instance's pinned maps; `run --metrics` serves the same from the
 * daemon with the detector's results. One internal polling thread answers
 * every request in turn (a scrape reads the maps synchronously), with a
 * connection limit, per-address limit, timeout and memory limit per
 * connection. GET or HEAD only: / is a landing page, the telemetry path the
 * metrics, anything else 404.
 */
#define _GNU_SOURCE  /* asprintf */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <microhttpd.h>

#include "hs.h"

#define MAX_CONNECTIONS 32
#define MAX_PER_IP 8
#define TIMEOUT_S 10
#define CONN_MEMORY (32 * 1024)

struct exporter {
	struct MHD_Daemon *d;
	char path[256];
	struct metrics_src *m;
};

static const char landing[] =
	"<!DOCTYPE html>\n<html><head><title>hydrascope</title></head><body>\n"
	"<h1>hydrascope</h1>\n<p>XDP traffic fingerprinting: TCP SYN (p0f) and TLS "
	"ClientHello (JA4) fingerprints, hydra detection.</p>\n"
	"<p><a href=\"%s\">Metrics</a></p>\n</body></html>\n";

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, const char *type,
			     char *body, size_t len, bool owned)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body,
		owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r) {
		if (owned)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload, size_t *upload_size, void **state)
{
	struct exporter *e = cls;
	static char not_found[] = "Not found\n", bad_method[] = "Method not allowed\n",
		    failed[] = "Couldn't read the maps\n", no_body[] = "Request body not accepted\n";
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	(void)version;
	(void)upload;
	if (!*state) {                  /* headers only so far */
		*state = e;
		return MHD_YES;
	}
	if (*upload_size)
		return reply(c, MHD_HTTP_CONTENT_TOO_LARGE, "text/plain", no_body,
			     sizeof(no_body) - 1, false);
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", bad_method,
			     sizeof(bad_method) - 1, false);
	if (!strcmp(url, "/") && strcmp(e->path, "/")) {
		if (asprintf(&buf, landing, e->path) < 0)
			return MHD_NO;
		return reply(c, MHD_HTTP_OK, "text/html; charset=utf-8", buf, strlen(buf), true);
	}
	if (strcmp(url, e->path))
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", not_found,
			     sizeof(not_found) - 1, false);
	f = open_memstream(&buf, &len);
	if (!f)
		return MHD_NO;
	err = metrics_render(e->m, f);
	fclose(f);
	if (err) {
		free(buf);
		pr_warn("scrape: couldn't read the maps: %s", strerror(-err));
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", failed,
			     sizeof(failed) - 1, false);
	}
	return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", buf, len, true);
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

struct exporter *exporter_start(const char *addr, const char *path,
				struct metrics_src *m, char *err, size_t errlen)
{
	struct exporter *e = calloc(1, sizeof(*e));
	struct sockaddr_storage ss;
	int fd, one = 1;
	socklen_t sl;

	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (parse_listen(addr, &ss, err, errlen))
		goto fail;
	if (path[0] != '/' || strlen(path) >= sizeof(e->path)) {
		snprintf(err, errlen, "invalid telemetry path '%s' (must start with '/')", path);
		goto fail;
	}
	snprintf(e->path, sizeof(e->path), "%s", path);
	e->m = m;
	/* our own socket: a port in use is reported as such, in one line */
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sl = ss.ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, 64)) {
		snprintf(err, errlen, "couldn't listen on %s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	e->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0,
				NULL, NULL, on_request, e,
				MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)MAX_CONNECTIONS,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)MAX_PER_IP,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)TIMEOUT_S,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				MHD_OPTION_END);
	if (!e->d) {
		close(fd);
		snprintf(err, errlen, "couldn't start the HTTP server on %s", addr);
		goto fail;
	}
	return e;
fail:
	free(e);
	return NULL;
}

void exporter_stop(struct exporter *e)
{
	if (!e)
		return;
	MHD_stop_daemon(e->d);
	free(e);
}

static void exporter_usage(FILE *f)
{
	fprintf(f,
		"Usage: hydrascope exporter [--pin-dir DIR] [--web.listen-address ADDR:PORT]\n"
		"                           [--web.telemetry-path PATH] [--top N] [-v]\n"
		"Serve the pinned maps of a running 'hydrascope run' to Prometheus.\n"
		"      --pin-dir DIR                maps to read (default " HS_DEFAULT_PIN_DIR ")\n"
		"      --web.listen-address ADDR:PORT  (default " HS_DEFAULT_LISTEN ")\n"
		"      --web.telemetry-path PATH    (default " HS_DEFAULT_METRICS_PATH ")\n"
		"  -n, --top N                      JA4s with their own series (default %d)\n"
		"  -v, --verbose                    log each HTTP error\n"
		"Stop with Ctrl-C (or SIGTERM).\n", HS_METRICS_TOP);
}

int cmd_exporter(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "pin-dir", required_argument, NULL, 'P' },
		{ "web.listen-address", required_argument, NULL, 'L' },
		{ "web.telemetry-path", required_argument, NULL, 'T' },
		{ "top", required_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct metrics_src m = { .pin_dir = HS_DEFAULT_PIN_DIR, .stats_fd = -1, .tcp_fd = -1,
				 .tls_fd = -1, .enforce_fd = -1, .top = HS_METRICS_TOP };
	const char *listen = HS_DEFAULT_LISTEN, *path = HS_DEFAULT_METRICS_PATH;
	struct signalfd_siginfo si;
	struct exporter *e = NULL;
	int opt, err, ret = HS_EXIT_ERR, sfd = -1;
	char errbuf[512];
	sigset_t mask;

	optind = 1;
	while ((opt = getopt_long(argc, argv, ":n:vh", lo, NULL)) != -1) {
		switch (opt) {
		case 'P': m.pin_dir = optarg; break;
		case 'L': listen = optarg; break;
		case 'T': path = optarg; break;
		case 'n':
			if (parse_top(optarg, &m.top))
				return HS_EXIT_USAGE;
			break;
		case 'v': hs_verbose++; break;
		case 'h': exporter_usage(stdout); return HS_EXIT_OK;
		default: return bad_option("exporter", opt, argv);
		}
	}
	if (optind < argc) {
		pr_warn("unexpected argument '%s'", argv[optind]);
		return HS_EXIT_USAGE;
	}
	if (listen_addr_check(listen))
		return HS_EXIT_USAGE;
	if (path[0] != '/') {
		pr_warn("invalid --web.telemetry-path '%s' (must start with '/')", path);
		return HS_EXIT_USAGE;
	}
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
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) || (sfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0) {
		pr_warn("Couldn't set up signal handling: %s", strerror(errno));
		goto out;
	}
	e = exporter_start(listen, path, &m, errbuf, sizeof(errbuf));
	if (!e) {
		pr_warn("%s", errbuf);
		goto out;
	}
	pr_info("serving %s on http://%s%s", m.pin_dir, listen, path);
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
	return ret;
}
