"""cross_entropy: the Cython kernel vs its NumPy twin, the op on both backends, gradcheck, PyTorch
as the oracle (reductions x label smoothing, 1e4 classes, logits near 1e4), a hand-worked case and
the bad-input table."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from case_claims import covers
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_conv as tc
from tinygrad_conv import Tensor
from tinygrad_conv.ops.loss import CrossEntropy, cross_entropy
from tinygrad_conv.reference import cross_entropy as twin

pytestmark = pytest.mark.kernels  # make test-debug and CI run these on the checked build

cy = pytest.importorskip("tinygrad_conv._kernels.cross_entropy", reason="kernels not built")

TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-13)}


def run(kernels, x, target, grad_loss, eps, threads=1):
    n = x.shape[0]
    loss, softmax = np.full(n, np.nan), np.full_like(x, np.nan)
    kernels.cross_entropy_forward(x, target, loss, softmax, eps, threads)
    grad_x = np.full_like(x, np.nan)
    kernels.cross_entropy_backward(softmax, target, grad_loss, grad_x, eps, threads)
    return loss, softmax, grad_x


@settings(deadline=None, max_examples=40)
@given(
    st.integers(1, 6),
    st.integers(1, 70),
    st.sampled_from([np.float32, np.float64]),
    st.sampled_from([1.0, 30.0, 1e4]),
    st.sampled_from([0.0, 0.1, 1.0]),
    st.integers(0, 2**32 - 1),
)
def test_kernel_matches_twin(n, c, dtype, scale, eps, seed):
    # c up to 70 covers the kernel's 16-wide blocks and the leftover tail
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((n, c)) * scale).astype(dtype)
    target = rng.integers(0, c, n).astype(np.intp)
    grad_loss = rng.standard_normal(n)
    loss, softmax, grad_x = run(cy, x, target, grad_loss, eps)
    loss_t, softmax_t, grad_x_t = run(twin, x, target, grad_loss, eps)
    tol = TOL[dtype]
    big = max(1.0, float(np.abs(x).max()))  # losses are differences of numbers this large
    np.testing.assert_allclose(loss, loss_t, rtol=tol["rtol"], atol=tol["atol"] * big)
    np.testing.assert_allclose(softmax, softmax_t, **tol)
    np.testing.assert_allclose(grad_x, grad_x_t, **tol)
    for got, expected in zip(
        run(cy, x, target, grad_loss, eps, threads=2), (loss, softmax, grad_x), strict=True
    ):
        np.testing.assert_array_equal(got, expected)  # one thread per row: bit-identical


def test_float32_exp_is_accurate_and_handles_extremes():
    """The kernel's own float32 exp (vectorisable) against float64 NumPy, through the softmax."""
    x = np.concatenate([np.linspace(-87, 0, 4000), [-88.0, -100.0, -1e30, -np.inf]])
    x = x.astype(np.float32)[None, :]
    loss, softmax = np.empty(1), np.empty_like(x)
    cy.cross_entropy_forward(x, np.zeros(1, dtype=np.intp), loss, softmax, 0.0, 1)
    exact = np.exp(x[0].astype(np.float64))  # the max is 0: softmax = exp(x) / sum(exp(x))
    exact /= exact.sum()
    np.testing.assert_allclose(softmax[0, :4000], exact[:4000], rtol=5e-7, atol=1e-38)
    assert np.all(softmax[0, 4000:] <= 1.2e-38) and softmax[0, -1] == 0.0  # tiny and -inf: ~0
    assert loss[0] == pytest.approx(-np.log(exact[0]), rel=1e-6)  # target 0: x = -87


def test_targets_in_every_form_agree(backend):
    rng = np.random.default_rng(4)
    x = Tensor(rng.standard_normal((5, 4)), dtype=np.float64)
    target = [3, 0, 1, 1, 2]
    expected = cross_entropy(x, target).item()
    forms = [
        np.array(target),
        np.array(target, np.int32),
        np.array(target, np.uint8),
        np.array(target, np.float64),
        Tensor(target),
        Tensor(target, dtype=np.float64),
        tuple(target),
    ]
    for form in forms:
        assert cross_entropy(x, form).item() == expected, form


