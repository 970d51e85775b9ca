// SPDX-License-Identifier: BSD-3-Clause
/*
 * libFuzzer: a record of the events ring buffer, any bytes of any length,
 * through event_read, as run and replay --events take each record. The
 * p0f database is loaded when installed, so labels are looked up too.
 */
#include "fuzz.h"
#include "event.h"
#include "p0fdb.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	p0f_db_load(HS_DEFAULT_P0F_DB);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ev_text e;
	int rc = event_read(data, size, &e);

	if (rc)
		return 0;
	FUZZ_TERMINATED(e.src);
	FUZZ_TERMINATED(e.dst);
	if (e.type == HS_EV_TCP_NEW || e.type == HS_EV_TCP_SYN) {
		FUZZ_TERMINATED(e.tcp_sig);
		FUZZ_CHECK(e.os);
	} else if (e.type == HS_EV_TLS_UNFP) {
		/* a ClientHello not fingerprinted: its population's name */
		FUZZ_CHECK(e.unfp && hs_is_unfp(e.ja4));
	} else {
		/* JA4 is a_b_c: 10, 12 and 12 characters, whatever the counts */
		FUZZ_CHECK(strlen(e.ja4) == 36);
		FUZZ_CHECK(strlen(e.ja3) == 32);
		FUZZ_TERMINATED(e.ja4_r);
		FUZZ_TERMINATED(e.ja3_r);
		FUZZ_TERMINATED(e.sni);
		FUZZ_TERMINATED(e.alpn);
	}
	return 0;
}
