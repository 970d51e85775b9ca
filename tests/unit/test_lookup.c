// SPDX-License-Identifier: BSD-3-Clause
/*
 * The lookup socket's request lines (user/lookup.c lk_parse), the
 * connection sides they name (user/conninfo.c conn_side_parse, _fmt) and
 * the per-connection token bucket, as fixture tables: each line with what
 * it must parse to, or the error it must give. The socket itself, live:
 * tests/live/t_lookup_live.sh.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "conninfo.h"
#include "lookup.h"
#include "check.h"

struct side_case {
	const char *desc, *in;
	int rc;
	int family;
	const char *addr;       /* as inet_pton takes it */
	unsigned int port;
	const char *text;       /* conn_side_fmt's; NULL: in */
};

/* a side that parses, printed back as in (or as text) */
#define SIDE(d, i, fam, a, p, t) { .desc = d, .in = i, .family = fam, .addr = a, .port = p, .text = t }
#define NOT_A_SIDE(d, i) { .desc = d, .in = i, .rc = -1 }
static const struct side_case sides[] = {
	SIDE("IPv4", "198.18.1.2:40000", 4, "198.18.1.2", 40000, NULL),
	SIDE("IPv4, port 1", "198.18.1.2:1", 4, "198.18.1.2", 1, NULL),
	SIDE("IPv4, port 65535", "198.18.1.2:65535", 4, "198.18.1.2", 65535, NULL),
	SIDE("IPv6 in brackets", "[2001:db8::1]:443", 6, "2001:db8::1", 443, NULL),
	SIDE("IPv6 as nginx writes it", "2001:db8::1:443", 6, "2001:db8::1", 443,
	     "[2001:db8::1]:443"),
	SIDE("IPv6 loopback bare", "::1:8443", 6, "::1", 8443, "[::1]:8443"),
	SIDE("IPv4-mapped IPv6 is IPv4", "[::ffff:198.18.1.2]:40000", 4, "198.18.1.2", 40000,
	     "198.18.1.2:40000"),
	SIDE("IPv4-mapped bare", "::ffff:198.18.1.2:40000", 4, "198.18.1.2", 40000,
	     "198.18.1.2:40000"),
	NOT_A_SIDE("no port", "198.18.1.2"),
	NOT_A_SIDE("empty port", "198.18.1.2:"),
	NOT_A_SIDE("port 0", "198.18.1.2:0"),
	NOT_A_SIDE("port 65536", "198.18.1.2:65536"),
	NOT_A_SIDE("port signed", "198.18.1.2:+80"),
	NOT_A_SIDE("port with a space", "198.18.1.2: 80"),
	NOT_A_SIDE("port in hex", "198.18.1.2:0x50"),
	NOT_A_SIDE("port trailing junk", "198.18.1.2:80x"),
	NOT_A_SIDE("no address", ":80"),
	NOT_A_SIDE("a name", "localhost:80"),
	NOT_A_SIDE("IPv4 in brackets", "[198.18.1.2]:80"),
	NOT_A_SIDE("brackets unclosed", "[2001:db8::1:443"),
	NOT_A_SIDE("brackets without port", "[2001:db8::1]"),
	NOT_A_SIDE("IPv4 octet over 255", "198.18.1.256:80"),
	NOT_A_SIDE("IPv6 without a port", "2001:db8::"),
	NOT_A_SIDE("empty", ""),
};

static void side_parse(void **state)
{
	struct conn_side s;
	__u8 want[16];
	char text[CONN_SIDE_TEXT];
	int i, rc;

	(void)state;
	fails = 0;
	for (i = 0; i < NELEM(sides); i++) {
		const struct side_case *c = &sides[i];

		rc = conn_side_parse(c->in, &s);
		CHECK_INT(c->desc, "conn_side_parse", c->rc, rc);
		if (rc || c->rc)
			continue;
		memset(want, 0, sizeof(want));
		inet_pton(c->family == 4 ? AF_INET : AF_INET6, c->addr, want);
		CHECK_INT(c->desc, "family", c->family, s.family);
		CHECK_INT(c->desc, "port", c->port, s.port);
		CHECK_INT(c->desc, "address", 0, memcmp(want, s.addr, sizeof(want)));
		conn_side_fmt(&s, text, sizeof(text));
		CHECK_STR(c->desc, "conn_side_fmt", c->text ? c->text : c->in, text);
	}
	CHECKS_DONE();
}

