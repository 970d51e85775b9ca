/* SPDX-License-Identifier: BSD-3-Clause */
/* Reading the fingerprint maps, merged by canonical name (fps.c). */
#ifndef HS_FPS_H
#define HS_FPS_H

#include <stddef.h>

#include "detect.h"

struct fp_reader;
struct fp_reader *fpr_new(enum fp_kind kind);
void fpr_free(struct fp_reader *r);
/* Read the entries of tls_fps or tcp_fps (fd) of generation gen (0 or 1;
 * -1: all), merged by name into rows valid until the next read. */
int fpr_read(struct fp_reader *r, int fd, int gen, struct det_obs **rows, size_t *n);
/* The map keys merged into row i of the last read. */
const __u64 *fpr_keys(const struct fp_reader *r, size_t row, size_t *n);
/* Map entries the last read saw. */
size_t fpr_entries(const struct fp_reader *r);
/* Delete every key the last read saw. */
void fpr_delete(const struct fp_reader *r, int fd);
/* Delete the entries of generation gen (-1: all) without reading them. */
int fps_clear(int fd, int gen);

#endif /* HS_FPS_H */
