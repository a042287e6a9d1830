"""conv2d forward + backward, float32: Cython and NumPy backends and PyTorch CPU, same inputs.

Run: python benchmarks/bench_conv.py [--quick]. Prints medians in ms, the ratio to PyTorch
against the goal of issue 3, GFLOP/s, and the float32 GEMM peak. It never asserts a time.
"""

from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import gemm_peak_gflops, median_ms, parse_args, print_table, try_torch  # noqa: E402

import tinygrad_conv as tc  # noqa: E402
from tinygrad_conv.ops.conv import conv2d  # noqa: E402

# name: (N, C_in, H, W, C_out, kH, kW, stride, padding, goal as a ratio to PyTorch)
WORKLOADS = {
    "seed": (1, 1, 5, 5, 1, 3, 3, 1, 0, 1.0),
    "seed-same": (1, 1, 5, 5, 1, 3, 3, 1, "same", 1.0),
    "seed-s2": (1, 1, 5, 5, 1, 3, 3, 2, 0, 1.0),
    "lenet-conv": (64, 1, 28, 28, 8, 3, 3, 1, 1, 0.5),
    "mid-conv": (32, 16, 32, 32, 32, 3, 3, 1, 1, 1.2),
    "big-conv": (16, 64, 56, 56, 64, 3, 3, 1, 1, 1.2),
}


def flops(n, c, c_out, kh, kw, oh, ow) -> float:
    """Forward multiply-adds x 2, times 3 for forward + the two backward products."""
    return 3 * 2.0 * n * c_out * c * kh * kw * oh * ow


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    repeats = args.repeats or (5 if args.quick else 30)
    torch = try_torch(threads=2)
    rng = np.random.default_rng(0)
    rows = []
    for name, (n, c, h, w, c_out, kh, kw, stride, padding, goal) in WORKLOADS.items():
        x = rng.standard_normal((n, c, h, w), dtype=np.float32)
        weight = rng.standard_normal((c_out, c, kh, kw), dtype=np.float32)
        bias = rng.standard_normal(c_out, dtype=np.float32)
        leaves = [tc.Tensor(a, requires_grad=True) for a in (x, weight, bias)]
        out_shape = conv2d(*leaves, stride=stride, padding=padding).shape
        grad_out = rng.standard_normal(out_shape, dtype=np.float32)

        def step(leaves=leaves, stride=stride, padding=padding, grad_out=grad_out):
            for t in leaves:
                t.grad = None
            conv2d(*leaves, stride=stride, padding=padding).backward(grad_out)

        times = {}
        for backend in ("cython", "numpy"):
            tc.set_backend(backend)
            times[backend] = median_ms(step, repeats)
        tc.set_backend("cython")
        if torch is not None:
            t_leaves = [torch.from_numpy(a.copy()).requires_grad_() for a in (x, weight, bias)]
            t_grad = torch.from_numpy(grad_out)

            def t_step(t_leaves=t_leaves, stride=stride, padding=padding, t_grad=t_grad):
                for t in t_leaves:
                    t.grad = None
                torch.nn.functional.conv2d(*t_leaves, stride=stride, padding=padding).backward(
                    t_grad
                )

            times["torch"] = median_ms(t_step, repeats)
        gflop = flops(n, c, c_out, kh, kw, *out_shape[2:]) / 1e9
        ratio = times["cython"] / times["torch"] if "torch" in times else None
        rows.append(
            [
                name,
                f"{n}x{c}x{h}x{w} -> {c_out}, {kh}x{kw} s{stride} p{padding}",
                times["cython"],
                times["numpy"],
                times.get("torch"),
                ratio,
                f"<= {goal}",
                gflop / times["cython"] * 1e3,
                gflop / times["torch"] * 1e3 if "torch" in times else None,
            ]
        )
    print(
        f"conv2d fwd+bwd, float32, median of up to {repeats} runs; backend threads: "
        f"{tc._backend._max_threads}, torch threads: {torch.get_num_threads() if torch else '-'}"
    )
    print_table(
        [
            "workload",
            "shape",
            "cython ms",
            "numpy ms",
            "torch ms",
            "cython/torch",
            "goal",
            "cython GFLOP/s",
            "torch GFLOP/s",
        ],
        rows,
    )
    print(f"float32 GEMM peak (np.matmul 2048^2): {gemm_peak_gflops():.0f} GFLOP/s")


if __name__ == "__main__":
    main()
