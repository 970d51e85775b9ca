// SPDX-License-Identifier: BSD-3-Clause
/*
 * What asking the socket costs (`make bench`): the sockopt programs of
 * `run --sockopt-cgroup` attached to a cgroup made for the run, this
 * process moved into it, a TCP connection over loopback whose record is
 * put in the conns map (the XDP program never sees loopback), then per
 * call, the median of RUNS runs of CALLS calls:
 *   getsockopt(SO_RCVBUF) outside the cgroup: the baseline;
 *   getsockopt(SO_RCVBUF) inside: an option the programs pass through;
 *   getsockopt(SOL_HYDRASCOPE, HS_OPT_FP / HS_OPT_JA4), and
 *   setsockopt(SOL_HYDRASCOPE, HS_OPT_ACCOUNT) (a record and the window's
 *   three account sketches updated).
 * Output: one "name value unit" line per figure, the ratios against the
 * baseline measured in the same run.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfobj.h"
#include "hs_bpf.skel.h"
#include "hs_hash.h"

#define CALLS 200000
#define RUNS 5

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

enum call { GET_RCVBUF, GET_FP, GET_JA4, SET_ACCOUNT };

/* Median ns per call of c on fd. */
static double timed(int fd, enum call c)
{
	double r[RUNS];
	int k, i;

	for (k = 0; k < RUNS; k++) {
		double t0 = now_ns();

		for (i = 0; i < CALLS; i++) {
			char buf[HS_OPT_STR_MAX];
			socklen_t len = sizeof(buf);
			__u64 acct = (__u64)i;
			int rc;

			if (c == GET_RCVBUF)
				rc = getsockopt(fd, SOL_SOCKET, SO_RCVBUF, buf, &len);
			else if (c == GET_FP)
				rc = getsockopt(fd, SOL_HYDRASCOPE, HS_OPT_FP, buf, &len);
			else if (c == GET_JA4)
				rc = getsockopt(fd, SOL_HYDRASCOPE, HS_OPT_JA4, buf, &len);
			else
				rc = setsockopt(fd, SOL_HYDRASCOPE, HS_OPT_ACCOUNT, &acct, 8);
			if (rc) {
				fprintf(stderr, "bench_sockopt: call %d: %s\n", c, strerror(errno));
				exit(1);
			}
		}
		r[k] = (now_ns() - t0) / CALLS;
	}
	qsort(r, RUNS, sizeof(r[0]), cmp_d);
	return r[RUNS / 2];
}

/* A connected pair over loopback: the accepted end in *srv, the client's
 * port in *cport. 0 or -1. */
