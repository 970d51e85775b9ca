/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the XDP program and userspace share: limits, the layout of map
 * values and ring-buffer records, counter indices. Only __u* types, so the
 * file compiles on both sides. Every multi-byte value is in host byte order
 * unless its comment says otherwise.
 */
#ifndef HYDRASCOPE_H
#define HYDRASCOPE_H

#include <linux/types.h>
#include "hydrascope/sockopt.h"   /* the public part: SOL_HYDRASCOPE */

/* Bump when any struct below or a map definition changes layout, or what
 * their values mean (10: the sketches' registers and address hash became
 * PostgreSQL hll's; 11: hs_reasm reassembles records and reordered
 * segments, tls_fps holds the unfingerprinted populations (HS_TLSF_UNFP),
 * the unvalidated sample's map; 12: QUIC: the quic_flows slots and the
 * quic_budget, quic_hello maps, the QUIC events, HS_TLSF_QUIC in the
 * hellos and their ids, the QUIC counters appended to the stats array,
 * the quic_user map; quic_flows pinned; 13: the reasm map is an array of
 * slots, struct hs_reasm_slot, its number in hs_flow.rslot; 14: the conns
 * map is an array of sets, struct hs_conn_set, and so is the seen map,
 * struct hs_seen_set; 15: the quic_flows slots are sets of HS_QUIC_WAYS,
 * hs_quic_set; 16: the quic_initials_other_port counter appended to the
 * stats array; 17: the tunneled counter appended to it). */
#define HS_LAYOUT_VERSION 17

/* ---- limits (each can be overridden at build time) ---- */

#ifndef HS_VLAN_MAX
#define HS_VLAN_MAX 2           /* 802.1Q / 802.1ad tags skipped */
#endif
#ifndef HS_IPV6_EXT_MAX
#define HS_IPV6_EXT_MAX 6       /* IPv6 extension headers skipped */
#endif
/* TCP options recorded per SYN: p0f v3 stops at 24 and calls the rest "bad". */
#define HS_TCP_MAX_OPTS 24
#define HS_TCP_OPT_BYTES 40     /* (15 - 5) * 4 */

/* HyperLogLog: 2^10 one-byte registers, standard error 1.04/32 = 3.3%,
 * holding values of 5 bits (0..31) as PostgreSQL's hll extension's
 * (log2m 10, regwidth 5) do: hs_hash.h fills them. */
#define HS_HLL_P 10
#define HS_HLL_M (1u << HS_HLL_P)
#define HS_HLL_REGWIDTH 5
#define HS_HLL_VMAX ((1u << HS_HLL_REGWIDTH) - 1)

#ifndef HS_TCP_FP_MAX
#define HS_TCP_FP_MAX 4096      /* distinct TCP fingerprint ids tracked */
#endif
#ifndef HS_TCP_KNOWN_MAX
#define HS_TCP_KNOWN_MAX 16384  /* TCP fingerprint ids admitted lately (LRU): a
				 * new window's entry for one of them is never shed */
#endif
#ifndef HS_TLS_FP_MAX
#define HS_TLS_FP_MAX 8192      /* distinct TLS fingerprint ids tracked */
#endif
#ifndef HS_PAIRS_MAX
#define HS_PAIRS_MAX 8192       /* (TLS fingerprint, TCP stack) pairs tracked */
#endif
#ifndef HS_FLOWS_MAX
#define HS_FLOWS_MAX 65536      /* flow slots: connections to TLS ports tracked
				 * (a power of two) */
#endif
#define HS_FLOW_HOLD_NS 1000000000ULL  /* a handshake in progress keeps its slot */
#define HS_FLOW_SINCE_SHIFT 20  /* a slot's SYN time in the XDP program's .bss
				 * (flow_since): the clock's ns >> this (~1 ms) */
#ifndef HS_REASM_MAX
#define HS_REASM_MAX 1024       /* ClientHellos being reassembled at once (a power
				 * of two) */
#endif
#define HS_TLS_PORTS_MAX 8
#define HS_HELLO_LIMIT 16384    /* largest ClientHello walked (bytes, with its first
				 * record header), and the stream bytes a collection
				 * keeps (record headers and bytes before the hello
				 * included) */
#define HS_HELLO_SEGS HS_HELLO_LIMIT  /* default segment limit: none of its own
				 * (a segment brings a new byte at least) */
#ifndef HS_REASM_RANGES
#define HS_REASM_RANGES 8       /* out-of-order byte ranges kept per collection */
#endif
#define HS_HELLO_SEARCH 2048    /* stream bytes searched for a ClientHello after
				 * other data (a proxy request before it) */
#define HS_REASM_TIMEOUT_NS (10ULL * 1000000000ULL)  /* a collection's lifetime */
#ifndef HS_UNVAL_SAMPLE
#define HS_UNVAL_SAMPLE 256     /* unvalidated ClientHellos walked per CPU per window */
#endif
#define HS_EVENTS_BYTES (2 * 1024 * 1024)
/* UDP ports of tunnels (their IANA ports): counted as tunneled */
#define HS_VXLAN_PORT 4789
#define HS_GENEVE_PORT 6081

/* QUIC (issue 18): client Initials handed to userspace, which decrypts
 * them and hands the ClientHello back (the hs_quic_hello program). */
#define HS_QUIC_PORTS_MAX 8
#ifndef HS_QUIC_FLOWS_MAX
#define HS_QUIC_FLOWS_MAX 16384 /* QUIC flow slots (a power of two) */
#endif
#ifndef HS_QUIC_WAYS
#define HS_QUIC_WAYS 4          /* slots a flow may take: the slots are sets of this
				 * many (a power of two), so that a flow holding
				 * one does not shut out another hashed to it */
#endif
#ifndef HS_QUIC_INITIALS_MAX
#define HS_QUIC_INITIALS_MAX 4  /* client Initials of a flow handed to userspace */
#endif
#ifndef HS_QUIC_BUDGET
#define HS_QUIC_BUDGET 4096     /* Initials handed to userspace per second, shared
				 * among the CPUs (at least HS_QUIC_BUDGET_CPU_MIN each) */
#endif
#ifndef HS_QUIC_BUDGET_CPU_MIN
#define HS_QUIC_BUDGET_CPU_MIN 256
#endif
/* Bytes of a datagram an Initial's event carries: all of a 1,500-byte MTU's,
 * and all of the largest a replayed frame holds (HS_REPLAY_FRAME less the
 * Ethernet, IPv4 and UDP headers), as a capture holds a client's datagrams
 * that GRO merged on the host that took it (or GSO had yet to split). */
#define HS_QUIC_DGRAM_MAX 3480
#define HS_QUIC_DGRAM_MIN 1200  /* a client's Initial datagram is padded to this
				 * (RFC 9000, 14.1): smaller ones are not handed */
#define HS_QUIC_CID_MAX 20      /* longest connection ID (RFC 9000, 17.2) */
#define HS_QUIC_SCID_MIN 4      /* shortest server connection ID that validates: a
				 * shorter one is too easy to guess */
#define HS_QUIC_COALESCED 4     /* packets of a client datagram looked at for a
				 * Handshake (coalesced after its Initial) */
#define HS_QUIC_FLOW_NS (10ULL * 1000000000ULL)  /* a flow's lifetime: an Initial of
				 * the same client address and port later starts anew;
				 * a validated flow keeps its slot this long */
#define HS_QUIC_DROP_NS (60ULL * 1000000000ULL)  /* enforcement: a flow's datagrams
				 * are dropped this long after its verdict */
#define HS_QUIC_V1 0x00000001u  /* RFC 9000 */
#define HS_QUIC_V2 0x6b3343cfu  /* RFC 9369 */

/* ---- TCP SYN signature ---- */

/* p0f v3 quirks, in the order p0f prints them. */
enum hs_quirk {
	HS_Q_DF       = 1u << 0,  /* "df": IPv4 don't-fragment set */
	HS_Q_NZ_ID    = 1u << 1,  /* "id+": DF set but IP ID non-zero */
	HS_Q_ZERO_ID  = 1u << 2,  /* "id-": DF clear but IP ID zero */
	HS_Q_ECN      = 1u << 3,  /* "ecn": ECN in IP TOS or TCP flags */
	HS_Q_NZ_MBZ   = 1u << 4,  /* "0+": IPv4 must-be-zero bit set */
	HS_Q_FLOW     = 1u << 5,  /* "flow": IPv6 flow label non-zero */
	HS_Q_ZERO_SEQ = 1u << 6,  /* "seq-": sequence number zero */
	HS_Q_NZ_ACK   = 1u << 7,  /* "ack+": ACK number set without ACK flag */
	HS_Q_ZERO_ACK = 1u << 8,  /* "ack-": ACK flag with zero ACK number */
	HS_Q_NZ_URG   = 1u << 9,  /* "uptr+": urgent pointer without URG */
	HS_Q_URG      = 1u << 10, /* "urgf+": URG flag */
	HS_Q_PUSH     = 1u << 11, /* "pushf+": PSH flag */
	HS_Q_ZERO_TS1 = 1u << 12, /* "ts1-": own timestamp zero */
	HS_Q_NZ_TS2   = 1u << 13, /* "ts2+": peer timestamp non-zero on SYN */
	HS_Q_OPT_EOL  = 1u << 14, /* "opt+": non-zero bytes after EOL */
	HS_Q_EXWS     = 1u << 15, /* "exws": window scale above 14 */
	HS_Q_OPT_BAD  = 1u << 16, /* "bad": malformed option list */
	HS_Q_COUNT    = 17,
};

