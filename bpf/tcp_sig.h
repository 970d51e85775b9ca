/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Extract the p0f v3 signature features of a client SYN. The rules follow
 * p0f 3.09b's packet parser (process.c) so that userspace renders the same
 * raw_sig as `p0f -r`, quirks and option-walk edge cases included.
 */
#ifndef HS_TCP_SIG_H
#define HS_TCP_SIG_H

#include <bpf/bpf_helpers.h>
#include "parsing.h"
#include "maps.h"          /* syn_walk */
#include "optwalk.h"

#define TCPOPT_EOL_K    0
#define TCPOPT_NOP_K    1
#define TCPOPT_MSS_K    2
#define TCPOPT_WS_K     3
#define TCPOPT_SACKOK_K 4
#define TCPOPT_SACK_K   5
#define TCPOPT_TS_K     8

INLINE __u32 be32_at(const __u8 *buf, __u32 i)
{
	return ((__u32)OB(i) << 24) | ((__u32)OB(i + 1) << 16) |
	       ((__u32)OB(i + 2) << 8) | OB(i + 3);
}

/* IP-level features and quirks, plus the endpoints; returns the TTL. */
INLINE __u8 sig_ip(const struct pkt *p, struct hs_tcp_sig *s,
		   struct hs_tcp_obs *o, struct hs_endpoints *ep)
{
	__u8 ttl;

	if (p->family == 4) {
		const struct iphdr *iph = p->l3;
		__u16 fo = bpf_ntohs(iph->frag_off);

		s->ip_ver = 4;
		ttl = iph->ttl;
		o->tos = iph->tos;
		o->ip_id = bpf_ntohs(iph->id);
		if (iph->tos & 3)
			s->quirks |= HS_Q_ECN;
		if (fo & IP_MBZ)
			s->quirks |= HS_Q_NZ_MBZ;
		if (fo & IP_DF_BIT) {
			s->quirks |= HS_Q_DF;
			if (iph->id)
				s->quirks |= HS_Q_NZ_ID;
		} else if (!iph->id) {
			s->quirks |= HS_Q_ZERO_ID;
		}
		__builtin_memcpy(ep->saddr, &iph->saddr, 4);
		__builtin_memcpy(ep->daddr, &iph->daddr, 4);
	} else {
		const struct ipv6hdr *ip6 = p->l3;
		__u32 vtf = bpf_ntohl(*(const __be32 *)ip6);

		s->ip_ver = 6;
		ttl = ip6->hop_limit;
		o->tos = (vtf >> 20) & 0xff;
		o->flow_label = vtf & 0xfffff;
		if (o->flow_label)
			s->quirks |= HS_Q_FLOW;
		if (o->tos & 3)
			s->quirks |= HS_Q_ECN;
		ep_addrs6(ep, ip6, 0);
	}
	s->ttl = ttl;
	ep->family = s->ip_ver;
	s->ip_opt_len = p->ip_ext_len > 255 ? 255 : p->ip_ext_len;
	return ttl;
}

/* TCP header quirks (the packet is a SYN without ACK, FIN or RST). */
INLINE void sig_tcp_hdr(const struct pkt *p, struct hs_tcp_sig *s,
			struct hs_endpoints *ep)
{
	const struct tcphdr *t = p->tcp;
	const __u8 *fl = (const __u8 *)t + TCP_FLAGS_OFF;
	const __u8 *doff_rsvd = (const __u8 *)t + TCP_DOFF_OFF;

	ep->sport = bpf_ntohs(t->source);
	ep->dport = bpf_ntohs(t->dest);
	s->win = bpf_ntohs(t->window);
	s->tcp_hlen = t->doff * 4;
	if (p->l4_len > s->tcp_hlen)
		s->flags |= HS_SIGF_PAYLOAD;

