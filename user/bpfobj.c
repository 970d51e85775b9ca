// SPDX-License-Identifier: BSD-3-Clause
/*
 * The BPF object's life: open the skeleton, set its read-only settings,
 * reuse or create pinned maps, load. Also the pin directory, the bpffs
 * mount it needs, and reading the per-CPU counters.
 */
#include <dirent.h>
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
		/* private maps, never pinned: entries allocated as they come
		 * (filling the free lists of every entry up front is a third of
		 * a short replay's time); enforcement is live only */
		bpf_map__set_map_flags(skel->maps.tcp_fps, BPF_F_NO_PREALLOC);
		bpf_map__set_map_flags(skel->maps.tls_fps, BPF_F_NO_PREALLOC);
		bpf_map__set_max_entries(skel->maps.enforce, 1);
	} else {
		/* live: no batches of captured frames */
		bpf_program__set_autoload(skel->progs.hs_replay, false);
		bpf_map__set_max_entries(skel->maps.replay_frames, 1);
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
	/* unknown TCP ids may take half the map in a window, over all CPUs;
	 * the map's size is the object's (a build may override the macro's) */
	ncpu = libbpf_num_possible_cpus();
	if (ncpu > 0)
		skel->rodata->tcp_new_cap =
			bpf_map__max_entries(skel->maps.tcp_fps) / 2 / (unsigned int)ncpu ?: 1;
	return skel;
}

/* The maps that outlive a run: what dump/status read, and the flows and
 * ClientHellos in progress (a restarted run's program carries them on);
 * bit i of a pin set (HS_PIN_*) is map i. */
static struct bpf_map *pinned_maps(struct hs_bpf *skel, int i)
{
	struct bpf_map *m[] = { skel->maps.tcp_fps, skel->maps.tls_fps, skel->maps.stats,
				skel->maps.enforce, skel->maps.flows, skel->maps.reasm,
				skel->maps.tcp_known };

	return i < (int)(sizeof(m) / sizeof(m[0])) ? m[i] : NULL;
}

/* The name of pin bit b (HS_PIN_*) in a pin directory; NULL: none. */
static const char *pin_name(struct hs_bpf *skel, int b)
{
	struct bpf_map *m = b < 8 ? pinned_maps(skel, b) : NULL;

	if (m)
		return bpf_map__name(m);
	switch (b < 32 ? 1u << b : 0) {
	case HS_PIN_META: return HS_META_PIN;
	case HS_PIN_PROG: return HS_PROG_PIN;
	case HS_PIN_LINK: return HS_LINK_PIN;
	case HS_PIN_EGRESS: return HS_EGRESS_PIN;
	}
	return NULL;
}

int hs_load(struct hs_bpf *skel, const char *pin_dir)
{
	char path[PATH_MAX];
	struct bpf_map *m;
	int i, err;

	for (i = 0; pin_dir && (m = pinned_maps(skel, i)); i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_dir, bpf_map__name(m));
		/* libbpf reuses a compatible pinned map (hs_pins_check has
		 * made sure it is), creates and pins the others */
		err = bpf_map__set_pin_path(m, path);
		if (err)
			return err;
	}
	err = hs_bpf__load(skel);
	if (err)
		pr_warn("Couldn't load the BPF program: %s%s", strerror(-err),
			hs_err_exit(err) == HS_EXIT_NOPRIV ? HS_PRIV_HINT :
			hs_verbose ? "" : " (run with -v for libbpf's explanation)");
	return err;
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

int hs_prog_pin(struct hs_bpf *skel, const char *pin_dir)
{
	char path[PATH_MAX];
	int err;

	/* a pin left by a killed run is replaced */
	snprintf(path, sizeof(path), "%s/" HS_PROG_PIN, pin_dir);
	unlink(path);
	err = bpf_program__pin(skel->progs.hs_xdp, path);
	if (err)
		pr_warn("Couldn't pin the program at '%s': %s", path, strerror(-err));
	return err;
}

/* Whether the pinned map fd is one m can reuse: libbpf's own test (type,
 * sizes, entries, flags), what differs said in one line. */
static int map_matches(int fd, const struct bpf_map *m, const char *path)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), got[5], want[5], i;
	static const char *const what[5] = {
		"type", "key size", "value size", "max entries", "flags",
	};

	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		int err = -errno;

		pr_warn("Couldn't read pinned map '%s': %s", path, strerror(errno));
		return err;
	}
	got[0] = info.type, want[0] = bpf_map__type(m);
	got[1] = info.key_size, want[1] = bpf_map__key_size(m);
	got[2] = info.value_size, want[2] = bpf_map__value_size(m);
	got[3] = info.max_entries, want[3] = bpf_map__max_entries(m);
	got[4] = info.map_flags, want[4] = bpf_map__map_flags(m);
	for (i = 0; i < 5; i++)
		if (got[i] != want[i]) {
			pr_warn("Pinned map '%s' is not this hydrascope's (%s %u, expected %u): "
				"left untouched", path, what[i], got[i], want[i]);
			return -EEXIST;
		}
	return 0;
}

