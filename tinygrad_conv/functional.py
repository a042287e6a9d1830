"""Every operation as a plain function (tc.conv2d(x, w), tc.relu(x), ...), PyTorch's signatures."""

from .ops.activation import log_softmax, relu, sigmoid, softmax, tanh
from .ops.conv import conv2d
from .ops.elementwise import add, div, exp, log, mul, neg, pow, sub
from .ops.loss import cross_entropy
from .ops.matmul import matmul
from .ops.movement import flatten, getitem, reshape, transpose
from .ops.pool import avg_pool2d, max_pool2d
from .ops.reduce import max, mean, sum

__all__ = [
    "add", "sub", "mul", "div", "pow", "neg", "exp", "log",
    "matmul", "sum", "mean", "max", "reshape", "transpose", "flatten", "getitem",
    "relu", "tanh", "sigmoid", "softmax", "log_softmax", "conv2d",
    "max_pool2d", "avg_pool2d", "cross_entropy",
]
