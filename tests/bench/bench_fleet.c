// SPDX-License-Identifier: BSD-3-Clause
/*
 * The fleet detector's window (`make bench`, driven by bench_fleet.sh,
 * which fills a test cluster): one window of HOSTS hosts x FPS
 * fingerprints each, as `hydrascope fleet` judges it, in three parts:
 *
 *   fleet_union      the union query (fleetdb_window's: sums, hll_union_agg
 *                    of every sketch, the hosts), wall time, the database
 *                    backend's CPU (its /proc stat: same machine) and ours
 *                    (libpq receiving the result)
 *   fleet_estimate   the union registers decoded and estimated (ours)
 *   fleet_detect     win_judge: both detectors and the alert writer
 *   fleet_window     the whole of it, wall and our CPU
 * Baselines in the same run: the same GROUP BY summing the counts alone
 * (fleet_plain: what reading the rows costs without sketches), and the
 * union of one host's rows (fleet_one_host: 1/HOSTS of the rows). Each
 * figure is the median of RUNS windows. Output: "name value unit".
 *
 * Usage: bench_fleet URL WINDOW_START WINDOW_S HOSTS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "fleetdb.h"
#include "window.h"

#define RUNS 3

static double now_s(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The backend's CPU seconds (utime + stime of /proc/PID/stat). */
static double backend_cpu(PGconn *db)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", PQbackendPID(db));
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v)
{
	qsort(v, RUNS, sizeof(*v), cmp_d);
	return v[RUNS / 2];
}

static size_t no_hosts(void *ctx, enum fp_kind k, const struct det_obs *o, const char **n, size_t m)
{
	return fleet_win_hosts(ctx, k, o, n, m);
}

struct fig {
	double wall[RUNS], dbcpu[RUNS], cpu[RUNS], est[RUNS], det[RUNS], total[RUNS], totcpu[RUNS];
};

/* One window read (and judged, when w is not NULL). */
static int one(PGconn *db, long long start, unsigned int ws, const char *host, struct windows *w,
	       struct fig *f, int run, size_t *nfp)
{
	struct fleet_win fw;
	struct win_rows r;
	char err[768];
	double t0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_PROCESS_CPUTIME_ID), b0 = backend_cpu(db);
	double c1, c2;

	if (fleetdb_window(db, start, ws, host, &fw, err, sizeof(err))) {
		fprintf(stderr, "bench_fleet: %s\n", err);
		return -1;
	}
	c1 = now_s(CLOCK_PROCESS_CPUTIME_ID);
	f->wall[run] = fw.query_s;
	f->dbcpu[run] = backend_cpu(db) - b0;
	f->est[run] = fw.decode_s;
	f->cpu[run] = c1 - c0 - fw.decode_s;
	*nfp = fw.n[0] + fw.n[1] + fw.n[2];
	if (w) {
		struct win_scope sc = { .scope = "fleet", .hosts = no_hosts, .ctx = &fw };

		win_set_scope(w, &sc);
		r = (struct win_rows){ fw.obs[FP_TLS], fw.obs[FP_PAIR], fw.obs[FP_TCP],
				       fw.n[FP_TLS], fw.n[FP_PAIR], fw.n[FP_TCP] };
		c2 = now_s(CLOCK_PROCESS_CPUTIME_ID);
		win_judge(w, &r, (__u64)(start + ws) * 1000000000ULL);
		f->det[run] = now_s(CLOCK_PROCESS_CPUTIME_ID) - c2;
	}
	fleet_win_free(&fw);
	f->total[run] = now_s(CLOCK_MONOTONIC) - t0;
	f->totcpu[run] = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	return 0;
}

static double plain(PGconn *db, long long start, double *dbcpu)
{
	char s[24];
	const char *params[1] = { s };
	double t0 = now_s(CLOCK_MONOTONIC), b0 = backend_cpu(db);
	PGresult *r;

	snprintf(s, sizeof(s), "%lld", start);
	r = PQexecParams(db, "SELECT kind, name, sum(conns)::int8, count(*) FROM hydrascope.rows "
			 "WHERE window_start = to_timestamp($1::float8) GROUP BY kind, name",
			 1, NULL, params, NULL, NULL, 1);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fprintf(stderr, "bench_fleet: %s", PQresultErrorMessage(r));
	PQclear(r);
	*dbcpu = backend_cpu(db) - b0;
	return now_s(CLOCK_MONOTONIC) - t0;
}

int main(int argc, char **argv)
{
	struct fig fl = { 0 }, one_h = { 0 };
	double pw[RUNS], pc[RUNS];
	struct det_config dc;
	struct windows *w;
	unsigned int ws, hosts;
	long long start;
	char err[768];
	size_t nfp = 0, n1 = 0;
	PGconn *db;
	int i;

	if (argc != 5) {
		fprintf(stderr, "usage: bench_fleet URL WINDOW_START WINDOW_S HOSTS\n");
		return 2;
	}
	start = atoll(argv[2]);
	ws = (unsigned int)atoi(argv[3]);
	hosts = (unsigned int)atoi(argv[4]);
	db = fleetdb_connect(argv[1], err, sizeof(err));
	if (!db) {
		fprintf(stderr, "bench_fleet: %s\n", err);
		return 1;
	}
	det_config_default(&dc);
	w = win_new(&dc, ws, "/dev/null", true, false);
	if (!w)
		return 1;
	for (i = 0; i < RUNS; i++) {
		if (one(db, start, ws, NULL, w, &fl, i, &nfp) ||
		    one(db, start, ws, "host-1", NULL, &one_h, i, &n1))
			return 1;
		pw[i] = plain(db, start, &pc[i]);
	}
	printf("fleet_hosts %u hosts\n", hosts);
	printf("fleet_fingerprints %zu fingerprints\n", nfp);
	printf("fleet_union_wall %.3f s\n", median(fl.wall));
	printf("fleet_union_db_cpu %.3f s\n", median(fl.dbcpu));
	printf("fleet_union_client_cpu %.3f s\n", median(fl.cpu));
	printf("fleet_estimate_cpu %.3f s\n", median(fl.est));
	printf("fleet_detect_cpu %.3f s\n", median(fl.det));
	printf("fleet_window_wall %.3f s\n", median(fl.total));
	printf("fleet_window_cpu %.3f s\n", median(fl.totcpu));
	printf("fleet_plain_wall %.3f s\n", median(pw));
	printf("fleet_plain_db_cpu %.3f s\n", median(pc));
	printf("fleet_union_vs_plain %.2f ratio\n", median(fl.wall) / median(pw));
	printf("fleet_one_host_union_wall %.3f s\n", median(one_h.wall));
	printf("fleet_union_vs_one_host %.2f ratio\n", median(fl.wall) / median(one_h.wall));
	/* windows of 60 s: the share of a database core one fleet takes */
	printf("fleet_db_core_share_60s %.3f ratio\n", median(fl.dbcpu) / 60);
	win_free(w);
	PQfinish(db);
	return 0;
}
