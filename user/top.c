// SPDX-License-Identifier: BSD-3-Clause
/*
 * `hydrascope top`: a live view of a running instance's busiest TLS
 * fingerprints. Each refresh reads the pinned tls_fps and stats maps, merges
 * the ids of a JA4 (both window generations, as `dump` does: counts add,
 * sketches merge register-wise), and scores every JA4 with the detector's
 * own signal logic under the default thresholds or --config's (det_signals: the signals a
 * window's numbers give on their own; the baselines that `new` and
 * `widening` need live in the `run` process). Rows are sorted by score,
 * then ips, then conns.
 *
 * Plain ANSI: each frame clears the screen and homes the cursor; the cursor
 * is hidden while it runs and shown again on SIGINT/SIGTERM (read from a
 * signalfd, so the terminal is restored by normal code, not a handler).
 * With --once, or when stdout is not a terminal, one frame is printed
 * without any escape sequence and the command exits.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "bpfobj.h"
#include "cmd.h"
#include "config.h"
#include "detect.h"
#include "fps.h"
#include "log.h"
#include "opts.h"
#include "pins.h"
#include "util.h"

#define TOP_DEFAULT_ROWS 20

struct top_row {
	struct det_obs obs;             /* JA4, conns, ips, nets, stacks */
	unsigned int signals;
	int score;
};

struct top_rows {
	struct top_row *r;
	size_t n, cap;
	size_t ids;                     /* map entries read */
	bool tags;                      /* a row has account tags: ACCOUNTS shown */
};

/* Health counters worth watching next to the rows: blind spots of the
 * fingerprinting (a full map, a dropped event, hellos not parsed) and what
 * enforcement did. Looked up by name, so a counter this build lacks is
 * simply not shown. */
static const char *const top_counters[] = {
	"map_full", "tcp_fp_shed", "tls_map_full", "hellos_no_syn", "hellos_no_synack",
	"hellos_bad_ack", "ringbuf_drops", "tls_too_big", "tls_malformed",
	"tls_reasm_holes", "tls_record_split", "tls_no_hello", "hellos_unfingerprinted",
	"hellos_inexact", "flow_busy", "enforce_matched", "enforce_dropped",
};

struct top_opts {
	const char *pin_dir, *config;
	unsigned long top;
	double interval;
	bool once;
};

static const struct hs_cmd_opts top_cmd = {
	.cmd = "top",
	.epilog =
	"Rows: per JA4 of the current windows, sorted by score then ips. SCORE counts\n"
	"the signals the numbers give on their own under the default thresholds, or\n"
	"--config's (wide, many_nets, low_rate, many_stacks); new and widening need the\n"
	"baselines of 'run' and are not shown. Connections whose ClientHello could not\n"
	"be fingerprinted are rows too, one per reason (unfingerprinted:REASON).\n"
	"Stop with Ctrl-C (or SIGTERM).\n",
	.col = 21,
	.opts = (const struct hs_opt[]){
		HS_OPT_TOP(struct top_opts, top,
			   "rows shown (default " HS_OPT_STRINGIFY(TOP_DEFAULT_ROWS) ")"),
		{ .name = "interval", .arg = "S", .kind = HS_OPT_NUM,
		  HS_AT(struct top_opts, interval), .min = 0.1, .max = 3600,
		  .hint = "seconds, 0.1 to 3600",
		  .help = "seconds between refreshes (0.1-3600, default 1)" },
		{ .name = "once", .kind = HS_OPT_FLAG, HS_AT(struct top_opts, once),
		  .help = "print one frame and exit (also when stdout is not a terminal)" },
		HS_OPT_PIN_DIR(struct top_opts, pin_dir,
			       "maps of the instance to read (default " HS_DEFAULT_PIN_DIR ")"),
		HS_OPT_CONFIG(struct top_opts, config,
			      "thresholds and allowlist of the scores (run's --config)"),
		{ 0 }
	},
};

