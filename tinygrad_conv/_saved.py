"""What the engine checks about the arrays an op saved for backward, before any backward runs.

- Versions (PyTorch's version counters): an op that saves arrays records its inputs' `_version`s
  (its output starts at 0); in-place methods, optimizer steps, `load_state_dict` and `.data = ...`
  bump them. At backward, a changed version is an error, by name, if the op saved that tensor's
  array (or a view of it); arrays the op made itself (im2col columns, masks) belong to nobody.
  A tensor that views another's memory (x[0], reshape, detach: `_base`) is read at its own
  version plus its bases' (`version_of`), so a change through any of them is seen.
- Release (PyTorch's retain_graph): a backward without `retain_graph=True` drops each ctx's saved
  arrays once used; a later backward through that ctx is a RuntimeError saying so.
- Checksums: under detect_anomaly the saved arrays are checksummed at save time and compared at
  backward, which catches direct NumPy writes that no version counter sees.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

RELEASED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed): {op} saved arrays for backward that were freed when "
    "backward was called. Specify retain_graph=True if you need to backward through the graph "
    "a second time or if you need to access saved tensors after calling backward."
)


def _index_of(array: np.ndarray, datas: tuple) -> int | None:
    """Which of `datas` `array` is, or is a view of the same memory as (same start and shape)."""
    for i, data in enumerate(datas):
        if array is data:
            return i
    base = array.base
    if base is None:
        return None
    for i, data in enumerate(datas):
        if base is data or (
            base is data.base
            and array.shape == data.shape
            and array.__array_interface__["data"][0] == data.__array_interface__["data"][0]
        ):
            return i
    return None


def checksums(saved: tuple) -> tuple:
    return tuple(_checksum(a) for a in saved)


def _checksum(array: Any) -> int | None:
    if not isinstance(array, np.ndarray | np.generic):
        return None
    contiguous = np.ascontiguousarray(array)
    return zlib.crc32(contiguous.view(np.uint8).reshape(-1)) if contiguous.size else 0


def version_of(tensor: Any) -> int:
    """A tensor's version as the engine reads it: its own, plus those of the tensors whose
    memory it views (an in-place change of `x` changes what `x[0]` holds)."""
    total = tensor._version
    base = tensor._base
    while base is not None:
        owner = base()
        if owner is None:
            break
        total += owner._version
        base = owner._base
    return total


def versions(tensors: tuple) -> list[int]:
    return [t._version if t._base is None else version_of(t) for t in tensors]


def verify(tensor: Any, ctx: Any) -> None:
    """Raise RuntimeError if backward cannot trust what `ctx` (tensor's op) saved."""
    if ctx._released:
        raise RuntimeError(RELEASED_MESSAGE.format(op=ctx.fn.name))
    op = ctx.fn.name
    if ctx._versions:
        versions, out = ctx._versions
        for i, parent in enumerate(ctx.parents):
            if version_of(parent) != versions[i] and _holds(ctx, ctx._inputs[i]):
                _raise_modified(ctx, i, parent, versions[i])
        if tensor._version != 0 and isinstance(out, np.ndarray) and _holds(ctx, out):
            _raise_modified(ctx, -1, tensor, 0)
    if ctx._checksums is not None:
        for k, (array, before) in enumerate(zip(ctx.saved_tensors, ctx._checksums, strict=True)):
            if before is not None and _checksum(array) != before:
                raise RuntimeError(
                    f"detect_anomaly: array {k} that {op} saved for backward (shape "
                    f"{tuple(np.shape(array))}) was changed in place after the forward pass "
                    "(its checksum differs); the gradient would be wrong"
                )


def _holds(ctx: Any, data: np.ndarray) -> bool:
    """True if ctx saved `data` (what a tensor held when the op ran) or a view of it."""
    arrays = ctx.saved_tensors + tuple(ctx.__dict__.get("saved", {}).values())
    return any(isinstance(a, np.ndarray) and _index_of(a, (data,)) is not None for a in arrays)


def _raise_modified(ctx: Any, i: int, owner: Any, then: int) -> None:
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: {_describe(ctx, i, owner)} of shape {tuple(owner._data.shape)}, saved by "
        f"{ctx.fn.name}, is at version {version_of(owner)}; expected version {then} instead. Hint: "
        "make the in-place change after backward, or on a .clone()"
    )


def _describe(ctx: Any, i: int, owner: Any) -> str:
    if owner.name:
        return f"tensor {owner.name!r}"
    if i < 0:
        return f"the output of {ctx.fn.name}"
    names = getattr(ctx.fn, "inputs", ())
    label = names[i] if i < len(names) else f"input {i}"
    return f"{label} (input {i} of {ctx.fn.name})"
