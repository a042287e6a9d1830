"""Per-op overhead: a 4x4 multiply, forward alone and with its backward, against PyTorch, and where
the time of one op goes (Function.apply's steps, the backward pass's steps). Then the kernel choice
for the activation-sized elementwise ops: leaky_relu's Cython kernel against its NumPy twin, and
clamp/maximum in NumPy against the relu kernel (what a kernel for them could reach).

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_overhead.py [--quick]
"""

from __future__ import annotations

import os
import sys
import timeit

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import cpu_name, parse_args, print_table, try_torch  # noqa: E402

import tinygrad_conv as tc  # noqa: E402
from tinygrad_conv import autograd  # noqa: E402
from tinygrad_conv._backend import kernels, num_threads  # noqa: E402
from tinygrad_conv.ops.elementwise import Mul  # noqa: E402


def per_call_us(fn, number: int, repeats: int = 7) -> float:
    """Best of `repeats` runs of `number` calls, in microseconds per call (overhead: the minimum
    is the figure least disturbed by the other processes on the machine)."""
    return min(timeit.repeat(fn, number=number, repeat=repeats)) / number * 1e6


def overhead(number: int) -> None:
    rng = np.random.default_rng(0)
    a_np, b_np = rng.standard_normal((2, 4, 4)).astype(np.float32)
    grad = np.ones((4, 4), dtype=np.float32)
    a = tc.Tensor(a_np, requires_grad=True)
    b = tc.Tensor(b_np, requires_grad=True)

    def ours_forward():
        return a * b

    def ours_both():  # grads accumulate from pass to pass
        (a * b).backward(grad)

    def ours_fresh():  # as after zero_grad: each pass stores new grads
        a.grad = b.grad = None
        (a * b).backward(grad)

    half = number // 2
    rows = [
        [
            "ours",
            per_call_us(ours_forward, number),
            per_call_us(ours_both, half),
            per_call_us(ours_fresh, half),
        ]
    ]
    torch = try_torch(threads=1)
    if torch is not None:
        at = torch.tensor(a_np, requires_grad=True)
        bt = torch.tensor(b_np, requires_grad=True)
        gt = torch.tensor(grad)

        def torch_fresh():
            at.grad = bt.grad = None
            (at * bt).backward(gt)

        rows.append(
            [
                "torch",
                per_call_us(lambda: at * bt, number),
                per_call_us(lambda: (at * bt).backward(gt), half),
                per_call_us(torch_fresh, half),
            ]
        )
    print_table(
        [
            "4x4 multiply",
            "forward us",
            "+ backward, grads accumulating, us",
            "+ backward, fresh grads, us",
        ],
        rows,
    )

    # Where one forward goes: each step of Function.apply on its own.
    arrays = (a.data, b.data)
    ctx = autograd.Context(Mul, (a, b), {}, arrays)
    steps = [
        ["a * b (the whole op)", per_call_us(ours_forward, number)],
        ["Tensor method -> functional -> apply", per_call_us(lambda: Mul.apply(a, b), number)],
        ["Mul.check (shapes)", per_call_us(lambda: Mul.check(*arrays), number)],
        ["Context(...)", per_call_us(lambda: autograd.Context(Mul, (a, b), {}, arrays), number)],
        ["Mul.forward (NumPy multiply)", per_call_us(lambda: Mul.forward(ctx, *arrays), number)],
        ["np.multiply alone", per_call_us(lambda: np.multiply(a_np, b_np), number)],
        ["Tensor._make", per_call_us(lambda: tc.Tensor._make(a_np, True, ctx), number)],
    ]
    print_table(["forward step", "us"], steps)

    # Where one backward goes.
    out = a * b
    root_ctx = out._ctx
    seed = np.ones((4, 4), dtype=np.float32)

    def fn_backward():
        root_ctx.fn.backward(root_ctx, seed)

    def whole_backward():
        (a * b).backward(grad)

    steps = [
        ["(a * b).backward(grad), forward included", per_call_us(whole_backward, number // 2)],
        ["topo_order", per_call_us(lambda: autograd.topo_order(out), number)],
        ["Mul.backward (two NumPy multiplies + unbroadcast)", per_call_us(fn_backward, number)],
        ["np.multiply x2 alone", per_call_us(lambda: (seed * b_np, seed * a_np), number)],
    ]
    print_table(["backward step", "us"], steps)


def activations(repeats: int) -> None:
    """ms per call on an activation of a small CNN's first layer (64 x 32 x 28 x 28 float32)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 32, 28, 28)).astype(np.float32).reshape(-1)
    g = rng.standard_normal(x.shape).astype(np.float32)
    y = rng.standard_normal(x.shape).astype(np.float32)
    out = np.empty_like(x)
    n = num_threads(x.size)

    def ms(fn):
        return per_call_us(fn, 3, repeats) / 1e3

    rows = []
    small = slice(0, x.size // 16)  # gelu's twin calls math.erf per element: 1/16 of the array
    for backend in ("cython", "numpy"):
        tc.set_backend(backend)
        k = kernels()
        rows.append(
            [
                f"leaky_relu ({backend})",
                ms(lambda k=k: k.leaky_relu_forward(x, out, 0.01, n)),
                ms(lambda k=k: k.leaky_relu_backward(x, g, out, 0.01, n)),
            ]
        )
        rows.append(
            [
                f"clamp ({backend})",
                ms(lambda k=k: k.clamp_forward(x, out, -0.5, 0.5, n)),
                ms(lambda k=k: k.clamp_backward(x, g, out, -0.5, 0.5, n)),
            ]
        )
        rows.append(
            [
                f"gelu ({backend}), per 1/16 of it",
                ms(lambda k=k: k.gelu_forward(x[small], out[small], False, n)),
                ms(lambda k=k: k.gelu_backward(x[small], g[small], out[small], False, n)),
            ]
        )
    tc.set_backend("cython")
    rows.append(
        [
            "relu kernel (cython), for scale",
            ms(lambda: kernels().relu_forward(x, out, n)),
            ms(lambda: kernels().relu_backward(x, g, out, n)),
        ]
    )
    wins = x > y
    rows.append(
        [
            "maximum: np.maximum / grad * mask",
            ms(lambda: np.maximum(x, y, out=out)),
            ms(lambda: np.multiply(g, wins, out=out)),
        ]
    )
    rows.append(
        [
            "maximum: np.where(mask, grad, 0)",
            float("nan"),
            ms(lambda: np.where(wins, g, np.float32(0))),
        ]
    )
    print_table(["64x32x28x28 float32", "forward ms", "backward ms"], rows)


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    number = 2000 if args.quick else 20000
    print(f"CPU: {cpu_name()}, backend {tc.backend()}, NumPy {np.__version__}")
    overhead(number)
    activations(3 if args.quick else args.repeats or 9)


if __name__ == "__main__":
    main()
