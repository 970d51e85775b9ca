/* SPDX-License-Identifier: BSD-3-Clause */
/* p0f v3 signatures rendered from a SYN's features (p0f.c). */
#ifndef HS_P0F_H
#define HS_P0F_H

#include <stddef.h>

#include "hydrascope.h"

/* Render the p0f v3 raw_sig; returns the length written (truncated at len). */
int p0f_render(const struct hs_tcp_sig *s, char *buf, size_t len);
/* The same with the TTL as its initial value and no distance ("4:64:0:...",
 * p0f's database form): what one OS stack looks like at any distance. */
int p0f_render_stack(const struct hs_tcp_sig *s, char *buf, size_t len);

#endif /* HS_P0F_H */
