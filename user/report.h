/* SPDX-License-Identifier: BSD-3-Clause */
/* `dump`'s rows: fingerprints merged by name, as a table or JSON (report.c). */
#ifndef HS_REPORT_H
#define HS_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "fps.h"

struct report_opts {
	bool json;
	unsigned long top;        /* 0: all rows */
	int64_t clock_offset;     /* added to program-clock ns to get Unix ns */
};
/* Read the fingerprint maps, merge ids by canonical name, print rows:
 * TCP signatures, then TLS (JA4), then the (JA4, TCP stack) pairs (m->pairs
 * -1: an older layout's pins, no PAIRS table). */
int report(const struct fp_maps *m, const struct report_opts *o);

#endif /* HS_REPORT_H */
