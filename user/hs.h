/* SPDX-License-Identifier: BSD-3-Clause */
/* Declarations shared by the files of the hydrascope binary. */
#ifndef HS_USER_H
#define HS_USER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/types.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/types.h>

#include "hydrascope.h"

#define HS_DEFAULT_PIN_DIR "/sys/fs/bpf/hydrascope"
#define HS_DEFAULT_P0F_DB  "/etc/p0f/p0f.fp"
#define HS_DEFAULT_STATE_DIR "/var/lib/hydrascope"

/* Exit codes, documented in the man page and README. */
enum {
	HS_EXIT_OK = 0,
	HS_EXIT_ERR = 1,        /* operational error: load, attach, read, I/O */
	HS_EXIT_USAGE = 2,      /* bad command line */
	HS_EXIT_NOPRIV = 3,     /* missing privileges (root / CAP_BPF) */
	HS_EXIT_PARTIAL = 4,    /* input only partly processed (e.g. truncated capture) */
};

/* ---- log.c ---- */
extern int hs_verbose;
void pr_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void hs_libbpf_logging(void);
/* Exit code for a failed BPF/privileged operation: NOPRIV for EPERM/EACCES. */
int hs_err_exit(int err);
/* Said after an error of that kind where loading needs privileges. */
#define HS_PRIV_HINT " (needs root, or CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON)"

/* ---- util.c ---- */
/* One-line message for getopt's '?' or ':' (optstrings start with ':'). */
int bad_option(const char *cmd, int opt, char **argv);
int parse_uint(const char *s, unsigned long long max, unsigned long long *out);
/* --top N: a positive number; prints the error. */
int parse_top(const char *arg, unsigned long *top);
/* Load the p0f database for labels; -1 (error printed) unless it loaded or
 * is the default one and absent. */
int p0f_db_open(const char *path);
/* RFC 3339 UTC; frac adds microseconds. */
void fmt_time(uint64_t unix_ns, bool frac, char *buf, size_t len);
/* Offset that turns the live program clock (CLOCK_MONOTONIC) into Unix ns. */
int64_t mono_to_unix_offset(void);
void fmt_addr(const struct hs_endpoints *ep, bool src, char *buf, size_t len);
/* Bytes as text: printable ASCII as is, anything else as \xNN. */
void fmt_bytes(const void *p, size_t n, char *buf, size_t len);

/* An open-addressing index of items the caller keeps in an array: it maps
 * a 64-bit hash of an item's key to the item's position; eq tells whether
 * item i has the key looked for. No removal: clear and re-add. */
struct hidx_slot {
	__u64 h;
	__u32 i, used;
};
struct hidx {
	struct hidx_slot *s;
	size_t cap, n;
};
typedef bool (*hidx_eq_fn)(const void *ctx, __u32 i);
__u64 hidx_hash_str(const char *s);
long hidx_get(const struct hidx *x, __u64 h, hidx_eq_fn eq, const void *ctx);
int hidx_put(struct hidx *x, __u64 h, __u32 item);
/* Start loading the slot a lookup of h begins at (a batch of lookups whose
 * slots are prefetched first waits for memory once, not once each). */
static inline void hidx_prefetch(const struct hidx *x, __u64 h)
{
	if (x->cap)
		__builtin_prefetch(&x->s[h & (x->cap - 1)]);
}
void hidx_clear(struct hidx *x);
void hidx_free(struct hidx *x);

/* ---- hll.c ---- */
double hll_estimate(const __u8 *reg);
void hll_merge(__u8 *restrict dst, const __u8 *restrict src);

/* ---- p0f.c ---- */
/* Render the p0f v3 raw_sig; returns the length written (truncated at len). */
int p0f_render(const struct hs_tcp_sig *s, char *buf, size_t len);
/* The same with the TTL as its initial value and no distance ("4:64:0:...",
 * p0f's database form): what one OS stack looks like at any distance. */
