// SPDX-License-Identifier: BSD-3-Clause
/*
 * `hydrascope fleet top`: the last complete window of the fleet, its
 * fingerprints unioned over the hosts (fleetdb_window, as `fleet` judges
 * them), busiest first, each scored by the detector's own signal logic on
 * its numbers (det_signals: no baselines, as in `top`). A window is
 * complete once every host that reported the windows before it has
 * reported it, or --grace after its end.
 *
 * On a terminal the frame is redrawn when a new window completes, until
 * SIGINT/SIGTERM; otherwise one frame is printed. With -j, one JSON object
 * per window (a line each) until a signal, or one with --once.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "cmd.h"
#include "config.h"
#include "fleetdb.h"
#include "log.h"
#include "opts.h"
#include "util.h"

#define FTOP_ROWS 20

struct ftop_opts {
	const char *db, *config, *at;
	unsigned long long window_s, grace;
	unsigned long top;
	double interval;
	bool json, once;
};

static const struct hs_cmd_opts ftop_cmd = {
	.cmd = "fleet top",
	.epilog =
	"Rows: the fleet's fingerprints of the last complete window (JA4s, TCP stacks\n"
	"and JA4 x stack pairs), unioned over the hosts, busiest first. SCORE counts the\n"
	"signals the numbers give on their own (new and widening need the baselines of\n"
	"'fleet'). Stop with Ctrl-C (or SIGTERM).\n",
	.col = 21,
	.opts = (const struct hs_opt[]){
		{ .name = "db", .arg = "URL", .kind = HS_OPT_STR, HS_AT(struct ftop_opts, db),
		  .required = "the fleet database: --db postgresql://HOST/DB",
		  .help = "the fleet database (a libpq URL)" },
		HS_OPT_WINDOW(struct ftop_opts, window_s,
			      "the hosts' window (default the config file's, else 60)"),
		HS_OPT_TOP(struct ftop_opts, top,
			   "rows shown (default " HS_OPT_STRINGIFY(FTOP_ROWS) ")"),
		HS_OPT_JSON(struct ftop_opts, json, "one JSON object per window"),
		HS_OPT_CONFIG(struct ftop_opts, config,
			      "thresholds and allowlist of the scores (run's --config)"),
		{ .name = "at", .arg = "TIME", .kind = HS_OPT_STR, HS_AT(struct ftop_opts, at),
		  .help = "the window holding TIME, once (RFC 3339 or epoch seconds)" },
		{ .name = "grace", .arg = "S", .kind = HS_OPT_UINT, HS_AT(struct ftop_opts, grace),
		  .min = 0, .max = 86400, .hint = "0-86400 seconds",
		  .help = "a window is complete S seconds after its end at the latest\n"
			  "(default 30)" },
		{ .name = "interval", .arg = "S", .kind = HS_OPT_NUM,
		  HS_AT(struct ftop_opts, interval), .min = 0.1, .max = 3600,
		  .hint = "seconds, 0.1 to 3600",
		  .help = "seconds between looks for a new window (default 1)" },
		{ .name = "once", .kind = HS_OPT_FLAG, HS_AT(struct ftop_opts, once),
		  .help = "print one frame and exit (also when stdout is not a terminal)" },
		{ 0 }
	},
};

struct ftop_row {
	enum fp_kind kind;
	const struct det_obs *o;
	unsigned int hosts, signals;
	int score;
};

static int by_conns(const void *a, const void *b)
{
	const struct ftop_row *x = a, *y = b;

	if (x->o->conns != y->o->conns)
		return x->o->conns < y->o->conns ? 1 : -1;
	if (x->o->ips != y->o->ips)
		return x->o->ips < y->o->ips ? 1 : -1;
	return x->kind != y->kind ? (int)x->kind - (int)y->kind : strcmp(x->o->name, y->o->name);
}

/* The window's rows scored and sorted (*rows malloc'd): their number. */
static size_t ftop_rows(const struct det_config *dc, const struct fleet_win *w,
			struct ftop_row **rows)
{
	size_t n = w->n[0] + w->n[1] + w->n[2], i, m = 0;
	int k;

	*rows = calloc(n ? n : 1, sizeof(**rows));
	if (!*rows)
		return 0;
	for (k = 0; k < 3; k++)
		for (i = 0; i < w->n[k]; i++) {
			struct ftop_row *r = &(*rows)[m++];

			r->kind = (enum fp_kind)k;
			r->o = &w->obs[k][i];
			r->hosts = fleet_win_nhosts(w, (enum fp_kind)k, i);
			r->signals = det_signals(dc, r->o, &r->score);
		}
	qsort(*rows, m, sizeof(**rows), by_conns);
	return m;
}

static void signals_text(unsigned int signals, char *buf, size_t len)
{
	size_t off = 0;
	int s;

	buf[0] = 0;
	for (s = 0; s < DET_SIG__COUNT; s++)
		if (signals & (1u << s))
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "," : "",
						det_signal_name(s));
	if (!off)
		snprintf(buf, len, "-");
}

