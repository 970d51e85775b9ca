// SPDX-License-Identifier: BSD-3-Clause
/*
 * `hydrascope replay`: every packet of the captures goes through the very
 * XDP program `run` attaches, with BPF_PROG_TEST_RUN, in private maps, with
 * the packet timestamp as the program's clock.
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "bpfobj.h"
#include "capture.h"
#include "cmd.h"
#include "config.h"
#include "detect.h"
#include "event.h"
#include "quic.h"
#include "quichello.h"
#include "fleetsend.h"
#include "log.h"
#include "opts.h"
#include "p0f.h"
#include "p0fdb.h"
#include "report.h"
#include "util.h"
#include "window.h"
#include "hs_bpf.skel.h"

/* --fleet: the first connection waited for this long (a database that is
 * not one to send to fails the replay before any work), and at the end
 * the spool as long as a window goes through at least this often. */
#define REPLAY_FLEET_CONNECT_MS 10000
#define REPLAY_FLEET_STALL_MS 10000

struct replay_opts {
	struct hs_config cfg;
	struct report_opts ro;          /* --json, --top */
	struct fleet_opts fleet;
	const char *db, *alerts, *config;
	unsigned long long window_s;    /* 0: none given */
	double min_ips;                 /* 0: none given */
	bool events, redact;
};

struct replay {
	const struct replay_opts *o;
	bool json, events;
	char **files;               /* the captures' names, nfiles of them */
	struct capture **pcs;       /* and the captures, opened */
	int nfiles;
	struct det_config dc;
	unsigned long long window_s;  /* the detector's window; 0: no detector */
	struct fp_maps maps;        /* tcp_fps names the TCP signature of a hello */
	struct windows *win;        /* --window/--alerts/--fleet: the detector */
	struct fleet_sink *fleet;   /* --fleet */
	char spool[PATH_MAX];       /* its spool when made here (a temporary one) */
	struct hs_bpf *skel;
	struct ring_buffer *rb;
	struct quic_hellos *qh;     /* QUIC Initials to ClientHellos */
	struct hs_replay_frame *frames;  /* replay_frames, mmapped */
	size_t frames_len;
	__u32 n;                    /* frames waiting for the next run */
	unsigned long long packets, oversize, runt, cut, snapped;
	__u64 sample_win;           /* no detector: the 60 s of packet time the samples
				     * and the QUIC budget are of, + 1 (0: none yet) */
};

/* Without a detector, the per-window samples of unvalidated ClientHellos
 * and the QUIC budget still renew every REPLAY_SAMPLE_S of packet time, as
 * run's default window renews them: a capture's counts are run's. */
#define REPLAY_SAMPLE_S 60ULL

#define RO(m) HS_AT(struct replay_opts, m)
static const struct hs_cmd_opts replay_cmd = {
	.cmd = "replay",
	.args = "FILE.pcap[ng]...",
	.epilog = "Ethernet, Linux cooked (v1, v2), raw IP and BSD loopback captures.\n"
		  "--fleet sends each window (default 60 s) and waits for them to go: its spool\n"
		  "is a new temporary directory unless --fleet-spool names one.\n",
	.col = 21,
	.opts = (const struct hs_opt[]){
		HS_OPT_JSON(struct replay_opts, ro.json, "JSON lines"),
		{ .name = "events", .short_name = 'e', .kind = HS_OPT_FLAG, RO(events),
		  .help = "one line per fingerprinted SYN and ClientHello instead\n"
			  "of the tables" },
		HS_OPT_TOP(struct replay_opts, ro.top, "only the N fingerprints of each kind seen most"),
		HS_OPT_P0F_DB(struct replay_opts, db, "p0f fingerprint database for OS labels"),
		HS_OPT_WINDOW(struct replay_opts, window_s,
			      "run the hydra detector over windows of S seconds of\n"
			      "packet time (default 60 with --alerts)"),
		HS_OPT_ALERTS(struct replay_opts, alerts,
			      "where alerts go ('-': standard output, the default)"),
		HS_OPT_REDACT(struct replay_opts, redact),
		HS_OPT_CONFIG(struct replay_opts, config,
			      "detector thresholds, window and allowlist (INI); options\n"
			      "given here override the file"),
		HS_OPT_MIN_IPS(struct replay_opts, min_ips,
			       "source addresses a window needs to count as wide"),
		{ .kind = HS_OPT_GROUP, .group = hs_dp_opts, RO(cfg), .col = 25 },
		{ .kind = HS_OPT_GROUP, .group = hs_fleet_opts, RO(fleet), .col = 27 },
		HS_OPT_VERBOSE("more detail; repeat for libbpf debug output"),
		{ 0 }
	},
};
#undef RO

