// SPDX-License-Identifier: BSD-3-Clause
/*
 * Prometheus metrics of a running instance, read from its pinned maps at
 * each scrape (text exposition format 0.0.4). Naming follows the
 * Prometheus guide: prefix hydrascope_, base units, _total only on
 * counters. No address is ever a label; per-fingerprint series (label ja4)
 * only for the top N by score, the rest counted in
 * hydrascope_fingerprints_omitted. In `run --metrics` the detector's
 * results are added (alerts, open alerts' scores).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <bpf/libbpf_version.h>

#include "metrics.h"
#include "quic.h"
#include "bpfobj.h"
#include "detect.h"
#include "fleetsend.h"
#include "fps.h"
#include "ja4.h"
#include "status.h"
#include "window.h"

/* Health counters as metrics: name, the label that tells them apart
 * (HS_STAT_LIST, in the stats array's order). */
#define HS_STAT_METRIC(id, name, metric, label, value) { HS_ST_##id, metric, label, value },
static const struct {
	int stat;
	const char *metric, *label, *value;
} counters[] = { HS_STAT_LIST(HS_STAT_METRIC) };
#define NCOUNTERS (sizeof(counters) / sizeof(counters[0]))

static const char *help_of(const char *metric)
{
	static const struct { const char *m, *h; } h[] = {
		{ "packets_total", "Packets seen by the XDP program." },
		{ "syns_total", "Client SYNs fingerprinted." },
		{ "tls_hellos_total", "TLS ClientHellos fingerprinted." },
		{ "tls_hellos_multi_segment_total", "ClientHellos that spanned several TCP segments." },
		{ "tls_hellos_multi_record_total", "ClientHellos fingerprinted that spanned several TLS records." },
		{ "tls_hellos_reordered_total", "ClientHellos fingerprinted whose TCP segments came out of order or overlapping." },
		{ "tls_hellos_mid_segment_total", "ClientHellos fingerprinted that started inside a segment, after other bytes (a proxy request)." },
		{ "tls_hellos_syn_data_total", "ClientHellos fingerprinted that came on the SYN (TCP Fast Open)." },
		{ "tls_hellos_unvalidated_total", "ClientHellos not counted: the handshake was not seen (no_syn), our SYN-ACK not seen (no_synack) or not acknowledged (bad_ack), walked only within each window's sample; a QUIC flow not validated (quic_unvalidated)." },
		{ "tls_hellos_unvalidated_sampled_total", "Of tls_hellos_unvalidated_total, the ClientHellos walked: each window's sample per CPU (the per-JA4 unvalidated figures are of these)." },
		{ "tls_hellos_unfingerprinted_total", "Connections whose handshake was seen but whose ClientHello could not be fingerprinted (their populations: hydrascope_unfingerprinted_*)." },
		{ "tls_hellos_inexact_total", "ClientHellos fingerprinted with a list longer than kept: their JA4 is inexact." },
		{ "synacks_total", "SYN-ACKs of tracked connections seen leaving (the handshake check)." },
		{ "fingerprint_inserts_total", "Fingerprint map entries created (each window anew)." },
		{ "map_full_total", "Fingerprints not counted because their map was full; for the seen map, entries within the history pushed out of a full set." },
		{ "fingerprints_shed_total", "New fingerprints not admitted: not seen lately and over the window's budget (a flood)." },
		{ "ringbuf_drops_total", "Events lost to a full ring buffer." },
		{ "packets_not_inspected_total", "Packets passed without inspection, by reason." },
		{ "parse_errors_total", "Packets with a truncated or malformed header, by layer." },
		{ "tls_walks_abandoned_total", "ClientHellos not fingerprinted, by reason (no_hello: TLS records, or more client bytes than --hello-bytes, and no ClientHello before them)." },
		{ "enforce_matched_total", "ClientHellos whose fingerprint was enforced." },
		{ "enforce_dropped_total", "ClientHellos dropped by enforcement (drop mode)." },
		{ "enforce_scoped_matched_total", "Of enforce_matched_total, by a scoped entry: a source new to the JA4 (novel) or the JA4 over a new TCP stack (pair)." },
		{ "enforce_scoped_dropped_total", "Of enforce_dropped_total, by a scoped entry, by scope." },
		{ "flows_not_tracked_total", "SYNs to a TLS port not tracked: their flow slot held by a handshake in progress (floods)." },
		{ "sockopt_requests_total", "getsockopt(SOL_HYDRASCOPE) calls of the --sockopt-cgroup cgroups, answered or failed (no record, no name yet, a short buffer)." },
		{ "account_tags_total", "Account tags put on connections or fingerprint ids (setsockopt, the lookup socket)." },
		{ "quic_initials_total", "QUIC client Initials handed to userspace to decrypt." },
		{ "quic_initials_shed_total", "QUIC client Initials not handed to userspace, by reason: their flow had its share (flow_max), the CPU's share of the second's budget was spent (budget), every slot of their flow's set was held by other flows (flow_busy)." },
		{ "quic_datagrams_ignored_total", "Datagrams to a QUIC port not handed to userspace, by reason (short_header: 1-RTT, most of a connection)." },
		{ "quic_handshakes_mismatched_total", "QUIC client Handshakes whose Destination Connection ID is not the one the server chose (spoofed)." },
		{ "quic_flows_validated_total", "QUIC flows validated: the client's Handshake carried the connection ID the server chose." },
		{ "quic_server_cids_total", "Connection IDs QUIC servers chose, seen leaving (the validation's other half)." },
		{ "quic_server_cids_short_total", "Server connection IDs too short to validate with (under 4 bytes): not recorded." },
		{ "quic_datagrams_dropped_total", "Datagrams of QUIC flows whose ClientHello enforcement dropped (drop mode)." },
		{ "quic_initials_other_port_total", "UDP datagrams to and from ports not QUIC ones (--quic-ports) that look like a client's QUIC Initial: QUIC not fingerprinted (also in packets_not_inspected_total{reason=\"non_tcp\"})." },
		{ "tls_hellos_quic_total", "Of tls_hellos_total, the ClientHellos from QUIC Initials." },
	};
	size_t i;

	for (i = 0; i < sizeof(h) / sizeof(h[0]); i++)
		if (!strcmp(h[i].m, metric))
			return h[i].h;
	return "";
}

