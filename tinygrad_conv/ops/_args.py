"""Argument helpers shared by the ops families: PyTorch's and NumPy's keyword spellings, and the
dtype rules for integer and bool tensors (promotion, float-only ops)."""

from __future__ import annotations

from typing import Any

import numpy as np

FLOAT32 = np.dtype(np.float32)
FLOAT64 = np.dtype(np.float64)


def one_of(
    op: str,
    torch_name: str,
    torch_value: Any,
    numpy_name: str,
    numpy_value: Any,
    default: Any = None,
) -> Any:
    """`dim=` or `axis=` (`keepdim=` or `keepdims=`): at most one spelling; None means not given."""
    if torch_value is not None and numpy_value is not None:
        raise TypeError(
            f"{op}: got both {torch_name}= and {numpy_name}= (the same argument in "
            f"PyTorch's and NumPy's spelling); pass one"
        )
    value = torch_value if torch_value is not None else numpy_value
    return default if value is None else value


def reduce_args(op: str, dim: Any, keepdim: Any, axis: Any, keepdims: Any) -> tuple[Any, Any]:
    """The (axis, keepdims) of a reduction called with either spelling."""
    return (
        one_of(op, "dim", dim, "axis", axis),
        one_of(op, "keepdim", keepdim, "keepdims", keepdims, False),
    )


def check_float_input(op: str, *arrays: np.ndarray, names: tuple[str, ...] = ("x",)) -> None:
    """Ops that need floats refuse integer and bool tensors by name (PyTorch's 'not implemented
    for Long'); kernels are only ever handed float32/float64 arrays."""
    for k, array in enumerate(arrays):
        dtype = array.dtype
        if dtype is FLOAT32 or dtype is FLOAT64:  # the usual case: two identity tests
            continue
        if dtype.kind != "f" or dtype.itemsize < 4:
            name = names[k] if k < len(names) else f"input {k}"
            raise TypeError(
                f"{op}: {name} must be a float32 or float64 tensor, got dtype {dtype} "
                "(convert with .float() or .double())"
            )


def result_dtype(*arrays: np.ndarray) -> np.dtype:
    """PyTorch's promotion for tensors: the widest float if any input is float, else NumPy's rule
    over the integers and bools (int64 + int32 -> int64, bool + bool -> bool)."""
    floats = [a.dtype for a in arrays if a.dtype.kind == "f"]
    if floats:
        return np.result_type(*floats)
    return np.result_type(*(a.dtype for a in arrays))


def promote(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """An int or bool operand of an op with a float operand takes the widest float dtype, as in
    PyTorch (float32 + int64 is float32, where NumPy gives float64). Float operands are left as
    they are (NumPy's float32 + float64 -> float64 is PyTorch's too), and so are all-int ones."""
    if len(arrays) == 2 and arrays[0].dtype == arrays[1].dtype:  # the common case, first
        return arrays
    kinds = [a.dtype.kind for a in arrays]
    if "f" not in kinds or all(k == "f" for k in kinds):
        return arrays
    dtype = result_dtype(*arrays)
    return tuple(a if a.dtype.kind == "f" else a.astype(dtype) for a in arrays)


def scalar_dtype(value: Any, like: np.dtype) -> np.dtype:
    """PyTorch's rule for a Python scalar beside a tensor of dtype `like`: it takes a float
    tensor's dtype; beside an int or bool tensor a float scalar gives float32, an int one the
    tensor's int dtype (int64 beside bool), a bool one the tensor's dtype."""
    if like.kind == "f":
        return like
    kind = np.asarray(value).dtype.kind
    if kind == "f":
        return FLOAT32
    if kind == "b" or like.kind != "b":
        return like
    return np.dtype(np.int64)
