/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection records (the conns map) and the cgroup sockopt programs that
 * answer from them (hydrascope/sockopt.h): a connection's fingerprint ids
 * and names for the application that accepted it, and its account tag.
 *
 * A record is put when a connection's ClientHello is counted, so only
 * validated handshakes take records: a spoofed flood evicts none. Before
 * the ClientHello, getsockopt answers from the connection's flow slot (its
 * SYN's ids).
 */
#ifndef HS_CONN_H
#define HS_CONN_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "hydrascope.h"
#include "hs_hash.h"
#include "consts.h"
#include "globals.h"
#include "maps.h"
#include "flow.h"
#include "hll.h"

#ifndef AF_INET
#define AF_INET 2
#endif
#ifndef AF_INET6
#define AF_INET6 10
#endif
#define HS_ENOENT 2
#define HS_EAGAIN 11
#define HS_EINVAL 22
#define HS_PAGE_SIZE 4096

/* Are 16-byte addresses a and b the same? */
INLINE int addr_eq(const __u8 *a, const __u8 *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return x[0] == y[0] && x[1] == y[1];
}

/* Are conns keys a and b the same (their padding zero)? */
INLINE int conn_key_eq(const struct hs_conn_key *a, const struct hs_conn_key *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2];
}

/* The set client side k's record is kept in. */
INLINE struct hs_conn_set *conn_set(const struct hs_conn_key *k)
{
	__u32 i = hs_conn_set(k, conn_sets);

	return bpf_map_lookup_elem(&conns, &i);
}

/* The conns key of connection ep: its client side. */
INLINE void conn_key_of(struct hs_conn_key *k, const struct hs_endpoints *ep)
{
	__builtin_memcpy(k->saddr, ep->saddr, 16);
	k->sport = ep->sport;
	k->family = ep->family;
}

/*
 * Every line of the set connection ep's record goes into, read and
 * dropped: a fresh connection's set is in no cache. Read by a new source
 * once its seen set is searched (seen_source), before the site's and the
 * network's sets, the misses overlap; read by conn_record only, after
 * the novelty's counts and their locked adds, its miss came after all
 * the others (fresh connections from new sources ~1.25 times as fast;
 * docs/performance.md). A known source's record miss overlaps its one
 * search without it.
 */
INLINE void conn_read_ahead(const struct hs_endpoints *ep)
{
	struct hs_conn_key k = {};
	struct hs_conn_set *s;
	__u32 i;

	conn_key_of(&k, ep);
	s = conn_set(&k);
	if (!s)
		return;
	/* a word every 64 bytes, and the last: every line, however the set
	 * falls on them */
#pragma unroll
	for (i = 0; i <= sizeof(*s) / 64; i++) {
		__u32 w = i < sizeof(*s) / 64 ? i * 8 : sizeof(*s) / 8 - 1;
		__u64 v = ((const volatile __u64 *)s)[w];

		asm volatile("" : : "r"(v));
	}
}

/* The way of set s holding k's record, or NULL. */
INLINE struct hs_conn_way *conn_way(struct hs_conn_set *s, const struct hs_conn_key *k)
{
	int i;

#pragma unroll
	for (i = 0; i < HS_CONN_WAYS; i++)
		if (conn_key_eq(&s->way[i].key, k))
			return &s->way[i];
	return NULL;
}

/* Way w taken for writing (its seq from even to odd): 1, or 0 when
 * another CPU is writing it. conn_unlock gives it back. */
INLINE int conn_lock(struct hs_conn_way *w)
{
	__u64 q = w->seq;

	return !(q & 1) && __sync_val_compare_and_swap(&w->seq, q, q + 1) == q;
}

INLINE void conn_unlock(struct hs_conn_way *w)
{
	__sync_fetch_and_add(&w->seq, 1);
}

/* k's record into *c: 1, or 0 (none, or one being written: a copy taken
 * while its seq was odd, or changed, is not one). */
