/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet parsing for the XDP program: Ethernet, up to HS_VLAN_MAX VLAN tags
 * (or no link header at all: link_l3), IPv4 with options, IPv6 with a
 * bounded extension-header chain, TCP, and UDP for QUIC (bpf/quic.h). Each
 * step checks its header against data_end before reading it and returns 0
 * or the stats index that says why it stopped (PARSE_UDP: a UDP datagram,
 * not an index).
 */
#ifndef HS_PARSING_H
#define HS_PARSING_H

#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>

#include "hydrascope.h"
#include "consts.h"
#include "globals.h"

#ifndef IP_MF
#define IP_MF     0x2000
#define IP_OFFSET 0x1fff
#endif
#define IP_MBZ    0x8000
#define IP_DF_BIT 0x4000

struct vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

/* parse_packet's answer for a UDP datagram (p->udp set): past every stats
 * index (count_reason ignores it). */
#define PARSE_UDP 0x100

/* What the parse found, for the SYN path. Pointers point into the packet. */
struct pkt {
	void *l3;               /* IPv4 or IPv6 header */
	union {
		struct tcphdr *tcp;
		/* PARSE_UDP: its ports where a TCP header has them, so that
		 * endpoints() and the slot hashes read either */
		struct udphdr *udp;
	};
	__u32 l4_len;           /* TCP header + payload, per the IP length fields */
	__u16 ip_ext_len;       /* IPv4 option bytes or IPv6 extension bytes */
	__u32 src_lo;           /* the source address (IPv4), its last word (IPv6) */
	__u32 dst_lo;           /* the same of the destination */
	/* 4 or 6, alone in its 8 bytes: the verifier then keeps the constant
	 * a subprogram reads it as (which header length was checked) */
	__u64 family;
};

/* Ethernet and VLAN tags; *proto is the inner ethertype (network order). */
INLINE int parse_eth(void **pos, void *end, __be16 *proto)
{
	struct ethhdr *eth = *pos;
	struct vlan_hdr *vh;
	int i;

	if ((void *)(eth + 1) > end)
		return HS_ST_ERR_ETH;
	/* one 2-byte read: struct ethhdr is packed, and through it clang
	 * reads the field a byte at a time */
	*proto = BUF_AT(__be16, &eth->h_proto);
	vh = (void *)(eth + 1);

#pragma unroll
	for (i = 0; i < HS_VLAN_MAX; i++) {
		if (*proto != bpf_htons(ETH_P_8021Q) && *proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > end)
			return HS_ST_ERR_VLAN;
		*proto = vh->encap_proto;
		vh++;
	}
	if (*proto == bpf_htons(ETH_P_8021Q) || *proto == bpf_htons(ETH_P_8021AD))
		return HS_ST_ERR_VLAN;  /* more tags than we skip */
	*pos = vh;
	return 0;
}

/* IP protocols of tunnels, whose inner packets are not read: IP in IP,
 * IPv6 in IP, GRE (also udp_tunnel's ports). */
INLINE int ip_tunnel(__u32 proto)
{
	return proto == IPPROTO_IPIP || proto == IPPROTO_IPV6 || proto == IPPROTO_GRE;
}

/* UDP ports of tunnels: VXLAN's, Geneve's (their IANA ports). */
INLINE int udp_tunnel(__u16 dport)
{
	return dport == HS_VXLAN_PORT || dport == HS_GENEVE_PORT;
}

/* Does a packet of len bytes (see parse_packet) hold need? Past them, an
 * XDP frame of several buffers (a jumbo frame: xdp.frags) may: its length
 * read only then, when the first buffer's does not. */
INLINE int pkt_holds(__u32 need, __u32 len, struct xdp_md *xdp)
{
	return need <= len || (xdp && need <= (__u32)bpf_xdp_get_buff_len(xdp));
}

INLINE int parse_ipv4(void **pos, void *data, void *end, __u32 len, struct pkt *p,
		       struct xdp_md *xdp)
{
	struct iphdr *iph = *pos;
	__u32 hlen, tot;

