/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC ClientHellos from the datagrams a client sends (quic.c): long-header
 * packets walked (coalesced ones too), Initials of versions 1 and 2
 * decrypted, their CRYPTO frames put back together per connection (any
 * order, any split, duplicates, several Initials, a Retry in between),
 * and the complete ClientHello handed back once per connection. What cannot
 * be taken is said by a reason and counted. Everything is bounded: the
 * packets walked per datagram, the connections tracked (a table of fixed
 * size, the oldest given up first), the hellos being put together, the
 * byte ranges of each, the hello's size and its time. One tracker per
 * thread.
 */
#ifndef HS_QUIC_H
#define HS_QUIC_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "hydrascope.h"
#include "quickeys.h"

/* What became of a packet or a datagram (quic_reason_name: its name). */
enum quic_reason {
	QUIC_R_OK,              /* an Initial decrypted, its frames taken in */
	QUIC_R_SHORT,           /* ends before what its header or Length says */
	QUIC_R_OVERSIZE,        /* a datagram over QUIC_DGRAM_MAX bytes */
	QUIC_R_NOT_LONG,        /* a datagram starting with a short header */
	QUIC_R_BAD_VERSION,     /* not version 1 or 2 (0: version negotiation) */
	QUIC_R_BAD_DCID_LEN,    /* a DCID over 20 bytes */
	QUIC_R_BAD_SCID_LEN,    /* an SCID over 20 bytes */
	QUIC_R_NOT_INITIAL,     /* 0-RTT, Handshake or Retry: described, not opened */
	QUIC_R_OTHER_CONN,      /* coalesced after a packet with other IDs: ignored */
	QUIC_R_SMALL_DATAGRAM,  /* an Initial in a datagram under 1,200 bytes */
	QUIC_R_NO_SAMPLE,       /* too short for the header protection sample */
	QUIC_R_DECRYPT_FAILED,  /* does not authenticate */
	QUIC_R_BAD_RESERVED,    /* reserved header bits set */
	QUIC_R_BAD_FRAME,       /* no frame, a malformed one, or one not allowed in an Initial */
	QUIC_R_CRYPTO_TOO_FAR,  /* a CRYPTO frame past QUIC_HELLO_MAX: dropped */
	QUIC_R_CRYPTO_CONFLICT, /* CRYPTO bytes unlike those already had: dropped */
	QUIC_R_TOO_MANY_RANGES, /* more than QUIC_RANGES pieces apart: dropped */
	QUIC_R_NOT_HELLO,       /* the CRYPTO stream is not a ClientHello: given up */
	QUIC_R_HELLO_TOO_BIG,   /* a ClientHello over QUIC_HELLO_MAX: given up */
	QUIC_R_TABLE_FULL,      /* no connection slot or hello buffer free */
	QUIC_R_EVICTED,         /* a hello being put together, pushed out for a newer one */
	QUIC_R_TIMEOUT,         /* a hello still incomplete after the timeout */
	QUIC_R_AFTER_HELLO,     /* an Initial of a connection whose hello was taken */
	QUIC_R_GIVEN_UP,        /* an Initial of a connection given up on */
	QUIC_R_TOO_MANY_PACKETS,/* more than QUIC_DGRAM_PKTS packets coalesced */
	QUIC_R_MAX
};
const char *quic_reason_name(unsigned int reason);

/* Long-header packet types, version 1's numbers (version 2's are mapped). */
enum quic_ptype {
	QUIC_PT_INITIAL,
	QUIC_PT_0RTT,
	QUIC_PT_HANDSHAKE,
	QUIC_PT_RETRY,
};

#define QUIC_DGRAM_MAX 65535        /* largest UDP payload taken */
#define QUIC_DGRAM_MIN 1200         /* smallest datagram carrying a client's Initial */
#define QUIC_DGRAM_PKTS 8           /* long-header packets walked per datagram */
#define QUIC_RANGES 32              /* pieces of a hello apart at once */
/* The largest ClientHello handshake message taken: its TLS record (5 bytes
 * more) within HS_HELLO_LIMIT, what the kernel's walker takes. */
#define QUIC_HELLO_MAX (HS_HELLO_LIMIT - 5)
#define QUIC_CONNS_DEFAULT 4096
#define QUIC_BUFS_DEFAULT 256
#define QUIC_TIMEOUT_DEFAULT_NS HS_REASM_TIMEOUT_NS
#define QUIC_HOLD_DEFAULT_NS HS_FLOW_HOLD_NS

