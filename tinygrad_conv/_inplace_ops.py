"""Tensor's augmented assignments (`+=`, `-=`, `*=`, `/=`) and index assignment (`x[i] = v`).

Both change the tensor in place, as in PyTorch, wherever that needs no graph: on a tensor that
does not require grad, or under no_grad (an optimizer step `w -= lr * w.grad` keeps `w` a leaf
and bumps its version). On a leaf that requires grad with grad mode on, PyTorch's RuntimeError.

With grad mode on and a tensor made by an op that requires grad (or an operand that requires
grad), PyTorch records the in-place change in the graph. This library does not rewrite a graph
in place. `y += v` gives the out-of-place result (a new node) that Python rebinds the name to,
which is exactly PyTorch's value and gradient provided nothing else holds `y` (no other name,
container or op that used it: those would keep seeing the old value); when something does, it
is a RuntimeError saying how to write it out of place. `y[i] = v` on such a tensor (or with a
value that requires grad) is recorded as a `setitem` node that `y` itself becomes (its previous
value moves to a new tensor, the node's first parent), under the same condition; otherwise a
RuntimeError. Recording there is exact: no other name or op can see `y` change.
"""

from __future__ import annotations

import sys
import weakref
from typing import Any

import numpy as np

from . import autograd
from ._grad_mode import state as _modes
from ._tensor_extras import _operand, _writable, check_cast
from .ops.elementwise import unbroadcast

_SYMBOLS = {"add_": "+", "sub_": "-", "mul_": "*", "div_": "/"}


class _Probe:
    count = 0

    def __iadd__(self, other: Any) -> int:
        return sys.getrefcount(self)

    def __setitem__(self, index: Any, value: Any) -> None:
        refs = sys.getrefcount(self)
        _Probe.count = refs


def _unshared_counts() -> tuple[int, int]:
    """What sys.getrefcount(self) is inside __iadd__ / __setitem__ when only the name that is
    assigned to holds self (any other holder, an op's parents included, adds to it)."""
    probe = _Probe()
    probe[0] = 0
    probe += 0
    return probe, _Probe.count


_UNSHARED, _UNSHARED_SETITEM = _unshared_counts()


