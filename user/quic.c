// SPDX-License-Identifier: BSD-3-Clause
/*
 * QUIC ClientHellos from a client's datagrams (RFC 9000, 9001, 9369).
 *
 * A datagram is walked packet by packet while long headers last (each
 * one's Length says where the next starts), at most QUIC_DGRAM_PKTS. An
 * Initial is opened with the keys of its DCID (kept with its connection:
 * the keys are derived once per DCID), its frames checked, then its CRYPTO
 * frames laid into the connection's hello buffer by offset.
 *
 * A connection is the client's address, port and Source Connection ID:
 * the client keeps its SCID across a Retry, which changes the DCID (and
 * the keys) but not the hello; a client that starts again from another
 * port after version negotiation is another connection. Its hello is
 * handed back once, by the datagram that completed it; later Initials of
 * the connection are not opened.
 *
 * The connections sit in a table of fixed size, in buckets of WAYS slots:
 * a lookup reads one bucket. A new connection takes a free slot, or one
 * past the timeout, or the oldest one done with, or the oldest still
 * being put together if it is past the hold time; else it is refused
 * (QUIC_R_TABLE_FULL). Hello buffers are fewer than slots: most hellos
 * come whole in their first Initial and are put together in a scratch
 * buffer, which a connection keeps only if its hello is still incomplete.
 * Nothing is allocated after quic_tracker_new.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "hs_hash.h"
#include "quic.h"

#define WAYS 8                  /* slots of a bucket */
#define VICTIM_SAMPLE 8         /* hello buffers looked at for the oldest */
#define PN_NONE (~0ULL)

static const char *const reason_names[QUIC_R_MAX] = {
	[QUIC_R_OK] = "ok",
	[QUIC_R_SHORT] = "short",
	[QUIC_R_OVERSIZE] = "oversize",
	[QUIC_R_NOT_LONG] = "not_long",
	[QUIC_R_BAD_VERSION] = "bad_version",
	[QUIC_R_BAD_DCID_LEN] = "bad_dcid_len",
	[QUIC_R_BAD_SCID_LEN] = "bad_scid_len",
	[QUIC_R_NOT_INITIAL] = "not_initial",
	[QUIC_R_OTHER_CONN] = "other_conn",
	[QUIC_R_SMALL_DATAGRAM] = "small_datagram",
	[QUIC_R_NO_SAMPLE] = "no_sample",
	[QUIC_R_DECRYPT_FAILED] = "decrypt_failed",
	[QUIC_R_BAD_RESERVED] = "bad_reserved",
	[QUIC_R_BAD_FRAME] = "bad_frame",
	[QUIC_R_CRYPTO_TOO_FAR] = "crypto_too_far",
	[QUIC_R_CRYPTO_CONFLICT] = "crypto_conflict",
	[QUIC_R_TOO_MANY_RANGES] = "too_many_ranges",
	[QUIC_R_NOT_HELLO] = "not_hello",
	[QUIC_R_HELLO_TOO_BIG] = "hello_too_big",
	[QUIC_R_TABLE_FULL] = "table_full",
	[QUIC_R_EVICTED] = "evicted",
	[QUIC_R_TIMEOUT] = "timeout",
	[QUIC_R_AFTER_HELLO] = "after_hello",
	[QUIC_R_GIVEN_UP] = "given_up",
	[QUIC_R_TOO_MANY_PACKETS] = "too_many_packets",
};

const char *quic_reason_name(unsigned int reason)
{
	return reason < QUIC_R_MAX ? reason_names[reason] : "unknown";
}

/* ---- the table ---- */

/* A connection's key: 5 words, hashed as they are. */
struct quic_key {
	__u8 addr[16];
	__u8 scid[QUIC_CID_MAX];
	__u16 port;
	__u8 family;
	__u8 scid_len;
} __attribute__((aligned(8)));
_Static_assert(sizeof(struct quic_key) == 40, "quic_key: 5 words, no padding");

/* A hello being put together: the byte ranges had, ascending and apart
 * (neither overlapping nor touching). */
struct quic_buf {
	struct quic_conn *owner;
	unsigned int n;
	struct { __u16 lo, hi; } r[QUIC_RANGES];
	__u8 data[QUIC_HELLO_MAX];
};

enum { C_FREE, C_COLLECTING, C_DONE, C_GIVEN_UP };

struct quic_conn {
	struct quic_key k;
	__u64 h;
	__u64 start_ns;
	__u64 largest_pn;       /* PN_NONE before the first */
	struct quic_buf *buf;
	struct quic_keys keys;  /* of version and dcid; dcid_len > QUIC_CID_MAX: none */
	__u32 version;
	__u8 dcid[QUIC_CID_MAX];
	__u8 dcid_len;
	__u8 state;
	bool restarted;
};

