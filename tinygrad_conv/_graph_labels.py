"""The neutral picture (_graph_model.Picture) written as DOT: with HTML-like table labels for
Graphviz's dot, or with record/plain labels for the in-process Graphviz, which is built without
HTML-label support. Every text that comes from the user (names, op names, parameters) is escaped
for the flavour it goes into."""

from __future__ import annotations

from html import escape

import graphviz
import numpy as np

from ._format import data_summary, fmt, grad_summary, safe_text, tidy
from ._graph_model import Box, NoteNode, OpNode, Picture, TensorNode

MAX_VALUES = 25  # at most this many elements are shown value by value
ROW = 10  # longer rows of values wrap
LONG = 400  # label lines are cut at this length (names are cut shorter, where they are made)

COLORS = {  # fill colours; the legend shows the ones a picture uses
    "leaf": "#a9d6f5",  # a leaf that requires grad (parameter or input)
    "constant": "#fff3b0",  # a tensor that does not require grad
    "op": "#ffd7a8",
    "output": "#c6ef8e",
    "intermediate": "#ffffff",
    "zero grad": "#c8c8c8",
    "accumulated": "#f3b6e6",
    "NaN/Inf": "#ff7b7b",
}
LEGEND = {
    "leaf": "leaf, requires grad",
    "constant": "constant (no grad)",
    "op": "operation",
    "output": "output",
    "intermediate": "intermediate tensor",
    "zero grad": "gradient all zero",
    "accumulated": "grad summed over several backward passes",
    "NaN/Inf": "NaN or Inf",
    "no grad yet": "no grad yet (dashed)",
}
GRAPH_ATTR = {"fontname": "Helvetica", "nodesep": "0.25", "ranksep": "0.3"}
NODE_ATTR = {"fontname": "Helvetica", "fontsize": "11"}
EDGE_ATTR = {
    "color": "#555555",
    "arrowsize": "0.7",
    "fontsize": "9",
    "fontcolor": "#555555",
    "fontname": "Helvetica",
}


def values_block(caption: str, array: np.ndarray) -> tuple[str, list[list[str]] | str]:
    """(caption, rows of values) for at most MAX_VALUES elements, else (caption, summary text)."""
    array = np.asarray(array)
    if array.size > MAX_VALUES or array.size == 0:
        return caption, grad_summary(array) if caption == "grad" else data_summary(array)
    grid = array.reshape(-1, array.shape[-1]) if array.ndim else array.reshape(1, 1)
    if grid.shape[0] > 1 and grid.shape[1] == 1:
        grid = grid.T  # a column of numbers reads better as a row
    flat = [fmt(v) for v in tidy(grid).ravel()]
    width = min(grid.shape[1], ROW)
    return caption, [flat[i : i + width] for i in range(0, len(flat), width)]


