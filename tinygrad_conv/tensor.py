"""Tensor: a NumPy array that remembers the operation that made it, so gradients can flow back."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from . import autograd
from ._grad_mode import state as _modes
from ._inplace_ops import InPlaceOperators
from ._tensor_extras import Clone, InPlaceMethods, RemovableHandle, _Size
from .ops._args import scalar_dtype
from .tensor_methods import TensorMethods

_ALLOWED = (np.dtype(np.float32), np.dtype(np.float64))
# dtype= may also ask for these (indices, targets, masks): PyTorch's integer and bool tensors.
_INT_DTYPES = tuple(
    np.dtype(d) for d in (np.int64, np.int32, np.int16, np.int8, np.uint8, np.bool_)
)


def _to_array(data: Any, dtype: Any) -> np.ndarray:
    """Copy `data` into a float32/float64 array (API.md: ints and bools become float32), or into
    the integer or bool dtype that `dtype=` names."""
    if isinstance(data, Tensor):
        data = data._data
    if dtype is not None:
        try:
            wanted = np.dtype(dtype)
        except TypeError as err:
            raise TypeError(
                f"Tensor: dtype must be float32, float64, an int type or bool, got {dtype!r}"
            ) from err
        if wanted not in _ALLOWED and wanted not in _INT_DTYPES:
            raise TypeError(
                f"Tensor: dtype must be float32, float64, an int type or bool, got {wanted}"
            )
    try:
        array = np.array(data, copy=True)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"Tensor: data must be numeric array-like, got {type(data).__name__}"
        ) from err
    kind = array.dtype.kind
    if kind not in "fiub" or (kind == "f" and array.dtype not in _ALLOWED and dtype is None):
        raise TypeError(
            f"Tensor: data must be float32 or float64 (ints and bools become float32), got dtype "
            f"{array.dtype}"
        )
    if dtype is not None:
        if wanted.kind in "iub" and kind == "f" and not np.isfinite(array).all():
            raise ValueError(f"Tensor: NaN or Inf cannot become {wanted}")
        return array.astype(wanted, copy=False)
    if kind != "f" or not isinstance(data, np.ndarray | np.generic):
        return array.astype(np.float32, copy=False)  # Python numbers and lists default to float32
    return array


def as_tensor(value: Any, like: Tensor | None = None) -> Tensor:
    """A Tensor as is; an array or scalar as a constant Tensor (a Python scalar gets like.dtype)."""
    if isinstance(value, Tensor):
        return value
    if like is not None and (
        isinstance(value, (int, float, bool, np.generic))
        or (isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "fiub")
    ):
        # A scalar takes the tensor's dtype, as in PyTorch (a 0-d operand does not promote).
        return Tensor._make(np.asarray(value, dtype=scalar_dtype(value, like.dtype)), False, None)
    if isinstance(value, np.ndarray) and (
        value.dtype in _ALLOWED or (like is not None and value.dtype in _INT_DTYPES)
    ):
        # Beside a tensor, integer arrays (indices, targets, masks) keep their dtype.
        return Tensor._make(value.copy(), False, None)  # the graph must not see later edits
    return Tensor(value)


class Tensor(TensorMethods, InPlaceMethods, InPlaceOperators):
    """An n-dimensional array with reverse-mode autodiff (see API.md)."""

    __slots__ = (
        "_data",
        "_grad",
        "requires_grad",
        "name",
        "_ctx",
        "_module",
        "_version",
        "_hooks",
        "_base",
        "__weakref__",
    )  # _base: a weak reference to the tensor whose memory this one views (or None)
    __array_ufunc__ = None  # so `ndarray + Tensor` calls Tensor.__radd__ instead of NumPy's add
    __array_priority__ = 1000

    def __init__(
        self, data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None
    ):
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(f"Tensor: requires_grad must be a bool, got {requires_grad!r}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Tensor: name must be a str or None, got {type(name).__name__}")
        self._data = _to_array(data, dtype)
        if requires_grad and self._data.dtype.kind != "f":
            raise TypeError(
                f"Tensor: only float tensors can require grad, got dtype {self._data.dtype}"
            )
        self._grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        self.name = name
        self._ctx: autograd.Context | None = None
        self._module = autograd.current_module_scope()
        self._version = 0
        self._hooks: dict[int, Callable] | None = None
        self._base: weakref.ref | None = None

    @classmethod
    def _make(cls, data: Any, requires_grad: bool, ctx: autograd.Context | None) -> Tensor:
        """The ops' fast constructor: no copy, no checks."""
        tensor = cls.__new__(cls)
        tensor._data = data if isinstance(data, np.ndarray) else np.asarray(data)
        tensor._grad = None
        tensor.requires_grad = requires_grad
        tensor.name = None
        tensor._ctx = ctx
        tensor._module = _modes.module_scope
        tensor._version = 0
        tensor._hooks = None
        tensor._base = None
        return tensor

    def _bump_version(self) -> None:
        """Record an in-place change of `.data` (backward refuses arrays saved before it). A
        tensor that views another one's memory (detach(), x[0], reshape) counts for it too; the
        engine reads a view's version as its own plus its bases' (PyTorch shares one counter)."""
        self._version += 1
        base = self._base  # a weak reference, so a view (a loss history) keeps no graph alive
        while base is not None:
            tensor = base()
            if tensor is None:
                return
            tensor._version += 1
            base = tensor._base

    def __getstate__(self) -> tuple:
        """Pickling keeps the values, not the weak link to a viewed tensor."""
        state, slots = super().__getstate__()
        return state, {**slots, "_base": None}

    # --- data and grad -------------------------------------------------------------------------
    @property
    def data(self) -> np.ndarray:
        """The np.ndarray it holds. Assigning another array counts as an in-place change (the
        version goes up); a tensor made by an op keeps its shape and dtype."""
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        if isinstance(value, Tensor):
            value = value._data
        if not isinstance(value, np.ndarray):
            raise TypeError(
                f"Tensor.data: must be assigned an np.ndarray (or a Tensor), got "
                f"{type(value).__name__}"
            )
        old = self._data
        if self._ctx is not None and (value.shape != old.shape or value.dtype != old.dtype):
            raise RuntimeError(
                f"Tensor.data: this tensor was made by {self._ctx.fn.name} with shape "
                f"{old.shape} and dtype {old.dtype}; an array of shape {value.shape} and dtype "
                f"{value.dtype} would not fit its graph (assign to a leaf, or use .detach())"
            )
        if self.requires_grad and value.dtype.kind != "f":
            raise TypeError(
                f"Tensor.data: a tensor that requires grad holds floats, got dtype {value.dtype}"
            )
        self._data = value
        self._version += 1

    @property
    def grad(self) -> np.ndarray | None:
        """The gradient (same shape and dtype as .data), or None before any backward reached it."""
        return self._grad

    @grad.setter
    def grad(self, value: Any) -> None:
        if value is not None:
            if isinstance(value, Tensor):
                value = value._data
            if not isinstance(value, np.ndarray):
                raise TypeError(
                    f"assigned grad expected to be an np.ndarray or None but got "
                    f"grad of type {type(value).__name__}"
                )
            if value.shape != self._data.shape:
                raise RuntimeError(
                    f"assigned grad has data of a different size: shape "
                    f"{value.shape} for a tensor of shape {self._data.shape}"
                )
            if value.dtype != self._data.dtype:
                raise RuntimeError(
                    f"assigned grad has data of a different type: {value.dtype} "
                    f"for a tensor of dtype {self._data.dtype}"
                )
        self._grad = value

    # --- what it is ----------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def size(self) -> _Size:
        """NumPy's element count, an int; calling it gives PyTorch's: x.size() the shape,
        x.size(dim) one dim."""
        return _Size(self._data.shape)

    def numel(self) -> int:
        return self._data.size

    def dim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def op(self) -> str | None:
        return None if self._ctx is None else self._ctx.fn.name

    @property
    def parents(self) -> tuple[Tensor, ...]:
        return () if self._ctx is None else self._ctx.parents

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    def numpy(self) -> np.ndarray:
        return self._data

    def item(self) -> float:
        if self._data.size != 1:
            raise ValueError(
                f"item: only one-element tensors convert to a number, got shape {self.shape}"
            )
        return self._data.item()

    def detach(self) -> Tensor:
        """The same memory outside the graph; an in-place change of it counts for this tensor's
        version too (PyTorch shares the version counter)."""
        tensor = Tensor._make(self._data, False, None)
        tensor._base = weakref.ref(self)
        return tensor

    def clone(self) -> Tensor:
        """A copy of the data, recorded in the graph (its gradient flows back unchanged)."""
        return Clone.apply(self)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        array = self._data if dtype is None else self._data.astype(dtype, copy=False)
        if copy is False and array is not self._data:
            raise ValueError("Tensor.__array__: a dtype change needs a copy, but copy=False")
        return array.copy() if copy else array  # np.array(t) copies, np.asarray(t) does not

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", precision=4, prefix="Tensor(")
        extras = [] if self.dtype == np.float32 else [f"dtype={self.dtype}"]
        if self.requires_grad:
            extras.append("requires_grad=True")
        if self.op is not None:
            extras.append(f"op={self.op!r}")
        if self.name is not None:
            extras.append(f"name={self.name!r}")
        return f"Tensor({body}{''.join(', ' + e for e in extras)})"

    # --- gradients -----------------------------------------------------------------------------
    def backward(
        self,
        gradient: Any = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: Any = None,
        *,
        grad: Any = None,
    ) -> None:
        """Reverse-mode autodiff from here. The seed is the first argument, `gradient=` (PyTorch's
        keyword) or `grad=` (one of them); it may be omitted only for a one-element tensor.
        Releases the arrays the graph saved for backward unless retain_graph=True."""
        if grad is not None:
            if gradient is not None:
                raise TypeError("backward: give the seed as gradient= or grad=, not both")
            gradient = grad
        if create_graph is not False or inputs is not None:
            _unsupported_backward(create_graph, inputs)
        autograd.backward(self, gradient, retain_graph)

    def zero_grad(self) -> None:
        self._grad = None

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set requires_grad in place (floats only; an op's result keeps it); returns self."""
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(f"requires_grad_: requires_grad must be a bool, got {requires_grad!r}")
        if requires_grad and self._data.dtype.kind != "f":
            raise TypeError(
                f"requires_grad_: only float tensors can require gradients, got "
                f"dtype {self._data.dtype}"
            )
        if self._ctx is not None and self.requires_grad and not requires_grad:
            raise RuntimeError(
                "requires_grad_: you can only change requires_grad flags of leaf "
                "tensors; use .detach() for a tensor outside the graph"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Accepted for PyTorch code: every tensor that requires grad keeps its .grad anyway."""
        if not self.requires_grad:
            raise RuntimeError(
                "retain_grad: can't retain_grad on a tensor that has requires_grad=False"
            )

    def register_hook(self, hook: Callable[[np.ndarray], Any]) -> RemovableHandle:
        """hook(grad) runs when backward has computed this tensor's gradient; it returns None or
        a replacement (same shape). Returns a handle whose .remove() takes the hook away."""
        if not callable(hook):
            raise TypeError(f"register_hook: hook must be callable, got {hook!r}")
        if not self.requires_grad:
            raise RuntimeError(
                "register_hook: cannot register a hook on a tensor that doesn't require gradient"
            )
        if self._hooks is None:
            self._hooks = {}
        return RemovableHandle(self._hooks, hook)

    def draw(self, **options: Any):
        """The graph picture of everything this tensor depends on (see tc.draw_graph)."""
        from .graph import draw_graph

        return draw_graph(self, **options)


def _unsupported_backward(create_graph: Any, inputs: Any) -> None:
    if create_graph is not False and create_graph is not None:
        if not isinstance(create_graph, (bool, np.bool_)):
            raise TypeError(f"backward: create_graph must be a bool, got {create_graph!r}")
        if create_graph:
            raise NotImplementedError(
                "backward: create_graph=True (higher-order gradients) is not supported; "
                "backward computes NumPy arrays, not a graph"
            )
    if inputs is not None:
        raise NotImplementedError(
            "backward: inputs= is not supported; every tensor that requires grad gets its .grad"
        )


autograd.register_tensor_class(Tensor, as_tensor)