struct quic_tracker {
	struct quic_crypto *c;
	struct quic_conn *conns;
	unsigned int nconns, bmask, used, cursor;
	struct quic_buf *bufmem;        /* nbufs + 1, the scratch one among them */
	struct quic_buf **free_bufs;
	struct quic_buf *scratch;
	unsigned int nbufs, nfree, victim;
	__u64 timeout_ns, hold_ns, seed;
	struct quic_stats st;
	/* the keys derived last, for an Initial of no connection yet: the next
	 * one coalesced after it (or sent again while the table is full) */
	struct quic_keys last_keys;
	__u32 last_version;
	__u8 last_dcid[QUIC_CID_MAX];
	__u8 last_dcid_len;             /* > QUIC_CID_MAX: none */
	__u8 aad[QUIC_DGRAM_MAX];
	__u8 plain[QUIC_DGRAM_MAX];
	__u8 out[5 + QUIC_HELLO_MAX];
};

static __u64 random_seed(void)
{
	__u64 s = 0;

	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != sizeof(s))
		s = (__u64)(size_t)&s ^ 0x7175696374726b72ULL;
	return s | 1;
}

static int config_read(struct quic_tracker *t, const struct quic_config *cfg)
{
	static const struct quic_config none;

	if (!cfg)
		cfg = &none;
	t->nconns = cfg->conns ? cfg->conns : QUIC_CONNS_DEFAULT;
	t->nbufs = cfg->bufs ? cfg->bufs : QUIC_BUFS_DEFAULT;
	t->timeout_ns = cfg->timeout_ns ? cfg->timeout_ns : QUIC_TIMEOUT_DEFAULT_NS;
	t->hold_ns = cfg->hold_ns ? cfg->hold_ns : QUIC_HOLD_DEFAULT_NS;
	t->seed = cfg->seed ? cfg->seed : random_seed();
	if (t->nconns < WAYS || (t->nconns & (t->nconns - 1)) || t->nconns > (1u << 24) ||
	    t->nbufs > (1u << 20))
		return -1;
	t->bmask = t->nconns / WAYS - 1;
	return 0;
}

static int tables_alloc(struct quic_tracker *t)
{
	unsigned int i;

	t->conns = calloc(t->nconns, sizeof(*t->conns));
	t->bufmem = calloc(t->nbufs + 1, sizeof(*t->bufmem));
	t->free_bufs = calloc(t->nbufs, sizeof(*t->free_bufs));
	if (!t->conns || !t->bufmem || !t->free_bufs)
		return -1;
	for (i = 0; i < t->nbufs; i++)
		t->free_bufs[i] = &t->bufmem[i];
	t->nfree = t->nbufs;
	t->scratch = &t->bufmem[t->nbufs];
	t->st.conns_max = t->nconns;
	t->st.bufs_max = t->nbufs;
	t->st.memory = sizeof(*t) + t->nconns * sizeof(*t->conns) +
		       (t->nbufs + 1) * sizeof(*t->bufmem) + t->nbufs * sizeof(*t->free_bufs);
	return 0;
}

struct quic_tracker *quic_tracker_new(const struct quic_config *cfg)
{
	struct quic_tracker *t = calloc(1, sizeof(*t));

	if (!t) {
		errno = ENOMEM;
		return NULL;
	}
	if (config_read(t, cfg)) {
		free(t);
		errno = EINVAL;
		return NULL;
	}
	if (tables_alloc(t)) {
		quic_tracker_free(t);
		errno = ENOMEM;
		return NULL;
	}
	t->last_dcid_len = QUIC_CID_MAX + 1;
	if (!(t->c = quic_crypto_new())) {
		quic_tracker_free(t);
		errno = ENOSYS;
		return NULL;
	}
	return t;
}

void quic_tracker_free(struct quic_tracker *t)
{
	if (!t)
		return;
	quic_crypto_free(t->c);
	free(t->conns);
	free(t->bufmem);
	free(t->free_bufs);
	free(t);
}

void quic_get_stats(const struct quic_tracker *t, struct quic_stats *s)
{
	*s = t->st;
	s->conns = t->used;
	s->bufs = t->nbufs - t->nfree;
}

static void buf_put(struct quic_tracker *t, struct quic_buf *b)
{
	b->owner = NULL;
	t->free_bufs[t->nfree++] = b;
}

