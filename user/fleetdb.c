// SPDX-License-Identifier: BSD-3-Clause
/*
 * The fleet database: connecting (and refusing what would go wrong later:
 * a password on the command line, no hll extension, a schema of another
 * version), and creating or migrating the schema.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetdb.h"
#include "fleet_sql.h"   /* dist/fleet.sql as fleet_sql[] (Makefile) */

static const char *const kind_names[] = { [FP_TLS] = "ja4", [FP_TCP] = "tcp", [FP_PAIR] = "pair" };

const char *fleet_kind_name(enum fp_kind k)
{
	return (unsigned int)k < 3 ? kind_names[k] : "?";
}

int fleet_kind_of(const char *s)
{
	int k;

	for (k = 0; k < 3; k++)
		if (!strcmp(s, kind_names[k]))
			return k;
	return -1;
}

/* msg's first line, without "ERROR:  " and trailing blanks */
static void one_line(const char *msg, char *err, size_t errlen)
{
	size_t n;

	if (!msg || !*msg)
		msg = "unknown error";
	if (!strncmp(msg, "ERROR:  ", 8) || !strncmp(msg, "FATAL:  ", 8))
		msg += 8;
	n = strcspn(msg, "\n");
	while (n && (msg[n - 1] == ' ' || msg[n - 1] == '\r'))
		n--;
	snprintf(err, errlen, "%.*s", (int)n, msg);
}

void fleetdb_err(PGconn *db, const PGresult *res, const char *what, char *err, size_t errlen)
{
	char line[512];

	one_line(res ? PQresultErrorMessage(res) : PQerrorMessage(db), line, sizeof(line));
	if (res && !*PQresultErrorMessage(res))
		one_line(PQerrorMessage(db), line, sizeof(line));
	snprintf(err, errlen, "%s: %s", what, line);
}

/* true when url carries a password */
static bool has_password(const char *url, char *err, size_t errlen)
{
	char *msg = NULL;
	PQconninfoOption *o = PQconninfoParse(url, &msg), *p;
	bool pw = false;

	if (!o) {
		char line[400];

		one_line(msg, line, sizeof(line));
		snprintf(err, errlen, "invalid database URL: %s", line);
		PQfreemem(msg);
		return true;
	}
	for (p = o; p->keyword; p++)
		if (!strcmp(p->keyword, "password") && p->val && *p->val)
			pw = true;
	PQconninfoFree(o);
	if (pw)
		snprintf(err, errlen, "a password in the database URL is refused (the command line is "
			 "visible to every user): put it in ~/.pgpass, PGPASSFILE or a service file");
	return pw;
}

PGconn *fleetdb_open(const char *url, char *err, size_t errlen)
{
	char line[512];
	PGconn *db;

	if (has_password(url, line, sizeof(line))) {
		snprintf(err, errlen, "%s", line);
		return NULL;
	}
	db = PQconnectdb(url);
	if (!db) {
		snprintf(err, errlen, "database: out of memory");
		return NULL;
	}
	if (PQstatus(db) != CONNECTION_OK) {
		one_line(PQerrorMessage(db), line, sizeof(line));
		snprintf(err, errlen, "Couldn't connect to the fleet database: %s", line);
		PQfinish(db);
		return NULL;
	}
	/* the session's times in UTC: windows are compared as timestamps */
	PQclear(PQexec(db, "SET TIME ZONE 'UTC'"));
	return db;
}

/* One value of a query (text), or NULL: copied into buf. */
static const char *one_value(PGconn *db, const char *sql, char *buf, size_t len)
{
	PGresult *r = PQexec(db, sql);
	const char *v = NULL;

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)) {
		snprintf(buf, len, "%s", PQgetvalue(r, 0, 0));
		v = buf;
	}
	PQclear(r);
	return v;
}

