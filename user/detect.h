/* SPDX-License-Identifier: BSD-3-Clause */
/* The hydra detector: signals, baselines, alerts, saved state (detect.c). */
#ifndef HS_DETECT_H
#define HS_DETECT_H

#include <stdbool.h>
#include <stddef.h>

#include "hydrascope.h"

/* TLS fingerprints (JA4), TCP stacks, and (JA4, TCP stack) pairs (fps.c's
 * reader only: named "JA4 STACK", no detector yet) */
enum fp_kind { FP_TLS, FP_TCP, FP_PAIR };
#define HS_JA4_LEN 64
#define DET_SAMPLES 5
#define DET_ALLOW_MAX 256             /* allowlist entries */
#define DET_HISTORY 60                /* windows of history kept */
#define DET_HISTORY_MAX 4096          /* fingerprints a window's history keeps (widest) */
#define DET_STATE_VERSION 3           /* of the state file (2 is read too) */
#define DET_NOVEL_MAX 16              /* novel_windows at most */
#define DET_NEW_SIGS 8                /* new pairs' stacks an alert names */
#define DET_PAIRS_MAX 131072          /* pairs the history keeps */
enum det_signal {
	DET_WIDE, DET_MANY_NETS, DET_LOW_RATE, DET_MANY_STACKS, DET_NEW, DET_WIDENING,
	DET_NOVEL, DET_NEW_STACKS, DET_ACCOUNTS, DET_ACCOUNTS_PER_IP,
	DET_SIG__COUNT,
};
enum det_state { DET_NEW_ALERT, DET_ACTIVE, DET_ENDED };
struct det_config {
	double min_ips;               /* "wide" */
	double min_nets;              /* "many_nets" */
	double max_conns_per_ip;      /* "low_rate" */
	double min_stacks;            /* "many_stacks" */
	double growth;                /* "widening": ips >= growth x baseline */
	unsigned int warmup;          /* windows that only build baselines */
	int alert_score;              /* sum of signal weights needed */
	double alpha;                 /* weight of a new window in the baseline */
	bool tcp_stacks;              /* judge TCP stacks too (default yes) */
	/* novelty (TLS): sources new to a JA4 and to the site, new pairs */
	double min_novel;             /* "novel", "new_stacks": addresses over the span */
	unsigned int novel_windows;   /* the span: windows novelty is summed over */
	unsigned int history_s;       /* how long a source stays known (seen map) */
	bool novelty;                 /* judge novelty at all (default yes) */
	/* account tags (the application's): all 0 without them */
	double min_accounts;          /* "accounts", "accounts_per_ip": accounts at least */
	double account_growth;        /* ... and at least this x the fingerprint's usual */
	double min_accounts_per_ip;   /* "accounts_per_ip": never below this ratio */
	unsigned int window_s;        /* the window (set by the window code) */
	/* allowlisted JA4s: their own thresholds, never lower than the ones
	 * above; an entry with neither set is never alerted for its width.
	 * Novelty still applies to it, unless no_novelty. */
	size_t nallow;
	struct det_allow {
		char ja4[HS_JA4_LEN];
		double min_ips;           /* 0: the global one */
		double growth;            /* 0: the global one */
		bool no_novelty;          /* novelty = no: no novel/new_stacks alerts */
		bool no_accounts;         /* accounts = no: no accounts/accounts_per_ip */
	} allow[DET_ALLOW_MAX];
};
#define DET_NAME_LEN 256
/* One fingerprint in one window: a TLS fingerprint (JA4) or a TCP stack. */
struct det_obs {
	char name[DET_NAME_LEN];      /* JA4, or the TCP stack signature */
	const char *detail;           /* JA4_r, or the p0f OS label; NULL: none */
	__u64 conns;                  /* ClientHellos, or SYNs */
	__u64 unvalidated;            /* TLS: ClientHellos not counted (handshake check), of
				       * those walked: each window's sample */
	bool inexact;                 /* TLS: a list longer than kept (HS_TLSF_OVERFLOW) */
	__u64 stack_id;               /* a pair: its TCP stack's id (fps.c's FP_PAIR) */
	__u64 first_ns, last_ns;      /* program clock */
	double ips, nets, stacks;     /* sketch estimates (stacks: TLS only) */
	/* TLS: exact counts of the seen map, this window */
	__u64 novel_ips;              /* sources new to the fingerprint */
	__u64 novel_site;             /* ... and new to the site */
	__u64 novel_nets;             /* networks new to the fingerprint */
	unsigned int nnovel;
	struct hs_addr_sample novel_samples[DET_SAMPLES];  /* a few of novel_ips */
	unsigned int nsamples;
	struct hs_addr_sample samples[DET_SAMPLES];  /* a few sources (TLS only) */
	/* account tags of the window (the application's: setsockopt, the
	 * lookup socket); all 0 when none was put */
	__u64 tags;                   /* connections (or ids) tagged */
	double accounts;              /* distinct accounts (sketch estimate) */
	double tagged_ips;            /* distinct sources of the tagged connections */
};
struct det_alert {
	enum det_state state;
	const struct det_obs *obs;
	unsigned int signals;         /* bit per enum det_signal */
	int score;
	double baseline_ips;
	/* TLS: a fingerprint that carried traffic before (a baseline), so
	 * shared with its legitimate users; what separates the hydra */
	bool shared;
	double novel_ips, novel_site, novel_nets;   /* over the span */
	double baseline_novel;        /* new-to-site sources per window, before */
	double new_stack_ips;         /* addresses over new pairs (this window) */
	unsigned int nnew_pairs;
	const struct det_obs *new_pairs[DET_NEW_SIGS];  /* those pairs ("JA4 STACK") */
	/* the usual of the fingerprint's account tags, before this window
	 * (0: never tagged); per address -1 when it has none (its tags came
	 * without an address) */
	double baseline_accounts;
	double baseline_accounts_per_ip;
};
typedef void (*det_alert_fn)(void *ctx, const struct det_alert *a);
struct detector;
void det_config_default(struct det_config *c);
/* A detector of TLS fingerprints or TCP stacks (which ignores the JA4
 * allowlist); it keeps its own copy of c. */