INLINE int conn_read(const struct hs_conn_key *k, struct hs_conn *c)
{
	struct hs_conn_set *s = conn_set(k);
	struct hs_conn_way *w = s ? conn_way(s, k) : NULL;
	__u64 q;

	if (!w)
		return 0;
	q = __sync_fetch_and_add(&w->seq, 0);
	if (q & 1 || !conn_key_eq(&w->key, k))
		return 0;
	__builtin_memcpy(c, &w->c, sizeof(*c));
	return __sync_fetch_and_add(&w->seq, 0) == q;
}

/* A counted ClientHello's connection into its record (account untouched
 * when the record is already there: a retransmitted hello), in the way
 * its client side has, else an empty one, else the set's oldest. A way
 * another CPU is writing at that moment is left to it: this record is
 * not kept. Inline: its one caller (count_hello) is verified once. */
INLINE int conn_record(const struct hs_endpoints *ep, __u64 tcp_id, __u64 stack_id,
		       __u64 tls_id, __u64 ts)
{
	struct hs_conn_way *w = NULL, *x;
	struct hs_conn_key k = {};
	struct hs_conn_set *s;
	__u64 oldest = ~0ULL, age;
	int i;

	if (!ep)
		return 0;
	conn_key_of(&k, ep);
	s = conn_set(&k);
	if (!s)
		return 0;
#pragma unroll
	for (i = 0; i < HS_CONN_WAYS; i++) {
		x = &s->way[i];
		if (conn_key_eq(&x->key, &k)) {
			if (x->c.tls_id == HS_GEN_KEY(tls_id, 0) && x->c.dport == ep->dport &&
			    addr_eq(x->c.daddr, ep->daddr))
				return 0;
			w = x;
			break;
		}
		age = x->key.family ? x->c.hello_ns : 0;
		if (age < oldest) {
			oldest = age;
			w = x;
		}
	}
	if (!w || !conn_lock(w))
		return 0;
	w->key = k;
	__builtin_memset(&w->c, 0, sizeof(w->c));
	__builtin_memcpy(w->c.daddr, ep->daddr, 16);
	w->c.dport = ep->dport;
	w->c.tcp_id = tcp_id ? HS_GEN_KEY(tcp_id, 0) : 0;
	w->c.stack_id = stack_id;
	w->c.tls_id = HS_GEN_KEY(tls_id, 0);
	w->c.hello_ns = ts;
	w->c.flags = HS_CF_TLS | (tcp_id ? HS_CF_SYN : 0);
	conn_unlock(w);
	return 0;
}

/* The connection of a socket, as the NIC saw it: its client side (the
 * socket's peer) into k, its server side into ep (and the whole of it).
 * An IPv4 peer of an IPv6 socket (::ffff:a.b.c.d) is an IPv4 one. 0, or
 * -1: not a TCP socket of ours to answer for. */
INLINE int sock_conn_key(struct bpf_sock *sk, struct hs_conn_key *k, struct hs_endpoints *ep)
{
	__u32 fam, w0, w1, w2;

	if (sk->protocol != 6 /* IPPROTO_TCP */)
		return -1;
	fam = sk->family;
	__builtin_memset(ep, 0, sizeof(*ep));
	__builtin_memset(k, 0, sizeof(*k));
	if (fam == AF_INET) {
		__u32 d = sk->dst_ip4, s = sk->src_ip4;

		__builtin_memcpy(ep->saddr, &d, 4);
		__builtin_memcpy(ep->daddr, &s, 4);
		ep->family = 4;
	} else if (fam == AF_INET6) {
		w0 = sk->dst_ip6[0];
		w1 = sk->dst_ip6[1];
		w2 = sk->dst_ip6[2];
		if (!w0 && !w1 && w2 == bpf_htonl(0xffff)) {
			__u32 d = sk->dst_ip6[3], s = sk->src_ip6[3];

			__builtin_memcpy(ep->saddr, &d, 4);
			__builtin_memcpy(ep->daddr, &s, 4);
			ep->family = 4;
		} else {
			__u32 a[4], b[4];

			a[0] = w0;
			a[1] = w1;
			a[2] = w2;
			a[3] = sk->dst_ip6[3];
			b[0] = sk->src_ip6[0];
			b[1] = sk->src_ip6[1];
			b[2] = sk->src_ip6[2];
			b[3] = sk->src_ip6[3];
			__builtin_memcpy(ep->saddr, a, 16);
			__builtin_memcpy(ep->daddr, b, 16);
			ep->family = 6;
		}
	} else {
		return -1;
	}
	ep->sport = bpf_ntohs((__u16)sk->dst_port);
	ep->dport = (__u16)sk->src_port;
	__builtin_memcpy(k->saddr, ep->saddr, 16);
	k->sport = ep->sport;
	k->family = ep->family;
	return 0;
}

