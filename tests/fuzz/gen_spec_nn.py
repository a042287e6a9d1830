"""Fuzz specs for the nn functional forms: linear, the losses, adaptive pools, dropout and
batch_norm (a Spec as in gen_spec.py)."""

from __future__ import annotations

from .gen_spec import SPECS, Spec, _shape, fn, gen_spec, one


def _nc(rng):
    return (int(rng.integers(1, 5)), int(rng.integers(2, 5)))


def _pairs(rng):
    s = _shape(rng, 1, 3)
    return [s, s]


def _nchw(rng):
    return [
        (
            int(rng.integers(1, 3)),
            int(rng.integers(1, 4)),
            int(rng.integers(1, 8)),
            int(rng.integers(1, 8)),
        )
    ]


def _out_size(rng, shapes):
    return {"output_size": (int(rng.integers(1, 5)), int(rng.integers(1, 5)))}


def _linear_shapes(rng):
    lead = _shape(rng, 1, 3)
    f_in, f_out = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    shapes = [lead + (f_in,), (f_out, f_in)]
    return shapes + [(f_out,)] if rng.random() < 0.7 else shapes


REDUCTION = {"reduction": ("mean", "sum", "none")}


def _reduction(rng, shapes):
    return {"reduction": str(rng.choice(REDUCTION["reduction"]))}


BAD_REDUCTION = ("reduction", lambda rng, s, p: {**p, "reduction": "avg"}, ("reduction",))


def _probabilities(rng, index, shapes, params, dt):
    return rng.uniform(0.05, 0.95, size=shapes[index]).astype(dt)


NN_SPECS: dict[str, Spec] = {
    "linear": Spec(_linear_shapes, fn("linear"), lambda torch, F, *xs: F.linear(*xs)),
    "mse_loss": Spec(
        _pairs,
        fn("mse_loss"),
        lambda torch, F, a, b, reduction: F.mse_loss(a, b, reduction=reduction),
        params=_reduction,
        bad=[BAD_REDUCTION],
    ),
    "l1_loss": Spec(
        _pairs,
        fn("l1_loss"),
        lambda torch, F, a, b, reduction: F.l1_loss(a, b, reduction=reduction),
        params=_reduction,
        bad=[BAD_REDUCTION],
    ),
    "smooth_l1_loss": Spec(
        _pairs,
        fn("smooth_l1_loss"),
        lambda torch, F, a, b, reduction, beta: F.smooth_l1_loss(
            a, b, reduction=reduction, beta=beta
        ),
        params=lambda rng, s: {**_reduction(rng, s), "beta": float(rng.uniform(0.1, 2))},
        bad=[BAD_REDUCTION],
    ),
    "binary_cross_entropy": Spec(
        _pairs,
        fn("binary_cross_entropy"),
        lambda torch, F, p, t, reduction: F.binary_cross_entropy(p, t, reduction=reduction),
        params=_reduction,
        lo=0.05,
        hi=0.95,
        raw=(1,),
        make_raw=_probabilities,
        bad=[BAD_REDUCTION],
    ),
    "binary_cross_entropy_with_logits": Spec(
        _pairs,
        fn("binary_cross_entropy_with_logits"),
        lambda torch, F, x, t, reduction: F.binary_cross_entropy_with_logits(
            x, t, reduction=reduction
        ),
        params=_reduction,
        raw=(1,),
        make_raw=_probabilities,
        bad=[BAD_REDUCTION],
    ),
    "adaptive_avg_pool2d": Spec(
        _nchw,
        fn("adaptive_avg_pool2d"),
        lambda torch, F, x, output_size: F.adaptive_avg_pool2d(x, output_size),
        params=_out_size,
        bad=[("output_size", lambda rng, s, p: {"output_size": 0}, ("output_size",))],
    ),
    "adaptive_max_pool2d": Spec(
        _nchw,
        fn("adaptive_max_pool2d"),
        lambda torch, F, x, output_size: F.adaptive_max_pool2d(x, output_size),
        params=_out_size,
        bad=[("output_size", lambda rng, s, p: {"output_size": 0}, ("output_size",))],
    ),
    "dropout": Spec(
        one(1),
        fn("dropout"),
        lambda torch, F, x, p, training: F.dropout(x, p, training),
        params=lambda rng, s: {"p": 0.5, "training": False},
        bad=[("p", lambda rng, s, p: {**p, "p": 1.5}, ("p", "probability"))],
    ),
    "dropout2d": Spec(
        _nchw,
        fn("dropout2d"),
        lambda torch, F, x, p, training: F.dropout2d(x, p, training),
        params=lambda rng, s: {"p": 0.3, "training": False},
        bad=[("p", lambda rng, s, p: {**p, "p": -0.1}, ("p", "probability"))],
    ),
    "batch_norm": Spec(
        lambda rng: (lambda s: [s, (s[1],), (s[1],)])(_nchw(rng)[0]),
        lambda tc, x, w, b, **k: fn("batch_norm")(tc, x, None, None, w, b, **k),
        # contiguous: torch's kernel on strided affine parameters loses ~1e-6
        # where the exact gradient (a cancellation) is ~1e-6 (seed 1238)
        lambda torch, F, x, w, b, **k: F.batch_norm(
            x, None, None, w.contiguous(), b.contiguous(), **k
        ),
        params=lambda rng, s: {"training": True, "momentum": 0.1, "eps": 1e-5},
        bad=[("eps", lambda rng, s, p: {**p, "eps": -1.0}, ("eps",))],
    ),
}


SPECS.update(NN_SPECS)
GENERATORS_SPEC_NN = {name: gen_spec(name) for name in NN_SPECS}
