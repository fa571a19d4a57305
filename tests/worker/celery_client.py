#!/usr/bin/env python3
"""A real Celery client (Debian's python3-celery) driving tessera workers in the tests.

Each command prints one JSON document on stdout; progress goes to stderr.

  celery_client.py URL send-saxpy COUNT IDS_FILE [FIRST_N]   send COUNT saxpy tasks, n = FIRST_N + 64 k
  celery_client.py URL get-saxpy IDS_FILE TIMEOUT           get each with AsyncResult.get(), check y
  celery_client.py URL send-spin ITERS                      send one slow task; print its id
  celery_client.py URL get IDS TIMEOUT                      outcome of task ids (comma-separated)
  celery_client.py URL listen COUNT TIMEOUT                 the states published per task, until COUNT
                                                            tasks have a final one (and 0.5 s more)
  celery_client.py URL heartbeat TIMEOUT                    the first worker-heartbeat event
  celery_client.py URL bad-tasks OUTSIDE_DIR                tasks a worker must refuse, one by one (OUTSIDE_DIR
                                                            holds x.npy and k.cl, outside the task's folder)
"""
import base64
import json
import os
import struct
import sys
import time

from celery import Celery
import redis as redis_py

HERE = os.path.dirname(os.path.abspath(__file__))


def read(name):
    with open(os.path.join(HERE, name)) as f:
        return f.read()


