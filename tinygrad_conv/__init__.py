"""tinygrad_conv: a small, fast, honest autograd engine (NumPy, Cython kernels, pictures)."""

from . import data, functional, nn, optim
from ._backend import backend, set_backend, set_num_threads
from ._memory import keep_freed_memory
from .autograd import detect_anomaly, no_grad
from .functional import (
    add,
    avg_pool2d,
    conv2d,
    cross_entropy,
    div,
    exp,
    flatten,
    getitem,
    log,
    log_softmax,
    matmul,
    max_pool2d,
    mean,
    mul,
    neg,
    relu,
    reshape,
    sigmoid,
    softmax,
    sub,
    tanh,
    transpose,
)

# tc.sum, tc.max, tc.pow are kept out of __all__, so that `import *` leaves the builtins alone
from .functional import max as max  # noqa: E402
from .functional import pow as pow  # noqa: E402
from .functional import sum as sum  # noqa: E402
from .gradcheck import gradcheck
from .graph import draw_graph
from .tensor import Tensor
from .trace import BackwardTrace, trace_backward

__version__ = "0.1.0"

keep_freed_memory()

__all__ = [
    "Tensor", "no_grad", "detect_anomaly", "gradcheck", "backend", "set_backend", "set_num_threads",
    "relu", "tanh", "sigmoid", "softmax", "log_softmax", "exp", "log", "matmul", "reshape",
    "transpose", "flatten", "conv2d", "max_pool2d", "avg_pool2d", "cross_entropy",
    "nn", "optim", "data", "functional", "add", "sub", "mul", "div", "neg", "getitem", "mean",
    "draw_graph", "BackwardTrace", "trace_backward",
]
