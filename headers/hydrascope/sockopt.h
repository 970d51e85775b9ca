/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hydrascope/sockopt.h: ask the socket what hydrascope saw of it.
 *
 * With `hydrascope run --sockopt-cgroup PATH`, a process in that cgroup
 * (v2) may, on a TCP connection it accepted:
 *
 *   struct hs_conn_fp fp;
 *   socklen_t len = sizeof(fp);
 *   getsockopt(fd, SOL_HYDRASCOPE, HS_OPT_FP, &fp, &len);
 *
 *   char ja4[HS_OPT_STR_MAX];
 *   len = sizeof(ja4);
 *   getsockopt(fd, SOL_HYDRASCOPE, HS_OPT_JA4, ja4, &len);     // "t13d..."
 *
 *   uint64_t account = keyed_hash(account_id);  // never the raw id
 *   setsockopt(fd, SOL_HYDRASCOPE, HS_OPT_ACCOUNT, &account, 8);
 *
 * Errors (errno): ENOENT, hydrascope has no record of the connection (its
 * SYN was not seen on a TLS port, the record was evicted, or the option
 * asks for what was not seen: HS_OPT_JA4 before the ClientHello); EAGAIN,
 * a string option for a fingerprint whose name is not rendered yet (a
 * first-seen one, a millisecond or so; try again); EINVAL, a buffer
 * shorter than the answer (HS_OPT_FP: HS_CONN_FP_V1_SIZE; a string: its
 * length plus the NUL) or an account of another length than 8. Without
 * hydrascope attached the kernel answers for an unknown level
 * (ENOPROTOOPT for TCP sockets). Other levels and options are untouched.
 *
 * The level and option numbers, and the layout of version 1 of struct
 * hs_conn_fp, are stable: later versions only append fields (a caller's
 * shorter buffer gets the fields it has room for; `size` says how many
 * bytes were filled).
 */
#ifndef HYDRASCOPE_SOCKOPT_H
#define HYDRASCOPE_SOCKOPT_H

#include <linux/types.h>

#define SOL_HYDRASCOPE 0x4853   /* "HS": no level of Linux */

enum {
	HS_OPT_FP = 1,          /* get: struct hs_conn_fp */
	HS_OPT_JA4 = 2,         /* get: the connection's JA4, NUL-terminated */
	HS_OPT_TCP_SIG = 3,     /* get: its SYN's TCP signature (p0f v3 format) */
	HS_OPT_ACCOUNT = 4,     /* set: a 64-bit keyed hash of the account;
				 * get: the tag (HS_CF_ACCOUNT) */
};

/* The longest string option's answer, NUL included. */
#define HS_OPT_STR_MAX 256

/* struct hs_conn_fp flags: what is known of the connection. */
enum {
	HS_CF_SYN = 1,          /* its SYN: tcp_id and stack_id */
	HS_CF_TLS = 2,          /* its ClientHello: tls_id */
	HS_CF_ACCOUNT = 4,      /* an account tag: account */
	HS_CF_NAT = 8,          /* found by the client side alone: the server
				 * side the NIC saw differs from the socket's
				 * (a DNAT between them) */
};

#define HS_CONN_FP_VERSION 1
#define HS_CONN_FP_V1_SIZE 48

struct hs_conn_fp {
	__u16 version;          /* HS_CONN_FP_VERSION */
	__u16 size;             /* bytes filled */
	__u32 flags;            /* HS_CF_* */
	__u64 tcp_id;           /* TCP fingerprint (dump's, the TTL as seen) */
	__u64 stack_id;         /* TCP stack (the TTL read as its initial value) */
	__u64 tls_id;           /* TLS fingerprint: one per JA4 and ClientHello shape */
	__u64 account;          /* the account tag */
	__u64 hello_ns;         /* CLOCK_MONOTONIC (the tick's start) at its ClientHello, 0: none */
};

#endif /* HYDRASCOPE_SOCKOPT_H */