int p0f_render_stack(const struct hs_tcp_sig *s, char *buf, size_t len);

/* ---- p0fdb.c ---- */
/* Load p0f's fingerprint database; 0 on success, -errno on failure. A file
 * that does not exist is not an error for the default path (no labels). */
int p0f_db_load(const char *path);
/* The same from an open file, which path names in messages. */
int p0f_db_read(FILE *f, const char *path);
/* OS label for a SYN signature ("Linux 3.11 and newer"), or "" if none. */
const char *p0f_db_label(const struct hs_tcp_sig *s);
void p0f_db_free(void);

/* ---- ja4.c ---- */
/* Room for JA4_r and the JA3 string of a hello with every list full (128
 * ciphers and extensions, 64 signature algorithms, 32 groups): 1,610 and
 * 1,765 characters. */
#define HS_JA4_R_TEXT 2048
#define HS_JA3_R_TEXT 2048
/* JA4 and JA4_r; 0 on success, -1 if a buffer is too small. */
int tls_ja4(const struct hs_tls_hello *h, char *ja4, size_t ja4len, char *ja4_r, size_t rlen);
/* JA3 string and its MD5 in hex. */
int tls_ja3(const struct hs_tls_hello *h, char *ja3_r, size_t rlen, char ja3[33]);
/* The server name and the first ALPN value (its first bytes) as text, as
 * fmt_bytes writes them; at most the bytes the hello holds, whatever its
 * lengths say. */
#define HS_SNI_TEXT (HS_TLS_SNI_MAX * 4 + 1)
#define HS_ALPN_TEXT (HS_TLS_ALPN_MAX * 4 + 1)
void tls_sni(const struct hs_tls_hello *h, char *buf, size_t len);
void tls_alpn(const struct hs_tls_hello *h, char *buf, size_t len);

/* ---- event.c ---- */
/* A record of the events ring buffer, rendered. */
struct ev_text {
	__u32 type;                                 /* enum hs_event_type */
	__u64 ts_ns, fp_id;
	struct hs_endpoints ep;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	/* a SYN */
	char tcp_sig[256];                          /* p0f raw_sig */
	const char *os;                             /* its p0f label, "" if none */
	/* a ClientHello */
	__u64 tcp_id;                               /* 0: its SYN was not seen */
	__u32 segments;
	char ja4[64], ja4_r[HS_JA4_R_TEXT], ja3[33], ja3_r[HS_JA3_R_TEXT];
	char sni[HS_SNI_TEXT], alpn[HS_ALPN_TEXT];
};
/* Check and render the record data of len bytes: 0; -1 too short or of
 * an unknown type; -2 a ClientHello whose lists do not render. */
int event_read(const void *data, size_t len, struct ev_text *e);

