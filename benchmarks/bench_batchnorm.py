"""BatchNorm2d train-mode forward + backward on 64x32x56x56 float32, against PyTorch in the same
process: medians of alternating runs (ours, PyTorch, ours, ...), the ratio, and each phase alone.

Run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset:
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_batchnorm.py
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import try_torch  # noqa: E402

import tinygrad_conv as tc  # noqa: E402
from tinygrad_conv.nn.normalization import BatchNorm2d  # noqa: E402


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def alternating_medians(fns: dict, rounds: int, warmup: int = 2) -> dict:
    """Run each fn once per round, in turn, and return each one's median time in ms."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: float(np.median(t)) * 1e3 for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", type=int, nargs=4, default=(64, 32, 56, 56))
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="fewer rounds (tinygrad-conv bench)")
    args = parser.parse_args()
    if args.quick:
        args.rounds = min(args.rounds, 5)
    tc.set_num_threads(args.threads)
    torch = try_torch(args.threads)
    shape = tuple(args.shape)
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal(shape, dtype=np.float32) * 2 + 1
    g_np = rng.standard_normal(shape, dtype=np.float32)

    bn = BatchNorm2d(shape[1])
    x = tc.Tensor(x_np, requires_grad=True)

    def ours_forward():
        return bn(x)

    def ours_step():
        x.grad = None
        bn.zero_grad()
        bn(x).backward(g_np)

    fns = {"ours fwd": ours_forward, "ours fwd+bwd": ours_step}
    if torch is not None:
        tbn = torch.nn.BatchNorm2d(shape[1])
        xt = torch.from_numpy(x_np.copy()).requires_grad_(True)
        gt = torch.from_numpy(g_np.copy())

        def torch_forward():
            return tbn(xt)

        def torch_step():
            xt.grad = None
            tbn.zero_grad()
            tbn(xt).backward(gt)

        fns.update({"torch fwd": torch_forward, "torch fwd+bwd": torch_step})
    medians = alternating_medians(fns, args.rounds)

    print(
        f"BatchNorm2d train mode, x {shape} float32, {args.threads} threads, {cpu_name()}, "
        f"backend {tc.backend()}, medians of {args.rounds} alternating runs"
    )
    for name, ms in medians.items():
        print(f"  {name:14s} {ms:8.2f} ms")
    if torch is not None:
        for phase in ("fwd", "fwd+bwd"):
            ratio = medians[f"ours {phase}"] / medians[f"torch {phase}"]
            print(f"  ratio ours / torch, {phase:8s}: {ratio:.2f}x")
    else:
        print("  PyTorch is not installed: no ratio")


if __name__ == "__main__":
    main()
