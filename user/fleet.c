// SPDX-License-Identifier: BSD-3-Clause
/*
 * `hydrascope fleet`: the detector over every edge host's windows, unioned
 * in the fleet database; `fleet --init` creates or migrates its schema,
 * `fleet top` (fleettop.c) shows the last window.
 *
 * Each window's rows are unioned per kind and name in SQL (fleetdb.c), the
 * union registers estimated here with our own estimator, and judged by the
 * same detectors as one host's windows (window.c's win_judge), with run's
 * configuration and alert writer; alerts say "scope":"fleet" and the hosts.
 * Novelty counts are the hosts' own, summed: exact while the balancers keep
 * a source on one host, counted once per host that sees it otherwise.
 *
 * With --from/--to the stored windows of the range are judged in order
 * (a window without rows is an empty window: the baselines see it) and the
 * command exits. Without, it follows: a window is judged once its end has
 * passed and every host that reported in the windows before it has
 * reported it too (hydrascope.batches), or its grace ran out; the state is
 * saved after each window, the open alerts kept in hydrascope.alerts, the
 * schema's upkeep run hourly, and a lost database waited for.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "afile.h"
#include "cmd.h"
#include "config.h"
#include "fleetdb.h"
#include "log.h"
#include "opts.h"
#include "util.h"
#include "window.h"

#define FLEET_STATE_DIR "/var/lib/hydrascope"
#define FLEET_STATE FLEET_STATE_DIR "/fleet.json"
#define FLEET_GRACE_S 30        /* default wait for late hosts after a window's end */
#define FLEET_RECENT 3          /* windows whose hosts a window waits for */
#define FLEET_UPKEEP_S 3600
#define FLEET_BACKOFF_MAX 30    /* seconds between reconnections, at most */

struct fleet_opts {
	const char *db, *alerts, *config, *from, *to, *state;
	unsigned long long window_s, grace;
	bool init, json, grace_given;
};

static const struct hs_cmd_opts fleet_cmd = {
	.cmd = "fleet",
	.about = "The hydra detector over the whole fleet: every edge host's windows\n"
		 "(run --fleet), unioned per window in the fleet database.\n"
		 "'hydrascope fleet top --db URL' shows the last window.\n",
	.epilog = "TIME: RFC 3339 (2026-12-02T10:00:00Z) or seconds since the epoch.\n",
	.col = 21,
	.opts = (const struct hs_opt[]){
		{ .name = "db", .arg = "URL", .kind = HS_OPT_STR, HS_AT(struct fleet_opts, db),
		  .required = "the fleet database: --db postgresql://HOST/DB",
		  .help = "the fleet database (a libpq URL; credentials from ~/.pgpass,\n"
			  "PGPASSFILE or a service file)" },
		{ .name = "init", .kind = HS_OPT_FLAG, HS_AT(struct fleet_opts, init),
		  .help = "create or migrate the schema (the hll extension included), say\n"
			  "what was done, and exit" },
		HS_OPT_WINDOW(struct fleet_opts, window_s,
			      "the hosts' window (their --window: the rows' window_s;\n"
			      "default the config file's, else 60)"),
		HS_OPT_ALERTS(struct fleet_opts, alerts,
			      "append alerts to FILE (default: stdout)"),
		HS_OPT_JSON(struct fleet_opts, json, "alerts as JSON lines"),
		HS_OPT_CONFIG(struct fleet_opts, config,
			      "detector thresholds, window and allowlist (run's INI file)"),
		{ .name = "from", .arg = "TIME", .kind = HS_OPT_STR, HS_AT(struct fleet_opts, from),
		  .help = "judge the stored windows from TIME (with --to) and exit" },
		{ .name = "to", .arg = "TIME", .kind = HS_OPT_STR, HS_AT(struct fleet_opts, to),
		  .help = "... up to TIME (excluded)" },
		{ .name = "state", .arg = "FILE", .kind = HS_OPT_STR, HS_AT(struct fleet_opts, state),
		  .help = "the detector's state (default " FLEET_STATE ";\n"
			  "with --from/--to: none unless given)" },
		{ .name = "grace", .arg = "S", .kind = HS_OPT_UINT, HS_AT(struct fleet_opts, grace),
		  HS_SEEN(struct fleet_opts, grace_given), .min = 0, .max = 86400,
		  .hint = "0-86400 seconds",
		  .help = "wait at most S seconds after a window's end for hosts' late\n"
			  "rows (default 30)" },
		HS_OPT_VERBOSE("say each window judged"),
		{ 0 }
	},
};

