"""The command line: --help everywhere, `explain`'s numbers recomputed here from scratch, `train` on
tiny data, `graph`, `bench`'s discovery, and errors as messages (exit status 2) rather than
tracebacks."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from test_data import write_mnist

from tinygrad_conv import cli

SUBCOMMANDS = {
    "train": ["--epochs", "--batch-size", "--lr", "--optimizer", "--seed", "--out", "--backend"],
    "explain": ["--out"],
    "graph": ["--model", "--out"],
    "bench": ["--full"],
}


def run(capsys, *argv):
    status = cli.main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize("command", [None, *SUBCOMMANDS])
def test_help(capsys, command):
    with pytest.raises(SystemExit) as info:
        cli.main(["--help"] if command is None else [command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: tinygrad-conv")
    for option in SUBCOMMANDS.get(command, list(SUBCOMMANDS)):
        assert option in out


def test_module_and_console_script_entry_points():
    result = subprocess.run(
        [sys.executable, "-m", "tinygrad_conv", "explain", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "usage: tinygrad-conv explain" in result.stdout
    script = shutil.which("tinygrad-conv")
    if script is None:
        pytest.skip("the console script is not installed on PATH")
    result = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "train" in result.stdout


# --- explain: parse what it printed, recompute everything from the printed inputs ---------------
def grid_after(text: str, header: str) -> np.ndarray:
    """The rows of numbers printed on the lines after the line that starts with `header`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header)) + 1
    rows = []
    for line in lines[start:]:
        values = line.split()
        if not values:
            break
        try:
            rows.append([float(v) for v in values])
        except ValueError:
            break
    return np.array(rows)


def cross_correlate(image: np.ndarray, kernel: np.ndarray, stride: int = 1) -> np.ndarray:
    k = kernel.shape[0]
    size = (image.shape[0] - k) // stride + 1
    return np.array(
        [
            [
                np.sum(image[i * stride : i * stride + k, j * stride : j * stride + k] * kernel)
                for j in range(size)
            ]
            for i in range(size)
        ]
    )


def test_explain_numbers_recomputed_independently(capsys):
    status, out, _ = run(capsys, "explain")
    assert status == 0
    image = grid_after(out, "image (5x5)")
    kernel = grid_after(out, "filter (3x3)")
    bias = float(re.search(r"conv bias: ([-\d.]+)", out).group(1))
    weight = grid_after(out, "head weight W (2x9)")
    head_bias = grid_after(out, "head bias b")[0]
    target = int(re.search(r"with the true class (\d)", out).group(1))
    assert image.shape == (5, 5) and kernel.shape == (3, 3) and weight.shape == (2, 9)

    def close(header, expected):
        got = grid_after(out, header)
        np.testing.assert_allclose(got, np.atleast_2d(expected), atol=6e-5, err_msg=header)

    valid = cross_correlate(image, kernel) + bias
    close("valid cross-correlation (3x3)", valid)
    close("same cross-correlation (5x5)", cross_correlate(np.pad(image, 1), kernel) + bias)
    close("stride-2 cross-correlation (2x2)", cross_correlate(image, kernel, stride=2) + bias)
    window_sum = float(np.sum(image[:3, :3] * kernel))
    assert f"= {window_sum:g}; plus the bias {bias:g}: {window_sum + bias:g}" in out

    hidden = np.maximum(valid, 0)
    close("We go on with the valid output. relu (3x3)", hidden)
    logits = weight @ hidden.ravel() + head_bias
    close("logits", logits)
    probs = np.exp(logits) / np.exp(logits).sum()
    close("probabilities", probs)
    loss = -np.log(probs[target])
    assert float(re.search(r"loss = -log\([\d.]+\) = ([\d.]+)", out).group(1)) == pytest.approx(
        loss, abs=1e-6
    )

    grad_logits = probs - np.eye(2)[target]
    close("dL/dlogits:", grad_logits)
    close("dL/dW (2x9)", np.outer(grad_logits, hidden.ravel()))
    grad_conv = (weight.T @ grad_logits).reshape(3, 3) * (valid > 0)
    close("dL/dconv (3x3)", grad_conv)
    close("dL/dfilter (3x3)", cross_correlate(image, grad_conv))
    grad_image = np.zeros((5, 5))
    for i in range(3):
        for j in range(3):
            grad_image[i : i + 3, j : j + 3] += grad_conv[i, j] * kernel
    close("dL/dimage (5x5)", grad_image)
    assert f"dL/dconv_bias = the sum of dL/dconv = {grad_conv.sum():.4f}" in out
    checks = re.findall(r"largest difference from finite differences (\S+) \((\w+)\)", out)
    assert len(checks) == 5 and all(float(d) < 1e-6 and v == "agrees" for d, v in checks)


def test_explain_out_writes_the_graph(capsys, tmp_path):
    status, out, _ = run(capsys, "explain", "--out", str(tmp_path))
    assert status == 0
    dot = (tmp_path / "seed_graph.dot").read_text()
    assert "conv2d" in dot and "cross_entropy" in dot


