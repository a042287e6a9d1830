"""Fuzz cases for test_fuzz.py and test_kernels_fuzz.py, and the worker process that runs them.

A case is the triple (op, variant, seed): the worker rebuilds it from that alone, so the parent
sends three numbers per case and a crash names a case anyone can replay with `python
tests/fuzz_cases.py OP VARIANT SEED`. Variant 0 is valid input (its result is compared across the
two kernel backends and with PyTorch when it is installed); variant k > 0 is the k-th way of making
that input invalid (the call must raise an allowed error naming the argument, and leave every
input's data and grad bit-identical).
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

ALLOWED_ERRORS = (ValueError, TypeError, RuntimeError, IndexError)
BAD_DTYPES = ("float16", "complex64", "object", "str", "datetime")
BAD_SCALARS = (-1, 0, 1.5, "2", None, (1, 2, 3), True, float("nan"), 2**70)


@dataclass
class Arg:
    """One array argument: a Tensor (maybe strided/transposed, maybe with an old grad) or raw."""

    data: Any
    tensor: bool = True
    requires_grad: bool = True
    layout: str = "c"  # c | f | strided (a getitem view of a bigger leaf) | readonly (raw)
    old_grad: bool = False


@dataclass
class Case:
    op: str
    args: list
    params: dict
    call: Callable  # call(tc, *objs, **params) -> Tensor
    torch_call: Callable | None = None  # torch_call(torch, F, *objs, **params) -> torch.Tensor
    error: tuple | None = None  # for invalid input: message fragments, one of which must appear
    maybe_error: tuple | None = None  # a correct result, or an allowed error naming one of these
    torch_grads: bool = True
    desc: str = ""
    extra: dict = field(default_factory=dict)


def farr(rng, shape, dtype="float32", lo=-3.0, hi=3.0):
    return rng.uniform(lo, hi, size=shape).astype(dtype)


def rand_shape(rng, lo=0, hi=4, side=4, zero=False):
    shape = [int(rng.integers(1, side + 1)) for _ in range(int(rng.integers(lo, hi + 1)))]
    if zero and shape:
        shape[int(rng.integers(len(shape)))] = 0
    return tuple(shape)


def bad_array(rng, kind, shape=(2, 3)):
    size = int(np.prod(shape))
    if kind == "float16":
        return np.ones(shape, np.float16)
    if kind == "complex64":
        return (np.ones(shape) + 1j).astype(np.complex64)
    if kind == "object":
        return np.array([object()] * size, dtype=object).reshape(shape)
    if kind == "str":
        return np.full(shape, "a")
    return np.zeros(shape, dtype="datetime64[s]")


def dtype_of(rng):
    return "float32" if rng.random() < 0.6 else "float64"


def sprinkle(rng, a, mode):
    """Valid-input data modes: plain, NaN/Inf sprinkled, huge values, exact zeros and ties."""
    if a.size == 0 or mode == "plain":
        return a
    a = a.copy()
    flat = a.reshape(-1)
    k = max(1, a.size // 4)
    idx = rng.integers(0, a.size, k)
    if mode == "nonfinite":
        flat[idx] = rng.choice([np.nan, np.inf, -np.inf], k)
    elif mode == "huge":
        flat[idx] = rng.choice([1e30, -1e30], k)
    elif mode == "ties":
        flat[:] = np.round(flat)
    return a


def data_mode(rng):
    return rng.choice(["plain"] * 6 + ["nonfinite", "huge", "ties"])


def arg_variants(rng, a, grad_ok=True):
    """An array as a Tensor of a random layout, or (sometimes) as a raw read-only/strided array."""
    r = rng.random()
    if r < 0.15 and a.ndim >= 1:
        return Arg(a, tensor=False, requires_grad=False, layout=rng.choice(["c", "readonly", "f"]))
    layout = rng.choice(["c", "c", "f", "strided"]) if a.ndim >= 1 else "c"
    return Arg(
        a, requires_grad=grad_ok and rng.random() < 0.85, layout=layout, old_grad=rng.random() < 0.3
    )


def materialise(tc, arg: Arg):
    """-> (object passed to the op, leaf tensor whose grad is compared or None)."""
    a = arg.data
    if not isinstance(a, np.ndarray) or a.dtype.kind not in "fiub":
        return a, None
    if not arg.tensor:
        a = a.copy()
        if arg.layout == "f":
            a = np.asfortranarray(a)
        if arg.layout == "readonly":
            a.flags.writeable = False
        return a, None
    if arg.layout == "strided":
        big = np.repeat(a, 2, axis=-1)
        leaf = tc.Tensor(big, requires_grad=arg.requires_grad)
        if arg.old_grad and arg.requires_grad:
            leaf.grad = np.full(big.shape, 0.5, leaf.dtype)
        return leaf[..., ::2], leaf
    data = np.asfortranarray(a) if arg.layout == "f" else a
    leaf = tc.Tensor(data, requires_grad=arg.requires_grad)
    if arg.old_grad and arg.requires_grad:
        leaf.grad = np.full(a.shape, 0.5, leaf.dtype)
    return leaf, leaf


def to_torch(torch, arg: Arg, dtype=None):
    a = arg.data
    if not isinstance(a, np.ndarray) or a.dtype.kind not in "fiub":
        return a, None
    src = a if a.dtype.kind == "f" else a.astype(np.float32)  # the dtype tinygrad_conv computes in
    if dtype is not None:
        src = src.astype(dtype)
    if arg.tensor and arg.layout == "strided":
        leaf = torch.tensor(np.repeat(src, 2, axis=-1), requires_grad=arg.requires_grad)
        if arg.old_grad and arg.requires_grad:
            leaf.grad = torch.full(tuple(leaf.shape), 0.5, dtype=leaf.dtype)
        return leaf[..., ::2], leaf
    leaf = torch.tensor(src, requires_grad=arg.tensor and arg.requires_grad)
    if arg.tensor and arg.old_grad and arg.requires_grad:
        leaf.grad = torch.full(tuple(leaf.shape), 0.5, dtype=leaf.dtype)
    return leaf, (leaf if arg.tensor else None)


# --------------------------------------------------------------------------------------------------
# Op generators: gen_<op>(rng, variant) -> Case. Variant 0 is valid; each generator lists its
# mutations.

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
            if name == "sum":
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


def gen_reshape(rng, variant):
    shape = rand_shape(rng, 1, 4, 4, zero=rng.random() < 0.05)
    size = int(np.prod(shape))
    dt = dtype_of(rng)
    a = farr(rng, shape, dt)
    new = list(rng.permutation(shape))
    if len(new) > 1 and rng.random() < 0.5:
        new = [new[0] * new[1]] + new[2:]
    if new and rng.random() < 0.4 and size > 0:
        new[int(rng.integers(len(new)))] = -1
    new = tuple(int(v) for v in new)
    method = rng.random() < 0.5  # x.reshape(*shape) or tc.reshape(x, shape)
    case = Case(
        "reshape",
        [arg_variants(rng, a)],
        {"shape": new},
        lambda tc, x, shape: x.reshape(*shape) if method else tc.reshape(x, shape),
        lambda torch, F, x, shape: x.reshape(shape),
        desc=f"reshape {shape}{dt} -> {new}",
    )
    case.args[0].tensor = True
    if variant == 0:
        return case
    mutations = ["size", "float", "two_neg", "neg"]
    kind = mutations[(variant - 1) % len(mutations)]
    case.params["shape"] = {
        "size": (size + 1,),
        "float": (float(size),),
        "two_neg": (-1, -1),
        "neg": (-2, -size if size else -3),
    }[kind]
    case.error = ("shape", "reshape")
    case.desc += f" -> bad {kind} {case.params['shape']}"
    return case


def gen_transpose(rng, variant):
    shape = rand_shape(rng, 1, 4, 4)
    nd = len(shape)
    dt = dtype_of(rng)
    a = farr(rng, shape, dt)
    if nd > 2 and rng.random() < 0.3:
        i, j = (int(v) for v in rng.choice(nd, 2, replace=False))
        axes, torch_axes = (i, j), None
    else:
        axes = tuple(int(v) for v in rng.permutation(nd)) if rng.random() < 0.8 else ()
        torch_axes = axes or tuple(reversed(range(nd)))

    def torch_call(torch, F, x, axes):
        return x.permute(*torch_axes) if torch_axes is not None else x.transpose(*axes)

    case = Case(
        "transpose",
        [arg_variants(rng, a)],
        {"axes": axes},
        lambda tc, x, axes: x.transpose(*axes),
        torch_call,
        desc=f"transpose {shape}{dt} axes={axes}",
    )
    case.args[0].tensor = True
    if variant == 0:
        return case
    mutations = ["dup", "range", "float", "len"]
    kind = mutations[(variant - 1) % len(mutations)]
    if kind == "dup":
        case.params["axes"] = (0,) * max(nd, 3) if nd != 2 else (0, 0, 1)
    elif kind == "range":
        case.params["axes"] = tuple(range(nd - 1)) + (nd + 5,)
    elif kind == "float":
        case.params["axes"] = (0.0,) + tuple(range(1, nd))
    else:
        case.params["axes"] = tuple(range(nd + 1)) if nd != 1 else (0, 1, 2)
    case.error = ("axes", "axis")
    case.desc += f" -> bad {kind} {case.params['axes']}"
    return case


def gen_flatten(rng, variant):
    shape = rand_shape(rng, 1, 4, 4)
    nd = len(shape)
    a = farr(rng, shape, dtype_of(rng))
    start = int(rng.integers(-nd, nd))
    end = int(rng.integers(start % nd, nd))
    if rng.random() < 0.3:
        end = end - nd
    case = Case(
        "flatten",
        [arg_variants(rng, a)],
        {"start_dim": start, "end_dim": end},
        lambda tc, x, start_dim, end_dim: x.flatten(start_dim, end_dim),
        lambda torch, F, x, start_dim, end_dim: x.flatten(start_dim, end_dim),
        desc=f"flatten {shape} {start}..{end}",
    )
    case.args[0].tensor = True
    if variant == 0:
        return case
    mutations = [("start_dim", nd + 1), ("end_dim", -nd - 2), ("start_dim", 0.5), ("end_dim", "1")]
    argname, value = mutations[(variant - 1) % len(mutations)]
    case.params[argname] = value
    case.error = (argname,)
    if variant % 5 == 0 and nd > 1:
        case.params.update(start_dim=nd - 1, end_dim=0)
        case.error = ("start_dim", "end_dim")
    case.desc += f" -> bad {case.params}"
    return case


def gen_getitem(rng, variant):
    shape = rand_shape(rng, 1, 3, 5)
    a = farr(rng, shape, dtype_of(rng))
    index = []
    for side in shape[: int(rng.integers(1, len(shape) + 1))]:
        r = rng.random()
        if r < 0.3:
            index.append(int(rng.integers(-side, side)))
        elif r < 0.7:
            start, step = int(rng.integers(0, side)), int(rng.integers(1, 3))
            index.append(slice(start, None, step))
        else:
            # One integer array and no ints (NumPy counts an int as an advanced index,
            # PyTorch does not,
            # so `[0, :, array]` means different things in the two): keep to their common ground.
            index = [slice(None) if isinstance(i, int) else i for i in index]
            index.append(rng.integers(0, side, size=int(rng.integers(1, 4))))
            break
    index = tuple(index)

    def torch_index(index):
        import torch

        return tuple(torch.from_numpy(i) if isinstance(i, np.ndarray) else i for i in index)

    case = Case(
        "getitem",
        [arg_variants(rng, a)],
        {"index": index},
        lambda tc, x, index: x[index],
        lambda torch, F, x, index: x[torch_index(index)],
        desc=f"getitem {shape} [{index}]",
    )
    case.args[0].tensor = True
    if variant == 0:
        return case
    mutations = ["int", "array", "float", "str", "too_many"]
    kind = mutations[(variant - 1) % len(mutations)]
    if kind == "int":
        case.params["index"] = (shape[0] + int(rng.integers(0, 5)),)
    elif kind == "array":
        case.params["index"] = (np.array([0, shape[0]]),)
    elif kind == "float":
        case.params["index"] = (1.5,)
    elif kind == "str":
        case.params["index"] = ("a",)
    else:
        case.params["index"] = (0,) * (len(shape) + 1)
    case.error = ("index",)
    case.desc += f" -> bad {kind} {case.params['index']!r}"
    return case


def gen_matmul(rng, variant):
    m, k, n = (int(v) for v in rng.integers(1, 5, 3))
    if rng.random() < 0.05:
        k = 0
    batch = rand_shape(rng, 0, 2, 3)
    form = rng.choice(["vv", "mv", "vm", "mm", "bmm"])
    sa = {"vv": (k,), "mv": (m, k), "vm": (k,), "mm": (m, k), "bmm": batch + (m, k)}[form]
    sb = {"vv": (k,), "mv": (k,), "vm": (k, n), "mm": (k, n), "bmm": batch[1:] + (k, n)}[form]
    dt = dtype_of(rng)
    a, b = farr(rng, sa, dt), farr(rng, sb, dt)
    functional = rng.random() < 0.5
    case = Case(
        "matmul",
        [arg_variants(rng, a), arg_variants(rng, b)],
        {},
        lambda tc, x, y: tc.matmul(x, y) if functional else x @ y,
        lambda torch, F, x, y: x @ y,
        desc=f"matmul {sa} @ {sb} {dt}",
    )
    case.args[0].tensor = True
    if variant == 0:
        return case
    mutations = ["inner", "scalar", "batch", "dtype"]
    kind = mutations[(variant - 1) % len(mutations)]
    if kind == "inner":
        case.args = [Arg(farr(rng, (m, k + 1), dt)), Arg(farr(rng, (k + 2, n), dt))]
        case.error = ("shape", "inner", "dimension")
    elif kind == "scalar":
        case.args = [Arg(farr(rng, (), dt)), Arg(farr(rng, (k, n), dt))]
        case.error = ("dimension", "shape")
    elif kind == "batch":
        case.args = [Arg(farr(rng, (2, m, k), dt)), Arg(farr(rng, (3, k, n), dt))]
        case.error = ("batch", "shape", "broadcast")
    else:
        case.args[1] = Arg(bad_array(rng, "object", (k, n)), tensor=False)
        case.error = ("data", "dtype")
    case.desc += f" -> bad {kind}"
    return case


def gen_softmax(name):
    def gen(rng, variant):
        shape = rand_shape(rng, 1, 4, 5, zero=rng.random() < 0.05)
        dt = dtype_of(rng)
        mode = data_mode(rng)
        a = sprinkle(rng, farr(rng, shape, dt), mode)
        axis = int(rng.integers(-len(shape), len(shape)))
        case = Case(
            name,
            [arg_variants(rng, a)],
            {"axis": axis},
            lambda tc, x, axis: getattr(tc, name)(x, axis=axis),
            lambda torch, F, x, axis: getattr(torch, name)(x, dim=axis),
            desc=f"{name} {shape}{dt} axis={axis} mode={mode}",
        )
        if mode == "huge":
            case.torch_grads = False  # 1e30 - 1e30 cancellations differ between any two libraries
        if 0 in shape:  # an empty result or a clean error naming the axis/input are both fine
            case.maybe_error = ("axis", "empty", "x", "zero-size")
        if variant == 0:
            return case
        case.maybe_error = None
        if 0 in shape:
            shape = (2, 3)
            case.args = [Arg(farr(rng, shape, dt))]
        mutations = [("axis", len(shape)), ("axis", 1.0), ("axis", None), ("zero_d", 0)]
        kind, value = mutations[(variant - 1) % len(mutations)]
        if kind == "zero_d":  # a 0-d tensor has axes 0 and -1 (PyTorch), not 1
            case.args = [Arg(farr(rng, (), dt))]
            case.params["axis"] = 1
        else:
            case.params["axis"] = value
        case.error = ("axis",)
        case.desc += f" -> bad {kind} {value!r}"
        return case

    return gen


def gen_tensor(rng, variant):
    """The constructor itself: valid data of many kinds, then bad data/requires_grad/dtype/name."""
    shape = rand_shape(rng, 0, 3, 4, zero=rng.random() < 0.1)
    kind = rng.choice(["float32", "float64", "int64", "int8", "bool", "list", "scalar"])
    if kind == "list":
        data = farr(rng, shape, "float64").tolist()
    elif kind == "scalar":
        data = float(rng.uniform(-3, 3)) if rng.random() < 0.5 else int(rng.integers(-5, 5))
    elif kind == "bool":
        data = rng.random(shape) < 0.5
    else:
        data = farr(rng, shape, "float64", -100, 100).astype(kind)
    dtype = rng.choice([None, "float32", "float64", np.float32, np.float64])
    expect = np.asarray(
        data,
        dtype=dtype
        or (data.dtype if isinstance(data, np.ndarray) and data.dtype.kind == "f" else np.float32),
    )
    params = {"data": data, "requires_grad": bool(rng.random() < 0.5), "dtype": dtype, "name": None}

    def call(tc, data, requires_grad, dtype, name):
        return tc.Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)

    case = Case(
        "Tensor",
        [],
        params,
        call,
        None,
        desc=f"Tensor({kind} {shape}, dtype={dtype})",
        extra={"expect": expect},
    )
    if variant == 0:
        return case
    mutations = [
        *[("data", k) for k in BAD_DTYPES],
        ("data", "ragged"),
        ("data", "none"),
        ("requires_grad", "yes"),
        ("requires_grad", 1),
        ("dtype", "int32"),
        ("dtype", "float16"),
        ("dtype", "banana"),
        ("name", 3),
    ]
    argname, what = mutations[(variant - 1) % len(mutations)]
    if argname == "data":
        params["dtype"] = None
        params["data"] = (
            {"ragged": [[1.0], [1.0, 2.0]], "none": None}.get(what)
            if what in ("ragged", "none")
            else bad_array(rng, what)
        )
    else:
        params[argname] = what
    case.error = (argname,)
    case.extra = {}
    case.desc += f" -> bad {argname}={what!r}"
    return case


def gen_backward(rng, variant):
    """Graph misuse: backward without grad on many elements, wrong grad shape/dtype, no graph."""
    shape = rand_shape(rng, 1, 3, 4)
    a = farr(rng, shape, dtype_of(rng))
    g = farr(rng, shape, "float64")
    modes = ["grad_shape", "no_grad_arg", "grad_dtype", "no_graph", "nested"]
    mode = "twice" if variant == 0 else modes[(variant - 1) % len(modes)]

    def call(tc, x, mode=mode, g=g):
        y = (x * 2.0 + 1.0).relu() * x
        if mode == "twice":
            y.backward(g)
            y.backward(g)
            return y
        KERNEL_CALLS[0] = 0  # the forward's kernels ran; the bad backward must run none
        if mode == "grad_shape":
            y.backward(np.ones(tuple(s + 1 for s in y.shape)))
        elif mode == "no_grad_arg":
            (y if y.size > 1 else tc.Tensor(np.ones(3), requires_grad=True) * 1.0).backward()
        elif mode == "grad_dtype":
            y.backward(np.full(y.shape, "a"))
        elif mode == "no_graph":
            with tc.no_grad():
                z = x * 2.0
            z.backward(g)
        else:
            y.backward(tc.Tensor(np.ones(y.size + 1)))
        return y

    def torch_call(torch, F, x, mode=mode, g=g):
        y = (x * 2.0 + 1.0).relu() * x
        gt = torch.from_numpy(g)
        y.backward(gt, retain_graph=True)
        y.backward(gt)
        return y

    case = Case(
        "backward",
        [Arg(a, layout="c", old_grad=rng.random() < 0.5)],
        {},
        call,
        torch_call,
        desc=f"backward {shape} {mode}",
        extra={"no_extra_backward": True},
    )
    if variant:
        case.error = {
            "grad_shape": ("grad",),
            "no_grad_arg": ("grad",),
            "grad_dtype": ("grad",),
            "no_graph": ("require",),
            "nested": ("grad",),
        }[mode]
    return case


# ----- conv2d, pools, cross_entropy: used once they exist in tinygrad_conv ------------------------


def _geometry(rng, max_k=4, big=False):
    h, w = (int(v) for v in (rng.integers(20, 33, 2) if big else rng.integers(1, 9, 2)))
    kh, kw = (int(v) for v in rng.integers(1, max_k + 1, 2))
    dh, dw = (int(v) for v in rng.integers(1, 3, 2)) if rng.random() < 0.3 else (1, 1)
    return h, w, kh, kw, dh, dw


def _conv_padding(rng, kh, kw, dh, dw, h, w):
    r = rng.random()
    if r < 0.15:
        return "same", (1, 1)
    if r < 0.25:
        return "valid", None
    if r < 0.6:
        return int(rng.integers(0, 3)), None
    return (int(rng.integers(0, 3)), int(rng.integers(0, 3))), None


def gen_conv2d(rng, variant):
    big = rng.random() < 0.06  # above the size where the kernels start a second thread
    for _ in range(100):
        h, w, kh, kw, dh, dw = _geometry(rng, big=big)
        padding, forced_stride = _conv_padding(rng, kh, kw, dh, dw, h, w)
        ph, pw = (
            (0, 0)
            if padding in ("valid", "same")
            else ((padding, padding) if isinstance(padding, int) else padding)
        )
        if padding == "same" or (
            h + 2 * ph >= dh * (kh - 1) + 1 and w + 2 * pw >= dw * (kw - 1) + 1
        ):
            break
    groups = int(rng.choice([1, 1, 1, 2, 3]))
    cin, cout = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
    n = int(rng.integers(1, 4)) if rng.random() > 0.05 else 0
    if big:
        n, cin = int(rng.integers(2, 5)), groups * int(rng.integers(2, 5))
    r = rng.random()
    stride = forced_stride or (
        (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        if r < 0.3
        else int(rng.integers(1, 4))
        if r < 0.9
        else 10**9
    )
    stride_arg = stride if forced_stride is None else 1
    dilation = (dh, dw) if dh != dw or rng.random() < 0.3 else dh
    dt = dtype_of(rng)
    mode = data_mode(rng)
    x = sprinkle(rng, farr(rng, (n, cin, h, w), dt), mode)
    weight = farr(rng, (cout, cin // groups, kh, kw), dt, -1, 1)
    bias = farr(rng, (cout,), dt) if rng.random() < 0.7 else None
    args = [arg_variants(rng, x), arg_variants(rng, weight)]
    if bias is not None:
        args.append(arg_variants(rng, bias))
    if not args[0].tensor:
        args[0] = Arg(x, layout=args[0].layout if args[0].layout != "readonly" else "c")
    params = {"stride": stride_arg, "padding": padding, "dilation": dilation, "groups": groups}
    method = rng.random() < 0.5

    def call(tc, x, weight, bias=None, **p):
        return x.conv2d(weight, bias, **p) if method else tc.conv2d(x, weight, bias, **p)

    def torch_call(torch, F, x, weight, bias=None, **p):
        return F.conv2d(x, weight, bias, **p)

    case = Case(
        "conv2d",
        args,
        params,
        call,
        torch_call,
        desc=f"conv2d x{x.shape} w{weight.shape} b={bias is not None} {dt} {params} mode={mode}",
    )
    if n == 0:
        case.maybe_error = ("x", "batch", "empty", "size")
    if stride == 10**9:
        case.torch_grads = False  # PyTorch's backward takes seconds for a stride this large
    if variant == 0:
        return case
    mutations = [
        "x_ndim",
        "w_ndim",
        "cin",
        "groups_div",
        "big_kernel",
        "bias_shape",
        "mixed_dtype",
        "w_dtype",
        "same_stride",
        *[("stride", v) for v in BAD_SCALARS],
        *[("padding", v) for v in (-1, "full", 1.5, (1, 2, 3), None, -(2**70))],
        *[("dilation", v) for v in (0, -2, 1.5, "1", (1,))],
        *[("groups", v) for v in (0, -1, 1.5, "1", None)],
        "zero_cin",
    ]
    kind = mutations[(variant - 1) % len(mutations)]
    case.maybe_error = None
    if n == 0:
        case.args[0] = Arg(farr(rng, (1, cin, h, w), dt))
    if isinstance(kind, tuple):
        argname, value = kind
        if value == 2**70 and argname != "stride":
            value = 2**70
        case.params[argname] = value
        case.error = (argname,)
        if argname == "stride" and value == 2**70:
            case.maybe_error, case.error = (
                ("stride",),
                None,
            )  # one output pixel: fine or a clean error
            case.torch_call = None
        kind = f"{argname}={value!r}"
    elif kind == "x_ndim":
        case.args[0] = Arg(farr(rng, (cin, h, w), dt))
        case.error = ("x", "input")
    elif kind == "w_ndim":
        case.args[1] = Arg(farr(rng, (cout, cin // groups, kh), dt))
        case.error = ("weight",)
    elif kind == "cin":
        case.args[1] = Arg(farr(rng, (cout, cin // groups + 1, kh, kw), dt))
        case.error = ("weight", "channel", "C_in")
    elif kind == "groups_div":
        case.params["groups"] = cin + 1
        case.error = ("groups",)
    elif kind == "big_kernel":
        case.args[1] = Arg(farr(rng, (cout, cin // groups, h + 5, w + 5), dt))
        case.params.update(padding=0, stride=1, dilation=1)
        case.error = ("kernel", "weight", "input", "size", "x")
    elif kind == "bias_shape":
        case.args[2:] = [Arg(farr(rng, (cout + 1,), dt))]
        case.error = ("bias",)
    elif kind == "mixed_dtype":
        other = "float64" if dt == "float32" else "float32"
        case.args[1] = Arg(weight.astype(other))
        case.error = ("dtype",)
    elif kind == "w_dtype":
        case.args[1] = Arg(bad_array(rng, rng.choice(BAD_DTYPES), weight.shape), tensor=False)
        case.error = ("weight", "data", "dtype")
    elif kind == "same_stride":
        case.params.update(padding="same", stride=2)
        case.error = ("same", "stride")
    else:  # zero_cin: a weight with no input channels
        case.args[0] = Arg(farr(rng, (1, 0, h, w), dt))
        case.args[1] = Arg(farr(rng, (cout, 0, kh, kw), dt))
        case.params["groups"] = 1
        case.error, case.maybe_error = None, ("x", "weight", "channel", "C_in", "empty", "size")
    case.desc += f" -> bad {kind}"
    return case


def gen_pool(name):
    def gen(rng, variant):
        big = rng.random() < 0.06  # above the size where the kernels start a second thread
        h, w = (int(v) for v in (rng.integers(24, 33, 2) if big else rng.integers(1, 9, 2)))
        kh, kw = int(rng.integers(1, h + 1)), int(rng.integers(1, w + 1))
        ksize = (kh, kw) if kh != kw or rng.random() < 0.3 else kh
        stride = (
            None
            if rng.random() < 0.4
            else (int(rng.integers(1, 4)) if rng.random() < 0.7 else (int(rng.integers(1, 4)), 1))
        )
        if rng.random() < 0.05:
            stride = 10**9
        pad = int(rng.integers(0, min(kh, kw) // 2 + 1)) if rng.random() < 0.4 else 0
        n, c = (4, 16) if big else (int(rng.integers(1, 3)), int(rng.integers(1, 4)))
        if rng.random() < 0.05:
            n = 0
        dt = dtype_of(rng)
        mode = data_mode(rng)
        x = sprinkle(rng, farr(rng, (n, c, h, w), dt), mode)
        params = {"kernel_size": ksize, "stride": stride, "padding": pad}
        case = Case(
            name,
            [arg_variants(rng, x)],
            params,
            lambda tc, x, **p: getattr(tc, name)(x, **p),
            lambda torch, F, x, **p: getattr(F, name)(x, **p),
            desc=f"{name} x{x.shape} {dt} {params} mode={mode}",
        )
        if n == 0:
            case.maybe_error = ("x", "batch", "empty", "size")
        if stride == 10**9:
            case.torch_grads = False  # PyTorch's backward takes seconds for a stride this large
        if variant == 0:
            return case
        case.maybe_error = None
        if n == 0:
            case.args = [Arg(farr(rng, (1, c, h, w), dt))]
        mutations = [
            *[("kernel_size", v) for v in (0, -1, 1.5, "2", None, (1, 2, 3), (h + 9, w + 9))],
            *[("stride", v) for v in (0, -1, 1.5, "2", (1, 2, 3))],
            *[("padding", v) for v in (-1, 1.5, "same", (1, 2, 3))],
            ("x", "ndim"),
            ("x", "dtype"),
        ]
        argname, value = mutations[(variant - 1) % len(mutations)]
        if argname == "x":
            case.args = [
                Arg(farr(rng, (c, h, w), dt))
                if value == "ndim"
                else Arg(bad_array(rng, rng.choice(BAD_DTYPES), (1, c, h, w)), tensor=False)
            ]
            case.error = ("x", "input", "data", "dtype")
        else:
            case.params[argname] = value
            if value == (h + 9, w + 9):  # bigger than the input, with no padding to help
                case.params["padding"] = 0
            case.error = (argname, "kernel", "input")
        case.desc += f" -> bad {argname}={value!r}"
        return case

    return gen


def gen_cross_entropy(rng, variant):
    n, c = int(rng.integers(1, 6)), int(rng.integers(1, 7))
    if rng.random() < 0.06:  # above the size where the kernels start a second thread
        n, c = int(rng.integers(400, 600)), int(rng.integers(70, 100))
    dt = dtype_of(rng)
    mode = rng.choice(["plain"] * 6 + ["huge", "nonfinite"])
    scale = 1e4 if mode == "huge" else 3.0
    logits = sprinkle(
        rng, farr(rng, (n, c), dt, -scale, scale), "nonfinite" if mode == "nonfinite" else "plain"
    )
    target = rng.integers(0, c, n).astype(rng.choice(["int64", "int32", "intp", "uint8", "int16"]))
    reduction = str(rng.choice(["mean", "sum", "none"]))
    smoothing = float(rng.choice([0.0, 0.0, 0.1, 0.5, 1.0]))
    args = [
        arg_variants(rng, logits),
        Arg(target, tensor=False, requires_grad=False, layout=rng.choice(["c", "readonly"])),
    ]
    args[0].tensor = True
    method = rng.random() < 0.5

    def call(tc, x, target, **p):
        if method and isinstance(x, tc.Tensor):
            return x.cross_entropy(target, **p)
        return tc.cross_entropy(x, target, **p)

    def torch_call(torch, F, x, target, **p):
        return F.cross_entropy(x, torch.as_tensor(np.asarray(target, np.int64)), **p)

    case = Case(
        "cross_entropy",
        args,
        {"reduction": reduction, "label_smoothing": smoothing},
        call,
        torch_call,
        desc=f"cross_entropy ({n},{c}){dt} t={target.dtype} {reduction} ls={smoothing} mode={mode}",
    )
    case.extra["int_target"] = True
    if mode == "huge":
        case.torch_grads = True
    if variant == 0:
        return case
    mutations = [
        "t_float",
        "t_bool",
        "t_object",
        "t_str",
        "t_high",
        "t_neg",
        "t_len",
        "t_2d",
        "t_scalar",
        "t_list_bad",
        "t_nan",
        "t_inf",
        "t_int64_max",
        "t_uint64_max",
        "t_none",
        "t_complex",
        "t_dict",
        "x_1d",
        "x_3d",
        "x_dtype",
        *[("reduction", v) for v in ("avg", None, 1, "MEAN")],
        *[("label_smoothing", v) for v in (-0.1, 1.5, "0.1", None, float("nan"))],
    ]
    kind = mutations[(variant - 1) % len(mutations)]
    bad_t = {
        "t_float": lambda: target + 0.5,
        "t_bool": lambda: np.ones(n, bool),
        "t_object": lambda: np.array([object()] * n, dtype=object),
        "t_str": lambda: np.array(["1"] * n),
        "t_high": lambda: np.full(n, c, np.int64),
        "t_neg": lambda: np.full(n, -1, np.int64),
        "t_len": lambda: np.zeros(n + 1, np.int64),
        "t_2d": lambda: np.zeros((n, c), np.int64),
        "t_scalar": lambda: np.int64(0),
        "t_list_bad": lambda: [0.5] * n,
        "t_nan": lambda: np.full(n, np.nan),
        "t_inf": lambda: np.full(n, np.inf),
        "t_int64_max": lambda: np.full(n, 2**63 - 1),
        "t_uint64_max": lambda: np.full(n, 2**64 - 1, np.uint64),
        "t_none": lambda: None,
        "t_complex": lambda: np.zeros(n, np.complex64),
        "t_dict": lambda: {0: 1},
    }
    if isinstance(kind, tuple):
        case.params[kind[0]] = kind[1]
        case.error = (kind[0],)
    elif kind in bad_t:
        case.args[1] = Arg(bad_t[kind](), tensor=False)
        case.error = ("target",)
    elif kind == "x_1d":
        case.args[0] = Arg(farr(rng, (c,), dt))
        case.error = ("logits", "x", "input", "self")
    elif kind == "x_3d":
        case.args[0] = Arg(farr(rng, (n, c, 2), dt))
        case.error = ("logits", "x", "input", "self")
    else:
        case.args[0] = Arg(bad_array(rng, rng.choice(BAD_DTYPES), (n, c)), tensor=False)
        case.error = ("logits", "x", "input", "data", "dtype")
    case.desc += f" -> bad {kind}"
    return case


# ----- nn layers and optimisers -------------------------------------------------------------------


def gen_layer(rng, variant):
    kind = rng.choice(
        [
            "Conv2d",
            "Linear",
            "MaxPool2d",
            "AvgPool2d",
            "Flatten",
            "ReLU",
            "Sequential",
            "CrossEntropyLoss",
        ]
    )
    target = None
    dt = "float32"
    if kind in ("Conv2d", "Sequential"):
        groups = int(rng.choice([1, 1, 2]))
        cin, cout = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
        k = int(rng.integers(1, 4))
        kwargs = {
            "stride": int(rng.integers(1, 3)),
            "padding": int(rng.integers(0, 2)),
            "groups": groups,
            "bias": bool(rng.random() < 0.7),
        }
        if rng.random() < 0.3:
            kwargs.update(stride=1, padding="same", dilation=int(rng.integers(1, 3)))
        ctor = ("Conv2d", (cin, cout, k), kwargs)
        x = farr(rng, (int(rng.integers(1, 3)), cin, k + 2, k + 3), dt)
    elif kind == "Linear":
        fin, fout = (int(v) for v in rng.integers(1, 6, 2))
        ctor = ("Linear", (fin, fout), {"bias": bool(rng.random() < 0.7)})
        x = farr(rng, (int(rng.integers(1, 4)), fin), dt)
    elif kind in ("MaxPool2d", "AvgPool2d"):
        k = int(rng.integers(1, 4))
        ctor = (kind, (k,), {"stride": None if rng.random() < 0.5 else int(rng.integers(1, 3))})
        x = farr(rng, (1, 2, k + 2, k + 1), dt)
    elif kind == "Flatten":
        ctor = ("Flatten", (), {})
        x = farr(rng, (2, 3, 2, 2), dt)
    elif kind == "CrossEntropyLoss":
        kw = {
            "reduction": str(rng.choice(["mean", "sum", "none"])),
            "label_smoothing": float(rng.choice([0.0, 0.2])),
        }
        ctor = ("CrossEntropyLoss", (), kw)
        n, c = (int(v) for v in rng.integers(1, 6, 2))
        x = farr(rng, (n, c), dt)
        target = rng.integers(0, c, n)
    else:
        ctor = ("ReLU", (), {})
        x = farr(rng, (2, 3), dt)
    seed = int(rng.integers(0, 2**31))

    def build(nn_mod, ctor=ctor, sequential=(kind == "Sequential")):
        name, a, kw = ctor
        layer = getattr(nn_mod, name)(*a, **kw)
        return nn_mod.Sequential(layer, nn_mod.ReLU(), nn_mod.Flatten()) if sequential else layer

    def call(tc, x):
        import tinygrad_conv.nn as nn

        layer = build(nn)
        r = np.random.default_rng(seed)
        for p in layer.parameters():  # deterministic weights, the same in the PyTorch twin
            p.data[...] = r.uniform(-1, 1, p.shape).astype(p.dtype)
        call.params = list(layer.parameters())
        return layer(x) if target is None else layer(x, target)

    def torch_call(torch, F, x):
        layer = build(torch.nn)
        r = np.random.default_rng(seed)
        with torch.no_grad():
            for p in layer.parameters():
                p.copy_(torch.from_numpy(r.uniform(-1, 1, tuple(p.shape)).astype(np.float32)))
        torch_call.params = list(layer.parameters())
        return layer(x) if target is None else layer(x, torch.from_numpy(target))

    case = Case(
        f"nn.{kind}",
        [Arg(x)],
        {},
        call,
        torch_call,
        desc=f"nn.{kind} {ctor} x{x.shape}",
        extra={"layer_params": True},
    )
    if variant == 0:
        return case
    bad = {
        "Conv2d": [(0, "in_channels"), (1, "out_channels"), (2, "kernel_size")],
        "Sequential": [(0, "in_channels"), (2, "kernel_size")],
        "Linear": [(0, "in_features"), (1, "out_features")],
        "MaxPool2d": [(0, "kernel_size")],
        "AvgPool2d": [(0, "kernel_size")],
    }
    if kind == "CrossEntropyLoss":
        argname, value = [
            ("reduction", "avg"),
            ("reduction", None),
            ("label_smoothing", 2.0),
            ("label_smoothing", "0.1"),
        ][variant % 4]
        kw = dict(ctor[2], **{argname: value})

        def bad_loss(tc, x, kw=kw):
            import tinygrad_conv.nn as nn

            return nn.CrossEntropyLoss(**kw)(x, target)

        case.call = bad_loss
        case.error = (argname,)
        case.desc += f" -> {argname}={value!r}"
    elif kind in bad:
        pos, argname = bad[kind][variant % len(bad[kind])]
        value = [0, -1, 1.5, "3", None][(variant // 3) % 5]
        name, a, kw = ctor
        a = list(a)
        a[pos] = value
        case.call = lambda tc, x, ctor=(name, tuple(a), kw): build(
            __import__("tinygrad_conv.nn", fromlist=["nn"]), ctor
        )
        case.error = (argname,)
        case.desc += f" -> {argname}={value!r}"
    else:  # forward with a wrong input: a string array
        case.args = [Arg(np.full((2, 3), "a"), tensor=False)]
        case.error = ("data", "dtype", "x", "input")
        case.desc += " -> string input"
    return case


def gen_optim(rng, variant):
    which = rng.choice(["SGD", "Adam"])
    shape = rand_shape(rng, 1, 3, 4)
    w = farr(rng, shape, "float32")
    g = farr(rng, shape, "float32")
    if which == "SGD":
        kw = {
            "lr": float(rng.uniform(0.01, 0.5)),
            "momentum": float(rng.choice([0.0, 0.9])),
            "weight_decay": float(rng.choice([0.0, 0.01])),
        }
        kw["nesterov"] = bool(kw["momentum"] > 0 and rng.random() < 0.5)
    else:
        kw = {
            "lr": float(rng.uniform(0.001, 0.1)),
            "betas": (0.9, 0.999),
            "eps": 1e-8,
            "weight_decay": float(rng.choice([0.0, 0.01])),
        }
    steps = int(rng.integers(1, 4))

    def call(tc, x, kw=kw):
        import tinygrad_conv.optim as optim

        opt = getattr(optim, which)([x], **kw)
        for _ in range(steps):
            opt.zero_grad()
            (x * tc.Tensor(g)).sum().backward()
            opt.step()
        return x.detach()

    def torch_call(torch, F, x, kw=kw):
        leaf = x.detach().float().clone().requires_grad_(True)
        opt = getattr(torch.optim, which)([leaf], **kw)
        for _ in range(steps):
            opt.zero_grad()
            (leaf * torch.from_numpy(g)).sum().backward()
            opt.step()
        return leaf.detach()

    case = Case(
        f"optim.{which}",
        [Arg(w, old_grad=False)],
        {},
        call,
        torch_call,
        torch_grads=False,
        desc=f"optim.{which} {shape} {kw} steps={steps}",
        extra={"no_extra_backward": True, "updates_inputs": True},
    )
    if variant == 0:
        return case
    bad = [("lr", -0.1), ("lr", "0.1"), ("lr", None), ("weight_decay", -1.0)]
    bad += (
        [("momentum", -0.5)]
        if which == "SGD"
        else [("betas", (1.5, 0.9)), ("eps", -1.0), ("betas", 0.9)]
    )
    argname, value = bad[(variant - 1) % len(bad)]
    kw = dict(kw, **{argname: value})

    def bad_call(tc, x, kw=kw):
        import tinygrad_conv.optim as optim

        return getattr(optim, which)([x], **kw)

    case.call = bad_call
    case.error = (argname,)
    case.desc += f" -> {argname}={value!r}"
    return case


def gen_anomaly(rng, variant):
    """detect_anomaly: NaN/Inf in an op's forward output, or in a gradient in backward, raises
    RuntimeError naming the op and the phase; nothing is written into .grad."""
    import tinygrad_conv as tc

    choices = ["relu", "exp", "log", "matmul", "tanh"] + [
        name for name in ("conv2d", "max_pool2d", "cross_entropy") if hasattr(tc, name)
    ]
    op = str(rng.choice(choices))
    phase = "forward" if variant % 2 == 0 else "backward"
    dt = dtype_of(rng)
    x = farr(rng, (2, 3, 4, 4) if op in ("conv2d", "max_pool2d") else (3, 4), dt)
    if op in ("log", "relu"):  # log: only the NaN may be non-finite; relu: passes grads on
        x = np.abs(x) + 0.1
    if phase == "forward":
        x.reshape(-1)[int(rng.integers(x.size))] = np.nan  # (an Inf may vanish: tanh(inf) = 1)
    other = {"conv2d": farr(rng, (2, 3, 3, 3), dt), "matmul": farr(rng, (4, 2), dt)}.get(op)

    def call(tc, x, other=None):
        with tc.detect_anomaly():
            if op == "conv2d":
                y = tc.conv2d(x, other)
            elif op == "matmul":
                y = x @ other
            elif op == "max_pool2d":
                y = tc.max_pool2d(x, 2)
            elif op == "cross_entropy":
                y = tc.cross_entropy(x, np.zeros(3, np.int64), reduction="none")
            else:
                y = getattr(x, op)()
            if phase == "backward":
                grad = np.ones(y.shape, y.dtype)
                grad.reshape(-1)[0] = np.nan
                y.backward(grad)
        return y

    args = [Arg(x, old_grad=rng.random() < 0.5)] + ([Arg(other)] if other is not None else [])
    case = Case("anomaly", args, {}, call, None, desc=f"detect_anomaly {op} {phase} {dt}")
    case.error = (op,)
    case.extra["must_contain"] = (op, phase)
    case.extra["kernels_before_error_ok"] = True  # an anomaly is seen in what a kernel computed
    return case


class InputsChanged(Exception):
    """Raised by a case's own check when a failed call changed state it must leave alone."""


