// SPDX-License-Identifier: BSD-3-Clause
/*
 * The spool: a directory of files, each whole (written under a temporary
 * name, fsync'ed, renamed in), listed in memory by name (their names sort
 * by age) with their sizes, so that the bound is kept without a scan.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"

#define TMP_PREFIX ".tmp-"

struct entry {
	char name[SPOOL_NAME_MAX];
	size_t size;
};

struct spool {
	char *dir;
	int fd;                   /* the directory, flock'ed */
	size_t max_bytes;
	pthread_mutex_t mu;
	struct entry *e;          /* sorted by name: oldest first */
	size_t n, cap, bytes;
	char busy[SPOOL_NAME_MAX];   /* spool_take's, until released; "": none */
	unsigned int tmps;
};

static bool is_batch(const char *name)
{
	size_t n = strlen(name), k = strlen(SPOOL_SUFFIX);

	return name[0] != '.' && n > k && n < SPOOL_NAME_MAX && !strcmp(name + n - k, SPOOL_SUFFIX);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

/* Under mu: name in, kept sorted (names are mostly added newest). */
static int add(struct spool *s, const char *name, size_t size)
{
	size_t i;

	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		struct entry *ne = realloc(s->e, cap * sizeof(*ne));

		if (!ne)
			return -ENOMEM;
		s->e = ne;
		s->cap = cap;
	}
	for (i = s->n; i > 0 && strcmp(s->e[i - 1].name, name) > 0; i--)
		s->e[i] = s->e[i - 1];
	snprintf(s->e[i].name, sizeof(s->e[i].name), "%s", name);
	s->e[i].size = size;
	s->n++;
	s->bytes += size;
	return 0;
}

/* Under mu: the entry of name out of the list (the file stays). */
static void drop(struct spool *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n && strcmp(s->e[i].name, name); i++)
		;
	if (i == s->n)
		return;
	s->bytes -= s->e[i].size;
	memmove(&s->e[i], &s->e[i + 1], (s->n - i - 1) * sizeof(*s->e));
	s->n--;
}

/* The files there: batches listed, half-written ones removed. */
static int scan(struct spool *s)
{
	int fd = dup(s->fd), err = 0;
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	struct stat st;

	if (!d) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		return err;
	}
	while ((de = readdir(d)) && !err) {
		if (!strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)))
			unlinkat(s->fd, de->d_name, 0);
		else if (is_batch(de->d_name) &&
			 !fstatat(s->fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) && S_ISREG(st.st_mode))
			err = add(s, de->d_name, (size_t)st.st_size);
	}
	closedir(d);
	if (s->n)
		qsort(s->e, s->n, sizeof(*s->e), by_name);
	return err;
}

/* dir made or found, and ours: its fd, or -1 with err. */
static int dir_open(const char *dir, bool *made, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	*made = mkdir(dir, 0700) == 0;
	if (!*made && errno != EEXIST) {
		snprintf(err, errlen, "Couldn't create the spool '%s': %s", dir, strerror(errno));
		return -1;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "Couldn't open the spool '%s': %s", dir, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || st.st_uid != geteuid() || (st.st_mode & 022)) {
		snprintf(err, errlen, "the spool '%s' is not ours: it must be a directory owned by "
			 "uid %u that no one else may write to", dir, (unsigned int)geteuid());
		close(fd);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		snprintf(err, errlen, "the spool '%s' is in use by another hydrascope", dir);
		close(fd);
		return -1;
	}
	return fd;
}

struct spool *spool_open(const char *dir, size_t max_bytes, bool *made, char *err,
			 size_t errlen)
{
	struct spool *s = calloc(1, sizeof(*s));
	int rc;

	*made = false;
	if (!s || !(s->dir = strdup(dir))) {
		snprintf(err, errlen, "spool: out of memory");
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->mu, NULL);
	s->max_bytes = max_bytes;
	s->fd = dir_open(dir, made, err, errlen);
	if (s->fd < 0) {
		spool_close(s);
		return NULL;
	}
	rc = scan(s);
	if (rc) {
		snprintf(err, errlen, "Couldn't read the spool '%s': %s", dir, strerror(-rc));
		spool_close(s);
		return NULL;
	}
	return s;
}

void spool_close(struct spool *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	pthread_mutex_destroy(&s->mu);
	free(s->e);
	free(s->dir);
	free(s);
}

const char *spool_dir(const struct spool *s)
{
	return s->dir;
}

int spool_create(struct spool *s, struct spool_tmp *t)
{
	pthread_mutex_lock(&s->mu);
	snprintf(t->name, sizeof(t->name), TMP_PREFIX "%d-%u", (int)getpid(), s->tmps++);
	pthread_mutex_unlock(&s->mu);
	t->fd = openat(s->fd, t->name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	return t->fd < 0 ? -errno : 0;
}

void spool_abort(struct spool *s, struct spool_tmp *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	unlinkat(s->fd, t->name, 0);
}

/* Under mu: the oldest files but the busy one removed while over the
 * bound; how many. */
static unsigned int evict(struct spool *s)
{
	unsigned int n = 0;
	size_t i;

	while (s->bytes > s->max_bytes) {
		for (i = 0; i < s->n && !strcmp(s->e[i].name, s->busy); i++)
			;
		if (i == s->n)
			break;
		unlinkat(s->fd, s->e[i].name, 0);
		drop(s, s->e[i].name);
		n++;
	}
	return n;
}

int spool_commit(struct spool *s, struct spool_tmp *t, const char *name, unsigned int *dropped)
{
	struct stat st;
	int err = 0;

	*dropped = 0;
	if (fsync(t->fd) || fstat(t->fd, &st))
		err = -errno;
	if (close(t->fd) && !err)
		err = -errno;
	t->fd = -1;
	pthread_mutex_lock(&s->mu);
	if (!err && renameat(s->fd, t->name, s->fd, name))
		err = -errno;
	if (!err) {
		drop(s, name);      /* the same name again: replaced */
		err = add(s, name, (size_t)st.st_size);
		if (err)
			unlinkat(s->fd, name, 0);
		else
			*dropped = evict(s);
	}
	pthread_mutex_unlock(&s->mu);
	if (err)
		unlinkat(s->fd, t->name, 0);
	return err;
}

int spool_take(struct spool *s, char *name, size_t len)
{
	int rc = -1;

	pthread_mutex_lock(&s->mu);
	if (s->n) {
		snprintf(s->busy, sizeof(s->busy), "%s", s->e[0].name);
		snprintf(name, len, "%s", s->e[0].name);
		rc = 0;
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int spool_open_file(struct spool *s, const char *name)
{
	int fd = openat(s->fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

void spool_release(struct spool *s, const char *name, enum spool_done how)
{
	char aside[SPOOL_NAME_MAX + 16];

	pthread_mutex_lock(&s->mu);
	if (how == SPOOL_REMOVE) {
		unlinkat(s->fd, name, 0);
		drop(s, name);
	} else if (how == SPOOL_REJECT) {
		snprintf(aside, sizeof(aside), "%s.rejected", name);
		renameat(s->fd, name, s->fd, aside);
		drop(s, name);
	}
	s->busy[0] = '\0';   /* over the bound meanwhile: it goes at the next commit */
	pthread_mutex_unlock(&s->mu);
}

void spool_count(struct spool *s, size_t *n, size_t *bytes)
{
	pthread_mutex_lock(&s->mu);
	*n = s->n;
	*bytes = s->bytes;
	pthread_mutex_unlock(&s->mu);
}
