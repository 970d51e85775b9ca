/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC packets a client would send, for the tests, the fuzz target and
 * the benchmark: frames (CRYPTO, PADDING, PING, ACK, CONNECTION_CLOSE, or
 * any bytes), ClientHellos cut into CRYPTO frames, and long-header packets
 * sealed as a client seals an Initial (RFC 9001 section 5): the payload
 * encrypted with AEAD_AES_128_GCM under the header, then the header
 * protected with the AES-128-ECB mask of the sample. Only the Initial keys
 * come from user/quickeys.c (checked against the RFCs' vectors); the
 * sealing is libcrypto's here, apart from what the tracker opens with.
 * Packets of other types are sealed the same way (nobody opens them).
 */
#ifndef HS_TESTS_QUICPKT_H
#define HS_TESTS_QUICPKT_H

#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "quickeys.h"
#include "pkt.h"

/* ---- frames, written into a wbuf (pkt.h) ---- */

/* v as a variable-length integer of size bytes (0: the shortest). */
static inline void qp_varint_n(struct wbuf *w, __u64 v, int size)
{
	static const int codes[9] = { 0, 0, 1, 0, 2, 0, 0, 0, 3 };
	int i;

	if (!size)
		size = v < 64 ? 1 : v < 16384 ? 2 : v < (1u << 30) ? 4 : 8;
	for (i = size - 1; i >= 0; i--)
		w8(w, (unsigned int)((v >> (8 * i)) & 0xff) | (i == size - 1 ? codes[size] << 6 : 0));
}

static inline void qp_varint(struct wbuf *w, __u64 v)
{
	qp_varint_n(w, v, 0);
}

static inline void qp_crypto(struct wbuf *w, __u64 off, const __u8 *data, int len)
{
	w8(w, 0x06);
	qp_varint(w, off);
	qp_varint(w, (__u64)len);
	wbytes(w, data, len);
}

static inline void qp_padding(struct wbuf *w, int n)
{
	while (n-- > 0)
		w8(w, 0);
}

static inline void qp_ping(struct wbuf *w)
{
	w8(w, 0x01);
}

/* An ACK of packets 0..largest in two ranges (a gap below largest), with
 * ECN counts when ecn. */
static inline void qp_ack(struct wbuf *w, __u64 largest, int ecn)
{
	w8(w, ecn ? 0x03 : 0x02);
	qp_varint(w, largest);
	qp_varint(w, 25);               /* delay */
	qp_varint(w, largest >= 3);     /* more ranges */
	qp_varint(w, 0);                /* first range: largest alone */
	if (largest >= 3) {
		qp_varint(w, 0);        /* gap: one packet */
		qp_varint(w, largest - 3);
	}
	if (ecn) {
		qp_varint(w, 1);
		qp_varint(w, 0);
		qp_varint(w, 0);
	}
}

static inline void qp_close(struct wbuf *w, const char *why)
{
	w8(w, 0x1c);
	qp_varint(w, 0x0a);             /* PROTOCOL_VIOLATION */
	qp_varint(w, 0x06);
	qp_varint(w, strlen(why));
	wbytes(w, why, (int)strlen(why));
}

/* ---- a ClientHello ---- */

/* A ClientHello handshake message (type, length, body) from a spec of
 * pkt.h: its length. */
static inline int qp_hello(const struct hspec *h, __u8 *out, int cap)
{
	static __u8 rec[HELLO_MAX];
	int n = build_hello(h, rec, sizeof(rec));

	if (n - 5 > cap)
		pkt_fail("qp_hello: %d bytes, the buffer holds %d", n - 5, cap);
	memcpy(out, rec + 5, n - 5);
	return n - 5;
}

/* ---- packets ---- */

struct qp_spec {
	__u32 version;          /* 0: 1 */
	__u8 type;              /* enum quic_ptype (version 1's numbers) */
	const __u8 *dcid;       /* NULL: 8 bytes 83 94 c8 f0 3e 51 57 08 */
	int dcid_len;
	const __u8 *scid;       /* NULL with scid_len: bytes 0xc0 + i */
	int scid_len;
	const __u8 *token;
	int token_len;
	__u64 pn;
	int pn_len;             /* 1..4; 0: 4 */
	int len_size;           /* bytes of the Length field; 0: 2 */
	int len_adj;            /* added to the Length written (a lie) */
	__u8 reserved;          /* reserved bits (0x0c) set: a lie */
	int pad_to;             /* PADDING added so the packet is this long */
};

static const __u8 qp_rfc_dcid[8] = { 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08 };

static inline struct quic_crypto *qp_crypto_ctx(void)
{
	static struct quic_crypto *c;

	if (!c && !(c = quic_crypto_new()))
		pkt_fail("quic_crypto_new failed");
	return c;
}

static inline int qp_gcm_seal(const struct quic_keys *k, __u64 pn, const __u8 *aad, int aadlen,
			      const __u8 *in, int len, __u8 *out)
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	__u8 nonce[12];
	int n, i, ok;

	memcpy(nonce, k->iv, 12);
	for (i = 0; i < 8; i++)
		nonce[11 - i] ^= (__u8)(pn >> (8 * i));
	ok = x && EVP_EncryptInit_ex(x, EVP_aes_128_gcm(), NULL, k->key, nonce) &&
	     EVP_EncryptUpdate(x, NULL, &n, aad, aadlen) &&
	     (!len || EVP_EncryptUpdate(x, out, &n, in, len)) &&
	     EVP_EncryptFinal_ex(x, out + len, &n) &&
	     EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, 16, out + len);
	EVP_CIPHER_CTX_free(x);
	return ok ? 0 : -1;
}

