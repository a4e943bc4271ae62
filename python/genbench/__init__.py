"""genbench results in Python: every file bench-run writes as pandas DataFrames.

    import genbench
    res = genbench.load("results/matrix_sensing-ci-*.h5")
    res.runs        # one row per run: id, point, seed, status, each parameter, each summary
    res.metrics     # long: file, run_id, step, metric, value
    res.points      # per point over seeds: median, mean, sem, min, max, n of each summary
    genbench.plot.trajectories(res, "rel_error").savefig("rel_error.pdf")

The layout read is results/SCHEMA.md's; a file still being written (or
killed) is read with its segments, as genbench's own readers do.
"""
from .results import Results, load
from . import plot

__all__ = ["Results", "load", "plot"]
