"""The Optimizer base class: parameter groups, per-parameter state, zero_grad, state_dict /
load_state_dict in PyTorch's structure, and a step() that validates everything before it changes
anything.

A subclass sets its defaults, checks its options in `_check_group(group)` and updates one group in
`_update(group, params, grads, states)` (each grad already checked and in its parameter's dtype).
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from .._checks import as_bool, as_real
from ..tensor import Tensor


def bump_version(param: Tensor) -> None:
    """Tell the engine that `param.data` changed in place (a no-op without version counters)."""
    bump = getattr(param, "_bump_version", None)
    if bump is not None:
        bump()


def check_number(
    owner: str,
    name: str,
    value: Any,
    minimum: float = 0,
    below: float | None = None,
    maximum: float | None = None,
) -> float:
    """A real number (not a bool, not NaN) >= minimum (and < below, or <= maximum, when given),
    as a float: _checks.as_real's rule and message."""
    high = below if below is not None else maximum
    return as_real(
        owner, name, value, low=minimum, high=high, high_open=below is not None, finite=False
    )


def check_bool(owner: str, name: str, value: Any) -> bool:
    return as_bool(owner, name, value)


def check_betas(owner: str, betas: Any) -> tuple[float, float]:
    """Adam's (beta1, beta2), each in [0, 1)."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"{owner}: betas must be a pair of floats, got {betas!r}")
    return (
        check_number(owner, "betas[0]", betas[0], 0, 1),
        check_number(owner, "betas[1]", betas[1], 0, 1),
    )


class ParamState(dict):
    """optimizer.state: per-parameter dicts, looked up by the parameter itself (held by id, so
    Tensors need not be hashable)."""

    @staticmethod
    def _key(param: Any) -> Any:
        return id(param) if isinstance(param, Tensor) else param

    def __getitem__(self, param: Any) -> dict:
        return super().__getitem__(self._key(param))

    def __setitem__(self, param: Any, value: dict) -> None:
        super().__setitem__(self._key(param), value)

    def __contains__(self, param: Any) -> bool:
        return super().__contains__(self._key(param))

    def get(self, param: Any, default: Any = None) -> Any:
        return super().get(self._key(param), default)

    def setdefault(self, param: Any, default: Any = None) -> Any:
        return super().setdefault(self._key(param), default)


class Optimizer:
    """Holds parameter groups and per-parameter state; subclasses define the update."""

    def __init__(self, params: Any, defaults: dict[str, Any]):
        self.defaults = dict(defaults)
        self.state = ParamState()
        self.param_groups: list[dict[str, Any]] = []
        self._warned_no_grad = False
        self._step_called = False
        owner = type(self).__name__
        from ..nn.module import Module

        if isinstance(params, Module):
            raise TypeError(
                f"{owner}: params must be the model's parameters, not the model: pass "
                f"model.parameters(), got a {type(params).__name__}"
            )
        if isinstance(params, Tensor):
            raise TypeError(
                f"{owner}: params must be an iterable of Tensors (e.g. "
                f"model.parameters()), got a single Tensor"
            )
        if isinstance(params, (set, frozenset)) or not isinstance(params, Iterable):
            raise TypeError(
                f"{owner}: params must be an ordered iterable of Tensors or of dicts "
                f"(e.g. model.parameters()), got {type(params).__name__}"
            )
        params = list(params)
        if not params:
            raise ValueError(f"{owner}: params is an empty list; pass model.parameters()")
        groups = params if isinstance(params[0], Mapping) else [{"params": params}]
        for i, group in enumerate(groups):
            if not isinstance(group, Mapping):
                raise TypeError(
                    f"{owner}: params[{i}] must be a dict like the ones before it, got "
                    f"{type(group).__name__}"
                )
        for group in groups:
            self.add_param_group(group)

    # --- groups -------------------------------------------------------------------------------
    @property
    def params(self) -> list[Tensor]:
        """Every parameter, group by group."""
        return [p for group in self.param_groups for p in group["params"]]

    def add_param_group(self, param_group: Mapping[str, Any]) -> None:
        """Add a group ({"params": [...], option: value, ...}); missing options take defaults."""
        owner = type(self).__name__
        if not isinstance(param_group, Mapping):
            raise TypeError(
                f"{owner}.add_param_group: param_group must be a dict, got "
                f"{type(param_group).__name__}"
            )
        if "params" not in param_group:
            raise ValueError(f"{owner}.add_param_group: param_group needs a 'params' entry")
        params = param_group["params"]
        where = (
            "params"
            if not self.param_groups and len(param_group) == 1
            else f"param_groups[{len(self.param_groups)}]['params']"
        )
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)) or not isinstance(params, Iterable):
            raise TypeError(
                f"{owner}: {where} must be an ordered iterable of Tensors, got "
                f"{type(params).__name__}"
            )
        params = list(params)
        if not params:
            raise ValueError(f"{owner}: {where} is an empty list; pass model.parameters()")
        for i, param in enumerate(params):
            if not isinstance(param, Tensor):
                raise TypeError(
                    f"{owner}: {where}[{i}] must be a Tensor, got {type(param).__name__}"
                )
            if not param.requires_grad:
                raise ValueError(
                    f"{owner}: {where}[{i}] does not require grad, so it can't be trained"
                )
            if not param.is_leaf:
                raise ValueError(
                    f"{owner}: {where}[{i}] is not a leaf tensor (it was computed "
                    f"by an op), so it can't be trained; use a Parameter"
                )
        ids = [id(p) for p in params]
        if len(set(ids)) != len(ids):
            warnings.warn(
                f"{owner}: {where} holds a parameter more than once; it will be "
                f"updated once per step",
                UserWarning,
                stacklevel=3,
            )
            params = list({id(p): p for p in params}.values())
        taken = {id(p) for group in self.param_groups for p in group["params"]}
        if taken.intersection(ids):
            raise ValueError(f"{owner}: some parameters appear in more than one parameter group")
        group = {**self.defaults, **{k: v for k, v in param_group.items() if k != "params"}}
        group = {"params": params, **group}
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Validate a group's options (subclasses); raise TypeError/ValueError naming them."""

    # --- gradients ------------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Set every parameter's .grad to None (PyTorch's default), or to zeros."""
        for param in self.params:
            if set_to_none or param.grad is None:
                param.grad = None
            else:
                param.grad = np.zeros_like(param.grad)

    def _checked_grad(self, param: Tensor, where: str) -> np.ndarray:
        grad = param.grad
        owner = type(self).__name__
        if not isinstance(grad, np.ndarray) or grad.dtype.kind != "f":
            kind = type(grad).__name__ + (f" {grad.dtype}" if hasattr(grad, "dtype") else "")
            raise TypeError(f"{owner}.step: the grad of {where} must be a float array, got {kind}")
        if grad.shape != param.shape:
            raise ValueError(
                f"{owner}.step: the grad of {where} has shape {grad.shape}, but the "
                f"parameter has shape {param.shape}"
            )
        return grad.astype(param.dtype, copy=False)

    # --- the step -------------------------------------------------------------------------------
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient. All options and gradients are checked
        first, so a bad one raises with every parameter and its state unchanged."""
        loss = None
        if closure is not None:
            loss = closure()
        work = []
        for gi, group in enumerate(self.param_groups):
            self._check_group(group)
            params, grads = [], []
            for pi, param in enumerate(group["params"]):
                if param.grad is not None:
                    params.append(param)
                    grads.append(self._checked_grad(param, f"param_groups[{gi}]['params'][{pi}]"))
            work.append((group, params, grads))
        self._step_called = True
        if not any(params for _, params, _ in work):
            if not self._warned_no_grad:
                self._warned_no_grad = True
                warnings.warn(
                    f"{type(self).__name__}.step(): no parameter has a gradient, so "
                    f"nothing was updated (call loss.backward() before step())",
                    UserWarning,
                    stacklevel=2,
                )
            return loss
        for group, params, grads in work:
            if params:
                states = [self.state.setdefault(p, {}) for p in params]
                self._update(group, params, grads, states)
                for param in params:
                    bump_version(param)
        return loss

    def _update(
        self,
        group: dict[str, Any],
        params: list[Tensor],
        grads: list[np.ndarray],
        states: list[dict[str, Any]],
    ) -> None:
        raise NotImplementedError

    # --- state dicts ----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """{"state": {index: {name: value}}, "param_groups": [{..., "params": [indices]}]}, the
        indices counting parameters group by group, as PyTorch's. Arrays are copies."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {}
        for key, value in self.state.items():
            if key in index:
                state[index[key]] = {
                    k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in value.items()
                }
        return {"state": dict(sorted(state.items())), "param_groups": groups}

    def _state_shapes(self, group: dict[str, Any]) -> tuple[set[str], set[str]]:
        """(names of per-parameter arrays, names of numbers) a state entry may hold."""
        return set(), set()

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Load a state_dict() (this library's or PyTorch's, arrays as NumPy). Everything is checked
        before anything changes."""
        owner = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping) or set(state_dict) != {"state", "param_groups"}:
            got = (
                sorted(state_dict) if isinstance(state_dict, Mapping) else type(state_dict).__name__
            )
            raise ValueError(f"{owner}: expected a dict with 'state' and 'param_groups', got {got}")
        saved_groups, saved_state = state_dict["param_groups"], state_dict["state"]
        if not isinstance(saved_groups, (list, tuple)) or not isinstance(saved_state, Mapping):
            raise TypeError(f"{owner}: 'param_groups' must be a list and 'state' a dict")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{owner}: the state dict has {len(saved_groups)} parameter groups, "
                f"this optimizer has {len(self.param_groups)}"
            )
        by_index: dict[Any, Tensor] = {}
        new_groups = []
        for gi, (saved, group) in enumerate(zip(saved_groups, self.param_groups, strict=True)):
            if not isinstance(saved, Mapping) or "params" not in saved:
                raise ValueError(f"{owner}: param_groups[{gi}] must be a dict with 'params'")
            indices = list(saved["params"])
            if len(indices) != len(group["params"]):
                raise ValueError(
                    f"{owner}: param_groups[{gi}] has {len(indices)} parameters in "
                    f"the state dict, {len(group['params'])} here"
                )
            for i, param in zip(indices, group["params"], strict=True):
                if isinstance(i, (np.integer,)):
                    i = int(i)
                if i in by_index:
                    raise ValueError(f"{owner}: parameter index {i!r} appears twice")
                by_index[i] = param
            new = {**group, **{k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}}
            new["params"] = group["params"]
            self._check_group(new)
            new_groups.append(new)
        new_state: dict[int, dict[str, Any]] = {}
        for key, entry in saved_state.items():
            key = int(key) if isinstance(key, np.integer) else key
            if key not in by_index:
                raise ValueError(
                    f"{owner}: state has an entry for parameter {key!r}, which no "
                    f"parameter group lists"
                )
            param = by_index[key]
            group = next(g for g in new_groups if any(p is param for p in g["params"]))
            new_state[id(param)] = self._checked_state(owner, key, entry, param, group)
        self.param_groups[:] = new_groups
        self.state.clear()
        self.state.update(new_state)

    def _checked_state(
        self, owner: str, key: Any, entry: Any, param: Tensor, group: dict[str, Any]
    ) -> dict[str, Any]:
        if not isinstance(entry, Mapping):
            raise TypeError(f"{owner}: state[{key!r}] must be a dict, got {type(entry).__name__}")
        arrays, numbers_ = self._state_shapes(group)
        out: dict[str, Any] = {}
        for name, value in entry.items():
            if name in arrays:
                if value is None:  # PyTorch's SGD keeps momentum_buffer=None before a step
                    continue
                array = np.asarray(value)
                if array.dtype.kind != "f" or array.shape != param.shape:
                    raise ValueError(
                        f"{owner}: state[{key!r}][{name!r}] must be a float array of "
                        f"shape {param.shape}, got {array.dtype} {array.shape}"
                    )
                out[name] = array.astype(param.dtype, copy=True)
            elif name in numbers_:
                number = np.asarray(value)
                if number.size != 1 or number.dtype.kind not in "fiu" or not number.item() >= 0:
                    raise ValueError(
                        f"{owner}: state[{key!r}][{name!r}] must be a number >= 0, got {value!r}"
                    )
                out[name] = float(number.item())
            else:
                raise ValueError(
                    f"{owner}: state[{key!r}] has an unknown entry {name!r}; "
                    f"expected some of {sorted(arrays | numbers_)}"
                )
        return out

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines + [")"])
