// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * hydrascope XDP program: fingerprints client SYNs and TLS ClientHellos
 * into per-fingerprint counters and sketches, and hands QUIC Initials to
 * userspace, which hands their ClientHellos back (bpf/quic.h). Fail-open:
 * every path returns XDP_PASS, except, with enforcement loaded in drop
 * mode, the segment that completes a ClientHello whose fingerprint is
 * enforced and the datagrams of a QUIC flow whose ClientHello was.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "hydrascope.h"
#include "consts.h"
#include "globals.h"     /* the settings userspace writes, the clock */
#include "maps.h"
#include "parsing.h"     /* Ethernet to TCP */
#include "flow.h"        /* flow slots, the handshake check */
#include "count.h"       /* fingerprint entries, sketches, events */
#include "reasm.h"       /* ClientHello reassembly: the TLS path */
#include "conn.h"        /* connection records, the sockopt programs */
#include "quic.h"        /* QUIC: Initials to userspace, validation, the hello back */

/*
 * The subprograms for the packets that matter: a client SYN, a SYN-ACK in
 * replay, client data to a TLS port that may be (part of) a ClientHello.
 * Each is global: verified once, not once per way the headers before it
 * were parsed (VLAN tags, IPv6 extensions).
 */

/* A client SYN: its fingerprint, and its flow if to a TLS port. */
__noinline int hs_syn(struct xdp_md *ctx, const struct tcp_at *at)
{
	struct hs_endpoints ep;
	__u64 id, stack = 0, ts = 0, h;
	struct hs_flow *f;
	struct hs_stats *st;
	struct pkt p = {};
	__u32 zero = 0, slot;

	if (!at || pkt_at(ctx, at, &p))
		return 0;
	st = bpf_map_lookup_elem(&stats, &zero);
	if (!st)
		return 0;
	id = count_syn(ctx, st, &p, &ep, &stack, &ts);
	if (!is_tls_port(ep.dport))
		return 0;
	/* a handshake in progress keeps its slot (a retransmitted SYN of the
	 * same connection starts it again) */
	h = flow_hash(&p, 0);
	slot = (__u32)h & (HS_FLOWS_MAX - 1);
	f = slot_surely_held(slot, h, ts) ? NULL : take_slot(slot, &ep, id, stack, ts);
	if (!f) {
		st->c[HS_ST_FLOW_BUSY]++;
		return 0;
	}
	f->isn = bpf_ntohl(p.tcp->seq);
	f->flags = HS_FLOWF_SYN;
	f->state = HS_FLOW_SYN;
	flow_tag(slot, HS_FLOW_TAG_OWNER | hs_flow_tag_bits(h));    /* hs_flow_tag_of(f) */
	flow_since_set(slot, HS_FLOW_SYN, ts);
	return 0;
}

/* A SYN-ACK of a replayed capture (see record_synack). */
__noinline int hs_synack(struct xdp_md *ctx, const struct tcp_at *at)
{
	struct pkt p = {};

	if (at && !pkt_at(ctx, at, &p))
		record_synack(&p);
	return 0;
}

/* Client data to a TLS port that may matter (see handle): to the TLS
 * path; the packet's verdict. */
__noinline int hs_data(struct xdp_md *ctx, const struct tcp_at *at)
{
	struct hs_stats *st;
	struct pkt p = {};
	struct seg sg;
	__u32 zero = 0, hlen;

	if (!at || pkt_at(ctx, at, &p))
		return XDP_PASS;
	st = bpf_map_lookup_elem(&stats, &zero);
	if (!st)
		return XDP_PASS;
	hlen = p.tcp->doff * 4;
	sg.slot = at->slot & (HS_FLOWS_MAX - 1);
	endpoints(&p, &sg.ep, 0);
	if (bench_vary_src)
		bench_new_src(&sg.ep, st->c[HS_ST_PACKETS]);
	/* a SYN's payload (TCP Fast Open) starts after the SYN's own number */
	sg.syn = !!(((__u8 *)p.tcp)[TCP_FLAGS_OFF] & TH_SYN);
	sg.seq = bpf_ntohl(p.tcp->seq) + sg.syn;
	sg.ack = bpf_ntohl(p.tcp->ack_seq);
	sg.off = (at->tcp_off & PKT_OFF_MASK) + hlen;
	sg.plen = p.l4_len - hlen;
	sg.looks = at->looks;
	sg.lost = 0;
	sg.rslot = 0;
	if (tls_data(ctx, st, &sg) == XDP_DROP)
		return XDP_DROP;        /* an enforced ClientHello: walked, never lost */
	if (sg.lost) {
		/* given up on, its connection validated: its flow (when it has
		 * one, which a validated one does but without the check) says
		 * the ids of its SYN */
		struct hs_flow *f = flow_of(sg.slot, &sg.ep);

		hs_count_unfp(&sg.ep, f ? f->tcp_id : 0, f ? f->stack_id : 0, sg.lost);
	}
	return XDP_PASS;
}