/* A connection's slot freed; one still being put together counted by why. */
static void conn_free(struct quic_tracker *t, struct quic_conn *c, unsigned int why)
{
	if (c->state == C_COLLECTING)
		t->st.reasons[why]++;
	if (c->buf)
		buf_put(t, c->buf);
	c->buf = NULL;
	c->state = C_FREE;
	t->used--;
}

static bool conn_expired(const struct quic_tracker *t, const struct quic_conn *c, __u64 now)
{
	return c->state != C_FREE && now >= c->start_ns && now - c->start_ns >= t->timeout_ns;
}

static bool conn_held(const struct quic_tracker *t, const struct quic_conn *c, __u64 now)
{
	return now < c->start_ns || now - c->start_ns < t->hold_ns;
}

static struct quic_conn *bucket(const struct quic_tracker *t, __u64 h)
{
	return &t->conns[(h & t->bmask) * WAYS];
}

static __u64 key_hash(const struct quic_tracker *t, const struct quic_key *k)
{
	return hs_hash_words((const __u64 *)k, sizeof(*k) / 8, t->seed);
}

static struct quic_conn *conn_find(struct quic_tracker *t, const struct quic_key *k, __u64 h,
				   __u64 now)
{
	struct quic_conn *b = bucket(t, h);
	int i;

	for (i = 0; i < WAYS; i++) {
		if (b[i].state == C_FREE || b[i].h != h || memcmp(&b[i].k, k, sizeof(*k)))
			continue;
		if (!conn_expired(t, &b[i], now))
			return &b[i];
		conn_free(t, &b[i], QUIC_R_TIMEOUT);
		return NULL;
	}
	return NULL;
}

/* The slot a new connection takes in a full bucket: the oldest done with,
 * else the oldest being put together past the hold time; NULL if none. */
static struct quic_conn *bucket_victim(struct quic_tracker *t, struct quic_conn *b, __u64 now)
{
	struct quic_conn *done = NULL, *old = NULL;
	int i;

	for (i = 0; i < WAYS; i++) {
		if (b[i].state != C_COLLECTING) {
			if (!done || b[i].start_ns < done->start_ns)
				done = &b[i];
		} else if (!conn_held(t, &b[i], now) && (!old || b[i].start_ns < old->start_ns)) {
			old = &b[i];
		}
	}
	if (done || old)
		conn_free(t, done ? done : old, QUIC_R_EVICTED);
	return done ? done : old;
}

static struct quic_conn *conn_add(struct quic_tracker *t, const struct quic_key *k, __u64 h,
				  __u64 now)
{
	struct quic_conn *b = bucket(t, h), *c = NULL;
	int i;

	for (i = 0; i < WAYS && !c; i++) {
		if (b[i].state == C_FREE)
			c = &b[i];
		else if (conn_expired(t, &b[i], now))
			conn_free(t, c = &b[i], QUIC_R_TIMEOUT);
	}
	if (!c && !(c = bucket_victim(t, b, now)))
		return NULL;
	memset(c, 0, sizeof(*c));
	c->k = *k;
	c->h = h;
	c->start_ns = now;
	c->largest_pn = PN_NONE;
	c->dcid_len = QUIC_CID_MAX + 1;
	c->state = C_COLLECTING;
	t->used++;
	return c;
}

/* A hello buffer: a free one, else the one of the oldest of a few
 * connections holding one, if past the hold time. */
static struct quic_buf *buf_get(struct quic_tracker *t, __u64 now)
{
	struct quic_buf *b, *best = NULL;
	int i;

	if (!t->nfree) {
		for (i = 0; i < VICTIM_SAMPLE; i++) {
			b = &t->bufmem[t->victim++ % (t->nbufs + 1)];
			if (b->owner && (!best || b->owner->start_ns < best->owner->start_ns))
				best = b;
		}
		if (best && !conn_held(t, best->owner, now))
			conn_free(t, best->owner, QUIC_R_EVICTED);
	}
	if (!t->nfree)
		return NULL;
	b = t->free_bufs[--t->nfree];
	return b;
}

unsigned int quic_expire(struct quic_tracker *t, __u64 now_ns, unsigned int max)
{
	unsigned int i, freed = 0;

	for (i = 0; i < max && i < t->nconns; i++) {
		struct quic_conn *c = &t->conns[t->cursor++ & (t->nconns - 1)];

		if (conn_expired(t, c, now_ns)) {
			conn_free(t, c, QUIC_R_TIMEOUT);
			freed++;
		}
	}
	return freed;
}

/* ---- the hello's bytes ---- */

enum { H_INCOMPLETE, H_COMPLETE, H_NOT_HELLO, H_TOO_BIG };

