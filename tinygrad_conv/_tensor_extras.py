"""Tensor's in-place methods (add_, mul_, ..., each bumping the version counter), clone, the
callable `.size` and hook handles: the parts of PyTorch's Tensor that are not ops."""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from . import autograd
from ._grad_mode import state as _modes
from .ops._args import scalar_dtype


class Clone(autograd.Function):
    name = "clone"
    inputs = ("x",)

    @staticmethod
    def forward(ctx: autograd.Context, x):
        return x.copy()

    @staticmethod
    def backward(ctx: autograd.Context, grad_out):
        return (grad_out,)  # d clone(x)/dx = 1


def _writable(tensor: Any, op: str) -> None:
    """PyTorch's rule: no in-place change of a tensor that requires grad while grad mode is on
    (the graph would not see it); under no_grad it is allowed and bumps the version."""
    if tensor.requires_grad and _modes.grad_enabled:
        what = (
            "a leaf Variable that requires grad is being used in an in-place operation"
            if tensor._ctx is None
            else f"a tensor made by {tensor._ctx.fn.name} that requires grad cannot be changed "
            "in place (the graph would not record it)"
        )
        raise RuntimeError(
            f"{op}: {what}; do it under `with tc.no_grad():`, or on a .detach()ed copy"
        )
    if not tensor._data.flags.writeable:
        raise RuntimeError(
            f"{op}: this tensor's array is read-only (a broadcast view?); .clone() it first"
        )


def _operand(
    tensor: Any, other: Any, op: str, name: str = "other", recorded: bool = False
) -> np.ndarray:
    if autograd.is_tensor(other):
        if other.requires_grad and _modes.grad_enabled and not recorded:
            raise RuntimeError(
                f"{op}: {name} requires grad, and an in-place method is not recorded in the "
                f"graph (its gradient would be lost); write it out of place (`y = y + {name}`) "
                "or pass a .detach()ed value"
            )
        array = other._data
    elif isinstance(other, (bool, int, float, np.bool_, np.integer, np.floating)):
        # A Python scalar takes the tensor's dtype, as in PyTorch (a float one beside an int
        # tensor is float32), so float32 arithmetic is not done in float64 first.
        dtype = scalar_dtype(other, tensor._data.dtype)
        try:
            array = np.asarray(other, dtype=dtype)
        except OverflowError:
            raise RuntimeError(
                f"{op}: {name}={other!r} cannot be converted to the tensor's dtype {dtype} "
                "without overflow"
            ) from None
    else:
        array = np.asarray(other)
    if array.dtype.kind not in "fiub":
        raise TypeError(
            f"{op}: {name} must be a number, an array or a Tensor, got "
            f"{type(other).__name__} of dtype {array.dtype}"
        )
    try:
        shape = np.broadcast_shapes(tensor._data.shape, array.shape)
    except ValueError:
        shape = None
    if shape != tensor._data.shape:
        raise ValueError(
            f"{op}: {name} of shape {array.shape} does not broadcast to the "
            f"tensor's shape {tensor._data.shape} (an in-place result keeps it)"
        )
    return array


def _result_type(op: str, tensor: np.dtype, other: np.dtype) -> np.dtype:
    """PyTorch's result type of an in-place op (true division of ints gives float32)."""
    if tensor.kind != "f" and other.kind == "f":
        return other  # PyTorch: the float operand's dtype wins over any int one
    result = np.result_type(tensor, other)
    if op == "div_" and result.kind in "iub":
        return np.dtype(np.float32)
    return result


def check_cast(tensor: Any, array: np.ndarray, op: str) -> None:
    """PyTorch's in-place rule: the result type must be castable to the tensor's dtype (no
    float into an int tensor, no number into a bool tensor); a RuntimeError names both."""
    dtype = tensor._data.dtype
    if dtype.kind == "f":
        return  # any real result fits a float tensor (the hot path: optimizer steps)
    result = _result_type(op, dtype, array.dtype)
    if (result.kind == "f" and dtype.kind != "f") or (result.kind != "b" and dtype.kind == "b"):
        raise RuntimeError(
            f"{op}: result type {result} can't be cast to the tensor's dtype {dtype} "
            "(an in-place result keeps the tensor's dtype)"
        )
    if op == "sub_" and dtype.kind == "b":
        raise RuntimeError(f"{op}: subtraction of bool tensors is not supported")


