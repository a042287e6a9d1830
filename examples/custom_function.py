"""A new op written the way the built-in ones are: a Function subclass with check, forward and
backward, checked against finite differences with tc.gradcheck, then used inside a Module.

Run: python examples/custom_function.py [--smoke]
"""

import argparse

import numpy as np

import tinygrad_conv as tc
from tinygrad_conv import nn


class LeakyReLU(tc.Function):
    """y = x if x > 0 else slope * x;   dL/dx = dL/dy * (1 if x > 0 else slope)."""

    name = "leaky_relu"  # what Tensor.op and the graph picture show
    inputs = ("x",)  # the names the picture gives the input edges

    @staticmethod
    def check(x, negative_slope=0.01):
        # Runs before anything is computed: validate, and return the normalised parameters.
        if x.dtype not in (np.float32, np.float64):
            raise TypeError(f"leaky_relu: x must be float32 or float64, got dtype {x.dtype}")
        if isinstance(negative_slope, bool) or not isinstance(negative_slope, (int, float)):
            raise TypeError(f"leaky_relu: negative_slope must be a float, got {negative_slope!r}")
        return {"negative_slope": float(negative_slope)}

    @staticmethod
    def forward(ctx, x, negative_slope):
        # What backward may read: arrays saved here, the user's parameters in ctx.params (what
        # check returned), input shapes and dtypes in ctx.input_shapes / ctx.input_dtypes.
        ctx.save_for_backward(x)
        return np.where(x > 0, x, negative_slope * x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        slope = ctx.params["negative_slope"]
        grad_x = grad_out * np.where(x > 0, 1.0, slope).astype(ctx.input_dtypes[0])
        return (grad_x,)  # one gradient per input, never modifying grad_out


def leaky_relu(x, negative_slope=0.01):
    return LeakyReLU.apply(x, negative_slope=negative_slope)


class LeakyReLULayer(nn.Module):
    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        return leaky_relu(x, self.negative_slope)


parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--smoke", action="store_true", help="the same, it already takes a second")
parser.parse_args()

rng = np.random.default_rng(0)
x = tc.Tensor(rng.normal(size=(3, 4)) + 0.05, requires_grad=True, dtype="float64")
y = leaky_relu(x, 0.1)
print("op:", y.op, " parents:", [p.shape for p in y.parents])
print("gradcheck leaky_relu:", tc.gradcheck(lambda t: leaky_relu(t, 0.1), x))

model = nn.Sequential(nn.Linear(4, 8), LeakyReLULayer(0.1), nn.Linear(8, 2))
out = model(tc.Tensor(rng.normal(size=(5, 4)).astype(np.float32)))
out.sum().backward()
print(
    "inside a model: output",
    out.shape,
    "first layer grad norm",
    round(float(np.linalg.norm(model[0].weight.grad)), 4),
)
try:
    leaky_relu(x, negative_slope="steep")
except TypeError as err:
    print("bad input is caught by check():", err)
