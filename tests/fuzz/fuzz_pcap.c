// SPDX-License-Identifier: BSD-3-Clause
/*
 * libFuzzer: replay's capture path from any bytes: libpcap reads the
 * pcap or pcapng file, capture_next turns each packet of each supported
 * link type into an Ethernet frame with a packet-time clock, a TCP
 * segment longer than 128 bytes cut into segments and UDP datagrams into
 * datagrams of a length the first payload byte says (capture_cut, as
 * replay cuts those longer than a page; replay's own length of merged
 * QUIC datagrams, quic_dgram_size, and its test of a client's Initial
 * run on every payload). What replay does next, BPF_PROG_TEST_RUN, needs
 * the kernel and is left out.
 */
#include "fuzz.h"
#include "capture.h"
#include "quic.h"

static volatile unsigned int sink;

static size_t dgram(const unsigned char *p, size_t len)
{
	sink += (unsigned int)quic_dgram_size(p, len);
	return len ? p[0] % 64 + 1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct capture_frame fr = { 0 };
	struct capture *c;
	unsigned int sum = 0, i;
	char err[1024] = "";
	int rc;

	c = capture_fopen(fuzz_file(data, size), err, sizeof(err));
	if (!c) {
		FUZZ_CHECK(*err && !strchr(err, '\n'));
		return 0;
	}
	capture_cut(c, 128, dgram);
	while ((rc = capture_next(c, &fr)) == 1) {
		/* the frame the test run gets: every byte readable */
		FUZZ_CHECK(fr.len >= 14 && fr.len <= CAPTURE_FRAME_MAX);
		for (i = 0; i < fr.len; i++)
			sum += fr.data[i];
	}
	if (rc < 0)
		FUZZ_CHECK(*capture_error(c));
	capture_close(c);
	sink = sum;
	return 0;
}
