"""Formatting shared by pictures, traces and error messages: numbers, arrays, op parameters and
tensors in a few words. Pure functions of their arguments; this module imports nothing of the
package, so any module may use it."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

DIGITS = 4  # significant digits of every number shown (2.125 stays 2.125)
MAX_TEXT = 80  # names longer than this are shortened in the middle


def fmt(value: Any) -> str:
    """A number in DIGITS significant digits (-0 shown as 0)."""
    return f"{float(value) + 0.0:.{DIGITS}g}"


def safe_text(text: Any, limit: int = MAX_TEXT) -> str:
    """`text` with control characters made visible (\\n, \\x1b) and shortened to about `limit`
    characters (the middle replaced by an ellipsis), so a label always renders."""
    text = str(text)
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in text):
        text = "".join(repr(c)[1:-1] if ord(c) < 32 or 127 <= ord(c) < 160 else c for c in text)
    if len(text) > limit:
        keep = (limit - 1) // 2
        text = f"{text[:keep]}\u2026{text[-keep:]}"
    return text


def data_summary(array: np.ndarray) -> str:
    if array.size == 0:
        return "empty"
    a = np.asarray(array, dtype=np.float64)
    return f"min {fmt(np.min(a))}  mean {fmt(np.mean(a))}  max {fmt(np.max(a))}"


def grad_summary(array: np.ndarray, inline: int = 0) -> str:
    """norm, min and max; or the values themselves when there are at most `inline` of them."""
    if array.size == 0:
        return "empty"
    a = np.asarray(array, dtype=np.float64)
    if a.size <= inline:
        text = " ".join(fmt(v) for v in tidy(a).ravel())
        return text if a.size == 1 else f"[{text}]"
    if not np.any(a):
        return "all zero"
    return f"norm {fmt(np.linalg.norm(a))}  min {fmt(np.min(a))}  max {fmt(np.max(a))}"


def format_param(value: Any) -> str:
    """An op parameter for a label: tuples compact, slices as a:b, arrays by shape."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return ", ".join(
            f"{f.name}={format_param(getattr(value, f.name))}" for f in dataclasses.fields(value)
        )
    if isinstance(value, np.ndarray):
        return str(value.tolist()) if value.size <= 6 else f"array{value.shape}"
    if isinstance(value, slice):
        parts = ["" if x is None else str(x) for x in (value.start, value.stop)]
        return ":".join(parts) + (f":{value.step}" if value.step is not None else "")
    if isinstance(value, tuple):
        inner = ", ".join(format_param(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, float):
        return fmt(value)
    return safe_text(value)


def tidy(array: np.ndarray) -> np.ndarray:
    """A float64 copy with rounding noise (below 1e-6 of the largest magnitude) shown as 0."""
    array = np.array(array, dtype=np.float64)
    if array.size and np.isfinite(array).all():
        array[np.abs(array) < 1e-6 * np.max(np.abs(array))] = 0.0
    return array


def describe(t) -> str:
    """A tensor in a few words: its name, else what made it; then its shape."""
    what = (
        safe_text(t.name)
        if t.name
        else (f"{t.op} output" if t.op else "leaf" if t.requires_grad else "constant")
    )
    return f"{what} {tuple(t.shape)}"


def show(array: np.ndarray, tiny: int = 9) -> str:
    """Values when there are at most `tiny` of them, else a summary."""
    array = np.asarray(array)
    if array.size <= tiny:
        text = np.array2string(tidy(array), separator=", ", formatter={"float_kind": fmt})
        return " ".join(text.split())
    return grad_summary(array)


def passes_note(passes: int) -> str:
    """What a picture says of a .grad that holds several backward passes."""
    return f"accumulated over {passes} backward passes: zero_grad?"
