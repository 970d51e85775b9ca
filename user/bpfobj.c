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
	[HS_ST_FP_NEW] = "tcp_fingerprints_new",
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
	[HS_ST_HELLOS] = "hellos",
	[HS_ST_HELLO_MULTISEG] = "hellos_multi_segment",
	[HS_ST_TLS_NOT_HELLO] = "tls_not_hello",
	[HS_ST_TLS_MALFORMED] = "tls_malformed",
	[HS_ST_TLS_TOO_BIG] = "tls_too_big",
	[HS_ST_TLS_OUT_OF_ORDER] = "tls_out_of_order",
	[HS_ST_TLS_RECORD_SPLIT] = "tls_record_split",
	[HS_ST_TLS_MAP_FULL] = "tls_map_full",
	[HS_ST_TLS_OTHER_PORT] = "tls_other_port",
	[HS_ST_TLS_FP_NEW] = "tls_fingerprints_new",
	[HS_ST_ENFORCE_MATCHED] = "enforce_matched",
	[HS_ST_ENFORCE_DROPPED] = "enforce_dropped",
	[HS_ST_FLOW_BUSY] = "flow_busy",
	[HS_ST_TCP_FP_SHED] = "tcp_fp_shed",
	[HS_ST_HELLO_NO_SYN] = "hellos_no_syn",
	[HS_ST_HELLO_NO_SYNACK] = "hellos_no_synack",
	[HS_ST_HELLO_BAD_ACK] = "hellos_bad_ack",
	[HS_ST_SYNACKS] = "synacks",
};

int hs_config_opt(struct hs_config *c, int opt, const char *arg, int *err)
{
	unsigned long long v;
	char *copy, *tok, *save;

	*err = 0;
	switch (opt) {
	case 'p':
		/* strict: no empty items, so "443,,80" is a typo, not two ports */
		copy = strdup(arg);
		c->nports = 0;
		for (tok = copy; tok && !*err; tok = save) {
			save = strchr(tok, ',');
			if (save)
				*save++ = '\0';
			if (parse_uint(tok, 65535, &v) || !v || c->nports == HS_TLS_PORTS_MAX)
				*err = 1;
			else
				c->ports[c->nports++] = (__u16)v;
		}
		free(copy);
		if (!c->nports)
			*err = 1;
		if (*err)
			pr_warn("invalid --ports '%s' (1 to %d ports, 1-65535, comma-separated)",
				arg, HS_TLS_PORTS_MAX);
		return 1;
	case 'B':
		if (parse_uint(arg, HS_HELLO_LIMIT, &v) || v < 64) {
			pr_warn("invalid --hello-bytes '%s' (64-%d)", arg, HS_HELLO_LIMIT);
			*err = 1;
		}
		c->hello_bytes = (unsigned int)v;
		return 1;
	case 'S':
		if (parse_uint(arg, 64, &v) || !v) {
			pr_warn("invalid --hello-segments '%s' (1-64)", arg);
			*err = 1;
		}
		c->hello_segs = (unsigned int)v;
		return 1;
	case 'H':
		if (!strcmp(arg, "none"))
			c->handshake = HS_CHECK_NONE;
		else if (!strcmp(arg, "syn"))
			c->handshake = HS_CHECK_SYN;
		else if (!strcmp(arg, "synack"))
			c->handshake = HS_CHECK_SYNACK;
		else {
			pr_warn("invalid --handshake '%s' (synack, syn or none)", arg);
			*err = 1;
		}
		return 1;
	}
	return 0;
}

struct hs_bpf *hs_open(const struct hs_config *c)
{
	struct hs_bpf *skel = hs_bpf__open();
	unsigned int i, hc;
	int ncpu;