def _small_graph(tc, x, w):
    h = (x @ w).relu() * 2.0
    return (h.log_softmax(axis=-1) + h.tanh()).sum(axis=0)


def _small_graph_torch(torch, F, x, w, **options):
    h = (x @ w).relu() * 2.0
    y = (h.log_softmax(dim=-1) + h.tanh()).sum(dim=0)
    y.backward(torch.from_numpy(_small_graph_torch.grad))
    return y


def gen_graph(rng, variant):
    """draw_graph and trace_backward: the picture names every op, the grads (from backward or
    trace_backward) match PyTorch's; bad options raise naming the option."""
    x, w = farr(rng, (3, 4), "float64"), farr(rng, (4, 5), "float64")
    g = farr(rng, (5,), "float64")
    options = {
        "show_data": bool(rng.random() < 0.5),
        "show_grad": bool(rng.random() < 0.5),
        "rankdir": str(rng.choice(["TB", "BT", "LR", "RL"])),
        "max_nodes": None if rng.random() < 0.6 else int(rng.integers(1, 12)),
        "group_modules": bool(rng.random() < 0.5),
    }
    traced = rng.random() < 0.5
    valid = variant == 0
    _small_graph_torch.grad = g

    def call(tc, x, w, **options):
        y = _small_graph(tc, x, w)
        if not valid:  # bad options: drawing the forward graph must fail before anything runs
            KERNEL_CALLS[0] = 0
        elif traced:
            trace = tc.trace_backward(y, g)
            ops = [step.op for step in trace.steps]
            if ops[0] != "sum" or "matmul" not in ops or not str(trace):
                raise AssertionError(f"trace steps {ops}")
        else:
            y.backward(g)
        graph = tc.draw_graph(y, **options)
        if options.get("max_nodes") is None and not all(
            op in graph.source for op in ("matmul", "relu", "log_softmax", "tanh", "sum")
        ):
            raise AssertionError("an op is missing from the picture")
        return y

    case = Case(
        "graph",
        [Arg(x, old_grad=False), Arg(w, old_grad=False)],
        options,
        call,
        _small_graph_torch,
        desc=f"graph traced={traced} {options}",
    )
    case.extra["no_extra_backward"] = True  # the call ran backward (or trace_backward) with g
    if variant == 0:
        return case
    bad = [
        ("rankdir", "XY"),
        ("rankdir", None),
        ("max_nodes", 0),
        ("max_nodes", -3),
        ("max_nodes", 1.5),
        ("max_nodes", "3"),
        ("grad", "shape"),
        ("grad", "str"),
    ]
    argname, value = bad[(variant - 1) % len(bad)]
    if argname == "grad":
        bad_grad = np.ones(6) if value == "shape" else np.full(5, "a")

        def grad_call(tc, x, w, **options):
            y = _small_graph(tc, x, w)
            KERNEL_CALLS[0] = 0  # the forward's kernels ran; the bad backward must run none
            return tc.trace_backward(y, bad_grad)

        case.call = grad_call
    else:
        case.params[argname] = value
    case.error = (argname,)
    case.desc += f" -> {argname}={value!r}"
    return case


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