struct req_case {
	const char *desc, *line;
	int rc;
	const char *why;        /* rc -1: the error's text starts with it */
	enum lk_kind kind;
	const char *client, *server;
	unsigned long long account, tls_id, tcp_id, stack_id;
};

#define LOOKUP(d, l, c, sv) { .desc = d, .line = l, .kind = LK_LOOKUP, .client = c, .server = sv }
#define TAG(d, l, c, a) { .desc = d, .line = l, .kind = LK_TAG, .client = c, .account = a }
#define TAG_IDS(d, l, tls, tcp, stack, a) \
	{ .desc = d, .line = l, .kind = LK_TAG_IDS, .tls_id = tls, .tcp_id = tcp, \
	  .stack_id = stack, .account = a }
#define BAD(d, l, w) { .desc = d, .line = l, .rc = -1, .why = w }
static const struct req_case reqs[] = {
	LOOKUP("lookup", "lookup 198.18.1.2:40000", "198.18.1.2:40000", NULL),
	LOOKUP("lookup with the server side", "lookup 198.18.1.2:40000 198.18.0.2:443",
	       "198.18.1.2:40000", "198.18.0.2:443"),
	LOOKUP("lookup, CRLF", "lookup 198.18.1.2:40000\r", "198.18.1.2:40000", NULL),
	LOOKUP("lookup, spaces and tabs", "  lookup \t [2001:db8::7]:5 ", "[2001:db8::7]:5", NULL),
	TAG("tag", "tag 198.18.1.2:40000 deadBEEF", "198.18.1.2:40000", 0xdeadbeef),
	TAG("tag, 16 digits", "tag 198.18.1.2:40000 ffffffffffffffff", "198.18.1.2:40000", ~0ULL),
	TAG("tag, account 0", "tag 198.18.1.2:40000 0", "198.18.1.2:40000", 0),
	TAG_IDS("tag-ids TLS", "tag-ids 4def87d1d74ac370 7", 0x4def87d1d74ac370ULL, 0, 0, 7),
	TAG_IDS("tag-ids TLS TCP STACK", "tag-ids 10 20 30 40", 0x10, 0x20, 0x30, 0x40),
	TAG_IDS("tag-ids TCP only", "tag-ids 0 20 1", 0, 0x20, 0, 1),
	BAD("empty", "", "unknown request"),
	BAD("blank", " \t ", "unknown request"),
	BAD("garbage", "GET / HTTP/1.1", "unknown request"),
	BAD("verb in capitals", "LOOKUP 198.18.1.2:40000", "unknown request"),
	BAD("verb glued", "lookup198.18.1.2:40000", "unknown request"),
	BAD("lookup without a client", "lookup", "usage: lookup"),
	BAD("lookup, three sides", "lookup 1.2.3.4:5 1.2.3.4:6 1.2.3.4:7", "usage: lookup"),
	BAD("lookup, bad client", "lookup 1.2.3.4", "invalid client"),
	BAD("lookup, bad server", "lookup 1.2.3.4:5 x", "invalid server"),
	BAD("lookup, mixed families", "lookup 1.2.3.4:5 [::1]:443", "client and server"),
	BAD("tag without an account", "tag 1.2.3.4:5", "usage: tag"),
	BAD("tag, too many", "tag 1.2.3.4:5 1 2", "usage: tag"),
	BAD("tag, 17 digits", "tag 1.2.3.4:5 10000000000000000", "invalid account"),
	BAD("tag, 0x", "tag 1.2.3.4:5 0x12", "invalid account"),
	BAD("tag, negative", "tag 1.2.3.4:5 -1", "invalid account"),
	BAD("tag, bad client", "tag 1.2.3.4 12", "invalid client"),
	BAD("tag-ids, account only", "tag-ids 12", "usage: tag-ids"),
	BAD("tag-ids, too many", "tag-ids 1 2 3 4 5", "usage: tag-ids"),
	BAD("tag-ids, no id", "tag-ids 0 0 9", "tag-ids needs"),
	BAD("tag-ids, bad id", "tag-ids zz 9", "invalid id"),
	BAD("tag-ids, bad account", "tag-ids 12 g", "invalid account"),
	BAD("many words", "a b c d e f g h i j k l m n o p", "unknown request"),
	BAD("lookup, many words", "lookup a b c d e f g h i j k l m n o p", "usage: lookup"),
};

