"""Fuzz generators for the elementwise ops and the reductions."""

from __future__ import annotations

import numpy as np

from .common import *  # noqa: F403

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
}


def broadcast_pair(rng):
    shape = rand_shape(rng, 0, 4, 4, zero=rng.random() < 0.1)
    other = list(shape[int(rng.integers(0, len(shape) + 1)) :])
    for i in range(len(other)):
        if rng.random() < 0.3:
            other[i] = 1
    other = tuple(other)
    return (shape, other) if rng.random() < 0.5 else (other, shape)


def gen_binary(name):
    fn = BINARY[name]

    def gen(rng, variant):
        sa, sb = broadcast_pair(rng)
        dt_a = dtype_of(rng)
        dt_b = dt_a if rng.random() < 0.8 else dtype_of(rng)
        lo, hi = (0.5, 2.0) if name in ("pow", "div") else (-3.0, 3.0)
        mode = data_mode(rng)
        a = sprinkle(rng, farr(rng, sa, dt_a, lo, hi), mode)
        b = sprinkle(rng, farr(rng, sb, dt_b, lo, hi), mode)
        if name == "pow":
            b = farr(rng, sb, dt_b, -2.0, 2.0)
        args = [arg_variants(rng, a), arg_variants(rng, b)]
        if not args[0].tensor and not args[1].tensor:
            args[0] = Arg(a, layout="c")
        scalar = None
        if rng.random() < 0.15:
            scalar = float(rng.uniform(0.5, 2.0))
            args[0] = Arg(a, layout="c")  # a Tensor, so that `x op scalar` is tinygrad_conv's

        def call(tc, x, y, scalar=None):
            if scalar is not None:
                return fn(x, scalar)
            return fn(x, y)

        def torch_call(torch, F, x, y, scalar=None):
            return fn(x, scalar if scalar is not None else y)

        case = Case(
            name,
            args,
            {"scalar": scalar},
            call,
            torch_call,
            desc=f"{name} {sa}{dt_a} {sb}{dt_b} mode={mode} scalar={scalar}",
        )
        if dt_a != dt_b:  # NumPy promotes float32 with a 0-d float64 to float64, PyTorch does not
            case.extra["torch_dtype"] = "float64"
        if variant == 0:
            return case
        mutations = [
            *[("dtype", k) for k in BAD_DTYPES],
            ("shape", None),
            ("scalar", "str"),
            ("scalar", "none"),
        ]
        kind, what = mutations[(variant - 1) % len(mutations)]
        case.params["scalar"] = None
        if kind == "dtype":
            case.args[0] = Arg(a, layout="c")  # a Tensor, so the operator is tinygrad_conv's
            case.args[1] = Arg(bad_array(rng, what), tensor=False)
            case.error = ("data", "dtype")
        elif kind == "shape":
            case.args = [Arg(farr(rng, (2, 3), dt_a)), Arg(farr(rng, (4,), dt_a))]
            case.error = ("shape", "broadcast")
        else:
            case.args[0] = Arg(a, layout="c")
            case.params["scalar"] = "x" if what == "str" else None
            if what == "none":
                case.args[1] = Arg(None, tensor=False)
            case.error = ("data", "dtype")
        case.desc += f" -> bad {kind} {what}"
        return case

    return gen


UNARY = {
    "neg": (lambda t: -t, lambda t: -t),
    "exp": (lambda t: t.exp(), lambda t: t.exp()),
    "log": (lambda t: t.log(), lambda t: t.log()),
    "tanh": (lambda t: t.tanh(), lambda t: t.tanh()),
    "sigmoid": (lambda t: t.sigmoid(), lambda t: t.sigmoid()),
    "relu": (lambda t: t.relu(), lambda t: t.relu()),
}


