/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC Initial packet protection (quickeys.c): the keys RFC 9001 section 5.2
 * (version 1) and RFC 9369 (version 2) derive from a Destination
 * Connection ID, header protection and AEAD_AES_128_GCM, all with
 * libcrypto, through contexts kept from packet to packet.
 */
#ifndef HS_QUICKEYS_H
#define HS_QUICKEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define QUIC_V1 0x00000001u
#define QUIC_V2 0x6b3343cfu
#define QUIC_CID_MAX 20         /* connection ID bytes in versions 1 and 2 */
#define QUIC_TAG_LEN 16         /* AEAD_AES_128_GCM's tag */
#define QUIC_SAMPLE_LEN 16      /* header protection sample */

/* One direction's Initial keys. */
struct quic_keys {
	__u8 key[16];
	__u8 iv[12];
	__u8 hp[16];
};

struct quic_crypto;
/* NULL when libcrypto lacks HMAC-SHA256, AES-128-ECB or AES-128-GCM. */
struct quic_crypto *quic_crypto_new(void);
void quic_crypto_free(struct quic_crypto *c);

/* Is version one whose Initials we can open (1 or 2)? */
bool quic_version_known(__u32 version);
/* client_initial_secret (server: server_initial_secret) of a DCID. 0, or
 * -1 for another version or a libcrypto failure. */
int quic_initial_secret(struct quic_crypto *c, __u32 version, const __u8 *dcid,
			size_t dcid_len, bool server, __u8 secret[32]);
/* The key, IV and header protection key of that secret. */
int quic_initial_keys(struct quic_crypto *c, __u32 version, const __u8 *dcid,
		      size_t dcid_len, bool server, struct quic_keys *k);
/* The 5 bytes of header protection mask of a sample (AES-128-ECB). */
int quic_hp_mask(struct quic_crypto *c, const __u8 hp[16], const __u8 sample[16],
		 __u8 mask[5]);
/* AEAD_AES_128_GCM open of len bytes (ciphertext then tag) into out (at
 * least len - QUIC_TAG_LEN bytes), the header as associated data, the
 * nonce from iv and the packet number. 0, or -1 if it does not
 * authenticate. */
int quic_aead_open(struct quic_crypto *c, const struct quic_keys *k, __u64 pn,
		   const __u8 *aad, size_t aadlen, const __u8 *in, size_t len, __u8 *out);

#endif /* HS_QUICKEYS_H */
