/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The packet fuzzer's generator, shared by test_pktfuzz (every packet
 * judged alone) and test_equiv (every packet through two builds of the
 * program, compared): seed connections (SYNs with odd options, ClientHellos
 * of every size and cut, QUIC datagrams), their mutations, random frames.
 * The generator's state is one xorshift word (rng): a seed repeats a run.
 * Include after pkt.h.
 */
#ifndef HS_TESTS_PKTGEN_H
#define HS_TESTS_PKTGEN_H

#include <string.h>
#include <linux/types.h>

#define BUF_MAX 3500            /* an XDP test run takes a page less head- and tailroom */
#define CASE_MAX 4              /* frames of one connection */

struct pframe {
	__u8 b[BUF_MAX];
	int len;
};

struct conn {                   /* a seed connection: its frames in order */
	const char *name;
	struct pframe f[CASE_MAX];
	int n;
};

#define SEEDS_MAX 24
static struct conn seeds[SEEDS_MAX];
static int nseeds;

static __u64 rng;

static __u64 rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned int below(unsigned int n)
{
	return n ? (unsigned int)(rnd() % n) : 0;
}

/* ------------------------------------------------------------------ */
/* Seeds */

static void add_frame(struct conn *c, const struct pspec *p)
{
	struct frame f;

	build(p, &f);
	memcpy(c->f[c->n].b, f.b, (size_t)f.len);
	c->f[c->n].len = f.len;
	c->n++;
}

static struct pspec base(int ver, __u16 sport, __u16 dport)
{
	return (struct pspec){ .ver = ver, .ttl = 64, .ip_id = 7, .frag = IPF_DF,
			       .sport = sport, .dport = dport, .seq = 1000, .tflags = TH_SYN, .win = 64240,
			       .opts = (const __u8 *)(ver == 6 ? LINUX6 : LINUX4), .olen = 20 };
}

/* A connection: its SYN, then the hello in segments of at most seg bytes. */
static void seed_conn(const char *name, struct pspec syn, const __u8 *hello, int len, int seg)
{
	struct conn *c = &seeds[nseeds++];
	int off;

	c->name = name;
	c->n = 0;
	add_frame(c, &syn);
	for (off = 0; off < len && c->n < CASE_MAX; off += seg) {
		struct pspec d = syn;

		d.tflags = TH_ACK | TH_PSH;
		d.seq = syn.seq + 1 + (__u32)off;
		d.ack = 5000;
		d.opts = NULL;
		d.olen = 0;
		d.data = hello + off;
		d.payload = len - off < seg ? len - off : seg;
		add_frame(c, &d);
	}
}

/* A QUIC connection's two client datagrams to port 443. */
static void seed_quic(const char *name, int ver, __u16 sport, struct qspec a, struct qspec b)
{
	static __u8 d[2][1500];
	struct conn *c = &seeds[nseeds++];
	struct pspec p = { .ver = ver, .ttl = 64, .frag = IPF_DF, .proto = NH_UDP, .udp = 1,
			   .sport = sport, .dport = 443 };

	c->name = name;
	c->n = 0;
	p.data = d[0];
	p.payload = quic_dgram(&a, d[0], sizeof(d[0]));
	add_frame(c, &p);
	p.data = d[1];
	p.payload = quic_dgram(&b, d[1], sizeof(d[1]));
	add_frame(c, &p);
}

