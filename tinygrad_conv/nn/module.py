"""Module and Parameter, as in PyTorch: parameters, buffers and submodules register themselves by
attribute assignment, so every module knows its name in the model ("features.0") and its state dict
uses PyTorch's keys ("features.0.weight", "bn.running_mean", "bn.num_batches_tracked").

Buffers are Tensors that need no grad (running statistics): `register_buffer(name, array)` keeps
the array's dtype (num_batches_tracked is int64, as in PyTorch), and `self.name` is the Tensor;
code that updates one in place writes `.data[...]` and calls `._bump_version()`."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from .. import autograd
from .._checks import as_bool
from ..tensor import Tensor
from . import hooks as _hooks
from ._npz import read_npz
from ._state import apply_dtype, as_array, checked_arrays, parse_to


class IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


class Parameter(Tensor):
    """A Tensor that a Module owns and an optimizer updates: requires_grad=True by default."""

    __slots__ = ()

    def __init__(
        self, data: Any, requires_grad: bool = True, dtype: Any = None, name: str | None = None
    ):
        super().__init__(data, requires_grad=requires_grad, dtype=dtype, name=name)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


def _buffer_tensor(name: str, value: Any) -> Tensor | None:
    """A buffer's Tensor: a Tensor as is, an array (any real dtype, kept) copied into one."""
    if value is None or isinstance(value, Tensor):
        return value
    return autograd.make_tensor(np.array(as_array(name, value, "register_buffer"), copy=True))


