"""tinygrad_conv: a small, fast, honest autograd engine (NumPy, Cython kernels, pictures)."""

from .tensor import Tensor  # first: below, tc.tensor is the function, not this submodule
from . import functional
from ._backend import backend, set_backend, set_num_threads
from ._device import (  # PyTorch's device and dtype names
    accelerator,
    backends,
    cuda,
    device,
    double,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    long,
    short,
    uint8,
)
from ._device import bool, float, int  # noqa: F401 - tc.bool ..., not in __all__ (the builtins)
from ._memory import keep_freed_memory
from ._random import manual_seed
from ._version import __version__
from .autograd import (
    Function,
    detect_anomaly,
    enable_grad,
    is_grad_enabled,
    is_tensor,
    no_grad,
    set_grad_enabled,
)
from .creation import arange, full, ones, ones_like, rand, randn, tensor, zeros, zeros_like
from .ops.conv_algorithm import set_conv_algorithm
from .serialization import load, save
from .gradcheck import gradcheck
from .graph import draw_graph
from .trace import BackwardTrace, trace_backward

from . import data, nn, onnx, optim  # after Tensor, which they build on


# Every op of every ops family, as tc.<name> (declared once, in its ops file's __all__).
globals().update({name: getattr(functional, name) for name in functional.__all__})

# tc.sum, tc.max, tc.min, tc.pow, tc.abs (and the dtypes tc.bool, tc.float, tc.int) stay out of
# __all__, so `import *` leaves the builtins alone.
_BUILTIN_NAMES = {"sum", "max", "min", "pow", "abs"}

keep_freed_memory()

__all__ = [
    "__version__",
    "Tensor",
    "Function",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "detect_anomaly",
    "gradcheck",
    "manual_seed",
    "backend",
    "set_backend",
    "set_num_threads",
    "set_conv_algorithm",
    "draw_graph",
    "BackwardTrace",
    "trace_backward",
    "tensor",
    "zeros",
    "ones",
    "full",
    "zeros_like",
    "ones_like",
    "rand",
    "randn",
    "arange",
    "save",
    "load",
    "nn",
    "optim",
    "data",
    "functional",
    "onnx",
    "device",
    "cuda",
    "backends",
    "accelerator",
    "is_tensor",
    "float32",
    "float64",
    "double",
    "int64",
    "long",
    "int32",
    "int16",
    "short",
    "int8",
    "uint8",
    *(name for name in functional.__all__ if name not in _BUILTIN_NAMES),
]
