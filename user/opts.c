// SPDX-License-Identifier: BSD-3-Clause
/* Command-line options from one table per command: getopt_long's
 * arguments, the check of each value and the -h text. */
#include <getopt.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"
#include "config.h"
#include "hydrascope.h"
#include "log.h"
#include "util.h"

#define OPTS_MAX 64
#define OPT_LONG_ONLY 0x100   /* getopt_long's value of entry i without a letter: + i */

/* A table with its groups spread out: each option, where its group sits
 * in the options struct, and the group's entry (for its HS_SEEN). */
struct flat_opt {
	const struct hs_opt *o;
	size_t base;
	const struct hs_opt *grp;
	int col;
};

static int flatten(const struct hs_opt *t, size_t base, const struct hs_opt *grp,
		   struct flat_opt *f, int n)
{
	for (; t->name || t->kind == HS_OPT_GROUP; t++) {
		if (t->kind == HS_OPT_GROUP)
			n = flatten(t->group, base + t->off, t, f, n);
		else if (n < OPTS_MAX)
			f[n++] = (struct flat_opt){ .o = t, .base = base, .grp = grp,
						    .col = grp ? grp->col : 0 };
	}
	return n;
}

/* getopt_long's option array and optstring (':' first: we say the errors). */
static void getopt_args(const struct flat_opt *f, int n, struct option *lo, char *so)
{
	int i, k = 0;

	so[k++] = ':';
	so[k++] = 'h';
	for (i = 0; i < n; i++) {
		const struct hs_opt *o = f[i].o;

		lo[i] = (struct option){ o->name, o->arg ? required_argument : no_argument, NULL,
					 o->short_name ? o->short_name : OPT_LONG_ONLY + i };
		if (o->short_name) {
			so[k++] = o->short_name;
			if (o->arg)
				so[k++] = ':';
		}
	}
	lo[i++] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[i] = (struct option){ 0 };
	so[k] = '\0';
}

/* One line for getopt's '?' (unknown) or ':' (value missing). */
static int opt_error(const char *cmd, int opt, char **argv)
{
	char shortopt[3] = { '-', (char)optopt, 0 };
	/* optopt: the letter, or a long option's value when it got a value
	 * it does not take (--keep-maps=x): then the argument as given */
	const char *arg = optopt > 0 && optopt < OPT_LONG_ONLY ? shortopt : argv[optind - 1];

	/* a missing value: getopt has just stepped over the option itself */
	if (opt == ':')
		pr_warn("%s: option '%s' needs a value (see 'hydrascope %s -h')", cmd,
			argv[optind - 1], cmd);
	else
		pr_warn("%s: unknown option '%s' (see 'hydrascope %s -h')", cmd, arg, cmd);
	return -1;
}

/* "invalid --NAME 'ARG' (what is valid)" */
static int bad_value(const struct hs_opt *o, const char *arg)
{
	char label[64], hint[128];
	const struct hs_opt_name *nm;
	size_t len = 0;

	snprintf(label, sizeof(label), "--%s", o->name);
	if (o->hint)
		snprintf(hint, sizeof(hint), "%s", o->hint);
	else if (o->kind == HS_OPT_ENUM)   /* "a, b or c" */
		for (nm = o->names, hint[0] = '\0'; nm->name && len < sizeof(hint); nm++)
			len += snprintf(hint + len, sizeof(hint) - len, "%s%s",
					nm == o->names ? "" : nm[1].name ? ", " : " or ", nm->name);
	else
		snprintf(hint, sizeof(hint), "%.0f-%.0f", o->min, o->max);
	pr_warn("invalid %s '%s' (%s)", o->label ? o->label : label, arg, hint);
	return -1;
}

static void put_uint(void *dst, size_t size, unsigned long long v)
{
	if (size == sizeof(__u8))
		*(__u8 *)dst = (__u8)v;
	else if (size == sizeof(__u32))
		*(__u32 *)dst = (__u32)v;
	else
		*(__u64 *)dst = v;
}

static int store(const struct hs_opt *o, const char *arg, char *dst)
{
	const struct hs_opt_name *nm;
	unsigned long long v;
	double d;

	switch (o->kind) {
	case HS_OPT_STR:
		*(const char **)dst = arg;
		return 0;
	case HS_OPT_FLAG:
		*(bool *)dst = true;
		return 0;
	case HS_OPT_UINT:
		if (parse_uint(arg, (unsigned long long)o->max, &v) || v < o->min)
			return bad_value(o, arg);
		put_uint(dst, o->size, v);
		return 0;
	case HS_OPT_NUM:
		if (config_number(arg, o->min, o->max, &d))
			return bad_value(o, arg);
		*(double *)dst = d;
		return 0;
	case HS_OPT_ENUM:
		for (nm = o->names; nm->name; nm++)
			if (!strcmp(arg, nm->name)) {
				put_uint(dst, o->size, nm->value);
				return 0;
			}
		return bad_value(o, arg);
	case HS_OPT_FUNC:
		return o->parse(o, arg, dst);
	default:
		return -1;
	}
}

static int opt_take(const struct flat_opt *f, const char *arg, void *opts)
{
	char *base = (char *)opts + f->base;

	if (store(f->o, arg, base + f->o->off))
		return -1;
	if (f->o->seen)
		base[f->o->seen - 1] = true;
	if (f->grp && f->grp->seen)
		((char *)opts)[f->base - f->grp->off + f->grp->seen - 1] = true;
	return 0;
}

static int opt_find(const struct flat_opt *f, int n, int opt)
{
	int i;

	if (opt >= OPT_LONG_ONLY && opt < OPT_LONG_ONLY + n)
		return opt - OPT_LONG_ONLY;
	for (i = 0; i < n; i++)
		if (f[i].o->short_name && f[i].o->short_name == opt)
			return i;
	return -1;
}

