"""Fuzz every public operation and layer with valid and invalid input, each case in a child process.

Hypothesis draws batches of cases (op, variant, seed); a long-lived worker process (multiprocessing,
spawn) runs each batch, so a segfault or an abort is a reported failure naming its case, not a dead
test run; the worker is restarted after a crash (tests/fuzz_harness.py). tests/fuzz/ builds
and checks the cases (see its docstring): valid input must match the other kernel backend and
PyTorch (when installed); invalid input must raise ValueError/TypeError/RuntimeError/IndexError
naming the argument, before any kernel runs, and leave the inputs bit-identical.

CI: a fixed seed and 800 cases. `pytest tests/test_fuzz.py --long` (or TINYGRAD_CONV_FUZZ_LONG=1)
runs 20,000 and writes the counts to build/fuzz-summary.json (or to TINYGRAD_CONV_FUZZ_SUMMARY).
Replay one case: `cd tests && python -m fuzz OP VARIANT SEED`.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
pytest.importorskip("hypothesis")

import fuzz as fuzz_cases  # noqa: E402
from fuzz_harness import BATCH, Worker, describe, fuzz, long_mode  # noqa: E402

CI_BATCHES, LONG_BATCHES = 20, 500


@pytest.fixture(scope="module")
def worker():
    w = Worker()
    yield w
    w.stop()


def test_fuzz_every_operation(worker, request):
    long = long_mode(request.config)
    summary_path = os.environ.get("TINYGRAD_CONV_FUZZ_SUMMARY") or (
        os.path.join("build", "fuzz-summary.json") if long else None
    )
    batches = LONG_BATCHES if long else CI_BATCHES
    summary, failures = fuzz(worker, fuzz_cases.available_ops(), batches, not long, summary_path)
    assert summary["cases_run"] == batches * BATCH
    assert not failures, describe(failures)


def test_worker_reports_a_crash_and_carries_on(worker):
    """The harness: a segfaulting case is reported as a crash and the next case still runs."""
    results = worker.run([("_segfault", 0, 0), ("add", 0, 1)])
    assert results[0]["status"] == "crash" and "exit code" in results[0]["detail"]
    assert results[1]["status"] == "ok", results[1]
    assert worker.restarts >= 1


# Regression tests for bugs this suite found, since fixed: relu turned NaN into 0 in the Cython
# kernel only; relu of a 0-d tensor came out with shape (1,) and its backward raised; softmax over
# an empty axis raised NumPy's reduction error from forward; transpose wrapped out-of-range axes;
# conv2d passed stride=2**70 to the kernel, whose Py_ssize_t argument raised OverflowError.


def test_relu_keeps_nan_on_both_backends(backend):
    import tinygrad_conv as tc

    x = tc.Tensor(np.array([np.nan, -1.0, 2.0], np.float32), requires_grad=True)
    out = tc.relu(x)
    assert np.isnan(out.numpy()[0]) and out.numpy()[1] == 0.0 and out.numpy()[2] == 2.0
    out.backward(np.ones(3, np.float32))
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 1.0])  # PyTorch's relu gradient at NaN


def test_relu_of_a_0d_tensor_keeps_its_shape(backend):
    import tinygrad_conv as tc

    x = tc.Tensor(np.float64(2.0), requires_grad=True)
    y = tc.relu(x)
    assert y.shape == ()
    y.backward()
    assert x.grad.shape == () and x.grad == 1.0


def test_transpose_rejects_out_of_range_axes():
    import tinygrad_conv as tc

    x = tc.Tensor(np.arange(12.0).reshape(3, 4))
    with pytest.raises(ValueError, match="axes|axis"):
        x.transpose(0, 7)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_over_an_empty_axis(name):
    import tinygrad_conv as tc

    x = tc.Tensor(np.zeros((2, 0), np.float32), requires_grad=True)
    y = getattr(tc, name)(x, axis=1)
    assert y.shape == (2, 0)  # PyTorch: an empty result
    y.backward(np.zeros((2, 0), np.float32))
    assert x.grad.shape == (2, 0)


def test_conv2d_huge_stride_is_a_clean_error_or_one_pixel(backend):
    import tinygrad_conv as tc

    x = tc.Tensor(np.ones((1, 1, 4, 4), np.float32))
    w = tc.Tensor(np.ones((1, 1, 2, 2), np.float32))
    assert tc.conv2d(x, w, stride=10**9).item() == 4.0  # one output pixel
    with pytest.raises(ValueError, match="stride"):
        tc.conv2d(x, w, stride=2**70)
