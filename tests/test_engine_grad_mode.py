"""Grad mode per thread, as PyTorch: no_grad (context and decorator), enable_grad,
set_grad_enabled, is_grad_enabled, detect_anomaly and the module scope touch the calling thread."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import tinygrad_conv as tc
from tinygrad_conv import Tensor, autograd, nn


def _w() -> Tensor:
    return Tensor(np.array([1.0, 2.0]), requires_grad=True)


def test_no_grad_as_decorator_with_and_without_parentheses():
    w = _w()

    @autograd.no_grad()
    def f(t):
        assert not autograd.is_grad_enabled()
        return t * 2.0

    @autograd.no_grad
    def g(t):
        return t * 2.0

    assert not f(w).requires_grad and not g(w).requires_grad
    assert g.__name__ == "g"
    assert autograd.is_grad_enabled() and (w * 2.0).requires_grad


def test_enable_grad_inside_no_grad():
    w = _w()
    with autograd.no_grad():
        with autograd.enable_grad():
            assert (w * 2.0).requires_grad
        assert not (w * 2.0).requires_grad

        @autograd.enable_grad()
        def f():
            return w * 2.0

        assert f().requires_grad
    assert autograd.is_grad_enabled()


def test_set_grad_enabled_as_function_context_and_decorator():
    w = _w()
    try:
        autograd.set_grad_enabled(False)  # a plain call takes effect at once
        assert not autograd.is_grad_enabled() and not (w * 2.0).requires_grad
    finally:
        autograd.set_grad_enabled(True)
    with autograd.set_grad_enabled(False):
        assert not autograd.is_grad_enabled()
    assert autograd.is_grad_enabled()
    with autograd.no_grad(), autograd.set_grad_enabled(True):
        assert (w * 2.0).requires_grad

    @autograd.set_grad_enabled(False)
    def f():
        return autograd.is_grad_enabled()

    assert autograd.is_grad_enabled()  # decorating changes nothing until the call
    assert f() is False and autograd.is_grad_enabled()
    with pytest.raises(TypeError, match="mode must be a bool"):
        autograd.set_grad_enabled(1)


def test_modes_are_restored_after_an_exception():
    with pytest.raises(ValueError), autograd.no_grad(), autograd.detect_anomaly():
        raise ValueError("inside")
    assert autograd.is_grad_enabled() and not autograd.is_anomaly_enabled()


def test_no_grad_in_one_thread_leaves_another_alone():
    inside, done = threading.Event(), threading.Event()
    seen = {}

    def evaluate():
        with autograd.no_grad():
            inside.set()
            done.wait(10)
            seen["eval"] = (_w() * 2.0).requires_grad

    thread = threading.Thread(target=evaluate)
    thread.start()
    inside.wait(10)
    seen["main"] = (_w() * 2.0).requires_grad  # the other thread is inside no_grad now
    done.set()
    thread.join()
    assert seen == {"main": True, "eval": False}


def test_overlapping_blocks_in_two_threads_restore_each_thread():
    """Old main: A enters, B enters, A leaves (restores True), B leaves (restores False): grads
    were off for the whole process afterwards."""
    steps = [threading.Event() for _ in range(4)]

    def a():
        with autograd.no_grad():
            steps[0].set()
            steps[1].wait(10)
        steps[2].set()

    def b():
        steps[0].wait(10)
        with autograd.no_grad():
            steps[1].set()
            steps[2].wait(10)

    threads = [threading.Thread(target=f) for f in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert autograd.is_grad_enabled() and (_w() * 2.0).requires_grad


def test_a_new_thread_starts_with_grad_enabled():
    seen = []
    with autograd.no_grad(), autograd.detect_anomaly():
        thread = threading.Thread(
            target=lambda: seen.append((autograd.is_grad_enabled(), autograd.is_anomaly_enabled()))
        )
        thread.start()
        thread.join()
    assert seen == [(True, False)]


def test_training_thread_beside_an_evaluation_thread():
    """Old main failed nearly every training step: evaluation's no_grad turned graphs off."""
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    x = Tensor(rng.standard_normal((16, 4)).astype(np.float32))
    y = rng.integers(0, 3, 16)
    failures, stop = [], threading.Event()

    def evaluate():
        while not stop.is_set():
            with autograd.no_grad():
                model(x)

    evaluator = threading.Thread(target=evaluate)
    evaluator.start()
    try:
        for _ in range(100):
            model.zero_grad()
            loss = tc.cross_entropy(model(x), y)
            try:
                loss.backward()
            except RuntimeError as err:
                failures.append(err)
    finally:
        stop.set()
        evaluator.join()
    assert failures == []
    assert all(p.grad is not None for p in model.parameters())


def test_detect_anomaly_and_module_scope_are_per_thread():
    seen = []
    inside, done = threading.Event(), threading.Event()

    def other():
        with autograd.detect_anomaly(), autograd.module_scope("features.0", "Conv2d"):
            inside.set()
            done.wait(10)
            seen.append(Tensor._make(np.zeros(1), False, None)._module)

    thread = threading.Thread(target=other)
    thread.start()
    inside.wait(10)
    nan = Tensor(np.array([np.nan]))
    assert not autograd.is_anomaly_enabled()
    nan * 2.0  # no anomaly error here: the other thread's mode
    assert Tensor._make(np.zeros(1), False, None)._module == ()
    done.set()
    thread.join()
    assert seen == [(("features.0", "Conv2d"),)]