static void make_seeds(void)
{
	static const __u8 odd_opts[] = { 0x03, 0x03, 0x0e, 0x01, 0x02, 0x04, 0x02, 0x18,
					 0x08, 0x0a, 0, 0, 0, 1, 0, 0, 0, 0, 0x04, 0x02, 0, 0, 0, 0 };
	static __u8 hello[3][1500], big[3000], huge[3000];
	struct hspec many = SPEC(.gen_exts = 600, .pad = 0, .sni = NULL, .alpn = NULL),
		     lots = SPEC(.gen_ciphers = 1000, .pad = 0);
	struct pspec p;
	int len[3], i, blen, hlen;

	for (i = 0; i < 3; i++)
		len[i] = pkt_hello(i, hello[i], sizeof(hello[i]));
	blen = build_hello(&many, big, sizeof(big));
	hlen = build_hello(&lots, huge, sizeof(huge));

	nseeds = 0;
	seed_conn("syn4", base(4, 40001, 443), NULL, 0, 1);
	seed_conn("syn6", base(6, 40002, 443), NULL, 0, 1);
	p = base(4, 40003, 80);
	p.ntags = 2;
	p.tags[0] = 0x88a8;
	p.tags[1] = 0x8100;
	seed_conn("syn4_vlan2", p, NULL, 0, 1);
	p = base(4, 40004, 443);
	p.opts = odd_opts;
	p.olen = sizeof(odd_opts);
	seed_conn("syn4_odd_opts", p, NULL, 0, 1);
	seed_conn("hello4_chrome", base(4, 40005, 443), hello[0], len[0], SEG_MAX);
	seed_conn("hello6_curl", base(6, 40006, 8443), hello[1], len[1], SEG_MAX);
	seed_conn("hello4_firefox_3seg", base(4, 40007, 443), hello[2], len[2], 200);
	seed_conn("hello4_600_exts", base(4, 40008, 443), big, blen, SEG_MAX);
	seed_conn("hello6_1000_ciphers", base(6, 40009, 443), huge, hlen, SEG_MAX);
	p = base(4, 40010, 443);
	p.ntags = 1;
	p.tags[0] = 0x8100;
	seed_conn("hello4_vlan_1byte_first", p, hello[0], len[0], 1);
	p = base(4, 40011, 443);
	p.tflags = TH_ACK;
	p.opts = NULL;
	p.olen = 0;
	seed_conn("ack4", p, NULL, 0, 1);
	{       /* UDP: the same frame with protocol 17 */
		struct conn *c = &seeds[nseeds - 1];

		seeds[nseeds] = *c;
		seeds[nseeds].name = "udp4";
		seeds[nseeds].f[0].b[14 + 9] = 17;
		nseeds++;
	}
	/* QUIC: a client's first flight (an Initial), its second (an Initial
	 * and a Handshake coalesced, version 2), a Handshake alone, a 1-RTT
	 * datagram */
	seed_quic("quic4_v1", 4, 40012, (struct qspec){ .type = QT_INITIAL },
		  (struct qspec){ .type = QT_HANDSHAKE, .size = 90 });
	seed_quic("quic6_v2_coalesced", 6, 40013,
		  (struct qspec){ .version = PKT_QUIC_V2, .type = QT_INITIAL, .size = 1300 },
		  (struct qspec){ .version = PKT_QUIC_V2, .type = QT_INITIAL, .size = 1250,
				  .hs_after = 100, .hs_dcid = SCID0, .hs_dcid_len = 8 });
	seed_quic("quic4_1rtt", 4, 40014, (struct qspec){ .b0 = 0x41, .size = 300 },
		  (struct qspec){ .type = QT_0RTT, .size = 1200 });
	/* and a Handshake cut inside its DCID: malformed whatever the fuzz
	 * draws, so a run always meets a bad QUIC header */
	seed_quic("quic4_cut_handshake", 4, 40015, (struct qspec){ .type = QT_INITIAL },
		  (struct qspec){ .type = QT_HANDSHAKE, .size = 90, .cut = 10 });
}

/* ------------------------------------------------------------------ */
/* Mutations */

/* Offsets of the L3 and L4 headers and the IP version, walking VLAN tags
 * (and IPv6 extension headers) as any parser would; -1 when not found. */
struct at {
	int l3, l4, ver;
};

static struct at locate(const struct pframe *f)
{
	struct at a = { -1, -1, 0 };
	int off = 12, type, n;

