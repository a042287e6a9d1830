"""Fuzz generators made from a short spec per op: the inputs' shapes, the call here and in PyTorch,
and the ways to make the call invalid. Used for the ops of the PyTorch vocabulary (API.md
"Tensor, continued" and the nn functional forms), whose inputs need no hand-made geometry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .common import *  # noqa: F403


@dataclass
class Spec:
    """shapes(rng) -> list of input shapes; params(rng, shapes) -> keyword params; call(tc, *xs,
    **params); torch_call(torch, F, *xs, **params); lo/hi the data range; bad: list of
    (name, mutate(rng, shapes, params) -> params, error fragments)."""

    shapes: Callable
    call: Callable
    torch_call: Callable | None
    params: Callable = lambda rng, shapes: {}
    lo: float = -3.0
    hi: float = 3.0
    bad: list = field(default_factory=list)
    raw: tuple = ()  # indices of inputs passed as plain arrays (targets, masks), never Tensors
    make_raw: Callable | None = None  # make_raw(rng, index, shapes, params, dtype) -> array
    grads: bool = True  # compare gradients with PyTorch
    extra: dict = field(default_factory=dict)  # Case.extra (e.g. int_target: pass the raw ints)


def _shape(rng, lo=1, hi=4, side=4):
    return rand_shape(rng, lo, hi, side)  # noqa: F405


def one(lo=1, hi=4):
    return lambda rng: [_shape(rng, lo, hi)]


def _dim(rng, shapes, extra=0):
    nd = len(shapes[0]) + extra
    return int(rng.integers(-nd, nd)) if nd else 0


def bad_dim(rng, shapes, params, key="dim", extra=0):
    nd = max(len(shapes[0]) + extra, 1)
    return {**params, key: nd + int(rng.integers(0, 3))}


BAD_DIM = ("dim_range", bad_dim, ("dim", "range", "axis"))


def _pair_shapes(rng):
    a = _shape(rng, 1, 3)
    b = tuple(1 if rng.random() < 0.3 else s for s in a[int(rng.integers(0, len(a))) :])
    return [a, b] if rng.random() < 0.5 else [b, a]


def _permutation(rng, shapes):
    return {"dims": tuple(int(v) for v in rng.permutation(len(shapes[0])))}


def _expand_params(rng, shapes):
    sizes = [
        int(rng.integers(1, 4)) if s == 1 else (s if rng.random() < 0.7 else -1) for s in shapes[0]
    ]
    lead = [int(rng.integers(1, 3)) for _ in range(int(rng.integers(0, 2)))]
    return {"sizes": tuple(lead + sizes)}


def _var_params(rng, shapes):
    return {
        "dim": _dim(rng, shapes),
        "correction": int(rng.integers(0, 2)),
        "keepdim": bool(rng.random() < 0.4),
    }


def _clamp_params(rng, shapes):
    lo = float(rng.uniform(-2, 0)) if rng.random() < 0.8 else None
    hi = float(rng.uniform(0.1, 2)) if rng.random() < 0.8 or lo is None else None
    return {"min": lo, "max": hi}


def _pad_params(rng, shapes):
    nd = len(shapes[0])
    k = int(rng.integers(1, min(nd, 3) + 1))
    return {
        "pad": tuple(int(rng.integers(0, 3)) for _ in range(2 * k)),
        "value": float(rng.uniform(-1, 1)),
    }


def _targets(rng, index, shapes, params, dt):
    n, c = shapes[0][0], shapes[0][1]
    return rng.integers(0, c, size=(n,)).astype(np.int64)


def _mask(rng, index, shapes, params, dt):
    return rng.random(shapes[index]) < 0.5


def fn(name):
    """tc.functional.<name> (or tc.nn.functional.<name> for the nn-only forms)."""

    def call(tc, *xs, **params):
        if hasattr(tc.functional, name):
            return getattr(tc.functional, name)(*xs, **params)
        import tinygrad_conv.nn.functional as nn_functional

        return getattr(nn_functional, name)(*xs, **params)

    return call


SPECS: dict[str, Spec] = {
    "abs": Spec(one(0), fn("abs"), lambda torch, F, x: torch.abs(x)),
    "sqrt": Spec(one(0), fn("sqrt"), lambda torch, F, x: torch.sqrt(x), lo=0.1),
    "leaky_relu": Spec(
        one(0),
        fn("leaky_relu"),
        lambda torch, F, x, negative_slope: F.leaky_relu(x, negative_slope),
        params=lambda rng, s: {"negative_slope": float(rng.uniform(0, 0.5))},
    ),
    "gelu": Spec(
        one(0),
        fn("gelu"),
        lambda torch, F, x, approximate: F.gelu(x, approximate=approximate),
        params=lambda rng, s: {"approximate": str(rng.choice(["none", "tanh"]))},
        bad=[("approximate", lambda rng, s, p: {**p, "approximate": "fast"}, ("approximate",))],
    ),
    "clamp": Spec(
        one(0),
        fn("clamp"),
        lambda torch, F, x, min, max: torch.clamp(x, min, max),
        params=_clamp_params,
    ),
    "maximum": Spec(_pair_shapes, fn("maximum"), lambda torch, F, a, b: torch.maximum(a, b)),
    "minimum": Spec(_pair_shapes, fn("minimum"), lambda torch, F, a, b: torch.minimum(a, b)),
    "where": Spec(
        lambda rng: [_shape(rng)] * 3,
        fn("where"),
        lambda torch, F, c, a, b: torch.where(torch.as_tensor(c).bool(), a, b),
        raw=(0,),
        make_raw=_mask,
    ),
    "unsqueeze": Spec(
        one(0),
        fn("unsqueeze"),
        lambda torch, F, x, dim: x.unsqueeze(dim),
        params=lambda rng, s: {"dim": _dim(rng, s, 1)},
        bad=[("dim_range", lambda rng, s, p: bad_dim(rng, s, p, extra=1), ("dim", "range"))],
    ),
    "squeeze": Spec(
        lambda rng: [tuple(1 if rng.random() < 0.4 else v for v in _shape(rng, 1))],
        fn("squeeze"),
        lambda torch, F, x, dim: x.squeeze() if dim is None else x.squeeze(dim),
        params=lambda rng, s: {"dim": None if rng.random() < 0.4 else _dim(rng, s)},
        bad=[BAD_DIM],
    ),
    "permute": Spec(
        one(1),
        lambda tc, x, dims: tc.functional.permute(x, *dims),
        lambda torch, F, x, dims: x.permute(*dims),
        params=_permutation,
        bad=[
            (
                "dims_repeat",
                lambda rng, s, p: {"dims": (0,) * len(s[0])} if len(s[0]) > 1 else {"dims": (0, 0)},
                ("dim", "permut"),
            )
        ],
    ),
    "view": Spec(
        one(1),
        lambda tc, x, shape: tc.functional.view(x, *shape),
        lambda torch, F, x, shape: x.reshape(shape),
        params=lambda rng, s: {"shape": (-1,) if rng.random() < 0.5 else (int(np.prod(s[0])), 1)},
        bad=[("shape", lambda rng, s, p: {"shape": (int(np.prod(s[0])) + 1,)}, ("shape", "size"))],
    ),
    "view_as": Spec(
        lambda rng: (lambda s: [s, (int(np.prod(s)),)])(_shape(rng)),
        fn("view_as"),
        lambda torch, F, x, other: x.reshape(other.shape),
    ),
    "expand": Spec(
        lambda rng: [tuple(1 if rng.random() < 0.5 else v for v in _shape(rng, 1))],
        lambda tc, x, sizes: tc.functional.expand(x, *sizes),
        lambda torch, F, x, sizes: x.expand(*sizes),
        params=_expand_params,
    ),
    "var": Spec(
        one(1),
        fn("var"),
        lambda torch, F, x, dim, correction, keepdim: torch.var(
            x, dim=dim, correction=correction, keepdim=keepdim
        ),
        params=_var_params,
        bad=[BAD_DIM],
    ),
    "std": Spec(
        one(1),
        fn("std"),
        lambda torch, F, x, dim, correction, keepdim: torch.std(
            x, dim=dim, correction=correction, keepdim=keepdim
        ),
        params=_var_params,
        bad=[BAD_DIM],
    ),
    "logsumexp": Spec(
        one(1),
        fn("logsumexp"),
        lambda torch, F, x, dim, keepdim: torch.logsumexp(x, dim=dim, keepdim=keepdim),
        params=lambda rng, s: {"dim": _dim(rng, s), "keepdim": bool(rng.random() < 0.5)},
        bad=[BAD_DIM],
    ),
    "argmax": Spec(
        one(1),
        fn("argmax"),
        lambda torch, F, x, dim, keepdim: torch.argmax(x, dim=dim, keepdim=keepdim),
        params=lambda rng, s: {"dim": _dim(rng, s), "keepdim": bool(rng.random() < 0.5)},
        bad=[BAD_DIM],
        grads=False,
    ),
    "argmin": Spec(
        one(1),
        fn("argmin"),
        lambda torch, F, x, dim, keepdim: torch.argmin(x, dim=dim, keepdim=keepdim),
        params=lambda rng, s: {"dim": _dim(rng, s), "keepdim": bool(rng.random() < 0.5)},
        bad=[BAD_DIM],
        grads=False,
    ),
    "min": Spec(
        one(1),
        lambda tc, x, dim: tc.functional.min(x, dim=dim)[0],
        lambda torch, F, x, dim: torch.min(x, dim=dim)[0],
        params=lambda rng, s: {"dim": _dim(rng, s)},
        bad=[BAD_DIM],
    ),
    "pad": Spec(
        one(1),
        fn("pad"),
        lambda torch, F, x, pad, value: F.pad(x, pad, value=value),
        params=_pad_params,
        bad=[("odd_pad", lambda rng, s, p: {**p, "pad": (1,)}, ("pad",))],
    ),
    "nll_loss": Spec(
        lambda rng: [(int(rng.integers(1, 5)), int(rng.integers(2, 5))), ()],
        fn("nll_loss"),
        lambda torch, F, x, t, reduction: F.nll_loss(x, torch.from_numpy(t), reduction=reduction),
        params=lambda rng, s: {"reduction": str(rng.choice(["mean", "sum", "none"]))},
        raw=(1,),
        make_raw=_targets,
        extra={"int_target": True},
        bad=[("reduction", lambda rng, s, p: {**p, "reduction": "avg"}, ("reduction",))],
    ),
}


def _make_inputs(rng, spec, shapes, params, dt):
    args = []
    for i, shape in enumerate(shapes):
        if i in spec.raw:
            args.append(
                Arg(spec.make_raw(rng, i, shapes, params, dt), tensor=False, requires_grad=False)
            )  # noqa: F405
            continue
        a = farr(rng, shape, dt, spec.lo, spec.hi)  # noqa: F405
        args.append(arg_variants(rng, a))  # noqa: F405
    return args


def gen_spec(name: str) -> Callable:
    spec = SPECS[name]

    def gen(rng, variant):
        shapes = spec.shapes(rng)
        call, torch_call = spec.call, spec.torch_call
        params = spec.params(rng, shapes)
        dt = dtype_of(rng)  # noqa: F405
        args = _make_inputs(rng, spec, shapes, params, dt)
        case = Case(
            name,
            args,
            params,
            call,
            torch_call,  # noqa: F405
            torch_grads=spec.grads,
            desc=f"{name} {shapes} {dt} {params}",
            extra=dict(spec.extra),
        )
        if variant == 0:
            return case
        choices = ["dtype", *range(len(spec.bad))]
        pick = choices[(variant - 1) % len(choices)]
        if pick == "dtype":
            kind = BAD_DTYPES[(variant - 1) % len(BAD_DTYPES)]  # noqa: F405
            first = next(i for i in range(len(args)) if i not in spec.raw)
            case.args[first] = Arg(bad_array(rng, kind, shapes[first] or (2,)), tensor=False)  # noqa: F405
            case.error = ("dtype", "data")
            case.desc += f" -> bad dtype {kind}"
        else:
            label, mutate, fragments = spec.bad[pick]
            case.params = mutate(rng, shapes, params)
            case.error = fragments
            case.desc += f" -> bad {label}: {case.params}"
        return case

    return gen


def _cat_like(name):
    """cat/stack: a list of tensors and a dim."""

    def gen(rng, variant):
        base = list(_shape(rng, 1, 3))
        d = int(rng.integers(0, len(base) + (name == "stack")))
        count = int(rng.integers(1, 4))
        shapes = []
        for _ in range(count):
            s = list(base)
            if name == "cat":
                s[d] = int(rng.integers(0, 4))
            shapes.append(tuple(s))
        dt = dtype_of(rng)  # noqa: F405
        args = [arg_variants(rng, farr(rng, s, dt)) for s in shapes]  # noqa: F405

        def call(tc, *xs, dim):
            return getattr(tc.functional, name)(list(xs), dim=dim)

        def torch_call(torch, F, *xs, dim):
            return getattr(torch, name)(list(xs), dim=dim)

        case = Case(name, args, {"dim": d}, call, torch_call, desc=f"{name} {shapes} dim={d}")  # noqa: F405
        if variant == 0:
            return case
        if variant % 2 and count > 1 and name == "cat" and len(base) > 1:
            wrong = list(shapes[0])
            other = (d + 1) % len(wrong)
            wrong[other] += 1
            case.args[0] = arg_variants(rng, farr(rng, tuple(wrong), dt))  # noqa: F405
            case.error = ("shape", "size", "dim")
        else:
            case.params = {"dim": len(base) + 2 + int(rng.integers(0, 2))}
            case.error = ("dim", "range")
        case.desc += f" -> bad: {case.params}"
        return case

    return gen


def _compare(name):
    def call(tc, a, b):
        return getattr(tc.functional, name)(a, b)

    def torch_call(torch, F, a, b):
        return getattr(torch, name)(a, b)

    return Spec(_pair_shapes, call, torch_call, grads=False)


SPECS.update({name: _compare(name) for name in ("eq", "ne", "lt", "le", "gt", "ge")})
SPECS["clip"] = Spec(
    one(0), fn("clip"), lambda torch, F, x, min, max: torch.clip(x, min, max), params=_clamp_params
)
GENERATORS_SPEC = {name: gen_spec(name) for name in SPECS}
GENERATORS_SPEC["cat"] = _cat_like("cat")
GENERATORS_SPEC["stack"] = _cat_like("stack")
GENERATORS_SPEC["concat"] = _cat_like("concat")