def test_readonly_and_noncontiguous_inputs(backend):
    rng = np.random.default_rng(5)
    base = rng.standard_normal((7, 12))
    logits = base.T[:, ::2]  # non-contiguous (12, 4)
    logits.flags.writeable = False
    target = rng.integers(0, 4, 12)
    target.flags.writeable = False
    saved = logits.copy(), target.copy()
    expected = cross_entropy(np.ascontiguousarray(logits), target.copy(), reduction="none")
    got = cross_entropy(logits, target, reduction="none")
    np.testing.assert_array_equal(got.data, expected.data)
    np.testing.assert_array_equal(logits, saved[0])
    np.testing.assert_array_equal(target, saved[1])
    x = Tensor(base, requires_grad=True, dtype=np.float64)  # a view made by an op, with a grad
    cross_entropy(x.transpose(), rng.integers(0, 7, 12), label_smoothing=0.1).backward()
    assert x.grad.shape == base.shape and np.isfinite(x.grad).all()


def test_graph_node_params_and_dtypes(backend):
    for dtype in (np.float32, np.float64):
        x = Tensor(np.zeros((3, 4)), requires_grad=True, dtype=dtype)
        y = cross_entropy(x, [0, 1, 2], reduction="sum", label_smoothing=0)
        assert y.op == "cross_entropy" and y.parents[0] is x and y.dtype == dtype and y.shape == ()
        assert y._ctx.fn is CrossEntropy
        assert y._ctx.params == {
            "reduction": "sum",
            "label_smoothing": 0.0,
            "weight": None,
            "ignore_index": -100,
        }
        assert not y.parents[1].requires_grad  # the targets: a constant input, no gradient
        y.backward()
        assert x.grad.dtype == dtype
        assert cross_entropy(x, [0, 1, 2], reduction="none").shape == (3,)


def test_kernel_and_twin_share_signatures():
    import inspect

    for name in ("cross_entropy_forward", "cross_entropy_backward"):
        ours, theirs = inspect.signature(getattr(cy, name)), inspect.signature(getattr(twin, name))
        assert list(ours.parameters) == list(theirs.parameters), name


def test_empty_batch_like_torch(backend):
    x = Tensor(np.zeros((0, 3)), requires_grad=True)
    assert np.isnan(cross_entropy(x, []).item())  # PyTorch: the mean of no losses is NaN
    assert cross_entropy(x, [], reduction="sum").item() == 0
    assert cross_entropy(x, [], reduction="none").shape == (0,)


@covers("gradcheck", "cross_entropy")
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.25, 1.0])
def test_gradcheck(backend, reduction, label_smoothing):
    rng = np.random.default_rng(7)
    target = rng.integers(0, 19, 6)
    for scale in (1.0, 20.0):
        x = Tensor(rng.standard_normal((6, 19)) * scale, requires_grad=True, dtype=np.float64)
        assert tc.gradcheck(lambda a: cross_entropy(a, target, reduction, label_smoothing) * 1.5, x)


def test_hand_worked(backend):
    # logits (1, 2, 3), class 2: lse = log(e + e^2 + e^3) = 3 + log(1 + e^-1 + e^-2) = 3.4076...
    x = Tensor([[1.0, 2.0, 3.0]], requires_grad=True, dtype=np.float64)
    lse = 3 + math.log(1 + math.exp(-1) + math.exp(-2))
    loss = cross_entropy(x, [2])
    assert loss.item() == pytest.approx(lse - 3, rel=1e-12)  # 0.40760596...
    loss.backward()  # softmax - onehot: (0.0900, 0.2447, 0.6652 - 1)
    softmax = [math.exp(v - lse) for v in (1, 2, 3)]
    np.testing.assert_allclose(x.grad[0], [softmax[0], softmax[1], softmax[2] - 1], rtol=1e-12)
    # smoothing 0.3: 0.7 * (lse - 3) + 0.3 * (lse - mean(1, 2, 3)) = 0.7 * 0.4076 + 0.3 * 1.4076
    x.zero_grad()
    smooth = cross_entropy(x, [2], label_smoothing=0.3)
    assert smooth.item() == pytest.approx(0.7 * (lse - 3) + 0.3 * (lse - 2), rel=1e-12)
    smooth.backward()  # softmax - 0.7 * onehot - 0.3 / 3
    expected = [softmax[0] - 0.1, softmax[1] - 0.1, softmax[2] - 0.7 - 0.1]
    np.testing.assert_allclose(x.grad[0], expected, rtol=1e-12)


