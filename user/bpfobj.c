// SPDX-License-Identifier: BSD-3-Clause
/*
 * The BPF object's life: open the skeleton, set its read-only settings,
 * reuse or create pinned maps, load. Also the pin directory, the bpffs
 * mount it needs, and reading the per-CPU counters.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "hs.h"
#include "hs_bpf.skel.h"

const char *const hs_stat_names[HS_ST__COUNT] = {
	[HS_ST_PACKETS] = "packets",
	[HS_ST_SYNS] = "syns",
	[HS_ST_FP_NEW] = "fingerprints_new",
	[HS_ST_MAP_FULL] = "map_full",
	[HS_ST_RB_DROP] = "ringbuf_drops",
	[HS_ST_NON_IP] = "non_ip",
	[HS_ST_NON_TCP] = "non_tcp",
	[HS_ST_FRAGMENT] = "fragments",
	[HS_ST_SYN_BAD_FLAGS] = "syn_bad_flags",
	[HS_ST_ERR_ETH] = "err_eth",
	[HS_ST_ERR_VLAN] = "err_vlan",
	[HS_ST_ERR_IP4] = "err_ipv4",
	[HS_ST_ERR_IP6] = "err_ipv6",
	[HS_ST_ERR_IP6_EXT] = "err_ipv6_ext",
	[HS_ST_ERR_TCP] = "err_tcp",
};

struct hs_bpf *hs_open(bool replay)
{
	struct hs_bpf *skel = hs_bpf__open();

	if (!skel) {
		pr_warn("Couldn't open the BPF object: %s", strerror(errno));
		return NULL;
	}
	if (replay) {
		skel->rodata->clock_mode = HS_CLOCK_REPLAY;
		skel->rodata->emit_every_syn = 1;
	}
	return skel;
}

/* The maps that outlive a run and that dump/status read. */
static struct bpf_map *pinned_maps(struct hs_bpf *skel, int i)
{
	struct bpf_map *m[] = { skel->maps.tcp_fps, skel->maps.stats };

	return i < (int)(sizeof(m) / sizeof(m[0])) ? m[i] : NULL;
}

int hs_load(struct hs_bpf *skel, const char *pin_dir)
{
	char path[PATH_MAX];
	struct bpf_map *m;
	int i, err;

	for (i = 0; pin_dir && (m = pinned_maps(skel, i)); i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_dir, bpf_map__name(m));
		/* libbpf reuses a compatible pinned map, refuses a different one */
		err = bpf_map__set_pin_path(m, path);
		if (err)
			return err;
	}
	err = hs_bpf__load(skel);
	if (err) {
		pr_warn("Couldn't load the BPF program: %s%s", strerror(-err),
			hs_verbose ? "" : " (run with -v for libbpf's explanation)");
		return err;
	}
	for (i = 0; pin_dir && (m = pinned_maps(skel, i)); i++)
		chmod(bpf_map__pin_path(m), 0600);
	return 0;
}

/* Make sure DIR exists on a BPF filesystem, mounting /sys/fs/bpf if needed. */
int hs_pin_dir_prepare(const char *pin_dir)
{
	char parent[PATH_MAX];
	struct statfs sfs;
	char *slash;

	snprintf(parent, sizeof(parent), "%s", pin_dir);
	slash = strrchr(parent, '/');
	if (!slash || slash == parent) {
		pr_warn("Pin directory '%s' must be below a BPF filesystem mount", pin_dir);
		return -EINVAL;
	}
	*slash = '\0';
	if (statfs(parent, &sfs) || sfs.f_type != BPF_FS_MAGIC) {
		if (strcmp(parent, "/sys/fs/bpf") != 0) {
			pr_warn("'%s' is not on a BPF filesystem (mount -t bpf bpf %s)",
				parent, parent);
			return -EINVAL;
		}
		if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
			int err = -errno;

			pr_warn("Couldn't mount bpffs on /sys/fs/bpf: %s", strerror(errno));
			return err;
		}
		pr_debug("mounted bpffs on /sys/fs/bpf");
	}
	if (mkdir(pin_dir, 0700) && errno != EEXIST) {
		int err = -errno;

		pr_warn("Couldn't create pin directory '%s': %s", pin_dir, strerror(errno));
		return err;
	}
	return 0;
}

int hs_pin_open(const char *pin_dir, const char *map, int *fd)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", pin_dir, map);
	*fd = bpf_obj_get(path);
	if (*fd < 0) {
		int err = -errno;

		if (err == -ENOENT)
			pr_warn("No hydrascope maps in '%s' (is 'hydrascope run' running?)",
				pin_dir);
		else
			pr_warn("Couldn't open pinned map '%s': %s", path, strerror(-err));
		return err;
	}
	return 0;
}

int hs_stats_read(int stats_fd, struct hs_stats *sum)
{
	int ncpu = libbpf_num_possible_cpus(), i, j;
	struct hs_stats *per;
	__u32 zero = 0;

	if (ncpu < 0)
		return ncpu;
	per = calloc(ncpu, sizeof(*per));
	if (!per)
		return -ENOMEM;
	memset(sum, 0, sizeof(*sum));
	if (bpf_map_lookup_elem(stats_fd, &zero, per)) {
		int err = -errno;

		free(per);
		return err;
	}
	for (i = 0; i < ncpu; i++)
		for (j = 0; j < HS_ST__COUNT; j++)
			sum->c[j] += per[i].c[j];
	free(per);
	return 0;
}