/* ---- detect.c ---- */
enum fp_kind { FP_TLS, FP_TCP };   /* TLS fingerprints (JA4), TCP stacks */
#define HS_JA4_LEN 64
#define DET_SAMPLES 5
#define DET_ALLOW_MAX 256             /* allowlist entries */
#define DET_HISTORY 60                /* windows of history kept */
#define DET_HISTORY_MAX 4096          /* fingerprints a window's history keeps (widest) */
#define DET_STATE_VERSION 2           /* of the state file */
enum det_signal {
	DET_WIDE, DET_MANY_NETS, DET_LOW_RATE, DET_MANY_STACKS, DET_NEW, DET_WIDENING,
	DET_SIG__COUNT,
};
enum det_state { DET_NEW_ALERT, DET_ACTIVE, DET_ENDED };
struct det_config {
	double min_ips;               /* "wide" */
	double min_nets;              /* "many_nets" */
	double max_conns_per_ip;      /* "low_rate" */
	double min_stacks;            /* "many_stacks" */
	double growth;                /* "widening": ips >= growth x baseline */
	unsigned int warmup;          /* windows that only build baselines */
	int alert_score;              /* sum of signal weights needed */
	double alpha;                 /* weight of a new window in the baseline */
	bool tcp_stacks;              /* judge TCP stacks too (default yes) */
	/* allowlisted JA4s: their own thresholds, never lower than the ones
	 * above; an entry with neither set never alerts */
	size_t nallow;
	struct det_allow {
		char ja4[HS_JA4_LEN];
		double min_ips;           /* 0: the global one */
		double growth;            /* 0: the global one */
	} allow[DET_ALLOW_MAX];
};
#define DET_NAME_LEN 256
/* One fingerprint in one window: a TLS fingerprint (JA4) or a TCP stack. */
struct det_obs {
	char name[DET_NAME_LEN];      /* JA4, or the TCP stack signature */
	const char *detail;           /* JA4_r, or the p0f OS label; NULL: none */
	__u64 conns;                  /* ClientHellos, or SYNs */
	__u64 unvalidated;            /* TLS: ClientHellos not counted (handshake check) */
	__u64 first_ns, last_ns;      /* program clock */
	double ips, nets, stacks;     /* sketch estimates (stacks: TLS only) */
	unsigned int nsamples;
	struct hs_addr_sample samples[DET_SAMPLES];  /* a few sources (TLS only) */
};
struct det_alert {
	enum det_state state;
	const struct det_obs *obs;
	unsigned int signals;         /* bit per enum det_signal */
	int score;
	double baseline_ips;
};
typedef void (*det_alert_fn)(void *ctx, const struct det_alert *a);
struct detector;
void det_config_default(struct det_config *c);
/* A detector of TLS fingerprints or TCP stacks (which ignores the JA4
 * allowlist); it keeps its own copy of c. */
struct detector *det_new(const struct det_config *c, enum fp_kind kind);
void det_free(struct detector *d);
/* Close a window: judge every observation, call fn for each alert. */
int det_window(struct detector *d, const struct det_obs *obs, size_t n,
	       det_alert_fn fn, void *ctx);
const char *det_signal_name(int i);
/* The allowlist entry of ja4, or NULL. */
const struct det_allow *det_allowed(const struct det_config *c, const char *ja4);
/* Signals (bit per enum det_signal) and score of an observation from its
 * own numbers only: no baseline, so never DET_NEW or DET_WIDENING. */
unsigned int det_signals(const struct det_config *c, const struct det_obs *o, int *score);
/* Detector state (baselines, windows closed, the last DET_HISTORY windows'
 * observations) as JSON: saved atomically (temp file in the same
 * directory, fsync, rename), 0600. window_s is recorded and must match on
 * load. det_save: 0 or -errno. det_load: 0 loaded, 1 no file, -1 rejected
 * (corrupt, truncated, foreign version, other window: err says why; the
 * detector is left as it was). */
int det_save(const struct detector *d, const char *path, unsigned int window_s);
int det_load(struct detector *d, const char *path, unsigned int window_s,
	     char *err, size_t errlen);
/* The same from an open file (read to its end), which path names in err:
 * 0 or -1. */
int det_read(struct detector *d, int fd, const char *path, unsigned int window_s,
	     char *err, size_t errlen);
/* n windows with no observation, once no fingerprint is known (else
 * nothing): the same as closing them one by one, which only counts them. */
void det_skip(struct detector *d, __u64 n);
/* Windows closed so far, fingerprints known. */
unsigned int det_windows(const struct detector *d);
size_t det_known(const struct detector *d);

/* ---- fps.c ---- */
struct fp_reader;
struct fp_reader *fpr_new(enum fp_kind kind);
void fpr_free(struct fp_reader *r);
/* Read the entries of tls_fps or tcp_fps (fd) of generation gen (0 or 1;
 * -1: all), merged by name into rows valid until the next read. */