	if (!skel) {
		pr_warn("Couldn't open the BPF object: %s", strerror(errno));
		return NULL;
	}
	if (c->replay) {
		skel->rodata->clock_mode = HS_CLOCK_REPLAY;
		skel->rodata->emit_every = 1;
	}
	if (c->nports) {
		for (i = 0; i < HS_TLS_PORTS_MAX; i++)
			skel->rodata->tls_ports[i] = i < c->nports ? c->ports[i] : 0;
	}
	if (c->hello_bytes)
		skel->rodata->hello_max_bytes = c->hello_bytes;
	if (c->hello_segs)
		skel->rodata->hello_max_segs = c->hello_segs;
	/* live, the SYN-ACK check starts once run's egress program reads them;
	 * in replay the capture's SYN-ACKs come through the XDP program */
	hc = c->handshake ? c->handshake : c->replay ? HS_CHECK_SYN : HS_CHECK_SYNACK;
	skel->data->handshake_check = (__u8)(!c->replay && hc == HS_CHECK_SYNACK ? HS_CHECK_SYN : hc);
	/* unknown TCP ids may take half the map in a window, over all CPUs */
	ncpu = libbpf_num_possible_cpus();
	if (ncpu > 0)
		skel->rodata->tcp_new_cap = HS_TCP_FP_MAX / 2 / (unsigned int)ncpu ?: 1;
	return skel;
}

/* The maps that outlive a run and that dump/status read. */
static struct bpf_map *pinned_maps(struct hs_bpf *skel, int i)
{
	struct bpf_map *m[] = { skel->maps.tcp_fps, skel->maps.tls_fps, skel->maps.stats,
				skel->maps.enforce, skel->maps.tcp_known };

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
	if (!pin_dir)
		return 0;
	/* the program too (see HS_PROG_PIN); a pin left by a killed run is
	 * replaced */
	hs_prog_unpin(pin_dir);
	snprintf(path, sizeof(path), "%s/" HS_PROG_PIN, pin_dir);
	err = bpf_program__pin(skel->progs.hs_xdp, path);
	if (err) {
		pr_warn("Couldn't pin the program at '%s': %s", path, strerror(-err));
		return err;
	}
	return hs_pin_access(skel, pin_dir, (gid_t)-1);
}

/* Debian 12's kernel headers predate tcx (kernel 6.6) */
#ifndef BPF_TCX_EGRESS
#define BPF_TCX_EGRESS 47
#endif
#ifndef BPF_F_BEFORE
#define BPF_F_BEFORE (1U << 3)
#endif

int hs_egress_attach(struct hs_bpf *skel, int ifindex)
{
	/* first in the egress chain: a program before it that ends the chain
	 * would hide the SYN-ACKs; ours always lets the chain go on */
	LIBBPF_OPTS(bpf_link_create_opts, o, .flags = BPF_F_BEFORE);
	int fd = bpf_link_create(bpf_program__fd(skel->progs.hs_egress), ifindex,
				 BPF_TCX_EGRESS, &o);

	return fd < 0 ? -errno : fd;
}

void hs_maps_unpin(struct hs_bpf *skel)
{
	struct bpf_map *m;
	int i;

	for (i = 0; (m = pinned_maps(skel, i)); i++)
		bpf_map__unpin(m, NULL);
}

void hs_prog_unpin(const char *pin_dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/" HS_PROG_PIN, pin_dir);
	unlink(path);
}

int hs_pin_access(struct hs_bpf *skel, const char *pin_dir, gid_t gid)
{
	bool shared = gid != (gid_t)-1;
	char prog[PATH_MAX];
	const char *paths[8];
	struct bpf_map *m;
	int i, n = 0;

	for (i = 0; (m = pinned_maps(skel, i)); i++)
		paths[n++] = bpf_map__pin_path(m);
	snprintf(prog, sizeof(prog), "%s/" HS_PROG_PIN, pin_dir);
	paths[n++] = prog;
	paths[n++] = pin_dir;   /* last: the directory */
	for (i = 0; i < n; i++) {
		mode_t mode = i == n - 1 ? (shared ? 0750 : 0700) : (shared ? 0440 : 0600);

		if ((shared && chown(paths[i], (uid_t)-1, gid)) || chmod(paths[i], mode)) {
			int err = -errno;

			pr_warn("Couldn't set the access of '%s': %s", paths[i], strerror(errno));
			return err;
		}
	}
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

int hs_pin_get(const char *pin_dir, const char *name)
{
	LIBBPF_OPTS(bpf_obj_get_opts, o, .file_flags = BPF_F_RDONLY);
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", pin_dir, name);
	fd = bpf_obj_get_opts(path, &o);
	return fd < 0 ? -errno : fd;
}

int hs_pin_open(const char *pin_dir, const char *map, int *fd)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", pin_dir, map);
	*fd = hs_pin_get(pin_dir, map);
	if (*fd < 0) {
		int err = *fd;

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