/* The command's live state. */
struct fleet {
	const struct fleet_opts *o;
	unsigned int window_s;
	struct det_config dc;
	PGconn *db;
	struct windows *win;
	struct fleet_win fw;            /* the window being judged */
	bool follow;                    /* not a range: alerts kept in the database */
	char state[4096], last_path[4096 + 8];
	bool save;                      /* state saved after each window */
	long long next;                 /* the next window to judge (its start) */
	long long from, to;
	int sig_fd;
	bool stop;
	unsigned long long judged, alerts_failed, undecodable, excluded;
	bool warned_undecodable, warned_other;
	time_t upkeep_at;
};

static void fmt_start(long long t, char *buf, size_t len)
{
	fmt_time((uint64_t)t * 1000000000ULL, false, buf, len);
}

/* ---- alerts into hydrascope.alerts (follow mode) ---- */

static size_t on_hosts(void *ctx, enum fp_kind kind, const struct det_obs *o,
		       const char **names, size_t max)
{
	struct fleet *f = ctx;

	return fleet_win_hosts(&f->fw, kind, o, names, max);
}

/* An alert open while the detector says so, for Grafana and the hosts. */
static void on_alerted(void *ctx, enum fp_kind kind, const struct det_alert *a, const char *json)
{
	static const char open_q[] =
		"INSERT INTO hydrascope.alerts (kind, name, state, first_window, last_window, "
		"score, ips, hosts, alert) VALUES ($1, $2, 'open', to_timestamp($3::float8), "
		"to_timestamp($3::float8), $4::int4, $5::float8, "
		"ARRAY(SELECT jsonb_array_elements_text($6::jsonb -> 'hosts')), $6::jsonb) "
		"ON CONFLICT (kind, name) WHERE state = 'open' DO UPDATE SET "
		"last_window = excluded.last_window, score = excluded.score, ips = excluded.ips, "
		"hosts = excluded.hosts, alert = excluded.alert";
	static const char end_q[] =
		"UPDATE hydrascope.alerts SET state = 'ended', last_window = to_timestamp($3::float8), "
		"alert = $4::jsonb WHERE kind = $1 AND name = $2 AND state = 'open'";
	struct fleet *f = ctx;
	char start[24], score[16], ips[32];
	const char *params[6] = { fleet_kind_name(kind), a->obs->name, start, score, ips, json };
	bool end = a->state == DET_ENDED;
	PGresult *r;

	if (!f->follow)
		return;
	snprintf(start, sizeof(start), "%lld", f->fw.start);
	snprintf(score, sizeof(score), "%d", a->score);
	snprintf(ips, sizeof(ips), "%.0f", a->obs->ips);
	if (end)
		params[3] = json;
	r = PQexecParams(f->db, end ? end_q : open_q, end ? 4 : 6, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		char err[512];

		if (!f->alerts_failed++) {
			fleetdb_err(f->db, r, "recording a fleet alert", err, sizeof(err));
			pr_warn("%s (said once)", err);
		}
	}
	PQclear(r);
}

/* ---- state ---- */

/* The window judged last, beside the state: "START WINDOW_S". */
static int last_save(const struct fleet *f, long long start)
{
	struct afile af;
	char line[64];
	int n = snprintf(line, sizeof(line), "%lld %u\n", start, f->window_s), err;

	err = afile_open(&af, f->last_path);
	if (!err)
		err = afile_write(&af, line, (size_t)n);
	if (!err)
		return afile_commit(&af);
	afile_abort(&af);
	return err;
}

/* 1 and *start when the state says which window it judged last, else 0. */
static int last_load(const struct fleet *f, long long *start)
{
	FILE *fp = fopen(f->last_path, "r");
	unsigned int ws = 0;
	int n;

	if (!fp)
		return 0;
	n = fscanf(fp, "%lld %u", start, &ws);
	fclose(fp);
	return n == 2 && ws == f->window_s;
}

static int fleet_state_load(struct fleet *f)
{
	char *slash;
	bool have;

	if (!f->save)
		return 0;
	if (snprintf(f->last_path, sizeof(f->last_path), "%s.last", f->state) >=
	    (int)sizeof(f->last_path)) {
		pr_warn("--state '%s': too long", f->state);
		return HS_EXIT_USAGE;
	}
	slash = strrchr(f->state, '/');
	if (slash && !strcmp(f->state, FLEET_STATE) && mkdir(FLEET_STATE_DIR, 0700) &&
	    errno != EEXIST) {
		pr_warn("Couldn't create state directory '%s': %s", FLEET_STATE_DIR,
			strerror(errno));
		return HS_EXIT_ERR;
	}
	have = access(f->state, F_OK) == 0;
	win_load(f->win, f->state);
	if (have && f->follow && last_load(f, &f->next))
		f->next += f->window_s;
	return 0;
}

