"""relu, cross_entropy and max_pool2d forward + backward, float32: Cython and NumPy backends and
PyTorch CPU (2 threads), same process, same inputs.

Run: python benchmarks/bench_ops.py [--quick]. Prints medians in ms through the public ops (Tensor,
graph, backward), the Cython kernels alone (preallocated arrays, no graph), the ratio to PyTorch
against the goal of issue 3, and GB/s of the arrays each pass must read and write. It never asserts.
"""

from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (  # noqa: E402
    copy_bandwidth_gbs,
    cpu_name,
    interleaved_medians,
    parse_args,
    print_table,
    try_torch,
)

import tinygrad_conv as tc  # noqa: E402
from tinygrad_conv import _backend  # noqa: E402
from tinygrad_conv.ops.activation import relu  # noqa: E402
from tinygrad_conv.ops.loss import cross_entropy  # noqa: E402
from tinygrad_conv.ops.pool import max_pool2d  # noqa: E402


def on(backend: str, fn):
    """fn run with the kernels of `backend` (switching costs a dictionary lookup)."""

    def run():
        tc.set_backend(backend)
        fn()

    return run


def relu_case(rng):
    x = rng.standard_normal((64, 32, 56, 56), dtype=np.float32)
    grad_out = rng.standard_normal(x.shape, dtype=np.float32)
    threads = _backend.num_threads(x.size)
    out, grad_x = np.empty_like(x), np.empty_like(x)
    flat = [a.reshape(-1) for a in (x, grad_out, out, grad_x)]

    def kernels():
        k = _backend.kernels()
        k.relu_forward(flat[0], flat[2], threads)
        k.relu_backward(flat[0], flat[1], flat[3], threads)

    return dict(
        shape="64x32x56x56",
        goal=1.0,
        inputs=[x],
        grad_out=grad_out,
        ours=lambda x: relu(x),
        theirs=lambda torch, x: torch.relu(x),
        kernels=kernels,
        bytes=5 * x.nbytes,  # fwd: read x, write y; bwd: read x and grad_y, write grad_x
    )


def cross_entropy_case(rng):
    x = rng.standard_normal((4096, 1000), dtype=np.float32)
    target = rng.integers(0, 1000, 4096)
    t_intp = target.astype(np.intp)
    threads = _backend.num_threads(x.size)
    loss, softmax, grad_x = np.empty(4096), np.empty_like(x), np.empty_like(x)
    grad_loss = np.full(4096, 1 / 4096)  # d mean / d loss_i

    def kernels():
        k = _backend.kernels()
        k.cross_entropy_forward(x, t_intp, loss, softmax, 0.0, threads)
        k.cross_entropy_backward(softmax, t_intp, grad_loss, grad_x, 0.0, threads)

    return dict(
        shape="4096x1000, mean",
        goal=1.0,
        inputs=[x],
        grad_out=None,
        ours=lambda x: cross_entropy(x, target),
        theirs=lambda torch, x: torch.nn.functional.cross_entropy(x, torch.from_numpy(target)),
        # fwd: read x, write softmax; bwd: read softmax, write grad_x
        kernels=kernels,
        bytes=4 * x.nbytes,
    )


def max_pool_case(rng):
    x = rng.standard_normal((32, 64, 56, 56), dtype=np.float32)
    grad_out = rng.standard_normal((32, 64, 28, 28), dtype=np.float32)
    threads = _backend.num_threads(x.size)
    out, grad_x = np.empty_like(grad_out), np.empty_like(x)
    argmax = np.empty(grad_out.shape, np.intp)

    def kernels():
        k = _backend.kernels()
        k.max_pool2d_forward(x, out, argmax, 2, 2, 2, 2, 0, 0, threads)
        k.max_pool2d_backward(grad_out, argmax, grad_x, threads)

    return dict(
        shape="32x64x56x56, 2x2 s2",
        goal=None,
        inputs=[x],
        grad_out=grad_out,
        ours=lambda x: max_pool2d(x, 2),
        theirs=lambda torch, x: torch.nn.functional.max_pool2d(x, 2),
        kernels=kernels,
        # fwd: read x, write y and 8-byte indices; bwd: read grad_y and indices, write grad_x
        bytes=2 * x.nbytes + 2 * grad_out.nbytes + 2 * argmax.nbytes,
    )


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    repeats = args.repeats or (5 if args.quick else 25)
    torch = try_torch(threads=2)
    rng = np.random.default_rng(0)
    rows = []
    for name, make in (
        ("relu", relu_case),
        ("cross-entropy", cross_entropy_case),
        ("max_pool2d", max_pool_case),
    ):
        case = make(rng)
        leaves = [tc.Tensor(a, requires_grad=True) for a in case["inputs"]]

        def step(case=case, leaves=leaves):
            for t in leaves:
                t.grad = None
            case["ours"](*leaves).backward(case["grad_out"])

        fns = {
            "cython": on("cython", step),
            "kernels": on("cython", case["kernels"]),
            "numpy": on("numpy", step),
        }
        if torch is not None:
            t_leaves = [torch.from_numpy(a.copy()).requires_grad_() for a in case["inputs"]]
            t_grad = None if case["grad_out"] is None else torch.from_numpy(case["grad_out"])

            def t_step(case=case, t_leaves=t_leaves, t_grad=t_grad):
                for t in t_leaves:
                    t.grad = None
                case["theirs"](torch, *t_leaves).backward(t_grad)

            fns["torch"] = t_step
        times = interleaved_medians(fns, repeats)
        tc.set_backend("cython")
        ratio = times["cython"] / times["torch"] if "torch" in times else None
        kernel_ratio = times["kernels"] / times["torch"] if "torch" in times else None
        gb = case["bytes"] / 1e9
        rows.append(
            [
                name,
                case["shape"],
                times["cython"],
                times["kernels"],
                times["numpy"],
                times.get("torch"),
                ratio,
                kernel_ratio,
                f"<= {case['goal']}" if case["goal"] else "-",
                gb / times["cython"] * 1e3,
                gb / times["torch"] * 1e3 if "torch" in times else None,
            ]
        )
    threads = _backend.num_threads(1 << 30)
    about_torch = f"{torch.get_num_threads()} ({torch.__version__})" if torch else "absent"
    print(
        f"float32, fwd+bwd medians in ms; {cpu_name()}; kernels use {threads} threads, "
        f"PyTorch {about_torch}"
    )
    print_table(
        [
            "op",
            "shape",
            "cython ms",
            "kernels ms",
            "numpy ms",
            "torch ms",
            "cython/torch",
            "kernels/torch",
            "goal",
            "cython GB/s",
            "torch GB/s",
        ],
        rows,
    )
    print(
        f"copy bandwidth (np.copyto of 64 MB, read + write, same run): "
        f"{copy_bandwidth_gbs():.1f} GB/s"
    )


if __name__ == "__main__":
    main()