/* The marker's value; 0, or -errno said in one line ending in tail (pins
 * of another layout, or not ours). */
static int meta_read(const char *pin_dir, struct hs_meta *meta, const char *tail)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), zero = 0;
	int fd = hs_pin_get(pin_dir, HS_META_PIN), err = 0;

	if (fd < 0) {
		if (fd == -ENOENT)
			pr_warn("Pin directory '%s' holds pins without a layout marker "
				"(another hydrascope's)%s", pin_dir, tail);
		else
			pr_warn("Couldn't open '%s/" HS_META_PIN "': %s", pin_dir, strerror(-fd));
		return fd == -ENOENT ? -EEXIST : fd;
	}
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.type != BPF_MAP_TYPE_ARRAY ||
	    info.key_size != sizeof(__u32) || info.value_size != sizeof(*meta) ||
	    bpf_map_lookup_elem(fd, &zero, meta) || meta->magic != HS_META_MAGIC) {
		pr_warn("'%s/" HS_META_PIN "' is not hydrascope's layout marker%s", pin_dir, tail);
		err = -EEXIST;
	} else if (meta->layout != HS_LAYOUT_VERSION) {
		pr_warn("Pin directory '%s' holds maps of layout %u, this hydrascope's are "
			"layout %u%s", pin_dir, meta->layout, HS_LAYOUT_VERSION, tail);
		err = -EEXIST;
	}
	close(fd);
	return err;
}

/*
 * The link pinned in pin_dir by an earlier run: its fd in p->link_fd if it
 * attaches the program on ifindex (to take over); left alone (-1) if its
 * interface is gone; refused (-EEXIST, said) if it is not an XDP link or
 * is on another interface.
 */
static int link_check(const char *pin_dir, int ifindex, struct hs_pins *p)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/" HS_LINK_PIN, pin_dir);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		err = -errno;
		pr_warn("Couldn't open '%s': %s%s", path, strerror(errno),
			hs_err_exit(err) == HS_EXIT_NOPRIV ? HS_PRIV_HINT : "");
		return err;
	}
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.type != BPF_LINK_TYPE_XDP) {
		pr_warn("'%s' is not an XDP link: left untouched", path);
		err = -EEXIST;
	} else if (info.xdp.ifindex && (info.xdp.ifindex != (__u32)ifindex ||
					bpf_xdp_query(ifindex, 0, &q) ||
					q.prog_id != info.prog_id)) {
		pr_warn("Pin directory '%s' belongs to a run on another interface (ifindex %u): "
			"left untouched", pin_dir, info.xdp.ifindex);
		err = -EEXIST;
	} else if (info.xdp.ifindex) {
		p->link_fd = fd;
		p->link_prog_id = info.prog_id;
		p->link_mode = q.attach_mode;
		return 0;
	}
	close(fd);
	return err;
}

#ifndef BPF_LINK_TYPE_TCX
#define BPF_LINK_TYPE_TCX 11    /* kernel 6.6; Debian 12's headers predate it */
#endif

/* The egress link pinned by an earlier run (beside its XDP link): its fd in
 * p->egress_fd, to take over; refused (-EEXIST, said) if it is not a tcx
 * link. */
static int egress_check(const char *pin_dir, struct hs_pins *p)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/" HS_EGRESS_PIN, pin_dir);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		int err = -errno;

		pr_warn("Couldn't open '%s': %s", path, strerror(errno));
		return err;
	}
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.type != BPF_LINK_TYPE_TCX) {
		pr_warn("'%s' is not a tcx link: left untouched", path);
		close(fd);
		return -EEXIST;
	}
	p->egress_fd = fd;
	return 0;
}