enum hs_sig_flag {
	HS_SIGF_PAYLOAD = 1u << 0, /* SYN carried payload (p0f pclass "+") */
	HS_SIGF_TS1     = 1u << 1, /* own timestamp non-zero (p0f's win/mss-12 test) */
};

/*
 * Everything a p0f v3 raw_sig is made of, and nothing per-connection:
 * the fingerprint id is a hash of exactly these 40 bytes (padding zeroed).
 */
struct hs_tcp_sig {
	__u8  ip_ver;                        /* 4 or 6 */
	__u8  ttl;                           /* observed TTL / hop limit */
	__u8  ip_opt_len;                    /* IPv4 option bytes; IPv6 extension bytes (max 255) */
	__u8  opt_cnt;                       /* entries used in opt_layout */
	__u8  opt_layout[HS_TCP_MAX_OPTS];   /* option kinds, wire order */
	__u8  opt_eol_pad;                   /* bytes after an EOL option */
	__u8  wscale;                        /* window scale shift */
	__u16 mss;                           /* MSS option value */
	__u16 win;                           /* TCP window */
	__u8  tcp_hlen;                      /* TCP header bytes incl. options */
	__u8  flags;                         /* enum hs_sig_flag */
	__u32 quirks;                        /* enum hs_quirk */
};

#define HS_TCP_SIG_WORDS (sizeof(struct hs_tcp_sig) / 8)

/* Per-connection values seen with a SYN: reported, never hashed. */
struct hs_tcp_obs {
	__u32 ts1;                           /* own timestamp */
	__u32 ts2;                           /* peer timestamp */
	__u32 flow_label;                    /* IPv6 only */
	__u16 ip_id;                         /* IPv4 only */
	__u8  tos;                           /* DSCP+ECN byte / traffic class */
	__u8  pad;
};

/* Source and destination of a packet, addresses in network byte order.
 * 8-byte aligned (its size and every layout holding it as they were): the
 * program copies and hashes its addresses a word at a time, not 2 bytes. */
struct hs_endpoints {
	__u8  saddr[16];                     /* IPv4 uses the first 4 bytes */
	__u8  daddr[16];
	__u16 sport;                         /* host order */
	__u16 dport;                         /* host order */
	__u8  family;                        /* 4 or 6 */
	__u8  pad[3];
} __attribute__((aligned(8)));

/*
 * Windows by generation: the fingerprint maps' keys are the 64-bit id with
 * its lowest bit replaced by the generation the program was in (cur_gen & 1,
 * flipped by `run` every window), so one map holds the current window and,
 * until userspace has read and deleted it, the finished one. Events carry
 * the key as fp_id.
 */
#define HS_GEN_KEY(id, gen) (((id) & ~1ULL) | ((gen) & 1))

/* Value of the per-CPU syn_memo map: a SYN signature's words and its ids
 * (syn_ids, bpf/count.h), 64 bytes (a cache line's size; per-CPU values
 * are only 8-byte aligned, so one may span two); seq is odd while a
 * program writes it. Never read by userspace but in tests. */
#define HS_SYN_MEMO 256
struct hs_syn_memo {
	__u64 w[HS_TCP_SIG_WORDS];
	__u64 id, stack;
	__u32 seq, pad;
};

/* A ClientHello's lists of 16-bit values, as the walk (bpf/tls.h) tells
 * them apart. */
enum hs_list_kind { HS_LIST_CIPHERS, HS_LIST_GROUPS, HS_LIST_SIGALGS, HS_LIST_VERSIONS };

/*
 * A ClientHello's list (its cipher suites or signature algorithms: the
 * lists an id is made of), remembered per CPU (the list_memo map, bpf/tls.h): the
 * list's bytes as read, a word at a time (care: the bits compared, all
 * of a lane within len whose value is not GREASE, the low nibbles, 0xa,
 * of a GREASE value's two bytes; key: the bytes under care; grease: a
 * GREASE value's first byte's high nibble, which must equal its second's:
 * GREASE again, whichever), and
 * what the walk made of it: the values kept, their count, and the kind's
 * hash. A hello whose list matches takes them from it, exact: the GREASE
 * values are the ones the walk leaves out, whatever they are. seq is odd
 * while a program writes the entry (as hs_syn_memo's). The program
 * writes it; userspace reads it in tests.
 */
#define HS_LIST_MEMO 64
#define HS_LIST_MEMO_WORDS 8            /* lists of up to 32 values */
struct hs_list_memo {
	__u32 seq;
	__u16 len;                           /* the list's bytes */
	__u8  kind;                          /* HS_LIST_CIPHERS or HS_LIST_SIGALGS */
	__u8  n;                             /* values kept: the hello's count of them */
	__u64 hash;                          /* suites: their multiset hash; signature
					      * algorithms: their ordered hash */
	__u64 key[HS_LIST_MEMO_WORDS];
	__u64 care[HS_LIST_MEMO_WORDS];
	__u64 grease[HS_LIST_MEMO_WORDS];
	__u64 kept[HS_LIST_MEMO_WORDS];      /* the hello's array of them, a word at a time */
};

/* The list_memo map's one per-CPU value: its entries in one place, found
 * by one lookup at a constant key. */
struct hs_list_memos {
	struct hs_list_memo e[HS_LIST_MEMO];
};

/* Value of the tcp_fps map, keyed by the fingerprint id (see HS_GEN_KEY). */
struct hs_tcp_fp {
	struct hs_tcp_sig sig;               /* to render the id without the ring buffer */
	__u64 syns;                          /* SYNs counted */
	__u64 first_ns;                      /* program clock (see hs_clock) */
	__u64 last_ns;
	__u8  hll_ips[HS_HLL_M];             /* distinct source addresses */
	__u8  hll_nets[HS_HLL_M];            /* distinct /24 (IPv4) or /48 (IPv6) */
};

/*
 * Admission of new TCP fingerprint ids, per CPU: a SYN whose id has no
 * entry in this window gets one if the id was admitted lately (tcp_known),
 * else only while this CPU's budget for the window lasts (tcp_new_cap).
 * A flood of SYNs with random options (a new id each) takes at most the
 * budget, never the map, and the stacks already known keep being counted.
 */
struct hs_admit {
	__u32 gen;              /* window generation the count is of */
	__u32 used;             /* unknown ids admitted in it */
};

/*
 * The same shape counts the unvalidated ClientHellos walked per CPU in a
 * window (the unval_sample map): a ClientHello whose connection showed no
 * handshake (an off-path sender's, most of the time) is walked only while
 * the budget lasts, so that the per-JA4 unvalidated figure stays (as a
 * sample); the others cost a counter. gen is the sample_epoch global,
 * which run and replay bump at every window.
 */

/* ---- ring buffer ---- */

enum hs_event_type {
	HS_EV_TCP_NEW = 1,                   /* first SYN of a new fingerprint id */
	HS_EV_TCP_SYN = 2,                   /* every fingerprinted SYN (replay only) */
	HS_EV_TLS_NEW = 3,                   /* first ClientHello of a new TLS id */
	HS_EV_TLS_HELLO = 4,                 /* every ClientHello (replay only) */
	HS_EV_TLS_UNFP = 5,                  /* a ClientHello not fingerprinted: the first of
					      * its population in a window (every one in
					      * replay); struct hs_unfp_event */
	HS_EV_QUIC_INITIAL = 6,              /* a client's Initial datagram, for userspace to
					      * decrypt; struct hs_quic_event */
	HS_EV_QUIC_VALID = 7,                /* a QUIC flow validated: its client's Handshake
					      * carried the server's connection ID; struct
					      * hs_quic_valid_event */
};

struct hs_event {
	__u32 type;                          /* enum hs_event_type */
	__u32 pad;
	__u64 ts_ns;                         /* program clock */
	__u64 fp_id;
	struct hs_endpoints ep;
	struct hs_tcp_sig sig;
	struct hs_tcp_obs obs;
};

