"""Replay one fuzz case: cd tests && python -m fuzz OP VARIANT SEED."""

import sys

import tinygrad_conv as tc

from .runner import instrument_kernels, run_case

try:
    import torch
except ImportError:
    torch = None
instrument_kernels(tc)
op, variant, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
print(run_case(tc, torch, op, variant, seed))
