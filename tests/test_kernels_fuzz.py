"""The fuzz cases that reach a compiled kernel (relu, conv2d, the pools, cross_entropy, the layers
built on them, detect_anomaly over them), each in a child process.

CI also runs this file against the kernels built with bounds checks on (its name matches the
kernel-test step of .ci/run), where an index a Python check let through becomes an IndexError
(a failing case) instead of a silent out-of-bounds read or write. See test_fuzz.py for the rest;
`--long` (or TINYGRAD_CONV_FUZZ_LONG=1) runs 4,000 cases and writes build/fuzz-kernels-summary.json.
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
pytest.importorskip("hypothesis")

import fuzz as fuzz_cases  # noqa: E402
from fuzz_harness import BATCH, Worker, describe, fuzz, long_mode  # noqa: E402

pytestmark = pytest.mark.kernels  # make test-debug and CI run these on the checked build

KERNEL_OPS = ("relu", "conv2d", "max_pool2d", "avg_pool2d", "cross_entropy", "nn", "anomaly")


@pytest.fixture(scope="module")
def worker():
    w = Worker()
    yield w
    w.stop()


def test_fuzz_the_kernels(worker, request):
    ops = [op for op in fuzz_cases.available_ops() if op in KERNEL_OPS]
    if not ops:
        pytest.skip("no kernel-backed operation is available")
    long = long_mode(request.config)
    summary_path = os.environ.get("TINYGRAD_CONV_FUZZ_KERNEL_SUMMARY") or (
        os.path.join("build", "fuzz-kernels-summary.json") if long else None
    )
    batches = 100 if long else 8
    summary, failures = fuzz(worker, ops, batches, not long, summary_path)
    assert summary["cases_run"] == batches * BATCH
    assert not failures, describe(failures)
