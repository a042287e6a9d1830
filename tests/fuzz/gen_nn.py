"""Fuzz generators for nn layers, optimizers, detect_anomaly and draw_graph."""

from __future__ import annotations

import numpy as np

from .common import *  # noqa: F403
from .gen_kernels import *  # noqa: F403
from .gen_math import *  # noqa: F403
from .gen_shape import *  # noqa: F403


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
