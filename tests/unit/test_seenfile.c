// SPDX-License-Identifier: BSD-3-Clause
/*
 * The seen history's file (user/seenfile.c) without a BPF map: written
 * entry by entry, read back and converted to the program clock of the
 * same boot (exact) and of another boot (ages kept, capped at the boot),
 * entries older than the history left out, the newest kept past a bound;
 * and every truncation and every single-byte change of a file refused in
 * one line, nothing returned. The map side is tests/bpf/test_seen.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seenfile.h"
#include "check.h"

#define S 1000000000ULL
#define HISTORY (3600 * S)

static char dir[] = "/tmp/hs-test-seen.XXXXXX";
static char path[sizeof(dir) + 16];

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/t.seen", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

/* "now" on one boot: up 2 hours, in 2026 */
static const struct seen_clock boot_a = {
	.mono_ns = 7200 * S, .real_ns = 1796000000ULL * S,
	.boot_id = { 0xa1, 0xa2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 },
};

static struct hs_seen_key key(__u64 fp, __u8 last_byte)
{
	struct hs_seen_key k = { .fp = fp, .addr = { 192, 0, 2, last_byte } };

	return k;
}

/* n entries, entry i last seen i minutes before now, first 10 minutes
 * before that; written at now. */
static void write_file(const struct seen_clock *now, int n, struct seen_io *io)
{
	struct seen_writer *w;
	int i, err = seen_writer_open(&w, path, now, HISTORY);

	CHECK_INT("writer", "seen_writer_open", 0, err);
	if (err)
		return;
	for (i = 0; i < n; i++) {
		struct hs_seen_key k = key(0x1000 + (__u64)i * 2, (__u8)i);
		struct hs_seen v = { now->mono_ns - (__u64)(i + 10) * 60 * S,
				     now->mono_ns - (__u64)i * 60 * S };

		CHECK_INT("writer", "seen_writer_add", 0, seen_writer_add(w, &k, &v));
	}
	CHECK_INT("writer", "seen_writer_commit", 0, seen_writer_commit(w, io));
}

/* Read path at now: 0 or -1, the entries in *e (freed by the caller). */
static int read_file(const struct seen_clock *now, size_t max, struct seen_entry **e, size_t *n,
		     struct seen_io *io, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY), ret;

	memset(io, 0, sizeof(*io));
	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	ret = seen_read(fd, path, now, HISTORY, max, e, n, io, err, errlen);
	close(fd);
	return ret;
}

static void same_boot_is_exact(void **state)
{
	struct seen_clock later = boot_a;
	struct seen_entry *e = NULL;
	struct seen_io io = { 0 };
	char err[256] = "";
	size_t n = 0, i;
	struct stat st;

	(void)state;
	fails = 0;
	/* 70 entries: the last 10 are 61-69 minutes old, past the history */
	write_file(&boot_a, 70, &io);
	CHECK_INT("save", "records written", 60, io.records);
	CHECK_INT("save", "expired left out", 10, io.expired);
	CHECK_INT("save", "file size (64 + 40 a record)", 64 + 60 * 40, io.bytes);
	CHECK_INT("save", "stat size", 64 + 60 * 40, stat(path, &st) ? -1 : st.st_size);
	CHECK_INT("save", "mode", 0600, st.st_mode & 0777);
	/* loaded 30 s later, the wall clock stepped an hour ahead meanwhile:
	 * the same boot converts with the save's own offset */
	later.mono_ns += 30 * S;
	later.real_ns += 3600 * S;
	CHECK_INT("load", "seen_read", 0, read_file(&later, 1 << 20, &e, &n, &io, err, sizeof(err)));
	CHECK_INT("load", "entries", 60, n);
	CHECK_INT("load", "expired", 0, io.expired);
	CHECK_INT("load", "clamped", 0, io.clamped);
	for (i = 0; i < n && e; i++) {
		/* oldest first: entry 59 first */
		int j = 59 - (int)i;

		CHECK_HEX("load", "key fp (oldest first)", 0x1000 + j * 2, e[i].k.fp);
		CHECK_INT("load", "key address", j, e[i].k.addr[3]);
		CHECK_INT("load", "first_ns exact", boot_a.mono_ns - (__u64)(j + 10) * 60 * S,
			  e[i].v.first_ns);
		CHECK_INT("load", "last_ns exact", boot_a.mono_ns - (__u64)j * 60 * S, e[i].v.last_ns);
	}
	free(e);
	CHECKS_DONE();
}

