"""Module hooks, as in PyTorch: handles that remove a hook, and the pass-through ops that let
`register_full_backward_hook` see a module's gradients.

A full backward hook is called as hook(module, grad_input, grad_output) once the gradients with
respect to the module's tensor inputs are known. To see them, the module's call wraps each tensor
input and each tensor output in a "backward_hook" op: y = x forward, dL/dx = dL/dy backward. The
output ops record grad_output; the input ops, which backward reaches after every output op (they
come before the module's graph), hand the grads to the hooks. A hook may return a new grad_input.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import autograd
from .._tensor_extras import RemovableHandle  # the one handle class (Tensor.register_hook's)
from ..autograd import Context, Function


def add_hook(
    hooks: dict[int, Any],
    hook: Any,
    method: str,
    prepend: bool = False,
    with_kwargs: bool = False,
) -> RemovableHandle:
    """Register `hook` in `hooks` (id -> (hook, with_kwargs)), last or first (prepend)."""
    if not callable(hook):
        raise TypeError(f"{method}: hook must be callable, got {type(hook).__name__}")
    handle = RemovableHandle(hooks, (hook, bool(with_kwargs)))
    if prepend:
        for key in [k for k in hooks if k != handle.id]:
            hooks[key] = hooks.pop(key)  # move the others behind the new one
    return handle


def call_module(module: Any, args: tuple, kwargs: dict) -> Any:
    """What Module.__call__ runs: forward pre-hooks, forward, forward hooks, and the
    pass-through ops of the full backward hooks."""
    for hook, with_kwargs in list(module._forward_pre_hooks.values()):
        if with_kwargs:
            result = hook(module, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(
                        "forward pre-hook with kwargs must return None or a tuple "
                        f"(args, kwargs), got {type(result).__name__}"
                    )
                args, kwargs = result
        else:
            result = hook(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
    call = None
    if module._backward_hooks and autograd.is_grad_enabled():
        call = HookCall(module, [h for h, _ in module._backward_hooks.values()])
        args = wrap_inputs(call, args)
    output = module.forward(*args, **kwargs)
    for hook, with_kwargs in list(module._forward_hooks.values()):
        result = hook(module, args, kwargs, output) if with_kwargs else hook(module, args, output)
        if result is not None:
            output = result
    if call is not None:
        output = wrap_outputs(call, output)
    return output


class HookCall:
    """One module call's backward bookkeeping: the grads seen so far and the hooks to call."""

    def __init__(self, module: Any, hooks: list[Callable]):
        self.module, self.hooks = module, hooks
        self.grad_outputs: list[np.ndarray | None] = []
        self.outputs_waiting = 0
        self.grad_inputs: list[np.ndarray | None] = []
        self.inputs_waiting = 0
        self.inputs_need_grad = False
        self._inputs_with_grad: list[int] = []

    def __repr__(self) -> str:
        return f"<{type(self.module).__name__} backward hooks>"

    def run(self) -> tuple | None:
        """Call every hook; the last tuple a hook returned replaces grad_input. The counters are
        reset, so a second backward (retain_graph=True) calls the hooks again."""
        self.outputs_waiting = len(self.grad_outputs)
        self.inputs_waiting = sum(1 for _ in self._inputs_with_grad)
        grad_input, replaced = tuple(self.grad_inputs), None
        for hook in self.hooks:
            result = hook(self.module, grad_input, tuple(self.grad_outputs))
            if result is not None:
                result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
                if len(result) != len(grad_input):
                    raise RuntimeError(
                        f"register_full_backward_hook: the hook returned {len(result)} "
                        f"gradients for {len(grad_input)} inputs"
                    )
                grad_input = replaced = result
        return replaced


class BackwardHook(Function):
    """y = x; dL/dx = dL/dy, recording dL/dy for a module's full backward hooks."""

    name = "backward_hook"
    inputs = ("x",)

    @staticmethod
    def check(x, call=None, index=0, side="output"):
        return {"call": call, "index": index, "side": side}

    @staticmethod
    def forward(ctx: Context, x, call, index, side):
        return x

    @staticmethod
    def backward(ctx: Context, grad_out):
        call, index = ctx.params["call"], ctx.params["index"]
        if ctx.params["side"] == "output":
            call.grad_outputs[index] = grad_out
            call.outputs_waiting -= 1
            if call.outputs_waiting == 0 and not call.inputs_need_grad:
                call.run()
            return grad_out
        call.grad_inputs[index] = grad_out
        call.inputs_waiting -= 1
        if call.inputs_waiting:
            return grad_out
        replaced = call.run()
        if replaced is None:
            return grad_out
        if len(replaced) != 1:
            raise RuntimeError(
                "register_full_backward_hook: replacing grad_input is supported "
                "for modules with one tensor input only"
            )
        new = replaced[0]
        if new is None:
            return None
        new = np.asarray(getattr(new, "data", new))
        if new.shape != grad_out.shape:
            raise RuntimeError(
                f"register_full_backward_hook: the hook returned a gradient of "
                f"shape {new.shape}, expected {grad_out.shape}"
            )
        return new.astype(grad_out.dtype, copy=True)


def wrap_inputs(call: HookCall, args: tuple) -> tuple:
    """Pass each tensor input that requires grad through a "backward_hook" op."""
    wrapped = []
    for arg in args:
        if autograd.is_tensor(arg):
            call.grad_inputs.append(None)
            if arg.requires_grad:
                call.inputs_waiting += 1
                call._inputs_with_grad.append(len(call.grad_inputs) - 1)
                arg = BackwardHook.apply(
                    arg, call=call, index=len(call.grad_inputs) - 1, side="input"
                )
        wrapped.append(arg)
    # With no input needing a grad, the hooks run once the outputs' grads are known, with a
    # grad_input of Nones (PyTorch).
    call.inputs_need_grad = call.inputs_waiting > 0
    return tuple(wrapped)


def wrap_outputs(call: HookCall, output: Any) -> Any:
    """Pass the module's tensor output(s) through a "backward_hook" op."""
    items = output if isinstance(output, tuple) else (output,)
    wrapped = []
    for item in items:
        if autograd.is_tensor(item) and item.requires_grad:
            call.grad_outputs.append(None)
            call.outputs_waiting += 1
            item = BackwardHook.apply(
                item, call=call, index=len(call.grad_outputs) - 1, side="output"
            )
        wrapped.append(item)
    return tuple(wrapped) if isinstance(output, tuple) else wrapped[0]
