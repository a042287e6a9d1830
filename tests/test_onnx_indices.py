"""Indices computed in the graph (argmax, argmin, max/min's indices, one_hot of them) are recorded
and exported as ArgMax/ArgMin/OneHot nodes, so the file computes them from each input instead of
freezing the example's (a review found that frozen, silently wrong)."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import tinygrad_conv as tc  # noqa: E402
import tinygrad_conv.nn.functional as F  # noqa: E402
import tinygrad_conv.onnx  # noqa: E402,F401
from tinygrad_conv import nn  # noqa: E402

FORWARDS = {
    "argmax": lambda h: h.argmax(1),
    "argmin_keepdim": lambda h: tc.argmin(h, dim=1, keepdim=True),
    "argmax_all": lambda h: h.argmax(),
    "max_indices": lambda h: h.max(1).indices.float() + h.max(1).values,
    "min_indices": lambda h: h.min(dim=0).indices,
    "one_hot_of_argmax": lambda h: h * F.one_hot(h.argmax(1), 5).float(),
}


class Head(nn.Module):
    def __init__(self, forward):
        super().__init__()
        self.linear, self.after = nn.Linear(4, 5), forward

    def forward(self, x):
        return self.after(self.linear(x))


@pytest.mark.parametrize("name", sorted(FORWARDS))
def test_indices_follow_every_input(name, tmp_path):
    tc.manual_seed(1)
    model = Head(FORWARDS[name])
    dynamic = name not in ("argmax_all", "min_indices")  # these reduce over the batch axis
    path = tmp_path / "m.onnx"
    tc.onnx.export(model, tc.randn(1, 4), path, dynamic_batch=dynamic)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    session = ort.InferenceSession(str(path))
    rng = np.random.default_rng(3)
    for batch in (1, 6) if dynamic else (1,):
        for _ in range(3):  # new inputs, so a frozen example's indices would show
            x = rng.standard_normal((batch, 4)).astype(np.float32)
            with tc.no_grad():
                want = model(tc.Tensor(x)).data
            (got,) = session.run(None, {"input": x})
            assert got.dtype == want.dtype and got.shape == want.shape
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_argmax_records_a_node_only_inside_a_graph():
    x = tc.randn(3, 4, requires_grad=True)
    index = x.argmax(1)
    assert index.op == "argmax" and index.parents[0] is x and not index.requires_grad
    assert tc.tensor([1, 5, 2]).argmax().op is None  # plain data: nothing recorded
    with tc.no_grad():
        assert x.argmax(1).op is None