@pytest.mark.parametrize(
    "model, ops",
    [
        ("cnn", ["conv2d", "max_pool2d", "features.0"]),
        ("seed", ["conv2d", "relu", "cross_entropy"]),
    ],
)
def test_graph_writes_dot(capsys, tmp_path, model, ops):
    target = tmp_path / "pictures" / "g.dot"
    status, out, _ = run(capsys, "graph", "--model", model, "--out", str(target))
    assert status == 0 and str(target) in out
    source = target.read_text()
    assert source.startswith("digraph") and all(op in source for op in ops)


def test_graph_rejects_unknown_format(capsys, tmp_path):
    status, _, err = run(capsys, "graph", "--out", str(tmp_path / "g.jpg"))
    assert status == 2 and ".svg, .png or .dot" in err


# --- train -------------------------------------------------------------------------------------
def test_train_on_tiny_mnist_files_writes_everything(capsys, tmp_path):
    write_mnist(tmp_path, n_train=40, n_test=12, gz=True, size=8)
    out_dir = tmp_path / "run"
    status, out, _ = run(
        capsys,
        "train",
        "--data",
        "mnist",
        "--path",
        str(tmp_path),
        "--epochs",
        "2",
        "--batch-size",
        "16",
        "--optimizer",
        "sgd",
        "--lr",
        "0.05",
        "--out",
        str(out_dir),
        "--no-progress",
    )
    assert status == 0, out
    assert "epoch   2" in out and re.search(r"test accuracy \d\.\d{4} after 2 epochs", out)
    history = json.loads((out_dir / "history.json").read_text())
    assert [r["epoch"] for r in history["history"]] == [1, 2]
    assert all(0 <= r["test_acc"] <= 1 and r["train_loss"] > 0 for r in history["history"])
    weights = np.load(out_dir / "weights.npz")
    assert sorted(weights.files) == [
        "classifier.1.bias",
        "classifier.1.weight",
        "features.0.bias",
        "features.0.weight",
        "features.3.bias",
        "features.3.weight",
    ]
    assert weights["classifier.1.weight"].shape == (10, 32 * 2 * 2)
    assert "features.0" in (out_dir / "graph.dot").read_text()
    if _has("matplotlib"):
        assert (out_dir / "curves.png").read_bytes()[:4] == b"\x89PNG"


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def test_train_digits_quick(capsys, tmp_path):
    pytest.importorskip("sklearn")
    status, out, _ = run(
        capsys,
        "train",
        "--epochs",
        "1",
        "--limit",
        "300",
        "--out",
        str(tmp_path),
        "--no-progress",
        "--backend",
        "numpy",
    )
    assert status == 0 and "numpy kernels" in out and (tmp_path / "weights.npz").exists()


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["train", "--data", "mnist"], "--path"),
        (["train", "--epochs", "0"], "--epochs"),
        (["train", "--lr", "-1"], "--lr"),
        (["train", "--data", "mnist", "--path", "/nonexistent-folder"], "nonexistent-folder"),
    ],
)
def test_train_errors_are_messages(capsys, argv, fragment):
    status, _, err = run(capsys, *argv)
    assert status == 2 and fragment in err and "Traceback" not in err


@pytest.mark.slow
def test_train_defaults_reach_the_target(capsys, tmp_path, request):
    if not request.config.getoption("--long", default=False):
        pytest.skip("the full default training run (about 10-30 s) runs with --long")
    pytest.importorskip("sklearn")
    status, out, _ = run(capsys, "train", "--out", str(tmp_path), "--no-progress")
    accuracy = float(re.search(r"test accuracy (\S+) after", out).group(1))
    assert status == 0 and accuracy >= 0.97


# --- bench -------------------------------------------------------------------------------------
def test_bench_without_a_source_tree_says_so(capsys, monkeypatch):
    monkeypatch.setattr(cli, "benchmarks_dir", lambda: None)
    status, _, err = run(capsys, "bench")
    assert status == 2 and "benchmarks/" in err and "pip install -e ." in err


def test_bench_runs_each_script_quick_by_default(capsys, monkeypatch, tmp_path):
    (tmp_path / "harness.py").write_text("")
    (tmp_path / "bench_alpha.py").write_text("import sys; print('alpha args', sys.argv[1:])")
    (tmp_path / "bench_beta.py").write_text("import sys; print('beta args', sys.argv[1:])")
    monkeypatch.setattr(cli, "benchmarks_dir", lambda: tmp_path)
    result = subprocess.run(  # the scripts print from a child process, so capture at the fd level
        [
            sys.executable,
            "-c",
            "import sys; from tinygrad_conv import cli; "
            f"cli.benchmarks_dir = lambda: __import__('pathlib').Path({str(tmp_path)!r}); "
            "sys.exit(cli.main(sys.argv[1:]))",
            "bench",
            "beta",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert "beta args ['--quick']" in result.stdout and "alpha" not in result.stdout
    status, _, err = run(capsys, "bench", "gamma")
    assert status == 2 and "gamma" in err and "alpha" in err