/* event, ts, src, sport, dst, dport: what every event line starts with */
static json_object *event_obj(const char *event, const struct ev_text *e)
{
	json_object *j = json_object_new_object();
	char ts[48];

	fmt_time(e->ts_ns, true, ts, sizeof(ts));
	json_object_object_add(j, "event", json_object_new_string(event));
	json_object_object_add(j, "ts", json_object_new_string(ts));
	json_object_object_add(j, "src", json_object_new_string(e->src));
	json_object_object_add(j, "sport", json_object_new_int(e->ep.sport));
	json_object_object_add(j, "dst", json_object_new_string(e->dst));
	json_object_object_add(j, "dport", json_object_new_int(e->ep.dport));
	return j;
}

static void add_str(json_object *j, const char *k, const char *v)
{
	json_object_object_add(j, k, json_object_new_string(v));
}

static void on_tcp(struct replay *r, const struct ev_text *e)
{
	json_object *j;

	j = event_obj("tcp_syn", e);
	add_str(j, "tcp_sig", e->tcp_sig);
	add_str(j, "os", e->os);
	if (r->json) {
		json_line(stdout, j);
		return;
	}
	printf("%s %s:%d -> %s:%d SYN %s %s\n",
	       json_object_get_string(json_object_object_get(j, "ts")),
	       e->src, e->ep.sport, e->dst, e->ep.dport, e->tcp_sig, *e->os ? e->os : "-");
	json_object_put(j);
}

/* The TCP signature of a connection's SYN id (0: not seen), "" if none. */
static void tcp_sig_of(struct replay *r, __u64 tcp_id, char *sig, size_t len)
{
	struct hs_tcp_fp *tfp = tcp_id ? malloc(sizeof(*tfp)) : NULL;

	*sig = '\0';
	if (tfp && !bpf_map_lookup_elem(r->maps.tcp, &tcp_id, tfp))
		p0f_render(&tfp->sig, sig, len);
	free(tfp);
}

static void on_tls(struct replay *r, const struct ev_text *e)
{
	char sig[256];
	json_object *j;

	tcp_sig_of(r, e->tcp_id, sig, sizeof(sig));
	j = event_obj("tls_hello", e);
	add_str(j, "ja4", e->ja4);
	add_str(j, "ja4_r", e->ja4_r);
	add_str(j, "ja3", e->ja3);
	add_str(j, "ja3_r", e->ja3_r);
	add_str(j, "sni", e->sni);
	add_str(j, "alpn", e->alpn);
	add_str(j, "tcp_sig", sig);
	json_object_object_add(j, "segments", json_object_new_int((int)e->segments));
	/* a list longer than kept: the lists rendered are not the whole */
	json_object_object_add(j, "inexact", json_object_new_boolean(e->inexact));
	if (r->json) {
		json_line(stdout, j);
		return;
	}
	printf("%s %s:%d -> %s:%d HELLO %s %s sni=%s alpn=%s segments=%u%s\n",
	       json_object_get_string(json_object_object_get(j, "ts")),
	       e->src, e->ep.sport, e->dst, e->ep.dport,
	       e->ja4, e->ja3, *e->sni ? e->sni : "-", *e->alpn ? e->alpn : "-", e->segments,
	       e->inexact ? " inexact" : "");
	json_object_put(j);
}

