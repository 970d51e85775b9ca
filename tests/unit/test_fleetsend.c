// SPDX-License-Identifier: BSD-3-Clause
/*
 * The fleet sink's pieces that need no database: COPY text escaping
 * (user/fleetsend.c fleet_copy_text) as a fixture table, a
 * batch file as the sender reads it, and the spool's bound (user/spool.c).
 * With HS_TEST_SPOOL set, the batch of awkward names is left in that
 * directory for tests/live/t_fleet_send_live.sh to send through a real
 * database and read back.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleetsend.h"
#include "hll.h"
#include "spool.h"
#include "check.h"

struct esc_case {
	const char *desc, *in, *want;
};

static const struct esc_case escapes[] = {
	{ "plain", "t13d1517h2_8daaf6152771_cb7bf5808d99", "t13d1517h2_8daaf6152771_cb7bf5808d99" },
	{ "empty", "", "" },
	{ "quotes as they are", "it's \"quoted\"", "it's \"quoted\"" },
	{ "backslash doubled", "a\\b", "a\\\\b" },
	{ "a backslash and N is no NULL", "\\N", "\\\\N" },
	{ "the end-of-data marker is no end", "\\.", "\\\\." },
	{ "tab", "a\tb", "a\\tb" },
	{ "newline", "a\nb", "a\\nb" },
	{ "CR", "a\rb", "a\\rb" },
	{ "all at once", "\\\t\n\r\"'", "\\\\\\t\\n\\r\"'" },
	{ "UTF-8 kept", "Linux \xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x8d",
	  "Linux \xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x8d" },
	{ "a lone Latin-1 byte", "caf\xe9!", "caf?!" },
	{ "a truncated sequence", "x\xe2\x82", "x??" },
	{ "a stray continuation byte", "\x80y", "?y" },
	{ "an overlong slash", "\xc0\xaf", "??" },
	{ "an overlong 3-byte form", "\xe0\x80\xaf", "???" },
	{ "a surrogate", "\xed\xa0\x80", "???" },
	{ "past U+10FFFF", "\xf4\x90\x80\x80", "????" },
	{ "U+10FFFF itself", "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf" },
	{ "DEL and other controls as they are", "\x7f\x01", "\x7f\x01" },
};

static void copy_text(void **state)
{
	char out[64];
	int i;

	(void)state;
	for (i = 0; i < NELEM(escapes); i++) {
		size_t n = fleet_copy_text(out, escapes[i].in);

		CHECK_STR(escapes[i].desc, "text", escapes[i].want, out);
		CHECK_INT(escapes[i].desc, "length", strlen(escapes[i].want), n);
	}
	CHECKS_DONE();
}

/* The rows of awkward names, a TLS one tagged. */
static const char *const names[] = {
	"it's \"quoted\"", "back\\slash \\N \\.", "tab\there", "new\nline", "cr\rhere",
	"caf\xc3\xa9 caf\xe9",
};

static int write_batch(struct fleet_sink *s, unsigned long long start)
{
	__u8 ips[HS_HLL_M] = { 0 }, nets[HS_HLL_M] = { 0 }, stacks[HS_HLL_M] = { 0 };
	const __u8 *sk[3] = { ips, nets, stacks }, *acct[2] = { nets, ips };
	struct fleet_batch *b = fleet_batch_new(s, start, 60);
	struct det_obs o;
	int i;

	ips[1] = 3;
	nets[2] = 2;
	stacks[3] = 1;
	for (i = 0; i < NELEM(names); i++) {
		memset(&o, 0, sizeof(o));
		snprintf(o.name, sizeof(o.name), "%s", names[i]);
		o.detail = i == 0 ? "detail \"with\" \\ and\ttab" : NULL;
		o.conns = 10 + (unsigned int)i;
		o.tags = i == 0 ? 4 : 0;
		fleet_batch_row(b, i % 3 == 0 ? FP_TLS : i % 3 == 1 ? FP_TCP : FP_PAIR, &o, sk,
				i % 3 == 0 ? 3 : 2, i == 0 ? acct : NULL);
	}
	return fleet_batch_end(b);
}

static char *slurp(const char *dir, size_t *len)
{
	char path[512], *buf = NULL;
	struct dirent *de;
	DIR *d = opendir(dir);
	FILE *f = NULL;

	while (d && (de = readdir(d)))
		if (strstr(de->d_name, SPOOL_SUFFIX)) {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			f = fopen(path, "r");
			break;
		}
	if (d)
		closedir(d);
	if (!f)
		return NULL;
	buf = calloc(1, 1 << 20);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	return buf;
}

/* a test folder and the files in it */
static void rm_tree(const char *dir)
{
	char path[512];
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
	if (d)
		closedir(d);
	rmdir(dir);
}

