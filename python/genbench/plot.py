"""Figures a paper uses, from a Results: labelled axes, the median over seeds
with a min-max band, log axes that keep step 0, one panel per group.

Each function returns a matplotlib Figure; fig.savefig("x.pdf") or ("x.png").
"""
import math

import matplotlib

matplotlib.use("Agg", force=False)  # files, not windows: no display is needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def _decades(values):
    v = np.asarray([x for x in values if np.isfinite(x) and x > 0])
    return math.log10(v.max() / v.min()) if len(v) > 1 else 0.0


def _log_y(ax, values, log):
    """Log when asked, or (None) when every value is positive over more than two decades."""
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    if log is None:
        log = len(finite) > 0 and (finite > 0).all() and _decades(finite) > 2
    if log:
        ax.set_yscale("log")
    return log


def _step_axis(ax, steps, log):
    """Steps on a log axis keep step 0 (symlog: linear up to 1) and end at the last step."""
    if log:
        ax.set_xscale("symlog", linthresh=1)
    last = max(steps) if len(steps) else 1
    ax.set_xlim(0, last)


def _band(ax, x, table, label, color=None):
    """Median over the table's rows (seeds) and the min-max band, drawn against x."""
    med = table.median(axis=0).to_numpy(dtype=float)
    lo = table.min(axis=0).to_numpy(dtype=float)
    hi = table.max(axis=0).to_numpy(dtype=float)
    line, = ax.plot(x, med, color=color, label=f"{label} (n={len(table)})" if label else None)
    if len(table) > 1:
        ax.fill_between(x, lo, hi, color=line.get_color(), alpha=0.2, linewidth=0)
    return line


def _ordered_groups(frame, by, order_from):
    """The values of `by` in order: numbers ascending, others in plan order
    (first appearance in `order_from`); with a colour each (a colormap for numbers)."""
    values = list(pd.unique(order_from[by]))
    values = [v for v in values if v in set(frame[by])]
    numeric = all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in values)
    if numeric:
        values.sort()
        cmap = plt.get_cmap("viridis")
        colors = [cmap(i / max(1, len(values) - 1) * 0.9) for i in range(len(values))]
    else:
        cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        colors = [cycle[i % len(cycle)] for i in range(len(values))]
    return list(zip(values, colors))


def _panels(n, width=4.2, height=3.2, ncols=None):
    ncols = ncols or min(n, 3)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False,
                             sharex=True, sharey=True, constrained_layout=True)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def trajectories(results, metric, by="point", panels=None, logx=None, logy=None, xlabel="step"):
    """`metric` against the step: a line per value of `by` (median over its
    seeds, min-max band); with `panels` (a run column), one panel per value of
    it, sharing axes. logx None: symlog when the steps span more than two decades."""
    runs = results.runs
    m = results.metrics[results.metrics["metric"] == metric]
    if m.empty:
        raise ValueError(f"no run logged metric '{metric}'; metrics: {sorted(results.metrics['metric'].unique())}")
    m = m.merge(runs[["file", "run_id"] + [c for c in {by, panels} - {None} if c not in ("file", "run_id")]],
                on=["file", "run_id"])
    groups = [None] if panels is None else list(pd.unique(m[panels]))
    fig, axes = _panels(len(groups))
    steps = np.sort(m["step"].unique())
    if logx is None:
        logx = _decades(steps[steps > 0]) > 2
    for ax, group in zip(axes, groups):
        sub = m if group is None else m[m[panels] == group]
        for value, color in _ordered_groups(sub, by, runs):
            rows = sub[sub[by] == value]
            table = rows.pivot_table(index="run_id", columns="step", values="value", aggfunc="first")
            _band(ax, table.columns.to_numpy(), table, f"{by}={value}" if by != "point" else str(value), color)
        _log_y(ax, sub["value"], logy)
        _step_axis(ax, steps, logx)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(metric)
        if group is not None:
            ax.set_title(f"{panels} = {group}")
        ax.legend(fontsize=7)
        ax.grid(True, alpha=0.3)
    fig.suptitle(f"{metric} (median over seeds, band: min-max)")
    return fig