/* A validated connection whose ClientHello could not be fingerprinted. */
static void on_unfp(struct replay *r, const struct ev_text *e)
{
	char sig[256];
	json_object *j;

	tcp_sig_of(r, e->tcp_id, sig, sizeof(sig));
	j = event_obj("tls_unfingerprinted", e);
	add_str(j, "reason", e->unfp);
	add_str(j, "population", e->ja4);
	add_str(j, "tcp_sig", sig);
	if (r->json) {
		json_line(stdout, j);
		return;
	}
	printf("%s %s:%d -> %s:%d UNFINGERPRINTED %s\n",
	       json_object_get_string(json_object_object_get(j, "ts")),
	       e->src, e->ep.sport, e->dst, e->ep.dport, e->unfp);
	json_object_put(j);
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct replay *r = ctx;
	struct ev_text e;
	int rc;

	if (qh_event(r->qh, data, len) || !r->events)
		return 0;
	rc = event_read(data, len, &e);
	if (rc == -2)
		pr_warn("ClientHello from port %u: lists too long to render", e.ep.sport);
	else if (!rc && (e.type == HS_EV_TCP_NEW || e.type == HS_EV_TCP_SYN))
		on_tcp(r, &e);
	else if (!rc && e.type == HS_EV_TLS_UNFP)
		on_unfp(r, &e);
	else if (!rc)
		on_tls(r, &e);
	return 0;
}

/* Run the waiting frames through the program, in one test run, then
 * read the events they made. 0, or -1 when the run failed. */
static int replay_flush(struct replay *r)
{
	/* the packet of the run: hs_replay gives it each frame's size and bytes */
	static const unsigned char start[64];
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = start, .data_size_in = sizeof(start),
		    .repeat = 1);
	__u32 i;

	if (!r->n)
		return 0;
	r->skel->bss->replay_n = r->n;
	if (bpf_prog_test_run_opts(bpf_program__fd(r->skel->progs.hs_replay), &t)) {
		pr_warn("Couldn't run the XDP program on %u frames: %s", r->n, strerror(errno));
		r->n = 0;
		return -1;
	}
	for (i = 0; i < r->n; i++) {
		/* larger than the page a frame lives in: captured with offloads
		 * on; a real NIC at this MTU never hands such a frame to XDP */
		if (r->frames[i].verdict == HS_REPLAY_NOT_RUN)
			r->oversize++;
		else
			r->packets++;
	}
	r->n = 0;
	ring_buffer__consume(r->rb);
	/* QUIC hellos whose flow was not validated in time (the events' clock:
	 * the capture's), and the events their counting made */
	qh_tick(r->qh, 0, false);
	ring_buffer__consume(r->rb);
	return 0;
}

/* No detector: a packet at ts_ns in another REPLAY_SAMPLE_S than the last
 * one's renews the samples and the QUIC budget. 0, or -1 on a failed run. */
static int replay_sample_turn(struct replay *r, __u64 ts_ns)
{
	__u64 w = ts_ns / (REPLAY_SAMPLE_S * 1000000000ULL) + 1;

	if (w == r->sample_win)
		return 0;
	if (r->sample_win) {
		/* the packets before it are of the last one */
		if (replay_flush(r))
			return -1;
		r->skel->bss->sample_epoch++;
	}
	r->sample_win = w;
	return 0;
}

/* Feed one capture. 0 when read to the end, -1 when it stopped early. */
static int replay_file(struct replay *r, struct capture *c, const char *file)
{
	struct capture_frame f = { 0 };
	struct hs_replay_frame *fr;
	int rc;

	while ((rc = capture_next(c, &f)) == 1) {
		if (r->win && win_due(r->win, f.ts_ns)) {
			/* the packets before the window's end are in it */
			if (replay_flush(r))
				return -1;
			if (win_advance(r->win, &r->maps, f.ts_ns)) {
				pr_warn("%s: the detector ran out of memory", file);
				return -1;
			}
			/* a new window's sample of unvalidated ClientHellos */
			r->skel->bss->sample_epoch++;
		} else if (!r->win && replay_sample_turn(r, f.ts_ns)) {
			return -1;
		}
		if (f.len > HS_REPLAY_FRAME) {
			r->oversize++;
			continue;
		}
		fr = &r->frames[r->n++];
		fr->ts_ns = f.ts_ns;
		fr->len = f.len;
		memcpy(fr->data, f.data, f.len);
		if (r->n == HS_REPLAY_BATCH && replay_flush(r))
			return -1;
	}
	if (replay_flush(r))
		return -1;
	r->runt += f.runt;
	r->oversize += f.oversize;
	r->cut += f.cut;
	r->snapped += f.snapped;
	if (rc < 0) {
		pr_warn("%s: %s", file, capture_error(c));
		return -1;
	}
	return 0;
}