static void ftop_text(FILE *f, const struct fleet_win *w, unsigned int hosts,
		      const struct ftop_row *r, size_t n, size_t top)
{
	char at[40], sig[160];
	size_t i, shown = n < top ? n : top;
	int nw = 36;

	fmt_time((uint64_t)w->start * 1000000000ULL, false, at, sizeof(at));
	fprintf(f, "hydrascope fleet top  window %s (%u s)  %u hosts  %zu JA4, %zu TCP stacks, "
		"%zu pairs\n\n", at, w->window_s, hosts, w->n[FP_TLS], w->n[FP_TCP], w->n[FP_PAIR]);
	for (i = 0; i < shown; i++)
		if ((int)strlen(r[i].o->name) > nw)
			nw = (int)strlen(r[i].o->name);
	fprintf(f, "%-4s %-*s %8s %8s %8s %8s %5s %5s  %s\n", "KIND", nw, "NAME", "CONNS", "IPS",
		"NETS", "TCP SIGS", "HOSTS", "SCORE", "SIGNALS");
	for (i = 0; i < shown; i++) {
		signals_text(r[i].signals, sig, sizeof(sig));
		fprintf(f, "%-4s %-*s %8llu %8.0f %8.0f ", fleet_kind_name(r[i].kind), nw,
			r[i].o->name, (unsigned long long)r[i].o->conns, round(r[i].o->ips),
			round(r[i].o->nets));
		if (r[i].kind == FP_TLS)
			fprintf(f, "%8.0f ", round(r[i].o->stacks));
		else
			fprintf(f, "%8s ", "-");
		fprintf(f, "%5u %5d  %s\n", r[i].hosts, r[i].score, sig);
	}
	if (!n)
		fprintf(f, "(no rows in this window)\n");
	else if (shown < n)
		fprintf(f, "... %zu more\n", n - shown);
	if (w->undecodable || w->excluded)
		fprintf(f, "(%zu fingerprints and %zu rows skipped: sketches that do not decode, "
			"or of other parameters)\n", w->undecodable, w->excluded);
}

static void ftop_json(FILE *f, const struct fleet_win *w, unsigned int hosts,
		      const struct ftop_row *r, size_t n, size_t top)
{
	json_object *j = json_object_new_object(), *a = json_object_new_array();
	char at[40];
	size_t i;
	int s;

	fmt_time((uint64_t)w->start * 1000000000ULL, false, at, sizeof(at));
	json_object_object_add(j, "window_start", json_object_new_string(at));
	json_object_object_add(j, "window_s", json_object_new_int((int)w->window_s));
	json_object_object_add(j, "hosts", json_object_new_int((int)hosts));
	json_object_object_add(j, "fingerprints", json_object_new_int64((int64_t)n));
	json_object_object_add(j, "skipped", json_object_new_int64(
		(int64_t)(w->undecodable + w->excluded)));
	for (i = 0; i < n && i < top; i++) {
		json_object *o = json_object_new_object(), *sg = json_object_new_array();

		json_object_object_add(o, "kind", json_object_new_string(fleet_kind_name(r[i].kind)));
		json_object_object_add(o, "name", json_object_new_string(r[i].o->name));
		json_object_object_add(o, "conns", json_object_new_uint64(r[i].o->conns));
		json_object_object_add(o, "ips", json_object_new_int64(llround(r[i].o->ips)));
		json_object_object_add(o, "nets", json_object_new_int64(llround(r[i].o->nets)));
		json_object_object_add(o, "tcp_sigs", r[i].kind == FP_TLS ?
				       json_object_new_int64(llround(r[i].o->stacks)) : NULL);
		json_object_object_add(o, "hosts", json_object_new_int((int)r[i].hosts));
		json_object_object_add(o, "score", json_object_new_int(r[i].score));
		for (s = 0; s < DET_SIG__COUNT; s++)
			if (r[i].signals & (1u << s))
				json_object_array_add(sg, json_object_new_string(det_signal_name(s)));
		json_object_object_add(o, "signals", sg);
		json_object_array_add(a, o);
	}
	json_object_object_add(j, "rows", a);
	json_line(f, j);
}

