"""Stacked runs against what a Python user writes, two workloads four ways,
one thread each, interleaved:

  bench-run --stack off   one model at a time, as before stacking
  bench-run --stack auto  compatible runs trained as one batched model
  Python loop             a plain PyTorch script, run after run
  Python batched          the best a Python user writes: for the MLP a
                          functorch.combine_state_for_ensemble + vmap
                          ensemble of each width's seeds with torch.optim.Adam
                          over the stacked parameters; for matrix sensing the
                          runs that share A (one seed, one optimizer) as one
                          bmm-batched iterate, members leaving as they end

The workloads: the double-descent MLP sweep (the ci tier's widths x 3 seeds,
n = 1000 Fashion-MNIST images, Adam, batch 128; --epochs of them), and the
matrix-sensing ci tier (its 30 runs as `bench-run --dry-run` lists them; the
Python side writes A as m dense symmetric d x d matrices, as a user does, and
logs what bench-run logs every 10 steps: the loss, rel_error and the top
singular values).

Process CPU time of each way's whole process tree (this machine is shared:
wall time lies under load), median and min over the repetitions, and the
ratio of each to bench-run --stack off.

usage: /usr/bin/python3 bench/stacked_vs_python.py BUILD_DIR [--workload mlp|matrix_sensing|both]
       [--epochs 50] [--repetitions 3] [--widths 2,4,...]
"""
import argparse
import json
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


def suite(name):
    return os.path.join(os.path.dirname(__file__), "..", "configs", name)


def bench_run(build, suite_file, stack, args):
    with tempfile.TemporaryDirectory() as tmp:
        return timed([os.path.join(build, "bench-run"), suite_file, "--tier", "ci", "--jobs", "1", "--stack", stack,
                      *args, "--out", os.path.join(tmp, "o.h5")])


def python(way, args):
    return timed([sys.executable, __file__, "--python", way, *args], env=ONE_THREAD)


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


# ---- matrix sensing: the ci tier's runs ----

def ms_plan(build):
    """The ci tier's runs as bench-run plans them: one dict of swept values each
    (the rest are the task's defaults, which the Python side writes out)."""
    out = subprocess.run([os.path.join(build, "bench-run"), suite("matrix_sensing.yaml"), "--tier", "ci", "--dry-run"],
                         check=True, capture_output=True, text=True).stdout.splitlines()
    header = out[0].replace("run id", "run_id").split()
    rows = [line.split() for line in out[1:]]
    return [dict(zip(header, row)) for row in rows if len(row) == len(header)]  # not the closing "30 runs; ..." line


class SensingRun:
    """One run: X* = Q diag(eigenvalues) Q^T, A_i = (G + G^T) / 2 dense, y = <A_i, X*>
    (+ outliers), U0 = init_scale / sqrt(d) N(0, 1)."""
    D, M, LR, LAMBDA, OUTLIER_STD = 30, 300, 0.05, 1e-3, 10.0

    def __init__(self, plan):
        import torch
        f64 = torch.float64
        d, m, r, k = self.D, self.M, int(plan["r"]), int(plan["k"])
        g = torch.Generator().manual_seed(int(plan["seed"]))
        kappa = float(plan["kappa"])
        eig = torch.tensor([kappa ** (-i / (r - 1)) if r > 1 else 1.0 for i in range(r)], dtype=f64)
        Q, _ = torch.linalg.qr(torch.randn(d, r, generator=g, dtype=f64))
        self.X_star = Q @ torch.diag(eig) @ Q.T
        G = torch.randn(m, d, d, generator=g, dtype=f64)
        self.A = ((G + G.transpose(1, 2)) / 2).reshape(m, d * d)
        self.y = self.A @ self.X_star.reshape(-1)
        outliers = round(float(plan["outlier_fraction"]) * m)
        if outliers:
            idx = torch.randperm(m, generator=g)[:outliers]
            self.y[idx] = self.OUTLIER_STD * torch.randn(outliers, generator=g, dtype=f64)
        self.U = float(plan["init_scale"]) / d ** 0.5 * torch.randn(d, k, generator=g, dtype=f64)
        self.optimizer, self.steps, self.k, self.r = plan["optimizer"], int(plan["steps"]), k, r
        self.lr_decay = float(plan["lr_decay"])
        self.key = (plan["seed"], plan["r"], plan["optimizer"], plan["k"] if plan["optimizer"] == "scaledgd" else "")

    def log(self, U, res):
        import torch
        loss = res.abs().mean() if self.optimizer == "l1_subgradient" else 0.5 * res.square().mean()
        X = U @ U.T
        rel = torch.linalg.norm(X - self.X_star) / torch.linalg.norm(self.X_star)
        sv = torch.linalg.svdvals(U).square()[:min(self.k, self.r + 1)]
        return loss.item(), rel.item(), sv.tolist()


def ms_loop(runs, log_every=10):
    import torch
    d, m = SensingRun.D, SensingRun.M
    for run in runs:
        U = run.U.clone()
        for t in range(run.steps + 1):
            res = run.A @ (U @ U.T).reshape(-1) - run.y
            if t % log_every == 0 or t == run.steps:
                run.log(U, res)
            if t == run.steps:
                break
            c = res.sign() if run.optimizer == "l1_subgradient" else res
            grad = (c @ run.A).view(d, d) @ U * (2 / m)
            if run.optimizer == "scaledgd":
                grad = torch.linalg.solve(U.T @ U + SensingRun.LAMBDA * torch.eye(run.k, dtype=U.dtype), grad.T).T
            U -= SensingRun.LR * run.lr_decay ** t * grad