int fpr_read(struct fp_reader *r, int fd, int gen, struct det_obs **rows, size_t *n);
/* The map keys merged into row i of the last read. */
const __u64 *fpr_keys(const struct fp_reader *r, size_t row, size_t *n);
/* Map entries the last read saw. */
size_t fpr_entries(const struct fp_reader *r);
/* Delete every key the last read saw. */
void fpr_delete(const struct fp_reader *r, int fd);
/* Delete the entries of generation gen (-1: all) without reading them. */
int fps_clear(int fd, int gen);

/* ---- config.c ---- */
/* The detector's settings: defaults, then the config file (NULL: none),
 * then --min-ips (0: not given); the file's window in *file_window (0:
 * none). -1 with the error printed. */
int det_settings(const char *path, double min_ips, struct det_config *dc,
		 unsigned int *file_window);
/* Read an INI file: [detect] thresholds and window, [allow] ja4 = lines,
 * [allow "JA4"] sections with their own min_ips / growth. dc holds the
 * values to start from (defaults); *window_s is set only when the file
 * sets it. 0, or -1 with one line in err ("FILE:LINE: why"). */
int config_load(const char *path, struct det_config *dc, unsigned int *window_s,
		char *err, size_t errlen);
/* The same from an open file, which path names in err. */
int config_read(FILE *f, const char *path, struct det_config *dc, unsigned int *window_s,
		char *err, size_t errlen);
/* A plain decimal number (digits, optionally one '.' and digits) within
 * [min, max]; 0 or -1. */
int config_number(const char *s, double min, double max, double *out);

/* ---- window.c ---- */
struct windows;
/* alerts_path NULL or "-": stdout; else appended to, created 0600. */
struct windows *win_new(const struct det_config *c, unsigned int window_s,
			const char *alerts_path, bool json, bool redact);
void win_free(struct windows *w);
/* Close the windows that end at or before now_ns (program clock): replay,
 * whose program writes generation 0 only. */
int win_advance(struct windows *w, int tls_fps_fd, int tcp_fps_fd, __u64 now_ns);
/* Would win_advance at now_ns do anything (the first time: start the
 * windows)? Replay runs the packets before a window's end first. */
bool win_due(const struct windows *w, __u64 now_ns);
/* Close a window now: read the entries of generation gen (0 or 1: keys
 * whose lowest bit is gen; -1: every entry) of tls_fps and, unless the
 * config turned TCP stacks off, of tcp_fps (-1: left alone), merged by
 * name, delete them, judge each kind with its own detector, write the
 * alerts. end_ns (Unix ns; 0: the window's own end) is the alerts' ts. */
int win_close(struct windows *w, int tls_fps_fd, int tcp_fps_fd, int gen, __u64 end_ns);
/* Detector state of both kinds: path (TLS) and path's "-tcp.json" twin.
 * win_load reports a rejected file in one line and starts that kind fresh. */
int win_save(const struct windows *w, const char *path);
int win_load(struct windows *w, const char *path);
unsigned long long win_alerts(const struct windows *w);
/* The detector's results for a scrape (any thread): copied under a lock. */
#define WIN_OPEN_MAX 64
struct win_summary {
	unsigned int windows;
	size_t known[2];                           /* by enum fp_kind */
	unsigned long long alerts[2][3];           /* by kind, enum det_state */
	size_t nopen[2];                           /* alerts open after the last window */
	struct win_open {
		enum fp_kind kind;
		char name[DET_NAME_LEN];
		int score;
		double ips;
	} open[WIN_OPEN_MAX];                      /* the first of them */
	size_t nlisted;
};
void win_summary(struct windows *w, struct win_summary *s);
/* run --enforce: alerts (new, active) of JA4s not allowlisted put their TLS
 * ids in the enforce map (enforce_fd) with mode and an expiry ttl_s ahead;
 * an ended alert removes them, expired entries are swept each window. */
void win_enforce(struct windows *w, int enforce_fd, int mode, unsigned int ttl_s);
/* "dry-run", "drop", or NULL for HS_ENF_OFF. */
const char *enforce_mode_name(int mode);

