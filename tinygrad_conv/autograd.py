"""The engine: Function (check -> forward -> backward), Context, no_grad, detect_anomaly,
topo_order, backward.

An op is a Function subclass. `apply` validates with `check` before anything is computed, runs
`forward` on NumPy arrays and wraps the result in a Tensor that remembers its Context (the op, its
parents, saved arrays).
`backward` walks that graph in reverse topological order without recursion.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

_grad_enabled = True
_anomaly_enabled = False
_module_scope: tuple[tuple[str, str], ...] = ()  # (path, class name) of the nn.Modules being called
_tensor_class: Any = None  # set by register_tensor_class (tensor.py), the one Tensor <-> ops seam
_as_tensor: Any = None


def register_tensor_class(cls: type, as_tensor: Callable[..., Any]) -> None:
    """The one seam between the engine and Tensor: tensor.py hands its class here, so that the
    engine and the ops (which import only this module) can make Tensors without importing it."""
    global _tensor_class, _as_tensor
    _tensor_class, _as_tensor = cls, as_tensor


def is_tensor(value: Any) -> bool:
    return isinstance(value, _tensor_class)


def make_tensor(array: np.ndarray, requires_grad: bool = False, ctx: Context | None = None):
    """A Tensor around `array` without a copy or checks (for ops that build constants)."""
    return _tensor_class._make(array, requires_grad, ctx)


class Context:
    """What one op call remembers for its backward: parents, parameters, saved arrays."""

    __slots__ = ("fn", "parents", "params", "saved_tensors", "needs_input_grad", "__dict__")

    def __init__(self, fn: type[Function], parents: tuple, params: dict[str, Any]):
        self.fn = fn
        self.parents = parents
        self.params = params
        self.saved_tensors: tuple[np.ndarray, ...] = ()
        self.needs_input_grad = tuple(p.requires_grad for p in parents)

    def save_for_backward(self, *arrays: np.ndarray) -> None:
        self.saved_tensors = arrays

    # What backward may read (STYLE.md): saved arrays, the user's parameters in `params`, the
    # inputs' shapes and dtypes from the parents (below), and derived state such as the conv
    # geometry in `params` too, computed once by the op's check.
    @property
    def input_shapes(self) -> tuple[tuple[int, ...], ...]:
        return tuple(p.data.shape for p in self.parents)

    @property
    def input_dtypes(self) -> tuple[np.dtype, ...]:
        return tuple(p.data.dtype for p in self.parents)


class Function:
    """Base class of every op: subclasses define `name` and three static methods, in this order.

    check(*arrays, **params) -> dict | None   validate, normalise (pure Python, runs first)
    forward(ctx, *arrays, **params) -> array  compute the output from the inputs' NumPy arrays
    backward(ctx, grad_out) -> tuple          one gradient (or None) per input; grad_out unchanged
    """

    name = "function"

    @staticmethod
    def check(*arrays: np.ndarray, **params: Any) -> dict[str, Any] | None:
        return None

    @staticmethod
    def forward(ctx: Context, *arrays: np.ndarray, **params: Any) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, grad_out: np.ndarray) -> tuple[np.ndarray | None, ...]:
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: Any, **params: Any):
        """Run this op on Tensors (arrays and scalars become constant Tensors) and record it."""
        Tensor = _tensor_class
        if all(isinstance(t, Tensor) for t in inputs):  # Parameters too: no conversion needed
            tensors = inputs
        else:
            like = next((t for t in inputs if isinstance(t, Tensor)), None)
            try:
                tensors = tuple(_as_tensor(t, like) for t in inputs)
            except TypeError as err:  # say which op was called, not only what Tensor() refused
                raise TypeError(f"{cls.name}: an input could not become a Tensor: {err}") from None
        arrays = tuple(t.data for t in tensors)
        checked = cls.check(*arrays, **params)
        if checked is not None:
            params = checked
        ctx = Context(cls, tensors, params)
        out = cls.forward(ctx, *arrays, **params)
        if _anomaly_enabled and not _all_finite(out):
            raise RuntimeError(
                f"detect_anomaly: {cls.name} produced NaN or Inf in forward: output of shape "
                f"{tuple(np.shape(out))} from inputs {_describe(tensors)}"
            )
        if not _grad_enabled:
            return Tensor._make(out, False, None)
        requires_grad = any(ctx.needs_input_grad)
        if not requires_grad:
            ctx.saved_tensors = ()  # constants keep their graph (for pictures), not its arrays
        return Tensor._make(out, requires_grad, ctx)


def _all_finite(array: np.ndarray) -> bool:
    array = np.asarray(array)
    return array.dtype.kind != "f" or bool(np.isfinite(array).all())


def _describe(tensors: tuple) -> str:
    return ", ".join(
        f"{t.name or ('leaf' if t.op is None else t.op)!s} {tuple(t.shape)}" for t in tensors
    )


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block operations build no graph and their results do not require grad."""
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, False
    try:
        yield
    finally:
        _grad_enabled = previous


