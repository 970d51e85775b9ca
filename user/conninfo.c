// SPDX-License-Identifier: BSD-3-Clause
/*
 * One connection, by its client side: its record in the conns map (put by
 * the program at a counted ClientHello), else, with its server side given,
 * its flow slot (a SYN whose ClientHello is not counted yet); its
 * fingerprints named from their map entries, as dump names them. What
 * `hydrascope lookup` prints and the lookup socket answers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <json-c/json.h>

#include "conninfo.h"
#include "fps.h"
#include "ja4.h"
#include "p0f.h"
#include "p0fdb.h"
#include "util.h"
#include "hs_hash.h"

int conn_side_parse(const char *s, struct conn_side *out)
{
	static const __u8 mapped[12] = { [10] = 0xff, [11] = 0xff };
	char host[INET6_ADDRSTRLEN];
	const char *port, *end;
	bool bracketed = s[0] == '[';
	unsigned long long p;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (bracketed) {
		end = strchr(s, ']');
		if (!end || end[1] != ':')
			return -1;
		n = (size_t)(end - s - 1);
		s++;
		port = end + 2;
	} else {
		end = strrchr(s, ':');
		if (!end)
			return -1;
		n = (size_t)(end - s);
		port = end + 1;
	}
	if (!n || n >= sizeof(host) || port[0] < '0' || port[0] > '9' ||
	    parse_uint(port, 65535, &p) || !p)
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	out->port = (__u16)p;
	if (!bracketed && inet_pton(AF_INET, host, out->addr) == 1) {
		out->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, host, out->addr) != 1)
		return -1;
	out->family = 6;
	/* ::ffff:a.b.c.d, a dual-stack socket's IPv4 peer: the wire's IPv4 */
	if (!memcmp(out->addr, mapped, sizeof(mapped))) {
		memmove(out->addr, out->addr + 12, 4);
		memset(out->addr + 4, 0, 12);
		out->family = 4;
	}
	return 0;
}

void conn_side_fmt(const struct conn_side *s, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(s->family == 6 ? AF_INET6 : AF_INET, s->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, s->family == 6 ? "[%s]:%u" : "%s:%u", a, s->port);
}

struct hs_conn_key conn_key(const struct conn_side *client)
{
	struct hs_conn_key k;

	memset(&k, 0, sizeof(k));
	memcpy(k.saddr, client->addr, sizeof(k.saddr));
	k.sport = client->port;
	k.family = client->family;
	return k;
}

int conn_sets_of(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.value_size != sizeof(struct hs_conn_set) || !info.max_entries ||
	    info.max_entries & (info.max_entries - 1) || info.max_entries > INT_MAX)
		return -EINVAL;
	return (int)info.max_entries;
}

int conn_maps_sizes(struct conn_maps *m)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int n = conn_sets_of(m->conns);

	if (n < 0)
		return n;
	m->conn_sets = (__u32)n;
	m->flow_slots = 0;
	if (m->flows >= 0 && !bpf_obj_get_info_by_fd(m->flows, &info, &len))
		m->flow_slots = info.max_entries;
	return 0;
}

int conn_get(int fd, __u32 nsets, const struct hs_conn_key *k, struct hs_conn *c)
{
	struct hs_conn_set a, b;
	__u32 set;
	int i, try;

	if (!nsets || nsets & (nsets - 1))
		return -EINVAL;
	set = hs_conn_set(k, nsets);
	/* a way is copied whole by each lookup, not at once: one copy of it
	 * is a record when its seq is even and a second copy is the same */
	for (try = 0; try < 64; try++) {
		if (bpf_map_lookup_elem(fd, &set, &a) || bpf_map_lookup_elem(fd, &set, &b))
			return -errno;
		for (i = 0; i < HS_CONN_WAYS; i++)
			if (!memcmp(&a.way[i].key, k, sizeof(*k)))
				break;
		if (i == HS_CONN_WAYS)
			return -ENOENT;
		if (!(a.way[i].seq & 1) && !memcmp(&a.way[i], &b.way[i], sizeof(a.way[i]))) {
			*c = a.way[i].c;
			return 0;
		}
	}
	return -EAGAIN;
}

static bool side_eq(const struct conn_side *a, const struct conn_side *b)
{
	return a->family == b->family && a->port == b->port &&
	       !memcmp(a->addr, b->addr, a->family == 4 ? 4 : 16);
}

/* The names map's name of (id, kind) into buf; 0 or -1. */
static int name_of(int fd, __u64 id, __u32 kind, char *buf, size_t len)
{
	struct hs_name_key k = { .id = HS_GEN_KEY(id, 0), .kind = kind };
	struct hs_name nm;

	if (fd < 0 || bpf_map_lookup_elem(fd, &k, &nm))
		return -1;
	snprintf(buf, len, "%.*s", (int)(nm.len < sizeof(nm.s) ? nm.len : sizeof(nm.s) - 1), nm.s);
	return 0;
}

#define CACHE_SLOTS 256   /* per kind */