static inline int qp_ecb_mask(const __u8 hp[16], const __u8 *sample, __u8 mask[16])
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int n, ok;

	ok = x && EVP_EncryptInit_ex(x, EVP_aes_128_ecb(), NULL, hp, NULL) &&
	     EVP_CIPHER_CTX_set_padding(x, 0) && EVP_EncryptUpdate(x, mask, &n, sample, 16);
	EVP_CIPHER_CTX_free(x);
	return ok ? 0 : -1;
}

static inline __u8 qp_type_bits(__u32 version, __u8 type)
{
	return version == QUIC_V2 ? (type + 1) & 3 : type;
}

/* The header up to the packet number: its length; *pn_at where the
 * packet number goes. */
static inline int qp_header(const struct qp_spec *s, __u32 v, int pn_len, int plen, __u8 *out,
			    int cap, int *pn_at)
{
	struct wbuf w = { out, 0, cap };
	__u8 scid[QUIC_CID_MAX];
	int i;

	for (i = 0; i < QUIC_CID_MAX; i++)
		scid[i] = 0xc0 + i;
	w8(&w, 0xc0 | qp_type_bits(v, s->type) << 4 | s->reserved | (pn_len - 1));
	w16(&w, v >> 16);
	w16(&w, v & 0xffff);
	w8(&w, s->dcid ? s->dcid_len : 8);
	wbytes(&w, s->dcid ? s->dcid : qp_rfc_dcid, s->dcid ? s->dcid_len : 8);
	w8(&w, s->scid_len);
	wbytes(&w, s->scid ? s->scid : scid, s->scid_len);
	if (s->type == 0) {
		qp_varint(&w, s->token_len);
		wbytes(&w, s->token, s->token_len);
	}
	qp_varint_n(&w, (__u64)(pn_len + plen + 16 + s->len_adj),
		    s->len_size ? s->len_size : pn_len + plen + 16 < 16384 ? 2 : 4);
	*pn_at = w.n;
	for (i = pn_len - 1; i >= 0; i--)
		w8(&w, (unsigned int)(s->pn >> (8 * i)));
	return w.n;
}

/* A sealed packet of payload (PADDING appended up to s->pad_to): its
 * length. The payload must be 3 bytes at least (4 minus pn_len: the
 * sample needs them). */
