"""What every fuzz case is made of: Arg, Case, random arrays and shapes, bad inputs, and
the conversions to Tensors and to torch tensors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

ALLOWED_ERRORS = (ValueError, TypeError, RuntimeError, IndexError)
BAD_DTYPES = ("float16", "complex64", "object", "str", "datetime")
KERNEL_CALLS = [0]  # kernel calls since the last reset (runner.instrument_kernels counts them)
BAD_SCALARS = (-1, 0, 1.5, "2", None, (1, 2, 3), True, float("nan"), 2**70)


@dataclass
class Arg:
    """One array argument: a Tensor (maybe strided/transposed, maybe with an old grad) or raw."""

    data: Any
    tensor: bool = True
    requires_grad: bool = True
    layout: str = "c"  # c | f | strided (a getitem view of a bigger leaf) | readonly (raw)
    old_grad: bool = False


@dataclass
class Case:
    op: str
    args: list
    params: dict
    call: Callable  # call(tc, *objs, **params) -> Tensor
    torch_call: Callable | None = None  # torch_call(torch, F, *objs, **params) -> torch.Tensor
    error: tuple | None = None  # for invalid input: message fragments, one of which must appear
    maybe_error: tuple | None = None  # a correct result, or an allowed error naming one of these
    torch_grads: bool = True
    desc: str = ""
    extra: dict = field(default_factory=dict)


def farr(rng, shape, dtype="float32", lo=-3.0, hi=3.0):
    return rng.uniform(lo, hi, size=shape).astype(dtype)


def rand_shape(rng, lo=0, hi=4, side=4, zero=False):
    shape = [int(rng.integers(1, side + 1)) for _ in range(int(rng.integers(lo, hi + 1)))]
    if zero and shape:
        shape[int(rng.integers(len(shape)))] = 0
    return tuple(shape)


def bad_array(rng, kind, shape=(2, 3)):
    size = int(np.prod(shape))
    if kind == "float16":
        return np.ones(shape, np.float16)
    if kind == "complex64":
        return (np.ones(shape) + 1j).astype(np.complex64)
    if kind == "object":
        return np.array([object()] * size, dtype=object).reshape(shape)
    if kind == "str":
        return np.full(shape, "a")
    return np.zeros(shape, dtype="datetime64[s]")


def dtype_of(rng):
    return "float32" if rng.random() < 0.6 else "float64"


def sprinkle(rng, a, mode):
    """Valid-input data modes: plain, NaN/Inf sprinkled, huge values, exact zeros and ties."""
    if a.size == 0 or mode == "plain":
        return a
    a = a.copy()
    flat = a.reshape(-1)
    k = max(1, a.size // 4)
    idx = rng.integers(0, a.size, k)
    if mode == "nonfinite":
        flat[idx] = rng.choice([np.nan, np.inf, -np.inf], k)
    elif mode == "huge":
        flat[idx] = rng.choice([1e30, -1e30], k)
    elif mode == "ties":
        flat[:] = np.round(flat)
    return a


def data_mode(rng):
    return rng.choice(["plain"] * 6 + ["nonfinite", "huge", "ties"])


def arg_variants(rng, a, grad_ok=True):
    """An array as a Tensor of a random layout, or (sometimes) as a raw read-only/strided array."""
    r = rng.random()
    if r < 0.15 and a.ndim >= 1:
        return Arg(a, tensor=False, requires_grad=False, layout=rng.choice(["c", "readonly", "f"]))
    layout = rng.choice(["c", "c", "f", "strided"]) if a.ndim >= 1 else "c"
    return Arg(
        a, requires_grad=grad_ok and rng.random() < 0.85, layout=layout, old_grad=rng.random() < 0.3
    )


def materialise(tc, arg: Arg):
    """-> (object passed to the op, leaf tensor whose grad is compared or None)."""
    a = arg.data
    if not isinstance(a, np.ndarray) or a.dtype.kind not in "fiub":
        return a, None
    if not arg.tensor:
        a = a.copy()
        if arg.layout == "f":
            a = np.asfortranarray(a)
        if arg.layout == "readonly":
            a.flags.writeable = False
        return a, None
    if arg.layout == "strided":
        big = np.repeat(a, 2, axis=-1)
        leaf = tc.Tensor(big, requires_grad=arg.requires_grad)
        if arg.old_grad and arg.requires_grad:
            leaf.grad = np.full(big.shape, 0.5, leaf.dtype)
        return leaf[..., ::2], leaf
    data = np.asfortranarray(a) if arg.layout == "f" else a
    leaf = tc.Tensor(data, requires_grad=arg.requires_grad)
    if arg.old_grad and arg.requires_grad:
        leaf.grad = np.full(a.shape, 0.5, leaf.dtype)
    return leaf, leaf


def to_torch(torch, arg: Arg, dtype=None):
    a = arg.data
    if not isinstance(a, np.ndarray) or a.dtype.kind not in "fiub":
        return a, None
    src = a if a.dtype.kind == "f" else a.astype(np.float32)  # the dtype tinygrad_conv computes in
    if dtype is not None:
        src = src.astype(dtype)
    if arg.tensor and arg.layout == "strided":
        leaf = torch.tensor(np.repeat(src, 2, axis=-1), requires_grad=arg.requires_grad)
        if arg.old_grad and arg.requires_grad:
            leaf.grad = torch.full(tuple(leaf.shape), 0.5, dtype=leaf.dtype)
        return leaf[..., ::2], leaf
    leaf = torch.tensor(src, requires_grad=arg.tensor and arg.requires_grad)
    if arg.tensor and arg.old_grad and arg.requires_grad:
        leaf.grad = torch.full(tuple(leaf.shape), 0.5, dtype=leaf.dtype)
    return leaf, (leaf if arg.tensor else None)
