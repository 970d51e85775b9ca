// SPDX-License-Identifier: BSD-3-Clause
/*
 * The public QUIC captures (../shared/vectors/foxio-ja4, or $VECTORS/
 * foxio-ja4) through user/quic.c: every datagram a client sent to UDP port
 * 443, in capture order, into one tracker. Every connection listed in
 * expected-quic.jsonl (FoxIO's Rust reference, 51 in 7 captures) must
 * yield a complete ClientHello:
 *  - its 3-byte length the message's, its cipher and extension counts
 *    (GREASE left out) and its SNI's presence those of the listed JA4;
 *  - byte for byte what tshark decrypts and reassembles from the same
 *    capture (tests/lib/quic_ref.py, run now: nothing of tshark's is kept
 *    in the repository).
 * Skipped with the reason when the folder, tshark or python3 is missing.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "capture.h"
#include "quic.h"
#include "check.h"

#define MAXCONNS 256
#define ETH_IP4 0x0800
#define ETH_IP6 0x86dd

struct conn {
	char pcap[96];
	char src[64];
	unsigned int sport;
	char ja4[64];
	__u8 *hello;            /* ours, NULL if none */
	__u32 len;
	bool restarted;
};

static struct conn conns[MAXCONNS];
static int nconns;
static char dir[512];

static const char *vectors_dir(void)
{
	const char *v = getenv("VECTORS");

	snprintf(dir, sizeof(dir), "%s/foxio-ja4", v ? v : "../shared/vectors");
	return dir;
}

static int expected_load(void)
{
	char path[600], line[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/expected-quic.jsonl", vectors_dir());
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f) && nconns < MAXCONNS) {
		struct json_object *j = json_tokener_parse(line), *v;
		struct conn *c = &conns[nconns];

		if (!j)
			continue;
		if (json_object_object_get_ex(j, "pcap", &v))
			snprintf(c->pcap, sizeof(c->pcap), "%s", json_object_get_string(v));
		if (json_object_object_get_ex(j, "src", &v))
			snprintf(c->src, sizeof(c->src), "%s", json_object_get_string(v));
		if (json_object_object_get_ex(j, "sport", &v))
			c->sport = (unsigned int)json_object_get_int(v);
		if (json_object_object_get_ex(j, "ja4", &v))
			snprintf(c->ja4, sizeof(c->ja4), "%s", json_object_get_string(v));
		json_object_put(j);
		nconns++;
	}
	fclose(f);
	return 0;
}

static struct conn *conn_of(const char *pcap, const char *src, unsigned int sport)
{
	int i;

	for (i = 0; i < nconns; i++)
		if (!strcmp(conns[i].pcap, pcap) && !strcmp(conns[i].src, src) &&
		    conns[i].sport == sport)
			return &conns[i];
	return NULL;
}

/* The UDP payload of an Ethernet frame (VLAN tags, IPv4 unfragmented, IPv6
 * without extension headers), its endpoints in ep; NULL if none. */
static const __u8 *udp_of(const __u8 *f, unsigned int len, struct hs_endpoints *ep,
			  unsigned int *plen)
{
	unsigned int off = 12, type, ulen;
	const __u8 *u;

	memset(ep, 0, sizeof(*ep));
	while (off + 2 <= len && ((type = f[off] << 8 | f[off + 1]) == 0x8100 || type == 0x88a8))
		off += 4;
	if (off + 2 > len)
		return NULL;
	off += 2;
	if (type == ETH_IP4 && off + 20 <= len && f[off + 9] == 17 &&
	    !((f[off + 6] << 8 | f[off + 7]) & 0x3fff)) {
		ep->family = 4;
		memcpy(ep->saddr, f + off + 12, 4);
		memcpy(ep->daddr, f + off + 16, 4);
		off += (f[off] & 0x0f) * 4;
	} else if (type == ETH_IP6 && off + 40 <= len && f[off + 6] == 17) {
		ep->family = 6;
		memcpy(ep->saddr, f + off + 8, 16);
		memcpy(ep->daddr, f + off + 24, 16);
		off += 40;
	} else {
		return NULL;
	}
	if (off + 8 > len)
		return NULL;
	u = f + off;
	ep->sport = (__u16)(u[0] << 8 | u[1]);
	ep->dport = (__u16)(u[2] << 8 | u[3]);
	ulen = (unsigned int)(u[4] << 8 | u[5]);
	if (ulen < 8)
		return NULL;
	*plen = ulen - 8 < len - off - 8 ? ulen - 8 : len - off - 8;
	return u + 8;
}

