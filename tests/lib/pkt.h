/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test packets, the one builder of every C test and benchmark: a
 * ClientHello builder (every list JA4 reads, and lies in any length field)
 * and an Ethernet frame builder (VLAN tags, ARP, IPv4 with options, IPv6
 * with extension headers, TCP with options and payload, UDP with a payload
 * (a QUIC datagram: quic_dgram) or an empty one, ICMP,
 * padding, cuts; checksums right). A bad fixture calls pkt_fail: cmocka's
 * fail_msg after check.h, else a message and exit(1).
 */
#ifndef HS_TESTS_PKT_H
#define HS_TESTS_PKT_H

#include <arpa/inet.h>
#include <string.h>
#include <linux/if_ether.h>
#include <linux/types.h>

/* fixtures name a base's fields, then override some */
#pragma GCC diagnostic ignored "-Woverride-init"
#ifndef __clang__   /* gcc's only (clang builds the sanitizer tests) */
#pragma GCC diagnostic ignored "-Woverride-init-side-effects"
#endif
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#ifndef pkt_fail
#ifdef HS_TESTS_CHECK_H
#define pkt_fail fail_msg
#else
#include <stdio.h>
#include <stdlib.h>
#define pkt_fail(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr), exit(1))
#endif
#endif

/* ------------------------------------------------------------------ */
/* ClientHello builder. */

#define HELLO_MAX 24576

struct hspec {
	__u16 rec_ver;          /* record layer version; 0: 0x0301 */
	__u16 legacy;           /* ClientHello.legacy_version; 0: 0x0303 */
	int nosid;              /* empty session id (default: 32 bytes) */
	const __u16 *ciphers;
	int nc;
	const __u16 *exts;      /* extension types in wire order; bodies below */
	int ne;
	int no_ext_block;       /* no extensions length at all (old clients) */
	const char *sni;
	const char *const *alpn;  /* ALPN values, NULL-terminated */
	const __u16 *vers;      /* supported_versions */
	int nv;
	const __u16 *groups;
	int ng;
	const __u8 *ecpf;
	int nep;
	const __u16 *sigs;
	int ns;
	int pad;                /* bytes of the padding extension (0x0015) */
	int gen_ciphers;        /* > 0: ciphers 0x0001..gen_ciphers instead */
	int gen_exts;           /* > 0: this many more (empty) extensions 0x1000... */
	/* lies */
	__u8 hs_type;           /* handshake type; 0: 1 (ClientHello) */
	int rec_adj;            /* added to the record length */
	int hs_adj;             /* added to the handshake length */
	int cipher_adj;         /* added to the cipher list length */
	int exts_adj;           /* added to the extensions block length */
	int lie_idx;            /* 1-based index in exts whose length lies ... */
	int lie_adj;            /* ... by this much */
	int sid_lie;            /* session id length byte written as this (0: true) */
	int split;              /* > 0: two records, the first with split bytes of the message */
};

#define L16(f, n, ...) .f = (const __u16[]){ __VA_ARGS__ }, \
	.n = (int)(sizeof((__u16[]){ __VA_ARGS__ }) / sizeof(__u16))
#define CIPHERS(...) L16(ciphers, nc, __VA_ARGS__)
#define EXTS(...)    L16(exts, ne, __VA_ARGS__)
#define VERS(...)    L16(vers, nv, __VA_ARGS__)
#define GROUPS(...)  L16(groups, ng, __VA_ARGS__)
#define SIGS(...)    L16(sigs, ns, __VA_ARGS__)
#define ECPF(...)    .ecpf = (const __u8[]){ __VA_ARGS__ }, \
	.nep = (int)sizeof((__u8[]){ __VA_ARGS__ })
#define ALPN(...)    .alpn = (const char *const[]){ __VA_ARGS__, NULL }
#define NOSIGS       .sigs = NULL, .ns = 0

#define SPEC_CIPHERS 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, \
		     0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035
#define SPEC_EXTS    0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, \
		     0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015
#define SPEC_SIGS    0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601

/* The JA4.md example as a TLS 1.3 ClientHello; later fields override. */
#define SPEC(...) { CIPHERS(SPEC_CIPHERS), EXTS(SPEC_EXTS), SIGS(SPEC_SIGS), \
	VERS(0x0304, 0x0303), GROUPS(0x001d, 0x0017, 0x0018), ECPF(0), \
	.sni = "example.com", ALPN("h2", "http/1.1"), .pad = 100, __VA_ARGS__ }

