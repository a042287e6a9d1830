"""conv2d forward + backward, float32: tinygrad_conv's algorithms and PyTorch CPU, same inputs.

Run: python benchmarks/bench_conv.py [--quick] [--repeats N] [--no-memory]. Every case of a workload
is timed in turns (ours with the default algorithm, ours forced to im2col, the NumPy kernels,
PyTorch), so load drifting on a shared machine hits all sides of a ratio alike; medians in ms.
Prints the ratio to PyTorch against the goal of issue 15, GFLOP/s of both (direct-convolution FLOPs:
forward and the two backward products), then the float32 GEMM peak and the copy bandwidth measured
in the same run, and the peak memory of big-conv fwd+bwd (bench_memory.py). It never asserts a time.
"""

from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (  # noqa: E402
    copy_bandwidth_gbs,
    cpu_name,
    gemm_peak_gflops,
    interleaved_medians,
    parse_args,
    print_table,
    try_torch,
)

import tinygrad_conv as tc  # noqa: E402
from tinygrad_conv import _backend  # noqa: E402
from tinygrad_conv.ops import conv_algorithm  # noqa: E402
from tinygrad_conv.ops.conv import conv2d  # noqa: E402

# name: (N, C_in, H, W, C_out, kH, kW, stride, padding, goal as a ratio to PyTorch)
WORKLOADS = {
    "seed": (1, 1, 5, 5, 1, 3, 3, 1, 0, 1.0),
    "seed-same": (1, 1, 5, 5, 1, 3, 3, 1, "same", 1.0),
    "seed-s2": (1, 1, 5, 5, 1, 3, 3, 2, 0, 1.0),
    "seed-pad": (1, 1, 5, 5, 1, 3, 3, 1, 1, 1.0),
    "lenet-conv": (64, 1, 28, 28, 8, 3, 3, 1, 1, 0.5),
    "mid-conv": (32, 16, 32, 32, 32, 3, 3, 1, 1, 1.0),
    "big-conv": (16, 64, 56, 56, 64, 3, 3, 1, 1, 1.0),
}


def flops(n, c, c_out, kh, kw, oh, ow) -> float:
    """Forward multiply-adds x 2, times 3 for forward + the two backward products."""
    return 3 * 2.0 * n * c_out * c * kh * kw * oh * ow


def ours(leaves, grad_out, stride, padding, backend="cython", algorithm="auto"):
    def step():
        tc.set_backend(backend)
        conv_algorithm.set_conv_algorithm(algorithm)
        for t in leaves:
            t.grad = None
        conv2d(*leaves, stride=stride, padding=padding).backward(grad_out)

    return step


def theirs(torch, arrays, grad_out, stride, padding):
    leaves = [torch.from_numpy(a.copy()).requires_grad_() for a in arrays]
    grad = torch.from_numpy(grad_out)

    def step():
        for t in leaves:
            t.grad = None
        torch.nn.functional.conv2d(*leaves, stride=stride, padding=padding).backward(grad)

    return step


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], {"--no-memory": "skip the peak-memory children"})
    repeats = args.repeats or (5 if args.quick else 15)
    torch = try_torch(threads=2)
    rng = np.random.default_rng(0)
    rows, big = [], None
    for name, (n, c, h, w, c_out, kh, kw, stride, padding, goal) in WORKLOADS.items():
        arrays = [
            rng.standard_normal(shape, dtype=np.float32)
            for shape in ((n, c, h, w), (c_out, c, kh, kw), (c_out,))
        ]
        leaves = [tc.Tensor(a, requires_grad=True) for a in arrays]
        y = conv2d(*leaves, stride=stride, padding=padding)
        algorithm = y._ctx.algorithm  # what "auto" picks here
        grad_out = rng.standard_normal(y.shape, dtype=np.float32)
        fns = {
            "ours": ours(leaves, grad_out, stride, padding),
            "im2col": ours(leaves, grad_out, stride, padding, algorithm="im2col"),
            "numpy": ours(leaves, grad_out, stride, padding, backend="numpy"),
        }
        if torch is not None:
            fns["torch"] = theirs(torch, arrays, grad_out, stride, padding)
        times = interleaved_medians(fns, repeats, budget_s=6 if args.quick else 40)
        tc.set_backend("cython")
        conv_algorithm.set_conv_algorithm("auto")
        gflop = flops(n, c, c_out, kh, kw, *y.shape[2:]) / 1e9
        torch_ms = times.get("torch")
        ratio = times["ours"] / torch_ms if torch_ms else None
        if name == "big-conv":
            big = gflop / times["ours"] * 1e3
        rows.append(
            [
                name,
                f"{n}x{c}x{h}x{w} -> {c_out}, {kh}x{kw} s{stride} p{padding}",
                algorithm,
                times["ours"],
                times["im2col"],
                times["numpy"],
                torch_ms,
                ratio,
                f"<= {goal}",
                "-" if ratio is None else ("yes" if ratio <= goal else "no"),
                gflop / times["ours"] * 1e3,
                gflop / torch_ms * 1e3 if torch_ms else None,
            ]
        )
    about_torch = f"{torch.get_num_threads()} ({torch.__version__})" if torch else "absent"
    print(
        f"conv2d fwd+bwd, float32, medians of {repeats} paired runs; {cpu_name()}; kernel "
        f"threads {_backend._max_threads}, PyTorch threads {about_torch}"
    )
    headers = ["workload", "shape", "auto picks", "ours ms", "im2col ms", "numpy ms", "torch ms",
               "ours/torch", "goal", "met", "ours GFLOP/s", "torch GFLOP/s"]  # fmt: skip
    print_table(headers, rows)
    peak = gemm_peak_gflops()
    print(f"\nfloat32 GEMM peak (np.matmul 2048^2, same run): {peak:.0f} GFLOP/s", end="")
    if big is not None:
        print(f"; big-conv reaches {big:.0f} GFLOP/s = {100 * big / peak:.0f}% of it (goal >= 75%)")
    else:
        print()
    bandwidth = copy_bandwidth_gbs()
    print(f"copy bandwidth (np.copyto of 64 MB, read + write, same run): {bandwidth:.1f} GB/s")
    if not args.no_memory:
        from bench_memory import report

        print()
        report()


if __name__ == "__main__":
    main()