static void hello_keep(const char *pcap, const struct hs_endpoints *ep, const struct quic_dgram *d)
{
	char src[64];
	struct conn *c;

	inet_ntop(ep->family == 4 ? AF_INET : AF_INET6, ep->saddr, src, sizeof(src));
	c = conn_of(pcap, src, ep->sport);
	if (!c || c->hello)
		return;
	c->hello = malloc(d->hello_len);
	assert_non_null(c->hello);
	memcpy(c->hello, d->hello, d->hello_len);
	c->len = d->hello_len;
	c->restarted = d->restarted;
}

/* Every client datagram to port 443 of a capture through one tracker. */
static void capture_run(const char *pcap)
{
	struct quic_tracker *t = quic_tracker_new(NULL);
	struct capture_frame fr;
	struct hs_endpoints ep;
	struct quic_dgram d;
	struct capture *cap;
	char path[700], err[256];
	unsigned int n, dgrams = 0, hellos = 0;
	const __u8 *p;

	assert_non_null(t);
	snprintf(path, sizeof(path), "%s/%s", dir, pcap);
	cap = capture_open(path, err, sizeof(err));
	if (!cap)
		fail_msg("%s", err);
	while (capture_next(cap, &fr) == 1) {
		if (!(p = udp_of(fr.data, fr.len, &ep, &n)) || ep.dport != 443)
			continue;
		dgrams++;
		if (quic_datagram(t, &ep, p, n, fr.ts_ns, &d)) {
			hellos++;
			hello_keep(pcap, &ep, &d);
		}
	}
	note("%s: %u datagrams to port 443, %u hellos", pcap, dgrams, hellos);
	capture_close(cap);
	quic_tracker_free(t);
}

static int setup(void **st)
{
	int i, j;

	(void)st;
	if (expected_load())
		return 0;
	for (i = 0; i < nconns; i++) {
		for (j = 0; j < i && strcmp(conns[j].pcap, conns[i].pcap); j++)
			;
		if (j == i)
			capture_run(conns[i].pcap);
	}
	return 0;
}

static int teardown(void **st)
{
	int i;

	(void)st;
	for (i = 0; i < nconns; i++)
		free(conns[i].hello);
	return 0;
}