/* Where the hello stands in b; *total its message length once known. */
static int hello_status(const struct quic_buf *b, __u32 *total)
{
	__u32 have = b->n && !b->r[0].lo ? b->r[0].hi : 0;

	if (have >= 1 && b->data[0] != 1)
		return H_NOT_HELLO;
	if (have < 4)
		return H_INCOMPLETE;
	*total = 4 + ((__u32)b->data[1] << 16 | (__u32)b->data[2] << 8 | b->data[3]);
	if (*total > QUIC_HELLO_MAX)
		return H_TOO_BIG;
	return have >= *total ? H_COMPLETE : H_INCOMPLETE;
}

/* Bytes [lo, hi) of the stream laid in: QUIC_R_OK, or why they were not
 * (nothing changed then). */
static unsigned int range_add(struct quic_buf *b, __u64 off, const __u8 *p, __u64 len)
{
	unsigned int first, last, lo, hi;

	if (!len)
		return QUIC_R_OK;
	if (off > QUIC_HELLO_MAX || len > QUIC_HELLO_MAX - off)
		return QUIC_R_CRYPTO_TOO_FAR;
	lo = (unsigned int)off;
	hi = (unsigned int)(off + len);
	/* the ranges that overlap or touch it: [first, last) */
	for (first = 0; first < b->n && b->r[first].hi < lo; first++)
		;
	for (last = first; last < b->n && b->r[last].lo <= hi; last++) {
		unsigned int a = b->r[last].lo > lo ? b->r[last].lo : lo;
		unsigned int z = b->r[last].hi < hi ? b->r[last].hi : hi;

		if (a < z && memcmp(b->data + a, p + (a - lo), z - a))
			return QUIC_R_CRYPTO_CONFLICT;
	}
	if (b->n - (last - first) + 1 > QUIC_RANGES)
		return QUIC_R_TOO_MANY_RANGES;
	memcpy(b->data + lo, p, len);
	if (last > first) {
		lo = b->r[first].lo < lo ? b->r[first].lo : lo;
		hi = b->r[last - 1].hi > hi ? b->r[last - 1].hi : hi;
	}
	/* [first, last) becomes the one range at first */
	memmove(&b->r[first + 1], &b->r[last], (b->n - last) * sizeof(b->r[0]));
	b->n = b->n - (last - first) + 1;
	b->r[first].lo = (__u16)lo;
	b->r[first].hi = (__u16)hi;
	return QUIC_R_OK;
}

/* ---- frames ---- */

/* A variable-length integer at *pos (RFC 9000 section 16). */
static int varint(const __u8 *p, size_t n, size_t *pos, __u64 *v)
{
	size_t len, i;

	if (*pos >= n)
		return -1;
	len = (size_t)1 << (p[*pos] >> 6);
	if (len > n - *pos)
		return -1;
	*v = p[*pos] & 0x3f;
	for (i = 1; i < len; i++)
		*v = *v << 8 | p[*pos + i];
	*pos += len;
	return 0;
}

static int varints(const __u8 *p, size_t n, size_t *pos, int count)
{
	__u64 v;

	while (count--)
		if (varint(p, n, pos, &v))
			return -1;
	return 0;
}

/* PADDING: the zeros from pos on skipped, a word at a time (an Initial is
 * mostly padding). */
static size_t zeros_skip(const __u8 *p, size_t pos, size_t n)
{
	__u64 w;

	for (; pos + 8 <= n; pos += 8) {
		memcpy(&w, p + pos, 8);
		if (w)
			break;
	}
	while (pos < n && !p[pos])
		pos++;
	return pos;
}

/* An ACK frame (type at *pos) skipped. */
static int ack_skip(const __u8 *p, size_t n, size_t *pos)
{
	bool ecn = p[*pos] == 0x03;
	__u64 ranges;

	(*pos)++;
	/* largest, delay, range count, first range; then gap and length per
	 * range (two bytes at least each: bounded by the packet) */
	if (varints(p, n, pos, 2) || varint(p, n, pos, &ranges) || varints(p, n, pos, 1) ||
	    ranges > (n - *pos) / 2 || varints(p, n, pos, 2 * (int)ranges))
		return -1;
	return ecn ? varints(p, n, pos, 3) : 0;
}

/* A CRYPTO frame (type at *pos): its offset, length and bytes. */
static int crypto_read(const __u8 *p, size_t n, size_t *pos, __u64 *off, __u64 *len,
		       const __u8 **data)
{
	(*pos)++;
	if (varint(p, n, pos, off) || varint(p, n, pos, len) || *len > n - *pos)
		return -1;
	*data = p + *pos;
	*pos += *len;
	return 0;
}

