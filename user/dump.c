// SPDX-License-Identifier: BSD-3-Clause
/* `hydrascope dump`: the fingerprints a running instance collected. */
#include <errno.h>
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
#include "opts.h"
#include "p0fdb.h"
#include "pins.h"
#include "report.h"
#include "util.h"

struct dump_opts {
	const char *pin_dir, *db;
	struct report_opts ro;
};

static const struct hs_cmd_opts dump_cmd = {
	.cmd = "dump",
	.col = 21,
	.opts = (const struct hs_opt[]){
		HS_OPT_JSON(struct dump_opts, ro.json, "one JSON object per line"),
		HS_OPT_TOP(struct dump_opts, ro.top, "only the N fingerprints of each kind seen most"),
		HS_OPT_PIN_DIR(struct dump_opts, pin_dir,
			       "maps of the instance to read (default " HS_DEFAULT_PIN_DIR ")"),
		HS_OPT_P0F_DB(struct dump_opts, db, "p0f fingerprint database for OS labels"),
		{ 0 }
	},
};

int cmd_dump(int argc, char **argv)
{
	struct dump_opts o = { .pin_dir = HS_DEFAULT_PIN_DIR, .db = HS_DEFAULT_P0F_DB };
	struct fp_maps m = { .pairs = -1, .accounts = -1 };
	int err, ret;

	err = hs_opts_parse(&dump_cmd, argc, argv, &o);
	if (err <= 0)
		return hs_opts_exit(err);
	if (p0f_db_open(o.db))
		return HS_EXIT_ERR;
	err = hs_pin_open(o.pin_dir, "tcp_fps", &m.tcp);
	if (err)
		return hs_err_exit(err);
	err = hs_pin_open(o.pin_dir, "tls_fps", &m.tls);
	if (err) {
		close(m.tcp);
		return hs_err_exit(err);
	}
	o.ro.clock_offset = mono_to_unix_offset();
	m.pairs = hs_pin_get(o.pin_dir, "pairs");
	m.accounts = hs_pin_get(o.pin_dir, "accounts");
	ret = report(&m, &o.ro);
	if (m.pairs >= 0)
		close(m.pairs);
	if (m.accounts >= 0)
		close(m.accounts);
	close(m.tcp);
	close(m.tls);
	p0f_db_free();
	return ret;
}
