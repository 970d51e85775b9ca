// SPDX-License-Identifier: BSD-3-Clause
/*
 * Records of the events ring buffer, checked and rendered: what `run` logs
 * for a new fingerprint and `replay --events` prints for every SYN and
 * ClientHello. A record is whatever bytes the ring buffer hands over: its
 * length and type are checked before any field is read.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "event.h"
#include "ja4.h"
#include "p0f.h"
#include "p0fdb.h"
#include "util.h"

int event_read(const void *data, size_t len, struct ev_text *e)
{
	const struct hs_tls_event *te = data;
	const struct hs_unfp_event *ue = data;
	const struct hs_event *ev = data;
	__u32 type;

	if (len < sizeof(type))
		return -1;
	memcpy(&type, data, sizeof(type));
	memset(e, 0, sizeof(*e));
	e->type = type;
	switch (type) {
	case HS_EV_TCP_NEW:
	case HS_EV_TCP_SYN:
		if (len < sizeof(*ev))
			return -1;
		e->ts_ns = ev->ts_ns;
		e->fp_id = ev->fp_id;
		e->ep = ev->ep;
		p0f_render(&ev->sig, e->tcp_sig, sizeof(e->tcp_sig));
		e->os = p0f_db_label(&ev->sig);
		break;
	case HS_EV_TLS_NEW:
	case HS_EV_TLS_HELLO:
		/* a population's flag on a ClientHello's record: not one */
		if (len < sizeof(*te) || (te->hello.flags & HS_TLSF_UNFP))
			return -1;
		e->ts_ns = te->ts_ns;
		e->fp_id = te->fp_id;
		e->ep = te->ep;
		e->tcp_id = te->tcp_id;
		e->segments = te->segments;
		if (tls_ja4(&te->hello, e->ja4, sizeof(e->ja4), e->ja4_r, sizeof(e->ja4_r)) ||
		    tls_ja3(&te->hello, e->ja3_r, sizeof(e->ja3_r), e->ja3))
			return -2;
		tls_sni(&te->hello, e->sni, sizeof(e->sni));
		tls_alpn(&te->hello, e->alpn, sizeof(e->alpn));
		e->inexact = !!(te->hello.flags & HS_TLSF_OVERFLOW);
		break;
	case HS_EV_TLS_UNFP:
		if (len < sizeof(*ue))
			return -1;
		e->ts_ns = ue->ts_ns;
		e->fp_id = ue->fp_id;
		e->ep = ue->ep;
		e->tcp_id = ue->tcp_id;
		e->unfp = hs_unfp_reason_name(ue->reason);
		snprintf(e->ja4, sizeof(e->ja4), "%s%s", HS_UNFP_PREFIX, e->unfp);
		break;
	default:
		return -1;
	}
	fmt_addr(&e->ep, true, e->src, sizeof(e->src));
	fmt_addr(&e->ep, false, e->dst, sizeof(e->dst));
	return 0;
}
