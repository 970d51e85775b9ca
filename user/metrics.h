/* SPDX-License-Identifier: BSD-3-Clause */
/* The Prometheus exposition of a running instance (metrics.c). */
#ifndef HS_METRICS_H
#define HS_METRICS_H

#include <stdio.h>

struct windows;
struct fp_reader;
struct det_config;
struct fleet_sink;

#define HS_METRICS_TOP 10
/* What a scrape reads: a running instance's pinned maps, and in `run` its
 * windows (the detector's results). */
struct metrics_src {
	const char *pin_dir;
	int stats_fd, tcp_fd, tls_fd, enforce_fd;   /* enforce_fd -1: none */
	int seen_fd;                                /* -1: none (an older instance) */
	int acct_fd;                                /* the accounts map; -1: none */
	int quic_fd;                                /* the quic_user map; -1: none */
	/* run: the seen map's entries at its last save (SIZE_MAX: none yet);
	 * NULL: the exporter, which does not count them (a second a million) */
	const size_t *seen_entries;
	unsigned long top;                          /* per-fingerprint series */
	const struct det_config *dc;                /* scores; NULL: the defaults */
	struct windows *win;                        /* NULL: exporter */
	struct fleet_sink *fleet;                   /* run --fleet; NULL: none */
	struct fp_reader *rd;                       /* owned by the scrape thread */
	unsigned long long renders;                 /* reads of the maps so far */
};
/* The exposition text (Prometheus text format 0.0.4); 0 or -errno. */
int metrics_render(struct metrics_src *m, FILE *f);

#endif /* HS_METRICS_H */