	if ((*fl & (TH_CWR | TH_ECE)) || (*doff_rsvd & TH_NS))
		s->quirks |= HS_Q_ECN;
	if (!t->seq)
		s->quirks |= HS_Q_ZERO_SEQ;
	/*
	 * p0f 3.09b tests "RD32(ack) & !RST", i.e. bit 0 of the ACK field read
	 * as a host-order word: on little-endian hosts, the low bit of the first
	 * ACK byte. Kept as-is so the signature matches p0f's output.
	 */
	if (((const __u8 *)&t->ack_seq)[0] & 1)
		s->quirks |= HS_Q_NZ_ACK;
	if (*fl & TH_URG)
		s->quirks |= HS_Q_URG;
	else if (t->urg_ptr)
		s->quirks |= HS_Q_NZ_URG;
	if (*fl & TH_PUSH)
		s->quirks |= HS_Q_PUSH;
}

enum { STEP_MORE = 0, STEP_END = 1, STEP_BAD = 2 };

/* Consume one option at *pp (*np options so far) into sig and obs:
 * STEP_MORE, or STEP_END / STEP_BAD when done. An EOL ends the walk at
 * once (STEP_END, w->eol set): its padding is judged after the loop
 * (opt_eol). The position and the count stay in registers from step to
 * step (hs_tcp_opts_walk); the options' length is read back from w, a map
 * value, at each step's start (RD32, consts.h: its checks in one step do
 * not narrow it in the next), and sig and obs are the walk's arguments
 * (memory to the verifier: their fields not known from step to step). */
INLINE int opt_step(struct optwalk *w, struct hs_tcp_sig *sig, struct hs_tcp_obs *obs,
		    __u32 *pp, __u32 *np)
{
	__u8 *buf = w->buf, kind, l;
	__u32 pos = *pp, i = *np, olen = RD32(w->olen);

	if (olen > HS_TCP_OPT_BYTES)
		return STEP_BAD;
	if (pos >= olen)
		return STEP_END;
	if (i >= HS_TCP_MAX_OPTS)
		return STEP_BAD;  /* p0f records 24 options, the rest is "bad" */
	kind = OB(pos);
	sig->opt_layout[i] = kind;
	*np = i + 1;
	pos++;

	switch (kind) {
	case TCPOPT_EOL_K:
		sig->opt_eol_pad = olen - pos;
		*pp = pos;
		w->eol = 1;
		return STEP_END;
	case TCPOPT_NOP_K:
		break;
	case TCPOPT_MSS_K:
		if (pos + 3 > olen)
			return STEP_BAD;
		if (OB(pos) != 4)
			sig->quirks |= HS_Q_OPT_BAD;
		sig->mss = (OB(pos + 1) << 8) | OB(pos + 2);
		pos += 3;
		break;
	case TCPOPT_WS_K:
		if (pos + 2 > olen)
			return STEP_BAD;
		if (OB(pos) != 3)
			sig->quirks |= HS_Q_OPT_BAD;
		sig->wscale = OB(pos + 1);
		if (sig->wscale > 14)
			sig->quirks |= HS_Q_EXWS;
		pos += 2;
		break;
	case TCPOPT_SACKOK_K:
		if (pos + 1 > olen)
			return STEP_BAD;
		if (OB(pos) != 2)
			sig->quirks |= HS_Q_OPT_BAD;
		pos += 1;
		break;
	case TCPOPT_TS_K:
		if (pos + 9 > olen)
			return STEP_BAD;
		if (OB(pos) != 10)
			sig->quirks |= HS_Q_OPT_BAD;
		obs->ts1 = be32_at(buf, pos + 1);
		obs->ts2 = be32_at(buf, pos + 5);
		/* p0f keeps the last timestamp's ts1 for its mss - 12 test */
		if (obs->ts1) {
			sig->flags |= HS_SIGF_TS1;
		} else {
			sig->flags &= ~HS_SIGF_TS1;
			sig->quirks |= HS_Q_ZERO_TS1;
		}
		if (obs->ts2)
			sig->quirks |= HS_Q_NZ_TS2;
		pos += 9;
		break;
	default:
		/* length-prefixed; SACK must be 10..34, others 2..40 */
		if (pos == olen)
			return STEP_BAD;
		l = OB(pos);
		if (kind == TCPOPT_SACK_K ? (l < 10 || l > 34) : (l < 2 || l > 40))
			return STEP_BAD;
		if (pos - 1 + l > olen)
			return STEP_BAD;
		pos += l - 1;
		break;
	}
	*pp = pos;
	return pos >= olen ? STEP_END : STEP_MORE;
}

