/* SPDX-License-Identifier: BSD-3-Clause */
/* The detector's configuration file (config.c). */
#ifndef HS_CONFIG_H
#define HS_CONFIG_H

#include <stdio.h>

#include "detect.h"

/* The detector's settings: defaults, then the config file (NULL: none),
 * then --min-ips (0: not given); the file's window in *file_window (0:
 * none). -1 with the error printed. */
int det_settings(const char *path, double min_ips, struct det_config *dc,
		 unsigned int *file_window);
/* Read an INI file: [detect] thresholds and window, [allow] ja4 = lines,
 * [allow "JA4"] sections with their own min_ips / growth. dc holds the
 * values to start from (defaults); *window_s is set only when the file
 * sets it. 0, or -1 with one line in err ("FILE:LINE: why"). */
int config_load(const char *path, struct det_config *dc, unsigned int *window_s,
		char *err, size_t errlen);
/* The same from an open file, which path names in err. */
int config_read(FILE *f, const char *path, struct det_config *dc, unsigned int *window_s,
		char *err, size_t errlen);
/* A plain decimal number (digits, optionally one '.' and digits) within
 * [min, max]; 0 or -1. */
int config_number(const char *s, double min, double max, double *out);

#endif /* HS_CONFIG_H */
