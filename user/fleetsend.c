// SPDX-License-Identifier: BSD-3-Clause
/*
 * The fleet sink. A window's close writes its batch (one row per
 * fingerprint of each kind, sketches in the hll extension's format) into
 * the spool and returns: the database never holds up a window. A thread
 * sends the spool oldest first, each batch in one transaction:
 *
 *   SELECT hydrascope.partition_for(window)       the day's partition
 *   INSERT INTO hydrascope.batches ... ON CONFLICT DO NOTHING
 *                                                  0 rows: applied before
 *   COPY hs_stage FROM STDIN                       the rows, text format
 *   INSERT INTO hydrascope.rows SELECT ... FROM hs_stage
 *          ON CONFLICT DO UPDATE                   counts added, sketches
 *   COMMIT                                         unioned
 *
 * then removes the file. A batch keeps its id across retries, so one
 * whose COMMIT went through unacknowledged is not applied twice. An
 * unreachable database: the files wait, the sender retries with a
 * backoff, one line says it went and one that it came back.
 *
 * A batch file: a first line of fixed width ("HSBATCH1 ID NROWS", patched
 * once the rows are written), "host NAME", "window START_S WINDOW_S", an
 * empty line, then the rows exactly as COPY reads them.
 */
#define _GNU_SOURCE  /* qsort_r */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <libpq-fe.h>
#include <openssl/evp.h>

#include "fleetsend.h"
#include "fleetdb.h"
#include "fps.h"
#include "hll.h"
#include "log.h"
#include "spool.h"
#include "util.h"

#define NS 1000000000ULL
#define MS 1000000ULL
#define CONNECT_S 10          /* a connection attempt, at most */
#define IO_S 60               /* the database silent this long: the connection goes */
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_S 30      /* and at most a window */
#define CHUNK 65536
#define ID_HEX 32
#define HEAD1 "HSBATCH1 "
#define HEAD1_LEN (sizeof(HEAD1) - 1 + ID_HEX + 1 + 10 + 1)

/* ---- options ----------------------------------------------------------- */

static int opt_url(const struct hs_opt *o, const char *arg, void *dst)
{
	char err[512];

	(void)o;
	if (fleetdb_url_check(arg, err, sizeof(err))) {
		pr_warn("--fleet: %s", err);
		return -1;
	}
	*(const char **)dst = arg;
	return 0;
}

/* a name for COPY's rows and for a header line: no control characters */
static bool host_ok(const char *s)
{
	size_t n = strlen(s), i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return n > 0 && n <= FLEET_HOST_MAX;
}

static int opt_host(const struct hs_opt *o, const char *arg, void *dst)
{
	char shown[4 * 64 + 1];

	(void)o;
	if (!host_ok(arg)) {
		fmt_bytes(arg, strnlen(arg, 64), shown, sizeof(shown));
		pr_warn("invalid --fleet-host '%s' (1-%d characters, no control characters)", shown,
			FLEET_HOST_MAX);
		return -1;
	}
	*(const char **)dst = arg;
	return 0;
}

#define FO(m) HS_AT(struct fleet_opts, m)
const struct hs_opt hs_fleet_opts[] = {
	{ .name = "fleet", .arg = "URL", .kind = HS_OPT_FUNC, .parse = opt_url, FO(url),
	  .help = "send each window's rows to the fleet database\n"
		  "(a libpq URL without a password: ~/.pgpass,\n"
		  "PGPASSFILE or a service file hold it)" },
	{ .name = "fleet-host", .arg = "NAME", .kind = HS_OPT_FUNC, .parse = opt_host, FO(host),
	  .help = "this host's name in the fleet (default: the\nhost name)" },
	{ .name = "fleet-spool", .arg = "DIR", .kind = HS_OPT_STR, FO(spool),
	  .help = "where windows wait for the database (made\n"
		  "0700; run: STATE_DIR/fleet-IFACE, replay: a\n"
		  "new temporary directory)" },
	{ .name = "fleet-spool-max", .arg = "MIB", .kind = HS_OPT_UINT, FO(spool_mib),
	  .min = 1, .max = 1 << 20, .hint = "1-1048576 MiB",
	  .help = "the spool's bound: past it the oldest windows\n"
		  "go (default " HS_OPT_STRINGIFY(FLEET_SPOOL_MIB) ")" },
	{ 0 }
};
#undef FO

int fleet_opts_check(const struct fleet_opts *o)
{
	if (!o->url && (o->host || o->spool || o->spool_mib)) {
		pr_warn("the --fleet-* options need --fleet");
		return -1;
	}
	return 0;
}

/* ---- COPY text ----------------------------------------------------------- */

