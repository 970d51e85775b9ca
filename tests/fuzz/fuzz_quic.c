// SPDX-License-Identifier: BSD-3-Clause
/*
 * libFuzzer: QUIC ClientHellos from client datagrams (user/quic.c). The
 * input is a list of records, each [flags][port and length, 2 bytes]
 * [bytes] (the length in the low 12 bits, one of 16 client ports in the top
 * 4), all fed in order into one small tracker (8 connections, 2 hello
 * buffers, so that it fills and evicts):
 *   flags & 0x80 clear: the bytes are a datagram, as they are;
 *   flags & 0x80 set:   the bytes are the frames of an Initial, sealed here
 *                       (tests/lib/quicpkt.h) and padded to 1,200 bytes:
 *                       version 2 with 0x01, one of four DCIDs by 0x06 (8,
 *                       8, 0 and 20 bytes), one of two SCIDs by 0x08; so
 *                       that the frame parser and the reassembly are
 *                       reached past the AEAD.
 * Both: the client's address is one of two by 0x10, the clock moves by
 * 0x60 >> 5 times 400 ms. Checked: at most QUIC_DGRAM_PKTS packets, each within the
 * datagram and with a reason; a hello only with a return of 1, a whole
 * ClientHello (type 1, its 3-byte length, at most QUIC_HELLO_MAX) and its
 * record; the table and the buffers within their bounds.
 * tests/fuzz/mkseeds_quic.c writes seeds in this format.
 */
#include "fuzz.h"
#include "quic.h"
#include "quicpkt.h"

#define SEALED 0x80

static const __u8 dcids[4][20] = {
	{ 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08 },
	{ 1, 2, 3, 4, 5, 6, 7, 8 },
	{ 0 },
	{ 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9 },
};
static const int dcid_lens[4] = { 8, 8, 0, 20 };

static void result_check(const struct quic_dgram *d, int got, size_t len, struct quic_tracker *t)
{
	struct quic_stats s;
	unsigned int i;

	FUZZ_CHECK(d->npkts <= QUIC_DGRAM_PKTS && d->reason < QUIC_R_MAX);
	FUZZ_CHECK(strcmp(quic_reason_name(d->reason), "unknown"));
	for (i = 0; i < d->npkts; i++) {
		FUZZ_CHECK(d->pkt[i].reason < QUIC_R_MAX);
		FUZZ_CHECK((size_t)d->pkt[i].off + d->pkt[i].len <= len);
		FUZZ_CHECK(d->pkt[i].dcid_len <= QUIC_CID_MAX && d->pkt[i].scid_len <= QUIC_CID_MAX);
	}
	FUZZ_CHECK(got == (d->hello != NULL));
	if (got) {
		const __u8 *h = d->hello;

		FUZZ_CHECK(d->hello_len >= 4 && d->hello_len <= QUIC_HELLO_MAX && h[0] == 1);
		FUZZ_CHECK(4 + ((__u32)h[1] << 16 | (__u32)h[2] << 8 | h[3]) == d->hello_len);
		FUZZ_CHECK(d->record_len == d->hello_len + 5 && d->record + 5 == d->hello);
		FUZZ_CHECK(d->record[0] == 0x16 && d->record[1] == 3 && d->record[2] == 1);
		FUZZ_CHECK((d->record[3] << 8 | d->record[4]) == (int)d->hello_len);
	}
	quic_get_stats(t, &s);
	FUZZ_CHECK(s.conns <= s.conns_max && s.bufs <= s.bufs_max);
}

static int sealed(__u8 flags, const __u8 *p, size_t n, __u64 pn, __u8 *out, int cap)
{
	struct qp_spec s = {
		.version = flags & 0x01 ? QUIC_V2 : QUIC_V1,
		.dcid = dcids[(flags >> 1) & 3],
		.dcid_len = dcid_lens[(flags >> 1) & 3],
		.scid_len = flags & 0x08 ? 4 : 0,
		.pn = pn,
		.pad_to = 1200,
	};
	__u8 pad[4] = { 0 };

	if (n < 4)      /* the sample needs them: PADDING */
		return qp_seal(&s, pad, 4, out, cap);
	return qp_seal(&s, p, (int)n, out, cap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static __u8 pkt[70000];
	struct quic_config cfg = { .conns = 8, .bufs = 2, .seed = 1 };
	struct quic_tracker *t = quic_tracker_new(&cfg);
	struct hs_endpoints ep[2] = { { .family = 4, .dport = 443 }, { .family = 6, .dport = 443 } };
	struct quic_dgram d;
	__u64 now = 1000000000ULL, pn = 0;
	size_t pos = 0;

	FUZZ_CHECK(t);
	ep[0].saddr[0] = 198;
	ep[1].saddr[0] = 0x20;
	while (pos + 3 <= size) {
		__u8 flags = data[pos];
		size_t n = (size_t)(data[pos + 1] & 0x0f) << 8 | data[pos + 2], len;
		const __u8 *p = data + pos + 3;
		struct hs_endpoints *e = &ep[(flags >> 4) & 1];
		int got;

		e->sport = (__u16)(5000 + (data[pos + 1] >> 4));

		pos += 3;
		n = n < size - pos ? n : size - pos;
		pos += n;
		now += ((flags >> 5) & 3) * 400000000ULL;
		if (flags & SEALED) {
			len = (size_t)sealed(flags, p, n, pn++, pkt, sizeof(pkt));
			p = pkt;
		} else {
			len = n;
		}
		got = quic_datagram(t, e, p, len, now, &d);
		result_check(&d, got, len, t);
	}
	quic_expire(t, now + 20000000000ULL, 16);
	quic_tracker_free(t);
	return 0;
}