/* ---- report.c ---- */
struct report_opts {
	bool json;
	unsigned long top;        /* 0: all rows */
	int64_t clock_offset;     /* added to program-clock ns to get Unix ns */
};
/* Read the fingerprint maps, merge ids by canonical name, print rows:
 * TCP signatures, then TLS (JA4). */
int report(int tcp_fps_fd, int tls_fps_fd, const struct report_opts *o);

/* ---- capture.c ---- */
#define CAPTURE_FRAME_MAX (65535 + 14)
struct capture;
struct capture_frame {
	const unsigned char *data;   /* Ethernet frame, valid until the next call */
	unsigned int len;
	uint64_t ts_ns;              /* Unix time */
	unsigned long long runt;     /* packets shorter than their link header */
	unsigned long long oversize; /* packets over 65,535 bytes: not read */
};
struct capture *capture_open(const char *path, char *err, size_t errlen);
/* The same from an open file, which the capture owns from then on (closed
 * by capture_close, or here on failure; never standard input). */
struct capture *capture_fopen(FILE *f, char *err, size_t errlen);
/* 1: a frame; 0: end of file; -1: read error (capture_error() says which) */
int capture_next(struct capture *c, struct capture_frame *f);
const char *capture_error(const struct capture *c);
void capture_close(struct capture *c);

/* ---- bpfobj.c ---- */
/* Datapath settings, fixed when the program loads. */
struct hs_config {
	bool replay;                          /* packet-time clock, event per SYN/hello */
	unsigned int nports;                  /* 0: default TLS ports (443, 8443) */
	__u16 ports[HS_TLS_PORTS_MAX];
	unsigned int hello_bytes;             /* 0: HS_HELLO_LIMIT */
	unsigned int hello_segs;              /* 0: HS_HELLO_SEGS */
	unsigned int handshake;               /* enum hs_check; 0: synack live, syn in replay */
};
/* --ports, --hello-bytes, --hello-segments, --handshake: 1 if opt was one
 * of them (and *err is set on a bad value), 0 if not. */
#define HS_DP_LONGOPTS \
	{ "ports", required_argument, NULL, 'p' }, \
	{ "hello-bytes", required_argument, NULL, 'B' }, \
	{ "hello-segments", required_argument, NULL, 'S' }, \
	{ "handshake", required_argument, NULL, 'H' }
#define HS_DP_USAGE \
	"      --ports LIST       TLS ports, comma-separated (default 443,8443; at most 8)\n" \
	"      --hello-bytes N    largest ClientHello record walked (64-16384, default 16384)\n" \
	"      --hello-segments N most TCP segments a ClientHello may span (1-64, default 8)\n" \
	"      --handshake CHECK  what a ClientHello's connection must show to count:\n" \
	"                         synack: its SYN seen and our SYN-ACK acknowledged\n" \
	"                         (run's default: an egress program reads SYN-ACKs);\n" \
	"                         syn: its SYN seen (replay's default); none: nothing\n"
/* Does a run with this configuration check SYN-ACKs (attach the egress
 * program)? */
#define HS_WANTS_SYNACK(c) (!(c)->handshake || (c)->handshake == HS_CHECK_SYNACK)
int hs_config_opt(struct hs_config *c, int opt, const char *arg, int *err);
struct hs_bpf;
struct hs_bpf *hs_open(const struct hs_config *c);
/* Load, reusing the maps pinned in pin_dir (NULL: none) and pinning the
 * others there. */
int hs_load(struct hs_bpf *skel, const char *pin_dir);
/* Make sure pin_dir exists on a BPF filesystem; *made: this call made it. */
int hs_pin_dir_prepare(const char *pin_dir, bool *made);
/*
 * What a pin directory holds, a bit per pin: the maps that outlive a run
 * (tcp_fps, tls_fps, stats, enforce, flows, reasm, tcp_known: bits 0-7), the layout
 * marker, the program, the XDP link. The marker ("meta", an array map of
 * one struct hs_meta that userspace alone reads and writes) says which
 * layout the maps beside it have and which window generation their
 * program writes; its own format never changes. The link is pinned so
 * that it outlives run: a run that hands over (SIGUSR2) or is killed
 * leaves the program attached, and the next run swaps its own program in
 * (bpf_link_update: no packet goes uninspected).
 */
