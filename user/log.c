// SPDX-License-Identifier: BSD-3-Clause
/* Messages to stderr, one line each, prefixed with the program name. */
#include <errno.h>
#include <stdio.h>
#include <bpf/libbpf.h>

#include "log.h"

int hs_verbose;

/* whole lines: threads (exporter, lookup, the fleet's sender) say theirs
 * too */
static void vlog(const char *prefix, const char *fmt, va_list ap)
{
	flockfile(stderr);
	fprintf(stderr, "hydrascope: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

void pr_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void pr_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void pr_debug(const char *fmt, ...)
{
	va_list ap;

	if (hs_verbose < 1)
		return;
	va_start(ap, fmt);
	vlog("debug: ", fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf explains its own failures; we print ours in one line. Its
	 * detail (verifier log included) shows with -v, everything with -vv. */
	if (level == LIBBPF_DEBUG ? hs_verbose < 2 : hs_verbose < 1)
		return 0;
	fprintf(stderr, "libbpf: ");
	return vfprintf(stderr, fmt, ap);
}

void hs_libbpf_logging(void)
{
	libbpf_set_print(libbpf_print);
}

int hs_err_exit(int err)
{
	if (err < 0)
		err = -err;
	return (err == EPERM || err == EACCES) ? HS_EXIT_NOPRIV : HS_EXIT_ERR;
}
