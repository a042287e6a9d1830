"""PyTorch as the oracle: the one tolerance table and the forward-plus-gradients comparison that the
vs-torch tests share. Import it only after `pytest.importorskip("torch")`."""

from __future__ import annotations

import numpy as np
import torch
from strategies import draw_values

from tinygrad_conv import Tensor

DTYPES = [np.float32, np.float64]
TOLERANCE = {np.float32: {"rtol": 1e-5, "atol": 1e-6}, np.float64: {"rtol": 1e-12, "atol": 1e-12}}


def check_vs_torch(tc_fn, torch_fn, shapes, dtype, kind="normal", seed=0):
    """Run both on the same random inputs; compare outputs and every input's gradient."""
    rng = np.random.default_rng(seed)
    arrays = [draw_values(rng, s, kind, dtype) for s in shapes]
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = tc_fn(*ours)
    expected = torch_fn(*theirs)
    assert out.dtype == dtype, f"output dtype {out.dtype}, inputs {np.dtype(dtype)}"
    assert out.shape == tuple(expected.shape)
    tol = TOLERANCE[dtype]
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **tol, err_msg="forward")
    upstream = rng.standard_normal(out.shape).astype(dtype)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    for i, (mine, ref) in enumerate(zip(ours, theirs, strict=True)):
        assert mine.grad is not None and mine.grad.dtype == dtype
        np.testing.assert_allclose(mine.grad, ref.grad.numpy(), **tol, err_msg=f"grad of input {i}")
