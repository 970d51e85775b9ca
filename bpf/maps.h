/* SPDX-License-Identifier: BSD-3-Clause */
/* Map definitions of the XDP program. Layouts live in headers/hydrascope.h. */
#ifndef HS_MAPS_H
#define HS_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "hydrascope.h"

/* TCP fingerprint id -> signature, SYN count, first/last seen, sketches. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HS_TCP_FP_MAX);
	__type(key, __u64);
	__type(value, struct hs_tcp_fp);
} tcp_fps SEC(".maps");

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

/* Raw features of first-seen fingerprints (every SYN in replay). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, HS_EVENTS_BYTES);
} events SEC(".maps");

#endif /* HS_MAPS_H */