GENERATORS: dict[str, Callable] = {
    **{name: gen_binary(name) for name in BINARY},
    **{name: gen_unary(name) for name in UNARY},
    **{name: gen_reduce(name) for name in ("sum", "mean", "max")},
    "reshape": gen_reshape,
    "transpose": gen_transpose,
    "flatten": gen_flatten,
    "getitem": gen_getitem,
    "matmul": gen_matmul,
    "softmax": gen_softmax("softmax"),
    "log_softmax": gen_softmax("log_softmax"),
    "Tensor": gen_tensor,
    "backward": gen_backward,
    "conv2d": gen_conv2d,
    "max_pool2d": gen_pool("max_pool2d"),
    "avg_pool2d": gen_pool("avg_pool2d"),
    "cross_entropy": gen_cross_entropy,
    "nn": gen_layer,
    "optim": gen_optim,
    "anomaly": gen_anomaly,
    "graph": gen_graph,
    "batches": gen_batches,
    "state_dict": gen_state_dict,
    "tensor_methods": gen_tensor_methods,
    "_segfault": gen_segfault,
}
NEEDS = {
    "conv2d": "conv2d",
    "max_pool2d": "max_pool2d",
    "avg_pool2d": "avg_pool2d",
    "cross_entropy": "cross_entropy",
    "nn": "nn",
    "optim": "optim",
    "state_dict": "nn",
    "graph": "draw_graph",
}