class Module:
    """Base class of every layer and model: subclasses set attributes in __init__ and define
    forward."""

    def __init__(self) -> None:
        for attr in (
            "_parameters",
            "_buffers",
            "_modules",
            "_forward_hooks",
            "_forward_pre_hooks",
            "_backward_hooks",
        ):
            object.__setattr__(self, attr, {})
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_path", "")

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            if isinstance(value, (Parameter, Module)):
                raise AttributeError(
                    f"{type(self).__name__}: call super().__init__() before "
                    f"assigning parameters or submodules"
                )
            object.__setattr__(self, name, value)
            return
        if name in self._buffers and not isinstance(value, (Parameter, Module)):
            value = _buffer_tensor(name, value)  # assigning a registered buffer keeps it one
            self._buffers[name] = value
            object.__setattr__(self, name, value)
            return
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        self._buffers.pop(name, None)
        self._non_persistent.discard(name)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        self._buffers.pop(name, None)
        self._non_persistent.discard(name)
        object.__delattr__(self, name)

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """A named state that is no parameter (running statistics): in state_dict() unless
        persistent=False, moved by to(), never handed to optimizers. None is allowed."""
        if "_buffers" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() before register_buffer"
            )
        if not isinstance(name, str):
            raise TypeError(f"register_buffer: name must be a str, got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f"register_buffer: name must be non-empty and hold no '.', got {name!r}")
        if name in self.__dict__ and name not in self._buffers:
            raise KeyError(f"register_buffer: attribute {name!r} already exists")
        if isinstance(tensor, Parameter):
            raise TypeError(
                f"register_buffer: {name!r} must be an array or a Tensor, not a "
                f"Parameter (use register_parameter or assign it)"
            )
        self._buffers[name] = None
        setattr(self, name, tensor)
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"register_parameter: {name!r} must be a Parameter or None, got "
                f"{type(param).__name__}"
            )
        setattr(self, name, param)
        if param is None:
            self._parameters[name] = None

    def register_module(self, name: str, module: Module | None) -> None:
        self.add_module(name, module)

    def add_module(self, name: str, module: Module | None) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module, got {type(module).__name__}")
        setattr(self, name, module)

    # --- calling ----------------------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not autograd.current_module_scope():  # the outermost call names every submodule
            self._name_tree()
        with autograd.module_scope(self._path, type(self).__name__):
            return _hooks.call_module(self, args, kwargs)

    def register_forward_pre_hook(
        self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False
    ) -> _hooks.RemovableHandle:
        """hook(module, args) before forward; a returned value (a tuple or one input) replaces
        args. with_kwargs: hook(module, args, kwargs) returning None or (args, kwargs)."""
        return _hooks.add_hook(
            self._forward_pre_hooks, hook, "register_forward_pre_hook", prepend, with_kwargs
        )

    def register_forward_hook(
        self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False
    ) -> _hooks.RemovableHandle:
        """hook(module, args, output) after forward (with_kwargs: hook(module, args, kwargs,
        output)); a returned value replaces output."""
        return _hooks.add_hook(
            self._forward_hooks, hook, "register_forward_hook", prepend, with_kwargs
        )

    def register_full_backward_hook(
        self, hook: Callable, prepend: bool = False
    ) -> _hooks.RemovableHandle:
        """hook(module, grad_input, grad_output) once the grads of the module's tensor inputs are
        known (tuples of arrays, None where an input needs no grad); a returned tuple replaces
        grad_input."""
        return _hooks.add_hook(self._backward_hooks, hook, "register_full_backward_hook", prepend)

    def _name_tree(self) -> None:
        """Give each submodule its path and each unnamed parameter its state-dict name (for pictures
        and error messages), relative to this module."""
        for path, module in self.named_modules():
            object.__setattr__(module, "_path", path)
            for name, param in module._parameters.items():
                if param is not None and param.name is None:
                    param.name = f"{path}.{name}" if path else name

    # --- walking the tree -------------------------------------------------------------------------
    def named_modules(
        self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """This module and every submodule, depth first, with its dotted path ("" for this one);
        a module reached twice is listed once unless remove_duplicate=False."""
        seen: set[int] = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:
            path, module = stack.pop()
            if remove_duplicate and id(module) in seen:
                continue
            seen.add(id(module))
            yield path, module
            children = [(f"{path}.{n}" if path else n, m) for n, m in module.named_children()]
            stack.extend(reversed(children))

    def get_submodule(self, target: str) -> Module:
        """The submodule at the dotted path `target` ("" is this module)."""
        module = self
        for part in target.split(".") if target else []:
            child = module._modules.get(part)
            if child is None:
                raise AttributeError(
                    f"get_submodule: {type(module).__name__} has no submodule "
                    f"{part!r} (in {target!r})"
                )
            module = child
        return module

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        yield from ((n, m) for n, m in self._modules.items() if m is not None)

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def _named_members(
        self, table: str, prefix: str, recurse: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        seen: set[int] = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for path, module in modules:
            for name, member in getattr(module, table).items():
                if member is None or id(member) in seen:
                    continue
                seen.add(id(member))
                yield (f"{path}.{name}" if path else name), member

    def named_parameters(
        self, prefix: str = "", recurse: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """Every parameter once, with PyTorch's dotted name ("0.weight", "features.0.bias")."""
        yield from self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        """Every buffer once, with its dotted name ("1.running_mean")."""
        yield from self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Set every parameter's .grad to None (PyTorch's default), or to zeros in place."""
        for param in self.parameters():
            if set_to_none or param.grad is None:
                param.grad = None
            else:
                param.grad[...] = 0

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        requires_grad = as_bool("requires_grad_", "requires_grad", requires_grad)
        for param in self.parameters():
            param.requires_grad = requires_grad
        return self

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """fn(module) for every submodule, children before their parent, then this one."""
        if not callable(fn):
            raise TypeError(f"apply: fn must be callable, got {type(fn).__name__}")
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def train(self, mode: bool = True) -> Module:
        mode = as_bool("train", "mode", mode)  # a NumPy bool is stored as a Python bool
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    # --- device and dtype -------------------------------------------------------------------------
    def to(self, *args: Any, **kwargs: Any) -> Module:
        """to("cpu"), to(np.float64), to("cpu", np.float32), to(device=..., dtype=...): parameters
        and floating buffers take the dtype (integer buffers stay). Any other device is a
        ValueError: only the CPU exists here."""
        dtype = parse_to(args, kwargs)
        if dtype is not None:
            apply_dtype(self, dtype)
        return self

    def cpu(self) -> Module:
        return self

    def half(self) -> Module:
        raise TypeError("half: float16 is not supported here; use .float() or .double()")

    def double(self) -> Module:
        return self.to(np.float64)

    def float(self) -> Module:
        return self.to(np.float32)

    # --- state ------------------------------------------------------------------------------------
    def _state_items(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """PyTorch's state-dict order: per module (depth first), its parameters then its persistent
        buffers. As in PyTorch, a shared module or parameter appears under each of its names."""
        stack = [(prefix, self)]
        while stack:
            path, module = stack.pop()
            members = list(module._parameters.items()) + [
                (n, b) for n, b in module._buffers.items() if n not in module._non_persistent
            ]
            for name, member in members:
                if member is not None:
                    yield path + name, member
            stack.extend(reversed([(f"{path}{n}.", m) for n, m in module.named_children()]))

    def state_dict(
        self, *, destination: dict | None = None, prefix: str = "", keep_vars: bool = False
    ) -> dict[str, Any]:
        """name -> a copy of each parameter's and persistent buffer's array, PyTorch's names
        (keep_vars=True: the Tensors themselves)."""
        out = {} if destination is None else destination
        for name, tensor in self._state_items(prefix):
            out[name] = tensor if keep_vars else tensor.data.copy()
        return out

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True
    ) -> IncompatibleKeys:
        """Copy arrays (NumPy arrays, Tensors, torch tensors, nested lists) into the parameters
        and buffers, keeping their dtypes. Everything is checked before anything is written.
        strict=False skips missing and unexpected keys; either way the (missing_keys,
        unexpected_keys) are returned, as in PyTorch."""
        own = dict(self._state_items())
        arrays, missing, unexpected = checked_arrays(type(self).__name__, own, state_dict, strict)
        for name, array in arrays.items():
            own[name].data[...] = array
            own[name]._bump_version()
        return IncompatibleKeys(missing, unexpected)

    def save(self, path: str | os.PathLike) -> str:
        """Write state_dict() to an .npz file (np.savez; the keys are the state-dict names);
        ".npz" is added to a name without it, as np.savez does. Returns the file's name."""
        path = os.fspath(path)
        if not path.endswith(".npz"):
            path += ".npz"
        np.savez(path, **self.state_dict())
        return path

    def load(self, path: str | os.PathLike) -> Module:
        """Read an .npz file written by save() (or np.savez of a PyTorch state dict) into this
        model. The file is untrusted: its member names and header shapes are checked against the
        model before anything is inflated; any bad file is a ValueError naming it."""
        path = os.fspath(path)
        if not os.path.isfile(path) and os.path.isfile(path + ".npz"):
            path += ".npz"
        if not os.path.isfile(path):
            raise FileNotFoundError(f"load: no such file: {path!r}")
        expected = {name: tuple(t.shape) for name, t in self._state_items()}
        self.load_state_dict(read_npz(path, expected))
        return self

    # --- display ----------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in self.named_children()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"