/* ---- clock ---- */

/*
 * Live, the program clock is CLOCK_MONOTONIC at the current tick's start
 * (the coarse clock's resolution); userspace adds the realtime offset. In
 * replay, userspace sets the packet timestamp (Unix ns) before each
 * packet, so the clock is already wall time.
 */
enum hs_clock {
	HS_CLOCK_MONO = 0,
	HS_CLOCK_REPLAY = 1,
};

/* What the hs_clock program reads, for userspace to put the live clock on
 * the ticks (hs_clock_measure): the jiffies, then CLOCK_MONOTONIC. */
struct hs_clock_sample {
	__u64 jiffies;
	__u64 ns;
};

/* What a ClientHello's connection must have shown for the hello to count
 * (entry, conns, sketches); the others are walked and counted apart. */
enum hs_check {
	HS_CHECK_NONE = 1,      /* nothing: every ClientHello counts (spoofable) */
	HS_CHECK_SYN = 2,       /* its SYN was seen; a SYN-ACK seen must be acked */
	HS_CHECK_SYNACK = 3,    /* its SYN was seen and it acked our SYN-ACK */
};

/* ---- per-CPU health counters (index into the stats array) ---- */

/*
 * Every counter, in the order of the stats array: X(id, name in `status`,
 * Prometheus metric, its label, the label's value). The enum, the names
 * and the metrics are all made from this one list.
 */
#define HS_STAT_LIST(X) \
	/* every packet seen */ \
	X(PACKETS, "packets", "packets_total", NULL, NULL) \
	/* client SYNs fingerprinted */ \
	X(SYNS, "syns", "syns_total", NULL, NULL) \
	/* new TCP fingerprint ids inserted */ \
	X(FP_NEW, "tcp_fingerprints_new", "fingerprint_inserts_total", "kind", "tcp") \
	/* fingerprint map full: id not counted */ \
	X(MAP_FULL, "map_full", "map_full_total", "map", "tcp_fps") \
	/* ring buffer full: event lost */ \
	X(RB_DROP, "ringbuf_drops", "ringbuf_drops_total", NULL, NULL) \
	/* not IPv4/IPv6 */ \
	X(NON_IP, "non_ip", "packets_not_inspected_total", "reason", "non_ip") \
	/* IP but not TCP */ \
	X(NON_TCP, "non_tcp", "packets_not_inspected_total", "reason", "non_tcp") \
	/* IP fragment, not inspected */ \
	X(FRAGMENT, "fragments", "packets_not_inspected_total", "reason", "fragment") \
	/* SYN with FIN or RST: not fingerprinted */ \
	X(SYN_BAD_FLAGS, "syn_bad_flags", "packets_not_inspected_total", "reason", "syn_bad_flags") \
	/* truncated Ethernet header */ \
	X(ERR_ETH, "err_eth", "parse_errors_total", "layer", "eth") \
	/* truncated or too many VLAN tags */ \
	X(ERR_VLAN, "err_vlan", "parse_errors_total", "layer", "vlan") \
	/* bad or truncated IPv4 header/length */ \
	X(ERR_IP4, "err_ipv4", "parse_errors_total", "layer", "ipv4") \
	/* bad or truncated IPv6 header/length */ \
	X(ERR_IP6, "err_ipv6", "parse_errors_total", "layer", "ipv6") \
	/* IPv6 extension chain truncated or too long */ \
	X(ERR_IP6_EXT, "err_ipv6_ext", "parse_errors_total", "layer", "ipv6_ext") \
	/* bad or truncated TCP header */ \
	X(ERR_TCP, "err_tcp", "parse_errors_total", "layer", "tcp") \
	/* ClientHellos fingerprinted */ \
	X(HELLOS, "hellos", "tls_hellos_total", NULL, NULL) \
	/* ... of which spanned several TCP segments */ \
	X(HELLO_MULTISEG, "hellos_multi_segment", "tls_hellos_multi_segment_total", NULL, NULL) \
	/* client data on a TLS port before (or instead of) a ClientHello */ \
	X(TLS_NOT_HELLO, "tls_not_hello", "tls_walks_abandoned_total", "reason", "not_hello") \
	/* ClientHello whose lengths do not add up */ \
	X(TLS_MALFORMED, "tls_malformed", "tls_walks_abandoned_total", "reason", "malformed") \
	/* ClientHello over the byte or segment limit */ \
	X(TLS_TOO_BIG, "tls_too_big", "tls_walks_abandoned_total", "reason", "too_big") \
	/* a segment before the stream collected (no SYN seen) */ \
	X(TLS_OUT_OF_ORDER, "tls_out_of_order", "tls_walks_abandoned_total", "reason", "out_of_order") \
	/* a record of another kind inside a ClientHello's records */ \
	X(TLS_RECORD_SPLIT, "tls_record_split", "tls_walks_abandoned_total", "reason", "record_split") \
	/* TLS fingerprint map full: id not counted */ \
	X(TLS_MAP_FULL, "tls_map_full", "map_full_total", "map", "tls_fps") \
	/* ClientHello to a port not configured as TLS */ \
	X(TLS_OTHER_PORT, "tls_other_port", "tls_walks_abandoned_total", "reason", "other_port") \
	/* new TLS fingerprint ids inserted */ \
	X(TLS_FP_NEW, "tls_fingerprints_new", "fingerprint_inserts_total", "kind", "tls") \
	/* ClientHellos whose id had a live enforce entry */ \
	X(ENFORCE_MATCHED, "enforce_matched", "enforce_matched_total", NULL, NULL) \
	/* ... of which dropped (drop mode) */ \
	X(ENFORCE_DROPPED, "enforce_dropped", "enforce_dropped_total", NULL, NULL) \
	/* SYN to a TLS port not tracked: its slot held by * another handshake in progress */ \
	X(FLOW_BUSY, "flow_busy", "flows_not_tracked_total", NULL, NULL) \
	/* new TCP fingerprint id not admitted: neither known * nor within this window's budget (a flood) */ \
	X(TCP_FP_SHED, "tcp_fp_shed", "fingerprints_shed_total", "kind", "tcp") \
	/* ClientHello of a connection whose SYN was not seen */ \
	X(HELLO_NO_SYN, "hellos_no_syn", "tls_hellos_unvalidated_total", "reason", "no_syn") \
	/* ... whose SYN-ACK was not seen leaving (egress check on) */ \
	X(HELLO_NO_SYNACK, "hellos_no_synack", "tls_hellos_unvalidated_total", "reason", "no_synack") \
	/* ... whose ACK does not acknowledge our SYN-ACK */ \
	X(HELLO_BAD_ACK, "hellos_bad_ack", "tls_hellos_unvalidated_total", "reason", "bad_ack") \
	/* SYN-ACKs of tracked connections seen leaving */ \
	X(SYNACKS, "synacks", "synacks_total", NULL, NULL) \
	/* pairs map full: a ClientHello's (TLS id, TCP stack) pair not counted */ \
	X(PAIR_MAP_FULL, "pair_map_full", "map_full_total", "map", "pairs") \
	/* enforce_matched by a scoped entry: a source new to the JA4 */ \
	X(ENFORCE_MATCHED_NOVEL, "enforce_matched_novel", "enforce_scoped_matched_total", "scope", "novel") \
	/* ... by a scoped entry: the JA4 over a stack new to it (a new pair) */ \
	X(ENFORCE_MATCHED_PAIR, "enforce_matched_pair", "enforce_scoped_matched_total", "scope", "pair") \
	/* enforce_dropped by a scoped entry: a source new to the JA4 */ \
	X(ENFORCE_DROPPED_NOVEL, "enforce_dropped_novel", "enforce_scoped_dropped_total", "scope", "novel") \
	/* ... by a scoped entry: a new pair */ \
	X(ENFORCE_DROPPED_PAIR, "enforce_dropped_pair", "enforce_scoped_dropped_total", "scope", "pair") \
	/* a seen entry within the history pushed out of its full set: novel again when it returns */ \
	X(SEEN_FULL, "seen_map_full", "map_full_total", "map", "seen") \
	/* getsockopt(SOL_HYDRASCOPE) answered (the sockopt programs) */ \
	X(SOCKOPT_ANSWERED, "sockopt_answered", "sockopt_requests_total", "result", "answered") \
	/* ... not: no record of the connection, no name yet, a short buffer */ \
	X(SOCKOPT_FAILED, "sockopt_failed", "sockopt_requests_total", "result", "failed") \
	/* account tags put (setsockopt, the lookup socket) */ \
	X(ACCOUNT_TAGS, "account_tags", "account_tags_total", NULL, NULL) \
	/* accounts map full: a fingerprint's tags of this window not counted */ \
	X(ACCT_MAP_FULL, "acct_map_full", "map_full_total", "map", "accounts") \
	/* ClientHellos fingerprinted that spanned several TLS records */ \
	X(HELLO_MULTIREC, "hellos_multi_record", "tls_hellos_multi_record_total", NULL, NULL) \
	/* ... whose segments came out of order, or overlapping */ \
	X(HELLO_REORDERED, "hellos_reordered", "tls_hellos_reordered_total", NULL, NULL) \
	/* ... that started inside a segment, after other bytes */ \
	X(HELLO_MID_SEGMENT, "hellos_mid_segment", "tls_hellos_mid_segment_total", NULL, NULL) \
	/* ... carried by the SYN (TCP Fast Open) */ \
	X(HELLO_SYN_DATA, "hellos_syn_data", "tls_hellos_syn_data_total", NULL, NULL) \
	/* ClientHello whose segments left more holes than kept */ \
	X(TLS_REASM_HOLES, "tls_reasm_holes", "tls_walks_abandoned_total", "reason", "reasm_holes") \
	/* ClientHello not complete within HS_REASM_TIMEOUT_NS */ \
	X(TLS_REASM_TIMEOUT, "tls_reasm_timeout", "tls_walks_abandoned_total", "reason", "reasm_timeout") \
	/* client TLS records other than a handshake (application data, change cipher spec, alert), or more bytes than --hello-bytes, and no ClientHello before them */ \
	X(TLS_NO_HELLO, "tls_no_hello", "tls_walks_abandoned_total", "reason", "no_hello") \
	/* validated connections whose ClientHello could not be fingerprinted (any tls_walks_abandoned reason but other_port): their populations */ \
	X(HELLO_UNFP, "hellos_unfingerprinted", "tls_hellos_unfingerprinted_total", NULL, NULL) \
	/* ClientHellos fingerprinted with a list longer than kept (HS_TLSF_OVERFLOW): their JA4 is inexact */ \
	X(HELLO_INEXACT, "hellos_inexact", "tls_hellos_inexact_total", NULL, NULL) \
	/* unvalidated ClientHellos walked: the window's per-CPU sample (the others are counted by reason, never walked) */ \
	X(HELLO_UNVAL_SAMPLED, "hellos_unvalidated_sampled", "tls_hellos_unvalidated_sampled_total", NULL, NULL) \
	/* truncated UDP header, or its length past the IP packet's */ \
	X(ERR_UDP, "err_udp", "parse_errors_total", "layer", "udp") \
	/* client Initials handed to userspace (ring buffer) */ \
	X(QUIC_INITIALS, "quic_initials", "quic_initials_total", NULL, NULL) \
	/* client Initials not handed: their flow had HS_QUIC_INITIALS_MAX */ \
	X(QUIC_SHED_FLOW, "quic_initials_shed_flow", "quic_initials_shed_total", "reason", "flow_max") \
	/* ... the CPU's budget of the window was spent (a flood) */ \
	X(QUIC_SHED_BUDGET, "quic_initials_shed_budget", "quic_initials_shed_total", "reason", "budget") \
	/* ... every slot of their flow's set was held by other flows */ \
	X(QUIC_SHED_BUSY, "quic_initials_shed_busy", "quic_initials_shed_total", "reason", "flow_busy") \
	/* datagrams to a QUIC port with a short header (1-RTT) */ \
	X(QUIC_SHORT_HEADER, "quic_short_header", "quic_datagrams_ignored_total", "reason", "short_header") \
	/* ... a long header of a version other than 1 and 2 */ \
	X(QUIC_BAD_VERSION, "quic_bad_version", "quic_datagrams_ignored_total", "reason", "bad_version") \
	/* ... a Destination Connection ID over 20 bytes */ \
	X(QUIC_BAD_DCID_LEN, "quic_bad_dcid_len", "quic_datagrams_ignored_total", "reason", "bad_dcid_len") \
	/* ... an Initial in a datagram under 1,200 bytes */ \
	X(QUIC_SMALL, "quic_small_datagram", "quic_datagrams_ignored_total", "reason", "small_datagram") \
	/* ... a long header cut short, its fixed bit clear, a length past the datagram */ \
	X(QUIC_MALFORMED, "quic_malformed", "quic_datagrams_ignored_total", "reason", "malformed") \
	/* ... a long header but no Initial (0-RTT, a Handshake that validates nothing) */ \
	X(QUIC_NOT_INITIAL, "quic_not_initial", "quic_datagrams_ignored_total", "reason", "not_initial") \
	/* client Handshakes whose DCID is not the connection ID the server chose (spoofed) */ \
	X(QUIC_HS_MISMATCH, "quic_handshake_mismatch", "quic_handshakes_mismatched_total", NULL, NULL) \
	/* QUIC flows validated: the client's Handshake carried the server's connection ID */ \
	X(QUIC_VALIDATED, "quic_flows_validated", "quic_flows_validated_total", NULL, NULL) \
	/* server connection IDs recorded (egress; the capture's in replay) */ \
	X(QUIC_SERVER_CIDS, "quic_server_cids", "quic_server_cids_total", NULL, NULL) \
	/* ... not recorded: shorter than HS_QUIC_SCID_MIN bytes */ \
	X(QUIC_SCID_SHORT, "quic_server_cid_short", "quic_server_cids_short_total", NULL, NULL) \
	/* datagrams of QUIC flows dropped by enforcement (drop mode) */ \
	X(QUIC_DROPPED, "quic_datagrams_dropped", "quic_datagrams_dropped_total", NULL, NULL) \
	/* QUIC ClientHellos walked (userspace decrypted them; also in hellos) */ \
	X(HELLO_QUIC, "hellos_quic", "tls_hellos_quic_total", NULL, NULL) \
	/* QUIC ClientHellos of flows not validated: not counted */ \
	X(HELLO_QUIC_UNVAL, "hellos_quic_unvalidated", "tls_hellos_unvalidated_total", "reason", "quic_unvalidated") \
	/* datagrams that look like a client's QUIC Initial (version 1 or 2, 1,200 bytes or more) to and from UDP ports not QUIC ones (--quic-ports): not fingerprinted; also in non_tcp */ \
	X(QUIC_OTHER_PORT, "quic_initials_other_port", "quic_initials_other_port_total", NULL, NULL) \
	/* packets of tunnels (IP in IP, IPv6 in IP, GRE; UDP to VXLAN's or Geneve's port), whose inner packets are not read (counted in non_tcp before layout 17) */ \
	X(TUNNELED, "tunneled", "packets_not_inspected_total", "reason", "tunnel")

