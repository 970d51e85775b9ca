// SPDX-License-Identifier: BSD-3-Clause
/* `hydrascope dump`: the fingerprints a running instance collected. */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>
#include <linux/if_link.h>

#include "cmd.h"
#include "fps.h"
#include "log.h"
#include "p0fdb.h"
#include "pins.h"
#include "report.h"
#include "util.h"

static void dump_usage(FILE *f)
{
	fprintf(f,
		"Usage: hydrascope dump [--pin-dir DIR] [-j|--json] [--top N] [--p0f-db FILE]\n"
		"  -j, --json         one JSON object per line\n"
		"  -n, --top N        only the N fingerprints of each kind seen most\n"
		"      --pin-dir DIR  maps of the instance to read (default " HS_DEFAULT_PIN_DIR ")\n"
		"      --p0f-db FILE  p0f fingerprint database for OS labels\n");
}

int cmd_dump(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "pin-dir", required_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'j' },
		{ "top", required_argument, NULL, 'n' },
		{ "p0f-db", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *pin_dir = HS_DEFAULT_PIN_DIR, *db = HS_DEFAULT_P0F_DB;
	struct report_opts ro = { 0 };
	int opt, fd, tls_fd, pairs_fd, err, ret;

	optind = 1;
	while ((opt = getopt_long(argc, argv, ":jn:h", lo, NULL)) != -1) {
		switch (opt) {
		case 'P': pin_dir = optarg; break;
		case 'j': ro.json = true; break;
		case 'n':
			if (parse_top(optarg, &ro.top))
				return HS_EXIT_USAGE;
			break;
		case 'D': db = optarg; break;
		case 'h': dump_usage(stdout); return HS_EXIT_OK;
		default: return bad_option("dump", opt, argv);
		}
	}
	if (optind < argc) {
		pr_warn("unexpected argument '%s'", argv[optind]);
		return HS_EXIT_USAGE;
	}
	if (p0f_db_open(db))
		return HS_EXIT_ERR;
	err = hs_pin_open(pin_dir, "tcp_fps", &fd);
	if (err)
		return hs_err_exit(err);
	err = hs_pin_open(pin_dir, "tls_fps", &tls_fd);
	if (err) {
		close(fd);
		return hs_err_exit(err);
	}
	ro.clock_offset = mono_to_unix_offset();
	pairs_fd = hs_pin_get(pin_dir, "pairs");        /* an older layout's pins: none */
	fps_pairs_bind(tls_fd, pairs_fd);
	ret = report(fd, tls_fd, &ro);
	if (pairs_fd >= 0)
		close(pairs_fd);
	close(fd);
	close(tls_fd);
	p0f_db_free();
	return ret;
}
