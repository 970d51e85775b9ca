// SPDX-License-Identifier: BSD-3-Clause
/* hydrascope: XDP traffic fingerprinter. Subcommand dispatch. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "hydrascope.h"
#include "cmd.h"
#include "log.h"

#ifndef HS_VERSION
#define HS_VERSION "dev"
#endif

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *what;
} cmds[] = {
	{ "run", cmd_run, "attach the XDP program to an interface and collect" },
	{ "dump", cmd_dump, "print the fingerprints a running instance collected" },
	{ "status", cmd_status, "show attachments, map fill levels and health counters" },
	{ "replay", cmd_replay, "feed pcap files through the XDP program offline" },
	{ "top", cmd_top, "live view of the busiest TLS fingerprints and their scores" },
	{ "exporter", cmd_exporter, "serve a running instance's maps to Prometheus" },
	{ "lookup", cmd_lookup, "what a running instance knows of one connection" },
	{ "fleet", cmd_fleet, "the detector over every edge host's windows (PostgreSQL)" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: hydrascope COMMAND [OPTIONS]\n\nCommands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].what);
	fprintf(f, "\n'hydrascope COMMAND -h' shows a command's options; "
		   "'man hydrascope' has the rest.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		pr_warn("no command given (try 'hydrascope -h')");
		return HS_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return HS_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("hydrascope %s (layout %d)\n", HS_VERSION, HS_LAYOUT_VERSION);
		return HS_EXIT_OK;
	}
	opterr = 0;  /* subcommands print their own one-line errors */
	hs_libbpf_logging();
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	pr_warn("unknown command '%s' (try 'hydrascope -h')", argv[1]);
	return HS_EXIT_USAGE;
}