struct detector *det_new(const struct det_config *c, enum fp_kind kind);
void det_free(struct detector *d);
/* Close a window: judge every observation, call fn for each alert.
 * pairs (TLS; may be NULL): the window's (JA4, TCP stack) pairs, named
 * "JA4 STACK", valid until det_window returns. */
int det_window(struct detector *d, const struct det_obs *obs, size_t n,
	       const struct det_obs *pairs, size_t npairs, det_alert_fn fn, void *ctx);
const char *det_signal_name(int i);
/* The allowlist entry of ja4, or NULL. */
const struct det_allow *det_allowed(const struct det_config *c, const char *ja4);
/* Signals (bit per enum det_signal) and score of an observation from its
 * own numbers only: no baseline, so never DET_NEW or DET_WIDENING. */
unsigned int det_signals(const struct det_config *c, const struct det_obs *o, int *score);
/* Detector state (baselines, windows closed, the last DET_HISTORY windows'
 * observations) as JSON: saved atomically (temp file in the same
 * directory, fsync, rename), 0600. window_s is recorded and must match on
 * load. det_save: 0 or -errno. det_load: 0 loaded, 1 no file, -1 rejected
 * (corrupt, truncated, foreign version, other window: err says why; the
 * detector is left as it was). */
int det_save(const struct detector *d, const char *path, unsigned int window_s);
int det_load(struct detector *d, const char *path, unsigned int window_s,
	     char *err, size_t errlen);
/* The same from an open file (read to its end), which path names in err:
 * 0 or -1. */
int det_read(struct detector *d, int fd, const char *path, unsigned int window_s,
	     char *err, size_t errlen);
/* n windows with no observation, once no fingerprint is known (else
 * nothing): the same as closing them one by one, which only counts them. */
void det_skip(struct detector *d, __u64 n);
/* The seen map starts empty though the state was restored (a cold start
 * without the seen history): every source is new for a while, so the
 * novelty baselines are learned again from the next window, as after a
 * fresh start. */
void det_novelty_relearn(struct detector *d);
/* Windows closed so far, fingerprints known. */
unsigned int det_windows(const struct detector *d);
size_t det_known(const struct detector *d);

#endif /* HS_DETECT_H */
