"""The recipe of `tinygrad-conv train --data mnist5k`, in PyTorch, on the same machine: the same
SmallCNN (conv 1->16, conv 16->32, each 3x3 pad 1 + relu + maxpool 2, linear 32*7*7 -> 10) starting
from the same weights, the same 4,000/1,000 split, the same shuffled batches of 32 (epoch e shuffles
with seed * 1000 + e), Adam lr 2e-3, CosineAnnealingLR over 10 epochs. Prints accuracy and wall time
for both, so the two can be quoted side by side.

Run: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/train_mnist5k_torch.py
     [--epochs 10] [--threads N] [--skip-ours]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def torch_run(data, init: dict, epochs: int, batch_size: int, lr: float, seed: int) -> tuple:
    import torch
    from torch import nn

    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 7 * 7, 10),
    )
    names = {
        "0.weight": "features.0.weight",
        "0.bias": "features.0.bias",
        "3.weight": "features.3.weight",
        "3.bias": "features.3.bias",
        "7.weight": "classifier.1.weight",
        "7.bias": "classifier.1.bias",
    }
    model.load_state_dict({k: torch.from_numpy(init[v].copy()) for k, v in names.items()})
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    loss_fn = nn.CrossEntropyLoss()
    x_train, y_train, x_test, y_test = (torch.from_numpy(a) for a in data)
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        order = np.random.default_rng(seed * 1000 + epoch).permutation(len(y_train))
        model.train()
        for i in range(0, len(order), batch_size):
            index = torch.from_numpy(order[i : i + batch_size])
            opt.zero_grad()
            loss = loss_fn(model(x_train[index]), y_train[index])
            loss.backward()
            opt.step()
        sched.step()
        model.eval()
        with torch.no_grad():
            accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
        print(f"  torch epoch {epoch:>2}: test accuracy {accuracy:.4f}", flush=True)
    return accuracy, time.perf_counter() - start


def ours_run(data, epochs: int, batch_size: int, lr: float, seed: int) -> tuple:
    from tinygrad_conv import _random
    from tinygrad_conv.training import SmallCNN, fit, make_optimizer, make_scheduler

    _random.manual_seed(seed)
    model = SmallCNN(image_size=28)
    opt = make_optimizer("adam", model.parameters(), lr)
    sched = make_scheduler("CosineAnnealingLR", opt, epochs, -(-len(data[1]) // batch_size))
    start = time.perf_counter()
    history = fit(
        model,
        opt,
        data,
        epochs,
        batch_size,
        seed=seed,
        scheduler=sched,
        report=lambda r: print(
            f"  ours  epoch {r['epoch']:>2}: test accuracy {r['test_acc']:.4f}", flush=True
        ),
    )
    return history[-1]["test_acc"], time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads for both (default: all cores, as the CLI uses for mnist5k)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-ours", action="store_true", help="only the PyTorch run")
    parser.add_argument("--quick", action="store_true", help="one epoch")
    args = parser.parse_args()
    if args.quick:
        args.epochs = 1

    import torch

    import tinygrad_conv as tc
    from tinygrad_conv import _random, data
    from tinygrad_conv.training import SmallCNN

    threads = args.threads or os.cpu_count()
    torch.set_num_threads(threads)
    tc.set_num_threads(threads)
    dataset = data.load_mnist_5k()
    _random.manual_seed(args.seed)
    init = SmallCNN(image_size=28).state_dict()  # the weights `train` starts from with this seed
    print(
        f"mnist5k: {len(dataset[1])} train / {len(dataset[3])} test, batch 32, Adam lr 2e-3, "
        f"cosine over {args.epochs} epochs; {threads} threads; {cpu_name()}; torch "
        f"{torch.__version__}; {tc.backend()} kernels"
    )
    results = {"torch": torch_run(dataset, init, args.epochs, 32, 2e-3, args.seed)}
    if not args.skip_ours:
        results["tinygrad_conv"] = ours_run(dataset, args.epochs, 32, 2e-3, args.seed)
    for name, (accuracy, seconds) in results.items():
        print(f"{name:>14}: test accuracy {accuracy:.4f}, {seconds:.1f} s training")


if __name__ == "__main__":
    main()