/* The same with GREASE in every list it can be in (values as Chrome picks them). */
#define SPEC_GREASE(...) SPEC( \
	CIPHERS(0x0a0a, SPEC_CIPHERS), \
	EXTS(0x1a1a, 0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, \
	     0x0005, 0xdada, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0xfafa, 0x0015), \
	SIGS(0x0403, 0x0804, 0x3a3a, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601), \
	VERS(0x5a5a, 0x0304, 0x0303), GROUPS(0x2a2a, 0x001d, 0x0017, 0x0018), __VA_ARGS__)

#define T12(...) { CIPHERS(0xc02b, 0xc02f, 0xc00a, 0x009c, 0x0035, 0x000a, 0x00ff), \
	EXTS(0x000b, 0x000a, 0x0023, 0x000d, 0x0016, 0x0017), ECPF(0, 1, 2), \
	GROUPS(0x0017, 0x0018, 0x0019, 0x001d), \
	SIGS(0x0401, 0x0403, 0x0501, 0x0503, 0x0201), __VA_ARGS__ }

/* socks-https-example.pcap's ClientHello: TLS 1.0, 23 ciphers, SNI only */
#define SOCKS(...) { .rec_ver = 0x0301, .legacy = 0x0301, \
	CIPHERS(0x0039, 0x0038, 0x0035, 0x0016, 0x0013, 0x000a, 0x0033, 0x0032, 0x002f, \
		0x009a, 0x0099, 0x0096, 0x0005, 0x0004, 0x0015, 0x0012, 0x0009, 0x0014, \
		0x0011, 0x0008, 0x0006, 0x0003, 0x00ff), \
	EXTS(0x0000), .sni = "www.example.com", __VA_ARGS__ }

struct wbuf {
	__u8 *b;
	int n, cap;
};

static inline void w8(struct wbuf *w, unsigned int v)
{
	if (w->n < w->cap)
		w->b[w->n] = (__u8)v;
	w->n++;
}

static inline void w16(struct wbuf *w, unsigned int v)
{
	w8(w, v >> 8);
	w8(w, v);
}

static inline void wbytes(struct wbuf *w, const void *p, int n)
{
	int i;

	for (i = 0; i < n; i++)
		w8(w, ((const __u8 *)p)[i]);
}

/* A length field of size bytes; filled in by wlen_close. */
static inline int wlen_open(struct wbuf *w, int size)
{
	int at = w->n, i;

	for (i = 0; i < size; i++)
		w8(w, 0);
	return at;
}

static inline void wlen_close(struct wbuf *w, int at, int size, int adj)
{
	unsigned int len = (unsigned int)(w->n - at - size + adj);
	int i;

	for (i = 0; i < size; i++)
		if (at + i < w->cap)
			w->b[at + i] = (__u8)(len >> (8 * (size - 1 - i)));
}

