"""tc.save / tc.load: model, optimizer and scheduler state dicts round-trip exactly (types, int
keys, tuples, inf), member names readable by np.load, never pickle, bad files refused by name."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinygrad_conv import nn, optim
from tinygrad_conv.optim import lr_scheduler
from tinygrad_conv.serialization import load, save


def same(a, b):
    assert type(a) is type(b), (a, b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            same(x, y)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b


def checkpoint():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = optim.Adam(
        [
            {"params": list(model.parameters())[:2]},
            {"params": list(model.parameters())[2:], "lr": 0.5, "amsgrad": True},
        ]
    )
    for p in model.parameters():
        p.grad = np.ones(p.shape, dtype=p.dtype)
    opt.step()
    sched = lr_scheduler.MultiStepLR(opt, [2, 5, 5])
    plateau = lr_scheduler.ReduceLROnPlateau(opt)
    return {
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "scheduler": sched.state_dict(),
        "plateau": plateau.state_dict(),
        "epoch": 3,
        "extra": {
            "name": "run/1 50%",
            "none": None,
            "flag": True,
            "pair": (1, 2.5),
            "f32": np.float32(0.25),
            "i64": np.int64(7),
            5: "int key",
            "5": "str key",
            "nan": float("nan"),
            "ints": np.arange(3, dtype=np.int16),
        },
    }


def test_nested_checkpoint_round_trips_exactly(tmp_path):
    saved = checkpoint()
    path = tmp_path / "ckpt.pt"
    save(saved, path)
    assert path.exists() and not (tmp_path / "ckpt.pt.npz").exists()
    same(load(path), saved)


def test_members_are_named_by_path_and_read_by_numpy(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    save(model.state_dict(), tmp_path / "model.npz")
    with np.load(tmp_path / "model.npz", allow_pickle=False) as npz:
        assert sorted(set(npz.files) - {"__tinygrad_conv__"}) == [
            "0.bias",
            "0.weight",
            "1.bias",
            "1.weight",
        ]
        np.testing.assert_array_equal(npz["1.weight"], model[1].weight.data)
    save(checkpoint(), tmp_path / "c.npz")
    with np.load(tmp_path / "c.npz", allow_pickle=False) as npz:
        assert "optimizer/state/2/max_exp_avg_sq" in npz.files
        assert "extra/name" not in npz.files  # strings live in the structure record


def test_loaded_state_dicts_load_into_model_optimizer_and_scheduler(tmp_path):
    model = nn.Linear(2, 2)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = lr_scheduler.StepLR(opt, 2)
    for p in model.parameters():
        p.grad = np.ones(p.shape, dtype=p.dtype)
    opt.step()
    sched.step()
    save({"m": model.state_dict(), "o": opt.state_dict(), "s": sched.state_dict()}, tmp_path / "c")
    back = load(tmp_path / "c")
    model2 = nn.Linear(2, 2)
    opt2 = optim.SGD(model2.parameters(), lr=0.1, momentum=0.9)
    sched2 = lr_scheduler.StepLR(opt2, 2)
    model2.load_state_dict(back["m"])
    opt2.load_state_dict(back["o"])
    sched2.load_state_dict(back["s"])
    same(opt2.state_dict(), opt.state_dict())
    assert sched2.state_dict() == sched.state_dict()


def test_plain_npz_loads_as_a_dict(tmp_path):
    np.savez(tmp_path / "plain.npz", a=np.ones(2), b=np.zeros((1, 2)))
    back = load(tmp_path / "plain.npz")
    assert sorted(back) == ["a", "b"]


@pytest.mark.parametrize(
    "obj, fragment",
    [
        ({"f": lambda: 0}, "function"),
        ({"a": np.array(["x"])}, "dtype"),
        ({(1, 2): 3}, "keys"),
        ({"o": np.array([object()], dtype=object)}, "dtype"),
    ],
)
def test_unsaveable_values_are_refused_before_writing(tmp_path, obj, fragment):
    with pytest.raises(TypeError, match=fragment):
        save(obj, tmp_path / "x")
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("content", [b"", b"not a zip file at all", b"PK\x03\x04broken"])
def test_bad_files_are_value_errors_naming_them(tmp_path, content):
    path = tmp_path / "bad.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="bad.npz"):
        load(path)
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load(tmp_path / "nowhere")


def test_pickled_arrays_are_refused(tmp_path):
    path = tmp_path / "p.npz"
    np.savez(path, a=np.array([{"x": 1}], dtype=object))
    with pytest.raises(ValueError, match="p.npz"):
        load(path)