/* After an EOL at w->pos - 1: p0f stops at the first non-zero pad byte
 * and flags it unless that byte was the last one. */
INLINE void opt_eol(struct optwalk *w, struct hs_tcp_sig *sig)
{
	__u8 *buf = w->buf;
	__u32 pos = RD32(w->pos), olen = RD32(w->olen), j;

	if (olen > HS_TCP_OPT_BYTES)
		return;
#pragma clang loop unroll(disable)
	for (j = 0; j < HS_TCP_OPT_BYTES; j++) {
		if (pos + j >= olen)
			break;
		if (OB(pos + j)) {
			if (pos + j + 1 != olen)
				sig->quirks |= HS_Q_OPT_EOL;
			break;
		}
	}
}

/* Little-endian words of option bytes (the first byte the lowest), to
 * compare 8 or 4 bytes of the packet at once. */
#define LE4(a, b, c, d) ((__u32)(a) | (__u32)(b) << 8 | (__u32)(c) << 16 | (__u32)(d) << 24)
#define LE8(a, b, c, d, e, f, g, h) ((__u64)LE4(a, b, c, d) | (__u64)LE4(e, f, g, h) << 32)
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "opt_template: little-endian words");

INLINE __u32 be32_pkt(const __u8 *o)
{
	return bpf_ntohl(*(const __u32 *)o);
}

/* The timestamp option's values at o (ts1, then ts2) and their quirks, as
 * the general walk sets them for a SYN's only timestamp option. */
INLINE void opt_ts(const __u8 *o, struct hs_tcp_sig *s, struct hs_tcp_obs *obs)
{
	obs->ts1 = be32_pkt(o);
	obs->ts2 = be32_pkt(o + 4);
	if (obs->ts1)
		s->flags |= HS_SIGF_TS1;
	else
		s->quirks |= HS_Q_ZERO_TS1;
	if (obs->ts2)
		s->quirks |= HS_Q_NZ_TS2;
}

/* A template's option kinds (kinds: up to 8, the first the lowest byte)
 * into s; returns the start of its ids' chain (hs_tcp_ids_head), which
 * they alone make (its words 1 and 2: the kinds from the fifth on, then
 * zeros): a constant for a constant kinds. */
INLINE __u64 opt_kinds(struct hs_tcp_sig *s, __u8 cnt, __u64 kinds)
{
	s->opt_cnt = cnt;
	__builtin_memcpy(s->opt_layout, &kinds, sizeof(kinds));
	return hs_tcp_ids_head(kinds >> 32, 0);
}

INLINE void opt_mss_ws(__u16 mss, __u8 ws, struct hs_tcp_sig *s)
{
	s->mss = mss;
	s->wscale = ws;
	if (ws > 14)
		s->quirks |= HS_Q_EXWS;
}

/*
 * The option layouts nearly every SYN has, each recognised whole by a few
 * masked 8-byte compares of the packet's bytes and its values read in
 * place: what the general walk would find for them, without its copy, its
 * loop and its calls. 1 if one fitted (sig and obs filled, *head the
 * start of the ids' chain, opt_kinds), 0 if not (the general walk's
 * turn). o: the options, olen bytes of them; s->opt_cnt is 0 and the
 * option fields unset on entry.
 *   Linux:        mss, sok, ts, nop, ws                    (20 bytes)
 *   Windows:      mss, nop, ws, nop, nop, sok              (12 bytes)
 *   Apple:        mss, nop, ws, nop, nop, ts, sok, eol+1   (24 bytes)
 * Any other byte (an option's length among them) sends the SYN to the
 * general walk, which judges it (quirks "bad", "opt+" and the like).
 */
