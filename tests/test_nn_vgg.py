"""A VGG-style network (examples/vgg_digits.py: conv-BatchNorm-ReLU blocks, adaptive pooling,
Dropout, BatchNorm1d) given PyTorch's weights gives PyTorch's train-mode outputs, loss and
gradients, the same weights and running statistics after several SGD steps, and PyTorch's eval
outputs; the example itself runs in --smoke mode."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_conv as tc
from tinygrad_conv import nn, optim

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "vgg_digits.py"
TOL = {np.float32: {"rtol": 1e-4, "atol": 2e-5}, np.float64: {"rtol": 1e-10, "atol": 1e-11}}


def _example():
    spec = importlib.util.spec_from_file_location("vgg_digits", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_vgg_matches_torch_in_train_and_eval_mode(backend, dtype):
    torch = pytest.importorskip("torch")
    vgg = _example()
    torch_dtype = torch.float32 if dtype == np.float32 else torch.float64
    torch.manual_seed(0)
    ref = vgg.build(torch.nn, p=0.0).to(torch_dtype)  # dropout off: the masks are random
    ours = vgg.build(nn, p=0.0).to(dtype)
    ours.load_state_dict(ref.state_dict())
    rng = np.random.default_rng(0)
    tol = TOL[dtype]
    opt = optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    ref_opt = torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    for step in range(3):
        x = rng.uniform(0, 1, (8, 1, 8, 8)).astype(dtype)
        y = rng.integers(0, 10, 8)
        mine = tc.Tensor(x, requires_grad=True)
        theirs = torch.tensor(x, requires_grad=True)
        out, expected = ours(mine), ref(theirs)
        np.testing.assert_allclose(
            out.data, expected.detach().numpy(), **tol, err_msg=f"train-mode output, step {step}"
        )
        loss = nn.CrossEntropyLoss(label_smoothing=0.1)(out, y)
        ref_loss = torch.nn.CrossEntropyLoss(label_smoothing=0.1)(expected, torch.from_numpy(y))
        assert loss.item() == pytest.approx(ref_loss.item(), rel=tol["rtol"])
        opt.zero_grad()
        ref_opt.zero_grad()
        loss.backward()
        ref_loss.backward()
        np.testing.assert_allclose(mine.grad, theirs.grad.numpy(), **tol, err_msg="grad of x")
        grads = {k: v.grad for k, v in ref.named_parameters()}
        for name, param in ours.named_parameters():
            np.testing.assert_allclose(param.grad, grads[name].numpy(), **tol, err_msg=name)
        opt.step()
        ref_opt.step()
    theirs_state = ref.state_dict()
    for key, value in ours.state_dict().items():  # weights, running stats, batch counts
        np.testing.assert_allclose(value, theirs_state[key].numpy(), **tol, err_msg=key)
    assert int(ours.state_dict()["features.0.bn1.num_batches_tracked"]) == 3
    ours.eval()
    ref.eval()
    x = rng.uniform(0, 1, (5, 1, 8, 8)).astype(dtype)
    with tc.no_grad(), torch.no_grad():
        np.testing.assert_allclose(
            ours(tc.Tensor(x)).data,
            ref(torch.from_numpy(x)).numpy(),
            **tol,
            err_msg="eval-mode output",
        )


def test_vgg_dropout_is_on_in_train_mode_and_off_in_eval():
    vgg = _example()
    tc.manual_seed(0)
    model = vgg.build(nn, p=0.5)
    x = tc.Tensor(np.random.default_rng(1).uniform(0, 1, (4, 1, 8, 8)).astype(np.float32))
    model.eval()
    with tc.no_grad():
        first, second = model(x).data, model(x).data
    np.testing.assert_array_equal(first, second)
    model.train()
    assert not np.array_equal(model(x).data, model(x).data)


def test_vgg_example_smoke(tmp_path):
    pytest.importorskip("sklearn")
    result = subprocess.run(
        [sys.executable, str(EXAMPLE), "--smoke", "--out", "w.npz"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    accuracy = float(re.search(r"final test accuracy (\S+)", result.stdout).group(1))
    assert 0.0 <= accuracy <= 1.0 and (tmp_path / "w.npz").exists()
    model = _example().build(nn)
    model.load(tmp_path / "w.npz")  # the saved file loads back, buffers included
    assert int(model.features[0].bn1.num_batches_tracked.data) == 8  # 256 images / 32