static inline int is_grease16(__u16 v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

static inline void ext_body(struct wbuf *w, const struct hspec *h, __u16 type)
{
	int at, i;

	switch (type) {
	case 0x0000:    /* server_name */
		if (!h->sni)
			break;
		at = wlen_open(w, 2);
		w8(w, 0);
		w16(w, strlen(h->sni));
		wbytes(w, h->sni, strlen(h->sni));
		wlen_close(w, at, 2, 0);
		break;
	case 0x0010:    /* ALPN */
		at = wlen_open(w, 2);
		for (i = 0; h->alpn && h->alpn[i]; i++) {
			w8(w, strlen(h->alpn[i]));
			wbytes(w, h->alpn[i], strlen(h->alpn[i]));
		}
		wlen_close(w, at, 2, 0);
		break;
	case 0x002b:    /* supported_versions */
		w8(w, 2 * h->nv);
		for (i = 0; i < h->nv; i++)
			w16(w, h->vers[i]);
		break;
	case 0x000a:    /* supported_groups */
		w16(w, 2 * h->ng);
		for (i = 0; i < h->ng; i++)
			w16(w, h->groups[i]);
		break;
	case 0x000b:    /* ec_point_formats */
		w8(w, h->nep);
		wbytes(w, h->ecpf, h->nep);
		break;
	case 0x000d:    /* signature_algorithms */
		w16(w, 2 * h->ns);
		for (i = 0; i < h->ns; i++)
			w16(w, h->sigs[i]);
		break;
	case 0x0015:    /* padding */
		for (i = 0; i < h->pad; i++)
			w8(w, 0);
		break;
	case 0x0033:    /* key_share: one x25519 share */
		w16(w, 36);
		w16(w, 0x001d);
		w16(w, 32);
		for (i = 0; i < 32; i++)
			w8(w, 0x40 + i);
		break;
	case 0x002d:    /* psk_key_exchange_modes: psk_dhe_ke */
		w8(w, 1);
		w8(w, 1);
		break;
	case 0x001b:    /* compress_certificate: brotli */
		w8(w, 2);
		w16(w, 2);
		break;
	case 0x4469:    /* application_settings: h2 */
		w16(w, 3);
		w8(w, 2);
		wbytes(w, "h2", 2);
		break;
	case 0x0005:    /* status_request: OCSP */
		w8(w, 1);
		w16(w, 0);
		w16(w, 0);
		break;
	case 0xff01:    /* renegotiation_info: empty */
		w8(w, 0);
		break;
	default:
		if (is_grease16(type))
			w8(w, 0);
		break;
	}
}

/* The record(s) of a ClientHello; returns the byte count. */
static inline int build_hello(const struct hspec *h, __u8 *out, int cap)
{
	static __u8 msg[HELLO_MAX];
	struct wbuf m = { msg, 0, sizeof(msg) }, r = { out, 0, cap };
	int hl, cl, el, xl, i, sid = h->nosid ? 0 : 32, first;
	int nc = h->gen_ciphers ? h->gen_ciphers : h->nc;

	w8(&m, h->hs_type ? h->hs_type : 1);
	hl = wlen_open(&m, 3);
	w16(&m, h->legacy ? h->legacy : 0x0303);
	for (i = 0; i < 32; i++)
		w8(&m, 0x11 * (i & 7) + i);        /* random */
	w8(&m, h->sid_lie ? h->sid_lie : sid);
	for (i = 0; i < sid; i++)
		w8(&m, 0xe0 + i % 16);
	cl = wlen_open(&m, 2);
	for (i = 0; i < nc; i++)
		w16(&m, h->gen_ciphers ? i + 1 : h->ciphers[i]);
	wlen_close(&m, cl, 2, h->cipher_adj);
	w8(&m, 1);                                 /* compression: null */
	w8(&m, 0);
	if (!h->no_ext_block) {
		el = wlen_open(&m, 2);
		for (i = 0; i < h->ne; i++) {
			w16(&m, h->exts[i]);
			xl = wlen_open(&m, 2);
			ext_body(&m, h, h->exts[i]);
			wlen_close(&m, xl, 2, h->lie_idx == i + 1 ? h->lie_adj : 0);
		}
		for (i = 0; i < h->gen_exts; i++) {
			w16(&m, 0x1000 + i);
			w16(&m, 0);
		}
		wlen_close(&m, el, 2, h->exts_adj);
	}
	wlen_close(&m, hl, 3, h->hs_adj);
	if (m.n > m.cap)
		pkt_fail("ClientHello of %d bytes: the builder holds %d", m.n, m.cap);

	first = h->split > 0 && h->split < m.n ? h->split : m.n;
	w8(&r, 0x16);
	w16(&r, h->rec_ver ? h->rec_ver : 0x0301);
	w16(&r, first + h->rec_adj);
	wbytes(&r, msg, first);
	if (first < m.n) {
		w8(&r, 0x16);
		w16(&r, h->rec_ver ? h->rec_ver : 0x0301);
		w16(&r, m.n - first);
		wbytes(&r, msg + first, m.n - first);
	}
	if (r.n > r.cap)
		pkt_fail("ClientHello records of %d bytes: the buffer holds %d", r.n, r.cap);
	return r.n;
}

/* The handshake message of the one-record hello rec (len bytes) again,
 * cut into records at the message offsets cuts[0..ncuts) (ascending,
 * each inside the message): as a client that fragments its records
 * sends it. Each record keeps rec's header (type and version); an
 * offset repeated makes an empty record. Returns the bytes written. */
static inline int pkt_records(const __u8 *rec, int len, const int *cuts, int ncuts, __u8 *out,
			      int cap)
{
	struct wbuf r = { out, 0, cap };
	int m = len - 5, from = 0, i;

	if (len < 5 || ((rec[3] << 8) | rec[4]) != m)
		pkt_fail("pkt_records: not one whole record (%d bytes)", len);
	for (i = 0; i <= ncuts; i++) {
		int to = i < ncuts ? cuts[i] : m;

		if (to < from || to > m)
			pkt_fail("pkt_records: cut %d at %d, outside [%d, %d]", i, to, from, m);
		wbytes(&r, rec, 3);
		w16(&r, to - from);
		wbytes(&r, rec + 5 + from, to - from);
		from = to;
	}
	if (r.n > r.cap)
		pkt_fail("pkt_records: %d bytes, the buffer holds %d", r.n, r.cap);
	return r.n;
}

/* Byte offsets in a record built from h without lies: where the ciphers
 * end and where each extension ends. For cutting at boundaries. */
static inline int hello_cipher_end(const struct hspec *h)
{
	return 5 + 4 + 2 + 32 + 1 + (h->nosid ? 0 : 32) + 2 + 2 * h->nc;
}

/* ------------------------------------------------------------------ */
/* Ethernet frames: a specification, zero meaning "the usual value", and
 * the builder. Checksums are right unless a fixture lies on purpose. */

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20
#define TH_ECE 0x40
#define TH_CWR 0x80

#define IPF_MBZ 0x8000
#define IPF_DF  0x4000
#define IPF_MF  0x2000

#define NH_HOP  0
#define NH_TCP  6
#define NH_UDP  17
#define NH_RT   43
#define NH_FRAG 44
#define NH_AH   51
#define NH_ICMP6 58
#define NH_DST  60

#define FRAME_MAX 9216         /* a jumbo frame (MTU 9000) */
#define SEG_MAX 1460            /* largest payload a fixture puts in a segment */

struct ext6 {
	__u8 type;              /* NH_HOP, NH_RT, NH_DST, NH_FRAG, NH_AH */
	__u8 len;               /* bytes (0: 8); AH: multiple of 8, >= 16 */
	__u16 frag;             /* fragment header: offset << 3 | M */
};

struct pspec {
	/* Ethernet */
	__u16 eth_type;         /* 0: from ver */
	__u16 tags[3];          /* VLAN TPIDs, outermost first */
	int ntags;
	/* IP */
	int ver;                /* 4 or 6; 0: eth_type payload (ARP or zeros) */
	__u8 vnib;              /* version nibble written (0: ver) */
	const char *src, *dst;  /* NULL: the defaults below */
	__u8 tos;               /* IPv4 TOS / IPv6 traffic class */
	__u32 flow;             /* IPv6 flow label */
	__u16 ip_id;
	__u16 frag;             /* IPv4 flags and offset (IPF_DF: don't fragment) */
	__u8 ttl;               /* TTL / hop limit */
	__u8 proto;             /* 0: TCP */
	int ihl;                /* 0: from ipopt */
	int ip_len_adj;         /* added to tot_len / payload_len */
	const __u8 *ipopt;
	int ipoptlen;
	struct ext6 ext[8];
	int next;
	/* TCP */
	__u16 sport, dport;
	__u32 seq, ack;
	__u8 tflags;
	__u8 rsvd;              /* low nibble of byte 12 (bit 0: NS) */
	int doff;               /* 0: from opts */
	__u16 win, urg;
	const __u8 *opts;
	int olen;
	const __u8 *data;       /* payload bytes; NULL: letters a-z repeated */
	int payload;            /* payload bytes after the TCP header */
	/* UDP (proto NH_UDP): a datagram from sport to dport with the payload
	 * above (otherwise an empty one from 5353 to 53) */
	int udp;
	int udp_len_adj;        /* added to the UDP length */
	/* frame */
	int pad;                /* bytes after the IP packet (Ethernet padding) */
	int cut;                /* bytes cut off the end of the frame */
};

/* Addresses when a spec names none (a test may pick its own before it
 * includes this file) */
#ifndef DEF_SRC4
#define DEF_SRC4 "198.18.0.7"
#endif
#ifndef DEF_DST4
#define DEF_DST4 "198.19.0.9"
#endif
#ifndef DEF_SRC6
#define DEF_SRC6 "2001:db8:1::7"
#endif
#ifndef DEF_DST6
#define DEF_DST6 "2001:db8:2::9"
#endif

#define OPT(s)   .opts = (const __u8 *)(s), .olen = (int)sizeof(s) - 1
#define IPOPT(s) .ipopt = (const __u8 *)(s), .ipoptlen = (int)sizeof(s) - 1
#define EXT(...) .ext = { __VA_ARGS__ }, .next = (int)(sizeof((struct ext6[]){ __VA_ARGS__ }) / sizeof(struct ext6))
#define TAGS(...) .tags = { __VA_ARGS__ }, .ntags = (int)(sizeof((__u16[]){ __VA_ARGS__ }) / sizeof(__u16))

/* Linux-like SYN options: mss 1460, sok, ts (1e240, 0), nop, ws 7 */
#define LINUX4 "\x02\x04\x05\xb4\x04\x02\x08\x0a\x00\x01\xe2\x40\x00\x00\x00\x00\x01\x03\x03\x07"
/* the same with mss 1440, as over IPv6 */
#define LINUX6 "\x02\x04\x05\xa0\x04\x02\x08\x0a\x00\x01\xe2\x40\x00\x00\x00\x00\x01\x03\x03\x07"
#define NOP4 "\x01\x01\x01\x01"

struct frame {
	__u8 b[FRAME_MAX];
	int len;
	int l3;                 /* offset of the IP header */
	int l4;                 /* offset of the TCP header */
};

static inline void put16(__u8 *p, unsigned int v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static inline void put32(__u8 *p, __u32 v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static inline __u32 csum_add(__u32 sum, const __u8 *p, int len)
{
	int i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

static inline __u16 csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static inline void addr(int ver, const char *s, const char *def, __u8 *out)
{
	if (inet_pton(ver == 6 ? AF_INET6 : AF_INET, s ? s : def, out) != 1)
		pkt_fail("bad address '%s' in a fixture", s ? s : def);
}

/* TCP (or UDP/ICMP for other protocols) at p; returns its length. */
static inline int build_l4(const struct pspec *s, __u8 *p)
{
	int n, doff, i;

	if (s->proto == NH_UDP && s->udp) {
		memset(p, 0, 8);
		put16(p, s->sport);
		put16(p + 2, s->dport);
		n = 8;
		if (s->data && s->payload) {
			memcpy(p + n, s->data, s->payload);
			n += s->payload;
		} else {
			for (i = 0; i < s->payload; i++)
				p[n++] = 'a' + i % 26;
		}
		put16(p + 4, n + s->udp_len_adj);
		return n;
	}
	if (s->proto && s->proto != NH_TCP) {
		/* 8 bytes is enough to look like UDP or an ICMP echo */
		memset(p, 0, 8);
		if (s->proto == NH_UDP) {
			put16(p, 5353);
			put16(p + 2, 53);
			put16(p + 4, 8);
		} else {
			p[0] = s->ver == 6 ? 128 : 8;
		}
		return 8;
	}
	if (s->olen % 4)
		pkt_fail("TCP options of %d bytes: not a multiple of 4", s->olen);
	doff = s->doff ? s->doff : 5 + s->olen / 4;
	put16(p, s->sport);
	put16(p + 2, s->dport);
	put32(p + 4, s->seq);
	put32(p + 8, s->ack);
	p[12] = doff << 4 | (s->rsvd & 0x0f);
	p[13] = s->tflags;
	put16(p + 14, s->win);
	put16(p + 16, 0);
	put16(p + 18, s->urg);
	if (s->olen)            /* opts may be NULL: memcpy's argument may not */
		memcpy(p + 20, s->opts, s->olen);
	n = 20 + s->olen;
	if (s->data && s->payload) {
		memcpy(p + n, s->data, s->payload);
		n += s->payload;
	} else {
		for (i = 0; i < s->payload; i++)
			p[n++] = 'a' + i % 26;
	}
	return n;
}

/* The most bytes a frame of s can take: for the size check. */
static inline int pkt_room(const struct pspec *s)
{
	int n = 14 + 4 * s->ntags + 60 + 20 + s->olen + s->payload + s->pad, i;

	for (i = 0; i < s->next; i++)
		n += s->ext[i].len ? s->ext[i].len : 8;
	return n;
}

static inline int build_ext6(const struct pspec *s, __u8 *p, __u8 last)
{
	int i, n = 0;

	for (i = 0; i < s->next; i++) {
		const struct ext6 *e = &s->ext[i];
		int len = e->len ? e->len : 8;
		__u8 *h = p + n;

		memset(h, 0, len);
		h[0] = i + 1 < s->next ? s->ext[i + 1].type : last;
		switch (e->type) {
		case NH_FRAG:
			put16(h + 2, e->frag);
			put32(h + 4, 0xfeed0001);
			len = 8;
			break;
		case NH_AH:
			h[1] = len / 4 - 2;
			put32(h + 4, 0x100);    /* SPI */
			put32(h + 8, 1);        /* sequence */
			break;
		case NH_RT:
			h[1] = len / 8 - 1;
			h[2] = 4;               /* segment routing, segments left 0 */
			break;
		default:                        /* hop-by-hop, destination: PadN */
			h[1] = len / 8 - 1;
			h[2] = 1;
			h[3] = len - 4;
			break;
		}
		n += len;
	}
	return n;
}

/* eth_type ETH_P_ARP, ver 0: a request from 198.51.100.7 for 203.0.113.9 */
static const __u8 arp_req[28] = {
	0, 1, 8, 0, 6, 4, 0, 1,
	2, 0, 0, 0, 0, 1, 198, 51, 100, 7,
	0, 0, 0, 0, 0, 0, 203, 0, 113, 9,
};

static inline void build(const struct pspec *s, struct frame *f)
{
	static const __u8 mac[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };
	__u8 *b = f->b, l4buf[FRAME_MAX], src[16], dst[16];
	__u8 proto = s->proto ? s->proto : NH_TCP;
	__u16 type = s->eth_type ? s->eth_type :
		     s->ver == 6 ? ETH_P_IPV6 : ETH_P_IP;
	int off = 12, i, l4len, alen;
	__u32 sum;

	if (pkt_room(s) > FRAME_MAX)
		pkt_fail("frame of %d bytes: larger than %d", pkt_room(s), FRAME_MAX);
	memset(f, 0, sizeof(*f));
	memcpy(b, mac, 12);
	for (i = 0; i < s->ntags; i++) {
		put16(b + off, s->tags[i]);
		put16(b + off + 2, 100 + i);    /* VLAN id */
		off += 4;
	}
	put16(b + off, type);
	off += 2;
	f->l3 = off;

	if (!s->ver) {
		if (type == ETH_P_ARP) {
			memcpy(b + off, arp_req, sizeof(arp_req));
			off += sizeof(arp_req);
		} else {
			off += 46;
		}
		f->len = off + s->pad - s->cut;
		return;
	}
	addr(s->ver, s->src, s->ver == 6 ? DEF_SRC6 : DEF_SRC4, src);
	addr(s->ver, s->dst, s->ver == 6 ? DEF_DST6 : DEF_DST4, dst);
	alen = s->ver == 6 ? 16 : 4;
	l4len = build_l4(s, l4buf);

	if (s->ver == 4) {
		__u8 *ip = b + off;
		int hlen = 20 + s->ipoptlen;
		int ihl = s->ihl ? s->ihl : hlen / 4;

		if (s->ipoptlen % 4)
			pkt_fail("IP options of %d bytes: not a multiple of 4", s->ipoptlen);
		ip[0] = (s->vnib ? s->vnib : 4) << 4 | (ihl & 0x0f);
		ip[1] = s->tos;
		put16(ip + 2, hlen + l4len + s->ip_len_adj);
		put16(ip + 4, s->ip_id);
		put16(ip + 6, s->frag);
		ip[8] = s->ttl;
		ip[9] = proto;
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		if (s->ipoptlen)
			memcpy(ip + 20, s->ipopt, s->ipoptlen);
		put16(ip + 10, csum_fold(csum_add(0, ip, hlen)));
		off += hlen;
	} else {
		__u8 *ip = b + off;
		int elen;

		put32(ip, (__u32)(s->vnib ? s->vnib : 6) << 28 |
			  (__u32)s->tos << 20 | (s->flow & 0xfffff));
		ip[6] = s->next ? s->ext[0].type : proto;
		ip[7] = s->ttl;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
		elen = build_ext6(s, ip + 40, proto);
		put16(ip + 4, elen + l4len + s->ip_len_adj);
		off += 40 + elen;
	}
	f->l4 = off;
	memcpy(b + off, l4buf, l4len);
	/* checksum over the pseudo header, as a capture would show it */
	sum = csum_add(0, src, alen);
	sum = csum_add(sum, dst, alen);
	sum += proto + l4len;
	if (proto == NH_TCP)
		put16(b + off + 16, csum_fold(csum_add(sum, b + off, l4len)));
	if (proto == NH_UDP && s->udp) {
		__u16 c = csum_fold(csum_add(sum, b + off, l4len));

		put16(b + off + 6, c ? c : 0xffff);
	}
	off += l4len;
	for (i = 0; i < s->pad; i++)
		b[off++] = 0xee;
	f->len = off - s->cut;
}

/* Client hellos of three stacks (0 Chrome, 1 curl, 2 Firefox), roughly as
 * they look on the wire; its length. */
static inline int pkt_hello(int which, __u8 *out, int cap)
{
	struct hspec chrome = SPEC_GREASE(.pad = 200), curl = {
		CIPHERS(0x1302, 0x1303, 0x1301, 0xc02c, 0xc030, 0x009f, 0xcca9, 0xcca8, 0xccaa,
			0xc02b, 0xc02f, 0x009e, 0xc024, 0xc028, 0x006b, 0xc023, 0xc027, 0x0067,
			0xc00a, 0xc014, 0x0039, 0xc009, 0xc013, 0x0033, 0x009d, 0x009c, 0x003d,
			0x003c, 0x0035, 0x002f, 0x00ff),
		EXTS(0x0000, 0x000b, 0x000a, 0x0023, 0x0016, 0x0017, 0x000d, 0x002b, 0x002d,
		     0x0033, 0x0010, 0x0015),
		VERS(0x0304, 0x0303), GROUPS(0x001d, 0x0017, 0x001e, 0x0019, 0x0018),
		ECPF(0, 1, 2), SIGS(0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a,
				    0x080b, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601),
		.sni = "api.example.com", ALPN("h2", "http/1.1"), .pad = 180,
	}, firefox = {
		CIPHERS(0x1301, 0x1303, 0x1302, 0xc02b, 0xc02f, 0xcca9, 0xcca8, 0xc02c, 0xc030,
			0xc00a, 0xc009, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035),
		EXTS(0x0000, 0x0017, 0xff01, 0x000a, 0x000b, 0x0023, 0x0010, 0x0005, 0x0022,
		     0x0033, 0x002b, 0x000d, 0x002d, 0x001c, 0x0015),
		VERS(0x0304, 0x0303), GROUPS(0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101),
		ECPF(0), SIGS(0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501,
			      0x0601, 0x0203, 0x0201),
		.sni = "api.example.com", ALPN("h2", "http/1.1"), .pad = 140,
	};
	const struct hspec *h = which == 0 ? &chrome : which == 1 ? &curl : &firefox;

	return build_hello(h, out, cap);
}

/* ------------------------------------------------------------------ */
/* QUIC datagrams (RFC 9000, 17.2; version 2: RFC 9369): long-header
 * packets as the XDP program reads them (header protection and
 * encryption are not looked into: a payload pattern), for the payload of
 * a UDP frame (pspec's .udp). */

#define PKT_QUIC_V1 0x00000001u
#define PKT_QUIC_V2 0x6b3343cfu
/* packet types, numbered as version 1's */
#define QT_INITIAL   0
#define QT_0RTT      1
#define QT_HANDSHAKE 2
#define QT_RETRY     3

/* A long-header packet or a datagram of them; zero fields: the usual. */
struct qspec {
	__u32 version;          /* 0: 1 */
	int vn;                 /* version 0 (version negotiation) instead */
	int type;               /* QT_* */
	int b0;                 /* > 0: the first byte as it is */
	int grease;             /* its packets' fixed bit clear (RFC 9287's greased QUIC bit) */
	int dcid_len;           /* -1: none; 0: 8 */
	const __u8 *dcid;       /* NULL: 0xd0, 0xd1, ... */
	int scid_len;           /* -1: none; 0: 8 */
	const __u8 *scid;       /* NULL: 0x50, 0x51, ... */
	int token;              /* an Initial's token bytes (a pattern; 0: none, as a
				 * client's first Initials, 78 after ngtcp2's Retry) */
	int size;               /* the datagram's bytes (0: 1250), the packet padded */
	int cut;                /* > 0: the datagram cut to this many bytes */
	/* a Handshake coalesced after the first packet */
	int hs_after;           /* its bytes (0: none) */
	const __u8 *hs_dcid;    /* its DCID */
	int hs_dcid_len;
};

static const __u8 DCID0[20] = { 0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9,
				0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xe1, 0xe2, 0xe3 };
static const __u8 SCID0[20] = { 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59,
				0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60, 0x61, 0x62, 0x63 };

/* One long-header packet of size bytes at out: header (an Initial with a
 * token of token bytes, a pattern, or none), a Length covering the rest
 * (not for a Retry), a 2-byte packet number, payload bytes (a pattern).
 * Connection IDs are read cyclically from their 20 bytes. Returns its
 * bytes. */
static inline int quic_packet(__u32 version, int type, int b0, int grease, const __u8 *dcid,
			      int dl, const __u8 *scid, int sl, int token, int size, __u8 *out)
{
	int wire = version == PKT_QUIC_V2 ? (type + 1) & 3 : type, n = 0, i, lenat;

	out[n++] = b0 > 0 ? (__u8)b0 : (__u8)((grease ? 0x80 : 0xc0) | wire << 4 | 0x01);
	put32(out + n, version);
	n += 4;
	out[n++] = (__u8)(dl < 0 ? 0 : dl);
	for (i = 0; i < dl; i++)
		out[n++] = dcid[i % 20];
	out[n++] = (__u8)(sl < 0 ? 0 : sl);
	for (i = 0; i < sl; i++)
		out[n++] = scid[i % 20];
	if (type == QT_INITIAL) {
		/* the token's length (a 1- or 2-byte varint), then its bytes */
		if (token < 0 || token > 0x3fff || n + 2 + token > size)
			pkt_fail("a QUIC token of %d bytes in a packet of %d", token, size);
		if (token < 64) {
			out[n++] = (__u8)token;
		} else {
			out[n++] = (__u8)(0x40 | token >> 8);
			out[n++] = (__u8)token;
		}
		for (i = 0; i < token; i++)
			out[n++] = (__u8)(0x70 + i);
	}
	lenat = n;
	n += 2;
	if (size < n)
		pkt_fail("a QUIC packet of %d bytes: its header has %d", size, n);
	if (type != QT_RETRY)
		put16(out + lenat, 0x4000 | (size - lenat - 2));
	while (n < size) {
		out[n] = (__u8)(0x30 + n);
		n++;
	}
	return n;
}

/* The datagram of q at out (cap bytes); its bytes. */
static inline int quic_dgram(const struct qspec *q, __u8 *out, int cap)
{
	__u32 v = q->vn ? 0 : q->version ? q->version : PKT_QUIC_V1;
	int size = q->size ? q->size : 1250, n;
	int dl = q->dcid_len < 0 ? 0 : q->dcid_len ? q->dcid_len : 8;
	int sl = q->scid_len < 0 ? 0 : q->scid_len ? q->scid_len : 8;

	if (size > cap)
		pkt_fail("a datagram of %d bytes: the buffer holds %d", size, cap);
	n = quic_packet(v, q->type, q->b0, q->grease, q->dcid ? q->dcid : DCID0, dl,
			q->scid ? q->scid : SCID0, sl, q->token, size - q->hs_after, out);
	if (q->hs_after)
		n += quic_packet(v, QT_HANDSHAKE, 0, q->grease, q->hs_dcid, q->hs_dcid_len, SCID0,
				 8, 0, q->hs_after, out + n);
	return q->cut > 0 && q->cut < n ? q->cut : n;
}

#endif /* HS_TESTS_PKT_H */