/* replay_frames into our address space; 0 or -1 */
static int replay_map(struct replay *r)
{
	struct bpf_map *m = r->skel->maps.replay_frames;
	void *p;

	r->frames_len = (size_t)bpf_map__max_entries(m) * sizeof(struct hs_replay_frame);
	p = mmap(NULL, r->frames_len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(m), 0);
	if (p == MAP_FAILED) {
		pr_warn("Couldn't map the replay frames: %s", strerror(errno));
		return -1;
	}
	r->frames = p;
	return 0;
}

/* ports (up to max, 0 ends them) as "443,8443" */
static void ports_text(const __u16 *ports, unsigned int max, char *buf, size_t size)
{
	size_t n = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < max && ports[i] && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%u", i ? "," : "", ports[i]);
}

/* ClientHellos the handshake check left out (a capture that starts after
 * the SYNs: nothing else would say why the tables are empty), and QUIC
 * Initials the program did not hand over: a line each */
static void replay_left_out(struct hs_bpf *skel)
{
	struct hs_stats st;
	unsigned long long no_syn, no_synack, bad_ack, out, sampled;

	if (hs_stats_read(bpf_map__fd(skel->maps.stats), &st))
		return;
	char walked[96] = "", ports[8 * (HS_TLS_PORTS_MAX > HS_QUIC_PORTS_MAX ?
					 HS_TLS_PORTS_MAX : HS_QUIC_PORTS_MAX)];

	no_syn = st.c[HS_ST_HELLO_NO_SYN];
	no_synack = st.c[HS_ST_HELLO_NO_SYNACK];
	bad_ack = st.c[HS_ST_HELLO_BAD_ACK];
	out = no_syn + no_synack + bad_ack;
	/* past each window's sample, they are counted without a walk: the
	 * ClientHellos seen are those walked and those not */
	sampled = st.c[HS_ST_HELLO_UNVAL_SAMPLED];
	if (out > sampled)
		snprintf(walked, sizeof(walked), ", %llu of them walked (each window's sample)",
			 sampled);
	if (st.c[HS_ST_QUIC_SHED_BUDGET] || st.c[HS_ST_QUIC_SHED_BUSY])
		pr_warn("%llu QUIC Initials not handed over for decryption: past the budget of %u "
			"a second (quic_initials_shed_budget %llu), every slot of their flow's "
			"set held by other flows (quic_initials_shed_busy %llu)",
			(unsigned long long)(st.c[HS_ST_QUIC_SHED_BUDGET] + st.c[HS_ST_QUIC_SHED_BUSY]),
			skel->rodata->quic_budget_max,
			(unsigned long long)st.c[HS_ST_QUIC_SHED_BUDGET],
			(unsigned long long)st.c[HS_ST_QUIC_SHED_BUSY]);
	if (st.c[HS_ST_HELLO_QUIC_UNVAL])
		pr_warn("%llu of %llu QUIC ClientHellos left out: their flow not validated (no "
			"client Handshake carrying the server's connection ID in the capture); "
			"--handshake none counts them",
			(unsigned long long)st.c[HS_ST_HELLO_QUIC_UNVAL],
			(unsigned long long)st.c[HS_ST_HELLO_QUIC]);
	if (st.c[HS_ST_TLS_OTHER_PORT]) {
		ports_text(skel->rodata->tls_ports, HS_TLS_PORTS_MAX, ports, sizeof(ports));
		pr_warn("%llu ClientHellos to other ports than the TLS ports (%s) not "
			"fingerprinted; --ports LIST names them",
			(unsigned long long)st.c[HS_ST_TLS_OTHER_PORT], ports);
	}
	if (st.c[HS_ST_TUNNELED])
		pr_warn("%llu packets of tunnels (GRE, IP in IP, VXLAN, Geneve) whose inner "
			"packets were not looked at (mirrored traffic? a capture on the interface "
			"that ends the tunnel has them)", (unsigned long long)st.c[HS_ST_TUNNELED]);
	if (st.c[HS_ST_QUIC_OTHER_PORT]) {
		ports_text(skel->rodata->quic_ports, HS_QUIC_PORTS_MAX, ports, sizeof(ports));
		pr_warn("%llu QUIC Initials to other UDP ports than the QUIC ports (%s) not "
			"fingerprinted; --quic-ports LIST names them",
			(unsigned long long)st.c[HS_ST_QUIC_OTHER_PORT], ports);
	}
	if (out)
		pr_warn("%llu of %llu ClientHellos left out: no SYN of their connection in the "
			"capture (hellos_no_syn %llu), no SYN-ACK (hellos_no_synack %llu), "
			"acknowledging another (hellos_bad_ack %llu)%s; --handshake none counts them",
			out, (unsigned long long)st.c[HS_ST_HELLOS] + out - (out > sampled ? sampled : out),
			no_syn, no_synack, bad_ack, walked);
}


