// SPDX-License-Identifier: BSD-3-Clause
/*
 * QUIC ClientHellos, from the Initials the XDP program hands over to the
 * hs_quic_hello program that counts them.
 *
 * Each HS_EV_QUIC_INITIAL record is a client datagram: the tracker (quic.c)
 * decrypts it and puts the CRYPTO frames of its connection together. A
 * complete ClientHello then waits, as a TLS record, for its flow's
 * validation: the HS_EV_QUIC_VALID record the program sends when the
 * client's Handshake packet carries the connection ID the server chose
 * (it comes after the hello: the server answers a whole hello). Validated,
 * it is counted at once; not validated within HS_REASM_TIMEOUT_NS (or at
 * the end of a capture), it is counted as unvalidated, as a TCP hello with
 * no handshake is. With --handshake none nothing waits.
 *
 * The waiting hellos sit in a fixed table (slots and bytes bounded): a
 * hello that needs room pushes out the one waiting longest near its slot
 * (counted unvalidated then), or, past the bytes, is counted unvalidated
 * at once. The work is
 * bounded by what the program hands over (its per-flow and per-CPU
 * budgets), never by what arrives.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "quichello.h"
#include "quic.h"
#include "hydrascope.h"
#include "log.h"
#include "hs_bpf.skel.h"

#define QH_SLOTS 8192                   /* hellos waiting at once (a power of two) */
#define QH_PROBE 16                     /* slots looked at per flow */
#define QH_BYTES_MAX (32u << 20)        /* their records' bytes at once */

_Static_assert((int)QUIC_R_MAX <= (int)HS_QU_DATAGRAMS, "quic reasons fit struct hs_quic_user");
_Static_assert((QH_SLOTS & (QH_SLOTS - 1)) == 0, "QH_SLOTS: a power of two");

/* A flow's hello waiting for its validation, or its validation waiting
 * for its hello (rec NULL, validated). */
struct qh_wait {
	struct hs_endpoints ep;
	__u64 ts_ns;                    /* the events' clock when it began waiting */
	__u8 *rec;                      /* the hello as one TLS record; NULL: none yet */
	__u32 len;
	__u16 packets;                  /* the Initials it came in */
	bool used, validated;
};

struct quic_hellos {
	struct quic_tracker *t;
	struct hs_reasm *buf;           /* the quic_hello map's value, mmapped */
	int prog_fd, user_fd;
	bool replay, now_count;         /* now_count: --handshake none */
	struct qh_wait w[QH_SLOTS];
	unsigned int waiting;           /* used slots */
	size_t bytes;                   /* their records' */
	__u64 last_ns;                  /* the latest event time: the tracker's clock */
	__u64 last_tick_ns;
	struct hs_quic_user u, u_written;
	struct hs_quic_user base;       /* an earlier run's, in the pinned map */
};

static bool same_flow(const struct hs_endpoints *a, const struct hs_endpoints *b)
{
	return a->family == b->family && a->sport == b->sport && a->dport == b->dport &&
	       !memcmp(a->saddr, b->saddr, a->family == 4 ? 4 : 16);
}

static unsigned int flow_hash(const struct hs_endpoints *ep)
{
	__u64 h = 0xcbf29ce484222325ULL;
	unsigned int i, n = ep->family == 4 ? 4 : 16;

	for (i = 0; i < n; i++)
		h = (h ^ ep->saddr[i]) * 0x100000001b3ULL;
	h = (h ^ ep->sport) * 0x100000001b3ULL;
	h = (h ^ ep->dport) * 0x100000001b3ULL;
	return (unsigned int)(h ^ (h >> 29));
}

static void count(struct quic_hellos *q, const struct hs_endpoints *ep, const __u8 *rec,
		  __u32 len, __u16 packets, bool validated, __u64 ts_ns);
static void slot_free(struct quic_hellos *q, struct qh_wait *s);

/* ep's slot, or (make) a new one for it: a free one within the probe, or
 * the one waiting longest there, its hello counted unvalidated (a flood
 * of hellos that never validate pushes out its own oldest: a real client
 * validates within a round trip). NULL: none. */
static struct qh_wait *slot_of(struct quic_hellos *q, const struct hs_endpoints *ep, bool make)
{
	unsigned int h = flow_hash(ep), i;
	struct qh_wait *free_slot = NULL, *oldest = NULL, *s;

	for (i = 0; i < QH_PROBE; i++) {
		s = &q->w[(h + i) & (QH_SLOTS - 1)];
		if (s->used && same_flow(&s->ep, ep))
			return s;
		if (!s->used && !free_slot)
			free_slot = s;
		if (s->used && (!oldest || s->ts_ns < oldest->ts_ns))
			oldest = s;
	}
	if (!make)
		return NULL;
	if (!free_slot && oldest) {
		if (oldest->rec) {
			count(q, &oldest->ep, oldest->rec, oldest->len, oldest->packets, false,
			      q->last_ns);
			q->u.c[HS_QU_PENDING_FULL]++;
		}
		slot_free(q, oldest);
		free_slot = oldest;
	}
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = true;
	free_slot->ep = *ep;
	q->waiting++;
	return free_slot;
}

static void slot_free(struct quic_hellos *q, struct qh_wait *s)
{
	if (s->rec) {
		q->bytes -= s->len;
		free(s->rec);
	}
	memset(s, 0, sizeof(*s));
	q->waiting--;
}

/* The hello (a TLS record) of ep through the hs_quic_hello program. */
static void count(struct quic_hellos *q, const struct hs_endpoints *ep, const __u8 *rec,
		  __u32 len, __u16 packets, bool validated, __u64 ts_ns)
{
	struct hs_quic_req r = {
		.ep = *ep, .len = len, .packets = packets, .validated = validated,
		.ts_ns = q->replay ? ts_ns : 0,
	};
	/* a syscall program's context is copied back into ctx_in */
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &r, .ctx_size_in = sizeof(r));

	if (len > HS_HELLO_LIMIT)
		return;         /* the tracker never makes one */
	memcpy(q->buf->buf, rec, len);
	if (bpf_prog_test_run_opts(q->prog_fd, &o))
		pr_debug("quic: the hs_quic_hello program failed: %s", strerror(errno));
	else if (r.result)
		pr_debug("quic: a ClientHello from port %u not walked (%d)", ep->sport, r.result);
}

/* A hello the tracker completed: counted, or waiting for its validation. */
static void on_hello(struct quic_hellos *q, const struct hs_quic_event *ev,
		     const struct quic_dgram *d)
{
	struct qh_wait *s;

	q->u.c[HS_QU_HELLOS]++;
	if (q->now_count) {
		count(q, &ev->ep, d->record, d->record_len, ev->initial, false, ev->ts_ns);
		return;
	}
	s = slot_of(q, &ev->ep, true);
	if (s && s->validated && !s->rec) {
		/* its validation came first */
		count(q, &ev->ep, d->record, d->record_len, ev->initial, true, ev->ts_ns);
		slot_free(q, s);
		return;
	}
	if (s && s->rec) {
		/* the flow's slot (ports reused within the timeout): the older
		 * hello was never validated */
		count(q, &s->ep, s->rec, s->len, s->packets, false, ev->ts_ns);
		q->u.c[HS_QU_UNANSWERED]++;
		q->bytes -= s->len;
		free(s->rec);
		s->rec = NULL;
	}
	if (!s || q->bytes + d->record_len > QH_BYTES_MAX ||
	    !(s->rec = malloc(d->record_len))) {
		if (s)
			slot_free(q, s);
		q->u.c[HS_QU_PENDING_FULL]++;
		count(q, &ev->ep, d->record, d->record_len, ev->initial, false, ev->ts_ns);
		return;
	}
	memcpy(s->rec, d->record, d->record_len);
	s->len = d->record_len;
	q->bytes += s->len;
	s->packets = ev->initial;
	s->ts_ns = ev->ts_ns;
}

static void on_initial(struct quic_hellos *q, const struct hs_quic_event *ev)
{
	struct quic_dgram d;
	__u32 n = ev->copied < HS_QUIC_DGRAM_MAX ? ev->copied : HS_QUIC_DGRAM_MAX;

	if (ev->ts_ns > q->last_ns)
		q->last_ns = ev->ts_ns;
	q->u.c[HS_QU_DATAGRAMS]++;
	if (quic_datagram(q->t, &ev->ep, ev->data, n, q->last_ns, &d) == 1)
		on_hello(q, ev, &d);
}

