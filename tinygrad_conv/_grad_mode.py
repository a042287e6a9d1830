"""Grad mode, anomaly mode and the nn.Module scope, per thread (as PyTorch's grad mode is).

`no_grad`, `enable_grad` and `set_grad_enabled(mode)` are context managers that also decorate
functions; each restores the calling thread's previous mode on exit, exceptions included. A new
thread starts with grad enabled, anomaly detection off and no module scope, whatever the thread
that started it was doing.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

import numpy as np


class _State(threading.local):
    """The calling thread's modes (threading.local runs __init__ once in each thread)."""

    def __init__(self) -> None:
        self.grad_enabled = True
        self.anomaly = False
        self.module_scope: tuple[tuple[str, str], ...] = ()  # (path, class name) of nn.Modules


state = _State()


def is_grad_enabled() -> bool:
    """True when operations record a graph in the calling thread."""
    return state.grad_enabled


def is_anomaly_enabled() -> bool:
    return state.anomaly


class _GradModeContext:
    """A context manager that sets this thread's grad mode and restores it on exit; called with a
    function, it returns that function wrapped so that each call runs inside the mode."""

    _mode = True

    def __init__(self) -> None:
        self._previous: list[bool] = []

    def __new__(cls, func: Callable | None = None, *args: Any, **kwargs: Any):
        if func is not None and callable(func) and cls is not set_grad_enabled:
            return cls()(func)  # used bare, as @no_grad (PyTorch accepts that too)
        return super().__new__(cls)

    def __enter__(self) -> None:
        self._previous.append(state.grad_enabled)
        state.grad_enabled = self._mode

    def __exit__(self, *exc: Any) -> None:
        state.grad_enabled = self._previous.pop()

    def __call__(self, func: Callable) -> Callable:
        if not callable(func):
            raise TypeError(f"{type(self).__name__}: can decorate a function, got {func!r}")
        factory = self._clone

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any):
            with factory():  # a fresh context per call: safe across threads and recursion
                return func(*args, **kwargs)

        return wrapper

    def _clone(self) -> _GradModeContext:
        return type(self)()


class no_grad(_GradModeContext):  # noqa: N801 - PyTorch's name
    """Inside this block (or decorated function) operations build no graph and their results do
    not require grad, in the calling thread only."""

    _mode = False


class enable_grad(_GradModeContext):  # noqa: N801
    """Turn grad mode back on inside a no_grad block (or decorated function), this thread only."""

    _mode = True


class set_grad_enabled(_GradModeContext):  # noqa: N801
    """set_grad_enabled(mode): as a function, sets this thread's grad mode at once; as a context
    manager (or decorator), sets it and restores the previous mode on exit."""

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, (bool, np.bool_)):
            raise TypeError(f"set_grad_enabled: mode must be a bool, got {mode!r}")
        self._previous = [state.grad_enabled]
        self._mode = bool(mode)
        state.grad_enabled = self._mode  # takes effect now, as torch.set_grad_enabled does

    def __enter__(self) -> None:
        state.grad_enabled = self._mode  # already set by __init__; entering again re-sets it

    def __exit__(self, *exc: Any) -> None:
        state.grad_enabled = self._previous[0]

    def __call__(self, func: Callable) -> Callable:
        state.grad_enabled = self._previous[0]  # a decorator changes nothing until it is called
        return super().__call__(func)

    def _clone(self) -> _GradModeContext:
        return _Scoped(self._mode)


class _Scoped(_GradModeContext):
    """What a set_grad_enabled(mode) decorator runs each call inside."""

    def __new__(cls, mode: bool):
        return object.__new__(cls)

    def __init__(self, mode: bool) -> None:
        super().__init__()
        self._mode = mode

    def _clone(self) -> _GradModeContext:
        return _Scoped(self._mode)


class detect_anomaly:  # noqa: N801
    """Inside this block (this thread only) the first op whose forward output or backward gradient
    holds NaN or Inf raises RuntimeError naming the op, the phase and the tensor; arrays saved for
    backward are checksummed, so a direct NumPy write into one is named at backward too."""

    def __init__(self, check_nan: bool = True) -> None:
        if not isinstance(check_nan, (bool, np.bool_)):
            raise TypeError(f"detect_anomaly: check_nan must be a bool, got {check_nan!r}")
        self._mode = bool(check_nan)
        self._previous: list[bool] = []

    def __enter__(self) -> None:
        self._previous.append(state.anomaly)
        state.anomaly = self._mode

    def __exit__(self, *exc: Any) -> None:
        state.anomaly = self._previous.pop()


class module_scope:  # noqa: N801
    """Tensors made inside this block remember the nn.Module at `path` that made them (pictures)."""

    __slots__ = ("_entry", "_previous")

    def __init__(self, path: str, class_name: str) -> None:
        self._entry = (path, class_name)
        self._previous: tuple = ()

    def __enter__(self) -> None:
        self._previous = state.module_scope
        state.module_scope = self._previous + (self._entry,)

    def __exit__(self, *exc: Any) -> None:
        state.module_scope = self._previous


def current_module_scope() -> tuple[tuple[str, str], ...]:
    return state.module_scope