/* Where the parse found a packet's headers, for a global subprogram. */
INLINE void at_of(const struct pkt *p, void *data, struct tcp_at *at)
{
	at->l3_off = p->l3 - data;
	at->tcp_off = (void *)p->tcp - data;
	at->l4_len = p->l4_len;
	at->ext_len = p->ip_ext_len;
	at->src_lo = p->src_lo;
	at->dst_lo = p->dst_lo;
	at->family = p->family;
}

/* A UDP datagram (see handle): to a QUIC port, to hs_quic, but for a
 * short header (1-RTT: most of a QUIC connection's datagrams), which stops
 * here unless flows may be dropped; from a QUIC port in replay, the
 * capture's server (its connection ID, as the egress program reads it
 * live); any other, a counter, and one more for what looks like a
 * client's Initial (QUIC on a port --quic-ports does not name). Its
 * verdict. */
INLINE int udp_datagram(struct xdp_md *ctx, struct hs_stats *st, const struct pkt *p, void *data,
			void *end)
{
	const __u8 *pl = (const __u8 *)(p->udp + 1);
	struct tcp_at at;

	if (!is_quic_port(bpf_ntohs(p->udp->dest))) {
		if (clock_mode == HS_CLOCK_REPLAY && is_quic_port(bpf_ntohs(p->udp->source))) {
			at_of(p, data, &at);
			hs_quic_server(ctx, &at);
		} else {
			if (udp_tunnel(bpf_ntohs(p->udp->dest))) {
				st->c[HS_ST_TUNNELED]++;
				return XDP_PASS;
			}
			st->c[HS_ST_NON_TCP]++;
			if (quic_ports[0] && !is_quic_port(bpf_ntohs(p->udp->source)) &&
			    quic_initial_like(pl, p->l4_len - sizeof(struct udphdr), end))
				st->c[HS_ST_QUIC_OTHER_PORT]++;
		}
		return XDP_PASS;
	}
	if (enforce_mode != HS_ENF_DROP && p->l4_len > sizeof(struct udphdr) &&
	    (void *)(pl + 1) <= end && !(pl[0] & QH_LONG)) {
		st->c[HS_ST_QUIC_SHORT_HEADER]++;
		return XDP_PASS;
	}
	at_of(p, data, &at);
	return hs_quic(ctx, &at) == XDP_DROP ? XDP_DROP : XDP_PASS;
}

/* Every packet, live or replayed: its verdict. l3 and drop, constants
 * (the entry's: see hs_xdp): the packets start at their IP header; the
 * program is loaded for enforcement in drop mode (enforce_mode). */