#define HS_STAT_ENUM(id, name, metric, label, value) HS_ST_##id,
enum hs_stat {
	HS_STAT_LIST(HS_STAT_ENUM)
	HS_ST__COUNT,
};

/* The one element of the per-CPU stats array. */
struct hs_stats {
	__u64 c[HS_ST__COUNT];
};


/* ---- TLS ClientHello ---- */

#define HS_TLS_MAX_CIPHERS 128
#define HS_TLS_MAX_EXTS    128
#define HS_TLS_MAX_SIGALGS 64
#define HS_TLS_MAX_GROUPS  32
#define HS_TLS_MAX_ECPF    8
#define HS_TLS_ALPN_MAX    32
#define HS_TLS_SNI_MAX     64

enum hs_tls_flag {
	HS_TLSF_SNI      = 1u << 0,  /* server_name extension present */
	HS_TLSF_ALPN     = 1u << 1,  /* ALPN extension with a first value */
	HS_TLSF_OVERFLOW = 1u << 2,  /* a list was longer than we keep: JA4 inexact */
	/* not a ClientHello's lists: the tls_fps entry of the connections
	 * whose ClientHello could not be fingerprinted, for the reason in
	 * unfp_reason (a pseudo-fingerprint, "unfingerprinted:REASON") */
	HS_TLSF_UNFP     = 1u << 3,
	/* from a QUIC Initial (JA4's 'q'): part of the fingerprint id, so the
	 * same lists over TCP and over QUIC are two fingerprints */
	HS_TLSF_QUIC     = 1u << 4,
};

/*
 * The raw lists of a ClientHello, GREASE values left out, in wire order:
 * everything JA4, JA4_r and JA3 are computed from. Values in host order.
 */