def write_dot(picture: Picture, graph: graphviz.Digraph, html: bool) -> None:
    """Fill `graph` (empty) with the picture, in one label flavour."""
    graph.attr("graph", rankdir=picture.rankdir, **GRAPH_ATTR)
    graph.attr("node", **NODE_ATTR)
    graph.attr("edge", **EDGE_ATTR)
    clusters = {
        scope: graphviz.Digraph(name=f"cluster_{k}") for k, scope in enumerate(picture.boxes)
    }
    for scope, box in picture.boxes.items():
        # The in-process Graphviz measures text with Helvetica's widths: a bold title would
        # come out wider than its estimate and hang over the box's edge.
        clusters[scope].attr(
            label=_plain(picture.box_label(box)),
            color="#7a7a7a",
            fontcolor="#333333",
            fontsize="12",
            fontname="Helvetica-Bold" if html else "Helvetica",
            labeljust="l",
            margin="10",
            **_box_style(box),
        )
    level = {name for leaves in picture.same_rank.values() for name in leaves}
    for scope, node in picture.nodes:
        target = clusters[tuple(scope)] if scope else graph
        attrs = _node_attrs(node, html, picture.rankdir, record=node.name not in level)
        target.node(node.name, id=node.name, **attrs)
    scopes = {node.name: tuple(scope) for scope, node in picture.nodes}
    for op, leaves in picture.same_rank.items():  # parameters beside their op, not above it:
        level = graphviz.Digraph()  # module boxes then stack instead of forming a staircase
        level.attr(rank="same")
        for name in (op, *leaves):
            level.node(name)
        scope = scopes[op]
        (clusters[scope] if scope else graph).subgraph(level)
    for prefix in sorted(clusters, key=len, reverse=True):  # inner boxes into outer ones
        (clusters[prefix[:-1]] if len(prefix) > 1 else graph).subgraph(clusters[prefix])
    for e in picture.edges:
        attrs = {"label": _plain(e.label)} if e.label else {}
        if e.dashed:
            attrs.update(style="dashed", color="#888888")
        if e.main:
            attrs["weight"] = "8"
        if e.reverse:
            graph.edge(e.head, e.tail, dir="back", **attrs)
        else:
            graph.edge(e.tail, e.head, **attrs)
    if picture.legend:
        _legend(graph, picture.legend, html)


def _box_style(box: Box) -> dict:
    return {"penwidth": "2", "style": "rounded,dashed"} if box.repeats > 1 else {"style": "rounded"}


def _plain(text: str) -> str:
    """Text for a plain DOT string: backslashes kept literal, never read as an HTML label."""
    return graphviz.escape(safe_text(text, 200))


def _node_attrs(node, html: bool, rankdir: str, record: bool = True) -> dict:
    if isinstance(node, TensorNode):
        common = {
            "style": "rounded,filled" + (",dashed" if node.dashed else ""),
            "fillcolor": COLORS[node.kind],
            "color": "#c00000" if node.bad else "#333333",
            "penwidth": "2" if node.bad or node.output or node.kind == "accumulated" else "1",
        }
        if html:
            return {"label": tensor_html(node), "shape": "box", "margin": "0.05", **common}
        if not record:  # dot lays out no flat edge to a record: plain lines instead
            return {"label": _lines(tensor_lines(node)), "shape": "box", **common}
        return {"label": tensor_record(node, rankdir), "shape": "Mrecord", **common}
    if isinstance(node, OpNode):
        common = {
            "shape": "box",
            "style": "filled",
            "fillcolor": COLORS["op"],
            "color": "#b36b00",
            "margin": "0.08,0.03",
        }
        return {"label": op_html(node) if html else _lines([node.op, *node.params]), **common}
    assert isinstance(node, NoteNode)
    return {
        "label": _lines(node.text.split("\n")),
        "shape": "note",
        "style": "filled",
        "fillcolor": "#eeeeee",
        "color": "#888888",
    }


def _lines(parts: list[str]) -> graphviz.quoting.NoHtml:
    """Plain multi-line text: each part escaped, joined by DOT's centred line break."""
    return graphviz.nohtml("\\n".join(safe_text(p, LONG).replace("\\", "\\\\") for p in parts))


def _h(text: str) -> str:
    return escape(safe_text(text, LONG), quote=True)


