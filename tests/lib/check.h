/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What every C test shares: cmocka (with the headers it wants before it)
 * and the checks that name the fixture, what was expected and what came.
 * A CHECK_* that does not hold prints a TAP comment and counts in `fails`;
 * CHECKS_DONE() at the end of a test fails it if any did, so one run shows
 * every wrong field, not only the first. A test that starts over sets
 * fails = 0 (in its set-up). cmocka's assert_* stop at the first.
 */
#ifndef HS_TESTS_CHECK_H
#define HS_TESTS_CHECK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

/* not every test uses the CHECK_* macros */
static int fails __attribute__((unused));

/* a TAP comment line */
#define note(fmt, ...) print_message("# " fmt "\n", ##__VA_ARGS__)

#define CHECK_INT(desc, what, want, got) do { \
	long long _w = (long long)(want), _g = (long long)(got); \
	if (_w != _g) { \
		note("%s: %s: expected %lld, got %lld", (desc), (what), _w, _g); \
		fails++; \
	} \
} while (0)

#define CHECK_HEX(desc, what, want, got) do { \
	unsigned long long _w = (want), _g = (got); \
	if (_w != _g) { \
		note("%s: %s: expected %#llx, got %#llx", (desc), (what), _w, _g); \
		fails++; \
	} \
} while (0)

#define CHECK_STR(desc, what, want, got) do { \
	const char *_w = (want), *_g = (got); \
	if (strcmp(_w, _g)) { \
		note("%s: %s: expected \"%s\", got \"%s\"", (desc), (what), _w, _g); \
		fails++; \
	} \
} while (0)

/* Ends a test: fails it if any CHECK above did not hold. */
#define CHECKS_DONE() do { \
	if (fails) \
		fail_msg("%d check(s) failed, see the lines above", fails); \
} while (0)

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

#ifdef _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>

/* The test kept on the CPU it runs on, for a test of the XDP program
 * through BPF_PROG_TEST_RUN: the program's per-CPU state (the memos, the
 * unvalidated hellos' sample, the budgets) is that of the CPU a run
 * happens on, and a test moved midway meets another's (ci76). 0; -1 with
 * a line on stderr naming who. */
static inline int pin_this_cpu(const char *who)
{
	cpu_set_t one;
	int cpu = sched_getcpu();

	CPU_ZERO(&one);
	CPU_SET(cpu >= 0 ? cpu : 0, &one);
	if (!sched_setaffinity(0, sizeof(one), &one))
		return 0;
	fprintf(stderr, "%s: pinning to one CPU: %s\n", who, strerror(errno));
	return -1;
}
#endif

#endif /* HS_TESTS_CHECK_H */
