"""Fuzz generators for movement, indexing, matmul, softmax, Tensor() and backward()."""

from __future__ import annotations

import numpy as np

from .common import *  # noqa: F403
from .gen_math import *  # noqa: F403


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
        axes, torch_axes = (i, j), None  # two ints: PyTorch's swap
    else:  # a full permutation as one tuple: NumPy's rule (as two ints on 2-D it would swap)
        axes = tuple(int(v) for v in rng.permutation(nd)) if rng.random() < 0.8 else ()
        torch_axes = axes or tuple(reversed(range(nd)))

    def torch_call(torch, F, x, axes):
        return x.permute(*torch_axes) if torch_axes is not None else x.transpose(*axes)

    case = Case(
        "transpose",
        [arg_variants(rng, a)],
        {"axes": axes},
        lambda tc, x, axes: x.transpose(axes) if torch_axes and axes else x.transpose(*axes),
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
        ("dtype", "complex64"),  # int dtypes are allowed now (API.md: int and bool tensors)
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
        if mode == "twice":  # retain_graph=True as in PyTorch: the first pass keeps the graph
            y.backward(g, retain_graph=True)
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
