/* SPDX-License-Identifier: BSD-3-Clause */
/* The seen map's history on disk, for a cold start of run (seenfile.c). */
#ifndef HS_SEENFILE_H
#define HS_SEENFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "hydrascope.h"

/*
 * The file: a header, then `count` records, in host byte order (a file of
 * another byte order reads as foreign). Times are Unix nanoseconds, so that
 * they mean the same after a reboot, when the program clock
 * (CLOCK_MONOTONIC) has started again; the header says which boot and
 * which program-clock instant the save was made at, so that a load on the
 * same boot converts back exactly, whatever the wall clock did meanwhile.
 */
#define SEEN_FILE_MAGIC 0x4e535348u     /* "HSSN" */
#define SEEN_FILE_VERSION 1
struct seen_file_hdr {
	__u32 magic;                    /* SEEN_FILE_MAGIC */
	__u16 version;                  /* SEEN_FILE_VERSION */
	__u16 hdr_size;                 /* 64 */
	__u32 rec_size;                 /* 40 */
	__u32 crc;                      /* CRC-32 (zlib's) of the records, continued
					 * over this header with crc 0 */
	__u64 count;                    /* records */
	__u64 history_s;                /* the saving run's history (informative) */
	__u64 saved_real_ns;            /* Unix time of the save */
	__u64 saved_mono_ns;            /* the program clock at the save */
	__u8  boot_id[16];              /* the boot that clock is of; zero: unknown */
};
struct seen_file_rec {
	struct hs_seen_key k;           /* as the map's key */
	__u64 first_real_ns;            /* the value's times, in Unix ns */
	__u64 last_real_ns;
};
_Static_assert(sizeof(struct seen_file_hdr) == 64, "seen file header: 64 bytes");
_Static_assert(sizeof(struct seen_file_rec) == 40, "seen file record: 40 bytes");

/* "Now" in the clocks a save or a load converts between. */
struct seen_clock {
	__u64 mono_ns;                  /* the program clock (CLOCK_MONOTONIC live) */
	__u64 real_ns;                  /* Unix time */
	__u8  boot_id[16];              /* /proc/sys/kernel/random/boot_id; zero: unknown */
};
void seen_clock_now(struct seen_clock *c);

/* What a save or a load did. */
struct seen_io {
	size_t records;                 /* save: written; load: in the file */
	size_t loaded;                  /* load: put in the map */
	size_t expired;                 /* older than the history: left out */
	size_t over;                    /* load: the oldest, past the map's room: its
					 * ways in all, or a full set's (pushed out
					 * by newer entries of the set) */
	size_t clamped;                 /* load: times before this boot's start, set to it */
	size_t bytes;                   /* the file's size */
	bool batched;                   /* the map read or written in batches */
	double ms;                      /* time taken */
};

/* An entry as the map holds it, times in the program clock. */
struct seen_entry {
	struct hs_seen_key k;
	struct hs_seen v;
};

/* Writing a file entry by entry: entries older than history_ns at now
 * are left out. open, add: 0 or -errno; commit: the file replaced whole
 * (afile.h), 0 or -errno; a writer that is not committed is aborted. */
struct seen_writer;
int seen_writer_open(struct seen_writer **w, const char *path, const struct seen_clock *now,
		     __u64 history_ns);
int seen_writer_add(struct seen_writer *w, const struct hs_seen_key *k, const struct hs_seen *v);
int seen_writer_commit(struct seen_writer *w, struct seen_io *io);
void seen_writer_abort(struct seen_writer *w);

/* The entries of the file open as fd (name: for messages), converted to
 * the program clock of now: those within history_ns, at most max (the
 * newest), oldest first (malloc'd, *n of them). 0, or -1 with one line in
 * err saying why (a file truncated, corrupt, foreign or of another
 * version: nothing returned). */
int seen_read(int fd, const char *name, const struct seen_clock *now, __u64 history_ns,
	      size_t max, struct seen_entry **out, size_t *n, struct seen_io *io,
	      char *err, size_t errlen);

/* The seen map (map_fd: the program's array of struct hs_seen_set) to
 * path and back; flags SEEN_NO_BATCH: set by set (what a kernel without
 * the batch operations gets).
 * seen_save: 0 or -errno (path untouched on failure; -EINVAL: not such a
 * map).
 * seen_load: into an empty map, each entry in its set as the program puts
 * it (bpf/seen.h); 0 loaded, 1 no file, -1 rejected with one line in err
 * (path first) and the map left empty. */
#define SEEN_NO_BATCH 1u
int seen_save(int map_fd, const char *path, const struct seen_clock *now, __u64 history_ns,
	      unsigned int flags, struct seen_io *io);
int seen_load(int map_fd, const char *path, const struct seen_clock *now, __u64 history_ns,
	      unsigned int flags, struct seen_io *io, char *err, size_t errlen);
/* Entries of the map (its ways not empty), counted for at most budget_ms
 * milliseconds (0: no limit; every set is read whatever the fill: tens of
 * milliseconds in batches at HS_SEEN_MAX, tests/bench/bench_seen.c): 0 all
 * counted, 1 the budget ran out (*entries: those counted), or -errno. */
int seen_count(int map_fd, unsigned int budget_ms, unsigned int flags, size_t *entries);

#endif /* HS_SEENFILE_H */
