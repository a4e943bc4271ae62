"""bench-run --slurm on a real cluster: a private munged, slurmctld and slurmd
on 127.0.0.1 (tests/slurm/cluster.sh, free ports, state in a temp folder,
stopped by PID at the end). Each check asserts on the files the jobs wrote:

1. a sweep as 4 shards with --throttle 2 (the node has 4 CPUs): the merged
   file is the single-process file, run for run and bit for bit, and no more
   than 2 shards ran at once;
2. a shard preempted mid-run by a job of the high partition: it requeues,
   resumes its file, and the merged file is still the single-process one;
3. a shard that fails (its file is garbage, as a bad node may leave it): the
   shard ends FAILED with exit 2, the merge job names it and exits 1, and
   --slurm-resubmit completes the file;
4. --dry-run prints the scripts and passes sbatch --test-only, writing
   nothing; an argument sbatch rejects fails it with sbatch's words.

usage: /usr/bin/python3 slurm_test.py [CHECK...]   (BENCH_RUN, SOURCE_DIR in the environment)
Exit 77 (skipped) where Slurm is not installed or this is not root.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import h5py

BENCH_RUN = os.environ["BENCH_RUN"]
SOURCE = os.environ["SOURCE_DIR"]
CLUSTER = os.path.join(SOURCE, "tests", "slurm", "cluster.sh")
MATRIX_SENSING = os.path.join(SOURCE, "configs", "matrix_sensing.yaml")


def log(*words):
    print("[slurm_test %s]" % time.strftime("%H:%M:%S"), *words, flush=True)


def run(args, check=True, **kw):
    r = subprocess.run(args, capture_output=True, text=True, **kw)
    if check and r.returncode != 0:
        raise AssertionError("%s exited %d:\n%s%s" % (" ".join(args), r.returncode, r.stdout, r.stderr))
    return r


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def job(job_id):
    """scontrol's fields of a job (still known for MinJobAge after it ended)."""
    out = run(["scontrol", "-o", "show", "job", str(job_id)], check=False).stdout
    return dict(re.findall(r"(\w+)=(\S*)", out.splitlines()[0])) if out.strip() else {}


def wait_gone(job_ids, timeout):
    end = time.time() + timeout
    ids = ",".join(str(j) for j in job_ids)
    while time.time() < end:
        if not run(["squeue", "-h", "-j", ids], check=False).stdout.strip():
            return
        time.sleep(0.5)
    raise AssertionError("jobs %s still queued after %d s:\n%s" % (ids, timeout, run(["squeue"], check=False).stdout))


def submitted(output):
    """(array job ids, merge job id) from what bench-run --slurm printed."""
    arrays = [int(j) for j in re.findall(r"array\s+job (\d+)", output)]
    merge = re.search(r"merge\s+job (\d+)", output)
    assert arrays and merge, output
    return arrays, int(merge.group(1))


def runs_of(path):
    """{run_id: (status, {metric: bytes}, {summary: value}, point, seed)}"""
    out = {}
    with h5py.File(path, "r") as f:
        assert not os.path.exists(path + ".runs"), "merged file not whole: " + path
        for run_id, g in f["runs"].items():
            out[run_id] = (g.attrs["status"], {m: g["metrics"][m][()].tobytes() for m in g["metrics"]},
                           dict(g["summary"].attrs), g.attrs["point"], int(g.attrs["seed"]))
        plan = [x.decode() if isinstance(x, bytes) else x for x in f["plan/run_id"][()]]
    return out, plan


def require_same_file(merged, single):
    a, plan_a = runs_of(merged)
    b, plan_b = runs_of(single)
    assert plan_a == plan_b, "plans differ"
    assert sorted(a) == sorted(b), "run ids differ: %s" % sorted(set(a) ^ set(b))
    for run_id in b:
        assert a[run_id] == b[run_id], "run %s differs from the single-process file" % run_id
    return len(a)


def shard_intervals(directory):
    """[(start, end)] of every shard job, from the lines the array script logs."""
    starts, ends = {}, {}
    logs = os.path.join(directory, "logs")
    for name in os.listdir(logs):
        if not name.startswith("shard-"):
            continue
        for line in open(os.path.join(logs, name)):
            m = re.match(r"genbench: shard \S+ job (\d+) restart (\d+) .* started ([\d.]+)", line)
            if m:
                starts[(m.group(1), m.group(2))] = float(m.group(3))
            m = re.match(r"genbench: shard \S+ job (\d+) ended ([\d.]+)", line)
            if m:
                key = max((k for k in starts if k[0] == m.group(1)), key=lambda k: int(k[1]))
                ends[key] = float(m.group(2))
    return [(starts[k], ends[k]) for k in starts if k in ends]