def is_grad_enabled() -> bool:
    return _grad_enabled


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Inside this block the first op whose forward output or backward gradient holds NaN or Inf
    raises RuntimeError naming the op, the phase and the tensor."""
    global _anomaly_enabled
    previous, _anomaly_enabled = _anomaly_enabled, True
    try:
        yield
    finally:
        _anomaly_enabled = previous


@contextlib.contextmanager
def module_scope(path: str, class_name: str) -> Iterator[None]:
    """Tensors made inside this block remember the nn.Module at `path` that made them (pictures)."""
    global _module_scope
    previous = _module_scope
    _module_scope = previous + ((path, class_name),)
    try:
        yield
    finally:
        _module_scope = previous


def current_module_scope() -> tuple[tuple[str, str], ...]:
    return _module_scope


def topo_order(root) -> list:
    """Every tensor `root` depends on, parents before children (iterative post-order DFS)."""
    order: list = []
    visited: set[int] = set()
    stack = [(root, False)]
    while stack:
        tensor, expanded = stack.pop()
        if expanded:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        for parent in tensor.parents:
            if id(parent) not in visited:
                stack.append((parent, False))
    return order


StepHook = Callable[[Any, np.ndarray, tuple], None]


def backward(root, grad: Any = None, on_step: StepHook | None = None) -> None:
    """Reverse-mode autodiff from `root`, adding into `.grad` of every tensor that requires grad.

    A Function's backward returns new arrays or views of grad_out (never its saved forward arrays).

    Gradients are summed per tensor in a local dict; `.grad` is touched only once the whole pass
    has succeeded, so a failure leaves every tensor as it was. `on_step(tensor, grad_in,
    parent_grads)` sees each op's step (trace_backward uses it).
    """
    seed = _seed_grad(root, grad)
    order = topo_order(root)
    pending: dict[int, np.ndarray] = {id(root): seed}
    finished: list[tuple[Any, np.ndarray]] = []
    for tensor in reversed(order):
        grad_in = pending.pop(id(tensor), None)
        if grad_in is None or not tensor.requires_grad:
            continue
        finished.append((tensor, grad_in))
        ctx = tensor._ctx
        if ctx is None:
            continue
        parent_grads = ctx.fn.backward(ctx, grad_in)
        if not isinstance(parent_grads, tuple):
            parent_grads = (parent_grads,)
        if len(parent_grads) != len(ctx.parents):
            raise RuntimeError(
                f"{ctx.fn.name}: backward returned {len(parent_grads)} gradients for "
                f"{len(ctx.parents)} inputs"
            )
        for parent, parent_grad in zip(ctx.parents, parent_grads, strict=True):
            if parent_grad is None or not parent.requires_grad:
                continue
            if isinstance(parent_grad, np.generic):  # NumPy turns 0-d results into scalars
                parent_grad = np.asarray(parent_grad)
            _check_grad(ctx.fn.name, parent, parent_grad)
            key = id(parent)
            pending[key] = pending[key] + parent_grad if key in pending else parent_grad
        if on_step is not None:
            on_step(tensor, grad_in, parent_grads)
    _store_grads(finished)


def _store_grads(finished: list[tuple[Any, np.ndarray]]) -> None:
    """Add each total into `.grad`. An array is stored as is only if no other tensor's grad shares
    its memory: pass-through backwards (add, reshape) hand one buffer to several tensors, and a
    later `+=` on one grad must not change another, so those get copies."""
    claimed: set[int] = set()
    for tensor, total in finished:
        buffer = total
        while isinstance(buffer.base, np.ndarray):
            buffer = buffer.base
        private = (
            id(buffer) not in claimed and total.flags.writeable and total.dtype == tensor.dtype
        )
        claimed.add(id(buffer))
        if tensor.grad is None:
            tensor.grad = total if private else np.array(total, dtype=tensor.dtype, copy=True)
        else:
            tensor.grad += total


def _seed_grad(root, grad: Any) -> np.ndarray:
    if not root.requires_grad:
        raise RuntimeError(
            "backward: this tensor does not require grad and has no graph to differentiate; "
            "make its inputs with requires_grad=True (and not under no_grad)"
        )
    if grad is None:
        if root.size != 1:
            raise RuntimeError(
                f"backward: grad can be omitted only for a one-element tensor, got shape "
                f"{tuple(root.shape)}; pass grad= an array of that shape"
            )
        return np.ones(root.shape, dtype=root.dtype)
    grad = np.asarray(grad.data if isinstance(grad, _tensor_class) else grad)
    if grad.dtype.kind not in "fiub":
        raise TypeError(f"backward: grad must be a float array, got dtype {grad.dtype}")
    if grad.shape != root.shape:
        raise ValueError(
            f"backward: grad must have the tensor's shape {tuple(root.shape)}, got {grad.shape}"
        )
    return grad.astype(root.dtype, copy=True)


def _check_grad(op: str, parent, grad: np.ndarray) -> None:
    if not isinstance(grad, np.ndarray) or grad.shape != parent.shape or grad.dtype != parent.dtype:
        got = (getattr(grad, "shape", None), getattr(grad, "dtype", type(grad).__name__))
        raise RuntimeError(
            f"{op}: backward returned a gradient of shape/dtype {got} for an input of shape "
            f"{tuple(parent.shape)} and dtype {parent.dtype}"
        )
    if _anomaly_enabled and not _all_finite(grad):
        raise RuntimeError(
            f"detect_anomaly: {op} produced NaN or Inf in backward: gradient for input "
            f"{parent.name or 'tensor'} of shape {tuple(parent.shape)}"
        )
