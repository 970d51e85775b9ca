/* SPDX-License-Identifier: BSD-3-Clause */
/* Windows: closing, judging, alerting, enforcing, saving (window.c). */
#ifndef HS_WINDOW_H
#define HS_WINDOW_H

#include <stdbool.h>

#include "detect.h"
#include "fps.h"
#include "opts.h"

struct windows;
/* alerts_path NULL or "-": stdout; else appended to, created 0600. */
struct windows *win_new(const struct det_config *c, unsigned int window_s,
			const char *alerts_path, bool json, bool redact);
void win_free(struct windows *w);
/* Close the windows that end at or before now_ns (program clock): replay,
 * whose program writes generation 0 only. */
int win_advance(struct windows *w, const struct fp_maps *m, __u64 now_ns);
/* Would win_advance at now_ns do anything (the first time: start the
 * windows)? Replay runs the packets before a window's end first. */
bool win_due(const struct windows *w, __u64 now_ns);
/* Close a window now: read the entries of generation gen (0 or 1: keys
 * whose lowest bit is gen; -1: every entry) of tls_fps and, unless the
 * config turned TCP stacks off, of tcp_fps (m->tcp -1: left alone), merged
 * by name, delete them, judge each kind with its own detector, write the
 * alerts; clear the pairs of that generation (m->pairs -1: none). end_ns
 * (Unix ns; 0: the window's own end) is the alerts' ts. */
int win_close(struct windows *w, const struct fp_maps *m, int gen, __u64 end_ns);
/* A window of rows read elsewhere (the fleet's, from its database):
 * judged as win_close judges the maps' (alerts, summary); end_ns (Unix ns)
 * is the alerts' ts. The rows stay the caller's. */
struct win_rows {
	struct det_obs *tls, *pairs, *tcp;
	size_t ntls, npairs, ntcp;
};
int win_judge(struct windows *w, const struct win_rows *r, __u64 end_ns);
/* Alerts of another scope than one host's: "scope" is scope (in place of
 * enforcement's, which does not apply), "hosts" the names hosts() puts
 * (at most max; an alert's obs is one of win_judge's rows, or a
 * fingerprint absent from the window), no sample_ips; alerted (may be
 * NULL) is told each alert after it was written, with its JSON line. */
#define WIN_HOSTS_MAX 1024
struct win_scope {
	const char *scope;
	size_t (*hosts)(void *ctx, enum fp_kind kind, const struct det_obs *o,
			const char **names, size_t max);
	void (*alerted)(void *ctx, enum fp_kind kind, const struct det_alert *a,
			const char *json);
	void *ctx;
};
void win_set_scope(struct windows *w, const struct win_scope *s);
/* A window's rows of each kind as read, before they are judged: what a
 * sink of windows (the fleet's) takes. */
struct win_read {
	__u64 end_ns;                     /* the window's end (Unix ns) */
	unsigned int window_s;
	const struct fp_reader *rd[3];    /* by enum fp_kind; NULL: not read */
	const struct det_obs *rows[3];
	size_t n[3];
};
typedef void (*win_read_fn)(void *ctx, const struct win_read *r);
/* Call fn with each window's rows at its close, their sketches kept
 * (fpr_keep_sketches: fpr_sketches, fpr_account_sketches). */
void win_sink(struct windows *w, win_read_fn fn, void *ctx);
/* Detector state of both kinds: path (TLS) and path's "-tcp.json" twin.
 * win_load reports a rejected file in one line and starts that kind fresh. */
int win_save(const struct windows *w, const char *path);
int win_load(struct windows *w, const char *path);
/* The seen map starts empty under a restored state: novelty learned anew
 * (det_novelty_relearn). */
void win_novelty_relearn(struct windows *w);
unsigned long long win_alerts(const struct windows *w);
/* The detector's results for a scrape (any thread): copied under a lock. */
#define WIN_OPEN_MAX 64
struct win_summary {
	unsigned int windows;
	size_t known[2];                           /* by enum fp_kind */
	unsigned long long alerts[2][3];           /* by kind, enum det_state */
	size_t nopen[2];                           /* alerts open after the last window */
	/* of FP_TLS's, the unfingerprinted populations' (hydra_unfingerprinted) */
	unsigned long long unfp_alerts[3];
	size_t unfp_open;
	struct win_open {
		enum fp_kind kind;
		bool unfp;                         /* an unfingerprinted population */
		char name[DET_NAME_LEN];
		int score;
		double ips;
	} open[WIN_OPEN_MAX];                      /* the first of them */
	size_t nlisted;
};
void win_summary(struct windows *w, struct win_summary *s);
/* run --enforce: alerts (new, active) of JA4s not allowlisted put their TLS
 * ids in the enforce map (enforce_fd) with mode and an expiry ttl_s ahead;
 * an ended alert removes them, expired entries are swept each window. */
void win_enforce(struct windows *w, int enforce_fd, int mode, unsigned int ttl_s);
/* --enforce's names of the HS_ENF_* modes. */
extern const struct hs_opt_name hs_enforce_names[];
/* "dry-run", "drop", or NULL for HS_ENF_OFF. */
const char *enforce_mode_name(int mode);

#endif /* HS_WINDOW_H */
