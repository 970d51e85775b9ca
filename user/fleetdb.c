// SPDX-License-Identifier: BSD-3-Clause
/*
 * The fleet database: connecting (and refusing what would go wrong later:
 * a password on the command line, no hll extension, a schema of another
 * version), and creating or migrating the schema.
 */
#define _GNU_SOURCE   /* strptime, timegm */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include "fleetdb.h"
#include "log.h"
#include "util.h"
#include "hll.h"
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

/* ---- a window's unions ---- */

/* The columns of the union query (binary results: raw sketches). */
enum { C_KIND, C_NAME, C_WINDOW_S, C_DETAIL, C_CONNS, C_UNVALIDATED, C_NOVEL_IPS, C_NOVEL_SITE,
       C_NOVEL_NETS, C_TAGS, C_IPS, C_NETS, C_STACKS, C_ACCOUNTS, C_TAGGED_IPS, C_HOSTS };

#define UNION_COLS \
	"SELECT kind, name, window_s, min(detail), sum(conns)::int8, sum(unvalidated)::int8, " \
	"sum(novel_ips)::int8, sum(novel_site)::int8, sum(novel_nets)::int8, sum(tags)::int8, " \
	"hll_union_agg(ips), hll_union_agg(nets), hll_union_agg(stacks), " \
	"hll_union_agg(accounts), hll_union_agg(tagged_ips), array_agg(host ORDER BY host) " \
	"FROM hydrascope.rows WHERE window_start = to_timestamp($1::float8) "
#define UNION_GROUP "GROUP BY kind, name, window_s"
/* a sketch the union can take: ours (log2m 10, regwidth 5, explicit off,
 * sparse on), or none */
#define SKETCH_OK(c) \
	"(" c " IS NULL OR (hll_log2m(" c ") = 10 AND hll_regwidth(" c ") = 5 AND " \
	"(hll_expthresh(" c ")).specified = 0 AND hll_sparseon(" c ") = 1))"
#define ROW_OK SKETCH_OK("ips") " AND " SKETCH_OK("nets") " AND " SKETCH_OK("stacks") " AND " \
	SKETCH_OK("accounts") " AND " SKETCH_OK("tagged_ips")
#define HOST_IS "AND ($2::text IS NULL OR host = $2) "

struct fleet_names {
	struct fleet_names *next;
	char s[];
};

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static __u64 be_u64(const char *p, int len)
{
	__u64 v = 0;
	int i;

	for (i = 0; i < len; i++)
		v = v << 8 | (unsigned char)p[i];
	return v;
}

static __u64 col_u64(const PGresult *r, int row, int col)
{
	__u64 v;

	if (PQgetisnull(r, row, col))
		return 0;
	v = be_u64(PQgetvalue(r, row, col), PQgetlength(r, row, col));
	return (__s64)v < 0 ? 0 : v;   /* a negative count: none */
}

/* The estimate of a union column (0 when NULL); -1 when it does not decode. */
static double col_estimate(const PGresult *r, int row, int col, const char **why)
{
	__u8 reg[HS_HLL_M];

	if (PQgetisnull(r, row, col))
		return 0;
	if (hll_pg_decode((const __u8 *)PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col),
			  reg, why))
		return -1;
	return hll_estimate(reg);
}

/* every window_s: rows of another are told apart (union_row) */
static PGresult *union_query(PGconn *db, bool filtered, long long start, const char *host)
{
	static const char q[] = UNION_COLS HOST_IS UNION_GROUP;
	static const char qf[] = UNION_COLS HOST_IS "AND " ROW_OK " " UNION_GROUP;
	char s[24];
	const char *params[2] = { s, host };

	snprintf(s, sizeof(s), "%lld", start);
	return PQexecParams(db, filtered ? qf : q, 2, NULL, params, NULL, NULL, 1);
}

