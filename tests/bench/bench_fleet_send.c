// SPDX-License-Identifier: BSD-3-Clause
/*
 * The fleet sink's figures (tests/bench/bench_fleet.sh drives it against a
 * PostgreSQL of its own): W windows of R fingerprint rows of one host,
 * written into a spool as a window close writes them (the close's cost a
 * row), then sent by the sink's own thread (COPY into a staging table and
 * the upsert, one transaction a window) until the spool is empty: rows a
 * second through the real send path. The baseline, measured in the same
 * run on the same rows: plain INSERTs, one a row (prepared, the same ON
 * CONFLICT upsert), one transaction a window. Then what the rows take on
 * disk (heap, TOAST, index) and what that makes per host and day; and the
 * same with the sketch columns' storage MAIN (compressed) instead of the
 * extension's EXTERNAL (never compressed), toast_tuple_target 128.
 *
 * Rows: half JA4s (3 sketches), a quarter TCP stacks and a quarter pairs
 * (2 each); each fingerprint's sources drawn log-uniform from 1 to 5,000
 * (most fingerprints are seen from a few addresses, a few from
 * thousands), its networks half as many, a JA4's stacks 1 to 20. The
 * registers are filled as the kernel fills them, from hashes.
 *
 * Usage: bench_fleet URL SPOOL_DIR ROWS WINDOWS WINDOW_S
 * Output: "name value unit" lines.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libpq-fe.h>

#include "fleetdb.h"
#include "fleetsend.h"
#include "hll.h"

#define DAY0 1893456000ULL      /* 2030-01-01: the copy's windows */
#define DAY1 (DAY0 + 86400)     /* the baseline's */
#define DAY2 (DAY1 + 86400)     /* the copy's again, the sketches' storage MAIN */

static double copy_rate;        /* rows a second through the sink */

struct row {
	struct det_obs o;
	enum fp_kind kind;
	__u8 sk[3][HS_HLL_M];
};

static __u64 mix(__u64 *s)
{
	__u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* n distinct items into reg, as the kernel adds them */
static void fill(__u8 *reg, unsigned int n, __u64 *seed)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		__u64 h = mix(seed), rest = h >> HS_HLL_P;
		__u8 rank = rest ? (__u8)(__builtin_ctzll(rest) + 1) : (__u8)(64 - HS_HLL_P + 1);
		unsigned int idx = (unsigned int)(h & (HS_HLL_M - 1));

		if (rank > reg[idx])
			reg[idx] = rank;
	}
}

static struct row *make_rows(unsigned int n)
{
	struct row *r = calloc(n, sizeof(*r));
	__u64 seed = 42;
	unsigned int i, ips;