static void other_boot_keeps_ages(void **state)
{
	/* rebooted: up 20 minutes, 5 minutes after the save */
	struct seen_clock reboot = { .mono_ns = 1200 * S, .real_ns = boot_a.real_ns + 300 * S,
				     .boot_id = { 0xb1 } };
	struct seen_entry *e = NULL;
	struct seen_io io;
	char err[256] = "";
	size_t n = 0, i;

	(void)state;
	fails = 0;
	write_file(&boot_a, 60, &io);
	CHECK_INT("reboot", "seen_read", 0, read_file(&reboot, 1 << 20, &e, &n, &io, err, sizeof(err)));
	/* ages grew by 5 minutes: 55..59 minutes old are now past the history */
	CHECK_INT("reboot", "entries", 55, n);
	CHECK_INT("reboot", "expired", 5, io.expired);
	for (i = 0; i < n && e; i++) {
		int j = e[i].k.addr[3];         /* ties (clamped times) in any order */
		__u64 age_last = (__u64)(j + 5) * 60 * S, age_first = age_last + 600 * S;
		__u64 want_last = age_last < reboot.mono_ns ? reboot.mono_ns - age_last : 1;
		__u64 want_first = age_first < reboot.mono_ns ? reboot.mono_ns - age_first : 1;

		CHECK_INT("reboot", "an entry within the history", 1, j < 55);
		CHECK_INT("reboot", "oldest first", 1, !i || e[i - 1].v.last_ns <= e[i].v.last_ns);
		CHECK_INT("reboot", "last_ns: now - age, or the boot's start", want_last,
			  e[i].v.last_ns);
		CHECK_INT("reboot", "first_ns: now - age, or the boot's start", want_first,
			  e[i].v.first_ns);
	}
	/* first times before the boot: ages 15 minutes and more (j >= 5) */
	CHECK_INT("reboot", "clamped", 50, io.clamped);
	free(e);
	CHECKS_DONE();
}

static void newest_kept_past_max(void **state)
{
	struct seen_entry *e = NULL;
	struct seen_io io;
	char err[256] = "";
	size_t n = 0, i;

	(void)state;
	fails = 0;
	write_file(&boot_a, 50, &io);
	CHECK_INT("max 7", "seen_read", 0, read_file(&boot_a, 7, &e, &n, &io, err, sizeof(err)));
	CHECK_INT("max 7", "entries", 7, n);
	CHECK_INT("max 7", "over", 43, io.over);
	for (i = 0; i < n && e; i++)
		CHECK_INT("max 7", "the newest, oldest first", 6 - (int)i, e[i].k.addr[3]);
	free(e);
	CHECKS_DONE();
}

static void clock_back_clamps_to_now(void **state)
{
	struct seen_clock back = boot_a;
	struct seen_entry *e = NULL;
	struct seen_io io;
	char err[256] = "";
	size_t n = 0, i;

	(void)state;
	fails = 0;
	write_file(&boot_a, 3, &io);
	/* another boot, and the wall clock 2 minutes behind the save's */
	back.boot_id[0] = 0xc1;
	back.real_ns -= 120 * S;
	CHECK_INT("clock back", "seen_read", 0, read_file(&back, 100, &e, &n, &io, err, sizeof(err)));
	CHECK_INT("clock back", "entries", 3, n);
	for (i = 0; i < n && e; i++) {
		int j = e[i].k.addr[3];

		/* entry j was j minutes old, the clock now 2 minutes behind */
		CHECK_INT("clock back", "last: now, never ahead of it", back.mono_ns, e[i].v.last_ns);
		CHECK_INT("clock back", "first: its age less 2 minutes",
			  back.mono_ns - (__u64)(j + 8) * 60 * S, e[i].v.first_ns);
	}
	free(e);
	CHECKS_DONE();
}

