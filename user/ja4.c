// SPDX-License-Identifier: BSD-3-Clause
/*
 * Canonical TLS client fingerprints from a ClientHello's raw lists:
 * JA4 and JA4_r (FoxIO's JA4 specification, BSD-3-Clause) and JA3 / JA3
 * string (Salesforce). GREASE values never reach here: the XDP program
 * leaves them out of every list. A QUIC ClientHello (HS_TLSF_QUIC) is
 * JA4's protocol 'q', a TCP one 't'.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "ja4.h"
#include "util.h"

struct sbuf {
	char *p;
	size_t len, n;
};

static void put(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(b->p + b->n, b->n < b->len ? b->len - b->n : 0, fmt, ap);
	va_end(ap);
	if (k > 0)
		b->n += (size_t)k;
}

static void hex_list(struct sbuf *b, const __u16 *v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		put(b, "%s%04x", i ? "," : "", v[i]);
}

static void dec_list(struct sbuf *b, const __u16 *v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		put(b, "%s%u", i ? "-" : "", v[i]);
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const __u16 *)a - (int)*(const __u16 *)b;
}

static const char *version_code(__u16 v)
{
	switch (v) {
	case 0x0304: return "13";
	case 0x0303: return "12";
	case 0x0302: return "11";
	case 0x0301: return "10";
	case 0x0300: return "s3";
	case 0x0002: return "s2";
	case 0xfeff: return "d1";
	case 0xfefd: return "d2";
	case 0xfefc: return "d3";
	default: return "00";
	}
}

static int alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* First and last character of the first ALPN value, per the JA4 rules. */
static void alpn_code(const struct hs_tls_hello *h, char out[3])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char first, last;

	if (!(h->flags & HS_TLSF_ALPN) || !h->alpn_len) {
		strcpy(out, "00");
		return;
	}
	first = h->alpn[0];
	last = h->alpn_last;
	if (alnum(first) && alnum(last)) {
		out[0] = (char)first;
		out[1] = (char)last;
	} else {
		/* first and last characters of the value written in hex */
		out[0] = hex[first >> 4];
		out[1] = hex[last & 15];
	}
	out[2] = '\0';
}

