// SPDX-License-Identifier: BSD-3-Clause
/*
 * p0f v3 fingerprint database (p0f.fp): load the [tcp:request] signatures
 * and name the OS of a SYN signature the way p0f 3.09b does in its "os ="
 * (or, for userland tools, "app =") line.
 *
 * The file format and the matching rules follow p0f's documented and
 * observed behaviour; the code is our own. What the matcher does, in order
 * of preference:
 *   1. the first exact match of a specific ("s:") signature;
 *   2. else the first exact match of a generic ("g:") signature;
 *   3. else the first fuzzy match (quirks off by the allowed amount, or the
 *      TTL too far from the initial TTL), unless it is a userland tool.
 * Lines p0f would refuse are reported once and skipped; the rest loads.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p0fdb.h"
#include "log.h"

#define MAX_DIST      35      /* p0f: farther than this is a fuzzy TTL match */
#define MIN_TCP4      40      /* IPv4 + TCP headers without options */
#define MIN_TCP6      60

/* Bounds on what one database may hold; p0f.fp 3.09b is far below them. */
#define DB_LINE_MAX   4096    /* longest line: DB_LINE_MAX - 1 bytes */
#define DB_SIGS_MAX   16384
#define DB_LABELS_MAX 16384
#define DB_NAMES_MAX  4096
#define DB_CLASS_MAX  64
#define DB_WARN_MAX   32      /* malformed lines reported per load */

#define NAME_EXTRA    " ./-_!?()"   /* besides letters and digits */

enum win_kind {
	WIN_EXACT,      /* "8192" */
	WIN_ANY,        /* "*" */
	WIN_MOD,        /* "%8192": any multiple */
	WIN_MSS,        /* "mss*20" */
	WIN_MTU,        /* "mtu*4" */
};

/* One [tcp:request] signature. -1 in a signed field is p0f's "*". */
struct db_sig {
	__u32 quirks;                     /* enum hs_quirk */
	__u32 label;                      /* index into db.label */
	__u32 line;                       /* where it came from, for messages */
	__s32 mss;
	__s16 wscale;
	__u16 win;                        /* value, modulus or multiplier */
	__s8  ip_ver;                     /* 4, 6, -1 */
	__s8  pclass;                     /* 0, 1 (payload), -1 */
	__u8  ittl;                       /* initial TTL, distance included */
	__u8  olen;
	__u8  win_kind;                   /* enum win_kind */
	__u8  opt_cnt;
	__u8  opt_layout[HS_TCP_MAX_OPTS];
	__u8  eol_pad;
	bool  bad_ttl;                    /* "ttl-": TTL is random, no fuzz */
	bool  generic;
	bool  tool;                       /* class "!": userland tool */
};

static struct p0f_db {
	struct db_sig *sig;
	size_t n_sig;
	char **label;                     /* "name flavor", as p0f prints it */
	size_t n_label;
} db;

/* ---- matching ---- */

/* An observation to compare signatures against: a packet's SYN signature,
 * or another database signature (to find lines that can never win). */
struct probe {
	__u32 quirks;
	int   ip_ver;
	int   ttl;
	int   olen;
	int   mss;                        /* -1 only when probing with a db_sig */
	int   wscale;
	int   pclass;
	int   win;
	int   win_kind;                   /* WIN_EXACT for packets */
	int   mult;                       /* window / divisor, 0 if none */
	bool  mult_mtu;                   /* divisor was an MTU, not an MSS */
	__u8  opt_cnt;
	const __u8 *opt_layout;
	__u8  eol_pad;
};

enum match { MATCH_NONE, MATCH_EXACT, MATCH_FUZZY };

/*
 * Is the window a whole multiple of the MSS or of an MTU? Divisors are
 * tried in p0f's order and the first that divides wins: with MSS 1000, a
 * window of 4 * 1460 is still "mss*4" (the MSS of a 1500-byte MTU), and
 * 4 * 1040 is "mtu*4". Returns the multiplier, 0 if none.
 */
static int win_multiple(int win, int mss, bool ts1, int ip_ver, int tot_hdr,
			bool *mtu)
{
	const struct { int div; bool mtu; bool use; } cand[] = {
		{ mss,                  false, true },
		{ mss - 12,             false, ts1 },   /* timestamps eat 12 bytes */
		{ 1500 - MIN_TCP4,      false, true },
		{ 1500 - MIN_TCP4 - 12, false, true },
		{ 1500 - MIN_TCP6,      false, ip_ver == 6 },
		{ 1500 - MIN_TCP6 - 12, false, ip_ver == 6 },
		{ mss + MIN_TCP4,       true,  true },
		{ mss + tot_hdr,        true,  true },
		{ mss + MIN_TCP6,       true,  ip_ver == 6 },
		{ 1500,                 true,  true },
	};
	size_t i;

	*mtu = false;
	if (win <= 0 || mss < 100)
		return 0;
	for (i = 0; i < sizeof(cand) / sizeof(cand[0]); i++) {
		if (cand[i].use && cand[i].div > 0 && win % cand[i].div == 0) {
			*mtu = cand[i].mtu;
			return win / cand[i].div;
		}
	}
	return 0;
}