static inline int qp_seal(const struct qp_spec *s, const __u8 *payload, int plen, __u8 *out,
			  int cap)
{
	static __u8 plain[65536];
	__u32 v = s->version ? s->version : QUIC_V1;
	int pn_len = s->pn_len ? s->pn_len : 4, hlen = 0, pn_at, i, pad = 0;
	struct quic_keys k;
	__u8 mask[16];

	for (i = 0; i < 2; i++) {       /* the Length field may grow with the padding */
		hlen = qp_header(s, v, pn_len, plen + pad, out, cap, &pn_at);
		pad = s->pad_to - (hlen + plen + 16);
		pad = pad > 0 ? pad : 0;
	}
	if (plen + pad > (int)sizeof(plain))
		pkt_fail("qp_seal: a payload of %d bytes", plen + pad);
	memcpy(plain, payload, plen);
	memset(plain + plen, 0, pad);
	plen += pad;
	hlen = qp_header(s, v, pn_len, plen, out, cap, &pn_at);
	if (hlen + plen + 16 > cap || plen + pn_len < 4)
		pkt_fail("qp_seal: %d bytes for a buffer of %d (payload %d)", hlen + plen + 16, cap, plen);
	/* a DCID too long for version 1 or 2: the keys of its first 20 bytes */
	if (quic_initial_keys(qp_crypto_ctx(), v, s->dcid ? s->dcid : qp_rfc_dcid,
			      s->dcid ? (s->dcid_len > 20 ? 20 : s->dcid_len) : 8, false, &k) ||
	    qp_gcm_seal(&k, s->pn, out, hlen, plain, plen, out + hlen) ||
	    qp_ecb_mask(k.hp, out + pn_at + 4, mask))
		pkt_fail("qp_seal: libcrypto failed");
	out[0] ^= mask[0] & 0x0f;
	for (i = 0; i < pn_len; i++)
		out[pn_at + i] ^= mask[1 + i];
	return hlen + plen + 16;
}

/* ---- a hello cut into frames ---- */

/* A piece of the CRYPTO stream: [off, off + len). */
struct qp_piece {
	int off, len;
};

/* The hello cut at cuts[0..ncuts) (ascending) into pieces. */
static inline int qp_cut(int len, const int *cuts, int ncuts, struct qp_piece *out)
{
	int i, from = 0;

	for (i = 0; i <= ncuts; i++) {
		int to = i < ncuts ? cuts[i] : len;

		out[i].off = from;
		out[i].len = to - from;
		from = to;
	}
	return ncuts + 1;
}

/* The payload of an Initial carrying pieces[0..n) of hello as CRYPTO
 * frames, a PING and PADDING between some of them as Chromium does: its
 * length. */
static inline int qp_frames(const __u8 *hello, const struct qp_piece *pieces, int n, int chatter,
			    __u8 *out, int cap)
{
	struct wbuf w = { out, 0, cap };
	int i;

	for (i = 0; i < n; i++) {
		if (chatter && i % 3 == 1)
			qp_ping(&w);
		if (chatter && i % 4 == 2)
			qp_padding(&w, 1 + i % 7);
		qp_crypto(&w, pieces[i].off, hello + pieces[i].off, pieces[i].len);
	}
	if (w.n < 4)
		qp_padding(&w, 4 - w.n);
	if (w.n > cap)
		pkt_fail("qp_frames: %d bytes, the buffer holds %d", w.n, cap);
	return w.n;
}

/* An Initial datagram of 1,200 bytes at least carrying those frames. */
static inline int qp_initial(const struct qp_spec *s, const __u8 *hello,
			     const struct qp_piece *pieces, int n, __u8 *out, int cap)
{
	static __u8 payload[65536];
	struct qp_spec t = *s;
	int plen = qp_frames(hello, pieces, n, 1, payload, sizeof(payload));

	if (!t.pad_to)
		t.pad_to = 1200;
	return qp_seal(&t, payload, plen, out, cap);
}

#endif /* HS_TESTS_QUICPKT_H */
