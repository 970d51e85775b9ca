// SPDX-License-Identifier: BSD-3-Clause
/*
 * Detector cost (`make bench`): one window over 50,000 TLS fingerprints.
 *
 *   detect_window     det_window() alone on 50,000 observations, no pairs
 *   detect_window_pairs the same with the window's 100,000 pairs (two TCP
 *                     stacks per JA4): the pair history and new stacks too
 *   detector_memory   the heap that detector holds after DET_HISTORY
 *                     windows (its whole history: per fingerprint its state
 *                     and novelty ring, 60 windows of observations, the
 *                     pair history)
 *   pairs_read        a read of a real pairs map of those 100,000 pairs,
 *                     each named through tls_fps and tcp_fps
 *   window_close      the close of a window from a real tls_fps map alone
 *                     (our skeleton, map resized to hold them): read every
 *                     id, name it (JA4, cached after the first window),
 *                     merge ids by JA4, estimate the sketches, judge, delete;
 *                     no pairs, no TCP side (the figure before issue 14)
 *   window_close_cold the same with no name cached (the first window)
 *   window_close_pairs the close as `run` does it since issue 14: the
 *                     pairs map read first (resized, 100,000 pairs, named
 *                     through tls_fps and 64 TCP stacks in tcp_fps), then
 *                     the TLS side judged with the pair history, then the
 *                     TCP side; every map cleared
 *   window_close_pairs_cold  the same with no name cached
 *   window_pairs_heap the heap the window code holds after those closes:
 *                     both detectors, the readers and their name caches
 *   map_walk          baseline in the same run: a bare walk of the same map
 *                     (get_next_key + lookup of every entry), the least any
 *                     reader of it pays
 *   scrape            a Prometheus scrape of the same map: GET /metrics over
 *                     HTTP from the real exporter (started in this process
 *                     on 127.0.0.1), wall time until the last byte
 * CPU time is the process's (user + system, CLOCK_PROCESS_CPUTIME_ID), the
 * median of the warm windows. window_memory: what the process's resident
 * set grew by over the windows of window_close (reader, detector,
 * history). Heap figures are glibc's bytes in use (mallinfo2): what the
 * structures take, capacity kept for growth included. The TLS values
 * carry novelty counts and samples as the seen map leaves them (see
 * make_value); the pair history keeps at most DET_PAIRS_MAX (65,536) of
 * the 100,000 pairs. Two distributions of addresses per fingerprint (see
 * ips_of).
 *
 * Output: one "name value unit" line per figure.
 */
#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfobj.h"
#include "detect.h"
#include "exporter.h"
#include "fps.h"
#include "metrics.h"
#include "window.h"
#include "hs_hash.h"
#include "hs_bpf.skel.h"

static unsigned int NFP = 50000;    /* JA4s */
static unsigned int NIDS = 55000;   /* map entries: 5,000 JA4s have two ids */
static unsigned int NPAIRS = 100000; /* (JA4, TCP stack) pairs: two per JA4 */
#define NSTACKS 64                  /* TCP stacks the pairs are over */
#define WINDOWS 7

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long status_kib(const char *field)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)))
			v = strtol(line + strlen(field) + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

/* Bytes glibc's allocator has handed out and not had back (every arena,
 * and the blocks it mmaps). */
static double heap_mib(void)
{
	struct mallinfo2 mi = mallinfo2();

	return (double)(mi.uordblks + mi.hblkhd) / 1048576.0;
}

static double wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

#define SCRAPE_PORT 19742

/* GET /metrics from 127.0.0.1:SCRAPE_PORT; the body's bytes, -1 on error. */
static long scrape(void)
{
	static const char req[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(SCRAPE_PORT) };
	char buf[65536];
	long total = 0;
	ssize_t n;
	int s = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) ||
	    write(s, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1)) {
		if (s >= 0)
			close(s);
		return -1;
	}
	while ((n = read(s, buf, sizeof(buf))) > 0) {
		if (!total && strncmp(buf, "HTTP/1.0 200", 12) && strncmp(buf, "HTTP/1.1 200", 12))
			total = -1000000000L;   /* not a 200 */
		total += n;
	}
	close(s);
	return n < 0 || total < 0 ? -1 : total;
}

static int by_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), by_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void hll_add(__u8 *reg, __u64 h)
{
	__u32 i = hs_hll_index(h);
	__u8 r = hs_hll_rank(h);

	if (r > reg[i])
		reg[i] = r;
}

