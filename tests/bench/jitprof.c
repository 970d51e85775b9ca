// SPDX-License-Identifier: BSD-3-Clause
/*
 * jitprof ID IMAGE (tests/bench/profile.sh): the machine code the kernel's
 * JIT made of loaded BPF program ID, its functions one after the other,
 * written to IMAGE; on stdout a line per function, "ADDRESS LENGTH": its
 * kernel address (hex, as /proc/kallsyms names it) and its bytes in IMAGE.
 * bpftool does the same only when built with libbfd, which Debian's is not.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

int main(int argc, char **argv)
{
	struct bpf_prog_info info = {}, full = {};
	__u32 len = sizeof(info), i, n, nf, nk;
	__u64 *ksyms;
	__u32 *lens;
	__u8 *img;
	FILE *f;
	char *end;
	long id;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: jitprof PROG_ID IMAGE\n");
		return 2;
	}
	id = strtol(argv[1], &end, 10);
	if (end == argv[1] || *end || id <= 0) {
		fprintf(stderr, "jitprof: not a program id: %s\n", argv[1]);
		return 2;
	}
	fd = bpf_prog_get_fd_by_id((__u32)id);
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len)) {
		fprintf(stderr, "jitprof: program %ld: %s\n", id, strerror(errno));
		return 1;
	}
	n = info.jited_prog_len;
	nk = info.nr_jited_ksyms;
	nf = info.nr_jited_func_lens;
	if (!n || !nk || nk != nf) {
		fprintf(stderr, "jitprof: program %ld: no JIT image to read (root, and "
			"net.core.bpf_jit_kallsyms?)\n", id);
		return 1;
	}
	img = malloc(n);
	ksyms = calloc(nk, sizeof(*ksyms));
	lens = calloc(nf, sizeof(*lens));
	if (!img || !ksyms || !lens) {
		fprintf(stderr, "jitprof: out of memory\n");
		return 1;
	}
	full.jited_prog_len = n;
	full.jited_prog_insns = (__u64)(unsigned long)img;
	full.nr_jited_ksyms = nk;
	full.jited_ksyms = (__u64)(unsigned long)ksyms;
	full.nr_jited_func_lens = nf;
	full.jited_func_lens = (__u64)(unsigned long)lens;
	len = sizeof(full);
	if (bpf_obj_get_info_by_fd(fd, &full, &len)) {
		fprintf(stderr, "jitprof: program %ld: %s\n", id, strerror(errno));
		return 1;
	}
	f = fopen(argv[2], "w");
	if (!f || fwrite(img, 1, n, f) != n || fclose(f)) {
		fprintf(stderr, "jitprof: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	for (i = 0; i < nk; i++)
		printf("%llx %u\n", (unsigned long long)ksyms[i], lens[i]);
	return 0;
}
