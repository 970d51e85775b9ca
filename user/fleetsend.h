/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fleet sink of `run --fleet` and `replay --fleet` (fleetsend.c): each
 * window's rows, written at its close as one batch into an on-disk spool,
 * sent by a thread of its own to the fleet database (one transaction a
 * batch, applied once whatever the retries).
 */
#ifndef HS_FLEETSEND_H
#define HS_FLEETSEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "detect.h"
#include "opts.h"
#include "window.h"

#define FLEET_SPOOL_MIB 256         /* --fleet-spool-max's default */
#define FLEET_HOST_MAX 255

/* --fleet and its options, the same for run and replay. */
struct fleet_opts {
	const char *url;                /* NULL: no fleet */
	const char *host;               /* NULL: the host name */
	const char *spool;              /* NULL: the command's default */
	unsigned long long spool_mib;   /* 0: FLEET_SPOOL_MIB */
};
/* An HS_OPT_GROUP's table: --fleet (its URL checked: no password),
 * --fleet-host, --fleet-spool, --fleet-spool-max. */
extern const struct hs_opt hs_fleet_opts[];
/* After parsing: 0, or -1 (said) when a --fleet-* option came without
 * --fleet. */
int fleet_opts_check(const struct fleet_opts *o);

struct fleet_sink;
/* The sink of o into spool_dir (o->spool or the command's default; made
 * 0700 when missing, locked). replay: batches named by their content (a
 * capture replayed again adds nothing), the database's state said at the
 * end rather than as it changes. NULL (said) on failure; *made: the
 * directory was made. */
struct fleet_sink *fleet_sink_open(const struct fleet_opts *o, const char *spool_dir,
				   bool replay, bool *made);
/* The host name the rows carry. */
const char *fleet_sink_host(const struct fleet_sink *s);
/* The sender thread (started once capabilities are dropped: it has none
 * either). 0 or -1 (said). */
int fleet_sink_start(struct fleet_sink *s);
/* Wait up to ms for the sender's first connection: 0 connected, 1 not
 * (unreachable, or not yet), -1 the database is not one to send to (no
 * extension, another schema version): err says why. */
int fleet_sink_ready(struct fleet_sink *s, unsigned int ms, char *err, size_t errlen);
/* win_sink's function (ctx: the sink): the window's batch into the spool.
 * Never waits for the database. */
void fleet_sink_window(void *ctx, const struct win_read *r);
/* run: stop the sender, sending what the spool holds for up to ms; what
 * is left stays for the next start (said). */
void fleet_sink_stop(struct fleet_sink *s, unsigned int ms);
/* replay: wait until the spool is empty, as long as a batch goes through
 * at least every stall_ms; then stop. 0, or -1 with one line said: what
 * is left, where, and the last error; and the windows lost (the spool's
 * bound, a full disk, refused). */
int fleet_sink_drain(struct fleet_sink *s, unsigned int stall_ms);
/* Stopped first if still running; the spool closed (and removed when
 * rm_empty and empty). */
void fleet_sink_free(struct fleet_sink *s, bool rm_empty);

/* A batch written by hand (tests, bench; fleet_sink_window uses it): rows
 * of the window starting at start_s, then into the spool. */
struct fleet_batch;
struct fleet_batch *fleet_batch_new(struct fleet_sink *s, unsigned long long start_s,
				    unsigned int window_s);
/* A row: sk its nsk sketch registers (ips, nets, stacks for FP_TLS), acct
 * the accounts and tagged sources registers (NULL: untagged). */
void fleet_batch_row(struct fleet_batch *b, enum fp_kind kind, const struct det_obs *o,
		     const __u8 *const *sk, unsigned int nsk, const __u8 *const *acct);
/* Into the spool (the batch freed): 0, or -1 (counted, said once). */
int fleet_batch_end(struct fleet_batch *b);

/* What a scrape shows. */
struct fleet_stats {
	unsigned long long windows_sent, rows_sent;
	unsigned long long send_errors;
	unsigned long long dropped_bound;   /* the oldest, past --fleet-spool-max */
	unsigned long long dropped_disk;    /* couldn't be written (disk full, ...) */
	unsigned long long rejected;        /* refused by the database as data: set aside */
	size_t spooled, spool_bytes;
	bool up;                            /* the last connection or batch worked */
};
void fleet_sink_stats(struct fleet_sink *s, struct fleet_stats *st);

/* s as a COPY text field into out (room for 2 * strlen(s) + 1): backslash,
 * tab, newline and CR escaped, a byte that is not valid UTF-8 as '?'. Its
 * length. */
size_t fleet_copy_text(char *out, const char *s);

#endif /* HS_FLEETSEND_H */
