// SPDX-License-Identifier: BSD-3-Clause
/* `hydrascope fleet`: the detector over every edge host's windows, unioned
 * in the fleet database; `fleet --init` creates or migrates its schema. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "fleetdb.h"
#include "log.h"
#include "opts.h"

struct fleet_opts {
	const char *db;
	bool init;
};

static const struct hs_cmd_opts fleet_cmd = {
	.cmd = "fleet",
	.about = "The hydra detector over the whole fleet: every edge host's windows\n"
		 "(run --fleet), unioned per window in the fleet database.\n",
	.col = 21,
	.opts = (const struct hs_opt[]){
		{ .name = "db", .arg = "URL", .kind = HS_OPT_STR, HS_AT(struct fleet_opts, db),
		  .required = "the fleet database: --db postgresql://HOST/DB",
		  .help = "the fleet database (a libpq URL; credentials from ~/.pgpass,\n"
			  "PGPASSFILE or a service file)" },
		{ .name = "init", .kind = HS_OPT_FLAG, HS_AT(struct fleet_opts, init),
		  .help = "create or migrate the schema (the hll extension included), say\n"
			  "what was done, and exit" },
		{ 0 }
	},
};

static int fleet_init(const struct fleet_opts *o)
{
	char err[768];
	PGconn *db = fleetdb_open(o->db, err, sizeof(err));
	int rc;

	if (!db) {
		pr_warn("%s", err);
		return HS_EXIT_ERR;
	}
	rc = fleetdb_init(db, stdout, err, sizeof(err));
	if (rc)
		pr_warn("%s", err);
	PQfinish(db);
	return rc ? HS_EXIT_ERR : HS_EXIT_OK;
}

int cmd_fleet(int argc, char **argv)
{
	struct fleet_opts o = { 0 };
	int first = hs_opts_parse(&fleet_cmd, argc, argv, &o);

	if (first <= 0)
		return hs_opts_exit(first);
	if (first < argc) {
		pr_warn("fleet: unexpected argument '%s' (see 'hydrascope fleet -h')", argv[first]);
		return HS_EXIT_USAGE;
	}
	if (o.init)
		return fleet_init(&o);
	pr_warn("fleet: not implemented yet");
	return HS_EXIT_ERR;
}
