"""Containers: Sequential (layers called in order, from arguments or an OrderedDict) and
ModuleList (a list of submodules, named "0", "1", ... in the state dict)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

from .module import Module


def _check_module(owner: str, layer: Any) -> Module:
    if not isinstance(layer, Module):
        raise TypeError(f"{owner}: every entry must be a Module, got {type(layer).__name__}")
    return layer


class Sequential(Module):
    """Calls its layers in order; they are named "0", "1", ... as in PyTorch, or by the keys of an
    OrderedDict given as the only argument."""

    def __init__(self, *layers: Any):
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], OrderedDict):
            for name, layer in layers[0].items():
                if not isinstance(name, str):
                    raise TypeError(f"Sequential: OrderedDict keys must be str, got {name!r}")
                setattr(self, name, _check_module("Sequential", layer))
            return
        for layer in layers:
            self.append(layer)

    def append(self, layer: Module) -> Sequential:
        setattr(self, str(len(self._modules)), _check_module("Sequential", layer))
        return self

    def extend(self, layers: Iterable[Module]) -> Sequential:
        for layer in layers:
            self.append(layer)
        return self

    def insert(self, index: int, layer: Module) -> Sequential:
        """Insert before `index`; the layers are renumbered "0", "1", ... as in PyTorch."""
        items = list(self._modules.values())
        items.insert(index, _check_module("Sequential", layer))
        for name in list(self._modules):
            delattr(self, name)
        return self.extend(items)

    def pop(self, index: int = -1) -> Module:
        key = list(self._modules)[index]
        layer = self._modules[key]
        delattr(self, key)
        return layer

    def forward(self, x: Any) -> Any:
        for layer in self._modules.values():
            x = layer(x)
        return x

    def __getitem__(self, index: int | slice | str) -> Any:
        layers = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(layers[index]))
        if isinstance(index, str):
            return self._modules[index]
        return layers[index][1]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class ModuleList(Module):
    """A list of submodules that registers them (parameters, state dict "0.weight", train/eval);
    it has no forward of its own."""

    def __init__(self, modules: Iterable[Module] | None = None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def append(self, module: Module) -> ModuleList:
        setattr(self, str(len(self._modules)), _check_module("ModuleList", module))
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        if isinstance(modules, Module) or not isinstance(modules, Iterable):
            raise TypeError(
                f"ModuleList.extend: expected an iterable of Modules, got {type(modules).__name__}"
            )
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        items = list(self._modules.values())
        items.insert(index, _check_module("ModuleList", module))
        self._reset(items)

    def _reset(self, items: list[Module]) -> None:
        for name in list(self._modules):
            delattr(self, name)
        for module in items:
            self.append(module)

    def __getitem__(self, index: int | slice) -> Any:
        items = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(items[index])
        return items[index]

    def __setitem__(self, index: int, module: Module) -> None:
        items = list(self._modules.values())
        items[index] = _check_module("ModuleList", module)
        self._reset(items)

    def __delitem__(self, index: int | slice) -> None:
        items = list(self._modules.values())
        del items[index]
        self._reset(items)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "ModuleList has no forward(): iterate over it and call its modules"
        )