static bool grease(unsigned int v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* Cipher and extension counts (GREASE left out) and SNI of a hello; -1 if
 * it does not parse to its end. */
static int hello_counts(const __u8 *h, __u32 len, int *nc, int *ne, bool *sni)
{
	__u32 pos = 4 + 2 + 32, end, l, type;

	*nc = *ne = 0;
	*sni = false;
	if (len < pos + 1 || 4 + (__u32)(h[1] << 16 | h[2] << 8 | h[3]) != len)
		return -1;
	pos += 1 + h[pos];                              /* session id */
	if (pos + 2 > len || pos + 2 + (l = h[pos] << 8 | h[pos + 1]) > len)
		return -1;
	for (end = pos + 2 + l, pos += 2; pos + 2 <= end; pos += 2)
		*nc += !grease(h[pos] << 8 | h[pos + 1]);
	if (pos + 1 > len || (pos += 1 + h[pos]) + 2 > len)   /* compression */
		return -1;
	end = pos + 2 + (h[pos] << 8 | h[pos + 1]);
	if (end != len)
		return -1;
	for (pos += 2; pos + 4 <= end; pos += 4 + l) {
		type = h[pos] << 8 | h[pos + 1];
		l = h[pos + 2] << 8 | h[pos + 3];
		*ne += !grease(type);
		*sni |= type == 0;
	}
	return pos == end ? 0 : -1;
}

static void need_vectors(void)
{
	if (!nconns)
		skip();   /* no expected-quic.jsonl: said by main */
}

/* Every listed connection: a hello, its lengths and lists as the JA4 says. */
static void every_connection_has_its_hello(void **st)
{
	int i, nc, ne, got = 0;
	bool sni;

	(void)st;
	fails = 0;
	need_vectors();
	for (i = 0; i < nconns; i++) {
		struct conn *c = &conns[i];
		char desc[200];

		snprintf(desc, sizeof(desc), "%.95s %.63s:%u", c->pcap, c->src, c->sport);
		if (!c->hello) {
			note("%s: no ClientHello", desc);
			fails++;
			continue;
		}
		got++;
		CHECK_INT(desc, "parses", 0, hello_counts(c->hello, c->len, &nc, &ne, &sni));
		CHECK_INT(desc, "ciphers (JA4)", atoi((char[3]){ c->ja4[4], c->ja4[5], 0 }),
			  nc > 99 ? 99 : nc);
		CHECK_INT(desc, "extensions (JA4)", atoi((char[3]){ c->ja4[6], c->ja4[7], 0 }),
			  ne > 99 ? 99 : ne);
		CHECK_INT(desc, "SNI (JA4 d/i)", c->ja4[3] == 'd', sni);
		CHECK_INT(desc, "JA4 is QUIC's", 'q', c->ja4[0]);
	}
	note("%d of %d listed connections with a complete ClientHello", got, nconns);
	CHECK_INT("captures", "listed connections", 51, nconns);
	CHECKS_DONE();
}

static int unhex(const char *s, __u8 *out, int cap)
{
	int n = 0;

	for (; s[0] && s[1] && n < cap; s += 2) {
		char b[3] = { s[0], s[1], 0 };

		out[n++] = (__u8)strtoul(b, NULL, 16);
	}
	return n;
}

/* One capture's hellos against tshark's: mismatches and matches counted. */
static void tshark_compare(const char *pcap, int *matched)
{
	static char line[70000];
	static __u8 want[33000];
	char cmd[1024], src[64];
	unsigned int sport;
	struct conn *c;
	FILE *p;
	int n;

	snprintf(cmd, sizeof(cmd), "python3 tests/lib/quic_ref.py '%s/%s' 2>&1", dir, pcap);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		char *hex = NULL;

		if (sscanf(line, "%63s %u", src, &sport) != 2 || !(hex = strrchr(line, ' '))) {
			note("%s: quic_ref.py: %s", pcap, line);
			fails++;
			continue;
		}
		hex[strcspn(hex, "\n")] = 0;
		if (!(c = conn_of(pcap, src, sport)))
			continue;       /* not listed */
		n = unhex(hex + 1, want, sizeof(want));
		if (!c->hello || (__u32)n != c->len || memcmp(want, c->hello, n)) {
			note("%s %s:%u: tshark's ClientHello (%d bytes) differs from ours (%u bytes)",
			     pcap, src, sport, n, c->hello ? c->len : 0);
			fails++;
		} else {
			(*matched)++;
		}
	}
	CHECK_INT(pcap, "quic_ref.py exit status", 0, pclose(p));
}

static void hellos_equal_tshark(void **st)
{
	int i, j, matched = 0;

	(void)st;
	fails = 0;
	need_vectors();
	if (system("command -v tshark >/dev/null && command -v python3 >/dev/null")) {
		note("tshark or python3 missing: nothing to compare with");
		skip();
	}
	for (i = 0; i < nconns; i++) {
		for (j = 0; j < i && strcmp(conns[j].pcap, conns[i].pcap); j++)
			;
		if (j == i)
			tshark_compare(conns[i].pcap, &matched);
	}
	note("%d of %d listed ClientHellos byte for byte tshark's", matched, nconns);
	CHECK_INT("captures", "hellos equal to tshark's", nconns, matched);
	CHECKS_DONE();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_connection_has_its_hello),
		cmocka_unit_test(hellos_equal_tshark),
	};

	char path[600];

	snprintf(path, sizeof(path), "%s/expected-quic.jsonl", vectors_dir());
	if (access(path, R_OK))
		print_message("# no %s: the public captures are absent, skipped\n", path);
	return cmocka_run_group_tests(tests, setup, teardown);
}
