/* SPDX-License-Identifier: BSD-3-Clause */
/* OS labels from p0f's fingerprint database (p0fdb.c). */
#ifndef HS_P0FDB_H
#define HS_P0FDB_H

#include <stdio.h>

#include "hydrascope.h"

#define HS_DEFAULT_P0F_DB  "/etc/p0f/p0f.fp"

/* Load p0f's fingerprint database; 0 on success, -errno on failure. A file
 * that does not exist is not an error for the default path (no labels). */
int p0f_db_load(const char *path);
/* The same from an open file, which path names in messages. */
int p0f_db_read(FILE *f, const char *path);
/* OS label for a SYN signature ("Linux 3.11 and newer"), or "" if none. */
const char *p0f_db_label(const struct hs_tcp_sig *s);
void p0f_db_free(void);
/* Load the p0f database for labels; -1 (error printed) unless it loaded or
 * is the default one and absent. */
int p0f_db_open(const char *path);

#endif /* HS_P0FDB_H */
