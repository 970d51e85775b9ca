// SPDX-License-Identifier: BSD-3-Clause
/*
 * `hydrascope run`: load, pin, attach (bpf_link), then stay in the
 * foreground reporting new fingerprints until SIGINT/SIGTERM; detach and
 * clean up what this run created.
 */
#define _GNU_SOURCE  /* sigabbrev_np */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "bpfobj.h"
#include "cmd.h"
#include "config.h"
#include "detect.h"
#include "event.h"
#include "exporter.h"
#include "fps.h"
#include "log.h"
#include "opts.h"
#include "metrics.h"
#include "p0fdb.h"
#include "pins.h"
#include "status.h"
#include "util.h"
#include "window.h"
#include "hs_bpf.skel.h"

#define HS_DEFAULT_STATE_DIR "/var/lib/hydrascope"

/* --pin-group: a group name or number; 0 or -1 (said). */
static int parse_group(const struct hs_opt *o, const char *s, void *dst)
{
	struct group *g = getgrnam(s);
	unsigned long long n;

	(void)o;
	if (g) {
		*(gid_t *)dst = g->gr_gid;
		return 0;
	}
	if (!parse_uint(s, 0xfffffffe, &n)) {
		*(gid_t *)dst = (gid_t)n;
		return 0;
	}
	pr_warn("invalid --pin-group '%s' (no such group)", s);
	return -1;
}

struct run_opts {
	struct hs_config cfg;
	struct web_limits web;
	const char *ifname, *pin_dir, *db, *alerts, *config, *state_dir, *metrics;
	unsigned int mode;               /* XDP_FLAGS_DRV_MODE or _SKB_MODE; 0: the best */
	gid_t pin_gid;                   /* (gid_t)-1: root only */
	unsigned long long window_s;     /* 0: the file's, else 60 */
	unsigned long long enforce_ttl;  /* 0: 10 windows */
	double min_ips;                  /* 0: the file's, else the default */
	unsigned int enforce;            /* HS_ENF_* */
	bool keep, json, redact, web_given;
};

static const struct hs_opt_name mode_names[] = {
	{ "native", XDP_FLAGS_DRV_MODE }, { "skb", XDP_FLAGS_SKB_MODE }, { NULL }
};
static const struct hs_opt_name enforce_names[] = {
	{ "dry-run", HS_ENF_DRY_RUN }, { "drop", HS_ENF_DROP }, { NULL }
};