int hs_pins_check(struct hs_bpf *skel, const char *pin_dir, int ifindex, struct hs_pins *p)
{
	char path[PATH_MAX];
	struct dirent *e;
	struct bpf_map *m;
	const char *name;
	DIR *d = opendir(pin_dir);
	int b, fd, err = 0;

	memset(p, 0, sizeof(*p));
	p->link_fd = -1;
	p->egress_fd = -1;
	if (!d) {
		err = -errno;
		pr_warn("Couldn't read pin directory '%s': %s", pin_dir, strerror(errno));
		return err;
	}
	while (!err && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		for (b = 0; b < HS_PIN_BITS; b++)
			if ((name = pin_name(skel, b)) && !strcmp(name, e->d_name))
				break;
		if (b < HS_PIN_BITS)
			p->had |= 1u << b;
		else {
			pr_warn("Pin directory '%s' holds '%s', which is not hydrascope's: "
				"left untouched (choose another --pin-dir)", pin_dir, e->d_name);
			err = -EEXIST;
		}
	}
	closedir(d);
	if (err || !p->had)
		return err;
	err = meta_read(pin_dir, &p->meta, ": left untouched");
	for (b = 0; !err && (m = pinned_maps(skel, b)); b++) {
		if (!(p->had & (1u << b)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_dir, bpf_map__name(m));
		fd = bpf_obj_get(path);
		err = fd < 0 ? -errno : map_matches(fd, m, path);
		if (fd < 0)
			pr_warn("Couldn't open pinned map '%s': %s", path, strerror(-err));
		else
			close(fd);
	}
	if (!err && (p->had & HS_PIN_LINK))
		err = link_check(pin_dir, ifindex, p);
	if (!err && (p->had & HS_PIN_EGRESS))
		err = egress_check(pin_dir, p);
	return err;
}

int hs_link_pin(int link_fd, const char *pin_dir, const char *name)
{
	char path[PATH_MAX];
	int err = 0;

	/* a link left by a killed run whose interface is gone is replaced */
	snprintf(path, sizeof(path), "%s/%s", pin_dir, name);
	unlink(path);
	if (bpf_obj_pin(link_fd, path)) {
		err = -errno;
		pr_warn("Couldn't pin the link at '%s': %s", path, strerror(errno));
	}
	return err;
}

int hs_meta_open(const char *pin_dir, __u32 gen)
{
	char path[PATH_MAX];
	int fd, err;

	snprintf(path, sizeof(path), "%s/" HS_META_PIN, pin_dir);
	fd = bpf_obj_get(path);
	if (fd < 0 && errno == ENOENT) {
		fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "hs_meta", sizeof(__u32),
				    sizeof(struct hs_meta), 1, NULL);
		if (fd >= 0 && bpf_obj_pin(fd, path)) {
			err = errno;
			close(fd);
			fd = -1;
			errno = err;
		}
	}
	err = fd < 0 ? -errno : hs_meta_set(fd, gen);
	if (err) {
		pr_warn("Couldn't write the layout marker '%s': %s%s", path, strerror(-err),
			hs_err_exit(err) == HS_EXIT_NOPRIV ? HS_PRIV_HINT : "");
		if (fd >= 0)
			close(fd);
		return err;
	}
	return fd;
}

int hs_meta_set(int fd, __u32 gen)
{
	struct hs_meta meta = { .magic = HS_META_MAGIC, .layout = HS_LAYOUT_VERSION, .gen = gen };
	__u32 zero = 0;

	return bpf_map_update_elem(fd, &zero, &meta, BPF_ANY) ? -errno : 0;
}

void hs_pins_remove(struct hs_bpf *skel, const char *pin_dir, unsigned int which)
{
	char path[PATH_MAX];
	const char *name;
	int b;

	for (b = 0; b < HS_PIN_BITS; b++)
		if ((which & (1u << b)) && (name = pin_name(skel, b))) {
			snprintf(path, sizeof(path), "%s/%s", pin_dir, name);
			unlink(path);
		}
}

/* chown to gid (unless -1) and chmod path; 0 or -errno (said). */
static int set_access(const char *path, gid_t gid, mode_t mode)
{
	if ((gid != (gid_t)-1 && chown(path, (uid_t)-1, gid)) || chmod(path, mode)) {
		int err = -errno;

		pr_warn("Couldn't set the access of '%s': %s", path, strerror(errno));
		return err;
	}
	return 0;
}

int hs_pin_access(struct hs_bpf *skel, const char *pin_dir, gid_t gid)
{
	bool shared = gid != (gid_t)-1;
	char path[PATH_MAX];
	const char *name;
	int b, err;

	for (b = 0; b < HS_PIN_BITS; b++) {
		if (!(name = pin_name(skel, b)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_dir, name);
		if (access(path, F_OK) && errno == ENOENT)
			continue;       /* e.g. no egress link (--handshake syn) */
		err = set_access(path, gid, shared ? 0440 : 0600);
		if (err)
			return err;
	}
	return set_access(pin_dir, gid, shared ? 0750 : 0700);
}

/* Make sure DIR exists on a BPF filesystem, mounting /sys/fs/bpf if needed. */
int hs_pin_dir_prepare(const char *pin_dir, bool *made)
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
	*made = !mkdir(pin_dir, 0700);
	if (!*made && errno != EEXIST) {
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
	struct hs_meta meta;
	char path[PATH_MAX];
	int err;

	snprintf(path, sizeof(path), "%s/%s", pin_dir, map);
	*fd = hs_pin_get(pin_dir, map);
	if (*fd < 0) {
		err = *fd;
		if (err == -ENOENT)
			pr_warn("No hydrascope maps in '%s' (is 'hydrascope run' running?)",
				pin_dir);
		else
			pr_warn("Couldn't open pinned map '%s': %s", path, strerror(-err));
		return err;
	}
	/* values of another layout would be read as ours */
	err = meta_read(pin_dir, &meta, "");
	if (err) {
		close(*fd);
		*fd = -1;
	}
	return err;
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
