// SPDX-License-Identifier: BSD-3-Clause
/*
 * libFuzzer: JA4, JA4_r, JA3, the server name and ALPN rendered from a
 * raw struct hs_tls_hello, as the maps and the ring buffer hand it over:
 * any bytes, counts and lengths beyond the arrays included. Counts within
 * the arrays always render; others are refused, never read past.
 */
#include "fuzz.h"
#include "ja4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs_tls_hello *h = FUZZ_STRUCT(struct hs_tls_hello, data, size);
	char ja4[64], ja4_r[HS_JA4_R_TEXT], ja3[33], ja3_r[HS_JA3_R_TEXT];
	char sni[HS_SNI_TEXT], alpn[HS_ALPN_TEXT];
	bool in_bounds = h->n_ciphers <= HS_TLS_MAX_CIPHERS && h->n_exts <= HS_TLS_MAX_EXTS &&
			 h->n_sigalgs <= HS_TLS_MAX_SIGALGS && h->n_groups <= HS_TLS_MAX_GROUPS &&
			 h->n_ecpf <= HS_TLS_MAX_ECPF;
	int r4 = tls_ja4(h, ja4, sizeof(ja4), ja4_r, sizeof(ja4_r));
	int r3 = tls_ja3(h, ja3_r, sizeof(ja3_r), ja3);

	if (in_bounds) {
		FUZZ_CHECK(r4 == 0);
		FUZZ_CHECK(r3 == 0);
	}
	if (h->flags & HS_TLSF_UNFP) {
		/* an unfingerprinted population: its name, no lists read */
		FUZZ_CHECK(r4 == 0 && hs_is_unfp(ja4));
		FUZZ_CHECK(r3 == 0 && !*ja3);
	} else {
		if (!r4) {
			FUZZ_CHECK(strlen(ja4) == 36);
			FUZZ_TERMINATED(ja4_r);
		}
		if (!r3) {
			FUZZ_CHECK(strlen(ja3) == 32);
			FUZZ_TERMINATED(ja3_r);
		}
	}
	tls_sni(h, sni, sizeof(sni));
	tls_alpn(h, alpn, sizeof(alpn));
	FUZZ_TERMINATED(sni);
	FUZZ_TERMINATED(alpn);
	free(h);
	return 0;
}