	if ((void *)(iph + 1) > end || iph->version != 4 || iph->ihl < 5)
		return HS_ST_ERR_IP4;
	hlen = iph->ihl * 4;
	tot = bpf_ntohs(iph->tot_len);
	/* The IP length decides where the packet ends (Ethernet pads short
	 * frames), within the packet's bytes (see parse_packet). */
	if (tot < hlen || !pkt_holds((__u32)((void *)iph - data) + tot, len, xdp))
		return HS_ST_ERR_IP4;
	if (iph->protocol != IPPROTO_TCP && iph->protocol != IPPROTO_UDP)
		return ip_tunnel(iph->protocol) ? HS_ST_TUNNELED : HS_ST_NON_TCP;
	/* a UDP fragment is not QUIC we read: not TCP, as it always was */
	if (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET))
		return iph->protocol == IPPROTO_UDP ? HS_ST_NON_TCP : HS_ST_FRAGMENT;
	p->l3 = iph;
	p->family = 4;
	p->src_lo = iph->saddr;
	p->dst_lo = iph->daddr;
	p->ip_ext_len = hlen - sizeof(*iph);
	p->l4_len = tot - hlen;
	*pos = (void *)iph + hlen;
	return iph->protocol == IPPROTO_UDP ? PARSE_UDP : 0;
}

/* An IPv6 header's addresses into ep, the source first (rev: the
 * destination first), in four 8-byte reads: the header is 4-aligned at
 * best, and memcpy made eight 4-byte reads joined in pairs. */
_Static_assert(__builtin_offsetof(struct hs_endpoints, daddr) == 16 &&
	       __builtin_offsetof(struct ipv6hdr, daddr) ==
	       __builtin_offsetof(struct ipv6hdr, saddr) + 16,
	       "ep_addrs6: the addresses, 16 bytes each, one after the other");

INLINE void ep_addrs6(struct hs_endpoints *ep, const struct ipv6hdr *ip6, int rev)
{
	const __u8 *a = (const __u8 *)&ip6->saddr + (rev ? 16 : 0);
	const __u8 *b = (const __u8 *)&ip6->saddr + (rev ? 0 : 16);
	__u64 *d = (__u64 *)ep->saddr;

	d[0] = BUF_AT(__u64, a);
	d[1] = BUF_AT(__u64, a + 8);
	d[2] = BUF_AT(__u64, b);
	d[3] = BUF_AT(__u64, b + 8);
}

struct ipv6_opt_hdr_min {
	__u8 nexthdr;
	__u8 hdrlen;
};

/* An IPv6 extension header chain, walked on offsets from the packet start. */
struct ip6_chain {
	__u32 off;      /* in: the header after the fixed one; out: the upper-layer header */
	__u32 end_off;  /* where the IPv6 payload ends */
	__u32 ext;      /* out: extension bytes */
	__u32 nh;       /* in: the fixed header's next header; out: the upper-layer protocol */
};

INLINE int ip6_is_ext(__u32 nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_DSTOPTS ||
	       nh == IPPROTO_FRAGMENT || nh == IPPROTO_AH;
}

/* Skip up to HS_IPV6_EXT_MAX extension headers: 0, or the stats index of
 * why not (a fragment with an offset or more to come, a chain too long
 * or past the payload). */
INLINE int ip6_chain(void *data, void *end, struct ip6_chain *c)
{
	__u32 off = c->off, nh = c->nh, ext = 0;
	int i;

#pragma unroll
	for (i = 0; i < HS_IPV6_EXT_MAX; i++) {
		/* bounded well below 64 KiB: the verifier only trusts such offsets */
		struct ipv6_opt_hdr_min *eh = data + (off & PKT_OFF_MASK);
		__u32 len;

		if (!ip6_is_ext(nh))
			break;
		if ((void *)(eh + 1) > end)
			return HS_ST_ERR_IP6_EXT;
		if (nh == IPPROTO_FRAGMENT) {
			__be16 *fo = (void *)eh + 2;

			if ((void *)(fo + 1) > end)
				return HS_ST_ERR_IP6_EXT;
			/* offset or more-fragments: only atomic fragments go on */
			if (*fo & bpf_htons(0xfff9))
				return HS_ST_FRAGMENT;
			len = 8;
		} else if (nh == IPPROTO_AH) {
			len = (eh->hdrlen + 2) * 4;
		} else {
			len = (eh->hdrlen + 1) * 8;
		}
		nh = eh->nexthdr;
		off = (off & PKT_OFF_MASK) + len;
		ext += len;
		if (off > c->end_off)
			return HS_ST_ERR_IP6_EXT;
	}
	if (ip6_is_ext(nh))
		return HS_ST_ERR_IP6_EXT;  /* chain longer than we walk */
	c->off = off;
	c->nh = nh;
	c->ext = ext;
	return 0;
}