static int by_score(const void *a, const void *b)
{
	const struct top_row *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	if (x->obs.ips != y->obs.ips)
		return x->obs.ips < y->obs.ips ? 1 : -1;
	if (x->obs.conns != y->obs.conns)
		return x->obs.conns < y->obs.conns ? 1 : -1;
	return strcmp(x->obs.name, y->obs.name);
}

/* Read tls_fps: one row per JA4, estimated, scored, sorted. 0 or -errno. */
static int top_collect(struct fp_reader *rd, int tls_fd, int acct_fd,
		       const struct det_config *c, struct top_rows *rs)
{
	struct det_obs *obs;
	size_t n, i, nk;
	int err = fpr_read(rd, tls_fd, -1, &obs, &n);

	if (!err)
		err = fpr_accounts(rd, acct_fd, HS_ACCT_TLS, -1);
	if (err)
		return err;
	if (n > rs->cap) {
		struct top_row *nr = realloc(rs->r, n * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		rs->r = nr;
		rs->cap = n;
	}
	rs->n = n;
	rs->ids = 0;
	rs->tags = false;
	for (i = 0; i < n; i++) {
		struct top_row *r = &rs->r[i];

		r->obs = obs[i];
		r->obs.ips = round(r->obs.ips);
		r->obs.nets = round(r->obs.nets);
		r->obs.stacks = round(r->obs.stacks);
		r->signals = det_signals(c, &r->obs, &r->score);
		rs->tags |= r->obs.tags > 0;
		fpr_keys(rd, i, &nk);
		rs->ids += nk;
	}
	if (n)          /* no row yet: rs->r is NULL, which qsort may not get */
		qsort(rs->r, rs->n, sizeof(*rs->r), by_score);
	return 0;
}

static unsigned long long stat_by_name(const struct hs_stats *s, const char *name, bool *found)
{
	int i;

	for (i = 0; i < HS_ST__COUNT; i++)
		if (hs_stat_names[i] && !strcmp(hs_stat_names[i], name)) {
			*found = true;
			return (unsigned long long)s->c[i];
		}
	*found = false;
	return 0;
}

/* One frame into f. prev (NULL: first frame) gives the per-second rates. */
static void top_frame(FILE *f, const char *pin_dir, const struct top_rows *rs,
		      unsigned long top, const struct hs_stats *st,
		      const struct hs_stats *prev, double dt)
{
	static const int stat_ix[] = { HS_ST_PACKETS, HS_ST_SYNS, HS_ST_HELLOS };
	char now[40], sig[80];
	size_t i, n = rs->n < top ? rs->n : top, k;
	int w = 36;

	fmt_time((uint64_t)time(NULL) * 1000000000ULL, false, now, sizeof(now));
	fprintf(f, "hydrascope top  %s  %s  %zu JA4 (%zu ids)\n", pin_dir, now, rs->n, rs->ids);
	for (k = 0; k < sizeof(stat_ix) / sizeof(stat_ix[0]); k++) {
		int s = stat_ix[k];

		fprintf(f, "%s%s %llu", k ? "  " : "", hs_stat_names[s],
			(unsigned long long)st->c[s]);
		if (prev && dt > 0)
			fprintf(f, " (%.0f/s)", (double)(st->c[s] - prev->c[s]) / dt);
	}
	fputc('\n', f);
	for (k = 0; k < sizeof(top_counters) / sizeof(top_counters[0]); k++) {
		bool found;
		unsigned long long v = stat_by_name(st, top_counters[k], &found);

		if (found)
			fprintf(f, "%s%s %llu", k ? "  " : "", top_counters[k], v);
	}
	fputs("\n\n", f);
	for (i = 0; i < n; i++)
		if ((int)strlen(rs->r[i].obs.name) > w)
			w = (int)strlen(rs->r[i].obs.name);
	fprintf(f, "%-*s %8s %8s %8s %8s %8s %5s  %s%s\n", w, "JA4", "CONNS", "IPS", "NETS",
		"CONNS/IP", "TCP SIGS", "SCORE", rs->tags ? "ACCOUNTS  " : "", "SIGNALS");
	for (i = 0; i < n; i++) {
		const struct top_row *r = &rs->r[i];
		size_t len = 0;
		int s;

		sig[0] = 0;
		for (s = 0; s < DET_SIG__COUNT; s++)
			if (r->signals & (1u << s))
				len += snprintf(sig + len, sizeof(sig) - len, "%s%s",
						len ? "," : "", det_signal_name(s));
		fprintf(f, "%-*s %8llu %8.0f %8.0f %8.2f %8.0f %5d  ", w, r->obs.name,
			(unsigned long long)r->obs.conns, r->obs.ips, r->obs.nets,
			r->obs.ips > 0 ? (double)r->obs.conns / r->obs.ips : 0.0,
			r->obs.stacks, r->score);
		/* the application's distinct accounts, when it tags any */
		if (rs->tags && r->obs.tags)
			fprintf(f, "%8.0f  ", round(r->obs.accounts));
		else if (rs->tags)
			fprintf(f, "%8s  ", "-");
		fprintf(f, "%s%s\n", *sig ? sig : "-", r->obs.inexact ? " (inexact JA4)" : "");
	}
	if (!rs->n)
		fprintf(f, "(no TLS fingerprints in the current windows)\n");
	else if (n < rs->n)
		fprintf(f, "... %zu more\n", rs->n - n);
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A top's live state. */
struct top_ctx {
	const struct top_opts *o;
	struct fp_reader *rd;
	struct det_config dc;
	struct top_rows rs;
	struct hs_stats st, prev;       /* the counters of this frame and the last */
	double t_prev;                  /* when the last frame was read */
	bool have_prev;
	bool tty;                       /* frames redrawn in place: cursor hidden */
	int tls_fd, st_fd, sig_fd, acct_fd;
	sigset_t omask;                 /* the signal mask before */
	char pin_path[4096];            /* tls_fps's pin: gone when the run stops */
};

/* The pinned maps, the detector's thresholds (--config's or the defaults). */
static int top_open(struct top_ctx *c)
{
	const char *pin_dir = c->o->pin_dir;
	unsigned int file_window;
	int err;

	if (det_settings(c->o->config, 0, &c->dc, &file_window))
		return HS_EXIT_USAGE;
	c->rd = fpr_new(FP_TLS);
	if (!c->rd) {
		pr_warn("Out of memory");
		return HS_EXIT_ERR;
	}
	err = hs_pin_open(pin_dir, "tls_fps", &c->tls_fd);
	if (!err)
		err = hs_pin_open(pin_dir, "stats", &c->st_fd);
	if (err)
		return hs_err_exit(err);
	c->acct_fd = hs_pin_get(pin_dir, "accounts");
	snprintf(c->pin_path, sizeof(c->pin_path), "%s/tls_fps", pin_dir);
	return 0;
}

/* On a terminal: signals as an fd (the terminal is restored by normal
 * code, not a handler), the cursor hidden. */
static int top_tty_start(struct top_ctx *c)
{
	c->tty = !c->o->once && isatty(STDOUT_FILENO);
	if (!c->tty)
		return 0;
	c->sig_fd = signal_fd((const int[]){ SIGINT, SIGTERM, SIGHUP, 0 }, &c->omask);
	if (c->sig_fd < 0) {
		pr_warn("Couldn't set up signal handling: %s", strerror(errno));
		return HS_EXIT_ERR;
	}
	fputs("\033[?25l", stdout);   /* hide the cursor */
	return 0;
}

/* The cursor shown again and the prompt on a new line, once. */
static void top_tty_end(struct top_ctx *c)
{
	if (c->tty)
		fputs("\033[?25h\n", stdout);
	c->tty = false;
	fflush(stdout);
}

/* Read the maps and print a frame (in one write); 0 or an exit code. */
static int top_refresh(struct top_ctx *c)
{
	char *buf = NULL;
	size_t len = 0;
	struct stat sb;
	FILE *mf;
	double t;
	int err;

	/* the instance may have stopped: its pins go with it */
	if (c->have_prev && stat(c->pin_path, &sb)) {
		top_tty_end(c);
		pr_warn("No hydrascope maps in '%s' any more (did 'hydrascope run' stop?)",
			c->o->pin_dir);
		return HS_EXIT_ERR;
	}
	err = hs_stats_read(c->st_fd, &c->st);
	if (!err)
		err = top_collect(c->rd, c->tls_fd, c->acct_fd, &c->dc, &c->rs);
	if (err) {
		top_tty_end(c);
		pr_warn("Couldn't read the maps: %s", strerror(-err));
		return HS_EXIT_ERR;
	}
	t = mono_s();
	mf = open_memstream(&buf, &len);
	if (!mf) {
		pr_warn("Couldn't render: %s", strerror(errno));
		return HS_EXIT_ERR;
	}
	if (c->tty)
		fputs("\033[H\033[2J", mf);  /* home, clear */
	top_frame(mf, c->o->pin_dir, &c->rs, c->o->top, &c->st, c->have_prev ? &c->prev : NULL,
		  t - c->t_prev);
	fclose(mf);
	fwrite(buf, 1, len, stdout);
	free(buf);
	if (fflush(stdout))
		return HS_EXIT_ERR;
	c->prev = c->st;
	c->t_prev = t;
	c->have_prev = true;
	return 0;
}

/* Until the next refresh: 1 when a signal says stop, 0 to go on, -1 on
 * an error (said). */
static int top_wait(struct top_ctx *c)
{
	struct pollfd pfd = { .fd = c->sig_fd, .events = POLLIN };
	struct signalfd_siginfo si;

	if (poll(&pfd, 1, (int)(c->o->interval * 1000)) < 0 && errno != EINTR) {
		pr_warn("poll: %s", strerror(errno));
		return -1;
	}
	return (pfd.revents & POLLIN) && read(c->sig_fd, &si, sizeof(si)) == sizeof(si);
}

/* Frames every interval on a terminal, until a signal; else one. */
static int top_loop(struct top_ctx *c)
{
	int ret;

	for (;;) {
		ret = top_refresh(c);
		if (ret || !c->tty)
			return ret;
		ret = top_wait(c);
		if (ret)
			return ret > 0 ? HS_EXIT_OK : HS_EXIT_ERR;
	}
}

static void top_close(struct top_ctx *c)
{
	top_tty_end(c);
	if (c->sig_fd >= 0) {
		close(c->sig_fd);
		sigprocmask(SIG_SETMASK, &c->omask, NULL);
	}
	free(c->rs.r);
	fpr_free(c->rd);
	if (c->tls_fd >= 0)
		close(c->tls_fd);
	if (c->st_fd >= 0)
		close(c->st_fd);
	if (c->acct_fd >= 0)
		close(c->acct_fd);
}

int cmd_top(int argc, char **argv)
{
	struct top_opts o = { .pin_dir = HS_DEFAULT_PIN_DIR, .top = TOP_DEFAULT_ROWS, .interval = 1 };
	struct top_ctx c = { .o = &o, .tls_fd = -1, .st_fd = -1, .sig_fd = -1, .acct_fd = -1 };
	int ret = hs_opts_parse(&top_cmd, argc, argv, &o);

	if (ret <= 0)
		return hs_opts_exit(ret);
	/* after the options: their errors return at once */
	ret = top_open(&c);
	if (!ret)
		ret = top_tty_start(&c);
	if (!ret)
		ret = top_loop(&c);
	top_close(&c);
	return ret;
}
