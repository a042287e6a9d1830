"""The fuzzer's cases and their runner (tests/test_fuzz.py and tests/test_kernels_fuzz.py drive it).

A case is the triple (op, variant, seed): the worker rebuilds it from that alone, so the parent
sends three numbers per case and a crash names a case anyone can replay with
`cd tests && python -m fuzz OP VARIANT SEED`. Variant 0 is valid input (its result is
compared across the two kernel backends and with PyTorch when it is installed); variant k > 0 is
the k-th way of making that input invalid (the call must raise an allowed error naming the
argument, and leave every input's data and grad bit-identical).

Layout: common.py (Arg, Case, array helpers), gen_*.py (one generator per public op, by family),
registry.py (GENERATORS by op name), runner.py (one case on both backends and PyTorch; the worker).
"""

from .registry import GENERATORS, available_ops
from .runner import run_case, worker

__all__ = ["GENERATORS", "available_ops", "run_case", "worker"]