def available_ops() -> list[str]:
    """The generators whose operation exists in the installed tinygrad_conv."""
    import importlib

    import tinygrad_conv as tc

    ops = []
    for name in GENERATORS:
        if name.startswith("_"):
            continue
        need = NEEDS.get(name)
        if need == "nn" and not all(hasattr(tc, f) for f in ("conv2d", "max_pool2d", "avg_pool2d")):
            continue
        if need in ("nn", "optim"):
            try:
                importlib.import_module(f"tinygrad_conv.{need}")
                if need == "nn":
                    importlib.import_module("tinygrad_conv.nn").Conv2d  # noqa: B018
            except (ImportError, AttributeError):
                continue
        elif need is not None and not hasattr(tc, need):
            continue
        ops.append(name)
    return ops


# --------------------------------------------------------------------------------------------------
# Running one case (in the worker)


KERNEL_CALLS = [0]  # kernel calls since the last reset (instrument_kernels counts them)
BACKENDS = ["cython", "numpy"]


def _counted(fn):
    def counted(*args, **kwargs):
        KERNEL_CALLS[0] += 1
        return fn(*args, **kwargs)

    return counted


def instrument_kernels(tc) -> None:
    """Count every kernel call on both backends, so an error can be checked to come before any
    kernel ran; without compiled kernels, compare the NumPy twins with themselves."""
    from tinygrad_conv import _backend

    try:
        tc.set_backend("cython")
    except ImportError:
        BACKENDS[:] = ["numpy"]
    for namespace in (_backend._numpy_kernels, _backend._cython_kernels):
        if namespace is None:
            continue
        for name, fn in list(vars(namespace).items()):
            if callable(fn) and not isinstance(fn, type) and not name.startswith("_"):
                setattr(namespace, name, _counted(fn))


