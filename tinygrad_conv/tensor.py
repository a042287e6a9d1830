"""Tensor: a NumPy array that remembers the operation that made it, so gradients can flow back."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import autograd
from .ops._args import scalar_dtype
from .tensor_methods import TensorMethods

_ALLOWED = (np.dtype(np.float32), np.dtype(np.float64))
# dtype= may also ask for these (indices, targets, masks): PyTorch's integer and bool tensors.
_INT_DTYPES = tuple(np.dtype(d) for d in (np.int64, np.int32, np.int16, np.int8, np.uint8,
                                          np.bool_))


def _to_array(data: Any, dtype: Any) -> np.ndarray:
    """Copy `data` into a float32/float64 array (API.md: ints and bools become float32), or into
    the integer or bool dtype that `dtype=` names."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        try:
            wanted = np.dtype(dtype)
        except TypeError as err:
            raise TypeError(f"Tensor: dtype must be float32, float64, an int type or bool, got "
                            f"{dtype!r}") from err
        if wanted not in _ALLOWED and wanted not in _INT_DTYPES:
            raise TypeError(f"Tensor: dtype must be float32, float64, an int type or bool, got "
                            f"{wanted}")
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
    if like is not None and (isinstance(value, (int, float, bool, np.generic)) or (
            isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "fiub")):
        # A scalar takes the tensor's dtype, as in PyTorch (a 0-d operand does not promote).
        return Tensor._make(np.asarray(value, dtype=scalar_dtype(value, like.dtype)), False, None)
    if isinstance(value, np.ndarray) and (value.dtype in _ALLOWED or (
            like is not None and value.dtype in _INT_DTYPES)):
        # Beside a tensor, integer arrays (indices, targets, masks) keep their dtype.
        return Tensor._make(value.copy(), False, None)  # the graph must not see later edits
    return Tensor(value)


class Tensor(TensorMethods):
    """An n-dimensional array with reverse-mode autodiff (see API.md)."""

    __slots__ = ("data", "grad", "requires_grad", "name", "_ctx", "_module", "_version",
                 "__weakref__")
    __array_ufunc__ = None  # so `ndarray + Tensor` calls Tensor.__radd__ instead of NumPy's add
    __array_priority__ = 1000

    def __init__(
        self, data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None
    ):
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(f"Tensor: requires_grad must be a bool, got {requires_grad!r}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Tensor: name must be a str or None, got {type(name).__name__}")
        self.data = _to_array(data, dtype)
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"Tensor: only float tensors can require grad, got dtype "
                            f"{self.data.dtype}")
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        self.name = name
        self._ctx: autograd.Context | None = None
        self._module = autograd.current_module_scope()
        self._version = 0

    @classmethod
    def _make(cls, data: Any, requires_grad: bool, ctx: autograd.Context | None) -> Tensor:
        """The ops' fast constructor: no copy, no checks."""
        tensor = cls.__new__(cls)
        tensor.data = data if isinstance(data, np.ndarray) else np.asarray(data)
        tensor.grad = None
        tensor.requires_grad = requires_grad
        tensor.name = None
        tensor._ctx = ctx
        tensor._module = autograd._module_scope
        tensor._version = 0
        return tensor

    def _bump_version(self) -> None:
        """Record an in-place change of `.data` (backward refuses arrays saved before it)."""
        self._version += 1

    # --- what it is ----------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

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
        return self.data

    def item(self) -> float:
        if self.data.size != 1:
            raise ValueError(
                f"item: only one-element tensors convert to a number, got shape {self.shape}"
            )
        return self.data.item()

    def detach(self) -> Tensor:
        return Tensor._make(self.data, False, None)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        array = self.data if dtype is None else self.data.astype(dtype, copy=False)
        if copy is False and array is not self.data:
            raise ValueError("Tensor.__array__: a dtype change needs a copy, but copy=False")
        return array.copy() if copy else array  # np.array(t) copies, np.asarray(t) does not

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", precision=4, prefix="Tensor(")
        extras = [] if self.dtype == np.float32 else [f"dtype={self.dtype}"]
        if self.requires_grad:
            extras.append("requires_grad=True")
        if self.op is not None:
            extras.append(f"op={self.op!r}")
        if self.name is not None:
            extras.append(f"name={self.name!r}")
        return f"Tensor({body}{''.join(', ' + e for e in extras)})"

    # --- gradients -----------------------------------------------------------------------------
    def backward(self, grad: Any = None) -> None:
        """Reverse-mode autodiff from here; grad may be omitted only for a one-element tensor."""
        autograd.backward(self, grad)

    def zero_grad(self) -> None:
        self.grad = None

    def draw(self, **options: Any):
        """The graph picture of everything this tensor depends on (see tc.draw_graph)."""
        from .graph import draw_graph

        return draw_graph(self, **options)


autograd.register_tensor_class(Tensor, as_tensor)