#define RO(m) HS_AT(struct run_opts, m)
static const struct hs_cmd_opts run_cmd = {
	.cmd = "run",
	.usage =
	"Usage: hydrascope run -i IFACE [-m native|skb] [--pin-dir DIR] [--keep-maps]\n"
	"                      [--pin-group GROUP]\n"
	"                      [--ports LIST] [--hello-bytes N] [--hello-segments N]\n"
	"                      [--window S] [--alerts FILE] [-j] [--redact-ips]\n"
	"                      [--config FILE] [--min-ips N] [--state-dir DIR]\n"
	"                      [--p0f-db FILE] [--enforce dry-run|drop]\n"
	"                      [--enforce-ttl S] [--metrics ADDR:PORT [--web.* ...]]\n"
	"                      [--handshake synack|syn|none] [-v]\n",
	.epilog =
	"SIGINT/SIGTERM detach and remove the pins; SIGUSR2 exits leaving the program\n"
	"attached and everything pinned, for the next run to take over.\n",
	.col = 25,
	.opts = (const struct hs_opt[]){
		{ .name = "interface", .short_name = 'i', .arg = "IFACE", .kind = HS_OPT_STR,
		  RO(ifname), .help = "interface to attach to (required)" },
		{ .name = "mode", .short_name = 'm', .arg = "MODE", .kind = HS_OPT_ENUM,
		  RO(mode), .names = mode_names, .label = "mode",
		  .help = "native (driver) or skb (generic); default: native\n"
			  "where the driver supports it, else skb" },
		HS_OPT_PIN_DIR(struct run_opts, pin_dir,
			       "where maps are pinned (default " HS_DEFAULT_PIN_DIR ")"),
		{ .name = "keep-maps", .kind = HS_OPT_FLAG, RO(keep),
		  .help = "leave the pinned maps in place on exit" },
		{ .name = "pin-group", .arg = "GROUP", .kind = HS_OPT_FUNC, .parse = parse_group,
		  RO(pin_gid),
		  .help = "let GROUP read the pins (0440, directory 0750):\n"
			  "dump, status, top and the exporter run as its\n"
			  "members, without privileges (default: root only)" },
		HS_OPT_P0F_DB(struct run_opts, db, "p0f fingerprint database for OS labels\n"
			      "(default " HS_DEFAULT_P0F_DB ")"),
		HS_OPT_WINDOW(struct run_opts, window_s,
			      "judge each window of S seconds (1-86400, default 60)"),
		HS_OPT_ALERTS(struct run_opts, alerts,
			      "where alerts go ('-': standard output, the default;\n"
			      "a file is appended to, created 0600)"),
		HS_OPT_JSON(struct run_opts, json, "alerts as JSON lines"),
		HS_OPT_REDACT(struct run_opts, redact),
		HS_OPT_CONFIG(struct run_opts, config,
			      "detector thresholds, window and allowlist (INI);\n"
			      "options given here override the file"),
		HS_OPT_MIN_IPS(struct run_opts, min_ips,
			       "source addresses a window needs to count as wide\n(default 200)"),
		{ .name = "state-dir", .arg = "DIR", .kind = HS_OPT_STR, RO(state_dir),
		  .help = "detector state kept across restarts, in\n"
			  "DIR/state-IFACE.json (default " HS_DEFAULT_STATE_DIR ";\n"
			  "created 0700)" },
		{ .name = "enforce", .arg = "MODE", .kind = HS_OPT_ENUM, RO(enforce),
		  .names = enforce_names,
		  .help = "act on alerted fingerprints (off by default): dry-run\n"
			  "counts their ClientHellos, drop drops them;\n"
			  "allowlisted JA4s are never enforced" },
		{ .name = "enforce-ttl", .arg = "S", .kind = HS_OPT_UINT, RO(enforce_ttl),
		  .min = 1, .max = 7 * 86400, .hint = "1-604800 seconds",
		  .help = "an enforced fingerprint lapses S seconds after its\n"
			  "last alert (default: 10 windows)" },
		{ .name = "metrics", .arg = "ADDR:PORT", .kind = HS_OPT_FUNC,
		  .parse = hs_opt_listen, RO(metrics),
		  .help = "serve Prometheus metrics on /metrics (e.g.\n"
			  HS_DEFAULT_LISTEN ", the exporter's default), within:" },
		{ .kind = HS_OPT_GROUP, .group = hs_web_opts, RO(web),
		  HS_SEEN(struct run_opts, web_given), .col = 31 },
		{ .kind = HS_OPT_GROUP, .group = hs_dp_opts, RO(cfg) },
		HS_OPT_VERBOSE("more detail; repeat for libbpf debug output"),
		{ 0 }
	},
};
#undef RO

/* The directories above the pins must be searchable by the group for it
 * to reach them: said when one is not (not changed: it is the system's). */
static void pin_parent_check(const char *pin_dir)
{
	char dir[PATH_MAX], *slash;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", pin_dir);
	while ((slash = strrchr(dir, '/')) && slash != dir) {
		*slash = '\0';
		if (!stat(dir, &st) && !(st.st_mode & (S_IXGRP | S_IXOTH))) {
			pr_warn("--pin-group: '%s' (mode %04o) is not searchable by the group: "
				"its members can't reach the pins (chmod o+x '%s')", dir,
				(unsigned int)(st.st_mode & 07777), dir);
			return;
		}
	}
}

/* Give up every capability, for good: the bounding set too. */
static int drop_capabilities(void)
{
	cap_value_t c;
	cap_t none;
	int err;

	for (c = 0; c <= CAP_LAST_CAP; c++)
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) && errno != EINVAL && errno != EPERM)
			break;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	none = cap_init();
	err = none ? cap_set_proc(none) : -1;
	if (err)
		pr_warn("Couldn't drop capabilities: %s", strerror(errno));
	else
		pr_debug("capabilities dropped");
	cap_free(none);
	return err ? -1 : 0;
}

/*
 * Fingerprint ids already announced. Each window's generation inserts its
 * fingerprints anew (and the program reports each as new), so the lines
 * would repeat every window: an id is announced once per run. Open
 * addressing over ids without their generation bit; bounded by the maps'
 * sizes, emptied should it ever fill.
 */