	while (off + 2 <= f->len) {
		type = f->b[off] << 8 | f->b[off + 1];
		if (type == 0x8100 || type == 0x88a8) {
			off += 4;
			continue;
		}
		off += 2;
		if (type == 0x0800 && off + 20 <= f->len) {
			a.l3 = off;
			a.ver = 4;
			a.l4 = off + (f->b[off] & 15) * 4;
		} else if (type == 0x86dd && off + 40 <= f->len) {
			int next = f->b[off + 6], l4 = off + 40;

			a.l3 = off;
			a.ver = 6;
			for (n = 0; n < 8 && (next == 0 || next == 43 || next == 60 || next == 44) &&
				    l4 + 8 <= f->len; n++) {
				next = f->b[l4];
				l4 += next == 44 ? 8 : (f->b[l4 + 1] + 1) * 8;
			}
			a.l4 = l4;
		}
		break;
	}
	if (a.l4 > f->len)
		a.l4 = -1;
	return a;
}

static void insert(struct pframe *f, int at, const __u8 *bytes, int n)
{
	if (at < 0 || at > f->len || f->len + n > BUF_MAX)
		return;
	memmove(f->b + at + n, f->b + at, (size_t)(f->len - at));
	memcpy(f->b + at, bytes, (size_t)n);
	f->len += n;
}

static void put16_at(struct pframe *f, int at, unsigned int v)
{
	if (at >= 0 && at + 2 <= f->len)
		put16(f->b + at, v);
}

/* A value a length field might lie with: around the truth, or extreme. */
static unsigned int lie16(unsigned int truth)
{
	static const unsigned int extreme[] = { 0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x3fff,
						0x4000, 0x7fff, 0x8000, 0xfffe, 0xffff };

	if (below(2))
		return (truth + below(17) - 8) & 0xffff;
	return extreme[below(sizeof(extreme) / sizeof(extreme[0]))];
}

