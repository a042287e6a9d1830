"""Creation as PyTorch spells it (tc.tensor's dtype rule, zeros, ones, full, *_like, rand, randn,
arange) and tc.manual_seed making every draw repeat."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_conv as tc
from tinygrad_conv import Tensor

torch = pytest.importorskip("torch")


def dtype_of(t) -> np.dtype:
    return np.dtype(str(t.dtype).removeprefix("torch."))


@pytest.mark.parametrize(
    "data",
    [
        3,
        2.5,
        True,
        [1, 2, 3],
        [1.0, 2],
        [[True, False]],
        [[1, 2], [3, 4]],
        [],
        np.array([1, 2], dtype=np.int32),
        np.array([0.5], dtype=np.float64),
        np.float32(1.5),
        np.array([True, False]),
        np.uint8(7),
    ],
    ids=lambda d: f"{type(d).__name__}:{d!r}"[:40],
)
def test_tensor_follows_pytorch_dtype_rule(data):
    ours, theirs = tc.tensor(data), torch.tensor(data)
    assert ours.dtype == dtype_of(theirs)
    assert ours.shape == tuple(theirs.shape)
    assert ours.tolist() == theirs.tolist()


def test_tensor_with_dtype_and_requires_grad():
    x = tc.tensor([1, 2], dtype=np.float64, requires_grad=True)
    assert x.dtype == np.float64 and x.requires_grad and x.is_leaf
    assert tc.tensor(Tensor([1.0, 2.0])).dtype == np.float32
    assert Tensor([1, 2]).dtype == np.float32  # Tensor() keeps its rule: ints become float32
    assert Tensor([1, 2], dtype=np.int64).dtype == np.int64


def test_tensor_copies_its_data():
    array = np.array([1.0, 2.0])
    x = tc.tensor(array)
    array[0] = 9.0
    assert x.tolist() == [1.0, 2.0]


@pytest.mark.parametrize(
    "name, args, kwargs",
    [
        ("zeros", (2, 3), {}),
        ("zeros", ((2, 3),), {}),
        ("zeros", ([4],), {"dtype": np.int64}),
        ("ones", (3,), {}),
        ("ones", (2, 2), {"dtype": np.float64}),
        ("ones", (0, 2), {}),
        ("full", ((2, 2), 7), {}),
        ("full", ((3,), 1.5), {}),
        ("full", ((2,), True), {}),
        ("full", ((2, 1), 4), {"dtype": np.float64}),
        ("arange", (5,), {}),
        ("arange", (1, 4), {}),
        ("arange", (0, 1, 0.1), {}),
        ("arange", (0.5, 3), {}),
        ("arange", (10, 0, -3), {}),
        ("arange", (-1.0, 1.0, 0.3), {}),
        ("arange", (0, 2), {"dtype": np.float64}),
        ("arange", (3,), {"dtype": np.float32}),
    ],
)
def test_creation_matches_pytorch(name, args, kwargs):
    torch_dtypes = {np.int64: torch.int64, np.float64: torch.float64, np.float32: torch.float32}
    theirs_kwargs = {k: torch_dtypes[v] if k == "dtype" else v for k, v in kwargs.items()}
    ours = getattr(tc, name)(*args, **kwargs)
    theirs = getattr(torch, name)(*args, **theirs_kwargs)
    assert isinstance(ours, Tensor) and not ours.requires_grad
    assert ours.dtype == dtype_of(theirs) and ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_like_functions_take_shape_and_dtype():
    x = Tensor(np.ones((2, 3)), dtype=np.float64)
    assert tc.zeros_like(x).dtype == np.float64 and tc.zeros_like(x).shape == (2, 3)
    assert tc.ones_like(x, dtype=np.int64).tolist() == [[1, 1, 1], [1, 1, 1]]
    assert tc.zeros_like(tc.tensor([1, 2])).dtype == np.int64
    assert tc.ones_like(x, requires_grad=True).requires_grad


def test_rand_and_randn_draw_from_the_seeded_generator():
    tc.manual_seed(3)
    first = (tc.rand(2, 3).tolist(), tc.randn(4).tolist(), tc.randn((2, 2), dtype=np.float64))
    tc.manual_seed(3)
    again = (tc.rand(2, 3).tolist(), tc.randn(4).tolist(), tc.randn((2, 2), dtype=np.float64))
    assert first[:2] == again[:2] and first[2].tolist() == again[2].tolist()
    assert first[2].dtype == np.float64 and tc.rand(5).dtype == np.float32
    u = tc.rand(10_000).numpy()
    assert 0.0 <= u.min() and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.02
    n = tc.randn(10_000).numpy()
    assert abs(n.mean()) < 0.05 and abs(n.std() - 1.0) < 0.05
    assert tc.rand(2, requires_grad=True).requires_grad


def test_manual_seed_repeats_init_and_dropout_too():
    def run():
        tc.manual_seed(11)
        layer = tc.nn.Linear(4, 3)
        return layer.weight.data.copy(), tc.rand(3).numpy()

    (w1, r1), (w2, r2) = run(), run()
    np.testing.assert_array_equal(w1, w2)
    np.testing.assert_array_equal(r1, r2)


@pytest.mark.parametrize(
    "call, error, fragment",
    [
        (lambda: tc.zeros(2, -1), ValueError, "zeros: sizes must be non-negative"),
        (lambda: tc.ones(2.5), TypeError, "ones: size must be ints"),
        (lambda: tc.zeros(2, dtype=np.float16), TypeError, "zeros: dtype"),
        (lambda: tc.full((2,), "x"), ValueError, ""),
        (lambda: tc.arange(0, 3, 0), ValueError, "arange: step must be nonzero"),
        (lambda: tc.arange(0, 3, -1), ValueError, "arange: upper bound and step are inconsistent"),
        (lambda: tc.arange(float("inf")), ValueError, "arange: end must be finite"),
        (lambda: tc.arange("3"), TypeError, "arange: end must be a number"),
        (lambda: tc.rand(2, dtype=np.int64), TypeError, "rand: dtype must be float32 or float64"),
        (lambda: tc.randn(2, dtype=bool), TypeError, "randn: dtype must be float32 or float64"),
        (lambda: tc.tensor(["a"]), TypeError, "tensor: data must be numbers"),
        (lambda: tc.tensor([1.0], dtype=np.complex64), TypeError, "tensor: dtype"),
        (lambda: tc.tensor([float("nan")], dtype=np.int64), ValueError, "NaN"),
        (lambda: tc.manual_seed(-1), ValueError, "manual_seed"),
    ],
)
def test_bad_creation_arguments(call, error, fragment):
    with pytest.raises(error, match=fragment):
        call()