/* The length of the valid UTF-8 sequence at p, or 0. */
static size_t utf8_len(const unsigned char *p)
{
	unsigned char c = p[0];
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	/* no overlong forms, surrogates or code points past U+10FFFF */
	if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) ||
	    (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
		return 0;
	for (i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

size_t fleet_copy_text(char *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, n;

	while (*p) {
		switch (*p) {
		case '\\': out[o++] = '\\'; out[o++] = '\\'; p++; continue;
		case '\t': out[o++] = '\\'; out[o++] = 't'; p++; continue;
		case '\n': out[o++] = '\\'; out[o++] = 'n'; p++; continue;
		case '\r': out[o++] = '\\'; out[o++] = 'r'; p++; continue;
		}
		n = utf8_len(p);
		if (!n) {
			out[o++] = '?';
			p++;
			continue;
		}
		memcpy(out + o, p, n);
		o += n;
		p += n;
	}
	out[o] = '\0';
	return o;
}

/* ---- the sink ------------------------------------------------------------ */

struct fleet_sink {
	char *url;
	char host[FLEET_HOST_MAX + 1];
	bool replay;
	struct spool *spool;
	int wake;                   /* eventfd: a batch spooled, or stop */
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;         /* what follows, to the sender's own */
	pthread_cond_t cv;          /* the first connection's verdict */
	struct fleet_stats st;      /* but spooled, spool_bytes: the spool's */
	int first;                  /* FIRST_*: the first connection */
	char err[1024];             /* the last error */
	bool stop;
	__u64 stop_at;              /* CLOCK_MONOTONIC: the sender gives up then */
	unsigned int backoff_cap_ms;
	/* the sender's own */
	PGconn *db;
	bool said;                  /* a failure said, its end not yet */
	unsigned int backoff_ms;
	/* the window closes' own */
	bool disk_said;             /* a window that could not be written, said */
	bool bound_said;            /* windows dropped past the bound, said */
};
enum { FIRST_NONE = -2, FIRST_FATAL = -1, FIRST_OK = 0, FIRST_FAILED = 1 };

static void wake(struct fleet_sink *s)
{
	__u64 one = 1;

	if (write(s->wake, &one, sizeof(one)) < 0)
		pr_debug("fleet: wake: %s", strerror(errno));
}

struct fleet_sink *fleet_sink_open(const struct fleet_opts *o, const char *spool_dir,
				   bool replay, bool *made)
{
	struct fleet_sink *s = calloc(1, sizeof(*s));
	size_t max = (size_t)(o->spool_mib ? o->spool_mib : FLEET_SPOOL_MIB) << 20;
	char err[PATH_MAX + 200];

	*made = false;
	if (!s || !(s->url = strdup(o->url))) {
		pr_warn("fleet: out of memory");
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->wake = -1;
	s->replay = replay;
	s->first = FIRST_NONE;
	s->backoff_cap_ms = BACKOFF_MAX_S * 1000;
	s->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (o->host) {
		snprintf(s->host, sizeof(s->host), "%s", o->host);
	} else if (gethostname(s->host, sizeof(s->host)) || !host_ok(s->host)) {
		pr_warn("fleet: no usable host name (%s): name this host with --fleet-host",
			strerror(errno));
		goto fail;
	}
	if (s->wake < 0) {
		pr_warn("fleet: Couldn't create eventfd: %s", strerror(errno));
		goto fail;
	}
	s->spool = spool_open(spool_dir, max, made, err, sizeof(err));
	if (!s->spool) {
		pr_warn("fleet: %s", err);
		goto fail;
	}
	return s;
fail:
	fleet_sink_free(s, false);
	return NULL;
}

const char *fleet_sink_host(const struct fleet_sink *s)
{
	return s->host;
}

void fleet_sink_stats(struct fleet_sink *s, struct fleet_stats *st)
{
	pthread_mutex_lock(&s->mu);
	*st = s->st;
	pthread_mutex_unlock(&s->mu);
	spool_count(s->spool, &st->spooled, &st->spool_bytes);
}

/* ---- writing a batch ----------------------------------------------------- */

struct fleet_batch {
	struct fleet_sink *s;
	struct spool_tmp t;
	unsigned long long start_s;
	unsigned int window_s;
	size_t nrows;
	EVP_MD_CTX *md;             /* replay: the id is the content's digest */
	int err;                    /* the first error (errno) */
	size_t n;
	char buf[CHUNK];
};

static void flush_buf(struct fleet_batch *b)
{
	size_t off = 0;
	ssize_t w;

	while (!b->err && off < b->n) {
		w = write(b->t.fd, b->buf + off, b->n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			b->err = w < 0 ? errno : EIO;
		else
			off += (size_t)w;
	}
	b->n = 0;
}

static void put(struct fleet_batch *b, const void *p, size_t n)
{
	const char *c = p;
	size_t k;

	if (b->md)
		EVP_DigestUpdate(b->md, p, n);
	while (n && !b->err) {
		if (b->n == sizeof(b->buf))
			flush_buf(b);
		k = sizeof(b->buf) - b->n < n ? sizeof(b->buf) - b->n : n;
		memcpy(b->buf + b->n, c, k);
		b->n += k;
		c += k;
		n -= k;
	}
}

static void put_str(struct fleet_batch *b, const char *s)
{
	put(b, s, strlen(s));
}

/* a text field, escaped; NULL or empty: NULL */
static void put_text(struct fleet_batch *b, const char *s)
{
	char small[1024], *out;
	size_t need;

	if (!s || !*s) {
		put_str(b, "\\N");
		return;
	}
	need = 2 * strlen(s) + 1;
	out = need <= sizeof(small) ? small : malloc(need);
	if (!out) {
		b->err = ENOMEM;
		return;
	}
	put(b, out, fleet_copy_text(out, s));
	if (out != small)
		free(out);
}

static void put_u64(struct fleet_batch *b, unsigned long long v)
{
	char num[24];

	put(b, num, (size_t)snprintf(num, sizeof(num), "%llu", v));
}

/* a sketch as the extension's text, "\x" and hex (the backslash escaped
 * for COPY); NULL: NULL */
static void put_hll(struct fleet_batch *b, const __u8 *reg)
{
	static const char hex[] = "0123456789abcdef";
	char text[3 + 2 * HLL_PG_LEN];
	__u8 pg[HLL_PG_LEN];
	size_t i, n;

	if (!reg) {
		put_str(b, "\\N");
		return;
	}
	n = hll_pg_encode(reg, pg);
	memcpy(text, "\\\\x", 3);
	for (i = 0; i < n; i++) {
		text[3 + 2 * i] = hex[pg[i] >> 4];
		text[4 + 2 * i] = hex[pg[i] & 15];
	}
	put(b, text, 3 + 2 * n);
}

struct fleet_batch *fleet_batch_new(struct fleet_sink *s, unsigned long long start_s,
				    unsigned int window_s)
{
	struct fleet_batch *b = calloc(1, sizeof(*b));
	char head[HEAD1_LEN + 1];
	int rc;

	if (!b)
		return NULL;
	b->s = s;
	b->start_s = start_s;
	b->window_s = window_s;
	rc = spool_create(s->spool, &b->t);
	if (rc)
		b->err = -rc;
	/* the first line, patched at the end: not in the digest */
	memset(head, ' ', HEAD1_LEN);
	head[HEAD1_LEN - 1] = '\n';
	put(b, head, HEAD1_LEN);
	if (s->replay) {
		b->md = EVP_MD_CTX_new();
		if (!b->md || !EVP_DigestInit_ex(b->md, EVP_sha256(), NULL))
			b->err = ENOMEM;
	}
	put_str(b, "host ");
	put_str(b, s->host);
	put_str(b, "\nwindow ");
	put_u64(b, start_s);
	put_str(b, " ");
	put_u64(b, window_s);
	put_str(b, "\n\n");
	return b;
}

void fleet_batch_row(struct fleet_batch *b, enum fp_kind kind, const struct det_obs *o,
		     const __u8 *const *sk, unsigned int nsk, const __u8 *const *acct)
{
	if (!b || nsk < 2)
		return;
	put_str(b, fleet_kind_name(kind));
	put_str(b, "\t");
	put_text(b, o->name);
	put_str(b, "\t");
	put_text(b, o->detail);
	put_str(b, "\t");
	put_u64(b, o->conns);
	put_str(b, "\t");
	put_u64(b, o->unvalidated);
	put_str(b, "\t");
	put_u64(b, o->novel_ips);
	put_str(b, "\t");
	put_u64(b, o->novel_site);
	put_str(b, "\t");
	put_u64(b, o->novel_nets);
	put_str(b, "\t");
	put_u64(b, o->tags);
	put_str(b, "\t");
	put_hll(b, sk[0]);
	put_str(b, "\t");
	put_hll(b, sk[1]);
	put_str(b, "\t");
	put_hll(b, nsk > 2 ? sk[2] : NULL);
	put_str(b, "\t");
	put_hll(b, acct ? acct[0] : NULL);
	put_str(b, "\t");
	put_hll(b, acct ? acct[1] : NULL);
	put_str(b, "\n");
	b->nrows++;
}

/* The batch's id: the digest of what follows the first line (replay), or
 * random (run); as hex into id. */
static int batch_id(struct fleet_batch *b, char id[ID_HEX + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (b->md) {
		if (!EVP_DigestFinal_ex(b->md, md, &mdlen) || mdlen < ID_HEX / 2)
			return -EIO;
	} else if (getrandom(md, ID_HEX / 2, 0) != ID_HEX / 2) {
		return -errno;
	}
	for (i = 0; i < ID_HEX / 2; i++)
		sprintf(id + 2 * i, "%02x", md[i]);
	return 0;
}

/* A batch that could not be written: counted, said once until one is. */
static void batch_lost(struct fleet_sink *s, int err)
{
	pthread_mutex_lock(&s->mu);
	s->st.dropped_disk++;
	pthread_mutex_unlock(&s->mu);
	if (!s->disk_said)
		pr_warn("fleet: Couldn't write a window into the spool %s: %s; windows are "
			"dropped until it can", spool_dir(s->spool), strerror(err));
	s->disk_said = true;
}

int fleet_batch_end(struct fleet_batch *b)
{
	char head[HEAD1_LEN + 1], id[ID_HEX + 1], name[SPOOL_NAME_MAX];
	struct fleet_sink *s;
	unsigned int dropped = 0;
	int rc;

	if (!b)
		return -1;
	s = b->s;
	flush_buf(b);
	rc = b->err ? -b->err : batch_id(b, id);
	if (!rc) {
		snprintf(head, sizeof(head), HEAD1 "%s %10zu\n", id, b->nrows);
		if (pwrite(b->t.fd, head, HEAD1_LEN, 0) != (ssize_t)HEAD1_LEN)
			rc = -errno;
	}
	if (!rc) {
		snprintf(name, sizeof(name), "%012llu-%s" SPOOL_SUFFIX, b->start_s, id);
		rc = spool_commit(s->spool, &b->t, name, &dropped);
	} else if (b->t.fd >= 0) {
		spool_abort(s->spool, &b->t);
	}
	EVP_MD_CTX_free(b->md);
	free(b);
	if (rc) {
		batch_lost(s, -rc);
		return -1;
	}
	if (s->disk_said)
		pr_info("fleet: windows written into the spool %s again", spool_dir(s->spool));
	s->disk_said = false;
	if (dropped) {
		pthread_mutex_lock(&s->mu);
		s->st.dropped_bound += dropped;
		pthread_mutex_unlock(&s->mu);
		if (!s->bound_said)
			pr_warn("fleet: the spool %s is full (--fleet-spool-max): its oldest windows "
				"are dropped to make room", spool_dir(s->spool));
	}
	s->bound_said = dropped > 0;
	wake(s);
	return 0;
}

static int by_row_name(const void *a, const void *b, void *rows)
{
	const struct det_obs *o = rows;

	return strcmp(o[*(const size_t *)a].name, o[*(const size_t *)b].name);
}

/* The rows of one kind in name order (map order varies from one run to
 * the next; a replay's batch id is its content's digest): an array of n
 * row indexes, or NULL (out of memory: map order). */
static size_t *name_order(const struct det_obs *rows, size_t n)
{
	size_t *ix = malloc((n ? n : 1) * sizeof(*ix)), i;

	if (!ix)
		return NULL;
	for (i = 0; i < n; i++)
		ix[i] = i;
	qsort_r(ix, n, sizeof(*ix), by_row_name, (void *)rows);
	return ix;
}

void fleet_sink_window(void *ctx, const struct win_read *r)
{
	struct fleet_sink *s = ctx;
	__u64 len = (__u64)r->window_s * NS;
	struct fleet_batch *b;
	const __u8 *sk[3], *acct[2];
	unsigned int nsk;
	size_t i, j, *ix;
	int k;

	if (!r->window_s || r->end_ns < len)
		return;         /* no packet yet (replay): no window */
	/* aligned: the window that ended at the last multiple of its length
	 * (run's tick comes a little after it) */
	b = fleet_batch_new(s, (r->end_ns / len) * r->window_s - r->window_s, r->window_s);
	if (!b) {
		batch_lost(s, ENOMEM);
		return;
	}
	for (k = FP_TLS; k <= FP_PAIR; k++) {
		if (!r->rd[k])
			continue;
		ix = name_order(r->rows[k], r->n[k]);
		for (j = 0; j < r->n[k]; j++) {
			i = ix ? ix[j] : j;
			nsk = fpr_sketches(r->rd[k], i, sk);
			fleet_batch_row(b, (enum fp_kind)k, &r->rows[k][i], sk, nsk,
					fpr_account_sketches(r->rd[k], i, acct) ? NULL : acct);
		}
		free(ix);
	}
	pthread_mutex_lock(&s->mu);
	/* retries at most once a window */
	s->backoff_cap_ms = r->window_s < BACKOFF_MAX_S ? r->window_s * 1000 : BACKOFF_MAX_S * 1000;
	pthread_mutex_unlock(&s->mu);
	fleet_batch_end(b);
}

/* ---- the sender: waiting ------------------------------------------------- */

/* The time the sender gives up waiting at: deadline, or stop's if sooner. */
static __u64 give_up_at(struct fleet_sink *s, __u64 deadline)
{
	__u64 at = deadline;

	pthread_mutex_lock(&s->mu);
	if (s->stop && s->stop_at < at)
		at = s->stop_at;
	pthread_mutex_unlock(&s->mu);
	return at;
}

static bool stopping(struct fleet_sink *s)
{
	bool stop;

	pthread_mutex_lock(&s->mu);
	stop = s->stop;
	pthread_mutex_unlock(&s->mu);
	return stop;
}

/* Wait for fd (POLLIN, POLLOUT; -1: none) or a wake-up, until deadline
 * (or stop's): 0 ready or woken, -1 the time is up. */
static int wait_for(struct fleet_sink *s, int fd, short events, __u64 deadline)
{
	struct pollfd p[2] = { { .fd = s->wake, .events = POLLIN }, { .fd = fd, .events = events } };
	__u64 now = clock_ns(CLOCK_MONOTONIC), at = give_up_at(s, deadline), v;
	int rc;

	if (now >= at)
		return -1;
	rc = poll(p, fd >= 0 ? 2 : 1, (int)((at - now + MS - 1) / MS));
	if (rc > 0 && (p[0].revents & POLLIN) && read(s->wake, &v, sizeof(v)) < 0)
		v = 0;
	return rc == 0 ? -1 : 0;
}

/* The database's socket ready for events, until deadline: 0, or -1 (the
 * time is up: err says so). */
static int wait_db(struct fleet_sink *s, PGconn *db, short events, __u64 deadline,
		   char *err, size_t errlen)
{
	int fd = PQsocket(db);

	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };

		if (fd < 0) {
			snprintf(err, errlen, "the database connection is gone");
			return -1;
		}
		if (poll(&p, 1, 0) > 0)
			return 0;
		if (wait_for(s, fd, events, deadline)) {
			snprintf(err, errlen, stopping(s) ? "stopped while the database was busy" :
				 "the database did not answer for %d s", IO_S);
			return -1;
		}
	}
}

/* ---- the sender: statements ---------------------------------------------- */

static __u64 io_deadline(void)
{
	return clock_ns(CLOCK_MONOTONIC) + IO_S * NS;
}

/* What is queued, sent: 0 or -1 (err). */
static int flush_db(struct fleet_sink *s, PGconn *db, char *err, size_t errlen)
{
	int rc;

	while ((rc = PQflush(db)) == 1) {
		if (wait_db(s, db, POLLIN | POLLOUT, io_deadline(), err, errlen))
			return -1;
		if (!PQconsumeInput(db))
			break;
	}
	if (rc) {
		fleetdb_err(db, NULL, "sending", err, errlen);
		return -1;
	}
	return 0;
}

/* The results of what was sent, read: the first error's, else the last
 * (a COPY IN's at once); NULL on a timeout or a lost connection (err). */
static PGresult *results(struct fleet_sink *s, PGconn *db, char *err, size_t errlen)
{
	PGresult *keep = NULL, *r;
	ExecStatusType st;

	for (;;) {
		while (PQisBusy(db)) {
			if (wait_db(s, db, POLLIN, io_deadline(), err, errlen)) {
				PQclear(keep);
				return NULL;
			}
			if (!PQconsumeInput(db)) {
				fleetdb_err(db, NULL, "the fleet database", err, errlen);
				PQclear(keep);
				return NULL;
			}
		}
		r = PQgetResult(db);
		if (!r)
			break;
		st = PQresultStatus(r);
		if (st == PGRES_COPY_IN) {
			PQclear(keep);
			return r;
		}
		if (keep && PQresultStatus(keep) == PGRES_FATAL_ERROR) {
			PQclear(r);
			continue;
		}
		PQclear(keep);
		keep = r;
	}
	if (!keep)
		fleetdb_err(db, NULL, "the fleet database", err, errlen);
	return keep;
}

/* One statement, params as text: its result (PQclear it) if it went
 * well (want: its status), else NULL with err ("what: the error"). */
static PGresult *run_sql(struct fleet_sink *s, PGconn *db, const char *what, const char *sql,
			 int n, const char *const *params, ExecStatusType want, char *err,
			 size_t errlen, char *sqlstate)
{
	PGresult *r;

	if (!PQsendQueryParams(db, sql, n, NULL, params, NULL, NULL, 0)) {
		fleetdb_err(db, NULL, what, err, errlen);
		return NULL;
	}
	if (flush_db(s, db, err, errlen) || !(r = results(s, db, err, errlen)))
		return NULL;
	if (PQresultStatus(r) != want) {
		fleetdb_err(db, r, what, err, errlen);
		if (sqlstate && PQresultErrorField(r, PG_DIAG_SQLSTATE))
			snprintf(sqlstate, 6, "%s", PQresultErrorField(r, PG_DIAG_SQLSTATE));
		PQclear(r);
		return NULL;
	}
	return r;
}

static int run_cmd(struct fleet_sink *s, PGconn *db, const char *what, const char *sql,
		   int n, const char *const *params, char *err, size_t errlen, char *sqlstate)
{
	PGresult *r = run_sql(s, db, what, sql, n, params, PGRES_COMMAND_OK, err, errlen,
			      sqlstate);
	int rc = r ? 0 : -1;

	PQclear(r);
	return rc;
}

/* ---- the sender: connecting ---------------------------------------------- */

/* the rows of a batch, before they go into hydrascope.rows */
static const char stage_sql[] =
	"CREATE TEMP TABLE IF NOT EXISTS hs_stage (kind text, name text, detail text, "
	"conns bigint, unvalidated bigint, novel_ips bigint, novel_site bigint, "
	"novel_nets bigint, tags bigint, ips hll, nets hll, stacks hll, accounts hll, "
	"tagged_ips hll) ON COMMIT DELETE ROWS";

/* The server's notices (a partition another host made first): -v. */
static void notice(void *arg, const char *msg)
{
	(void)arg;
	pr_debug("fleet database: %.*s", (int)strcspn(msg, "\n"), msg);
}

/* A connection, checked, in non-blocking mode, the staging table made; or
 * NULL with err and *fatal when the database is not one to send to. */
static PGconn *db_connect(struct fleet_sink *s, bool *fatal, char *err, size_t errlen)
{
	/* ours first: the URL's own settings win */
	const char *const kw[] = { "application_name", "client_encoding", "dbname", NULL };
	const char *const val[] = { "hydrascope", "UTF8", s->url, NULL };
	__u64 deadline = clock_ns(CLOCK_MONOTONIC) + CONNECT_S * NS;
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	PGconn *db = PQconnectStartParams(kw, val, 1);
	PGresult *r;

	*fatal = false;
	if (!db) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	PQsetNoticeProcessor(db, notice, NULL);
	while (PQstatus(db) != CONNECTION_BAD && st != PGRES_POLLING_OK &&
	       st != PGRES_POLLING_FAILED) {
		if (wait_db(s, db, st == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline,
			    err, errlen))
			goto fail;
		st = PQconnectPoll(db);
	}
	if (PQstatus(db) != CONNECTION_OK) {
		fleetdb_err(db, NULL, "Couldn't connect to the fleet database", err, errlen);
		goto fail;
	}
	if (fleetdb_check(db, err, errlen)) {
		*fatal = PQstatus(db) == CONNECTION_OK;
		goto fail;
	}
	r = PQexec(db, stage_sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fleetdb_err(db, r, "the fleet database", err, errlen);
		PQclear(r);
		goto fail;
	}
	PQclear(r);
	if (PQsetnonblocking(db, 1)) {
		fleetdb_err(db, NULL, "the fleet database", err, errlen);
		goto fail;
	}
	return db;
fail:
	PQfinish(db);
	return NULL;
}

/* ---- the sender: a batch ------------------------------------------------- */

struct head {
	char id[ID_HEX + 1];
	unsigned long long nrows, start_s;
	unsigned int window_s;
	char host[FLEET_HOST_MAX + 1];
};

/* A batch file's header read (f left at its rows): 0 or -1. */
static int head_read(FILE *f, struct head *h)
{
	char line[FLEET_HOST_MAX + 16], nl[2];
	size_t n;

	if (!fgets(line, sizeof(line), f) || strlen(line) != HEAD1_LEN ||
	    sscanf(line, HEAD1 "%32[0-9a-f] %llu", h->id, &h->nrows) != 2 ||
	    strlen(h->id) != ID_HEX)
		return -1;
	if (!fgets(line, sizeof(line), f) || strncmp(line, "host ", 5))
		return -1;
	n = strlen(line);
	if (n < 7 || line[n - 1] != '\n' || n - 6 > FLEET_HOST_MAX)
		return -1;
	memcpy(h->host, line + 5, n - 6);
	h->host[n - 6] = '\0';
	if (!host_ok(h->host))
		return -1;
	if (!fgets(line, sizeof(line), f) ||
	    sscanf(line, "window %llu %u", &h->start_s, &h->window_s) != 2 || !h->window_s)
		return -1;
	return fgets(nl, sizeof(nl), f) && nl[0] == '\n' ? 0 : -1;
}

/* The rows that follow in f, through COPY: 0 or -1 (err). */
static int copy_rows(struct fleet_sink *s, PGconn *db, FILE *f, const struct head *h,
		     char *err, size_t errlen, char *sqlstate)
{
	PGresult *r = run_sql(s, db, "COPY", "COPY hs_stage FROM STDIN", 0, NULL, PGRES_COPY_IN,
			      err, errlen, sqlstate);
	char *buf;
	size_t n;
	int rc = 0;

	if (!r)
		return -1;
	PQclear(r);
	buf = malloc(CHUNK);
	while (buf && rc >= 0 && (n = fread(buf, 1, CHUNK, f)) > 0)
		rc = PQputCopyData(db, buf, (int)n) == 1 ? flush_db(s, db, err, errlen) : -1;
	if (rc >= 0 && (!buf || ferror(f)))
		rc = PQputCopyEnd(db, "the batch file could not be read") == 1 ? 1 : -1;
	else if (rc >= 0)
		rc = PQputCopyEnd(db, NULL) == 1 ? 0 : -1;
	free(buf);
	if (rc < 0 || flush_db(s, db, err, errlen)) {
		if (!*err)
			fleetdb_err(db, NULL, "COPY", err, errlen);
		return -1;
	}
	r = results(s, db, err, errlen);
	if (!r)
		return -1;
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fleetdb_err(db, r, "COPY", err, errlen);
		if (PQresultErrorField(r, PG_DIAG_SQLSTATE))
			snprintf(sqlstate, 6, "%s", PQresultErrorField(r, PG_DIAG_SQLSTATE));
		PQclear(r);
		return -1;
	}
	if (strtoull(PQcmdTuples(r), NULL, 10) != h->nrows) {
		snprintf(err, errlen, "COPY: %s rows, the batch says %llu", PQcmdTuples(r), h->nrows);
		memcpy(sqlstate, "22000", 6);   /* the file is wrong: never better */
		PQclear(r);
		return -1;
	}
	PQclear(r);
	return 0;
}

/* the staged rows into their window's, added to what other batches of
 * the host (restarts within a window) put there */
static const char upsert_sql[] =
	"INSERT INTO hydrascope.rows AS r (window_start, window_s, host, kind, name, detail, "
	"conns, unvalidated, novel_ips, novel_site, novel_nets, tags, ips, nets, stacks, "
	"accounts, tagged_ips) "
	"SELECT to_timestamp($1::bigint), $2::integer, $3, kind, name, detail, conns, "
	"unvalidated, novel_ips, novel_site, novel_nets, tags, ips, nets, stacks, accounts, "
	"tagged_ips FROM hs_stage "
	"ON CONFLICT (window_start, kind, name, host) DO UPDATE SET "
	"detail = COALESCE(excluded.detail, r.detail), "
	"conns = r.conns + excluded.conns, "
	"unvalidated = r.unvalidated + excluded.unvalidated, "
	"novel_ips = r.novel_ips + excluded.novel_ips, "
	"novel_site = r.novel_site + excluded.novel_site, "
	"novel_nets = r.novel_nets + excluded.novel_nets, "
	"tags = r.tags + excluded.tags, "
	"ips = hll_union(r.ips, excluded.ips), "
	"nets = hll_union(r.nets, excluded.nets), "
	"stacks = COALESCE(hll_union(r.stacks, excluded.stacks), r.stacks, excluded.stacks), "
	"accounts = COALESCE(hll_union(r.accounts, excluded.accounts), r.accounts, "
	"excluded.accounts), "
	"tagged_ips = COALESCE(hll_union(r.tagged_ips, excluded.tagged_ips), r.tagged_ips, "
	"excluded.tagged_ips)";

enum sent { SENT, ALREADY, FAILED, REJECTED };

/* The batch's transaction, begun: SENT or ALREADY when it committed. */
static enum sent transaction(struct fleet_sink *s, PGconn *db, FILE *f, const struct head *h,
			     char *err, size_t errlen, char *sqlstate)
{
	char start[24], win[16], nrows[24];
	const char *const p_part[] = { start };
	const char *const p_batch[] = { h->host, h->id, start, win, nrows };
	const char *const p_rows[] = { start, win, h->host };
	PGresult *r;
	bool fresh;

	snprintf(start, sizeof(start), "%llu", h->start_s);
	snprintf(win, sizeof(win), "%u", h->window_s);
	snprintf(nrows, sizeof(nrows), "%llu", h->nrows);
	r = run_sql(s, db, "partition_for",
		    "SELECT hydrascope.partition_for(to_timestamp($1::bigint))", 1, p_part,
		    PGRES_TUPLES_OK, err, errlen, sqlstate);
	if (!r)
		return FAILED;
	PQclear(r);
	r = run_sql(s, db, "INSERT INTO hydrascope.batches",
		    "INSERT INTO hydrascope.batches (host, batch, window_start, window_s, nrows) "
		    "VALUES ($1, $2, to_timestamp($3::bigint), $4::integer, $5::integer) "
		    "ON CONFLICT DO NOTHING", 5, p_batch, PGRES_COMMAND_OK, err, errlen, sqlstate);
	if (!r)
		return FAILED;
	fresh = strcmp(PQcmdTuples(r), "0") != 0;
	PQclear(r);
	if (fresh && (copy_rows(s, db, f, h, err, errlen, sqlstate) ||
		      run_cmd(s, db, "INSERT INTO hydrascope.rows", upsert_sql, 3, p_rows, err,
			      errlen, sqlstate)))
		return FAILED;
	if (run_cmd(s, db, "COMMIT", "COMMIT", 0, NULL, err, errlen, sqlstate))
		return FAILED;
	return fresh ? SENT : ALREADY;
}

/* The spool's file name sent: what became of it. */
static enum sent send_batch(struct fleet_sink *s, const char *name, struct head *h,
			    char *err, size_t errlen)
{
	char sqlstate[6] = "", ignored[256];
	int fd = spool_open_file(s->spool, name);
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	enum sent rc;

	if (!f) {
		snprintf(err, errlen, "Couldn't read %s/%s: %s", spool_dir(s->spool), name,
			 strerror(fd < 0 ? -fd : errno));
		if (fd >= 0)
			close(fd);
		return REJECTED;
	}
	if (head_read(f, h)) {
		snprintf(err, errlen, "%s/%s is no batch of ours", spool_dir(s->spool), name);
		fclose(f);
		return REJECTED;
	}
	rc = run_cmd(s, s->db, "BEGIN", "BEGIN", 0, NULL, err, errlen, sqlstate) ? FAILED :
	     transaction(s, s->db, f, h, err, errlen, sqlstate);
	fclose(f);
	if (rc != FAILED || PQstatus(s->db) != CONNECTION_OK)
		return rc;
	/* an error on a live connection: rolled back; data the database
	 * refuses (class 22) never goes through: set aside */
	if (PQtransactionStatus(s->db) != PQTRANS_IDLE &&
	    run_cmd(s, s->db, "ROLLBACK", "ROLLBACK", 0, NULL, ignored, sizeof(ignored), NULL)) {
		PQfinish(s->db);
		s->db = NULL;
	}
	return !strncmp(sqlstate, "22", 2) ? REJECTED : FAILED;
}

/* ---- the sender: the loop ------------------------------------------------ */

static void first_verdict(struct fleet_sink *s, int v)
{
	pthread_mutex_lock(&s->mu);
	if (s->first == FIRST_NONE || s->first == FIRST_FAILED) {
		s->first = v;
		pthread_cond_broadcast(&s->cv);
	}
	pthread_mutex_unlock(&s->mu);
}

/* A failure: counted, the connection dropped unless it still works, said
 * once until something works again (replay says it at the end). */
static void failed(struct fleet_sink *s, const char *err, bool count)
{
	size_t n, bytes;

	if (s->db && PQstatus(s->db) != CONNECTION_OK) {
		PQfinish(s->db);
		s->db = NULL;
	}
	pthread_mutex_lock(&s->mu);
	s->st.up = false;
	if (count)
		s->st.send_errors++;
	snprintf(s->err, sizeof(s->err), "%s", err);
	pthread_mutex_unlock(&s->mu);
	if (s->said)
		return;
	s->said = true;
	spool_count(s->spool, &n, &bytes);
	if (s->replay)
		pr_debug("fleet: %s", err);
	else
		pr_warn("fleet: %s; windows wait in %s (%zu now)", err, spool_dir(s->spool), n);
}

static void worked(struct fleet_sink *s)
{
	size_t n, bytes;

	pthread_mutex_lock(&s->mu);
	s->st.up = true;
	pthread_mutex_unlock(&s->mu);
	s->backoff_ms = 0;
	if (!s->said)
		return;
	s->said = false;
	spool_count(s->spool, &n, &bytes);
	if (s->replay)
		pr_debug("fleet: the database answers again");
	else
		pr_info("fleet: the database takes windows again; sending the %zu waiting", n);
}

/* After a failure: wait, longer each time (up to a window, or 30 s). */
static void backoff(struct fleet_sink *s)
{
	unsigned int cap;

	pthread_mutex_lock(&s->mu);
	cap = s->backoff_cap_ms;
	pthread_mutex_unlock(&s->mu);
	s->backoff_ms = !s->backoff_ms ? BACKOFF_MIN_MS : s->backoff_ms * 2;
	if (s->backoff_ms > cap)
		s->backoff_ms = cap;
	/* a window spooled meanwhile wakes it: waited out again */
	for (__u64 at = clock_ns(CLOCK_MONOTONIC) + s->backoff_ms * MS; !wait_for(s, -1, 0, at);)
		if (stopping(s))
			return;
}

/* Connected, or a try said and counted: 0 or -1. */
static int ensure_db(struct fleet_sink *s)
{
	char err[1024];
	bool fatal;

	if (s->db)
		return 0;
	s->db = db_connect(s, &fatal, err, sizeof(err));
	if (s->db) {
		first_verdict(s, FIRST_OK);
		worked(s);
		return 0;
	}
	pthread_mutex_lock(&s->mu);
	snprintf(s->err, sizeof(s->err), "%s", err);
	pthread_mutex_unlock(&s->mu);
	first_verdict(s, fatal ? FIRST_FATAL : FIRST_FAILED);
	failed(s, err, true);
	return -1;
}

static void sent(struct fleet_sink *s, enum sent rc, const struct head *h)
{
	pthread_mutex_lock(&s->mu);
	if (rc == SENT || rc == ALREADY) {   /* ALREADY: an earlier try's, unacknowledged */
		s->st.windows_sent++;
		s->st.rows_sent += h->nrows;
	} else if (rc == REJECTED) {
		s->st.rejected++;
	}
	pthread_mutex_unlock(&s->mu);
}

static void *sender(void *arg)
{
	struct fleet_sink *s = arg;
	char name[SPOOL_NAME_MAX], err[1024];
	struct head h;
	enum sent rc;

	if (ensure_db(s))       /* the first verdict (and line) at once */
		backoff(s);
	for (;;) {
		/* stopping: what the time given allows, unless it is failing */
		if (stopping(s) && (s->said ||
				    clock_ns(CLOCK_MONOTONIC) >= give_up_at(s, UINT64_MAX)))
			break;
		if (spool_take(s->spool, name, sizeof(name))) {
			if (stopping(s))
				break;
			wait_for(s, -1, 0, UINT64_MAX);
			continue;
		}
		if (ensure_db(s)) {
			spool_release(s->spool, name, SPOOL_KEEP);
			backoff(s);
			continue;
		}
		err[0] = '\0';
		rc = send_batch(s, name, &h, err, sizeof(err));
		spool_release(s->spool, name, rc == FAILED ? SPOOL_KEEP :
			      rc == REJECTED ? SPOOL_REJECT : SPOOL_REMOVE);
		sent(s, rc, &h);
		if (rc == REJECTED)
			pr_warn("fleet: %s; set aside as %s/%s.rejected", err, spool_dir(s->spool), name);
		else if (rc == ALREADY)
			pr_debug("fleet: %s was applied before", name);
		if (rc == FAILED) {
			failed(s, err, true);
			backoff(s);
		} else {
			worked(s);
		}
	}
	PQfinish(s->db);
	s->db = NULL;
	return NULL;
}

/* ---- starting and stopping ----------------------------------------------- */

int fleet_sink_start(struct fleet_sink *s)
{
	int err = pthread_create(&s->thread, NULL, sender, s);

	if (err) {
		pr_warn("fleet: Couldn't start the sender: %s", strerror(err));
		return -1;
	}
	s->started = true;
	return 0;
}

int fleet_sink_ready(struct fleet_sink *s, unsigned int ms, char *err, size_t errlen)
{
	struct timespec at;
	int v;

	clock_gettime(CLOCK_REALTIME, &at);
	at.tv_sec += ms / 1000;
	at.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (at.tv_nsec >= 1000000000L) {
		at.tv_sec++;
		at.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->mu);
	while (s->first == FIRST_NONE && s->started &&
	       pthread_cond_timedwait(&s->cv, &s->mu, &at) != ETIMEDOUT)
		;
	v = s->first == FIRST_NONE ? FIRST_FAILED : s->first;
	snprintf(err, errlen, "%s", s->err);
	pthread_mutex_unlock(&s->mu);
	return v;
}

void fleet_sink_stop(struct fleet_sink *s, unsigned int ms)
{
	size_t n, bytes;

	if (!s || !s->started)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	s->stop_at = clock_ns(CLOCK_MONOTONIC) + ms * MS;
	pthread_mutex_unlock(&s->mu);
	wake(s);
	pthread_join(s->thread, NULL);
	s->started = false;
	spool_count(s->spool, &n, &bytes);
	if (n && !s->replay)
		pr_info("fleet: %zu windows (%zu KiB) not sent yet: left in %s for the next start",
			n, (bytes + 1023) >> 10, spool_dir(s->spool));
}

int fleet_sink_drain(struct fleet_sink *s, unsigned int stall_ms)
{
	struct timespec tick = { .tv_nsec = 20 * 1000 * 1000 };
	__u64 last = clock_ns(CLOCK_MONOTONIC);
	unsigned long long done = ~0ULL, lost;
	struct fleet_stats st;
	char also[256] = "";

	for (;;) {
		fleet_sink_stats(s, &st);
		if (!st.spooled || !s->started)
			break;
		if (st.windows_sent + st.rejected != done) {
			done = st.windows_sent + st.rejected;
			last = clock_ns(CLOCK_MONOTONIC);
		} else if (clock_ns(CLOCK_MONOTONIC) - last >= stall_ms * MS) {
			break;
		}
		nanosleep(&tick, NULL);
	}
	fleet_sink_stop(s, 0);
	fleet_sink_stats(s, &st);
	lost = st.dropped_bound + st.dropped_disk + st.rejected;
	if (lost)
		snprintf(also, sizeof(also), "%s%llu windows lost (%llu past --fleet-spool-max, "
			 "%llu not written, %llu refused by the database)", st.spooled ? "; " : "",
			 lost, st.dropped_bound, st.dropped_disk, st.rejected);
	if (!st.spooled && !lost)
		return 0;
	pthread_mutex_lock(&s->mu);
	if (st.spooled)
		pr_warn("fleet: %zu windows not sent: the database took none in %u s (%s); they "
			"are left in %s%s", st.spooled, stall_ms / 1000,
			s->err[0] ? s->err : "no answer", spool_dir(s->spool), also);
	else
		pr_warn("fleet: %s", also);
	pthread_mutex_unlock(&s->mu);
	return -1;
}

void fleet_sink_free(struct fleet_sink *s, bool rm_empty)
{
	size_t n = 1, bytes;
	char *dir = NULL;

	if (!s)
		return;
	fleet_sink_stop(s, 0);
	if (s->spool) {
		spool_count(s->spool, &n, &bytes);
		if (rm_empty && !n)
			dir = strdup(spool_dir(s->spool));
	}
	spool_close(s->spool);
	if (dir)
		rmdir(dir);
	free(dir);
	if (s->wake >= 0)
		close(s->wake);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s->url);
	free(s);
}