static void mutate(struct pframe *f)
{
	struct at a = locate(f);
	int pl = a.l4 >= 0 && a.l4 + 13 < f->len ? a.l4 + (f->b[a.l4 + 12] >> 4) * 4 : -1;
	__u8 bytes[64];
	int i, n, at;

	switch (below(14)) {
	case 0:         /* truncate */
		f->len = (int)below((unsigned int)f->len + 1);
		break;
	case 1:         /* flip bits */
		for (n = (int)below(8) + 1; n-- && f->len;)
			f->b[below((unsigned int)f->len)] ^= (__u8)(1u << below(8));
		break;
	case 2:         /* random bytes over a stretch */
		if (!f->len)
			break;
		at = (int)below((unsigned int)f->len);
		for (n = (int)below(16) + 1; n-- && at < f->len; at++)
			f->b[at] = (__u8)rnd();
		break;
	case 3:         /* an IP length lies: total length, IHL, payload length */
		if (a.ver == 4) {
			if (below(2))
				put16_at(f, a.l3 + 2, lie16((unsigned int)(f->len - a.l3)));
			else
				f->b[a.l3] = (__u8)(0x40 | below(16));
		} else if (a.ver == 6) {
			put16_at(f, a.l3 + 4, lie16((unsigned int)(f->len - a.l3 - 40)));
		}
		break;
	case 4:         /* the TCP data offset lies */
		if (a.l4 >= 0 && a.l4 + 13 <= f->len)
			f->b[a.l4 + 12] = (__u8)(below(16) << 4);
		break;
	case 5:         /* bogus TCP options over the option space */
		if (a.l4 >= 0 && a.l4 + 20 <= f->len) {
			static const __u8 kinds[] = { 0, 1, 2, 3, 4, 5, 8, 28, 30, 34, 254, 255 };
			int end = pl > a.l4 + 20 && pl <= f->len ? pl : a.l4 + 20;

			for (at = a.l4 + 20; at < end; at++)
				f->b[at] = below(3) ? kinds[below(sizeof(kinds))] : (__u8)rnd();
			if (end == a.l4 + 20 && f->len + 40 <= BUF_MAX) {
				for (i = 0; i < 40; i++)
					bytes[i] = (__u8)(below(2) ? rnd() : 1);
				insert(f, end, bytes, 40);
				f->b[a.l4 + 12] = 0xf0;
			}
		}
		break;
	case 6:         /* TCP flags */
		if (a.l4 >= 0 && a.l4 + 14 <= f->len)
			f->b[a.l4 + 13] = (__u8)rnd();
		break;
	case 7:         /* a TLS length lies: record, handshake, or one further in */
		if (pl >= 0 && pl < f->len) {
			static const int where[] = { 3, 6, 7, 43, 44, 45, 46, 76, 77, 78 };

			at = below(3) ? pl + where[below(sizeof(where) / sizeof(where[0]))]
				      : pl + (int)below((unsigned int)(f->len - pl));
			put16_at(f, at, lie16(at + 2 <= f->len ? (unsigned int)(f->b[at] << 8 | f->b[at + 1]) : 0));
		}
		break;
	case 8:         /* VLAN tags in front (too many of them, sometimes) */
		for (n = (int)below(4) + 1; n--;) {
			bytes[0] = below(2) ? 0x81 : 0x88;
			bytes[1] = bytes[0] == 0x81 ? 0x00 : 0xa8;
			bytes[2] = (__u8)below(16);
			bytes[3] = (__u8)rnd();
			insert(f, 12, bytes, 4);
		}
		break;
	case 9:         /* IPv6 extension headers, a chain of them */
		if (a.ver == 6) {
			static const __u8 types[] = { 0, 43, 60, 44 };

			for (n = (int)below(9) + 1; n--;) {
				a = locate(f);
				if (a.l3 < 0)
					break;
				memset(bytes, 0, 8);
				bytes[0] = f->b[a.l3 + 6];
				f->b[a.l3 + 6] = types[below(4)];
				if (f->b[a.l3 + 6] == 44 && below(2))
					put16(bytes + 2, (unsigned int)below(0x10000));   /* offset, M */
				insert(f, a.l3 + 40, bytes, 8);
				put16_at(f, a.l3 + 4, (unsigned int)(f->len - a.l3 - 40));
			}
		}
		break;
	case 10:        /* an IPv4 fragment: more-fragments or an offset */
		if (a.ver == 4)
			put16_at(f, a.l3 + 6, below(2) ? 0x2000 : (unsigned int)below(0x2000));
		break;
	case 11:        /* bytes inserted */
		n = (int)below(64) + 1;
		for (i = 0; i < n; i++)
			bytes[i] = (__u8)rnd();
		insert(f, (int)below((unsigned int)f->len + 1), bytes, n);
		break;
	case 12:        /* bytes removed */
		if (f->len) {
			at = (int)below((unsigned int)f->len);
			n = (int)below(64) + 1;
			if (at + n > f->len)
				n = f->len - at;
			memmove(f->b + at, f->b + at + n, (size_t)(f->len - at - n));
			f->len -= n;
		}
		break;
	default:        /* a byte set to a boundary value */
		if (f->len) {
			static const __u8 v[] = { 0, 1, 0x7f, 0x80, 0xfe, 0xff, 0x16, 0x03 };

			f->b[below((unsigned int)f->len)] = v[below(sizeof(v))];
		}
	}
}


/* A seed connection's frames, some mutated, a new source port sport:
 * each frame to send(ctx, frame) in order. */
static void pktgen_case(__u16 sport, void (*send)(void *, const struct pframe *), void *ctx)
{
	const struct conn *c = &seeds[below((unsigned int)nseeds)];
	static struct pframe f;
	int i, target = (int)below((unsigned int)c->n), all = below(8) == 0;
	int skip_syn = c->n > 1 && below(8) == 0;

	for (i = skip_syn; i < c->n; i++) {
		struct at a;
		int m;

		f = c->f[i];
		a = locate(&f);
		if (a.l4 >= 0 && a.l4 + 2 <= f.len)
			put16(f.b + a.l4, sport);
		if (all || i == target)
			for (m = (int)below(3) + 1; m--;)
				mutate(&f);
		send(ctx, &f);
	}
}

/* A frame of random bytes (an IP ethertype half the time). */
static void pktgen_random(struct pframe *f)
{
	int i;

	f->len = 14 + (int)below(600);
	for (i = 0; i < f->len; i++)
		f->b[i] = (__u8)rnd();
	if (below(2)) {         /* an IP ethertype, so the parse goes further */
		put16(f->b + 12, below(2) ? 0x0800 : 0x86dd);
		f->b[14] = below(2) ? 0x45 : 0x60;
	}
}

#endif /* HS_TESTS_PKTGEN_H */