/* "  -j, --json" or "      --pin-dir DIR", then the help from column col
 * (or two spaces on), each of its lines after the first at col */
static void help_line(FILE *f, const struct hs_opt *o, int col)
{
	const char *h = o->help, *nl;
	int n;

	if (o->short_name)
		n = fprintf(f, "  -%c, --%s", o->short_name, o->name);
	else
		n = fprintf(f, "      --%s", o->name);
	if (o->arg)
		n += fprintf(f, " %s", o->arg);
	if (!h) {
		fputc('\n', f);
		return;
	}
	fprintf(f, "%*s", n < col ? col - n : 2, "");
	while ((nl = strchr(h, '\n'))) {
		fprintf(f, "%.*s\n%*s", (int)(nl - h), h, col, "");
		h = nl + 1;
	}
	fprintf(f, "%s\n", h);
}

const char *hs_opt_name_of(const struct hs_opt_name *names, unsigned int value)
{
	for (; names->name; names++)
		if (names->value == value)
			return names->name;
	return NULL;
}

/* "[--name ARG]", "[-x]" for a flag with a letter, "-x ARG" when
 * required; an enum's ARG its names, "a|b|c" */
static void synopsis_item(const struct hs_opt *o, char *buf, size_t len)
{
	const struct hs_opt_name *nm;
	char names[128] = "", flag[64];
	const char *arg = o->arg;
	size_t k = 0;

	if (o->kind == HS_OPT_ENUM) {
		for (nm = o->names; nm->name && k < sizeof(names); nm++)
			k += snprintf(names + k, sizeof(names) - k, "%s%s", k ? "|" : "", nm->name);
		arg = names;
	}
	if (o->short_name && (!arg || o->required))
		snprintf(flag, sizeof(flag), "-%c", o->short_name);
	else
		snprintf(flag, sizeof(flag), "--%s", o->name);
	snprintf(buf, len, "%s%s%s%s%s", o->required ? "" : "[", flag, arg ? " " : "",
		 arg ? arg : "", o->required ? "" : "]");
}

#define SYNOPSIS_WIDTH 80

/* "Usage: hydrascope CMD" and an item per option, then the arguments,
 * wrapped under the first item */
static void synopsis(const struct hs_cmd_opts *c, const struct flat_opt *fl, int n, FILE *f)
{
	int col = fprintf(f, "Usage: hydrascope %s", c->cmd), indent = col + 1, i, len;
	char item[256];     /* "[" flag (64) " " names (128) "]" */

	for (i = 0; i <= n; i++) {
		if (i < n)
			synopsis_item(fl[i].o, item, sizeof(item));
		else if (c->args)
			snprintf(item, sizeof(item), "%s", c->args);
		else
			break;
		len = (int)strlen(item);
		if (col + 1 + len > SYNOPSIS_WIDTH && col > indent)
			col = fprintf(f, "\n%*s", indent, "") - 1;
		else
			col += fprintf(f, " ");
		col += fprintf(f, "%s", item);
	}
	fputc('\n', f);
}

static void opts_help(const struct hs_cmd_opts *c, FILE *f)
{
	struct flat_opt fl[OPTS_MAX];
	int n = flatten(c->opts, 0, NULL, fl, 0), i;

	synopsis(c, fl, n, f);
	if (c->about)
		fputs(c->about, f);
	for (i = 0; i < n; i++)
		help_line(f, fl[i].o, fl[i].col ? fl[i].col : c->col);
	if (c->epilog)
		fputs(c->epilog, f);
}

/* Each option that is required given (its value no longer zero). */
static bool required_given(const struct flat_opt *f, int n, const void *opts)
{
	const char *p;
	size_t k;
	int i;

	for (i = 0; i < n; i++) {
		if (!f[i].o->required)
			continue;
		p = (const char *)opts + f[i].base + f[i].o->off;
		for (k = 0; k < f[i].o->size && !p[k]; k++)
			;
		if (k == f[i].o->size) {
			pr_warn("%s", f[i].o->required);
			return false;
		}
	}
	return true;
}

int hs_opts_parse(const struct hs_cmd_opts *c, int argc, char **argv, void *opts)
{
	struct flat_opt f[OPTS_MAX];
	struct option lo[OPTS_MAX + 2];
	char so[3 * OPTS_MAX + 3];
	int n = flatten(c->opts, 0, NULL, f, 0), opt, i;

	getopt_args(f, n, lo, so);
	optind = 1;
	while ((opt = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		if (opt == 'h') {
			opts_help(c, stdout);
			return 0;
		}
		i = opt_find(f, n, opt);
		if (i < 0)
			return opt_error(c->cmd, opt, argv);
		if (opt_take(&f[i], optarg, opts))
			return -1;
	}
	if (!c->args && optind < argc) {
		pr_warn("unexpected argument '%s'", argv[optind]);
		return -1;
	}
	return required_given(f, n, opts) ? optind : -1;
}

int hs_opts_exit(int rc)
{
	return rc ? HS_EXIT_USAGE : HS_EXIT_OK;
}

int hs_opt_verbose(const struct hs_opt *o, const char *arg, void *dst)
{
	(void)o, (void)arg, (void)dst;
	hs_verbose++;
	return 0;
}

int hs_opt_group(const struct hs_opt *o, const char *arg, void *dst)
{
	struct group *g = getgrnam(arg);
	unsigned long long n;

	if (g) {
		*(gid_t *)dst = g->gr_gid;
		return 0;
	}
	if (!parse_uint(arg, 0xfffffffe, &n)) {
		*(gid_t *)dst = (gid_t)n;
		return 0;
	}
	pr_warn("invalid --%s '%s' (no such group)", o->name, arg);
	return -1;
}