#define SEEN_SLOTS (4 * (HS_TCP_FP_MAX + HS_TLS_FP_MAX))
struct seen {
	__u64 id[SEEN_SLOTS];   /* (id | 1): never 0 */
	size_t n;
};

static bool seen_before(struct seen *s, __u64 id, __u32 kind)
{
	__u64 k = (id | 1) ^ ((__u64)kind << 1);   /* odd: never an empty slot */
	size_t i = (size_t)((k * 0x9e3779b97f4a7c15ULL) >> 40) % SEEN_SLOTS;

	for (;; i = (i + 1) % SEEN_SLOTS) {
		if (s->id[i] == k)
			return true;
		if (!s->id[i])
			break;
	}
	if (s->n >= SEEN_SLOTS / 2) {
		memset(s, 0, sizeof(*s));
		return seen_before(s, id, kind);
	}
	s->id[i] = k;
	s->n++;
	return false;
}

static int on_event(void *ctx, void *data, size_t len)
{
	const struct hs_event *ev = data;   /* type and fp_id: also a hs_tls_event's */
	struct seen *seen = ctx;
	struct ev_text e;

	if (len < sizeof(*ev) ||
	    ((ev->type == HS_EV_TLS_NEW || ev->type == HS_EV_TCP_NEW) &&
	     seen && seen_before(seen, ev->fp_id, ev->type)) ||
	    event_read(data, len, &e))
		return 0;
	if (e.type == HS_EV_TLS_NEW)
		pr_info("new TLS fingerprint %s%s%s%s from %s port %u", e.ja4,
			*e.sni ? " (sni " : "", e.sni, *e.sni ? ")" : "", e.src, e.ep.sport);
	else if (e.type == HS_EV_TCP_NEW)
		pr_info("new TCP fingerprint %s%s%s%s from %s port %u", e.tcp_sig,
			*e.os ? " (" : "", e.os, *e.os ? ")" : "", e.src, e.ep.sport);
	return 0;
}

/* Explain an attach failure; never touches the program already there. */
static void attach_error(const char *ifname, int ifindex, int err)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info = {};
	__u32 ilen = sizeof(info);
	int fd;

	if ((err == -EBUSY || err == -EEXIST) && !bpf_xdp_query(ifindex, 0, &q) && q.prog_id) {
		fd = bpf_prog_get_fd_by_id(q.prog_id);
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &ilen))
			pr_warn("Couldn't attach XDP program on '%s': another XDP program "
				"is attached (id %u, name '%s'); leaving it in place",
				ifname, q.prog_id, info.name);
		else
			pr_warn("Couldn't attach XDP program on '%s': another XDP program "
				"is attached (id %u); leaving it in place", ifname, q.prog_id);
		if (fd >= 0)
			close(fd);
		return;
	}
	pr_warn("Couldn't attach XDP program on '%s': %s%s", ifname, strerror(-err),
		err == -EOPNOTSUPP || err == -EINVAL ?
		" (the driver may not support this XDP mode; try -m skb)" : "");
}

/* The enforce map is pinned: an earlier run's entries of this run's mode
 * go on (their alerts go on in the detector's state), the others are not
 * this run's to act on. */
static void enforce_carry(int fd, int mode)
{
	__u64 k, next, *prev = NULL;
	struct hs_enforce v;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		k = next;
		if (bpf_map_lookup_elem(fd, &k, &v) || v.mode != mode) {
			if (bpf_map_delete_elem(fd, &k))
				break;
			continue;   /* the key after prev is now the one after k */
		}
		prev = &k;
	}
}

/*
 * The SYN-ACK check (--handshake synack, the default): the egress program
 * on ifindex, in place of an earlier run's (bpf_link_update: SYN-ACKs are
 * read at every instant) or attached anew; the program then requires the
 * SYN-ACK. The link's fd, or -1: without it (kernel before 6.6, or
 * --handshake syn or none) ClientHellos are checked as the program was
 * loaded, and an earlier run's egress link goes with this run's pins.
 */