/* What is known of a socket's connection into fp (flags 0: nothing):
 * its record, else its flow slot's SYN (a hello not yet counted). */
INLINE void sock_conn(struct bpf_sock *sk, struct hs_conn_fp *fp)
{
	struct hs_endpoints ep;
	struct hs_conn_key k;
	struct hs_conn c;
	struct hs_flow *f;

	if (sock_conn_key(sk, &k, &ep))
		return;
	if (conn_read(&k, &c)) {
		fp->flags = c.flags;
		/* the server side differs: a DNAT between the NIC and the socket
		 * (or the client's address and port reused towards another) */
		if (c.dport != ep.dport || !addr_eq(c.daddr, ep.daddr))
			fp->flags |= HS_CF_NAT;
		fp->tcp_id = c.tcp_id;
		fp->stack_id = c.stack_id;
		fp->tls_id = c.tls_id;
		fp->account = c.account;
		fp->hello_ns = c.hello_ns;
		return;
	}
	/* its flow slot, from the socket's side */
	f = flow_of((__u32)hs_flow_hash_ep(&ep) & (HS_FLOWS_MAX - 1), &ep);
	if (f && (f->flags & HS_FLOWF_SYN)) {
		fp->flags = HS_CF_SYN;
		fp->tcp_id = HS_GEN_KEY(f->tcp_id, 0);
		fp->stack_id = f->stack_id;
	}
}

/* Copy a name (and its NUL) to the option's buffer: its length + 1, or
 * -EINVAL when the buffer is shorter. */
INLINE int put_name(struct bpf_sockopt *ctx, const struct hs_name *nm)
{
	__u8 *out = ctx->optval, *end = ctx->optval_end;
	__u32 n = nm->len, i;

	if (n >= HS_OPT_STR_MAX)
		n = HS_OPT_STR_MAX - 1;
	if ((__s32)n + 1 > ctx->optlen)
		return -HS_EINVAL;
	for (i = 0; i < HS_OPT_STR_MAX; i++) {
		if (out + i + 1 > end)
			return -HS_EINVAL;
		out[i] = i < n ? (__u8)nm->s[i] : 0;
		if (i >= n)
			break;
	}
	return (int)n + 1;
}

/* The stats counter i, +1 (per CPU; a sockopt program may be preempted:
 * a lost count, never a wrong answer). */
INLINE void sockopt_count(int i)
{
	__u32 zero = 0;
	struct hs_stats *st = bpf_map_lookup_elem(&stats, &zero);

	if (st && i >= 0 && i < HS_ST__COUNT)
		st->c[i]++;
}

