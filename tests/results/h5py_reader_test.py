"""Reads a file bench-run wrote, with h5py, exactly as results/SCHEMA.md tells
an analyst to. If the schema drifts from its documentation, this fails.

usage: /usr/bin/python3 h5py_reader_test.py SOURCE_DIR   (BENCH_RUN in the environment)
"""
import glob
import os
import signal
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np


def main():
    source = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "smoke.h5")
        subprocess.run([os.environ["BENCH_RUN"], os.path.join(source, "configs/matrix_sensing.yaml"),
                        "--tier", "smoke", "--out", path], check=True, capture_output=True)
        with h5py.File(path, "r") as f:
            check(f)
        assert not os.path.exists(path + ".runs")  # a finished sweep is one file
        check_killed_sweep(tmp)
        check_verdicts(tmp)
    print("3 passed, 0 failed")


def committed_runs(path):
    """Every committed run of a file, as SCHEMA.md tells: /runs of the file, then of each
    segment in FILE.runs/ whose segment_token is the file's (a run in both is the same run)."""
    runs = {}
    with h5py.File(path, "r") as f:
        token = f.attrs["segment_token"]
        for run_id, run in f["runs"].items():
            runs[run_id] = run.attrs["status"]
    for segment in sorted(glob.glob(path + ".runs/seg-*.h5")):
        with h5py.File(segment, "r") as s:
            if s.attrs["segment_token"] != token:
                continue
            for run_id, run in s["runs"].items():
                runs.setdefault(run_id, run.attrs["status"])
    return runs


def check_killed_sweep(tmp):
    suite = os.path.join(tmp, "slow.yaml")
    with open(suite, "w") as out:
        out.write("suite: slow\ntask: selftest\ndefaults: {steps: 20, sleep_ms: 2}\nsweep: {seeds: 150}\n")
    path = os.path.join(tmp, "killed.h5")
    proc = subprocess.Popen([os.environ["BENCH_RUN"], suite, "--jobs", "2", "--out", path],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60  # a few runs in, however loaded the machine is
    while time.time() < deadline and len(glob.glob(path + ".runs/seg-*.h5")) < 3:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    runs = committed_runs(path)  # h5py opens the file and every segment
    with h5py.File(path, "r") as f:
        plan = [s.decode() if isinstance(s, bytes) else s for s in f["plan/run_id"][:]]
        assert f.attrs["status"] == "running"
    assert 0 < len(runs) < len(plan), len(runs)
    assert set(runs) <= set(plan) and set(runs.values()) == {"ok"}
    subprocess.run([os.environ["BENCH_RUN"], "--resume", path], check=True, capture_output=True)
    with h5py.File(path, "r") as f:
        assert f.attrs["status"] == "complete" and sorted(f["runs"].keys()) == sorted(plan)
    assert not os.path.exists(path + ".runs")


def check_verdicts(tmp):
    """/verdicts: one row per claim of the suite's expect:, as equal-length columns."""
    suite = os.path.join(tmp, "claims.yaml")
    with open(suite, "w") as out:
        out.write("suite: claims\ntask: selftest\ndefaults: {steps: 10, step_std: 0}\nsweep: {seeds: 2}\nexpect:\n"
                  "  - {name: still, summary: final_position, seeds: all, equals: 0, source: a walk of step 0}\n"
                  "  - {name: moved, summary: final_position, seeds: any, greater_than: 1}\n")
    path = os.path.join(tmp, "claims.h5")
    subprocess.run([os.environ["BENCH_RUN"], suite, "--out", path], check=True, capture_output=True)
    with h5py.File(path, "r") as f:
        v = f["verdicts"]
        columns = {name: [x.decode() if isinstance(x, bytes) else x for x in v[name][:]]
                   for name in ["claim", "outcome", "measured", "bound", "source"]}
        assert columns["claim"] == ["still", "moved"], columns
        assert columns["outcome"] == ["pass", "fail"], columns
        assert columns["measured"][0] == "2 of 2 seeds: 0" and columns["bound"][0] == "== 0, every run"
        assert columns["source"] == ["a walk of step 0", ""]
        assert v["value"].dtype == np.float64 and list(v["value"][:]) == [0.0, 0.0]


def check(f):
    root = f.attrs
    assert root["schema_version"] == 2
    for key in ["genbench_version", "git_commit", "command_line", "suite", "detector", "suite_file", "suite_text", "tier",
                "host", "cpu_model", "torch_version", "hdf5_version", "device", "start_time", "end_time", "status"]:
        assert isinstance(root[key], str), key
    assert root["suite"] == "matrix_sensing" and root["tier"] == "smoke" and root["status"] == "complete"
    assert root["threads_per_run"] == 1 and root["jobs"] >= 1 and root["runs_planned"] == 2
    assert isinstance(root["git_dirty"], np.bool_)
    assert "suite: matrix_sensing" in root["suite_text"] and root["detector"] == "matrix_sensing"
    assert "summary" in f and "partial" in f and len(f["partial"]) == 0  # nothing left in progress

    plan_ids = [s.decode() if isinstance(s, bytes) else s for s in f["plan/run_id"][:]]
    assert len(plan_ids) == 2 and len(f["plan/point"]) == 2 and f["plan/seed"].dtype == np.uint64

    runs = f["runs"]
    assert sorted(runs.keys()) == sorted(plan_ids)
    for run_id, run in runs.items():
        a = run.attrs
        assert a["run_id"] == run_id and a["status"] == "ok" and a["error"] == ""
        assert a["task"] == "matrix_sensing" and a["seed"] == 0 and a["log_every"] == 10
        assert a["wall_time_s"] > 0 and a["steps_per_s"] > 0 and a["last_good_step"] == 200
        assert a["point"].startswith(("exact_k2", "overparam_k30"))

        config = run["config"].attrs
        assert config["steps"] == 200 and config["d"] == 30 and config["optimizer"] == "gd"
        assert isinstance(config["lr"], np.floating) and isinstance(config["d"], np.integer)
        assert isinstance(config["eigenvalues"], np.ndarray)
        assert "steps: 200\n" in a["config"]

        m = run["metrics"]
        step = m["step"][:]
        assert step.dtype == np.int64 and step[0] == 0 and step[-1] == 200 and np.all(np.diff(step) > 0)
        for name in ["train_loss", "rel_error", "sv_1", "sv_2"]:
            d = m[name]
            assert d.dtype == np.float64 and d.shape == step.shape, name
            assert d.chunks is not None and d.maxshape == (None,), name  # chunked, extendible
        assert np.all(np.isfinite(m["rel_error"][:]))
        assert m["rel_error"][-1] < m["rel_error"][0]

        s = run["summary"].attrs
        assert s["eigenvalue_1"] == 1.0 and s["eigenvalue_2"] == 0.5
        assert np.isclose(s["final_rel_error"], m["rel_error"][-1])


if __name__ == "__main__":
    main()