def test_two_equal_logits_is_log2(backend):
    x = Tensor([[0.0, 0.0], [5.0, 5.0]], requires_grad=True, dtype=np.float64)
    loss = cross_entropy(x, [0, 1], reduction="none")
    np.testing.assert_allclose(loss.data, [math.log(2), math.log(2)], rtol=1e-15)
    loss.backward(np.ones(2))
    np.testing.assert_allclose(x.grad, [[-0.5, 0.5], [0.5, -0.5]], rtol=1e-15)


@covers("torch", "cross_entropy")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "shape, scale",
    [((3, 5), 1.0), ((64, 10), 3.0), ((4, 10_000), 2.0), ((8, 37), 1e4), ((2, 10_000), 1e4)],
)
def test_matches_torch(backend, shape, scale, dtype):
    torch = pytest.importorskip("torch")
    rtol, atol = (1e-4, 1e-6) if dtype == np.float32 else (1e-10, 1e-14)
    rng = np.random.default_rng(8)
    logits = (rng.standard_normal(shape) * scale).astype(dtype)
    target = rng.integers(0, shape[1], shape[0])
    for reduction in ("mean", "sum", "none"):
        for eps in (0.0, 0.1, 1.0):
            x = Tensor(logits, requires_grad=True)
            y = cross_entropy(x, target, reduction=reduction, label_smoothing=eps)
            grad_out = rng.standard_normal(y.shape).astype(dtype)
            y.backward(grad_out)
            tx = torch.tensor(logits, requires_grad=True)
            ty = torch.nn.functional.cross_entropy(
                tx, torch.tensor(target), reduction=reduction, label_smoothing=eps
            )
            ty.backward(torch.tensor(grad_out))
            case = f"{reduction} label_smoothing={eps}"
            assert np.isfinite(y.data).all() and np.isfinite(x.grad).all(), case
            big = float(np.abs(logits).max())
            np.testing.assert_allclose(
                y.data, ty.detach().numpy(), rtol=rtol, atol=atol * big, err_msg=case
            )
            np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=rtol, atol=atol, err_msg=case)


def test_infinite_logits_like_torch(backend):
    torch = pytest.importorskip("torch")
    inf = np.inf
    logits = np.array([[0.0, -inf, 1.0], [-inf, 2.0, 0.5], [inf, 0.0, 0.0], [-inf, -inf, -inf]])
    target = np.array([0, 0, 1, 2])
    for eps in (0.0, 0.2):
        x = Tensor(logits, requires_grad=True)
        y = cross_entropy(x, target, reduction="none", label_smoothing=eps)
        y.backward(np.ones(4))
        tx = torch.tensor(logits, requires_grad=True)
        ty = torch.nn.functional.cross_entropy(
            tx, torch.tensor(target), reduction="none", label_smoothing=eps
        )
        ty.backward(torch.ones(4))
        np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-12)  # NaN/inf where torch
        np.testing.assert_allclose(x.grad[:2], tx.grad.numpy()[:2], rtol=1e-12)  # finite rows