/* Compare one signature with the probe. */
static enum match match_sig(const struct db_sig *d, const struct probe *p)
{
	__u32 want = d->quirks;
	bool fuzzy = false;

	if (d->opt_cnt != p->opt_cnt ||
	    memcmp(d->opt_layout, p->opt_layout, p->opt_cnt))
		return MATCH_NONE;

	/* A version-less signature cannot hold quirks of the other version. */
	if (d->ip_ver < 0)
		want &= p->ip_ver == 4 ? ~(__u32)HS_Q_FLOW :
			~(__u32)(HS_Q_DF | HS_Q_NZ_ID | HS_Q_ZERO_ID);

	if (want != p->quirks) {
		__u32 gone = want & ~p->quirks, extra = p->quirks & ~want;

		/* Middleboxes clear DF / rewrite the ID and set ECN: tolerated. */
		if ((gone & ~(__u32)(HS_Q_DF | HS_Q_NZ_ID)) ||
		    (extra & ~(__u32)(HS_Q_ZERO_ID | HS_Q_ECN)))
			return MATCH_NONE;
		fuzzy = true;
	}

	if (d->eol_pad != p->eol_pad || d->olen != p->olen)
		return MATCH_NONE;

	if (d->bad_ttl) {
		if (d->ittl < p->ttl)
			return MATCH_NONE;
	} else if (d->ittl < p->ttl || d->ittl - p->ttl > MAX_DIST) {
		fuzzy = true;
	}

	if ((d->mss >= 0 && d->mss != p->mss) ||
	    (d->wscale >= 0 && d->wscale != p->wscale) ||
	    (d->pclass >= 0 && d->pclass != p->pclass))
		return MATCH_NONE;

	if (p->win_kind != WIN_EXACT) {
		/* Only when probing with another signature. */
		if (d->win_kind != p->win_kind || d->win != p->win)
			return MATCH_NONE;
	} else {
		switch (d->win_kind) {
		case WIN_EXACT:
			if (d->win != p->win)
				return MATCH_NONE;
			break;
		case WIN_MOD:
			if (p->win % d->win)
				return MATCH_NONE;
			break;
		case WIN_MSS:
		case WIN_MTU:
			if (p->mult_mtu != (d->win_kind == WIN_MTU) ||
			    d->win != p->mult)
				return MATCH_NONE;
			break;
		default:
			break;
		}
	}
	return fuzzy ? MATCH_FUZZY : MATCH_EXACT;
}

/*
 * Best signature for the probe, NULL if none. With exact_only, only an
 * exact specific match counts (used to find lines that can never win).
 */
static const struct db_sig *find_match(const struct db_sig *sigs, size_t n,
				       const struct probe *p, bool exact_only)
{
	const struct db_sig *generic = NULL, *fuzzy = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct db_sig *d = &sigs[i];

		switch (match_sig(d, p)) {
		case MATCH_EXACT:
			if (!d->generic)
				return d;
			if (!generic)
				generic = d;
			break;
		case MATCH_FUZZY:
			if (!fuzzy)
				fuzzy = d;
			break;
		default:
			break;
		}
	}
	if (exact_only)
		return NULL;
	if (generic)
		return generic;
	/* p0f does not guess at userland tools. */
	if (fuzzy && fuzzy->tool)
		return NULL;
	return fuzzy;
}

const char *p0f_db_label(const struct hs_tcp_sig *s)
{
	const struct db_sig *d;
	struct probe p = { 0 };
	int tot_hdr;

	if (!s || !db.n_sig)
		return "";

	tot_hdr = (s->ip_ver == 4 ? 20 : 40) + s->ip_opt_len + s->tcp_hlen;
	p.quirks = s->quirks;
	p.ip_ver = s->ip_ver;
	p.ttl = s->ttl;
	p.olen = s->ip_opt_len;
	p.mss = s->mss;
	p.wscale = s->wscale;
	p.pclass = (s->flags & HS_SIGF_PAYLOAD) ? 1 : 0;
	p.win = s->win;
	p.win_kind = WIN_EXACT;
	p.mult = win_multiple(s->win, s->mss, s->flags & HS_SIGF_TS1,
			      s->ip_ver, tot_hdr, &p.mult_mtu);
	p.opt_cnt = s->opt_cnt > HS_TCP_MAX_OPTS ? HS_TCP_MAX_OPTS : s->opt_cnt;
	p.opt_layout = s->opt_layout;
	p.eol_pad = s->opt_eol_pad;

	d = find_match(db.sig, db.n_sig, &p, false);
	return d ? db.label[d->label] : "";
}