/* Addresses behind fingerprint f. "zipf": a long tail as an edge sees it,
 * 20,000 / (f + 1) (the first has 20,000, the 1,000th 20, half of them 1;
 * about 216,000 in all); "wide": every one 20 to 400. */
static bool wide;

static unsigned int ips_of(unsigned int f)
{
	return wide ? 20 + f % 381 : 20000 / (f + 1) ? 20000 / (f + 1) : 1;
}

/* Source i of fingerprint f: its hash, and the address it stands for. */
static __u64 src_hash(unsigned int f, unsigned int i)
{
	return hs_mix64(((__u64)f << 32) | i);
}

static void src_sample(struct hs_addr_sample *s, __u64 h)
{
	__u32 a = (__u32)h;

	memset(s, 0, sizeof(*s));
	memcpy(s->addr, &a, sizeof(a));
	s->family = 4;
}

/* Source i of f into a pair of sketches (sources, networks). */
static void src_add(__u8 *ips, __u8 *nets, unsigned int f, unsigned int i)
{
	__u64 h = src_hash(f, i);

	hll_add(ips, h);
	hll_add(nets, hs_mix64(h % (ips_of(f) / 4 + 1)));
}

/* Fingerprint f's value: a hello of its own (cipher list), its sources, a
 * few networks and stacks; as the seen map leaves it in a steady window,
 * an eighth of its sources new to it (half of those new to the site, a
 * quarter of them in new networks), the last few of each in samples. */
static void make_value(struct hs_tls_fp *v, unsigned int f)
{
	unsigned int i, ips = ips_of(f);

	memset(v, 0, sizeof(*v));
	v->hello.legacy_version = 0x0303;
	v->hello.max_version = 0x0304;
	v->hello.n_ciphers = 8;
	for (i = 0; i < 8; i++)
		v->hello.ciphers[i] = (__u16)(0x1301 + i + ((f >> (2 * i)) & 3) * 0x100);
	v->hello.n_exts = 6;
	for (i = 0; i < 6; i++)
		v->hello.exts[i] = (__u16)(i == 5 ? 0x0d : 10 + i + (f >> 16));
	v->hello.n_sigalgs = 2;
	v->hello.sigalgs[0] = 0x0403;
	v->hello.sigalgs[1] = 0x0804;
	v->conns = ips * 2;
	v->first_ns = 1;
	v->last_ns = 2;
	v->novel_ips = (ips + 7) / 8;
	v->novel_site = v->novel_ips / 2;
	v->novel_nets = (v->novel_ips + 3) / 4;
	for (i = 0; i < ips; i++) {
		src_add(v->hll_ips, v->hll_nets, f, i);
		hll_add(v->hll_tcp, hs_mix64(src_hash(f, i) % 3));
	}
	for (i = 0; i < HS_TLS_SAMPLES && i < ips; i++)
		src_sample(&v->samples[i], src_hash(f, ips - 1 - i));
	for (i = 0; i < HS_TLS_SAMPLES && i < v->novel_ips; i++)
		src_sample(&v->novel_samples[i], src_hash(f, i));
}

/* tls_fps key of id k (ids k and k + NFP are of fingerprint k % NFP). */
static __u64 tls_key(unsigned int k)
{
	return HS_GEN_KEY(hs_mix64(k + 1), 0);
}

/* tcp_fps key and stack id of TCP stack s. */
static __u64 tcp_key(unsigned int s)
{
	return HS_GEN_KEY(hs_mix64(0x7c9000 + s), 0);
}

static __u64 stack_id(unsigned int s)
{
	return hs_mix64(0x57ac00 + s);
}

/* TCP stack s: a Linux-like SYN signature of its own (its MSS). */
static void make_tcp(struct hs_tcp_fp *v, unsigned int s)
{
	static const __u8 opts[] = { 2, 4, 8, 1, 3 };   /* mss, sok, ts, nop, ws */
	unsigned int i;

	memset(v, 0, sizeof(*v));
	v->sig.ip_ver = 4;
	v->sig.ttl = 64;
	v->sig.opt_cnt = sizeof(opts);
	memcpy(v->sig.opt_layout, opts, sizeof(opts));
	v->sig.wscale = 7;
	v->sig.mss = (__u16)(1460 - s);
	v->sig.win = 64240;
	v->sig.tcp_hlen = 40;
	v->syns = 1000;
	v->first_ns = 1;
	v->last_ns = 2;
	for (i = 0; i < 100; i++) {
		__u64 h = hs_mix64(((__u64)s << 40) | i);

		hll_add(v->hll_ips, h);
		hll_add(v->hll_nets, hs_mix64(h % 30));
	}
}