BAD = [  # (logits shape, target, kwargs, exception, message fragments)
    ((4,), [0, 1, 2, 3], {}, ValueError, ["x", "2-D", "(4,)"]),
    ((2, 3, 4), [0, 1], {}, ValueError, ["x", "2-D", "(2, 3, 4)"]),
    ((2, 0), [0, 0], {}, ValueError, ["x", "C >= 1", "(2, 0)"]),
    ((3, 4), [[0], [1], [2]], {}, ValueError, ["target", "1-D", "(3, 1)"]),
    ((3, 4), [0, 1], {}, ValueError, ["target", "N = 3", "(2,)"]),
    ((3, 4), [0, 1.5, 2], {}, ValueError, ["target", "integer", "1.5", "index 1"]),
    ((3, 4), [0, np.nan, 2], {}, ValueError, ["target", "integer", "nan"]),
    ((3, 4), [0, 1, 4], {}, ValueError, ["target", "[0, 4)", "got 4", "index 2"]),
    ((3, 4), [0, -1, 2], {}, ValueError, ["target", "[0, 4)", "got -1", "index 1"]),
    ((3, 4), [0, 10**12, 2], {}, ValueError, ["target", "[0, 4)", "index 1"]),
    ((3, 4), ["a", "b", "c"], {}, TypeError, ["target", "integer", "<U1"]),
    ((3, 4), [True, False, True], {}, TypeError, ["target", "integer", "bool"]),
    ((3, 4), [0, 1, 2], {"reduction": "avg"}, ValueError, ["reduction", "'avg'", "mean"]),
    ((3, 4), [0, 1, 2], {"reduction": None}, ValueError, ["reduction", "None"]),  # as PyTorch
    (
        (3, 4),
        [0, 1, 2],
        {"label_smoothing": -0.1},
        ValueError,
        ["label_smoothing", "[0, 1]", "-0.1"],
    ),
    ((3, 4), [0, 1, 2], {"label_smoothing": 1.5}, ValueError, ["label_smoothing", "1.5"]),
    ((3, 4), [0, 1, 2], {"label_smoothing": float("nan")}, ValueError, ["label_smoothing", "nan"]),
    ((3, 4), [0, 1, 2], {"label_smoothing": "0.1"}, TypeError, ["label_smoothing", "'0.1'"]),
    ((3, 4), [0, 1, 2], {"label_smoothing": True}, TypeError, ["label_smoothing", "True"]),
]


@pytest.mark.parametrize("shape, target, kwargs, error, fragments", BAD)
def test_bad_input(backend, shape, target, kwargs, error, fragments, monkeypatch):
    def no_forward(*args, **kw):
        raise AssertionError("forward ran on bad input")

    monkeypatch.setattr(CrossEntropy, "forward", staticmethod(no_forward))
    x = Tensor(np.arange(float(np.prod(shape))).reshape(shape), requires_grad=True)
    x.grad = np.full(shape, 7.0, dtype=x.dtype)
    data, grad = x.data.copy(), x.grad.copy()
    target_array = np.array(target)
    target_before = target_array.copy()
    with pytest.raises(error) as info:
        cross_entropy(x, target_array, **kwargs)
    message = str(info.value)
    assert message.startswith("cross_entropy:"), message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    np.testing.assert_array_equal(x.data, data)
    np.testing.assert_array_equal(x.grad, grad)
    np.testing.assert_array_equal(target_array, target_before)


def test_target_out_of_range_in_subprocess():
    """Out-of-range targets would be out-of-bounds reads in the unchecked kernel: they must raise
    ValueError first. Run in a child process, so that a segfault fails this test, not the run."""
    script = textwrap.dedent("""
        import numpy as np
        import tinygrad_conv as tc
        from tinygrad_conv import Tensor
        from tinygrad_conv.ops.loss import cross_entropy
        for backend in ("cython", "numpy"):
            tc.set_backend(backend)
            x = Tensor(np.zeros((3, 5)), requires_grad=True)
            for bad in ([0, 1, 10**9], [0, -10**9, 1], [0, 5, 1], np.array([0.0, 2.0, 1e300])):
                try:
                    cross_entropy(x, bad)
                except ValueError as err:
                    assert "target" in str(err), err
                else:
                    raise SystemExit(f"no error for {bad}")
        print("ok")
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr
