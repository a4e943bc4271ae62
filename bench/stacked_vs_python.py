"""Stacked runs against what a Python user writes: the double-descent MLP
sweep (the ci tier's widths x 3 seeds, n = 1000 Fashion-MNIST images, Adam,
batch 128; --epochs of them) four ways, one thread each, interleaved:

  bench-run --stack off   one model at a time, as before stacking
  bench-run --stack auto  runs of one width trained as one batched model
  Python loop             a plain PyTorch script, run after run
  Python vmap             functorch.combine_state_for_ensemble + vmap: the
                          seeds of a width as one ensemble, torch.optim.Adam
                          over the stacked parameters

Process CPU time of each way's whole process tree (this machine is shared:
wall time lies under load), median and min over the repetitions, and the
ratio of each to bench-run --stack off.

usage: /usr/bin/python3 bench/stacked_vs_python.py BUILD_DIR [--epochs 50] [--repetitions 3] [--widths 2,4,...]
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile

from versus_python import ONE_THREAD, double_descent_sample, fashion_mnist

CI_WIDTHS = [2, 4, 8, 12, 16, 24, 32, 48, 64, 128, 512]
SEEDS = [0, 1, 2]


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd, env=None):
    before = children_cpu()
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    return children_cpu() - before


def bench_run(build, stack, epochs, widths):
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [os.path.join(build, "bench-run"), os.path.join(os.path.dirname(__file__), "..", "configs", "double_descent_mlp.yaml"),
               "--tier", "ci", "--jobs", "1", "--stack", stack, "--set", f"epochs={epochs}",
               "--sweep", "k=" + ",".join(map(str, widths)), "--out", os.path.join(tmp, "o.h5")]
        return timed(cmd)


def python(way, epochs, widths):
    return timed([sys.executable, __file__, "--python", way, "--epochs", str(epochs),
                  "--widths", ",".join(map(str, widths))], env=ONE_THREAD)


# ---- the Python side, in its own process ----

def evaluate(out, ys):
    import torch
    torch.nn.functional.cross_entropy(out.flatten(0, -2), ys.flatten()).item()
    (out.argmax(-1) != ys).float().mean().item()


def python_loop(data, k, epochs, log_every=25):
    import torch
    for seed in SEEDS:
        x, y, xt, yt, g = double_descent_sample(data, seed)
        net = torch.nn.Sequential(torch.nn.Linear(x.shape[1], k), torch.nn.ReLU(), torch.nn.Linear(k, 10))
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        for epoch in range(1, epochs + 1):
            perm = torch.randperm(len(x), generator=g)
            for b in range(0, len(x), 128):
                i = perm[b:b + 128]
                loss = torch.nn.functional.cross_entropy(net(x[i]), y[i])
                opt.zero_grad()
                loss.backward()
                opt.step()
            if epoch % log_every == 0 or epoch == epochs:
                with torch.no_grad():
                    evaluate(net(x), y), evaluate(net(xt), yt)


def python_vmap(data, k, epochs, log_every=25):
    import torch
    from functorch import combine_state_for_ensemble, vmap
    samples = [double_descent_sample(data, seed) for seed in SEEDS]
    X = torch.stack([s[0] for s in samples])
    Y = torch.stack([s[1] for s in samples])
    XT = torch.stack([s[2] for s in samples])
    YT = torch.stack([s[3] for s in samples])
    gens = [s[4] for s in samples]
    nets = [torch.nn.Sequential(torch.nn.Linear(X.shape[2], k), torch.nn.ReLU(), torch.nn.Linear(k, 10)) for _ in SEEDS]
    fmodel, params, buffers = combine_state_for_ensemble(nets)
    params = [p.detach().requires_grad_() for p in params]
    opt = torch.optim.Adam(params, lr=1e-3)
    forward = vmap(fmodel)
    S, n = X.shape[0], X.shape[1]
    rows = torch.arange(S).unsqueeze(1)
    for epoch in range(1, epochs + 1):
        perm = torch.stack([torch.randperm(n, generator=g) for g in gens])
        for b in range(0, n, 128):
            i = perm[:, b:b + 128]
            logits = forward(params, buffers, X[rows, i])
            loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), Y[rows, i].flatten(),
                                                     reduction="none").view(S, -1).mean(1).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
        if epoch % log_every == 0 or epoch == epochs:
            with torch.no_grad():
                evaluate(forward(params, buffers, X), Y), evaluate(forward(params, buffers, XT), YT)


def python_main(way, epochs, widths):
    import torch
    torch.set_num_threads(1)
    data = fashion_mnist()
    for k in widths:
        (python_loop if way == "loop" else python_vmap)(data, k, epochs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?")
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--repetitions", type=int, default=3)
    ap.add_argument("--widths", default=",".join(map(str, CI_WIDTHS)))
    ap.add_argument("--python", choices=["loop", "vmap"], help=argparse.SUPPRESS)
    a = ap.parse_args()
    widths = [int(w) for w in a.widths.split(",")]
    if a.python:
        python_main(a.python, a.epochs, widths)
        return 0
    ways = {
        "bench-run --stack off": lambda: bench_run(a.build, "off", a.epochs, widths),
        "bench-run --stack auto": lambda: bench_run(a.build, "auto", a.epochs, widths),
        "Python loop": lambda: python("loop", a.epochs, widths),
        "Python vmap ensemble": lambda: python("vmap", a.epochs, widths),
    }
    times = {name: [] for name in ways}
    for _ in range(a.repetitions):  # interleaved: a slow moment hits every way
        for name, way in ways.items():
            times[name].append(way())
    med = lambda v: sorted(v)[len(v) // 2]
    base = med(times["bench-run --stack off"])
    print(f"double-descent MLP, widths {a.widths} x seeds {SEEDS}, {a.epochs} epochs, 1 thread; "
          f"process CPU s over {a.repetitions} interleaved repetitions")
    print(f"  {'way':24s} {'median':>8s} {'min':>8s}   {'stack off / way':>15s}")
    for name, v in times.items():
        print(f"  {name:24s} {med(v):8.2f} {min(v):8.2f}   {base / med(v):15.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
