"""nn layers exported on their own (eval mode): BatchNorm, Dropout, adaptive pools, Linear, and
the state-dict names of their initializers."""

from __future__ import annotations

import numpy as np
import pytest
from test_onnx_support import roundtrip

import tinygrad_conv as tc
import tinygrad_conv.nn.normalization  # noqa: F401 - BatchNorm, if nn does not list it yet
from tinygrad_conv import nn

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

RNG = np.random.default_rng(1)


def rand(*shape, low=-1.0, high=1.0):
    return RNG.uniform(low, high, shape).astype(np.float32)


def layer(name: str):
    for module in (nn, getattr(nn, "normalization", None)):
        if module is not None and hasattr(module, name):
            return getattr(module, name)
    pytest.skip(f"tinygrad_conv.nn has no {name} yet")


def randomise_batchnorm(bn) -> None:
    """Statistics and affine parameters away from their initial 0/1 (as after training)."""
    c = bn.num_features
    for name, low, high in (("running_mean", -1, 1), ("running_var", 0.5, 2)):
        buffer = getattr(bn, name)
        if buffer is not None:
            buffer.data[...] = RNG.uniform(low, high, c)
    if bn.weight is not None:
        bn.weight.data[...] = RNG.uniform(0.5, 2, c)
        bn.bias.data[...] = RNG.uniform(-1, 1, c)


@pytest.mark.parametrize(
    "kind, shape, kwargs",
    [
        ("BatchNorm2d", (3, 4, 5, 5), {}),
        ("BatchNorm2d", (3, 4, 5, 5), {"affine": False}),
        ("BatchNorm2d", (3, 4, 5, 5), {"track_running_stats": False}),
        ("BatchNorm1d", (3, 4), {}),
        ("BatchNorm1d", (3, 4, 7), {"eps": 1e-3}),
    ],
)
def test_batchnorm_eval(kind, shape, kwargs, tmp_path):
    bn = layer(kind)(shape[1], **kwargs)
    randomise_batchnorm(bn)
    bn.train()
    proto = roundtrip(bn, rand(*shape), tmp_path)
    assert bn.training  # the mode is restored
    names = {i.name for i in proto.graph.initializer}
    expected = set(bn.state_dict()) - {"num_batches_tracked"}
    assert expected <= names


def test_batchnorm_functional_training_uses_batch_statistics(tmp_path):
    if not hasattr(tc.functional, "batch_norm"):
        pytest.skip("no batch_norm op yet")
    weight = nn.Parameter(rand(4, low=0.5, high=2))
    bias = nn.Parameter(rand(4))

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight, self.bias = weight, bias

        def forward(self, x):
            return tc.functional.batch_norm(x, None, None, self.weight, self.bias, training=True)

    roundtrip(Model(), rand(3, 4, 5, 5), tmp_path, atol=1e-5)


@pytest.mark.parametrize("p", [0.0, 0.5])
def test_dropout_is_identity(p, tmp_path):
    drop = layer("Dropout")(p)
    model = nn.Sequential(nn.Linear(6, 5), drop, nn.ReLU())
    proto = roundtrip(model, rand(3, 6), tmp_path)
    assert "Dropout" not in {n.op_type for n in proto.graph.node}
    assert model.training


def test_dropout2d_is_identity(tmp_path):
    model = nn.Sequential(nn.Conv2d(2, 3, 3), layer("Dropout2d")(0.3))
    roundtrip(model, rand(3, 2, 6, 6), tmp_path, atol=1e-5)


@pytest.mark.parametrize("kind", ["AdaptiveAvgPool2d", "AdaptiveMaxPool2d"])
@pytest.mark.parametrize(
    "size, out",
    [
        ((6, 6), 1),
        ((6, 6), (1, 1)),
        ((6, 8), (3, 2)),
        ((7, 5), (3, 2)),
        ((5, 7), (5, 3)),
        ((4, 4), 4),
        ((3, 5), (6, 7)),
    ],
)
def test_adaptive_pools(kind, size, out, tmp_path):
    pool = layer(kind)(out)
    proto = roundtrip(pool, rand(3, 2, *size), tmp_path)
    ops = [n.op_type for n in proto.graph.node]
    if out in (1, (1, 1)):
        assert ops == ["GlobalAveragePool" if "Avg" in kind else "GlobalMaxPool"]
    elif size == (6, 8):
        assert ops == ["AveragePool" if "Avg" in kind else "MaxPool"]


@pytest.mark.parametrize("shape", [(3, 6), (3, 2, 6)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear(shape, bias, tmp_path):
    linear = nn.Linear(6, 4, bias=bias)
    proto = roundtrip(linear, rand(*shape), tmp_path)
    names = [i.name for i in proto.graph.initializer]
    assert names == (["weight", "bias"] if bias else ["weight"])
    if len(shape) == 2 and hasattr(tc.functional, "linear"):
        assert [n.op_type for n in proto.graph.node] == ["Gemm"]


def test_shared_parameter_is_one_initializer(tmp_path):
    conv = nn.Conv2d(3, 3, 3, padding=1)
    model = nn.Sequential(conv, nn.ReLU(), conv)
    proto = roundtrip(model, rand(2, 3, 5, 5), tmp_path, atol=1e-5)
    assert sorted(i.name for i in proto.graph.initializer) == ["0.bias", "0.weight"]