struct conn_cache {
	struct {
		__u64 id;         /* generation bit cleared; 0: empty */
		char ja4[64], ja4_r[HS_JA4_R_TEXT];
	} tls[CACHE_SLOTS];
	struct {
		__u64 id;
		char sig[160], stack[160];
		const char *os;   /* the p0f database's, loaded for the process */
	} tcp[CACHE_SLOTS];
};

struct conn_cache *conn_cache_new(void)
{
	return calloc(1, sizeof(struct conn_cache));
}

void conn_cache_free(struct conn_cache *c)
{
	free(c);
}

static unsigned int cache_slot(__u64 id)
{
	return (unsigned int)(hs_mix64(id) & (CACHE_SLOTS - 1));
}

void conn_tls_names(const struct conn_maps *m, __u64 tls_id, struct conn_names *nm)
{
	__u64 id = HS_GEN_KEY(tls_id, 0);
	unsigned int i = cache_slot(id);
	struct hs_tls_fp v;

	nm->ja4[0] = nm->ja4_r[0] = '\0';
	if (!id)
		return;
	if (m->cache && m->cache->tls[i].id == id) {
		memcpy(nm->ja4, m->cache->tls[i].ja4, sizeof(nm->ja4));
		memcpy(nm->ja4_r, m->cache->tls[i].ja4_r, sizeof(nm->ja4_r));
		return;
	}
	if (fp_lookup_either_gen(m->tls, id, &v)) {
		name_of(m->names, id, HS_NAME_TLS, nm->ja4, sizeof(nm->ja4));
		return;
	}
	/* as dump names it */
	if (tls_ja4(&v.hello, nm->ja4, sizeof(nm->ja4), nm->ja4_r, sizeof(nm->ja4_r)))
		snprintf(nm->ja4, sizeof(nm->ja4), "unrenderable-%016llx", (unsigned long long)id);
	if (m->cache) {
		m->cache->tls[i].id = id;
		memcpy(m->cache->tls[i].ja4, nm->ja4, sizeof(nm->ja4));
		memcpy(m->cache->tls[i].ja4_r, nm->ja4_r, sizeof(nm->ja4_r));
	}
}

static void tcp_names(const struct conn_maps *m, __u64 tcp_id, struct conn_names *nm)
{
	__u64 id = HS_GEN_KEY(tcp_id, 0);
	unsigned int i = cache_slot(id);
	struct hs_tcp_fp v;

	nm->tcp_sig[0] = nm->tcp_stack[0] = '\0';
	nm->os = NULL;
	if (!id)
		return;
	if (m->cache && m->cache->tcp[i].id == id) {
		memcpy(nm->tcp_sig, m->cache->tcp[i].sig, sizeof(nm->tcp_sig));
		memcpy(nm->tcp_stack, m->cache->tcp[i].stack, sizeof(nm->tcp_stack));
		nm->os = m->cache->tcp[i].os;
		return;
	}
	if (fp_lookup_either_gen(m->tcp, id, &v)) {
		name_of(m->names, id, HS_NAME_TCP, nm->tcp_sig, sizeof(nm->tcp_sig));
		return;
	}
	p0f_render(&v.sig, nm->tcp_sig, sizeof(nm->tcp_sig));
	p0f_render_stack(&v.sig, nm->tcp_stack, sizeof(nm->tcp_stack));
	nm->os = p0f_db_label(&v.sig);
	if (m->cache) {
		m->cache->tcp[i].id = id;
		memcpy(m->cache->tcp[i].sig, nm->tcp_sig, sizeof(nm->tcp_sig));
		memcpy(m->cache->tcp[i].stack, nm->tcp_stack, sizeof(nm->tcp_stack));
		m->cache->tcp[i].os = nm->os;
	}
}

/* The flow slot of the connection client -> server, as the program finds
 * it (bpf/flow.h flow_slot, bpf/conn.h sock_conn): 0 with its SYN's ids,
 * or -1. */
static int flow_of(int fd, __u32 nslots, const struct conn_side *c, const struct conn_side *s,
		   struct hs_flow *f)
{
	__u32 a, b, ports, slot;

	if (fd < 0 || !nslots || c->family != s->family)
		return -1;
	memcpy(&a, &c->addr[c->family == 4 ? 0 : 12], 4);
	memcpy(&b, &s->addr[s->family == 4 ? 0 : 12], 4);
	ports = (__u32)htons(c->port) | (__u32)htons(s->port) << 16;
	slot = hs_flow_slot(a, b, ports, nslots);
	if (bpf_map_lookup_elem(fd, &slot, f) || !f->state || !(f->flags & HS_FLOWF_SYN) ||
	    f->ep.family != c->family || f->ep.sport != c->port || f->ep.dport != s->port ||
	    memcmp(f->ep.saddr, c->addr, 16) || memcmp(f->ep.daddr, s->addr, 16))
		return -1;
	return 0;
}

