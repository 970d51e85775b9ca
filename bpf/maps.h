/* SPDX-License-Identifier: BSD-3-Clause */
/* Map definitions of the XDP program. Layouts live in headers/hydrascope.h. */
#ifndef HS_MAPS_H
#define HS_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "hydrascope.h"
#include "tls.h"   /* struct tls_walk */
#include "optwalk.h"  /* struct optwalk */

/* TCP fingerprint id -> signature, SYN count, first/last seen, sketches. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HS_TCP_FP_MAX);
	__type(key, __u64);
	__type(value, struct hs_tcp_fp);
} tcp_fps SEC(".maps");

/* TCP fingerprint ids (generation bit clear) admitted lately -> the
 * generation they were last admitted in. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HS_TCP_KNOWN_MAX);
	__type(key, __u64);
	__type(value, __u32);
} tcp_known SEC(".maps");

/* Per-CPU budget of unknown TCP fingerprint ids per window. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hs_admit);
} tcp_admit SEC(".maps");

/* Per-CPU sample of unvalidated ClientHellos walked in the window
 * (struct hs_admit, gen: sample_epoch). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hs_admit);
} unval_sample SEC(".maps");

/* Per-CPU health counters: one struct hs_stats. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hs_stats);
} stats SEC(".maps");

/* Per-CPU staging area for a new tcp_fps value (too large for the stack);
 * only sig and the timestamps are ever written, sketches stay zero. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hs_tcp_fp);
} tcp_fp_init SEC(".maps");

/* TLS fingerprint id -> first ClientHello's lists, counts, sketches. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HS_TLS_FP_MAX);
	__type(key, __u64);
	__type(value, struct hs_tls_fp);
} tls_fps SEC(".maps");

/* Staging area for a new tls_fps value; sketches stay zero. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hs_tls_fp);
} tls_fp_init SEC(".maps");

/* Staging area for a new tls_fps entry of unfingerprinted connections
 * (HS_TLSF_UNFP): only the hello's flags and reason and the timestamps
 * are ever written, its lists and sketches stay zero. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hs_tls_fp);
} unfp_init SEC(".maps");

/* (TLS fingerprint id, TCP stack id) pair -> the ids, ClientHellos,
 * first/last seen, source sketches (see struct hs_pair). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HS_PAIRS_MAX);
	__type(key, __u64);
	__type(value, struct hs_pair);
} pairs SEC(".maps");

/* Staging area for a new pairs value; sketches stay zero. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hs_pair);
} pair_init SEC(".maps");

/* Connections to TLS ports by slot (see struct hs_flow): SYN fingerprint,
 * state. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HS_FLOWS_MAX);
	__type(key, __u32);
	__type(value, struct hs_flow);
} flows SEC(".maps");

/* ClientHellos dropped by enforcement, by flow slot / HS_DROPPED_WAYS
 * (struct hs_dropped_set). One set unless run --enforce drop
 * (hs_set_enforce). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HS_FLOWS_MAX / HS_DROPPED_WAYS);
	__type(key, __u32);
	__type(value, struct hs_dropped_set);
} dropped SEC(".maps");

/* ClientHellos spanning several segments, while they are collected
 * (struct hs_reasm_slot). An array: a collection is kept without copying
 * the whole value (a hash map's insert copies its 20 KB), found from its
 * flow's slot number, and given back to reasm_free. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HS_REASM_MAX);
	__type(key, __u32);
	__type(value, struct hs_reasm_slot);
} reasm SEC(".maps");

/* Slots given back, to be taken again first. */
struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, HS_REASM_MAX);
	__type(value, __u32);
} reasm_free SEC(".maps");

