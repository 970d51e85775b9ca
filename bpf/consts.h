/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Constants of the XDP program: the wire values it tests (TCP flags, TLS
 * record and handshake types, extension types) and the kernel's error
 * numbers it compares helper results with. No code, no maps.
 */
#ifndef HS_CONSTS_H
#define HS_CONSTS_H

#include <linux/errno.h>        /* EEXIST: helpers return -EEXIST and the like */

/* Every helper of the BPF side is inlined; the few global subprograms
 * (__noinline, each verified once) say why they are not. */
#define INLINE static __always_inline

/* The bounded loops of the walks (tcp_sig.h, tls.h) keep what one step
 * hands the next in a map value, read back at each step's start through
 * these volatile reads, after WIDEN(): the verifier then knows nothing of
 * it (a map value's bytes are unknown to it), so the paths of a step end
 * in one state and each step is verified once, not once per path before
 * it (positions and lengths "widened" each step). */
#define RD32(x) (*(volatile __u32 *)&(x))
#define RD8(x)  (*(volatile __u8 *)&(x))
#define WIDEN() asm volatile("" ::: "memory")

/* The T at p (a byte pointer, into a record buffer) in one access, for
 * any alignment. Through a cast alone, clang's BPF backend splits an
 * access it cannot prove aligned (as of &buf[i]) into one per byte:
 * an 8-byte read became 8 loads, 7 shifts and 7 ors. The kernel allows
 * unaligned accesses to map values where it has no strict alignment
 * (x86-64, arm64: the program's hosts). */
#define BUF_AT(T, p) (*(T *)__builtin_assume_aligned((p), sizeof(T)))

/* TCP flags: the byte at this offset of the header, and its bits. */
#define TCP_FLAGS_OFF 13
#define TH_FIN  0x01
#define TH_SYN  0x02
#define TH_RST  0x04
#define TH_PUSH 0x08
#define TH_ACK  0x10
#define TH_URG  0x20
#define TH_ECE  0x40
#define TH_CWR  0x80
/* The byte before the flags: data offset, reserved bits, and in its lowest
 * bit the ECN nonce (RFC 3540; AccECN's AE), which p0f reads as ECN. */
#define TCP_DOFF_OFF 12
#define TH_NS   0x01

/* A client SYN: SYN without ACK (FIN or RST with it: not fingerprinted). */
#define TCP_IS_SYN(f)    (((f) & (TH_SYN | TH_ACK)) == TH_SYN)
/* A SYN-ACK: SYN and ACK, no FIN nor RST. */
#define TCP_IS_SYNACK(f) (((f) & (TH_SYN | TH_ACK | TH_FIN | TH_RST)) == (TH_SYN | TH_ACK))

/* Packet offsets are masked to these before use: the verifier trusts only
 * offsets it can bound well below 64 KiB, and what comes before the IP
 * header (Ethernet, HS_VLAN_MAX tags) fits in a byte. */
#define PKT_OFF_MASK 0x3fff
#define L3_OFF_MASK  0xff

/* TLS record header: content type(1) version(2) length(2). */
#define TLS_REC_HDR        5
#define TLS_CT_CCS         0x14 /* content types: change cipher spec, */
#define TLS_CT_ALERT       0x15 /* alert, */
#define TLS_CT_HANDSHAKE   0x16 /* handshake, */
#define TLS_CT_APPDATA     0x17 /* application data */
#define TLS_VERSION_MAJOR  0x03 /* first byte of every TLS (and SSL 3) version */
#define TLS_HS_CLIENT_HELLO 0x01 /* handshake type, the record's first body byte */
#define TLS_HS_HDR         4    /* handshake header: type(1) length(3) */
#define TLS_MAX_RECORD     16384 /* the longest record body a peer may send (2^14) */

/* TLS extension types the walk reads (IANA registry). */
#define TLS_EXT_SERVER_NAME        0x0000
#define TLS_EXT_SUPPORTED_GROUPS   0x000a
#define TLS_EXT_EC_POINT_FORMATS   0x000b
#define TLS_EXT_SIGNATURE_ALGS     0x000d
#define TLS_EXT_ALPN               0x0010
#define TLS_EXT_SUPPORTED_VERSIONS 0x002b

#endif /* HS_CONSTS_H */
