// SPDX-License-Identifier: BSD-3-Clause
/*
 * The lookup socket's rate and its baselines (tests/bench/bench_lookup.sh):
 *
 *   bench_lookup map PIN_DIR CLIENT S
 *       conn_get of CLIENT's record in the pinned conns map (two lookups
 *       of its set), in a loop for S seconds: lookups a second (the
 *       kernel's part alone)
 *   bench_lookup echo N S LINE
 *       an echo server of ours on a unix socket (one thread, poll, as the
 *       lookup socket's) and N clients, each sending LINE and waiting for
 *       its echo, for S seconds: requests a second (the transport alone)
 *   bench_lookup socket PATH N S LINE
 *       the same against the lookup socket at PATH: requests a second;
 *       every answer must be a lookup's, not an error (the rate limit off:
 *       run --lookup-socket-rate 0)
 *
 * Each prints one number.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <bpf/bpf.h>

#include "conninfo.h"
#include "pins.h"

#define CLIENTS_MAX 64

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmd_map(const char *pin_dir, const char *client, double secs)
{
	struct conn_side side;
	struct hs_conn_key k;
	struct hs_conn v;
	unsigned long long n = 0;
	double t0, t;
	int fd, i, nsets;

	if (conn_side_parse(client, &side)) {
		fprintf(stderr, "bench_lookup: bad client '%s'\n", client);
		return 2;
	}
	k = conn_key(&side);
	fd = hs_pin_get(pin_dir, "conns");
	nsets = fd < 0 ? -1 : conn_sets_of(fd);
	if (nsets < 0 || conn_get(fd, (__u32)nsets, &k, &v)) {
		fprintf(stderr, "bench_lookup: no record of %s in %s\n", client, pin_dir);
		return 1;
	}
	t0 = now_s();
	do {
		for (i = 0; i < 1000; i++)
			n += !conn_get(fd, (__u32)nsets, &k, &v);
		t = now_s();
	} while (t - t0 < secs);
	printf("%.0f\n", (double)n / (t - t0));
	close(fd);
	return 0;
}

struct client {
	pthread_t th;
	const char *path, *line;
	double secs;
	bool lookup;          /* answers must be lookups */
	unsigned long long n;
	int err;
};

static int unix_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* One answer line into buf; its length, or -1. */
static ssize_t read_line(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t r;

	while (len < cap) {
		r = read(fd, buf + len, cap - len);
		if (r <= 0)
			return -1;
		len += (size_t)r;
		if (buf[len - 1] == '\n')
			return (ssize_t)len;
	}
	return -1;
}

static void *client_run(void *arg)
{
	struct client *c = arg;
	size_t n = strlen(c->line);
	char req[600], buf[8192];
	double t0;
	ssize_t got;
	int fd = unix_connect(c->path);

	if (fd < 0) {
		c->err = errno;
		return NULL;
	}
	snprintf(req, sizeof(req), "%s\n", c->line);
	t0 = now_s();
	while (now_s() - t0 < c->secs) {
		if (write(fd, req, n + 1) != (ssize_t)(n + 1) ||
		    (got = read_line(fd, buf, sizeof(buf))) < 0) {
			c->err = errno ? errno : EPROTO;
			break;
		}
		if (c->lookup && strncmp(buf, "{\"client\":", 10)) {
			fprintf(stderr, "bench_lookup: not a lookup's answer: %.*s", (int)got, buf);
			c->err = EPROTO;
			break;
		}
		c->n++;
	}
	close(fd);
	return NULL;
}

/* n clients against path for secs: requests a second, or -1. */
static double clients(const char *path, int n, double secs, const char *line, bool lookup)
{
	struct client cl[CLIENTS_MAX] = { 0 };
	unsigned long long total = 0;
	double t0 = now_s(), t;
	int i, err = 0;

	for (i = 0; i < n; i++) {
		cl[i] = (struct client){ .path = path, .line = line, .secs = secs, .lookup = lookup };
		pthread_create(&cl[i].th, NULL, client_run, &cl[i]);
	}
	for (i = 0; i < n; i++) {
		pthread_join(cl[i].th, NULL);
		total += cl[i].n;
		if (cl[i].err)
			err = cl[i].err;
	}
	t = now_s() - t0;
	if (err) {
		fprintf(stderr, "bench_lookup: a client against %s: %s\n", path, strerror(err));
		return -1;
	}
	return (double)total / t;
}

/* The echo server: one thread, poll, every byte read written back. */
struct echo {
	int lfd, fds[CLIENTS_MAX], n;
	volatile bool stop;
};

static void *echo_run(void *arg)
{
	struct echo *e = arg;
	struct pollfd p[CLIENTS_MAX + 1];
	char buf[4096];
	ssize_t r;
	int i, k;

	while (!e->stop) {
		p[0] = (struct pollfd){ .fd = e->lfd, .events = POLLIN };
		for (i = 0; i < e->n; i++)
			p[i + 1] = (struct pollfd){ .fd = e->fds[i], .events = POLLIN };
		if (poll(p, (nfds_t)e->n + 1, 100) <= 0)
			continue;
		for (i = 0; i < e->n; i++) {
			if (!p[i + 1].revents)
				continue;
			r = recv(e->fds[i], buf, sizeof(buf), MSG_DONTWAIT);
			if (r > 0 && send(e->fds[i], buf, (size_t)r, MSG_NOSIGNAL) != r)
				r = -1;
			if (r == 0 || (r < 0 && errno != EAGAIN)) {
				close(e->fds[i]);
				e->fds[i] = -1;
			}
		}
		for (i = 0, k = 0; i < e->n; i++)
			if (e->fds[i] >= 0)
				e->fds[k++] = e->fds[i];
		e->n = k;
		if (p[0].revents && e->n < CLIENTS_MAX) {
			int fd = accept(e->lfd, NULL, NULL);

			if (fd >= 0)
				e->fds[e->n++] = fd;
		}
	}
	return NULL;
}

static int cmd_echo(int n, double secs, const char *line)
{
	char dir[] = "/tmp/bench_lookup.XXXXXX", path[64];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct echo e = { .lfd = -1 };
	pthread_t th;
	double qps;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/echo.sock", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	e.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (e.lfd < 0 || bind(e.lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(e.lfd, 128)) {
		fprintf(stderr, "bench_lookup: echo socket: %s\n", strerror(errno));
		return 1;
	}
	pthread_create(&th, NULL, echo_run, &e);
	qps = clients(path, n, secs, line, false);
	e.stop = true;
	pthread_join(th, NULL);
	while (e.n)
		close(e.fds[--e.n]);
	close(e.lfd);
	unlink(path);
	rmdir(dir);
	if (qps < 0)
		return 1;
	printf("%.0f\n", qps);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "map"))
		return cmd_map(argv[2], argv[3], atof(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "echo") && atoi(argv[2]) > 0 &&
	    atoi(argv[2]) <= CLIENTS_MAX)
		return cmd_echo(atoi(argv[2]), atof(argv[3]), argv[4]);
	if (argc == 6 && !strcmp(argv[1], "socket") && atoi(argv[3]) > 0 &&
	    atoi(argv[3]) <= CLIENTS_MAX) {
		double qps = clients(argv[2], atoi(argv[3]), atof(argv[4]), argv[5], true);

		if (qps < 0)
			return 1;
		printf("%.0f\n", qps);
		return 0;
	}
	fprintf(stderr, "usage: bench_lookup map PIN_DIR CLIENT S | echo N S LINE | "
		"socket PATH N S LINE\n");
	return 2;
}
