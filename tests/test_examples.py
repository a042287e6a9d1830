"""Each example runs in its --smoke mode, in a subprocess, from a scratch folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_data import write_mnist

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str, *args: str, cwd: Path) -> str:
    script = EXAMPLES / name
    if not script.is_file():
        pytest.skip(f"{name} is not in this checkout")
    result = subprocess.run(
        [sys.executable, str(script), "--smoke", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_train_digits(tmp_path):
    pytest.importorskip("sklearn")
    out = run_example("train_digits.py", "--out", "w.npz", cwd=tmp_path)
    accuracy = float(re.search(r"test accuracy (\S+)", out).group(1))
    assert 0.0 <= accuracy <= 1.0 and (tmp_path / "w.npz").exists()


def test_seed_walkthrough(tmp_path):
    out = run_example("seed_walkthrough.py", "--out", "pics", cwd=tmp_path)
    assert "gradcheck against finite differences: passed" in out
    assert "loss: 0.201413" in out  # -log softmax([-0.35, 1.15])[1] = log(1 + e^-1.5)
    assert "conv2d" in (tmp_path / "pics" / "seed_graph.dot").read_text()


def test_custom_function(tmp_path):
    out = run_example("custom_function.py", cwd=tmp_path)
    assert "op: leaky_relu" in out and "gradcheck leaky_relu: True" in out
    assert "bad input is caught by check(): leaky_relu: negative_slope" in out


def test_mnist_on_tiny_idx_files(tmp_path):
    write_mnist(tmp_path, n_train=20, n_test=10, gz=False, size=28)
    out = run_example("mnist.py", "--path", str(tmp_path), cwd=tmp_path)
    assert "20 training and 10 test images of (28, 28) pixels" in out
    assert re.search(r"final test accuracy \d\.\d{4}", out)
