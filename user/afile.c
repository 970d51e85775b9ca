// SPDX-License-Identifier: BSD-3-Clause
/* Files replaced whole: a temporary file, fsync, rename, fsync of the
 * directory (the detector's state, the seen history). */
#define _GNU_SOURCE  /* asprintf */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "afile.h"

int afile_open(struct afile *af, const char *path)
{
	af->path = path;
	af->fd = -1;
	if (asprintf(&af->tmp, "%s.XXXXXX", path) < 0) {
		af->tmp = NULL;
		return -ENOMEM;
	}
	af->fd = mkostemp(af->tmp, O_CLOEXEC);   /* 0600 */
	if (af->fd < 0) {
		int err = -errno;

		free(af->tmp);
		af->tmp = NULL;
		return err;
	}
	return 0;
}

int afile_write(struct afile *af, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t k;

	while (len) {
		k = write(af->fd, p, len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

/* The rename itself, durable: the directory synced (best effort). */
static void sync_dir(const char *path)
{
	char *dir = strdup(path), *slash;
	int dfd;

	if (!dir)
		return;
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(dir);
}

int afile_commit(struct afile *af)
{
	int err = 0;

	if (fsync(af->fd))
		err = -errno;
	if (close(af->fd) && !err)
		err = -errno;
	af->fd = -1;
	if (!err && rename(af->tmp, af->path))
		err = -errno;
	if (err)
		unlink(af->tmp);
	else
		sync_dir(af->path);
	free(af->tmp);
	af->tmp = NULL;
	return err;
}

void afile_abort(struct afile *af)
{
	if (af->fd >= 0)
		close(af->fd);
	af->fd = -1;
	if (af->tmp)
		unlink(af->tmp);
	free(af->tmp);
	af->tmp = NULL;
}