def tensor_html(node: TensorNode) -> str:
    rows = ([f"<B>{_h(node.title)}</B>"] if node.title else []) + [_h(node.shape)]
    cells = []
    for caption, content in node.blocks:
        head = f'<TR><TD><FONT POINT-SIZE="9" COLOR="#444444">{caption}</FONT></TD></TR>'
        if isinstance(content, str):  # a summary: one line, caption first
            cells.append(f'<FONT POINT-SIZE="9" COLOR="#444444">{caption}</FONT> {_h(content)}')
            continue
        grid = "".join(
            "<TR>" + "".join(f"<TD>{_h(v)}</TD>" for v in row) + "</TR>" for row in content
        )
        body = (
            f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="2" '
            f'COLOR="#999999" BGCOLOR="#ffffff">{grid}</TABLE>'
        )
        cells.append(f'<TABLE BORDER="0" CELLSPACING="0">{head}<TR><TD>{body}</TD></TR></TABLE>')
    if cells and node.stack:
        rows += cells
    elif cells:
        row = "".join(f'<TD VALIGN="TOP">{c}</TD>' for c in cells)
        rows.append(f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1"><TR>{row}</TR></TABLE>')
    for note in node.notes:
        colour = "#8a0070" if node.kind == "accumulated" else "#666666"
        rows.append(f'<FONT COLOR="{colour}"><I>{_h(note)}</I></FONT>')
    return "<" + stack_html(rows) + ">"


def op_html(node: OpNode) -> str:
    rows = [f"<B>{_h(node.op)}</B>"] + [f'<FONT POINT-SIZE="9">{_h(p)}</FONT>' for p in node.params]
    return "<" + stack_html(rows) + ">"


def stack_html(rows: list[str]) -> str:
    body = "".join(f"<TR><TD>{r}</TD></TR>" for r in rows)
    return f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{body}</TABLE>'


def _legend(graph: graphviz.Digraph, entries: list, html: bool) -> None:
    if html:
        dash = ' STYLE="dashed"'
        rows = "".join(
            f'<TR><TD BGCOLOR="{COLORS.get(kind, "#ffffff")}" BORDER="1"'
            f'{dash if dashed else ""} WIDTH="18"> </TD>'
            f'<TD ALIGN="LEFT">{escape(text)}</TD></TR>'
            for kind, text, dashed in entries
        )
        graph.node(
            "legend",
            id="legend",
            shape="box",
            style="rounded",
            color="#bbbbbb",
            fontsize="9",
            label=f'<<TABLE BORDER="0" CELLSPACING="3" CELLPADDING="2">{rows}</TABLE>>',
        )
        return
    with graph.subgraph(name="cluster_legend") as box:  # plain labels: one node per colour
        box.attr(label="legend", color="#bbbbbb", style="rounded", fontsize="9")
        for n, (kind, text, dashed) in enumerate(entries):
            box.node(
                f"legend{n}",
                label=text,
                shape="box",
                fontsize="9",
                fillcolor=COLORS.get(kind, "#ffffff"),
                style="filled" + (",dashed" if dashed else ""),
                height="0.2",
            )


def _field(text: str) -> str:
    text = safe_text(text, LONG).replace("\\", "\\\\")
    for char in '{}|<>"':
        text = text.replace(char, "\\" + char)
    return text


def tensor_record(node: TensorNode, rankdir: str) -> graphviz.quoting.NoHtml:
    """A record label: the fields stack top to bottom, value grids as cells."""
    rows = ([_field(node.title)] if node.title else []) + [_field(node.shape)]
    columns = []
    for caption, content in node.blocks:
        if isinstance(content, str) and node.stack:
            rows.append(f"{caption} {_field(content)}")
        elif isinstance(content, str):
            columns.append(f"{{{caption}|{_field(content)}}}")
        elif node.stack:  # at this level fields stack; a {row} of values runs across
            rows += [caption] + ["{" + "|".join(_field(v) for v in row) + "}" for row in content]
        else:
            grid = "|".join("{" + "|".join(_field(v) for v in row) + "}" for row in content)
            columns.append(f"{{{caption}|{grid}}}")
    if columns:
        rows.append("{" + "|".join(columns) + "}")
    rows += [_field(note) for note in node.notes]
    body = "|".join(rows)
    return graphviz.nohtml(f"{{{body}}}" if rankdir in ("TB", "BT") else body)


def tensor_lines(node: TensorNode) -> list[str]:
    """The node's text as lines (grids as rows of values)."""
    lines = ([node.title] if node.title else []) + [node.shape]
    for caption, content in node.blocks:
        if isinstance(content, str):
            lines.append(f"{caption} {content}")
        else:
            lines += [caption] + ["  ".join(row) for row in content]
    return lines + node.notes
