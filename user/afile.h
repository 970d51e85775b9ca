/* SPDX-License-Identifier: BSD-3-Clause */
/* A file replaced whole, never half-written (afile.c). */
#ifndef HS_AFILE_H
#define HS_AFILE_H

/*
 * Written to a temporary file beside path (mkstemp: mode 0600, the same
 * directory, so the rename stays on one filesystem), synced, renamed over
 * path, and the rename synced: a reader finds the old file or the new one,
 * whole, even after a crash or a power cut.
 */
struct afile {
	int fd;                 /* the temporary file's, to write to; -1: none */
	char *tmp;              /* its path */
	const char *path;       /* the file it replaces (the caller's string) */
};
/* The temporary file opened: 0 or -errno (af->fd -1 then). */
int afile_open(struct afile *af, const char *path);
/* All of buf to the temporary file (EINTR retried): 0 or -errno. */
int afile_write(struct afile *af, const void *buf, size_t len);
/* Synced and renamed over path: 0 or -errno, the temporary file removed
 * on failure. Either way af is done with. */
int afile_commit(struct afile *af);
/* The temporary file removed, path untouched. */
void afile_abort(struct afile *af);

#endif /* HS_AFILE_H */