struct hs_tls_hello {
	__u16 legacy_version;                /* ClientHello.legacy_version */
	__u16 max_version;                   /* highest supported_versions entry, 0: none */
	__u8  n_ciphers;
	__u8  n_exts;
	__u8  n_sigalgs;
	__u8  n_groups;
	__u8  n_ecpf;
	__u8  flags;                         /* enum hs_tls_flag */
	__u8  alpn_len;                      /* first ALPN value: length on the wire */
	__u8  sni_len;                       /* host name bytes kept (<= HS_TLS_SNI_MAX) */
	__u16 ciphers[HS_TLS_MAX_CIPHERS];
	__u16 exts[HS_TLS_MAX_EXTS];
	__u16 sigalgs[HS_TLS_MAX_SIGALGS];
	__u16 groups[HS_TLS_MAX_GROUPS];
	__u8  ecpf[HS_TLS_MAX_ECPF];
	__u8  alpn[HS_TLS_ALPN_MAX];         /* first ALPN value (first bytes) */
	__u8  alpn_last;                     /* its last byte, however long it is */
	__u8  unfp_reason;                   /* HS_TLSF_UNFP: the HS_ST_TLS_* index of why */
	__u8  pad[6];
	char  sni[HS_TLS_SNI_MAX];           /* host name, not NUL-terminated */
};


enum hs_flow_state {
	HS_FLOW_SYN = 1,        /* SYN seen, no client payload yet */
	HS_FLOW_DATA = 2,       /* other data first (e.g. a proxy handshake): a
				 * ClientHello may still follow */
	HS_FLOW_REASM = 3,      /* ClientHello being collected (see reasm map) */
	HS_FLOW_DONE = 4,       /* first ClientHello handled, or given up on */
};

/*
 * A slot of the flows array, indexed by a hash of the connection: no
 * allocation per SYN, a fixed memory, and the data path's whole check is
 * one read of the slot's state (0 or HS_FLOW_DONE: nothing to do). A SYN
 * takes its slot unless a handshake in progress (SYN, DATA or REASM, less
 * than HS_FLOW_HOLD_NS old) holds it: a flood of new sources cannot evict
 * the connections already under way.
 */
struct hs_flow {
	struct hs_endpoints ep; /* whose slot it is */
	__u64 tcp_id;           /* TCP fingerprint id of the SYN */
	__u64 stack_id;         /* the same with the TTL read as its initial value */
	__u64 syn_ns;           /* program clock at the SYN */
	__u32 isn;              /* client's initial sequence number (SYN's) */
	__u32 srv_isn;          /* server's (its SYN-ACK's), with HS_FLOWF_SYNACK */
	__u8  state;            /* enum hs_flow_state; 0: free */
	__u8  flags;            /* enum hs_flow_flag */
	__u16 rslot;            /* HS_FLOW_REASM: its collection's reasm slot */
	__u8  pad[4];
};

/*
 * A byte a flow slot (flow_tags, in the XDP program's .bss), so that a
 * ClientHello whose connection holds no handshake in its slot is known as
 * such without reading the slot (a line of a 5 MB array, seldom in cache
 * under a spoofed flood): 0, not known (read the slot); HS_FLOW_TAG_NONE,
 * the slot holds no connection (state 0); HS_FLOW_TAG_OWNER | the
 * connection's hs_flow_tag_bits, when it holds that connection's
 * endpoints (any other state: a handshake in progress or done). Written
 * by the XDP program with every change of a slot's state or endpoints;
 * `run`, once attached, writes those still 0 from the slots as they are
 * (hs_flow_tags_fill).
 */
#define HS_FLOW_TAG_OWNER 0x80
#define HS_FLOW_TAG_NONE 0x01
struct hs_flow_tags {
	__u8 t[HS_FLOWS_MAX];
};

enum hs_flow_flag {
	HS_FLOWF_SYN = 1,       /* the connection's SYN was seen */
	HS_FLOWF_SYNACK = 2,    /* the server's SYN-ACK was seen (srv_isn) */
};

/*
 * A ClientHello that enforcement dropped (run --enforce drop), in the
 * dropped array at its connection's flow slot: the client sends its bytes
 * again, and each segment of them is judged again on the hello's ids for
 * as long as an entry drops them, whatever became of the flow slot (after
 * HS_FLOW_HOLD_NS another connection may take it) and however the
 * retransmission is cut (of a hello in several segments, the server has
 * acknowledged all but the last); and counted again, as the hello was (its
 * source goes on in the window's populations while it tries). The array's
 * sets hold HS_DROPPED_WAYS hellos each, of the connections of
 * HS_DROPPED_WAYS neighbouring flow slots: a hello dropped where a set is
 * full takes the way dropped (or dropped again) longest ago.
 */
struct hs_dropped {
	struct hs_endpoints ep; /* whose hello it was */
	__u64 tls_id;           /* the hello's TLS fingerprint id */
	__u64 tcp_id;           /* its SYN's ids (0: not seen), as the hello was counted */
	__u64 stack_id;         /* with them; pair entries are matched on it */
	__u32 seq;              /* sequence numbers [seq, seq + len) held the hello */
	__u32 len;              /* 0: none */
	__u8  unvalidated;      /* the hello was not counted (hs_reasm.unvalidated) */
	__u8  pad[3];
	__u32 stamp;            /* when last dropped: the clock's ns >> 20 (~1 ms) */
};

#define HS_DROPPED_WAYS 4
struct hs_dropped_set {
	struct hs_dropped way[HS_DROPPED_WAYS];
};

/* A ClientHello that is not the connection's first payload (a proxy
 * exchange before it) acknowledges the SYN-ACK and what the server sent
 * since: at most this many bytes past it. */
#define HS_ACK_SLACK (1u << 20)

#define HS_HELLO_MASK (HS_HELLO_LIMIT - 1)
#define HS_HELLO_CHUNK 2048     /* bytes copied per load: bounds for the verifier */

/* What a collection is doing (struct hs_reasm's mode). */
enum hs_reasm_mode {
	HS_RM_HDR = 0,          /* at a record header */
	HS_RM_BODY = 1,         /* in a record's body (rec_left bytes to go) */
	HS_RM_SEARCH = 2,       /* looking for a ClientHello's first record */
};

/* What a collection may do and has seen (struct hs_reasm's flags). */
enum hs_reasm_flag {
	HS_RF_SEARCH_OK  = 1u << 0,  /* may search (its SYN was seen) */
	HS_RF_SEARCHED   = 1u << 1,  /* has searched, or starts searching */
	HS_RF_MID        = 1u << 2,  /* the hello started after other bytes */
	HS_RF_RECORDS    = 1u << 3,  /* more than one record */
	HS_RF_REORDERED  = 1u << 4,  /* a segment out of order or overlapping */
	HS_RF_SYN_DATA   = 1u << 5,  /* bytes on the SYN (TCP Fast Open) */
};

/*
 * A ClientHello being collected, then walked. Stream bytes are kept at
 * their offset from base_seq (the connection's first payload byte when
 * its SYN was seen), whatever order their segments come in; the bytes
 * received in order are parsed as they come: each record header after
 * the first is stripped, the bodies moved down over it, so buf holds the
 * first record header and then the handshake message, whole, as one
 * record would (the walk's view). Positions are stream offsets, below
 * HS_HELLO_LIMIT.
 */
struct hs_reasm {
	__u64 tcp_id;           /* from the flow, 0 if its SYN was not seen */
	__u64 stack_id;
	__u64 start_ns;         /* program clock at its first segment */
	__u32 base_seq;         /* sequence number of stream offset 0 */
	__u32 have;             /* stream bytes [0, have) all received */
	__u32 rd;               /* stream bytes parsed */
	__u32 wr;               /* bytes of buf written: 5 + message bytes */
	__u32 need;             /* 9 + handshake length; 0 until its header is in */
	__u32 rec_left;         /* body bytes of the current record not parsed */
	__u32 lo[HS_REASM_RANGES];  /* bytes received past have: [lo, hi), hi 0: */
	__u32 hi[HS_REASM_RANGES];  /* unused; disjoint and not adjacent */
	__u16 segments;         /* segments that brought new bytes */
	__u8  unvalidated;      /* 0, or the HS_ST_HELLO_* reason not to count it */
	__u8  mode;             /* enum hs_reasm_mode */
	__u8  flags;            /* enum hs_reasm_flag */
	__u8  ranges;           /* out-of-order ranges in use */
	__u8  pad[2];
	__u8  buf[HS_HELLO_LIMIT + 2 * HS_HELLO_CHUNK];  /* slack for masked writes */
};

/* A slot of the reasm map: a collection held between segments; its flow
 * keeps the slot's number (hs_flow.rslot). A slot given back is taken
 * again; with none, one never used; with the map full, one whose
 * collection timed out, else the next in turn. */
struct hs_reasm_slot {
	__u64 busy;             /* 1 while held, 0 when given back */
	struct hs_endpoints ep; /* whose collection it is */
	struct hs_reasm r;
};

/* Source addresses kept per TLS fingerprint: the alerts' sample_ips. */
#define HS_TLS_SAMPLES 4