static void side_check(const char *desc, const char *what, const char *want,
		       const struct conn_side *s)
{
	char text[CONN_SIDE_TEXT];

	conn_side_fmt(s, text, sizeof(text));
	CHECK_STR(desc, what, want, text);
}

static void request_lines(void **state)
{
	struct lk_req r;
	const char *why;
	char line[LK_LINE_MAX + 1];
	int i, rc;

	(void)state;
	fails = 0;
	for (i = 0; i < NELEM(reqs); i++) {
		const struct req_case *c = &reqs[i];

		snprintf(line, sizeof(line), "%s", c->line);
		why = NULL;
		rc = lk_parse(line, &r, &why);
		CHECK_INT(c->desc, "lk_parse", c->rc, rc);
		if (c->rc) {
			if (!why || strncmp(why, c->why, strlen(c->why))) {
				note("%s: error: expected \"%s...\", got \"%s\"", c->desc, c->why,
				     why ? why : "(none)");
				fails++;
			}
			continue;
		}
		if (rc)
			continue;
		CHECK_INT(c->desc, "kind", c->kind, r.kind);
		if (c->client)
			side_check(c->desc, "client", c->client, &r.client);
		CHECK_INT(c->desc, "has_server", c->server != NULL, r.has_server);
		if (c->server)
			side_check(c->desc, "server", c->server, &r.server);
		if (c->kind != LK_LOOKUP)
			CHECK_HEX(c->desc, "account", c->account, r.account);
		CHECK_HEX(c->desc, "tls_id", c->tls_id, r.tls_id);
		CHECK_HEX(c->desc, "tcp_id", c->tcp_id, r.tcp_id);
		CHECK_HEX(c->desc, "stack_id", c->stack_id, r.stack_id);
	}
	CHECKS_DONE();
}

#define MS 1000000ULL

/* 2,000 a second in bursts of 200: the burst at once, then one per 0.5 ms */
static void token_bucket(void **state)
{
	struct lk_bucket b = { 0 };
	__u64 t = 1000 * MS;
	int i, n;

	(void)state;
	fails = 0;
	for (i = 0, n = 0; i < 1000; i++)
		n += lk_bucket_take(&b, t, 2000, 200);
	CHECK_INT("a burst at one instant", "served", 200, n);
	CHECK_INT("empty", "one more", 0, lk_bucket_take(&b, t, 2000, 200));
	CHECK_INT("0.4 ms on", "served", 0, lk_bucket_take(&b, t + 4 * MS / 10, 2000, 200));
	CHECK_INT("0.5 ms on", "served", 1, lk_bucket_take(&b, t + 5 * MS / 10, 2000, 200));
	/* a second at 4,000 a second: half of them served */
	for (i = 0, n = 0, t += MS; i < 4000; i++, t += MS / 4)
		n += lk_bucket_take(&b, t, 2000, 200);
	CHECK_INT("a second at twice the rate", "served", 2000, n);
	/* an hour idle fills it to the burst, not more */
	t += 3600 * 1000 * MS;
	for (i = 0, n = 0; i < 1000; i++)
		n += lk_bucket_take(&b, t, 2000, 200);
	CHECK_INT("after an hour idle", "served", 200, n);
	/* a clock that goes back takes nothing, gives nothing */
	CHECK_INT("clock back", "served", 0, lk_bucket_take(&b, t - MS, 2000, 200));
	for (i = 0, n = 0; i < 100000; i++)
		n += lk_bucket_take(&b, t, 0, 0);
	CHECK_INT("rate 0: no limit", "served", 100000, n);
	CHECKS_DONE();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(side_parse),
		cmocka_unit_test(request_lines),
		cmocka_unit_test(token_bucket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
