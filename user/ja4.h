/* SPDX-License-Identifier: BSD-3-Clause */
/* JA4 and JA3 rendered from a ClientHello's lists (ja4.c). */
#ifndef HS_JA4_H
#define HS_JA4_H

#include <stddef.h>

#include "hydrascope.h"

/* Room for JA4_r and the JA3 string of a hello with every list full (128
 * ciphers and extensions, 64 signature algorithms, 32 groups): 1,610 and
 * 1,765 characters. */
#define HS_JA4_R_TEXT 2048
#define HS_JA3_R_TEXT 2048
/* The pseudo-fingerprints of connections whose ClientHello could not be
 * fingerprinted (HS_TLSF_UNFP): named PREFIX + the reason, the label value
 * of tls_walks_abandoned_total ("unfingerprinted:record_split"). No space
 * in it (a pair's name is "NAME STACK"). */
#define HS_UNFP_PREFIX "unfingerprinted:"
const char *hs_unfp_reason_name(unsigned int stat);
/* Is name such a population's? */
int hs_is_unfp(const char *name);
/* JA4 and JA4_r, starting with 'q' for a QUIC ClientHello (HS_TLSF_QUIC),
 * 't' otherwise (an unfingerprinted population: its name, and an empty
 * JA4_r); 0 on success, -1 if a buffer is too small. */
int tls_ja4(const struct hs_tls_hello *h, char *ja4, size_t ja4len, char *ja4_r, size_t rlen);
/* JA3 string and its MD5 in hex (both empty for an unfingerprinted
 * population). */
int tls_ja3(const struct hs_tls_hello *h, char *ja3_r, size_t rlen, char ja3[33]);
/* The server name and the first ALPN value (its first bytes) as text, as
 * fmt_bytes writes them; at most the bytes the hello holds, whatever its
 * lengths say. */
#define HS_SNI_TEXT (HS_TLS_SNI_MAX * 4 + 1)
#define HS_ALPN_TEXT (HS_TLS_ALPN_MAX * 4 + 1)
void tls_sni(const struct hs_tls_hello *h, char *buf, size_t len);
void tls_alpn(const struct hs_tls_hello *h, char *buf, size_t len);

#endif /* HS_JA4_H */