/* The same in a global subprogram of the XDP programs: verified once,
 * not once per way the headers before it were parsed. */
__noinline int hs_ip6_chain(struct xdp_md *ctx, struct ip6_chain *c)
{
	if (!c)
		return HS_ST_ERR_IP6_EXT;
	return ip6_chain((void *)(long)ctx->data, (void *)(long)ctx->data_end, c);
}

/* xdp: the XDP context (the chain is walked by hs_ip6_chain), or NULL
 * (walked inline: the tc egress program) */
INLINE int parse_ipv6(void **pos, void *data, void *end, __u32 len, struct pkt *p,
		       struct xdp_md *xdp)
{
	struct ipv6hdr *ip6 = *pos;
	struct ip6_chain c;
	__u32 plen;
	int r;

	if ((void *)(ip6 + 1) > end || ip6->version != 6)
		return HS_ST_ERR_IP6;
	plen = bpf_ntohs(ip6->payload_len);
	if (!plen || !pkt_holds((__u32)((void *)(ip6 + 1) - data) + plen, len, xdp))
		return HS_ST_ERR_IP6;
	c.off = (void *)(ip6 + 1) - data;
	c.end_off = c.off + plen;
	c.nh = ip6->nexthdr;
	c.ext = 0;
	if (ip6_is_ext(c.nh)) {
		r = xdp ? hs_ip6_chain(xdp, &c) : ip6_chain(data, end, &c);
		if (r)
			return r;
	}
	if (c.nh != IPPROTO_TCP && c.nh != IPPROTO_UDP)
		return ip_tunnel(c.nh) ? HS_ST_TUNNELED : HS_ST_NON_TCP;
	p->l3 = ip6;
	p->family = 6;
	p->src_lo = ip6->saddr.in6_u.u6_addr32[3];
	p->dst_lo = ip6->daddr.in6_u.u6_addr32[3];
	p->ip_ext_len = c.ext;
	p->l4_len = plen - c.ext;
	*pos = data + (c.off & PKT_OFF_MASK);
	return c.nh == IPPROTO_UDP ? PARSE_UDP : 0;
}

/* TCP header: fixed part in the packet, data offset within the IP length. */
INLINE int parse_tcp(void *pos, void *end, struct pkt *p)
{
	struct tcphdr *tcp = pos;

	if ((void *)(tcp + 1) > end || p->l4_len < sizeof(*tcp))
		return HS_ST_ERR_TCP;
	if (tcp->doff < 5 || tcp->doff * 4 > p->l4_len)
		return HS_ST_ERR_TCP;
	p->tcp = tcp;
	return 0;
}

/* UDP header: in the packet, its length within the IP length; l4_len
 * becomes the UDP length (header + datagram). */
INLINE int parse_udp(void *pos, void *end, struct pkt *p)
{
	struct udphdr *udp = pos;
	__u32 len;

	if ((void *)(udp + 1) > end)
		return HS_ST_ERR_UDP;
	len = bpf_ntohs(udp->len);
	if (len < sizeof(*udp) || len > p->l4_len)
		return HS_ST_ERR_UDP;
	p->udp = udp;
	p->l4_len = len;
	return PARSE_UDP;
}

