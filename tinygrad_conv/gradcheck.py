"""tc.gradcheck: compare backward's gradients with central finite differences, in float64."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .autograd import no_grad
from .tensor import Tensor


def _float64_copy(value: Any) -> Any:
    """A float64 copy of a Tensor or float array; integer arrays (targets) and others as is."""
    # C order: the finite differences write through `data.reshape(-1)`, which must be a view.
    if isinstance(value, Tensor):
        data = np.ascontiguousarray(value.data, dtype=np.float64)
        return Tensor(data, requires_grad=value.requires_grad, name=value.name, dtype=np.float64)
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return np.ascontiguousarray(value, dtype=np.float64)
    return value


def _check_module_dtype(fn: Callable) -> None:
    """An nn.Module (or anything with parameters()) must be float64 before gradcheck."""
    parameters = getattr(fn, "parameters", None)
    if not callable(parameters):
        return
    try:
        dtypes = sorted({str(p.dtype) for p in parameters()})
    except TypeError:
        return
    if any(d != "float64" for d in dtypes):
        name = type(fn).__name__
        raise TypeError(
            f"gradcheck: {name} has {'/'.join(dtypes)} parameters, and finite differences need "
            f"float64: call model.double() first (gradcheck converts the inputs itself), e.g. "
            f"tc.gradcheck(model.double(), x)"
        )


def _scalar(fn: Callable, inputs: tuple) -> float:
    out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    return float(out.data.sum())


def gradcheck(
    fn: Callable, *inputs: Any, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3
) -> bool:
    """Check every input that requires grad: d fn(*inputs).sum() / d input, analytic vs numeric.

    Numeric: (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) for each element i, in float64.
    Passes when |analytic - numeric| <= atol + rtol * |numeric| everywhere; returns True, else
    raises AssertionError naming the input, the worst element's index, both values and the
    tolerance.
    """
    if not callable(fn):
        raise TypeError(f"gradcheck: fn must be callable, got {type(fn).__name__}")
    _check_module_dtype(fn)
    copies = tuple(_float64_copy(v) for v in inputs)
    checked = [i for i, v in enumerate(copies) if isinstance(v, Tensor) and v.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input is a Tensor with requires_grad=True")
    try:
        out = fn(*copies)
    except TypeError as err:
        if "dtype" not in str(err):
            raise
        raise TypeError(
            f"gradcheck runs fn on float64 copies of the inputs, and fn mixed them with tensors "
            f"of another dtype ({err}); finite differences need float64 throughout: make fn's "
            f"own tensors float64 (model.double(), or Tensor(..., dtype='float64'))"
        ) from None
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    out.sum().backward()
    for position in checked:
        tensor = copies[position]
        analytic = tensor.grad if tensor.grad is not None else np.zeros_like(tensor.data)
        numeric = np.zeros_like(tensor.data)
        flat, numeric_flat = tensor.data.reshape(-1), numeric.reshape(-1)
        with no_grad():
            for i in range(flat.size):
                original = flat[i]
                flat[i] = original + eps
                plus = _scalar(fn, copies)
                flat[i] = original - eps
                minus = _scalar(fn, copies)
                flat[i] = original
                numeric_flat[i] = (plus - minus) / (2 * eps)
        tolerance = atol + rtol * np.abs(numeric)
        excess = np.abs(analytic - numeric) - tolerance
        excess[np.isnan(excess)] = np.inf  # a NaN on either side is a failure, not a pass
        if excess.size and excess.max() > 0:
            worst = np.unravel_index(int(np.argmax(excess)), numeric.shape)
            label = f"input {position}" + (f" ({tensor.name!r})" if tensor.name else "")
            raise AssertionError(
                f"gradcheck: {label} of shape {tensor.shape}: worst element "
                f"{tuple(map(int, worst))}: analytic {analytic[worst]:.8g} vs numeric "
                f"{numeric[worst]:.8g} (difference "
                f"{abs(analytic[worst] - numeric[worst]):.3g} > tolerance {tolerance[worst]:.3g} "
                f"= atol {atol:g} + rtol {rtol:g} * |numeric|)"
            )
    return True
