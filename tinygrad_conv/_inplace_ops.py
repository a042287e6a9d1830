"""Tensor's augmented assignments (`+=`, `-=`, `*=`, `/=`) and index assignment (`x[i] = v`).

Both change the tensor in place, as in PyTorch, wherever that needs no graph: on a tensor that
does not require grad, or under no_grad (an optimizer step `w -= lr * w.grad` keeps `w` a leaf
and bumps its version). On a leaf that requires grad with grad mode on, PyTorch's RuntimeError.

With grad mode on and a tensor made by an op that requires grad (or an operand that requires
grad), PyTorch records the in-place change in the graph. This library does not rewrite a graph
in place. `y += v` gives the out-of-place result (a new node) that Python rebinds the name to,
which is exactly PyTorch's value and gradient provided nothing else holds `y` (no other name,
container or op that used it: those would keep seeing the old value); when something does, it
is a RuntimeError saying how to write it out of place. `y[i] = v` on such a tensor is refused
with a RuntimeError (PyTorch's CopySlices is not recorded).
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from . import autograd
from ._grad_mode import state as _modes
from ._tensor_extras import InPlaceMethods, _operand, _writable, check_cast

_SYMBOLS = {"add_": "+", "sub_": "-", "mul_": "*", "div_": "/"}


class _Probe:
    def __iadd__(self, other: Any) -> int:
        return sys.getrefcount(self)


def _unshared_count() -> int:
    """What sys.getrefcount(self) is inside __iadd__ when only the assigned name holds self."""
    probe = _Probe()
    probe += 0
    return probe


_UNSHARED = _unshared_count()


def _augmented(tensor: Any, other: Any, op: str, refs: int) -> Any:
    if not _modes.grad_enabled or not (
        tensor.requires_grad or (autograd.is_tensor(other) and other.requires_grad)
    ):
        return getattr(InPlaceMethods, op)(tensor, other)  # in place, version bumped
    symbol = _SYMBOLS[op] + "="
    if tensor.requires_grad and tensor._ctx is None:
        _writable(tensor, symbol)  # PyTorch's leaf RuntimeError
    if refs > _UNSHARED:
        made = "a tensor made by " + tensor.op if tensor._ctx is not None else "this tensor"
        raise RuntimeError(
            f"{symbol}: {made} is in a graph (it or the operand requires grad) and something "
            f"else also holds it (another name, a container, or an op that used it), which "
            f"would keep seeing the old value: this library does not record in-place changes "
            f"in the graph. Write it out of place, `y = y {_SYMBOLS[op]} other`, or do it "
            f"under `with tc.no_grad():`"
        )
    array = _operand(tensor, other, symbol, recorded=True)  # the result keeps tensor's shape
    check_cast(tensor, array, op)
    if op == "add_":
        result = tensor + other
    elif op == "sub_":
        result = tensor - other
    elif op == "mul_":
        result = tensor * other
    else:
        result = tensor / other
    if result.dtype != tensor.dtype:
        result = result.to(tensor.dtype)  # float64 operand into a float32 tensor: float32
    result._version = tensor._version + 1
    return result


def _index(index: Any) -> Any:
    from .ops.movement import _plain_index  # getitem's rules for what may index

    try:
        return _plain_index(index)
    except (IndexError, TypeError, ValueError) as err:
        raise type(err)(str(err).replace("getitem", "setitem", 1)) from None


def _value(value: Any) -> np.ndarray:
    if autograd.is_tensor(value):
        return value._data
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"setitem: value must be a number, an array or a Tensor, got {type(value).__name__}"
        ) from err
    if array.dtype.kind not in "fiub":
        raise TypeError(
            f"setitem: value must be a number, an array or a Tensor, got "
            f"{type(value).__name__} of dtype {array.dtype}"
        )
    return array


def _target_shape(shape: tuple, index: Any) -> tuple:
    try:
        return np.empty(shape, dtype=np.bool_)[index].shape  # NumPy's rules, on a cheap dummy
    except IndexError as err:
        raise IndexError(f"setitem: index {index!r} is invalid for shape {shape}: {err}") from None
    except (TypeError, ValueError) as err:
        raise TypeError(f"setitem: unsupported index {index!r}: {err}") from None


def _fits(value: tuple, target: tuple) -> bool:
    """NumPy's assignment broadcast: leading 1s of the value may be dropped."""
    while len(value) > len(target) and value[0] == 1:
        value = value[1:]
    try:
        return np.broadcast_shapes(value, target) == target
    except ValueError:
        return False


def setitem(tensor: Any, index: Any, value: Any) -> None:
    if _modes.grad_enabled:
        if tensor.requires_grad and tensor._ctx is None:
            _writable(tensor, "setitem")  # PyTorch's leaf RuntimeError
        if tensor.requires_grad:
            raise RuntimeError(
                f"setitem: a tensor made by {tensor.op} that requires grad cannot be assigned to "
                f"by index: this library does not record index assignment in the graph. Build "
                f"it out of place (tc.where(mask, value, y) for a mask, tc.cat/tc.stack for "
                f"pieces), or assign under `with tc.no_grad():`"
            )
        if autograd.is_tensor(value) and value.requires_grad:
            raise RuntimeError(
                "setitem: the value requires grad, and index assignment is not recorded in the "
                "graph (its gradient would be lost). Build the result out of place (tc.where, "
                "tc.cat, tc.stack), or assign a .detach()ed value"
            )
    _writable(tensor, "setitem")  # read-only arrays
    index = _index(index)
    array = _value(value)
    target = _target_shape(tensor._data.shape, index)
    if not _fits(array.shape, target):
        raise RuntimeError(
            f"setitem: shape mismatch: value of shape {array.shape} cannot be broadcast to "
            f"the indexing result of shape {target}"
        )
    if array.dtype.kind == "f" and tensor._data.dtype.kind in "iu":
        if not np.isfinite(array).all():
            raise ValueError(f"setitem: NaN or Inf cannot be stored in a {tensor.dtype} tensor")
    tensor._data[index] = array  # NumPy converts any dtype, as PyTorch's index_put_ does
    tensor._bump_version()


class InPlaceOperators:
    """Mixed into Tensor: `+=`, `-=`, `*=`, `/=` and `x[index] = value` (see the module doc)."""

    __slots__ = ()

    def __iadd__(self, other: Any) -> Any:
        refs = sys.getrefcount(self)  # first: pushing self for the call adds one
        return _augmented(self, other, "add_", refs)

    def __isub__(self, other: Any) -> Any:
        refs = sys.getrefcount(self)  # first: pushing self for the call adds one
        return _augmented(self, other, "sub_", refs)

    def __imul__(self, other: Any) -> Any:
        refs = sys.getrefcount(self)  # first: pushing self for the call adds one
        return _augmented(self, other, "mul_", refs)

    def __itruediv__(self, other: Any) -> Any:
        refs = sys.getrefcount(self)  # first: pushing self for the call adds one
        return _augmented(self, other, "div_", refs)

    def __setitem__(self, index: Any, value: Any) -> None:
        setitem(self, index, value)
