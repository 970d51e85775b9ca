// SPDX-License-Identifier: BSD-3-Clause
/*
 * libFuzzer: the detector's state file (run --state-dir) read from any
 * bytes, for either kind. A state that loads then judges a window, is
 * saved, and the saved file loads again: what a restart of run does.
 */
#define _GNU_SOURCE   /* memfd_create */
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "detect.h"

static int in_fd = -1;
static char dir[] = "/tmp/hs-fuzz-state.XXXXXX";

static void cleanup(void)
{
	char path[sizeof(dir) + 32];

	snprintf(path, sizeof(path), "%s/state.json", dir);
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	in_fd = memfd_create("state", MFD_CLOEXEC);
	FUZZ_CHECK(in_fd >= 0 && mkdtemp(dir));
	atexit(cleanup);
	return 0;
}

static void on_alert(void *ctx, const struct det_alert *a)
{
	(void)ctx;
	FUZZ_CHECK(a->obs && a->state <= DET_ENDED);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct det_obs obs[2] = {
		{ .name = "t13d1516h2_8daaf6152771_e5627efa2ab1", .conns = 900, .ips = 500,
		  .nets = 120, .stacks = 7, .tags = 900, .accounts = 450, .tagged_ips = 480 },
		{ .name = "4:64:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+:0", .conns = 5,
		  .ips = 5, .nets = 5 },
	};
	char err[512], path[sizeof(dir) + 32];
	struct det_config dc;
	int kind;

	snprintf(path, sizeof(path), "%s/state.json", dir);
	det_config_default(&dc);
	FUZZ_CHECK(!ftruncate(in_fd, 0) && pwrite(in_fd, data, size, 0) == (ssize_t)size);
	for (kind = FP_TLS; kind <= FP_TCP; kind++) {
		struct detector *d = det_new(&dc, kind), *again;

		FUZZ_CHECK(d && lseek(in_fd, 0, SEEK_SET) == 0);
		if (det_read(d, in_fd, "fuzz.json", 60, err, sizeof(err))) {
			FUZZ_CHECK(!strncmp(err, "fuzz.json: ", 11) && !strchr(err, '\n'));
			FUZZ_CHECK(det_windows(d) == 0 && det_known(d) == 0);
			det_free(d);
			continue;
		}
		FUZZ_CHECK(!det_window(d, obs, 2, NULL, 0, on_alert, NULL));
		FUZZ_CHECK(!det_save(d, path, 60));
		again = det_new(&dc, kind);
		FUZZ_CHECK(again);
		FUZZ_CHECK(det_load(again, path, 60, err, sizeof(err)) == 0);
		FUZZ_CHECK(det_windows(again) == det_windows(d) && det_known(again) == det_known(d));
		det_free(again);
		det_free(d);
	}
	return 0;
}