/* A source address kept (8-byte aligned, as hs_endpoints: written a word
 * at a time; its size and the entries' layouts as they were). */
struct hs_addr_sample {
	__u8  addr[16];                      /* network order; IPv4 in the first 4 */
	__u8  family;                        /* 4 or 6; 0: slot unused */
	__u8  pad[7];
} __attribute__((aligned(8)));

/* Value of the tls_fps map, keyed by the TLS fingerprint id (see HS_GEN_KEY). */
struct hs_tls_fp {
	struct hs_tls_hello hello;           /* first seen, to render JA4/JA3 */
	__u64 conns;                         /* ClientHellos counted: handshake validated */
	__u64 conns_unvalidated;             /* ClientHellos of this id not counted: their
					      * SYN not seen, or the SYN-ACK check failed */
	__u64 first_ns;
	__u64 last_ns;
	/* a ClientHello's source goes to slot (conns before it) % HS_TLS_SAMPLES:
	 * the last few sources, without the ring buffer */
	struct hs_addr_sample samples[HS_TLS_SAMPLES];
	/* Sources new to this fingerprint (not seen with it within the
	 * history: the seen map), counted once each, exactly: */
	__u64 novel_ips;                     /* sources new to the fingerprint */
	__u64 novel_site;                    /* ... of which new to the site (to every
					      * fingerprint) */
	__u64 novel_nets;                    /* networks (/24, /48) new to the fingerprint */
	/* the last few of novel_ips, as samples[] */
	struct hs_addr_sample novel_samples[HS_TLS_SAMPLES];
	__u8  hll_ips[HS_HLL_M];
	__u8  hll_nets[HS_HLL_M];
	__u8  hll_tcp[HS_HLL_M];             /* distinct TCP stacks: SYN signatures with
					      * the TTL read as its initial value */
};

/*
 * Value of the pairs map: the ClientHellos of one TLS fingerprint over one
 * TCP stack (the SYN signature of their connections, TTL read as its
 * initial value), counted where the fingerprint is. Keyed by
 * HS_GEN_KEY(hs_pair_id(TLS id, stack id), gen) (hs_hash.h): the ids the
 * pair is of are here, and name it through tls_fps and tcp_fps. A
 * ClientHello whose SYN was not seen has no stack: it is not paired.
 */
struct hs_pair {
	__u64 tls_id;                        /* tls_fps key of its first ClientHello */
	__u64 tcp_id;                        /* tcp_fps key of that connection's SYN */
	__u64 stack_id;                      /* the stack id the key is made of */
	__u64 conns;                         /* ClientHellos counted */
	__u64 first_ns;
	__u64 last_ns;
	__u8  hll_ips[HS_HLL_M];             /* the same sketches as hs_tls_fp's */
	__u8  hll_nets[HS_HLL_M];
};

struct hs_tls_event {
	__u32 type;                          /* HS_EV_TLS_NEW or HS_EV_TLS_HELLO */
	__u32 segments;                      /* TCP segments the ClientHello spanned */
	__u64 ts_ns;
	__u64 fp_id;
	__u64 tcp_id;                        /* 0: the connection's SYN was not seen */
	struct hs_endpoints ep;
	struct hs_tls_hello hello;
};

/* A validated connection whose ClientHello could not be fingerprinted,
 * counted in the tls_fps entry fp_id (HS_TLSF_UNFP). */
struct hs_unfp_event {
	__u32 type;                          /* HS_EV_TLS_UNFP */
	__u32 reason;                        /* the HS_ST_TLS_* index of why */
	__u64 ts_ns;
	__u64 fp_id;
	__u64 tcp_id;                        /* its SYN's TCP fingerprint id */
	struct hs_endpoints ep;
};

/* ---- QUIC ---- */

/* What a QUIC flow slot has seen (struct hs_quic_flow's flags). */
enum hs_quic_flow_flag {
	HS_QF_SCID  = 1u << 0,  /* the server's connection ID recorded (scid) */
	HS_QF_VALID = 1u << 1,  /* a client Handshake carried it: validated */
	HS_QF_DROP  = 1u << 2,  /* enforcement (drop mode): its datagrams dropped until
				 * HS_QUIC_DROP_NS after drop_ns */
};

/*
 * A slot of the quic_flows array, whose slots are sets of HS_QUIC_WAYS
 * (quic_ways at load), the set indexed by a hash of the client's address
 * and port and the server's port (hs_quic_set): no allocation per
 * Initial. A flow takes a slot of its set with its first Initial handed to
 * userspace: of the slots no other flow holds (younger than
 * HS_FLOW_HOLD_NS, or validated and younger than HS_QUIC_FLOW_NS, or
 * dropped), the one taken longest ago; when every one is held, none.
 */
struct hs_quic_flow {
	struct hs_endpoints ep;              /* the client's first Initial's; a packet is
					      * the flow's when saddr, sport, dport and
					      * family match (the server address is not
					      * compared) */
	__u64 first_ns;                      /* program clock at its first Initial; 0: free */
	__u64 drop_ns;                       /* with HS_QF_DROP: the verdict's time */
	__u8  scid[24];                      /* the server's connection ID (its long
					      * headers' SCID), zero-padded */
	__u8  scid_len;
	__u8  initials;                      /* Initials handed to userspace */
	__u8  flags;                         /* enum hs_quic_flow_flag */
	__u8  pad[5];
};

/* A client's Initial datagram, for userspace to decrypt: its first
 * HS_QUIC_DGRAM_MAX bytes (the UDP payload, coalesced packets and padding
 * included). */
struct hs_quic_event {
	__u32 type;                          /* HS_EV_QUIC_INITIAL */
	__u32 len;                           /* the datagram's bytes (UDP payload) */
	__u64 ts_ns;                         /* program clock */
	struct hs_endpoints ep;              /* client -> server */
	__u32 copied;                        /* bytes of data: min(len, HS_QUIC_DGRAM_MAX) */
	__u8  initial;                       /* which of its flow's Initials handed (1..) */
	__u8  flow_flags;                    /* its flow's (enum hs_quic_flow_flag) */
	__u8  pad[2];
	__u8  data[HS_QUIC_DGRAM_MAX];
};

/* A QUIC flow validated: the ClientHello userspace takes from its Initials
 * counts (hs_quic_req.validated). */
struct hs_quic_valid_event {
	__u32 type;                          /* HS_EV_QUIC_VALID */
	__u32 initials;                      /* Initials of the flow handed to userspace */
	__u64 ts_ns;
	struct hs_endpoints ep;              /* as in the flow's Initial events */
};

/*
 * The hs_quic_hello program's context (BPF_PROG_RUN, ctx_in), in and out:
 * userspace has written a QUIC ClientHello as one TLS record (16 03 01,
 * the 2-byte length, the handshake message) at the start of buf of the
 * quic_hello map's one struct hs_reasm; the program walks and counts it as
 * a TCP ClientHello is (count_hello), with HS_TLSF_QUIC and no TCP stack.
 */
enum hs_quic_result_flag {
	HS_QR_VALIDATED = 1u << 0,           /* counted as validated (in the entry) */
	HS_QR_DROP = 1u << 1,                /* enforcement dropped it: the flow's slot
					      * marked, its datagrams dropped */
	HS_QR_NO_FLOW = 1u << 2,             /* the flow's slot holds another (or none) */
};
struct hs_quic_req {
	struct hs_endpoints ep;              /* in: the flow's (its Initial events') */
	__u64 ts_ns;                         /* in, replay: the capture time (0: the
					      * program's clock as it is); live: ignored */
	__u32 len;                           /* in: the record's bytes in buf, with its
					      * 5-byte header (<= HS_HELLO_LIMIT) */
	__u16 packets;                       /* in: the Initials it came in (events'
					      * segments; 0: 1) */
	__u8  validated;                     /* in: 1 if the flow's HS_EV_QUIC_VALID came
					      * (the slot is asked too) */
	__u8  pad;
	__s32 result;                        /* out: 0 walked, -EINVAL a bad request, else
					      * the HS_ST_TLS_* index of why not walked */
	__u32 verdict;                       /* out: XDP_PASS or XDP_DROP (enforcement) */
	__u64 tls_id;                        /* out: its tls_fps key (0: not walked) */
	__u32 flags;                         /* out: enum hs_quic_result_flag */
	__u32 pad2;
};

/*
 * What userspace made of the QUIC Initials the program handed it: the
 * quic_user map's one value, written by the process that reads the events
 * (run), read by status and the metrics. c[i] for i below the tracker's
 * reasons is the count of its reason i (user/quic.h: packets opened,
 * failed, collections given up); the last few are HS_QU_*.
 */
