"""Whole models exported and run in onnxruntime: the CLI's digits CNN (briefly trained), a
VGG-style net with BatchNorm/Dropout/AdaptiveAvgPool2d, and a net with 'same' even-kernel convs,
groups, dilation and cat; several inputs and outputs; modes restored; the CLI's export."""

from __future__ import annotations

import numpy as np
import pytest
from test_onnx_support import engine, roundtrip

import tinygrad_conv as tc
from tinygrad_conv import nn
from tinygrad_conv.training import SmallCNN

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

RNG = np.random.default_rng(2)


def images(n, c=1, size=8):
    return RNG.random((n, c, size, size), dtype=np.float32)


def trained_cnn() -> SmallCNN:
    """The CLI's model after a few Adam steps on random labels (weights away from their init)."""
    tc.manual_seed(0)
    model = SmallCNN()
    optimizer = tc.optim.Adam(model.parameters(), lr=1e-2)
    x, y = images(32), RNG.integers(0, 10, 32)
    for _ in range(5):
        optimizer.zero_grad()
        loss = nn.CrossEntropyLoss()(model(tc.Tensor(x)), y)
        loss.backward()
        optimizer.step()
    return model


def vgg_style(n_classes: int = 10) -> nn.Module:
    def block(c_in, c_out):
        return [
            nn.Conv2d(c_in, c_out, 3, padding=1),
            nn.BatchNorm2d(c_out),
            nn.ReLU(),
            nn.Conv2d(c_out, c_out, 3, padding=1),
            nn.BatchNorm2d(c_out),
            nn.ReLU(),
            nn.MaxPool2d(2),
        ]

    return nn.Sequential(
        *block(1, 8),
        *block(8, 16),
        nn.AdaptiveAvgPool2d((1, 1)),
        nn.Flatten(),
        nn.Linear(16, 32),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(32, n_classes),
    )


class Branches(nn.Module):
    """'same' convs with even kernels (asymmetric padding), a grouped and a dilated conv, cat."""

    def __init__(self):
        super().__init__()
        self.even = nn.Conv2d(4, 6, (2, 4), padding="same")
        self.grouped = nn.Conv2d(4, 6, 3, padding=1, groups=2)
        self.dilated = nn.Conv2d(4, 4, 3, padding=2, dilation=2)
        self.same_dilated = nn.Conv2d(4, 2, 4, padding="same", dilation=2, bias=False)
        self.mix = nn.Conv2d(18, 8, 1)
        self.pool = nn.AdaptiveAvgPool2d((3, 2))
        self.head = nn.Linear(8 * 3 * 2, 5)

    def forward(self, x):
        parts = [self.even(x), self.grouped(x), self.dilated(x), self.same_dilated(x)]
        y = tc.functional.relu(self.mix(tc.functional.cat(parts, 1)))
        return self.head(self.pool(y).flatten(1))


def randomise_batchnorms(model) -> None:
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            c = module.num_features
            module.running_mean.data[...] = RNG.uniform(-0.5, 0.5, c)
            module.running_var.data[...] = RNG.uniform(0.5, 2, c)
            module.weight.data[...] = RNG.uniform(0.5, 1.5, c)
            module.bias.data[...] = RNG.uniform(-0.5, 0.5, c)


def test_digits_cnn(tmp_path):
    model = trained_cnn()
    proto = roundtrip(model, images(4), tmp_path, other_batch=9, atol=1e-5)
    ops = [n.op_type for n in proto.graph.node]
    assert ops == ["Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm"]
    assert [i.name for i in proto.graph.initializer] == list(model.state_dict())
    for init in proto.graph.initializer:
        np.testing.assert_array_equal(
            onnx.numpy_helper.to_array(init), model.state_dict()[init.name]
        )
    assert model.training  # restored


def test_digits_cnn_batch_one_and_large(tmp_path):
    model = trained_cnn()
    roundtrip(model, images(2), tmp_path, other_batch=1, atol=1e-5)
    roundtrip(model, images(2), tmp_path, other_batch=256, atol=1e-5)


@pytest.mark.parametrize("opset", [13, 17, 20])
def test_vgg_style(opset, tmp_path):
    tc.manual_seed(1)
    model = vgg_style()
    randomise_batchnorms(model)
    proto = roundtrip(model, images(3, size=16), tmp_path, other_batch=6, opset=opset, atol=1e-5)
    ops = {n.op_type for n in proto.graph.node}
    assert {"BatchNormalization", "GlobalAveragePool", "Gemm"} <= ops
    assert "Dropout" not in ops
    keys = set(model.state_dict()) - {k for k in model.state_dict() if "num_batches" in k}
    assert {i.name for i in proto.graph.initializer} == keys
    assert model.training


