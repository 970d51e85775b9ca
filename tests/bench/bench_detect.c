// SPDX-License-Identifier: BSD-3-Clause
/*
 * Detector cost (`make bench`): one window over 50,000 TLS fingerprints.
 *
 *   detect_window     det_window() alone on 50,000 observations
 *   window_close      the whole close of a window from a real tls_fps map
 *                     (our skeleton, map resized to hold them): read every
 *                     id, name it (JA4, cached after the first window),
 *                     merge ids by JA4, estimate the sketches, judge, delete
 *   window_close_cold the same with no name cached (the first window)
 *   map_walk          baseline in the same run: a bare walk of the same map
 *                     (get_next_key + lookup of every entry), the least any
 *                     reader of it pays
 *   scrape            a Prometheus scrape of the same map: GET /metrics over
 *                     HTTP from the real exporter (started in this process
 *                     on 127.0.0.1), wall time until the last byte
 * CPU time is the process's (user + system, CLOCK_PROCESS_CPUTIME_ID), the
 * median of the warm windows. window_memory: what the process's resident
 * set grew by over the windows (reader, detector, history). Two
 * distributions of addresses per fingerprint (see ips_of).
 *
 * Output: one "name value unit" line per figure.
 */
#include <errno.h>
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

/* Fingerprint f's value: a hello of its own (cipher list), its sources, a
 * few networks and stacks. */
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
	for (i = 0; i < ips; i++) {
		__u64 h = hs_mix64(((__u64)f << 32) | i);

		hll_add(v->hll_ips, h);
		hll_add(v->hll_nets, hs_mix64(h % (ips / 4 + 1)));
		hll_add(v->hll_tcp, hs_mix64(h % 3));
	}
}

static int fill(int fd, const struct hs_tls_fp *vals)
{
	unsigned int k;

	for (k = 0; k < NIDS; k++) {
		__u64 key = HS_GEN_KEY(hs_mix64(k + 1), 0);

		if (bpf_map_update_elem(fd, &key, &vals[k % NFP], BPF_ANY)) {
			fprintf(stderr, "bench_detect: map update: %s\n", strerror(errno));
			return -1;
		}
	}
	return 0;
}

static void count_alert(void *ctx, const struct det_alert *a)
{
	(void)a;
	++*(unsigned long *)ctx;
}

/* A distribution's figures, each per window (the first is the cold one). */
struct figures {
	double det[WINDOWS], close[WINDOWS], walk[WINDOWS], read[WINDOWS],
	       del[WINDOWS], scrape[WINDOWS];
	long rss0, rss1;
};

/* The detector alone, on NFP observations shaped like the map's. */
static int time_detector(struct det_obs *obs, const struct det_config *dc, struct figures *t)
{
	struct detector *d = det_new(dc, FP_TLS);
	unsigned long alerts = 0;
	unsigned int f;
	double t0;
	int i;

	if (!d)
		return -1;
	for (f = 0; f < NFP; f++) {
		snprintf(obs[f].name, sizeof(obs[f].name), "t13d0806h2_%012x_e5627efa2ab1",
			 f * 2654435761u);
		obs[f].ips = ips_of(f);
		obs[f].nets = ips_of(f) / 4 + 1;
		obs[f].stacks = 3;
		obs[f].conns = 2 * ips_of(f);
	}
	for (i = 0; i < WINDOWS; i++) {
		t0 = cpu_ms();
		det_window(d, obs, NFP, NULL, 0, count_alert, &alerts);
		t->det[i] = cpu_ms() - t0;
	}
	det_free(d);
	return 0;
}

