// SPDX-License-Identifier: BSD-3-Clause
/*
 * Capture files as Ethernet frames, read with libpcap (pcap and pcapng).
 * Kept apart from the libbpf code: pcap's and the kernel's bpf.h collide.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"

#define ETH_HLEN_ 14
#define CAPTURE_READ_BUF (1 << 20)

struct capture {
	pcap_t *pc;
	char *iobuf;                 /* the FILE's buffer */
	int dlt;
	unsigned long long count;
	unsigned char buf[CAPTURE_FRAME_MAX];
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

int capture_next(struct capture *c, struct capture_frame *f)
{
	struct pcap_pkthdr *h;
	const unsigned char *pkt;
	int rc;

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
		f->data = c->buf;
		f->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ULL + h->ts.tv_usec;
		return 1;
	}
}

const char *capture_error(const struct capture *c)
{
	return c->err;
}