def snapshot(objs, leaves):
    """Bytes of every array the call could touch: raw arrays, tensors' data and grads."""
    out = []
    for o in list(objs) + [leaf for leaf in leaves if leaf is not None]:
        data = o if isinstance(o, np.ndarray) else getattr(o, "data", None)
        if isinstance(data, np.ndarray) and data.dtype.kind in "fiub":
            grad = getattr(o, "grad", None)
            out.append((data.tobytes(), data.shape, None if grad is None else grad.tobytes()))
    return out


def _call(tc, case, objs):
    return case.call(tc, *objs, **{k: v for k, v in case.params.items()})


def run_backend(tc, case, backend, seed):
    """Forward (+ backward with a seeded grad) on one backend -> (output, [leaf grads], changed)."""
    tc.set_backend(backend)
    made = [materialise(tc, a) for a in case.args]
    objs, leaves = [m[0] for m in made], [m[1] for m in made]
    watched = [o for o in objs if isinstance(o, np.ndarray) and o.dtype.kind in "fiub"]
    if not case.extra.get("updates_inputs"):  # an optimizer's step changes them on purpose
        watched += [leaf.data for leaf in leaves if leaf is not None]
    before = [(a.tobytes(), a.shape) for a in watched]
    out = _call(tc, case, objs)
    if case.op == "Tensor":
        return out.data, [], False
    params = getattr(case.call, "params", []) if case.extra.get("layer_params") else []
    tracked = [leaf for leaf in leaves + params if leaf is not None]
    if out.requires_grad and not case.extra.get("no_extra_backward"):
        g = np.random.default_rng(seed).uniform(-1, 1, out.shape).astype(out.dtype)
        g_bytes = g.tobytes()
        old = [None if t.grad is None else t.grad.copy() for t in tracked]
        out.backward(g)
        first = [None if t.grad is None else t.grad.copy() for t in tracked]
        graph = [t for t in tc.autograd.topo_order(out) if t.grad is not None]
        _check_no_shared_grads(graph + [t for t in tracked if t not in graph], g, watched)
        out.backward(g)  # a second backward accumulates the same gradient again (API.md)
        if g.tobytes() != g_bytes:
            raise InputsChanged("backward wrote into the grad array it was given")
        rtol, atol = tolerances(case)
        for t, o, f in zip(tracked, old, first, strict=True):
            if f is None:
                continue
            base = np.zeros_like(f) if o is None else o
            ok = np.isfinite(f) & np.isfinite(base)  # inf - inf says nothing about accumulation
            step, again = (f - base)[ok], (t.grad - f)[ok]
            if not close(again, step, rtol * 10, atol * 10, scale=max(1.0, _absmax(f[ok]))):
                raise WrongResult("a second backward did not add the same gradient again")
        for t, f in zip(tracked, first, strict=True):  # compare the first pass from here on
            t.grad = f
    grads = [
        None if leaf is None or leaf.grad is None else leaf.grad.copy() for leaf in leaves + params
    ]
    after = [(a.tobytes(), a.shape) for a in watched]
    return np.array(out.data, copy=True), grads, before != after


