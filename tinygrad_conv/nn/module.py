"""Module and Parameter, as in PyTorch: parameters and submodules register themselves by attribute
assignment, so every module knows its name in the model ("features.0") and its state dict uses
PyTorch's keys ("features.0.weight")."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from .. import autograd
from ..tensor import Tensor


class IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


class Parameter(Tensor):
    """A Tensor that a Module owns and an optimizer updates: requires_grad=True by default."""

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, dtype: Any = None,
                 name: str | None = None):
        super().__init__(data, requires_grad=requires_grad, dtype=dtype, name=name)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class of every layer and model: subclasses set attributes in __init__ and define
    forward."""

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_path", "")

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            if isinstance(value, (Parameter, Module)):
                raise AttributeError(f"{type(self).__name__}: call super().__init__() before "
                                     f"assigning parameters or submodules")
            object.__setattr__(self, name, value)
            return
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        object.__delattr__(self, name)

    # --- calling ----------------------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not autograd.current_module_scope():  # the outermost call names every submodule
            self._name_tree()
        with autograd.module_scope(self._path, type(self).__name__):
            return self.forward(*args, **kwargs)

    def _name_tree(self) -> None:
        """Give each submodule its path and each unnamed parameter its state-dict name (for pictures
        and error messages), relative to this module."""
        for path, module in self.named_modules():
            object.__setattr__(module, "_path", path)
            for name, param in module._parameters.items():
                if param is not None and param.name is None:
                    param.name = f"{path}.{name}" if path else name

    # --- walking the tree -------------------------------------------------------------------------
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every submodule, depth first, with its dotted path ("" for this one)."""
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            path, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield path, module
            children = [(f"{path}.{n}" if path else n, m) for n, m in module._modules.items()]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def children(self) -> Iterator[Module]:
        yield from self._modules.values()

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Every parameter once, with PyTorch's dotted name ("0.weight", "features.0.bias")."""
        seen: set[int] = set()
        for path, module in self.named_modules(prefix):
            for name, param in module._parameters.items():
                if param is None or id(param) in seen:
                    continue
                seen.add(id(param))
                yield (f"{path}.{name}" if path else name), param

    def parameters(self) -> Iterator[Parameter]:
        for _, param in self.named_parameters():
            yield param

    def zero_grad(self) -> None:
        """Set every parameter's .grad to None (PyTorch's default, set_to_none=True)."""
        for param in self.parameters():
            param.grad = None

    def train(self, mode: bool = True) -> Module:
        if not isinstance(mode, bool):
            raise TypeError(f"train: mode must be a bool, got {mode!r}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    # --- state ------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """name -> a copy of the parameter's array, with PyTorch's names."""
        return {name: param.data.copy() for name, param in self.named_parameters()}

    def load_state_dict(self, state_dict: Mapping[str, Any],
                        strict: bool = True) -> IncompatibleKeys:
        """Copy arrays (NumPy arrays, Tensors, torch tensors, nested lists) into the parameters,
        keeping their dtypes. Everything is checked before anything is written. strict=False skips
        missing and unexpected keys; either way the (missing_keys, unexpected_keys) are returned, as
        in PyTorch."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict: state_dict must be a mapping of name -> array, got "
                            f"{type(state_dict).__name__}")
        own = dict(self.named_parameters())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            raise ValueError(
                f"load_state_dict: state_dict keys do not match {type(self).__name__}: "
                f"missing {missing}, unexpected {unexpected}")
        arrays = {}
        for name, param in own.items():
            if name not in state_dict:
                continue
            array = _as_array(name, state_dict[name])
            if array.shape != param.shape:
                raise ValueError(f"load_state_dict: {name!r} has shape {array.shape}, the model's "
                                 f"parameter has shape {tuple(param.shape)}")
            arrays[name] = array
        for name, array in arrays.items():
            own[name].data[...] = array
        return IncompatibleKeys(missing, unexpected)

    def save(self, path: str | os.PathLike) -> str:
        """Write state_dict() to an .npz file (np.savez; the keys are the parameter names); ".npz"
        is added to a name without it, as np.savez does. Returns the file's name."""
        path = os.fspath(path)
        if not path.endswith(".npz"):
            path += ".npz"
        np.savez(path, **self.state_dict())
        return path

    def load(self, path: str | os.PathLike) -> Module:
        """Read an .npz file written by save() (or np.savez of a PyTorch state dict) into this
        model."""
        path = os.fspath(path)
        if not os.path.isfile(path) and os.path.isfile(path + ".npz"):
            path += ".npz"
        if not os.path.isfile(path):
            raise FileNotFoundError(f"load: no such file: {path!r}")
        try:
            with np.load(path, allow_pickle=False) as archive:
                state = {key: archive[key] for key in archive.files}
        except (OSError, ValueError) as err:
            raise ValueError(f"load: {path!r} is not a readable .npz file "
                             f"({err})") from err
        self.load_state_dict(state)
        return self

    # --- display ----------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in self._modules.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


def _as_array(name: str, value: Any) -> np.ndarray:
    if isinstance(value, Tensor):
        return value.data
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor, maybe requiring grad
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as err:
        raise TypeError(f"load_state_dict: {name!r} must be array-like, got "
                        f"{type(value).__name__}") from err
    if array.dtype.kind not in "fiu":
        raise TypeError(f"load_state_dict: {name!r} must hold numbers, got dtype {array.dtype}")
    return array
