// SPDX-License-Identifier: BSD-3-Clause
/*
 * Capture files as Ethernet frames, read with libpcap (pcap and pcapng).
 * Kept apart from the libbpf code: pcap's and the kernel's bpf.h collide.
 */
#include <errno.h>
#include <stdbool.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"

#define ETH_HLEN_ 14
#define CAPTURE_READ_BUF (1 << 20)

/* A frame being cut (capture_cut): the TCP segment or UDP datagrams in
 * c->buf, where its IP and transport headers start (ip, l4), their end
 * (hdr), the next payload byte to hand (at) and the payload's end (end),
 * a piece's most payload bytes (a UDP piece: its datagram's whole). */
struct cut {
	unsigned int ip, l4, hdr, at, end, piece;
	bool v4, syn, udp;
	uint64_t ts_ns;
};

struct capture {
	pcap_t *pc;
	char *iobuf;                 /* the FILE's buffer */
	int dlt;
	unsigned long long count;
	unsigned int max;            /* capture_cut's */
	capture_dgram_fn *dgram;
	struct cut cut;              /* cut.end: a frame being cut */
	unsigned char buf[CAPTURE_FRAME_MAX];
	unsigned char piece[CAPTURE_FRAME_MAX];
	char err[PCAP_ERRBUF_SIZE + 64];
};

struct capture *capture_open(const char *path, char *err, size_t errlen)
{
	/* "-": standard input, as libpcap reads it */
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	return capture_fopen(f, err, errlen);
}

struct capture *capture_fopen(FILE *f, char *err, size_t errlen)
{
	char eb[PCAP_ERRBUF_SIZE];
	struct capture *c = calloc(1, sizeof(*c));

	/* libpcap freads each header and packet: with stdio's 4 KiB buffer a
	 * read system call every few packets, most of replay's own time
	 * (glibc takes a size only with a buffer; it must outlive the FILE,
	 * which standard input does: not there) */
	if (c && f != stdin)
		c->iobuf = malloc(CAPTURE_READ_BUF);
	if (c && c->iobuf)
		setvbuf(f, c->iobuf, _IOFBF, CAPTURE_READ_BUF);
	if (c)
		c->pc = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, eb);
	if (!c || !c->pc) {
		snprintf(err, errlen, "%s", c ? eb : strerror(ENOMEM));
		if (f != stdin)
			fclose(f);
		if (c)
			free(c->iobuf);
		free(c);
		return NULL;
	}
	c->dlt = pcap_datalink(c->pc);
	switch (c->dlt) {
	case DLT_EN10MB: case DLT_LINUX_SLL: case DLT_LINUX_SLL2:
	case DLT_RAW: case DLT_IPV4: case DLT_IPV6: case DLT_NULL: case DLT_LOOP:
		break;
	default:
		snprintf(err, errlen, "link type %s is not supported",
			 pcap_datalink_val_to_name(c->dlt) ?: "unknown");
		capture_close(c);
		return NULL;
	}
	return c;
}

void capture_close(struct capture *c)
{
	if (!c)
		return;
	pcap_close(c->pc);
	free(c->iobuf);
	free(c);
}

/* Frame length written to c->buf, or 0 when the packet is shorter than its
 * link header. */
static unsigned int to_ether(struct capture *c, const unsigned char *pkt, unsigned int caplen)
{
	unsigned int hl;
	unsigned short proto;

	switch (c->dlt) {
	case DLT_EN10MB:
		if (caplen < ETH_HLEN_)
			return 0;
		memcpy(c->buf, pkt, caplen);
		return caplen;
	case DLT_LINUX_SLL:
		hl = 16;
		if (caplen < hl)
			return 0;
		proto = (pkt[14] << 8) | pkt[15];
		break;
	case DLT_LINUX_SLL2:
		hl = 20;
		if (caplen < hl)
			return 0;
		proto = (pkt[0] << 8) | pkt[1];
		break;
	default:  /* raw IP, possibly behind a 4-byte BSD loopback header */
		hl = (c->dlt == DLT_NULL || c->dlt == DLT_LOOP) ? 4 : 0;
		if (caplen <= hl)
			return 0;
		proto = (pkt[hl] >> 4) == 6 ? 0x86dd : 0x0800;
		break;
	}
	memset(c->buf, 0, 12);
	c->buf[12] = proto >> 8;
	c->buf[13] = proto & 0xff;
	memcpy(c->buf + ETH_HLEN_, pkt + hl, caplen - hl);
	return caplen - hl + ETH_HLEN_;
}