/* Pairs of fingerprint f: NPAIRS spread over the NFP, two each here. */
static unsigned int pairs_of(unsigned int f)
{
	return NPAIRS / NFP + (f < NPAIRS % NFP);
}

/* Pair p: fingerprint p % NFP over its (p / NFP)th stack, with every
 * pairs_of(f)th of its sources (its first one when it has too few); the
 * stacks of one fingerprint differ. */
static void make_pair(struct hs_pair *v, unsigned int p)
{
	unsigned int f = p % NFP, j = p / NFP, n = pairs_of(f), i, s;

	s = (j * (NSTACKS / 2) + f % (NSTACKS / 2)) % NSTACKS;
	memset(v, 0, sizeof(*v));
	v->tls_id = tls_key(f);
	v->tcp_id = tcp_key(s);
	v->stack_id = stack_id(s);
	v->first_ns = 1;
	v->last_ns = 2;
	for (i = j; i < ips_of(f); i += n) {
		src_add(v->hll_ips, v->hll_nets, f, i);
		v->conns += 2;
	}
	if (!v->conns) {
		src_add(v->hll_ips, v->hll_nets, f, 0);
		v->conns = 2;
	}
}

static __u64 pair_key(const struct hs_pair *v)
{
	return HS_GEN_KEY(hs_pair_id(v->tls_id, v->stack_id), 0);
}

static int update(int fd, __u64 key, const void *v, const char *what)
{
	if (bpf_map_update_elem(fd, &key, v, BPF_ANY)) {
		fprintf(stderr, "bench_detect: %s map update: %s\n", what, strerror(errno));
		return -1;
	}
	return 0;
}

static int fill(int fd, const struct hs_tls_fp *vals)
{
	unsigned int k;

	for (k = 0; k < NIDS; k++)
		if (update(fd, tls_key(k), &vals[k % NFP], "tls_fps"))
			return -1;
	return 0;
}

/* The TCP stacks and the pairs (after fill: a pair is named through its
 * fingerprint's entry). Pair values are made as they go: a copy of them
 * all would double the bench's memory. */
static int fill_pairs(struct hs_bpf *skel)
{
	int tcp = bpf_map__fd(skel->maps.tcp_fps), pairs = bpf_map__fd(skel->maps.pairs);
	union {
		struct hs_tcp_fp tcp;
		struct hs_pair pair;
	} *v = malloc(sizeof(*v));
	unsigned int i;
	int err = v ? 0 : -1;

	for (i = 0; !err && i < NSTACKS; i++) {
		make_tcp(&v->tcp, i);
		err = update(tcp, tcp_key(i), &v->tcp, "tcp_fps");
	}
	for (i = 0; !err && i < NPAIRS; i++) {
		make_pair(&v->pair, i);
		err = update(pairs, pair_key(&v->pair), &v->pair, "pairs");
	}
	free(v);
	return err;
}

static void count_alert(void *ctx, const struct det_alert *a)
{
	(void)a;
	++*(unsigned long *)ctx;
}

/* A distribution's figures, each per window (the first is the cold one). */
struct figures {
	double det[WINDOWS], detp[WINDOWS], close[WINDOWS], closep[WINDOWS], walk[WINDOWS],
	       read[WINDOWS], pread[WINDOWS], del[WINDOWS], scrape[WINDOWS];
	double det_mem, heapp;  /* MiB */
	long rss0, rss1;
};

/* NFP observations shaped like the map's rows, and NPAIRS pair rows
 * ("JA4 STACK") shaped like the pairs map's. */
