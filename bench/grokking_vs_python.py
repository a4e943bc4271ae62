"""Speed against what a Python user would write: trains the grokking suite's
paper-width MLP (tier paper: p = 113, addition, 40% train, two hidden layers of 200, no bias,
AdamW 1e-3, wd 1, full batch, float64) for a fixed number of epochs with
bench-run and with a plain PyTorch script (Debian's python3-torch, one-hot
inputs as such a script feeds them, same evaluation cadence and metrics, one
thread each), in the same run, and prints the ratio.

usage: /usr/bin/python3 bench/grokking_vs_python.py BUILD_DIR [--epochs 300] [--dtype float64]
"""
import sys
import time

import torch

from versus_python import arguments, compare


def python_training(epochs, dtype, p=113, log_every=10, seed=0):
    torch.set_num_threads(1)
    dt = torch.float64 if dtype == "float64" else torch.float32
    start = time.perf_counter()
    g = torch.Generator().manual_seed(seed)
    a, b = torch.arange(p).repeat_interleave(p), torch.arange(p).repeat(p)
    y = (a + b) % p
    x = torch.cat([torch.nn.functional.one_hot(a, p), torch.nn.functional.one_hot(b, p)], 1).to(dt)
    perm = torch.randperm(p * p, generator=g)
    tr, te = perm[: int(0.4 * p * p)], perm[int(0.4 * p * p):]
    xtr, ytr, xte, yte = x[tr], y[tr], x[te], y[te]
    net = torch.nn.Sequential(torch.nn.Linear(2 * p, 200, bias=False), torch.nn.ReLU(),
                              torch.nn.Linear(200, 200, bias=False), torch.nn.ReLU(),
                              torch.nn.Linear(200, p, bias=False)).to(dt)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1.0, betas=(0.9, 0.99))
    for epoch in range(1, epochs + 1):
        loss = torch.nn.functional.cross_entropy(net(xtr), ytr)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if epoch % log_every == 0 or epoch == epochs:
            with torch.no_grad():
                for xs, ys in ((xtr, ytr), (xte, yte)):
                    out = net(xs)
                    torch.nn.functional.cross_entropy(out, ys).item()
                    (out.argmax(1) == ys).double().mean().item()
                    (torch.softmax(out, 1).amax(1) == 1).double().mean().item()
                sum(w.pow(2).sum() for w in net.parameters()).sqrt().item()
    return time.perf_counter() - start


def main():
    ap = arguments()
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    a = ap.parse_args()
    if a.python_only:
        print(python_training(a.epochs, a.dtype))
        return 0
    compare(f"grokking MLP p=113, {a.epochs} epochs full batch, AdamW, {a.dtype}", a.build, "grokking.yaml",
            ["--tier", "paper", "--filter", "point=adamw_wd1", "--filter", "seed=0", "--set", f"epochs={a.epochs}",
             "--set", f"dtype={a.dtype}"],
            __file__, ["--epochs", str(a.epochs), "--dtype", a.dtype], a.repetitions)


if __name__ == "__main__":
    sys.exit(main())
