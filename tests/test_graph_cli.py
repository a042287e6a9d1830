"""The pictures the command line draws: `train`'s graph holds the gradients of one fresh backward
(recomputed here from the saved weights), and `graph MODULE:OBJECT` draws a user's own model."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tinygrad_conv as tc
from tinygrad_conv import cli


def grad_norms(dot: str) -> dict[str, str]:
    """name -> the grad norm the picture shows, for every named tensor."""
    found = {}
    for line in dot.splitlines():
        name = re.search(r"<B>([^<]+)</B>", line)
        norm = re.search(r"grad</FONT> norm (\S+)", line)
        if name and norm:
            found[name.group(1)] = norm.group(1)
    return found


def test_train_picture_shows_fresh_gradients(tmp_path):
    pytest.importorskip("sklearn", reason="the digits come from scikit-learn")
    out = tmp_path / "run"
    code = cli.main(["train", "--epochs", "1", "--limit", "96", "--out", str(out), "--no-progress"])
    assert code == 0
    dot = (out / "graph.dot").read_text()
    shown = grad_norms(dot)
    assert "classifier.1.weight" in shown and "features.0.weight" in shown
    assert "zero_grad?" not in dot  # one backward pass in every grad

    from tinygrad_conv.training import SmallCNN

    x, y = (a[:96] for a in tc.data.load_digits(seed=0)[:2])
    model = SmallCNN(image_size=8)
    model.load(out / "weights.npz")
    loss = tc.nn.CrossEntropyLoss()(model(tc.Tensor(x[:2])), y[:2])
    loss.backward()  # fresh: this model has never run backward
    for name, param in model.named_parameters():
        expected = f"{float(np.linalg.norm(param.grad.astype(np.float64))):.4g}"
        assert shown[name] == expected, (name, shown[name], expected)


def test_train_picture_before_the_fix_would_differ():
    """The picture's own backward must not add onto gradients already there."""
    from tinygrad_conv._cli_graph import fresh_graph
    from tinygrad_conv.training import SmallCNN

    tc.manual_seed(0)
    model = SmallCNN()
    x = np.random.default_rng(1).random((2, 1, 8, 8), dtype=np.float32)
    first = fresh_graph(model, x, np.array([1, 2]))
    weight = dict(model.named_parameters())["classifier.1.weight"]
    once = weight.grad.copy()
    fresh_graph(model, x, np.array([1, 2]))  # a stale grad (training's last step) is dropped
    np.testing.assert_allclose(weight.grad, once, rtol=1e-6)
    assert first.name == "loss"


def write_models(folder) -> None:
    (folder / "mymodels.py").write_text(
        textwrap.dedent("""
        from tinygrad_conv import nn

        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(4, 4, 3, padding=1)

            def forward(self, x):
                return self.conv(x).relu()

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.stem = nn.Conv2d(1, 4, 3, padding=1)
                self.blocks = nn.Sequential(Block(), Block(), Block())
                self.head = nn.Sequential(nn.Flatten(), nn.Linear(4 * 6 * 6, 10))

            def forward(self, x):
                return self.head(self.blocks(self.stem(x)))

        def make_net():
            return Net()

        NOT_A_MODEL = 3
    """)
    )


def run_cli(folder, *args):
    return subprocess.run(
        [sys.executable, "-m", "tinygrad_conv", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_graph_draws_a_users_model(tmp_path):
    write_models(tmp_path)
    done = run_cli(
        tmp_path, "graph", "mymodels:Net", "--input-shape", "2,1,6,6", "--out", "net.dot"
    )
    assert done.returncode == 0, done.stderr
    dot = (tmp_path / "net.dot").read_text()
    assert 'label="Net (' in dot and "blocks.2: Block" in dot and "<B>loss</B>" in dot
    assert "(2, 1, 6, 6) float32" in dot and "cross_entropy" in dot
    done = run_cli(
        tmp_path,
        "graph",
        "mymodels:make_net",
        "--input-shape",
        "1,1,6,6",
        "--collapse-repeats",
        "--depth",
        "3",
        "--loss",
        "sum",
        "--out",
        "c.dot",
    )
    assert done.returncode == 0, done.stderr
    dot = (tmp_path / "c.dot").read_text()
    assert "blocks.0-2: Block x 3" in dot and "blocks.1: Block" not in dot
    assert "<B>sum</B>" in dot and "blocks.0.conv: Conv2d" not in dot  # depth 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["mymodels:Nope", "--input-shape", "1,1,6,6"], "'mymodels' has no 'Nope'"),
        (["nosuchmodule:Net", "--input-shape", "1,1,6,6"], "cannot import 'nosuchmodule'"),
        (["mymodels:Net"], "needs --input-shape"),
        (["mymodels:Net", "--input-shape", "2,x"], "--input-shape must be positive ints"),
        (["mymodels:NOT_A_MODEL", "--input-shape", "1"], "not an nn.Module class or factory"),
        (["mymodels", "--input-shape", "1"], "expected MODULE:OBJECT"),
        (["--out", "graph.gif"], "--out must end in .svg, .png or .dot"),
        (["--out", ""], "--out must end in"),
        (["--depth", "-1"], "--depth must be >= 0"),
    ],
)
def test_graph_errors_name_the_argument(tmp_path, args, message):
    write_models(tmp_path)
    done = run_cli(tmp_path, "graph", *args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("tinygrad-conv: error:") and message in done.stderr


def test_render_failure_names_the_file(tmp_path, monkeypatch, capsys):
    from tinygrad_conv import _graph_render

    monkeypatch.setattr(_graph_render, "dot_available", lambda: False)
    monkeypatch.setattr(_graph_render, "wasm_available", lambda: False)
    code = cli.main(["graph", "--out", str(tmp_path / "g.svg")])
    assert code == 1
    assert f"no {tmp_path / 'g.svg'}:" in capsys.readouterr().out
    assert (tmp_path / "g.dot").exists()
