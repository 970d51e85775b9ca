/* SPDX-License-Identifier: BSD-3-Clause */
/* The TCP option walk's state (tcp_sig.h), a per-CPU map value (maps.h:
 * syn_walk). */
#ifndef HS_OPTWALK_H
#define HS_OPTWALK_H

#include "hydrascope.h"

#define OPTBUF 64       /* power of two >= HS_TCP_OPT_BYTES + 9, for masking */
#define OB(i) buf[(i) & (OPTBUF - 1)]
_Static_assert(HS_IS_POW2(OPTBUF) && OPTBUF >= HS_TCP_OPT_BYTES + 9,
	       "OPTBUF: a power of two past the longest read of an option");

struct optwalk {
	__u8 buf[OPTBUF];               /* option bytes: olen of them */
	__u32 pos;                      /* where the steps stopped (opt_eol's start) */
	__u32 olen;                     /* option bytes in the header */
	__u32 eol;                      /* the walk ended at an EOL (0 until then: the
					 * steps' unknown zero) */
};

#endif /* HS_OPTWALK_H */