static void fleet_state_save(struct fleet *f, long long start)
{
	int err;

	if (!f->save)
		return;
	err = win_save(f->win, f->state);
	if (!err)
		err = last_save(f, start);
	if (err)
		pr_warn("Couldn't save the fleet detector's state to %s: %s", f->state,
			strerror(-err));
}

/* ---- judging ---- */

/* What a window's rows held that was not judged: said once a run. */
static void fleet_window_warn(struct fleet *f)
{
	char at[40];

	fmt_start(f->fw.start, at, sizeof(at));
	f->undecodable += f->fw.undecodable;
	f->excluded += f->fw.excluded;
	if ((f->fw.undecodable || f->fw.excluded) && !f->warned_undecodable) {
		f->warned_undecodable = true;
		if (f->fw.excluded)
			pr_warn("window %s: %zu rows skipped: sketches not log2m 10, regwidth 5, "
				"explicit off, sparse on (said once)", at, f->fw.excluded);
		else
			pr_warn("window %s: %zu fingerprints skipped: %s (said once)", at,
				f->fw.undecodable, f->fw.why ?: "a sketch that does not decode");
	}
	if (f->fw.other_window_s && !f->warned_other) {
		f->warned_other = true;
		pr_warn("window %s: rows of window_s %u left out: this fleet judges --window %u "
			"(said once)", at, f->fw.other_window_s, f->window_s);
	}
}

/* Judge window start: 0, or -1 (a database error, said into err). */
static int fleet_judge(struct fleet *f, long long start, char *err, size_t errlen)
{
	struct fleet_win *fw = &f->fw;
	struct win_rows r;
	char at[40];
	int rc;

	if (fleetdb_window(f->db, start, f->window_s, NULL, fw, err, errlen))
		return -1;
	fleet_window_warn(f);
	r = (struct win_rows){ .tls = fw->obs[FP_TLS], .ntls = fw->n[FP_TLS],
			       .pairs = fw->obs[FP_PAIR], .npairs = fw->n[FP_PAIR],
			       .tcp = fw->obs[FP_TCP], .ntcp = fw->n[FP_TCP] };
	rc = win_judge(f->win, &r, (__u64)(start + f->window_s) * 1000000000ULL);
	fmt_start(start, at, sizeof(at));
	pr_debug("window %s judged: %zu JA4, %zu TCP stacks, %zu pairs (query %.3f s, "
		 "estimates %.3f s)%s", at, fw->n[FP_TLS], fw->n[FP_TCP], fw->n[FP_PAIR],
		 fw->query_s, fw->decode_s, fw->undecodable || fw->excluded ? "; some skipped" : "");
	fleet_win_free(fw);
	if (rc) {
		snprintf(err, errlen, "judging window %s: out of memory", at);
		return -2;
	}
	f->judged++;
	fleet_state_save(f, start);
	return 0;
}

/* The signals: true when one says stop (polled for up to ms). */
static bool fleet_wait(struct fleet *f, int ms)
{
	struct pollfd pfd = { .fd = f->sig_fd, .events = POLLIN };
	char buf[128];

	if (f->stop)
		return true;
	if (poll(&pfd, 1, ms) > 0 && (pfd.revents & POLLIN) && read(f->sig_fd, buf, sizeof(buf)) > 0)
		f->stop = true;
	return f->stop;
}

/* --from/--to: every window starting in the range, in order. */
static int fleet_range(struct fleet *f)
{
	long long ws = f->window_s, t = (f->from + ws - 1) / ws * ws;
	char err[768];
	int rc;

	for (; t < f->to; t += ws) {
		if (fleet_wait(f, 0))
			break;
		rc = fleet_judge(f, t, err, sizeof(err));
		if (rc) {
			pr_warn("%s", err);
			return HS_EXIT_ERR;
		}
	}
	return HS_EXIT_OK;
}

/* ---- following ---- */

/* Is window start complete: every host that reported in the windows
 * before it has reported it (and some host has)? */