def ms_batched(runs, log_every=10):
    """Runs that share A (one seed and optimizer; ScaledGD: one k too) as one
    iterate [S, d, K], zero-padded to the widest k; a member leaves when it ends."""
    import torch
    d, m = SensingRun.D, SensingRun.M
    groups = {}
    for run in runs:
        groups.setdefault(run.key, []).append(run)
    for members in groups.values():
        A = members[0].A
        K = max(run.k for run in members)
        U = torch.stack([torch.nn.functional.pad(run.U, (0, K - run.k)) for run in members])
        Y = torch.stack([run.y for run in members])
        live = list(range(len(members)))
        for t in range(max(run.steps for run in members) + 1):
            R = (U @ U.transpose(1, 2)).reshape(len(live), -1) @ A.T - Y
            for j, i in enumerate(live):
                run = members[i]
                if t % log_every == 0 or t == run.steps:
                    run.log(U[j, :, :run.k], R[j])
            keep = [j for j, i in enumerate(live) if t < members[i].steps]
            if not keep:
                break
            if len(keep) < len(live):
                U, Y, R = U[keep], Y[keep], R[keep]
                live = [live[j] for j in keep]
            opt = members[live[0]].optimizer
            C = R.sign() if opt == "l1_subgradient" else R
            grad = torch.bmm((C @ A).view(-1, d, d), U) * (2 / m)
            if opt == "scaledgd":
                P = U.transpose(1, 2) @ U + SensingRun.LAMBDA * torch.eye(K, dtype=U.dtype)
                grad = torch.linalg.solve(P, grad.transpose(1, 2)).transpose(1, 2)
            lr = torch.tensor([SensingRun.LR * members[i].lr_decay ** t for i in live], dtype=U.dtype)
            U -= lr.view(-1, 1, 1) * grad


def python_main(way, epochs, widths, plan_file):
    import torch
    torch.set_num_threads(1)
    if way.startswith("ms_"):
        with open(plan_file) as f:
            runs = [SensingRun(plan) for plan in json.load(f)]
        (ms_loop if way == "ms_loop" else ms_batched)(runs)
        return
    data = fashion_mnist()
    for k in widths:
        (python_loop if way == "loop" else python_vmap)(data, k, epochs)


def measure(title, ways, repetitions):
    times = {name: [] for name in ways}
    for _ in range(repetitions):  # interleaved: a slow moment hits every way
        for name, way in ways.items():
            times[name].append(way())
    med = lambda v: sorted(v)[len(v) // 2]
    base = med(times["bench-run --stack off"])
    print(f"{title}, 1 thread; process CPU s over {repetitions} interleaved repetitions")
    print(f"  {'way':24s} {'median':>8s} {'min':>8s}   {'stack off / way':>15s}")
    for name, v in times.items():
        print(f"  {name:24s} {med(v):8.2f} {min(v):8.2f}   {base / med(v):15.2f}x")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?")
    ap.add_argument("--workload", choices=["mlp", "matrix_sensing", "both"], default="both")
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--repetitions", type=int, default=3)
    ap.add_argument("--widths", default=",".join(map(str, CI_WIDTHS)))
    ap.add_argument("--python", choices=["loop", "vmap", "ms_loop", "ms_batched"], help=argparse.SUPPRESS)
    ap.add_argument("--plan", help=argparse.SUPPRESS)  # the Python side's runs, read once by the parent
    a = ap.parse_args()
    widths = [int(w) for w in a.widths.split(",")]
    if a.python:
        python_main(a.python, a.epochs, widths, a.plan)
        return 0
    if a.workload in ("mlp", "both"):
        mlp = suite("double_descent_mlp.yaml")
        args = ["--set", f"epochs={a.epochs}", "--sweep", "k=" + a.widths]
        py = ["--epochs", str(a.epochs), "--widths", a.widths]
        measure(f"double-descent MLP, widths {a.widths} x seeds {SEEDS}, {a.epochs} epochs", {
            "bench-run --stack off": lambda: bench_run(a.build, mlp, "off", args),
            "bench-run --stack auto": lambda: bench_run(a.build, mlp, "auto", args),
            "Python loop": lambda: python("loop", py),
            "Python vmap ensemble": lambda: python("vmap", py),
        }, a.repetitions)
    if a.workload in ("matrix_sensing", "both"):
        ms = suite("matrix_sensing.yaml")
        # The plan is read here, once: a bench-run --dry-run inside the timed
        # Python process would charge it LibTorch's start-up.
        plan = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump(ms_plan(a.build), plan)
        plan.close()
        plan_args = ["--plan", plan.name]
        measure("matrix sensing, the ci tier (30 runs)", {
            "bench-run --stack off": lambda: bench_run(a.build, ms, "off", []),
            "bench-run --stack auto": lambda: bench_run(a.build, ms, "auto", []),
            "Python loop": lambda: python("ms_loop", plan_args),
            "Python bmm-batched": lambda: python("ms_batched", plan_args),
        }, a.repetitions)
        os.unlink(plan.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