INLINE int opt_template(const __u8 *o, void *end, __u32 olen, struct hs_tcp_sig *s,
			struct hs_tcp_obs *obs, __u64 *head)
{
	__u64 w0, w1;

	if (olen == 20) {
		if ((void *)(o + 20) > end)
			return 0;
		w0 = *(const __u64 *)o;
		if ((w0 & LE8(0xff, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff)) !=
			    LE8(2, 4, 0, 0, 4, 2, 8, 10) ||
		    (*(const __u32 *)(o + 16) & LE4(0xff, 0xff, 0xff, 0)) != LE4(1, 3, 3, 0))
			return 0;
		*head = opt_kinds(s, 5, LE8(TCPOPT_MSS_K, TCPOPT_SACKOK_K, TCPOPT_TS_K,
					    TCPOPT_NOP_K, TCPOPT_WS_K, 0, 0, 0));
		opt_mss_ws((__u16)(o[2] << 8 | o[3]), o[19], s);
		opt_ts(o + 8, s, obs);
		return 1;
	}
	if (olen != 12 && olen != 24)
		return 0;
	if ((void *)(o + 12) > end)
		return 0;
	w0 = *(const __u64 *)o;
	if ((w0 & LE8(0xff, 0xff, 0, 0, 0xff, 0xff, 0xff, 0)) != LE8(2, 4, 0, 0, 1, 3, 3, 0))
		return 0;
	if (olen == 12) {
		if (*(const __u32 *)(o + 8) != LE4(1, 1, 4, 2))
			return 0;
		*head = opt_kinds(s, 6, LE8(TCPOPT_MSS_K, TCPOPT_NOP_K, TCPOPT_WS_K,
					    TCPOPT_NOP_K, TCPOPT_NOP_K, TCPOPT_SACKOK_K, 0, 0));
		opt_mss_ws((__u16)(o[2] << 8 | o[3]), o[7], s);
		return 1;
	}
	if ((void *)(o + 24) > end)
		return 0;
	w1 = *(const __u64 *)(o + 8);
	if ((w1 & 0xffffffffULL) != LE4(1, 1, 8, 10) || *(const __u32 *)(o + 20) != LE4(4, 2, 0, 0))
		return 0;
	*head = opt_kinds(s, 8, LE8(TCPOPT_MSS_K, TCPOPT_NOP_K, TCPOPT_WS_K, TCPOPT_NOP_K,
				    TCPOPT_NOP_K, TCPOPT_TS_K, TCPOPT_SACKOK_K, TCPOPT_EOL_K));
	s->opt_eol_pad = 1;     /* the byte after the EOL, a zero */
	opt_mss_ws((__u16)(o[2] << 8 | o[3]), o[7], s);
	opt_ts(o + 12, s, obs);
	return 1;
}

/*
 * Linux without timestamps (net.ipv4.tcp_timestamps=0): mss, nop, nop,
 * sok, nop, ws (12 bytes), recognised as a template is, but here, where
 * the general walk starts: a fourth layout among the templates changed
 * how clang laid out the SYN's whole path and cost the other SYNs 2-4%
 * (docs/performance.md). 1 if it fitted (sig filled as the walk would).
 */