/* Parse down to TCP. 0 on success, PARSE_UDP for a UDP datagram (p->udp),
 * else the stats index to count. The headers are read between data and
 * end; len is the packet's length from data, which the IP length fields
 * must fit: end - data for XDP, but an skb's (tc) may be longer than what
 * end bounds, its payload in pages (a UDP send with UDP_SEGMENT, even of
 * one datagram: a QUIC server's, whose connection ID we read with
 * bpf_skb_load_bytes), and an XDP frame's may be too (pkt_holds). xdp: as
 * for parse_ipv6. l3: the packet starts at its IP header (no link header:
 * link_l3), a constant where the XDP program's entry says which it is. */
INLINE int parse_packet(void *data, void *end, __u32 len, struct pkt *p, struct xdp_md *xdp,
			int l3)
{
	void *pos = data;
	__be16 proto;
	int r;

	if (l3) {
		/* no link header: the IP version says which */
		__u8 *v = pos;

		if ((void *)(v + 1) > end)
			return HS_ST_ERR_ETH;
		proto = *v >> 4 == 6 ? bpf_htons(ETH_P_IPV6) : bpf_htons(ETH_P_IP);
	} else {
		r = parse_eth(&pos, end, &proto);
		if (r)
			return r;
	}
	if (proto == bpf_htons(ETH_P_IP))
		r = parse_ipv4(&pos, data, end, len, p, xdp);
	else if (proto == bpf_htons(ETH_P_IPV6))
		r = parse_ipv6(&pos, data, end, len, p, xdp);
	else
		return HS_ST_NON_IP;
	if (r == PARSE_UDP)
		return parse_udp(pos, end, p);
	if (r)
		return r;
	return parse_tcp(pos, end, p);
}

/* Where the parse found the headers of a TCP packet (or a UDP datagram),
 * as offsets from ctx->data, and what the subprograms of the entry file
 * (hs_syn, hs_synack, hs_data, hs_quic) need of it. */
struct tcp_at {
	__u32 l3_off;
	__u32 tcp_off;          /* the TCP (or UDP) header */
	__u32 l4_len;
	__u32 ext_len;
	__u32 src_lo;           /* as in struct pkt */
	__u32 dst_lo;
	__u32 family;
	__u32 slot;             /* data: the flow slot */
	__u32 looks;            /* data: the payload starts like a handshake record */
};

/*
 * The packet headers again, in a global subprogram: packet pointers cannot
 * cross into one, so they are found from their offsets, each checked
 * against the end of the packet (l4: the bytes of the layer 4 header,
 * a constant). 0, or -1 if they do not fit.
 */
INLINE int pkt_at_l4(struct xdp_md *ctx, const struct tcp_at *at, struct pkt *p, const __u32 l4)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	/* bounded well below 64 KiB: the verifier only trusts such offsets */
	struct tcphdr *t = data + (at->tcp_off & PKT_OFF_MASK);

	if ((void *)t + l4 > end)
		return -1;
	/* keep the compiler from recomputing the pointer without the check */
	asm volatile("" : "+r"(t));
	p->tcp = t;
	/* the family a constant on each path: the verifier then knows which
	 * header length was checked wherever p->family is read */
	if (at->family == 4) {
		struct iphdr *iph = data + (at->l3_off & L3_OFF_MASK);

		if ((void *)(iph + 1) > end)
			return -1;
		p->l3 = iph;
		p->family = 4;
	} else {
		struct ipv6hdr *ip6 = data + (at->l3_off & L3_OFF_MASK);

		if ((void *)(ip6 + 1) > end)
			return -1;
		p->l3 = ip6;
		p->family = 6;
	}
	p->l4_len = at->l4_len;
	p->ip_ext_len = at->ext_len;
	p->src_lo = at->src_lo;
	p->dst_lo = at->dst_lo;
	return 0;
}

/* A TCP packet's headers (its whole fixed TCP header in the packet). */
INLINE int pkt_at(struct xdp_md *ctx, const struct tcp_at *at, struct pkt *p)
{
	return pkt_at_l4(ctx, at, p, sizeof(struct tcphdr));
}

#endif /* HS_PARSING_H */
