"""The one bad-input runner: inputs with known data and grads, the call, the documented exception
class and message fragments, no forward run, and every input bit-identical afterwards."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_conv as tc
from tinygrad_conv import Tensor


def make_env() -> dict[str, Tensor]:
    """Inputs with known data and known grads (set before the call, compared after)."""
    a = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, name="a")
    b = Tensor(np.array([1.0, -2.0, 3.0, 0.5]), requires_grad=True, name="b")
    c = Tensor(np.linspace(-1, 1, 18).reshape(2, 3, 3).astype(np.float32), requires_grad=True)
    s = Tensor(np.array(2.5), requires_grad=True)
    y = a * 2.0  # a non-leaf, for backward misuse
    k = Tensor(np.ones((2, 3)))  # does not require grad
    for i, t in enumerate((a, b, c, s, y)):
        t.grad = np.full(t.shape, 7.0 + i, dtype=t.dtype)
    return {"a": a, "b": b, "c": c, "s": s, "y": y, "k": k}


def snapshot(env: dict[str, Tensor]) -> dict[str, tuple]:
    return {
        key: (t.data.copy(), None if t.grad is None else t.grad.copy(), t.data.dtype)
        for key, t in env.items()
    }


def check_bad_call(backend, monkeypatch, call, error, fragments, function) -> None:
    """Run `call(env)`; it must raise exactly `error` naming every fragment, before `function`'s
    forward runs, and leave every input's data and grad as they were."""
    env = make_env()
    before = snapshot(env)
    forward_calls = []
    if function is not None:  # the check must reject the call before forward computes anything
        original = function.forward

        def spy(*args, **kwargs):
            forward_calls.append(args)
            return original(*args, **kwargs)

        monkeypatch.setattr(function, "forward", staticmethod(spy))
    with pytest.raises(error) as info:
        call(env)
    assert info.type is error  # the documented class, not merely a subclass of it
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert forward_calls == []
    for key, t in env.items():
        data, grad, dtype = before[key]
        assert t.data.dtype == dtype and np.array_equal(t.data, data), key
        if grad is None:
            assert t.grad is None, key
        else:
            assert t.grad is not None and np.array_equal(t.grad, grad), key
    assert tc.backend() == backend
