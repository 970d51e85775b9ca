/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Command-line options declared once (opts.c): each command's table drives
 * getopt_long, the check of every value and the -h text, in the manner of
 * xdp-tools' params. Values go into the command's options struct, at the
 * offset an entry names.
 */
#ifndef HS_OPTS_H
#define HS_OPTS_H

#include <stdbool.h>
#include <stddef.h>

enum hs_opt_kind {        /* from 1: a table's { 0 } end is no kind */
	HS_OPT_STR = 1,   /* const char *: the argument as given */
	HS_OPT_FLAG,      /* bool: true */
	HS_OPT_UINT,      /* unsigned (size 4 or 8): decimal within [min, max] */
	HS_OPT_NUM,       /* double: a plain decimal number within [min, max] */
	HS_OPT_ENUM,      /* unsigned (size 1, 4 or 8): the value of a name in names */
	HS_OPT_FUNC,      /* parse(): the option's own check */
	HS_OPT_GROUP,     /* the options of group, at off in the struct */
};

struct hs_opt;
/* Check arg and store it at dst (the struct plus the entry's offset); 0,
 * or -1 with one line said. */
typedef int (*hs_opt_fn)(const struct hs_opt *o, const char *arg, void *dst);

struct hs_opt_name {
	const char *name;
	unsigned int value;
};

struct hs_opt {
	const char *name;         /* long name (NULL for a group); { 0 } ends a table */
	char short_name;          /* 0: long only */
	const char *arg;          /* the value's name in -h ("N"); NULL: takes none */
	enum hs_opt_kind kind;
	size_t off, size;         /* where the value goes (HS_AT) */
	size_t seen;              /* HS_SEEN: a bool set when given (any of a group) */
	double min, max;          /* HS_OPT_UINT, HS_OPT_NUM */
	const struct hs_opt_name *names;  /* HS_OPT_ENUM, ended by { 0 } */
	hs_opt_fn parse;          /* HS_OPT_FUNC */
	const struct hs_opt *group;       /* HS_OPT_GROUP */
	const char *hint;         /* the valid values in an error (default: "MIN-MAX",
				   * or the names); NULL for FUNC: it says its own */
	const char *label;        /* the option in an error (default: "--NAME") */
	const char *required;     /* said when its value is still all zero bytes
				   * after parsing; NULL: optional */
	const char *help;         /* -h text; '\n' goes on at the help column */
	int col;                  /* HS_OPT_GROUP: its help column (0: the command's) */
};

/* Where an option's value goes: the member m of the options struct T. */
#define HS_AT(T, m) .off = offsetof(T, m), .size = sizeof(((T *)0)->m)
/* The bool member m of T is set when the option is given. */
#define HS_SEEN(T, m) .seen = offsetof(T, m) + 1

/* A command: its options, and what -h says around them. The synopsis,
 * "Usage: hydrascope CMD -x ARG [--name ARG] [-f] ... ARGS", and a line
 * per option come from the table. */
struct hs_cmd_opts {
	const char *cmd;          /* "run": names the command in errors */
	const char *args;         /* its arguments ("FILE..."; the caller checks
				   * them), or NULL: it takes none */
	const char *about;        /* after the synopsis, or NULL */
	const char *epilog;       /* after the options, or NULL */
	int col;                  /* the column the help text starts at */
	const struct hs_opt *opts;
};

/* Parse argv into opts (set to its defaults by the caller) by c's table.
 * The index of the first positional argument (> 0), 0 when -h was
 * printed, -1 after an error (one line said). */
int hs_opts_parse(const struct hs_cmd_opts *c, int argc, char **argv, void *opts);
/* The exit code for a hs_opts_parse result of 0 or -1. */
int hs_opts_exit(int rc);
/* The name of value in names, or NULL. */
const char *hs_opt_name_of(const struct hs_opt_name *names, unsigned int value);
/* A group name or number, as a gid_t. */
int hs_opt_group(const struct hs_opt *o, const char *arg, void *dst);
/* -v: hs_verbose one higher each time. */
int hs_opt_verbose(const struct hs_opt *o, const char *arg, void *dst);

/* Options several commands take, each with its own help text. */
#define HS_OPT_STRINGIFY_(x) #x
#define HS_OPT_STRINGIFY(x) HS_OPT_STRINGIFY_(x)
#define HS_OPT_PIN_DIR(T, m, h) \
	{ .name = "pin-dir", .arg = "DIR", .kind = HS_OPT_STR, HS_AT(T, m), .help = h }
#define HS_OPT_P0F_DB(T, m, h) \
	{ .name = "p0f-db", .arg = "FILE", .kind = HS_OPT_STR, HS_AT(T, m), .help = h }
#define HS_OPT_JSON(T, m, h) \
	{ .name = "json", .short_name = 'j', .kind = HS_OPT_FLAG, HS_AT(T, m), .help = h }
#define HS_OPT_TOP(T, m, h) \
	{ .name = "top", .short_name = 'n', .arg = "N", .kind = HS_OPT_UINT, HS_AT(T, m), \
	  .min = 1, .max = 1e9, .hint = "a positive number", .help = h }
#define HS_OPT_WINDOW(T, m, h) \
	{ .name = "window", .short_name = 'w', .arg = "S", .kind = HS_OPT_UINT, HS_AT(T, m), \
	  .min = 1, .max = 86400, .hint = "1-86400 seconds", .help = h }
#define HS_OPT_ALERTS(T, m, h) \
	{ .name = "alerts", .short_name = 'a', .arg = "FILE", .kind = HS_OPT_STR, \
	  HS_AT(T, m), .help = h }
#define HS_OPT_REDACT(T, m) \
	{ .name = "redact-ips", .kind = HS_OPT_FLAG, HS_AT(T, m), \
	  .help = "sample_ips as keyed hashes (the key lives in memory)" }
#define HS_OPT_CONFIG(T, m, h) \
	{ .name = "config", .short_name = 'c', .arg = "FILE", .kind = HS_OPT_STR, \
	  HS_AT(T, m), .help = h }
#define HS_OPT_MIN_IPS(T, m, h) \
	{ .name = "min-ips", .arg = "N", .kind = HS_OPT_NUM, HS_AT(T, m), \
	  .min = 1, .max = 1e9, .hint = "a number, at least 1", .help = h }
#define HS_OPT_VERBOSE(h) \
	{ .name = "verbose", .short_name = 'v', .kind = HS_OPT_FUNC, \
	  .parse = hs_opt_verbose, .help = h }

#endif /* HS_OPTS_H */
