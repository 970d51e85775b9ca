// SPDX-License-Identifier: BSD-3-Clause
/*
 * `hydrascope run`: load, pin, attach (bpf_link), then stay in the
 * foreground reporting new fingerprints until SIGINT/SIGTERM; detach and
 * clean up what this run created.
 */
#define _GNU_SOURCE  /* sigabbrev_np */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <linux/magic.h>

#include "bpfobj.h"
#include "cmd.h"
#include "config.h"
#include "detect.h"
#include "event.h"
#include "quichello.h"
#include "exporter.h"
#include "fleetsend.h"
#include "fps.h"
#include "log.h"
#include "lookup.h"
#include "opts.h"
#include "metrics.h"
#include "p0fdb.h"
#include "pins.h"
#include "seenfile.h"
#include "status.h"
#include "util.h"
#include "window.h"
#include "hs_bpf.skel.h"

/* tunnel packets in a window, at least, for run_tunnels to say so */
#define RUN_TUNNEL_MIN 100ULL

#define HS_DEFAULT_STATE_DIR "/var/lib/hydrascope"
/* The seen history is saved at least this often (and when run exits): a
 * save of a full map (a million entries) takes about a second. */
#define SEEN_SAVE_S 300
/* At exit, the fleet's spool is sent for this long at most. */
#define RUN_FLEET_FLUSH_MS 2000

/* --sockopt-cgroup, repeatable: the cgroups (v2) whose processes may ask
 * their sockets (hydrascope/sockopt.h). */
#define RUN_CGROUPS_MAX 16
struct cg_list {
	const char *path[RUN_CGROUPS_MAX];
	unsigned int n;
};

static int parse_cgroup(const struct hs_opt *o, const char *s, void *dst)
{
	struct cg_list *l = dst;
	struct statfs sf;

	(void)o;
	if (l->n == RUN_CGROUPS_MAX) {
		pr_warn("--sockopt-cgroup: at most %d cgroups", RUN_CGROUPS_MAX);
		return -1;
	}
	if (statfs(s, &sf)) {
		pr_warn("--sockopt-cgroup '%s': %s", s, strerror(errno));
		return -1;
	}
	if (sf.f_type != CGROUP2_SUPER_MAGIC) {
		pr_warn("--sockopt-cgroup '%s': not a cgroup v2 directory (e.g. "
			"/sys/fs/cgroup/system.slice/api.service)", s);
		return -1;
	}
	l->path[l->n++] = s;
	return 0;
}

struct run_opts {
	struct hs_config cfg;
	struct cg_list cgroups;
	struct web_limits web;
	struct lookup_opts lk;
	struct fleet_opts fleet;
	const char *ifname, *pin_dir, *db, *alerts, *config, *state_dir, *metrics;
	unsigned int mode;               /* XDP_FLAGS_DRV_MODE or _SKB_MODE; 0: the best */
	gid_t pin_gid;                   /* (gid_t)-1: root only */
	unsigned long long window_s;     /* 0: the file's, else 60 */
	unsigned long long enforce_ttl;  /* 0: 10 windows */
	double min_ips;                  /* 0: the file's, else the default */
	unsigned int enforce;            /* HS_ENF_* */
	bool keep, json, redact, web_given, lk_given;
};

static const struct hs_opt_name mode_names[] = {
	{ "native", XDP_FLAGS_DRV_MODE }, { "skb", XDP_FLAGS_SKB_MODE }, { 0 }
};