/* The reader alone: read (named, merged, estimated), then delete. */
static int time_reader(int fd, const struct hs_tls_fp *vals, struct figures *t)
{
	struct fp_reader *rd = fpr_new(FP_TLS);
	struct det_obs *rows;
	size_t nrows;
	double t0;
	int i;

	if (!rd)
		return -1;
	for (i = 0; i < WINDOWS; i++) {
		if (fill(fd, vals))
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
		.tls_fd = fd, .enforce_fd = -1, .top = HS_METRICS_TOP,
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

/* The whole window close from the map, beside the bare walk. */
static int time_close(int fd, const struct hs_tls_fp *vals, const struct det_config *dc,
		      struct figures *t)
{
	struct hs_tls_fp *v = malloc(sizeof(*v));
	struct windows *w;
	double t0;
	__u64 key;
	int i;

	t->rss0 = status_kib("VmRSS:");
	w = win_new(dc, 60, "/dev/null", true, false);
	if (!w || !v)
		return -1;
	for (i = 0; i < WINDOWS; i++) {
		if (fill(fd, vals) || time_walk(fd, v, &t->walk[i]))
			return -1;
		t0 = cpu_ms();
		if (win_close(w, &(struct fp_maps){ .tcp = -1, .tls = fd, .pairs = -1 }, -1, 1)) {
			fprintf(stderr, "bench_detect: window close failed\n");
			return -1;
		}
		t->close[i] = cpu_ms() - t0;
		if (bpf_map_get_next_key(fd, NULL, &key) == 0) {
			fprintf(stderr, "bench_detect: the window close left entries\n");
			return -1;
		}
	}
	t->rss1 = status_kib("VmRSS:");
	win_free(w);
	free(v);
	return 0;
}

static double warm(const double *v)
{
	return median((double *)v + 1, WINDOWS - 1);
}

static void print_figures(const char *dist, const struct figures *t)
{
	printf("%s_detect_window_cpu %.1f ms\n", dist, warm(t->det));
	printf("%s_window_read_cpu %.1f ms\n", dist, warm(t->read));
	printf("%s_window_delete_cpu %.1f ms\n", dist, warm(t->del));
	printf("%s_window_close_cold_cpu %.1f ms\n", dist, t->close[0]);
	printf("%s_window_close_cpu %.1f ms\n", dist, warm(t->close));
	printf("%s_map_walk_cpu %.1f ms\n", dist, warm(t->walk));
	printf("%s_window_close_vs_map_walk %.2f ratio\n", dist, warm(t->close) / warm(t->walk));
	printf("%s_window_memory %.1f MiB\n", dist, (t->rss1 - t->rss0) / 1024.0);
	printf("%s_scrape_wall %.1f ms\n", dist, warm(t->scrape));
	printf("%s_scrape_vs_map_walk %.2f ratio\n", dist, warm(t->scrape) / warm(t->walk));
}

/* One distribution: the detector alone, the reader alone, a scrape, the
 * whole close and the bare map walk; figures prefixed with its name. */
static int run(struct hs_bpf *skel, const char *dist)
{
	int fd = bpf_map__fd(skel->maps.tls_fps), err = -1;
	struct hs_tls_fp *vals = malloc(NFP * sizeof(*vals));
	struct det_obs *obs = calloc(NFP, sizeof(*obs));
	struct figures *t = calloc(1, sizeof(*t));
	struct det_config dc;
	unsigned int f;

	if (vals && obs && t) {
		for (f = 0; f < NFP; f++)
			make_value(&vals[f], f);
		det_config_default(&dc);
		err = time_detector(obs, &dc, t) || time_reader(fd, vals, t) ||
		      time_scrape(skel, vals, t) || time_close(fd, vals, &dc, t) ? -1 : 0;
		if (!err)
			print_figures(dist, t);
	}
	free(t);
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
	    hs_load(skel, NULL)) {
		fprintf(stderr, "bench_detect: couldn't load the BPF object (root needed)\n");
		return 1;
	}
	printf("detect_fingerprints %u fingerprints\n", NFP);
	printf("detect_map_ids %u ids\n", NIDS);
	if (run(skel, "zipf"))
		return 1;
	wide = true;
	if (run(skel, "wide"))
		return 1;
	/* what the default map holds at most: 8,192 ids, one per JA4 */
	wide = false;
	NFP = NIDS = HS_TLS_FP_MAX;
	if (run(skel, "default_map_zipf"))
		return 1;
	printf("process_rss %.1f MiB\n", status_kib("VmRSS:") / 1024.0);
	printf("process_rss_peak %.1f MiB\n", status_kib("VmHWM:") / 1024.0);
	hs_bpf__destroy(skel);
	return 0;
}
