// SPDX-License-Identifier: BSD-3-Clause
/*
 * Render a SYN signature as p0f v3's raw_sig:
 *   ver:ittl:olen:mss:wsize,scale:olayout:quirks:pclass
 * byte for byte as `p0f -r` (3.09b) prints it for the same packet.
 */
#include <stdbool.h>
#include <stdio.h>

#include "p0f.h"

#define MAX_DIST 35          /* p0f: hops beyond this print as "ttl+?" */
#define MIN_TCP4 40          /* IPv4 + TCP headers without options */
#define MIN_TCP6 60

static const char *const quirk_names[HS_Q_COUNT] = {
	"df", "id+", "id-", "ecn", "0+", "flow", "seq-", "ack+", "ack-",
	"uptr+", "urgf+", "pushf+", "ts1-", "ts2+", "opt+", "exws", "bad",
};

static unsigned int guess_dist(unsigned int ttl)
{
	if (ttl <= 32)
		return 32 - ttl;
	if (ttl <= 64)
		return 64 - ttl;
	if (ttl <= 128)
		return 128 - ttl;
	return 255 - ttl;
}

/*
 * p0f writes the window as a multiple of the MSS or MTU when it divides
 * evenly, trying the divisors in this order. Returns the multiplier, or 0.
 */
static unsigned int win_multiple(const struct hs_tcp_sig *s, bool *mtu)
{
	unsigned int win = s->win, mss = s->mss;
	unsigned int tot_hdr = (s->ip_ver == 4 ? 20 : 40) + s->ip_opt_len + s->tcp_hlen;
	struct { unsigned int div; bool mtu; bool ok; } t[] = {
		{ mss, false, true },
		{ mss - 12, false, (s->flags & HS_SIGF_TS1) != 0 },
		{ 1500 - MIN_TCP4, false, true },
		{ 1500 - MIN_TCP4 - 12, false, true },
		{ 1500 - MIN_TCP6, false, s->ip_ver == 6 },
		{ 1500 - MIN_TCP6 - 12, false, s->ip_ver == 6 },
		{ mss + MIN_TCP4, true, true },
		{ mss + tot_hdr, true, true },
		{ mss + MIN_TCP6, true, s->ip_ver == 6 },
		{ 1500, true, true },
	};
	size_t i;

	if (!win || mss < 100)
		return 0;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (t[i].ok && win % t[i].div == 0) {
			*mtu = t[i].mtu;
			return win / t[i].div;
		}
	}
	return 0;
}

#define OUT(...) do { \
	int _n = snprintf(buf + n, n < len ? len - n : 0, __VA_ARGS__); \
	if (_n > 0) n += _n; \
} while (0)

/* stack: the TTL as its initial value without the distance, as p0f's
 * database writes it ("4:64:0:..."): one OS stack at any hop distance. */
static int render(const struct hs_tcp_sig *s, bool stack, char *buf, size_t len)
{
	unsigned int dist = guess_dist(s->ttl), mult, i, cnt;
	bool mtu = false, first = true;
	size_t n = 0;

	if (stack)
		OUT("%u:%u:%u:", s->ip_ver, s->ttl + dist, s->ip_opt_len);
	else if (dist > MAX_DIST)
		OUT("%u:%u+?:%u:", s->ip_ver, s->ttl, s->ip_opt_len);
	else
		OUT("%u:%u+%u:%u:", s->ip_ver, s->ttl, dist, s->ip_opt_len);
	OUT("%u:", s->mss);
	mult = win_multiple(s, &mtu);
	if (mult)
		OUT("%s*%u", mtu ? "mtu" : "mss", mult);
	else
		OUT("%u", s->win);
	OUT(",%u:", s->wscale);

	cnt = s->opt_cnt > HS_TCP_MAX_OPTS ? HS_TCP_MAX_OPTS : s->opt_cnt;
	for (i = 0; i < cnt; i++) {
		const char *sep = i ? "," : "";

		switch (s->opt_layout[i]) {
		case 0: OUT("%seol+%u", sep, s->opt_eol_pad); break;
		case 1: OUT("%snop", sep); break;
		case 2: OUT("%smss", sep); break;
		case 3: OUT("%sws", sep); break;
		case 4: OUT("%ssok", sep); break;
		case 5: OUT("%ssack", sep); break;
		case 8: OUT("%sts", sep); break;
		default: OUT("%s?%u", sep, s->opt_layout[i]); break;
		}
	}
	OUT(":");
	for (i = 0; i < HS_Q_COUNT; i++) {
		if (s->quirks & (1u << i)) {
			OUT("%s%s", first ? "" : ",", quirk_names[i]);
			first = false;
		}
	}
	OUT(":%s", (s->flags & HS_SIGF_PAYLOAD) ? "+" : "0");
	return (int)n;
}

int p0f_render(const struct hs_tcp_sig *s, char *buf, size_t len)
{
	return render(s, false, buf, len);
}

int p0f_render_stack(const struct hs_tcp_sig *s, char *buf, size_t len)
{
	return render(s, true, buf, len);
}
