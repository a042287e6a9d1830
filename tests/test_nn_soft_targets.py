"""cross_entropy against class probabilities (PyTorch's soft-target form): outputs and the
gradients of logits and targets against PyTorch, gradcheck, and the class-index form kept for
integer targets."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_conv as tc
import tinygrad_conv.nn.functional as F
from tinygrad_conv import Tensor, nn

torch = pytest.importorskip("torch")
import torch.nn.functional as TF  # noqa: E402
from oracle import DTYPES, check_vs_torch  # noqa: E402

WEIGHT = np.array([0.5, 2.0, 1.0, 3.0])


def ours(reduction, eps, weighted):
    weight = WEIGHT if weighted else None
    return lambda x, t: tc.cross_entropy(x, t.softmax(1), reduction, eps, weight=weight)


def theirs(reduction, eps, weighted):
    def run(x, t):
        weight = torch.tensor(WEIGHT, dtype=x.dtype) if weighted else None
        return TF.cross_entropy(x, t.softmax(1), weight, reduction=reduction, label_smoothing=eps)

    return run


CASES = [(r, eps, w) for r in ("mean", "sum", "none") for eps in (0.0, 0.2) for w in (False, True)]


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize(("reduction", "eps", "weighted"), CASES)
def test_probability_targets_match_torch(dtype, reduction, eps, weighted):
    check_vs_torch(
        ours(reduction, eps, weighted), theirs(reduction, eps, weighted), [(5, 4), (5, 4)], dtype
    )


@pytest.mark.parametrize(("reduction", "eps", "weighted"), CASES[:4])
def test_probability_targets_gradcheck(rng, reduction, eps, weighted):
    x = Tensor(rng.standard_normal((3, 4)), requires_grad=True, dtype=np.float64)
    t = Tensor(rng.standard_normal((3, 4)), requires_grad=True, dtype=np.float64)
    assert tc.gradcheck(ours(reduction, eps, weighted), x, t) is True


def test_module_and_functional_forms_and_dtypes():
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    probs = np.full((3, 4), 0.25)  # float64 constants take x's dtype
    loss = nn.CrossEntropyLoss(label_smoothing=0.1)(Tensor(x), probs)
    ref = torch.nn.CrossEntropyLoss(label_smoothing=0.1)(
        torch.from_numpy(x), torch.from_numpy(probs).float()
    )
    assert loss.dtype == np.float32 and loss.item() == pytest.approx(ref.item(), rel=1e-6)
    with pytest.raises(ValueError, match="ignore_index"):  # torch refuses it too
        F.cross_entropy(Tensor(x), probs, ignore_index=1)
    with pytest.raises(RuntimeError, match="ignore_index"):
        TF.cross_entropy(torch.from_numpy(x), torch.from_numpy(probs).float(), ignore_index=1)
    with pytest.raises(TypeError, match="dtype"):
        tc.cross_entropy(Tensor(x), Tensor(probs, requires_grad=True))
    with pytest.raises(ValueError, match="target"):  # integer (N, C) is no probability
        tc.cross_entropy(Tensor(x), np.zeros((3, 4), np.int64))
