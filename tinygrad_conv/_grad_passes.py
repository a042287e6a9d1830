"""How many backward passes a tensor's `.grad` holds, so that pictures and traces can mark a
gradient accumulated over several passes (a forgotten `zero_grad`).

The engine calls `accumulating(tensor)` just before it adds a pass into an existing `.grad` in
place (`tensor.grad += total`).
A count belongs to one grad array: `.grad = None` (zero_grad), assigning another array, or a grad
zeroed in place (all zero before the addition) starts again from one pass.
"""

from __future__ import annotations

import weakref

import numpy as np

# id(tensor) -> (weak ref to the tensor, weak ref to its grad array, passes)
_counts: dict[int, tuple[weakref.ref, weakref.ref, int]] = {}


def _forget(key: int) -> None:
    _counts.pop(key, None)


def accumulating(tensor) -> None:
    """Called before a backward pass adds into tensor.grad (which is not None)."""
    grad = tensor.grad
    key = id(tensor)
    before = passes(tensor) if np.any(grad) else 0  # a grad zeroed in place holds no pass
    _counts[key] = (
        weakref.ref(tensor, lambda _, key=key: _forget(key)),
        weakref.ref(grad),
        before + 1,
    )


def passes(tensor) -> int:
    """0 without a grad, else how many backward passes added into the current grad array."""
    grad = getattr(tensor, "grad", None)
    if grad is None:
        return 0
    entry = _counts.get(id(tensor))
    if entry is None or entry[0]() is not tensor or entry[1]() is not grad:
        return 1
    return entry[2]