class WrongResult(Exception):
    """A check inside the run found a wrong number."""


def _is_float(a) -> bool:
    return isinstance(a, np.ndarray) and a.dtype.kind == "f"


def _absmax(a) -> float:
    a = np.asarray(a, np.float64)
    return float(np.max(np.abs(a[np.isfinite(a)]), initial=0))


def _check_no_shared_grads(tracked, g, data_arrays) -> None:
    """No two tensors (leaves or intermediate) share one grad array, and no grad is the user's grad
    array or input data: a later backward's `+=` would otherwise change both."""
    grads = [t.grad for t in tracked if t.grad is not None]
    for i, a in enumerate(grads):
        others = grads[i + 1 :] + [g] + list(data_arrays)
        if any(np.shares_memory(a, b) for b in others if b.size and a.size):
            raise WrongResult("a .grad array shares memory with another grad, grad_out or data")


def tolerances(case):
    dts = [
        a.data.dtype
        for a in case.args
        if isinstance(a.data, np.ndarray) and a.data.dtype.kind == "f"
    ]
    single = not dts or any(d == np.float32 for d in dts) or case.op.startswith(("nn", "optim"))
    return (2e-4, 2e-5) if single else (1e-9, 1e-12)


def close(a, b, rtol, atol, scale=None):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        return False
    scale = (
        scale
        if scale is not None
        else max(1.0, float(np.max(np.abs(b[np.isfinite(b)]), initial=0)))
    )
    return bool(np.allclose(a, b, rtol=rtol, atol=atol * scale, equal_nan=True))


