/* SPDX-License-Identifier: BSD-3-Clause */
/* Capture files read as Ethernet frames (capture.c). */
#ifndef HS_CAPTURE_H
#define HS_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CAPTURE_FRAME_MAX (65535 + 14)
struct capture;
struct capture_frame {
	const unsigned char *data;   /* Ethernet frame, valid until the next call */
	unsigned int len;
	uint64_t ts_ns;              /* Unix time */
	unsigned long long runt;     /* packets shorter than their link header */
	unsigned long long oversize; /* packets over 65,535 bytes: not read */
	unsigned long long cut;      /* frames cut into segments (capture_cut) */
	unsigned long long snapped;  /* packets cut short by the snapshot length */
};
struct capture *capture_open(const char *path, char *err, size_t errlen);
/* The same from an open file, which the capture owns from then on (closed
 * by capture_close, or here on failure; never standard input). */
struct capture *capture_fopen(FILE *f, char *err, size_t errlen);
/* The length of the first of the UDP datagrams merged in payload (len
 * bytes: each but the last as long, as GSO and GRO merge them), or 0 when
 * it cannot tell (then the frame is not cut). */
typedef size_t capture_dgram_fn(const unsigned char *payload, size_t len);
/* Frames longer than max bytes (0, the default: none) that hold one TCP
 * segment, as a capture taken with segmentation offloads on holds several
 * of the wire's (GRO, TSO, or loopback's MTU), come as segments of at most
 * max bytes, cut from it in order; those that hold UDP datagrams merged
 * (GSO, GRO) whose length dgram (NULL: none) tells, as those datagrams;
 * any bytes after its IP packet dropped. */
void capture_cut(struct capture *c, unsigned int max, capture_dgram_fn *dgram);
/* 1: a frame; 0: end of file; -1: read error (capture_error() says which) */
int capture_next(struct capture *c, struct capture_frame *f);
const char *capture_error(const struct capture *c);
void capture_close(struct capture *c);

#endif /* HS_CAPTURE_H */
