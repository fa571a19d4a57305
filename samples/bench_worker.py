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

    python3 samples/bench_worker.py --tessera build/release/tessera [--jobs 1000] [--rounds 3] [--no-celery]

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


def median(values):
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def run_side(services, app, name, task, jobs, commands):
    """Starts the workers (`commands`, by log name), warms them up, times JOBS tasks, stops them."""
    workers = [services.start(log, command, env) for log, command, env in commands]
    warm_up(app, name, task)
    measured = run_tasks(app, name, task, jobs, workers)
    for w in workers:
        services.stop(w)
    return measured


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tessera", default=os.path.join(HERE, "..", "build", "release", "tessera"))
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="each side this many times, alternating; medians")
    parser.add_argument("--no-celery", action="store_true", help="leave out the Celery + PyOpenCL side")
    args = parser.parse_args()
    args.tessera = os.path.abspath(args.tessera)
    redis_server = shutil.which("redis-server")
    if not redis_server:
        sys.exit("bench_worker: needs redis-server")
    from celery import Celery

    folder = tempfile.mkdtemp(prefix="bench-worker-")
    services = Services(folder)
    rounds = []
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
        tessera_task = ([open(JOB).read()], {"set": {"n": N}})
        tessera_workers = [("tessera%d" % k, [args.tessera, "worker", "--broker", url], None)
                           for k in range(args.workers)]
        celery_env = dict(os.environ, CELERY_BROKER=url, PYTHONPATH=HERE)
        celery_workers = [("celery%d" % k, [sys.executable, "-m", "celery", "-A", "bench_worker_celery", "worker",
                                            "-P", "solo", "-n", "bench%d@%%h" % k, "--without-heartbeat",
                                            "--without-gossip", "--without-mingle", "-l", "warning"], celery_env)
                          for k in range(args.workers)]
        for _ in range(args.rounds):
            one = {"local_s": run_local(args.tessera, args.jobs, folder)}
            one["tessera_s"], one["tessera_cpu_s"] = run_side(services, app, "tessera.run", tessera_task, args.jobs,
                                                              tessera_workers)
            if not args.no_celery:
                one["celery_s"], one["celery_cpu_s"] = run_side(services, app, "bench.saxpy", ([N], {}), args.jobs,
                                                                celery_workers)
            rounds.append(one)
        import gc
        gc.collect()  # results in reference cycles let go now, while redis-server runs
    finally:
        services.stop_all()
        shutil.rmtree(folder, ignore_errors=True)

    per = lambda t: 1000.0 * t / args.jobs  # noqa: E731
    for one in rounds:
        one["overhead_ms_per_task"] = per(one["tessera_s"] - one["local_s"])
        if not args.no_celery:
            one["tessera_over_celery"] = one["tessera_s"] / one["celery_s"]
            one["cost_tessera_over_celery"] = one["tessera_cpu_s"] / one["celery_cpu_s"]
    med = {key: median([one[key] for one in rounds]) for key in rounds[0]}
    print("%-44s %10s %12s %22s" % ("side (medians of %d rounds)" % args.rounds, "total s", "ms per job",
                                    "worker CPU ms per task"))
    print("%-44s %10.3f %12.3f %22s" % ("local: one tessera run", med["local_s"], per(med["local_s"]), "-"))
    print("%-44s %10.3f %12.3f %22.3f" % ("tessera: %d tessera workers via Redis" % args.workers, med["tessera_s"],
                                          per(med["tessera_s"]), per(med["tessera_cpu_s"])))
    if not args.no_celery:
        print("%-44s %10.3f %12.3f %22.3f" % ("celery: %d Celery+PyOpenCL workers" % args.workers, med["celery_s"],
                                              per(med["celery_s"]), per(med["celery_cpu_s"])))
    print("overhead per task (tessera - local): %.3f ms (rounds: %s)" % (
        med["overhead_ms_per_task"], ", ".join("%.3f" % one["overhead_ms_per_task"] for one in rounds)))
    if not args.no_celery:
        for key, what in (("tessera_over_celery", "tessera / celery"),
                          ("cost_tessera_over_celery", "cost per task, tessera / celery")):
            print("%s: %.3f (rounds: %s)" % (what, med[key], ", ".join("%.3f" % one[key] for one in rounds)))
    print(json.dumps({"jobs": args.jobs, "workers": args.workers, "n": N, "medians": med, "rounds": rounds}))


if __name__ == "__main__":
    main()
