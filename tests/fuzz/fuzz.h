/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the libFuzzer targets (tests/fuzz/fuzz_*.c) share. Each target feeds
 * arbitrary bytes to one parser of the hydrascope binary, built with
 * AddressSanitizer and UndefinedBehaviorSanitizer; a check that fails
 * aborts, which libFuzzer reports as a crash with the input that did it.
 * tests/fuzz/fuzz.sh runs them (make fuzz, make check).
 */
#ifndef HS_FUZZ_H
#define HS_FUZZ_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


/* A failed check: said on the standard error the process started with
 * (libFuzzer's -close_fd_mask closes the code's own), then a crash. */
static int fuzz_err_fd = 2;
__attribute__((constructor)) static void fuzz_keep_stderr(void)
{
	fuzz_err_fd = dup(2);
}
#define FUZZ_CHECK(cond) do { \
	if (!(cond)) { \
		dprintf(fuzz_err_fd, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

/* The input as a read-only stream, as a loader reads a file. */
static inline FILE *fuzz_file(const uint8_t *data, size_t size)
{
	FILE *f = fmemopen((void *)data, size, "r");

	FUZZ_CHECK(f);
	return f;
}

/* The input as a struct of type T: its first sizeof(T) bytes, zeros after
 * a short input, in an allocation of exactly sizeof(T) so that a read past
 * its end is caught. Free it. */
#define FUZZ_STRUCT(T, data, size) ((T *)fuzz_struct(sizeof(T), data, size))
static inline void *fuzz_struct(size_t n, const uint8_t *data, size_t size)
{
	void *p = calloc(1, n);

	FUZZ_CHECK(p);
	memcpy(p, data, size < n ? size : n);
	return p;
}

/* A rendered string: terminated within its buffer. */
#define FUZZ_TERMINATED(buf) FUZZ_CHECK(memchr((buf), 0, sizeof(buf)))

#endif /* HS_FUZZ_H */
