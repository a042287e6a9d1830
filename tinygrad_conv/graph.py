"""draw_graph: the forward graph as a Graphviz picture, one node per tensor and one per operation.

Built on autograd.topo_order (no recursion), so a 10,000-op chain draws with max_nodes.
"""

from __future__ import annotations

import dataclasses
from html import escape
from typing import Any

import numpy as np

from . import autograd
from ._graph_render import RenderableDigraph

COLORS = {  # fill colours; the legend shows the ones a picture uses
    "leaf": "#a9d6f5",       # a leaf that requires grad (parameter or input)
    "constant": "#fff3b0",   # a tensor that does not require grad
    "op": "#ffd7a8",
    "output": "#c6ef8e",
    "intermediate": "#ffffff",
    "zero grad": "#c8c8c8",
    "NaN/Inf": "#ff7b7b",
}
LEGEND = {
    "leaf": "leaf, requires grad", "constant": "constant (no grad)", "op": "operation",
    "output": "output", "intermediate": "intermediate tensor", "zero grad": "gradient all zero",
    "NaN/Inf": "NaN or Inf", "no grad yet": "no grad yet (dashed)",
}
ARG_NAMES = {"conv2d": ("x", "weight", "bias"), "cross_entropy": ("logits", "target"),
             "matmul": ("a", "b"), "sub": ("a", "b"), "div": ("a", "b"), "pow": ("base", "exp")}
MAX_VALUES = 25  # at most this many elements are shown value by value


class GraphPicture(RenderableDigraph):
    """The Digraph draw_graph returns; `node_ids` maps id(tensor) to its node name ("t3"),
    `op_ids` maps id(tensor) to the node name of the op that made it ("o3")."""

    node_ids: dict[int, str]
    op_ids: dict[int, str]
    left_out: int


def draw_graph(tensor, show_data: bool = False, show_grad: bool = True, rankdir: str = "TB",
               max_nodes: int | None = None, group_modules: bool = True) -> GraphPicture:
    """The graph of every tensor and op `tensor` depends on, as a graphviz.Digraph."""
    if rankdir not in ("TB", "BT", "LR", "RL"):
        raise ValueError(f"draw_graph: rankdir must be 'TB', 'BT', 'LR' or 'RL', got {rankdir!r}")
    if max_nodes is not None and (not isinstance(max_nodes, int) or max_nodes < 1):
        raise ValueError(f"draw_graph: max_nodes must be a positive int or None, got {max_nodes!r}")
    order = autograd.topo_order(tensor)
    ids = {id(t): i for i, t in enumerate(order)}
    kept = _nearest(order, tensor, max_nodes)
    total = len(order) + sum(1 for t in order if t.op is not None)
    graph = GraphPicture(name="tinygrad_conv", graph_attr={
        "rankdir": rankdir, "fontname": "Helvetica", "nodesep": "0.3", "ranksep": "0.35"},
        node_attr={"fontname": "Helvetica", "fontsize": "11"},
        edge_attr={"color": "#555555", "arrowsize": "0.7", "fontsize": "9",
                   "fontcolor": "#555555", "fontname": "Helvetica"})
    graph.node_ids = {id(t): f"t{ids[id(t)]}" for t in order if ("t", ids[id(t)]) in kept}
    graph.op_ids = {id(t): f"o{ids[id(t)]}" for t in order if ("o", ids[id(t)]) in kept}
    graph.left_out = total - len(kept)
    used: set[str] = set()
    nodes: list[tuple[tuple, str, dict]] = []  # (module scope, node name, attributes)
    consumers = _consumer_scopes(order, ids) if group_modules else {}
    for t in order:
        i = ids[id(t)]
        scope = _scope(t, consumers.get(i)) if group_modules else ()
        if ("t", i) in kept:
            kind, attrs = _tensor_node(t, t is tensor, show_data, show_grad)
            used.update(kind)
            nodes.append((scope, f"t{i}", attrs))
        if ("o", i) in kept:
            used.add("op")
            nodes.append((scope, f"o{i}", _op_node(t)))
    _add_nodes(graph, nodes)
    edges = []
    for t in order:
        i = ids[id(t)]
        if ("o", i) not in kept:
            continue
        names = ARG_NAMES.get(t.op, ())
        for k, parent in enumerate(t.parents):
            if ("t", ids[id(parent)]) in kept:
                label = names[k] if k < len(names) and len(t.parents) > 1 else ""
                edges.append((f"t{ids[id(parent)]}", f"o{i}", label))
        edges.append((f"o{i}", f"t{i}", ""))
    for tail, head, label in edges:
        graph.edge(tail, head, **({"label": label} if label else {}))
    if graph.left_out:
        _add_cut_note(graph, order, ids, kept, graph.left_out, max_nodes)
    _add_legend(graph, used)
    return graph