/* [0]: the slots taken for the first time so far (the map's never used
 * ones come next); [1]: where the search for one to take over goes on
 * (the map full). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} reasm_turn SEC(".maps");

/* Per-CPU record buffer for a ClientHello that fits in one segment. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hs_reasm);
} reasm_scratch SEC(".maps");

/* Per-CPU TCP option walk state, for the SYNs no template fits. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct optwalk);
} syn_walk SEC(".maps");

/* Per-CPU: the ids of the SYN signatures seen last (syn_ids). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HS_SYN_MEMO);
	__type(key, __u32);
	__type(value, struct hs_syn_memo);
} syn_memo SEC(".maps");

/* Per-CPU ClientHello walk state (the lists are too large for the stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tls_walk);
} tls_walk_scratch SEC(".maps");


/* Enforced TLS fingerprint ids (generation bit cleared) -> expiry, mode.
 * Written by `run --enforce` only; empty otherwise. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HS_ENFORCE_MAX);
	__type(key, __u64);
	__type(value, struct hs_enforce);
} enforce SEC(".maps");

/* Sources and networks seen with each TLS fingerprint, and sources seen
 * with the site, within the history (struct hs_seen_key): the exact
 * record novelty is counted and scoped enforcement is decided from. Sets
 * of HS_SEEN_WAYS (struct hs_seen_set), not an LRU hash: an entry costs a
 * set's read and write, no map insert; under pressure a set's least
 * recently refreshed goes first (userspace states how much history the
 * map holds at the present rate). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HS_SEEN_SETS);
	__type(key, __u32);
	__type(value, struct hs_seen_set);
} seen SEC(".maps");

/* Connections whose ClientHello was counted, by their client side
 * (struct hs_conn_key), in sets of HS_CONN_WAYS (struct hs_conn_set): what
 * the sockopt programs and lookup answer. An array, not an LRU: a record
 * costs no insert, the set's oldest makes way (bpf/conn.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HS_CONN_SETS);
	__type(key, __u32);
	__type(value, struct hs_conn_set);
} conns SEC(".maps");

/* Fingerprint names (JA4, TCP signature) by id and kind, put by userspace
 * as it renders them, for the getsockopt program's string options. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HS_NAMES_MAX);
	__type(key, struct hs_name_key);
	__type(value, struct hs_name);
} names SEC(".maps");

/* Account tags of this window and the last, per fingerprint (struct
 * hs_acct_key): read and cleared with the fingerprint maps. Allocated as
 * tags come (most sites tag nothing). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HS_ACCT_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);   /* memory only where tags are */
	__type(key, struct hs_acct_key);
	__type(value, struct hs_acct);
} accounts SEC(".maps");

/* Zeroes, for a new accounts entry (too large for the stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hs_acct);
} acct_init SEC(".maps");

/* QUIC flows by slot, in sets of quic_ways slots (struct hs_quic_flow):
 * the Initials handed, the server's connection ID, validated, dropped. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HS_QUIC_FLOWS_MAX);
	__type(key, __u32);
	__type(value, struct hs_quic_flow);
} quic_flows SEC(".maps");

/* What userspace made of the Initials handed to it (struct hs_quic_user):
 * written by run, read by status and the metrics; never by a program. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hs_quic_user);
} quic_user SEC(".maps");

/* Per-CPU budget of QUIC Initials handed to userspace in the second
 * (struct hs_admit, gen: the program clock's 2^30 ns). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hs_admit);
} quic_budget SEC(".maps");

/* A QUIC ClientHello from userspace, as one TLS record at the start of
 * buf, for the hs_quic_hello program (one caller at a time): written
 * through mmap (only the record's bytes; the program sets the rest) or
 * bpf_map_update_elem. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct hs_reasm);
} quic_hello SEC(".maps");

/* The hs_quic_hello program's walk state and staging area for a new
 * tls_fps entry: its own, not the XDP program's per-CPU ones, which a
 * packet's softirq may use while it runs on the same CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tls_walk);
} quic_walk SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hs_tls_fp);
} quic_fp_init SEC(".maps");

/* Ring buffer: raw features of first-seen fingerprints (every SYN and
 * hello in replay), QUIC Initials and validations. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, HS_EVENTS_BYTES);
} events SEC(".maps");

/* Replay only: the frames of one test run of hs_replay, written by
 * userspace through mmap. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HS_REPLAY_BATCH);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct hs_replay_frame);
} replay_frames SEC(".maps");

#endif /* HS_MAPS_H */