#define HS_PIN_MAPS 0xffu
#define HS_PIN_META (1u << 8)
#define HS_PIN_PROG (1u << 9)
#define HS_PIN_LINK (1u << 10)
#define HS_PIN_EGRESS (1u << 11)
#define HS_PIN_BITS 12
#define HS_META_PIN "meta"
#define HS_LINK_PIN "link"
#define HS_EGRESS_PIN "egress"     /* the egress program's tcx link (SYN-ACKs) */
/* The program's pin: readers find its attachments by its id (a program id
 * alone needs CAP_SYS_ADMIN to look at). */
#define HS_PROG_PIN "prog"
#define HS_META_MAGIC 0x31534d48u   /* "HMS1" */
struct hs_meta {
	__u32 magic;                  /* HS_META_MAGIC */
	__u32 layout;                 /* HS_LAYOUT_VERSION of the maps */
	__u32 gen;                    /* the window generation run is in */
	__u32 pad;
};
struct hs_pins {
	unsigned int had;             /* HS_PIN_* bits there before this run */
	struct hs_meta meta;          /* the marker's value, if there */
	int link_fd;                  /* an earlier run's link on this interface, or -1 */
	__u32 link_prog_id;           /* the program it attaches */
	__u8 link_mode;               /* XDP_ATTACHED_* */
	int egress_fd;                /* an earlier run's egress (tcx) link, or -1 */
};
/* What pin_dir holds, before run loads: only pins of ours, the maps of this
 * layout (marker) and each reusable (type, sizes, entries, flags), a link
 * on ifindex (or on an interface gone). 0, or -errno with one line said:
 * -EEXIST for pins not ours, of another layout or of another interface. */
int hs_pins_check(struct hs_bpf *skel, const char *pin_dir, int ifindex, struct hs_pins *p);
/* The marker, created and pinned if missing, set to this layout and gen:
 * its fd, or -errno (said). */
int hs_meta_open(const char *pin_dir, __u32 gen);
/* Record the generation the program writes now: 0 or -errno. */
int hs_meta_set(int meta_fd, __u32 gen);
/* Pin a link as name (replacing one whose interface is gone); 0 or
 * -errno (said). */
int hs_link_pin(int link_fd, const char *pin_dir, const char *name);
/* The egress program (the server's SYN-ACKs) attached first on ifindex's
 * egress with a tcx link (kernel 6.6+): its fd, or -errno. */
int hs_egress_attach(struct hs_bpf *skel, int ifindex);
/* Pin the program (replacing a pin left by a killed run). */
int hs_prog_pin(struct hs_bpf *skel, const char *pin_dir);
/* Unpin the pins of bits which (those not there are skipped). */
void hs_pins_remove(struct hs_bpf *skel, const char *pin_dir, unsigned int which);
/* Every pin 0600 and the directory 0700; with a group (gid not -1), 0440
 * and 0750, group gid: its members read everything dump, status, top and
 * the exporter need. 0 or -errno (said). */
int hs_pin_access(struct hs_bpf *skel, const char *pin_dir, gid_t gid);
/* A pinned object opened read-only (all the readers need): fd or -errno. */
int hs_pin_get(const char *pin_dir, const char *name);
/* The same for a map every reader needs: a missing one said in one line. */
int hs_pin_open(const char *pin_dir, const char *map, int *fd);
int hs_stats_read(int stats_fd, struct hs_stats *sum);
extern const char *const hs_stat_names[HS_ST__COUNT];