def gen_unary(name):
    method, torch_method = UNARY[name]

    def gen(rng, variant):
        shape = rand_shape(rng, 0, 4, 5, zero=rng.random() < 0.1)
        if rng.random() < 0.06:  # above the size where the relu kernel starts a second thread
            shape = (int(rng.integers(2, 4)), int(rng.integers(20000, 30000)))
        dt = dtype_of(rng)
        lo, hi = (0.1, 3.0) if name == "log" else (-3.0, 3.0)
        mode = data_mode(rng)
        a = sprinkle(rng, farr(rng, shape, dt, lo, hi), mode)
        if rng.random() < 0.05 and a.ndim:
            a = rng.integers(-3, 4, size=shape).astype(rng.choice(["int32", "int64", "bool"]))
        functional = rng.random() < 0.5
        arg = arg_variants(rng, a)

        def call(tc, x):
            if functional or not hasattr(x, "relu"):
                return getattr(tc.functional, name)(x)
            return method(x)

        case = Case(
            name,
            [arg],
            {},
            call,
            lambda torch, F, x: torch_method(x),
            desc=f"{name} {shape}{a.dtype} mode={mode} layout={arg.layout}",
        )
        if variant == 0:
            return case
        kind = BAD_DTYPES[(variant - 1) % len(BAD_DTYPES)]
        case.args = [Arg(bad_array(rng, kind), tensor=False)]
        case.error = ("data", "dtype")
        case.desc += f" -> bad dtype {kind}"
        return case

    return gen


def gen_reduce(name):
    def gen(rng, variant):
        shape = rand_shape(rng, 0, 4, 4, zero=rng.random() < 0.1)
        dt = dtype_of(rng)
        mode = data_mode(rng)
        a = sprinkle(rng, farr(rng, shape, dt), mode)
        nd = len(shape)
        r = rng.random()
        if r < 0.3 or nd == 0:
            axis = None
        elif r < 0.7:
            axis = int(rng.integers(-nd, nd))
        else:
            axis = tuple(
                int(v) for v in rng.choice(nd, size=int(rng.integers(1, nd + 1)), replace=False)
            )
        keepdims = bool(rng.random() < 0.4)

        def call(tc, x, axis, keepdims):
            return getattr(x, name)(axis=axis, keepdims=keepdims)

        def torch_call(torch, F, x, axis, keepdims):
            dims = tuple(range(x.ndim)) if axis is None else axis
            if name == "sum":
                return x.sum(dim=dims, keepdim=keepdims) if x.ndim else x.sum()
            if name == "mean":
                return x.mean(dim=dims, keepdim=keepdims) if x.ndim else x.mean()
            return torch.amax(x, dim=dims, keepdim=keepdims) if x.ndim else torch.amax(x)

        case = Case(
            name,
            [arg_variants(rng, a)],
            {"axis": axis, "keepdims": keepdims},
            call,
            torch_call,
            desc=f"{name} {shape}{dt} axis={axis} keepdims={keepdims} mode={mode}",
        )
        case.args[0].tensor = True
        if 0 in shape and name != "sum":
            case.maybe_error = ("empty", "axis", "shape")
            case.torch_call = None
        if variant == 0:
            return case
        case.maybe_error = None
        mutations = ["axis_range", "axis_float", "axis_repeat", "keepdims", "empty", "axis_str"]
        kind = mutations[(variant - 1) % len(mutations)]
        if kind == "axis_range":
            span = max(nd, 1)  # a 0-d tensor has axes 0 and -1 (PyTorch)
            case.params["axis"] = (
                span + int(rng.integers(0, 3)) if rng.random() < 0.5 else -span - 1
            )
            case.error = ("axis",)
        elif kind == "axis_float":
            case.params["axis"] = 0.5
            case.error = ("axis",)
        elif kind == "axis_str":
            case.params["axis"] = "0"
            case.error = ("axis",)
        elif kind == "axis_repeat":
            if nd == 0:
                case.params["axis"] = (0, 0)
            else:
                case.params["axis"] = (0, -nd)
            case.error = ("axis",)
        elif kind == "keepdims":
            case.params["keepdims"] = "yes"
            case.error = ("keepdims",)
        else:
            if name in ("sum", "mean"):  # their empty reductions are 0 and NaN, as PyTorch's
                case.params["axis"] = 1.5
                case.error = ("axis",)
            else:
                case.args = [Arg(np.zeros((2, 0), dt))]
                case.params["axis"] = None
                case.error = ("empty", "shape")
        case.desc += (
            f" -> bad {kind}: axis={case.params['axis']!r} keepdims={case.params['keepdims']!r}"
        )
        return case

    return gen
