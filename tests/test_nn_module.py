"""nn.Module, continued: buffers in the state dict (to and from PyTorch), requires_grad_, apply,
to/double/float, forward, forward-pre and full backward hooks against PyTorch's, and .npz files
from elsewhere treated as untrusted."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

import tinygrad_conv as tc
from tinygrad_conv import nn


class Stats(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 2)
        self.register_buffer("mean", np.zeros(2, np.float32))
        self.register_buffer("count", np.array(0, dtype=np.int64))
        self.register_buffer("scratch", np.ones(2), persistent=False)


def test_buffers_are_listed_saved_and_not_parameters():
    m = Stats()
    assert [n for n, _ in m.named_buffers()] == ["mean", "count", "scratch"]
    assert list(m.state_dict()) == ["mean", "count", "lin.weight", "lin.bias"]  # as torch
    assert m.state_dict()["count"].dtype == np.int64 and m.state_dict()["count"].shape == ()
    assert all(not b.requires_grad for b in m.buffers())
    assert len(list(m.parameters())) == 2
    m.mean = np.array([1.0, 2.0], np.float32)  # assigning a registered name keeps it a buffer
    assert isinstance(m.mean, tc.Tensor) and "mean" in m.state_dict()
    outer = nn.Sequential(Stats())
    assert "0.count" in outer.state_dict() and "0.mean" in dict(outer.named_buffers())


def test_register_buffer_errors():
    m = Stats()
    with pytest.raises(KeyError, match="'.'"):
        m.register_buffer("a.b", np.zeros(1))
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("lin", np.zeros(1))
    with pytest.raises(TypeError, match="Parameter"):
        m.register_buffer("p", nn.Parameter(np.zeros(1)))
    with pytest.raises(TypeError, match="numbers"):
        m.register_buffer("s", np.array(["a"]))


def test_load_state_dict_writes_buffers_and_bumps_versions():
    m = Stats()
    versions = [t._version for t in (m.lin.weight, m.mean, m.count)]
    state = m.state_dict()
    state["count"] = np.array(7)
    state["mean"] = np.array([3.0, 4.0])
    m.load_state_dict(state)
    assert m.count.data.dtype == np.int64 and int(m.count.data) == 7
    np.testing.assert_array_equal(m.mean.data, [3, 4])
    assert [t._version for t in (m.lin.weight, m.mean, m.count)] == [v + 1 for v in versions]


def test_requires_grad_apply_and_dtype_moves():
    m = Stats()
    assert m.requires_grad_(False) is m and not any(p.requires_grad for p in m.parameters())
    m.requires_grad_()
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Linear", "Stats"]  # children first, as PyTorch
    weight = m.lin.weight
    m.lin.weight.grad = np.ones((2, 3), np.float32)
    assert m.double() is m and m.lin.weight is weight
    assert weight.dtype == np.float64 and weight.grad.dtype == np.float64
    assert m.mean.dtype == np.float64 and m.count.dtype == np.int64
    m.to("cpu", np.float32)
    assert weight.dtype == np.float32 and m.mean.dtype == np.float32
    m.to(dtype=np.float64)
    m.float()
    m.to(device="cpu")
    assert weight.dtype == np.float32
    for bad, error in (
        ("cuda", ValueError),
        ("cuda:0", ValueError),
        (np.int32, TypeError),
        ("mps", ValueError),
    ):
        with pytest.raises(error, match="to:"):
            m.to(bad)


def test_forward_and_pre_hooks_replace_and_remove():
    m = nn.Linear(2, 2)
    calls = []
    pre = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    post = m.register_forward_hook(lambda mod, args, out: calls.append(out.shape) or out + 1)
    out = m(tc.Tensor(np.ones((1, 2))))
    np.testing.assert_allclose(out.data, m.bias.data[None] + 1, rtol=1e-6)
    assert calls == [(1, 2)]
    pre.remove()
    post.remove()
    np.testing.assert_allclose(m(tc.Tensor(np.zeros((1, 2)))).data, m.bias.data[None])
    with pytest.raises(TypeError, match="callable"):
        m.register_forward_hook(3)


def _record(store):
    def hook(module, grad_input, grad_output):
        store.append(
            (
                [None if g is None else np.array(g) for g in grad_input],
                [np.array(g) for g in grad_output],
            )
        )

    return hook


@pytest.mark.filterwarnings("ignore:Full backward hook")  # torch's note for an input without grad
def test_full_backward_hook_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    ours = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    ref = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    ref.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    seen_ours, seen_ref = [], []
    for layer in (0, 1):
        ours[layer].register_full_backward_hook(_record(seen_ours))
        ref[layer].register_full_backward_hook(
            lambda m, gi, go: seen_ref.append(
                ([None if g is None else g.numpy() for g in gi], [g.numpy() for g in go])
            )
        )
    (ours(tc.Tensor(x)) ** 2).sum().backward()
    (ref(torch.from_numpy(x)) ** 2).sum().backward()
    assert len(seen_ours) == len(seen_ref) == 2
    for (gi, go), (ri, ro) in zip(seen_ours, seen_ref, strict=True):
        assert [g is None for g in gi] == [g is None for g in ri]  # the input needs no grad
        for a, b in zip(gi + go, ri + ro, strict=True):
            if b is not None:
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_full_backward_hook_can_replace_grad_input():
    m = nn.Tanh()
    m.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 0 + 3,))
    x = tc.Tensor(np.ones((2, 2)), requires_grad=True)
    m(x).sum().backward()
    np.testing.assert_array_equal(x.grad, np.full((2, 2), 3.0))


def test_state_dict_with_batchnorm_round_trips_with_torch():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(
        nn.Conv2d(1, 3, 3),
        nn.BatchNorm2d(3),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(12, 4),
        nn.BatchNorm1d(4),
    )
    ref = torch.nn.Sequential(
        torch.nn.Conv2d(1, 3, 3),
        torch.nn.BatchNorm2d(3),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(12, 4),
        torch.nn.BatchNorm1d(4),
    )
    x = np.random.default_rng(1).standard_normal((5, 1, 4, 4)).astype(np.float32)
    ref(torch.from_numpy(x))  # a train step moves the running statistics
    theirs = ref.state_dict()
    assert list(ours.state_dict()) == list(theirs)
    ours.load_state_dict(theirs)  # as is: torch tensors, int64 num_batches_tracked included
    for key, value in ours.state_dict().items():
        np.testing.assert_array_equal(value, theirs[key].numpy())
        assert value.dtype == theirs[key].numpy().dtype, key
    ours.load_state_dict(theirs)
    ours[1].running_mean.data[...] += 1  # changed here, read back by torch
    ours[5].num_batches_tracked.data[...] = 9
    ref.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    assert int(ref[5].num_batches_tracked) == 9
    np.testing.assert_array_equal(ref[1].running_mean.numpy(), ours[1].running_mean.data)
    ours.eval()
    ref.eval()
    np.testing.assert_allclose(
        ours(tc.Tensor(x)).data, ref(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6
    )


def test_npz_round_trip_keeps_buffers(tmp_path):
    m, other = Stats(), Stats()
    m.count = np.array(5)
    path = m.save(tmp_path / "stats")
    other.load(path)
    assert int(other.count.data) == 5 and other.count.dtype == np.int64
    np.testing.assert_array_equal(other.lin.weight.data, m.lin.weight.data)


def _npz(path, members: dict[str, bytes]) -> str:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return str(path)


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _header_only(shape: tuple, dtype=np.float32) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": np.dtype(dtype).str, "fortran_order": False, "shape": shape}
    )
    return np.lib.format.magic(1, 0) + buffer.getvalue()[len(np.lib.format.magic(1, 0)) :]


def test_untrusted_npz_files_are_value_errors_naming_the_file(tmp_path):
    m = nn.Linear(3, 2)
    good = {
        "weight.npy": _npy(np.zeros((2, 3), np.float32)),
        "bias.npy": _npy(np.zeros(2, np.float32)),
    }
    huge = {"weight.npy": _header_only((10**6, 10**6)), "bias.npy": good["bias.npy"]}
    overflow = {"weight.npy": _header_only((2**40, 2**40, 2**40)), "bias.npy": good["bias.npy"]}
    truncated = dict(good, **{"weight.npy": good["weight.npy"][:-8]})
    files = {"empty.npz": tmp_path / "empty.npz", "text.npz": tmp_path / "text.npz"}
    files["empty.npz"].write_bytes(b"")
    files["text.npz"].write_bytes(b"not a zip file at all")
    files["huge.npz"] = _npz(tmp_path / "huge.npz", huge)
    files["overflow.npz"] = _npz(tmp_path / "overflow.npz", overflow)
    files["truncated.npz"] = _npz(tmp_path / "truncated.npz", truncated)
    files["extra.npz"] = _npz(tmp_path / "extra.npz", dict(good, **{"other.npy": good["bias.npy"]}))
    files["shape.npz"] = _npz(
        tmp_path / "shape.npz", dict(good, **{"weight.npy": _npy(np.zeros((3, 2), np.float32))})
    )
    files["notnpy.npz"] = _npz(tmp_path / "notnpy.npz", dict(good, **{"x.txt": b"hi"}))
    files["objects.npz"] = _npz(
        tmp_path / "objects.npz", dict(good, **{"bias.npy": _header_only((2,), object)})
    )
    whole = _npz(tmp_path / "whole.npz", good)
    cut = tmp_path / "cut.npz"
    cut.write_bytes(open(whole, "rb").read()[:-30])
    files["cut.npz"] = cut
    before = m.weight.data.copy()
    for name, path in files.items():
        with pytest.raises(ValueError, match="load:") as info:
            m.load(path)
        assert name in str(info.value), (name, str(info.value))
    np.testing.assert_array_equal(m.weight.data, before)
    m.load(whole)
    np.testing.assert_array_equal(m.weight.data, 0)


def test_shared_layers_appear_under_each_name_as_in_torch():
    torch = pytest.importorskip("torch")
    layer, ref_layer = nn.Linear(3, 3), torch.nn.Linear(3, 3)
    ours = nn.Sequential(layer, nn.ReLU(), layer)
    ref = torch.nn.Sequential(ref_layer, torch.nn.ReLU(), ref_layer)
    assert list(ours.state_dict()) == list(ref.state_dict())  # 0.* and 2.*, once per name
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]
    ours.load_state_dict(ref.state_dict())
    np.testing.assert_array_equal(layer.weight.data, ref_layer.weight.detach().numpy())


def test_module_walking_options_as_torch():
    m = Stats()
    assert [n for n, _ in m.named_parameters(recurse=False)] == []
    assert [n for n, _ in m.named_buffers(recurse=False)] == ["mean", "count", "scratch"]
    assert [n for n, _ in m.named_parameters(prefix="model")] == [
        "model.lin.weight",
        "model.lin.bias",
    ]
    assert m.state_dict(keep_vars=True)["lin.weight"] is m.lin.weight
    assert list(m.state_dict(prefix="m.")) == ["m.mean", "m.count", "m.lin.weight", "m.lin.bias"]
    assert m.get_submodule("lin") is m.lin and m.get_submodule("") is m
    with pytest.raises(AttributeError, match="nope"):
        m.get_submodule("lin.nope")
    m.lin.weight.grad = np.ones((2, 3), np.float32)
    grad = m.lin.weight.grad
    m.zero_grad(set_to_none=False)
    assert m.lin.weight.grad is grad and (grad == 0).all()
    m.zero_grad()
    assert m.lin.weight.grad is None
    with pytest.raises(TypeError, match="float16"):
        m.half()


def test_hook_options_prepend_and_kwargs():
    order = []
    m = nn.Identity()
    m.register_forward_hook(lambda mod, args, out: order.append("second"))
    m.register_forward_hook(lambda mod, args, out: order.append("first"), prepend=True)
    m.register_forward_pre_hook(
        lambda mod, args, kwargs: ((args[0] * 2,), kwargs), with_kwargs=True
    )
    m.register_forward_hook(
        lambda mod, args, kwargs, out: order.append(sorted(kwargs)), with_kwargs=True
    )
    out = m(tc.Tensor(np.ones(2)))
    assert order == ["first", "second", []] and out.data.tolist() == [2.0, 2.0]


def test_npz_of_a_torch_state_dict_loads(tmp_path):
    torch = pytest.importorskip("torch")
    ref = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    ref(torch.randn(5, 3))
    path = tmp_path / "torch.npz"
    np.savez(path, **{k: v.numpy() for k, v in ref.state_dict().items()})
    ours = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).load(path)
    assert int(ours[1].num_batches_tracked.data) == 1
    np.testing.assert_array_equal(ours[1].running_var.data, ref[1].running_var.numpy())