/* The rows a filtered query left out: sketches of other parameters. */
static size_t excluded_rows(PGconn *db, long long start, unsigned int window_s, const char *host)
{
	static const char q[] = "SELECT count(*) FROM hydrascope.rows WHERE window_start = "
		"to_timestamp($1::float8) AND window_s = $3::int4 " HOST_IS "AND NOT (" ROW_OK ")";
	char s[24], ws[16];
	const char *params[3] = { s, host, ws };
	PGresult *r;
	size_t n = 0;

	snprintf(s, sizeof(s), "%lld", start);
	snprintf(ws, sizeof(ws), "%u", window_s);
	r = PQexecParams(db, q, 3, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		n = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return n;
}

/* Row i of the result as an observation of its kind (false: skipped). */
static bool union_row(struct fleet_win *w, int i)
{
	const PGresult *r = w->res;
	const char *kind = PQgetvalue(r, i, C_KIND), *name = PQgetvalue(r, i, C_NAME), *why = NULL;
	int k = fleet_kind_of(kind);
	struct det_obs *o;
	__u64 ws = col_u64(r, i, C_WINDOW_S);

	if (ws != w->window_s) {
		w->other_window_s = (unsigned int)ws;
		return false;
	}
	if (k < 0 || (size_t)PQgetlength(r, i, C_NAME) >= DET_NAME_LEN) {
		w->undecodable++;
		w->why = w->why ?: k < 0 ? "a kind not ja4, tcp or pair" : "a name too long";
		return false;
	}
	o = &w->obs[k][w->n[k]];
	memset(o, 0, sizeof(*o));
	memcpy(o->name, name, (size_t)PQgetlength(r, i, C_NAME) + 1);
	o->detail = PQgetisnull(r, i, C_DETAIL) ? NULL : PQgetvalue(r, i, C_DETAIL);
	o->conns = col_u64(r, i, C_CONNS);
	o->unvalidated = col_u64(r, i, C_UNVALIDATED);
	o->novel_ips = col_u64(r, i, C_NOVEL_IPS);
	o->novel_site = col_u64(r, i, C_NOVEL_SITE);
	o->novel_nets = col_u64(r, i, C_NOVEL_NETS);
	o->tags = col_u64(r, i, C_TAGS);
	o->ips = col_estimate(r, i, C_IPS, &why);
	o->nets = col_estimate(r, i, C_NETS, &why);
	o->stacks = k == FP_TLS ? col_estimate(r, i, C_STACKS, &why) : 0;
	o->accounts = col_estimate(r, i, C_ACCOUNTS, &why);
	o->tagged_ips = col_estimate(r, i, C_TAGGED_IPS, &why);
	if (o->ips < 0 || o->nets < 0 || o->stacks < 0 || o->accounts < 0 || o->tagged_ips < 0) {
		w->undecodable++;
		w->why = w->why ?: why;
		return false;
	}
	w->row[k][w->n[k]++] = i;
	return true;
}

int fleetdb_window(PGconn *db, long long start, unsigned int window_s, const char *host,
		   struct fleet_win *w, char *err, size_t errlen)
{
	double t0 = wall_s();
	int n, i, k;

	memset(w, 0, sizeof(*w));
	w->start = start;
	w->window_s = window_s;
	w->res = union_query(db, false, start, host);
	/* a row of other sketch parameters fails the union: taken again
	 * without such rows, which are counted */
	if (PQresultStatus(w->res) == PGRES_FATAL_ERROR && !strncmp(PQresultErrorField(
	    w->res, PG_DIAG_SQLSTATE) ?: "", "22", 2) && PQstatus(db) == CONNECTION_OK) {
		PQclear(w->res);
		w->res = union_query(db, true, start, host);
		w->excluded = excluded_rows(db, start, window_s, host);
	}
	if (PQresultStatus(w->res) != PGRES_TUPLES_OK) {
		fleetdb_err(db, w->res, "reading a window of the fleet", err, errlen);
		fleet_win_free(w);
		return -1;
	}
	w->query_s = wall_s() - t0;
	n = PQntuples(w->res);
	for (k = 0; k < 3; k++) {
		w->obs[k] = malloc((n ? (size_t)n : 1) * sizeof(*w->obs[k]));
		w->row[k] = malloc((n ? (size_t)n : 1) * sizeof(*w->row[k]));
		if (!w->obs[k] || !w->row[k]) {
			snprintf(err, errlen, "reading a window of the fleet: out of memory");
			fleet_win_free(w);
			return -1;
		}
	}
	for (i = 0; i < n; i++)
		union_row(w, i);
	w->decode_s = wall_s() - t0 - w->query_s;
	return 0;
}

/* Observation o's row of the result, or -1. */
static int obs_row(const struct fleet_win *w, enum fp_kind kind, const struct det_obs *o)
{
	if ((unsigned int)kind > FP_PAIR || !w->n[kind] || o < w->obs[kind] ||
	    o >= w->obs[kind] + w->n[kind])
		return -1;
	return w->row[kind][o - w->obs[kind]];
}

/* The binary array of C_HOSTS: ndim, flags, element type, then per
 * dimension its size and lower bound, then each element's length and
 * bytes. Its size, and where its first element starts (NULL: none). */
static const char *hosts_array(const PGresult *r, int row, unsigned int *n, const char **end)
{
	const char *p = PQgetvalue(r, row, C_HOSTS);
	int len = PQgetlength(r, row, C_HOSTS);

	*n = 0;
	*end = p + len;
	if (PQgetisnull(r, row, C_HOSTS) || len < 12 || be_u64(p, 4) != 1 || len < 20)
		return NULL;
	*n = (unsigned int)be_u64(p + 12, 4);
	return p + 20;
}

unsigned int fleet_win_nhosts(const struct fleet_win *w, enum fp_kind kind, size_t i)
{
	const char *end;
	unsigned int n;

	if ((unsigned int)kind > FP_PAIR || i >= w->n[kind])
		return 0;
	hosts_array(w->res, w->row[kind][i], &n, &end);
	return n;
}

size_t fleet_win_hosts(struct fleet_win *w, enum fp_kind kind, const struct det_obs *o,
		       const char **names, size_t max)
{
	int row = obs_row(w, kind, o);
	const char *p, *end;
	struct fleet_names *fn;
	unsigned int n, i;
	size_t got = 0, off = 0;

	if (row < 0 || !(p = hosts_array(w->res, row, &n, &end)))
		return 0;
	fn = malloc(sizeof(*fn) + (size_t)(end - p) + n);   /* each name and its NUL */
	if (!fn)
		return 0;
	fn->next = w->names;
	w->names = fn;
	for (i = 0; i < n && got < max && end - p >= 4; i++) {
		__u64 len = be_u64(p, 4);

		p += 4;
		if (len == 0xffffffffu || len > (__u64)(end - p))
			break;   /* a NULL host (the schema has none), or cut short */
		memcpy(fn->s + off, p, len);
		fn->s[off + len] = 0;
		names[got++] = fn->s + off;
		off += len + 1;
		p += len;
	}
	return got;
}

void fleet_win_free(struct fleet_win *w)
{
	int k;

	for (k = 0; k < 3; k++) {
		free(w->obs[k]);
		free(w->row[k]);
		w->obs[k] = NULL;
		w->row[k] = NULL;
		w->n[k] = 0;
	}
	while (w->names) {
		struct fleet_names *next = w->names->next;

		free(w->names);
		w->names = next;
	}
	PQclear(w->res);
	w->res = NULL;
}

/* ---- times ---- */

/* TIME: seconds since the epoch, or RFC 3339 (a 'T' or ' ' between date
 * and time, fraction ignored, Z or an offset). 0, or -1 said. */
int fleet_parse_time(const char *opt, const char *s, long long *out)
{
	unsigned long long v;
	struct tm tm = { 0 };
	const char *p;
	int sign, hh, mm, n = 0;

	if (!parse_uint(s, (1ULL << 40), &v)) {
		*out = (long long)v;
		return 0;
	}
	p = strptime(s, "%Y-%m-%d", &tm);
	if (p && (*p == 'T' || *p == 't' || *p == ' '))
		p = strptime(p + 1, "%H:%M:%S", &tm);
	else
		p = NULL;
	if (p && *p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	*out = p ? (long long)timegm(&tm) : 0;
	if (p && (*p == 'Z' || *p == 'z') && !p[1])
		return 0;
	if (p && (*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &n) == 2 &&
	    !p[1 + n] && hh < 24 && mm < 60) {
		sign = *p == '+' ? 1 : -1;
		*out -= sign * (hh * 3600LL + mm * 60LL);
		return 0;
	}
	pr_warn("%s '%s': not a time (RFC 3339, e.g. 2026-12-02T10:00:00Z, or seconds since "
		"the epoch)", opt, s);
	return -1;
}