static void bytes_of(void *buf, size_t *len)
{
	int fd = open(path, O_RDONLY);
	ssize_t k = fd < 0 ? -1 : read(fd, buf, *len);

	if (fd >= 0)
		close(fd);
	if (k < 0)
		fail_msg("reading %s: %s", path, strerror(errno));
	*len = (size_t)k;
}

static void put_bytes(const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		fail_msg("writing %s: %s", path, strerror(errno));
	close(fd);
}

/* A file refused: -1, nothing returned, one line naming the file. */
static void expect_refused(const char *desc, const char *why)
{
	struct seen_entry *e = (void *)1;
	struct seen_io io;
	char err[256] = "";
	size_t n = 99;
	int ret = read_file(&boot_a, 100, &e, &n, &io, err, sizeof(err));

	CHECK_INT(desc, "seen_read", -1, ret);
	CHECK_INT(desc, "entries returned", 0, n);
	CHECK_INT(desc, "entry array", 1, e == NULL);
	CHECK_INT(desc, "message starts with the path", 0, strncmp(err, path, strlen(path)));
	CHECK_INT(desc, "message is one line", 1, strchr(err, '\n') == NULL && err[0]);
	if (why && !strstr(err, why)) {
		note("%s: message: expected \"%s\" in it, got \"%s\"", desc, why, err);
		fails++;
	}
	if (ret == 0)
		free(e);
}

static void truncated_and_corrupt_refused(void **state)
{
	static __u8 good[64 + 5 * 40], bad[sizeof(good) + 1];
	size_t len = sizeof(good), cut, off;
	struct seen_io io;
	char desc[64];
	__u32 v;

	(void)state;
	fails = 0;
	write_file(&boot_a, 5, &io);
	bytes_of(good, &len);
	CHECK_INT("corrupt", "file size", 64 + 5 * 40, len);
	for (cut = 0; cut < len; cut++) {
		put_bytes(good, cut);
		snprintf(desc, sizeof(desc), "cut to %zu bytes", cut);
		expect_refused(desc, cut < 64 ? "truncated" : "truncated or padded");
	}
	memcpy(bad, good, len);
	bad[len] = 0;
	put_bytes(bad, len + 1);
	expect_refused("one byte more", "truncated or padded");
	for (off = 0; off < len; off++) {
		memcpy(bad, good, len);
		bad[off] ^= 0x5a;
		put_bytes(bad, len);
		snprintf(desc, sizeof(desc), "byte %zu changed", off);
		expect_refused(desc, NULL);
	}
	memcpy(bad, good, len);
	memcpy(bad + 52, "\1\2\3\4\5\6\7\10\11\12\13\14", 12);   /* boot id: in the CRC */
	put_bytes(bad, len);
	expect_refused("boot id changed", "checksum");
	memcpy(bad, good, len);
	v = __builtin_bswap32(SEEN_FILE_MAGIC);
	memcpy(bad, &v, 4);
	put_bytes(bad, len);
	expect_refused("another byte order", "another byte order");
	memcpy(bad, good, len);
	bad[4] = 2;
	put_bytes(bad, len);
	expect_refused("version 2", "version 2");
	put_bytes("{\"format\":\"hydrascope-detector-state\"}\n", 38);
	expect_refused("a detector state file", "not a seen history file");
	put_bytes(good, len);
	{
		struct seen_entry *e = NULL;
		size_t n = 0;
		char err[256];

		CHECK_INT("the good file again", "seen_read", 0,
			  read_file(&boot_a, 100, &e, &n, &io, err, sizeof(err)));
		CHECK_INT("the good file again", "entries", 5, n);
		free(e);
	}
	CHECKS_DONE();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_boot_is_exact),
		cmocka_unit_test(other_boot_keeps_ages),
		cmocka_unit_test(newest_kept_past_max),
		cmocka_unit_test(clock_back_clamps_to_now),
		cmocka_unit_test(truncated_and_corrupt_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