/* First 12 hex digits of SHA-256(s), or twelve zeros when s is empty. */
static void sha12(const char *s, size_t n, char out[13])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (!n || !EVP_Digest(s, n, md, &mdlen, EVP_sha256(), NULL)) {
		memset(out, '0', 12);
		out[12] = '\0';
		return;
	}
	for (i = 0; i < 6; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

#define HS_STAT_VALUE(id, name, metric, label, value) [HS_ST_##id] = value,
static const char *const stat_values[HS_ST__COUNT] = { HS_STAT_LIST(HS_STAT_VALUE) };

const char *hs_unfp_reason_name(unsigned int stat)
{
	return stat < HS_ST__COUNT && stat_values[stat] ? stat_values[stat] : "unknown";
}

int hs_is_unfp(const char *name)
{
	return !strncmp(name, HS_UNFP_PREFIX, sizeof(HS_UNFP_PREFIX) - 1);
}

int tls_ja4(const struct hs_tls_hello *h, char *ja4, size_t ja4len, char *ja4_r, size_t rlen)
{
	__u16 ciphers[HS_TLS_MAX_CIPHERS], exts[HS_TLS_MAX_EXTS];
	unsigned int nc = h->n_ciphers, ne = 0, i;
	char a[16], alpn[3], hb[13], hc[13];
	char lists[HS_JA4_R_TEXT];
	struct sbuf b = { lists, sizeof(lists), 0 };
	struct sbuf r = { ja4_r, rlen, 0 };
	size_t cstart, cend;

	if (h->flags & HS_TLSF_UNFP) {
		int k = snprintf(ja4, ja4len, "%s%s", HS_UNFP_PREFIX,
				 hs_unfp_reason_name(h->unfp_reason));

		if (rlen)
			*ja4_r = '\0';
		return k >= 0 && (size_t)k < ja4len && rlen ? 0 : -1;
	}
	if (nc > HS_TLS_MAX_CIPHERS || h->n_exts > HS_TLS_MAX_EXTS ||
	    h->n_sigalgs > HS_TLS_MAX_SIGALGS)
		return -1;
	alpn_code(h, alpn);
	/* the protocol: 'q' for a ClientHello from QUIC Initials, otherwise
	 * the same rules (the transport parameters extension counts as any) */
	snprintf(a, sizeof(a), "%c%s%c%02u%02u%s", (h->flags & HS_TLSF_QUIC) ? 'q' : 't',
		 version_code(h->max_version ? h->max_version : h->legacy_version),
		 (h->flags & HS_TLSF_SNI) ? 'd' : 'i', nc > 99 ? 99 : nc,
		 h->n_exts > 99 ? 99 : h->n_exts, alpn);

	memcpy(ciphers, h->ciphers, nc * sizeof(__u16));
	qsort(ciphers, nc, sizeof(__u16), cmp_u16);
	/* SNI and ALPN are in part a already: not in the extension hash */
	for (i = 0; i < h->n_exts; i++)
		if (h->exts[i] != 0x0000 && h->exts[i] != 0x0010)
			exts[ne++] = h->exts[i];
	qsort(exts, ne, sizeof(__u16), cmp_u16);

	hex_list(&b, ciphers, nc);
	sha12(lists, b.n, hb);
	cstart = b.n;
	hex_list(&b, exts, ne);
	if (h->n_sigalgs) {
		put(&b, "_");
		hex_list(&b, h->sigalgs, h->n_sigalgs);
	}
	cend = b.n;
	if (b.n >= sizeof(lists))
		return -1;
	if (ne)
		sha12(lists + cstart, cend - cstart, hc);
	else
		sha12("", 0, hc);
	snprintf(ja4, ja4len, "%s_%s_%s", a, hb, hc);

	put(&r, "%s_", a);
	hex_list(&r, ciphers, nc);
	put(&r, "_");
	put(&r, "%.*s", (int)(cend - cstart), lists + cstart);
	return r.n < rlen ? 0 : -1;
}

int tls_ja3(const struct hs_tls_hello *h, char *ja3_r, size_t rlen, char ja3[33])
{
	struct sbuf r = { ja3_r, rlen, 0 };
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (h->flags & HS_TLSF_UNFP) {
		if (!rlen)
			return -1;
		*ja3_r = '\0';
		ja3[0] = '\0';
		return 0;
	}
	if (h->n_ciphers > HS_TLS_MAX_CIPHERS || h->n_exts > HS_TLS_MAX_EXTS ||
	    h->n_groups > HS_TLS_MAX_GROUPS || h->n_ecpf > HS_TLS_MAX_ECPF)
		return -1;
	put(&r, "%u,", h->legacy_version);
	dec_list(&r, h->ciphers, h->n_ciphers);
	put(&r, ",");
	dec_list(&r, h->exts, h->n_exts);
	put(&r, ",");
	dec_list(&r, h->groups, h->n_groups);
	put(&r, ",");
	for (i = 0; i < h->n_ecpf; i++)
		put(&r, "%s%u", i ? "-" : "", h->ecpf[i]);
	if (r.n >= rlen || !EVP_Digest(ja3_r, r.n, md, &mdlen, EVP_md5(), NULL))
		return -1;
	for (i = 0; i < 16; i++)
		sprintf(ja3 + 2 * i, "%02x", md[i]);
	return 0;
}

/* Lengths come from the kernel or a map: never read past what is kept. */
void tls_sni(const struct hs_tls_hello *h, char *buf, size_t len)
{
	fmt_bytes(h->sni, h->sni_len < HS_TLS_SNI_MAX ? h->sni_len : HS_TLS_SNI_MAX, buf, len);
}

void tls_alpn(const struct hs_tls_hello *h, char *buf, size_t len)
{
	fmt_bytes(h->alpn, h->alpn_len < HS_TLS_ALPN_MAX ? h->alpn_len : HS_TLS_ALPN_MAX,
		  buf, len);
}