#define HS_QUIC_USER_MAX 32
enum hs_quic_user_count {
	HS_QU_DATAGRAMS = HS_QUIC_USER_MAX - 4,  /* Initial datagrams decrypted or tried */
	HS_QU_HELLOS,                            /* ClientHellos put together */
	HS_QU_PENDING_FULL,                      /* hellos counted unvalidated before
						  * their time: pushed out of the
						  * waiting table for a newer one, or
						  * past its bytes */
	HS_QU_UNANSWERED,                        /* hellos whose flow was not validated
						  * in time: counted unvalidated */
};
struct hs_quic_user {
	__u64 c[HS_QUIC_USER_MAX];
};

/* ---- sources seen (novelty) ---- */

#ifndef HS_SEEN_MAX
#define HS_SEEN_MAX (1u << 20)  /* (fingerprint, source) entries, HS_SEEN_WAYS a set */
#endif
#define HS_SEEN_WAYS 8
#define HS_SEEN_SETS (HS_SEEN_MAX / HS_SEEN_WAYS)

/*
 * Key of the seen map: a source address or network with a TLS fingerprint,
 * or with the site. fp is the fingerprint's id with its generation bit
 * cleared (HS_GEN_KEY(id, 0)) for an address, the same with the bit set
 * for a network (the address masked to /24 or /48), 0 for an address seen
 * with the site (any fingerprint). addr as struct hs_endpoints' saddr.
 */
struct hs_seen_key {
	__u64 fp;
	__u8  addr[16];
};
#define HS_SEEN_SITE 0ULL

/* Value of the seen map: program clock. An entry whose last_ns is older
 * than the history (the history_ns setting) is not seen any more. */
struct hs_seen {
	__u64 first_ns;                      /* first seen within the history */
	__u64 last_ns;                       /* last refreshed (every history/16) */
};

/* Value of the seen map (an array: set hs_seen_set() of the key, headers/
 * hs_hash.h): an entry a way, last_ns 0 an empty one. A new key takes the
 * way of the set least recently refreshed (bpf/seen.h seen_way). */
struct hs_seen_way {
	struct hs_seen_key k;
	struct hs_seen v;
};
struct hs_seen_set {
	struct hs_seen_way way[HS_SEEN_WAYS];
};

/* ---- connections (sockopt, lookup) ---- */

#ifndef HS_CONNS_MAX
#define HS_CONNS_MAX (1u << 17) /* connection records, HS_CONN_WAYS a set */
#endif
#define HS_CONN_WAYS 4
#define HS_CONN_SETS (HS_CONNS_MAX / HS_CONN_WAYS)
#ifndef HS_NAMES_MAX
#define HS_NAMES_MAX (1u << 14) /* fingerprint names for the sockopt programs */
#endif

/* Key of the conns map: a connection's client side (as struct
 * hs_endpoints' saddr, sport, family), so that it is found from a socket
 * whose server side a DNAT changed. */
struct hs_conn_key {
	__u8  saddr[16];
	__u16 sport;                         /* host order */
	__u8  family;                        /* 4 or 6 */
	__u8  pad[5];
};

/* A connection whose ClientHello was counted (its handshake validated: a
 * spoofed flood never gets one), put by the XDP program, its account tag
 * by the setsockopt program or the lookup socket. Ids with the generation
 * bit cleared, 0: not known. */
struct hs_conn {
	__u8  daddr[16];                     /* the server side as the NIC saw it */
	__u16 dport;
	__u8  pad[6];
	__u64 tcp_id;
	__u64 stack_id;
	__u64 tls_id;
	__u64 account;                       /* with HS_CF_ACCOUNT */
	__u64 hello_ns;                      /* program clock at the ClientHello */
	__u32 flags;                         /* HS_CF_* (hydrascope/sockopt.h) */
	__u32 pad2;
};

/* Value of the conns map (an array: set hs_conn_set() of the client side,
 * headers/hs_hash.h): a record a way, the set's oldest (by hello_ns)
 * replaced by a new one. A way is written only by whoever moved its seq
 * from even to odd (bpf/conn.h conn_lock), and read as a seqlock: a copy
 * taken while seq was odd, or changed, is not one. */
struct hs_conn_way {
	__u64 seq;
	struct hs_conn_key key;              /* family 0: an empty way */
	struct hs_conn c;
};
struct hs_conn_set {
	struct hs_conn_way way[HS_CONN_WAYS];
};

/* Key of the names map: a fingerprint id (generation bit cleared) and
 * its kind; userspace puts a name as it first renders the fingerprint. */
enum hs_name_kind {
	HS_NAME_TLS = 1,                     /* the JA4 */
	HS_NAME_TCP = 2,                     /* the TCP signature, p0f v3 */
};
struct hs_name_key {
	__u64 id;
	__u32 kind;
	__u32 pad;
};
struct hs_name {
	__u32 len;                           /* bytes of s before its NUL */
	char  s[HS_OPT_STR_MAX];             /* NUL-terminated */
};


/* ---- accounts (account tags per fingerprint) ---- */

#ifndef HS_ACCT_MAX
#define HS_ACCT_MAX 8192        /* (fingerprint, window) entries with tags */
#endif

/* What an accounts entry counts for: the key of the tls_fps, tcp_fps or
 * pairs entry it goes with (the same generation bit), and which. */
enum hs_acct_kind {
	HS_ACCT_TLS = 1,
	HS_ACCT_TCP = 2,
	HS_ACCT_PAIR = 3,
};
struct hs_acct_key {
	__u64 key;
	__u32 kind;                          /* enum hs_acct_kind */
	__u32 pad;
};
/* Value of the accounts map: the window's account tags of a fingerprint. */
struct hs_acct {
	__u64 tags;                          /* connections (or ids) tagged */
	__u8  hll_accounts[HS_HLL_M];        /* distinct account hashes */
	__u8  hll_ips[HS_HLL_M];             /* distinct sources of tagged connections */
};

/* A tag put from userspace (the lookup socket, `lookup --account`): the
 * hs_tag program's context, in and out. */
enum hs_tag_how {
	HS_TAG_CONN = 1,                     /* the connection of key */
	HS_TAG_IDS = 2,                      /* the fingerprint ids given */
};
struct hs_tag_req {
	struct hs_conn_key key;              /* HS_TAG_CONN */
	__u64 account;
	__u64 tls_id, tcp_id, stack_id;      /* HS_TAG_IDS in; HS_TAG_CONN out */
	__u32 how;                           /* enum hs_tag_how */
	__s32 result;                        /* out: 0 or -errno */
};

/* ---- enforcement (run --enforce) ---- */

#ifndef HS_ENFORCE_MAX
#define HS_ENFORCE_MAX 1024     /* TLS fingerprint ids enforced at once */
#endif

enum hs_enforce_mode {
	HS_ENF_OFF = 0,         /* no enforcement: the path is not in the program */
	HS_ENF_DRY_RUN = 1,     /* count matching ClientHellos, pass them */
	HS_ENF_DROP = 2,        /* count and drop them */
};

/* What of a fingerprint an enforce entry acts on. */
enum hs_enforce_scope {
	HS_SCOPE_ALL = 0,       /* every ClientHello of the JA4 */
	HS_SCOPE_NOVEL = 1,     /* ... from a source first seen with it at since_ns or
				 * later, or not seen with it at all */
	HS_SCOPE_PAIR = 2,      /* ... over one TCP stack (a pair entry) */
};

/* Value of the enforce map, keyed by a TLS fingerprint id with its
 * generation bit cleared (HS_GEN_KEY(id, 0): scope all or novel), or by a
 * pair id with it set (HS_ENF_PAIR_KEY: scope pair). */
struct hs_enforce {
	__u64 expires_ns;                    /* program clock; past it the entry is ignored */
	__u8  mode;                          /* enum hs_enforce_mode */
	__u8  scope;                         /* enum hs_enforce_scope */
	__u8  pad[6];
	union {
		__u64 since_ns;              /* HS_SCOPE_NOVEL: program clock */
		__u64 stack_id;              /* HS_SCOPE_PAIR: the pair's TCP stack id
					      * (for status only; 0: not said) */
	};
	char  ja4[64];                       /* for status only, NUL-terminated */
};
#define HS_ENF_PAIR_KEY(tls_id, stack_id) HS_GEN_KEY(hs_pair_id((tls_id), (stack_id)), 1)

/* ---- replay ---- */

/* Replay hands the program a batch of captured frames per BPF_PROG_TEST_RUN
 * (one system call costs more than the program's work on most packets).
 * A frame of a test run lives in one page: 4096 bytes less XDP's headroom
 * (256) and the shared info at its end (320 on x86-64 and arm64). */
