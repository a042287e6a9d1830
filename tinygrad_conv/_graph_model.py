"""The neutral model of a graph picture: what draw_graph shows (nodes, edges, module boxes, the
legend), with no DOT syntax in it. `_graph_labels` writes it as DOT, with HTML labels for `dot` or
plain labels for the in-process Graphviz.

Module boxes: a tensor goes in the box of the module call that made it; a parameter (a leaf that
requires grad, made outside any forward) in the box of the one module that uses it; a tensor made
outside every module (the model's input) outside every box. `depth` keeps the outer boxes only;
`collapse` draws a run of identical sibling blocks once ("Block x 4").
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

Scope = tuple  # ((path, class name), ...) outermost first


@dataclass
class TensorNode:
    name: str
    kind: str  # a key of COLORS
    title: str
    shape: str
    blocks: list  # (caption, rows of values | summary text)
    notes: list[str] = field(default_factory=list)
    dashed: bool = False
    bad: bool = False
    output: bool = False
    params: int = 0  # elements, when this is a parameter (counted in its box)
    stack: bool = False  # data and grad one above the other (else side by side)


@dataclass
class OpNode:
    name: str
    op: str
    params: list[str]


@dataclass
class NoteNode:
    name: str
    text: str


@dataclass
class Edge:
    tail: str
    head: str
    label: str = ""
    dashed: bool = False
    main: bool = False  # along the data path (not from a leaf): drawn short and straight
    reverse: bool = False  # written head -> tail with dir=back, so the tail lands right of head


@dataclass
class Box:
    scope: Scope
    label: str
    params: int = 0
    repeats: int = 1


@dataclass
class Picture:
    rankdir: str
    nodes: list = field(default_factory=list)  # (scope, node)
    edges: list[Edge] = field(default_factory=list)
    boxes: dict = field(default_factory=dict)  # scope -> Box, outer boxes before inner ones
    legend: list = field(default_factory=list)  # (kind, text, dashed)
    same_rank: dict = field(default_factory=dict)  # op node -> leaves drawn level with it

    def box_label(self, box: Box) -> str:
        count = f"{box.params:,} params" if box.params else ""
        if box.repeats > 1 and count:
            count = f"{count} each"
        return f"{box.label} ({count})" if count else box.label


def box_title(scope: Scope, repeats: int = 1, last_path: str = "") -> str:
    path, class_name = scope[-1]
    if repeats > 1:
        span = _span(path, last_path)
        return f"{span}: {class_name} x {repeats}" if span else f"{class_name} x {repeats}"
    return f"{path}: {class_name}" if path else class_name


def _span(first: str, last: str) -> str:
    """'layers.0', 'layers.3' -> 'layers.0-3'."""
    head, _, a = first.rpartition(".")
    head2, _, b = last.rpartition(".")
    if head == head2 and a.isdigit() and b.isdigit():
        return f"{head}.{a}-{b}" if head else f"{a}-{b}"
    return f"{first}..{last}" if first else ""


def add_boxes(picture: Picture) -> None:
    """One Box per scope prefix in use, with the parameters counted inside it."""
    for scope, node in picture.nodes:
        for depth in range(1, len(scope) + 1):
            prefix = tuple(scope[:depth])
            if prefix not in picture.boxes:
                picture.boxes[prefix] = Box(prefix, box_title(prefix))
            if isinstance(node, TensorNode):
                picture.boxes[prefix].params += node.params


def collapse_repeats(picture: Picture) -> None:
    """Draw each run of two or more consecutive identical sibling boxes once, as 'Block x k':
    the later copies' nodes are dropped and their edges to the outside moved to the first."""
    children: dict[Scope, list[Scope]] = {}
    first_op: dict[Scope, int] = {}  # ops come in the order they ran; leaves do not
    for k, (scope, node) in enumerate(picture.nodes):
        for depth in range(1, len(scope) + 1):
            parent, child = tuple(scope[: depth - 1]), tuple(scope[:depth])
            siblings = children.setdefault(parent, [])
            if child not in siblings:
                siblings.append(child)
            if isinstance(node, OpNode):
                first_op.setdefault(child, k)
    for siblings in children.values():
        siblings.sort(key=lambda c: first_op.get(c, len(picture.nodes)))
    alias: dict[str, str] = {}
    dropped_scopes: set[Scope] = set()
    for parent in list(children):
        if any(parent[:k] in dropped_scopes for k in range(1, len(parent) + 1)):
            continue
        siblings, i = children[parent], 0
        while i < len(siblings):
            first, sig = siblings[i], _signature(picture, siblings[i])
            j = i + 1
            while (
                j < len(siblings)
                and siblings[j][-1][1] == first[-1][1]
                and _signature(picture, siblings[j]) == sig
            ):
                j += 1
            if j - i > 1:
                keep = _members(picture, first)
                for copy in siblings[i + 1 : j]:
                    for (_, a), (_, b) in zip(_members(picture, copy), keep, strict=True):
                        alias[a.name] = b.name
                    dropped_scopes.add(copy)
                box = picture.boxes[first]
                box.repeats = j - i
                box.label = box_title(first, j - i, siblings[j - 1][-1][0])
            i = j
    if not alias:
        return
    inside = {n.name for s, n in picture.nodes if _within(s, dropped_scopes)}
    picture.nodes = [(s, n) for s, n in picture.nodes if n.name not in inside]
    picture.same_rank = {k: v for k, v in picture.same_rank.items() if k not in inside}
    picture.boxes = {k: b for k, b in picture.boxes.items() if not _within(k, dropped_scopes)}
    kept_scope = {n.name: s for s, n in picture.nodes}
    edges, seen = [], set()
    for e in picture.edges:
        tail, head = alias.get(e.tail, e.tail), alias.get(e.head, e.head)
        if (e.tail in alias or e.head in alias) and _same_run(kept_scope, tail, head, picture):
            continue  # a copy's inner edge, or the link from one copy to the next
        if (tail, head) not in seen:
            seen.add((tail, head))
            edges.append(dataclasses.replace(e, tail=tail, head=head))
    picture.edges = edges


def _within(scope: Scope, roots: set[Scope]) -> bool:
    return any(tuple(scope[:k]) in roots for k in range(1, len(scope) + 1))


def _same_run(kept_scope: dict, tail: str, head: str, picture: Picture) -> bool:
    """Both ends inside one collapsed box."""
    a, b = kept_scope.get(tail, ()), kept_scope.get(head, ())
    for scope, box in picture.boxes.items():
        if box.repeats > 1 and a[: len(scope)] == scope and b[: len(scope)] == scope:
            return True
    return False


def _members(picture: Picture, scope: Scope) -> list:
    n = len(scope)
    return [(s, node) for s, node in picture.nodes if tuple(s[:n]) == scope]


def _signature(picture: Picture, scope: Scope) -> tuple:
    n = len(scope)
    sig = []
    for s, node in _members(picture, scope):
        inner = tuple(c for _, c in s[n:])
        if isinstance(node, TensorNode):
            sig.append(("t", inner, node.shape, node.kind, node.params))
        elif isinstance(node, OpNode):
            sig.append(("o", inner, node.op, tuple(node.params)))
    return tuple(sig)