def vgg_example():
    """examples/vgg_digits.py's network (BatchNorm2d/1d, Dropout, AdaptiveAvgPool2d((2, 2)))."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "examples" / "vgg_digits.py"
    if not path.is_file():
        pytest.skip("examples/vgg_digits.py is not there")
    spec = importlib.util.spec_from_file_location("vgg_digits_for_onnx", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build(nn)


def test_vgg_example_after_training_steps(tmp_path):
    tc.manual_seed(3)
    model = vgg_example()
    optimizer = tc.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    x, y = images(16), RNG.integers(0, 10, 16)
    for _ in range(3):  # moves the weights and the running statistics off their start
        optimizer.zero_grad()
        nn.CrossEntropyLoss()(model(tc.Tensor(x)), y).backward()
        optimizer.step()
    proto = roundtrip(model, images(4), tmp_path, other_batch=7, atol=1e-5)
    ops = [n.op_type for n in proto.graph.node]
    assert ops.count("BatchNormalization") == 5 and "AveragePool" in ops
    used = {i.name for i in proto.graph.initializer}
    assert used == {k for k in model.state_dict() if not k.endswith("num_batches_tracked")}


def test_branches_same_even_groups_dilation_cat(tmp_path):
    tc.manual_seed(2)
    model = Branches()
    proto = roundtrip(model, images(3, c=4, size=7), tmp_path, other_batch=5, atol=1e-5)
    pads = {
        n.name: [a.ints for a in n.attribute if a.name == "pads"][0]
        for n in proto.graph.node
        if n.op_type == "Conv"
    }
    assert list(pads["even/Conv"]) == [0, 1, 1, 2]  # top, left, bottom, right
    assert list(pads["same_dilated/Conv"]) == [3, 3, 3, 3]
    assert "Concat" in {n.op_type for n in proto.graph.node}


def test_static_batch(tmp_path):
    model = trained_cnn()
    proto = roundtrip(model, images(4), tmp_path, dynamic=False, atol=1e-5)
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 4


class TwoInTwoOut(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(6, 3)
        self.b = nn.Linear(4, 3)

    def forward(self, x, y):
        h = tc.functional.tanh(self.a(x) + self.b(y))
        return h, tc.functional.softmax(h, 1)


def test_several_inputs_and_outputs(tmp_path):
    model = TwoInTwoOut()
    x, y = RNG.random((2, 6), dtype=np.float32), RNG.random((2, 4), dtype=np.float32)
    path = tmp_path / "m.onnx"
    tc.onnx.export(model, (x, y), path, input_names=("x", "y"), output_names=("h", "p"))
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for n in (2, 7):
        xs, ys = RNG.random((n, 6), dtype=np.float32), RNG.random((n, 4), dtype=np.float32)
        got = session.run(["h", "p"], {"x": xs, "y": ys})
        with tc.no_grad():
            want = model(tc.Tensor(xs), tc.Tensor(ys))
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g, w.data, rtol=1e-5, atol=1e-6)


def test_modes_restored_and_no_grad_caller(tmp_path):
    model = vgg_style()
    model.eval()
    model[2].train()  # a mixed state comes back as it was
    with tc.no_grad():
        tc.onnx.export(model, images(2, size=16), tmp_path / "m.onnx")
    assert [m.training for m in model.modules()] == [m is model[2] for m in model.modules()]
    for p in model.parameters():
        assert p.grad is None


def test_output_is_the_input_or_a_constant(tmp_path):
    class Passthrough(nn.Module):
        def forward(self, x):
            return x, tc.Tensor(np.arange(3, dtype=np.float32))

    path = tmp_path / "m.onnx"
    tc.onnx.export(Passthrough(), images(2), path, output_names=("same", "const"))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = images(3)
    same, const = session.run(None, {"input": x})
    np.testing.assert_array_equal(same, x)
    np.testing.assert_array_equal(const, [0, 1, 2])


def test_cli_export(tmp_path, capsys):
    from tinygrad_conv import cli

    model = trained_cnn()
    weights = tmp_path / "weights.npz"
    model.save(weights)
    out = tmp_path / "digits.onnx"
    assert cli.main(["export", "--weights", str(weights), "--out", str(out)]) == 0
    assert "digits.onnx" in capsys.readouterr().out
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    x = images(5)
    (got,) = session.run(None, {"input": x})
    np.testing.assert_allclose(got, engine(model, x)[0], rtol=1e-5, atol=1e-5)


def test_cli_export_missing_weights(tmp_path, capsys):
    from tinygrad_conv import cli

    code = cli.main(
        ["export", "--weights", str(tmp_path / "none.npz"), "--out", str(tmp_path / "m.onnx")]
    )
    assert code == 2
    assert "none.npz" in capsys.readouterr().err
