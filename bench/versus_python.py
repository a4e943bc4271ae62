"""What the *_vs_python.py benchmarks share: run bench-run on a suite and a
plain PyTorch script (a fresh interpreter, as a user runs it), interleaved,
and print the medians and their ratio, for the whole process and for the
time the task itself took."""
import argparse
import gzip
import os
import subprocess
import sys
import tempfile
import time

# One thread means OpenBLAS's own pool too: it sizes itself from the
# environment when loaded, before torch.set_num_threads can reach it (bench-run
# sets the same variables for its workers).
ONE_THREAD = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")


def arguments():
    """The options every *_vs_python.py takes: BUILD_DIR, --repetitions, and the
    hidden --python-only its own Python side is started with."""
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?")
    ap.add_argument("--repetitions", type=int, default=3)
    ap.add_argument("--python-only", action="store_true", help=argparse.SUPPRESS)
    return ap


def python_process(script, args):
    """`script --python-only ARGS`, which prints its training time; (whole process, that time)."""
    start = time.perf_counter()
    out = subprocess.run([sys.executable, script, "--python-only", *args],
                         check=True, capture_output=True, text=True, env=ONE_THREAD).stdout
    return time.perf_counter() - start, float(out)


def bench_run_process(build, suite, args):
    """bench-run on configs/SUITE with ARGS (one run); (whole process, the run's wall_time_s)."""
    import h5py
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "o.h5")
        start = time.perf_counter()
        subprocess.run([os.path.join(build, "bench-run"), os.path.join(os.path.dirname(__file__), "..", "configs", suite),
                        *args, "--jobs", "1", "--out", out], check=True, capture_output=True)
        whole = time.perf_counter() - start
        with h5py.File(out) as f:
            run = next(iter(f["runs"].values()))
            return whole, float(run.attrs["wall_time_s"])


def compare(title, build, suite, bench_run_args, script, python_args, repetitions, per_minute=None):
    """per_minute: (count, unit), e.g. (1, "epochs"): also print that rate from the task times."""
    med = lambda v: sorted(v)[len(v) // 2]
    py, cpp = [], []
    for _ in range(repetitions):  # interleaved, so a slow moment hits both
        cpp.append(bench_run_process(build, suite, bench_run_args))
        py.append(python_process(script, python_args))
    print(f"{title}, 1 thread, median of {repetitions}")
    for i, what in enumerate(["whole process", "task time    "]):
        p, c = med([x[i] for x in py]), med([x[i] for x in cpp])
        print(f"  {what}   Python {p:6.2f} s   bench-run {c:6.2f} s   Python / bench-run = {p / c:.2f}")
    if per_minute:
        count, unit = per_minute
        p, c = med([x[1] for x in py]), med([x[1] for x in cpp])
        print(f"  {unit} per minute   Python {60 * count / p:6.2f}   bench-run {60 * count / c:6.2f}")


def fashion_mnist():
    """Debian's Fashion-MNIST: ((train images, labels), (test images, labels)), images in [0, 1]."""
    import numpy as np
    import torch
    d = "/usr/share/datasets/fashion-mnist/"

    def load(kind):
        with gzip.open(d + f"{kind}-images-idx3-ubyte.gz") as f:
            x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
        with gzip.open(d + f"{kind}-labels-idx1-ubyte.gz") as f:
            y = np.frombuffer(f.read(), np.uint8, offset=8)
        return torch.tensor(x, dtype=torch.float32) / 255, torch.tensor(y.astype(np.int64))

    return load("train"), load("t10k")


def double_descent_sample(data, seed, n=1000, n_test=5000):
    """The double-descent MLP's data as a Python user draws it: n training images
    pooled to 14 x 14 and centred, 20% of their labels flipped, n_test test
    images; (x, y, x_test, y_test, the generator for the minibatches)."""
    import torch
    (xtr, ytr), (xte, yte) = data
    g = torch.Generator().manual_seed(seed)
    idx = torch.randperm(60000, generator=g)[:n]
    pool = lambda x: torch.nn.functional.avg_pool2d(x, 2).flatten(1)
    x, y = pool(xtr[idx]), ytr[idx].clone()
    xt, yt = pool(xte[torch.randperm(10000, generator=g)[:n_test]]), yte[:n_test]
    m = x.mean(0)
    flip = torch.randperm(n, generator=g)[: n // 5]
    y[flip] = (y[flip] + torch.randint(1, 10, (len(flip),), generator=g)) % 10
    return x - m, y, xt - m, yt, g