	for (i = 0; r && i < n; i++) {
		r[i].kind = i % 4 < 2 ? FP_TLS : i % 4 == 2 ? FP_TCP : FP_PAIR;
		ips = (unsigned int)exp((double)(mix(&seed) % 10000) / 10000 * log(5000)) + 1;
		snprintf(r[i].o.name, sizeof(r[i].o.name),
			 r[i].kind == FP_TLS ? "t13d%04u%02uh2_%012llx_%012llx" :
			 r[i].kind == FP_TCP ? "4:64:0:1460:mss*%u,%u:mss,sok,ts,nop,ws:df,id+:%llx%llx" :
			 "t13d%04uh2_%02u_%012llx_%012llx 4:64:0:1460:mss*44,10:mss,sok,ts,nop,ws:df,id+:0",
			 i, i % 97, (unsigned long long)mix(&seed) & 0xffffffffffffULL,
			 (unsigned long long)mix(&seed) & 0xffffffffffffULL);
		r[i].o.detail = r[i].kind == FP_TLS ?
			"t13d1517h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,"
			"cca8,cca9_0005,000a,000b,000d,0012,0017,001b,0023,002b,002d,0033,44cd,ff01_"
			"0403,0804,0401,0503,0805,0501,0806,0601" : "Linux 3.11 and newer";
		r[i].o.conns = ips + mix(&seed) % (2 * ips);
		fill(r[i].sk[0], ips, &seed);
		fill(r[i].sk[1], ips / 2 + 1, &seed);
		if (r[i].kind == FP_TLS)
			fill(r[i].sk[2], (unsigned int)(mix(&seed) % 20) + 1, &seed);
	}
	return r;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* W windows of the rows through the sink: the spool's write, then the
 * send; 0 or -1 */
static int via_sink(const char *url, const char *spool, struct row *r, unsigned int n,
		    unsigned int w, unsigned int window_s, __u64 day, const char *tag)
{
	struct fleet_opts o = { .url = url, .host = "bench-copy", .spool_mib = 4096 };
	struct fleet_sink *s;
	struct fleet_stats st;
	double t0, t1, t2;
	unsigned int i, k;
	bool made;

	s = fleet_sink_open(&o, spool, false, &made);
	if (!s)
		return -1;
	t0 = now_s();
	for (k = 0; k < w; k++) {
		struct fleet_batch *b = fleet_batch_new(s, day + (__u64)k * window_s, window_s);

		for (i = 0; i < n; i++) {
			const __u8 *sk[3] = { r[i].sk[0], r[i].sk[1], r[i].sk[2] };

			fleet_batch_row(b, r[i].kind, &r[i].o, sk, r[i].kind == FP_TLS ? 3 : 2, NULL);
		}
		if (fleet_batch_end(b))
			return -1;
	}
	t1 = now_s();
	fleet_sink_stats(s, &st);
	if (!*tag) {
		printf("fleet_spool_write_us_per_row %.2f us\n", (t1 - t0) * 1e6 / ((double)n * w));
		printf("fleet_spool_bytes_per_row %.0f bytes\n",
		       (double)st.spool_bytes / ((double)n * w));
	}
	if (fleet_sink_start(s) || fleet_sink_drain(s, 30000))
		return -1;
	t2 = now_s();
	fleet_sink_stats(s, &st);
	if (!*tag)
		copy_rate = (double)st.rows_sent / (t2 - t1);
	printf("fleet_copy%s_rows_per_s %.0f rows/s\n", tag, (double)st.rows_sent / (t2 - t1));
	printf("fleet_copy%s_window_ms %.1f ms (%u rows)\n", tag, (t2 - t1) * 1e3 / w, n);
	fleet_sink_free(s, false);
	return st.rows_sent == (unsigned long long)n * w ? 0 : -1;
}

static void hexs(const __u8 *reg, char *out)
{
	__u8 pg[HLL_PG_LEN];
	size_t i, k = hll_pg_encode(reg, pg);

	out[0] = '\\';
	out[1] = 'x';
	for (i = 0; i < k; i++)
		sprintf(out + 2 + 2 * i, "%02x", pg[i]);
}

static int ok(PGresult *r, const char *what)
{
	ExecStatusType st = PQresultStatus(r);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		fprintf(stderr, "bench_fleet: %s: %s", what, PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	return 0;
}

/* The baseline: an INSERT a row, one transaction a window */
static int plain_inserts(PGconn *db, struct row *r, unsigned int n, unsigned int w,
			 unsigned int window_s)
{
	static char hx[3][2 * HLL_PG_LEN + 3];
	char start[24], win[16], conns[24], batch[64], nrows[16];
	double t0 = now_s();
	unsigned int i, k;

	if (ok(PQprepare(db, "row",
			 "INSERT INTO hydrascope.rows AS r (window_start, window_s, host, kind, name, "
			 "detail, conns, ips, nets, stacks) VALUES (to_timestamp($1::bigint), $2, "
			 "'bench-insert', $3, $4, $5, $6, $7, $8, $9) "
			 "ON CONFLICT (window_start, kind, name, host) DO UPDATE SET "
			 "conns = r.conns + excluded.conns, ips = hll_union(r.ips, excluded.ips), "
			 "nets = hll_union(r.nets, excluded.nets), stacks = COALESCE(hll_union(r.stacks, "
			 "excluded.stacks), r.stacks, excluded.stacks)", 0, NULL), "PREPARE"))
		return -1;
	snprintf(win, sizeof(win), "%u", window_s);
	snprintf(nrows, sizeof(nrows), "%u", n);
	for (k = 0; k < w; k++) {
		snprintf(start, sizeof(start), "%llu", DAY1 + (unsigned long long)k * window_s);
		snprintf(batch, sizeof(batch), "insert-%u", k);
		const char *bp[] = { batch, start, win, nrows };

		if (ok(PQexec(db, "BEGIN"), "BEGIN") ||
		    ok(PQexec(db, "SELECT hydrascope.partition_for('2030-01-02 00:00:00+00')"),
		       "partition_for") ||
		    ok(PQexecParams(db, "INSERT INTO hydrascope.batches (host, batch, window_start, "
				    "window_s, nrows) VALUES ('bench-insert', $1, "
				    "to_timestamp($2::bigint), $3, $4)", 4, NULL, bp, NULL, NULL, 0),
		       "batches"))
			return -1;
		for (i = 0; i < n; i++) {
			const char *p[9];

			hexs(r[i].sk[0], hx[0]);
			hexs(r[i].sk[1], hx[1]);
			hexs(r[i].sk[2], hx[2]);
			snprintf(conns, sizeof(conns), "%llu", (unsigned long long)r[i].o.conns);
			p[0] = start;
			p[1] = win;
			p[2] = fleet_kind_name(r[i].kind);
			p[3] = r[i].o.name;
			p[4] = r[i].o.detail;
			p[5] = conns;
			p[6] = hx[0];
			p[7] = hx[1];
			p[8] = r[i].kind == FP_TLS ? hx[2] : NULL;
			if (ok(PQexecPrepared(db, "row", 9, p, NULL, NULL, 0), "INSERT"))
				return -1;
		}
		if (ok(PQexec(db, "COMMIT"), "COMMIT"))
			return -1;
	}
	double rate = (double)n * w / (now_s() - t0);

	printf("fleet_insert_rows_per_s %.0f rows/s (baseline: an INSERT a row)\n", rate);
	printf("fleet_copy_vs_insert %.1f x\n", copy_rate / rate);
	return 0;
}

static double num(PGconn *db, const char *sql)
{
	PGresult *r = PQexec(db, sql);
	double v = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ?
		   atof(PQgetvalue(r, 0, 0)) : -1;

	PQclear(r);
	return v;
}

static double q1(PGconn *db, const char *fmt, const char *part)
{
	char sql[512];

	snprintf(sql, sizeof(sql), fmt, part, part);
	return num(db, sql);
}

/* What the rows of a partition take on disk, per row and per host and day
 * at rows_w rows a window of window_s. */
static void sizes(PGconn *db, const char *part, const char *tag, unsigned int rows_w,
		  unsigned int window_s)
{
	double rows, total, heap, toast, index, day;
	char sql[256];

	snprintf(sql, sizeof(sql), "VACUUM ANALYZE %s", part);
	PQclear(PQexec(db, sql));
	rows = q1(db, "SELECT count(*) FROM %s", part);
	total = q1(db, "SELECT pg_total_relation_size('%s')", part);
	heap = q1(db, "SELECT pg_relation_size('%s')", part);
	toast = q1(db, "SELECT coalesce(pg_total_relation_size(reltoastrelid), 0) FROM pg_class "
		   "WHERE oid = '%s'::regclass", part);
	index = q1(db, "SELECT pg_indexes_size('%s')", part);
	printf("fleet%s_db_bytes_per_row %.0f bytes (heap %.0f, toast %.0f, index %.0f)\n", tag,
	       total / rows, heap / rows, toast / rows, index / rows);
	printf("fleet%s_sketch_stored_bytes %.0f bytes (ips: all %.0f, of 1-20 sources %.0f, of "
	       "1,000+ %.0f; %d raw)\n", tag,
	       q1(db, "SELECT avg(pg_column_size(ips)) FROM %s", part),
	       q1(db, "SELECT avg(pg_column_size(ips)) FROM %s", part),
	       q1(db, "SELECT avg(pg_column_size(ips)) FROM %s WHERE hll_cardinality(ips) <= 20", part),
	       q1(db, "SELECT avg(pg_column_size(ips)) FROM %s WHERE hll_cardinality(ips) >= 1000", part),
	       HLL_PG_LEN);
	printf("fleet%s_row_stored_bytes %.0f bytes (a row's columns: ja4 %.0f, tcp %.0f, pair %.0f)\n",
	       tag, q1(db, "SELECT avg(pg_column_size(r.*)) FROM %s r", part),
	       q1(db, "SELECT avg(pg_column_size(r.*)) FROM %s r WHERE kind = 'ja4'", part),
	       q1(db, "SELECT avg(pg_column_size(r.*)) FROM %s r WHERE kind = 'tcp'", part),
	       q1(db, "SELECT avg(pg_column_size(r.*)) FROM %s r WHERE kind = 'pair'", part));
	day = total / rows * rows_w * (86400.0 / window_s);
	printf("fleet%s_db_mib_per_host_day %.0f MiB (%u fingerprint rows a window of %u s)\n", tag,
	       day / (1 << 20), rows_w, window_s);
}

/* The sketch columns compressible: the extension's type is STORAGE
 * EXTERNAL (out of line past 2 KB, never compressed); MAIN compresses
 * them (pglz) in a row over 2 KB (TOAST's threshold: below it nothing is
 * tried), down to toast_tuple_target (128: as far as it goes) on the next
 * day's partition, made after to inherit MAIN. */
static int compressible(PGconn *db)
{
	return ok(PQexec(db, "ALTER TABLE hydrascope.rows ALTER COLUMN ips SET STORAGE MAIN, "
			 "ALTER COLUMN nets SET STORAGE MAIN, ALTER COLUMN stacks SET STORAGE MAIN, "
			 "ALTER COLUMN accounts SET STORAGE MAIN, "
			 "ALTER COLUMN tagged_ips SET STORAGE MAIN"), "SET STORAGE") ||
	       ok(PQexec(db, "CREATE TABLE hydrascope.rows_20300103 PARTITION OF hydrascope.rows "
			 "FOR VALUES FROM ('2030-01-03 00:00:00+00') TO ('2030-01-04 00:00:00+00') "
			 "WITH (toast_tuple_target = 128)"), "CREATE TABLE");
}

int main(int argc, char **argv)
{
	unsigned int n, w, window_s;
	struct row *r;
	PGconn *db;
	char err[1024];

	if (argc != 6) {
		fprintf(stderr, "usage: bench_fleet URL SPOOL_DIR ROWS WINDOWS WINDOW_S\n");
		return 2;
	}
	n = (unsigned int)atoi(argv[3]);
	w = (unsigned int)atoi(argv[4]);
	window_s = (unsigned int)atoi(argv[5]);
	r = make_rows(n);
	db = fleetdb_connect(argv[1], err, sizeof(err));
	if (!r || !db) {
		fprintf(stderr, "bench_fleet: %s\n", db ? "out of memory" : err);
		return 1;
	}
	if (via_sink(argv[1], argv[2], r, n, w, window_s, DAY0, "")) {
		fprintf(stderr, "bench_fleet: the sink did not send every row\n");
		return 1;
	}
	sizes(db, "hydrascope.rows_20300101", "", n, window_s);
	if (plain_inserts(db, r, n, w, window_s))
		return 1;
	if (compressible(db) ||
	    via_sink(argv[1], argv[2], r, n, w, window_s, DAY2, "_storage_main")) {
		fprintf(stderr, "bench_fleet: the compressed run failed\n");
		return 1;
	}
	sizes(db, "hydrascope.rows_20300103", "_storage_main", n, window_s);
	PQfinish(db);
	free(r);
	return 0;
}