static int conn_pair(int *srv, int *cli, __u16 *cport)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int ls = socket(AF_INET, SOCK_STREAM, 0);

	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 1) ||
	    getsockname(ls, (struct sockaddr *)&a, &len))
		return -1;
	*cli = socket(AF_INET, SOCK_STREAM, 0);
	if (*cli < 0 || connect(*cli, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	*srv = accept(ls, NULL, NULL);
	close(ls);
	len = sizeof(a);
	if (*srv < 0 || getsockname(*cli, (struct sockaddr *)&a, &len))
		return -1;
	*cport = ntohs(a.sin_port);
	return 0;
}

static int write_pid(const char *dir)
{
	char path[4200], pid[32];
	int fd, n, ok;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	n = snprintf(pid, sizeof(pid), "%d", getpid());
	ok = write(fd, pid, (size_t)n) == n;
	close(fd);
	return ok ? 0 : -1;
}

int main(void)
{
	char root[4096] = "", cg[4200], line[8192];
	struct bpf_link *lg = NULL, *ls = NULL;
	struct hs_config cfg = { 0 };
	struct hs_bpf *skel;
	double base, in_rcvbuf, fp, ja4, acct;
	int srv, cli, cgfd, rc = 1;
	__u16 cport;
	FILE *m;

	libbpf_set_print(NULL);
	m = fopen("/proc/mounts", "r");
	while (m && fgets(line, sizeof(line), m)) {
		char dev[256], dir[4096], type[64];

		if (sscanf(line, "%255s %4095s %63s", dev, dir, type) == 3 &&
		    !strcmp(type, "cgroup2")) {
			snprintf(root, sizeof(root), "%s", dir);
			break;
		}
	}
	if (m)
		fclose(m);
	if (!*root) {
		fprintf(stderr, "bench_sockopt: no cgroup v2 mount\n");
		return 1;
	}
	skel = hs_open(&cfg);
	if (!skel)
		return 1;
	bpf_program__set_autoload(skel->progs.hs_getsockopt, true);
	bpf_program__set_autoload(skel->progs.hs_setsockopt, true);
	if (hs_load(skel, NULL)) {
		fprintf(stderr, "bench_sockopt: couldn't load the programs (root needed)\n");
		return 1;
	}
	/* the baseline, outside any cgroup of ours */
	if (conn_pair(&srv, &cli, &cport)) {
		fprintf(stderr, "bench_sockopt: loopback connection: %s\n", strerror(errno));
		return 1;
	}
	base = timed(srv, GET_RCVBUF);
	close(srv);
	close(cli);

	snprintf(cg, sizeof(cg), "%s/hs-bench-%d", root, getpid());
	if (mkdir(cg, 0755) || (cgfd = open(cg, O_RDONLY | O_DIRECTORY)) < 0) {
		fprintf(stderr, "bench_sockopt: cgroup %s: %s\n", cg, strerror(errno));
		goto out;
	}
	lg = bpf_program__attach_cgroup(skel->progs.hs_getsockopt, cgfd);
	ls = bpf_program__attach_cgroup(skel->progs.hs_setsockopt, cgfd);
	close(cgfd);
	if (!lg || !ls || write_pid(cg)) {
		fprintf(stderr, "bench_sockopt: attach or join %s: %s\n", cg, strerror(errno));
		goto out;
	}
	/* sockets made in the cgroup are its */
	if (conn_pair(&srv, &cli, &cport)) {
		fprintf(stderr, "bench_sockopt: loopback connection: %s\n", strerror(errno));
		goto out;
	}
	{
		struct hs_conn_key k = { .sport = cport, .family = 4 };
		struct hs_conn v = { .dport = 0, .tcp_id = 0x1234, .stack_id = 0x5678,
				     .tls_id = 0x9abc, .flags = HS_CF_SYN | HS_CF_TLS };
		struct hs_name_key nk = { .id = 0x9abc, .kind = HS_NAME_TLS };
		struct hs_name nv = { .len = 36 };
		__u32 lo = htonl(INADDR_LOOPBACK);
		struct sockaddr_in a;
		socklen_t len = sizeof(a);

		memcpy(k.saddr, &lo, 4);
		memcpy(v.daddr, &lo, 4);
		getsockname(srv, (struct sockaddr *)&a, &len);
		v.dport = ntohs(a.sin_port);
		memcpy(nv.s, "t13d1516h2_8daaf6152771_02713d6af862", 36);
		struct hs_conn_set set = { 0 };
		__u32 i;

		set.way[0].key = k;
		set.way[0].c = v;
		i = hs_conn_set(&k, HS_CONN_SETS);
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.conns), &i, &set, BPF_ANY) ||
		    bpf_map_update_elem(bpf_map__fd(skel->maps.names), &nk, &nv, BPF_ANY)) {
			fprintf(stderr, "bench_sockopt: the record: %s\n", strerror(errno));
			goto out;
		}
	}
	in_rcvbuf = timed(srv, GET_RCVBUF);
	fp = timed(srv, GET_FP);
	ja4 = timed(srv, GET_JA4);
	acct = timed(srv, SET_ACCOUNT);
	printf("sockopt_calls %d per run, median of %d runs\n", CALLS, RUNS);
	printf("sockopt_rcvbuf_outside_ns %.0f ns\n", base);
	printf("sockopt_rcvbuf_inside_ns %.0f ns\n", in_rcvbuf);
	printf("sockopt_rcvbuf_inside_ratio %.2f x\n", in_rcvbuf / base);
	printf("sockopt_get_fp_ns %.0f ns\n", fp);
	printf("sockopt_get_fp_ratio %.2f x\n", fp / base);
	printf("sockopt_get_ja4_ns %.0f ns\n", ja4);
	printf("sockopt_get_ja4_ratio %.2f x\n", ja4 / base);
	printf("sockopt_set_account_ns %.0f ns\n", acct);
	printf("sockopt_set_account_ratio %.2f x\n", acct / base);
	close(srv);
	close(cli);
	rc = 0;
out:
	/* back to the root cgroup, then the links and the cgroup go */
	write_pid(root);
	bpf_link__destroy(lg);
	bpf_link__destroy(ls);
	rmdir(cg);
	hs_bpf__destroy(skel);
	return rc;
}
