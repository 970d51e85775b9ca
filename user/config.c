// SPDX-License-Identifier: BSD-3-Clause
/*
 * The configuration file (--config FILE), INI read with inih:
 *
 *   [detect]                 thresholds of the detector, and window
 *   min_ips = 200
 *   window = 60
 *   tcp_stacks = yes         judge TCP stacks too (same thresholds)
 *   history = 3600           seconds a source stays known to a JA4
 *   novelty = yes            judge novelty and new stacks (min_novel,
 *                            novel_windows)
 *   min_accounts = 100       accounts behind a fingerprint (account tags)
 *
 *   [allow]                  allowlisted JA4s never alerted for width
 *   ja4 = t13d1516h2_8daaf6152771_e5627efa2ab1
 *
 *   [allow "t13d1517h2_8daaf6152771_b0da82dd1658"]
 *   min_ips = 5000           an allowlisted JA4 with its own thresholds
 *   growth = 10
 *   novelty = no             ... and no novelty alerts either
 *   accounts = no            ... nor account alerts
 *
 * Unknown sections and keys, repeated keys, values that are not plain
 * decimal numbers in range, and lines inih cannot read are errors: the
 * first one is reported as "FILE:LINE: why".
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ini.h>

#include "config.h"
#include "ja4.h"
#include "detect.h"
#include "log.h"

#define LINE_MAX_LEN 200        /* inih's INI_MAX_LINE, less "\r\n\0" */

struct cfg_parse {
	FILE *f;
	int line;                   /* of the line inih works on */
	int err_line;               /* first error found here (0: none) */
	char err[512];
	struct det_config *dc;
	unsigned int *window_s;
	char section[LINE_MAX_LEN + 1];
	unsigned int seen;          /* keys set in the current section */
	int bare_allow;             /* line of an [allow "JA4"] with no key yet */
};