int conn_query(const struct conn_maps *m, const struct conn_side *client,
	       const struct conn_side *server, struct conn_info *ci)
{
	struct hs_conn_key k = conn_key(client);
	struct hs_conn c;
	struct hs_flow f;
	__u64 now;

	memset(ci, 0, sizeof(*ci));
	ci->client = *client;
	ci->nat = -1;
	int err = conn_get(m->conns, m->conn_sets, &k, &c);

	if (!err) {
		memcpy(ci->server.addr, c.daddr, sizeof(ci->server.addr));
		ci->server.port = c.dport;
		ci->server.family = client->family;
		ci->flags = c.flags;
		ci->tls_id = c.tls_id;
		ci->tcp_id = c.tcp_id;
		ci->stack_id = c.stack_id;
		ci->account = c.account;
		ci->hello_ns = c.hello_ns;
		if (server)
			ci->nat = !side_eq(server, &ci->server);
	} else if (err != -ENOENT) {
		return err;
	} else if (server && !flow_of(m->flows, m->flow_slots, client, server, &f)) {
		ci->server = *server;
		ci->syn_only = true;
		ci->nat = 0;
		ci->flags = HS_CF_SYN;
		ci->tcp_id = HS_GEN_KEY(f.tcp_id, 0);
		ci->stack_id = f.stack_id;
	} else {
		return -ENOENT;
	}
	if (ci->hello_ns) {
		now = clock_ns(CLOCK_MONOTONIC);
		ci->age_ms = now > ci->hello_ns ? (now - ci->hello_ns) / 1000000ULL : 0;
	}
	conn_tls_names(m, ci->tls_id, &ci->nm);
	tcp_names(m, ci->tcp_id, &ci->nm);
	return 0;
}

struct json_object *conn_json_id(__u64 id)
{
	char hex[24];

	if (!id)
		return NULL;
	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)id);
	return json_object_new_string(hex);
}

static struct json_object *str_or_null(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

struct json_object *conn_json(const struct conn_info *ci)
{
	json_object *j = json_object_new_object();
	char side[CONN_SIDE_TEXT], hex[24];

	conn_side_fmt(&ci->client, side, sizeof(side));
	json_object_object_add(j, "client", json_object_new_string(side));
	conn_side_fmt(&ci->server, side, sizeof(side));
	json_object_object_add(j, "server", json_object_new_string(side));
	json_object_object_add(j, "state", json_object_new_string(ci->syn_only ? "syn" : "hello"));
	json_object_object_add(j, "ja4", str_or_null(ci->nm.ja4));
	json_object_object_add(j, "ja4_r", str_or_null(ci->nm.ja4_r));
	json_object_object_add(j, "tcp_sig", str_or_null(ci->nm.tcp_sig));
	json_object_object_add(j, "os", ci->nm.os ? json_object_new_string(ci->nm.os) : NULL);
	json_object_object_add(j, "tcp_stack", str_or_null(ci->nm.tcp_stack));
	json_object_object_add(j, "tls_id", conn_json_id(ci->tls_id));
	json_object_object_add(j, "tcp_id", conn_json_id(ci->tcp_id));
	json_object_object_add(j, "stack_id", conn_json_id(ci->stack_id));
	/* a tag of 0 is a tag: the flag says */
	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)ci->account);
	json_object_object_add(j, "account", ci->flags & HS_CF_ACCOUNT ?
			       json_object_new_string(hex) : NULL);
	json_object_object_add(j, "hello_age_ms", ci->hello_ns ?
			       json_object_new_uint64(ci->age_ms) : NULL);
	json_object_object_add(j, "nat", ci->nat < 0 ? NULL : json_object_new_boolean(ci->nat));
	return j;
}

/* "-" for a name not known */
static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

void conn_text(const struct conn_info *ci, FILE *f)
{
	char client[CONN_SIDE_TEXT], server[CONN_SIDE_TEXT];

	conn_side_fmt(&ci->client, client, sizeof(client));
	conn_side_fmt(&ci->server, server, sizeof(server));
	fprintf(f, "connection  %s -> %s\n", client, server);
	if (ci->syn_only)
		fprintf(f, "state       SYN seen, ClientHello not counted yet\n");
	else
		fprintf(f, "state       ClientHello %llu.%03llu s ago\n",
			(unsigned long long)(ci->age_ms / 1000), (unsigned long long)(ci->age_ms % 1000));
	fprintf(f, "ja4         %s\n", or_dash(ci->nm.ja4));
	fprintf(f, "ja4_r       %s\n", or_dash(ci->nm.ja4_r));
	fprintf(f, "tcp sig     %s\n", or_dash(ci->nm.tcp_sig));
	fprintf(f, "os          %s\n", or_dash(ci->nm.os));
	fprintf(f, "tcp stack   %s\n", or_dash(ci->nm.tcp_stack));
	fprintf(f, "ids         tls %016llx tcp %016llx stack %016llx\n",
		(unsigned long long)ci->tls_id, (unsigned long long)ci->tcp_id,
		(unsigned long long)ci->stack_id);
	if (ci->flags & HS_CF_ACCOUNT)
		fprintf(f, "account     %016llx\n", (unsigned long long)ci->account);
	else
		fprintf(f, "account     none\n");
	if (ci->nat >= 0)
		fprintf(f, "nat         %s\n", ci->nat ? "yes: the NIC saw another server side" : "no");
}
