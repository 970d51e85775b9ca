#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A reference tool's output on a capture, kept for the next run.

usage: refcache.py CAPTURE CMD [ARG...]

Runs CMD (which reads CAPTURE: tshark -r CAPTURE ...) and prints its
standard output, or prints what an earlier run of the same command on the
same capture printed. The key is the command line, the capture's SHA-256
and the tool's binary (path, size, time): a changed capture or tool runs
it again. Kept only when CMD exits 0, in $HS_REFCACHE (default
.output/refs of the tree), so the sanitizer pass of `make check` reads
what the first pass's tshark printed instead of starting it once more per
capture (about a second each). Exits with CMD's status.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile


def key(capture, argv):
    h = hashlib.sha256()
    with open(capture, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    tool = shutil.which(argv[0]) or argv[0]
    st = os.stat(tool)
    h.update(("\0%s\0%d\0%d\0" % (os.path.realpath(tool), st.st_size, st.st_mtime_ns)).encode())
    h.update("\0".join(argv).encode())
    return h.hexdigest()


def cache_dir():
    d = os.environ.get("HS_REFCACHE")
    if d:
        return d
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".output", "refs")


def cached_output(capture, argv):
    """(status, stdout) of argv, from the cache when it ran before."""
    d = cache_dir()
    path = os.path.join(d, key(capture, argv))
    try:
        with open(path) as f:
            return 0, f.read()
    except OSError:
        pass
    p = subprocess.run(argv, capture_output=True, text=True)
    if p.returncode == 0:
        try:
            os.makedirs(d, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=d)
            with os.fdopen(fd, "w") as f:
                f.write(p.stdout)
            os.rename(tmp, path)
        except OSError:
            pass            # not kept: the next run runs it again
    return p.returncode, p.stdout


def main():
    if len(sys.argv) < 3:
        sys.stderr.write("usage: refcache.py CAPTURE CMD [ARG...]\n")
        return 2
    rc, out = cached_output(sys.argv[1], sys.argv[2:])
    sys.stdout.write(out)
    return rc


if __name__ == "__main__":
    sys.exit(main())
