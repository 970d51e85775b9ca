/* SPDX-License-Identifier: BSD-3-Clause */
/* The HTTP server of the metrics, its limits and options (exporter.c). */
#ifndef HS_EXPORTER_H
#define HS_EXPORTER_H

#include <stddef.h>

struct metrics_src;

#define HS_DEFAULT_LISTEN "127.0.0.1:9742"
#define HS_DEFAULT_METRICS_PATH "/metrics"

/* The HTTP server's bounds (--web.*), for `exporter` and `run --metrics`. */
struct web_limits {
	unsigned int max_conns;   /* connections at once */
	unsigned int per_ip;      /* of them from one client address */
	unsigned int timeout_s;   /* for each request and its reply, idle time included */
	unsigned int cache_ms;    /* a read of the maps answers the scrapes this long */
};
#define HS_WEB_DEFAULTS { .max_conns = 32, .per_ip = 8, .timeout_s = 10, .cache_ms = 1000 }
enum { HS_OPT_WEB_MAX_CONNS = 0x100, HS_OPT_WEB_PER_IP, HS_OPT_WEB_TIMEOUT, HS_OPT_WEB_CACHE };
#define HS_WEB_LONGOPTS \
	{ "web.max-connections", required_argument, NULL, HS_OPT_WEB_MAX_CONNS }, \
	{ "web.max-connections-per-ip", required_argument, NULL, HS_OPT_WEB_PER_IP }, \
	{ "web.timeout", required_argument, NULL, HS_OPT_WEB_TIMEOUT }, \
	{ "web.cache-ms", required_argument, NULL, HS_OPT_WEB_CACHE }
#define HS_WEB_USAGE \
	"      --web.max-connections N  HTTP connections at once (1-1024, default 32)\n" \
	"      --web.max-connections-per-ip N  of them from one address (1-1024, default 8)\n" \
	"      --web.timeout S          seconds a connection has for each request and its\n" \
	"                               reply, idle time included (1-3600, default 10)\n" \
	"      --web.cache-ms MS        a read of the maps answers every scrape for MS\n" \
	"                               milliseconds (0-60000, default 1000)\n"
/* One of HS_WEB_LONGOPTS: 1 (and *err set on a bad value, said), else 0. */
int web_opt(struct web_limits *w, int opt, const char *arg, int *err);
struct exporter;
/* Serve GET / (a landing page) and GET path (the metrics) on listen
 * ("ADDR:PORT", "[V6]:PORT") within lim; NULL with one line in err. */
struct exporter *exporter_start(const char *listen, const char *path,
				const struct web_limits *lim, struct metrics_src *m,
				char *err, size_t errlen);
void exporter_stop(struct exporter *e);
/* ADDR:PORT valid for exporter_start; 0 or -1. */
int listen_addr_check(const char *listen);

#endif /* HS_EXPORTER_H */