INLINE int opt_linux_no_ts(struct xdp_md *ctx, __u32 off, struct hs_tcp_sig *s)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	const __u8 *o;

	if (off > 0x3fff)       /* bounded for the verifier; the walk's copy takes any */
		return 0;
	o = data + off;
	if ((void *)(o + 12) > end)
		return 0;
	if ((*(const __u64 *)o & LE8(0xff, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff)) !=
		    LE8(2, 4, 0, 0, 1, 1, 4, 2) ||
	    (*(const __u32 *)(o + 8) & LE4(0xff, 0xff, 0xff, 0)) != LE4(1, 3, 3, 0))
		return 0;
	opt_kinds(s, 6, LE8(TCPOPT_MSS_K, TCPOPT_NOP_K, TCPOPT_NOP_K, TCPOPT_SACKOK_K,
			    TCPOPT_NOP_K, TCPOPT_WS_K, 0, 0));
	opt_mss_ws((__u16)(o[2] << 8 | o[3]), o[11], s);
	return 1;
}

/* The general walk for a SYN no template fits (opt_template), exactly as
 * p0f walks options, in plain bounded loops over a copy of the option
 * bytes in the per-CPU syn_walk, in a global subprogram: verified once,
 * its call paid only by such SYNs; Linux without timestamps first
 * (opt_linux_no_ts), read in place. off: the options' offset in the
 * packet. */
__noinline int hs_tcp_opts_walk(struct xdp_md *ctx, __u32 off, struct hs_tcp_sig *sig,
				struct hs_tcp_obs *obs)
{
	struct optwalk *w;
	__u32 zero = 0, olen, k, pos, n;
	int r = STEP_MORE;

	if (!sig || !obs)
		return 0;
	olen = sig->tcp_hlen - sizeof(struct tcphdr);
	if (olen == 12 && opt_linux_no_ts(ctx, off, sig))
		return 0;
	w = bpf_map_lookup_elem(&syn_walk, &zero);
	if (!w)
		return 0;
	w->eol = 0;
	w->olen = olen;
	if (!olen)
		return 0;
	if (olen > HS_TCP_OPT_BYTES || bpf_xdp_load_bytes(ctx, off, w->buf, olen)) {
		sig->quirks |= HS_Q_OPT_BAD;
		return 0;
	}
	/* the position and the count widened at each step: w->eol (0 while
	 * the walk goes on) read back, unknown to the verifier, added and the
	 * sums masked (no-ops), so that every step starts in the same state
	 * whatever the option before */
	_Static_assert(HS_TCP_MAX_OPTS < 32, "hs_tcp_opts_walk: the count's mask a no-op");
	pos = 0;
	n = 0;
#pragma clang loop unroll(disable)
	for (k = 0; k < HS_TCP_MAX_OPTS + 1; k++) {
		__u32 z;

		WIDEN();
		z = RD32(w->eol);
		pos = (pos + z) & (OPTBUF - 1);
		n = (n + z) & 31;
		r = opt_step(w, sig, obs, &pos, &n);
		if (r != STEP_MORE)
			break;
	}
	sig->opt_cnt = (__u8)n;
	w->pos = pos;
	WIDEN();
	if (r == STEP_END && RD8(w->eol))
		opt_eol(w, sig);
	else if (r != STEP_END)
		sig->quirks |= HS_Q_OPT_BAD;
	return 0;
}

/* The options of a SYN into sig and obs: a template (opt_template), else
 * the general walk (hs_tcp_opts_walk). Returns the start of the ids'
 * chain (hs_tcp_ids_head of sig's words 1 and 2), a template's constant. */
INLINE __u64 sig_tcp_opts(struct xdp_md *ctx, const struct pkt *p, struct hs_tcp_sig *sig,
			  struct hs_tcp_obs *obs)
{
	const __u8 *o = (const __u8 *)(p->tcp + 1);
	__u32 olen = sig->tcp_hlen - sizeof(struct tcphdr);
	const __u64 *sw = (const __u64 *)sig;
	__u64 head;

	if (!olen)
		return hs_tcp_ids_head(0, 0);
	if (opt_template(o, (void *)(long)ctx->data_end, olen, sig, obs, &head))
		return head;
	hs_tcp_opts_walk(ctx, (__u32)((void *)o - (void *)(long)ctx->data), sig, obs);
	return hs_tcp_ids_head(sw[1], sw[2]);
}

#endif /* HS_TCP_SIG_H */
