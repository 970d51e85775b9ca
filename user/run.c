// SPDX-License-Identifier: BSD-3-Clause
/*
 * `hydrascope run`: load, pin, attach (bpf_link), then stay in the
 * foreground reporting new fingerprints until SIGINT/SIGTERM; detach and
 * clean up what this run created.
 */
#define _GNU_SOURCE  /* sigabbrev_np */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
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

#include "hs.h"
#include "hs_bpf.skel.h"

static void run_usage(FILE *f)
{
	fprintf(f,
		"Usage: hydrascope run -i IFACE [-m native|skb] [--pin-dir DIR] [--keep-maps]\n"
		"                      [--pin-group GROUP]\n"
		"                      [--ports LIST] [--hello-bytes N] [--hello-segments N]\n"
		"                      [--window S] [--alerts FILE] [-j] [--redact-ips]\n"
		"                      [--config FILE] [--min-ips N] [--state-dir DIR]\n"
		"                      [--p0f-db FILE] [--enforce dry-run|drop]\n"
		"                      [--enforce-ttl S] [--metrics ADDR:PORT] [-v]\n"
		"  -i, --interface IFACE  interface to attach to (required)\n"
		"  -m, --mode MODE        native (driver) or skb (generic); default: native\n"
		"                         where the driver supports it, else skb\n"
		"      --pin-dir DIR      where maps are pinned (default " HS_DEFAULT_PIN_DIR ")\n"
		"      --keep-maps        leave the pinned maps in place on exit\n"
		"      --pin-group GROUP  let GROUP read the pins (0440, directory 0750):\n"
		"                         dump, status, top and the exporter run as its\n"
		"                         members, without privileges (default: root only)\n"
		"      --p0f-db FILE      p0f fingerprint database for OS labels\n"
		"                         (default " HS_DEFAULT_P0F_DB ")\n"
		"  -w, --window S         judge each window of S seconds (1-86400, default 60)\n"
		"  -a, --alerts FILE      where alerts go ('-': standard output, the default;\n"
		"                         a file is appended to, created 0600)\n"
		"  -j, --json             alerts as JSON lines\n"
		"      --redact-ips       sample_ips as keyed hashes (the key lives in memory)\n"
		"  -c, --config FILE      detector thresholds, window and allowlist (INI);\n"
		"                         options given here override the file\n"
		"      --min-ips N        source addresses a window needs to count as wide\n"
		"                         (default 200)\n"
		"      --state-dir DIR    detector state kept across restarts, in\n"
		"                         DIR/state-IFACE.json (default " HS_DEFAULT_STATE_DIR ";\n"
		"                         created 0700)\n"
		"      --enforce MODE     act on alerted fingerprints (off by default): dry-run\n"
		"                         counts their ClientHellos, drop drops them;\n"
		"                         allowlisted JA4s are never enforced\n"
		"      --enforce-ttl S    an enforced fingerprint lapses S seconds after its\n"
		"                         last alert (default: 10 windows)\n"
		"      --metrics ADDR:PORT  serve Prometheus metrics on /metrics (e.g.\n"
		"                         " HS_DEFAULT_LISTEN ", the exporter's default)\n"
		HS_DP_USAGE
		"  -v, --verbose          more detail; repeat for libbpf debug output\n");
}

/* --pin-group: a group name or number; 0 or -1 (said). */
static int parse_group(const char *s, gid_t *gid)
{
	struct group *g = getgrnam(s);
	unsigned long long n;

	if (g) {
		*gid = g->gr_gid;
		return 0;
	}
	if (!parse_uint(s, 0xfffffffe, &n)) {
		*gid = (gid_t)n;
		return 0;
	}
	pr_warn("invalid --pin-group '%s' (no such group)", s);
	return -1;
}

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