/* getsockopt(SOL_HYDRASCOPE, HS_OPT_*): the answer's length, or -errno. */
INLINE int sockopt_get(struct bpf_sockopt *ctx)
{
	struct hs_conn_fp fp = {};
	struct hs_name_key nk = {};
	struct hs_name *nm;
	__u8 *out = ctx->optval, *end = ctx->optval_end;
	__s32 len = ctx->optlen;
	struct bpf_sock *sk = ctx->sk;

	if (!sk)
		return -HS_ENOENT;
	sock_conn(sk, &fp);
	if (!fp.flags)
		return -HS_ENOENT;
	switch (ctx->optname) {
	case HS_OPT_FP:
		if (len < HS_CONN_FP_V1_SIZE)
			return -HS_EINVAL;
		if (out + sizeof(fp) > end)
			return -HS_EINVAL;
		fp.version = HS_CONN_FP_VERSION;
		fp.size = sizeof(fp);
		__builtin_memcpy(out, &fp, sizeof(fp));
		return sizeof(fp);
	case HS_OPT_JA4:
		if (!(fp.flags & HS_CF_TLS))
			return -HS_ENOENT;
		nk.id = fp.tls_id;
		nk.kind = HS_NAME_TLS;
		break;
	case HS_OPT_TCP_SIG:
		if (!(fp.flags & HS_CF_SYN))
			return -HS_ENOENT;
		nk.id = fp.tcp_id;
		nk.kind = HS_NAME_TCP;
		break;
	case HS_OPT_ACCOUNT:
		if (!(fp.flags & HS_CF_ACCOUNT))
			return -HS_ENOENT;
		if (len < 8 || out + 8 > end)
			return -HS_EINVAL;
		__builtin_memcpy(out, &fp.account, 8);
		return 8;
	default:
		return -HS_ENOENT;
	}
	nm = bpf_map_lookup_elem(&names, &nk);
	if (!nm)
		return -HS_EAGAIN;
	return put_name(ctx, nm);
}

/* The tag into the accounts entry of this window for (key, kind), made
 * on a miss; src (may be NULL): the tagged connection's source. */
INLINE void acct_add(__u64 key, __u32 kind, __u64 account, const struct hs_endpoints *src)
{
	struct hs_acct_key k = { .key = key, .kind = kind };
	struct hs_acct *a;
	__u32 zero = 0;

	a = bpf_map_lookup_elem(&accounts, &k);
	if (!a) {
		struct hs_acct *init = bpf_map_lookup_elem(&acct_init, &zero);
		long err;

		if (!init)
			return;
		err = bpf_map_update_elem(&accounts, &k, init, BPF_NOEXIST);
		if (err && err != -17 /* EEXIST: another CPU's */) {
			sockopt_count(HS_ST_ACCT_MAP_FULL);
			return;
		}
		a = bpf_map_lookup_elem(&accounts, &k);
		if (!a)
			return;
	}
	__sync_fetch_and_add(&a->tags, 1);
	hll_add(a->hll_accounts, hs_mix64(account ^ HS_SEED_ACCOUNT));
	if (src)
		hll_add_src(a->hll_ips, NULL, NULL, NULL, src);
}

/* An account tag on fingerprint ids (generation bits cleared, 0: none):
 * into this window's accounts entries of the TLS fingerprint, the TCP
 * fingerprint and their pair. */
INLINE void tag_ids(__u64 tls_id, __u64 tcp_id, __u64 stack_id, __u64 account,
		    const struct hs_endpoints *src)
{
	__u32 gen = cur_gen;

	if (tls_id)
		acct_add(HS_GEN_KEY(tls_id, gen), HS_ACCT_TLS, account, src);
	if (tcp_id)
		acct_add(HS_GEN_KEY(tcp_id, gen), HS_ACCT_TCP, account, src);
	if (tls_id && stack_id)
		acct_add(HS_GEN_KEY(hs_pair_id(tls_id, stack_id), gen), HS_ACCT_PAIR, account,
			 src);
	sockopt_count(HS_ST_ACCOUNT_TAGS);
}

/* An account tag on the connection whose client side is k (its record,
 * then its fingerprints' sketches); ids out. 0, -ENOENT: no record, or
 * -EAGAIN: its way written by others all along (a few hundred tries). */