static void make_obs(struct det_obs *obs, struct det_obs *pobs)
{
	unsigned int f, p;

	for (f = 0; f < NFP; f++) {
		snprintf(obs[f].name, sizeof(obs[f].name), "t13d0806h2_%012x_e5627efa2ab1",
			 f * 2654435761u);
		obs[f].ips = ips_of(f);
		obs[f].nets = ips_of(f) / 4 + 1;
		obs[f].stacks = 3;
		obs[f].conns = 2 * ips_of(f);
		obs[f].novel_ips = (ips_of(f) + 7) / 8;
		obs[f].novel_site = obs[f].novel_ips / 2;
		obs[f].novel_nets = (obs[f].novel_ips + 3) / 4;
	}
	for (p = 0; p < NPAIRS; p++) {
		f = p % NFP;
		snprintf(pobs[p].name, sizeof(pobs[p].name), "%.64s stack-%016llx", obs[f].name,
			 (unsigned long long)stack_id(p));
		pobs[p].ips = obs[f].ips / pairs_of(f) ?: 1;
		pobs[p].nets = pobs[p].ips / 4 + 1;
		pobs[p].conns = 2 * (__u64)pobs[p].ips;
	}
}

/* det_window on the observations, with or without the pairs, timed. */
static int time_det(struct detector *d, const struct det_obs *obs, const struct det_obs *pobs,
		    double *ms)
{
	unsigned long alerts = 0;
	double t0 = cpu_ms();
	int err = det_window(d, obs, NFP, pobs, pobs ? NPAIRS : 0, count_alert, &alerts);

	*ms = cpu_ms() - t0;
	return err;
}

/* The detector alone: without pairs (as before issue 14), then with them
 * for DET_HISTORY windows, its heap then (its whole history). */
static int time_detector(const struct det_obs *obs, const struct det_obs *pobs,
			 const struct det_config *dc, struct figures *t)
{
	struct detector *d = det_new(dc, FP_TLS);
	double heap0, ms;
	int i;

	if (!d)
		return -1;
	for (i = 0; i < WINDOWS; i++)
		if (time_det(d, obs, NULL, &t->det[i]))
			return -1;
	det_free(d);
	heap0 = heap_mib();
	if (!(d = det_new(dc, FP_TLS)))
		return -1;
	for (i = 0; i < DET_HISTORY; i++)
		if (time_det(d, obs, pobs, i < WINDOWS ? &t->detp[i] : &ms))
			return -1;
	t->det_mem = heap_mib() - heap0;
	det_free(d);
	return 0;
}

/* A read of the pairs map (after the maps that name them are filled). */
static int time_pairs_read(struct fp_reader *rd, struct hs_bpf *skel, double *ms)
{
	int fd = bpf_map__fd(skel->maps.pairs);
	struct det_obs *rows;
	size_t nrows;
	double t0;

	if (fill_pairs(skel))
		return -1;
	fpr_name_maps(rd, bpf_map__fd(skel->maps.tls_fps), bpf_map__fd(skel->maps.tcp_fps));
	t0 = cpu_ms();
	if (fpr_read(rd, fd, -1, &rows, &nrows) || nrows != NPAIRS) {
		fprintf(stderr, "bench_detect: read %zu pairs, %u expected\n", nrows, NPAIRS);
		return -1;
	}
	*ms = cpu_ms() - t0;
	fpr_delete(rd, fd);
	return 0;
}

/* The readers alone: the pairs read, then the TLS map's read (named,
 * merged, estimated) and delete. */
static int time_reader(struct hs_bpf *skel, const struct hs_tls_fp *vals, struct figures *t)
{
	int fd = bpf_map__fd(skel->maps.tls_fps);
	struct fp_reader *rd = fpr_new(FP_TLS), *prd = fpr_new(FP_PAIR);
	struct det_obs *rows;
	size_t nrows;
	double t0;
	int i;

	if (!rd || !prd)
		return -1;
	for (i = 0; i < WINDOWS; i++) {
		if (fill(fd, vals) || time_pairs_read(prd, skel, &t->pread[i]))
			return -1;
		t0 = cpu_ms();
		if (fpr_read(rd, fd, -1, &rows, &nrows) || nrows != NFP) {
			fprintf(stderr, "bench_detect: read %zu rows, %u expected\n", nrows, NFP);
			return -1;
		}
		t->read[i] = cpu_ms() - t0;
		t0 = cpu_ms();
		fpr_delete(rd, fd);
		t->del[i] = cpu_ms() - t0;
	}
	fps_clear(bpf_map__fd(skel->maps.tcp_fps), -1);
	fpr_free(prd);
	fpr_free(rd);
	return 0;
}

