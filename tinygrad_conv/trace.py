"""trace_backward: run a backward pass and keep each step, as text, as data and as a web page."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import autograd
from ._graph_labels import fmt, grad_summary, tidy

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
            f"{describe(p)} gets {'no grad' if g is None else show(g)}"
            for p, g in zip(self.parents, self.parent_grads, strict=True)
        )
        arrived = f"{describe(self.output)} received {show(self.grad_in)}"
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

    def __str__(self) -> str:
        digits = len(str(len(self.steps)))
        width = max((len(step.op) for step in self.steps), default=0)
        lines = (f"{i:>{digits}}. {step.line(width)}" for i, step in enumerate(self.steps, 1))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<BackwardTrace of {len(self.steps)} steps>"

    def to_html(self, path: str | os.PathLike, show_data: bool = False, rankdir: str = "TB") -> str:
        """Write one self-contained page stepping through this backward pass; returns the path.
        `show_data` adds the values to the picture; `rankdir` as in draw_graph."""
        from ._trace_html import trace_page

        page = trace_page(self, show_data=show_data, rankdir=rankdir)
        with open(path, "w", encoding="utf-8") as file:
            file.write(page)
        return os.fspath(path)


def trace_backward(tensor, grad: Any = None) -> BackwardTrace:
    """Run tensor.backward(grad), recording each op's step; .grad ends up as backward leaves it."""
    steps: list[TraceStep] = []

    def on_step(output, grad_in, parent_grads) -> None:
        grads = tuple(None if g is None or not p.requires_grad else np.array(g, copy=True)
                      for p, g in zip(output.parents, parent_grads, strict=True))
        steps.append(TraceStep(output.op, output, np.array(grad_in, copy=True), grads))

    autograd.backward(tensor, grad, on_step=on_step)
    return BackwardTrace(tensor, steps)


def describe(t) -> str:
    """A tensor in a few words: its name, else what made it; then its shape."""
    what = t.name or (f"{t.op} output" if t.op else "leaf" if t.requires_grad else "constant")
    return f"{what} {tuple(t.shape)}"


def show(array: np.ndarray) -> str:
    """Values when there are few of them, else a summary."""
    array = np.asarray(array)
    if array.size <= TINY:
        text = np.array2string(tidy(array), separator=", ", formatter={"float_kind": fmt})
        return " ".join(text.split())
    return grad_summary(array)