def _ufunc(tensor: Any, func: np.ufunc, array: np.ndarray, op: str) -> Any:
    check_cast(tensor, array, op)
    func(tensor._data, array, out=tensor._data, casting="unsafe")  # checked above, as PyTorch
    tensor._bump_version()
    return tensor


def _scalar(value: Any, op: str, name: str) -> Any:
    if autograd.is_tensor(value) and value._data.size == 1:
        value = value._data.reshape(()).item()
    if not isinstance(value, numbers.Number):
        raise TypeError(f"{op}: {name} must be a number, got {value!r}")
    return value


class InPlaceMethods:
    """Mixed into Tensor: in-place updates that return self and bump `_version`."""

    __slots__ = ()

    def add_(self, other: Any, *, alpha: Any = 1) -> Any:
        _writable(self, "add_")
        array = _operand(self, other, "add_")
        return _ufunc(self, np.add, array if alpha == 1 else array * alpha, "add_")

    def sub_(self, other: Any, *, alpha: Any = 1) -> Any:
        _writable(self, "sub_")
        array = _operand(self, other, "sub_")
        return _ufunc(self, np.subtract, array if alpha == 1 else array * alpha, "sub_")

    def mul_(self, other: Any) -> Any:
        _writable(self, "mul_")
        return _ufunc(self, np.multiply, _operand(self, other, "mul_"), "mul_")

    def div_(self, other: Any) -> Any:
        _writable(self, "div_")
        return _ufunc(self, np.true_divide, _operand(self, other, "div_"), "div_")

    def zero_(self) -> Any:
        _writable(self, "zero_")
        self._data[...] = 0
        self._bump_version()
        return self

    def fill_(self, value: Any) -> Any:
        _writable(self, "fill_")
        self._data[...] = _scalar(value, "fill_", "value")
        self._bump_version()
        return self

    def copy_(self, src: Any) -> Any:
        _writable(self, "copy_")
        array = _operand(self, src, "copy_", "src")
        np.copyto(self._data, array, casting="unsafe")  # PyTorch's copy_ converts any dtype
        self._bump_version()
        return self

    def clamp_(self, min: Any = None, max: Any = None) -> Any:  # noqa: A002 - PyTorch's names
        _writable(self, "clamp_")
        if min is None and max is None:
            raise ValueError("clamp_: at least one of 'min' or 'max' must not be None")
        low = None if min is None else _operand(self, min, "clamp_", "min")
        high = None if max is None else _operand(self, max, "clamp_", "max")
        np.clip(self._data, low, high, out=self._data, casting="same_kind")
        self._bump_version()
        return self

    clip_ = clamp_


class _Size(int):
    """`t.size`: NumPy's element count (an int), callable as PyTorch's `t.size()` (the shape)
    and `t.size(dim)` (one dim)."""

    def __new__(cls, shape: tuple[int, ...]) -> _Size:
        value = super().__new__(cls, math.prod(shape))
        value._shape = shape
        return value

    def __call__(self, dim: Any = None) -> Any:
        shape = self._shape
        if dim is None:
            return shape
        if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, numbers.Integral):
            raise TypeError(f"size: dim must be an int, got {dim!r}")
        if not shape:
            raise IndexError(f"size: dimension specified as {dim} but tensor has no dimensions")
        if not -len(shape) <= dim < len(shape):
            raise IndexError(
                f"size: Dimension out of range (expected to be in range of "
                f"[{-len(shape)}, {len(shape) - 1}], but got {dim})"
            )
        return shape[dim]

    def __reduce__(self) -> tuple:
        return int, (int(self),)


class RemovableHandle:
    """What register_hook and the modules' register_*_hook return: `.remove()` takes the hook
    away (also on leaving a `with`)."""

    _ids = itertools.count()

    def __init__(self, hooks: dict[int, Callable], hook: Callable) -> None:
        self.id = next(RemovableHandle._ids)
        self._hooks = hooks
        hooks[self.id] = hook

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()