#define RO(m) HS_AT(struct run_opts, m)
static const struct hs_cmd_opts run_cmd = {
	.cmd = "run",
	.epilog =
	"SIGINT/SIGTERM (and SIGPIPE: its output closed) detach and remove the pins;\n"
	"SIGUSR2 exits leaving the program attached and everything pinned, for the\n"
	"next run to take over.\n",
	.col = 25,
	.opts = (const struct hs_opt[]){
		{ .name = "interface", .short_name = 'i', .arg = "IFACE", .kind = HS_OPT_STR,
		  RO(ifname), .required = "run needs an interface: -i IFACE",
		  .help = "interface to attach to (required)" },
		{ .name = "mode", .short_name = 'm', .arg = "MODE", .kind = HS_OPT_ENUM,
		  RO(mode), .names = mode_names, .label = "mode",
		  .help = "native (driver) or skb (generic); default: native\n"
			  "where the driver takes it, else skb" },
		HS_OPT_PIN_DIR(struct run_opts, pin_dir,
			       "where maps are pinned (default " HS_DEFAULT_PIN_DIR ")"),
		{ .name = "keep-maps", .kind = HS_OPT_FLAG, RO(keep),
		  .help = "leave the pinned maps in place on exit" },
		{ .name = "pin-group", .arg = "GROUP", .kind = HS_OPT_FUNC, .parse = hs_opt_group,
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
		  .names = hs_enforce_names,
		  .help = "act on alerted fingerprints (off by default): dry-run\n"
			  "counts their ClientHellos, drop drops them;\n"
			  "allowlisted JA4s are never enforced" },
		{ .name = "enforce-ttl", .arg = "S", .kind = HS_OPT_UINT, RO(enforce_ttl),
		  .min = 1, .max = 7 * 86400, .hint = "1-604800 seconds",
		  .help = "an enforced fingerprint lapses S seconds after its\n"
			  "last alert (default: 10 windows)" },
		{ .name = "sockopt-cgroup", .arg = "PATH", .kind = HS_OPT_FUNC,
		  .parse = parse_cgroup, RO(cgroups),
		  .help = "let the processes of cgroup (v2) PATH ask their\n"
			  "connections' fingerprints and tag accounts through\n"
			  "getsockopt/setsockopt (hydrascope/sockopt.h);\n"
			  "repeatable, off by default" },
		{ .name = "metrics", .arg = "ADDR:PORT", .kind = HS_OPT_FUNC,
		  .parse = hs_opt_listen, RO(metrics),
		  .help = "serve Prometheus metrics on /metrics (e.g.\n"
			  HS_DEFAULT_LISTEN ", the exporter's default), within:" },
		{ .kind = HS_OPT_GROUP, .group = hs_web_opts, RO(web),
		  HS_SEEN(struct run_opts, web_given), .col = 31 },
		{ .name = "lookup-socket", .arg = "PATH", .kind = HS_OPT_FUNC,
		  .parse = hs_opt_lookup_path, RO(lk.path),
		  .help = "answer lookups of connections and take account\n"
			  "tags on a unix socket at PATH, with:" },
		{ .kind = HS_OPT_GROUP, .group = hs_lookup_opts, RO(lk),
		  HS_SEEN(struct run_opts, lk_given), .col = 35 },
		{ .kind = HS_OPT_GROUP, .group = hs_fleet_opts, RO(fleet), .col = 31 },
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
 * addressing over ids without their generation bit; four slots per entry
 * of the fingerprint maps (their sizes read from the maps: a build may
 * override the macros), emptied should it ever fill.
 */
struct seen {
	size_t slots;
	size_t n;
	__u64 id[];             /* (id | 1): never 0 */
};

static struct seen *seen_new(struct hs_bpf *skel)
{
	size_t slots = 4 * ((size_t)bpf_map__max_entries(skel->maps.tcp_fps) +
			    bpf_map__max_entries(skel->maps.tls_fps));
	struct seen *s = calloc(1, sizeof(*s) + slots * sizeof(s->id[0]));

	if (s)
		s->slots = slots;
	else
		pr_warn("Couldn't allocate the seen-ids table: %s", strerror(errno));
	return s;
}

static bool seen_before(struct seen *s, __u64 id, __u32 kind)
{
	__u64 k = (id | 1) ^ ((__u64)kind << 1);   /* odd: never an empty slot */
	size_t i = (size_t)((k * 0x9e3779b97f4a7c15ULL) >> 40) % s->slots;

	for (;; i = (i + 1) % s->slots) {
		if (s->id[i] == k)
			return true;
		if (!s->id[i])
			break;
	}
	if (s->n >= s->slots / 2) {
		memset(s->id, 0, s->slots * sizeof(s->id[0]));
		s->n = 0;
		return seen_before(s, id, kind);
	}
	s->id[i] = k;
	s->n++;
	return false;
}

/* The program clock, live: CLOCK_MONOTONIC. */
static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/* What on_event works with. */
struct ev_ctx {
	struct seen *seen;
	int names_fd;           /* the names map to fill, or -1 */
	struct quic_hellos *qh; /* QUIC Initials to ClientHellos */
};

/* A fingerprint's name into the names map (the sockopt programs' string
 * options). */
static void name_put(int fd, __u64 id, __u32 kind, const char *name)
{
	struct hs_name_key k = { .id = HS_GEN_KEY(id, 0), .kind = kind };
	struct hs_name v = { 0 };
	size_t n = strlen(name);

	if (n >= sizeof(v.s))
		return;         /* never cut: a client compares it whole */
	memcpy(v.s, name, n);
	v.len = (__u32)n;
	bpf_map_update_elem(fd, &k, &v, BPF_ANY);
}

static int on_event(void *ctx, void *data, size_t len)
{
	const struct hs_event *ev = data;   /* type and fp_id: also a hs_tls_event's */
	struct ev_ctx *x = ctx;
	struct seen *seen = x->seen;
	struct ev_text e;
	__u32 type = len >= sizeof(__u32) ? ev->type : 0;
	/* the first of a window (an unfingerprinted population's record is
	 * the shortest, its type and fp_id where the others have them) */
	bool isnew = len >= sizeof(struct hs_unfp_event) &&
		     (type == HS_EV_TLS_NEW || type == HS_EV_TCP_NEW || type == HS_EV_TLS_UNFP);
	bool said, named;

	if (qh_event(x->qh, data, len))
		return 0;
	said = isnew && seen && seen_before(seen, ev->fp_id, type);
	named = isnew && type != HS_EV_TLS_UNFP;   /* what a socket may ask for */

	/* the program reports each fingerprint afresh in each window's
	 * generation: its name put again then (an LRU may have let it go) */
	if (!isnew || (said && (!named || x->names_fd < 0)) || event_read(data, len, &e))
		return 0;
	if (named && x->names_fd >= 0)
		name_put(x->names_fd, e.fp_id, e.type == HS_EV_TLS_NEW ? HS_NAME_TLS : HS_NAME_TCP,
			 e.type == HS_EV_TLS_NEW ? e.ja4 : e.tcp_sig);
	if (said)
		return 0;
	if (e.type == HS_EV_TLS_NEW)
		pr_info("new TLS fingerprint %s%s%s%s from %s port %u%s", e.ja4,
			*e.sni ? " (sni " : "", e.sni, *e.sni ? ")" : "", e.src, e.ep.sport,
			e.inexact ? " (inexact: a list longer than kept)" : "");
	else if (e.type == HS_EV_TLS_UNFP)
		pr_info("ClientHellos not fingerprinted (%s) from %s port %u: counted as %s",
			e.unfp, e.src, e.ep.sport, e.ja4);
	else if (e.type == HS_EV_TCP_NEW)
		pr_info("new TCP fingerprint %s%s%s%s from %s port %u", e.tcp_sig,
			*e.os ? " (" : "", e.os, *e.os ? ")" : "", e.src, e.ep.sport);
	return 0;
}

/* What an attach's error err says of the interface, "" if nothing. */
static const char *mtu_hint(int err)
{
	return err == -ERANGE ? ": its MTU is larger than the driver's XDP takes" : "";
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
	pr_warn("Couldn't attach XDP program on '%s': %s%s%s", ifname, strerror(-err),
		mtu_hint(err), err == -ERANGE ? " (try -m skb)" :
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
 * The SYN-ACK check (--handshake synack, the default) and the QUIC
 * servers' connection IDs (QUIC ports on, --handshake not none): the
 * egress program on ifindex, in place of an earlier run's
 * (bpf_link_update: SYN-ACKs are read at every instant) or attached anew;
 * the program then requires the SYN-ACK (synack). The link's fd, or -1:
 * without it (kernel before 6.6, or --handshake none) ClientHellos are
 * checked as the program was loaded, QUIC flows never validate, and an
 * earlier run's egress link goes with this run's pins.
 */
static int egress_start(struct hs_bpf *skel, const struct hs_config *cfg, struct hs_pins *pins,
			const char *pin_dir, const char *ifname, int ifindex)
{
	int fd = pins->egress_fd, prog = bpf_program__fd(skel->progs.hs_egress);

	pins->egress_fd = -1;
	if (!HS_WANTS_EGRESS(cfg)) {
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
		pr_warn("Couldn't attach the egress program to %s (%s; it needs tcx, "
			"kernel 6.6+): ClientHellos count when their SYN was seen, QUIC "
			"ClientHellos as unvalidated", ifname, strerror(-fd));
		return -1;
	}
	if (HS_WANTS_SYNACK(cfg))
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
	if (det_settings(o->config, o->min_ips, dc, &file_window))
		return HS_EXIT_USAGE;
	o->cfg.history_s = dc->history_s;
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
	if (o->lk_given && !o->lk.path) {
		pr_warn("the --lookup-socket-* options need --lookup-socket");
		return HS_EXIT_USAGE;
	}
	if (fleet_opts_check(&o->fleet))
		return HS_EXIT_USAGE;
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

/* A run's live state: what it holds, and what it made (undone by
 * run_teardown when the run does not start). */
struct run_ctx {
	const struct run_opts *o;
	struct det_config dc;
	char state_path[PATH_MAX];
	char seen_path[PATH_MAX];     /* the seen history: state-IFACE.seen */
	int ifindex;
	int link_l3;                  /* link_l3_of's: no link header */
	int sig_fd, tm_fd, lock_fd, meta_fd, link_fd, egress_fd;
	__u64 link_checked;            /* mono_ns of run_link_where's last look */
	bool link_away;               /* the interface is in another network namespace */
	struct hs_bpf *skel;
	struct hs_pins pins;          /* what an earlier run left in the pin directory */
	struct windows *win;
	struct seen *seen;
	struct ring_buffer *rb;
	struct metrics_src msrc;
	struct exporter *exp;
	struct lookup_server *lk;     /* --lookup-socket */
	struct fleet_sink *fleet;     /* --fleet */
	char spool_path[PATH_MAX];    /* its spool */
	bool spool_made;
	unsigned int made;            /* HS_PIN_* this run pinned anew */
	struct bpf_link *sockopt[2 * RUN_CGROUPS_MAX];  /* --sockopt-cgroup's */
	unsigned int nsockopt;
	int names_fd;                 /* the names map, when a cgroup asks; else -1 */
	struct ev_ctx evx;
	bool dir_made, state_made, alerts_made;
	bool attached;                /* the program is ours on the interface */
	bool handover;                /* SIGUSR2: leave it attached, pins in place */
	bool save_failed;             /* the last state save failed (said once) */
	/* the seen history: loaded on a cold start (said once started),
	 * saved every seen_every windows and at exit */
	int seen_rc;                  /* seen_load's: 0, 1 no file, -1 rejected; 2 not loaded */
	struct seen_io seen_io;
	char seen_err[PATH_MAX + 160];
	unsigned int seen_every, seen_ticks;
	bool seen_failed;             /* the last seen save failed (said once) */
	size_t seen_entries;          /* in the map at the last save or load; SIZE_MAX:
				       * not known (read by the metrics thread) */
	/* packets and tunnel packets counted at the last window's end */
	unsigned long long tun_packets, tun_seen;
	bool tun_said;                /* most packets were a tunnel's (said once) */
};

/* Signals as an fd, blocked before anything needs undoing. */
static int run_signals(struct run_ctx *c)
{
	/* SIGPIPE: its output (a pipe to head, say) closed: stops as SIGTERM
	 * does, detached and its pins removed, not killed with them left */
	c->sig_fd = signal_fd((const int[]){ SIGINT, SIGTERM, SIGUSR2, SIGPIPE, 0 }, NULL);
	if (c->sig_fd < 0) {
		pr_warn("Couldn't create signalfd: %s", strerror(errno));
		return HS_EXIT_ERR;
	}
	return 0;
}

/* The p0f database, the detector and its alert file: before anything is
 * loaded, a bad path fails early (and a file this run created goes again
 * if it does not start). */
static int run_detector(struct run_ctx *c)
{
	const struct run_opts *o = c->o;

	if (p0f_db_open(o->db))
		return HS_EXIT_ERR;
	c->alerts_made = o->alerts && strcmp(o->alerts, "-") && access(o->alerts, F_OK);
	c->win = win_new(&c->dc, (unsigned int)o->window_s, o->alerts, o->json, o->redact);
	return c->win ? 0 : HS_EXIT_ERR;
}

/* The pin directory, made if missing, locked against another run. */
static int run_pin_dir(struct run_ctx *c)
{
	const char *pin_dir = c->o->pin_dir;
	int err = hs_pin_dir_prepare(pin_dir, &c->dir_made);

	if (err)
		return hs_err_exit(err);
	c->lock_fd = open(pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->lock_fd < 0) {
		err = errno;
		pr_warn("Couldn't open pin directory '%s': %s", pin_dir, strerror(err));
		return hs_err_exit(err);
	}
	if (flock(c->lock_fd, LOCK_EX | LOCK_NB)) {
		pr_warn("Pin directory '%s' is in use by another 'hydrascope run'", pin_dir);
		return HS_EXIT_ERR;
	}
	return 0;
}

/* Refuse before loading anything if the place is taken, unless by the
 * link of an earlier run of this pin directory, to take over (the attach
 * itself refuses too, should one appear in between); and a take-over in
 * another mode than the earlier run's. */
static int run_place_check(struct run_ctx *c)
{
	const struct run_opts *o = c->o;
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (c->pins.link_fd < 0 && !bpf_xdp_query(c->ifindex, 0, &q) && q.prog_id) {
		attach_error(o->ifname, c->ifindex, -EBUSY);
		return HS_EXIT_ERR;
	}
	if (c->pins.link_fd >= 0 && o->mode &&
	    (o->mode == XDP_FLAGS_DRV_MODE) != (c->pins.link_mode == XDP_ATTACHED_DRV)) {
		pr_warn("'%s' runs the program of an earlier run in %s mode: -m %s needs it "
			"detached first (rm -r '%s')", o->ifname,
			hs_attach_mode(c->pins.link_mode),
			hs_opt_name_of(mode_names, o->mode), o->pin_dir);
		return HS_EXIT_ERR;
	}
	return 0;
}

#ifndef ARPHRD_IP6GRE
#define ARPHRD_IP6GRE 823
#endif

/* Does interface ifname carry packets without a link header (tun,
 * WireGuard, PPP, IP tunnels: each starts with its IP header)? 1 so, 0
 * not (Ethernet framing, loopback's included; also when its type cannot
 * be read), -1 said why not: a link of another kind, whose frames the
 * program cannot read. */
static int link_l3_of(const char *ifname)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), bad;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	bad = fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr);
	if (fd >= 0)
		close(fd);
	if (bad)
		return 0;
	switch (ifr.ifr_hwaddr.sa_family) {
	case ARPHRD_ETHER:
	case ARPHRD_LOOPBACK:
		return 0;
	case ARPHRD_NONE:
	case ARPHRD_RAWIP:
	case ARPHRD_PPP:
	case ARPHRD_TUNNEL:
	case ARPHRD_TUNNEL6:
	case ARPHRD_SIT:
	case ARPHRD_IPGRE:
	case ARPHRD_IP6GRE:
		return 1;
	}
	pr_warn("'%s' is a link of type %u (ARPHRD): hydrascope reads Ethernet frames, and IP "
		"packets without a link header", ifname, ifr.ifr_hwaddr.sa_family);
	return -1;
}

/* Open, configure and load the program, reusing what the pin directory
 * holds of an earlier run of ours and of this layout. */
static int run_load(struct run_ctx *c)
{
	const struct run_opts *o = c->o;
	int err, ret;

	c->skel = hs_open(&o->cfg);
	if (!c->skel)
		return HS_EXIT_ERR;
	c->seen = seen_new(c->skel);
	if (!c->seen)
		return HS_EXIT_ERR;
	hs_set_enforce(c->skel, (int)o->enforce);
	hs_set_link_l3(c->skel, c->link_l3);
	/* what the directory holds is ours and of this layout, or left alone */
	err = hs_pins_check(c->skel, o->pin_dir, c->ifindex, &c->pins);
	if (err)
		return hs_err_exit(err);
	ret = run_place_check(c);
	if (ret)
		return ret;
	/* the window generation the maps' program writes goes on */
	if (c->pins.had & HS_PIN_META)
		c->skel->bss->cur_gen = c->pins.meta.gen;
	/* the marker first: maps without one are never ours */
	c->made = HS_PIN_META & ~c->pins.had;
	c->meta_fd = hs_meta_open(o->pin_dir, c->skel->bss->cur_gen);
	err = c->meta_fd < 0 ? c->meta_fd : 0;
	if (!err) {
		c->made |= HS_PIN_MAPS & ~c->pins.had;
		if (o->cgroups.n) {
			bpf_program__set_autoload(c->skel->progs.hs_getsockopt, true);
			bpf_program__set_autoload(c->skel->progs.hs_setsockopt, true);
		}
		err = hs_load(c->skel, o->pin_dir);
	}
	if (!err && o->cgroups.n)
		c->names_fd = bpf_map__fd(c->skel->maps.names);
	return err ? hs_err_exit(err) : 0;
}

/* --sockopt-cgroup: the getsockopt and setsockopt programs on each cgroup,
 * as links of this run (gone when it exits, handed over or not). */
static int run_sockopt(struct run_ctx *c)
{
	const struct cg_list *l = &c->o->cgroups;
	struct bpf_program *p[2] = { c->skel->progs.hs_getsockopt, c->skel->progs.hs_setsockopt };
	unsigned int i, k;
	int fd, err;

	for (i = 0; i < l->n; i++) {
		fd = open(l->path[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			err = errno;
			pr_warn("--sockopt-cgroup '%s': %s", l->path[i], strerror(err));
			return hs_err_exit(-err);
		}
		for (k = 0; k < 2; k++) {
			struct bpf_link *lk = bpf_program__attach_cgroup(p[k], fd);

			if (!lk) {
				err = errno;
				pr_warn("Couldn't attach the %s program to cgroup '%s': %s",
					k ? "setsockopt" : "getsockopt", l->path[i], strerror(err));
				close(fd);
				return hs_err_exit(-err);
			}
			c->sockopt[c->nsockopt++] = lk;
		}
		close(fd);
		pr_info("sockopt: the processes of cgroup %s may ask their connections "
			"(level %d)", l->path[i], SOL_HYDRASCOPE);
	}
	return 0;
}

static int run_state_dir(struct run_ctx *c)
{
	const char *dir = c->o->state_dir;
	int err;

	if (mkdir(dir, 0700) == 0) {
		c->state_made = true;
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	err = errno;
	pr_warn("Couldn't create state directory '%s': %s", dir, strerror(err));
	return hs_err_exit(err);
}

/* --fleet: the windows' sink, its spool beside the state file (made
 * there, as the state directory), sent from run_loop on. */
static int run_fleet(struct run_ctx *c)
{
	const struct run_opts *o = c->o;
	const char *dir = o->fleet.spool;

	if (!o->fleet.url)
		return 0;
	if (!dir) {
		snprintf(c->spool_path, sizeof(c->spool_path), "%s/fleet-%s", o->state_dir,
			 o->ifname);
		dir = c->spool_path;
	}
	c->fleet = fleet_sink_open(&o->fleet, dir, false, &c->spool_made);
	if (!c->fleet)
		return HS_EXIT_ERR;
	win_sink(c->win, fleet_sink_window, c->fleet);
	c->msrc.fleet = c->fleet;
	return 0;
}

/* The entries the seen map had at the last save or load, for a scrape. */
static void seen_publish(struct run_ctx *c, size_t n)
{
	__atomic_store_n(&c->seen_entries, n, __ATOMIC_RELAXED);
}

/* A cold start (the seen map made anew, not an earlier run's pinned one
 * reused): the seen history an earlier run saved, before the program is
 * attached; said once the run has started. */
static int run_seen_load(struct run_ctx *c)
{
	struct seen_clock now;

	c->seen_rc = 2;
	if (!(c->made & HS_PIN_SEEN))
		return 0;
	seen_clock_now(&now);
	c->seen_rc = seen_load(bpf_map__fd(c->skel->maps.seen), c->seen_path, &now,
			       c->skel->rodata->history_ns, 0, &c->seen_io, c->seen_err,
			       sizeof(c->seen_err));
	/* the map is new: what was loaded, or empty */
	seen_publish(c, c->seen_rc ? 0 : c->seen_io.loaded);
	return 0;
}

static void run_seen_said(const struct run_ctx *c)
{
	const struct seen_io *io = &c->seen_io;

	if (c->seen_rc == 0)
		pr_info("seen history restored from %s: %zu entries, %zu older than the "
			"history left out%s (%.0f ms)", c->seen_path, io->loaded, io->expired,
			io->over ? ", the oldest over the map's size too" : "", io->ms);
	else if (c->seen_rc == 1)
		pr_debug("no seen history in %s: sources count as new to their JA4 until "
			 "seen again", c->seen_path);
	else if (c->seen_rc < 0)
		pr_warn("Ignoring seen history %s; starting with an empty seen map", c->seen_err);
	else
		pr_debug("seen map of the earlier run reused");
}

/* The seen map to the seen history file (warned once per run of
 * failures). */
static void run_seen_save(struct run_ctx *c)
{
	struct seen_clock now;
	struct seen_io io;
	int err;

	seen_clock_now(&now);
	err = seen_save(bpf_map__fd(c->skel->maps.seen), c->seen_path, &now,
			c->skel->rodata->history_ns, 0, &io);
	if (err && !c->seen_failed)
		pr_warn("Couldn't save the seen history to %s: %s", c->seen_path, strerror(-err));
	else if (!err && c->seen_failed)
		pr_info("seen history saved to %s again", c->seen_path);
	c->seen_failed = err != 0;
	if (err)
		return;
	seen_publish(c, io.records + io.expired);
	pr_debug("seen history saved to %s: %zu entries, %zu older than the history left "
		 "out, %zu bytes (%.0f ms)", c->seen_path, io.records, io.expired, io.bytes, io.ms);
}

/* --metrics: the exporter's server, on the maps and the detector. */
static int run_metrics(struct run_ctx *c)
{
	struct metrics_src *m = &c->msrc;
	char errbuf[512];

	if (!c->o->metrics)
		return 0;
	m->pin_dir = c->o->pin_dir;
	m->stats_fd = bpf_map__fd(c->skel->maps.stats);
	m->tcp_fd = bpf_map__fd(c->skel->maps.tcp_fps);
	m->tls_fd = bpf_map__fd(c->skel->maps.tls_fps);
	m->enforce_fd = bpf_map__fd(c->skel->maps.enforce);
	m->seen_fd = bpf_map__fd(c->skel->maps.seen);
	m->acct_fd = bpf_map__fd(c->skel->maps.accounts);
	m->quic_fd = bpf_map__fd(c->skel->maps.quic_user);
	m->seen_entries = &c->seen_entries;
	m->win = c->win;
	m->dc = &c->dc;         /* scores as the detector judges */
	c->exp = exporter_start(c->o->metrics, HS_DEFAULT_METRICS_PATH, &c->o->web, m,
				errbuf, sizeof(errbuf));
	if (!c->exp) {
		pr_warn("--metrics: %s", errbuf);
		return HS_EXIT_ERR;
	}
	return 0;
}

/* --lookup-socket: bound and listening before anything is loaded (a
 * path that can't be served fails first), served once capabilities are
 * dropped (run_loop). */
static int run_lookup(struct run_ctx *c)
{
	if (!c->o->lk.path)
		return 0;
	c->lk = lookup_open(&c->o->lk);
	return c->lk ? 0 : HS_EXIT_ERR;
}

/* The lookup socket's thread, on the maps and the hs_tag program. */
static int run_lookup_start(struct run_ctx *c)
{
	struct hs_bpf *skel = c->skel;
	struct conn_maps m = {
		.conns = bpf_map__fd(skel->maps.conns), .flows = bpf_map__fd(skel->maps.flows),
		.tls = bpf_map__fd(skel->maps.tls_fps), .tcp = bpf_map__fd(skel->maps.tcp_fps),
		.names = bpf_map__fd(skel->maps.names),
	};

	return lookup_start(c->lk, &m, bpf_program__fd(skel->progs.hs_tag)) ? HS_EXIT_ERR : 0;
}

/* The events of new fingerprints, and the windows: every window_s seconds
 * a tick flips the generation and judges the window that ended. With
 * --fleet the ticks fall on wall-clock multiples of the window, so that
 * every host's windows line up (the first one is shorter). */
static int run_events(struct run_ctx *c)
{
	time_t w = (time_t)c->o->window_s;
	struct itimerspec its = { .it_interval = { .tv_sec = w }, .it_value = { .tv_sec = w } };
	clockid_t clk = c->fleet ? CLOCK_REALTIME : CLOCK_MONOTONIC;
	struct timespec now;

	c->evx.seen = c->seen;
	c->evx.names_fd = c->names_fd;
	c->evx.qh = qh_new(c->skel, false);
	if (!c->evx.qh)
		return HS_EXIT_ERR;
	c->rb = ring_buffer__new(bpf_map__fd(c->skel->maps.events), on_event, &c->evx, NULL);
	if (!c->rb) {
		pr_warn("Couldn't open the ring buffer: %s", strerror(errno));
		return HS_EXIT_ERR;
	}
	c->tm_fd = timerfd_create(clk, TFD_CLOEXEC);
	if (c->tm_fd < 0) {
		pr_warn("Couldn't create timerfd: %s", strerror(errno));
		return HS_EXIT_ERR;
	}
	if (c->fleet) {
		clock_gettime(CLOCK_REALTIME, &now);
		its.it_value.tv_sec = (now.tv_sec / w + 1) * w;
	}
	if (timerfd_settime(c->tm_fd, c->fleet ? TFD_TIMER_ABSTIME : 0, &its, NULL)) {
		pr_warn("Couldn't arm timerfd: %s", strerror(errno));
		return HS_EXIT_ERR;
	}
	return 0;
}

/* The enforce map: what an earlier run of this mode enforced goes on. */
static int run_enforce(struct run_ctx *c)
{
	int fd = bpf_map__fd(c->skel->maps.enforce);

	enforce_carry(fd, (int)c->o->enforce);
	if (c->o->enforce)
		win_enforce(c->win, fd, (int)c->o->enforce, (unsigned int)c->o->enforce_ttl);
	return 0;
}

/* The program on the interface: an earlier run's swapped for ours in one
 * step, or attached anew; then the SYN-ACK check and the pins. */
static int run_attach(struct run_ctx *c)
{
	const struct run_opts *o = c->o;
	/* an interface without a link header: skb mode, where XDP sees its
	 * packets (tun refuses native XDP but on a TAP device) */
	LIBBPF_OPTS(bpf_link_create_opts, lopts,
		    .flags = o->mode ? o->mode : c->link_l3 ? XDP_FLAGS_SKB_MODE : 0);
	int prog = bpf_program__fd(hs_xdp_prog(c->skel)), err;

	if (c->pins.link_fd >= 0) {
		c->link_fd = c->pins.link_fd;
		c->pins.link_fd = -1;
		if (bpf_link_update(c->link_fd, prog, NULL)) {
			err = errno;
			pr_warn("Couldn't replace the program on '%s': %s", o->ifname, strerror(err));
			return hs_err_exit(-err);
		}
	} else {
		c->link_fd = bpf_link_create(prog, c->ifindex, BPF_XDP, &lopts);
		err = c->link_fd < 0 ? -errno : 0;
		if (err && !lopts.flags && err != -EBUSY && err != -EEXIST) {
			/* the driver has XDP but refused it here (a jumbo MTU,
			 * say): the best mode it takes is skb's */
			lopts.flags = XDP_FLAGS_SKB_MODE;
			c->link_fd = bpf_link_create(prog, c->ifindex, BPF_XDP, &lopts);
			if (c->link_fd >= 0)
				pr_warn("native XDP refused on '%s' (%s%s): attached in skb mode, "
					"slower", o->ifname, strerror(-err), mtu_hint(err));
			err = c->link_fd < 0 ? err : 0;
		}
		if (err) {
			attach_error(o->ifname, c->ifindex, err);
			return hs_err_exit(err);
		}
	}
	c->attached = true;
	/* the slots' tags, that a spoofed ClientHello be known without a read
	 * of its slot (without them, each is read, as before) */
	err = hs_flow_tags_fill(c->skel);
	if (err)
		pr_warn("Couldn't read the flow slots for their tags: %s (spoofed ClientHellos "
			"cost a read of their slot)", strerror(-err));
	c->egress_fd = egress_start(c->skel, &o->cfg, &c->pins, o->pin_dir, o->ifname,
				    c->ifindex);
	err = hs_link_pin(c->link_fd, o->pin_dir, HS_LINK_PIN);
	if (!err && c->egress_fd >= 0)
		err = hs_link_pin(c->egress_fd, o->pin_dir, HS_EGRESS_PIN);
	if (!err)
		err = hs_prog_pin(c->skel, o->pin_dir);
	if (!err)
		err = hs_pin_access(c->skel, o->pin_dir, o->pin_gid);
	return err ? hs_err_exit(err) : 0;
}

/* Were most of the window's packets a tunnel's (IP in IP, GRE, VXLAN,
 * Geneve), whose inner packets the program does not read? Then the
 * operator attached it where the traffic is still wrapped: said once.
 * judge false: the counts taken as they are, nothing said (at the start). */
static void run_tunnels(struct run_ctx *c, bool judge)
{
	unsigned long long dp, dt;
	struct hs_stats st;

	if (c->tun_said || hs_stats_read(bpf_map__fd(c->skel->maps.stats), &st))
		return;
	dp = st.c[HS_ST_PACKETS] - c->tun_packets;
	dt = st.c[HS_ST_TUNNELED] - c->tun_seen;
	c->tun_packets = st.c[HS_ST_PACKETS];
	c->tun_seen = st.c[HS_ST_TUNNELED];
	if (!judge || dt < RUN_TUNNEL_MIN || dt < dp / 2)
		return;
	c->tun_said = true;
	pr_warn("%llu of the %llu packets on %s in the last window were tunnel packets (IP in "
		"IP, GRE, VXLAN, Geneve), whose inner packets are not looked at: run hydrascope "
		"on the interface that ends the tunnel", dt, dp, c->o->ifname);
}

/* Said once nothing can fail any more (a run that does not start says
 * one line, why); then the detector's state from the last run, if any. */
static void run_started(struct run_ctx *c)
{
	const struct run_opts *o = c->o;
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	bpf_xdp_query(c->ifindex, 0, &q);
	if (c->pins.link_prog_id)
		pr_info("attached to %s (ifindex %d) in %s mode, program id %u in place of %u; "
			"maps of the earlier run reused in %s", o->ifname, c->ifindex,
			hs_attach_mode(q.attach_mode), q.prog_id, c->pins.link_prog_id,
			o->pin_dir);
	else
		pr_info("attached to %s (ifindex %d) in %s mode, program id %u; maps %s in %s",
			o->ifname, c->ifindex, hs_attach_mode(q.attach_mode), q.prog_id,
			c->made & HS_PIN_MAPS ? "pinned" : "kept by an earlier run reused",
			o->pin_dir);
	if (c->link_l3)
		pr_info("%s has no link header: packets read from their IP header", o->ifname);
	run_tunnels(c, false);          /* the counts so far: maps reused keep theirs */
	if (o->pin_gid != (gid_t)-1)
		pin_parent_check(o->pin_dir);
	if (o->enforce)
		pr_info("enforcement: %s, entries live %llu s", enforce_mode_name((int)o->enforce),
			o->enforce_ttl);
	if (c->exp)
		pr_info("metrics on http://%s%s", o->metrics, HS_DEFAULT_METRICS_PATH);
	if (c->lk)
		pr_info("lookups on %s", o->lk.path);
	if (c->fleet)
		pr_info("fleet: windows go to the fleet database as host '%s', through the spool %s",
			fleet_sink_host(c->fleet), o->fleet.spool ? o->fleet.spool : c->spool_path);
	win_load(c->win, c->state_path);
	run_seen_said(c);
	/* an empty seen map (no history to restore): every source is new to
	 * it for a while, which the restored baselines never saw */
	if (c->seen_rc == 1 || c->seen_rc < 0)
		win_novelty_relearn(c->win);
}

/* A window ended: flip the generation, judge the window, save the state. */
static void run_tick(struct run_ctx *c)
{
	struct timespec now, pause = { .tv_nsec = 20 * 1000 * 1000 };
	struct hs_bpf *skel = c->skel;
	struct fp_maps maps = hs_fp_maps(skel);
	__u64 ticks;
	int old, err;

	if (read(c->tm_fd, &ticks, sizeof(ticks)) != sizeof(ticks))
		ticks = 0;
	if (ticks > 1)
		pr_debug("%llu windows passed at once: judged as one", (unsigned long long)ticks);
	old = (int)(skel->bss->cur_gen & 1);
	__atomic_store_n(&skel->bss->cur_gen, skel->bss->cur_gen + 1, __ATOMIC_SEQ_CST);
	/* a new window's sample of unvalidated ClientHellos */
	__atomic_store_n(&skel->bss->sample_epoch, skel->bss->sample_epoch + 1, __ATOMIC_RELAXED);
	/* for the next run (after the flip: killed in between, the window
	 * ended merely runs on into the next run's) */
	hs_meta_set(c->meta_fd, skel->bss->cur_gen);
	/* programs that read the old generation may still be writing it:
	 * give them time to finish */
	nanosleep(&pause, NULL);
	clock_gettime(CLOCK_REALTIME, &now);
	err = win_close(c->win, &maps, old, (__u64)now.tv_sec * 1000000000ULL + (__u64)now.tv_nsec);
	if (err)
		pr_warn("window: %s", strerror(-err));
	else
		pr_debug("window of generation %d judged, %llu alerts so far", old,
			 win_alerts(c->win));
	/* warned once per run of failures */
	err = win_save(c->win, c->state_path);
	if (err && !c->save_failed)
		pr_warn("Couldn't save detector state to %s: %s", c->state_path, strerror(-err));
	else if (!err && c->save_failed)
		pr_info("detector state saved to %s again", c->state_path);
	c->save_failed = err != 0;
	if (++c->seen_ticks >= c->seen_every) {
		c->seen_ticks = 0;
		run_seen_save(c);
	}
	run_tunnels(c, true);
}

/* SIGINT/SIGTERM (and SIGPIPE) stop; SIGUSR2 hands over to the next run. */
static void run_signal(struct run_ctx *c)
{
	struct signalfd_siginfo si;

	if (read(c->sig_fd, &si, sizeof(si)) != sizeof(si))
		si.ssi_signo = SIGTERM;
	c->handover = si.ssi_signo == SIGUSR2;
	if (c->handover)
		pr_info("SIGUSR2: leaving the program attached to %s for the next run, "
			"pins in %s", c->o->ifname, c->o->pin_dir);
	else
		pr_info("SIG%s: detaching from %s", sigabbrev_np((int)si.ssi_signo) ?: "?",
			c->o->ifname);
}

/* Where the interface is, looked at once a second through the XDP link
 * (which holds it while it exists, wherever it goes). */
enum { LINK_HERE, LINK_GONE, LINK_AWAY };
static int run_link_where(struct run_ctx *c)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	__u64 now = mono_ns();
	char name[IF_NAMESIZE];
	bool ours;

	if (now - c->link_checked < 1000000000ULL)
		return c->link_away ? LINK_AWAY : LINK_HERE;
	c->link_checked = now;
	if (bpf_obj_get_info_by_fd(c->link_fd, &info, &len) || info.type != BPF_LINK_TYPE_XDP)
		return LINK_HERE;
	ours = if_indextoname((unsigned int)c->ifindex, name) != NULL || errno != ENXIO;
	/* no interface in the link: deleted, or the link detached by someone
	 * else (bpftool link detach) from an interface still there */
	if (!info.xdp.ifindex)
		return ours ? LINK_HERE : LINK_GONE;
	/* an index is its interface's within a namespace: another index, or
	 * ours gone from this one, is another network namespace */
	return info.xdp.ifindex == (__u32)c->ifindex && ours ? LINK_HERE : LINK_AWAY;
}

/* Loaded, pinned, attached: from here on only file descriptors we hold,
 * files we own and sockets we have are used. Until a signal. */
static int run_loop(struct run_ctx *c)
{
	if (drop_capabilities())
		return HS_EXIT_ERR;
	/* after the drop: a thread has the capabilities of the one that
	 * made it */
	if (run_lookup_start(c) || (c->fleet && fleet_sink_start(c->fleet)))
		return HS_EXIT_ERR;
	for (;;) {
		int where;
		struct pollfd pfd[3] = {
			{ .fd = c->sig_fd, .events = POLLIN },
			{ .fd = ring_buffer__epoll_fd(c->rb), .events = POLLIN },
			{ .fd = c->tm_fd, .events = POLLIN },
		};

		/* each second: QUIC hellos waiting for their validation time
		 * out, and the interface is looked at */
		if (poll(pfd, 3, 1000) < 0 && errno != EINTR) {
			pr_warn("poll: %s", strerror(errno));
			return HS_EXIT_ERR;
		}
		where = run_link_where(c);
		if (where == LINK_GONE) {
			pr_warn("'%s' is gone (deleted): its XDP program went with it; stopping",
				c->o->ifname);
			return HS_EXIT_ERR;
		}
		if ((where == LINK_AWAY) != c->link_away) {
			c->link_away = where == LINK_AWAY;
			if (c->link_away)
				pr_warn("'%s' left this network namespace: its XDP program went "
					"with it, and what it counts there is still read here",
					c->o->ifname);
			else
				pr_info("'%s' is back in this network namespace", c->o->ifname);
		}
		if (pfd[1].revents)
			ring_buffer__consume(c->rb);
		qh_tick(c->evx.qh, mono_ns(), false);
		if (pfd[2].revents)
			run_tick(c);
		if (pfd[0].revents) {
			run_signal(c);
			/* the QUIC hellos still waiting count, unvalidated */
			qh_tick(c->evx.qh, mono_ns(), true);
			return HS_EXIT_OK;
		}
	}
}

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* Undo what this run did. Handed over: everything stays pinned, the link
 * holds the program attached. Stopped: the link's pin (the link then goes
 * with its fd and detaches), the program's pin, and the maps unless
 * --keep-maps; the directory only goes empty: never another instance's
 * pins. Did not start: what this run made goes, nothing else. */
static void run_teardown(struct run_ctx *c)
{
	const struct run_opts *o = c->o;

	unsigned int i;

	exporter_stop(c->exp);     /* its thread reads the maps: first */
	lookup_stop(c->lk);        /* so does this one's */
	/* what the spool holds sent, briefly; the rest waits for the next
	 * start (the spool goes only if this run made it and did not start) */
	fleet_sink_stop(c->fleet, RUN_FLEET_FLUSH_MS);
	fleet_sink_free(c->fleet, !c->attached && c->spool_made);
	for (i = 0; i < c->nsockopt; i++)
		bpf_link__destroy(c->sockopt[i]);
	fpr_free(c->msrc.rd);
	ring_buffer__free(c->rb);
	qh_free(c->evx.qh);
	close_fd(c->tm_fd);
	if (c->handover) {
		/* nothing to undo */
	} else if (c->attached) {
		hs_pins_remove(c->skel, o->pin_dir, HS_PIN_LINK | HS_PIN_EGRESS | HS_PIN_PROG |
			       (o->keep ? 0 : HS_PIN_MAPS | HS_PIN_META));
		rmdir(o->pin_dir);
	} else {
		if (c->skel)
			hs_pins_remove(c->skel, o->pin_dir, c->made);
		if (c->dir_made)
			rmdir(o->pin_dir);
		if (c->state_made)
			rmdir(o->state_dir);
		if (c->alerts_made && c->win)
			unlink(o->alerts);
	}
	close_fd(c->link_fd);
	close_fd(c->egress_fd);
	close_fd(c->pins.link_fd);   /* an earlier run's, not taken over */
	close_fd(c->pins.egress_fd);
	close_fd(c->meta_fd);
	hs_bpf__destroy(c->skel);
	close_fd(c->lock_fd);
	close_fd(c->sig_fd);
	p0f_db_free();
	win_free(c->win);
	free(c->seen);
}

/* Set up, in this order; each step says why when it fails. */
static int (*const run_steps[])(struct run_ctx *c) = {
	run_signals, run_detector, run_lookup, run_pin_dir, run_load, run_state_dir,
	run_fleet, run_seen_load, run_metrics, run_events, run_enforce, run_attach, run_sockopt,
};

int cmd_run(int argc, char **argv)
{
	struct run_opts o = { .pin_dir = HS_DEFAULT_PIN_DIR, .db = HS_DEFAULT_P0F_DB,
			      .state_dir = HS_DEFAULT_STATE_DIR, .web = HS_WEB_DEFAULTS,
			      .lk = HS_LOOKUP_DEFAULTS,
			      .pin_gid = (gid_t)-1 };
	struct run_ctx c = { .o = &o, .sig_fd = -1, .tm_fd = -1, .lock_fd = -1, .meta_fd = -1,
			     .link_fd = -1, .egress_fd = -1, .names_fd = -1,
			     .pins = { .link_fd = -1, .egress_fd = -1 },
			     .msrc = { .enforce_fd = -1, .seen_fd = -1, .acct_fd = -1,
				       .top = HS_METRICS_TOP } };
	size_t i;
	int ret;

	ret = run_parse(argc, argv, &o, &c.dc, c.state_path, sizeof(c.state_path));
	if (ret != RUN_GO_ON)
		return ret;
	/* beside the state file, as long as its name */
	snprintf(c.seen_path, sizeof(c.seen_path), "%s/state-%s.seen", o.state_dir, o.ifname);
	c.seen_every = (unsigned int)((SEEN_SAVE_S + o.window_s - 1) / o.window_s);
	c.seen_entries = SIZE_MAX;
	c.ifindex = (int)if_nametoindex(o.ifname);
	if (!c.ifindex) {
		pr_warn("No such interface '%s'", o.ifname);
		return HS_EXIT_ERR;
	}
	c.link_l3 = link_l3_of(o.ifname);
	if (c.link_l3 < 0)
		return HS_EXIT_ERR;
	if (c.link_l3 && o.mode == XDP_FLAGS_DRV_MODE) {
		pr_warn("-m native: '%s' has no link header, and XDP sees its packets in skb "
			"mode only (-m skb)", o.ifname);
		return HS_EXIT_ERR;
	}
	for (i = 0, ret = 0; i < sizeof(run_steps) / sizeof(run_steps[0]) && !ret; i++)
		ret = run_steps[i](&c);
	if (!ret) {
		run_started(&c);
		ret = run_loop(&c);
		run_seen_save(&c);      /* stopped or handed over: for a cold start to come */
	}
	run_teardown(&c);
	return ret;
}
