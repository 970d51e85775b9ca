/* SPDX-License-Identifier: BSD-3-Clause */
/* Reading the fingerprint maps, merged by canonical name (fps.c). */
#ifndef HS_FPS_H
#define HS_FPS_H

#include <stdbool.h>
#include <stddef.h>

#include "detect.h"

struct fp_reader;
struct fp_reader *fpr_new(enum fp_kind kind);
void fpr_free(struct fp_reader *r);
/* FP_PAIR: the tls_fps and tcp_fps maps whose entries name the pairs
 * (either may be -1: the ids in hex then). */
void fpr_name_maps(struct fp_reader *r, int tls_fd, int tcp_fd);
/* FP_PAIR: the TCP reader (NULL: none) whose names of its last reads name
 * a pair's stack whose entry is gone: a SYN counted in the window before
 * its hello's, its stack's entry deleted with it. */
void fpr_name_stacks(struct fp_reader *r, const struct fp_reader *tcp);
/* Read the entries of tls_fps, tcp_fps or pairs (fd) of generation gen (0
 * or 1; -1: all), merged by name into rows valid until the next read. A
 * pair's name is "JA4 STACK" (neither has a space). */
int fpr_read(struct fp_reader *r, int fd, int gen, struct det_obs **rows, size_t *n);
/* The map keys merged into row i of the last read. */
const __u64 *fpr_keys(const struct fp_reader *r, size_t row, size_t *n);
/* Map entries the last read saw. */
size_t fpr_entries(const struct fp_reader *r);
/* The value of fingerprint map key in fd, or else of the key of the other
 * generation (a pair made in one window may point at an entry of the
 * last; a connection's ids outlive their window): 0, or -1 (fd -1 too). */
int fp_lookup_either_gen(int fd, __u64 key, void *v);
/* Delete every key the last read saw. */
void fpr_delete(const struct fp_reader *r, int fd);
/* Delete the entries of generation gen (-1: all) without reading them. */
int fps_clear(int fd, int gen);
/* The account tags of the last read's rows (tags, accounts, tagged_ips),
 * from the accounts map's entries of kind (enum hs_acct_kind) and of the
 * read's generation gen (-1: any); acct_fd -1: none (rows' fields 0). 0,
 * or -ENOMEM. */
int fpr_accounts(struct fp_reader *r, int acct_fd, __u32 kind, int gen);
/* Keep each row's merged sketch registers after a read (and the accounts
 * sketches after fpr_accounts), until the next read: a fleet sink sends
 * them. 3 KiB a row, 2 KiB more a tagged one. */
void fpr_keep_sketches(struct fp_reader *r, bool on);
/* The registers of row i of the last read, kept: ips, nets and (TLS)
 * stacks into sk; how many (0: not kept). */
unsigned int fpr_sketches(const struct fp_reader *r, size_t row, const __u8 *sk[3]);
/* The accounts and tagged sources registers of row i, kept by the last
 * fpr_accounts: 0, or -1 (untagged, or not kept). */
int fpr_account_sketches(const struct fp_reader *r, size_t row, const __u8 *sk[2]);
/* Delete the accounts entries of generation gen (-1: all). */
int acct_clear(int fd, int gen);
/* The fingerprint maps of one object (or of one instance's pins) that a
 * window close and a report read: -1 for one not there or left alone. */
struct fp_maps {
	int tcp, tls, pairs, accounts;
};

#endif /* HS_FPS_H */
