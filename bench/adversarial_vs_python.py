"""Speed against what a Python user would write: PGD adversarial training
(the robust-overfitting suite's task) of Wong et al.'s MNIST CNN on
Fashion-MNIST, l-inf epsilon 0.1, PGD-k with a random start in training,
SGD with momentum, batch 128, and the task's per-epoch evaluation (clean,
FGSM and PGD-10 on 500 training and 500 test images) before and after the
epoch; with bench-run and with a plain PyTorch script (Debian's
python3-torch, one thread each), in the same run. Prints the medians, the
ratio and epochs per minute. The attack's forward/backward passes are
most of the work, in both.

usage: /usr/bin/python3 bench/adversarial_vs_python.py BUILD_DIR [--n 5000] [--pgd-steps 10]
"""
import gzip
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from versus_python import arguments, compare

FASHION = "/usr/share/datasets/fashion-mnist"


def idx(path, offset):
    with gzip.open(path) as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def attack(net, x, y, eps, steps, size, random_start):
    delta = (torch.rand_like(x) * 2 - 1) * eps if random_start else torch.zeros_like(x)
    delta = (x + delta).clamp(0, 1) - x
    for _ in range(steps):
        delta.requires_grad_(True)
        loss = F.cross_entropy(net(x + delta), y, reduction="sum")
        grad, = torch.autograd.grad(loss, delta)
        delta = (delta.detach() + size * grad.sign()).clamp(-eps, eps)
        delta = (x + delta).clamp(0, 1) - x
    return (x + delta).detach()


def evaluate(net, x, y, eps):
    net.eval()
    for inputs in (x, attack(net, x, y, eps, 1, eps, False), attack(net, x, y, eps, 10, eps / 4, True)):
        with torch.no_grad():
            out = net(inputs)
            (out.argmax(1) == y).double().mean().item()
            F.cross_entropy(out, y).item()


def python_training(n, pgd_steps, eps=0.1, n_eval=500, batch=128, seed=0):
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    start = time.perf_counter()
    X = torch.from_numpy(idx(f"{FASHION}/train-images-idx3-ubyte.gz", 16).copy()).float().view(-1, 1, 28, 28) / 255
    Y = torch.from_numpy(idx(f"{FASHION}/train-labels-idx1-ubyte.gz", 8).copy()).long()
    Xt = torch.from_numpy(idx(f"{FASHION}/t10k-images-idx3-ubyte.gz", 16).copy()).float().view(-1, 1, 28, 28) / 255
    Yt = torch.from_numpy(idx(f"{FASHION}/t10k-labels-idx1-ubyte.gz", 8).copy()).long()
    train, test = torch.randperm(len(Y))[:n], torch.randperm(len(Yt))[:n_eval]
    X, Y, Xt, Yt = X[train], Y[train], Xt[test], Yt[test]
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 16, 4, stride=2, padding=1), torch.nn.ReLU(),
                              torch.nn.Conv2d(16, 32, 4, stride=2, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
                              torch.nn.Linear(32 * 7 * 7, 100), torch.nn.ReLU(), torch.nn.Linear(100, 10))
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    for data in ((X[:n_eval], Y[:n_eval]), (Xt, Yt)):
        evaluate(net, *data, eps)
    net.train()
    for idx_batch in torch.randperm(n).split(batch):
        x, y = X[idx_batch], Y[idx_batch]
        x_adv = attack(net, x, y, eps, pgd_steps, eps / 4, True)
        loss = F.cross_entropy(net(x_adv), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    for data in ((X[:n_eval], Y[:n_eval]), (Xt, Yt)):
        evaluate(net, *data, eps)
    return time.perf_counter() - start


def main():
    ap = arguments()
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--pgd-steps", type=int, default=10)
    a = ap.parse_args()
    if a.python_only:
        print(python_training(a.n, a.pgd_steps))
        return 0
    sets = {"model": "cnn", "width": 16, "training": "pgd", "pgd_steps": a.pgd_steps, "pgd_step_size": 0.025,
            "epsilon": 0.1, "n": a.n, "n_eval": 500, "epochs": 1, "lr": 0.05, "lr_schedule": "constant",
            "warmup_epochs": 0, "eval_pgd_steps": 10}
    # point= matches substrings (fgsm_gradalign too): the regulariser picks the one run
    args = ["--tier", "ci", "--filter", "point=fgsm", "--filter", "regularizer=none", "--filter", "seed=0"]
    for key, value in sets.items():
        args += ["--set", f"{key}={value}"]
    compare(f"PGD-{a.pgd_steps} adversarial training, Wong et al.'s CNN, {a.n} Fashion-MNIST images, one epoch"
            " with evaluation", a.build, "robust_overfitting.yaml", args, __file__,
            ["--n", str(a.n), "--pgd-steps", str(a.pgd_steps)], a.repetitions, per_minute=(1, "epochs"))


if __name__ == "__main__":
    sys.exit(main())