def npy_floats(data):
    """The float32 values of a little-endian .npy file."""
    assert data[:6] == b"\x93NUMPY", "not a .npy file"
    major = data[6]
    if major == 1:
        (header_len,) = struct.unpack("<H", data[8:10])
        start = 10 + header_len
    else:
        (header_len,) = struct.unpack("<I", data[8:12])
        start = 12 + header_len
    assert b"'<f4'" in data[:start], data[:start]
    return struct.unpack("<%df" % ((len(data) - start) // 4), data[start:])


def outcome(result, timeout):
    """{"status", "result" | "exc_type", "message"} of one task, waited for with get()."""
    try:
        value = result.get(timeout=timeout)
        return {"status": "SUCCESS", "result": value}
    except Exception as e:  # the task's own exception, rebuilt by Celery
        return {"status": result.state, "exc_type": type(e).__name__, "message": str(e)}


def send_saxpy(app, count, ids_file, first_n=1024):
    job, kernel = read("saxpy.toml"), read("k.cl")
    with open(ids_file, "w") as f:
        for k in range(count):
            n = first_n + 64 * k
            r = app.send_task("tessera.run", args=[job], kwargs={"set": {"n": n}, "files": {"k.cl": kernel}})
            f.write("%s %d\n" % (r.id, n))
    return {"sent": count}


def get_saxpy(app, ids_file, timeout):
    ok, bad = 0, []
    start = time.time()
    for line in open(ids_file):
        task_id, n = line.split()
        n = int(n)
        o = outcome(app.AsyncResult(task_id), timeout)
        if o["status"] != "SUCCESS":
            bad.append({"id": task_id, "outcome": o})
            continue
        y = npy_floats(base64.b64decode(o["result"]["outputs"]["out/y.npy"]))
        if len(y) == n and all(v == 2 * i + 1 for i, v in enumerate(y)):
            ok += 1
        else:
            bad.append({"id": task_id, "n": n, "got": len(y)})
    return {"ok": ok, "bad": bad, "seconds": time.time() - start}


def send_spin(app, iters):
    r = app.send_task("tessera.run", args=[read("spin.toml")],
                      kwargs={"set": {"iters": iters}, "files": {"spin.cl": read("spin.cl")}})
    return {"id": r.id}


def get(app, ids, timeout):
    return {task_id: outcome(app.AsyncResult(task_id), timeout) for task_id in ids.split(",")}


def listen(url, count, timeout):
    """Every state published, per task, until COUNT tasks have a final one (and 0.5 s more)."""
    pubsub = redis_py.Redis.from_url(url).pubsub(ignore_subscribe_messages=True)
    pubsub.psubscribe("celery-task-meta-*")
    while pubsub.get_message(timeout=0.1) is None and not pubsub.subscribed:
        pass
    print("listening", file=sys.stderr, flush=True)
    states, final = {}, set()
    end = time.time() + timeout
    while time.time() < end:
        m = pubsub.get_message(timeout=0.1)
        if m and m["type"] == "pmessage":
            state = json.loads(m["data"])
            states.setdefault(state["task_id"], []).append(state["status"])
            if state["status"] in ("SUCCESS", "FAILURE", "REVOKED"):
                final.add(state["task_id"])
                if len(final) == count:
                    end = min(end, time.time() + 0.5)
    return states


def heartbeat(app, timeout):
    found = {}

    def on_event(event):
        found.update(event)
        raise KeyboardInterrupt  # leaves capture()

    with app.connection() as conn:
        receiver = app.events.Receiver(conn, handlers={"worker-heartbeat": on_event})
        try:
            receiver.capture(limit=None, timeout=timeout, wakeup=False)
        except (KeyboardInterrupt, Exception) as e:  # socket.timeout when none came
            if not found:
                return {"error": repr(e)}
    return found


def bad_tasks(app, outside_dir):
    """Tasks a worker must answer with a FAILURE, then one it must still run."""
    job = read("saxpy.toml")
    kernel = read("k.cl")
    outside = job.replace('init = { iota = 0 }', 'init = { file = "%s/x.npy" }' % outside_dir)
    builtin = job.replace('source = "k.cl"', 'builtin = "saxpy"')  # no files: its folder is never made
    cases = {
        "unknown task": app.send_task("tessera.nope", args=[1]),
        "not a job": app.send_task("tessera.run", args=["[job]\nsheduler = 'single'\n"]),
        "no args": app.send_task("tessera.run", args=[]),
        "unknown kwarg": app.send_task("tessera.run", args=[job], kwargs={"files": {"k.cl": kernel}, "x": 1}),
        "set not an integer": app.send_task("tessera.run", args=[job], kwargs={"set": {"n": 1.5}}),
        "file outside": app.send_task("tessera.run", args=[job], kwargs={"files": {"../k.cl": kernel}}),
        "absolute file": app.send_task("tessera.run", args=[job], kwargs={"files": {"/tmp/k.cl": kernel}}),
        "input outside the folder": app.send_task("tessera.run", args=[outside], kwargs={"files": {"k.cl": kernel}}),
        "output outside the folder": app.send_task(
            "tessera.run", args=[job.replace('"out/y.npy"', '"../y.npy"')], kwargs={"files": {"k.cl": kernel}}),
        "output outside, no files": app.send_task("tessera.run", args=[builtin.replace('"out/y.npy"', '"out/../../y.npy"')]),
        "absolute output, no files": app.send_task(
            "tessera.run", args=[builtin.replace('"out/y.npy"', '"%s/y.npy"' % outside_dir)]),
        "source outside the folder": app.send_task(
            "tessera.run", args=[job.replace('"k.cl"', '"%s/k.cl"' % outside_dir)]),
        "include outside the folder": app.send_task(
            "tessera.run", args=[job], kwargs={"files": {"k.cl": '#include "%s/k.cl"\n' % outside_dir}}),
        "job path outside": app.send_task("tessera.run", args=["../x.toml"]),
        "too large": app.send_task("tessera.run", args=[job], kwargs={"files": {"k.cl": kernel, "pad.txt": "x" * 200000}}),
        "bad base64": app.send_task("tessera.run", args=[job], kwargs={"files": {"k.cl": kernel, "x.npy": "!!"}}),
        "kernel error": app.send_task("tessera.run", args=[job], kwargs={"files": {"k.cl": "kernel void saxpy(x) {"}}),
    }
    out = {name: outcome(r, 30) for name, r in cases.items()}
    out["job by path"] = outcome(app.send_task("tessera.run", args=["jobs/saxpy.toml"], kwargs={"set": {"n": 128}}), 30)
    out["builtin, no files"] = outcome(app.send_task("tessera.run", args=[builtin], kwargs={"set": {"n": 64}}), 30)
    out["still serving"] = outcome(
        app.send_task("tessera.run", args=[job], kwargs={"set": {"n": 256}, "files": {"k.cl": kernel}}), 30)
    return out


def main():
    url, command, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    app = Celery(broker=url, backend=url)
    app.conf.broker_connection_retry_on_startup = True
    if command == "send-saxpy":
        doc = send_saxpy(app, int(args[0]), args[1], *(int(a) for a in args[2:]))
    elif command == "get-saxpy":
        doc = get_saxpy(app, args[0], float(args[1]))
    elif command == "send-spin":
        doc = send_spin(app, int(args[0]))
    elif command == "get":
        doc = get(app, args[0], float(args[1]))
    elif command == "listen":
        doc = listen(url, int(args[0]), float(args[1]))
    elif command == "heartbeat":
        doc = heartbeat(app, float(args[0]))
    elif command == "bad-tasks":
        doc = bad_tasks(app, args[0])
    else:
        sys.exit("unknown command " + command)
    print(json.dumps(doc, default=str))


if __name__ == "__main__":
    main()
