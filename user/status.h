/* SPDX-License-Identifier: BSD-3-Clause */
/* `hydrascope status`: maps, attachments, counters of a running instance (status.c). */
#ifndef HS_STATUS_H
#define HS_STATUS_H

#include <net/if.h>
#include <linux/types.h>

__u32 hs_map_max(int fd);
__u32 hs_map_count(int fd);                /* entries, by walking the keys */
/* The interfaces of this network namespace that run the program a running
 * instance pinned in pin_dir (at most max): how many. */
#define HS_ATTACH_MAX 64
struct hs_attach {
	char ifname[IF_NAMESIZE];
	int ifindex;
	__u8 mode;                             /* XDP_ATTACHED_* */
	__u32 prog_id;
};
int hs_attachments(const char *pin_dir, struct hs_attach *at, int max);
const char *hs_attach_mode(__u8 mode);     /* "native", "skb", ... */

#endif /* HS_STATUS_H */
