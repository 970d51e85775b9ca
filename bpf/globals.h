/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP program's global variables: the settings userspace writes through
 * the skeleton (.rodata between open and load, .data/.bss at any time) and
 * the program clock made of them. Definitions, not declarations: the BPF
 * object is one translation unit (hydrascope.bpf.c), and every header that
 * reads a global includes this one, as the ones using maps include maps.h.
 */
#ifndef HS_GLOBALS_H
#define HS_GLOBALS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "hydrascope.h"
#include "consts.h"

/* Set by userspace between open and load. */
const volatile __u8 clock_mode = HS_CLOCK_MONO;   /* enum hs_clock */
const volatile __u8 emit_every = 0;               /* replay: an event per SYN/hello */
/* The interface has no link header (tun, WireGuard, IP tunnels): its
 * packets start with the IP header; pruned by the verifier otherwise */
const volatile __u8 link_l3 = 0;
/* make bench only: every SYN and every client payload from a new IPv4
 * source (a per-CPU count mixed in), so that BPF_PROG_TEST_RUN's repeats
 * of one packet are each a new connection; pruned by the verifier
 * everywhere else */
const volatile __u8 bench_vary_src = 0;
/* make bench only: no connection records (the conns map), to time what
 * they cost beside the same program with them */
const volatile __u8 bench_no_conns = 0;
/* make bench only: the address hash of layout 9 in the sketches (bpf/hll.h),
 * to time PostgreSQL hll's beside it */
const volatile __u8 bench_old_hash = 0;
const volatile __u16 tls_ports[HS_TLS_PORTS_MAX] = { 443, 8443 };
/* UDP ports whose client datagrams are QUIC (their Initials handed to
 * userspace, bpf/quic.h); 0: unused */
const volatile __u16 quic_ports[HS_QUIC_PORTS_MAX] = { 443 };
/* QUIC Initials handed to userspace per CPU per second of the program
 * clock (the quic_budget map; userspace sets HS_QUIC_BUDGET over the CPUs). */
const volatile __u32 quic_budget_max = HS_QUIC_BUDGET;
const volatile __u32 hello_max_bytes = HS_HELLO_LIMIT;  /* <= HS_HELLO_LIMIT */
/* Slots of the reasm map (its max_entries; a test may make it bigger). */
const volatile __u32 reasm_slots = HS_REASM_MAX;
/* Sets of the conns map (its max_entries, a power of two; a test may make
 * it bigger). */
const volatile __u32 conn_sets = HS_CONN_SETS;
/* Sets of the seen map (the same). */
const volatile __u32 seen_sets = HS_SEEN_SETS;
/* Slots of a QUIC flow's set in the quic_flows map (a power of two, at
 * most HS_QUIC_WAYS; test_equiv sets 1, the one slot a flow had before
 * layout 15, to compare with a program of then). */
const volatile __u32 quic_ways = HS_QUIC_WAYS;
const volatile __u32 hello_max_segs = HS_HELLO_SEGS;
/* Unknown TCP fingerprint ids admitted per CPU per window (struct
 * hs_admit); userspace sets it to half the tcp_fps map over the CPUs. */
const volatile __u32 tcp_new_cap = HS_TCP_FP_MAX / 4;
/* enum hs_enforce_mode, fixed at load: HS_ENF_OFF (the default) leaves the
 * enforcement path out of the verified program altogether, and only
 * HS_ENF_DROP can return XDP_DROP. */
const volatile __u8 enforce_mode = HS_ENF_OFF;
/* Unvalidated ClientHellos walked per CPU per window (the unval_sample
 * map): the rest are counted, never walked. */
const volatile __u32 unval_sample_max = HS_UNVAL_SAMPLE;
/* How long a source stays seen with a fingerprint (the seen map): the
 * detector's `history`, in the program clock. */
const volatile __u64 history_ns = 3600ULL * 1000000000ULL;

/* Window generation, flipped by `run` through the mmapped .bss; its lowest
 * bit is the lowest bit of every fingerprint map key (HS_GEN_KEY). Replay
 * leaves it at 0. */
__u32 cur_gen = 0;

/* enum hs_check, set before load; `run` raises HS_CHECK_SYN to
 * HS_CHECK_SYNACK once its egress program records the SYN-ACKs. */
__u8 handshake_check = HS_CHECK_SYN;

/* Bumped by `run` and replay at every window: the unvalidated sample's
 * budget renews when it changes (replay keeps cur_gen at 0). */
__u32 sample_epoch = 0;

/* Replay sets this to the packet's timestamp before each test run. */
__u64 replay_now_ns = 0;

/* Frames of this test run in replay_frames (userspace sets it). */
__u32 replay_n = 0;

/* The live clock on the ticks, set by userspace after load, before the
 * attach (hs_clock_measure): a tick's nanoseconds, and CLOCK_MONOTONIC at
 * jiffies 0 (modulo 2^64, less 1 ms), so that jiffies * jiffy_ns +
 * jiffy_base_ns is 1 ms before the current tick began: never past
 * CLOCK_MONOTONIC. 0: not set (the coarse clock's helper). */
__u64 jiffy_ns = 0;
__u64 jiffy_base_ns = 0;

/* The program clock (enum hs_clock): nanoseconds, CLOCK_MONOTONIC at the
 * current tick's start (less 1 ms) live (the coarse clock's resolution, from the
 * jiffies: the verifier makes bpf_jiffies64 a load, where
 * bpf_ktime_get_coarse_ns is a call), the capture's Unix time in replay. */
INLINE __u64 now_ns(void)
{
	__u64 t;

	if (clock_mode == HS_CLOCK_REPLAY)
		return replay_now_ns;
	t = jiffy_ns;
	if (t)
		return bpf_jiffies64() * t + jiffy_base_ns;
	return bpf_ktime_get_coarse_ns();
}

/* The same in a syscall program (hs_quic_hello), which may not read the
 * coarse clock: the fine one (the same CLOCK_MONOTONIC, up to a tick
 * ahead of the coarse one). */
INLINE __u64 syscall_now_ns(void)
{
	if (clock_mode == HS_CLOCK_REPLAY)
		return replay_now_ns;
	return bpf_ktime_get_ns();
}

#endif /* HS_GLOBALS_H */