static void on_valid(struct quic_hellos *q, const struct hs_quic_valid_event *ev)
{
	struct qh_wait *s;

	if (ev->ts_ns > q->last_ns)
		q->last_ns = ev->ts_ns;
	if (q->now_count)
		return;
	s = slot_of(q, &ev->ep, true);
	if (!s)
		return;         /* its hello, if it comes, counts unvalidated */
	if (s->rec) {
		count(q, &s->ep, s->rec, s->len, s->packets, true, ev->ts_ns);
		slot_free(q, s);
		return;
	}
	s->validated = true;
	s->ts_ns = ev->ts_ns;
}

int qh_event(struct quic_hellos *q, const void *data, size_t len)
{
	__u32 type;

	if (len < sizeof(type))
		return 0;
	memcpy(&type, data, sizeof(type));
	if (type == HS_EV_QUIC_INITIAL) {
		if (q && len >= sizeof(struct hs_quic_event))
			on_initial(q, data);
		return 1;
	}
	if (type == HS_EV_QUIC_VALID) {
		if (q && len >= sizeof(struct hs_quic_valid_event))
			on_valid(q, data);
		return 1;
	}
	return 0;
}

void qh_tick(struct quic_hellos *q, __u64 now_ns, bool all)
{
	struct quic_stats st;
	unsigned int i;
	__u32 zero = 0;

	if (!q)
		return;
	if (now_ns > q->last_ns)
		q->last_ns = now_ns;
	now_ns = q->last_ns;
	if (q->waiting && (all || now_ns - q->last_tick_ns >= 1000000000ULL)) {
		q->last_tick_ns = now_ns;
		for (i = 0; i < QH_SLOTS && q->waiting; i++) {
			struct qh_wait *s = &q->w[i];

			if (!s->used || (!all && now_ns - s->ts_ns < HS_REASM_TIMEOUT_NS))
				continue;
			if (s->rec) {
				count(q, &s->ep, s->rec, s->len, s->packets, false, now_ns);
				q->u.c[HS_QU_UNANSWERED]++;
			}
			slot_free(q, s);
		}
		quic_expire(q->t, now_ns, QUIC_CONNS_DEFAULT / 10);
	}
	quic_get_stats(q->t, &st);
	for (i = 0; i < QUIC_R_MAX; i++)
		q->u.c[i] = q->base.c[i] + st.reasons[i];
	if (memcmp(&q->u, &q->u_written, sizeof(q->u)) &&
	    !bpf_map_update_elem(q->user_fd, &zero, &q->u, BPF_ANY))
		q->u_written = q->u;
}

struct quic_hellos *qh_new(struct hs_bpf *skel, bool replay)
{
	struct quic_hellos *q = calloc(1, sizeof(*q));
	__u32 zero = 0;
	void *p;

	if (!q) {
		pr_warn("quic: %s", strerror(errno));
		return NULL;
	}
	q->replay = replay;
	q->now_count = skel->data->handshake_check == HS_CHECK_NONE;
	q->prog_fd = bpf_program__fd(skel->progs.hs_quic_hello);
	q->user_fd = bpf_map__fd(skel->maps.quic_user);
	q->t = quic_tracker_new(NULL);
	if (!q->t) {
		pr_warn("quic: Couldn't allocate the Initials' tracker: %s", strerror(errno));
		free(q);
		return NULL;
	}
	p = mmap(NULL, sizeof(struct hs_reasm), PROT_READ | PROT_WRITE, MAP_SHARED,
		 bpf_map__fd(skel->maps.quic_hello), 0);
	if (p == MAP_FAILED) {
		pr_warn("quic: Couldn't map the quic_hello map: %s", strerror(errno));
		quic_tracker_free(q->t);
		free(q);
		return NULL;
	}
	q->buf = p;
	/* a pinned map an earlier run wrote goes on from its counts */
	if (!bpf_map_lookup_elem(q->user_fd, &zero, &q->base))
		q->u = q->u_written = q->base;
	return q;
}

void qh_free(struct quic_hellos *q)
{
	unsigned int i;

	if (!q)
		return;
	for (i = 0; i < QH_SLOTS; i++)
		free(q->w[i].rec);
	munmap(q->buf, sizeof(struct hs_reasm));
	quic_tracker_free(q->t);
	free(q);
}