INLINE int handle(struct xdp_md *ctx, const int l3, const int drop)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct tcp_at at;
	struct pkt p = {};
	struct hs_stats *st;
	struct hs_flow *f;
	const __u8 *pl;
	__u32 zero = 0, hlen;
	__u8 flags;
	int r;

	st = bpf_map_lookup_elem(&stats, &zero);
	if (!st)
		return XDP_PASS;
	st->c[HS_ST_PACKETS]++;

	r = parse_packet(data, end, (__u32)(end - data), &p, ctx, l3);
	if (r == PARSE_UDP)
		return udp_datagram(ctx, st, &p, data, end);
	if (r) {
		count_reason(st, r);
		return XDP_PASS;
	}
	flags = ((__u8 *)p.tcp)[TCP_FLAGS_OFF];
	at_of(&p, data, &at);
	if (TCP_IS_SYN(flags)) {                /* a client SYN */
		if (flags & (TH_FIN | TH_RST)) {        /* as p0f, ignore */
			st->c[HS_ST_SYN_BAD_FLAGS]++;
			return XDP_PASS;
		}
		/* TCP Fast Open: the connection's first bytes on its SYN, on to
		 * the data path (the flag kept in at, not in a register the call
		 * would spill) */
		at.looks = p.l4_len > p.tcp->doff * 4u;
		hs_syn(ctx, &at);
		if (!at.looks)
			return XDP_PASS;
	} else {
		if (TCP_IS_SYNACK(flags)) {
			/* live, the server's own leave through the egress program;
			 * one arriving here is not ours to trust */
			if (clock_mode == HS_CLOCK_REPLAY)
				hs_synack(ctx, &at);
			return XDP_PASS;
		}
		if ((flags & (TH_SYN | TH_RST)) || p.l4_len <= p.tcp->doff * 4u)  /* not data */
			return XDP_PASS;
	}
	hlen = p.tcp->doff * 4;
	pl = (const __u8 *)p.tcp + hlen;
	at.looks = payload_looks_tls(pl, p.l4_len - hlen, end);
	if (!is_tls_port(bpf_ntohs(p.tcp->dest))) {
		if (at.looks == LOOKS_HELLO && (void *)(pl + (TLS_REC_HDR + 1)) <= end &&
		    pl[TLS_REC_HDR] == TLS_HS_CLIENT_HELLO)
			st->c[HS_ST_TLS_OTHER_PORT]++;
		return XDP_PASS;
	}
	at.slot = flow_slot(&p, 0);
	/* the bytes of a ClientHello dropped, sent again: a call only when a
	 * hello of the port's was dropped in the slot's set */
	if (drop && dropped_port(at.slot, bpf_ntohs(p.tcp->source)) &&
	    hs_redrop(ctx, &at) == XDP_DROP)
		return XDP_DROP;
	if (at.looks != LOOKS_HELLO) {
		/* the common case, data on an established flow: one array read,
		 * here, before any call */
		f = bpf_map_lookup_elem(&flows, &at.slot);
		if (!f || !f->state || f->state == HS_FLOW_DONE)
			return XDP_PASS;
	} else if (handshake_check != HS_CHECK_NONE && unval_spent(&zero) &&
		   hs_hello_no_handshake(at.slot, p.src_lo, p.dst_lo, *(const __u32 *)p.tcp,
					 p.family == 6)) {
		/* a ClientHello with no handshake in progress in its slot: its
		 * SYN was not seen (a spoofed flood's, mostly); past the window's
		 * sample it costs a counter (and, mostly, not even a read of the
		 * slot: its tag), here, before any call */
		st->c[HS_ST_HELLO_NO_SYN]++;
		return XDP_PASS;
	}
	return hs_data(ctx, &at) == XDP_DROP ? XDP_DROP : XDP_PASS;
}

/*
 * The XDP program, in four entries of which `run` loads the one for its
 * interface and mode (hs_set_link_l3, hs_set_enforce): hs_xdp for an
 * Ethernet interface, _l3 for one without a link header (tun, WireGuard,
 * PPP, IP tunnels: packets start at their IP header), _drop with
 * enforcement in drop mode. Each is handle() with its two constants, so
 * that a data packet's path holds no test of either (one each cost it
 * ~5%). xdp.frags: a frame of several buffers (jumbo frames) comes whole,
 * its headers in the first; the payload is read with bpf_xdp_load_bytes.
 */
SEC("xdp.frags")
int hs_xdp(struct xdp_md *ctx)
{
	return handle(ctx, 0, 0);
}

SEC("xdp.frags")
int hs_xdp_l3(struct xdp_md *ctx)
{
	return handle(ctx, 1, 0);
}

SEC("xdp.frags")
int hs_xdp_drop(struct xdp_md *ctx)
{
	return handle(ctx, 0, 1);
}

SEC("xdp.frags")
int hs_xdp_l3_drop(struct xdp_md *ctx)
{
	return handle(ctx, 1, 1);
}

/* The same path for replay's frames (Ethernet: replay gives raw IP
 * captures a link header; no enforcement: it is live only): a global
 * subprogram, verified once and called per frame of a batch. */
