"""Ops that join tensors or grow one: cat, stack, pad (constant mode, PyTorch's pad tuple)."""

from __future__ import annotations

import numpy as np

from .._checks import is_int
from ..autograd import Context, Function, is_tensor
from ._args import one_of, promote

__all__ = ["cat", "concat", "stack", "pad"]


def _check_dim(op: str, dim, ndim: int) -> int:
    if not is_int(dim):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    if not -ndim <= dim < ndim:
        raise ValueError(
            f"{op}: dim {dim} is out of range for {ndim} dims (expected {-ndim} to {ndim - 1})"
        )
    return int(dim) % ndim


class Cat(Function):
    """y = the tensors side by side along dim; each gets back its slice of the gradient."""

    name = "cat"
    inputs = ("tensors",)

    @staticmethod
    def check(*arrays, dim=0):
        first = arrays[0]
        if first.ndim == 0:
            raise ValueError("cat: zero-dimensional tensors cannot be concatenated; use stack")
        d = _check_dim("cat", dim, first.ndim)
        for i, a in enumerate(arrays):
            if (
                a.ndim != first.ndim
                or a.shape[:d] + a.shape[d + 1 :] != first.shape[:d] + first.shape[d + 1 :]
            ):
                raise ValueError(
                    f"cat: tensors must match in every dim but {d}, got shapes "
                    f"{first.shape} and {a.shape} (tensor {i})"
                )
        return {"dim": d}

    @staticmethod
    def forward(ctx: Context, *arrays, dim):
        return np.concatenate(promote(*arrays), axis=dim)

    @staticmethod
    def backward(ctx: Context, grad_out):
        dim = ctx.params["dim"]
        ends = np.cumsum([shape[dim] for shape in ctx.input_shapes])[:-1]
        pieces = np.split(grad_out, ends, axis=dim)
        return tuple(
            p.astype(dt, copy=False) if need else None
            for p, dt, need in zip(pieces, ctx.input_dtypes, ctx.needs_input_grad, strict=True)
        )


class Stack(Function):
    """y = the tensors along a new dim; each gets back its slice of the gradient."""

    name = "stack"
    inputs = ("tensors",)

    @staticmethod
    def check(*arrays, dim=0):
        first = arrays[0]
        d = _check_dim("stack", dim, first.ndim + 1)
        for i, a in enumerate(arrays):
            if a.shape != first.shape:
                raise ValueError(
                    f"stack: tensors must all have one shape, got {first.shape} "
                    f"and {a.shape} (tensor {i})"
                )
        return {"dim": d}

    @staticmethod
    def forward(ctx: Context, *arrays, dim):
        return np.stack(promote(*arrays), axis=dim)

    @staticmethod
    def backward(ctx: Context, grad_out):
        dim = ctx.params["dim"]
        return tuple(
            np.take(grad_out, i, axis=dim).astype(dt, copy=False) if need else None
            for i, (dt, need) in enumerate(zip(ctx.input_dtypes, ctx.needs_input_grad, strict=True))
        )


def _tensor_list(op: str, tensors):
    if is_tensor(tensors) or not isinstance(tensors, (list, tuple)):
        raise TypeError(
            f"{op}: tensors must be a list or tuple of tensors, got {type(tensors).__name__}"
        )
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty list of tensors, got an empty one")
    return tuple(tensors)


def cat(tensors, dim=None, *, axis=None):
    dim = one_of("cat", "dim", dim, "axis", axis, 0)
    return Cat.apply(*_tensor_list("cat", tensors), dim=dim)


concat = cat


def stack(tensors, dim=None, *, axis=None):
    dim = one_of("stack", "dim", dim, "axis", axis, 0)
    return Stack.apply(*_tensor_list("stack", tensors), dim=dim)


class Pad(Function):
    """Constant padding; `pad` is PyTorch's (left, right, top, bottom, ...) tuple, last dim first.
    Negative amounts crop, as in PyTorch. dL/dx is the gradient's slice over x."""

    name = "pad"
    inputs = ("x",)

    @staticmethod
    def check(x, pad, mode="constant", value=0.0):
        if not isinstance(pad, (tuple, list)) or not all(is_int(p) for p in pad):
            raise TypeError(f"pad: pad must be a tuple of ints, got {pad!r}")
        if len(pad) % 2 or len(pad) // 2 > x.ndim:
            raise ValueError(
                f"pad: pad must have an even length of at most 2 * {x.ndim} (two "
                f"per dim, last dim first), got {len(pad)}"
            )
        if mode != "constant":
            raise NotImplementedError(f"pad: only mode='constant' is implemented, got {mode!r}")
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
            raise TypeError(f"pad: value must be a number, got {value!r}")
        widths = [(0, 0)] * x.ndim
        for k in range(len(pad) // 2):
            widths[x.ndim - 1 - k] = (int(pad[2 * k]), int(pad[2 * k + 1]))
        for d, (before, after) in enumerate(widths):
            if x.shape[d] + before + after < 0:
                raise ValueError(
                    f"pad: dim {d} of size {x.shape[d]} padded by ({before}, "
                    f"{after}) would have a negative size"
                )
        return {"pad": tuple(widths), "mode": mode, "value": value}

    @staticmethod
    def forward(ctx: Context, x, pad, mode, value):
        out_shape = tuple(s + b + a for s, (b, a) in zip(x.shape, pad, strict=True))
        out = np.full(out_shape, value, dtype=x.dtype)
        ctx.slices = _slices(x.shape, pad)
        src, dst = ctx.slices
        out[dst] = x[src]
        return out

    @staticmethod
    def backward(ctx: Context, grad_out):
        (shape,), (dtype,) = ctx.input_shapes, ctx.input_dtypes
        src, dst = ctx.slices
        grad = np.zeros(shape, dtype=dtype)
        grad[src] = grad_out[dst]
        return (grad,)


def _slices(shape, widths):
    """The part of x that survives (src) and where it lands in the output (dst)."""
    src, dst = [], []
    for size, (before, after) in zip(shape, widths, strict=True):
        start = max(-before, 0)
        stop = size - max(-after, 0)
        length = max(stop - start, 0)
        src.append(slice(start, start + length))
        dst.append(slice(max(before, 0), max(before, 0) + length))
    return tuple(src), tuple(dst)


def pad(x, pad, mode="constant", value=None):  # noqa: A002 - PyTorch's argument names
    return Pad.apply(x, pad=pad, mode=mode, value=0.0 if value is None else value)