def run_torch(torch, case, seed):
    import torch.nn.functional as F

    made = [to_torch(torch, a, case.extra.get("torch_dtype")) for a in case.args]
    objs, leaves = [m[0] for m in made], [m[1] for m in made]
    if case.extra.get("int_target") and len(objs) > 1:
        objs[1] = case.args[1].data
    out = case.torch_call(torch, F, *objs, **case.params)
    grads = []
    if out.requires_grad and case.torch_grads and not case.extra.get("no_extra_backward"):
        g = (
            np.random.default_rng(seed)
            .uniform(-1, 1, tuple(out.shape))
            .astype(np.float32 if tolerances(case)[0] > 1e-6 else np.float64)
        )
        out.backward(torch.from_numpy(g).to(out.dtype))
    params = getattr(case.torch_call, "params", []) if case.extra.get("layer_params") else []
    for leaf in leaves + params:
        grads.append(None if leaf is None or leaf.grad is None else leaf.grad.numpy())
    return out.detach().numpy(), grads


def names_argument(message: str, fragments) -> bool:
    low = message.lower()
    return any(f.lower() in low for f in fragments)


def run_case(tc, torch, op, variant, seed) -> dict:
    """-> {"status": ok|wrong|not_rejected|bad_error|changed, "detail": str, "desc": str}"""
    rng = np.random.default_rng(seed)
    case = GENERATORS[op](rng, variant)
    result = {"desc": case.desc, "status": "ok", "detail": "", "valid": case.error is None}
    if case.error is None and case.maybe_error is None:
        return _run_valid(tc, torch, case, seed, result)
    fragments = case.error or case.maybe_error
    for backend in BACKENDS:
        tc.set_backend(backend)
        made = [materialise(tc, a) for a in case.args]
        objs, leaves = [m[0] for m in made], [m[1] for m in made]
        before = snapshot(objs, leaves)
        KERNEL_CALLS[0] = 0
        try:
            out = _call(tc, case, objs)
            if case.error is not None:
                result.update(
                    status="not_rejected",
                    detail=f"{backend}: no error, returned "
                    f"{type(out).__name__} {getattr(out, 'shape', '')}",
                )
                return result
        except ALLOWED_ERRORS as err:
            required = case.extra.get("must_contain", ())
            if not names_argument(str(err), fragments) or not all(
                names_argument(str(err), (word,)) for word in required
            ):
                result.update(
                    status="bad_error",
                    detail=f"{backend}: {type(err).__name__}: {err} (expected one of {fragments})",
                )
                return result
            if snapshot(objs, leaves) != before:
                result.update(status="changed", detail=f"{backend}: inputs changed after {err}")
                return result
            if KERNEL_CALLS[0] and not case.extra.get("kernels_before_error_ok"):
                result.update(
                    status="late_error",
                    detail=f"{backend}: {type(err).__name__}: {err} "
                    f"came after {KERNEL_CALLS[0]} kernel call(s)",
                )
                return result
            result["valid"] = False
            continue
        except InputsChanged as err:
            result.update(status="changed", detail=f"{backend}: {err}")
            return result
        except Exception as err:  # noqa: BLE001 - any other class is the finding
            result.update(status="bad_error", detail=f"{backend}: {type(err).__name__}: {err}")
            return result
        if case.maybe_error is not None:  # accepted: the result must then be right
            result["valid"] = True
            return _run_valid(tc, torch, case, seed, result)
    return result