static const char *mode_name(__u8 mode)
{
	switch (mode) {
	case XDP_ATTACHED_DRV: return "native";
	case XDP_ATTACHED_SKB: return "skb";
	case XDP_ATTACHED_HW: return "offload";
	case XDP_ATTACHED_MULTI: return "multi";
	default: return "none";
	}
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

int cmd_run(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "mode", required_argument, NULL, 'm' },
		{ "pin-dir", required_argument, NULL, 'P' },
		{ "keep-maps", no_argument, NULL, 'k' },
		{ "pin-group", required_argument, NULL, 'G' },
		{ "p0f-db", required_argument, NULL, 'D' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "window", required_argument, NULL, 'w' },
		{ "alerts", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "redact-ips", no_argument, NULL, 'R' },
		{ "config", required_argument, NULL, 'c' },
		{ "min-ips", required_argument, NULL, 'N' },
		{ "state-dir", required_argument, NULL, 'T' },
		{ "enforce", required_argument, NULL, 'E' },
		{ "enforce-ttl", required_argument, NULL, 'L' },
		{ "metrics", required_argument, NULL, 'M' },
		HS_DP_LONGOPTS,
		{ 0 }
	};
	struct hs_config cfg = { 0 };
	const char *ifname = NULL, *pin_dir = HS_DEFAULT_PIN_DIR, *db = HS_DEFAULT_P0F_DB;
	LIBBPF_OPTS(bpf_link_create_opts, lopts);
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct ring_buffer *rb = NULL;
	struct hs_bpf *skel = NULL;
	int ifindex, opt, ret = HS_EXIT_ERR, err;
	int lock_fd = -1, link_fd = -1, sig_fd = -1, tm_fd = -1;
	bool keep = false, loaded = false, json = false, redact = false;
	gid_t pin_gid = (gid_t)-1;
	unsigned long long window_s = 60;
	unsigned int file_window;
	const char *alerts = NULL, *config = NULL, *state_dir = HS_DEFAULT_STATE_DIR;
	char state_path[PATH_MAX];
	bool window_flag = false, save_failed = false;
	double min_ips = 0;
	int enforce = HS_ENF_OFF;
	unsigned long long enforce_ttl = 0;
	struct windows *win = NULL;
	struct metrics_src msrc = { .enforce_fd = -1, .top = HS_METRICS_TOP };
	struct exporter *exp = NULL;
	const char *metrics = NULL;
	struct seen *seen = NULL;
	struct det_config dc;
	sigset_t mask;

	optind = 1;
	while ((opt = getopt_long(argc, argv, ":i:m:vhw:a:jc:", lo, NULL)) != -1) {
		switch (opt) {
		case 'i': ifname = optarg; break;
		case 'm':
			if (!strcmp(optarg, "native"))
				lopts.flags = XDP_FLAGS_DRV_MODE;
			else if (!strcmp(optarg, "skb"))
				lopts.flags = XDP_FLAGS_SKB_MODE;
			else {
				pr_warn("invalid mode '%s' (native or skb)", optarg);
				return HS_EXIT_USAGE;
			}
			break;
		case 'P': pin_dir = optarg; break;
		case 'k': keep = true; break;
		case 'G':
			if (parse_group(optarg, &pin_gid))
				return HS_EXIT_USAGE;
			break;
		case 'D': db = optarg; break;
		case 'v': hs_verbose++; break;
		case 'w':
			if (parse_uint(optarg, 86400, &window_s) || !window_s) {
				pr_warn("invalid --window '%s' (1-86400 seconds)", optarg);
				return HS_EXIT_USAGE;
			}
			window_flag = true;
			break;
		case 'a': alerts = optarg; break;
		case 'j': json = true; break;
		case 'c': config = optarg; break;
		case 'T': state_dir = optarg; break;
		case 'N':
			if (config_number(optarg, 1, 1e9, &min_ips)) {
				pr_warn("invalid --min-ips '%s' (a number, at least 1)", optarg);
				return HS_EXIT_USAGE;
			}
			break;
		case 'R': redact = true; break;
		case 'E':
			if (!strcmp(optarg, "dry-run"))
				enforce = HS_ENF_DRY_RUN;
			else if (!strcmp(optarg, "drop"))
				enforce = HS_ENF_DROP;
			else {
				pr_warn("invalid --enforce '%s' (dry-run or drop)", optarg);
				return HS_EXIT_USAGE;
			}
			break;
		case 'M':
			if (listen_addr_check(optarg))
				return HS_EXIT_USAGE;
			metrics = optarg;
			break;
		case 'L':
			if (parse_uint(optarg, 7 * 86400, &enforce_ttl) || !enforce_ttl) {
				pr_warn("invalid --enforce-ttl '%s' (1-604800 seconds)", optarg);
				return HS_EXIT_USAGE;
			}
			break;
		case 'h': run_usage(stdout); return HS_EXIT_OK;
		default:
			if (!hs_config_opt(&cfg, opt, optarg, &err))
				return bad_option("run", opt, argv);
			if (err)
				return HS_EXIT_USAGE;
			break;
		}
	}
	if (optind < argc) {
		pr_warn("unexpected argument '%s'", argv[optind]);
		return HS_EXIT_USAGE;
	}
	if (!ifname) {
		pr_warn("run needs an interface: -i IFACE");
		return HS_EXIT_USAGE;
	}
	if (det_settings(config, min_ips, &dc, &file_window))
		return HS_EXIT_USAGE;
	if (file_window && !window_flag)
		window_s = file_window;
	if (enforce_ttl && !enforce) {
		pr_warn("--enforce-ttl needs --enforce");
		return HS_EXIT_USAGE;
	}
	if (!enforce_ttl)
		enforce_ttl = 10 * window_s;
	else if (enforce_ttl < window_s)
		pr_warn("--enforce-ttl %llu is shorter than a window (%llu s): entries lapse "
			"before an active alert renews them", enforce_ttl, window_s);
	if (!*state_dir || snprintf(state_path, sizeof(state_path), "%s/state-%s.json",
				    state_dir, ifname) >= (int)sizeof(state_path)) {
		pr_warn("invalid --state-dir '%s'", state_dir);
		return HS_EXIT_USAGE;
	}
	ifindex = if_nametoindex(ifname);
	if (!ifindex) {
		pr_warn("No such interface '%s'", ifname);
		return HS_EXIT_ERR;
	}
	if (p0f_db_open(db))
		return HS_EXIT_ERR;
	/* the alert file before anything is loaded: a bad path fails early */
	win = win_new(&dc, (unsigned int)window_s, alerts, json, redact);
	seen = calloc(1, sizeof(*seen));
	if (!win || !seen) {
		win_free(win);
		free(seen);
		p0f_db_free();
		return HS_EXIT_ERR;
	}
	/* refuse early, before loading anything, if the place is taken; the
	 * attach itself refuses too, should one appear in between */
	if (!bpf_xdp_query(ifindex, 0, &q) && q.prog_id) {
		attach_error(ifname, ifindex, -EBUSY);
		win_free(win);
		free(seen);
		p0f_db_free();
		return HS_EXIT_ERR;
	}

	/* signals as an fd, blocked before anything needs undoing */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sig_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sig_fd < 0) {
		pr_warn("Couldn't create signalfd: %s", strerror(errno));
		goto out;
	}

	err = hs_pin_dir_prepare(pin_dir);
	if (err) {
		ret = hs_err_exit(err);
		goto out;
	}
	lock_fd = open(pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB)) {
		pr_warn("Pin directory '%s' is in use by another 'hydrascope run'", pin_dir);
		goto out;
	}
	skel = hs_open(&cfg);
	if (!skel)
		goto out;
	/* read-only data: without --enforce the verifier prunes the whole
	 * enforcement path, XDP_DROP included */
	skel->rodata->enforce_mode = (__u8)enforce;
	err = hs_load(skel, pin_dir);
	if (err) {
		ret = hs_err_exit(err);
		goto out;
	}
	loaded = true;
	if (pin_gid != (gid_t)-1) {
		err = hs_pin_access(skel, pin_dir, pin_gid);
		if (err) {
			ret = hs_err_exit(err);
			goto out;
		}
		pin_parent_check(pin_dir);
	}
	{
		/* the enforce map is pinned: entries a kept map carries over
		 * from an earlier run are not this run's to act on */
		int efd = bpf_map__fd(skel->maps.enforce);
		__u64 k;

		while (bpf_map_get_next_key(efd, NULL, &k) == 0)
			if (bpf_map_delete_elem(efd, &k))
				break;
		if (enforce) {
			win_enforce(win, efd, enforce, (unsigned int)enforce_ttl);
			pr_info("enforcement: %s, entries live %llu s", enforce_mode_name(enforce),
				enforce_ttl);
		}
	}
	/* the detector's state from the last run, if any (after the load:
	 * an unprivileged run is refused as such, not for the directory) */
	if (mkdir(state_dir, 0700) && errno != EEXIST) {
		pr_warn("Couldn't create state directory '%s': %s", state_dir, strerror(errno));
		goto out;
	}
	win_load(win, state_path);
	if (metrics) {
		char errbuf[512];

		msrc.pin_dir = pin_dir;
		msrc.stats_fd = bpf_map__fd(skel->maps.stats);
		msrc.tcp_fd = bpf_map__fd(skel->maps.tcp_fps);
		msrc.tls_fd = bpf_map__fd(skel->maps.tls_fps);
		msrc.enforce_fd = bpf_map__fd(skel->maps.enforce);
		msrc.win = win;
		exp = exporter_start(metrics, HS_DEFAULT_METRICS_PATH, &msrc, errbuf, sizeof(errbuf));
		if (!exp) {
			pr_warn("--metrics: %s", errbuf);
			goto out;
		}
		pr_info("metrics on http://%s%s", metrics, HS_DEFAULT_METRICS_PATH);
	}
	link_fd = bpf_link_create(bpf_program__fd(skel->progs.hs_xdp), ifindex, BPF_XDP, &lopts);
	if (link_fd < 0) {
		err = -errno;
		attach_error(ifname, ifindex, err);
		ret = hs_err_exit(err);
		goto out;
	}
	bpf_xdp_query(ifindex, 0, &q);
	pr_info("attached to %s (ifindex %d) in %s mode, program id %u; maps pinned in %s",
		ifname, ifindex, mode_name(q.attach_mode), q.prog_id, pin_dir);

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

			if (read(sig_fd, &si, sizeof(si)) == sizeof(si))
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
	if (link_fd >= 0)
		close(link_fd);  /* the link is not pinned: closing detaches */
	if (skel && loaded)
		hs_prog_unpin(pin_dir);
	if (skel && loaded && !keep) {
		bpf_map__unpin(skel->maps.tcp_fps, NULL);
		bpf_map__unpin(skel->maps.tls_fps, NULL);
		bpf_map__unpin(skel->maps.stats, NULL);
		bpf_map__unpin(skel->maps.enforce, NULL);
	}
	/* only succeeds when empty: never removes another instance's pins */
	if (!keep || !loaded)
		rmdir(pin_dir);
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