/*
 * p0f refuses a signature that an earlier specific one already matches
 * exactly when read as if it were a packet; it could never be reported.
 */
static const struct db_sig *covered_by(const struct db_sig *sigs, size_t n,
				       const struct db_sig *d)
{
	struct probe p = {
		.quirks = d->quirks,
		.ip_ver = d->ip_ver,
		.ttl = d->ittl,
		.olen = d->olen,
		.mss = d->mss,
		.wscale = d->wscale,
		.pclass = d->pclass,
		.win = d->win,
		.win_kind = d->win_kind,
		.opt_cnt = d->opt_cnt,
		.opt_layout = d->opt_layout,
		.eol_pad = d->eol_pad,
	};

	/* A signature has no timestamp value and no header length. */
	if (d->win_kind == WIN_EXACT)
		p.mult = win_multiple(d->win, d->mss, false, d->ip_ver, 0,
				      &p.mult_mtu);
	return find_match(sigs, n, &p, true);
}

/* ---- parsing ---- */

enum section {
	SECT_NONE,        /* before the first [section] */
	SECT_TCP_REQ,     /* [tcp:request]: the one we load */
	SECT_HTTP_REQ,    /* [http:request]: only names (labels, ua_os, sys) */
	SECT_OTHER,       /* [tcp:response], [http:response]: only names */
	SECT_MTU,         /* [mtu]: nothing */
	SECT_BAD,         /* unknown module or direction: skipped */
};

enum state {
	ST_NEED_SECT,     /* before the first [section] */
	ST_NEED_LABEL,    /* section opened, no label yet */
	ST_NEED_SYS,      /* userland-tool label: 'sys' comes next */
	ST_NEED_SIG,      /* label (and sys) seen: signatures follow */
	ST_SKIP,          /* label was bad: drop its sys and sig lines */
};

struct loader {
	const char *path;
	unsigned int line;
	unsigned int warned;
	bool full;                        /* a DB_*_MAX limit was reported */
	struct p0f_db out;
	size_t cap_sig, cap_label;
	char **name;                      /* OS / tool names, first spelling */
	size_t n_name, cap_name;
	char *class[DB_CLASS_MAX];
	size_t n_class;
	enum section sect;
	enum state st;
	__u32 label;                      /* current label (tcp:request) */
	bool generic, tool;
	bool oom;
};

