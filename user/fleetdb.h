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
/* The schema's name of a kind ("ja4", "tcp", "pair"), and back (-1: none). */
const char *fleet_kind_name(enum fp_kind k);
int fleet_kind_of(const char *s);

#endif /* HS_FLEETDB_H */
