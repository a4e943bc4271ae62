"""Reading results files (results/SCHEMA.md) into pandas DataFrames."""
import glob
import math
import os

import h5py
import numpy as np
import pandas as pd

SCHEMA_VERSIONS = (1, 2)

# Columns every run has, before its parameters and summaries.
RUN_COLUMNS = ["file", "run_id", "index", "point", "seed", "status", "error", "task", "last_good_step",
               "wall_time_s", "steps_per_s", "device", "log_every"]


class SchemaError(ValueError):
    """A file that is not a genbench results file of a schema this package reads."""


def _text(value):
    return value.decode() if isinstance(value, bytes) else value


def _plain(value):
    """An HDF5 attribute as a Python value: str, int, float, bool, or a tuple of floats."""
    value = _text(value)
    if isinstance(value, np.ndarray):
        return tuple(float(x) for x in value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _segments(path, token):
    """The segment files of `path` whose segment_token is the file's (SCHEMA.md)."""
    if not token:
        return []
    out = []
    for segment in sorted(glob.glob(path + ".runs/seg-*.h5")):
        try:
            with h5py.File(segment, "r") as s:
                if s.attrs.get("segment_token") == token:
                    out.append(segment)
        except OSError:
            continue  # folded and removed while we looked: its runs are in the file now
    return out


def _read_run(group, path, file_label):
    a = {k: _plain(v) for k, v in group.attrs.items()}
    row = {"file": file_label, "run_id": a.get("run_id", os.path.basename(group.name)), "index": a.get("index"),
           "point": a.get("point", ""), "seed": a.get("seed"), "status": a.get("status"), "error": a.get("error", ""),
           "task": a.get("task"), "last_good_step": a.get("last_good_step"), "wall_time_s": a.get("wall_time_s"),
           "steps_per_s": a.get("steps_per_s"), "device": a.get("device"), "log_every": a.get("log_every")}
    config = {k: _plain(v) for k, v in group["config"].attrs.items()} if "config" in group else {}
    summary = {k: float(v) for k, v in group["summary"].attrs.items()} if "summary" in group else {}
    metrics = {}
    if "metrics" in group and "step" in group["metrics"]:
        m = group["metrics"]
        metrics["step"] = m["step"][:]
        for name in m:
            if name != "step":
                metrics[name] = m[name][:]
    return row, config, summary, metrics


class Results:
    """Results files read into DataFrames; see `load`."""

    def __init__(self, paths):
        self.paths = list(paths)
        rows, configs, summaries, curves = [], [], [], []
        provenance, plans, verdicts, in_progress = [], [], [], []
        for path in self.paths:
            label = path
            with h5py.File(path, "r") as f:
                root = {k: _plain(v) for k, v in f.attrs.items()}
                version = root.get("schema_version")
                if version not in SCHEMA_VERSIONS:
                    raise SchemaError(f"{path}: schema_version is {version}, expected one of {SCHEMA_VERSIONS}")
                provenance.append({"file": label, **root})
                plan = f["plan"]
                plans.append(pd.DataFrame({"file": label, "index": np.arange(len(plan["run_id"])),
                                           "run_id": [_text(x) for x in plan["run_id"][:]],
                                           "point": [_text(x) for x in plan["point"][:]],
                                           "seed": plan["seed"][:].astype(np.int64)}))
                if "verdicts" in f:
                    v = f["verdicts"]
                    verdicts.append(pd.DataFrame({"file": label,
                                                  **{c: [_text(x) for x in v[c][:]]
                                                     for c in ["claim", "outcome", "measured", "bound", "source"]},
                                                  "value": v["value"][:]}))
                seen = set()
                groups = [(f, name) for name in f["runs"]]
                self._collect(groups, path, label, seen, rows, configs, summaries, curves)
                partial_ids = [(f, name) for name in f.get("partial", {})]
                for g, name in partial_ids:
                    in_progress.append(_read_run(g["partial"][name], path, label)[0])
            token = root.get("segment_token", 0)
            for segment in _segments(path, token):  # runs committed since the last fold
                with h5py.File(segment, "r") as s:
                    self._collect([(s, name) for name in s["runs"]], path, label, seen, rows, configs, summaries, curves)
            checkpoint = path + ".runs/partial.h5"  # the runs in progress at the last checkpoint
            if token and os.path.exists(checkpoint):
                try:
                    with h5py.File(checkpoint, "r") as s:
                        if s.attrs.get("segment_token") == token:
                            in_progress = [r for r in in_progress if r["file"] != label]
                            in_progress += [_read_run(s["partial"][n], path, label)[0] for n in s["partial"]]
                except OSError:
                    pass  # replaced by a newer checkpoint meanwhile: a snapshot either way
            in_progress = [r for r in in_progress if r["file"] != label or r["run_id"] not in seen]
        self._build(rows, configs, summaries, curves)
        self.provenance = pd.DataFrame(provenance).set_index("file") if provenance else pd.DataFrame()
        self.plan = pd.concat(plans, ignore_index=True) if plans else pd.DataFrame(columns=["file", "index", "run_id", "point", "seed"])
        self.verdicts = (pd.concat(verdicts, ignore_index=True) if verdicts
                         else pd.DataFrame(columns=["file", "claim", "outcome", "measured", "bound", "source", "value"]))
        self.in_progress = pd.DataFrame(in_progress, columns=RUN_COLUMNS)

    @staticmethod
    def _collect(groups, path, label, seen, rows, configs, summaries, curves):
        for handle, name in groups:
            if name in seen:
                continue  # in the file and in a segment during a fold: the same run
            seen.add(name)
            row, config, summary, metrics = _read_run(handle["runs"][name], path, label)
            rows.append(row)
            configs.append(config)
            summaries.append(summary)
            curves.append((label, row["run_id"], metrics))

    def _build(self, rows, configs, summaries, curves):
        base = pd.DataFrame(rows, columns=RUN_COLUMNS)
        params = pd.DataFrame(configs, index=base.index)
        self.param_columns = list(params.columns)
        for column in params.columns:  # a column of one type keeps it (NaN for runs of another task)
            kinds = {type(v) for v in params[column] if not (isinstance(v, float) and math.isnan(v))}
            if kinds == {int} and params[column].notna().all():
                params[column] = params[column].astype(np.int64)
            elif kinds == {bool} and params[column].notna().all():
                params[column] = params[column].astype(bool)
        summary = pd.DataFrame(summaries, index=base.index, dtype=float)
        taken = set(RUN_COLUMNS) | set(params.columns)
        # a summary named like a parameter (or a run column) is kept as "summary.NAME"
        summary.columns = [c if c not in taken else "summary." + c for c in summary.columns]
        self.summary_columns = list(summary.columns)
        runs = pd.concat([base, params, summary], axis=1)
        if len(runs):
            runs["seed"] = runs["seed"].astype(np.int64)
            runs["index"] = runs["index"].astype(np.int64)
            runs = runs.sort_values(["file", "index"], kind="stable").reset_index(drop=True)
        self.runs = runs
        frames = []
        for label, run_id, metrics in curves:
            if "step" not in metrics:
                continue
            step = metrics["step"]
            for name, values in metrics.items():
                if name == "step":
                    continue
                keep = ~np.isnan(values)  # NaN: not logged at that step
                frames.append(pd.DataFrame({"file": label, "run_id": run_id, "step": step[keep], "metric": name,
                                            "value": values[keep]}))
        self.metrics = (pd.concat(frames, ignore_index=True) if frames
                        else pd.DataFrame(columns=["file", "run_id", "step", "metric", "value"]))

    def metrics_wide(self):
        """One row per (file, run_id, step), one column per metric."""
        return self.metrics.pivot_table(index=["file", "run_id", "step"], columns="metric", values="value",
                                        aggfunc="first").reset_index().rename_axis(columns=None)

    @property
    def missing(self):
        """Planned runs with no finished run: what --resume would run."""
        done = set(zip(self.runs["file"], self.runs["run_id"]))
        keep = [(f, r) not in done for f, r in zip(self.plan["file"], self.plan["run_id"])]
        return self.plan[keep].reset_index(drop=True)

    @property
    def points(self):
        """Per (file, point), over its seeds, each summary's median, mean, sem, min, max and n (its finite values)."""
        if not len(self.runs):
            return pd.DataFrame()
        grouped = self.runs.groupby(["file", "point"], sort=False)
        out = {("runs", "n"): grouped.size(), ("runs", "ok"): grouped["status"].agg(lambda s: int((s == "ok").sum()))}
        for column in self.summary_columns:
            g = grouped[column]
            out[(column, "median")] = g.median()
            out[(column, "mean")] = g.mean()
            out[(column, "sem")] = g.sem()
            out[(column, "min")] = g.min()
            out[(column, "max")] = g.max()
            out[(column, "n")] = g.count()
        return pd.DataFrame(out)

    def curve(self, metric):
        """One metric as a table: a row per run (its runs columns), a column per step."""
        m = self.metrics[self.metrics["metric"] == metric]
        return m.pivot_table(index=["file", "run_id"], columns="step", values="value", aggfunc="first")

    def __repr__(self):
        return (f"<genbench.Results: {len(self.paths)} file(s), {len(self.runs)} runs of {len(self.plan)} planned, "
                f"{self.metrics['metric'].nunique() if len(self.metrics) else 0} metrics>")


def load(*paths):
    """Reads results files (paths or glob patterns) into one Results; a `file` column tells them apart."""
    expanded = []
    for p in paths:
        p = os.fspath(p)
        matches = sorted(glob.glob(p)) if any(c in p for c in "*?[") else [p]
        if not matches:
            raise FileNotFoundError(f"{p}: no results file matches")
        expanded.extend(matches)
    if not expanded:
        raise ValueError("genbench.load: give at least one results file")
    for p in expanded:
        if not os.path.exists(p):
            raise FileNotFoundError(f"{p}: no such results file")
    return Results(expanded)