/* A scrape of the same map through the exporter, each one a read. */
static int time_scrape(struct hs_bpf *skel, const struct hs_tls_fp *vals, struct figures *t)
{
	int fd = bpf_map__fd(skel->maps.tls_fps);
	struct metrics_src ms = {
		.stats_fd = bpf_map__fd(skel->maps.stats),
		.tcp_fd = bpf_map__fd(skel->maps.tcp_fps),
		.tls_fd = fd, .enforce_fd = -1, .seen_fd = -1, .acct_fd = -1, .quic_fd = -1,
		.top = HS_METRICS_TOP,
	};
	struct web_limits lim = HS_WEB_DEFAULTS;
	struct exporter *ex;
	char err[256];
	double t0;
	int i;

	lim.cache_ms = 0;
	ex = exporter_start("127.0.0.1:19742", HS_DEFAULT_METRICS_PATH, &lim, &ms,
			    err, sizeof(err));
	if (!ex) {
		fprintf(stderr, "bench_detect: %s\n", err);
		return -1;
	}
	if (fill(fd, vals))
		return -1;
	for (i = 0; i < WINDOWS; i++) {
		long bytes;

		t0 = wall_ms();
		bytes = scrape();
		t->scrape[i] = wall_ms() - t0;
		if (bytes < 1000) {
			fprintf(stderr, "bench_detect: the scrape failed\n");
			return -1;
		}
	}
	exporter_stop(ex);
	fpr_free(ms.rd);
	fps_clear(fd, -1);
	return 0;
}

/* A walk of the map with no work on the entries: the baseline. */
static int time_walk(int fd, struct hs_tls_fp *v, double *ms)
{
	__u64 key, cur;
	bool started = false;
	unsigned long n = 0;
	double t0 = cpu_ms();

	while (bpf_map_get_next_key(fd, started ? &cur : NULL, &key) == 0) {
		cur = key;
		started = true;
		if (!bpf_map_lookup_elem(fd, &key, v))
			n++;
	}
	*ms = cpu_ms() - t0;
	if (n != NIDS) {
		fprintf(stderr, "bench_detect: read %lu entries, %u expected\n", n, NIDS);
		return -1;
	}
	return 0;
}

/* Is every map a window close clears empty? */
static bool closed(const struct fp_maps *m)
{
	int fds[] = { m->tls, m->tcp, m->pairs };
	__u64 key;
	size_t i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0 && bpf_map_get_next_key(fds[i], NULL, &key) == 0) {
			fprintf(stderr, "bench_detect: the window close left entries\n");
			return false;
		}
	return true;
}

static int close_window(struct windows *w, const struct fp_maps *m, double *ms)
{
	double t0 = cpu_ms();

	if (win_close(w, m, -1, 1)) {
		fprintf(stderr, "bench_detect: window close failed\n");
		return -1;
	}
	*ms = cpu_ms() - t0;
	return closed(m) ? 0 : -1;
}

/* The window close from the TLS map alone (as before issue 14), beside
 * the bare walk. */
static int time_close(int fd, const struct hs_tls_fp *vals, const struct det_config *dc,
		      struct figures *t)
{
	struct fp_maps m = { .tcp = -1, .tls = fd, .pairs = -1 };
	struct hs_tls_fp *v = malloc(sizeof(*v));
	struct windows *w;
	int i;

	t->rss0 = status_kib("VmRSS:");
	w = win_new(dc, 60, "/dev/null", true, false);
	if (!w || !v)
		return -1;
	for (i = 0; i < WINDOWS; i++)
		if (fill(fd, vals) || time_walk(fd, v, &t->walk[i]) ||
		    close_window(w, &m, &t->close[i]))
			return -1;
	t->rss1 = status_kib("VmRSS:");
	win_free(w);
	free(v);
	return 0;
}

/* The window close as `run` does it: pairs, TLS side, TCP side. */
static int time_close_pairs(struct hs_bpf *skel, const struct hs_tls_fp *vals,
			    const struct det_config *dc, struct figures *t)
{
	struct fp_maps m = { .tcp = bpf_map__fd(skel->maps.tcp_fps),
			     .tls = bpf_map__fd(skel->maps.tls_fps),
			     .pairs = bpf_map__fd(skel->maps.pairs) };
	double heap0 = heap_mib();
	struct windows *w = win_new(dc, 60, "/dev/null", true, false);
	int i;

	if (!w)
		return -1;
	for (i = 0; i < WINDOWS; i++)
		if (fill(m.tls, vals) || fill_pairs(skel) || close_window(w, &m, &t->closep[i]))
			return -1;
	t->heapp = heap_mib() - heap0;
	win_free(w);
	return 0;
}

