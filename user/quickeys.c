// SPDX-License-Identifier: BSD-3-Clause
/*
 * QUIC Initial packet protection with libcrypto. The secrets are
 * HKDF-SHA256 (RFC 5869) as TLS 1.3 labels them (HKDF-Expand-Label, RFC
 * 8446 section 7.1): every output here is at most one hash long, so each
 * expansion is the one HMAC of T(1) = HMAC(secret, info || 0x01). The HMACs
 * are OpenSSL's (EVP_MAC): a context keyed with a version's salt once, and
 * reset to its kept pads for each DCID; the one-shot HMAC() would hash
 * the pads again every time (three times the cost, measured). The cipher
 * contexts are fetched once and keyed again only when the key changes.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "quickeys.h"

#define NVERS 2

/* RFC 9001 section 5.2 and RFC 9369 section 3.3.1 */
static const __u8 salts[NVERS][20] = {
	{ 0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
	  0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a },
	{ 0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
	  0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9 },
};
static const char *const labels[NVERS][3] = {
	{ "quic key", "quic iv", "quic hp" },
	{ "quicv2 key", "quicv2 iv", "quicv2 hp" },
};

/* HkdfLabel (length, "tls13 " + label, empty context) and HKDF-Expand's
 * counter byte: what T(1) hashes. */
#define INFO_MAX (2 + 1 + 6 + 16 + 1 + 1)
struct info {
	__u8 b[INFO_MAX];
	size_t n;
};

struct quic_crypto {
	EVP_MAC *mac;
	EVP_MAC_CTX *salt[NVERS];      /* keyed with each version's salt */
	EVP_MAC_CTX *prk;              /* keyed with one secret at a time */
	EVP_CIPHER *ecb_c, *gcm_c;
	EVP_CIPHER_CTX *ecb, *gcm;
	__u8 ecb_key[16], gcm_key[16]; /* what each is keyed with */
	bool ecb_keyed, gcm_keyed;
	struct info in[2];             /* "client in", "server in" */
	struct info kih[NVERS][3];     /* key, iv, hp of each version */
};

static void info_make(struct info *in, const char *label, unsigned int len)
{
	size_t l = strlen(label);

	in->b[0] = 0;
	in->b[1] = (__u8)len;
	in->b[2] = (__u8)(6 + l);
	memcpy(in->b + 3, "tls13 ", 6);
	memcpy(in->b + 9, label, l);
	in->b[9 + l] = 0;       /* context: empty */
	in->b[10 + l] = 1;      /* HKDF-Expand's T(1) */
	in->n = 11 + l;
}

static EVP_MAC_CTX *mac_new(EVP_MAC *mac, const __u8 *key, size_t len)
{
	OSSL_PARAM p[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC_CTX *m = EVP_MAC_CTX_new(mac);

	if (m && EVP_MAC_CTX_set_params(m, p) && (!key || EVP_MAC_init(m, key, len, NULL)))
		return m;
	EVP_MAC_CTX_free(m);
	return NULL;
}

static EVP_CIPHER_CTX *cipher_new(EVP_CIPHER *c, bool pad_off)
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();

	if (x && c && EVP_CipherInit_ex(x, c, NULL, NULL, NULL, 1) &&
	    (!pad_off || EVP_CIPHER_CTX_set_padding(x, 0)))
		return x;
	EVP_CIPHER_CTX_free(x);
	return NULL;
}

static void infos_make(struct quic_crypto *c)
{
	static const unsigned int lens[3] = { 16, 12, 16 };
	int v, i;

	info_make(&c->in[0], "client in", 32);
	info_make(&c->in[1], "server in", 32);
	for (v = 0; v < NVERS; v++)
		for (i = 0; i < 3; i++)
			info_make(&c->kih[v][i], labels[v][i], lens[i]);
}

struct quic_crypto *quic_crypto_new(void)
{
	struct quic_crypto *c = calloc(1, sizeof(*c));
	int v;

	if (!c)
		return NULL;
	infos_make(c);
	c->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	c->ecb_c = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
	c->gcm_c = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
	if (!c->mac)
		goto fail;
	for (v = 0; v < NVERS; v++)
		if (!(c->salt[v] = mac_new(c->mac, salts[v], sizeof(salts[v]))))
			goto fail;
	c->prk = mac_new(c->mac, NULL, 0);
	c->ecb = cipher_new(c->ecb_c, true);
	c->gcm = cipher_new(c->gcm_c, false);
	if (c->prk && c->ecb && c->gcm)
		return c;
fail:
	quic_crypto_free(c);
	return NULL;
}

void quic_crypto_free(struct quic_crypto *c)
{
	int v;

	if (!c)
		return;
	for (v = 0; v < NVERS; v++)
		EVP_MAC_CTX_free(c->salt[v]);
	EVP_MAC_CTX_free(c->prk);
	EVP_MAC_free(c->mac);
	EVP_CIPHER_CTX_free(c->ecb);
	EVP_CIPHER_CTX_free(c->gcm);
	EVP_CIPHER_free(c->ecb_c);
	EVP_CIPHER_free(c->gcm_c);
	free(c);
}

