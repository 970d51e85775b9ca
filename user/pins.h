/* SPDX-License-Identifier: BSD-3-Clause */
/* The pin directory: what it holds, checks, access, the layout marker (pins.c). */
#ifndef HS_PINS_H
#define HS_PINS_H

#include <stdbool.h>
#include <sys/types.h>

#include "hydrascope.h"

#define HS_DEFAULT_PIN_DIR "/sys/fs/bpf/hydrascope"

struct hs_bpf;

/* Make sure pin_dir exists on a BPF filesystem; *made: this call made it. */
int hs_pin_dir_prepare(const char *pin_dir, bool *made);
/*
 * What a pin directory holds, a bit per pin: the maps that outlive a run
 * (tcp_fps, tls_fps, stats, enforce, flows, reasm, tcp_known, pairs, seen,
 * conns, names, accounts, quic_flows, quic_user: bits 0-13), the layout marker, the program, the XDP link. The marker ("meta", an array map of
 * one struct hs_meta that userspace alone reads and writes) says which
 * layout the maps beside it have and which window generation their
 * program writes; its own format never changes. The link is pinned so
 * that it outlives run: a run that hands over (SIGUSR2) or is killed
 * leaves the program attached, and the next run swaps its own program in
 * (bpf_link_update: no packet goes uninspected).
 */
#define HS_PIN_NMAPS 14
#define HS_PIN_MAPS ((1u << HS_PIN_NMAPS) - 1)
#define HS_PIN_SEEN (1u << 8)      /* the seen map: made anew, a cold start */
#define HS_PIN_CONNS (1u << 9)     /* connection records (lookup reads them) */
#define HS_PIN_NAMES (1u << 10)    /* fingerprint names of the sockopt programs */
#define HS_PIN_ACCOUNTS (1u << 11) /* account tags per fingerprint and window */
#define HS_PIN_QUIC_FLOWS (1u << 12) /* QUIC flows in progress (their validation) */
#define HS_PIN_QUIC_USER (1u << 13)  /* what userspace made of the QUIC Initials */
#define HS_PIN_META (1u << 14)
#define HS_PIN_PROG (1u << 15)
#define HS_PIN_LINK (1u << 16)
#define HS_PIN_EGRESS (1u << 17)
#define HS_PIN_BITS 18
#define HS_META_PIN "meta"
#define HS_LINK_PIN "link"
#define HS_EGRESS_PIN "egress"     /* the egress program's tcx link (SYN-ACKs) */
/* The program's pin: readers find its attachments by its id (a program id
 * alone needs CAP_SYS_ADMIN to look at). */
#define HS_PROG_PIN "prog"
#define HS_META_MAGIC 0x31534d48u   /* "HMS1" */
struct hs_meta {
	__u32 magic;                  /* HS_META_MAGIC */
	__u32 layout;                 /* HS_LAYOUT_VERSION of the maps */
	__u32 gen;                    /* the window generation run is in */
	__u32 pad;
};
struct hs_pins {
	unsigned int had;             /* HS_PIN_* bits there before this run */
	struct hs_meta meta;          /* the marker's value, if there */
	int link_fd;                  /* an earlier run's link on this interface, or -1 */
	__u32 link_prog_id;           /* the program it attaches */
	__u8 link_mode;               /* XDP_ATTACHED_* */
	int egress_fd;                /* an earlier run's egress (tcx) link, or -1 */
};
/* What pin_dir holds, before run loads: only pins of ours, the maps of this
 * layout (marker) and each reusable (type, sizes, entries, flags), a link
 * on ifindex (or on an interface gone). 0, or -errno with one line said:
 * -EEXIST for pins not ours, of another layout or of another interface. */
int hs_pins_check(struct hs_bpf *skel, const char *pin_dir, int ifindex, struct hs_pins *p);
/* The marker, created and pinned if missing, set to this layout and gen:
 * its fd, or -errno (said). */
int hs_meta_open(const char *pin_dir, __u32 gen);
/* Record the generation the program writes now: 0 or -errno. */
int hs_meta_set(int meta_fd, __u32 gen);
/* Pin a link as name (replacing one whose interface is gone); 0 or
 * -errno (said). */
int hs_link_pin(int link_fd, const char *pin_dir, const char *name);
/* Reuse the maps pinned in pin_dir when the object loads, and pin the
 * others there: 0 or a libbpf error. */
int hs_pins_set_paths(struct hs_bpf *skel, const char *pin_dir);
/* Pin the program (replacing a pin left by a killed run). */
int hs_prog_pin(struct hs_bpf *skel, const char *pin_dir);
/* Unpin the pins of bits which (those not there are skipped). */
void hs_pins_remove(struct hs_bpf *skel, const char *pin_dir, unsigned int which);
/* Every pin 0600 and the directory 0700; with a group (gid not -1), 0440
 * and 0750, group gid: its members read everything dump, status, top and
 * the exporter need. 0 or -errno (said). */
int hs_pin_access(struct hs_bpf *skel, const char *pin_dir, gid_t gid);
/* A pinned object opened read-only (all the readers need): fd or -errno. */
int hs_pin_get(const char *pin_dir, const char *name);
/* The same for a map every reader needs: a missing one said in one line. */
int hs_pin_open(const char *pin_dir, const char *map, int *fd);

#endif /* HS_PINS_H */
