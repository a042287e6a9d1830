"""Optimizer update loops: one step() of ours against torch.optim's (for-loop and foreach), on many
small parameters (the biases and small kernels of a small CNN, Python overhead per parameter) and
on a few big ones (memory traffic, NumPy temporaries). Prints the median time per step.

Run: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_optim.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

SHAPES = {
    "200 small (64 floats each)": [(64,)] * 200,
    "SmallCNN 28x28 (6 params, 20k floats)": [
        (16, 1, 3, 3),
        (16,),
        (32, 16, 3, 3),
        (32,),
        (10, 1568),
        (10,),
    ],
    "4 big (1M floats each)": [(1000, 1000)] * 4,
}
CONFIGS = [
    ("SGD", dict(lr=0.01, momentum=0.9)),
    ("Adam", dict(lr=1e-3)),
    ("AdamW", dict(lr=1e-3)),
    ("RMSprop", dict(lr=1e-3, momentum=0.9)),
    ("Adagrad", dict(lr=1e-2)),
    ("Adadelta", dict()),
]


def median_step(step, repeats: int) -> float:
    step()  # state made, caches warm
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()

    import torch

    from tinygrad_conv import nn, optim

    torch.set_num_threads(1)
    print(
        "median time per optimizer step, float32, 1 thread (torch CPU: foreach=False is its "
        "default on CPU)"
    )
    for label, shapes in SHAPES.items():
        big = shapes[0] == (1000, 1000)
        repeats = (5 if big else 50) if args.quick else (20 if big else 300)
        rng = np.random.default_rng(0)
        starts = [rng.normal(size=s).astype(np.float32) for s in shapes]
        grads = [rng.normal(size=s).astype(np.float32) for s in shapes]
        print(f"\n{label}")
        print(
            f"  {'optimizer':<10} {'ours':>10} {'torch loop':>11} {'torch foreach':>14}  "
            f"ours / foreach"
        )
        for name, kwargs in CONFIGS:
            ours = [nn.Parameter(s.copy()) for s in starts]
            for p, g in zip(ours, grads, strict=True):
                p.grad = g
            opt = getattr(optim, name)(ours, **kwargs)
            t_ours = median_step(opt.step, repeats)
            row = [t_ours]
            for foreach in (False, True):
                theirs = [torch.tensor(s, requires_grad=True) for s in starts]
                for p, g in zip(theirs, grads, strict=True):
                    p.grad = torch.from_numpy(g)
                ref = getattr(torch.optim, name)(theirs, foreach=foreach, **kwargs)
                with torch.no_grad():
                    row.append(median_step(ref.step, repeats))
            print(
                f"  {name:<10} {row[0] * 1e3:>8.3f}ms {row[1] * 1e3:>9.3f}ms "
                f"{row[2] * 1e3:>12.3f}ms  {row[0] / row[2]:>6.2f}x"
            )


if __name__ == "__main__":
    main()