static int version_index(__u32 version)
{
	return version == QUIC_V1 ? 0 : version == QUIC_V2 ? 1 : -1;
}

bool quic_version_known(__u32 version)
{
	return version_index(version) >= 0;
}

/* The HMAC of msg under the key m holds, into out (32 bytes); m is reset
 * to its key first. */
static int mac_once(EVP_MAC_CTX *m, const __u8 *msg, size_t n, __u8 out[32])
{
	size_t outl;

	return EVP_MAC_init(m, NULL, 0, NULL) && EVP_MAC_update(m, msg, n) &&
	       EVP_MAC_final(m, out, &outl, 32) && outl == 32 ? 0 : -1;
}

int quic_initial_secret(struct quic_crypto *c, __u32 version, const __u8 *dcid,
			size_t dcid_len, bool server, __u8 secret[32])
{
	int v = version_index(version);
	__u8 initial[32];
	int rc;

	if (v < 0 || dcid_len > QUIC_CID_MAX)
		return -1;
	/* HKDF-Extract(salt, dcid), then HKDF-Expand-Label(.., "client in") */
	if (mac_once(c->salt[v], dcid, dcid_len, initial) ||
	    !EVP_MAC_init(c->prk, initial, sizeof(initial), NULL))
		return -1;
	rc = mac_once(c->prk, c->in[server].b, c->in[server].n, secret);
	memset(initial, 0, sizeof(initial));
	return rc;
}

int quic_initial_keys(struct quic_crypto *c, __u32 version, const __u8 *dcid,
		      size_t dcid_len, bool server, struct quic_keys *k)
{
	const struct info *in = c->kih[version_index(version) == 1];
	__u8 secret[32], out[3][32];
	int i;

	if (quic_initial_secret(c, version, dcid, dcid_len, server, secret) ||
	    !EVP_MAC_init(c->prk, secret, sizeof(secret), NULL))
		return -1;
	for (i = 0; i < 3; i++)
		if (mac_once(c->prk, in[i].b, in[i].n, out[i]))
			return -1;
	memcpy(k->key, out[0], sizeof(k->key));
	memcpy(k->iv, out[1], sizeof(k->iv));
	memcpy(k->hp, out[2], sizeof(k->hp));
	return 0;
}

int quic_hp_mask(struct quic_crypto *c, const __u8 hp[16], const __u8 sample[16],
		 __u8 mask[5])
{
	__u8 out[32];
	int n;

	if (!c->ecb_keyed || memcmp(c->ecb_key, hp, 16)) {
		c->ecb_keyed = false;
		if (!EVP_EncryptInit_ex(c->ecb, NULL, NULL, hp, NULL))
			return -1;
		memcpy(c->ecb_key, hp, 16);
		c->ecb_keyed = true;
	}
	if (!EVP_EncryptUpdate(c->ecb, out, &n, sample, 16) || n != 16)
		return -1;
	memcpy(mask, out, 5);
	return 0;
}

/* The nonce: the IV with the packet number XORed into its last bytes. */
static void nonce_make(const __u8 iv[12], __u64 pn, __u8 nonce[12])
{
	int i;

	memcpy(nonce, iv, 12);
	for (i = 0; i < 8; i++)
		nonce[11 - i] ^= (__u8)(pn >> (8 * i));
}

int quic_aead_open(struct quic_crypto *c, const struct quic_keys *k, __u64 pn,
		   const __u8 *aad, size_t aadlen, const __u8 *in, size_t len, __u8 *out)
{
	bool rekey = !c->gcm_keyed || memcmp(c->gcm_key, k->key, 16);
	size_t clen;
	__u8 nonce[12];
	int n;

	if (len < QUIC_TAG_LEN || len > 0x7fffffff || aadlen > 0x7fffffff)
		return -1;
	clen = len - QUIC_TAG_LEN;
	nonce_make(k->iv, pn, nonce);
	c->gcm_keyed = false;
	if (!EVP_DecryptInit_ex(c->gcm, NULL, NULL, rekey ? k->key : NULL, nonce))
		return -1;
	memcpy(c->gcm_key, k->key, 16);
	c->gcm_keyed = true;
	if (!EVP_DecryptUpdate(c->gcm, NULL, &n, aad, (int)aadlen) ||
	    (clen && !EVP_DecryptUpdate(c->gcm, out, &n, in, (int)clen)) ||
	    !EVP_CIPHER_CTX_ctrl(c->gcm, EVP_CTRL_GCM_SET_TAG, QUIC_TAG_LEN,
				 (void *)(in + clen)))
		return -1;
	return EVP_DecryptFinal_ex(c->gcm, out + clen, &n) > 0 ? 0 : -1;
}