/* The detector's settings and the captures, each opened: a typo fails
 * before any work is done. 0 or an exit code. */
static int replay_open(struct replay *r)
{
	unsigned int file_window;
	char errbuf[1024];
	int i;

	if (det_settings(r->o->config, r->o->min_ips, &r->dc, &file_window))
		return HS_EXIT_USAGE;
	r->window_s = r->o->window_s ? r->o->window_s : file_window;
	r->pcs = calloc(r->nfiles, sizeof(*r->pcs));
	if (!r->pcs)
		return HS_EXIT_ERR;
	for (i = 0; i < r->nfiles; i++) {
		r->pcs[i] = capture_open(r->files[i], errbuf, sizeof(errbuf));
		if (!r->pcs[i]) {
			pr_warn("Couldn't read capture '%s': %s", r->files[i], errbuf);
			return HS_EXIT_ERR;
		}
		/* a segment merged by offloads: run as segments a frame holds */
		capture_cut(r->pcs[i], HS_REPLAY_FRAME, quic_dgram_size);
	}
	return 0;
}

/* --fleet: the windows' sink, its spool (a temporary one unless named),
 * its sender, and the database checked before any work: 0 or an exit
 * code. An unreachable database is waited for at the end. */
static int replay_fleet(struct replay *r)
{
	const struct fleet_opts *o = &r->o->fleet;
	const char *dir = o->spool, *tmp = getenv("TMPDIR");
	char err[1024];
	bool made;

	if (!o->url)
		return 0;
	if (!dir) {
		snprintf(r->spool, sizeof(r->spool), "%s/hydrascope-fleet.XXXXXX",
			 tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(r->spool)) {
			pr_warn("fleet: Couldn't create a spool in %s: %s", r->spool, strerror(errno));
			r->spool[0] = '\0';
			return HS_EXIT_ERR;
		}
		dir = r->spool;
	}
	r->fleet = fleet_sink_open(o, dir, true, &made);
	if (!r->fleet || fleet_sink_start(r->fleet))
		return HS_EXIT_ERR;
	if (fleet_sink_ready(r->fleet, REPLAY_FLEET_CONNECT_MS, err, sizeof(err)) < 0) {
		pr_warn("fleet: %s", err);
		return HS_EXIT_ERR;
	}
	win_sink(r->win, fleet_sink_window, r->fleet);
	return 0;
}

/* The program in private maps, run through hs_replay in batches; the
 * detector with --window or --alerts; the events' ring buffer. */
