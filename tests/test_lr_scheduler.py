"""Every scheduler against torch.optim.lr_scheduler over 30 steps (the learning rates of every
group, and OneCycleLR's momentum/beta1); state dicts resume exactly; bad arguments."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinygrad_conv import nn, optim
from tinygrad_conv.optim import lr_scheduler

SCHEDULERS = [
    ("StepLR", dict(step_size=4, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[3, 7, 7, 15], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=10)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.001)),
    ("LinearLR", dict()),
    ("LinearLR", dict(start_factor=0.1, end_factor=0.7, total_iters=12)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=31)),
    (
        "OneCycleLR",
        dict(
            max_lr=[0.5, 0.2],
            epochs=4,
            steps_per_epoch=8,
            pct_start=0.25,
            anneal_strategy="linear",
            three_phase=True,
        ),
    ),
    ("OneCycleLR", dict(max_lr=0.3, total_steps=40, cycle_momentum=False, div_factor=10.0)),
]
STEPS = 30
# Several tests step a scheduler alone, without optimizer steps; the warning that brings is tested
# once, below.
pytestmark = pytest.mark.filterwarnings("ignore:Detected call of .?lr_scheduler.step")


def make(lib, optimizer_name, params, **kwargs):
    groups = [{"params": params[:1]}, {"params": params[1:], "lr": 0.03}]
    if optimizer_name == "SGD":
        return lib.SGD(groups, lr=0.1, momentum=0.9)
    return lib.Adam(groups, lr=0.1)


def pair(torch, optimizer_name):
    ours = [nn.Parameter(np.ones(3)), nn.Parameter(np.ones(2))]
    theirs = [
        torch.ones(3, requires_grad=True, dtype=torch.float64),
        torch.ones(2, requires_grad=True, dtype=torch.float64),
    ]
    return (make(optim, optimizer_name, ours), ours), (
        make(torch.optim, optimizer_name, theirs),
        theirs,
    )


def one_step(opt, params, value):
    for p in params:
        p.grad = value(p)
    opt.step()


def assert_same_groups(opt, ref):
    for g, h in zip(opt.param_groups, ref.param_groups, strict=True):
        assert g["lr"] == pytest.approx(h["lr"], rel=1e-14, abs=1e-300)
        for key in ("momentum", "betas"):
            if key in g:
                assert tuple(np.atleast_1d(g[key])) == pytest.approx(
                    tuple(np.atleast_1d(h[key])), rel=1e-14
                )


@pytest.mark.parametrize("optimizer_name", ["SGD", "Adam"])
@pytest.mark.parametrize("name, kwargs", SCHEDULERS)
def test_rates_match_torch_step_for_step(torch, name, kwargs, optimizer_name):
    (opt, ours), (ref, theirs) = pair(torch, optimizer_name)
    sched = getattr(lr_scheduler, name)(opt, **kwargs)
    ref_sched = getattr(torch.optim.lr_scheduler, name)(ref, **kwargs)
    assert sched.get_last_lr() == pytest.approx(ref_sched.get_last_lr(), rel=1e-14)
    steps = min(
        STEPS,
        kwargs.get("total_steps", 10**9) - 1,
        kwargs.get("epochs", 10**9) * kwargs.get("steps_per_epoch", 1) - 1,
    )
    for step in range(steps):
        one_step(opt, ours, lambda p: np.ones(p.shape))
        one_step(ref, theirs, lambda p: torch.ones_like(p))
        sched.step()
        ref_sched.step()
        assert sched.get_last_lr() == pytest.approx(ref_sched.get_last_lr(), rel=1e-14), step
        assert_same_groups(opt, ref)
    for p, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-12)


def test_lambda_lr_matches_torch(torch):
    (opt, _), (ref, _) = pair(torch, "SGD")
    lambdas = [lambda e: 0.95**e, lambda e: 1 / (1 + e)]
    sched = lr_scheduler.LambdaLR(opt, lambdas)
    ref_sched = torch.optim.lr_scheduler.LambdaLR(ref, lambdas)
    for _ in range(STEPS):
        sched.step()
        ref_sched.step()
        assert sched.get_last_lr() == ref_sched.get_last_lr()


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(),
        dict(
            mode="max",
            factor=0.5,
            patience=2,
            cooldown=1,
            threshold=0.1,
            threshold_mode="abs",
            min_lr=[0.01, 0.005],
        ),
    ],
)
def test_reduce_on_plateau_matches_torch(torch, kwargs):
    (opt, _), (ref, _) = pair(torch, "SGD")
    sched = lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    ref_sched = torch.optim.lr_scheduler.ReduceLROnPlateau(ref, **kwargs)
    metrics = [1.0, 0.9, 0.95, 0.95, 0.96, 0.97, 0.89, 0.89, 0.9, 0.9] * 4
    for m in metrics:
        sched.step(m)
        ref_sched.step(m)
        assert sched.get_last_lr() == ref_sched.get_last_lr()
        assert sched.num_bad_epochs == ref_sched.num_bad_epochs


@pytest.mark.parametrize("name, kwargs", SCHEDULERS + [("ReduceLROnPlateau", dict(patience=1))])
def test_state_dict_resumes_exactly(name, kwargs):
    def build():
        ps = [nn.Parameter(np.ones(3)), nn.Parameter(np.ones(2))]
        opt = make(optim, "SGD", ps)
        return opt, getattr(lr_scheduler, name)(opt, **kwargs)

    def advance(opt, sched, n, start):
        rates = []
        for i in range(start, start + n):
            if name == "ReduceLROnPlateau":
                sched.step([1.0, 2.0, 0.5][i % 3])
            else:
                sched.step()
            rates.append(sched.get_last_lr())
        return rates

    opt, sched = build()
    straight = advance(opt, sched, 20, 0)
    opt, sched = build()
    advance(opt, sched, 8, 0)
    saved_opt, saved_sched = opt.state_dict(), sched.state_dict()
    opt2, sched2 = build()
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved_sched)
    assert advance(opt2, sched2, 12, 8) == straight[8:]


def test_cosine_reaches_eta_min_and_rises_again():
    opt = optim.SGD([nn.Parameter(np.ones(1))], lr=1.0)
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=4)
    rates = []
    for _ in range(8):
        sched.step()
        rates.append(sched.get_last_lr()[0])
    expected = [(1 + math.cos(math.pi * t / 4)) / 2 for t in range(1, 9)]
    np.testing.assert_allclose(rates, expected, atol=1e-15)


def test_scheduler_before_optimizer_step_warns():
    opt = optim.SGD([nn.Parameter(np.ones(1))], lr=1.0)
    sched = lr_scheduler.StepLR(opt, 1)
    with pytest.warns(UserWarning, match="before optimizer.step"):
        sched.step()


@pytest.mark.parametrize(
    "call, error, fragment",
    [
        (lambda o: lr_scheduler.StepLR(o, 0), ValueError, "step_size"),
        (lambda o: lr_scheduler.StepLR(o, 2.5), TypeError, "step_size"),
        (lambda o: lr_scheduler.StepLR([1], 2), TypeError, "Optimizer"),
        (lambda o: lr_scheduler.MultiStepLR(o, [1.5]), TypeError, "milestones"),
        (lambda o: lr_scheduler.ExponentialLR(o, "0.9"), TypeError, "gamma"),
        (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=0), ValueError, "T_max"),
        (lambda o: lr_scheduler.LinearLR(o, start_factor=0), ValueError, "start_factor"),
        (lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0), ValueError, "total_steps"),
        (
            lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=5, pct_start=2.0),
            ValueError,
            "pct_start",
        ),
        (
            lambda o: lr_scheduler.OneCycleLR(o, max_lr=[1.0, 2.0], total_steps=5),
            ValueError,
            "max_lr",
        ),
        (
            lambda o: lr_scheduler.OneCycleLR(optim.Adagrad(o.params), max_lr=1.0, total_steps=5),
            ValueError,
            "momentum",
        ),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=1.0), ValueError, "factor"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="up"), ValueError, "mode"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o).step("low"), TypeError, "metrics"),
        (lambda o: lr_scheduler.LambdaLR(o, [lambda e: 1.0] * 2), ValueError, "lr_lambdas"),
        (lambda o: lr_scheduler.StepLR(o, 2, last_epoch=3), KeyError, "initial_lr"),
        (lambda o: lr_scheduler.StepLR(o, 2).load_state_dict({"T_max": 3}), ValueError, "T_max"),
    ],
)
def test_bad_arguments(call, error, fragment):
    with pytest.raises(error, match=fragment):
        call(optim.SGD([nn.Parameter(np.ones(1))], lr=1.0, momentum=0.9))


def test_one_cycle_past_its_end_raises():
    opt = optim.SGD([nn.Parameter(np.ones(1))], lr=1.0, momentum=0.9)
    sched = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    sched.step()
    sched.step()
    sched.step()
    with pytest.raises(ValueError, match="total_steps is 3"):
        sched.step()
