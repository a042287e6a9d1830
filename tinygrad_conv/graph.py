"""draw_graph: the forward graph as a Graphviz picture, one node per tensor and one per operation.

Built on autograd.topo_order (no recursion), so a 10,000-op chain draws with max_nodes. The
picture is built once as a neutral model (_graph_model.Picture); its DOT text is written only in
the flavour a renderer asks for: HTML labels for `dot` (`.source`), plain labels for the
in-process Graphviz (`.plain_source`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from . import _grad_passes, autograd
from . import _graph_labels as L
from . import _graph_model as M
from ._checks import is_int
from ._format import fmt, format_param, grad_summary, passes_note, safe_text
from ._graph_labels import COLORS, LEGEND
from ._graph_render import RenderableDigraph

__all__ = ["COLORS", "LEGEND", "GraphPicture", "draw_graph"]


class GraphPicture(RenderableDigraph):
    """The Digraph draw_graph returns; `node_ids` maps id(tensor) to its node name ("t3"),
    `op_ids` maps id(tensor) to the node name of the op that made it ("o3"), `picture` is the
    neutral model. The DOT body is written on first use, in the flavour used."""

    node_ids: dict[int, str]
    op_ids: dict[int, str]
    left_out: int
    picture: M.Picture

    def __init__(self, picture: M.Picture | None = None, **kwargs):
        kwargs.setdefault("name", "tinygrad_conv")
        super().__init__(**kwargs)
        self.picture = picture
        self._written = picture is None  # a copy or a subgraph comes with its body

    def _write(self) -> None:
        if not self._written:  # the HTML-label flavour, for dot and for `.source`
            self._written = True
            L.write_dot(self.picture, self, html=True)

    def __iter__(self, subgraph: bool = False):
        self._write()
        yield from super().__iter__(subgraph=subgraph)

    def _copy_kwargs(self, **kwargs):
        self._write()  # .copy() and .subgraph() carry the written body
        return super()._copy_kwargs(**kwargs)

    @property
    def plain_source(self) -> str:
        """The same picture with plain labels, for the in-process renderer."""
        plain = RenderableDigraph(name="tinygrad_conv")
        L.write_dot(self.picture, plain, html=False)
        return plain.source


def draw_graph(
    tensor,
    show_data: bool = False,
    show_grad: bool = True,
    rankdir: str = "TB",
    max_nodes: int | None = None,
    group_modules: bool = True,
    depth: int | None = None,
    collapse_repeats: bool = False,
) -> GraphPicture:
    """The graph of every tensor and op `tensor` depends on, as a graphviz.Digraph.
    `depth` opens module boxes that many levels deep (None: all); `collapse_repeats` draws a run
    of identical sibling blocks once, labelled 'Block x k'."""
    if rankdir not in ("TB", "BT", "LR", "RL"):
        raise ValueError(f"draw_graph: rankdir must be 'TB', 'BT', 'LR' or 'RL', got {rankdir!r}")
    if max_nodes is not None and (not is_int(max_nodes) or max_nodes < 1):
        raise ValueError(f"draw_graph: max_nodes must be a positive int or None, got {max_nodes!r}")
    if depth is not None and (not is_int(depth) or depth < 0):
        raise ValueError(f"draw_graph: depth must be an int >= 0 or None, got {depth!r}")
    order = autograd.topo_order(tensor)
    ids = {id(t): i for i, t in enumerate(order)}
    kept = _nearest(order, tensor, max_nodes)
    total = len(order) + sum(1 for t in order if t.op is not None)
    picture = M.Picture(rankdir=rankdir)
    used: set[str] = set()
    consumers = _consumer_scopes(order, ids) if group_modules else {}
    for t in order:
        i = ids[id(t)]
        scope = _scope(t, consumers.get(i)) if group_modules else ()
        if depth is not None:
            scope = scope[:depth]
        if ("t", i) in kept:
            node = _tensor_node(f"t{i}", t, t is tensor, show_data, show_grad)
            used.add(node.kind)
            used.update({"no grad yet"} if node.dashed else set())
            node.params = t.size if scope and t.op is None and t.requires_grad else 0
            picture.nodes.append((scope, node))
        if ("o", i) in kept:
            used.add("op")
            picture.nodes.append((scope, _op_node(f"o{i}", t)))
    for t in order:
        i = ids[id(t)]
        if ("o", i) not in kept:
            continue
        names = _input_names(t)
        for k, parent in enumerate(t.parents):
            if ("t", ids[id(parent)]) in kept:
                label = names[k] if k < len(names) and len(t.parents) > 1 else ""
                picture.edges.append(
                    M.Edge(f"t{ids[id(parent)]}", f"o{i}", label, main=parent.op is not None)
                )
        picture.edges.append(M.Edge(f"o{i}", f"t{i}", main=True))
    _level_leaves(picture)
    left_out = total - len(kept)
    if left_out:
        _add_cut_note(picture, order, ids, kept, left_out, max_nodes)
    M.add_boxes(picture)
    if collapse_repeats:
        M.collapse_repeats(picture)
    picture.legend = [
        (kind, text, kind == "no grad yet") for kind, text in LEGEND.items() if kind in used
    ]
    graph = GraphPicture(picture)
    graph.node_ids = {id(t): f"t{ids[id(t)]}" for t in order if ("t", ids[id(t)]) in kept}
    graph.op_ids = {id(t): f"o{ids[id(t)]}" for t in order if ("o", ids[id(t)]) in kept}
    graph.left_out = left_out
    return graph


def _level_leaves(picture: M.Picture) -> None:
    """Parameters in a box go level with the one op that uses them (weight left, bias right)."""
    scope = {node.name: tuple(s) for s, node in picture.nodes}
    leaf = {
        node.name
        for s, node in picture.nodes
        if s and isinstance(node, M.TensorNode) and node.params
    }
    uses: dict[str, int] = {}
    for e in picture.edges:
        uses[e.tail] = uses.get(e.tail, 0) + 1
    for e in picture.edges:
        if e.tail in leaf and uses[e.tail] == 1 and scope[e.tail] == scope.get(e.head):
            level = picture.same_rank.setdefault(e.head, [])
            e.reverse = len(level) % 2 == 1  # the second one lands right of the op
            level.append(e.tail)


def _input_names(t) -> tuple:
    """The op's input names (its class's `inputs`), else input 1, input 2, ..."""
    names = getattr(t._ctx.fn, "inputs", None) if t._ctx is not None else None
    if not isinstance(names, tuple) or not all(isinstance(n, str) for n in names):
        return tuple(f"input {k + 1}" for k in range(len(t.parents)))
    return names


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


def _is_parameter(t) -> bool:
    return any(c.__name__ == "Parameter" for c in type(t).__mro__)


def _scope(t, consumer_scopes: set | None) -> tuple:
    """The module box a tensor goes in: where it was made; a parameter (a leaf that requires grad,
    made outside any forward: a Parameter, or unnamed) goes in the box of the one module that uses
    it; a named tensor made outside every module (the model's input) stays outside the boxes."""
    scope = tuple(getattr(t, "_module", ()) or ())
    if (
        not scope
        and t.op is None
        and t.requires_grad
        and consumer_scopes
        and len(consumer_scopes) == 1
        and (_is_parameter(t) or not t.name)
    ):
        return tuple(next(iter(consumer_scopes)))
    return scope


def _tensor_node(name: str, t, is_output: bool, show_data: bool, show_grad: bool) -> M.TensorNode:
    grad = t.grad
    bad = not _finite(t.data) or (grad is not None and not _finite(grad))
    zero = grad is not None and not bad and not np.any(grad)
    passes = _grad_passes.passes(t) if show_grad else 0
    no_grad_yet = show_grad and grad is None and t.requires_grad
    kind = (
        "NaN/Inf"
        if bad
        else "accumulated"
        if passes > 1
        else "zero grad"
        if zero and show_grad
        else "output"
        if is_output
        else ("leaf" if t.requires_grad else "constant")
        if t.op is None
        else "intermediate"
    )
    title = (
        safe_text(t.name) if t.name else ("loss" if t.size == 1 else "output") if is_output else ""
    )  # what backward starts from
    blocks = [L.values_block("data", t.data)] if show_data else []
    if show_grad and grad is not None:
        blocks.append(
            L.values_block("grad", grad) if show_data else ("grad", grad_summary(grad, inline=4))
        )
    grids = [c for _, c in blocks if not isinstance(c, str)]
    stack = len(blocks) > 1 and (len(grids) < len(blocks) or max(len(r[0]) for r in grids) > 5)
    notes = ["no grad yet"] if no_grad_yet else []
    if passes > 1:
        notes.append(passes_note(passes))
    return M.TensorNode(
        name,
        kind,
        title,
        f"{tuple(t.shape)} {t.dtype}",
        blocks,
        notes,
        dashed=no_grad_yet,
        bad=bad,
        output=is_output,
        stack=stack,
    )


def _op_node(name: str, t) -> M.OpNode:
    summary, shown = _op_summary(t.op, t._ctx.params)
    params = [
        f"{k}={format_param(v)}"
        for k, v in t._ctx.params.items()
        if not dataclasses.is_dataclass(v)  # a derived geometry repeats the parameters
        and k not in shown
    ]
    return M.OpNode(name, safe_text(t.op), summary + params)


def _statistic(label: str, values: np.ndarray) -> str:
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if values.size <= 4:
        return f"{label} [{', '.join(f'{v:.3g}' for v in values)}]"
    return f"{label} {values.min():.3g} .. {values.max():.3g} over {values.size} channels"


def _op_summary(op: str, params: dict) -> tuple[list[str], set[str]]:
    """What a learner needs to see first on a BatchNorm or Dropout node: the mode, the
    statistics that were used, the fraction a mask kept. -> (lines, params they replace)."""
    if op == "batch_norm" and "mean" in params:
        mode = "train: batch statistics" if params.get("training") else "eval: running statistics"
        lines = [mode, _statistic("mean", params["mean"]), _statistic("var", params["var"])]
        return lines, {"mean", "var", "training"}
    if op in ("dropout", "dropout2d") and params.get("kept") is not None:
        if not params.get("training", True):
            return ["eval: identity"], {"kept", "training"}
        return [f"train: kept {100 * float(params['kept']):.1f}% (p={fmt(params['p'])})"], {
            "kept",
            "training",
            "p",
        }
    return [], set()


def _add_cut_note(picture: M.Picture, order, ids, kept, left_out: int, max_nodes) -> None:
    text = f"... {left_out} more nodes left out\n(max_nodes={max_nodes})"
    picture.nodes.append(((), M.NoteNode("left_out", text)))
    for t in order:
        i = ids[id(t)]
        if ("t", i) in kept and t.op is not None and ("o", i) not in kept:
            picture.edges.append(M.Edge("left_out", f"t{i}", dashed=True))
        elif ("o", i) in kept and any(("t", ids[id(p)]) not in kept for p in t.parents):
            picture.edges.append(M.Edge("left_out", f"o{i}", dashed=True))


def _finite(array: np.ndarray) -> bool:
    return np.asarray(array).dtype.kind != "f" or bool(np.isfinite(array).all())