__noinline int hs_packet(struct xdp_md *ctx)
{
	return handle(ctx, 0, 0);
}


/* Frame i of replay_frames made the packet (its length, then its bytes)
 * and run through hs_packet with its capture time as the clock; its
 * verdict into its slot, HS_REPLAY_NOT_RUN if the packet cannot hold it.
 * A global subprogram: verified once, not once per frame of the loop. */
__noinline int hs_replay_one(struct xdp_md *ctx, __u32 i)
{
	struct hs_replay_frame *fr = bpf_map_lookup_elem(&replay_frames, &i);
	__u32 len;
	int have;

	if (!fr)
		return -1;
	len = fr->len;
	fr->verdict = HS_REPLAY_NOT_RUN;
	if (len < ETH_HLEN || len > HS_REPLAY_FRAME)
		return 0;
	have = (int)bpf_xdp_get_buff_len(ctx);
	if (bpf_xdp_adjust_tail(ctx, (int)len - have) ||
	    bpf_xdp_store_bytes(ctx, 0, fr->data, len))
		return 0;
	replay_now_ns = fr->ts_ns;
	fr->verdict = (__u32)hs_packet(ctx);
	return 0;
}

/*
 * Replay: the first replay_n frames of replay_frames, each in turn through
 * the very path hs_xdp runs (see hs_replay_one). One system call for a
 * batch, not one per packet.
 */
SEC("xdp")
int hs_replay(struct xdp_md *ctx)
{
	__u32 i;

	for (i = 0; i < HS_REPLAY_BATCH && i < replay_n; i++)
		if (hs_replay_one(ctx, i))
			break;
	return XDP_PASS;
}

/*
 * Egress (tc, clsact): the server's SYN-ACKs, so that a ClientHello counts
 * only if its client acknowledged one (see hello_unvalidated), and the
 * connection IDs its QUIC Initials and Handshakes choose, so that a QUIC
 * ClientHello counts only if its client's Handshake carried one (see
 * hs_quic_handshake). Never changes a packet or its fate: TC_ACT_UNSPEC lets
 * the next filter and the default action decide, as if this one were not
 * there.
 */
SEC("tc")
int hs_egress(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct pkt p = {};
	int r = parse_packet(data, end, skb->len, &p, NULL, link_l3);

	if (r == 0 && TCP_IS_SYNACK(((__u8 *)p.tcp)[TCP_FLAGS_OFF]))
		record_synack(&p);
	else if (r == PARSE_UDP && is_quic_port(bpf_ntohs(p.udp->source)))
		quic_server(skb, 1, &p, (__u32)((void *)(p.udp + 1) - data),
			    p.l4_len - sizeof(struct udphdr));
	return TC_ACT_UNSPEC;
}

/*
 * The application's questions (run --sockopt-cgroup): getsockopt and
 * setsockopt at SOL_HYDRASCOPE on its connections (hydrascope/sockopt.h),
 * answered from the connection records; every other option untouched.
 */
SEC("cgroup/getsockopt")
int hs_getsockopt(struct bpf_sockopt *ctx)
{
	return hs_sockopt_get(ctx);
}

SEC("cgroup/setsockopt")
int hs_setsockopt(struct bpf_sockopt *ctx)
{
	return hs_sockopt_set(ctx);
}

/* A tag from userspace (the lookup socket, `lookup --account`), run by
 * BPF_PROG_RUN with a struct hs_tag_req: the same path as setsockopt's. */
SEC("syscall")
int hs_tag(struct hs_tag_req *req)
{
	return hs_tag_run(req);
}

/* A QUIC ClientHello from userspace (it decrypted the Initials the XDP
 * program handed it), run by BPF_PROG_RUN with a struct hs_quic_req: walked
 * and counted as a TCP one is (see hs_quic_hello_run). */
SEC("syscall")
int hs_quic_hello(struct hs_quic_req *req)
{
	return hs_quic_hello_run(req);
}

/* The jiffies and the clock now, for userspace to put the live clock on
 * the ticks (jiffy_ns, jiffy_base_ns): run by BPF_PROG_RUN, the sample in
 * and out as its context. */
SEC("syscall")
int hs_clock(struct hs_clock_sample *s)
{
	s->jiffies = bpf_jiffies64();
	s->ns = bpf_ktime_get_ns();
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
