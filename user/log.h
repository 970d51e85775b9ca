/* SPDX-License-Identifier: BSD-3-Clause */
/* Messages and exit codes (log.c). */
#ifndef HS_LOG_H
#define HS_LOG_H

#include <stdarg.h>

/* Exit codes, documented in the man page and README. */
enum {
	HS_EXIT_OK = 0,
	HS_EXIT_ERR = 1,        /* operational error: load, attach, read, I/O */
	HS_EXIT_USAGE = 2,      /* bad command line */
	HS_EXIT_NOPRIV = 3,     /* missing privileges (root / CAP_BPF) */
	HS_EXIT_PARTIAL = 4,    /* input only partly processed (e.g. truncated capture) */
};

extern int hs_verbose;
void pr_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void hs_libbpf_logging(void);
/* Exit code for a failed BPF/privileged operation: NOPRIV for EPERM/EACCES. */
int hs_err_exit(int err);
/* Said after an error of that kind where loading needs privileges. */
#define HS_PRIV_HINT " (needs root, or CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON)"

#endif /* HS_LOG_H */