#ifndef HS_REPLAY_BATCH
#define HS_REPLAY_BATCH 256     /* frames per test run */
#endif
#define HS_REPLAY_FRAME 3520    /* bytes a frame may have */

/* One slot of the replay_frames map, written by replay before a run. */
struct hs_replay_frame {
	__u64 ts_ns;                         /* capture time: the program's clock */
	__u32 len;                           /* bytes of data */
	__u32 verdict;                       /* the program's (HS_REPLAY_NOT_RUN: not run) */
	__u8  data[HS_REPLAY_FRAME];
};
#define HS_REPLAY_NOT_RUN 0xffffffffu

/* ---- sizes the code relies on ---- */

#define HS_IS_POW2(n) ((n) > 0 && ((n) & ((n) - 1)) == 0)

/* The TCP fingerprint id hashes the signature as HS_TCP_SIG_WORDS 64-bit
 * words: exactly its 40 bytes, none left out. */
_Static_assert(sizeof(struct hs_tcp_sig) == 40, "hs_tcp_sig: hashed as 40 bytes");
_Static_assert(HS_TCP_SIG_WORDS * 8 == sizeof(struct hs_tcp_sig), "hs_tcp_sig: whole words");
/* syn_ids compares and copies a signature as five words. */
_Static_assert(sizeof(struct hs_syn_memo) == 64 && HS_TCP_SIG_WORDS == 5, "hs_syn_memo: 64 bytes");
/* Endpoints are compared as five 64-bit words (ep_eq), and key the reasm map. */
_Static_assert(sizeof(struct hs_endpoints) == 5 * 8, "hs_endpoints: five words");
/* A ring-buffer record's type and fp_id are read before knowing which
 * record it is (run's on_event). */
_Static_assert(__builtin_offsetof(struct hs_event, type) == 0 &&
	       __builtin_offsetof(struct hs_tls_event, type) == 0, "event type first");
_Static_assert(__builtin_offsetof(struct hs_event, fp_id) ==
	       __builtin_offsetof(struct hs_tls_event, fp_id) &&
	       __builtin_offsetof(struct hs_event, fp_id) ==
	       __builtin_offsetof(struct hs_unfp_event, fp_id), "event fp_id at one offset");
_Static_assert(__builtin_offsetof(struct hs_unfp_event, type) == 0, "event type first");
/* Indices taken with a mask of (size - 1). */
_Static_assert(HS_IS_POW2(HS_FLOWS_MAX), "HS_FLOWS_MAX: a power of two");
_Static_assert(HS_IS_POW2(HS_HLL_M), "HS_HLL_M: a power of two");
_Static_assert(HS_IS_POW2(HS_TLS_SAMPLES), "HS_TLS_SAMPLES: a power of two");
_Static_assert(HS_IS_POW2(HS_HELLO_LIMIT) && HS_HELLO_LIMIT % HS_HELLO_CHUNK == 0,
	       "HS_HELLO_LIMIT: a power of two, whole chunks");
_Static_assert(HS_IS_POW2(HS_TLS_MAX_CIPHERS) && HS_IS_POW2(HS_TLS_MAX_EXTS) &&
	       HS_IS_POW2(HS_TLS_MAX_SIGALGS) && HS_IS_POW2(HS_TLS_MAX_GROUPS),
	       "ClientHello lists: powers of two");
/* List counts and lengths are single bytes; a reasm's unvalidated holds a
 * stats index in one. */
_Static_assert(HS_TLS_MAX_CIPHERS < 256 && HS_TLS_MAX_EXTS < 256 && HS_TLS_MAX_SIGALGS < 256 &&
	       HS_TLS_MAX_GROUPS < 256 && HS_TLS_SNI_MAX < 256 && HS_TLS_ALPN_MAX < 256,
	       "ClientHello counts: one byte");
_Static_assert(HS_ST__COUNT <= 256, "a stats index fits a byte");
/* The SNI, ALPN and point formats are copied as whole 64-bit words. */
_Static_assert(HS_TLS_SNI_MAX % 8 == 0 && HS_TLS_ALPN_MAX % 8 == 0 && HS_TLS_MAX_ECPF % 8 == 0,
	       "ClientHello byte fields: whole words");
/* A replay frame, XDP's headroom (256) and the shared info (320) in a page. */
_Static_assert(HS_REPLAY_FRAME + 256 + 320 <= 4096, "a replay frame fits a page");
/*
 * Map values and ring-buffer records, as userspace and pinned maps know
 * them: a change of any of these changes a layout, and HS_LAYOUT_VERSION
 * goes up with it.
 */
_Static_assert(sizeof(struct hs_tcp_fp) == 2112, "hs_tcp_fp layout");
_Static_assert(sizeof(struct hs_tls_fp) == 4152, "hs_tls_fp layout");
_Static_assert(sizeof(struct hs_pair) == 2096, "hs_pair layout");
_Static_assert(sizeof(struct hs_seen_key) == 24 && sizeof(struct hs_seen) == 16 &&
	       sizeof(struct hs_seen_set) == 40 * HS_SEEN_WAYS &&
	       !(HS_SEEN_SETS & (HS_SEEN_SETS - 1)), "seen layout");
_Static_assert(sizeof(struct hs_flow) == 80, "hs_flow layout");
_Static_assert(sizeof(struct hs_conn_key) == 24, "hs_conn_key layout");
_Static_assert(sizeof(struct hs_conn) == 72, "hs_conn layout");
_Static_assert(sizeof(struct hs_conn_set) == 104 * HS_CONN_WAYS &&
	       !(HS_CONN_SETS & (HS_CONN_SETS - 1)), "hs_conn_set layout");
_Static_assert(sizeof(struct hs_name) == 4 + HS_OPT_STR_MAX, "hs_name layout");
_Static_assert(sizeof(struct hs_acct_key) == 16, "hs_acct_key layout");
_Static_assert(sizeof(struct hs_tag_req) == 64, "hs_tag_req layout");
_Static_assert(sizeof(struct hs_reasm) == 48 + 8 * HS_REASM_RANGES + 8 + HS_HELLO_LIMIT +
	       2 * HS_HELLO_CHUNK, "hs_reasm layout");
_Static_assert(sizeof(struct hs_reasm_slot) == 48 + sizeof(struct hs_reasm) &&
	       !(HS_REASM_MAX & (HS_REASM_MAX - 1)) && HS_REASM_MAX <= 65536,
	       "hs_reasm_slot layout");
_Static_assert(sizeof(struct hs_enforce) == 88, "hs_enforce layout");
_Static_assert(sizeof(struct hs_admit) == 8, "hs_admit layout");
_Static_assert(sizeof(struct hs_stats) == HS_ST__COUNT * 8, "hs_stats layout");
_Static_assert(sizeof(struct hs_event) == 120, "hs_event layout");
_Static_assert(sizeof(struct hs_tls_event) == 904, "hs_tls_event layout");
_Static_assert(sizeof(struct hs_unfp_event) == 72, "hs_unfp_event layout");
_Static_assert(sizeof(struct hs_replay_frame) == 3536, "hs_replay_frame layout");
_Static_assert(sizeof(struct hs_quic_flow) == 88, "hs_quic_flow layout");
_Static_assert(sizeof(struct hs_quic_event) == 3544, "hs_quic_event layout");
_Static_assert(sizeof(struct hs_quic_valid_event) == 56, "hs_quic_valid_event layout");
_Static_assert(sizeof(struct hs_quic_req) == 80, "hs_quic_req layout");
/* QUIC: the slots taken with a mask; a connection ID fits the slot's
 * zero-padded words; the types read first (run's on_event) */
_Static_assert(HS_IS_POW2(HS_QUIC_FLOWS_MAX) && HS_IS_POW2(HS_QUIC_WAYS) &&
	       HS_QUIC_WAYS <= HS_QUIC_FLOWS_MAX, "HS_QUIC_FLOWS_MAX, HS_QUIC_WAYS: powers of two");
_Static_assert(HS_QUIC_CID_MAX <= sizeof(((struct hs_quic_flow *)0)->scid) &&
	       sizeof(((struct hs_quic_flow *)0)->scid) % 8 == 0, "hs_quic_flow: scid words");
_Static_assert(HS_QUIC_INITIALS_MAX < 256, "hs_quic_flow: initials in a byte");
_Static_assert(__builtin_offsetof(struct hs_quic_event, type) == 0 &&
	       __builtin_offsetof(struct hs_quic_valid_event, type) == 0, "event type first");
_Static_assert(HS_QUIC_DGRAM_MIN <= HS_QUIC_DGRAM_MAX &&
	       HS_REPLAY_FRAME - 14 - 20 - 8 <= HS_QUIC_DGRAM_MAX, "an Initial's datagram fits its event");

#endif /* HYDRASCOPE_H */