def most_at_once(intervals):
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals], key=lambda x: (x[0], x[1]))
    now = most = 0
    for _, d in events:
        now += d
        most = max(most, now)
    return most


def single_process(suite, tier, out, extra=()):
    t0 = time.time()
    run([BENCH_RUN, suite, "--tier", tier, "--jobs", "2", "--out", out] + list(extra))
    return time.time() - t0


def check_throttled_array(tmp):
    single = os.path.join(tmp, "single.h5")
    single_s = single_process(MATRIX_SENSING, "ci", single)
    d = os.path.join(tmp, "throttled")
    t0 = time.time()
    r = run([BENCH_RUN, MATRIX_SENSING, "--tier", "ci", "--slurm", d, "--shards", "4", "--throttle", "2"])
    arrays, merge = submitted(r.stdout)
    wait_gone(arrays + [merge], 240)
    wall = time.time() - t0
    assert job(merge).get("JobState") == "COMPLETED" and job(merge).get("ExitCode") == "0:0", job(merge)
    for i in range(4):
        assert job("%d_%d" % (arrays[0], i)).get("JobState") == "COMPLETED", job("%d_%d" % (arrays[0], i))
    n = require_same_file(os.path.join(d, "matrix_sensing.h5"), single)
    intervals = shard_intervals(d)
    assert len(intervals) == 4, intervals
    most = most_at_once(intervals)
    assert most <= 2, "%d shards ran at once under --throttle 2" % most
    status = run([BENCH_RUN, "--slurm-status", d]).stdout
    assert "30 of 30 runs finished; shards: 4 done" in status, status
    log("1. 4 shards, --throttle 2: %d runs identical to the single-process file; at most %d shards at once; "
        "%.1f s on the cluster, %.1f s in one process" % (n, most, wall, single_s))


SELFTEST_SUITE = """suite: slurm_selftest
task: selftest
description: seeded random walks that take a while, for the Slurm tests
defaults: {steps: 20, sleep_ms: 100}
sweep:
  grid: {count: [0, 1, 2, 3, 4, 5]}
  seeds: [0]
"""


def check_preempted_shard(tmp):
    suite = os.path.join(tmp, "slurm_selftest.yaml")
    open(suite, "w").write(SELFTEST_SUITE)
    single = os.path.join(tmp, "selftest-single.h5")
    single_process(suite, "", single)
    d = os.path.join(tmp, "preempted")
    r = run([BENCH_RUN, suite, "--slurm", d, "--shards", "1"])
    arrays, merge = submitted(r.stdout)
    shard = os.path.join(d, "shards", "0.h5")
    end = time.time() + 60  # preempt once a run is committed and the next is under way
    while time.time() < end:
        if os.path.exists(shard):
            try:
                with h5py.File(shard, "r") as f:
                    done = len(f["runs"])
                segments = os.path.join(shard + ".runs")
                if done or (os.path.isdir(segments) and any(n.startswith("seg-") for n in os.listdir(segments))):
                    break
            except OSError:
                pass  # being replaced at this moment
        time.sleep(0.2)
    else:
        raise AssertionError("the shard never committed a run")
    urgent = run(["sbatch", "--parsable", "-p", "urgent", "-n", "4", "-o", os.path.join(tmp, "urgent-%j.out"),
                  "--wrap", "sleep 2"]).stdout.strip()
    wait_gone(arrays + [merge, urgent], 240)
    element = job("%d_0" % arrays[0])
    assert element.get("JobState") == "COMPLETED" and int(element.get("Restarts", 0)) >= 1, element
    shard_log = open(os.path.join(d, "logs", "shard-%d_0.out" % arrays[0])).read()
    assert re.search(r"ended [\d.]+ exit 143", shard_log), shard_log
    assert "restart 1" in shard_log, shard_log
    with h5py.File(shard, "r") as f:
        resumes = int(f.attrs["resume_count"])
    assert resumes >= 1
    n = require_same_file(os.path.join(d, "slurm_selftest.h5"), single)
    log("2. preempted mid-run (exit 143), requeued %s time(s), resumed %d time(s): %d runs identical"
        % (element.get("Restarts"), resumes, n))


