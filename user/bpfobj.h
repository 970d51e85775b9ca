/* SPDX-License-Identifier: BSD-3-Clause */
/* The BPF object: settings, open, load, the egress program, counters (bpfobj.c). */
#ifndef HS_BPFOBJ_H
#define HS_BPFOBJ_H

#include <stdbool.h>

#include "hydrascope.h"
#include "fps.h"
#include "opts.h"

/* Datapath settings, fixed when the program loads. */
struct hs_config {
	bool replay;                          /* packet-time clock, event per SYN/hello */
	unsigned int nports;                  /* 0: default TLS ports (443, 8443) */
	__u16 ports[HS_TLS_PORTS_MAX];
	unsigned int nquic_ports;             /* 0: default QUIC ports (443) */
	__u16 quic_ports[HS_QUIC_PORTS_MAX];
	bool quic_off;                        /* --quic-ports none */
	unsigned int hello_bytes;             /* 0: HS_HELLO_LIMIT */
	unsigned int hello_segs;              /* 0: HS_HELLO_SEGS (no limit of its own) */
	unsigned int handshake;               /* enum hs_check; 0: synack live, syn in replay */
	unsigned int history_s;               /* the detector's history (0: the default) */
};
/* The datapath options (--ports, --quic-ports, --hello-bytes,
 * --hello-segments, --handshake), into a struct hs_config: an HS_OPT_GROUP's table. */
extern const struct hs_opt hs_dp_opts[];
/* Does a run with this configuration check SYN-ACKs (attach the egress
 * program)? */
#define HS_WANTS_SYNACK(c) (!(c)->handshake || (c)->handshake == HS_CHECK_SYNACK)
/* Does it attach the egress program: for the SYN-ACKs, or the QUIC
 * servers' connection IDs that validate QUIC flows. */
#define HS_WANTS_EGRESS(c) (HS_WANTS_SYNACK(c) || (!(c)->quic_off && (c)->handshake != HS_CHECK_NONE))
struct hs_bpf;
struct hs_bpf *hs_open(const struct hs_config *c);
/* Load, reusing the maps pinned in pin_dir (NULL: none) and pinning the
 * others there (hs_pins_check first says whether they may be reused). */
int hs_load(struct hs_bpf *skel, const char *pin_dir);

/* The live program clock on the ticks: run the hs_clock program (fd)
 * until the jiffies have moved on five times (four or five ticks), and
 * set *tick_ns to the kernel's tick (1 s / HZ, HZ the one of 100, 250,
 * 300 and 1000 within 10% of what they took) and *base_ns to
 * CLOCK_MONOTONIC at jiffies 0 (modulo 2^64: the earliest of the samples
 * just past a change, less 1 ms, so that jiffies * tick + base is at or
 * before CLOCK_MONOTONIC, within a tick and 1 ms): the program's jiffy_ns
 * and jiffy_base_ns; measured again, up to three times in all, when the
 * changes took no HZ's tick or over 200 ms (a vCPU busy or descheduled
 * meanwhile). 0, or -errno (the program keeps the coarse clock's
 * helper). hs_load does it for a live object. */
int hs_clock_measure(int fd, __u64 *tick_ns, __u64 *base_ns);

/* Before the load: enforcement mode (enum hs_enforce_mode; without one the
 * verifier prunes the whole enforcement path, XDP_DROP included), and the
 * room it needs (the dropped hellos, in drop mode only). */
void hs_set_enforce(struct hs_bpf *skel, int mode);
/* Before the load: the interface has no link header (l3 1: tun, WireGuard,
 * PPP, IP tunnels), its packets read from their IP header. */
void hs_set_link_l3(struct hs_bpf *skel, int l3);
/* The XDP program for the interface and mode set (hs_xdp or its _l3,
 * _drop, _l3_drop entry): the one of the four that loads. */
struct bpf_program *hs_xdp_prog(struct hs_bpf *skel);
/* After the attach: the tag (struct hs_flow_tags, in the program's .bss)
 * of every flow slot still without one (0), made from the slot as it is
 * (free slots made anew, or an earlier run's reused); one the program
 * wrote meanwhile is left. 0, or -errno (the slots unread: tags stay 0,
 * each such slot read by the program as before). */
int hs_flow_tags_fill(struct hs_bpf *skel);
/* The egress program (the server's SYN-ACKs) attached first on ifindex's
 * egress with a tcx link (kernel 6.6+): its fd, or -errno. */
int hs_egress_attach(struct hs_bpf *skel, int ifindex);
/* The object's fingerprint maps, for window closes and reports. */
struct fp_maps hs_fp_maps(struct hs_bpf *skel);
int hs_stats_read(int stats_fd, struct hs_stats *sum);
extern const char *const hs_stat_names[HS_ST__COUNT];

#endif /* HS_BPFOBJ_H */
