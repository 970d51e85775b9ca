/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A bounded spool of files in a directory (spool.c): what the fleet sink
 * writes each window and its sender takes, oldest first. A file is written
 * under a temporary name and renamed in whole; past the bound in bytes the
 * oldest go, never the one being sent. Thread-safe.
 */
#ifndef HS_SPOOL_H
#define HS_SPOOL_H

#include <stdbool.h>
#include <stddef.h>

#define SPOOL_NAME_MAX 96
#define SPOOL_SUFFIX ".batch"     /* what the spool holds; anything else is left alone */

struct spool;
/* The spool at dir, made (0700) when missing, where a file's name ends in
 * SPOOL_SUFFIX and sorts by age. The directory must be ours (owned by our
 * user, writable by no one else) and not in use by another process (an
 * exclusive flock, held until spool_close). What a killed writer left
 * half-written goes. NULL with err; *made says whether it was made. */
struct spool *spool_open(const char *dir, size_t max_bytes, bool *made, char *err,
			 size_t errlen);
void spool_close(struct spool *s);
const char *spool_dir(const struct spool *s);

/* A file being written: spool_create gives a temporary file's fd, then
 * spool_commit puts it in (fsync'ed, renamed to name) or spool_abort
 * removes it. */
struct spool_tmp {
	int fd;
	char name[32];
};
int spool_create(struct spool *s, struct spool_tmp *t);   /* 0 or -errno */
/* 0, or -errno (the file removed). *dropped: the oldest files removed to
 * keep the bound, this one last if it alone is over. */
int spool_commit(struct spool *s, struct spool_tmp *t, const char *name, unsigned int *dropped);
void spool_abort(struct spool *s, struct spool_tmp *t);

/* The oldest file: its name, marked busy (never dropped until released);
 * 0, or -1 when there is none. */
int spool_take(struct spool *s, char *name, size_t len);
/* The file name, opened read-only: an fd or -errno. */
int spool_open_file(struct spool *s, const char *name);
enum spool_done {
	SPOOL_KEEP,     /* for another try */
	SPOOL_REMOVE,   /* done with */
	SPOOL_REJECT,   /* renamed NAME.rejected: out of the spool, kept for a look */
};
void spool_release(struct spool *s, const char *name, enum spool_done how);
/* Files and bytes the spool holds. */
void spool_count(struct spool *s, size_t *n, size_t *bytes);

#endif /* HS_SPOOL_H */