static void head(FILE *f, const char *metric, const char *type, const char *help)
{
	fprintf(f, "# HELP hydrascope_%s %s\n# TYPE hydrascope_%s %s\n", metric, help,
		metric, type);
}

/* A label value: JA4s and p0f signatures are plain, but escape anyway. */
static void label_value(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/* One sample with one label: hydrascope_METRIC{LABEL="VALUE"} V, V an
 * integer. */
static void sample1(FILE *f, const char *metric, const char *label, const char *value, double v)
{
	fprintf(f, "hydrascope_%s{%s=\"", metric, label);
	label_value(f, value);
	fprintf(f, "\"} %.0f\n", v);
}

struct scored {
	const struct det_obs *o;
	int score;
};

static int by_score(const void *a, const void *b)
{
	const struct scored *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	if (x->o->ips != y->o->ips)
		return x->o->ips < y->o->ips ? 1 : -1;
	return strcmp(x->o->name, y->o->name);
}

/* The top rows by score (then ips, then name), best first: a bounded
 * insertion, linear in the rows for a small top. */
static size_t select_top(const struct det_config *dc, const struct det_obs *rows, size_t n,
			 struct scored *top, size_t k)
{
	struct det_config *own = dc ? NULL : malloc(sizeof(*own));
	const struct det_config *c = dc ? dc : own;
	struct scored s;
	size_t i, have = 0, at;

	if (!c)
		return 0;               /* out of memory: no per-JA4 series */
	if (own)
		det_config_default(own);
	for (i = 0; i < n && k; i++) {
		if (hs_is_unfp(rows[i].name))
			continue;       /* not a JA4: series of its own */
		s.o = &rows[i];
		det_signals(c, &rows[i], &s.score);
		if (have == k && by_score(&s, &top[k - 1]) >= 0)
			continue;
		at = have < k ? have++ : k - 1;
		while (at && by_score(&s, &top[at - 1]) < 0) {
			top[at] = top[at - 1];
			at--;
		}
		top[at] = s;
	}
	free(own);
	return have;
}

/* The populations of connections whose ClientHello could not be
 * fingerprinted (rows' unfingerprinted:REASON), one per reason, every one
 * (a handful). */
static void unfingerprinted(FILE *f, const struct det_obs *rows, size_t n)
{
	static const struct { const char *metric, *help; } g[] = {
		{ "unfingerprinted_connections", "Connections whose handshake was seen and whose ClientHello could not be fingerprinted, in the current windows, by reason." },
		{ "unfingerprinted_ips", "Distinct source addresses of those connections (estimate), by reason." },
		{ "unfingerprinted_networks", "Distinct /24 or /48 networks of those connections (estimate), by reason." },
		{ "unfingerprinted_tcp_stacks", "Distinct TCP stacks of those connections (estimate), by reason." },
	};
	size_t i, k;

	for (k = 0; k < sizeof(g) / sizeof(g[0]); k++) {
		head(f, g[k].metric, "gauge", g[k].help);
		for (i = 0; i < n; i++) {
			const struct det_obs *o = &rows[i];
			double v;

			if (!hs_is_unfp(o->name))
				continue;
			v = k == 0 ? (double)o->conns : k == 1 ? round(o->ips) :
				   k == 2 ? round(o->nets) : round(o->stacks);
			sample1(f, g[k].metric, "reason", o->name + sizeof(HS_UNFP_PREFIX) - 1, v);
		}
	}
}

static void fingerprints(struct metrics_src *m, FILE *f, struct det_obs *rows, size_t n)
{
	static const struct { const char *metric, *help; } g[] = {
		{ "fingerprint_ips", "Distinct source addresses of a JA4 in the current windows (estimate)." },
		{ "fingerprint_networks", "Distinct /24 or /48 networks of a JA4 (estimate)." },
		{ "fingerprint_connections", "ClientHellos of a JA4 in the current windows (handshake validated)." },
		{ "fingerprint_tcp_stacks", "Distinct TCP stacks behind a JA4 (estimate)." },
		{ "fingerprint_score", "Score of a JA4 from its numbers alone (wide, many_nets, low_rate, many_stacks)." },
		{ "fingerprint_connections_unvalidated_sampled", "ClientHellos of a JA4 not counted: the handshake check failed (spoofing, or asymmetric routing); of those walked, each window's sample." },
	};
	size_t want = n < m->top ? n : m->top;
	struct scored *top = calloc(want ? want : 1, sizeof(*top));
	size_t i, k, shown, nja4 = 0, inexact = 0;

	/* the JA4s apart: the unfingerprinted populations have series of their own */
	for (i = 0; i < n; i++) {
		nja4 += !hs_is_unfp(rows[i].name);
		inexact += rows[i].inexact;
	}
	shown = top ? select_top(m->dc, rows, n, top, want) : 0;
	for (k = 0; k < sizeof(g) / sizeof(g[0]); k++) {
		head(f, g[k].metric, "gauge", g[k].help);
		for (i = 0; i < shown; i++) {
			const struct det_obs *o = top[i].o;
			double v = k == 0 ? round(o->ips) : k == 1 ? round(o->nets) :
				   k == 2 ? (double)o->conns : k == 3 ? round(o->stacks) :
				   k == 4 ? top[i].score : (double)o->unvalidated;

			sample1(f, g[k].metric, "ja4", o->name, v);
		}
	}
	/* the application's account tags: a series only for a JA4 it tagged */
	head(f, "fingerprint_accounts", "gauge",
	     "Distinct accounts the application tagged a JA4's connections with (estimate).");
	for (i = 0; i < shown; i++)
		if (top[i].o->tags)
			sample1(f, "fingerprint_accounts", "ja4", top[i].o->name,
				round(top[i].o->accounts));
	head(f, "fingerprint_inexact", "gauge",
	     "1 for a JA4 of the series above whose ClientHello had a list longer than kept: its JA4 is inexact.");
	for (i = 0; i < shown; i++)
		if (top[i].o->inexact)
			sample1(f, "fingerprint_inexact", "ja4", top[i].o->name, 1);
	head(f, "fingerprints", "gauge", "TLS fingerprints (JA4) in the current windows.");
	fprintf(f, "hydrascope_fingerprints %zu\n", nja4);
	head(f, "fingerprints_inexact", "gauge",
	     "JA4s in the current windows whose ClientHello had a list longer than kept (inexact).");
	fprintf(f, "hydrascope_fingerprints_inexact %zu\n", inexact);
	head(f, "fingerprints_omitted", "gauge",
	     "JA4s left out of the per-fingerprint series by the top-N bound.");
	fprintf(f, "hydrascope_fingerprints_omitted %zu\n", nja4 - shown);
	unfingerprinted(f, rows, n);
	free(top);
}

/* Attachments of the program (the one pinned with the maps) to the
 * interfaces of this network namespace. */
static void attachments(FILE *f, const struct metrics_src *m)
{
	struct hs_attach at[HS_ATTACH_MAX];
	int n = hs_attachments(m->pin_dir, at, HS_ATTACH_MAX), i;

	head(f, "program_attached", "gauge",
	     "1 per interface the program is attached to (this network namespace), by mode.");
	for (i = 0; i < n; i++) {
		fprintf(f, "hydrascope_program_attached{interface=\"");
		label_value(f, at[i].ifname);
		fprintf(f, "\",mode=\"%s\"} 1\n", hs_attach_mode(at[i].mode));
	}
	head(f, "program_attachments", "gauge", "Interfaces the program is attached to.");
	fprintf(f, "hydrascope_program_attachments %d\n", n);
}

static void detector(FILE *f, struct windows *w)
{
	static const char *const kinds[] = { "tls", "tcp", "unfingerprinted" }, *const states[] = {
		"new", "active", "ended" };
	struct win_summary *s = malloc(sizeof(*s));
	size_t i;
	int k, st;

	if (!s)
		return;
	win_summary(w, s);
	head(f, "detector_windows_total", "counter", "Windows the detector has judged.");
	fprintf(f, "hydrascope_detector_windows_total %u\n", s->windows);
	head(f, "detector_fingerprints", "gauge", "Fingerprints the detector keeps a baseline for.");
	for (k = 0; k < 2; k++)
		fprintf(f, "hydrascope_detector_fingerprints{kind=\"%s\"} %zu\n", kinds[k], s->known[k]);
	/* kind tls: the JA4s' alerts (hydra); unfingerprinted: the
	 * populations' (hydra_unfingerprinted), judged by the same detector */
	head(f, "alerts_total", "counter", "Alerts written, by kind (tls, tcp, unfingerprinted) and state.");
	for (k = 0; k < 3; k++)
		for (st = 0; st < 3; st++)
			fprintf(f, "hydrascope_alerts_total{kind=\"%s\",state=\"%s\"} %llu\n",
				kinds[k], states[st], k == 2 ? s->unfp_alerts[st] :
				k == 0 ? s->alerts[k][st] - s->unfp_alerts[st] : s->alerts[k][st]);
	head(f, "alerts_open", "gauge", "Alerts open after the last window, by kind.");
	for (k = 0; k < 3; k++)
		fprintf(f, "hydrascope_alerts_open{kind=\"%s\"} %zu\n", kinds[k],
			k == 2 ? s->unfp_open : k == 0 ? s->nopen[k] - s->unfp_open : s->nopen[k]);
	head(f, "alert_score", "gauge", "Score of an open alert (JA4, TCP stack, unfingerprinted population).");
	for (i = 0; i < s->nlisted; i++) {
		fprintf(f, "hydrascope_alert_score{kind=\"%s\",fingerprint=\"",
			kinds[s->open[i].unfp ? 2 : s->open[i].kind]);
		label_value(f, s->open[i].name);
		fprintf(f, "\"} %d\n", s->open[i].score);
	}
	head(f, "alert_ips", "gauge", "Distinct source addresses of an open alert's fingerprint in its window.");
	for (i = 0; i < s->nlisted; i++) {
		fprintf(f, "hydrascope_alert_ips{kind=\"%s\",fingerprint=\"",
			kinds[s->open[i].unfp ? 2 : s->open[i].kind]);
		label_value(f, s->open[i].name);
		fprintf(f, "\"} %.0f\n", round(s->open[i].ips));
	}
	free(s);
}

/* run --fleet: the sink's windows and the database's state. */
static void fleet(FILE *f, struct fleet_sink *s)
{
	struct fleet_stats st;

	fleet_sink_stats(s, &st);
	head(f, "fleet_windows_sent_total", "counter",
	     "Windows (batches) the fleet database took.");
	fprintf(f, "hydrascope_fleet_windows_sent_total %llu\n", st.windows_sent);
	head(f, "fleet_rows_sent_total", "counter",
	     "Fingerprint rows (ja4, tcp, pair) the fleet database took.");
	fprintf(f, "hydrascope_fleet_rows_sent_total %llu\n", st.rows_sent);
	head(f, "fleet_windows_spooled", "gauge",
	     "Windows in the spool, waiting for the fleet database.");
	fprintf(f, "hydrascope_fleet_windows_spooled %zu\n", st.spooled);
	head(f, "fleet_spool_bytes", "gauge", "Bytes of the windows in the spool.");
	fprintf(f, "hydrascope_fleet_spool_bytes %zu\n", st.spool_bytes);
	head(f, "fleet_windows_dropped_total", "counter",
	     "Windows lost before the fleet database had them: the oldest, over --fleet-spool-max (spool_full); not written, the disk full or failing (disk); refused by the database as data, set aside as .rejected (rejected).");
	fprintf(f, "hydrascope_fleet_windows_dropped_total{reason=\"spool_full\"} %llu\n",
		st.dropped_bound);
	fprintf(f, "hydrascope_fleet_windows_dropped_total{reason=\"disk\"} %llu\n",
		st.dropped_disk);
	fprintf(f, "hydrascope_fleet_windows_dropped_total{reason=\"rejected\"} %llu\n",
		st.rejected);
	head(f, "fleet_send_errors_total", "counter",
	     "Failed tries to connect to the fleet database or to send it a window (each retried).");
	fprintf(f, "hydrascope_fleet_send_errors_total %llu\n", st.send_errors);
	head(f, "fleet_database_up", "gauge",
	     "1 when the last connection or window sent to the fleet database worked.");
	fprintf(f, "hydrascope_fleet_database_up %d\n", st.up ? 1 : 0);
}

/* Each counter metric once, its series together (the list is in the stats
 * array's order, where one metric's counters need not be neighbours). */
static void health_counters(FILE *f, const struct hs_stats *st)
{
	size_t i, j;

	for (i = 0; i < NCOUNTERS; i++) {
		for (j = 0; j < i && strcmp(counters[j].metric, counters[i].metric); j++)
			;
		if (j < i)
			continue;   /* written with its first series */
		head(f, counters[i].metric, "counter", help_of(counters[i].metric));
		for (j = i; j < NCOUNTERS; j++) {
			if (strcmp(counters[j].metric, counters[i].metric))
				continue;
			fprintf(f, "hydrascope_%s", counters[j].metric);
			if (counters[j].label)
				fprintf(f, "{%s=\"%s\"}", counters[j].label, counters[j].value);
			fprintf(f, " %llu\n", (unsigned long long)st->c[counters[j].stat]);
		}
	}
}

/* The seen map's entries: run's figure from its last save of the seen
 * history (every 5 minutes), not counted here: a scrape would walk up to
 * a million entries, about a second of the kernel's time. */
static void seen_entries(FILE *f, const struct metrics_src *m)
{
	size_t n = m->seen_entries ? __atomic_load_n(m->seen_entries, __ATOMIC_RELAXED) : SIZE_MAX;

	if (n == SIZE_MAX)
		return;
	head(f, "seen_entries", "gauge",
	     "Entries of the seen map (sources and networks per JA4, sources of the site) at run's last save of the seen history (every 5 minutes, and at start).");
	fprintf(f, "hydrascope_seen_entries %zu\n", n);
}

/* What run made of the QUIC Initials handed to it (the quic_user map). */
static void quic_user(FILE *f, const struct metrics_src *m)
{
	struct hs_quic_user u;
	__u32 zero = 0;
	unsigned int i;

	if (m->quic_fd < 0 || bpf_map_lookup_elem(m->quic_fd, &zero, &u))
		return;
	head(f, "quic_datagrams_decrypted_total", "counter",
	     "QUIC Initial datagrams userspace decrypted (or tried to).");
	fprintf(f, "hydrascope_quic_datagrams_decrypted_total %llu\n",
		(unsigned long long)u.c[HS_QU_DATAGRAMS]);
	head(f, "quic_packets_total", "counter",
	     "QUIC packets of those datagrams by outcome: ok (an Initial decrypted, its CRYPTO frames taken), or why not (decrypt_failed, bad_frame, ...; timeout, evicted, table_full: a ClientHello left incomplete).");
	for (i = 0; i < QUIC_R_MAX; i++)
		fprintf(f, "hydrascope_quic_packets_total{outcome=\"%s\"} %llu\n",
			quic_reason_name(i), (unsigned long long)u.c[i]);
	head(f, "quic_hellos_assembled_total", "counter",
	     "QUIC ClientHellos userspace put together from the Initials (each then counted, validated or not).");
	fprintf(f, "hydrascope_quic_hellos_assembled_total %llu\n",
		(unsigned long long)u.c[HS_QU_HELLOS]);
	head(f, "quic_hellos_not_waited_total", "counter",
	     "QUIC ClientHellos counted unvalidated without their flow's validation: not validated within 10 s (timeout), or pushed out of the 8,192 waiting for a newer one or past 32 MiB (no_room).");
	fprintf(f, "hydrascope_quic_hellos_not_waited_total{reason=\"timeout\"} %llu\n",
		(unsigned long long)u.c[HS_QU_UNANSWERED]);
	fprintf(f, "hydrascope_quic_hellos_not_waited_total{reason=\"no_room\"} %llu\n",
		(unsigned long long)u.c[HS_QU_PENDING_FULL]);
}

int metrics_render(struct metrics_src *m, FILE *f)
{
	struct hs_stats st;
	struct det_obs *rows;
	size_t n;
	int err;

	err = hs_stats_read(m->stats_fd, &st);
	if (err)
		return err;
	if (!m->rd && !(m->rd = fpr_new(FP_TLS)))
		return -ENOMEM;
	err = fpr_read(m->rd, m->tls_fd, -1, &rows, &n);
	if (!err)
		err = fpr_accounts(m->rd, m->acct_fd, HS_ACCT_TLS, -1);
	if (err)
		return err;
	head(f, "build_info", "gauge", "hydrascope build; the value is 1.");
	fprintf(f, "hydrascope_build_info{version=\"%s\",libbpf=\"%d.%d\",layout=\"%d\"} 1\n",
		HS_VERSION, LIBBPF_MAJOR_VERSION, LIBBPF_MINOR_VERSION, HS_LAYOUT_VERSION);
	head(f, "metrics_renders_total", "counter",
	     "Reads of the maps for scrapes, this one included (one answers every scrape for --web.cache-ms).");
	fprintf(f, "hydrascope_metrics_renders_total %llu\n", m->renders);
	health_counters(f, &st);
	head(f, "map_entries", "gauge", "Entries in a pinned map.");
	fprintf(f, "hydrascope_map_entries{map=\"tcp_fps\"} %u\n", hs_map_count(m->tcp_fd));
	fprintf(f, "hydrascope_map_entries{map=\"tls_fps\"} %zu\n", fpr_entries(m->rd));
	if (m->enforce_fd >= 0)
		fprintf(f, "hydrascope_map_entries{map=\"enforce\"} %u\n", hs_map_count(m->enforce_fd));
	head(f, "map_capacity_entries", "gauge", "Most entries a pinned map holds.");
	fprintf(f, "hydrascope_map_capacity_entries{map=\"tcp_fps\"} %u\n", hs_map_max(m->tcp_fd));
	fprintf(f, "hydrascope_map_capacity_entries{map=\"tls_fps\"} %u\n", hs_map_max(m->tls_fd));
	if (m->enforce_fd >= 0)
		fprintf(f, "hydrascope_map_capacity_entries{map=\"enforce\"} %u\n",
			hs_map_max(m->enforce_fd));
	if (m->seen_fd >= 0)
		fprintf(f, "hydrascope_map_capacity_entries{map=\"seen\"} %u\n",
			hs_map_max(m->seen_fd) * HS_SEEN_WAYS);
	seen_entries(f, m);
	quic_user(f, m);
	attachments(f, m);
	fingerprints(m, f, rows, n);
	if (m->win)
		detector(f, m->win);
	if (m->fleet)
		fleet(f, m->fleet);
	return ferror(f) ? -EIO : 0;
}
