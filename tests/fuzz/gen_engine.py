"""Fuzz generators for the engine's PyTorch semantics: in-place methods and version counters,
retain_graph, and grad mode in two threads. Each case builds its own tensors from seeded arrays, so
the edits it makes on purpose are not the inputs the runner watches."""

from __future__ import annotations

import threading

import numpy as np

from .common import *

INPLACE = ("add_", "sub_", "mul_", "div_", "fill_", "zero_", "clamp_", "copy_")
# ops whose backward reads the input they saved: an in-place change in between must be refused
SAVES_INPUT = {
    "mul": lambda x, w: x * w,
    "div": lambda x, w: w / x,
    "log": lambda x, w: (x * x + 1.0).log() * w,
    "relu": lambda x, w: x.relu() * w,
    "matmul": lambda x, w: x @ w.reshape(-1, 1),
    "pow": lambda x, w: (x**3) * w,
}  # (exp and tanh save their output, not x: PyTorch allows editing x after them, and so do we)


def _edit(t, method, rng_value):
    if method in ("zero_",):
        return t.zero_()
    if method == "clamp_":
        return t.clamp_(-rng_value, rng_value)
    if method == "copy_":
        return t.copy_(np.full(t.shape, rng_value, t.dtype))
    if method == "fill_":
        return t.fill_(rng_value)
    return getattr(t, method)(rng_value)


def _torch_edit(torch, t, method, value):
    if method == "copy_":
        return t.copy_(torch.full(tuple(t.shape), value, dtype=t.dtype))
    if method == "clamp_":
        return t.clamp_(-value, value)
    if method == "zero_":
        return t.zero_()
    return getattr(t, method)(value)


def gen_inplace(rng, variant):
    """Variant 0: an in-place method under no_grad on a leaf, then forward and backward (values
    and grads as PyTorch's). Invalid: the same method between forward and backward (RuntimeError
    naming the version), or on a leaf that requires grad outside no_grad."""
    dt = dtype_of(rng)
    n = int(rng.integers(1, 6))
    x0 = farr(rng, (n,), dt, 0.5, 2.0)
    w0 = farr(rng, (n,), dt)
    method = str(rng.choice(INPLACE))
    op = str(rng.choice(sorted(SAVES_INPUT)))
    value = float(rng.uniform(0.5, 1.5))

    def call(tc):
        x = tc.Tensor(x0.copy(), requires_grad=True)
        w = tc.Tensor(w0.copy())
        with tc.no_grad():
            _edit(x, method, value)
        assert x.requires_grad and x.is_leaf and x._version == 1, "in-place edit lost the leaf"
        return SAVES_INPUT[op](x, w).sum()

    def torch_call(torch, F):
        x = torch.tensor(x0.copy(), requires_grad=True)
        with torch.no_grad():
            _torch_edit(torch, x, method, value)
        return SAVES_INPUT[op](x, torch.tensor(w0.copy())).sum()

    case = Case(
        "inplace",
        [],
        {},
        call,
        torch_call,
        torch_grads=False,
        desc=f"inplace {method} then {op} {dt} n={n}",
    )
    if variant == 0:
        return case
    if variant % 2:

        def bad_between(tc):
            x = tc.Tensor(x0.copy(), requires_grad=True)
            y = SAVES_INPUT[op](x, tc.Tensor(w0.copy())).sum()
            with tc.no_grad():
                _edit(x, method, value)
            y.backward()  # must refuse: x changed after op saved it
            return y

        case.call, case.error = bad_between, ("inplace", "version")
        case.extra = {"kernels_before_error_ok": True}  # the forward ran its kernels on purpose
        case.desc += " -> edit between forward and backward"
    else:

        def bad_leaf(tc):
            x = tc.Tensor(x0.copy(), requires_grad=True)
            return _edit(x, method, value)  # outside no_grad on a leaf that requires grad

        case.call, case.error = bad_leaf, ("leaf", "in-place", "inplace")
        case.desc += " -> on a leaf outside no_grad"
    case.torch_call = None
    return case


def gen_retain_graph(rng, variant):
    """Variant 0: two backwards with retain_graph=True accumulate twice the gradient. Invalid: the
    second backward without it (RuntimeError saying retain_graph)."""
    dt = dtype_of(rng)
    x0 = farr(rng, (int(rng.integers(1, 5)), 3), dt)
    op = str(rng.choice(sorted(SAVES_INPUT)))
    w0 = farr(rng, (3,), dt)

    def call(tc):
        x = tc.Tensor(x0.copy(), requires_grad=True)
        y = SAVES_INPUT[op](x, tc.Tensor(w0)).sum()
        y.backward(retain_graph=True)
        first = x.grad.copy()
        y.backward()
        assert np.allclose(x.grad, 2 * first, rtol=1e-5, equal_nan=True), "no accumulation"
        return tc.Tensor(x.grad)

    def torch_call(torch, F):
        x = torch.tensor(x0.copy(), requires_grad=True)
        y = SAVES_INPUT[op](x, torch.tensor(w0)).sum()
        y.backward(retain_graph=True)
        y.backward()
        return x.grad

    case = Case(
        "retain_graph",
        [],
        {},
        call,
        torch_call,
        torch_grads=False,
        desc=f"retain_graph {op} {dt} {x0.shape}",
    )
    if variant == 0:
        return case

    def twice(tc):
        x = tc.Tensor(x0.copy(), requires_grad=True)
        y = SAVES_INPUT[op](x, tc.Tensor(w0)).sum()
        y.backward()
        y.backward()
        return y

    case.call, case.torch_call, case.error = twice, None, ("retain_graph",)
    case.extra = {"kernels_before_error_ok": True}  # the first backward ran kernels on purpose
    case.desc += " -> second backward without retain_graph"
    return case


def gen_threads(rng, variant):
    """Grad mode is per thread: a no_grad block in another thread leaves this one recording."""
    dt = dtype_of(rng)
    x0 = farr(rng, (int(rng.integers(1, 6)),), dt)
    nested = bool(rng.random() < 0.5)

    def call(tc):
        x = tc.Tensor(x0.copy(), requires_grad=True)
        inside, release = threading.Event(), threading.Event()
        seen = {}

        def evaluate():
            with tc.no_grad():
                if nested:
                    with tc.enable_grad():
                        seen["nested"] = (x * 2).requires_grad
                inside.set()
                release.wait(5)
                seen["no_grad"] = (x * 2).requires_grad

        thread = threading.Thread(target=evaluate)
        thread.start()
        inside.wait(5)
        y = (x * 3).sum()  # recorded here while the other thread is inside no_grad
        release.set()
        thread.join(5)
        assert y.requires_grad and tc.is_grad_enabled(), "no_grad leaked into this thread"
        assert seen.get("no_grad") is False and seen.get("nested", True), "per-thread mode wrong"
        return y

    def torch_call(torch, F):
        return (torch.tensor(x0.copy(), requires_grad=True) * 3).sum()

    case = Case(
        "threads", [], {}, call, torch_call, torch_grads=False, desc=f"threads nested={nested} {dt}"
    )
    if variant == 0:
        return case
    case.call, case.torch_call = (lambda tc: tc.set_grad_enabled("yes")), None
    case.error = ("mode", "bool")
    case.desc += " -> set_grad_enabled('yes')"
    return case


GENERATORS_ENGINE = {
    "inplace": gen_inplace,
    "retain_graph": gen_retain_graph,
    "threads": gen_threads,
}