struct quic_config {
	unsigned int conns;   /* connections tracked at once, a power of two
			       * >= 8; 0: QUIC_CONNS_DEFAULT */
	unsigned int bufs;    /* hellos put together at once; 0: QUIC_BUFS_DEFAULT */
	__u64 timeout_ns;     /* a connection's lifetime; 0: QUIC_TIMEOUT_DEFAULT_NS */
	__u64 hold_ns;        /* a hello being put together is not pushed out for a
			       * newer one before this age; 0: QUIC_HOLD_DEFAULT_NS */
	__u64 seed;           /* the table's hash seed; 0: a random one */
};

/* One long-header packet of a datagram. Its fields are set as far as they
 * could be read: type and version from QUIC_R_BAD_DCID_LEN on, the IDs
 * from QUIC_R_NOT_INITIAL on (and for QUIC_R_BAD_VERSION: the invariant
 * header), pn for an Initial that decrypted. */
struct quic_packet {
	__u8  type;           /* enum quic_ptype */
	__u8  reason;         /* enum quic_reason */
	__u8  dcid_len, scid_len;
	__u32 version;
	__u8  dcid[QUIC_CID_MAX];
	__u8  scid[QUIC_CID_MAX];
	__u32 off, len;       /* where in the datagram, header included */
	__u32 token_len;      /* an Initial's token (a Retry's, or NEW_TOKEN's) */
	__u64 pn;
};

/* What a datagram held. hello and record point into the tracker, valid
 * until its next call. */
struct quic_dgram {
	unsigned int npkts;
	struct quic_packet pkt[QUIC_DGRAM_PKTS];
	__u8  reason;         /* the first reason not QUIC_R_OK, or QUIC_R_OK */
	bool  short_tail;     /* a short-header packet or zeros (padding) after them */
	bool  closed;         /* an Initial carried a CONNECTION_CLOSE */
	/* a ClientHello this datagram completed (NULL if none): the handshake
	 * message (type 1, 3-byte length, body), and the same as one TLS record */
	const __u8 *hello;
	__u32 hello_len;
	const __u8 *record;
	__u32 record_len;
	bool  restarted;      /* its connection changed DCID (a Retry) or version on the way */
};

struct quic_stats {
	__u64 reasons[QUIC_R_MAX];   /* packets (and datagrams, collections) by reason */
	__u64 datagrams, packets, hellos;
	unsigned int conns, conns_max;   /* connections tracked now, the bound */
	unsigned int bufs, bufs_max;     /* hellos being put together, the bound */
	size_t memory;                   /* bytes the tracker holds, all allocated at once */
};

struct quic_tracker;
/* NULL with errno set (EINVAL for a bad config, ENOMEM, or ENOSYS when
 * libcrypto lacks what it needs). cfg may be NULL: every default. */
struct quic_tracker *quic_tracker_new(const struct quic_config *cfg);
void quic_tracker_free(struct quic_tracker *t);

/* One UDP payload a client sent to a QUIC port: ep its addresses and ports
 * (the client's address, port and family with its SCID make a
 * connection's key; the rest is not read), now_ns any clock that does not
 * go back. Fills out; returns 1 when a ClientHello was completed, else 0. */
int quic_datagram(struct quic_tracker *t, const struct hs_endpoints *ep,
		  const __u8 *data, size_t len, __u64 now_ns, struct quic_dgram *out);
/* Up to max connections looked at (from where the last call stopped):
 * those past the timeout freed, the incomplete counted as QUIC_R_TIMEOUT.
 * Call it now and then (a full pass is conns_max); returns how many were
 * freed. */
unsigned int quic_expire(struct quic_tracker *t, __u64 now_ns, unsigned int max);
void quic_get_stats(const struct quic_tracker *t, struct quic_stats *s);

/* Several datagrams of one sender merged into one payload (GSO, GRO:
 * each but the last of the same length): that length, found from the
 * packets' own (every byte walked as long-header packets and zeros, a
 * datagram of at least 1,200 bytes starting with one of them, the
 * smallest such), or 0. */
size_t quic_dgram_size(const __u8 *d, size_t len);
/* A handshake message as one TLS record (16 03 01, the 2-byte length, the
 * message), what the kernel's ClientHello walker (bpf/tls.h) takes: its
 * length, or 0 when the message is over 65,535 bytes or out is too small. */
size_t quic_hello_record(const __u8 *hello, size_t len, __u8 *out, size_t cap);

#endif /* HS_QUIC_H */
