"""Integer and bool tensors as PyTorch has them: comparisons give bool tensors, promotion keeps a
float operand's dtype, conversions, .item()/.tolist(), never requiring grad, float-only ops refuse
them by name; and a Tensor stays hashable by identity although `==` is elementwise."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_conv as tc
from tinygrad_conv import Tensor

torch = pytest.importorskip("torch")

A = np.array([[1.5, -2.0, 0.0], [3.0, 0.25, -0.5]])
B = np.array([1.5, 0.0, -1.0])


def torch_dtype_name(t) -> str:
    return str(t.dtype).removeprefix("torch.")


COMPARISONS = [
    ("eq", lambda a, b: a == b, lambda a, b: a.eq(b)),
    ("ne", lambda a, b: a != b, lambda a, b: a.ne(b)),
    ("lt", lambda a, b: a < b, lambda a, b: a.lt(b)),
    ("le", lambda a, b: a <= b, lambda a, b: a.le(b)),
    ("gt", lambda a, b: a > b, lambda a, b: a.gt(b)),
    ("ge", lambda a, b: a >= b, lambda a, b: a.ge(b)),
]


@pytest.mark.parametrize("name, operator, method", COMPARISONS, ids=[c[0] for c in COMPARISONS])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_comparisons_are_bool_tensors_as_pytorch(name, operator, method, dtype):
    a = Tensor(A.astype(dtype), requires_grad=True)
    at = torch.tensor(A.astype(dtype))
    for other, other_t in [
        (Tensor(B.astype(dtype)), torch.tensor(B.astype(dtype))),
        (0.25, 0.25),
        (B.astype(dtype), torch.tensor(B.astype(dtype))),
    ]:
        for out in (operator(a, other), method(a, other), getattr(tc, name)(a, other)):
            expected = operator(at, other_t)
            # recorded (a mask keeps its graph, for pictures and ONNX), never requiring grad
            assert out.dtype == np.bool_ and not out.requires_grad and out.op == name
            np.testing.assert_array_equal(out.data, expected.numpy())
    # A scalar on the left is reflected, as in Python and PyTorch.
    np.testing.assert_array_equal(operator(0.25, a).data, operator(0.25, at).numpy())


def test_float32_compares_with_a_python_float_in_float32_as_pytorch():
    x = Tensor(np.array([0.1], dtype=np.float32))
    assert (x == 0.1).item() is True  # 0.1 rounded to float32, as torch.tensor([0.1]) == 0.1
    assert (torch.tensor([0.1]) == 0.1).item() is True


def test_sum_of_bool_is_int64_and_mask_indexing_works():
    x = Tensor(A)
    mask = x > 0
    count = mask.sum()
    assert count.dtype == np.int64 and count.item() == 3 and isinstance(count.item(), int)
    np.testing.assert_array_equal(x[mask].data, A[A > 0])
    np.testing.assert_array_equal(x[x.argmax(1)].data, A[A.argmax(1)])
    assert (mask.float() * x).sum().item() == pytest.approx(4.75)


@pytest.mark.parametrize(
    "dtype, other",
    [
        (np.float32, np.array([1, 2, 3], dtype=np.int64)),
        (np.float64, np.array([1, 2, 3], dtype=np.int32)),
        (np.float32, np.array([True, False, True])),
    ],
)
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "maximum", "minimum"])
def test_an_int_operand_takes_the_float_dtype_as_pytorch(dtype, other, op):
    a = Tensor(A.astype(dtype), requires_grad=True)
    b = Tensor(other, dtype=other.dtype)
    if op == "sub" and other.dtype == np.bool_:  # PyTorch refuses a bool operand of `-`
        with pytest.raises(TypeError, match="sub: subtraction with a bool tensor"):
            tc.sub(a, b)
        return
    out = getattr(tc, op)(a, b)
    expected = getattr(torch, op)(torch.tensor(A.astype(dtype)), torch.tensor(other))
    assert out.dtype == np.dtype(torch_dtype_name(expected)) == dtype
    np.testing.assert_allclose(out.data, expected.numpy(), rtol=1e-6)
    out.backward(np.ones(out.shape, dtype=dtype))
    assert a.grad.dtype == dtype and b.grad is None


def test_integer_arithmetic_stays_integer_and_true_division_is_float32():
    i = tc.tensor([[1, 2], [3, 4]])
    j = tc.tensor([2, 3])
    it, jt = torch.tensor([[1, 2], [3, 4]]), torch.tensor([2, 3])
    for ours, theirs in [
        (i + j, it + jt),
        (i * 2, it * 2),
        (i - j, it - jt),
        (i / j, it / jt),
        (i**2, it**2),
        (i * 0.5, it * 0.5),
        (-i, -it),
        (i.abs(), it.abs()),
        (tc.where(i > 2, i, 0), torch.where(it > 2, it, 0)),
        (i.clamp(2, 3), it.clamp(2, 3)),
        (tc.cat([i, i]), torch.cat([it, it])),
    ]:
        assert str(ours.dtype) == torch_dtype_name(theirs), (ours, theirs)
        np.testing.assert_allclose(ours.data, theirs.numpy())


@pytest.mark.parametrize(
    "name, convert, dtype",
    [
        ("float", lambda x: x.float(), np.float32),
        ("double", lambda x: x.double(), np.float64),
        ("long", lambda x: x.long(), np.int64),
        ("int", lambda x: x.int(), np.int32),
        ("bool", lambda x: x.bool(), np.bool_),
        ("to", lambda x: x.to(np.int64), np.int64),
        ("to_float64", lambda x: x.to(dtype=np.float64), np.float64),
        ("to_cpu_dtype", lambda x: x.to("cpu", np.float64), np.float64),
    ],
)
def test_conversions_match_pytorch(name, convert, dtype):
    data = np.array([[1.7, -2.2, 0.0], [3.0, 0.5, -0.5]], dtype=np.float32)
    torch_convert = {
        np.float32: "float",
        np.float64: "double",
        np.int64: "long",
        np.int32: "int",
        np.bool_: "bool",
    }[dtype]
    out = convert(Tensor(data))
    expected = getattr(torch.tensor(data), torch_convert)()
    assert out.dtype == dtype
    np.testing.assert_array_equal(out.data, expected.numpy())
    assert out.tolist() == expected.tolist()


def test_float_to_float_conversion_is_differentiable_and_int_conversion_is_not():
    x = Tensor(A.astype(np.float32), requires_grad=True)
    y = x.double()
    assert y.dtype == np.float64 and y.requires_grad and y.op == "to"
    (y * 2).sum().backward()
    assert x.grad.dtype == np.float32 and np.all(x.grad == 2)
    index = x.long()
    assert index.dtype == np.int64 and not index.requires_grad and index.op is None
    assert x.float() is x and x.to("cpu") is x


def test_item_and_tolist_give_python_numbers():
    assert tc.tensor(3).item() == 3 and type(tc.tensor(3).item()) is int
    assert tc.tensor(True).item() is True
    assert type(tc.tensor(2.5).item()) is float
    assert tc.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert (tc.tensor([1.0, 2.0]) > 1).tolist() == [False, True]
    assert int(tc.tensor(7)) == 7 and float(tc.tensor(0.5)) == 0.5


@pytest.mark.parametrize(
    "make",
    [
        lambda: Tensor([1, 2], dtype=np.int64, requires_grad=True),
        lambda: tc.tensor([1, 2], requires_grad=True),
        lambda: tc.zeros(2, dtype=np.bool_, requires_grad=True),
        lambda: tc.arange(3, requires_grad=True),
    ],
)
def test_int_and_bool_tensors_never_require_grad(make):
    with pytest.raises(TypeError, match="float"):
        make()


FLOAT_ONLY = [
    ("exp", lambda x: x.exp()),
    ("log", lambda x: x.log()),
    ("sqrt", lambda x: x.sqrt()),
    ("tanh", lambda x: x.tanh()),
    ("sigmoid", lambda x: x.sigmoid()),
    ("relu", lambda x: x.relu()),
    ("leaky_relu", lambda x: x.leaky_relu()),
    ("gelu", lambda x: x.gelu()),
    ("softmax", lambda x: x.softmax(0)),
    ("log_softmax", lambda x: x.log_softmax(0)),
    ("mean", lambda x: x.mean()),
    ("var", lambda x: x.var()),
    ("std", lambda x: x.std()),
    ("logsumexp", lambda x: x.logsumexp(0)),
]


@pytest.mark.parametrize("dtype", [np.int64, np.bool_])
@pytest.mark.parametrize("name, call", FLOAT_ONLY, ids=[f[0] for f in FLOAT_ONLY])
def test_float_only_ops_refuse_int_and_bool_naming_the_op(name, call, dtype):
    x = Tensor([1, 0, 1], dtype=dtype)
    before = x.data.copy()
    with pytest.raises(TypeError) as info:
        call(x)
    assert str(info.value).startswith(name + ":") and str(np.dtype(dtype)) in str(info.value)
    assert np.array_equal(x.data, before) and x.data.dtype == dtype


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda b: b - b, "sub"),
        (lambda b: -b, "neg"),
        (lambda b: b.abs(), "abs"),
        (lambda b: b.clamp(0, 1), "clamp"),
    ],
)
def test_bool_arithmetic_pytorch_refuses_is_refused(call, fragment):
    with pytest.raises(TypeError, match=fragment):
        call(Tensor([True, False], dtype=bool))


def test_integer_to_a_negative_power_is_refused():
    with pytest.raises(ValueError, match="pow"):
        tc.tensor([1, 2]) ** tc.tensor([-1, 1])


def test_a_tensor_hashes_by_identity_so_dicts_and_sets_work():
    a, b = Tensor(A), Tensor(A)
    table = {a: "a", b: "b"}
    assert table[a] == "a" and table[b] == "b" and len({a, b, a}) == 2
    assert any(p is a for p in [b, a])
    assert (a == b).data.all()  # elementwise, not identity


def test_truth_value_is_pytorch_rule():
    assert bool(Tensor([2.0])) and not bool(Tensor(0.0))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(Tensor(A))
    with pytest.raises(RuntimeError, match="ambiguous"):
        _ = Tensor(A) in [Tensor(A)]  # `in` falls back to ==, as it does with torch tensors


def test_module_and_optimizer_keep_working_with_elementwise_eq():
    """Parameters are compared by identity inside nn and optim (tensors as dict keys, `is`)."""
    tc.manual_seed(0)
    model = tc.nn.Sequential(tc.nn.Linear(3, 4), tc.nn.ReLU(), tc.nn.Linear(4, 2))
    params = list(model.parameters())
    opt = tc.optim.SGD(params, lr=0.1, momentum=0.9)
    x = tc.randn(5, 3)
    for _ in range(2):
        opt.zero_grad()
        model(x).sum().backward()
        opt.step()
    state = opt.state_dict()
    opt.load_state_dict(state)
    model.load_state_dict(model.state_dict())
    assert len(params) == 4