int config_number(const char *s, double min, double max, double *out)
{
	const char *p = s;
	int digits = 0, dots = 0;
	double v;

	for (; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (*p == '.' && !dots && digits)
			dots++;
		else
			return -1;
	}
	if (!digits || p[-1] == '.')
		return -1;
	errno = 0;
	v = strtod(s, NULL);
	if (errno || !isfinite(v) || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static const char *allow_name(const char *section, char *buf, size_t len);

/* An [allow "JA4"] section without keys: inih says nothing of it. */
static void bare_allow_check(struct cfg_parse *p)
{
	if (p->bare_allow && !p->err_line) {
		p->err_line = p->bare_allow;
		snprintf(p->err, sizeof(p->err), "[allow \"JA4\"] without min_ips or "
			 "growth (a JA4 that never alerts: [allow] ja4 = JA4)");
	}
	p->bare_allow = 0;
}

/* fgets for inih that counts lines and catches those it would misread:
 * too long for it, or with a NUL byte (the end of the line for inih) */
static char *reader(char *str, int num, void *stream)
{
	struct cfg_parse *p = stream;
	char name[LINE_MAX_LEN + 1], ja4[HS_JA4_LEN + 1];
	const char *s, *e;
	bool nul = false;
	int c = 0, n = 0;

	while (n < num - 1 && (c = getc(p->f)) != EOF) {
		nul |= !c;
		str[n++] = (char)c;
		if (c == '\n')
			break;
	}
	if (!n) {
		bare_allow_check(p);
		return NULL;
	}
	str[n] = '\0';
	p->line++;
	for (s = str; *s == ' ' || *s == '\t'; s++)
		;
	if (*s == '[') {
		bare_allow_check(p);
		e = strchr(s, ']');
		if (e && (size_t)(e - s) <= sizeof(name)) {
			memcpy(name, s + 1, (size_t)(e - s - 1));
			name[e - s - 1] = 0;
			if (allow_name(name, ja4, sizeof(ja4)))
				p->bare_allow = p->line;
		}
	}
	if (str[n - 1] != '\n' && c != EOF) {
		/* the rest of the line: skipped, an error */
		while ((c = getc(p->f)) != EOF && c != '\n')
			;
		if (!p->err_line) {
			p->err_line = p->line;
			snprintf(p->err, sizeof(p->err), "line longer than %d characters",
				 LINE_MAX_LEN);
		}
		snprintf(str, (size_t)num, "\n");
	} else if (nul) {
		if (!p->err_line) {
			p->err_line = p->line;
			snprintf(p->err, sizeof(p->err), "a NUL byte in the line");
		}
		snprintf(str, (size_t)num, "\n");
	}
	return str;
}

enum key_type { K_DOUBLE, K_UINT, K_INT, K_BOOL, K_BOOL_NOT /* stored as its negation */ };

struct key {
	const char *name;
	double min, max;
	enum key_type type;
	size_t off;                 /* in the section's struct; SIZE_MAX: window */
};

#define DK(n, lo, hi, t) { #n, lo, hi, t, offsetof(struct det_config, n) }
static const struct key detect_keys[] = {
	DK(min_ips, 1, 1e9, K_DOUBLE),
	DK(min_nets, 0, 1e9, K_DOUBLE),
	DK(max_conns_per_ip, 0.01, 1e9, K_DOUBLE),
	DK(min_stacks, 0, 1e9, K_DOUBLE),
	DK(growth, 1, 1e6, K_DOUBLE),
	DK(warmup, 0, 1e6, K_UINT),
	DK(alert_score, 0, 16, K_INT),
	DK(alpha, 0.001, 1, K_DOUBLE),
	DK(tcp_stacks, 0, 1, K_BOOL),
	DK(min_novel, 1, 1e9, K_DOUBLE),
	DK(novel_windows, 1, DET_NOVEL_MAX, K_UINT),
	{ "history", 60, 7 * 86400, K_UINT, offsetof(struct det_config, history_s) },
	DK(novelty, 0, 1, K_BOOL),
	DK(min_accounts, 1, 1e9, K_DOUBLE),
	DK(account_growth, 1, 1e6, K_DOUBLE),
	DK(min_accounts_per_ip, 1, 1e6, K_DOUBLE),
	{ "window", 1, 86400, K_UINT, SIZE_MAX },
};
_Static_assert(sizeof(detect_keys) / sizeof(detect_keys[0]) <= 32,
	       "a bit per key in cfg_parse.seen");
/* keys of an [allow "JA4"] section */
static const struct key allow_keys[] = {
	{ "min_ips", 1, 1e9, K_DOUBLE, offsetof(struct det_allow, min_ips) },
	{ "growth", 1, 1e6, K_DOUBLE, offsetof(struct det_allow, growth) },
	/* an entry's default is novelty = yes: stored as no_novelty */
	{ "novelty", 0, 1, K_BOOL_NOT, offsetof(struct det_allow, no_novelty) },
	{ "accounts", 0, 1, K_BOOL_NOT, offsetof(struct det_allow, no_accounts) },
};

static int fail(struct cfg_parse *p, const char *fmt, const char *a, const char *b)
{
	if (!p->err_line) {
		p->err_line = p->line;
		snprintf(p->err, sizeof(p->err), fmt, a, b);
	}
	return 0;
}

/* The JA4 of a section named allow "JA4", or NULL. */
static const char *allow_name(const char *section, char *buf, size_t len)
{
	size_t n;

	if (strncmp(section, "allow", 5))
		return NULL;
	section += 5;
	while (*section == ' ' || *section == '\t')
		section++;
	n = strlen(section);
	if (n < 3 || section[0] != '"' || section[n - 1] != '"' || n - 2 >= len)
		return NULL;
	memcpy(buf, section + 1, n - 2);
	buf[n - 2] = 0;
	return buf;
}

/* A JA4, or an unfingerprinted population (unfingerprinted:REASON: a site
 * whose clients legitimately send no ClientHello to a TLS port may raise
 * its thresholds as a JA4's). */
static bool valid_ja4(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= HS_JA4_LEN)
		return false;
	if (hs_is_unfp(s) && s[sizeof(HS_UNFP_PREFIX) - 1])
		s += sizeof(HS_UNFP_PREFIX) - 1;
	for (; *s; s++)
		/* ALPN characters are taken as they are: either case */
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= 'A' && *s <= 'Z') || *s == '_'))
			return false;
	return true;
}

static struct det_allow *allow_add(struct cfg_parse *p, const char *ja4)
{
	struct det_config *c = p->dc;
	struct det_allow *a;

	if (!valid_ja4(ja4)) {
		fail(p, "'%s' is not a JA4 (letters, digits, '_')%s", ja4, "");
		return NULL;
	}
	if (det_allowed(c, ja4)) {
		fail(p, "JA4 %s is allowlisted twice%s", ja4, "");
		return NULL;
	}
	if (c->nallow >= DET_ALLOW_MAX) {
		fail(p, "more than %s allowlisted JA4s%s", "256", "");
		return NULL;
	}
	a = &c->allow[c->nallow++];
	memset(a, 0, sizeof(*a));
	snprintf(a->ja4, sizeof(a->ja4), "%s", ja4);
	return a;
}

