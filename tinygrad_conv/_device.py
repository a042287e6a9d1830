"""PyTorch's device vocabulary for a library that has only the CPU: `tc.device("cpu")`,
`tc.cuda.is_available()` (False), `tc.backends.mps.is_available()` (False), `tc.accelerator`, and
the dtype names (`tc.float32`, `tc.long`, ...) as NumPy dtypes, so that `torch.device("cuda" if
use_cuda else "cpu")` and `dtype=torch.long` run with the import changed."""

from __future__ import annotations

import builtins
import re
import types
from typing import Any

import numpy as np

from .autograd import is_tensor
from .ops.convert import convert

_DEVICE = re.compile(r"([a-z_]+)(?::(\d+))?")


def _only_cpu(given: Any) -> ValueError:
    return ValueError(
        f"device: only the CPU exists here (device 'cpu'), got {given!r}; code that picks a GPU "
        "when tc.cuda.is_available() gets the CPU, because that is False"
    )


class device:  # noqa: N801 - PyTorch's name
    """torch.device for the CPU: `device("cpu")`, `device("cpu:0")`, `device("cpu", 0)`,
    `device(type="cpu")`. `.type` is "cpu", `.index` None or the given index; str() and repr()
    are PyTorch's. Any other device type is a ValueError."""

    __slots__ = ("type", "index")

    def __init__(self, type: Any, index: Any = None) -> None:  # noqa: A002 - PyTorch's name
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        elif builtins.type(type).__name__ == "device" and hasattr(type, "type"):  # torch.device
            type, index = type.type, type.index if index is None else index
        if not isinstance(type, str):
            raise _only_cpu(type)
        match = _DEVICE.fullmatch(type)
        if match is None:
            raise ValueError(f"device: invalid device string {type!r} (expected 'cpu' or 'cpu:0')")
        if match.group(1) != "cpu":
            raise _only_cpu(type)
        if match.group(2) is not None:
            if index is not None:
                raise ValueError(
                    f"device: type {type!r} already holds an index; got index={index!r} too"
                )
            index = builtins.int(match.group(2))
        if index is not None and (
            isinstance(index, builtins.bool)
            or not isinstance(index, builtins.int | np.integer)
            or index < 0
        ):
            raise ValueError(f"device: index must be a non-negative int, got {index!r}")
        self.type = "cpu"
        self.index = None if index is None else builtins.int(index)

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __eq__(self, other: Any) -> builtins.bool:
        if not isinstance(other, device):
            return NotImplemented
        return (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> builtins.int:
        return hash((self.type, self.index))

    def __reduce__(self) -> tuple:
        return device, (self.type, self.index)


CPU = device("cpu")


def is_device(value: Any) -> builtins.bool:
    """A device as `to()` takes it: a str, this module's device, or a torch.device."""
    return isinstance(value, str | device) or builtins.type(value).__name__ == "device"


def check_device(op: str, value: Any) -> None:
    """ValueError unless `value` names the CPU."""
    try:
        device(value)
    except ValueError:
        raise ValueError(f"{op}: only the 'cpu' device exists here, got {value!r}") from None


def device_ok(op: str, value: Any) -> None:
    """check_device for an optional device= argument (None: the CPU)."""
    if value is not None:
        check_device(op, value)


class DeviceMethods:
    """Mixed into Tensor (through TensorMethods): to(), cpu(), cuda(), .device, .is_cuda, and
    new_zeros/new_ones/new_full/new_tensor (PyTorch: "the same dtype and device as self")."""

    __slots__ = ()

    def to(
        self,
        *args: Any,
        dtype: Any = None,
        device: Any = None,
        non_blocking: bool = False,
        copy: bool = False,
        memory_format: Any = None,
    ) -> Any:
        """x.to(tc.float64), x.to("cpu"), x.to(tc.device("cpu"), tc.long), x.to(other) (its
        dtype). x itself when nothing changes (a clone with copy=True), as in PyTorch."""
        for arg in args:
            if is_device(arg):
                device = arg if device is None else device
            elif is_tensor(arg):
                dtype = arg.dtype
            else:
                dtype = arg
        if device is not None:
            check_device("to", device)
        result = self if dtype is None else convert(self, dtype)
        return result.clone() if copy and result is self else result

    def cpu(self, memory_format: Any = None) -> Any:
        return self

    def cuda(self, device: Any = None, non_blocking: bool = False) -> Any:
        check_device("cuda", "cuda" if device is None else device)  # always refuses
        return self

    @property
    def device(self) -> Any:
        return CPU

    is_cuda = False

    # --- new tensors like this one: its dtype unless dtype= is given, on its device ----------
    def new_zeros(
        self, *size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None
    ) -> Any:
        """Shape `size`, self's dtype unless `dtype` is given (so new_ones, new_full, ...)."""
        from .creation import zeros

        device_ok("new_zeros", device)
        return zeros(
            *size, dtype=self.dtype if dtype is None else dtype, requires_grad=requires_grad
        )

    new_empty = new_zeros  # PyTorch's values are unspecified; zeros are one choice of them

    def new_ones(
        self, *size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None
    ) -> Any:
        from .creation import ones

        device_ok("new_ones", device)
        return ones(
            *size, dtype=self.dtype if dtype is None else dtype, requires_grad=requires_grad
        )

    def new_full(
        self,
        size: Any,
        fill_value: Any,
        *,
        dtype: Any = None,
        requires_grad: bool = False,
        device: Any = None,
    ) -> Any:
        from .creation import full

        device_ok("new_full", device)
        return full(
            size,
            fill_value,
            dtype=self.dtype if dtype is None else dtype,
            requires_grad=requires_grad,
        )

    def new_tensor(
        self, data: Any, *, dtype: Any = None, requires_grad: bool = False, device: Any = None
    ) -> Any:
        from .creation import tensor

        device_ok("new_tensor", device)
        return tensor(
            data, dtype=self.dtype if dtype is None else dtype, requires_grad=requires_grad
        )


def _false() -> builtins.bool:
    return False


def _zero() -> builtins.int:
    return 0


def _none() -> None:
    return None


# torch.cuda / torch.backends.mps / torch.accelerator as code that asks about a GPU uses them.
cuda = types.SimpleNamespace(
    is_available=_false,
    device_count=_zero,
    manual_seed=lambda seed: None,
    manual_seed_all=lambda seed: None,
)
backends = types.SimpleNamespace(
    mps=types.SimpleNamespace(is_available=_false, is_built=_false),
    cudnn=types.SimpleNamespace(
        is_available=_false, enabled=False, deterministic=False, benchmark=False
    ),
)
accelerator = types.SimpleNamespace(
    is_available=_false, device_count=_zero, current_accelerator=_none
)

# PyTorch's dtype names as NumPy dtypes (x.dtype == tc.float32, dtype=tc.long).
float32 = float = np.dtype(np.float32)  # noqa: A001 - PyTorch's names
float64 = double = np.dtype(np.float64)
int64 = long = np.dtype(np.int64)
int32 = int = np.dtype(np.int32)  # noqa: A001
int16 = short = np.dtype(np.int16)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
bool = np.dtype(np.bool_)  # noqa: A001

DTYPE_NAMES = (
    "float32",
    "float",
    "float64",
    "double",
    "int64",
    "long",
    "int32",
    "int",
    "int16",
    "short",
    "int8",
    "uint8",
    "bool",
)
