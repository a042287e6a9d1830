"""Fuzz every public operation and layer with valid and invalid input, each case in a child process.

Hypothesis draws batches of cases (op, variant, seed); a long-lived worker process (multiprocessing,
spawn) runs each batch, so a segfault or an abort is a reported failure naming its case, not a dead
test run; the worker is restarted after a crash. tests/fuzz_cases.py builds and checks the cases
(see its docstring): valid input must match the other kernel backend and PyTorch (when installed);
invalid input must raise ValueError/TypeError/RuntimeError/IndexError naming the argument and leave
the inputs bit-identical.

CI: a fixed seed and a few hundred cases. `pytest tests/test_fuzz.py --long` (or
TINYGRAD_CONV_FUZZ_LONG=1) runs thousands and writes the counts to build/fuzz-summary.json (or to
TINYGRAD_CONV_FUZZ_SUMMARY). Replay one case: `python tests/fuzz_cases.py OP VARIANT SEED`.
"""

from __future__ import annotations

import collections
import json
import multiprocessing
import os
import sys
import time

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fuzz_cases  # noqa: E402

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

BATCH = 40
CASE_TIMEOUT = 60.0  # seconds a single case may take before it counts as a hang


def long_mode(config) -> bool:
    return (
        os.environ.get("TINYGRAD_CONV_FUZZ_LONG") == "1"
        or os.environ.get("HYPOTHESIS_PROFILE") == "long"
        or bool(config.getoption("--long", default=False))
    )


class Worker:
    """A child process that runs batches of cases; restarted whenever it dies."""

    def __init__(self) -> None:
        self.ctx = multiprocessing.get_context("spawn")
        self.proc = None
        self.conn = None
        self.restarts = 0

    def start(self) -> None:
        parent, child = self.ctx.Pipe()
        self.proc = self.ctx.Process(target=fuzz_cases.worker, args=(child,), daemon=True)
        self.proc.start()
        child.close()
        self.conn = parent
        if not parent.poll(180) or parent.recv() != "ready":
            raise RuntimeError("the fuzz worker did not start")

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            self.conn.send(None)
        except (BrokenPipeError, OSError):
            pass
        self.proc.join(10)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.proc = None

    def _died(self, case) -> dict:
        self.proc.join(5)
        if self.proc.is_alive():  # a hang: end it
            self.proc.kill()
            self.proc.join()
            detail = f"no answer within {CASE_TIMEOUT:.0f} s (killed)"
        else:
            detail = f"the worker died with exit code {self.proc.exitcode}"
        self.proc = None
        self.restarts += 1
        return {"status": "crash", "detail": detail, "desc": repr(case), "valid": None}

    def run(self, batch: list) -> list[dict]:
        results: list[dict] = []
        while len(results) < len(batch):
            if self.proc is None:
                self.start()
            rest = batch[len(results) :]
            self.conn.send(rest)
            for case in rest:
                try:
                    if not self.conn.poll(CASE_TIMEOUT):
                        raise EOFError
                    results.append(self.conn.recv())
                except (EOFError, ConnectionResetError, OSError):
                    results.append(self._died(case))
                    break
        return results


@pytest.fixture(scope="module")
def worker():
    w = Worker()
    yield w
    w.stop()


# Bugs found by this suite in other files and not yet fixed, each as name -> matcher(op, result),
# with a strict-xfail regression test below. A failure that matches one is counted as "known" (and
# listed) instead of failing the fuzz test again. Every bug found so far is fixed (see the
# regression tests below), so this is empty.
KNOWN_BUGS: dict = {}


class Stats:
    def __init__(self) -> None:
        self.counts: collections.Counter = collections.Counter()
        self.per_op: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.failures: list[tuple] = []
        self.known: collections.Counter = collections.Counter()
        self.known_examples: dict[str, tuple] = {}

    def add(self, case, result) -> None:
        op, variant, seed = case
        status = result["status"]
        self.counts["cases"] += 1
        self.per_op[op]["cases"] += 1
        kind = {True: "valid", False: "invalid", None: "unknown"}[result.get("valid")]
        self.counts[kind] += 1
        if status == "ok":
            return
        for name, matches in KNOWN_BUGS.items():
            if matches(op, result):
                self.known[name] += 1
                self.known_examples.setdefault(name, (op, variant, seed, result["desc"]))
                return
        self.counts[status] += 1
        self.per_op[op][status] += 1
        self.failures.append((op, variant, seed, status, result["desc"], result["detail"][:1500]))

    def summary(self) -> dict:
        c = self.counts
        return {
            "cases_run": c["cases"],
            "valid_cases": c["valid"],
            "invalid_cases": c["invalid"],
            "crashes": c["crash"],
            "wrong_results": c["wrong"],
            "inputs_changed": c["changed"],
            "invalid_not_rejected": c["not_rejected"],
            "bad_errors": c["bad_error"],
            "errors_after_a_kernel_ran": c["late_error"],
            "harness_errors": c["harness"],
            "known_bugs": dict(self.known),
            "known_bug_examples": self.known_examples,
            "per_op": {op: dict(v) for op, v in sorted(self.per_op.items())},
        }


def batches(ops):
    variant = st.one_of(st.just(0), st.integers(1, 60))
    case = st.tuples(st.sampled_from(ops), variant, st.integers(0, 2**32 - 1))
    return st.lists(case, min_size=BATCH, max_size=BATCH)


def test_fuzz_every_operation(worker, request):
    long = long_mode(request.config)
    ops = fuzz_cases.available_ops()
    stats = Stats()
    started = time.perf_counter()

    @settings(
        max_examples=250 if long else 20,
        derandomize=not long,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(batches(ops))
    def run(batch):
        for case, result in zip(batch, worker.run(batch), strict=True):
            stats.add(case, result)

    run()
    summary = stats.summary()
    summary.update(
        ops=ops,
        seconds=round(time.perf_counter() - started, 1),
        worker_restarts=worker.restarts,
        mode="long" if long else "ci",
    )
    text = json.dumps(summary, indent=1, default=str)
    print(text)
    target = os.environ.get("TINYGRAD_CONV_FUZZ_SUMMARY") or (
        os.path.join("build", "fuzz-summary.json") if long else None
    )
    if target:
        os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
        with open(target, "w") as f:
            f.write(text + "\n" + "\n".join(map(repr, stats.failures)) + "\n")
    listed = "\n".join(
        f"{f[0]} variant={f[1]} seed={f[2]} {f[3]}: {f[4]}\n    {f[5]}" for f in stats.failures[:15]
    )
    assert summary["cases_run"] >= 20 * BATCH
    assert not stats.failures, (
        f"{len(stats.failures)} failing cases (replay: python "
        f"tests/fuzz_cases.py OP VARIANT SEED):\n{listed}"
    )


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
