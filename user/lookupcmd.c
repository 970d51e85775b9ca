// SPDX-License-Identifier: BSD-3-Clause
/* `hydrascope lookup`: what a running instance knows of one connection. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "conninfo.h"
#include "log.h"
#include "opts.h"
#include "p0fdb.h"
#include "pins.h"
#include "util.h"

struct lookup_cli_opts {
	const char *pin_dir, *db;
	bool json;
};

static const struct hs_cmd_opts lookup_cmd = {
	.cmd = "lookup",
	.args = "CLIENT_IP:PORT [SERVER_IP:PORT]",
	.about = "What a running instance knows of the connection from CLIENT (IPv6 as\n"
		 "[ADDR]:PORT): its JA4, TCP signature, ids, account tag. With SERVER,\n"
		 "also one whose ClientHello is not counted yet, and whether a NAT\n"
		 "changed its server side. Exit 1 when there is no record of it.\n",
	.col = 21,
	.opts = (const struct hs_opt[]){
		HS_OPT_JSON(struct lookup_cli_opts, json, "one JSON object"),
		HS_OPT_PIN_DIR(struct lookup_cli_opts, pin_dir,
			       "maps of the instance to read (default " HS_DEFAULT_PIN_DIR ")"),
		HS_OPT_P0F_DB(struct lookup_cli_opts, db, "p0f fingerprint database for OS labels"),
		{ 0 }
	},
};

/* The positional arguments into client and server (has_server); 0, or -1
 * with one line said. */
static int lookup_args(int argc, char **argv, int first, struct conn_side *client,
		       struct conn_side *server, bool *has_server)
{
	int n = argc - first;

	if (n < 1 || n > 2) {
		pr_warn("lookup: %s (see 'hydrascope lookup -h')", n < 1 ?
			"which connection? CLIENT_IP:PORT expected" : "too many arguments");
		return -1;
	}
	if (conn_side_parse(argv[first], client)) {
		pr_warn("invalid client '%s' (IP:PORT or [IPV6]:PORT, port 1-65535)", argv[first]);
		return -1;
	}
	*has_server = n == 2;
	if (*has_server && conn_side_parse(argv[first + 1], server)) {
		pr_warn("invalid server '%s' (IP:PORT or [IPV6]:PORT, port 1-65535)",
			argv[first + 1]);
		return -1;
	}
	if (*has_server && server->family != client->family) {
		pr_warn("client '%s' and server '%s' are of different address families",
			argv[first], argv[first + 1]);
		return -1;
	}
	return 0;
}

/* The maps lookup reads: conns required (the one line said when missing),
 * the others as they are there. 0 or -errno. */
static int lookup_open(const char *pin_dir, struct conn_maps *m)
{
	int err = hs_pin_open(pin_dir, "conns", &m->conns);

	if (err)
		return err;
	m->flows = hs_pin_get(pin_dir, "flows");
	m->tls = hs_pin_get(pin_dir, "tls_fps");
	m->tcp = hs_pin_get(pin_dir, "tcp_fps");
	m->names = hs_pin_get(pin_dir, "names");
	return conn_maps_sizes(m);
}

static void lookup_close(struct conn_maps *m)
{
	int *fds[] = { &m->conns, &m->flows, &m->tls, &m->tcp, &m->names };
	size_t i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
}

int cmd_lookup(int argc, char **argv)
{
	struct lookup_cli_opts o = { .pin_dir = HS_DEFAULT_PIN_DIR, .db = HS_DEFAULT_P0F_DB };
	struct conn_maps m = { .conns = -1, .flows = -1, .tls = -1, .tcp = -1, .names = -1 };
	struct conn_side client, server;
	char side[CONN_SIDE_TEXT];
	struct conn_info ci;
	bool has_server;
	int first, err, ret;

	first = hs_opts_parse(&lookup_cmd, argc, argv, &o);
	if (first <= 0)
		return hs_opts_exit(first);
	if (lookup_args(argc, argv, first, &client, &server, &has_server))
		return HS_EXIT_USAGE;
	if (p0f_db_open(o.db))
		return HS_EXIT_ERR;
	err = lookup_open(o.pin_dir, &m);
	if (!err)
		err = conn_query(&m, &client, has_server ? &server : NULL, &ci);
	if (err == -ENOENT && m.conns >= 0) {
		conn_side_fmt(&client, side, sizeof(side));
		pr_warn("no record of %s", side);
		ret = HS_EXIT_ERR;
	} else if (err) {
		if (m.conns >= 0)
			pr_warn("Couldn't read the connection records: %s", strerror(-err));
		ret = hs_err_exit(err);
	} else {
		if (o.json)
			json_line(stdout, conn_json(&ci));
		else
			conn_text(&ci, stdout);
		ret = fflush(stdout) ? HS_EXIT_ERR : HS_EXIT_OK;
	}
	lookup_close(&m);
	p0f_db_free();
	return ret;
}
