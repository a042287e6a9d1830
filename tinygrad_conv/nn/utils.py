"""torch.nn.utils' gradient helpers: clip_grad_norm_, clip_grad_value_, parameters_to_vector,
vector_to_parameters."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .. import autograd
from .._checks import as_real


def _params(op: str, parameters: Any) -> list:
    if autograd.is_tensor(parameters):
        return [parameters]
    if not isinstance(parameters, Iterable):
        raise TypeError(
            f"{op}: parameters must be a Tensor or an iterable of Tensors, got "
            f"{type(parameters).__name__}"
        )
    params = list(parameters)
    for p in params:
        if not autograd.is_tensor(p):
            raise TypeError(f"{op}: every parameter must be a Tensor, got {type(p).__name__}")
    return params


def _real(op: str, name: str, value: Any) -> float:
    return as_real(op, name, value, finite=False)  # norm_type may be inf


def clip_grad_norm_(
    parameters: Any,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: Any = None,
):
    """Scale every .grad in place by min(1, max_norm / (total_norm + 1e-6)), total_norm the
    norm_type-norm of all grads taken together (inf: the largest |g|). Returns total_norm as a
    0-d Tensor, as PyTorch."""
    op = "clip_grad_norm_"
    max_norm, norm_type = _real(op, "max_norm", max_norm), _real(op, "norm_type", norm_type)
    grads = [p.grad for p in _params(op, parameters) if p.grad is not None]
    dtype = grads[0].dtype if grads else np.dtype(np.float32)
    if not grads:
        return autograd.make_tensor(np.zeros((), dtype=dtype))
    if norm_type == np.inf:
        norms = [np.abs(g).max(initial=0.0) for g in grads]
        total = max(norms)
    else:
        norms = [
            np.sum(np.abs(g.astype(np.float64)) ** norm_type) ** (1 / norm_type) for g in grads
        ]
        total = float(np.sum(np.asarray(norms) ** norm_type) ** (1 / norm_type))
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"{op}: the total norm of order {norm_type} of the gradients is "
            f"{total}, so they cannot be clipped; pass error_if_nonfinite=False "
            f"to clip anyway"
        )
    coef = min(max_norm / (total + 1e-6), 1.0)
    for g in grads:
        g *= np.asarray(coef, dtype=g.dtype)
    return autograd.make_tensor(np.asarray(total, dtype=dtype))


def clip_grad_value_(parameters: Any, clip_value: float, foreach: Any = None) -> None:
    """Clamp every .grad in place to [-clip_value, clip_value]."""
    clip_value = _real("clip_grad_value_", "clip_value", clip_value)
    for p in _params("clip_grad_value_", parameters):
        if p.grad is not None:
            np.clip(p.grad, -clip_value, clip_value, out=p.grad)


def parameters_to_vector(parameters: Any):
    """Every parameter flattened and joined into one 1-D Tensor (a copy, in the graph)."""
    from .. import functional as F

    params = _params("parameters_to_vector", parameters)
    if not params:
        raise ValueError("parameters_to_vector: got no parameters")
    return F.cat([p.reshape(-1) for p in params], 0)


def vector_to_parameters(vec: Any, parameters: Any) -> None:
    """Copy consecutive slices of the 1-D `vec` into the parameters' data, in place."""
    params = _params("vector_to_parameters", parameters)
    data = np.asarray(vec.data if autograd.is_tensor(vec) else vec)
    need = sum(p.size for p in params)
    if data.ndim != 1 or data.size != need:
        raise ValueError(
            f"vector_to_parameters: vec must be 1-D with {need} elements, got shape {data.shape}"
        )
    start = 0
    for p in params:
        p.data[...] = data[start : start + p.size].reshape(p.shape)
        p._bump_version()
        start += p.size
