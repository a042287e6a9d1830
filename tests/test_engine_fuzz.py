"""Random programs against PyTorch: a small graph, then a random sequence of backward passes
(with or without retain_graph) and in-place edits under no_grad (leaves and intermediates), run
here and in torch. Both must agree on which step raises first (released graph / modified saved
tensor) and, where none does, on every gradient. `--long` runs 1,000 programs (the hypothesis
profile)."""

from __future__ import annotations

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
torch = pytest.importorskip("torch")
st = hypothesis.strategies

import tinygrad_conv as tc  # noqa: E402

UNARY = ("exp", "tanh", "sigmoid")
BINARY = ("mul", "add", "div")


@st.composite
def programs(draw):
    n_ops = draw(st.integers(1, 5))
    ops = []
    for k in range(n_ops):
        nodes = 2 + k  # x, w, then the results so far
        if draw(st.booleans()):
            ops.append((draw(st.sampled_from(UNARY)), draw(st.integers(0, nodes - 1)), None))
        else:
            ops.append(
                (
                    draw(st.sampled_from(BINARY)),
                    draw(st.integers(0, nodes - 1)),
                    draw(st.integers(0, nodes - 1)),
                )
            )
    actions = []
    for _ in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            actions.append(("backward", draw(st.booleans())))  # retain_graph
        else:
            actions.append(("edit", draw(st.integers(0, 1 + n_ops))))  # which node, mul_ 1.5
    return ops, actions


def _run(lib, ops, actions, backend):
    """Run a program; returns (outcome per action, final grads of x and w)."""
    if lib == "tc":
        tc.set_backend(backend)
        x = tc.Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
        w = tc.Tensor(np.array([1.5, 0.25, -0.75]), requires_grad=True)
        no_grad = tc.no_grad
    else:
        x = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
        w = torch.tensor([1.5, 0.25, -0.75], dtype=torch.float64, requires_grad=True)
        no_grad = torch.no_grad
    nodes = [x, w]
    for name, i, j in ops:
        a = nodes[i]
        if name in UNARY:  # (no product with a constant: PyTorch saves no input there, we do)
            out = getattr(a, name)()
        elif name == "mul":
            out = a * nodes[j]
        elif name == "add":
            out = a + nodes[j]
        else:
            out = a / (nodes[j] * nodes[j] + 1.0)
        nodes.append(out)
    loss = nodes[-1].sum()
    outcomes = []
    for action, arg in actions:
        try:
            if action == "backward":
                loss.backward(retain_graph=arg)
            else:
                with no_grad():
                    nodes[arg].mul_(1.5)
            outcomes.append("ok")
        except RuntimeError as err:
            text = str(err)
            kind = (
                "released"
                if "second time" in text
                else "modified"
                if "modified by an inplace operation" in text
                else text
            )
            outcomes.append(kind)
    grads = [None if t.grad is None else np.asarray(t.grad, dtype=np.float64) for t in (x, w)]
    return outcomes, grads


@pytest.mark.parametrize("backend", ["numpy", "cython"])
@hypothesis.given(program=programs())
def test_random_programs_agree_with_torch(backend, program):
    ops, actions = program
    before = tc.backend()
    try:
        ours, our_grads = _run("tc", ops, actions, backend)
    finally:
        tc.set_backend(before)
    theirs, their_grads = _run("torch", ops, actions, backend)
    failed = next((k for k, outcome in enumerate(theirs) if outcome != "ok"), None)
    if failed is not None:  # PyTorch's failed pass has run (and freed) part of the graph and put
        # grads on some leaves; ours refuses before anything runs (a failure changes nothing), so
        # the two agree up to the first error and not after it.
        assert ours[: failed + 1] == theirs[: failed + 1], (ops, actions)
        return
    assert ours == theirs, (ops, actions)
    for mine, ref in zip(our_grads, their_grads, strict=True):
        assert (mine is None) == (ref is None)
        if mine is not None:
            np.testing.assert_allclose(mine, ref, rtol=1e-12, atol=1e-12)
