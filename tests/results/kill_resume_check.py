"""kill -9 at random moments of a sweep: after each, h5py opens the file and every
segment beside it, every committed run is whole, and --resume gives the file an
uninterrupted sweep writes, bit for bit.

usage: /usr/bin/python3 kill_resume_check.py [TRIALS] [RUNS]   (BENCH_RUN in the environment)
"""
import glob
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

import h5py


def runs_of(path):
    """{run_id: {metric: bytes}} of every committed run (SCHEMA.md: the file, then its segments)."""
    out = {}
    def take(group):
        for run_id, run in group.items():
            if run_id not in out:
                out[run_id] = {m: run["metrics"][m][()].tobytes() for m in run["metrics"]}
                assert run.attrs["status"] == "ok", run_id
    with h5py.File(path, "r") as f:
        token = f.attrs["segment_token"]
        take(f["runs"])
    for segment in sorted(glob.glob(path + ".runs/seg-*.h5")):
        with h5py.File(segment, "r") as s:
            if s.attrs["segment_token"] == token:
                take(s["runs"])
    return out


def main():
    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    bench_run = os.environ["BENCH_RUN"]
    rng = random.Random(2026)
    with tempfile.TemporaryDirectory() as tmp:
        suite = os.path.join(tmp, "s.yaml")
        with open(suite, "w") as f:
            f.write("suite: kills\ntask: selftest\ndefaults: {steps: 200}\nlog_every: 1\nsweep: {seeds: %d}\n" % runs)
        reference = os.path.join(tmp, "reference.h5")
        start = time.time()
        subprocess.run([bench_run, suite, "--jobs", "2", "--out", reference], check=True, capture_output=True)
        duration = time.time() - start
        expected = runs_of(reference)
        assert len(expected) == runs
        committed = []
        for trial in range(trials):
            path = os.path.join(tmp, "killed%d.h5" % trial)
            proc = subprocess.Popen([bench_run, suite, "--jobs", "2", "--out", path], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, start_new_session=True)
            time.sleep(rng.uniform(0.2, 0.95) * duration)  # past start-up (LibTorch loads in ~0.4 s)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            if not os.path.exists(path):  # killed before it created the file: nothing was committed
                committed.append(0)
                continue
            seen = runs_of(path)  # opens, every time
            for run_id, metrics in seen.items():
                assert metrics == expected[run_id], (trial, run_id)  # every committed run is whole
            committed.append(len(seen))
            subprocess.run([bench_run, "--resume", path, "--jobs", "2"], check=True, capture_output=True)
            assert not os.path.exists(path + ".runs")
            assert runs_of(path) == expected, trial  # the uninterrupted file's runs, bit for bit
            os.remove(path)
        print("%d kills of a %d-run sweep (%.1f s uninterrupted): committed before the kill %s; "
              "every file opened, every resume bit-identical" % (trials, runs, duration, sorted(committed)))


if __name__ == "__main__":
    main()
