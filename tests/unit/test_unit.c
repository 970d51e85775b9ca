// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests of userspace pieces: p0f rendering, number parsing, time. */
#include <stdio.h>
#include <string.h>

#include "p0f.h"
#include "util.h"
#include "check.h"

/* A SYN signature from a short description, options as kind bytes. */
static struct hs_tcp_sig mk(int ver, int ttl, int mss, int win, int ws,
			    const char *opts, int tcp_hlen, unsigned int quirks)
{
	struct hs_tcp_sig s = { 0 };

	s.ip_ver = ver;
	s.ttl = ttl;
	s.mss = mss;
	s.win = win;
	s.wscale = ws;
	s.tcp_hlen = tcp_hlen;
	s.quirks = quirks;
	for (; *opts && s.opt_cnt < HS_TCP_MAX_OPTS; opts++)
		s.opt_layout[s.opt_cnt++] = (__u8)(*opts - '0');
	return s;
}

static void expect_sig(const struct hs_tcp_sig *s, const char *want)
{
	char got[256];

	p0f_render(s, got, sizeof(got));
	assert_string_equal(got, want);
}

static void render_windows_like_p0f(void **st)
{
	struct hs_tcp_sig s;

	(void)st;
	/* Windows 10: 64240 = 44 * 1460 */
	s = mk(4, 128, 1460, 64240, 8, "213114", 32, HS_Q_DF | HS_Q_NZ_ID);
	expect_sig(&s, "4:128+0:0:1460:mss*44,8:mss,nop,ws,nop,nop,sok:df,id+:0");
	/* Linux with timestamps: 29200 = 20 * 1460; the MSS is the first divisor
	 * tried, so mss - 12 (1448, the payload beside a timestamp) never comes up */
	s = mk(4, 64, 1460, 29200, 7, "24813", 40, HS_Q_DF | HS_Q_NZ_ID);
	s.flags = HS_SIGF_TS1;
	expect_sig(&s, "4:64+0:0:1460:mss*20,7:mss,sok,ts,nop,ws:df,id+:0");
}

static void render_window_divisors(void **st)
{
	struct hs_tcp_sig s;

	(void)st;
	/* not a multiple of anything: plain */
	s = mk(4, 64, 1386, 65535, 6, "2", 24, HS_Q_DF);
	expect_sig(&s, "4:64+0:0:1386:65535,6:mss:df:0");
	/* mss - 12 counts only with a non-zero own timestamp */
	s = mk(4, 64, 1400, 1388 * 10, 0, "2", 24, 0);
	expect_sig(&s, "4:64+0:0:1400:13880,0:mss::0");
	s.flags = HS_SIGF_TS1;
	expect_sig(&s, "4:64+0:0:1400:mss*10,0:mss::0");
	/* 1448 (1500 - 40 - 12) is tried whatever the timestamp */
	s = mk(4, 64, 1460, 1448 * 10, 0, "2", 24, 0);
	expect_sig(&s, "4:64+0:0:1460:mss*10,0:mss::0");
	/* MTU multiple: mss + 40 */
	s = mk(4, 64, 1400, 1440 * 3, 0, "2", 24, 0);
	expect_sig(&s, "4:64+0:0:1400:mtu*3,0:mss::0");
	/* MSS below 100: never a multiple */
	s = mk(4, 64, 99, 990, 0, "2", 24, 0);
	expect_sig(&s, "4:64+0:0:99:990,0:mss::0");
	/* zero window */
	s = mk(4, 64, 1460, 0, 0, "2", 24, 0);
	expect_sig(&s, "4:64+0:0:1460:0,0:mss::0");
}

static void render_ttl_and_options(void **st)
{
	struct hs_tcp_sig s;

	(void)st;
	s = mk(6, 57, 1440, 8192, 0, "2133", 32, HS_Q_FLOW);
	expect_sig(&s, "6:57+7:0:1440:8192,0:mss,nop,ws,ws:flow:0");
	/* distance over 35 hops: "+?" */
	s = mk(4, 90, 0, 1024, 0, "", 20, 0);
	expect_sig(&s, "4:90+?:0:0:1024,0:::0");
	/* EOL padding, unknown kinds, SACK, payload, IP options */
	s = mk(4, 255, 536, 4096, 0, "25", 44, HS_Q_OPT_BAD);
	s.opt_layout[s.opt_cnt++] = 34;
	s.opt_layout[s.opt_cnt++] = 0;
	s.opt_eol_pad = 3;
	s.ip_opt_len = 4;
	s.flags = HS_SIGF_PAYLOAD;
	expect_sig(&s, "4:255+0:4:536:4096,0:mss,sack,?34,eol+3:bad:+");
}

static void render_every_quirk_in_p0f_order(void **st)
{
	struct hs_tcp_sig s = mk(4, 64, 0, 1, 0, "", 20, (1u << HS_Q_COUNT) - 1);

	(void)st;
	expect_sig(&s, "4:64+0:0:0:1,0::df,id+,id-,ecn,0+,flow,seq-,ack+,ack-,uptr+,"
		       "urgf+,pushf+,ts1-,ts2+,opt+,exws,bad:0");
}

static void render_truncates_safely(void **st)
{
	struct hs_tcp_sig s = mk(4, 64, 1460, 64240, 8, "2131144", 32, HS_Q_DF);
	char small[10];
	int n;

	(void)st;
	memset(small, 'x', sizeof(small));
	n = p0f_render(&s, small, sizeof(small));
	assert_true(n > (int)sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

static void parse_uint_is_strict(void **st)
{
	unsigned long long v = 0;

	(void)st;
	assert_int_equal(parse_uint("42", 100, &v), 0);
	assert_int_equal(v, 42);
	assert_true(parse_uint("", 100, &v) < 0);
	assert_true(parse_uint("-1", 100, &v) < 0);
	assert_true(parse_uint("+1", 100, &v) < 0);
	assert_true(parse_uint("12x", 100, &v) < 0);
	assert_true(parse_uint("101", 100, &v) < 0);
	assert_true(parse_uint("99999999999999999999999", ~0ULL, &v) < 0);
	assert_true(parse_uint(NULL, 100, &v) < 0);
}

static void time_is_rfc3339_utc(void **st)
{
	char b[48];

	(void)st;
	fmt_time(0, false, b, sizeof(b));
	assert_string_equal(b, "1970-01-01T00:00:00Z");
	fmt_time(1795430400123456789ULL, true, b, sizeof(b));
	assert_string_equal(b, "2026-11-23T10:40:00.123456Z");
}

int main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(render_windows_like_p0f),
		cmocka_unit_test(render_window_divisors),
		cmocka_unit_test(render_ttl_and_options),
		cmocka_unit_test(render_every_quirk_in_p0f_order),
		cmocka_unit_test(render_truncates_safely),
		cmocka_unit_test(parse_uint_is_strict),
		cmocka_unit_test(time_is_rfc3339_utc),
	};

	return cmocka_run_group_tests_name("unit", t, NULL, NULL);
}
