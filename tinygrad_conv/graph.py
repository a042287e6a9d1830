"""draw_graph: the forward graph as a Graphviz picture, one node per tensor and one per operation.

Built on autograd.topo_order (no recursion), so a 10,000-op chain draws with max_nodes.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import graphviz
import numpy as np

from . import _graph_labels as L
from . import autograd
from ._checks import is_int
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


class GraphPicture(RenderableDigraph):
    """The Digraph draw_graph returns; `node_ids` maps id(tensor) to its node name ("t3"),
    `op_ids` maps id(tensor) to the node name of the op that made it ("o3")."""

    node_ids: dict[int, str]
    op_ids: dict[int, str]
    left_out: int
    plain_source: str  # the same graph with plain labels, for the in-process renderer


def draw_graph(tensor, show_data: bool = False, show_grad: bool = True, rankdir: str = "TB",
               max_nodes: int | None = None, group_modules: bool = True) -> GraphPicture:
    """The graph of every tensor and op `tensor` depends on, as a graphviz.Digraph."""
    if rankdir not in ("TB", "BT", "LR", "RL"):
        raise ValueError(f"draw_graph: rankdir must be 'TB', 'BT', 'LR' or 'RL', got {rankdir!r}")
    if max_nodes is not None and (not is_int(max_nodes) or max_nodes < 1):
        raise ValueError(f"draw_graph: max_nodes must be a positive int or None, got {max_nodes!r}")
    order = autograd.topo_order(tensor)
    ids = {id(t): i for i, t in enumerate(order)}
    kept = _nearest(order, tensor, max_nodes)
    total = len(order) + sum(1 for t in order if t.op is not None)
    attrs = {"graph_attr": {"rankdir": rankdir, "fontname": "Helvetica", "nodesep": "0.3",
                            "ranksep": "0.35"},
             "node_attr": {"fontname": "Helvetica", "fontsize": "11"},
             "edge_attr": {"color": "#555555", "arrowsize": "0.7", "fontsize": "9",
                           "fontcolor": "#555555", "fontname": "Helvetica"}}
    graph = GraphPicture(name="tinygrad_conv", **attrs)
    plain = graphviz.Digraph(name="tinygrad_conv", **attrs)  # for the in-process renderer
    graph.node_ids = {id(t): f"t{ids[id(t)]}" for t in order if ("t", ids[id(t)]) in kept}
    graph.op_ids = {id(t): f"o{ids[id(t)]}" for t in order if ("o", ids[id(t)]) in kept}
    graph.left_out = total - len(kept)
    used: set[str] = set()
    nodes: list[tuple[tuple, str, dict, dict]] = []  # (module scope, name, html attrs, plain attrs)
    consumers = _consumer_scopes(order, ids) if group_modules else {}
    for t in order:
        i = ids[id(t)]
        scope = _scope(t, consumers.get(i)) if group_modules else ()
        if ("t", i) in kept:
            kinds, html, text = _tensor_node(t, t is tensor, show_data, show_grad, rankdir)
            used.update(kinds)
            nodes.append((scope, f"t{i}", html, text))
        if ("o", i) in kept:
            used.add("op")
            nodes.append((scope, f"o{i}", *_op_node(t)))
    _add_nodes(graph, [(s, n, a) for s, n, a, _ in nodes])
    _add_nodes(plain, [(s, n, a) for s, n, _, a in nodes])
    for t in order:
        i = ids[id(t)]
        if ("o", i) not in kept:
            continue
        names = ARG_NAMES.get(t.op, ())
        for k, parent in enumerate(t.parents):
            if ("t", ids[id(parent)]) in kept:
                label = {"label": names[k]} if k < len(names) and len(t.parents) > 1 else {}
                for g in (graph, plain):
                    g.edge(f"t{ids[id(parent)]}", f"o{i}", **label)
        for g in (graph, plain):
            g.edge(f"o{i}", f"t{i}")
    if graph.left_out:
        for g in (graph, plain):
            _add_cut_note(g, order, ids, kept, graph.left_out, max_nodes)
    _add_legend(graph, plain, used)
    graph.plain_source = plain.source
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


def _add_nodes(graph: graphviz.Digraph, nodes: list) -> None:
    clusters: dict[tuple, Any] = {}
    for scope, _, _ in nodes:
        for depth in range(1, len(scope) + 1):
            prefix = tuple(scope[:depth])
            if prefix not in clusters:
                path, class_name = prefix[-1]
                sub = graphviz.Digraph(name=f"cluster_{len(clusters)}")
                sub.attr(label=f"{path}: {class_name}" if path else class_name, style="rounded",
                         color="#7a7a7a", fontcolor="#333333", fontsize="12",
                         fontname="Helvetica-Bold", labeljust="l", margin="10")
                clusters[prefix] = sub
    for scope, name, attrs in nodes:
        (clusters[tuple(scope)] if scope else graph).node(name, id=name, **attrs)
    for prefix in sorted(clusters, key=len, reverse=True):  # inner boxes into outer ones
        (clusters[prefix[:-1]] if len(prefix) > 1 else graph).subgraph(clusters[prefix])


def _tensor_node(t, is_output: bool, show_data: bool, show_grad: bool,
                 rankdir: str) -> tuple[set, dict, dict]:
    grad = t.grad
    bad = not _finite(t.data) or (grad is not None and not _finite(grad))
    zero = grad is not None and not bad and not np.any(grad)
    no_grad_yet = show_grad and grad is None and t.requires_grad
    kind = "NaN/Inf" if bad else "zero grad" if zero and show_grad else "output" if is_output \
        else ("leaf" if t.requires_grad else "constant") if t.op is None else "intermediate"
    title = t.name or ("output" if is_output else "")
    shape = f"{tuple(t.shape)} {t.dtype}"
    blocks = [L.values_block("data", t.data)] if show_data else []
    if show_grad and grad is not None:
        blocks.append(L.values_block("grad", grad) if show_data else
                      ("grad", L.grad_summary(grad, inline=4)))
    note = "no grad yet" if no_grad_yet else ""
    style = "rounded,filled" + (",dashed" if no_grad_yet else "")
    used = {kind} | ({"no grad yet"} if no_grad_yet else set())
    common = {"style": style, "fillcolor": COLORS[kind], "color": "#c00000" if bad else "#333333",
              "penwidth": "2" if bad or is_output else "1"}
    html = {"label": L.tensor_html(title, shape, blocks, note), "shape": "box", "margin": "0.06",
            **common}
    plain = {"label": L.tensor_record(title, shape, blocks, note, rankdir), "shape": "Mrecord",
             **common}
    return used, html, plain


def _op_node(t) -> tuple[dict, dict]:
    params = [f"{k}={L.format_param(v)}" for k, v in t._ctx.params.items()
              if not dataclasses.is_dataclass(v)]  # a derived geometry repeats the parameters
    common = {"shape": "box", "style": "filled", "fillcolor": COLORS["op"], "color": "#b36b00",
              "margin": "0.08,0.03"}
    return ({"label": L.op_html(t.op, params), **common},
            {"label": L.op_plain(t.op, params), **common})


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


def _add_legend(graph: GraphPicture, plain, used: set[str]) -> None:
    entries = [(COLORS.get(kind, "#ffffff"), text, kind == "no grad yet")
               for kind, text in LEGEND.items() if kind in used]
    if not entries:
        return
    graph.node("legend", id="legend", label=L.legend_html(entries), shape="box",
               style="rounded", color="#bbbbbb", fontsize="9")
    with plain.subgraph(name="cluster_legend") as box:  # plain labels: one small node per colour
        box.attr(label="legend", color="#bbbbbb", style="rounded", fontsize="9")
        for n, (colour, text, dashed) in enumerate(entries):
            box.node(f"legend{n}", label=text, shape="box", fontsize="9", fillcolor=colour,
                     style="filled" + (",dashed" if dashed else ""), height="0.2")


def _finite(array: np.ndarray) -> bool:
    return np.asarray(array).dtype.kind != "f" or bool(np.isfinite(array).all())
