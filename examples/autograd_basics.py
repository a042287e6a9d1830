"""Autograd from the ground up: a few scalars and a small tensor through +, *, tanh, then backward.

Run: python examples/autograd_basics.py [--out DIR]
Every gradient printed here is also worked out by hand in the comments, so you can check the engine.
"""

from __future__ import annotations

import argparse
import os

import numpy as np

import tinygrad_conv as tc


def scalars() -> None:
    print("1. Scalars: y = tanh(a * b + c)")
    a = tc.Tensor(2.0, requires_grad=True, name="a")
    b = tc.Tensor(-0.5, requires_grad=True, name="b")
    c = tc.Tensor(0.25, requires_grad=True, name="c")
    z = a * b + c  # z = 2 * -0.5 + 0.25 = -0.75
    y = z.tanh()  # y = tanh(-0.75)
    y.backward()  # dy/dy = 1 flows back through every op
    dz = 1 - np.tanh(-0.75) ** 2  # dy/dz = 1 - tanh(z)^2
    print(f"   y = {y.item():.6f}   (tanh(-0.75) = {np.tanh(-0.75):.6f})")
    print(f"   dy/da = {a.grad.item():.6f}  = dy/dz * b = {dz * -0.5:.6f}")
    print(f"   dy/db = {b.grad.item():.6f}  = dy/dz * a = {dz * 2.0:.6f}")
    print(f"   dy/dc = {c.grad.item():.6f}  = dy/dz     = {dz:.6f}")
    print("   Each op's backward multiplies the gradient that arrived by its local derivative.\n")


def fan_out() -> tc.Tensor:
    print(
        "2. A value used twice: y = sum(x * x + x), so dy/dx_i = 2 x_i + 1 (the two uses of x"
        " add up)"
    )
    x = tc.Tensor([1.0, -2.0, 3.0], requires_grad=True, name="x")
    y = (x * x + x).sum()
    y.backward()
    print(f"   x      = {x.data}")
    print(f"   dy/dx  = {x.grad}   (2 x + 1 = {2 * x.data + 1})")
    print(f"   the graph: y.op = {y.op!r}, its parents' ops = {[p.op for p in y.parents]}\n")
    return y


def matrices() -> tc.Tensor:
    print("3. A tiny layer: loss = sum(tanh(x @ w + b))")
    rng = np.random.default_rng(0)
    x = tc.Tensor(rng.standard_normal((2, 3)), name="x")
    w = tc.Tensor(rng.standard_normal((3, 2)), requires_grad=True, name="w")
    b = tc.Tensor(np.zeros(2), requires_grad=True, name="b")
    loss = (x @ w + b).tanh().sum()
    loss.backward()
    h = np.tanh(x.data @ w.data + b.data)
    print(f"   dloss/dw =\n{w.grad}\n   by hand: x^T @ (1 - h^2) =\n{x.data.T @ (1 - h**2)}")
    print(
        f"   dloss/db = {b.grad}  (the bias was broadcast over 2 rows, so its gradient sums them)"
    )
    print(
        f"   finite differences agree: tc.gradcheck -> "
        f"{tc.gradcheck(lambda w, b: (x @ w + b).tanh(), w, b)}\n"
    )
    return loss


def picture(loss: tc.Tensor, out: str) -> None:
    """The graph of `loss`, whose one backward has run: the picture's grads are that pass's."""
    loss.name = "loss"
    os.makedirs(out, exist_ok=True)
    graph = tc.draw_graph(loss, show_data=True)
    dot_path = os.path.join(out, "autograd_basics.dot")
    with open(dot_path, "w") as f:
        f.write(graph.source)
    print(f"4. The graph as DOT text: {dot_path}")
    try:
        picture_path = graph.render(os.path.join(out, "autograd_basics"), format="svg")
        print(f"   and as a picture: {picture_path}")
    except Exception as err:  # rendering needs Graphviz's dot or the `render` extra
        print(f"   (no picture: {err})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/autograd_basics", help="folder for the graph files")
    parser.add_argument("--smoke", action="store_true", help="same run (it is already quick)")
    args = parser.parse_args(argv)
    scalars()
    fan_out()
    picture(matrices(), args.out)


if __name__ == "__main__":
    main()