def check_failed_shard(tmp):
    single = os.path.join(tmp, "single.h5")
    if not os.path.exists(single):
        single_process(MATRIX_SENSING, "ci", single)
    d = os.path.join(tmp, "failing")
    r = run([BENCH_RUN, MATRIX_SENSING, "--tier", "ci", "--slurm", d, "--shards", "4", "--throttle", "2",
             "--sbatch-arg=--hold"])
    arrays, merge = submitted(r.stdout)
    open(os.path.join(d, "shards", "2.h5"), "w").write("left half-written by a bad node\n")
    run(["scontrol", "release", "%d,%d" % (arrays[0], merge)])
    wait_gone(arrays + [merge], 240)
    bad = job("%d_2" % arrays[0])
    assert bad.get("JobState") == "FAILED" and bad.get("ExitCode") == "2:0", bad
    assert job(merge).get("JobState") == "FAILED" and job(merge).get("ExitCode") == "1:0", job(merge)
    merge_log = open(os.path.join(d, "logs", "merge-%d.out" % merge)).read()
    assert "shard 2: unreadable" in merge_log and "bench-run --slurm-resubmit " + d in merge_log, merge_log
    with h5py.File(os.path.join(d, "matrix_sensing.h5"), "r") as f:
        partial = len(f["runs"])
    assert 0 < partial < 30, partial
    r = run([BENCH_RUN, "--slurm-resubmit", d])
    assert "1 shards submitted again" in r.stdout, r.stdout
    arrays2, merge2 = submitted(r.stdout)
    run(["scontrol", "release", "%d,%d" % (arrays2[0], merge2)])  # --hold is in the manifest's sbatch args
    wait_gone(arrays2 + [merge2], 240)
    assert job(merge2).get("JobState") == "COMPLETED", job(merge2)
    assert any(n.startswith("2.h5.unreadable-") for n in os.listdir(os.path.join(d, "shards")))
    n = require_same_file(os.path.join(d, "matrix_sensing.h5"), single)
    log("3. shard 2 FAILED (exit 2), merge exit 1 with %d of 30 runs and the resubmit command; "
        "--slurm-resubmit reran shard 2 only: %d runs identical" % (partial, n))


def check_dry_run(tmp):
    d = os.path.join(tmp, "dry")
    r = run([BENCH_RUN, MATRIX_SENSING, "--tier", "ci", "--slurm", d, "--shards", "4", "--throttle", "2", "--dry-run"])
    assert "#SBATCH --requeue" in r.stdout and "--slurm-merge" in r.stdout, r.stdout
    assert re.search(r"sbatch --test-only --array=0-3%2: .*to start at", r.stdout), r.stdout
    assert not os.path.exists(d), "a dry run wrote " + d
    r = run([BENCH_RUN, MATRIX_SENSING, "--slurm", d, "--dry-run", "--sbatch-arg=--partition=nosuch"], check=False)
    assert r.returncode == 2 and "invalid partition" in (r.stdout + r.stderr).lower(), r.stdout + r.stderr
    log("4. --dry-run: scripts printed, sbatch --test-only passed; a bad partition fails it (exit 2)")


CHECKS = {"throttle": check_throttled_array, "preempt": check_preempted_shard, "fail": check_failed_shard,
          "dry_run": check_dry_run}


def main():
    if os.geteuid() != 0 or not all(shutil.which(p) for p in ("slurmctld", "slurmd", "sbatch", "munged")):
        print("skipped: needs root and Debian's slurmctld slurmd slurm-client munge (make test-deps)")
        return 77
    chosen = sys.argv[1:] or list(CHECKS)
    tmp = tempfile.mkdtemp(prefix="genbench-slurm-")
    os.chmod(tmp, 0o755)  # munged: every folder above its socket searchable by all
    cluster = os.path.join(tmp, "cluster")
    ctld, slurmd = free_ports(2)
    t0 = time.time()
    out = run(["bash", CLUSTER, "up", cluster, str(ctld), str(slurmd)]).stdout
    os.environ["SLURM_CONF"] = re.search(r"SLURM_CONF=(\S+)", out).group(1)
    log("cluster up in %.1f s (ports %d, %d)" % (time.time() - t0, ctld, slurmd))
    try:
        for name in chosen:
            t = time.time()
            CHECKS[name](tmp)
            log("   (%s: %.1f s)" % (name, time.time() - t))
    finally:
        run(["bash", CLUSTER, "down", cluster], check=False)
    shutil.rmtree(tmp, ignore_errors=True)
    log("all passed in %.1f s" % (time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