static bool window_complete(struct fleet *f, long long start)
{
	static const char q[] =
		"WITH recent AS (SELECT DISTINCT host FROM hydrascope.batches "
		"  WHERE window_start >= to_timestamp($1::float8 - $3::int4) "
		"  AND window_start < to_timestamp($1::float8) AND window_s = $2::int4), "
		"now AS (SELECT DISTINCT host FROM hydrascope.batches "
		"  WHERE window_start = to_timestamp($1::float8) AND window_s = $2::int4) "
		"SELECT (SELECT count(*) FROM now) > 0 AND NOT EXISTS "
		"(SELECT host FROM recent EXCEPT SELECT host FROM now)";
	char s[24], ws[16], span[24];
	const char *params[3] = { s, ws, span };
	PGresult *r;
	bool done;

	snprintf(s, sizeof(s), "%lld", start);
	snprintf(ws, sizeof(ws), "%u", f->window_s);
	snprintf(span, sizeof(span), "%u", FLEET_RECENT * f->window_s);
	r = PQexecParams(f->db, q, 3, NULL, params, NULL, NULL, 0);
	done = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	       !strcmp(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	return done;
}

static void fleet_upkeep(struct fleet *f, time_t now)
{
	PGresult *r;

	if (now < f->upkeep_at)
		return;
	f->upkeep_at = now + FLEET_UPKEEP_S;
	r = PQexec(f->db, "SELECT hydrascope.upkeep()");
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		pr_debug("upkeep: %s", PQgetvalue(r, 0, 0));
	else if (PQstatus(f->db) == CONNECTION_OK)
		pr_warn("upkeep: %s", PQresultErrorMessage(r));
	PQclear(r);
}

/* The database went away: said once, reconnected with backoff, said
 * again when back. false when a signal came first. */
static bool fleet_reconnect(struct fleet *f, const char *why)
{
	time_t down = time(NULL);
	unsigned int backoff = 1;
	char err[768];

	pr_warn("fleet database lost: %s; reconnecting", why);
	PQfinish(f->db);
	f->db = NULL;
	for (;;) {
		if (fleet_wait(f, (int)backoff * 1000))
			return false;
		f->db = fleetdb_connect(f->o->db, err, sizeof(err));
		if (f->db)
			break;
		backoff = backoff * 2 > FLEET_BACKOFF_MAX ? FLEET_BACKOFF_MAX : backoff * 2;
	}
	pr_warn("fleet database back after %lld s", (long long)(time(NULL) - down));
	return true;
}

/* A fresh detector knows no alert: those an earlier one left open end. */
static void end_orphans(struct fleet *f)
{
	PGresult *r = PQexec(f->db, "UPDATE hydrascope.alerts SET state = 'ended' "
			     "WHERE state = 'open'");

	if (PQresultStatus(r) == PGRES_COMMAND_OK && atoi(PQcmdTuples(r)) > 0)
		pr_info("%s fleet alerts an earlier detector left open ended (this one starts "
			"afresh)", PQcmdTuples(r));
	PQclear(r);
}

static int fleet_follow(struct fleet *f)
{
	long long ws = f->window_s;
	char err[768];
	time_t now;
	int rc;

	while (!f->stop) {
		now = time(NULL);
		if (f->db)
			fleet_upkeep(f, now);
		if (now >= f->next + ws &&
		    (now >= f->next + ws + (long long)f->o->grace || window_complete(f, f->next))) {
			rc = fleet_judge(f, f->next, err, sizeof(err));
			if (rc == -2) {
				pr_warn("%s", err);
				return HS_EXIT_ERR;
			}
			if (!rc) {
				f->next += ws;
				continue;   /* the next may be complete already */
			}
			if (!fleet_reconnect(f, err))
				break;
			continue;
		}
		if (PQstatus(f->db) != CONNECTION_OK) {
			fleetdb_err(f->db, NULL, "the connection", err, sizeof(err));
			if (!fleet_reconnect(f, err))
				break;
		}
		fleet_wait(f, 1000);
	}
	fmt_start(f->next, err, sizeof(err));
	pr_info("stopped: the next window to judge is %s", err);
	return HS_EXIT_OK;
}

/* ---- set-up ---- */

static int fleet_parse(int argc, char **argv, struct fleet_opts *o)
{
	int first = hs_opts_parse(&fleet_cmd, argc, argv, o);

	if (first <= 0)
		return hs_opts_exit(first);
	if (first < argc) {
		pr_warn("fleet: unexpected argument '%s' (see 'hydrascope fleet -h')", argv[first]);
		return HS_EXIT_USAGE;
	}
	if (!o->from != !o->to) {
		pr_warn("--from and --to go together");
		return HS_EXIT_USAGE;
	}
	if (!o->grace_given)
		o->grace = FLEET_GRACE_S;
	return -1;
}

static int fleet_setup(struct fleet *f)
{
	const struct fleet_opts *o = f->o;
	unsigned int file_window;
	char err[768];

	if (det_settings(o->config, 0, &f->dc, &file_window))
		return HS_EXIT_USAGE;
	f->window_s = o->window_s ? (unsigned int)o->window_s : file_window ? file_window : 60;
	f->follow = !o->from;
	if (o->from && (fleet_parse_time("--from", o->from, &f->from) ||
			fleet_parse_time("--to", o->to, &f->to)))
		return HS_EXIT_USAGE;
	if (o->from && f->from >= f->to) {
		pr_warn("--from %s is not before --to %s: no window to judge", o->from, o->to);
		return HS_EXIT_USAGE;
	}
	f->save = f->follow || o->state;
	snprintf(f->state, sizeof(f->state), "%s", o->state ? o->state : FLEET_STATE);
	f->db = fleetdb_connect(o->db, err, sizeof(err));
	if (!f->db) {
		pr_warn("%s", err);
		return HS_EXIT_ERR;
	}
	f->win = win_new(&f->dc, f->window_s, o->alerts, o->json, false);
	if (!f->win)
		return HS_EXIT_ERR;
	win_set_scope(f->win, &(struct win_scope){ .scope = "fleet", .hosts = on_hosts,
						   .alerted = on_alerted, .ctx = f });
	f->sig_fd = signal_fd((const int[]){ SIGINT, SIGTERM, 0 }, NULL);
	if (f->sig_fd < 0) {
		pr_warn("Couldn't set up signal handling: %s", strerror(errno));
		return HS_EXIT_ERR;
	}
	f->next = time(NULL) / f->window_s * f->window_s;   /* the window under way */
	return fleet_state_load(f);
}

/* Hosts of another window: one line, before judging windows that would
 * all look empty. */
static int fleet_check_window(struct fleet *f)
{
	static const char q[] =
		"SELECT window_s FROM hydrascope.batches WHERE window_start >= to_timestamp($1::float8) "
		"AND window_start < to_timestamp($2::float8) GROUP BY window_s "
		"ORDER BY (window_s = $3::int4), count(*) DESC LIMIT 1";
	char lo[24], hi[24], ws[16];
	const char *params[3] = { lo, hi, ws };
	PGresult *r;
	int rc = 0;

	snprintf(lo, sizeof(lo), "%lld", f->follow ? f->next - FLEET_RECENT * 20LL * f->window_s :
		 f->from);
	snprintf(hi, sizeof(hi), "%lld", f->follow ? f->next + f->window_s : f->to);
	snprintf(ws, sizeof(ws), "%u", f->window_s);
	r = PQexecParams(f->db, q, 3, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	    (unsigned int)atoi(PQgetvalue(r, 0, 0)) != f->window_s) {
		pr_warn("the hosts send windows of %s s (hydrascope.batches), not %u: give "
			"--window %s", PQgetvalue(r, 0, 0), f->window_s, PQgetvalue(r, 0, 0));
		rc = HS_EXIT_USAGE;
	}
	PQclear(r);
	return rc;
}

static void fleet_close(struct fleet *f)
{
	win_free(f->win);
	fleet_win_free(&f->fw);
	if (f->db)
		PQfinish(f->db);
	if (f->sig_fd >= 0)
		close(f->sig_fd);
}

static int fleet_init(const struct fleet_opts *o)
{
	char err[768];
	PGconn *db = fleetdb_open(o->db, err, sizeof(err));
	int rc;

	if (!db) {
		pr_warn("%s", err);
		return HS_EXIT_ERR;
	}
	rc = fleetdb_init(db, stdout, err, sizeof(err));
	if (rc)
		pr_warn("%s", err);
	PQfinish(db);
	return rc ? HS_EXIT_ERR : HS_EXIT_OK;
}

int cmd_fleet(int argc, char **argv)
{
	struct fleet_opts o = { 0 };
	struct fleet f = { .o = &o, .sig_fd = -1 };
	struct win_summary sum;
	int rc;

	if (argc > 1 && !strcmp(argv[1], "top"))
		return cmd_fleet_top(argc - 1, argv + 1);
	rc = fleet_parse(argc, argv, &o);
	if (rc >= 0)
		return rc;
	if (o.init)
		return fleet_init(&o);
	rc = fleet_setup(&f);
	if (!rc)
		rc = fleet_check_window(&f);
	if (!rc) {
		win_summary(f.win, &sum);
		if (f.follow && !sum.windows)
			end_orphans(&f);
		rc = f.follow ? fleet_follow(&f) : fleet_range(&f);
	}
	if (f.undecodable || f.excluded)
		pr_warn("%llu fingerprints and %llu rows skipped over %llu windows: sketches that do "
			"not decode, or of other parameters", f.undecodable, f.excluded, f.judged);
	fleet_close(&f);
	return rc;
}
