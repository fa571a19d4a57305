#!/usr/bin/env python3
"""Many small jobs through a Celery broker, side by side:

  local    the JOBS jobs in one `tessera run` call (one process, one runtime)
  tessera  the same jobs as tessera.run tasks through Redis to two `tessera worker` processes
  celery   the same computation as Celery tasks to two Celery worker processes running it
           through PyOpenCL (bench_worker_celery.py)

Each side is timed from the first task sent to the last result read (for local: the whole
process), and printed as seconds per job; the workers' cost per task is the CPU time their
processes spent (every thread, from /proc) over the same span, divided by JOBS. Then the
ratios, as a table and as JSON:

  overhead per task = (T_tessera - T_local) / JOBS      at most 2 ms
  tessera / celery  = T_tessera / T_celery              at most 1
  cost per task     = CPU_tessera / CPU_celery          at most 0.5: the workers' CPU per task

On a machine whose cores are all busy (the client, redis-server and the workers share them),
the wall-clock ratio follows the sum of everyone's CPU time, the client's included; the cost
per task is the workers' own.

    python3 samples/bench_worker.py --tessera build/release/tessera [--jobs 1000] [--no-celery]

Needs redis-server, python3-celery, python3-redis (and python3-pyopencl for the Celery side).
It starts its own redis-server on a free port of 127.0.0.1 and stops everything it started.
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
JOB = os.path.join(HERE, "jobs", "sweep_saxpy.toml")
N = 4096


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, seconds, what):
    end = time.time() + seconds
    while time.time() < end:
        if predicate():
            return
        time.sleep(0.05)
    sys.exit("bench_worker: gave up waiting for " + what)


class Services:
    """The processes the benchmark starts, stopped (SIGTERM, then SIGKILL) at the end."""

    def __init__(self, folder):
        self.folder = folder
        self.processes = []

    def start(self, name, args, env=None):
        log = open(os.path.join(self.folder, name + ".log"), "w")
        p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.folder)
        self.processes.append((p, log))
        return p

    def stop(self, p):
        p.terminate()
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()

    def stop_all(self):
        for p, log in self.processes:
            if p.poll() is None:
                self.stop(p)
            log.close()

    def log(self, name):
        with open(os.path.join(self.folder, name + ".log")) as f:
            return f.read()


def run_local(tessera, jobs, folder):
    """T of one `tessera run` over JOBS copies of the job, each writing its own output."""
    text = open(JOB).read()
    files = []
    for k in range(jobs):
        path = os.path.join(folder, "job%d.toml" % k)
        with open(path, "w") as f:
            f.write(text.replace('"sweep_y.npy"', '"out/y%d.npy"' % k))
        files.append(path)
    start = time.time()
    subprocess.run([tessera, "run", *files, "--set", "n=%d" % N, "--quiet"], check=True)
    return time.time() - start


def cpu_seconds(pid):
    """CPU time of every thread of process `pid` so far (Linux: /proc/PID/task/*/schedstat)."""
    total = 0
    folder = "/proc/%d/task" % pid
    for tid in os.listdir(folder):
        try:
            with open(os.path.join(folder, tid, "schedstat")) as f:
                total += int(f.read().split()[0])
        except OSError:  # the thread ended meanwhile
            pass
    return total / 1e9


def run_tasks(app, name, args, jobs, workers):
    """(T from the first task sent to the last result read, CPU seconds the `workers`
    processes spent meanwhile); checks every output."""
    import base64
    cpu = [cpu_seconds(w.pid) for w in workers]
    start = time.time()
    results = [app.send_task(name, args=args[0], kwargs=args[1]) for _ in range(jobs)]
    for r in results:
        out = base64.b64decode(r.get(timeout=600)["outputs"]["sweep_y.npy"])
        if len(out) != 128 + 4 * N:
            sys.exit("bench_worker: a wrong output from " + name)
    elapsed = time.time() - start
    spent = sum(cpu_seconds(w.pid) - c for w, c in zip(workers, cpu))
    for r in results:
        r.forget()
    return elapsed, spent


def warm_up(app, name, args, count=4):
    for r in [app.send_task(name, args=args[0], kwargs=args[1]) for _ in range(count)]:
        r.get(timeout=120)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tessera", default=os.path.join(HERE, "..", "build", "release", "tessera"))
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-celery", action="store_true", help="leave out the Celery + PyOpenCL side")
    args = parser.parse_args()
    args.tessera = os.path.abspath(args.tessera)
    redis_server = shutil.which("redis-server")
    if not redis_server:
        sys.exit("bench_worker: needs redis-server")
    from celery import Celery

    folder = tempfile.mkdtemp(prefix="bench-worker-")
    services = Services(folder)
    try:
        port = free_port()
        url = "redis://127.0.0.1:%d/0" % port
        services.start("redis", [redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                 "--appendonly", "no", "--dir", folder])
        import redis as redis_py
        r = redis_py.Redis.from_url(url)

        def up():
            try:
                return r.ping()
            except redis_py.exceptions.ConnectionError:
                return False
        wait_for(up, 10, "redis-server")
        app = Celery(broker=url, backend=url)
        job = open(JOB).read()

        t_local = run_local(args.tessera, args.jobs, folder)

        workers = [services.start("tessera%d" % k, [args.tessera, "worker", "--broker", url])
                   for k in range(args.workers)]
        wait_for(lambda: all("connected to" in services.log("tessera%d" % k) for k in range(args.workers)), 60,
                 "the tessera workers")
        tessera_task = ([job], {"set": {"n": N}})
        warm_up(app, "tessera.run", tessera_task)
        t_tessera, cpu_tessera = run_tasks(app, "tessera.run", tessera_task, args.jobs, workers)
        for w in workers:
            services.stop(w)

        t_celery = cpu_celery = None
        if not args.no_celery:
            env = dict(os.environ, CELERY_BROKER=url, PYTHONPATH=HERE)
            celery_workers = [services.start("celery%d" % k, [sys.executable, "-m", "celery", "-A", "bench_worker_celery",
                                                               "worker", "-P", "solo", "-n", "bench%d@%%h" % k,
                                                               "--without-heartbeat", "--without-gossip",
                                                               "--without-mingle", "-l", "warning"], env)
                              for k in range(args.workers)]
            celery_task = ([N], {})
            warm_up(app, "bench.saxpy", celery_task)
            t_celery, cpu_celery = run_tasks(app, "bench.saxpy", celery_task, args.jobs, celery_workers)
            for w in celery_workers:
                services.stop(w)
        import gc
        gc.collect()  # results in reference cycles let go now, while redis-server runs
    finally:
        services.stop_all()
        shutil.rmtree(folder, ignore_errors=True)

    per = lambda t: 1000.0 * t / args.jobs  # noqa: E731
    doc = {"jobs": args.jobs, "workers": args.workers, "n": N,
           "local_s": t_local, "tessera_s": t_tessera,
           "local_ms_per_job": per(t_local), "tessera_ms_per_task": per(t_tessera),
           "tessera_worker_cpu_ms_per_task": per(cpu_tessera),
           "overhead_ms_per_task": per(t_tessera - t_local)}
    print("%-44s %10s %12s %22s" % ("side", "total s", "ms per job", "worker CPU ms per task"))
    print("%-44s %10.3f %12.3f %22s" % ("local: one tessera run", t_local, per(t_local), "-"))
    print("%-44s %10.3f %12.3f %22.3f" % ("tessera: %d tessera workers via Redis" % args.workers, t_tessera,
                                          per(t_tessera), per(cpu_tessera)))
    if t_celery is not None:
        doc.update(celery_s=t_celery, celery_ms_per_task=per(t_celery), celery_worker_cpu_ms_per_task=per(cpu_celery),
                   tessera_over_celery=t_tessera / t_celery, cost_tessera_over_celery=cpu_tessera / cpu_celery)
        print("%-44s %10.3f %12.3f %22.3f" % ("celery: %d Celery+PyOpenCL workers" % args.workers, t_celery,
                                              per(t_celery), per(cpu_celery)))
    print("overhead per task (tessera - local): %.3f ms" % doc["overhead_ms_per_task"])
    if t_celery is not None:
        print("tessera / celery: %.3f" % doc["tessera_over_celery"])
        print("cost per task, tessera / celery: %.3f" % doc["cost_tessera_over_celery"])
    print(json.dumps(doc))


if __name__ == "__main__":
    main()