static int close_skip(const __u8 *p, size_t n, size_t *pos)
{
	__u64 len;

	(*pos)++;
	/* error code, frame type, reason phrase */
	if (varints(p, n, pos, 2) || varint(p, n, pos, &len) || len > n - *pos)
		return -1;
	*pos += len;
	return 0;
}

/* The frame at *pos skipped, or read when it is CRYPTO (*data set). The
 * frames an Initial may carry (RFC 9000 section 12.4): PADDING, PING, ACK,
 * CRYPTO, CONNECTION_CLOSE of type 0x1c. A frame type takes one byte: a
 * longer encoding of these is not allowed, and no other is. */
static int frame_next(const __u8 *p, size_t n, size_t *pos, __u64 *off, __u64 *len,
		      const __u8 **data, bool *closed)
{
	*data = NULL;
	switch (p[*pos]) {
	case 0x00:
		*pos = zeros_skip(p, *pos, n);
		return 0;
	case 0x01:
		(*pos)++;
		return 0;
	case 0x02:
	case 0x03:
		return ack_skip(p, n, pos);
	case 0x06:
		return crypto_read(p, n, pos, off, len, data);
	case 0x1c:
		*closed = true;
		return close_skip(p, n, pos);
	default:
		return -1;
	}
}

/* Every frame of a payload well formed (it has one at least)? Whether
 * there is a CRYPTO frame in *crypto. */
static int frames_check(const __u8 *p, size_t n, bool *crypto, bool *closed)
{
	size_t pos = 0;
	const __u8 *data;
	__u64 off, len;

	*crypto = false;
	if (!n)
		return -1;
	while (pos < n) {
		if (frame_next(p, n, &pos, &off, &len, &data, closed))
			return -1;
		*crypto |= data != NULL;
	}
	return 0;
}

/* The CRYPTO frames of a checked payload laid into b: QUIC_R_OK or the
 * first reason a frame was dropped for. */
static unsigned int frames_take(struct quic_buf *b, const __u8 *p, size_t n)
{
	unsigned int reason = QUIC_R_OK, r;
	size_t pos = 0;
	const __u8 *data;
	__u64 off, len;
	bool closed;

	while (pos < n) {
		if (frame_next(p, n, &pos, &off, &len, &data, &closed))
			break;
		if (data && (r = range_add(b, off, data, len)) != QUIC_R_OK && reason == QUIC_R_OK)
			reason = r;
	}
	return reason;
}

/* ---- packets ---- */

struct hdr {
	size_t off;             /* the packet's first byte */
	size_t pn_off;          /* its packet number's */
	size_t end;             /* one past its last */
};

static __u8 ptype(__u32 version, __u8 first)
{
	__u8 bits = (first >> 4) & 3;

	/* version 2: Initial 0b01, 0-RTT 0b10, Handshake 0b11, Retry 0b00 */
	return version == QUIC_V2 ? (bits + 3) & 3 : bits;
}

static __u32 be32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

/* A connection ID (length byte then bytes) at *pos into id: 0, or -1 with
 * p->reason set. Versions we do not know may have longer ones (RFC 8999):
 * then only what fits is kept. */
static int cid_read(const __u8 *d, size_t len, size_t *pos, __u8 *id, __u8 *idlen,
		    struct quic_packet *p, unsigned int too_long)
{
	size_t l;

	if (*pos >= len) {
		p->reason = QUIC_R_SHORT;
		return -1;
	}
	l = d[(*pos)++];
	if (l > QUIC_CID_MAX && quic_version_known(p->version)) {
		p->reason = too_long;
		return -1;
	}
	if (l > len - *pos) {
		p->reason = QUIC_R_SHORT;
		return -1;
	}
	*idlen = (__u8)(l > QUIC_CID_MAX ? QUIC_CID_MAX : l);
	memcpy(id, d + *pos, *idlen);
	*pos += l;
	return 0;
}

/* The long header at off: p's fields and where the packet ends. 0, or -1
 * with p->reason set (the datagram's walk stops there). */