def _nearest(order: list, root, max_nodes: int | None) -> set[tuple[str, int]]:
    """The ("t"|"o", index) nodes kept: all, or the max_nodes nearest the output."""
    index = {id(t): i for i, t in enumerate(order)}
    dist = {index[id(root)]: 0}
    for i in range(len(order) - 1, -1, -1):  # reverse topological order: children before parents
        if i not in dist:
            continue
        for parent in order[i].parents:
            j = index[id(parent)]
            dist[j] = min(dist.get(j, dist[i] + 2), dist[i] + 2)
    nodes = [(d, -i, "t") for i, d in dist.items()]
    nodes += [(dist[i] + 1, -i, "o") for i in dist if order[i].op is not None]
    nodes.sort()
    if max_nodes is not None:
        nodes = nodes[:max_nodes]
    return {(kind, -neg) for _, neg, kind in nodes}


def _consumer_scopes(order: list, ids: dict) -> dict[int, set]:
    scopes: dict[int, set] = {}
    for t in order:
        for parent in t.parents:
            scopes.setdefault(ids[id(parent)], set()).add(getattr(t, "_module", ()))
    return scopes


def _scope(t, consumer_scopes: set | None) -> tuple:
    """The module box a tensor goes in: where it was made; a parameter (a leaf that requires grad,
    made outside any forward) goes in the box of the one module that uses it."""
    scope = tuple(getattr(t, "_module", ()) or ())
    if not scope and t.op is None and t.requires_grad and consumer_scopes and \
            len(consumer_scopes) == 1:
        return tuple(next(iter(consumer_scopes)))
    return scope


def _add_nodes(graph: GraphPicture, nodes: list) -> None:
    clusters: dict[tuple, Any] = {}
    for scope, _, _ in nodes:
        for depth in range(1, len(scope) + 1):
            prefix = tuple(scope[:depth])
            if prefix not in clusters:
                path, class_name = prefix[-1]
                sub = RenderableDigraph(name=f"cluster_{len(clusters)}")
                sub.attr(label=f"{path}: {class_name}" if path else class_name, style="rounded",
                         color="#7a7a7a", fontcolor="#333333", fontsize="12",
                         fontname="Helvetica-Bold", labeljust="l", margin="10")
                clusters[prefix] = sub
    for scope, name, attrs in nodes:
        (clusters[tuple(scope)] if scope else graph).node(name, id=name, **attrs)
    for prefix in sorted(clusters, key=len, reverse=True):  # inner boxes into outer ones
        (clusters[prefix[:-1]] if len(prefix) > 1 else graph).subgraph(clusters[prefix])


