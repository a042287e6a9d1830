"""Helpers of Module's state: arrays from state dicts, and Module.to's arguments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import autograd

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def as_array(name: str, value: Any, op: str = "load_state_dict") -> np.ndarray:
    """A state-dict value (Tensor, torch tensor, array, nested list) as a NumPy array."""
    if autograd.is_tensor(value):
        return value.data
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor, maybe requiring grad
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{op}: {name!r} must be array-like, got {type(value).__name__}") from err
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{op}: {name!r} must hold numbers, got dtype {array.dtype}")
    return array


def _is_device(value: Any) -> bool:
    return isinstance(value, str) or type(value).__name__ == "device"  # a torch.device too


def _check_device(value: Any) -> None:
    kind = value if isinstance(value, str) else getattr(value, "type", "")
    if kind.split(":")[0] != "cpu":
        raise ValueError(f"to: device must be 'cpu' (the only device here), got {value!r}")


def _dtype(value: Any) -> np.dtype:
    if autograd.is_tensor(value):
        return value.dtype
    if str(value).startswith("torch."):  # torch.float32 / torch.float64
        value = str(value)[len("torch.") :]
    try:
        dtype = np.dtype(value)
    except TypeError as err:
        raise TypeError(
            f"to: expected a device ('cpu') or a dtype (float32, float64), got {value!r}"
        ) from err
    if dtype not in FLOAT_DTYPES:
        raise TypeError(f"to: dtype must be float32 or float64, got {dtype}")
    return dtype


def parse_to(args: tuple, kwargs: dict) -> np.dtype | None:
    """The dtype that Module.to(*args, **kwargs) asks for (None: keep), after checking the
    device."""
    unknown = set(kwargs) - {"device", "dtype", "non_blocking", "copy"}
    if unknown:
        raise TypeError(f"to: unexpected keyword arguments {sorted(unknown)}")
    if len(args) > 2:
        raise TypeError(f"to: expected at most (device, dtype), got {len(args)} arguments")
    dtype = None
    for arg in args:
        if _is_device(arg):
            _check_device(arg)
        else:
            dtype = _dtype(arg)
    if kwargs.get("device") is not None:
        _check_device(kwargs["device"])
    if kwargs.get("dtype") is not None:
        dtype = _dtype(kwargs["dtype"])
    return dtype


def _cast(tensor: Any, dtype: np.dtype) -> None:
    if tensor.dtype == dtype:
        return
    tensor.data = tensor.data.astype(dtype)
    if tensor.grad is not None:
        tensor.grad = tensor.grad.astype(dtype)
    tensor._bump_version()


def apply_dtype(module: Any, dtype: np.dtype) -> None:
    """Cast every parameter and floating buffer of `module` to dtype, in place (the same Tensor
    objects, so an optimizer made before keeps them)."""
    for param in module.parameters():
        _cast(param, dtype)
    for buffer in module.buffers():
        if buffer.dtype.kind == "f":
            _cast(buffer, dtype)


def checked_arrays(
    owner: str, own: dict[str, Any], state_dict: Any, strict: bool
) -> tuple[dict[str, np.ndarray], list[str], list[str]]:
    """load_state_dict's checks, all before anything is written: the keys (strict), each value
    array-like with the entry's shape. Returns (arrays to write, missing, unexpected)."""
    if not isinstance(state_dict, Mapping):
        raise TypeError(
            f"load_state_dict: state_dict must be a mapping of name -> array, got "
            f"{type(state_dict).__name__}"
        )
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict if k not in own]
    if strict and (missing or unexpected):
        raise ValueError(
            f"load_state_dict: state_dict keys do not match {owner}: missing {missing}, "
            f"unexpected {unexpected}"
        )
    arrays = {}
    for name, tensor in own.items():
        if name not in state_dict:
            continue
        array = as_array(name, state_dict[name])
        if array.shape != tensor.shape:
            raise ValueError(
                f"load_state_dict: {name!r} has shape {array.shape}, the model's entry has shape "
                f"{tuple(tensor.shape)}"
            )
        arrays[name] = array
    return arrays, missing, unexpected
