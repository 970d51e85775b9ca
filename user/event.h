/* SPDX-License-Identifier: BSD-3-Clause */
/* Records of the events ring buffer, checked and rendered (event.c). */
#ifndef HS_EVENT_H
#define HS_EVENT_H

#include <stddef.h>
#include <netinet/in.h>

#include "hydrascope.h"
#include "ja4.h"

/* A record of the events ring buffer, rendered. */
struct ev_text {
	__u32 type;                                 /* enum hs_event_type */
	__u64 ts_ns, fp_id;
	struct hs_endpoints ep;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	/* a SYN */
	char tcp_sig[256];                          /* p0f raw_sig */
	const char *os;                             /* its p0f label, "" if none */
	/* a ClientHello */
	__u64 tcp_id;                               /* 0: its SYN was not seen */
	__u32 segments;
	char ja4[64], ja4_r[HS_JA4_R_TEXT], ja3[33], ja3_r[HS_JA3_R_TEXT];
	char sni[HS_SNI_TEXT], alpn[HS_ALPN_TEXT];
	int inexact;                                /* a list longer than kept: JA4 inexact */
	/* a ClientHello not fingerprinted (HS_EV_TLS_UNFP): ja4 is its
	 * population's name, this the reason (NULL otherwise) */
	const char *unfp;
};
/* Check and render the record data of len bytes: 0; -1 too short or of
 * an unknown type; -2 a ClientHello whose lists do not render. */
int event_read(const void *data, size_t len, struct ev_text *e);

#endif /* HS_EVENT_H */