static int header_read(const __u8 *d, size_t len, struct hdr *h, struct quic_packet *p)
{
	size_t pos = h->off + 1;
	__u64 token, length;

	if (len - pos < 4) {
		p->reason = QUIC_R_SHORT;
		return -1;
	}
	p->version = be32(d + pos);
	p->type = ptype(p->version, d[h->off]);
	pos += 4;
	if (cid_read(d, len, &pos, p->dcid, &p->dcid_len, p, QUIC_R_BAD_DCID_LEN) ||
	    cid_read(d, len, &pos, p->scid, &p->scid_len, p, QUIC_R_BAD_SCID_LEN))
		return -1;
	if (!quic_version_known(p->version)) {
		p->reason = QUIC_R_BAD_VERSION;
		return -1;
	}
	if (p->type == QUIC_PT_RETRY) {
		/* no Length: the rest of the datagram */
		h->pn_off = h->end = len;
		return 0;
	}
	if (p->type == QUIC_PT_INITIAL) {
		if (varint(d, len, &pos, &token) || token > len - pos) {
			p->reason = QUIC_R_SHORT;
			return -1;
		}
		p->token_len = (__u32)token;
		pos += token;
	}
	if (varint(d, len, &pos, &length) || length > len - pos) {
		p->reason = QUIC_R_SHORT;
		return -1;
	}
	h->pn_off = pos;
	h->end = pos + length;
	return 0;
}

/* RFC 9000 appendix A.3: the full packet number nearest the next expected. */
static __u64 pn_decode(__u64 largest, __u64 truncated, unsigned int bits)
{
	__u64 expected = largest == PN_NONE ? 0 : largest + 1;
	__u64 win = 1ULL << bits, hwin = win / 2, mask = win - 1;
	__u64 cand = (expected & ~mask) | truncated;

	if (cand + hwin <= expected && cand < (1ULL << 62) - win)
		return cand + win;
	if (cand > expected + hwin && cand >= win)
		return cand - win;
	return cand;
}

/* Header protection off, the payload opened into t->plain: its length, or
 * -1 with p->reason set. */
static long packet_open(struct quic_tracker *t, const struct quic_keys *k, __u64 largest,
			const __u8 *d, const struct hdr *h, struct quic_packet *p)
{
	size_t hlen, i, pn_len;
	__u8 mask[5], first;
	__u64 pn = 0;

	if (h->end - h->pn_off < 4 + QUIC_SAMPLE_LEN) {
		p->reason = QUIC_R_NO_SAMPLE;
		return -1;
	}
	if (quic_hp_mask(t->c, k->hp, d + h->pn_off + 4, mask)) {
		p->reason = QUIC_R_DECRYPT_FAILED;
		return -1;
	}
	first = d[h->off] ^ (mask[0] & 0x0f);
	pn_len = (first & 3) + 1;
	hlen = h->pn_off + pn_len - h->off;
	memcpy(t->aad, d + h->off, hlen);
	t->aad[0] = first;
	for (i = 0; i < pn_len; i++) {
		t->aad[hlen - pn_len + i] ^= mask[1 + i];
		pn = pn << 8 | t->aad[hlen - pn_len + i];
	}
	p->pn = pn_decode(largest, pn, 8 * pn_len);
	if (quic_aead_open(t->c, k, p->pn, t->aad, hlen, d + h->off + hlen,
			   h->end - h->off - hlen, t->plain)) {
		p->reason = QUIC_R_DECRYPT_FAILED;
		return -1;
	}
	if (first & 0x0c) {
		p->reason = QUIC_R_BAD_RESERVED;
		return -1;
	}
	return (long)(h->end - h->off - hlen - QUIC_TAG_LEN);
}

static void key_make(struct quic_key *k, const struct hs_endpoints *ep, const struct quic_packet *p)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->addr, ep->saddr, ep->family == 4 ? 4 : 16);
	k->port = ep->sport;
	k->family = ep->family;
	k->scid_len = p->scid_len;
	memcpy(k->scid, p->scid, p->scid_len);
}

static bool conn_keys_for(const struct quic_conn *c, const struct quic_packet *p)
{
	return c && c->version == p->version && c->dcid_len == p->dcid_len &&
	       !memcmp(c->dcid, p->dcid, p->dcid_len);
}

/* The keys of p's DCID: the connection's, the last derived, or derived now. */
static const struct quic_keys *keys_for(struct quic_tracker *t, const struct quic_conn *c,
					const struct quic_packet *p)
{
	if (conn_keys_for(c, p))
		return &c->keys;
	if (t->last_version == p->version && t->last_dcid_len == p->dcid_len &&
	    !memcmp(t->last_dcid, p->dcid, p->dcid_len))
		return &t->last_keys;
	t->last_dcid_len = QUIC_CID_MAX + 1;
	if (quic_initial_keys(t->c, p->version, p->dcid, p->dcid_len, false, &t->last_keys))
		return NULL;
	t->last_version = p->version;
	t->last_dcid_len = p->dcid_len;
	memcpy(t->last_dcid, p->dcid, p->dcid_len);
	return &t->last_keys;
}

