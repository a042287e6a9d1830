"""The engine: Function (check -> forward -> backward), Context, no_grad, detect_anomaly,
topo_order, backward.

An op is a Function subclass. `apply` validates with `check` before anything is computed, runs
`forward` on NumPy arrays and wraps the result in a Tensor that remembers its Context (the op, its
parents, saved arrays).
`backward` walks that graph in reverse topological order without recursion.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _grad_passes, _saved
from ._grad_mode import (  # noqa: F401 - re-exported: the engine's public names live here
    current_module_scope,
    detect_anomaly,
    enable_grad,
    is_anomaly_enabled,
    is_grad_enabled,
    module_scope,
    no_grad,
    set_grad_enabled,
    state,
)

_tensor_class: Any = None  # set by register_tensor_class (tensor.py), the one Tensor <-> ops seam
_as_tensor: Any = None


def register_tensor_class(cls: type, as_tensor: Callable[..., Any]) -> None:
    """The one seam between the engine and Tensor: tensor.py hands its class here, so that the
    engine and the ops (which import only this module) can make Tensors without importing it."""
    global _tensor_class, _as_tensor
    _tensor_class, _as_tensor = cls, as_tensor


def is_tensor(value: Any) -> bool:
    return isinstance(value, _tensor_class)


def new_tensor(data: Any, **options: Any):
    """Tensor(data, **options) for modules that Tensor's own module depends on (creation.py):
    the checked constructor, reached through the seam."""
    return _tensor_class(data, **options)


def make_tensor(array: np.ndarray, requires_grad: bool = False, ctx: Context | None = None):
    """A Tensor around `array` without a copy or checks (for ops that build constants)."""
    return _tensor_class._make(array, requires_grad, ctx)


def record_without_grad(fn: type[Function], operands: tuple, params: dict, out: np.ndarray):
    """The result `out` of an op that has no gradient (a comparison, argmax, one_hot): a node of
    the graph when an operand is part of one, so that pictures and the ONNX export follow it (a
    mask or an index computed from the input), else plain data. It never requires grad; operands
    that are arrays become constant parents only when the node is recorded."""
    if state.grad_enabled and any(
        is_tensor(t) and (t._ctx is not None or t.requires_grad) for t in operands
    ):
        parents = tuple(t if is_tensor(t) else make_tensor(t) for t in operands)
        ctx = Context(fn, parents, params, tuple(t.data for t in parents))
        ctx.needs_input_grad = (False,) * len(parents)  # no gradient flows through it
        return make_tensor(out, False, ctx)
    return make_tensor(out)


class Context:
    """What one op call remembers for its backward: parents, parameters, saved arrays.

    What backward may read (STYLE.md): the arrays saved with `save_for_backward` (or, by name,
    in the `saved` dict), the user's parameters and derived state (conv geometry) in `params`,
    the inputs' shapes and dtypes in `input_shapes` / `input_dtypes` (recorded at forward).
    Saved arrays are the only arrays an op keeps on ctx: a backward without retain_graph releases
    both `saved_tensors` and `saved`; `params` and the structure stay (pictures need them).
    """

    __slots__ = (
        "fn",
        "parents",
        "params",
        "saved_tensors",
        "needs_input_grad",
        "_inputs",
        "__dict__",
    )
    _versions: tuple = ()  # set by apply when something was saved (see _saved.py)
    _checksums: tuple | None = None  # set under detect_anomaly
    _released = False  # set by release()
    _guarded = False  # True once there is anything for _saved.verify to check

    def __init__(
        self, fn: type[Function], parents: tuple, params: dict[str, Any], inputs: tuple = ()
    ):
        self.fn = fn
        self.parents = parents
        self.params = params
        self.saved_tensors: tuple[np.ndarray, ...] = ()
        self.needs_input_grad = tuple([p.requires_grad for p in parents])
        self._inputs = inputs  # the arrays forward got (their shapes and dtypes bind backward)

    @property
    def input_shapes(self) -> tuple[tuple[int, ...], ...]:
        return tuple([a.shape for a in self._inputs])

    @property
    def input_dtypes(self) -> tuple[np.dtype, ...]:
        return tuple([a.dtype for a in self._inputs])

    def save_for_backward(self, *arrays: np.ndarray) -> None:
        self.saved_tensors = arrays

    @property
    def saved(self) -> dict[str, Any]:
        """Named saved arrays, for ops that prefer names to positions (released like the rest)."""
        saved = self.__dict__.get("saved")
        if saved is None:
            saved = self.__dict__["saved"] = {}
        return saved

    def release(self) -> None:
        """Drop the saved arrays (a backward without retain_graph calls this once they are used)."""
        named = self.__dict__.get("saved")
        if self.saved_tensors or named:
            self._released = self._guarded = True
            self.saved_tensors = ()
            if named:
                named.clear()


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
        tensors = None
        for t in inputs:  # a loop, not all(generator): measured 0.3 us less per op
            if not isinstance(t, Tensor):  # Parameters are Tensors too: no conversion needed
                break
        else:
            tensors = inputs
        if tensors is None:
            like = next((t for t in inputs if isinstance(t, Tensor)), None)
            try:
                tensors = tuple(_as_tensor(t, like) for t in inputs)
            except TypeError as err:  # say which op was called, not only what Tensor() refused
                raise TypeError(f"{cls.name}: an input could not become a Tensor: {err}") from None
        arrays = tuple([t._data for t in tensors])  # a list comprehension: faster than a generator
        checked = cls.check(*arrays, **params)
        if checked is not None:
            params = checked
        ctx = Context(cls, tensors, params, arrays)
        out = cls.forward(ctx, *arrays, **params)
        modes = state
        if modes.anomaly and not _all_finite(out):
            raise RuntimeError(
                f"detect_anomaly: {cls.name} produced NaN or Inf in forward: output of shape "
                f"{tuple(np.shape(out))} from inputs {_describe(tensors)}"
            )
        if not modes.grad_enabled:
            result = Tensor._make(out, False, None)
        elif not any(ctx.needs_input_grad):
            ctx.saved_tensors = ()  # constants keep their graph (for pictures), not its arrays
            ctx.__dict__.pop("saved", None)
            result = Tensor._make(out, False, ctx)
        else:
            result = Tensor._make(out, True, ctx)
            saved = ctx.saved_tensors
            if saved or "saved" in ctx.__dict__:
                ctx._versions = (_saved.versions(tensors), out)  # checked by _saved.verify
                ctx._guarded = True
                if modes.anomaly:
                    ctx._checksums = _saved.checksums(saved)
        root = result._data.base
        if root is None:
            root = result._data
        for t in tensors:  # a view of an input's memory (x[0], reshape) shares its version
            data = t._data
            if root is data or root is data.base:
                result._base = weakref.ref(t)
                break
        return result


def _all_finite(array: np.ndarray) -> bool:
    array = np.asarray(array)
    return array.dtype.kind != "f" or bool(np.isfinite(array).all())


def _describe(tensors: tuple) -> str:
    return ", ".join(
        f"{t.name or ('leaf' if t.op is None else t.op)!s} {tuple(t.shape)}" for t in tensors
    )


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


def backward(
    root, grad: Any = None, retain_graph: bool | None = False, on_step: StepHook | None = None
) -> None:
    """Reverse-mode autodiff from `root`, adding into `.grad` of every tensor that requires grad.

    A Function's backward returns new arrays or views of grad_out (never its saved forward arrays).

    Before any op's backward runs, every ctx on the way is checked: not released by an earlier
    backward, its saved tensors at the versions they were saved at (and under detect_anomaly, the
    same checksums). Gradients are summed per tensor in a local dict, after the tensor's hooks;
    `.grad` is touched only once the whole pass has succeeded, so a failure leaves every grad as
    it was. Without `retain_graph`, each ctx's saved arrays are released once its backward ran.
    `on_step(tensor, grad_in, parent_grads)` sees each op's step (trace_backward uses it).
    """
    if retain_graph is not None and not isinstance(retain_graph, (bool, np.bool_)):
        raise TypeError(f"backward: retain_graph must be a bool, got {retain_graph!r}")
    seed = _seed_grad(root, grad)
    order = topo_order(root)
    for tensor in order:
        ctx = tensor._ctx
        if ctx is not None and ctx._guarded and tensor.requires_grad:
            _saved.verify(tensor, ctx)
    release = not retain_graph
    pending: dict[int, np.ndarray] = {id(root): seed}
    finished: list[tuple[Any, np.ndarray]] = []
    for tensor in reversed(order):
        grad_in = pending.pop(id(tensor), None)
        if grad_in is None or not tensor.requires_grad:
            continue
        if tensor._hooks:
            grad_in = _run_hooks(tensor, grad_in)
        finished.append((tensor, grad_in))
        ctx = tensor._ctx
        if ctx is None:
            continue
        parent_grads = ctx.fn.backward(ctx, grad_in)
        if release:
            ctx.release()
        if not isinstance(parent_grads, tuple):
            parent_grads = (parent_grads,)
        if len(parent_grads) != len(ctx.parents):
            raise RuntimeError(
                f"{ctx.fn.name}: backward returned {len(parent_grads)} gradients for "
                f"{len(ctx.parents)} inputs"
            )
        for i, (parent, parent_grad) in enumerate(zip(ctx.parents, parent_grads, strict=True)):
            if parent_grad is None or not parent.requires_grad:
                continue
            if isinstance(parent_grad, np.generic):  # NumPy turns 0-d results into scalars
                parent_grad = np.asarray(parent_grad)
            _check_grad(ctx, i, parent, parent_grad)
            key = id(parent)
            pending[key] = pending[key] + parent_grad if key in pending else parent_grad
        if on_step is not None:
            on_step(tensor, grad_in, parent_grads)
    _store_grads(finished)


def _run_hooks(tensor, grad: np.ndarray) -> np.ndarray:
    """Each hook sees the gradient computed for `tensor`; one that returns a value replaces it."""
    for hook in tuple(tensor._hooks.values()):
        result = hook(grad)
        if result is None:
            continue
        if isinstance(result, _tensor_class):
            result = result._data
        result = np.asarray(result)
        if result.shape != tensor._data.shape or result.dtype.kind not in "fiub":
            raise RuntimeError(
                f"hook {getattr(hook, '__name__', hook)!s}: returned a gradient of shape "
                f"{result.shape} and dtype {result.dtype} for a tensor of shape "
                f"{tuple(tensor._data.shape)}; a hook returns None or an array of that shape"
            )
        grad = result.astype(tensor._data.dtype, copy=False)
    return grad


def _store_grads(finished: list[tuple[Any, np.ndarray]]) -> None:
    """Add each total into `.grad`. An array is stored as is only if no other tensor's grad shares
    its memory: pass-through backwards (add, reshape) hand one buffer to several tensors, and a
    later `+=` on one grad must not change another, so those get copies."""
    for tensor, total in finished:
        grad = tensor._grad
        if grad is not None and (grad.shape != total.shape or grad.dtype != tensor._data.dtype):
            raise RuntimeError(
                f"backward: the .grad of shape {grad.shape} and dtype {grad.dtype} no longer "
                f"matches its tensor (shape {tuple(tensor._data.shape)}, dtype "
                f"{tensor._data.dtype}) after .data was replaced; set .grad = None first"
            )
    claimed: set[int] = set()
    for tensor, total in finished:
        buffer = total
        while isinstance(buffer.base, np.ndarray):
            buffer = buffer.base
        private = (
            id(buffer) not in claimed and total.flags.writeable and total.dtype == tensor.dtype
        )
        claimed.add(id(buffer))
        if tensor._grad is None:
            tensor._grad = total if private else np.array(total, dtype=tensor.dtype, copy=True)
        else:
            _grad_passes.accumulating(tensor)  # pictures mark grads of several passes
            tensor._grad += total


def _seed_grad(root, grad: Any) -> np.ndarray:
    if not root.requires_grad:
        raise RuntimeError(
            "backward: this tensor does not require grad and has no graph to differentiate; "
            "make its inputs with requires_grad=True (and not under no_grad)"
        )
    if grad is None:
        if root._data.size != 1:
            raise RuntimeError(
                f"backward: grad can be omitted only for a one-element tensor, got shape "
                f"{tuple(root.shape)}; pass grad= an array of that shape"
            )
        return np.ones(root.shape, dtype=root.dtype)
    grad = np.asarray(grad._data if isinstance(grad, _tensor_class) else grad)
    if grad.dtype.kind not in "fiub":
        raise TypeError(f"backward: grad must be a float array, got dtype {grad.dtype}")
    if grad.shape != root.shape:
        raise ValueError(
            f"backward: grad must have the tensor's shape {tuple(root.shape)}, got {grad.shape}"
        )
    return grad.astype(root.dtype, copy=True)


def _check_grad(ctx: Context, i: int, parent, grad: np.ndarray) -> None:
    op, array = ctx.fn.name, ctx._inputs[i]
    shape, dtype = array.shape, array.dtype
    if not isinstance(grad, np.ndarray) or grad.shape != shape or grad.dtype != dtype:
        got = (getattr(grad, "shape", None), getattr(grad, "dtype", type(grad).__name__))
        raise RuntimeError(
            f"{op}: backward returned a gradient of shape/dtype {got} for an input of shape "
            f"{shape} and dtype {dtype}"
        )
    data = parent._data
    if data.shape != shape or data.dtype != dtype:
        raise RuntimeError(
            f"{op}: input {i} ({parent.name or 'tensor'}) had shape {shape} and dtype {dtype} "
            f"when {op} used it, but its .data was replaced by an array of shape "
            f"{data.shape} and dtype {data.dtype} before backward"
        )
    if state.anomaly and not _all_finite(grad):
        raise RuntimeError(
            f"detect_anomaly: {op} produced NaN or Inf in backward: gradient for input "
            f"{parent.name or 'tensor'} of shape {tuple(shape)}"
        )
