"""The shared check of the ONNX tests (export, full check, onnxruntime at two batch sizes), and
the tests of the package itself: importable without onnx, a clear ImportError, argument errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import tinygrad_conv as tc
import tinygrad_conv.onnx  # noqa: F401 - tc.onnx
from tinygrad_conv import nn

RTOL, ATOL = 1e-5, 1e-6


class Fn(nn.Module):
    """A model around a function of the input (and of the parameters given by name)."""

    def __init__(self, fn, **params):
        super().__init__()
        self.fn = fn
        for name, value in params.items():
            setattr(self, name, nn.Parameter(np.asarray(value, dtype=np.float32)))

    def forward(self, x):
        return self.fn(self, x)


def engine(model, x: np.ndarray) -> list[np.ndarray]:
    """The model's outputs in eval mode (its train/eval mode restored)."""
    training = model.training
    model.eval()
    try:
        with tc.no_grad():
            out = model(tc.Tensor(x))
    finally:
        model.train(training)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o.data for o in outs]


def roundtrip(
    model,
    example: np.ndarray,
    tmp_path,
    other_batch: int | None = 5,
    opset: int = 17,
    rtol: float = RTOL,
    atol: float = ATOL,
    dynamic: bool = True,
    data=None,
    output_names=("output",),
):
    """Export, check the file in full, and compare onnxruntime with this engine on the example
    and on a fresh batch of another size (`data(shape)` makes it; by default uniform over the
    example's range)."""
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    path = tmp_path / "model.onnx"
    tc.onnx.export(
        model, example, path, opset_version=opset, dynamic_batch=dynamic, output_names=output_names
    )
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(len(example))
    low, high = float(example.min()), float(example.max())  # the example's range (log: > 0)
    data = data or (lambda shape: rng.uniform(low, high, shape).astype(example.dtype))
    cases = [example]
    if other_batch is not None and dynamic:
        cases.append(data((other_batch, *example.shape[1:])))
    for x in cases:
        got = session.run(None, {"input": x})
        want = engine(model, x)
        assert len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            assert g.shape == w.shape, (g.shape, w.shape)
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)
    return proto


def op_available(name: str) -> bool:
    return hasattr(tc.functional, name)


def needs(*names: str):
    missing = [n for n in names if not op_available(n)]
    return pytest.mark.skipif(bool(missing), reason=f"op(s) {missing} not in tinygrad_conv yet")


# --- the package itself ------------------------------------------------------------------------
def test_imports_without_onnx_and_names_the_extra():
    code = (
        "import sys; sys.modules['onnx'] = None\n"
        "import tinygrad_conv.onnx as tx\n"
        "try:\n"
        "    tx.export(None, None, None)\n"
        "except ImportError as err:\n"
        "    print(err)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert 'pip install "tinygrad_conv[onnx]"' in out.stdout


def test_argument_errors(tmp_path):
    pytest.importorskip("onnx")
    model = Fn(lambda m, x: x * 2)
    x = np.ones((2, 3), np.float32)
    with pytest.raises(ValueError, match="opset_version"):
        tc.onnx.export(model, x, tmp_path / "m.onnx", opset_version=7)
    with pytest.raises(TypeError, match="opset_version"):
        tc.onnx.export(model, x, tmp_path / "m.onnx", opset_version="17")
    with pytest.raises(ValueError, match="input_names"):
        tc.onnx.export(model, x, tmp_path / "m.onnx", input_names=("a", "b"))
    with pytest.raises(ValueError, match="output"):
        tc.onnx.export(model, x, tmp_path / "m.onnx", output_names=("a", "b"))
    with pytest.raises(TypeError, match="example input"):
        tc.onnx.export(model, object(), tmp_path / "m.onnx")
    with pytest.raises(TypeError, match="not a Tensor"):
        tc.onnx.export(Fn(lambda m, x: 3), x, tmp_path / "m.onnx")


def test_unmapped_op_is_named(tmp_path):
    pytest.importorskip("onnx")
    target = np.array([1, 0])
    model = Fn(lambda m, x: tc.cross_entropy(x, target))
    with pytest.raises(NotImplementedError, match="cross_entropy"):
        tc.onnx.export(model, np.ones((2, 3), np.float32), tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_supported_ops_lists_the_mappings():
    pytest.importorskip("onnx")
    ops = tc.onnx.supported_ops()
    for op in ("conv2d", "max_pool2d", "linear", "batch_norm", "reshape", "add", "getitem"):
        assert op in ops
    assert "cross_entropy" not in ops