static int egress_start(struct hs_bpf *skel, const struct hs_config *cfg, struct hs_pins *pins,
			const char *pin_dir, const char *ifname, int ifindex)
{
	int fd = pins->egress_fd, prog = bpf_program__fd(skel->progs.hs_egress);

	pins->egress_fd = -1;
	if (!HS_WANTS_SYNACK(cfg)) {
		if (fd >= 0) {  /* unpinned, it goes with its last fd */
			hs_pins_remove(skel, pin_dir, HS_PIN_EGRESS);
			close(fd);
		}
		return -1;
	}
	if (fd >= 0 && bpf_link_update(fd, prog, NULL)) {
		pr_warn("Couldn't replace the egress program on '%s': %s; attaching anew",
			ifname, strerror(errno));
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		fd = hs_egress_attach(skel, ifindex);
	if (fd < 0) {
		pr_warn("Couldn't attach the SYN-ACK check to %s's egress (%s; it needs tcx, "
			"kernel 6.6+): ClientHellos count when their SYN was seen", ifname,
			strerror(-fd));
		return -1;
	}
	skel->data->handshake_check = HS_CHECK_SYNACK;
	return fd;
}

#define RUN_GO_ON (-1)
/* The options, and what follows from them: RUN_GO_ON, or the exit code. */
static int run_parse(int argc, char **argv, struct run_opts *o, struct det_config *dc,
		     char *state_path, size_t len)
{
	unsigned int file_window;
	int rc = hs_opts_parse(&run_cmd, argc, argv, o);

	if (rc <= 0)
		return hs_opts_exit(rc);   /* -h, or a bad option */
	if (!o->ifname) {
		pr_warn("run needs an interface: -i IFACE");
		return HS_EXIT_USAGE;
	}
	if (det_settings(o->config, o->min_ips, dc, &file_window))
		return HS_EXIT_USAGE;
	if (!o->window_s)
		o->window_s = file_window ? file_window : 60;
	if (o->enforce_ttl && !o->enforce) {
		pr_warn("--enforce-ttl needs --enforce");
		return HS_EXIT_USAGE;
	}
	if (o->web_given && !o->metrics) {
		pr_warn("the --web.* options need --metrics");
		return HS_EXIT_USAGE;
	}
	if (!o->enforce_ttl)
		o->enforce_ttl = 10 * o->window_s;
	else if (o->enforce_ttl < o->window_s)
		pr_warn("--enforce-ttl %llu is shorter than a window (%llu s): entries lapse "
			"before an active alert renews them", o->enforce_ttl, o->window_s);
	if (!*o->state_dir || snprintf(state_path, len, "%s/state-%s.json",
				       o->state_dir, o->ifname) >= (int)len) {
		pr_warn("invalid --state-dir '%s'", o->state_dir);
		return HS_EXIT_USAGE;
	}
	return RUN_GO_ON;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o = { .pin_dir = HS_DEFAULT_PIN_DIR, .db = HS_DEFAULT_P0F_DB,
			      .state_dir = HS_DEFAULT_STATE_DIR, .web = HS_WEB_DEFAULTS,
			      .pin_gid = (gid_t)-1 };
	LIBBPF_OPTS(bpf_link_create_opts, lopts);
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct ring_buffer *rb = NULL;
	struct hs_bpf *skel = NULL;
	int ifindex, ret = HS_EXIT_ERR, err;
	int lock_fd = -1, link_fd = -1, egress_fd = -1, sig_fd = -1, tm_fd = -1;
	/* what this run made, undone if it does not start */
	bool attached = false, dir_made = false, state_made = false, alerts_made = false;
	bool handover = false;
	struct hs_pins pins = { .link_fd = -1 };
	int meta_fd = -1;
	unsigned int made = 0;
	char state_path[PATH_MAX];
	bool save_failed = false;
	struct windows *win = NULL;
	struct metrics_src msrc = { .enforce_fd = -1, .top = HS_METRICS_TOP };
	struct exporter *exp = NULL;
	struct seen *seen = NULL;
	struct det_config dc;
	sigset_t mask;
	const struct hs_config cfg = o.cfg;
	const char *ifname, *pin_dir, *db, *alerts, *state_dir, *metrics;
	bool keep, json, redact;
	unsigned long long window_s, enforce_ttl;
	gid_t pin_gid;
	int enforce;

	ret = run_parse(argc, argv, &o, &dc, state_path, sizeof(state_path));
	if (ret != RUN_GO_ON)
		return ret;
	ret = HS_EXIT_ERR;
	ifname = o.ifname, pin_dir = o.pin_dir, db = o.db, alerts = o.alerts;
	state_dir = o.state_dir, metrics = o.metrics;
	keep = o.keep, json = o.json, redact = o.redact;
	window_s = o.window_s, enforce_ttl = o.enforce_ttl;
	pin_gid = o.pin_gid, enforce = (int)o.enforce;
	lopts.flags = o.mode;
	ifindex = if_nametoindex(ifname);
	if (!ifindex) {
		pr_warn("No such interface '%s'", ifname);
		return HS_EXIT_ERR;
	}
	/* signals as an fd, blocked before anything needs undoing */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGUSR2);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sig_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sig_fd < 0) {
		pr_warn("Couldn't create signalfd: %s", strerror(errno));
		goto out;
	}
	if (p0f_db_open(db))
		goto out;
	/* the alert file before anything is loaded: a bad path fails early
	 * (and a file this run created goes again if it does not start) */
	alerts_made = alerts && strcmp(alerts, "-") && access(alerts, F_OK);
	win = win_new(&dc, (unsigned int)window_s, alerts, json, redact);
	seen = calloc(1, sizeof(*seen));
	if (!win || !seen)
		goto out;
	err = hs_pin_dir_prepare(pin_dir, &dir_made);
	if (err) {
		ret = hs_err_exit(err);
		goto out;
	}
	lock_fd = open(pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lock_fd < 0) {
		ret = hs_err_exit(errno);
		pr_warn("Couldn't open pin directory '%s': %s", pin_dir, strerror(errno));
		goto out;
	}
	if (flock(lock_fd, LOCK_EX | LOCK_NB)) {
		pr_warn("Pin directory '%s' is in use by another 'hydrascope run'", pin_dir);
		goto out;
	}
	skel = hs_open(&cfg);
	if (!skel)
		goto out;
	/* read-only data: without --enforce the verifier prunes the whole
	 * enforcement path, XDP_DROP included */
	skel->rodata->enforce_mode = (__u8)enforce;
	/* what the directory holds is ours and of this layout, or left alone */
	err = hs_pins_check(skel, pin_dir, ifindex, &pins);
	if (err) {
		ret = hs_err_exit(err);
		goto out;
	}
	/* refuse before loading anything if the place is taken, unless by
	 * the link of an earlier run of this pin directory, to take over;
	 * the attach itself refuses too, should one appear in between */
	if (pins.link_fd < 0 && !bpf_xdp_query(ifindex, 0, &q) && q.prog_id) {
		attach_error(ifname, ifindex, -EBUSY);
		goto out;
	}
	if (pins.link_fd >= 0 && lopts.flags &&
	    (lopts.flags == XDP_FLAGS_DRV_MODE) != (pins.link_mode == XDP_ATTACHED_DRV)) {
		pr_warn("'%s' runs the program of an earlier run in %s mode: -m %s needs it "
			"detached first (rm -r '%s')", ifname,
			hs_attach_mode(pins.link_mode), lopts.flags == XDP_FLAGS_DRV_MODE ? "native" : "skb",
			pin_dir);
		goto out;
	}
	/* the window generation the maps' program writes goes on */
	if (pins.had & HS_PIN_META)
		skel->bss->cur_gen = pins.meta.gen;
	/* the marker first: maps without one are never ours */
	made = HS_PIN_META & ~pins.had;
	meta_fd = hs_meta_open(pin_dir, skel->bss->cur_gen);
	err = meta_fd < 0 ? meta_fd : 0;
	if (!err) {
		made |= HS_PIN_MAPS & ~pins.had;
		err = hs_load(skel, pin_dir);
	}
	if (err) {
		ret = hs_err_exit(err);
		goto out;
	}
	if (mkdir(state_dir, 0700) == 0)
		state_made = true;
	else if (errno != EEXIST) {
		ret = hs_err_exit(errno);
		pr_warn("Couldn't create state directory '%s': %s", state_dir, strerror(errno));
		goto out;
	}
	if (metrics) {
		char errbuf[512];

		msrc.pin_dir = pin_dir;
		msrc.stats_fd = bpf_map__fd(skel->maps.stats);
		msrc.tcp_fd = bpf_map__fd(skel->maps.tcp_fps);
		msrc.tls_fd = bpf_map__fd(skel->maps.tls_fps);
		msrc.enforce_fd = bpf_map__fd(skel->maps.enforce);
		msrc.win = win;
		exp = exporter_start(metrics, HS_DEFAULT_METRICS_PATH, &o.web, &msrc, errbuf, sizeof(errbuf));
		if (!exp) {
			pr_warn("--metrics: %s", errbuf);
			goto out;
		}
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, seen, NULL);
	if (!rb) {
		pr_warn("Couldn't open the ring buffer: %s", strerror(errno));
		goto out;
	}
	/* windows: every window_s seconds, flip the generation and judge the
	 * one that ended */
	tm_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (tm_fd < 0) {
		pr_warn("Couldn't create timerfd: %s", strerror(errno));
		goto out;
	}
	{
		struct itimerspec its = {
			.it_interval = { .tv_sec = (time_t)window_s },
			.it_value = { .tv_sec = (time_t)window_s },
		};

		if (timerfd_settime(tm_fd, 0, &its, NULL)) {
			pr_warn("Couldn't arm timerfd: %s", strerror(errno));
			goto out;
		}
	}
	enforce_carry(bpf_map__fd(skel->maps.enforce), enforce);
	if (enforce)
		win_enforce(win, bpf_map__fd(skel->maps.enforce), enforce,
			    (unsigned int)enforce_ttl);
	if (pins.link_fd >= 0) {
		/* an earlier run's program, swapped for ours in one step */
		link_fd = pins.link_fd;
		pins.link_fd = -1;
		if (bpf_link_update(link_fd, bpf_program__fd(skel->progs.hs_xdp), NULL)) {
			err = -errno;
			pr_warn("Couldn't replace the program on '%s': %s", ifname, strerror(errno));
			ret = hs_err_exit(err);
			goto out;
		}
	} else {
		link_fd = bpf_link_create(bpf_program__fd(skel->progs.hs_xdp), ifindex, BPF_XDP,
					  &lopts);
		if (link_fd < 0) {
			err = -errno;
			attach_error(ifname, ifindex, err);
			ret = hs_err_exit(err);
			goto out;
		}
	}
	attached = true;
	egress_fd = egress_start(skel, &cfg, &pins, pin_dir, ifname, ifindex);
	err = hs_link_pin(link_fd, pin_dir, HS_LINK_PIN);
	if (!err && egress_fd >= 0)
		err = hs_link_pin(egress_fd, pin_dir, HS_EGRESS_PIN);
	if (!err)
		err = hs_prog_pin(skel, pin_dir);
	if (!err)
		err = hs_pin_access(skel, pin_dir, pin_gid);
	if (err) {
		ret = hs_err_exit(err);
		goto out;
	}
	/* said once nothing can fail any more: a run that does not start
	 * says one line, why */
	bpf_xdp_query(ifindex, 0, &q);
	if (pins.link_prog_id)
		pr_info("attached to %s (ifindex %d) in %s mode, program id %u in place of %u; "
			"maps of the earlier run reused in %s", ifname, ifindex,
			hs_attach_mode(q.attach_mode), q.prog_id, pins.link_prog_id, pin_dir);
	else
		pr_info("attached to %s (ifindex %d) in %s mode, program id %u; maps %s in %s",
			ifname, ifindex, hs_attach_mode(q.attach_mode), q.prog_id,
			made & HS_PIN_MAPS ? "pinned" : "kept by an earlier run reused", pin_dir);
	if (pin_gid != (gid_t)-1)
		pin_parent_check(pin_dir);
	if (enforce)
		pr_info("enforcement: %s, entries live %llu s", enforce_mode_name(enforce),
			enforce_ttl);
	if (exp)
		pr_info("metrics on http://%s%s", metrics, HS_DEFAULT_METRICS_PATH);
	/* the detector's state from the last run, if any */
	win_load(win, state_path);

	/* loaded, pinned, attached: from here on only file descriptors we
	 * hold, files we own and sockets we have are used */
	if (drop_capabilities())
		goto out;
	for (;;) {
		struct pollfd pfd[3] = {
			{ .fd = sig_fd, .events = POLLIN },
			{ .fd = ring_buffer__epoll_fd(rb), .events = POLLIN },
			{ .fd = tm_fd, .events = POLLIN },
		};

		if (poll(pfd, 3, -1) < 0 && errno != EINTR) {
			pr_warn("poll: %s", strerror(errno));
			goto out;
		}
		if (pfd[1].revents)
			ring_buffer__consume(rb);
		if (pfd[2].revents) {
			__u64 ticks;
			struct timespec now, pause = { .tv_nsec = 20 * 1000 * 1000 };
			int old;

			if (read(tm_fd, &ticks, sizeof(ticks)) != sizeof(ticks))
				ticks = 0;
			if (ticks > 1)
				pr_debug("%llu windows passed at once: judged as one",
					 (unsigned long long)ticks);
			old = (int)(skel->bss->cur_gen & 1);
			__atomic_store_n(&skel->bss->cur_gen, skel->bss->cur_gen + 1,
					 __ATOMIC_SEQ_CST);
			/* for the next run (after the flip: killed in between,
			 * the window ended merely runs on into the next run's) */
			hs_meta_set(meta_fd, skel->bss->cur_gen);
			/* programs that read the old generation may still be
			 * writing it: give them time to finish */
			nanosleep(&pause, NULL);
			clock_gettime(CLOCK_REALTIME, &now);
			err = win_close(win, bpf_map__fd(skel->maps.tls_fps),
					bpf_map__fd(skel->maps.tcp_fps), old,
					(__u64)now.tv_sec * 1000000000ULL + (__u64)now.tv_nsec);
			if (err)
				pr_warn("window: %s", strerror(-err));
			else
				pr_debug("window of generation %d judged, %llu alerts so far",
					 old, win_alerts(win));
			/* warned once per run of failures */
			err = win_save(win, state_path);
			if (err && !save_failed)
				pr_warn("Couldn't save detector state to %s: %s", state_path,
					strerror(-err));
			else if (!err && save_failed)
				pr_info("detector state saved to %s again", state_path);
			save_failed = err != 0;
		}
		if (pfd[0].revents) {
			struct signalfd_siginfo si;

			if (read(sig_fd, &si, sizeof(si)) != sizeof(si))
				si.ssi_signo = SIGTERM;
			handover = si.ssi_signo == SIGUSR2;
			if (handover)
				pr_info("SIGUSR2: leaving the program attached to %s for the next run, "
					"pins in %s", ifname, pin_dir);
			else
				pr_info("SIG%s: detaching from %s",
					sigabbrev_np((int)si.ssi_signo) ?: "?", ifname);
			break;
		}
	}
	ret = HS_EXIT_OK;
