"""Where conv2d's time goes: each phase of both algorithms alone, beside PyTorch's three products.

Run: python benchmarks/bench_conv_phases.py [--quick] [--repeats N]. For mid-conv and big-conv
(float32, 2 threads) it times, in turns, the direct kernels (forward, input gradient, weight
gradient), im2col's phases (im2col, the forward GEMMs, the weight-gradient GEMMs, the
column-gradient GEMMs, col2im), the bias gradient, and PyTorch's forward, input-gradient and
weight-gradient calls (aten.convolution_backward with one output mask each). Medians in ms and
GFLOP/s; never asserts.
"""

from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import cpu_name, interleaved_medians, parse_args, print_table, try_torch  # noqa: E402

from tinygrad_conv import _backend  # noqa: E402
from tinygrad_conv._backend import kernels  # noqa: E402

WORKLOADS = {"mid-conv": (32, 16, 32, 32, 32), "big-conv": (16, 64, 56, 56, 64)}  # 3x3, pad 1


def phases(n, c, h, w, c_out, torch) -> dict:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, h, w), dtype=np.float32)
    weight = rng.standard_normal((c_out, c, 3, 3), dtype=np.float32)
    grad_out = rng.standard_normal((n, c_out, h, w), dtype=np.float32)
    out, grad_x, grad_w = np.empty_like(grad_out), np.empty_like(x), np.empty_like(weight)
    flipped = np.ascontiguousarray(weight[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
    cols = np.empty((n, c, 3, 3, h, w), np.float32)
    cols_mat = cols.reshape(n, c * 9, h * w)
    w_mat, w_t = weight.reshape(c_out, -1), np.ascontiguousarray(weight.reshape(c_out, -1).T)
    gy = grad_out.reshape(n, c_out, h * w)
    k, threads = kernels(), _backend.num_threads(1 << 30)
    fns = {
        "direct forward": lambda: k.direct_conv2d(x, weight, out, 1, 1, threads),
        "direct input grad": lambda: k.direct_conv2d(grad_out, flipped, grad_x, 1, 1, threads),
        "direct weight grad": lambda: k.direct_conv2d_weight_grad(
            x, grad_out, grad_w, 1, 1, threads
        ),
        "bias grad": lambda: grad_out.sum(axis=(0, 2, 3)),
        "im2col": lambda: k.im2col(x, cols, 1, 1, 1, 1, 1, 1, 1),
        "im2col: forward GEMMs": lambda: np.matmul(w_mat, cols_mat),
        "im2col: weight GEMMs": lambda: np.matmul(gy, cols_mat.transpose(0, 2, 1)).sum(axis=0),
        "im2col: column GEMMs": lambda: np.matmul(w_t, gy, out=cols_mat),
        "col2im": lambda: k.col2im(cols, grad_x, 1, 1, 1, 1, 1, 1, 1),
    }
    if torch is not None:
        tx, tw, tg = (torch.from_numpy(a) for a in (x, weight, grad_out))
        aten = torch.ops.aten

        def t_backward(mask):
            return lambda: aten.convolution_backward(
                tg, tx, tw, None, [1, 1], [1, 1], [1, 1], False, [0, 0], 1, mask
            )

        fns["torch forward"] = lambda: torch.nn.functional.conv2d(tx, tw, padding=1)
        fns["torch input grad"] = t_backward([True, False, False])
        fns["torch weight grad"] = t_backward([False, True, False])
    return fns


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    repeats = args.repeats or (5 if args.quick else 15)
    torch = try_torch(threads=2)
    print(f"conv2d phases, float32, medians of {repeats} paired runs; {cpu_name()}")
    for name, (n, c, h, w, c_out) in WORKLOADS.items():
        times = interleaved_medians(phases(n, c, h, w, c_out, torch), repeats, budget_s=30)
        gflop = 2.0 * n * c_out * c * 9 * h * w / 1e9  # one of the three products
        rows = [
            [phase, ms, gflop / ms * 1e3 if ("grad" in phase or "GEMM" in phase or "forward"
                                               in phase) and "bias" not in phase else None]
            for phase, ms in times.items()
        ]  # fmt: skip
        print(f"\n{name}: {n}x{c}x{h}x{w} -> {c_out}, 3x3 pad 1")
        print_table(["phase", "ms", "GFLOP/s"], rows)


if __name__ == "__main__":
    main()