static const char *schema_version(PGconn *db, char *buf, size_t len)
{
	if (!one_value(db, "SELECT to_regclass('hydrascope.meta') IS NOT NULL", buf, len) ||
	    strcmp(buf, "t"))
		return NULL;
	return one_value(db, "SELECT value FROM hydrascope.meta WHERE key = 'schema_version'",
			 buf, len);
}

int fleetdb_url_check(const char *url, char *err, size_t errlen)
{
	return has_password(url, err, errlen) ? -1 : 0;
}

PGconn *fleetdb_connect(const char *url, char *err, size_t errlen)
{
	PGconn *db = fleetdb_open(url, err, errlen);

	if (db && fleetdb_check(db, err, errlen)) {
		PQfinish(db);
		return NULL;
	}
	return db;
}

int fleetdb_check(PGconn *db, char *err, size_t errlen)
{
	char v[64];

	if (!one_value(db, "SELECT extversion FROM pg_extension WHERE extname = 'hll'", v, sizeof(v))) {
		snprintf(err, errlen, "the fleet database has no hll extension (Debian: postgresql-15-hll): "
			 "run 'hydrascope fleet --db URL --init' as a role that may create it");
		return -1;
	}
	if (!schema_version(db, v, sizeof(v))) {
		snprintf(err, errlen, "the fleet database has no hydrascope schema: "
			 "run 'hydrascope fleet --db URL --init'");
		return -1;
	}
	if (atoi(v) != FLEET_SCHEMA_VERSION) {
		snprintf(err, errlen, "the fleet database's schema is version %.16s, this hydrascope's is %d%s",
			 v, FLEET_SCHEMA_VERSION, atoi(v) < FLEET_SCHEMA_VERSION ?
			 ": run 'hydrascope fleet --db URL --init' to migrate it" :
			 ": upgrade hydrascope");
		return -1;
	}
	return 0;
}

int fleetdb_init(PGconn *db, FILE *out, char *err, size_t errlen)
{
	char before[64] = "", ext[64] = "";
	bool had_ext, had_schema;
	PGresult *r;

	had_ext = one_value(db, "SELECT extversion FROM pg_extension WHERE extname = 'hll'",
			    ext, sizeof(ext)) != NULL;
	had_schema = schema_version(db, before, sizeof(before)) != NULL;
	if (had_schema && atoi(before) > FLEET_SCHEMA_VERSION) {
		snprintf(err, errlen, "the fleet database's schema is version %.16s, newer than this "
			 "hydrascope's (%d): left as it is", before, FLEET_SCHEMA_VERSION);
		return -1;
	}
	/* quiet: the script's "already exists, skipping" notices are expected */
	PQclear(PQexec(db, "SET client_min_messages = warning"));
	r = PQexec(db, "BEGIN");
	PQclear(r);
	r = PQexec(db, fleet_sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		fleetdb_err(db, r, "creating the fleet schema", err, errlen);
		PQclear(r);
		PQclear(PQexec(db, "ROLLBACK"));
		return -1;
	}
	PQclear(r);
	r = PQexec(db, "COMMIT");
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fleetdb_err(db, r, "creating the fleet schema", err, errlen);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	if (!had_ext)
		fprintf(out, "created the hll extension (version %s)\n",
			one_value(db, "SELECT extversion FROM pg_extension WHERE extname = 'hll'",
				  ext, sizeof(ext)) ? ext : "?");
	if (!had_schema)
		fprintf(out, "created the hydrascope schema, version %d\n", FLEET_SCHEMA_VERSION);
	else if (atoi(before) < FLEET_SCHEMA_VERSION)
		fprintf(out, "migrated the hydrascope schema from version %s to %d\n", before,
			FLEET_SCHEMA_VERSION);
	else
		fprintf(out, "the hydrascope schema is at version %d already: nothing to do\n",
			FLEET_SCHEMA_VERSION);
	r = PQexec(db, "SELECT hydrascope.upkeep()");
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		fprintf(out, "upkeep: %s\n", PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}
