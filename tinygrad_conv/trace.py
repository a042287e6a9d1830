"""trace_backward: run a backward pass and keep each step, as text, as data and as a web page."""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _grad_passes, autograd
from ._format import describe, passes_note, show
from ._trace_html import trace_fragment, trace_page

TINY = 9  # gradients with at most this many elements are printed value by value


@dataclass(frozen=True)
class TraceStep:
    """One op's backward: the gradient that arrived at its output and what it sent to each input
    (None for an input that does not require grad)."""

    op: str
    output: Any
    grad_in: np.ndarray
    parent_grads: tuple[np.ndarray | None, ...]

    @property
    def parents(self) -> tuple:
        return self.output.parents

    def __str__(self) -> str:
        return self.line()

    def line(self, width: int = 8) -> str:
        sent = "; ".join(
            f"{describe(p)} gets {'no grad' if g is None else show(g, TINY)}"
            for p, g in zip(self.parents, self.parent_grads, strict=True)
        )
        out = self.output  # unnamed, it is "the op's output": no need to repeat the op
        what = describe(out) if out.name else f"output {tuple(out.shape)}"
        arrived = f"{what} received {show(self.grad_in, TINY)}"
        return f"{self.op:<{width}} {arrived}  ->  {sent}"


class BackwardTrace:
    """The steps of one backward pass, in the order they ran (reverse topological order)."""

    def __init__(self, root: Any, steps: list[TraceStep]):
        self.root = root
        self.steps = steps

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self):
        return iter(self.steps)

    def __getitem__(self, index: int) -> TraceStep:
        return self.steps[index]

    def accumulated(self) -> list[tuple[Any, int]]:
        """(tensor, passes) for each tensor of this graph whose .grad now holds more than one
        backward pass (a forgotten zero_grad, or backward called twice)."""
        found = []
        for t in autograd.topo_order(self.root):
            passes = _grad_passes.passes(t)
            if passes > 1:
                found.append((t, passes))
        return found

    def __str__(self) -> str:
        digits = len(str(len(self.steps)))
        width = max((len(step.op) for step in self.steps), default=0)
        lines = [f"{i:>{digits}}. {step.line(width)}" for i, step in enumerate(self.steps, 1)]
        lines += [
            f"note: the grad of {describe(t)} is {passes_note(n)}" for t, n in self.accumulated()
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<BackwardTrace of {len(self.steps)} steps>"

    def to_html(
        self,
        path: str | os.PathLike,
        show_data: bool = False,
        rankdir: str = "TB",
        max_nodes: int | None = None,
    ) -> str:
        """Write one self-contained page stepping through this backward pass; returns the path.
        `show_data` adds the values to the picture; `rankdir` and `max_nodes` as in draw_graph."""
        page = trace_page(self, show_data=show_data, rankdir=rankdir, max_nodes=max_nodes)
        try:
            with open(path, "w", encoding="utf-8") as file:
                file.write(page)
        except OSError as err:
            raise OSError(
                f"BackwardTrace.to_html: cannot write {os.fspath(path)!r}: {err.strerror or err}"
            ) from err
        return os.fspath(path)

    def _repr_html_(self) -> str:
        """The page inline in a notebook (at most 200 nodes of the picture)."""
        return trace_fragment(self, max_nodes=200)


def trace_backward(tensor, grad: Any = None, retain_graph: bool = False) -> BackwardTrace:
    """Run tensor.backward(grad, retain_graph), recording each op's step; .grad ends up as
    backward leaves it."""
    steps: list[TraceStep] = []

    def on_step(output, grad_in, parent_grads) -> None:
        grads = tuple(
            None if g is None or not p.requires_grad else np.array(g, copy=True)
            for p, g in zip(output.parents, parent_grads, strict=True)
        )
        steps.append(TraceStep(output.op, output, np.array(grad_in, copy=True), grads))

    if "retain_graph" in inspect.signature(autograd.backward).parameters:
        autograd.backward(tensor, grad, on_step=on_step, retain_graph=retain_graph)
    else:  # an engine without retain_graph keeps every graph
        autograd.backward(tensor, grad, on_step=on_step)
    return BackwardTrace(tensor, steps)
