"""The library's one random generator: init, dropout, rand/randn and shuffling all draw from it,
so `tc.manual_seed(seed)` makes a whole script repeat exactly."""

from __future__ import annotations

import numpy as np

from ._checks import is_int

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the library's generator (PyTorch's torch.manual_seed); returns it."""
    global _generator
    if not is_int(seed) or seed < 0:
        raise ValueError(f"manual_seed: seed must be a non-negative int, got {seed!r}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def generator() -> np.random.Generator:
    """The generator every random choice of the library draws from (looked up at call time)."""
    return _generator
