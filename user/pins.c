// SPDX-License-Identifier: BSD-3-Clause
/*
 * The pin directory of a running instance: the bpffs mount it needs, what
 * it may hold (checked before a run loads), the layout marker, the links
 * pinned for hand-overs, access for a readers' group, and opening pins.
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

#include "bpfobj.h"
#include "log.h"
#include "pins.h"
#include "hs_bpf.skel.h"

/* The maps that outlive a run: what dump/status read, and the flows and
 * ClientHellos in progress (a restarted run's program carries them on);
 * bit i of a pin set (HS_PIN_*) is map i. */
static struct bpf_map *pinned_maps(struct hs_bpf *skel, int i)
{
	struct bpf_map *m[] = { skel->maps.tcp_fps, skel->maps.tls_fps, skel->maps.stats,
				skel->maps.enforce, skel->maps.flows, skel->maps.reasm,
				skel->maps.tcp_known, skel->maps.pairs, skel->maps.seen,
				skel->maps.conns, skel->maps.names, skel->maps.accounts,
				skel->maps.quic_flows, skel->maps.quic_user };

	return i < (int)(sizeof(m) / sizeof(m[0])) ? m[i] : NULL;
}

/* The name of pin bit b (HS_PIN_*) in a pin directory; NULL: none. */
static const char *pin_name(struct hs_bpf *skel, int b)
{
	struct bpf_map *m = b < HS_PIN_NMAPS ? pinned_maps(skel, b) : NULL;

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

int hs_pins_set_paths(struct hs_bpf *skel, const char *pin_dir)
{
	char path[PATH_MAX];
	struct bpf_map *m;
	int i, err;

	for (i = 0; (m = pinned_maps(skel, i)); i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_dir, bpf_map__name(m));
		/* libbpf reuses a compatible pinned map (hs_pins_check has
		 * made sure it is), creates and pins the others */
		err = bpf_map__set_pin_path(m, path);
		if (err)
			return err;
	}
	return 0;
}

int hs_prog_pin(struct hs_bpf *skel, const char *pin_dir)
{
	char path[PATH_MAX];
	int err;

	/* a pin left by a killed run is replaced */
	snprintf(path, sizeof(path), "%s/" HS_PROG_PIN, pin_dir);
	unlink(path);
	err = bpf_program__pin(hs_xdp_prog(skel), path);
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

/* bpffs mounted on /sys/fs/bpf: in the mount namespace of pid 1 every
 * command sees it; in another (ip netns exec makes one, with a /sys of
 * its own) only the commands in that namespace do: said. */
static void bpffs_mounted(void)
{
	struct stat self, init;

	if (!stat("/proc/self/ns/mnt", &self) && !stat("/proc/1/ns/mnt", &init) &&
	    self.st_dev == init.st_dev && self.st_ino == init.st_ino) {
		pr_info("mounted bpffs on /sys/fs/bpf");
		return;
	}
	pr_warn("mounted bpffs on /sys/fs/bpf in this mount namespace only (ip netns exec makes "
		"one): dump, status, top and exporter see these maps only from inside it "
		"(nsenter -t %d -m -n hydrascope ...); 'nsenter --net=/run/netns/NS hydrascope "
		"run' keeps the host's /sys/fs/bpf", (int)getpid());
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

			pr_warn("Couldn't mount bpffs on /sys/fs/bpf: %s%s", strerror(errno),
				errno == EPERM ? " (needs root, or a bpffs there: "
						 "mount -t bpf bpf /sys/fs/bpf)" : "");
			return err;
		}
		bpffs_mounted();
	}
	*made = !mkdir(pin_dir, 0700);
	if (!*made && errno != EEXIST) {
		int err = -errno;

		pr_warn("Couldn't create pin directory '%s': %s%s", pin_dir, strerror(errno),
			errno == EACCES || errno == EPERM ? HS_PRIV_HINT : "");
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
			pr_warn("Couldn't open pinned map '%s': %s%s", path, strerror(-err),
				err == -EACCES || err == -EPERM ?
				" (needs root, or a group that 'hydrascope run --pin-group' "
				"shares the pins with)" : "");
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