out:
	exporter_stop(exp);     /* its thread reads the maps: first */
	fpr_free(msrc.rd);
	ring_buffer__free(rb);
	if (tm_fd >= 0)
		close(tm_fd);
	if (handover) {
		/* everything stays pinned: the link holds the program attached */
	} else if (attached) {
		/* stopped: the link's pin, the link then goes with its fd and
		 * detaches; the program's pin, and the maps unless --keep-maps;
		 * the directory only goes empty: never another instance's pins */
		hs_pins_remove(skel, pin_dir, HS_PIN_LINK | HS_PIN_EGRESS | HS_PIN_PROG |
			       (keep ? 0 : HS_PIN_MAPS | HS_PIN_META));
		rmdir(pin_dir);
	} else {
		/* did not start: what this run made goes, nothing else */
		if (skel)
			hs_pins_remove(skel, pin_dir, made);
		if (dir_made)
			rmdir(pin_dir);
		if (state_made)
			rmdir(state_dir);
		if (alerts_made && win)
			unlink(alerts);
	}
	if (link_fd >= 0)
		close(link_fd);
	if (egress_fd >= 0)
		close(egress_fd);
	if (pins.link_fd >= 0)
		close(pins.link_fd);   /* an earlier run's, not taken over */
	if (pins.egress_fd >= 0)
		close(pins.egress_fd);
	if (meta_fd >= 0)
		close(meta_fd);
	hs_bpf__destroy(skel);
	if (lock_fd >= 0)
		close(lock_fd);
	if (sig_fd >= 0)
		close(sig_fd);
	p0f_db_free();
	win_free(win);
	free(seen);
	return ret;
}
