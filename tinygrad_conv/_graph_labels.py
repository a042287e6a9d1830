"""Node labels for draw_graph, twice: as HTML-like tables for Graphviz's dot, and as record/plain
labels for the in-process Graphviz, which is built without HTML-label support."""

from __future__ import annotations

import dataclasses
from html import escape
from typing import Any

import numpy as np

MAX_VALUES = 25  # at most this many elements are shown value by value
ROW = 10  # longer rows of values wrap


def fmt(value: Any) -> str:
    """A number in about 3 significant digits (-0 shown as 0)."""
    return f"{float(value) + 0.0:.3g}"


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
        text = " ".join(fmt(v) for v in a.ravel())
        return text if a.size == 1 else f"[{text}]"
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


def tidy(array: np.ndarray) -> np.ndarray:
    """A copy with rounding noise (below 1e-6 of the largest magnitude) shown as 0."""
    array = np.array(array, dtype=np.float64)
    if array.size and np.isfinite(array).all():
        array[np.abs(array) < 1e-6 * np.max(np.abs(array))] = 0.0
    return array


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
    return caption, [flat[i:i + width] for i in range(0, len(flat), width)]


def tensor_html(title: str, shape: str, blocks: list, note: str) -> str:
    rows = ([f"<B>{escape(title)}</B>"] if title else []) + [escape(shape)]
    cells = []
    for caption, content in blocks:
        head = f'<TR><TD><FONT POINT-SIZE="9" COLOR="#444444">{caption}</FONT></TD></TR>'
        if isinstance(content, str):  # a summary: one line, caption first
            cells.append(f'<FONT POINT-SIZE="9" COLOR="#444444">{caption}</FONT> {escape(content)}')
            continue
        grid = "".join("<TR>" + "".join(f"<TD>{escape(v)}</TD>" for v in row) + "</TR>"
                       for row in content)
        body = (f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="2" '
                f'COLOR="#999999" BGCOLOR="#ffffff">{grid}</TABLE>')
        cells.append(f'<TABLE BORDER="0" CELLSPACING="0">{head}<TR><TD>{body}</TD></TR></TABLE>')
    if cells:
        row = "".join(f'<TD VALIGN="TOP">{c}</TD>' for c in cells)
        rows.append(f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1"><TR>{row}</TR></TABLE>')
    if note:
        rows.append(f'<FONT COLOR="#666666"><I>{escape(note)}</I></FONT>')
    return "<" + stack_html(rows) + ">"


def op_html(op: str, params: list[str]) -> str:
    rows = [f"<B>{escape(op)}</B>"] + [f'<FONT POINT-SIZE="9">{escape(p)}</FONT>' for p in params]
    return "<" + stack_html(rows) + ">"


def stack_html(rows: list[str]) -> str:
    body = "".join(f"<TR><TD>{r}</TD></TR>" for r in rows)
    return f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{body}</TABLE>'


def legend_html(entries: list[tuple[str, str, bool]]) -> str:
    dash = ' STYLE="dashed"'
    rows = "".join(
        f'<TR><TD BGCOLOR="{colour}" BORDER="1"{dash if dashed else ""} WIDTH="18"> </TD>'
        f'<TD ALIGN="LEFT">{escape(text)}</TD></TR>' for colour, text, dashed in entries)
    return f'<<TABLE BORDER="0" CELLSPACING="3" CELLPADDING="2">{rows}</TABLE>>'


def _field(text: str) -> str:
    for char in "\\{}|<>":
        text = text.replace(char, "\\" + char)
    return text


def tensor_record(title: str, shape: str, blocks: list, note: str, rankdir: str) -> str:
    """A record label: the fields stack top to bottom, value grids as cells."""
    rows = ([_field(title)] if title else []) + [_field(shape)]
    columns = []
    for caption, content in blocks:
        if isinstance(content, str):
            columns.append(f"{{{caption}|{_field(content)}}}")
        else:
            grid = "|".join("{" + "|".join(_field(v) for v in row) + "}" for row in content)
            columns.append(f"{{{caption}|{grid}}}")
    if columns:
        rows.append("{" + "|".join(columns) + "}")
    if note:
        rows.append(_field(note))
    body = "|".join(rows)
    return f"{{{body}}}" if rankdir in ("TB", "BT") else body  # records turn with rankdir


def op_plain(op: str, params: list[str]) -> str:
    return "\n".join([op, *params])
