"""tinygrad_conv: a small, fast, honest autograd engine (NumPy, Cython kernels, pictures)."""

from . import functional
from ._backend import backend, set_backend, set_num_threads
from ._memory import keep_freed_memory
from ._random import manual_seed
from ._version import __version__
from .autograd import (
    Function,
    detect_anomaly,
    enable_grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .creation import arange, full, ones, ones_like, rand, randn, tensor, zeros, zeros_like
from .ops.conv_algorithm import set_conv_algorithm
from .serialization import load, save
from .gradcheck import gradcheck
from .graph import draw_graph
from .tensor import Tensor
from .trace import BackwardTrace, trace_backward

from . import data, nn, onnx, optim  # noqa: E402,I001 - after Tensor, which they build on


# Every op of every ops family, as tc.<name> (declared once, in its ops file's __all__).
globals().update({name: getattr(functional, name) for name in functional.__all__})

# tc.sum, tc.max, tc.min, tc.pow, tc.abs stay out of __all__, so `import *` leaves the builtins alone.
_BUILTIN_NAMES = {"sum", "max", "min", "pow", "abs"}

keep_freed_memory()

__all__ = [
    "Tensor", "Function", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
    "detect_anomaly", "gradcheck", "manual_seed", "backend", "set_backend", "set_num_threads",
    "set_conv_algorithm", "draw_graph", "BackwardTrace", "trace_backward",
    "tensor", "zeros", "ones", "full", "zeros_like", "ones_like", "rand", "randn", "arange",
    "save", "load", "nn", "optim", "data", "functional", "onnx",
    *(name for name in functional.__all__ if name not in _BUILTIN_NAMES),
]
