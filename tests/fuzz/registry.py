"""Every fuzz generator by op name, and the ones whose op exists in the installed package."""

from __future__ import annotations

from collections.abc import Callable

from .common import *  # noqa: F403
from .gen_engine import GENERATORS_ENGINE
from .gen_kernels import *  # noqa: F403
from .gen_math import *  # noqa: F403
from .gen_misc import *  # noqa: F403
from .gen_nn import *  # noqa: F403
from .gen_shape import *  # noqa: F403
from .gen_spec import GENERATORS_SPEC
from .gen_spec_nn import GENERATORS_SPEC_NN

GENERATORS: dict[str, Callable] = {
    **{name: gen_binary(name) for name in BINARY},
    **{name: gen_unary(name) for name in UNARY},
    **{name: gen_reduce(name) for name in ("sum", "mean", "max")},
    "reshape": gen_reshape,
    "transpose": gen_transpose,
    "flatten": gen_flatten,
    "getitem": gen_getitem,
    "matmul": gen_matmul,
    "softmax": gen_softmax("softmax"),
    "log_softmax": gen_softmax("log_softmax"),
    "Tensor": gen_tensor,
    "backward": gen_backward,
    "conv2d": gen_conv2d,
    "max_pool2d": gen_pool("max_pool2d"),
    "avg_pool2d": gen_pool("avg_pool2d"),
    "cross_entropy": gen_cross_entropy,
    "nn": gen_layer,
    "optim": gen_optim,
    "anomaly": gen_anomaly,
    "graph": gen_graph,
    "batches": gen_batches,
    "state_dict": gen_state_dict,
    "tensor_methods": gen_tensor_methods,
    "_segfault": gen_segfault,
    **GENERATORS_SPEC,
    **GENERATORS_SPEC_NN,
    **GENERATORS_ENGINE,
}


def available_ops() -> list[str]:
    """The generators of public ops and engine features that exist in the installed package
    (an op still being written is left out until it is in tc.functional)."""
    import tinygrad_conv as tc
    import tinygrad_conv.nn.functional as nn_functional

    def exists(name):
        return hasattr(tc.functional, name) or hasattr(nn_functional, name)

    return [
        name
        for name in GENERATORS
        if not name.startswith("_")
        and (name not in GENERATORS_SPEC and name not in GENERATORS_SPEC_NN or exists(name))
    ]