static int set_key(struct cfg_parse *p, const struct key *keys, size_t nkeys, void *base,
		   const char *name, const char *value)
{
	char range[64];
	double v;
	size_t i;

	for (i = 0; i < nkeys; i++)
		if (!strcmp(keys[i].name, name))
			break;
	if (i == nkeys)
		return fail(p, "unknown key '%s' in [%s]", name, p->section);
	if (p->seen & (1u << i))
		return fail(p, "'%s' set twice in [%s]", name, p->section);
	p->seen |= 1u << i;
	if (keys[i].type == K_BOOL || keys[i].type == K_BOOL_NOT) {
		bool yes = !strcmp(value, "yes") || !strcmp(value, "true") || !strcmp(value, "1");

		if (!yes && strcmp(value, "no") && strcmp(value, "false") && strcmp(value, "0"))
			return fail(p, "'%s' must be yes or no%s", name, "");
		*(bool *)((char *)base + keys[i].off) = keys[i].type == K_BOOL ? yes : !yes;
		return 1;
	}
	if (config_number(value, keys[i].min, keys[i].max, &v) ||
	    (keys[i].type != K_DOUBLE && strchr(value, '.'))) {
		bool integer = keys[i].type != K_DOUBLE;

		if (keys[i].max >= 1e6)
			snprintf(range, sizeof(range), "%s >= %g", integer ?
				 "an integer" : "a number", keys[i].min);
		else
			snprintf(range, sizeof(range), "%s %g-%g", integer ?
				 "an integer" : "a number", keys[i].min, keys[i].max);
		return fail(p, "'%s' must be %s", name, range);
	}
	if (keys[i].off == SIZE_MAX)
		*p->window_s = (unsigned int)v;
	else if (keys[i].type == K_UINT)
		*(unsigned int *)((char *)base + keys[i].off) = (unsigned int)v;
	else if (keys[i].type == K_INT)
		*(int *)((char *)base + keys[i].off) = (int)v;
	else
		*(double *)((char *)base + keys[i].off) = v;
	return 1;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct cfg_parse *p = user;
	char ja4[HS_JA4_LEN + 1];
	struct det_allow *a;

	if (strcmp(section, p->section)) {
		snprintf(p->section, sizeof(p->section), "%s", section);
		p->seen = 0;
		/* a new [allow "JA4"] section: its entry */
		if (allow_name(section, ja4, sizeof(ja4)) && !allow_add(p, ja4))
			return 0;
	}
	if (!*section)
		return fail(p, "'%s' outside any section%s", name, "");
	if (!strcmp(section, "detect"))
		return set_key(p, detect_keys, sizeof(detect_keys) / sizeof(detect_keys[0]),
			       p->dc, name, value);
	if (!strcmp(section, "allow")) {
		if (strcmp(name, "ja4"))
			return fail(p, "unknown key '%s' in [allow] (only ja4 = JA4)%s", name, "");
		return allow_add(p, value) != NULL;
	}
	if (allow_name(section, ja4, sizeof(ja4))) {
		p->bare_allow = 0;
		a = (struct det_allow *)det_allowed(p->dc, ja4);
		if (!a)     /* its entry was refused: error already reported */
			return 0;
		return set_key(p, allow_keys, sizeof(allow_keys) / sizeof(allow_keys[0]),
			       a, name, value);
	}
	return fail(p, "unknown section [%s]%s", section, "");
}

int config_load(const char *path, struct det_config *dc, unsigned int *window_s,
		char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	int rc;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = config_read(f, path, dc, window_s, err, errlen);
	fclose(f);
	return rc;
}

int config_read(FILE *f, const char *path, struct det_config *dc, unsigned int *window_s,
		char *err, size_t errlen)
{
	struct det_config c = *dc;
	unsigned int w = *window_s;
	struct cfg_parse p = { .f = f, .dc = &c, .window_s = &w };
	int rc;

	rc = ini_parse_stream(reader, &p, handler, &p);
	if (!rc && ferror(f))
		rc = -1;
	if (rc < 0) {
		snprintf(err, errlen, "%s: read error", path);
		return -1;
	}
	if (rc > 0 || p.err_line) {
		if (p.err_line && (rc <= 0 || p.err_line <= rc))
			snprintf(err, errlen, "%s:%d: %s", path, p.err_line, p.err);
		else
			snprintf(err, errlen, "%s:%d: not a [section] or a 'name = value' line",
				 path, rc);
		return -1;
	}
	*dc = c;
	*window_s = w;
	return 0;
}

int det_settings(const char *path, double min_ips, struct det_config *dc,
		 unsigned int *file_window)
{
	char err[512];

	/* defaults, then the file, then the options */
	det_config_default(dc);
	*file_window = 0;
	if (path && config_load(path, dc, file_window, err, sizeof(err))) {
		pr_warn("%s", err);
		return -1;
	}
	if (min_ips)
		dc->min_ips = min_ips;
	return 0;
}
