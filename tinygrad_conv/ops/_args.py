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


def _category_dtype(dtypes: list[np.dtype]) -> np.dtype:
    """The widest float if any is float, else NumPy's rule over the integers and bools (int64 +
    int32 -> int64, bool + bool -> bool): PyTorch's promotion among operands of one rank class."""
    floats = [d for d in dtypes if d.kind == "f"]
    return np.result_type(*floats) if floats else np.result_type(*dtypes)


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def result_dtype(*arrays: np.ndarray) -> np.dtype:
    """PyTorch's promotion for tensors: the widest float if any input is float, else NumPy's rule
    over the integers and bools; a 0-d operand counts only if its category (bool < int < float)
    is above every dimensioned operand's (float32 (3,) + float64 () -> float32, as in PyTorch;
    int64 (3,) + float64 () -> float64)."""
    dims = [a.dtype for a in arrays if a.ndim]
    zeros = [a.dtype for a in arrays if not a.ndim]
    if not dims or not zeros:
        return _category_dtype(dims or zeros)
    dim_dtype, zero_dtype = _category_dtype(dims), _category_dtype(zeros)
    return zero_dtype if _CATEGORY[zero_dtype.kind] > _CATEGORY[dim_dtype.kind] else dim_dtype


def promote(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """The operands of an op in PyTorch's result dtype (see result_dtype): an int or bool operand
    beside a float takes the float dtype (float32 + int64 is float32, where NumPy gives float64),
    and a 0-d operand takes the others' dtype unless it is of a higher category. Dimensioned float
    operands are left as they are (NumPy's float32 + float64 -> float64 is PyTorch's too, without
    a copy), and so are dimensioned ints beside ints."""
    if len(arrays) == 2 and arrays[0].dtype == arrays[1].dtype:  # the common case, first
        return arrays
    return _promote_binary(*arrays) if len(arrays) == 2 else _promote_many(arrays)


def _promote_binary(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """promote for two operands of different dtypes, each case without a loop."""
    if a.ndim and b.ndim:
        a_float, b_float = a.dtype.kind == "f", b.dtype.kind == "f"
        if a_float == b_float:
            return a, b
        return (a, b.astype(a.dtype)) if a_float else (a.astype(b.dtype), b)
    if not (a.ndim or b.ndim):
        return _promote_many((a, b))
    zero, other = (a, b) if b.ndim else (b, a)  # one 0-d operand: it counts only if it is of
    if _CATEGORY[zero.dtype.kind] <= _CATEGORY[other.dtype.kind]:  # a higher category
        zero = zero.astype(other.dtype)
    elif zero.dtype.kind == "f":
        other = other.astype(zero.dtype)
    return (zero, other) if b.ndim else (other, zero)


def _promote_many(arrays: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """promote for cat and stack (operands of one rank, where NumPy's rule holds unless an int
    meets a float) and for two 0-d operands."""
    first = arrays[0].dtype
    for a in arrays:
        if a.dtype != first:
            break
    else:
        return arrays
    kinds = [a.dtype.kind for a in arrays]
    if "f" not in kinds or all(k == "f" for k in kinds):
        rank = arrays[0].ndim
        for a in arrays:
            if a.ndim != rank:
                break
        else:
            return arrays
    dtype = result_dtype(*arrays)
    to_float = dtype.kind == "f"
    return tuple(
        a
        if a.dtype == dtype or (a.ndim and (a.dtype.kind == "f" or not to_float))
        else a.astype(dtype)
        for a in arrays
    )


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