static double warm(const double *v)
{
	return median((double *)v + 1, WINDOWS - 1);
}

static void print_figures(const char *dist, const struct figures *t)
{
	printf("%s_detect_window_cpu %.1f ms\n", dist, warm(t->det));
	printf("%s_detect_window_pairs_cpu %.1f ms\n", dist, warm(t->detp));
	printf("%s_detector_memory %.1f MiB\n", dist, t->det_mem);
	printf("%s_window_read_cpu %.1f ms\n", dist, warm(t->read));
	printf("%s_window_delete_cpu %.1f ms\n", dist, warm(t->del));
	printf("%s_pairs_read_cpu %.1f ms\n", dist, warm(t->pread));
	printf("%s_window_close_cold_cpu %.1f ms\n", dist, t->close[0]);
	printf("%s_window_close_cpu %.1f ms\n", dist, warm(t->close));
	printf("%s_map_walk_cpu %.1f ms\n", dist, warm(t->walk));
	printf("%s_window_close_vs_map_walk %.2f ratio\n", dist, warm(t->close) / warm(t->walk));
	printf("%s_window_memory %.1f MiB\n", dist, (t->rss1 - t->rss0) / 1024.0);
	printf("%s_window_close_pairs_cold_cpu %.1f ms\n", dist, t->closep[0]);
	printf("%s_window_close_pairs_cpu %.1f ms\n", dist, warm(t->closep));
	printf("%s_window_pairs_heap %.1f MiB\n", dist, t->heapp);
	printf("%s_scrape_wall %.1f ms\n", dist, warm(t->scrape));
	printf("%s_scrape_vs_map_walk %.2f ratio\n", dist, warm(t->scrape) / warm(t->walk));
}

/* One distribution: the detector alone, the readers alone, a scrape, the
 * close of the TLS map beside the bare map walk, and the close with pairs;
 * figures prefixed with its name. */
static int run(struct hs_bpf *skel, const char *dist)
{
	int fd = bpf_map__fd(skel->maps.tls_fps), err = -1;
	struct hs_tls_fp *vals = malloc(NFP * sizeof(*vals));
	struct det_obs *obs = calloc(NFP, sizeof(*obs)), *pobs = calloc(NPAIRS, sizeof(*pobs));
	struct figures *t = calloc(1, sizeof(*t));
	struct det_config dc;
	unsigned int f;

	if (vals && obs && pobs && t) {
		for (f = 0; f < NFP; f++)
			make_value(&vals[f], f);
		make_obs(obs, pobs);
		det_config_default(&dc);
		err = time_detector(obs, pobs, &dc, t) || time_reader(skel, vals, t) ||
		      time_scrape(skel, vals, t) || time_close(fd, vals, &dc, t) ||
		      time_close_pairs(skel, vals, &dc, t) ? -1 : 0;
		if (!err)
			print_figures(dist, t);
	}
	free(t);
	free(pobs);
	free(obs);
	free(vals);
	return err;
}

int main(void)
{
	struct hs_config cfg = { 0 };
	struct hs_bpf *skel;

	libbpf_set_print(NULL);
	skel = hs_open(&cfg);
	if (!skel || bpf_map__set_max_entries(skel->maps.tls_fps, 65536) ||
	    bpf_map__set_max_entries(skel->maps.pairs, 1u << 17) || hs_load(skel, NULL)) {
		fprintf(stderr, "bench_detect: couldn't load the BPF object (root needed)\n");
		return 1;
	}
	printf("detect_fingerprints %u fingerprints\n", NFP);
	printf("detect_map_ids %u ids\n", NIDS);
	printf("detect_pairs %u pairs\n", NPAIRS);
	printf("detect_tcp_stacks %u stacks\n", NSTACKS);
	if (run(skel, "zipf"))
		return 1;
	wide = true;
	if (run(skel, "wide"))
		return 1;
	/* what the default maps hold at most: 8,192 ids, one per JA4; 8,192
	 * pairs, one per JA4 */
	wide = false;
	NFP = NIDS = HS_TLS_FP_MAX;
	NPAIRS = HS_PAIRS_MAX;
	if (run(skel, "default_map_zipf"))
		return 1;
	printf("process_rss %.1f MiB\n", status_kib("VmRSS:") / 1024.0);
	printf("process_rss_peak %.1f MiB\n", status_kib("VmHWM:") / 1024.0);
	hs_bpf__destroy(skel);
	return 0;
}
