"""Fuzz generators for the kernel ops: conv2d, the pools, cross_entropy."""

from __future__ import annotations

import numpy as np

from .common import *  # noqa: F403
from .gen_math import *  # noqa: F403
from .gen_shape import *  # noqa: F403


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
