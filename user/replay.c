// SPDX-License-Identifier: BSD-3-Clause
/*
 * `hydrascope replay`: every packet of the captures goes through the very
 * XDP program `run` attaches, with BPF_PROG_TEST_RUN, in private maps, with
 * the packet timestamp as the program's clock.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "hs.h"
#include "hs_bpf.skel.h"

struct replay {
	bool json, events;
	unsigned long long packets, oversize, runt;
};

static void replay_usage(FILE *f)
{
	fprintf(f,
		"Usage: hydrascope replay [-j|--json] [--events] [--top N] [--p0f-db FILE]\n"
		"                         FILE.pcap[ng]...\n"
		"  -j, --json         JSON lines\n"
		"  -e, --events       one line per fingerprinted SYN instead of the table\n"
		"  -n, --top N        only the N fingerprints with the most SYNs\n"
		"      --p0f-db FILE  p0f fingerprint database for OS labels\n"
		"Ethernet, Linux cooked (v1, v2), raw IP and BSD loopback captures.\n");
}

static int on_event(void *ctx, void *data, size_t len)
{
	const struct hs_event *ev = data;
	struct replay *r = ctx;
	char sig[256], ts[48], src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	const char *os;

	if (len < sizeof(*ev) || !r->events)
		return 0;
	p0f_render(&ev->sig, sig, sizeof(sig));
	os = p0f_db_label(&ev->sig);
	fmt_time(ev->ts_ns, true, ts, sizeof(ts));
	fmt_addr(&ev->ep, true, src, sizeof(src));
	fmt_addr(&ev->ep, false, dst, sizeof(dst));
	if (r->json) {
		json_object *j = json_object_new_object();

		json_object_object_add(j, "event", json_object_new_string("tcp_syn"));
		json_object_object_add(j, "ts", json_object_new_string(ts));
		json_object_object_add(j, "src", json_object_new_string(src));
		json_object_object_add(j, "sport", json_object_new_int(ev->ep.sport));
		json_object_object_add(j, "dst", json_object_new_string(dst));
		json_object_object_add(j, "dport", json_object_new_int(ev->ep.dport));
		json_object_object_add(j, "tcp_sig", json_object_new_string(sig));
		json_object_object_add(j, "os", json_object_new_string(os));
		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
	} else {
		printf("%s %s:%u -> %s:%u %s %s\n", ts, src, ev->ep.sport, dst, ev->ep.dport,
		       sig, *os ? os : "-");
	}
	return 0;
}

/* Feed one capture. 0 when read to the end, -1 when it stopped early. */
static int replay_file(struct hs_bpf *skel, struct ring_buffer *rb, struct replay *r,
		       struct capture *c, const char *file)
{
	int prog_fd = bpf_program__fd(skel->progs.hs_xdp), rc;
	struct capture_frame f = { 0 };

	while ((rc = capture_next(c, &f)) == 1) {
		/* fresh options each time: the kernel writes data_size_out back */
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = f.data, .data_size_in = f.len,
			    .repeat = 1);

		skel->bss->replay_now_ns = f.ts_ns;
		if (bpf_prog_test_run_opts(prog_fd, &t)) {
			/* larger than one page: captured with offloads on; a real
			 * NIC at this MTU never hands such a frame to XDP */
			pr_debug("%s: frame of %u bytes not run: %s", file, f.len, strerror(errno));
			r->oversize++;
			continue;
		}
		r->packets++;
		ring_buffer__consume(rb);
	}
	r->runt += f.runt;
	if (rc < 0) {
		pr_warn("%s: %s", file, capture_error(c));
		return -1;
	}
	return 0;
}

int cmd_replay(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "events", no_argument, NULL, 'e' },
		{ "top", required_argument, NULL, 'n' },
		{ "p0f-db", required_argument, NULL, 'D' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char errbuf[256];
	const char *db = HS_DEFAULT_P0F_DB;
	struct report_opts ro = { 0 };
	struct replay r = { 0 };
	struct ring_buffer *rb = NULL;
	struct hs_bpf *skel = NULL;
	int opt, i, err, nfiles, ret = HS_EXIT_ERR;
	bool partial = false;
	unsigned long long v;
	struct capture **pcs = NULL;

	optind = 1;
	while ((opt = getopt_long(argc, argv, ":jen:vh", lo, NULL)) != -1) {
		switch (opt) {
		case 'j': r.json = ro.json = true; break;
		case 'e': r.events = true; break;
		case 'n':
			if (parse_uint(optarg, 1000000000ULL, &v) || !v) {
				pr_warn("invalid --top '%s' (a positive number)", optarg);
				return HS_EXIT_USAGE;
			}
			ro.top = v;
			break;
		case 'D': db = optarg; break;
		case 'v': hs_verbose++; break;
		case 'h': replay_usage(stdout); return HS_EXIT_OK;
		default: return bad_option("replay", opt, argv);
		}
	}
	nfiles = argc - optind;
	if (nfiles < 1) {
		pr_warn("replay needs at least one capture file");
		return HS_EXIT_USAGE;
	}
	/* open every file first: a typo fails before any work is done */
	pcs = calloc(nfiles, sizeof(*pcs));
	if (!pcs)
		goto out;
	for (i = 0; i < nfiles; i++) {
		pcs[i] = capture_open(argv[optind + i], errbuf, sizeof(errbuf));
		if (!pcs[i]) {
			pr_warn("Couldn't read capture '%s': %s", argv[optind + i], errbuf);
			goto out;
		}
	}
	err = p0f_db_load(db);
	if (err && strcmp(db, HS_DEFAULT_P0F_DB)) {
		pr_warn("Couldn't read p0f database '%s': %s", db, strerror(-err));
		goto out;
	}
	skel = hs_open(true);
	if (!skel)
		goto out;
	err = hs_load(skel, NULL);
	if (err) {
		ret = hs_err_exit(err);
		goto out;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, &r, NULL);
	if (!rb) {
		pr_warn("Couldn't open the ring buffer: %s", strerror(errno));
		goto out;
	}
	for (i = 0; i < nfiles; i++)
		if (replay_file(skel, rb, &r, pcs[i], argv[optind + i]))
			partial = true;
	ring_buffer__consume(rb);
	if (r.oversize)
		pr_warn("%llu packets larger than a page were not inspected "
			"(captured with segmentation offloads on?)", r.oversize);
	pr_debug("%llu packets replayed, %llu too short for their link header",
		 r.packets, r.runt);
	ret = r.events ? HS_EXIT_OK : report_tcp(bpf_map__fd(skel->maps.tcp_fps), &ro);
	if (ret == HS_EXIT_OK && fflush(stdout))
		ret = HS_EXIT_ERR;
	if (ret == HS_EXIT_OK && partial)
		ret = HS_EXIT_PARTIAL;
out:
	ring_buffer__free(rb);
	hs_bpf__destroy(skel);
	for (i = 0; pcs && i < nfiles; i++)
		capture_close(pcs[i]);
	free(pcs);
	p0f_db_free();
	return ret;
}
