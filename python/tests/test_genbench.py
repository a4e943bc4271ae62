"""genbench.load and genbench.plot on files the real bench-run writes.

Run by ctest (python.genbench): /usr/bin/python3 -m pytest python/tests, with
BENCH_RUN and BENCH_MERGE in the environment. Every value is checked
against the same file read with h5py as results/SCHEMA.md describes it.
"""
import glob
import os
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))  # the checkout, not installed
import genbench  # noqa: E402

BENCH_RUN = os.environ.get("BENCH_RUN", "build/bench-run")
BENCH_MERGE = os.environ.get("BENCH_MERGE", os.path.join(os.path.dirname(BENCH_RUN), "bench-merge"))

WALKS = """suite: walks
task: selftest
defaults: {steps: 30}
sweep:
  grid: {step_std: [0.5, 2.0]}
  seeds: 3
log_every: 5
expect:
  - {name: walks end somewhere, summary: final_position, seeds: all, between: [-1000, 1000]}
  - {name: the wide walk ends at 0, point: step_std=2, summary: final_position, equals: 0}
"""


def bench_run(*args, check=True):
    return subprocess.run([BENCH_RUN, *args], check=check, capture_output=True, text=True)


@pytest.fixture(scope="module")
def walks(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("walks")
    suite = tmp / "walks.yaml"
    suite.write_text(WALKS)
    out = tmp / "walks.h5"
    bench_run(str(suite), "--out", str(out), "--jobs", "2")
    return tmp, suite, out


def h5_runs(path):
    """run_id -> (attrs, config, summary, metrics) straight from h5py."""
    out = {}
    with h5py.File(path, "r") as f:
        for run_id, run in f["runs"].items():
            out[run_id] = (dict(run.attrs), dict(run["config"].attrs), dict(run["summary"].attrs),
                           {k: run["metrics"][k][:] for k in run["metrics"]})
    return out


def test_runs_have_one_row_per_run_with_typed_parameters_and_summaries(walks):
    _, _, out = walks
    res = genbench.load(out)
    raw = h5_runs(out)
    assert len(res.runs) == 6 and set(res.runs["run_id"]) == set(raw)
    assert list(res.runs["index"]) == list(range(6))  # plan order
    assert res.runs["steps"].dtype == np.int64 and res.runs["step_std"].dtype == np.float64
    assert res.runs["seed"].dtype == np.int64 and res.runs["label"].dtype == object
    for _, row in res.runs.iterrows():
        attrs, config, summary, _ = raw[row["run_id"]]
        assert row["point"] == attrs["point"] and row["seed"] == attrs["seed"] and row["status"] == "ok"
        assert row["step_std"] == config["step_std"]
        assert row["final_position"] == summary["final_position"]
    assert "final_position" in res.summary_columns and "step_std" in res.param_columns


def test_metrics_long_and_wide_hold_every_logged_value(walks):
    _, _, out = walks
    res = genbench.load(out)
    raw = h5_runs(out)
    assert list(res.metrics.columns) == ["file", "run_id", "step", "metric", "value"]
    expected = sum(len(m["step"]) * (len(m) - 1) for _, _, _, m in raw.values())
    assert len(res.metrics) == expected
    run_id = res.runs["run_id"][0]
    steps = raw[run_id][3]["step"]
    loss = res.metrics[(res.metrics.run_id == run_id) & (res.metrics.metric == "loss")]
    assert list(loss["step"]) == list(steps) and np.allclose(loss["value"], raw[run_id][3]["loss"])
    wide = res.metrics_wide()
    assert {"loss", "position"} <= set(wide.columns) and len(wide) == sum(len(m["step"]) for *_, m in raw.values())


def test_points_give_median_mean_sem_min_max_and_n_over_seeds(walks):
    _, _, out = walks
    res = genbench.load(out)
    points = res.points
    assert len(points) == 2
    for (_, point), row in points.iterrows():
        values = res.runs[res.runs.point == point]["final_position"].to_numpy()
        assert row[("final_position", "n")] == 3 and row[("runs", "ok")] == 3
        assert row[("final_position", "median")] == pytest.approx(np.median(values))
        assert row[("final_position", "mean")] == pytest.approx(values.mean())
        assert row[("final_position", "sem")] == pytest.approx(values.std(ddof=1) / np.sqrt(3))
        assert row[("final_position", "min")] == values.min() and row[("final_position", "max")] == values.max()


def test_provenance_plan_and_verdicts_come_with_the_file(walks):
    _, _, out = walks
    res = genbench.load(out)
    assert res.provenance.loc[str(out), "suite"] == "walks" and res.provenance.loc[str(out), "status"] == "complete"
    assert len(res.plan) == 6 and res.missing.empty
    v = res.verdicts.set_index("claim")
    assert v.loc["walks end somewhere", "outcome"] == "pass"
    wide_ends = res.runs[res.runs.point == "step_std=2"]["final_position"]
    assert v.loc["the wide walk ends at 0", "outcome"] == ("pass" if (wide_ends == 0).all() else "fail")


def test_a_killed_sweep_reads_with_its_segments_and_says_what_is_missing(tmp_path):
    suite = tmp_path / "slow.yaml"
    suite.write_text("suite: slow\ntask: selftest\ndefaults: {steps: 20, sleep_ms: 2}\nsweep: {seeds: 120}\n")
    out = tmp_path / "killed.h5"
    proc = subprocess.Popen([BENCH_RUN, str(suite), "--jobs", "2", "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and len(glob.glob(str(out) + ".runs/seg-*.h5")) < 3:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    res = genbench.load(out)
    with h5py.File(out, "r") as f:
        in_main = len(f["runs"])
    assert len(res.runs) > in_main  # the runs since the last fold are in the segments
    assert len(res.runs) + len(res.missing) == 120
    assert set(res.missing["run_id"]).isdisjoint(res.runs["run_id"])
    assert res.provenance.loc[str(out), "status"] == "running"
    bench_run("--resume", str(out))
    done = genbench.load(out)
    assert len(done.runs) == 120 and done.missing.empty
    kept = done.runs.set_index("run_id")
    for _, row in res.runs.iterrows():  # what the killed file held is what the finished one holds
        assert kept.loc[row["run_id"], "final_position"] == row["final_position"]


def test_several_files_and_a_merge_read_as_the_single_run(walks, tmp_path):
    _, suite, out = walks
    a, b, merged = tmp_path / "a.h5", tmp_path / "b.h5", tmp_path / "m.h5"
    bench_run(str(suite), "--out", str(a), "--shard", "0/2")
    bench_run(str(suite), "--out", str(b), "--shard", "1/2")
    subprocess.run([BENCH_MERGE, str(merged), str(a), str(b)], check=True, capture_output=True)
    both = genbench.load(a, b)
    assert set(both.runs["file"]) == {str(a), str(b)} and len(both.runs) == 6
    assert len(both.missing) == 6  # each shard file plans the whole sweep
    single, joined = genbench.load(out).runs, genbench.load(merged).runs
    cols = ["run_id", "point", "seed", "status", "step_std", "final_position"]
    assert joined[cols].equals(single[cols])
    assert list(genbench.load(merged).verdicts["outcome"]) == list(genbench.load(out).verdicts["outcome"])
    glob_both = genbench.load(str(tmp_path / "[ab].h5"))
    assert len(glob_both.runs) == 6


def test_a_missing_or_foreign_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.h5"):
        genbench.load(tmp_path / "nothing.h5")
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f.attrs["schema_version"] = 99
    with pytest.raises(genbench.results.SchemaError, match="schema_version is 99"):
        genbench.load(foreign)


def test_plots_have_labelled_axes_seed_bands_and_save_as_png_and_pdf(walks, tmp_path):
    _, _, out = walks
    res = genbench.load(out)
    fig = genbench.plot.trajectories(res, "loss", by="step_std")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "step" and ax.get_ylabel() == "loss"
    assert len(ax.lines) == 2 and len(ax.collections) == 2  # a median line and a min-max band per group
    assert ax.get_xlim() == (0, 30)  # from step 0 to the last step logged
    median = np.median(res.curve("loss").loc[[(str(out), r) for r in res.runs[res.runs.step_std == 0.5].run_id]], axis=0)
    assert np.allclose(ax.lines[0].get_ydata(), median)
    for name in ("t.png", "t.pdf"):
        fig.savefig(tmp_path / name)
        assert (tmp_path / name).stat().st_size > 1000
    fig = genbench.plot.sweep(res, "step_std", "final_position")
    assert fig.axes[0].get_xlabel() == "step_std" and fig.axes[0].get_ylabel() == "final_position"
    fig = genbench.plot.heatmap(res, "step_std", "step", "loss")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "step_std" and ax.get_ylabel() == "step"
    assert ax.images[0].get_array().shape == (7, 2)  # steps 0, 5, ..., 30 by the two step_std
    with pytest.raises(ValueError, match="no run logged metric 'los'"):
        genbench.plot.trajectories(res, "los")


def test_log_steps_keep_step_zero(tmp_path):
    suite = tmp_path / "long.yaml"
    suite.write_text("suite: long\ntask: selftest\ndefaults: {steps: 2000}\nsweep: {seeds: 2}\nlog_every: 1\n")
    out = tmp_path / "long.h5"
    bench_run(str(suite), "--out", str(out))
    ax = genbench.plot.trajectories(genbench.load(out), "loss").axes[0]
    assert ax.get_xscale() == "symlog" and ax.get_xlim() == (0, 2000)
