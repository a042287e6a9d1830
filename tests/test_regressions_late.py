"""Regressions found in the last review pass: each failed before its fix."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import tinygrad_conv as tc


@pytest.mark.parametrize("algorithm", ["im2col", "direct"])
def test_conv2d_backward_of_an_empty_batch_gives_zero_grads(algorithm):
    tc.set_conv_algorithm(algorithm)
    try:
        x = tc.Tensor(np.zeros((0, 2, 5, 5), np.float32), requires_grad=True)
        w = tc.Tensor(np.ones((3, 2, 3, 3), np.float32), requires_grad=True)
        b = tc.Tensor(np.ones(3, np.float32), requires_grad=True)
        tc.conv2d(x, w, b).sum().backward()
    finally:
        tc.set_conv_algorithm("auto")
    assert x.grad.shape == (0, 2, 5, 5)
    np.testing.assert_array_equal(w.grad, np.zeros((3, 2, 3, 3), np.float32))
    np.testing.assert_array_equal(b.grad, np.zeros(3, np.float32))


def test_cli_threads_above_the_maximum_is_a_usage_error():
    result = subprocess.run(
        [sys.executable, "-m", "tinygrad_conv", "train", "--threads", "100000"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("tinygrad-conv: error: --threads")


def test_a_float64_input_into_a_float32_model_says_how_to_fix_it():
    model = tc.nn.Conv2d(1, 2, 3)
    with pytest.raises(TypeError) as info:
        model(tc.Tensor(np.zeros((1, 1, 5, 5)), dtype=np.float64))
    assert "x float64, weight float32" in str(info.value)
    assert "x.float()" in str(info.value) and "model.double()" in str(info.value)


def test_a_step_on_w_between_w_times_a_constant_and_its_backward_is_allowed_as_in_pytorch():
    torch = pytest.importorskip("torch")
    w = tc.Tensor(np.ones(3), requires_grad=True)
    y = (w * 2.0).sum() + (w / 4.0).sum()  # saves only the constants, as PyTorch's mul/div
    with tc.no_grad():
        w.add_(1.0)
    y.backward()
    wt = torch.ones(3, dtype=torch.float64, requires_grad=True)
    yt = (wt * 2.0).sum() + (wt / 4.0).sum()
    with torch.no_grad():
        wt.add_(1.0)
    yt.backward()
    np.testing.assert_array_equal(w.grad, wt.grad.numpy())
    x = tc.Tensor(np.ones(3), requires_grad=True)
    z = (x * w).sum()  # here w is needed for x's gradient: the edit must be refused
    with tc.no_grad():
        w.add_(1.0)
    with pytest.raises(RuntimeError, match="inplace"):
        z.backward()


@pytest.mark.parametrize(
    "args",
    [["explain", "--out", "FILE"], ["graph", "--out", "."], ["export", "--weights", "FILE"]],
    ids=["explain_out_is_a_file", "graph_out_is_a_folder", "export_weights_empty_file"],
)
def test_cli_paths_a_careless_user_gives_are_usage_errors(args, tmp_path):
    empty = tmp_path / "afile"
    empty.write_bytes(b"")
    args = [str(empty) if a == "FILE" else a for a in args]
    result = subprocess.run(
        [sys.executable, "-m", "tinygrad_conv", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("tinygrad-conv: error:")


def test_graph_out_naming_a_folder_is_a_usage_error(tmp_path):
    (tmp_path / "d.svg").mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "tinygrad_conv", "graph", "--out", str(tmp_path / "d.svg")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2 and "is a folder" in result.stderr
    assert not (tmp_path / "d.dot").exists()
