// SPDX-License-Identifier: BSD-3-Clause
/*
 * Seed corpora for the fuzz targets (tests/fuzz/fuzz.sh), made of what the
 * code itself produces from real captures: each capture goes through the
 * real XDP program (BPF_PROG_TEST_RUN in private maps, packet time as the
 * clock, as replay does; needs root), and what comes out is written:
 *   DIR/fuzz_event/  ring-buffer records, one per type and fingerprint id
 *   DIR/fuzz_ja4/    the struct hs_tls_hello of each TLS fingerprint
 *   DIR/fuzz_p0f/    the struct hs_tcp_sig of each TCP fingerprint
 *   DIR/fuzz_state/  the detector's state files, both kinds, saved as run
 *                    saves them after each capture was judged as a window
 * Usage: mkseeds DIR CAPTURE...   (exit 3: the program does not load)
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfobj.h"
#include "capture.h"
#include "detect.h"
#include "log.h"
#include "window.h"
#include "hs_bpf.skel.h"

#define PER_TYPE 256            /* records kept of each event type */

struct seeds {
	const char *dir;
	__u64 ids[4][PER_TYPE];     /* by type - 1: fingerprint ids written */
	unsigned int n[4];
};

static void put(const char *dir, const char *target, const char *name, const void *p,
		size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, target);
	if (mkdir(path, 0755) && errno != EEXIST) {
		fprintf(stderr, "mkseeds: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", dir, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "mkseeds: %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static int on_record(void *ctx, void *data, size_t len)
{
	const struct hs_event *ev = data;   /* type and fp_id: also a hs_tls_event's */
	struct seeds *s = ctx;
	char name[64];
	unsigned int i, k;

	if (len < sizeof(*ev) || ev->type < HS_EV_TCP_NEW || ev->type > HS_EV_TLS_HELLO)
		return 0;
	k = ev->type - 1;
	for (i = 0; i < s->n[k]; i++)
		if (s->ids[k][i] == ev->fp_id)
			return 0;
	if (s->n[k] == PER_TYPE)
		return 0;
	s->ids[k][s->n[k]++] = ev->fp_id;
	snprintf(name, sizeof(name), "%u-%016llx", ev->type, (unsigned long long)ev->fp_id);
	put(s->dir, "fuzz_event", name, data, len);
	snprintf(name, sizeof(name), "%016llx", (unsigned long long)ev->fp_id);
	if (ev->type == HS_EV_TCP_NEW || ev->type == HS_EV_TCP_SYN)
		put(s->dir, "fuzz_p0f", name, &ev->sig, sizeof(ev->sig));
	else
		put(s->dir, "fuzz_ja4", name, &((const struct hs_tls_event *)data)->hello,
		    sizeof(struct hs_tls_hello));
	return 0;
}

int main(int argc, char **argv)
{
	struct hs_config cfg = { .replay = true };
	struct seeds *s = calloc(1, sizeof(*s));
	struct capture_frame f = { 0 };
	struct ring_buffer *rb;
	struct windows *win;
	struct det_config dc;
	struct hs_bpf *skel;
	char err[1024], path[4096];
	struct fp_maps maps;
	int i, prog;

	if (argc < 3 || !s) {
		fprintf(stderr, "usage: mkseeds DIR CAPTURE...\n");
		return 2;
	}
	s->dir = argv[1];
	if (mkdir(s->dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "mkseeds: %s: %s\n", s->dir, strerror(errno));
		return 1;
	}
	hs_libbpf_logging();
	skel = hs_open(&cfg);
	if (!skel || hs_load(skel, NULL)) {
		fprintf(stderr, "mkseeds: the XDP program does not load (root?): "
			"no seeds from the program\n");
		return 3;
	}
	prog = bpf_program__fd(hs_xdp_prog(skel));
	maps = hs_fp_maps(skel);
	det_config_default(&dc);
	win = win_new(&dc, 60, "/dev/null", true, false);
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_record, s, NULL);
	if (!win || !rb)
		return 1;
	for (i = 2; i < argc; i++) {
		struct capture *c = capture_open(argv[i], err, sizeof(err));

		if (!c) {
			fprintf(stderr, "mkseeds: %s: %s\n", argv[i], err);
			return 1;
		}
		while (capture_next(c, &f) == 1) {
			LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = f.data, .data_size_in = f.len,
				    .repeat = 1);

			skel->bss->replay_now_ns = f.ts_ns;
			if (!bpf_prog_test_run_opts(prog, &t))
				ring_buffer__consume(rb);
		}
		capture_close(c);
		if (win_close(win, &maps, -1, 0))
			return 1;
	}
	snprintf(path, sizeof(path), "%s/fuzz_state", s->dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/fuzz_state/state.json", s->dir);
	if (win_save(win, path)) {
		fprintf(stderr, "mkseeds: %s: cannot save\n", path);
		return 1;
	}
	printf("mkseeds: %d captures, %u SYN and %u ClientHello fingerprints, %u windows\n",
	       argc - 2, s->n[HS_EV_TCP_SYN - 1], s->n[HS_EV_TLS_HELLO - 1], argc - 2);
	win_free(win);
	ring_buffer__free(rb);
	hs_bpf__destroy(skel);
	free(s);
	return 0;
}
