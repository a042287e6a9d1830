"""Kernels never trust what can change (a class-index target written by another thread between
check and kernel), and every knob has bounds (thread counts: 1 to MAX_THREADS)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tinygrad_conv as tc
from tinygrad_conv import _backend

RACE = """
import threading, numpy as np, tinygrad_conv as tc
n, c = 4096, 10
x = tc.Tensor(np.random.default_rng(0).standard_normal((n, c)).astype(np.float32))
target = tc.Tensor(np.zeros(n, dtype=np.int64), dtype=np.int64)
stop = threading.Event()

def writer():  # flips the target between in range and far out of range
    array = target.data
    while not stop.is_set():
        array[:] = 10**12
        array[:] = 0

thread = threading.Thread(target=writer)
thread.start()
refused = ran = 0
try:
    for _ in range(300):
        try:
            loss = tc.{op}(x, target)
        except ValueError:
            refused += 1
        else:
            assert np.isfinite(loss.item()), loss
            ran += 1
finally:
    stop.set()
    thread.join()
print("done", refused, ran)
"""


@pytest.mark.parametrize("op", ["cross_entropy", "nll_loss"])
def test_a_target_changed_by_another_thread_never_reaches_the_kernel(op):
    """Old main: a segfault within a fraction of a second (the kernel read x[i, target[i]] from
    the caller's array after the range check). Run in a child process."""
    code = textwrap.dedent(RACE.replace("{op}", op))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("done")


def test_the_target_the_kernel_read_is_a_private_copy():
    x = tc.Tensor(np.zeros((2, 3)), requires_grad=True)
    target = tc.Tensor(np.array([0, 2]), dtype=np.int64)
    loss = tc.cross_entropy(x, target)
    saved = loss._ctx.saved_tensors[1]
    assert not np.shares_memory(saved, target.data)
    target.data[:] = 10**9  # a later change cannot reach backward's kernel either
    loss.backward()
    np.testing.assert_allclose(x.grad, [[-1 / 3, 1 / 6, 1 / 6], [1 / 6, 1 / 6, -1 / 3]], rtol=1e-12)


@pytest.mark.parametrize("n", [1, 2, np.int64(3), np.int32(_backend.MAX_THREADS)])
def test_set_num_threads_accepts_1_to_the_maximum(n):
    before = _backend._max_threads
    try:
        tc.set_num_threads(n)
        assert _backend.num_threads(1 << 20) == int(n)
    finally:
        tc.set_num_threads(before)


@pytest.mark.parametrize(
    ("n", "error"),
    [
        (0, ValueError),
        (-1, ValueError),
        (_backend.MAX_THREADS + 1, ValueError),
        (2**31 - 1, ValueError),
        (True, TypeError),
        (2.0, TypeError),
        ("4", TypeError),
    ],
)
def test_set_num_threads_refuses(n, error):
    before = _backend._max_threads
    with pytest.raises(error, match=r"set_num_threads: n must"):
        tc.set_num_threads(n)
    assert _backend._max_threads == before


@pytest.mark.parametrize("value", ["0", "257", "2147483647", "two", "-1"])
def test_the_environment_variable_is_bounded(value):
    """Old main: 2**31 - 1 here made libgomp exit the process at the first parallel kernel."""
    env = dict(os.environ, TINYGRAD_CONV_NUM_THREADS=value)
    result = subprocess.run(
        [sys.executable, "-c", "import tinygrad_conv"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "ValueError: TINYGRAD_CONV_NUM_THREADS must be an int between 1 and 256" in result.stderr


def test_the_environment_variable_sets_the_threads():
    env = dict(os.environ, TINYGRAD_CONV_NUM_THREADS="3")
    code = "from tinygrad_conv import _backend; print(_backend.num_threads(1 << 20))"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip() == "3", result.stderr
