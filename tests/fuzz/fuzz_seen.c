// SPDX-License-Identifier: BSD-3-Clause
/*
 * libFuzzer: the seen history file (run --state-dir, state-IFACE.seen)
 * read from any bytes, on the boot that saved it and on another. A file
 * either loads whole (entries within the history, at most the bound, the
 * oldest first, first seen never after last seen nor 0) or not at all,
 * with one line; a file that loads is saved again and loads again alike:
 * what a cold start, then a stop, then another cold start do.
 */
#define _GNU_SOURCE   /* memfd_create */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "seenfile.h"

#define S 1000000000ULL
#define HISTORY (3600 * S)
#define MAX 64

static int in_fd = -1;
static char dir[] = "/tmp/hs-fuzz-seen.XXXXXX";
static char path[sizeof(dir) + 16];

static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	in_fd = memfd_create("seen", MFD_CLOEXEC);
	FUZZ_CHECK(in_fd >= 0 && mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.seen", dir);
	atexit(cleanup);
	return 0;
}

static void check_entries(const struct seen_entry *e, size_t n, const struct seen_clock *now)
{
	size_t i;

	FUZZ_CHECK(n <= MAX);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(e[i].v.first_ns >= 1 && e[i].v.first_ns <= e[i].v.last_ns);
		FUZZ_CHECK(e[i].v.last_ns <= now->mono_ns && e[i].v.last_ns + HISTORY > now->mono_ns);
		FUZZ_CHECK(!i || e[i - 1].v.last_ns <= e[i].v.last_ns);
	}
}

static void one(const struct seen_clock *now)
{
	struct seen_entry *e = NULL, *again = NULL;
	struct seen_writer *w;
	struct seen_io io = { 0 };
	size_t n = 99, m = 99, i;
	char err[512];
	int fd;

	if (seen_read(in_fd, "fuzz.seen", now, HISTORY, MAX, &e, &n, &io, err, sizeof(err))) {
		FUZZ_CHECK(!strncmp(err, "fuzz.seen: ", 11) && !strchr(err, '\n'));
		FUZZ_CHECK(!e && n == 0);
		return;
	}
	check_entries(e, n, now);
	FUZZ_CHECK(!seen_writer_open(&w, path, now, HISTORY));
	for (i = 0; i < n; i++)
		FUZZ_CHECK(!seen_writer_add(w, &e[i].k, &e[i].v));
	FUZZ_CHECK(!seen_writer_commit(w, &io) && io.records == n);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(!seen_read(fd, "again", now, HISTORY, MAX, &again, &m, &io, err, sizeof(err)));
	close(fd);
	FUZZ_CHECK(m == n);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(again[i].v.last_ns == e[i].v.last_ns);
	free(again);
	free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the boot of the seeds' saves (tests/fuzz/seeds/fuzz_seen/), ten
	 * minutes later; and another boot, two minutes up */
	struct seen_clock same = { .mono_ns = 4200 * S, .real_ns = 1796000600ULL * S,
				   .boot_id = { 0xa1, 0xa2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
						16 } },
			  other = { .mono_ns = 120 * S, .real_ns = 1796001000ULL * S,
				    .boot_id = { 0xb1 } };

	FUZZ_CHECK(!ftruncate(in_fd, 0) && pwrite(in_fd, data, size, 0) == (ssize_t)size);
	one(&same);
	one(&other);
	return 0;
}