static void batch_file(void **state)
{
	struct fleet_opts o = { .url = "postgresql:///unused", .host = "host \"one\"" };
	const char *keep = getenv("HS_TEST_SPOOL");
	char dir[] = "/tmp/hs-test-fleet.XXXXXX", *text, *row;
	struct fleet_sink *s;
	size_t len = 0;
	bool made;

	(void)state;
	assert_non_null(mkdtemp(dir));
	s = fleet_sink_open(&o, keep ? keep : dir, true, &made);
	assert_non_null(s);
	CHECK_INT("batch", "written", 0, write_batch(s, 1767830400));
	text = slurp(keep ? keep : dir, &len);
	assert_non_null(text);
	CHECK_INT("header", "first line", 0, strncmp(text, "HSBATCH1 ", 9));
	CHECK_INT("header", "row count", 0, strncmp(text + 9 + 32, "          6\n", 12));
	row = strstr(text, "\nhost host \"one\"\nwindow 1767830400 60\n\n");
	CHECK_INT("header", "host and window lines", 1, row != NULL);
	row = strstr(text, "\n\nja4\tit's \"quoted\"\tdetail \"with\" \\\\ and\\ttab\t10\t0\t0\t0\t0\t4\t\\\\x1");
	CHECK_INT("first row", "kind, name, detail, counts, sketch", 1, row != NULL);
	CHECK_INT("rows", "escaped names", 1,
		  strstr(text, "\ntcp\tback\\\\slash \\\\N \\\\.\t\\N\t11\t") &&
		  strstr(text, "\npair\ttab\\there\t\\N\t12\t") &&
		  strstr(text, "\nja4\tnew\\nline\t") && strstr(text, "\ntcp\tcr\\rhere\t") &&
		  strstr(text, "\npair\tcaf\xc3\xa9 caf?\t"));
	/* an untagged TCP row: no stacks, no accounts */
	CHECK_INT("rows", "NULL sketches of an untagged TCP row", 1,
		  strstr(text, "\t\\N\t\\N\t\\N\npair\tcaf") != NULL);
	free(text);
	fleet_sink_free(s, !keep);
	rm_tree(dir);
	CHECKS_DONE();
}

/* the spool keeps its bound: the oldest go, never the one being sent */
static void spool_bound(void **state)
{
	char dir[] = "/tmp/hs-test-spool.XXXXXX", name[SPOOL_NAME_MAX], taken[SPOOL_NAME_MAX];
	struct spool_tmp t;
	unsigned int dropped, total = 0;
	struct spool *s;
	size_t n, bytes;
	bool made;
	int i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	s = spool_open(dir, 3000, &made, name, sizeof(name));
	assert_non_null(s);
	CHECK_INT("a second process", "refused", 1,
		  spool_open(dir, 3000, &made, name, sizeof(name)) == NULL);
	for (i = 0; i < 5; i++) {
		char buf[1000] = { 0 };

		assert_int_equal(spool_create(s, &t), 0);
		assert_int_equal(write(t.fd, buf, sizeof(buf)), sizeof(buf));
		snprintf(name, sizeof(name), "%012d-x" SPOOL_SUFFIX, i);
		assert_int_equal(spool_commit(s, &t, name, &dropped), 0);
		total += dropped;
		if (i == 0)
			spool_take(s, taken, sizeof(taken));   /* being sent: stays */
	}
	spool_count(s, &n, &bytes);
	CHECK_INT("5 files of 1000 bytes, 3000 at most", "files", 3, n);
	CHECK_INT("5 files of 1000 bytes, 3000 at most", "dropped", 2, total);
	CHECK_STR("the one being sent", "kept", "000000000000-x" SPOOL_SUFFIX, taken);
	spool_release(s, taken, SPOOL_REMOVE);
	assert_int_equal(spool_take(s, name, sizeof(name)), 0);
	CHECK_STR("then the oldest", "name", "000000000003-x" SPOOL_SUFFIX, name);
	spool_release(s, name, SPOOL_KEEP);
	spool_close(s);
	/* opened again: what is there, counted */
	s = spool_open(dir, 3000, &made, name, sizeof(name));
	assert_non_null(s);
	spool_count(s, &n, &bytes);
	CHECK_INT("opened again", "files", 2, n);
	CHECK_INT("opened again", "bytes", 2000, bytes);
	while (!spool_take(s, name, sizeof(name)))
		spool_release(s, name, SPOOL_REMOVE);
	spool_close(s);
	CHECK_INT("emptied", "rmdir", 0, rmdir(dir));
	CHECKS_DONE();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(copy_text),
		cmocka_unit_test(batch_file),
		cmocka_unit_test(spool_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