static int replay_load(struct replay *r)
{
	const struct replay_opts *o = r->o;
	int err;

	struct hs_config cfg = o->cfg;

	if (p0f_db_open(o->db))
		return HS_EXIT_ERR;
	cfg.history_s = r->dc.history_s;
	r->skel = hs_open(&cfg);
	if (!r->skel)
		return HS_EXIT_ERR;
	bpf_program__set_autoload(r->skel->progs.hs_xdp, false);
	bpf_program__set_autoload(r->skel->progs.hs_egress, false);
	err = hs_load(r->skel, NULL);
	if (err)
		return hs_err_exit(err);
	r->maps = hs_fp_maps(r->skel);
	if (o->alerts || r->window_s || o->fleet.url) {
		r->win = win_new(&r->dc, r->window_s ? (unsigned int)r->window_s : 60, o->alerts,
				 r->json, o->redact);
		if (!r->win)
			return HS_EXIT_ERR;
	}
	err = replay_fleet(r);
	if (err)
		return err;
	r->rb = ring_buffer__new(bpf_map__fd(r->skel->maps.events), on_event, r, NULL);
	if (!r->rb) {
		pr_warn("Couldn't open the ring buffer: %s", strerror(errno));
		return HS_EXIT_ERR;
	}
	r->qh = qh_new(r->skel, true);
	if (!r->qh)
		return HS_EXIT_ERR;
	return replay_map(r) ? HS_EXIT_ERR : 0;
}

/* Every capture in turn, then what they gave: the last (partial) window
 * judged, or the tables (none with --events). The exit code. */
static int replay_run(struct replay *r)
{
	bool partial = false;
	int i, ret;

	for (i = 0; i < r->nfiles; i++)
		if (replay_file(r, r->pcs[i], r->files[i]))
			partial = true;
	/* the QUIC hellos still waiting: their flows were never validated */
	qh_tick(r->qh, 0, true);
	ring_buffer__consume(r->rb);
	if (r->oversize)
		pr_warn("%llu packets larger than a page were not inspected "
			"(captured with segmentation offloads on?)", r->oversize);
	if (r->snapped)
		pr_warn("%llu packets cut short by the capture's snapshot length: what they "
			"held past it was not seen (a ClientHello in them not fingerprinted)",
			r->snapped);
	pr_debug("%llu packets replayed, %llu too short for their link header, "
		 "%llu frames of more than a segment cut into segments or datagrams",
		 r->packets, r->runt, r->cut);
	replay_left_out(r->skel);
	if (r->win) {
		/* the last, partial window is judged too */
		ret = win_close(r->win, &r->maps, -1, 0) ? HS_EXIT_ERR : HS_EXIT_OK;
		pr_debug("%llu alerts", win_alerts(r->win));
		if (r->fleet && fleet_sink_drain(r->fleet, REPLAY_FLEET_STALL_MS))
			ret = HS_EXIT_ERR;
	} else {
		ret = r->events ? HS_EXIT_OK :
		      report(&r->maps, &r->o->ro);
	}
	if (ret == HS_EXIT_OK && fflush(stdout))
		ret = HS_EXIT_ERR;
	if (ret == HS_EXIT_OK && partial)
		ret = HS_EXIT_PARTIAL;
	return ret;
}

static void replay_close(struct replay *r)
{
	int i;

	if (r->frames)
		munmap(r->frames, r->frames_len);
	/* a spool made here goes once empty; one named stays */
	fleet_sink_free(r->fleet, r->spool[0] != '\0');
	if (!r->fleet && r->spool[0])
		rmdir(r->spool);
	win_free(r->win);
	ring_buffer__free(r->rb);
	qh_free(r->qh);
	hs_bpf__destroy(r->skel);
	for (i = 0; r->pcs && i < r->nfiles; i++)
		capture_close(r->pcs[i]);
	free(r->pcs);
	p0f_db_free();
}

int cmd_replay(int argc, char **argv)
{
	struct replay_opts o = { .cfg = { .replay = true }, .db = HS_DEFAULT_P0F_DB };
	struct replay r = { .o = &o };
	int first = hs_opts_parse(&replay_cmd, argc, argv, &o), ret;

	if (first <= 0)
		return hs_opts_exit(first);
	if (fleet_opts_check(&o.fleet))
		return HS_EXIT_USAGE;
	if (first >= argc) {
		pr_warn("replay needs at least one capture file");
		return HS_EXIT_USAGE;
	}
	r.json = o.ro.json;
	r.events = o.events;
	r.files = argv + first;
	r.nfiles = argc - first;
	ret = replay_open(&r);
	if (!ret)
		ret = replay_load(&r);
	if (!ret)
		ret = replay_run(&r);
	replay_close(&r);
	return ret;
}
