#!/usr/bin/env python3
"""A parameter sweep through Celery: saxpy jobs of growing size sent to tessera workers.

    tessera worker --broker redis://127.0.0.1:6379/0 --concurrency 2 &     # on each machine
    python3 samples/celery_sweep.py redis://127.0.0.1:6379/0 [COUNT]

Each task is samples/jobs/sweep_saxpy.toml with its own n (--set n=...); the result's output
sweep_y.npy (base64) is checked: y[i] = 2 i + 1. Needs only Celery (Debian: python3-celery,
python3-redis); a Celery app of your own sends tasks the same way.
"""
import base64
import os
import struct
import sys
import time

from celery import Celery

JOBS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "jobs")


def npy_floats(data):
    """The float32 values of a version 1 little-endian .npy file (as tessera writes them)."""
    (header_len,) = struct.unpack("<H", data[8:10])
    start = 10 + header_len
    return struct.unpack("<%df" % ((len(data) - start) // 4), data[start:])


def main():
    url = sys.argv[1] if len(sys.argv) > 1 else "redis://127.0.0.1:6379/0"
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    app = Celery(broker=url, backend=url)
    with open(os.path.join(JOBS, "sweep_saxpy.toml")) as f:
        job = f.read()
    start = time.time()
    sizes = [4096 * (k + 1) for k in range(count)]
    results = [app.send_task("tessera.run", args=[job], kwargs={"set": {"n": n}}) for n in sizes]
    wrong = 0
    for n, r in zip(sizes, results):
        value = r.get(timeout=600)
        y = npy_floats(base64.b64decode(value["outputs"]["sweep_y.npy"]))
        ok = len(y) == n and all(v == 2 * i + 1 for i, v in enumerate(y))
        wrong += not ok
        wall = value["report"]["wall_s"]
        print("n = %8d: %s in %.4f s on the worker" % (n, "right" if ok else "WRONG", wall))
    print("%d jobs in %.2f s, %d wrong" % (count, time.time() - start, wrong))
    sys.exit(1 if wrong else 0)


if __name__ == "__main__":
    main()
