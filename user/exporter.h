/* SPDX-License-Identifier: BSD-3-Clause */
/* The HTTP server of the metrics, its limits and options (exporter.c). */
#ifndef HS_EXPORTER_H
#define HS_EXPORTER_H

#include <stddef.h>

#include "opts.h"

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
/* --web.max-connections, --web.max-connections-per-ip, --web.timeout,
 * --web.cache-ms into a struct web_limits: an HS_OPT_GROUP's table. */
extern const struct hs_opt hs_web_opts[];
/* An HS_OPT_FUNC: ADDR:PORT that exporter_start takes, as a const char *. */
int hs_opt_listen(const struct hs_opt *o, const char *arg, void *dst);
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
