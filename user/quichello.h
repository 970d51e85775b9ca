/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC ClientHellos from the events ring buffer to the counting program
 * (quichello.c): the Initials the XDP program hands over are decrypted and
 * put together (quic.c), and each ClientHello waits for its flow's
 * validation before the hs_quic_hello program counts it.
 */
#ifndef HS_QUICHELLO_H
#define HS_QUICHELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct hs_bpf;
struct quic_hellos;

/* On the loaded object skel (its quic_hello map mmapped, its hs_quic_hello
 * program, its quic_user map). replay: event times are the capture's.
 * NULL (said) when it can't. */
struct quic_hellos *qh_new(struct hs_bpf *skel, bool replay);
void qh_free(struct quic_hellos *q);

/* A record of the events ring buffer: 1 when it was a QUIC one (taken), 0
 * when it is not QUIC's. */
int qh_event(struct quic_hellos *q, const void *data, size_t len);

/* Hellos whose flow was not validated within HS_REASM_TIMEOUT_NS of now
 * (the events' clock) counted unvalidated; with all, every one waiting
 * (the end of a capture). The counts into the quic_user map. */
void qh_tick(struct quic_hellos *q, __u64 now_ns, bool all);

#endif /* HS_QUICHELLO_H */
