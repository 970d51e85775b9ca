// SPDX-License-Identifier: BSD-3-Clause
/*
 * An HTTPS API server in C that asks hydrascope about each connection (run
 * it in the cgroup given to `hydrascope run --sockopt-cgroup`): the
 * client's JA4 and TCP signature, read from its socket, and the connection
 * tagged with a keyed hash of its account (the X-Account header here).
 * One JSON line per connection to LOG; connections served one at a time.
 *
 *   sockopt_server CERT KEY HOST PORT LOG [HMAC_KEY_FILE]
 *
 * Build: cc -O2 -o sockopt_server sockopt_server.c -lssl -lcrypto
 *        (-I for hydrascope/sockopt.h, installed with hydrascope)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>

#include <hydrascope/sockopt.h>

/* The connection's JA4 and TCP signature into ja4 and sig; 0, or errno. */
static int fingerprint(int fd, struct hs_conn_fp *fp, char *ja4, char *sig)
{
	socklen_t len = sizeof(*fp);

	if (getsockopt(fd, SOL_HYDRASCOPE, HS_OPT_FP, fp, &len))
		return errno;          /* ENOENT: no record of this connection */
	len = HS_OPT_STR_MAX;
	if (getsockopt(fd, SOL_HYDRASCOPE, HS_OPT_JA4, ja4, &len))
		return errno;          /* EAGAIN: its name is not rendered yet */
	len = HS_OPT_STR_MAX;
	if (getsockopt(fd, SOL_HYDRASCOPE, HS_OPT_TCP_SIG, sig, &len))
		return errno;
	return 0;
}

/* Tag the connection with a keyed 64-bit hash of the account; 0, or errno. */
static int tag(int fd, const char *account, const unsigned char *key, int keylen)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	__u64 h;

	HMAC(EVP_sha256(), key, keylen, (const unsigned char *)account, strlen(account), mac,
	     &maclen);
	memcpy(&h, mac, sizeof(h));
	return setsockopt(fd, SOL_HYDRASCOPE, HS_OPT_ACCOUNT, &h, sizeof(h)) ? errno : 0;
}

/* The X-Account header's value of an HTTP request, into out. */
static void header_account(const char *req, char *out, size_t n)
{
	const char *p = req;

	*out = '\0';
	while ((p = strstr(p, "\r\n")) && p[2] != '\r') {
		p += 2;
		if (!strncasecmp(p, "X-Account:", 10)) {
			p += 10;
			while (*p == ' ')
				p++;
			snprintf(out, n, "%.*s", (int)strcspn(p, "\r\n"), p);
			return;
		}
	}
}

static void serve(SSL_CTX *ctx, int fd, const struct sockaddr_in *peer, FILE *log,
		  const unsigned char *key, int keylen)
{
	char req[8192], account[128], ja4[HS_OPT_STR_MAX] = "", sig[HS_OPT_STR_MAX] = "";
	char body[1024], resp[1200], ip[INET_ADDRSTRLEN];
	struct hs_conn_fp fp = { 0 };
	int n = 0, r, err, terr = -1;
	SSL *ssl = SSL_new(ctx);

	inet_ntop(AF_INET, &peer->sin_addr, ip, sizeof(ip));
	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) != 1) {
		fprintf(log, "{\"peer\": \"%s:%u\", \"fail\": \"handshake\"}\n", ip,
			ntohs(peer->sin_port));
		goto out;
	}
	while (n < (int)sizeof(req) - 1 && (r = SSL_read(ssl, req + n, (int)sizeof(req) - 1 - n)) > 0) {
		n += r;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	req[n] = '\0';
	/* EAGAIN: a fingerprint seen for the first time, its name not
	 * rendered yet: asked again, for up to a quarter of a second */
	for (r = 0; (err = fingerprint(fd, &fp, ja4, sig)) == EAGAIN && r < 50; r++)
		usleep(5000);
	header_account(req, account, sizeof(account));
	if (*account)
		terr = tag(fd, account, key, keylen);
	/* names come from hydrascope, a JSON string's characters (no quote or
	 * backslash in a JA4 or a p0f signature) */
	snprintf(body, sizeof(body),
		 "{\"ja4\": \"%s\", \"tcp_sig\": \"%s\", \"flags\": %u, \"error\": %s%s%s, "
		 "\"tagged\": %s, \"account\": \"%s\", \"peer\": \"%s:%u\"}",
		 ja4, sig, fp.flags, err ? "\"" : "", err ? strerror(err) : "null", err ? "\"" : "",
		 terr < 0 ? "null" : terr ? "false" : "true", account, ip, ntohs(peer->sin_port));
	snprintf(resp, sizeof(resp),
		 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
		 "Connection: close\r\n\r\n%s\n", strlen(body) + 1, body);
	SSL_write(ssl, resp, (int)strlen(resp));
	fprintf(log, "%s\n", body);
out:
	SSL_shutdown(ssl);
	SSL_free(ssl);
	close(fd);
}

int main(int argc, char **argv)
{
	unsigned char key[64] = "example key";
	int keylen = 11, ls, one = 1;
	struct sockaddr_in a = { .sin_family = AF_INET };
	SSL_CTX *ctx;
	FILE *log;

	if (argc < 6) {
		fprintf(stderr, "usage: %s CERT KEY HOST PORT LOG [HMAC_KEY_FILE]\n", argv[0]);
		return 2;
	}
	if (argc > 6) {
		FILE *k = fopen(argv[6], "rb");

		keylen = k ? (int)fread(key, 1, sizeof(key), k) : 0;
		if (k)
			fclose(k);
		if (keylen <= 0) {
			fprintf(stderr, "%s: can't read the key %s\n", argv[0], argv[6]);
			return 1;
		}
	}
	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, argv[1]) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, argv[2], SSL_FILETYPE_PEM) != 1) {
		fprintf(stderr, "%s: can't load %s and %s\n", argv[0], argv[1], argv[2]);
		return 1;
	}
	log = fopen(argv[5], "a");
	if (!log || inet_pton(AF_INET, argv[3], &a.sin_addr) != 1) {
		fprintf(stderr, "%s: bad log %s or address %s\n", argv[0], argv[5], argv[3]);
		return 1;
	}
	setvbuf(log, NULL, _IOLBF, 0);
	a.sin_port = htons((unsigned short)atoi(argv[4]));
	ls = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 512)) {
		fprintf(stderr, "%s: %s:%s: %s\n", argv[0], argv[3], argv[4], strerror(errno));
		return 1;
	}
	fprintf(log, "{\"listening\": \"%s:%s\"}\n", argv[3], argv[4]);
	for (;;) {
		struct sockaddr_in peer;
		socklen_t plen = sizeof(peer);
		int fd = accept(ls, (struct sockaddr *)&peer, &plen);

		if (fd >= 0)
			serve(ctx, fd, &peer, log, key, keylen);
	}
}
