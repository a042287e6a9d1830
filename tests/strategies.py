"""Hypothesis strategies shared by the tests: shapes, broadcastable shape pairs, bounded arrays."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


def shapes(min_dims: int = 0, max_dims: int = 4, min_side: int = 1, max_side: int = 4):
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def broadcastable_shapes(min_dims: int = 0, max_dims: int = 4, max_side: int = 4):
    """A pair of shapes that NumPy broadcasts together (size-1 axes and missing leading axes)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=2, min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side
    ).map(lambda pair: pair.input_shapes)


def float_arrays(shape, dtype=np.float64, low: float = -3.0, high: float = 3.0):
    """Arrays of `shape` and `dtype` with finite values in [low, high]."""
    width = 32 if np.dtype(dtype) == np.float32 else 64
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False, width=width)
    return hnp.arrays(np.dtype(dtype), shape, elements=elements)


def seeds():
    """A seed for np.random.default_rng (its values spread better than hypothesis floats)."""
    return st.integers(0, 2**32 - 1)


def draw_values(
    rng: np.random.Generator, shape: tuple[int, ...], kind: str = "normal", dtype=np.float64
) -> np.ndarray:
    """Values suited to an op's domain, so that gradients (and finite differences) are well defined.

    normal    standard normal
    positive  uniform in [0.5, 2] (log, division by, fractional powers, tensor exponents)
    nonzero   |x| in [0.2, 1.5] with a random sign (relu: away from the kink at 0)
    distinct  a permutation of values 0.1 apart (max: no ties within a finite-difference step)
    """
    if kind == "positive":
        values = rng.uniform(0.5, 2.0, shape)
    elif kind == "nonzero":
        values = rng.uniform(0.2, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
    elif kind == "distinct":
        size = int(np.prod(shape))
        values = (rng.permutation(size) * 0.1 + rng.uniform(-0.01, 0.01, size)).reshape(shape)
    elif kind == "normal":
        values = rng.standard_normal(shape)
    else:
        raise ValueError(f"draw_values: unknown kind {kind!r}")
    return np.asarray(values, dtype=dtype)