def _tensor_node(t, is_output: bool, show_data: bool, show_grad: bool) -> tuple[set, dict]:
    grad = t.grad
    bad = not _finite(t.data) or (grad is not None and not _finite(grad))
    zero = grad is not None and not bad and not np.any(grad)
    no_grad_yet = show_grad and grad is None and t.requires_grad
    kind = "NaN/Inf" if bad else "zero grad" if zero and show_grad else "output" if is_output \
        else ("leaf" if t.requires_grad else "constant") if t.op is None else "intermediate"
    rows = []
    title = t.name or ("output" if is_output else "")
    if title:
        rows.append(f"<B>{escape(title)}</B>")
    rows.append(f"{tuple(t.shape)} {t.dtype}")
    cells = []
    if show_data:
        cells.append(_values_block("data", t.data))
    if show_grad and grad is not None:
        cells.append(_values_block("grad", grad) if show_data else
                     f'<FONT COLOR="#333333">grad {escape(grad_summary(grad, inline=4))}</FONT>')
    if cells:
        row = "".join(f'<TD VALIGN="TOP">{c}</TD>' for c in cells)
        rows.append(f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1"><TR>{row}</TR></TABLE>')
    if no_grad_yet:
        rows.append('<FONT COLOR="#666666"><I>no grad yet</I></FONT>')
    label = "<" + _stack(rows) + ">"
    style = "rounded,filled" + (",dashed" if no_grad_yet else "")
    used = {kind} | ({"no grad yet"} if no_grad_yet else set())
    pen = "#c00000" if bad else "#333333"
    return used, {"label": label, "shape": "box", "style": style, "fillcolor": COLORS[kind],
                  "color": pen, "penwidth": "2" if bad or is_output else "1", "margin": "0.06"}


def _op_node(t) -> dict:
    params = [f"{k}={format_param(v)}" for k, v in t._ctx.params.items()]
    rows = [f"<B>{escape(t.op)}</B>"] + [f'<FONT POINT-SIZE="9">{escape(p)}</FONT>' for p in params]
    return {"label": "<" + _stack(rows) + ">", "shape": "box", "style": "filled",
            "fillcolor": COLORS["op"], "color": "#b36b00", "margin": "0.08,0.03"}


def _stack(rows: list[str]) -> str:
    body = "".join(f"<TR><TD>{r}</TD></TR>" for r in rows)
    return f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{body}</TABLE>'


def _values_block(caption: str, array: np.ndarray) -> str:
    """A caption over a grid of the values (<= 25 of them), else over a min/mean/max summary."""
    head = f'<TR><TD><FONT POINT-SIZE="9" COLOR="#444444">{caption}</FONT></TD></TR>'
    if array.size > MAX_VALUES or array.size == 0:
        text = grad_summary(array) if caption == "grad" else data_summary(array)
        return f'<TABLE BORDER="0" CELLSPACING="0">{head}<TR><TD>{escape(text)}</TD></TR></TABLE>'
    grid = np.asarray(array).reshape(-1, array.shape[-1]) if array.ndim else array.reshape(1, 1)
    if grid.shape[0] > 1 and grid.shape[1] == 1:
        grid = grid.T  # a column of numbers reads better as a row
    if grid.shape[1] > 10:  # wrap long rows ten to a line
        flat = np.full(-(-grid.size // 10) * 10, np.nan)
        flat[: grid.size] = grid.ravel()
        grid = flat.reshape(-1, 10)
    body = "".join("<TR>" + "".join(f"<TD>{escape(fmt(v))}</TD>" for v in row) + "</TR>"
                   for row in grid[:-1])
    last = grid[-1][: array.size - grid.shape[1] * (grid.shape[0] - 1)]
    body += "<TR>" + "".join(f"<TD>{escape(fmt(v))}</TD>" for v in last) + "</TR>"
    table = (f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="2" COLOR="#999999" '
             f'BGCOLOR="#ffffff">{body}</TABLE>')
    return f'<TABLE BORDER="0" CELLSPACING="0">{head}<TR><TD>{table}</TD></TR></TABLE>'


def _add_cut_note(graph, order, ids, kept, left_out: int, max_nodes) -> None:
    label = f"... {left_out} more nodes left out\n(max_nodes={max_nodes})"
    graph.node("left_out", id="left_out", label=label,
               shape="note", style="filled", fillcolor="#eeeeee", color="#888888")
    boundary = []
    for t in order:
        i = ids[id(t)]
        cut = ("t", i) in kept and t.op is not None and ("o", i) not in kept
        if cut:
            boundary.append(f"t{i}")
        elif ("o", i) in kept and any(("t", ids[id(p)]) not in kept for p in t.parents):
            boundary.append(f"o{i}")
    for name in boundary:
        graph.edge("left_out", name, style="dashed", color="#888888")


def _add_legend(graph, used: set[str]) -> None:
    rows = []
    for kind, text in LEGEND.items():
        if kind not in used:
            continue
        style = ' STYLE="dashed"' if kind == "no grad yet" else ""
        colour = COLORS.get(kind, "#ffffff")
        rows.append(f'<TR><TD BGCOLOR="{colour}" BORDER="1"{style} WIDTH="18"> </TD>'
                    f'<TD ALIGN="LEFT">{escape(text)}</TD></TR>')
    if rows:
        table = f'<TABLE BORDER="0" CELLSPACING="3" CELLPADDING="2">{"".join(rows)}</TABLE>'
        graph.node("legend", id="legend", label=f"<{table}>", shape="box", style="rounded",
                   color="#bbbbbb",
                   fontsize="9")


def _finite(array: np.ndarray) -> bool:
    return np.asarray(array).dtype.kind != "f" or bool(np.isfinite(array).all())


def fmt(value: Any) -> str:
    """A number in at most about 4 significant digits."""
    return f"{float(value):.3g}"


def data_summary(array: np.ndarray) -> str:
    if array.size == 0:
        return "empty"
    a = np.asarray(array, dtype=np.float64)
    return f"min {fmt(np.min(a))}  mean {fmt(np.mean(a))}  max {fmt(np.max(a))}"


def grad_summary(array: np.ndarray, inline: int = 0) -> str:
    """norm, min and max; or the values themselves when there are at most `inline` of them."""
    if array.size == 0:
        return "empty"
    a = np.asarray(array, dtype=np.float64)
    if a.size <= inline:
        return " ".join(fmt(v) for v in a.ravel()) if a.size == 1 else \
            "[" + " ".join(fmt(v) for v in a.ravel()) + "]"
    if not np.any(a):
        return "all zero"
    return f"norm {fmt(np.linalg.norm(a))}  min {fmt(np.min(a))}  max {fmt(np.max(a))}"


def format_param(value: Any) -> str:
    """An op parameter for a label: tuples compact, slices as a:b, arrays by shape."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return ", ".join(f"{f.name}={format_param(getattr(value, f.name))}"
                         for f in dataclasses.fields(value))
    if isinstance(value, np.ndarray):
        return str(value.tolist()) if value.size <= 6 else f"array{value.shape}"
    if isinstance(value, slice):
        parts = ["" if x is None else str(x) for x in (value.start, value.stop)]
        return ":".join(parts) + (f":{value.step}" if value.step is not None else "")
    if isinstance(value, tuple):
        inner = ", ".join(format_param(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, float):
        return fmt(value)
    return str(value)
