"""Speed against what a Python user would write: trains the same MLP (the
double-descent suite's, one width) with bench-run and with a plain PyTorch
script (Debian's python3-torch, same shapes, optimizer, batches, epochs and
evaluation cadence, one thread each), in the same run, and prints the ratio.

usage: /usr/bin/python3 bench/mlp_vs_python.py BUILD_DIR [--k 64] [--epochs 200]
"""
import sys
import time

import torch

from versus_python import arguments, compare, double_descent_sample, fashion_mnist


def python_training(k, epochs, n=1000, n_test=5000, log_every=25, seed=0):
    torch.set_num_threads(1)
    start = time.perf_counter()  # data, sampling and training: what bench-run's wall_time_s covers
    x, y, xt, yt, g = double_descent_sample(fashion_mnist(), seed, n, n_test)
    net = torch.nn.Sequential(torch.nn.Linear(x.shape[1], k), torch.nn.ReLU(), torch.nn.Linear(k, 10))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    for epoch in range(1, epochs + 1):
        perm = torch.randperm(n, generator=g)
        for b in range(0, n, 128):
            i = perm[b:b + 128]
            loss = torch.nn.functional.cross_entropy(net(x[i]), y[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
        if epoch % log_every == 0 or epoch == epochs:
            with torch.no_grad():
                for xs, ys in ((x, y), (xt, yt)):
                    out = net(xs)
                    torch.nn.functional.cross_entropy(out, ys).item()
                    (out.argmax(1) != ys).float().mean().item()
    return time.perf_counter() - start


def main():
    ap = arguments()
    ap.add_argument("--k", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=200)
    a = ap.parse_args()
    if a.python_only:
        print(python_training(a.k, a.epochs))
        return 0
    compare(f"MLP k={a.k}, n=1000, {a.epochs} epochs, Adam, batch 128", a.build, "double_descent_mlp.yaml",
            ["--tier", "ci", "--filter", f"k={a.k}", "--filter", "seed=0", "--set", f"epochs={a.epochs}"],
            __file__, ["--k", str(a.k), "--epochs", str(a.epochs)], a.repetitions)
    print("  (task time: loading and sampling Fashion-MNIST, training, evaluating; whole process adds start-up,\n"
          "   `import torch` for Python, worker start and the HDF5 file for bench-run)")


if __name__ == "__main__":
    sys.exit(main())
