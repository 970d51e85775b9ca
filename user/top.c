// SPDX-License-Identifier: BSD-3-Clause
/*
 * `hydrascope top`: a live view of a running instance's busiest TLS
 * fingerprints. Each refresh reads the pinned tls_fps and stats maps, merges
 * the ids of a JA4 (both window generations, as `dump` does: counts add,
 * sketches merge register-wise), and scores every JA4 with the detector's
 * own signal logic under the default thresholds (det_signals: the signals a
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
};

/* Health counters worth watching next to the rows: blind spots of the
 * fingerprinting (a full map, a dropped event, hellos not parsed) and what
 * enforcement did. Looked up by name, so a counter this build lacks is
 * simply not shown. */
static const char *const top_counters[] = {
	"map_full", "tcp_fp_shed", "tls_map_full", "hellos_no_syn", "hellos_no_synack",
	"hellos_bad_ack", "ringbuf_drops", "tls_too_big", "tls_malformed",
	"tls_out_of_order", "flow_busy", "enforce_matched", "enforce_dropped",
};

struct top_opts {
	const char *pin_dir;
	unsigned long top;
	double interval;
	bool once;
};

static const struct hs_cmd_opts top_cmd = {
	.cmd = "top",
	.epilog =
	"Rows: per JA4 of the current windows, sorted by score then ips. SCORE counts\n"
	"the signals the numbers give on their own under the default thresholds\n"
	"(wide, many_nets, low_rate, many_stacks); new and widening need the\n"
	"baselines of 'run' and are not shown. Stop with Ctrl-C (or SIGTERM).\n",
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
static int top_collect(struct fp_reader *rd, int tls_fd, const struct det_config *c,
		       struct top_rows *rs)
{
	struct det_obs *obs;
	size_t n, i, nk;
	int err = fpr_read(rd, tls_fd, -1, &obs, &n);

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
	for (i = 0; i < n; i++) {
		struct top_row *r = &rs->r[i];

		r->obs = obs[i];
		r->obs.ips = round(r->obs.ips);
		r->obs.nets = round(r->obs.nets);
		r->obs.stacks = round(r->obs.stacks);
		r->signals = det_signals(c, &r->obs, &r->score);
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
	fprintf(f, "%-*s %8s %8s %8s %8s %8s %5s  %s\n", w, "JA4", "CONNS", "IPS", "NETS",
		"CONNS/IP", "TCP SIGS", "SCORE", "SIGNALS");
	for (i = 0; i < n; i++) {
		const struct top_row *r = &rs->r[i];
		size_t len = 0;
		int s;

		sig[0] = 0;
		for (s = 0; s < DET_SIG__COUNT; s++)
			if (r->signals & (1u << s))
				len += snprintf(sig + len, sizeof(sig) - len, "%s%s",
						len ? "," : "", det_signal_name(s));
		fprintf(f, "%-*s %8llu %8.0f %8.0f %8.2f %8.0f %5d  %s\n", w, r->obs.name,
			(unsigned long long)r->obs.conns, r->obs.ips, r->obs.nets,
			r->obs.ips > 0 ? (double)r->obs.conns / r->obs.ips : 0.0,
			r->obs.stacks, r->score, *sig ? sig : "-");
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

int cmd_top(int argc, char **argv)
{
	struct top_opts o = { .pin_dir = HS_DEFAULT_PIN_DIR, .top = TOP_DEFAULT_ROWS, .interval = 1 };
	double t_prev = 0;
	bool tty = false, have_prev = false;
	struct hs_stats st, prev;
	struct top_rows rs = { 0 };
	struct fp_reader *rd;
	struct det_config dc;
	char pin_path[4096];
	int tls_fd = -1, st_fd = -1, sfd = -1, err, ret = HS_EXIT_ERR;
	const char *pin_dir;
	sigset_t mask, omask;

	err = hs_opts_parse(&top_cmd, argc, argv, &o);
	if (err <= 0)
		return hs_opts_exit(err);
	pin_dir = o.pin_dir;
	/* after the options: their errors return at once */
	rd = fpr_new(FP_TLS);
	if (!rd) {
		pr_warn("Out of memory");
		return HS_EXIT_ERR;
	}
	err = hs_pin_open(pin_dir, "tls_fps", &tls_fd);
	if (!err)
		err = hs_pin_open(pin_dir, "stats", &st_fd);
	if (err) {
		ret = hs_err_exit(err);
		goto out;
	}
	det_config_default(&dc);
	snprintf(pin_path, sizeof(pin_path), "%s/tls_fps", pin_dir);
	tty = !o.once && isatty(STDOUT_FILENO);

	if (tty) {
		sigemptyset(&mask);
		sigaddset(&mask, SIGINT);
		sigaddset(&mask, SIGTERM);
		sigaddset(&mask, SIGHUP);
		if (sigprocmask(SIG_BLOCK, &mask, &omask) ||
		    (sfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0) {
			pr_warn("Couldn't set up signal handling: %s", strerror(errno));
			goto out;
		}
		fputs("\033[?25l", stdout);   /* hide the cursor */
	}
	for (;;) {
		struct pollfd pfd;
		char *buf = NULL;
		size_t len = 0;
		FILE *mf;
		double t;
		struct stat sb;

		/* the instance may have stopped: its pins go with it */
		if (have_prev && stat(pin_path, &sb)) {
			if (tty)
				fputs("\033[?25h\n", stdout);
			fflush(stdout);
			pr_warn("No hydrascope maps in '%s' any more (did 'hydrascope run' stop?)",
				pin_dir);
			tty = false;
			goto out;
		}
		err = hs_stats_read(st_fd, &st);
		if (!err)
			err = top_collect(rd, tls_fd, &dc, &rs);
		if (err) {
			if (tty)
				fputs("\033[?25h\n", stdout);
			fflush(stdout);
			tty = false;
			pr_warn("Couldn't read the maps: %s", strerror(-err));
			goto out;
		}
		t = mono_s();
		mf = open_memstream(&buf, &len);
		if (!mf) {
			pr_warn("Couldn't render: %s", strerror(errno));
			goto out;
		}
		if (tty)
			fputs("\033[H\033[2J", mf);  /* home, clear */
		top_frame(mf, pin_dir, &rs, o.top, &st, have_prev ? &prev : NULL, t - t_prev);
		fclose(mf);
		fwrite(buf, 1, len, stdout);
		free(buf);
		if (fflush(stdout))
			goto out;
		if (!tty) {
			ret = HS_EXIT_OK;
			goto out;
		}
		prev = st;
		t_prev = t;
		have_prev = true;

		pfd = (struct pollfd){ .fd = sfd, .events = POLLIN };
		if (poll(&pfd, 1, (int)(o.interval * 1000)) < 0 && errno != EINTR) {
			pr_warn("poll: %s", strerror(errno));
			goto out;
		}
		if (pfd.revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				ret = HS_EXIT_OK;
				goto out;
			}
		}
	}
out:
	if (tty) {
		fputs("\033[?25h\n", stdout);   /* cursor back, prompt on a new line */
		fflush(stdout);
	}
	if (sfd >= 0) {
		close(sfd);
		sigprocmask(SIG_SETMASK, &omask, NULL);
	}
	free(rs.r);
	fpr_free(rd);
	if (tls_fd >= 0)
		close(tls_fd);
	if (st_fd >= 0)
		close(st_fd);
	return ret;
}