def _augmented(tensor: Any, other: Any, op: str, refs: int) -> Any:
    if not _modes.grad_enabled or not (
        tensor.requires_grad or (autograd.is_tensor(other) and other.requires_grad)
    ):
        return getattr(tensor, op)(other)  # in place, version bumped
    symbol = _SYMBOLS[op] + "="
    if tensor.requires_grad and tensor._ctx is None:
        _writable(tensor, symbol)  # PyTorch's leaf RuntimeError
    if other is tensor:
        refs -= 2  # `y += y`: the operand's own two references
    if refs > _UNSHARED or weakref.getweakrefcount(tensor):  # weak: views, detached copies
        made = "a tensor made by " + tensor.op if tensor._ctx is not None else "this tensor"
        raise RuntimeError(
            f"{symbol}: {made} is in a graph (it or the operand requires grad) and something "
            f"else also holds it (another name, a container, a view, or an op that used it), which "
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


class SetItem(autograd.Function):
    """y[index] = value as a graph node: the gradient goes to the value at `index` (summed over
    what was broadcast) and to the previous y everywhere else."""

    name = "setitem"
    inputs = ("x", "value")

    @staticmethod
    def forward(ctx: autograd.Context, x, value, index):
        out = x.copy()
        out[index] = value
        return out

    @staticmethod
    def backward(ctx: autograd.Context, grad_out):
        index = ctx.params["index"]
        grad_x = grad_value = None
        if ctx.needs_input_grad[0]:
            grad_x = grad_out.copy()
            grad_x[index] = 0
        if ctx.needs_input_grad[1]:
            shape, dtype = ctx.input_shapes[1], ctx.input_dtypes[1]
            core = shape
            while len(core) > grad_out[index].ndim and core[0] == 1:
                core = core[1:]
            grad_value = unbroadcast(grad_out[index], core, dtype).reshape(shape)
        return grad_x, grad_value


def _refuse(tensor: Any, why: str) -> None:
    made = f"a tensor made by {tensor.op}" if tensor._ctx is not None else "this tensor"
    raise RuntimeError(
        f"setitem: {made} would join the graph (it or the value requires grad), but {why}, so "
        f"the assignment cannot be recorded exactly. Build it out of place (tc.where(mask, "
        f"value, y) for a mask, tc.cat/tc.stack for pieces), or assign under "
        f"`with tc.no_grad():`"
    )


def _record(tensor: Any, index: Any, value: Any, refs: int) -> None:
    """Make `tensor` the setitem node over a new tensor that takes its previous value."""
    if refs > _UNSHARED_SETITEM:
        _refuse(
            tensor,
            "something else also holds it (another name, a container, or an op "
            "that used it) and would keep seeing the old value",
        )
    if weakref.getweakrefcount(tensor) or tensor._hooks or tensor._grad is not None:
        _refuse(tensor, "it has hooks, a .grad or a detached copy")
    if not all(
        isinstance(i, (int, slice)) or i is None or i is Ellipsis
        for i in (index if isinstance(index, tuple) else (index,))
    ):
        cells = np.arange(tensor._data.size).reshape(tensor._data.shape)[index]
        if np.unique(cells).size != cells.size:
            _refuse(tensor, "the index repeats an element (which value wins is undefined)")
    old = autograd.make_tensor(tensor._data, tensor.requires_grad, tensor._ctx)
    old.name, old._module, old._version = tensor.name, tensor._module, tensor._version
    old._base = tensor._base  # the old value keeps viewing what it viewed
    out = SetItem.apply(old, value, index=index)
    tensor._data, tensor._ctx, tensor.requires_grad = out._data, out._ctx, out.requires_grad
    tensor._base = None  # a fresh array
    tensor._version = old._version + 1


def _mask_refs(tensor: Any, index: Any) -> int:
    """How often index tensors made from `tensor` (`y > 0`) hold it as a parent: an int or bool
    tensor never passes a gradient on, so that hold cannot route one wrongly."""
    count = 0
    for item in index if isinstance(index, tuple) else (index,):
        if autograd.is_tensor(item) and item._ctx is not None and not item.requires_grad:
            count += sum(parent is tensor for parent in item._ctx.parents)
    return count


def setitem(tensor: Any, index: Any, value: Any, refs: int = 0) -> None:
    recorded = _modes.grad_enabled and (
        tensor.requires_grad or (autograd.is_tensor(value) and value.requires_grad)
    )
    if recorded and tensor.requires_grad and tensor._ctx is None:
        _writable(tensor, "setitem")  # PyTorch's leaf RuntimeError
    if not recorded:
        _writable(tensor, "setitem")  # read-only arrays
    raw, index = index, _index(index)
    array = _value(value)
    target = _target_shape(tensor._data.shape, index)
    if not _fits(array.shape, target):
        raise RuntimeError(
            f"setitem: shape mismatch: value of shape {array.shape} cannot be broadcast to "
            f"the indexing result of shape {target}"
        )
    if array.dtype.kind == "f" and tensor._data.dtype.kind in "iub":
        if recorded:
            raise RuntimeError(
                f"setitem: a float value that requires grad cannot be stored in a "
                f"{tensor.dtype} tensor (its gradient would be lost)"
            )
        if not np.isfinite(array).all():
            raise ValueError(f"setitem: NaN or Inf cannot be stored in a {tensor.dtype} tensor")
    if recorded:
        refs -= _mask_refs(tensor, raw)
        _record(tensor, index, value if autograd.is_tensor(value) else array, refs)
        return
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
        refs = sys.getrefcount(self)  # first: see __iadd__
        setitem(self, index, value, refs)
