/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a running instance knows of one connection, by its client side
 * (conninfo.c): `hydrascope lookup` and the lookup socket (lookup.c) both
 * answer from it, in the same JSON.
 */
#ifndef HS_CONNINFO_H
#define HS_CONNINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "hydrascope.h"
#include "ja4.h"

struct json_object;

struct conn_cache;

/* The maps a connection is read from; -1 for one not there (an older
 * instance: no flows or names). cache: the names rendered lately, or NULL.
 * conn_sets, flow_slots: the conns and flows maps' entries, read once
 * (conn_maps_sizes) before the first query. */
struct conn_maps {
	int conns, flows, tls, tcp, names;
	struct conn_cache *cache;
	__u32 conn_sets, flow_slots;
};

/* m's conn_sets (the conns map checked to be sets of ways, a power of two
 * of them) and flow_slots (0 without a flows map): 0 or -errno. */
int conn_maps_sizes(struct conn_maps *m);
/* The conns map fd's sets the same way: > 0, or -errno. */
int conn_sets_of(int fd);

/* Names rendered from fingerprint entries, kept by id (an id's names never
 * change): a reader that answers many lookups renders each fingerprint
 * once, and still names it once its entries are gone with their window.
 * Direct-mapped, a few hundred fingerprints; one thread's. */
struct conn_cache *conn_cache_new(void);
void conn_cache_free(struct conn_cache *c);

/* One side of a connection: its address in network order (IPv4 in the
 * first 4 bytes), port in host order, family 4 or 6. */
struct conn_side {
	__u8 addr[16];
	__u16 port;
	__u8 family;
};

/* "IPV4:PORT", "[IPV6]:PORT" or "IPV6:PORT" (the port after the last
 * colon: what nginx's "$remote_addr:$remote_port" gives), the port 1-65535;
 * an IPv4-mapped IPv6 address is the IPv4 one, as the program saw it. 0 or
 * -1. */
int conn_side_parse(const char *s, struct conn_side *out);
/* "198.18.1.2:40000", "[2001:db8::1]:40000" */
#define CONN_SIDE_TEXT 56
void conn_side_fmt(const struct conn_side *s, char *buf, size_t len);
/* The conns map's key of a client side. */
struct hs_conn_key conn_key(const struct conn_side *client);

/* The record of client side k in the conns array fd (nsets sets,
 * conn_sets_of) into *c: 0, -ENOENT (none), -EAGAIN (its way being written
 * at every try) or -errno. */
int conn_get(int fd, __u32 nsets, const struct hs_conn_key *k, struct hs_conn *c);

/* A fingerprint's names, from its map entry (this window's or the last),
 * else from the names map (the JA4 or signature alone), else none. */
struct conn_names {
	char ja4[64];                 /* "": not known */
	char ja4_r[HS_JA4_R_TEXT];    /* "": not known */
	char tcp_sig[160];            /* p0f v3 raw_sig, the TTL as seen */
	char tcp_stack[160];          /* the same, TTL read as initial (database form) */
	const char *os;               /* the p0f database's label, "" none; NULL: the
				       * TCP fingerprint's entry is gone */
};

struct conn_info {
	struct conn_side client;
	struct conn_side server;      /* as the NIC saw it */
	bool syn_only;                /* from its flow slot: the SYN seen, its
				       * ClientHello not counted (yet) */
	int nat;                      /* -1: no server side given to compare; 0, 1:
				       * the given one differs from the NIC's */
	__u32 flags;                  /* HS_CF_* */
	__u64 tls_id, tcp_id, stack_id, account;
	__u64 hello_ns;               /* program clock, 0: none */
	__u64 age_ms;                 /* since the ClientHello (with hello_ns) */
	struct conn_names nm;
};

/* What m knows of the connection of client (to server, NULL when not
 * given: then only a record answers, a flow slot needs both sides). 0,
 * -ENOENT (none), or -errno of a map read. */
int conn_query(const struct conn_maps *m, const struct conn_side *client,
	       const struct conn_side *server, struct conn_info *ci);
/* The names of the TLS fingerprint tls_id into nm (ja4 "" when unknown). */
void conn_tls_names(const struct conn_maps *m, __u64 tls_id, struct conn_names *nm);
/* The lookup object: lookup -j and the socket's answer. */
struct json_object *conn_json(const struct conn_info *ci);
/* The same as lines of text. */
void conn_text(const struct conn_info *ci, FILE *f);
/* An id as lookup prints it: 16 hex digits. */
struct json_object *conn_json_id(__u64 id);

#endif /* HS_CONNINFO_H */
