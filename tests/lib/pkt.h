/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test packets: a ClientHello builder (every list JA4 reads, and lies in
 * any length field) and an Ethernet frame builder (VLAN tags, IPv4/IPv6,
 * TCP with options and payload, checksums right). Shared by test_tls.c and
 * the per-packet benchmark. A bad fixture calls pkt_fail (cmocka's
 * fail_msg in tests; define it before including).
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
#include <stdio.h>
#include <stdlib.h>
#define pkt_fail(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr), exit(1))
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

/* Byte offsets in a record built from h without lies: where the ciphers
 * end and where each extension ends. For cutting at boundaries. */
static inline int hello_cipher_end(const struct hspec *h)
{
	return 5 + 4 + 2 + 32 + 1 + (h->nosid ? 0 : 32) + 2 + 2 * h->nc;
}

/* ------------------------------------------------------------------ */
/* Packets: adapted from test_xdp.c's builder (no IP options or IPv6
 * extension headers here; a payload of given bytes instead of letters). */

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

#define IPF_DF 0x4000

#define FRAME_MAX 2048
#define SEG_MAX 1460            /* largest payload a fixture puts in a segment */

struct pspec {
	__u16 tags[3];          /* VLAN TPIDs, outermost first */
	int ntags;
	int ver;                /* 4 or 6 */
	const char *src, *dst;  /* NULL: the defaults below */
	__u8 ttl;
	__u16 ip_id;
	__u16 sport, dport;
	__u32 seq, ack;
	__u8 tflags;
	__u16 win;
	const __u8 *opts;
	int olen;
	const __u8 *data;       /* payload */
	int payload;
};

#define DEF_SRC4 "198.18.0.7"
#define DEF_DST4 "198.19.0.9"
#define DEF_SRC6 "2001:db8:1::7"
#define DEF_DST6 "2001:db8:2::9"

/* Linux-like SYN options: mss 1460, sok, ts, nop, ws 7 */
#define LINUX4 "\x02\x04\x05\xb4\x04\x02\x08\x0a\x00\x01\xe2\x40\x00\x00\x00\x00\x01\x03\x03\x07"
#define LINUX6 "\x02\x04\x05\xa0\x04\x02\x08\x0a\x00\x01\xe2\x40\x00\x00\x00\x00\x01\x03\x03\x07"

struct frame {
	__u8 b[FRAME_MAX];
	int len;
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

static inline void build(const struct pspec *s, struct frame *f)
{
	static const __u8 mac[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };
	__u8 *b = f->b, src[16], dst[16], *t;
	int off = 12, i, l4len, alen = s->ver == 6 ? 16 : 4;
	__u32 sum;

	if (s->olen % 4)
		pkt_fail("TCP options of %d bytes: not a multiple of 4", s->olen);
	l4len = 20 + s->olen + s->payload;
	if (14 + 4 * s->ntags + 40 + l4len > FRAME_MAX)
		pkt_fail("frame with %d payload bytes: larger than %d", s->payload, FRAME_MAX);
	memset(f, 0, sizeof(*f));
	memcpy(b, mac, 12);
	for (i = 0; i < s->ntags; i++) {
		put16(b + off, s->tags[i]);
		put16(b + off + 2, 100 + i);    /* VLAN id */
		off += 4;
	}
	put16(b + off, s->ver == 6 ? ETH_P_IPV6 : ETH_P_IP);
	off += 2;
	addr(s->ver, s->src, s->ver == 6 ? DEF_SRC6 : DEF_SRC4, src);
	addr(s->ver, s->dst, s->ver == 6 ? DEF_DST6 : DEF_DST4, dst);
	if (s->ver == 4) {
		__u8 *ip = b + off;

		ip[0] = 0x45;
		put16(ip + 2, 20 + l4len);
		put16(ip + 4, s->ip_id);
		put16(ip + 6, IPF_DF);
		ip[8] = s->ttl;
		ip[9] = 6;
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
		off += 20;
	} else {
		__u8 *ip = b + off;

		put32(ip, 6u << 28);
		put16(ip + 4, l4len);
		ip[6] = 6;
		ip[7] = s->ttl;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
		off += 40;
	}
	t = b + off;
	put16(t, s->sport);
	put16(t + 2, s->dport);
	put32(t + 4, s->seq);
	put32(t + 8, s->ack);
	t[12] = (5 + s->olen / 4) << 4;
	t[13] = s->tflags;
	put16(t + 14, s->win);
	if (s->olen)            /* NULL when empty: memcpy's argument may not */
		memcpy(t + 20, s->opts, s->olen);
	if (s->payload)
		memcpy(t + 20 + s->olen, s->data, s->payload);
	sum = csum_add(0, src, alen);
	sum = csum_add(sum, dst, alen);
	sum += 6 + l4len;
	put16(t + 16, csum_fold(csum_add(sum, t, l4len)));
	f->len = off + l4len;
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

#endif /* HS_TESTS_PKT_H */