void capture_cut(struct capture *c, unsigned int max, capture_dgram_fn *dgram)
{
	c->max = max;
	c->dgram = dgram;
}

static unsigned int be16(const unsigned char *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

static void put16(unsigned char *p, unsigned int v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

/* Where the IP packet of the Ethernet frame b (len bytes, up to two VLAN
 * tags) carries its upper-layer header (*l4) and where it ends (*ip_end,
 * within len); *ip its start. Its protocol (a whole TCP or UDP header in
 * it), or 0: not IP, an IP fragment, a packet longer than the frame. */
static unsigned int l4_of(const unsigned char *b, unsigned int len, unsigned int *ip,
			  unsigned int *l4, unsigned int *ip_end, bool *v4)
{
	unsigned int off = ETH_HLEN_, proto = len >= ETH_HLEN_ ? be16(b + 12) : 0, nh, i;

	for (i = 0; i < 2 && (proto == 0x8100 || proto == 0x88a8) && off + 4 <= len; i++) {
		proto = be16(b + off + 2);
		off += 4;
	}
	*ip = off;
	if (proto == 0x0800) {
		if (off + 20 > len || b[off] >> 4 != 4 || (b[off] & 0xf) < 5 ||
		    (be16(b + off + 6) & 0x3fff))     /* a fragment: not one segment */
			return 0;
		*v4 = true;
		nh = b[off + 9];
		*ip_end = off + be16(b + off + 2);
		*l4 = off + (b[off] & 0xf) * 4u;
	} else if (proto == 0x86dd) {
		if (off + 40 > len || b[off] >> 4 != 6)
			return 0;
		*v4 = false;
		*ip_end = off + 40 + be16(b + off + 4);  /* 0: a jumbogram, too short */
		nh = b[off + 6];
		*l4 = off + 40;
		/* hop-by-hop, routing and destination options (not a fragment) */
		for (i = 0; i < 4 && (nh == 0 || nh == 43 || nh == 60) && *l4 + 8 <= len; i++) {
			nh = b[*l4];
			*l4 += (b[*l4 + 1] + 1u) * 8;
		}
	} else {
		return 0;
	}
	if (*l4 + (nh == 6 ? 20 : nh == 17 ? 8 : 0) > *ip_end || *ip_end > len || !nh)
		return 0;
	return nh;
}

/* Is the frame in c->buf (len bytes, over c->max) one to cut: a TCP
 * segment with a payload, whose headers leave room for some in c->max
 * bytes, or UDP datagrams merged (c->dgram says the first one's length,
 * and they fit c->max)? Then c->cut says how. */
static bool cut_start(struct capture *c, unsigned int len)
{
	struct cut k = { 0 };
	const unsigned char *b = c->buf;
	unsigned int proto = l4_of(b, len, &k.ip, &k.l4, &k.end, &k.v4);
	size_t piece;

	k.udp = proto == 17;
	if (proto == 6) {
		k.hdr = k.l4 + (b[k.l4 + 12] >> 4) * 4u;
		k.syn = b[k.l4 + 13] & 0x02;
		if (k.hdr < k.l4 + 20 || k.hdr >= k.end || k.hdr >= c->max)
			return false;
		k.piece = c->max - k.hdr;
	} else if (proto == 17 && c->dgram) {
		k.hdr = k.l4 + 8;
		if (k.hdr >= k.end)
			return false;
		piece = c->dgram(b + k.hdr, k.end - k.hdr);
		if (!piece || piece >= k.end - k.hdr || k.hdr + piece > c->max)
			return false;
		k.piece = (unsigned int)piece;
	} else {
		return false;
	}
	k.at = k.hdr;
	c->cut = k;     /* only now: cut.at < cut.end says a frame is being cut */
	return true;
}

/* The next piece of the frame being cut, as a frame of its own: the same
 * headers, the IP lengths (and IPv4's checksum) its own; a TCP piece's
 * sequence number advanced by the payload before it, FIN and PSH on the
 * last piece only, SYN on the first only; a UDP piece's length its own
 * (the TCP and UDP checksums, which offloads leave undone in such
 * captures, are not made: UDP's is zeroed). */
static void cut_next(struct capture *c, struct capture_frame *f)
{
	struct cut *k = &c->cut;
	unsigned char *p = c->piece;
	unsigned int n = k->end - k->at, seq, sum, i;

	if (n > k->piece)
		n = k->piece;
	memcpy(p, c->buf, k->hdr);
	memcpy(p + k->hdr, c->buf + k->at, n);
	if (k->v4) {
		put16(p + k->ip + 2, k->hdr - k->ip + n);
		put16(p + k->ip + 10, 0);
		for (sum = 0, i = 0; i < (p[k->ip] & 0xfu) * 4; i += 2)
			sum += be16(p + k->ip + i);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		put16(p + k->ip + 10, ~sum & 0xffff);
	} else {
		put16(p + k->ip + 4, k->hdr - k->ip - 40 + n);
	}
	if (k->udp) {
		put16(p + k->l4 + 4, 8 + n);
		put16(p + k->l4 + 6, 0);
		k->at += n;
	} else {
		/* the payload's first byte is the SYN's number + 1 */
		seq = (unsigned int)be16(p + k->l4 + 4) << 16 | be16(p + k->l4 + 6);
		seq += k->at - k->hdr + (k->syn && k->at > k->hdr);
		put16(p + k->l4 + 4, seq >> 16);
		put16(p + k->l4 + 6, seq & 0xffff);
		if (k->at > k->hdr)
			p[k->l4 + 13] &= ~0x02;
		k->at += n;
		if (k->at < k->end)
			p[k->l4 + 13] &= ~0x09;
	}
	f->data = p;
	f->len = k->hdr + n;
	f->ts_ns = k->ts_ns;
}

int capture_next(struct capture *c, struct capture_frame *f)
{
	struct pcap_pkthdr *h;
	const unsigned char *pkt;
	int rc;

	if (c->cut.at < c->cut.end) {
		cut_next(c, f);
		return 1;
	}
	for (;;) {
		rc = pcap_next_ex(c->pc, &h, &pkt);
		if (rc == PCAP_ERROR_BREAK)
			return 0;
		if (rc != 1) {
			snprintf(c->err, sizeof(c->err), "capture ends early after %llu packets: %s",
				 c->count, pcap_geterr(c->pc));
			return -1;
		}
		c->count++;
		/* libpcap reads packets of up to 256 KiB; an IP packet is at most
		 * 64 KiB, what the frame buffer holds behind any link header */
		if (h->caplen > CAPTURE_FRAME_MAX - ETH_HLEN_) {
			f->oversize++;
			continue;
		}
		f->len = to_ether(c, pkt, h->caplen);
		if (!f->len) {
			f->runt++;
			continue;
		}
		if (h->caplen < h->len)
			f->snapped++;
		f->data = c->buf;
		f->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ULL + h->ts.tv_usec;
		if (c->max && f->len > c->max && cut_start(c, f->len)) {
			c->cut.ts_ns = f->ts_ns;
			f->cut++;
			cut_next(c, f);
		}
		return 1;
	}
}

const char *capture_error(const struct capture *c)
{
	return c->err;
}