/* The connection takes the keys it was opened with. */
static void conn_note(struct quic_conn *c, const struct quic_packet *p, const struct quic_keys *k)
{
	if (!conn_keys_for(c, p)) {
		c->restarted |= c->dcid_len <= QUIC_CID_MAX;
		c->keys = *k;
		c->version = p->version;
		c->dcid_len = p->dcid_len;
		memcpy(c->dcid, p->dcid, p->dcid_len);
	}
	if (c->largest_pn == PN_NONE || p->pn > c->largest_pn)
		c->largest_pn = p->pn;
}

/* The hello complete in b, total bytes: into t->out as a record too. */
static void hello_out(struct quic_tracker *t, const struct quic_buf *b, __u32 total,
		      const struct quic_conn *c, struct quic_dgram *out)
{
	out->record_len = (__u32)quic_hello_record(b->data, total, t->out, sizeof(t->out));
	out->record = t->out;
	out->hello = t->out + 5;
	out->hello_len = total;
	out->restarted = c->restarted;
	t->st.hellos++;
}

/* After a packet's frames were laid into b (the connection's buffer or
 * the scratch one): the hello handed back, or given up on, or the buffer
 * kept for the next Initials. */
static unsigned int hello_step(struct quic_tracker *t, struct quic_conn *c, struct quic_buf *b,
			       unsigned int reason, __u64 now, struct quic_dgram *out)
{
	__u32 total = 0;
	struct quic_buf *nb;
	int st = hello_status(b, &total);

	switch (st) {
	case H_COMPLETE:
		hello_out(t, b, total, c, out);
		c->state = C_DONE;
		break;
	case H_NOT_HELLO:
	case H_TOO_BIG:
		reason = st == H_NOT_HELLO ? QUIC_R_NOT_HELLO : QUIC_R_HELLO_TOO_BIG;
		c->state = C_GIVEN_UP;
		break;
	default:
		if (c->buf || !b->n)
			return reason;
		if (!(nb = buf_get(t, now)))
			return QUIC_R_TABLE_FULL;
		/* the scratch buffer becomes the connection's */
		c->buf = b;
		b->owner = c;
		t->scratch = nb;
		return reason;
	}
	if (c->buf)
		buf_put(t, c->buf);
	c->buf = NULL;
	return reason;
}

static unsigned int crypto_take(struct quic_tracker *t, struct quic_conn *c, size_t n, __u64 now,
				struct quic_dgram *out)
{
	struct quic_buf *b = c->buf ? c->buf : t->scratch;
	unsigned int reason;

	if (!c->buf)
		b->n = 0;
	reason = frames_take(b, t->plain, n);
	return hello_step(t, c, b, reason, now, out);
}

/* An Initial (header read, in a datagram big enough): opened and taken in;
 * p->reason says how it went. */
static void initial_take(struct quic_tracker *t, const struct hs_endpoints *ep, const __u8 *d,
			 const struct hdr *h, __u64 now, struct quic_dgram *out,
			 struct quic_packet *p)
{
	const struct quic_keys *k;
	struct quic_conn *c;
	struct quic_key key;
	bool crypto, closed = false;
	long n;
	__u64 hash;

	key_make(&key, ep, p);
	hash = key_hash(t, &key);
	c = conn_find(t, &key, hash, now);
	if (c && c->state != C_COLLECTING) {
		p->reason = c->state == C_DONE ? QUIC_R_AFTER_HELLO : QUIC_R_GIVEN_UP;
		return;
	}
	if (!(k = keys_for(t, c, p))) {
		p->reason = QUIC_R_DECRYPT_FAILED;
		return;
	}
	if ((n = packet_open(t, k, c ? c->largest_pn : PN_NONE, d, h, p)) < 0)
		return;
	if (frames_check(t->plain, (size_t)n, &crypto, &closed)) {
		p->reason = QUIC_R_BAD_FRAME;
		return;
	}
	out->closed |= closed;
	p->reason = QUIC_R_OK;
	if (!crypto && !c)
		return;
	if (!c && !(c = conn_add(t, &key, hash, now))) {
		p->reason = QUIC_R_TABLE_FULL;
		return;
	}
	conn_note(c, p, k);
	if (crypto)
		p->reason = crypto_take(t, c, (size_t)n, now, out);
}

/* The packet at h->off: described in p, opened if an Initial. Where the
 * next one starts, or 0 when the walk stops here. */
static size_t packet_walk(struct quic_tracker *t, const struct hs_endpoints *ep, const __u8 *d,
			  size_t len, struct hdr *h, __u64 now, struct quic_dgram *out,
			  struct quic_packet *p)
{
	const struct quic_packet *first = &out->pkt[0];

