"""Peak memory of a training loop: the command line's CNN (conv 1->16, relu, pool, conv 16->32,
relu, pool, linear, PyTorch's layers and defaults) on 28x28 batches of 512, the usual loop
(zero_grad, forward, loss, backward, SGD step with momentum), here and in PyTorch CPU.

Run: python benchmarks/bench_train_memory.py [--steps 20] [--batch 512]. Each variant runs in its
own child process, which imports its library, makes the model and the data, notes its peak
resident set (ru_maxrss), runs the loop and reports the new peak minus that baseline, the
median step time and the minor page faults per step (memory handed back to the OS and faulted in
again; steadier than times on a busy machine). Variants of this engine show what each part of
the contract costs:
  default             the library as it is
  no-malloc-tuning    TINYGRAD_CONV_MALLOC_TUNING=0 (glibc's own thresholds)
  leaf-grads-only     intermediate tensors' .grad dropped after each backward (PyTorch keeps
                      grads on leaves only)
  graph-dropped       the previous step's graph let go before the next forward (`del loss`)
Prints a table with the ratio to PyTorch; never asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

MIB = 1 << 20
VARIANTS = ("default", "no-malloc-tuning", "leaf-grads-only", "graph-dropped")


def peak_rss() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def _ours(variant: str, steps: int, batch: int, x, y) -> list[float]:
    import tinygrad_conv as tc
    from tinygrad_conv import autograd, nn, optim

    tc.manual_seed(0)
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
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    times = []
    for step in range(steps):
        start = time.perf_counter()
        xb, yb = tc.Tensor(x[step % len(x)]), y[step % len(y)]
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        if variant == "leaf-grads-only":
            for t in autograd.topo_order(loss):
                if t._ctx is not None:
                    t._grad = None
        if variant == "graph-dropped":
            del loss
        times.append(time.perf_counter() - start)
    return times


def _torch(steps: int, batch: int, x, y) -> list[float]:
    import torch

    torch.manual_seed(0)
    torch.set_num_threads(len(os.sched_getaffinity(0)))
    nn = torch.nn
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
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    times = []
    for step in range(steps):
        start = time.perf_counter()
        xb, yb = torch.from_numpy(x[step % len(x)]), torch.from_numpy(y[step % len(y)])
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - start)
    return times


def child(library: str, variant: str, steps: int, batch: int) -> dict:
    import numpy as np

    if library == "torch":
        import torch  # noqa: F401 - its import is part of the baseline
    else:
        import tinygrad_conv  # noqa: F401
    rng = np.random.default_rng(0)
    x = rng.random((4, batch, 1, 28, 28), dtype=np.float32)  # four batches, reused in turn
    y = rng.integers(0, 10, (4, batch))
    baseline = peak_rss()
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    if library == "torch":
        times = _torch(steps, batch, x, y)
    else:
        times = _ours(variant, steps, batch, x, y)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
    return {
        "library": library,
        "variant": variant,
        "peak_increase": peak_rss() - baseline,
        "step": statistics.median(times[2:] or times),
        "faults": faults / steps,
    }


def measure(library: str, variant: str, steps: int, batch: int) -> dict | None:
    env = dict(os.environ)
    if variant == "no-malloc-tuning":
        env["TINYGRAD_CONV_MALLOC_TUNING"] = "0"
    args = [
        sys.executable,
        __file__,
        "--child",
        library,
        variant,
        "--steps",
        str(steps),
        "--batch",
        str(batch),
    ]
    result = subprocess.run(args, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        print(f"{library} {variant}: failed\n{result.stderr[-1500:]}", file=sys.stderr)
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--child", nargs=2, metavar=("LIBRARY", "VARIANT"))
    parser.add_argument("--quick", action="store_true", help="fewer steps (tinygrad-conv bench)")
    args = parser.parse_args()
    if args.quick:
        args.steps = min(args.steps, 5)
    if args.child:
        print(json.dumps(child(*args.child, args.steps, args.batch)))
        return
    rows = [measure("torch", "-", args.steps, args.batch)]
    rows += [measure("tinygrad_conv", v, args.steps, args.batch) for v in args.variants.split(",")]
    torch_peak = rows[0]["peak_increase"] if rows[0] else None
    print(
        f"training loop, CNN on 28x28 batches of {args.batch}, {args.steps} steps "
        f"(peak RSS increase over the baseline after import and data)"
    )
    print(
        f"{'library':<15}{'variant':<19}{'peak +MB':>10}{'x torch':>9}{'step ms':>9}"
        f"{'page faults/step':>18}"
    )
    for row in rows:
        if row is None:
            continue
        ratio = f"{row['peak_increase'] / torch_peak:.2f}" if torch_peak else "n/a"
        print(
            f"{row['library']:<15}{row['variant']:<19}{row['peak_increase'] / MIB:>10.0f}"
            f"{ratio:>9}{row['step'] * 1e3:>9.1f}{row['faults']:>18.0f}"
        )


if __name__ == "__main__":
    main()
