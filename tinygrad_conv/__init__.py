"""tinygrad_conv: a small, fast, honest autograd engine (NumPy, Cython kernels, pictures)."""

from . import data, functional, nn, optim
from ._backend import backend, set_backend, set_num_threads
from ._memory import keep_freed_memory
from .autograd import detect_anomaly, no_grad
from .functional import (
    avg_pool2d,
    conv2d,
    cross_entropy,
    exp,
    flatten,
    log,
    log_softmax,
    matmul,
    max_pool2d,
    relu,
    reshape,
    sigmoid,
    softmax,
    tanh,
    transpose,
)
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
    "nn", "optim", "data", "functional",
    "draw_graph", "BackwardTrace", "trace_backward",
]