	p->off = (__u32)h->off;
	if (header_read(d, len, h, p))
		return 0;
	p->len = (__u32)(h->end - h->off);
	if (p != first && (p->dcid_len != first->dcid_len || p->scid_len != first->scid_len ||
			   memcmp(p->dcid, first->dcid, p->dcid_len) ||
			   memcmp(p->scid, first->scid, p->scid_len)))
		p->reason = QUIC_R_OTHER_CONN;
	else if (p->type != QUIC_PT_INITIAL)
		p->reason = QUIC_R_NOT_INITIAL;
	else if (len < QUIC_DGRAM_MIN)
		p->reason = QUIC_R_SMALL_DATAGRAM;
	else
		initial_take(t, ep, d, h, now, out, p);
	return h->end < len ? h->end : 0;
}

static void dgram_reason(struct quic_tracker *t, struct quic_dgram *out, unsigned int reason)
{
	t->st.reasons[reason]++;
	if (out->reason == QUIC_R_OK)
		out->reason = (__u8)reason;
}

int quic_datagram(struct quic_tracker *t, const struct hs_endpoints *ep, const __u8 *data,
		  size_t len, __u64 now_ns, struct quic_dgram *out)
{
	struct hdr h = { 0 };

	memset(out, 0, sizeof(*out));
	t->st.datagrams++;
	if (len > QUIC_DGRAM_MAX || !len || !(data[0] & 0x80)) {
		dgram_reason(t, out, len > QUIC_DGRAM_MAX ? QUIC_R_OVERSIZE :
				     !len ? QUIC_R_SHORT : QUIC_R_NOT_LONG);
		return 0;
	}
	do {
		struct quic_packet *p;

		if (!(data[h.off] & 0x80)) {
			size_t z = h.off;

			/* zeros: padding (an Initial may be coalesced with invalid
			 * packets, RFC 9000 14.1); in a capture whose GRO merged
			 * a client's datagrams the next one's packets follow them */
			while (z < len && !data[z])
				z++;
			out->short_tail = true;
			if (z == h.off || z == len || !(data[z] & 0x80))
				break;
			h.off = z;
		}
		if (out->npkts == QUIC_DGRAM_PKTS) {
			dgram_reason(t, out, QUIC_R_TOO_MANY_PACKETS);
			break;
		}
		p = &out->pkt[out->npkts++];
		h.off = packet_walk(t, ep, data, len, &h, now_ns, out, p);
		t->st.packets++;
		dgram_reason(t, out, p->reason);
	} while (h.off);
	return out->hello != NULL;
}

/* The long header at d[off] (len bytes in all): its packet into p,
 * where it ends into *end. 0, or -1: not one of a version we know. */
static int long_at(const __u8 *d, size_t len, size_t off, struct quic_packet *p, size_t *end)
{
	struct hdr h = { .off = off };

	memset(p, 0, sizeof(*p));
	if (off >= len || (d[off] & 0xc0) != 0xc0 || header_read(d, len, &h, p))
		return -1;
	*end = h.end;
	return 0;
}

size_t quic_dgram_size(const __u8 *d, size_t len)
{
	/* where packets start: at most QUIC_DGRAM_PKTS per datagram of at
	 * least QUIC_DGRAM_MIN bytes */
	enum { STARTS = QUIC_DGRAM_PKTS * (QUIC_DGRAM_MAX / QUIC_DGRAM_MIN + 1) };
	__u32 starts[STARTS];
	struct quic_packet p;
	size_t at = 0, end, n = 0, i, k;

	/* every byte walked: long-header packets by their lengths, and zeros */
	while (at < len) {
		if (n == STARTS || long_at(d, len, at, &p, &end) || p.type == QUIC_PT_RETRY)
			return 0;
		starts[n++] = (__u32)at;
		at = end;
		while (at < len && !d[at])
			at++;
	}
	/* the first size at which every datagram starts with a packet */
	for (i = 1; i < n; i++) {
		size_t s = starts[i], j = i;

		if (s < QUIC_DGRAM_MIN)
			continue;
		for (k = 2 * s; k < len; k += s) {
			while (j < n && starts[j] < k)
				j++;
			if (j == n || starts[j] != k)
				break;
		}
		if (k >= len)
			return s;
	}
	return 0;
}

size_t quic_hello_record(const __u8 *hello, size_t len, __u8 *out, size_t cap)
{
	if (len > 0xffff || cap < len + 5)
		return 0;
	out[0] = 0x16;
	out[1] = 0x03;
	out[2] = 0x01;
	out[3] = (__u8)(len >> 8);
	out[4] = (__u8)len;
	memmove(out + 5, hello, len);
	return len + 5;
}