/* Report a line once (up to DB_WARN_MAX per load); the caller skips it. */
static void bad_line(struct loader *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void bad_line(struct loader *l, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (++l->warned > DB_WARN_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_warn("%s line %u: %s, skipped", l->path, l->line, msg);
}

static void limit_hit(struct loader *l, const char *what, unsigned int max)
{
	if (l->full)
		return;
	l->full = true;
	pr_warn("%s line %u: more than %u %s; the rest is ignored",
		l->path, l->line, max, what);
}

/* Locale-independent: p0f.fp is ASCII. */
static bool is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(int c)
{
	return is_alpha(c) || is_digit(c);
}

static bool is_blank(int c)
{
	return c == ' ' || c == '\t';
}

static bool is_name_char(int c)
{
	return c && (is_alnum(c) || strchr(NAME_EXTRA, c));
}

static int ascii_casecmp_n(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int x = (unsigned char)a[i], y = (unsigned char)b[i];

		if (x >= 'A' && x <= 'Z')
			x += 'a' - 'A';
		if (y >= 'A' && y <= 'Z')
			y += 'a' - 'A';
		if (x != y)
			return x - y;
		if (!x)
			return 0;
	}
	return 0;
}

/*
 * Run of decimal digits at *p, possibly empty (p0f reads that as 0).
 * Saturates instead of overflowing, so the caller's range check catches it.
 */
static unsigned long take_num(const char **p)
{
	unsigned long v = 0;

	while (is_digit(**p)) {
		if (v < 1000000)
			v = v * 10 + (unsigned long)(**p - '0');
		(*p)++;
	}
	return v;
}

/* Skip one expected character. */
static bool take(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

/* Does the keyword start at p and end at a list separator? */
static bool take_word(const char **p, const char *word)
{
	size_t n = strlen(word);

	if (strncmp(*p, word, n) || ((*p)[n] != ',' && (*p)[n] != ':'))
		return false;
	*p += n;
	return true;
}

static int find_class(const struct loader *l, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < l->n_class; i++)
		if (strlen(l->class[i]) == len && !ascii_casecmp_n(l->class[i], s, len))
			return (int)i;
	return -1;
}

/*
 * Index of a name, adding it if new. Names compare case-insensitively and
 * keep the spelling they were first seen with, in whichever section: that
 * is the spelling p0f prints. -1 on allocation failure or limit.
 */
static long name_id(struct loader *l, const char *s, size_t len)
{
	size_t i;
	char *copy;

	for (i = 0; i < l->n_name; i++)
		if (strlen(l->name[i]) == len && !ascii_casecmp_n(l->name[i], s, len))
			return (long)i;
	if (l->n_name >= DB_NAMES_MAX) {
		limit_hit(l, "names", DB_NAMES_MAX);
		return -1;
	}
	if (l->n_name == l->cap_name) {
		size_t cap = l->cap_name ? l->cap_name * 2 : 64;
		char **n = realloc(l->name, cap * sizeof(*n));

		if (!n) {
			l->oom = true;
			return -1;
		}
		l->name = n;
		l->cap_name = cap;
	}
	copy = strndup(s, len);
	if (!copy) {
		l->oom = true;
		return -1;
	}
	l->name[l->n_name] = copy;
	return (long)l->n_name++;
}

static void parse_classes(struct loader *l, const char *v)
{
	const char *start[DB_CLASS_MAX];
	size_t len[DB_CLASS_MAX], n = 0, i;

	/* Check the whole list first: a bad line adds nothing. */
	while (*v) {
		const char *e;

		while (is_blank(*v) || *v == ',')
			v++;
		if (!*v)
			break;
		for (e = v; is_alnum(*e); e++)
			;
		if (e == v || (*e && *e != ',')) {
			bad_line(l, "malformed class list");
			return;
		}
		if (l->n_class + n >= DB_CLASS_MAX) {
			bad_line(l, "more than %d classes", DB_CLASS_MAX);
			return;
		}
		start[n] = v;
		len[n++] = (size_t)(e - v);
		v = e;
	}
	for (i = 0; i < n; i++) {
		if (find_class(l, start[i], len[i]) >= 0)
			continue;
		l->class[l->n_class] = strndup(start[i], len[i]);
		if (!l->class[l->n_class]) {
			l->oom = true;
			return;
		}
		l->n_class++;
	}
}

/* "Linux,Windows,iOS=[iPad],...": only the names matter to us. */
static void parse_ua_os(struct loader *l, const char *v)
{
	const char *p = v;

	/* Validate before registering anything. */
	while (*p) {
		const char *e = p;

		while (is_name_char(*e))
			e++;
		if (e == p) {
			bad_line(l, "malformed system name in ua_os");
			return;
		}
		p = e;
		if (*p == '=') {
			const char *close;

			if (p[1] != '[' || !(close = strchr(p + 2, ']')) ||
			    close == p + 2) {
				bad_line(l, "malformed '=[...]' in ua_os");
				return;
			}
			p = close + 1;
		}
		if (*p == ',')
			p++;
	}
	for (p = v; *p;) {
		const char *e = p;

		while (is_name_char(*e))
			e++;
		if (name_id(l, p, (size_t)(e - p)) < 0)
			return;
		p = e;
		if (*p == '=')
			p = strchr(p, ']') + 1;
		if (*p == ',')
			p++;
	}
}

/* "@unix,@win" or "Windows,Linux": registers the names. */
static bool parse_sys(struct loader *l, const char *v)
{
	const char *p;
	int pass;

	/* First pass checks, second registers: a bad list adds nothing. */
	for (pass = 0; pass < 2; pass++) {
		for (p = v; *p;) {
			bool is_class = false;
			const char *e;

			while (is_blank(*p) || *p == ',')
				p++;
			if (!*p)
				break;
			if (*p == '@') {
				is_class = true;
				p++;
			}
			for (e = p; is_name_char(*e); e++)
				;
			if (e == p || (*e && *e != ',')) {
				bad_line(l, "malformed sys entry");
				return false;
			}
			if (is_class && find_class(l, p, (size_t)(e - p)) < 0) {
				bad_line(l, "unknown class '%.*s'", (int)(e - p), p);
				return false;
			}
			if (pass && !is_class && name_id(l, p, (size_t)(e - p)) < 0)
				return false;
			p = e;
		}
	}
	return true;
}

static int add_label(struct loader *l, const char *name, const char *flavor)
{
	size_t nlen = strlen(name), flen = flavor ? strlen(flavor) : 0;
	char *s;

	if (l->out.n_label >= DB_LABELS_MAX) {
		limit_hit(l, "labels", DB_LABELS_MAX);
		return -1;
	}
	if (l->out.n_label == l->cap_label) {
		size_t cap = l->cap_label ? l->cap_label * 2 : 64;
		char **n = realloc(l->out.label, cap * sizeof(*n));

		if (!n) {
			l->oom = true;
			return -1;
		}
		l->out.label = n;
		l->cap_label = cap;
	}
	s = malloc(nlen + flen + 2);
	if (!s) {
		l->oom = true;
		return -1;
	}
	memcpy(s, name, nlen);
	if (flen) {
		s[nlen] = ' ';
		memcpy(s + nlen + 1, flavor, flen);
		nlen += flen + 1;
	}
	s[nlen] = '\0';
	l->label = (__u32)l->out.n_label;
	l->out.label[l->out.n_label++] = s;
	return 0;
}

/* "s:unix:Linux:3.11 and newer", "g:!:NMap:" */
static void parse_label(struct loader *l, const char *v)
{
	const char *cls, *name, *e;
	bool generic, tool;
	long id;

	l->st = ST_SKIP;   /* until the label proves good */
	if (l->sect == SECT_MTU) {
		if (!*v)
			bad_line(l, "empty MTU label");
		else
			l->st = ST_NEED_SIG;
		return;
	}

	if ((v[0] != 'g' && v[0] != 's') || v[1] != ':') {
		bad_line(l, "label must start with 's:' or 'g:' (with its signatures)");
		return;
	}
	generic = v[0] == 'g';
	cls = v + 2;
	for (e = cls; is_alnum(*e) || *e == '!'; e++)
		;
	if (e == cls || *e != ':') {
		bad_line(l, "malformed class in label (with its signatures)");
		return;
	}
	tool = e - cls == 1 && *cls == '!';
	if (!tool && find_class(l, cls, (size_t)(e - cls)) < 0) {
		bad_line(l, "unknown class '%.*s' in label (with its signatures)",
			 (int)(e - cls), cls);
		return;
	}
	name = e + 1;
	for (e = name; is_name_char(*e); e++)
		;
	if (e == name || *e != ':') {
		bad_line(l, "malformed name in label (with its signatures)");
		return;
	}
	id = name_id(l, name, (size_t)(e - name));
	if (id < 0)
		return;

	if (l->sect == SECT_TCP_REQ &&
	    add_label(l, l->name[id], e[1] ? e + 1 : NULL) < 0)
		return;
	l->generic = generic;
	l->tool = tool;
	l->st = tool ? ST_NEED_SYS : ST_NEED_SIG;
}

static const struct {
	const char *name;
	__u32 bit;
	int not_ver;       /* the IP version it cannot appear with */
} quirk_tab[] = {
	{ "df",     HS_Q_DF,       6 },
	{ "id+",    HS_Q_NZ_ID,    6 },
	{ "id-",    HS_Q_ZERO_ID,  6 },
	{ "ecn",    HS_Q_ECN,      0 },
	{ "0+",     HS_Q_NZ_MBZ,   6 },
	{ "flow",   HS_Q_FLOW,     4 },
	{ "seq-",   HS_Q_ZERO_SEQ, 0 },
	{ "ack+",   HS_Q_NZ_ACK,   0 },
	{ "ack-",   HS_Q_ZERO_ACK, 0 },
	{ "uptr+",  HS_Q_NZ_URG,   0 },
	{ "urgf+",  HS_Q_URG,      0 },
	{ "pushf+", HS_Q_PUSH,     0 },
	{ "ts1-",   HS_Q_ZERO_TS1, 0 },
	{ "ts2+",   HS_Q_NZ_TS2,   0 },
	{ "opt+",   HS_Q_OPT_EOL,  0 },
	{ "exws",   HS_Q_EXWS,     0 },
	{ "bad",    HS_Q_OPT_BAD,  0 },
};

static const struct {
	const char *name;
	__u8 kind;
} opt_tab[] = {
	{ "nop", 1 }, { "mss", 2 }, { "ws", 3 }, { "sok", 4 }, { "sack", 5 },
	{ "ts", 8 },
};

/* "eol+N" (last), known names, "?N"; sets *why and returns false if bad. */
static bool parse_opts(const char **pp, struct db_sig *d, const char **why)
{
	const char *p = *pp;

	while (*p != ':') {
		size_t i;

		if (d->opt_cnt >= HS_TCP_MAX_OPTS) {
			*why = "more than 24 TCP options";
			return false;
		}
		if (!strncmp(p, "eol", 3)) {
			unsigned long pad;

			p += 3;
			if (!take(&p, '+')) {
				*why = "malformed EOL option";
				return false;
			}
			pad = take_num(&p);
			if (*p != ':') {
				*why = *p ? "EOL must be the last option" : "truncated options";
				return false;
			}
			if (pad > 255) {
				*why = "bogus EOL padding";
				return false;
			}
			d->opt_layout[d->opt_cnt++] = 0;
			d->eol_pad = (__u8)pad;
		} else if (*p == '?') {
			unsigned long kind;

			p++;
			kind = take_num(&p);
			if ((*p != ':' && *p != ',') || kind > 255) {
				*why = "malformed '?' option";
				return false;
			}
			d->opt_layout[d->opt_cnt++] = (__u8)kind;
		} else {
			for (i = 0; i < sizeof(opt_tab) / sizeof(opt_tab[0]); i++)
				if (take_word(&p, opt_tab[i].name))
					break;
			if (i == sizeof(opt_tab) / sizeof(opt_tab[0])) {
				*why = "unrecognized TCP option";
				return false;
			}
			d->opt_layout[d->opt_cnt++] = opt_tab[i].kind;
		}
		/* p0f accepts a trailing comma before the ':' */
		if (*p == ',')
			p++;
	}
	*pp = p + 1;
	return true;
}

static bool parse_quirks(const char **pp, struct db_sig *d, const char **why)
{
	const char *p = *pp;

	while (*p != ':') {
		size_t i;

		for (i = 0; i < sizeof(quirk_tab) / sizeof(quirk_tab[0]); i++)
			if (take_word(&p, quirk_tab[i].name))
				break;
		if (i == sizeof(quirk_tab) / sizeof(quirk_tab[0])) {
			*why = "unrecognized quirk";
			return false;
		}
		if (quirk_tab[i].not_ver && quirk_tab[i].not_ver == d->ip_ver) {
			*why = d->ip_ver == 4 ? "quirk not valid for IPv4" :
				"quirk not valid for IPv6";
			return false;
		}
		d->quirks |= quirk_tab[i].bit;
		if (*p == ',')
			p++;
	}
	*pp = p + 1;
	return true;
}

/* ver:ittl:olen:mss:wsize,scale:olayout:quirks:pclass */
#define MALFORMED "malformed signature"

/* Initial TTL: "64", "64+3" (distance folded in) or "64-" (random), and
 * the ':' after it. */
static bool sig_ttl(const char **p, struct db_sig *d, const char **why)
{
	unsigned long n = take_num(p), add;

	if (n < 1 || n > 255) {
		*why = "bogus initial TTL";
		return false;
	}
	d->ittl = (__u8)n;
	if (take(p, '-')) {
		if (!take(p, ':') || !**p) {
			*why = MALFORMED;
			return false;
		}
		d->bad_ttl = true;
		/*
		 * p0f 3.09b steps one character too far here and never looks
		 * at the first character of the option-length field ("64-:0:"
		 * reads as length 0). Do the same so "64-:N" loads alike.
		 */
		if (**p != ':')
			(*p)++;
		return true;
	}
	if (take(p, '+')) {
		add = take_num(p);
		if (n + add > 255) {
			*why = "bogus initial TTL";
			return false;
		}
		d->ittl = (__u8)(n + add);
	}
	if (!take(p, ':')) {
		*why = MALFORMED;
		return false;
	}
	return true;
}

/* "*:" (any: -1) or a number up to max, and the ':' after it. */
static bool sig_num(const char **p, unsigned long max, const char *bogus, long *v,
		    const char **why)
{
	unsigned long n;

	if (!strncmp(*p, "*:", 2)) {
		*v = -1;
		*p += 2;
		return true;
	}
	n = take_num(p);
	if (n > max) {
		*why = bogus;
		return false;
	}
	if (!take(p, ':')) {
		*why = MALFORMED;
		return false;
	}
	*v = (long)n;
	return true;
}

/* The window: "*", "N", "%N", "mss*N" or "mtu*N", and the ',' after it. */
static bool sig_window(const char **p, struct db_sig *d, const char **why)
{
	unsigned long n, lo = 0, hi = 65535;

	if (!strncmp(*p, "*,", 2)) {
		d->win_kind = WIN_ANY;
		*p += 2;
		return true;
	}
	if (take(p, '%')) {
		d->win_kind = WIN_MOD;
		lo = 2;
	} else if (!strncmp(*p, "mss*", 4) || !strncmp(*p, "mtu*", 4)) {
		d->win_kind = (*p)[1] == 's' ? WIN_MSS : WIN_MTU;
		*p += 4;
		lo = 1;
		hi = 1000;
	} else {
		d->win_kind = WIN_EXACT;
	}
	n = take_num(p);
	if (**p != ',') {
		*why = MALFORMED;
		return false;
	}
	if (n < lo || n > hi) {
		*why = "bogus window size";
		return false;
	}
	(*p)++;
	d->win = (__u16)n;
	return true;
}

static bool parse_tcp_sig(const char *p, struct db_sig *d, const char **why)
{
	unsigned long n;
	long mss, wscale;

	memset(d, 0, sizeof(*d));
	switch (*p) {
	case '4': d->ip_ver = 4; break;
	case '6': d->ip_ver = 6; break;
	case '*': d->ip_ver = -1; break;
	default:
		*why = "unrecognized IP version";
		return false;
	}
	p++;
	if (!take(&p, ':')) {
		*why = MALFORMED;
		return false;
	}
	if (!sig_ttl(&p, d, why))
		return false;
	n = take_num(&p);   /* the IP options' length: no '*' */
	if (n > 255) {
		*why = "bogus IP option length";
		return false;
	}
	if (!take(&p, ':')) {
		*why = MALFORMED;
		return false;
	}
	d->olen = (__u8)n;
	if (!sig_num(&p, 65535, "bogus MSS", &mss, why) || !sig_window(&p, d, why) ||
	    !sig_num(&p, 255, "bogus window scale", &wscale, why))
		return false;
	d->mss = (__s32)mss;
	d->wscale = (__s16)wscale;
	if (!parse_opts(&p, d, why) || !parse_quirks(&p, d, why))
		return false;
	if (!strcmp(p, "*"))
		d->pclass = -1;
	else if (!strcmp(p, "0"))
		d->pclass = 0;
	else if (!strcmp(p, "+"))
		d->pclass = 1;
	else {
		*why = "malformed payload class";
		return false;
	}
	return true;
}

static void add_tcp_sig(struct loader *l, const char *v)
{
	const struct db_sig *dup;
	const char *why = NULL;
	struct db_sig d;

	if (!parse_tcp_sig(v, &d, &why)) {
		bad_line(l, "%s", why);
		return;
	}
	dup = covered_by(l->out.sig, l->out.n_sig, &d);
	if (dup) {
		bad_line(l, "signature already covered by line %u", dup->line);
		return;
	}
	if (l->out.n_sig >= DB_SIGS_MAX) {
		limit_hit(l, "signatures", DB_SIGS_MAX);
		return;
	}
	if (l->out.n_sig == l->cap_sig) {
		size_t cap = l->cap_sig ? l->cap_sig * 2 : 128;
		struct db_sig *n = realloc(l->out.sig, cap * sizeof(*n));

		if (!n) {
			l->oom = true;
			return;
		}
		l->out.sig = n;
		l->cap_sig = cap;
	}
	d.label = l->label;
	d.line = l->line;
	d.generic = l->generic;
	d.tool = l->tool;
	l->out.sig[l->out.n_sig++] = d;
}

/* "[tcp:request]", "[http:response]", "[mtu]" (the '[' already skipped) */
static void parse_section(struct loader *l, const char *s)
{
	bool tcp = !strncmp(s, "tcp:", 4), http = !strncmp(s, "http:", 5);
	const char *dir = s + (tcp ? 4 : 5);

	l->st = ST_NEED_LABEL;
	if (!strcmp(s, "mtu]")) {
		l->sect = SECT_MTU;
		return;
	}
	if ((!tcp && !http) ||
	    (strcmp(dir, "request]") && strcmp(dir, "response]"))) {
		/* Unknown module: everything up to the next section goes. */
		l->sect = SECT_BAD;
		bad_line(l, "unrecognized section '[%.64s' (up to the next one)", s);
		return;
	}
	if (!strcmp(dir, "request]"))
		l->sect = tcp ? SECT_TCP_REQ : SECT_HTTP_REQ;
	else
		l->sect = SECT_OTHER;
}

static void parse_line(struct loader *l, char *line)
{
	char *key = line, *v = line;
	size_t klen;

	if (*line == '[') {
		parse_section(l, line + 1);
		return;
	}
	if (l->sect == SECT_BAD)
		return;

	while (is_alpha(*v) || *v == '_')
		v++;
	klen = (size_t)(v - key);
	while (is_blank(*v))
		v++;
	if (!klen || *v != '=') {
		bad_line(l, "expected 'name = value'");
		return;
	}
	v++;
	while (is_blank(*v))
		v++;

#define KEY(k) (klen == sizeof(k) - 1 && !strncmp(key, k, klen))
	if (KEY("classes")) {
		if (l->st != ST_NEED_SECT)
			bad_line(l, "'classes' must come before the first section");
		else
			parse_classes(l, v);
	} else if (KEY("ua_os")) {
		if (l->st != ST_NEED_LABEL || l->sect != SECT_HTTP_REQ)
			bad_line(l, "misplaced 'ua_os'");
		else
			parse_ua_os(l, v);
	} else if (KEY("label")) {
		/* p0f also refuses a label while a tool label still waits
		 * for its 'sys'; here the new label simply starts over. */
		if (l->st == ST_NEED_SECT) {
			bad_line(l, "misplaced 'label'");
			return;
		}
		parse_label(l, v);
	} else if (KEY("sys")) {
		if (l->st == ST_SKIP)
			return;
		if (l->st != ST_NEED_SYS) {
			bad_line(l, "misplaced 'sys'");
			return;
		}
		/* A bad list is reported; the label's signatures still load. */
		parse_sys(l, v);
		l->st = ST_NEED_SIG;
	} else if (KEY("sig")) {
		if (l->st == ST_SKIP)
			return;
		if (l->st != ST_NEED_SIG) {
			bad_line(l, "misplaced 'sig'");
			return;
		}
		if (l->sect == SECT_TCP_REQ)
			add_tcp_sig(l, v);
	} else {
		bad_line(l, "unrecognized field '%.*s'", (int)klen, key);
	}
#undef KEY
}

static void db_release(struct p0f_db *d)
{
	size_t i;

	for (i = 0; i < d->n_label; i++)
		free(d->label[i]);
	free(d->label);
	free(d->sig);
	memset(d, 0, sizeof(*d));
}

static void loader_release(struct loader *l)
{
	size_t i;

	for (i = 0; i < l->n_name; i++)
		free(l->name[i]);
	free(l->name);
	for (i = 0; i < l->n_class; i++)
		free(l->class[i]);
}

enum line_status { LINE_OK, LINE_EOF, LINE_LONG, LINE_NUL };

/*
 * One line into buf, without its newline. A line that does not fit, or
 * holds a NUL byte, is consumed and reported as such: no line can make
 * the loader allocate or misparse.
 */
static enum line_status read_line(FILE *f, char *buf, size_t size)
{
	enum line_status st = LINE_OK;
	size_t len = 0;
	int c;

	while ((c = getc(f)) != EOF && c != '\n') {
		if (!c)
			st = LINE_NUL;
		else if (len + 1 < size)
			buf[len++] = (char)c;
		else if (st == LINE_OK)
			st = LINE_LONG;
	}
	buf[len] = '\0';
	if (c == EOF && !len && st == LINE_OK)
		return LINE_EOF;
	return st;
}

int p0f_db_load(const char *path)
{
	FILE *f;
	int err;

	if (!path)
		return -EINVAL;
	f = fopen(path, "r");
	if (!f)
		return -errno;
	err = p0f_db_read(f, path);
	fclose(f);
	return err;
}

int p0f_db_read(FILE *f, const char *path)
{
	struct loader l = { .path = path, .st = ST_NEED_SECT };
	char buf[DB_LINE_MAX];
	enum line_status st;
	int err = 0;

	while (!l.oom && (st = read_line(f, buf, sizeof(buf))) != LINE_EOF) {
		size_t len = strlen(buf);
		char *s = buf;

		if (ferror(f)) {
			err = errno ? -errno : -EIO;
			break;
		}
		l.line++;
		if (st == LINE_LONG) {
			bad_line(&l, "longer than %d bytes", DB_LINE_MAX - 1);
			continue;
		}
		if (st == LINE_NUL) {
			bad_line(&l, "NUL byte");
			continue;
		}
		if (len && buf[len - 1] == '\r')   /* CRLF files */
			buf[--len] = '\0';
		while (is_blank(*s))
			s++;
		if (!*s || *s == ';')
			continue;
		parse_line(&l, s);
	}
	if (!err && ferror(f))
		err = errno ? -errno : -EIO;
	if (!err && l.oom)
		err = -ENOMEM;

	if (l.warned > DB_WARN_MAX)
		pr_warn("%s: %u more malformed lines not reported",
			path, l.warned - DB_WARN_MAX);
	loader_release(&l);
	if (err) {
		db_release(&l.out);
		return err;
	}
	if (!l.out.n_sig)
		pr_warn("%s: no [tcp:request] signatures found", path);
	else
		pr_debug("%s: %zu SYN signatures, %zu labels",
			 path, l.out.n_sig, l.out.n_label);

	/* Only a successful load replaces what was there. */
	db_release(&db);
	db = l.out;
	return 0;
}

int p0f_db_open(const char *path)
{
	int err = p0f_db_load(path);

	/* without the default database the labels are just empty */
	if (err && strcmp(path, HS_DEFAULT_P0F_DB)) {
		pr_warn("Couldn't read p0f database '%s': %s", path, strerror(-err));
		return -1;
	}
	return 0;
}

void p0f_db_free(void)
{
	db_release(&db);
}
