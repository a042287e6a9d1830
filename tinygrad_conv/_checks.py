"""Argument normalisers and validators shared by the ops: each raises ValueError/TypeError with a
message naming the op, the argument, what was expected and what was given."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
INT_LIMIT = 2**31 - 1  # sizes, strides and paddings reach the kernels as C ints


def is_int(value: Any) -> bool:
    """True for Python/NumPy integers, False for bool and everything else."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def as_pair(op: str, name: str, value: Any, minimum: int = 1) -> tuple[int, int]:
    """Normalise an int or an (h, w) pair of ints, each >= minimum, to a tuple of two ints."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2 or not all(is_int(v) for v in items):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if any(v < minimum or v > INT_LIMIT for v in items):
        raise ValueError(f"{op}: {name} must be >= {minimum} and <= {INT_LIMIT}, got {value!r}")
    return int(items[0]), int(items[1])


def as_int(op: str, name: str, value: Any, minimum: int | None = None) -> int:
    if not is_int(value):
        raise TypeError(f"{op}: {name} must be an int, got {value!r}")
    if (minimum is not None and value < minimum) or abs(value) > INT_LIMIT:
        low = "" if minimum is None else f" >= {minimum} and"
        raise ValueError(f"{op}: {name} must be{low} <= {INT_LIMIT}, got {value!r}")
    return int(value)


def check_ndim(op: str, name: str, array: np.ndarray, ndim: int, layout: str) -> None:
    if array.ndim != ndim:
        raise ValueError(f"{op}: {name} must be {ndim}-D {layout}, got shape {tuple(array.shape)}")


def check_float(op: str, name: str, array: np.ndarray) -> None:
    if array.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{op}: {name} must be float32 or float64, got dtype {array.dtype}")


def check_same_dtype(op: str, **arrays: np.ndarray | None) -> None:
    """All given arrays share one float dtype (the kernels take one fused type per call)."""
    given = {name: a.dtype for name, a in arrays.items() if a is not None}
    if len(set(given.values())) > 1:
        listed = ", ".join(f"{name} {dtype}" for name, dtype in given.items())
        hint = ""
        if "x" in given and "weight" in given and given["x"] != given["weight"]:
            # the usual cause: a float64 batch into a float32 model, or the reverse
            to = "float" if given["weight"] == np.float32 else "double"
            hint = (
                f"; convert the input with x.{to}() (or the model with model."
                f"{'double' if to == 'float' else 'float'}() to compute in "
                f"{'float64' if to == 'float' else 'float32'} throughout)"
            )
        raise TypeError(f"{op}: inputs must share one dtype, got {listed}{hint}")


def normalize_axis(op: str, axis: Any, ndim: int) -> tuple[int, ...] | None:
    """None, an int or a tuple of ints -> a sorted tuple of non-negative axes (None means all)."""
    if axis is None:
        return None
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    if not all(is_int(a) for a in axes):
        raise TypeError(f"{op}: axis must be None, an int or a tuple of ints, got {axis!r}")
    normalized = []
    for a in axes:
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"{op}: axis {a} is out of range for a {ndim}-D tensor")
        normalized.append(int(a) % max(ndim, 1))
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"{op}: axis has repeated entries: {axis!r}")
    return tuple(sorted(normalized))


def check_choice(op: str, name: str, value: Any, choices: tuple) -> Any:
    """`value` is one of `choices` (reduction, mode, schedule ...). A value of the wrong kind and a
    wrong value are both ValueError, as PyTorch's `reduction=` check is, so the functional form and
    the layer agree."""
    if not isinstance(value, (str, int, float, type(None))) or value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{op}: {name} must be one of {listed}, got {value!r}")
    return value


def as_real(
    op: str,
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    finite: bool = True,
) -> float:
    """A real number (Python or NumPy; not a bool) within [low, high] (or open ends) -> float.
    NaN is always refused, and so are infinities unless finite=False."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{op}: {name} must be a real number, got {value!r}")
    number = float(value)
    bad = number != number or (finite and number in (float("inf"), float("-inf")))
    if low is not None:
        bad = bad or number < low or (low_open and number == low)
    if high is not None:
        bad = bad or number > high or (high_open and number == high)
    if bad:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        span = f"{left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"
        raise ValueError(f"{op}: {name} must lie in {span}, got {value!r}")
    return number


def as_count(op: str, name: str, value: Any, low: int, high: int) -> int:
    """An int (Python or NumPy; not a bool) in [low, high], e.g. a thread count."""
    if not is_int(value):
        raise TypeError(f"{op}: {name} must be an int, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{op}: {name} must be between {low} and {high}, got {value!r}")
    return int(value)


REDUCTIONS = ("mean", "sum", "none")


def check_reduction(op: str, value: Any) -> str:
    """A loss's `reduction=`: "mean", "sum" or "none"; anything else (None, 3, "avg") is a
    ValueError, as in PyTorch."""
    return check_choice(op, "reduction", value, REDUCTIONS)


def as_bool(op: str, name: str, value: Any) -> bool:
    """A flag: a Python or NumPy bool (not 0/1, not None) -> bool."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{op}: {name} must be a bool, got {value!r}")
    return bool(value)


def pool_window(
    op: str, kernel_size: Any, stride: Any, padding: Any
) -> tuple[tuple[int, int], ...]:
    """A pooling window, PyTorch's rules: kernel_size and stride >= 1 (stride None means the
    kernel), 0 <= padding <= kernel / 2 -> (kernel, stride, padding) as pairs."""
    kh, kw = as_pair(op, "kernel_size", kernel_size, minimum=1)
    sh, sw = (kh, kw) if stride is None else as_pair(op, "stride", stride, minimum=1)
    ph, pw = as_pair(op, "padding", padding, minimum=0)
    if 2 * ph > kh or 2 * pw > kw:
        raise ValueError(
            f"{op}: padding must be at most half of kernel_size {(kh, kw)}, got padding {(ph, pw)}"
        )
    return (kh, kw), (sh, sw), (ph, pw)


def as_output_size(op: str, value: Any) -> tuple[int | None, int | None]:
    """An adaptive pool's output_size: an int, or a pair of ints or None (None keeps the input's
    size), each >= 1 -> a pair."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2 or not all(v is None or is_int(v) for v in items):
        raise TypeError(
            f"{op}: output_size must be an int or a pair of ints (None keeps the "
            f"input's size), got {value!r}"
        )
    if any(v is not None and not 1 <= v <= INT_LIMIT for v in items):
        raise ValueError(f"{op}: output_size must be >= 1 and <= {INT_LIMIT}, got {value!r}")
    return tuple(None if v is None else int(v) for v in items)