INLINE int tag_conn(const struct hs_conn_key *k, __u64 account, __u64 *tls_id, __u64 *tcp_id,
		    __u64 *stack_id)
{
	struct hs_endpoints src = {};
	struct hs_conn_set *s = conn_set(k);
	struct hs_conn_way *w = s ? conn_way(s, k) : NULL;
	int i;

	if (!w)
		return -HS_ENOENT;
	for (i = 0; i < 256 && !conn_lock(w); i++)
		;
	if (i == 256)
		return -HS_EAGAIN;
	if (!conn_key_eq(&w->key, k)) {         /* taken over meanwhile */
		conn_unlock(w);
		return -HS_ENOENT;
	}
	w->c.account = account;
	w->c.flags |= HS_CF_ACCOUNT;
	*tls_id = w->c.tls_id;
	*tcp_id = w->c.tcp_id;
	*stack_id = w->c.stack_id;
	conn_unlock(w);
	__builtin_memcpy(src.saddr, k->saddr, 16);
	src.family = k->family;
	tag_ids(*tls_id, *tcp_id, *stack_id, account, &src);
	return 0;
}

/* setsockopt(SOL_HYDRASCOPE, HS_OPT_ACCOUNT, &hash, 8). 0, or -errno. */
INLINE int sockopt_set(struct bpf_sockopt *ctx)
{
	struct hs_endpoints ep;
	struct hs_conn_key k;
	__u8 *in = ctx->optval, *end = ctx->optval_end;
	struct bpf_sock *sk = ctx->sk;
	__u64 account, a, b, c;

	if (ctx->optname != HS_OPT_ACCOUNT)
		return -HS_ENOENT;
	if (ctx->optlen != 8 || in + 8 > end)
		return -HS_EINVAL;
	__builtin_memcpy(&account, in, 8);
	if (!sk || sock_conn_key(sk, &k, &ep))
		return -HS_ENOENT;
	return tag_conn(&k, account, &a, &b, &c);
}

/*
 * The programs' bodies. Another level or option is left as it is: the
 * kernel's answer stands (getsockopt), the kernel handles it (setsockopt);
 * only a buffer over a page is handed back whole (optlen 0), as the
 * kernel asks of every sockopt program.
 */
/* Another level's option: left as it is (1), a buffer over a page handed
 * back whole; 0 for ours. */
INLINE int not_ours(struct bpf_sockopt *ctx)
{
	if (ctx->level == SOL_HYDRASCOPE)
		return 0;
	if (ctx->optlen > HS_PAGE_SIZE)
		ctx->optlen = 0;
	return 1;
}

INLINE int hs_sockopt_get(struct bpf_sockopt *ctx)
{
	int r;

	if (not_ours(ctx))
		return 1;
	r = sockopt_get(ctx);
	if (r < 0) {
		sockopt_count(HS_ST_SOCKOPT_FAILED);
		ctx->optlen = 0;
		bpf_set_retval(r);
		return 1;
	}
	sockopt_count(HS_ST_SOCKOPT_ANSWERED);
	ctx->optlen = r;
	ctx->retval = 0;
	return 1;
}

INLINE int hs_sockopt_set(struct bpf_sockopt *ctx)
{
	int r;

	if (not_ours(ctx))
		return 1;
	r = sockopt_set(ctx);
	/* ctx itself again: kept as &ctx->optlen across the calls (as clang
	 * did once they included a global subprogram), a context pointer
	 * with an offset, which the verifier refuses to write through */
	asm volatile("" : "+r"(ctx));
	ctx->optlen = -1;       /* ours: the kernel's handler is not run */
	if (r < 0) {
		bpf_set_retval(r);
		return 0;
	}
	return 1;
}

/* The hs_tag program: a tag from userspace (struct hs_tag_req). */
INLINE int hs_tag_run(struct hs_tag_req *r)
{
	if (r->how == HS_TAG_CONN) {
		struct hs_conn_key k = r->key;   /* out of the context */
		__u64 a = 0, b = 0, c = 0;

		r->result = tag_conn(&k, r->account, &a, &b, &c);
		r->tls_id = a;
		r->tcp_id = b;
		r->stack_id = c;
	} else if (r->how == HS_TAG_IDS && (r->tls_id || r->tcp_id)) {
		tag_ids(r->tls_id & ~1ULL, r->tcp_id & ~1ULL, r->stack_id, r->account, NULL);
		r->result = 0;
	} else {
		r->result = -HS_EINVAL;
	}
	return 0;
}

#endif /* HS_CONN_H */
