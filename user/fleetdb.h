/* SPDX-License-Identifier: BSD-3-Clause */
/* The fleet database (PostgreSQL with the hll extension, libpq): the
 * connection every fleet role shares, its checks, the schema (fleetdb.c;
 * the schema itself is dist/fleet.sql, built in). */
#ifndef HS_FLEETDB_H
#define HS_FLEETDB_H

#include <stddef.h>
#include <stdio.h>
#include <libpq-fe.h>

#include "detect.h"

#define FLEET_SCHEMA_VERSION 1

/* A connection to url (a libpq URI or key=value string; credentials from
 * the service file, PGPASSFILE and the like, never in url: one with a
 * password is refused), checked: the hll extension there, the schema at
 * FLEET_SCHEMA_VERSION. NULL and a one-line reason in err otherwise. */
PGconn *fleetdb_connect(const char *url, char *err, size_t errlen);
/* url parsed (not connected to): 0, or -1 with err when it is invalid or
 * carries a password. */
int fleetdb_url_check(const char *url, char *err, size_t errlen);
/* The checks of fleetdb_connect on a connection: 0, or -1 with err. */
int fleetdb_check(PGconn *db, char *err, size_t errlen);
/* The same without the schema check (fleet --init's). */
PGconn *fleetdb_open(const char *url, char *err, size_t errlen);
/* Create or migrate the schema (the extension included) in one
 * transaction, and say what was done on out: 0, or -1 with err. */
int fleetdb_init(PGconn *db, FILE *out, char *err, size_t errlen);
/* The last error of db (or of res, when not NULL) as one line into err. */
void fleetdb_err(PGconn *db, const PGresult *res, const char *what, char *err, size_t errlen);
/* One window of the fleet: every host's rows of a kind and name unioned
 * (sums of the counts, hll_union_agg of the sketches, the hosts), the
 * unions' registers estimated with our own estimator (hll_estimate): the
 * detector's observations, by kind. */
struct fleet_win {
	long long start;                /* Unix seconds */
	unsigned int window_s;
	struct det_obs *obs[3];         /* by enum fp_kind */
	size_t n[3];
	int *row[3];                    /* each observation's row of res */
	PGresult *res;                  /* the unions (details and hosts point here) */
	struct fleet_names *names;      /* host lists copied out (fleet_win_hosts) */
	size_t undecodable;             /* unions skipped: a sketch that did not decode */
	size_t excluded;                /* rows left out: sketches of other parameters */
	const char *why;                /* why the first undecodable one was */
	unsigned int other_window_s;    /* rows of another window_s there (0: none) */
	double query_s, decode_s;       /* wall time in the query, in decoding */
};
/* Read window start (Unix seconds) of window_s: every host's rows, or
 * host's alone (not NULL). 0, or -1 with err. */
int fleetdb_window(PGconn *db, long long start, unsigned int window_s, const char *host,
		   struct fleet_win *w, char *err, size_t errlen);
/* The hosts whose rows carried observation o of w (NULL when it is not
 * one of w's), sorted, into names (at most max, valid until
 * fleet_win_free): their number. */
size_t fleet_win_hosts(struct fleet_win *w, enum fp_kind kind, const struct det_obs *o,
		       const char **names, size_t max);
/* The number of those hosts alone. */
unsigned int fleet_win_nhosts(const struct fleet_win *w, enum fp_kind kind, size_t i);
void fleet_win_free(struct fleet_win *w);
/* TIME of option opt: seconds since the epoch, or RFC 3339 (a 'T' or ' '
 * between date and time, a fraction ignored, Z or an offset). 0, or -1
 * with one line said. */
int fleet_parse_time(const char *opt, const char *s, long long *out);
/* The schema's name of a kind ("ja4", "tcp", "pair"), and back (-1: none). */
const char *fleet_kind_name(enum fp_kind k);
int fleet_kind_of(const char *s);

#endif /* HS_FLEETDB_H */