/* ---- dump.c: what status and the exporter read ---- */
__u32 hs_map_max(int fd);
__u32 hs_map_count(int fd);                /* entries, by walking the keys */
/* The interfaces of this network namespace that run the program a running
 * instance pinned in pin_dir (at most max): how many. */
#define HS_ATTACH_MAX 64
struct hs_attach {
	char ifname[IF_NAMESIZE];
	int ifindex;
	__u8 mode;                             /* XDP_ATTACHED_* */
	__u32 prog_id;
};
int hs_attachments(const char *pin_dir, struct hs_attach *at, int max);
const char *hs_attach_mode(__u8 mode);     /* "native", "skb", ... */

/* ---- metrics.c ---- */
#define HS_DEFAULT_LISTEN "127.0.0.1:9742"
#define HS_DEFAULT_METRICS_PATH "/metrics"
#define HS_METRICS_TOP 10
/* What a scrape reads: a running instance's pinned maps, and in `run` its
 * windows (the detector's results). */
struct metrics_src {
	const char *pin_dir;
	int stats_fd, tcp_fd, tls_fd, enforce_fd;   /* enforce_fd -1: none */
	unsigned long top;                          /* per-fingerprint series */
	struct windows *win;                        /* NULL: exporter */
	struct fp_reader *rd;                       /* owned by the scrape thread */
	unsigned long long renders;                 /* reads of the maps so far */
};
/* The exposition text (Prometheus text format 0.0.4); 0 or -errno. */
int metrics_render(struct metrics_src *m, FILE *f);

/* The HTTP server's bounds (--web.*), for `exporter` and `run --metrics`. */
struct web_limits {
	unsigned int max_conns;   /* connections at once */
	unsigned int per_ip;      /* of them from one client address */
	unsigned int timeout_s;   /* for each request and its reply, idle time included */
	unsigned int cache_ms;    /* a read of the maps answers the scrapes this long */
};
#define HS_WEB_DEFAULTS { .max_conns = 32, .per_ip = 8, .timeout_s = 10, .cache_ms = 1000 }
enum { HS_OPT_WEB_MAX_CONNS = 0x100, HS_OPT_WEB_PER_IP, HS_OPT_WEB_TIMEOUT, HS_OPT_WEB_CACHE };
#define HS_WEB_LONGOPTS \
	{ "web.max-connections", required_argument, NULL, HS_OPT_WEB_MAX_CONNS }, \
	{ "web.max-connections-per-ip", required_argument, NULL, HS_OPT_WEB_PER_IP }, \
	{ "web.timeout", required_argument, NULL, HS_OPT_WEB_TIMEOUT }, \
	{ "web.cache-ms", required_argument, NULL, HS_OPT_WEB_CACHE }
#define HS_WEB_USAGE \
	"      --web.max-connections N  HTTP connections at once (1-1024, default 32)\n" \
	"      --web.max-connections-per-ip N  of them from one address (1-1024, default 8)\n" \
	"      --web.timeout S          seconds a connection has for each request and its\n" \
	"                               reply, idle time included (1-3600, default 10)\n" \
	"      --web.cache-ms MS        a read of the maps answers every scrape for MS\n" \
	"                               milliseconds (0-60000, default 1000)\n"
/* One of HS_WEB_LONGOPTS: 1 (and *err set on a bad value, said), else 0. */
int web_opt(struct web_limits *w, int opt, const char *arg, int *err);
struct exporter;
/* Serve GET / (a landing page) and GET path (the metrics) on listen
 * ("ADDR:PORT", "[V6]:PORT") within lim; NULL with one line in err. */
struct exporter *exporter_start(const char *listen, const char *path,
				const struct web_limits *lim, struct metrics_src *m,
				char *err, size_t errlen);
void exporter_stop(struct exporter *e);
/* ADDR:PORT valid for exporter_start; 0 or -1. */
int listen_addr_check(const char *listen);

/* ---- subcommands ---- */
int cmd_run(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_exporter(int argc, char **argv);

#endif /* HS_USER_H */