def sweep(results, x, y, by=None, logx=None, logy=None, theory=None):
    """A summary `y` against `x` (a parameter or a summary): the median over
    seeds with its min-max band, a line per value of `by`. `theory` (a summary)
    is drawn dashed, broken where it is not finite (at a pole)."""
    runs = results.runs
    for column in [x, y] + ([theory] if theory else []):
        if column not in runs:
            raise ValueError(f"no column '{column}' in runs; parameters and summaries: "
                             f"{results.param_columns + results.summary_columns}")
    fig, ax = plt.subplots(figsize=(5.5, 3.8), constrained_layout=True)
    groups = [(None, None)] if by is None else _ordered_groups(runs, by, runs)
    for value, color in groups:
        rows = runs if by is None else runs[runs[by] == value]
        table = rows.pivot_table(index="seed", columns=x, values=y, aggfunc="median")
        _band(ax, table.columns.to_numpy(dtype=float), table, None if by is None else f"{by}={value}", color)
        if theory:
            t = rows.groupby(x)[theory].median()
            ax.plot(t.index.to_numpy(dtype=float), np.where(np.isfinite(t.to_numpy(dtype=float)), t, np.nan), "k--",
                    linewidth=1, label=theory if value is None or value == groups[0][0] else None)
    if logx is None:
        logx = _decades(runs[x].astype(float)) > 1.5
    if logx:
        ax.set_xscale("log")
    _log_y(ax, runs[y], logy)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(f"{y} against {x} (median over seeds, band: min-max)")
    if by is not None or theory:
        ax.legend(fontsize=7)
    ax.grid(True, alpha=0.3)
    return fig


def heatmap(results, x, y, value, log=None, cmap="viridis"):
    """`value` over two axes, median over seeds: two parameters (a grid sweep),
    or a parameter against "step" with a metric as the value (e.g. width x epoch
    test error: Nakkiran et al.'s epoch-wise picture)."""
    runs = results.runs
    if y == "step":
        m = results.metrics[results.metrics["metric"] == value]
        if m.empty:
            raise ValueError(f"no run logged metric '{value}'")
        data = m.merge(runs[["file", "run_id", x]], on=["file", "run_id"])
        table = data.pivot_table(index="step", columns=x, values="value", aggfunc="median")
    else:
        for column in (x, y, value):
            if column not in runs:
                raise ValueError(f"no column '{column}' in runs")
        table = runs.pivot_table(index=y, columns=x, values=value, aggfunc="median")
    fig, ax = plt.subplots(figsize=(6, 4.2), constrained_layout=True)
    grid = table.to_numpy(dtype=float)
    finite = grid[np.isfinite(grid)]
    if log is None:
        log = len(finite) > 0 and (finite > 0).all() and _decades(finite) > 2
    norm = matplotlib.colors.LogNorm() if log else None
    image = ax.imshow(grid, aspect="auto", origin="lower", cmap=cmap, norm=norm, interpolation="nearest")
    ax.set_xticks(range(len(table.columns)))
    ax.set_xticklabels([f"{c:g}" if isinstance(c, (int, float, np.number)) else str(c) for c in table.columns],
                       rotation=45, fontsize=7)
    rows = table.index.to_numpy()
    step_every = max(1, len(rows) // 10)  # at most about ten labels on the y axis
    ax.set_yticks(range(0, len(rows), step_every))
    ax.set_yticklabels([f"{r:g}" if isinstance(r, (int, float, np.number)) else str(r) for r in rows[::step_every]],
                       fontsize=7)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    fig.colorbar(image, ax=ax, label=f"{value} (median over seeds)")
    ax.set_title(f"{value} over {x} and {y}")
    return fig
