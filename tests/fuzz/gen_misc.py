"""Fuzz generators for data.batches, state dicts, Tensor methods, and the harness check."""

from __future__ import annotations

import numpy as np

from .common import *  # noqa: F403
from .gen_kernels import *  # noqa: F403
from .gen_math import *  # noqa: F403
from .gen_nn import *  # noqa: F403
from .gen_shape import *  # noqa: F403


def gen_batches(rng, variant):
    n = int(rng.integers(0, 30))
    x = farr(rng, (n, 1, 2, 2), "float32")
    y = np.arange(n)
    params = {
        "batch_size": int(rng.integers(1, 12)),
        "shuffle": bool(rng.random() < 0.7),
        "seed": None if rng.random() < 0.3 else int(rng.integers(0, 1000)),
    }

    def call(tc, x, y, **p):
        from tinygrad_conv.data import batches

        got = list(batches(x, y, **p))
        xs = np.concatenate([b[0] for b in got]) if got else x[:0]
        ys = np.concatenate([b[1] for b in got]) if got else y[:0]
        sizes = [len(b[0]) for b in got]
        if sorted(ys.tolist()) != list(range(len(y))) or not np.array_equal(xs, x[ys]):
            raise AssertionError("batches lost, repeated or mismatched rows")
        size = p["batch_size"]
        if any(s != size for s in sizes[:-1]) or (sizes and sizes[-1] > size):
            raise AssertionError(f"batch sizes {sizes}")
        if not p["shuffle"] and not np.array_equal(ys, np.arange(len(y))):
            raise AssertionError("shuffle=False changed the order")
        return tc.Tensor(xs[np.argsort(ys)])  # rows back in order: the same for any seed

    case = Case(
        "batches",
        [Arg(x, tensor=False), Arg(y, tensor=False)],
        params,
        call,
        None,
        desc=f"batches n={n} {params}",
    )
    if variant == 0:
        return case
    bad = [
        ("batch_size", 0),
        ("batch_size", -2),
        ("batch_size", 1.5),
        ("batch_size", "4"),
        ("batch_size", None),
        ("shuffle", "yes"),
        ("shuffle", 1),
        ("y", "short"),
    ]
    argname, value = bad[(variant - 1) % len(bad)]
    if argname == "y":
        case.args[1] = Arg(np.arange(n + 1), tensor=False)
        case.error = ("length", "x and y")
    else:
        case.params[argname] = value
        case.error = (argname,)
    case.desc += f" -> {argname}={value!r}"
    return case


def gen_state_dict(rng, variant):
    """load_state_dict: another instance's state loads exactly; a bad one raises naming the key (or
    the argument) and leaves every parameter bit-identical."""
    c1, c2 = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    seed = int(rng.integers(0, 2**31))

    def build(nn):
        return nn.Sequential(nn.Conv2d(1, c1, 3), nn.ReLU(), nn.Flatten(), nn.Linear(c1 * 4, c2))

    def source_state():
        import tinygrad_conv.nn as nn
        from tinygrad_conv.nn import init

        init.manual_seed(seed)
        return build(nn).state_dict()

    mutate = None
    if variant:
        kinds = [
            "shape",
            "dtype_str",
            "missing",
            "unexpected",
            "not_mapping",
            "none_value",
            "object",
            "nan_ok",
        ]
        mutate = kinds[(variant - 1) % len(kinds)]

    def call(tc, x):
        import tinygrad_conv.nn as nn

        model = build(nn)
        state = {k: v.copy() for k, v in source_state().items()}
        key = sorted(state)[int(np.random.default_rng(seed).integers(len(state)))]
        if mutate == "shape":
            state[key] = np.zeros(state[key].shape + (2,), np.float32)
        elif mutate == "dtype_str":
            state[key] = np.full(state[key].shape, "a")
        elif mutate == "missing":
            del state[key]
        elif mutate == "unexpected":
            state["9.weight"] = np.zeros(3, np.float32)
        elif mutate == "not_mapping":
            state = list(state.items())
        elif mutate == "none_value":
            state[key] = None
        elif mutate == "object":
            state[key] = np.array([object()] * state[key].size, dtype=object)
        elif mutate == "nan_ok":
            state[key] = state[key].astype(np.float64)
        before = [p.data.copy() for p in model.parameters()]
        try:
            model.load_state_dict(state)
        except ALLOWED_ERRORS as err:
            if any(
                not np.array_equal(p.data, b)
                for p, b in zip(model.parameters(), before, strict=True)
            ):
                raise InputsChanged(f"a failed load changed parameters: {err}") from err
            raise
        for name, value in source_state().items():
            got = dict(model.state_dict())[name]
            if got.dtype != np.float32 or not np.array_equal(got, np.asarray(value, np.float32)):
                raise AssertionError(f"{name} did not load exactly")
        return model(x)

    x = farr(rng, (1, 1, 4, 4), "float32")
    case = Case(
        "state_dict",
        [Arg(x, old_grad=False)],
        {},
        call,
        None,
        desc=f"load_state_dict c1={c1} c2={c2} mutate={mutate}",
    )
    if mutate and mutate != "nan_ok":
        case.error = {
            "shape": ("shape",),
            "dtype_str": ("dtype", "number", "weight", "bias"),
            "missing": ("missing",),
            "unexpected": ("unexpected",),
            "not_mapping": ("state_dict", "mapping"),
            "none_value": ("weight", "bias"),
            "object": ("weight", "bias"),
        }[mutate]
    return case


def gen_tensor_methods(rng, variant):
    """item, len, numpy, detach, zero_grad, repr on tensors of every rank; misuse raises."""
    shape = rand_shape(rng, 0, 3, 3, zero=rng.random() < 0.1)
    a = farr(rng, shape, dtype_of(rng))

    def call(tc, x):
        if x.size == 1 and x.item() != a.reshape(-1)[0]:
            raise AssertionError("item")
        if x.ndim and len(x) != a.shape[0]:
            raise AssertionError("len")
        if x.numpy() is not x.data or x.detach().requires_grad or not repr(x).startswith("Tensor("):
            raise AssertionError("numpy/detach/repr")
        return x * 1.0

    case = Case(
        "tensor_methods",
        [Arg(a, layout="c")],
        {},
        call,
        lambda torch, F, x: x * 1.0,
        desc=f"tensor methods {shape}",
    )
    if variant == 0:
        return case
    if variant % 2:
        case.args = [Arg(farr(rng, (2, 3), "float32"))]
        case.call = lambda tc, x: x.item()
        case.error = ("item", "one-element")
    else:
        case.args = [Arg(farr(rng, (), "float32"))]
        case.call = lambda tc, x: len(x)
        case.error = ("len", "0-d")
    return case


def gen_segfault(rng, variant):
    """Not an op: kills its process the way a kernel's bad write would (tests the harness)."""
    import ctypes

    ctypes.string_at(0)
