"""What the suite claims to cover, read by test_coverage.py.

A test module covers an op in one of two ways: a module-level table `GRADCHECK_CASES` or
`TORCH_CASES` whose rows start with an id that is the op's public name (or the name, "_" and a
suffix), or the `covers` decorator on a bespoke test (`@covers("gradcheck", "conv2d")`).
"""

from __future__ import annotations

from collections.abc import Callable

KINDS = ("gradcheck", "torch")
CLAIMED: dict[str, set[str]] = {kind: set() for kind in KINDS}


def covers(kind: str, *ops: str) -> Callable:
    """Mark a test as the `kind` case ("gradcheck" or "torch") of the public ops `ops`."""
    if kind not in KINDS:
        raise ValueError(f"covers: kind must be one of {KINDS}, got {kind!r}")

    def mark(test: Callable) -> Callable:
        CLAIMED[kind].update(ops)
        return test

    return mark
