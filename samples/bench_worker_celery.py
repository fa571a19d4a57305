"""The Celery side of bench_worker.py: a plain Celery app whose worker runs the same saxpy job
(n floats, x = 0, 1, 2, ..., y = 1, y = 2 x + y) through PyOpenCL and returns the output as
tessera.run does ({"outputs": {"sweep_y.npy": BASE64}}). The OpenCL context, queue and program
are made once per worker process.

    CELERY_BROKER=redis://127.0.0.1:6379/0 celery -A bench_worker_celery worker -P solo
"""
import base64
import os

import numpy as np
import pyopencl as cl
from celery import Celery

URL = os.environ.get("CELERY_BROKER", "redis://127.0.0.1:6379/0")
app = Celery("bench_worker_celery", broker=URL, backend=URL)
app.conf.worker_prefetch_multiplier = 1
app.conf.task_acks_late = True

KERNEL = """
kernel void saxpy(const float a, global const float* x, global float* y) {
  const size_t i = get_global_id(0);
  y[i] = a * x[i] + y[i];
}
"""
_cl = {}


def opencl():
    if not _cl:
        ctx = cl.create_some_context(interactive=False)
        _cl.update(ctx=ctx, queue=cl.CommandQueue(ctx), program=cl.Program(ctx, KERNEL).build())
    return _cl


def npy_bytes(array):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d,), }" % array.size
    header = header.ljust(117) + "\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + array.tobytes()


@app.task(name="bench.saxpy")
def saxpy(n):
    c = opencl()
    x = np.arange(n, dtype=np.float32)
    y = np.ones(n, dtype=np.float32)
    mf = cl.mem_flags
    xb = cl.Buffer(c["ctx"], mf.READ_ONLY | mf.COPY_HOST_PTR, hostbuf=x)
    yb = cl.Buffer(c["ctx"], mf.READ_WRITE | mf.COPY_HOST_PTR, hostbuf=y)
    c["program"].saxpy(c["queue"], (n,), None, np.float32(2.0), xb, yb)
    cl.enqueue_copy(c["queue"], y, yb)
    return {"outputs": {"sweep_y.npy": base64.b64encode(npy_bytes(y)).decode()}}