/* The distinct hosts with rows in the window. */
static unsigned int window_hosts(PGconn *db, long long start, unsigned int window_s)
{
	char s[24], ws[16];
	const char *params[2] = { s, ws };
	PGresult *r;
	unsigned int n = 0;

	snprintf(s, sizeof(s), "%lld", start);
	snprintf(ws, sizeof(ws), "%u", window_s);
	r = PQexecParams(db, "SELECT count(DISTINCT host) FROM hydrascope.rows WHERE window_start "
			 "= to_timestamp($1::float8) AND window_s = $2::int4", 2, NULL, params,
			 NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		n = (unsigned int)atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return n;
}

/* The last complete window's start: the last ended one once every host
 * of the windows before it reported it (or grace passed), else the one
 * before. */
static long long last_complete(PGconn *db, unsigned int ws, unsigned long long grace)
{
	static const char q[] =
		"SELECT count(*) FILTER (WHERE window_start < to_timestamp($1::float8)) > 0 AND "
		"count(*) FILTER (WHERE window_start < to_timestamp($1::float8) AND host NOT IN "
		"(SELECT host FROM hydrascope.batches WHERE window_start = to_timestamp($1::float8) "
		"AND window_s = $2::int4)) = 0 FROM hydrascope.batches "
		"WHERE window_start >= to_timestamp($1::float8 - 3 * $2::int4) "
		"AND window_start < to_timestamp($1::float8) AND window_s = $2::int4";
	long long now = time(NULL), last = now / ws * ws - ws;
	char s[24], w[16];
	const char *params[2] = { s, w };
	PGresult *r;
	bool done;

	if (now >= last + ws + (long long)grace)
		return last;
	snprintf(s, sizeof(s), "%lld", last);
	snprintf(w, sizeof(w), "%u", ws);
	r = PQexecParams(db, q, 2, NULL, params, NULL, NULL, 0);
	done = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	       !strcmp(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	return done ? last : last - ws;
}

struct ftop {
	const struct ftop_opts *o;
	struct det_config dc;
	unsigned int window_s;
	PGconn *db;
	int sig_fd;
	bool tty;
};

/* Window start shown: 0, or an exit code. */
static int ftop_show(struct ftop *t, long long start)
{
	struct fleet_win w;
	struct ftop_row *rows;
	char err[768], *buf = NULL;
	size_t n, len = 0;
	unsigned int hosts;
	FILE *mf;

	if (fleetdb_window(t->db, start, t->window_s, NULL, &w, err, sizeof(err))) {
		pr_warn("%s", err);
		return HS_EXIT_ERR;
	}
	hosts = window_hosts(t->db, start, t->window_s);
	n = ftop_rows(&t->dc, &w, &rows);
	mf = open_memstream(&buf, &len);
	if (!mf || (!rows && n)) {
		pr_warn("Couldn't render: out of memory");
		fleet_win_free(&w);
		free(rows);
		return HS_EXIT_ERR;
	}
	if (t->tty)
		fputs("\033[H\033[2J", mf);
	if (t->o->json)
		ftop_json(mf, &w, hosts, rows, n, t->o->top);
	else
		ftop_text(mf, &w, hosts, rows, n, t->o->top);
	fclose(mf);
	fwrite(buf, 1, len, stdout);
	free(buf);
	free(rows);
	fleet_win_free(&w);
	return fflush(stdout) ? HS_EXIT_ERR : 0;
}

static int ftop_loop(struct ftop *t)
{
	long long shown = -1, last;
	struct pollfd pfd;
	char buf[128];
	int rc;

	for (;;) {
		if (PQstatus(t->db) != CONNECTION_OK) {
			PQreset(t->db);
			if (PQstatus(t->db) != CONNECTION_OK) {
				pr_warn("fleet database lost: %s", PQerrorMessage(t->db));
				return HS_EXIT_ERR;
			}
		}
		last = last_complete(t->db, t->window_s, t->o->grace);
		if (last != shown) {
			rc = ftop_show(t, last);
			if (rc)
				return rc;
			shown = last;
		}
		if (t->o->once || (!t->tty && !t->o->json))
			return HS_EXIT_OK;
		pfd = (struct pollfd){ .fd = t->sig_fd, .events = POLLIN };
		if (poll(&pfd, 1, (int)(t->o->interval * 1000)) > 0 &&
		    read(t->sig_fd, buf, sizeof(buf)) > 0)
			return HS_EXIT_OK;
	}
}

int cmd_fleet_top(int argc, char **argv)
{
	struct ftop_opts o = { .top = FTOP_ROWS, .interval = 1, .grace = 30 };
	struct ftop t = { .o = &o, .sig_fd = -1 };
	unsigned int file_window;
	long long at;
	char err[768];
	int rc = hs_opts_parse(&ftop_cmd, argc, argv, &o);

	if (rc <= 0)
		return hs_opts_exit(rc);
	if (rc < argc) {
		pr_warn("fleet top: unexpected argument '%s'", argv[rc]);
		return HS_EXIT_USAGE;
	}
	if (det_settings(o.config, 0, &t.dc, &file_window))
		return HS_EXIT_USAGE;
	t.window_s = o.window_s ? (unsigned int)o.window_s : file_window ? file_window : 60;
	if (o.at && fleet_parse_time("--at", o.at, &at))
		return HS_EXIT_USAGE;
	t.db = fleetdb_connect(o.db, err, sizeof(err));
	if (!t.db) {
		pr_warn("%s", err);
		return HS_EXIT_ERR;
	}
	if (o.at) {
		rc = ftop_show(&t, at / t.window_s * t.window_s);
	} else {
		t.tty = !o.once && !o.json && isatty(STDOUT_FILENO);
		t.sig_fd = signal_fd((const int[]){ SIGINT, SIGTERM, 0 }, NULL);
		rc = t.sig_fd < 0 ? HS_EXIT_ERR : ftop_loop(&t);
	}
	if (t.sig_fd >= 0)
		close(t.sig_fd);
	PQfinish(t.db);
	return rc;
}
