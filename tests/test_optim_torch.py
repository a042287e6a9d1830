"""Every optimizer against torch.optim over 20 steps from the same start with the same gradients,
float32 and float64, with parameter groups; state_dict round trips (ours and PyTorch's)."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_conv import nn, optim

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.8, weight_decay=0.01, maximize=True)),
    ("Adam", dict(lr=1e-2)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True, maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.02, weight_decay=0.3, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.05)),
    ("RMSprop", dict(lr=0.005, alpha=0.9, momentum=0.5, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.2)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1, maximize=True)),
]
STEPS = 20


def tolerance(dtype):
    return dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=2e-6)


def problem(dtype, seed=0):
    rng = np.random.default_rng(seed)
    starts = [rng.normal(size=(3, 4)), rng.normal(size=(4,)), rng.normal(size=(2, 3, 2, 2))]
    grads = [[rng.normal(size=s.shape) for s in starts] for _ in range(STEPS)]
    starts = [s.astype(dtype) for s in starts]
    return starts, [[g.astype(dtype) for g in step] for step in grads]


def run_ours(opt, params, grads, skip=()):
    for i, step_grads in enumerate(grads):
        opt.zero_grad()
        for j, (p, g) in enumerate(zip(params, step_grads, strict=True)):
            if (i, j) not in skip:
                p.grad = g.copy()
        opt.step()


def run_torch(torch, opt, params, grads, skip=()):
    for i, step_grads in enumerate(grads):
        opt.zero_grad()
        for j, (p, g) in enumerate(zip(params, step_grads, strict=True)):
            if (i, j) not in skip:
                p.grad = torch.from_numpy(g.copy())
        opt.step()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, kwargs", CONFIGS)
def test_twenty_steps_match_torch(torch, name, kwargs, dtype):
    starts, grads = problem(dtype)
    ours = [nn.Parameter(s, dtype=dtype) for s in starts]
    theirs = [torch.tensor(s, requires_grad=True) for s in starts]
    opt = getattr(optim, name)(ours, **kwargs)
    ref = getattr(torch.optim, name)(theirs, foreach=False, **kwargs)
    skip = {(3, 1), (4, 1), (7, 2)}  # steps where a parameter has no gradient
    run_ours(opt, ours, grads, skip)
    run_torch(torch, ref, theirs, grads, skip)
    for p, t in zip(ours, theirs, strict=True):
        assert p.dtype == dtype
        np.testing.assert_allclose(p.data, t.detach().numpy(), **tolerance(dtype))


@pytest.mark.parametrize("name, kwargs", CONFIGS[::3])
def test_param_groups_with_their_own_options_match_torch(torch, name, kwargs):
    starts, grads = problem(np.float64, seed=1)
    ours = [nn.Parameter(s) for s in starts]
    theirs = [torch.tensor(s, requires_grad=True) for s in starts]
    lr = kwargs.get("lr", 1.0)

    def groups(ps):
        return [{"params": ps[:1]}, {"params": ps[1:], "lr": lr / 3, "weight_decay": 0.2}]

    opt = getattr(optim, name)(groups(ours), **kwargs)
    ref = getattr(torch.optim, name)(groups(theirs), foreach=False, **kwargs)
    assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in ref.param_groups]
    for step in range(STEPS):  # the groups' learning rates edited as a scheduler would
        for g_ours, g_ref in zip(opt.param_groups, ref.param_groups, strict=True):
            g_ours["lr"] = g_ref["lr"] = g_ref["lr"] * 0.97
        run_ours(opt, ours, grads[step : step + 1])
        run_torch(torch, ref, theirs, grads[step : step + 1])
    for p, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_add_param_group_matches_torch(torch):
    starts, grads = problem(np.float64, seed=2)
    ours = [nn.Parameter(s) for s in starts]
    theirs = [torch.tensor(s, requires_grad=True) for s in starts]
    opt = optim.Adam(ours[:2], lr=0.01)
    ref = torch.optim.Adam(theirs[:2], lr=0.01, foreach=False)
    for step in range(STEPS):
        if step == 5:
            opt.add_param_group({"params": ours[2], "lr": 0.1, "amsgrad": True})
            ref.add_param_group({"params": theirs[2], "lr": 0.1, "amsgrad": True})
        run_ours(opt, ours, grads[step : step + 1])
        run_torch(torch, ref, theirs, grads[step : step + 1])
    for p, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert opt.param_groups[1]["betas"] == (0.9, 0.999) and opt.param_groups[1]["lr"] == 0.1


@pytest.mark.parametrize("name, kwargs", CONFIGS)
def test_three_steps_save_load_two_steps_equals_five(name, kwargs):
    starts, grads = problem(np.float64, seed=3)
    straight = [nn.Parameter(s) for s in starts]
    opt = getattr(optim, name)(straight, **kwargs)
    run_ours(opt, straight, grads[:5])

    first = [nn.Parameter(s) for s in starts]
    opt1 = getattr(optim, name)(first, **kwargs)
    run_ours(opt1, first, grads[:3])
    saved = opt1.state_dict()
    run_ours(opt1, first, grads[3:4])  # later steps must not leak into the saved copy
    resumed = [nn.Parameter(s) for s in starts]
    opt_a = getattr(optim, name)(resumed, **kwargs)
    run_ours(opt_a, resumed, grads[:3])  # the weights after 3 steps, as a checkpoint holds them
    opt_b = getattr(optim, name)(resumed, **kwargs)
    opt_b.load_state_dict(saved)
    run_ours(opt_b, resumed, grads[3:5])
    for p, q in zip(resumed, straight, strict=True):
        np.testing.assert_array_equal(p.data, q.data)


@pytest.mark.parametrize(
    "name, kwargs", [c for c in CONFIGS if c[0] != "SGD" or c[1].get("momentum")]
)
def test_state_dict_has_torchs_structure_and_loads_into_torch(torch, name, kwargs):
    starts, grads = problem(np.float64, seed=4)
    ours = [nn.Parameter(s) for s in starts]
    theirs = [torch.tensor(s, requires_grad=True) for s in starts]
    opt = getattr(optim, name)([{"params": ours[:2]}, {"params": ours[2:], "lr": 0.03}], **kwargs)
    ref = getattr(torch.optim, name)(
        [{"params": theirs[:2]}, {"params": theirs[2:], "lr": 0.03}], foreach=False, **kwargs
    )
    run_ours(opt, ours, grads[:4], skip={(0, 1)})
    run_torch(torch, ref, theirs, grads[:4], skip={(0, 1)})
    mine, theirs_sd = opt.state_dict(), ref.state_dict()
    assert set(mine["state"]) == set(theirs_sd["state"]) == {0, 1, 2}
    assert [g["params"] for g in mine["param_groups"]] == [[0, 1], [2]]
    for i, entry in theirs_sd["state"].items():
        assert set(mine["state"][i]) == {k for k, v in entry.items() if v is not None}
        for key, value in entry.items():
            if value is not None:
                np.testing.assert_allclose(mine["state"][i][key], value.numpy(), rtol=1e-10)
    for g_mine, g_theirs in zip(mine["param_groups"], theirs_sd["param_groups"], strict=True):
        for key, value in g_mine.items():
            assert g_theirs[key] == (
                list(value)
                if isinstance(value, tuple) and isinstance(g_theirs[key], list)
                else value
            ), key

    # PyTorch's state dict (tensors as arrays) continues here exactly as PyTorch continues.
    as_numpy = {
        "state": {
            i: {k: (v.numpy() if hasattr(v, "numpy") else v) for k, v in s.items()}
            for i, s in theirs_sd["state"].items()
        },
        "param_groups": theirs_sd["param_groups"],
    }
    fresh = [nn.Parameter(t.detach().numpy().copy()) for t in theirs]
    opt2 = getattr(optim, name)([{"params": fresh[:2]}, {"params": fresh[2:]}], **kwargs)
    opt2.load_state_dict(as_numpy)
    run_ours(opt2, fresh, grads[4:9])
    run_torch(torch, ref, theirs, grads[4:9])
    for p, t in zip(fresh, theirs, strict=True):
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-10, atol=1e-12)
