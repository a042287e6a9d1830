"""tinygrad_conv: a small, fast, honest autograd engine (NumPy tensors, Cython kernels, graph pictures)."""

from ._backend import backend, set_backend, set_num_threads
from .autograd import detect_anomaly, no_grad
from .functional import (
    conv2d,
    exp,
    flatten,
    log,
    log_softmax,
    matmul,
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

__all__ = [
    "Tensor", "no_grad", "detect_anomaly", "gradcheck", "backend", "set_backend", "set_num_threads",
    "relu", "tanh", "sigmoid", "softmax", "log_softmax", "exp", "log", "matmul", "reshape",
    "transpose", "flatten", "conv2d",
    "draw_graph", "BackwardTrace", "trace_backward",
]