def _one_thread_differs(tc, case, seed, out, grads) -> str:
    """For inputs big enough that the compiled kernels split their work over threads: the same call
    on one thread gives the same bits (each thread owns whole planes or rows, nothing is summed
    across threads). -> "" or what differed."""
    from tinygrad_conv import _backend

    sizes = [a.data.size for a in case.args if isinstance(a.data, np.ndarray)]
    if BACKENDS[0] != "cython" or max(sizes, default=0) < 8192 or _backend._max_threads < 2:
        return ""
    previous = _backend._max_threads
    tc.set_num_threads(1)
    try:
        out_1, grads_1, _ = run_backend(tc, case, "cython", seed)
    finally:
        tc.set_num_threads(previous)
    if not np.array_equal(out, out_1, equal_nan=True):
        return f"cython forward on 1 and {previous} threads differ"
    for i, (g, g1) in enumerate(zip(grads, grads_1, strict=True)):
        if (g is None) != (g1 is None) or (g is not None and not np.array_equal(g, g1, True)):
            return f"cython grad {i} on 1 and {previous} threads differs"
    return ""


def _run_valid(tc, torch, case, seed, result):
    try:
        out_c, grads_c, changed_c = run_backend(tc, case, BACKENDS[0], seed)
        out_n, grads_n, changed_n = run_backend(tc, case, "numpy", seed)
    except (InputsChanged, WrongResult) as err:
        status = "changed" if isinstance(err, InputsChanged) else "wrong"
        result.update(status=status, detail=f"{err}\n" + traceback.format_exc(limit=-3))
        return result
    except Exception as err:  # noqa: BLE001
        result.update(
            status="bad_error" if case.maybe_error is None else result["status"],
            detail=f"valid input raised {type(err).__name__}: {err}\n"
            + traceback.format_exc(limit=-3),
        )
        if (
            case.maybe_error is not None
            and isinstance(err, ALLOWED_ERRORS)
            and names_argument(str(err), case.maybe_error)
        ):
            result.update(status="ok", detail="", valid=False)
        return result
    threads = _one_thread_differs(tc, case, seed, out_c, grads_c)
    if threads:
        result.update(status="wrong", detail=threads)
        return result
    if changed_c or changed_n:
        result.update(status="changed", detail="a valid call wrote into its input array")
        return result
    rtol, atol = tolerances(case)
    if case.op == "Tensor":
        expect = case.extra["expect"]
        if out_c.dtype != expect.dtype or not np.array_equal(out_c, expect, equal_nan=True):
            result.update(status="wrong", detail=f"Tensor data {out_c.dtype} != {expect.dtype}")
        return result
    if not close(out_c, out_n, rtol, atol):
        result.update(status="wrong", detail=f"cython vs numpy forward differ:\n{out_c}\n{out_n}")
        return result
    for i, (gc, gn) in enumerate(zip(grads_c, grads_n, strict=True)):
        if (gc is None) != (gn is None) or (gc is not None and not close(gc, gn, rtol, atol)):
            result.update(status="wrong", detail=f"cython vs numpy grad {i} differ:\n{gc}\n{gn}")
            return result
    if torch is None or case.torch_call is None:
        return result
    out_t, grads_t = run_torch(torch, case, seed)
    scale = max(1.0, _absmax(out_t), *(_absmax(a.data) for a in case.args if _is_float(a.data)))
    # Scaled by the inputs too: a sum of +-1e30 and small values cancels differently per library.
    if not close(out_c, out_t, max(rtol, 1e-4) if rtol > 1e-6 else 1e-7, atol, scale=scale):
        result.update(status="wrong", detail=f"vs torch forward differ:\n{out_c}\n{out_t}")
        return result
    if case.torch_grads:
        for i, (gc, gt) in enumerate(zip(grads_c, grads_t, strict=False)):
            if gt is None and gc is None:
                continue
            if gt is not None and gc is not None:  # (a float64 twin of a float32 leaf overflows
                with np.errstate(over="ignore"):  # only once cast back, as the leaf's grad does)
                    gt = np.asarray(gt).astype(gc.dtype)
            if (gc is None) != (gt is None) or not close(
                gc, gt, max(rtol, 1e-4) if rtol > 1e-6 else 1e-7, atol * 10
            ):
                result.update(status="wrong", detail=f"vs torch grad {i} differ:\n{gc}\n{gt}")
                return result
    return result


def worker(conn) -> None:
    """Long-lived worker: receives lists of (op, variant, seed), sends one result dict per case."""
    import warnings

    warnings.simplefilter("ignore")
    np.seterr(all="ignore")
    import tinygrad_conv as tc

    instrument_kernels(tc)
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch = None
    conn.send("ready")
    while True:
        try:
            batch = conn.recv()
        except EOFError:
            return
        if batch is None:
            return
        for op, variant, seed in batch:
            try:
                result = run_case(tc, torch, op, variant, seed)
            except Exception as err:  # noqa: BLE001 - a bug in the case itself, reported as such
                result = {
                    "status": "harness",
                    "detail": traceback.format_exc(),
                    "desc": repr(err),
                    "valid": None,
                }
            conn.send(result)


if __name__ == "__main__":  # replay one case: python tests/fuzz_cases.py OP VARIANT SEED
    import tinygrad_conv as tc

    try:
        import torch
    except ImportError:
        torch = None
    instrument_kernels(tc)
    op, variant, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    print(run_case(tc, torch, op, variant, seed))
