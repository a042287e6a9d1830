"""Every fuzz generator by op name, and the ones whose op exists in the installed package."""

from __future__ import annotations

from collections.abc import Callable


from .common import *  # noqa: F403
from .gen_math import *  # noqa: F403
from .gen_shape import *  # noqa: F403
from .gen_kernels import *  # noqa: F403
from .gen_nn import *  # noqa: F403
from .gen_misc import *  # noqa: F403


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
}
NEEDS = {
    "conv2d": "conv2d",
    "max_pool2d": "max_pool2d",
    "avg_pool2d": "avg_pool2d",
    "cross_entropy": "cross_entropy",
    "nn": "nn",
    "optim": "optim",
    "state_dict": "nn",
    "graph": "draw_graph",
}


def available_ops() -> list[str]:
    """The generators whose operation exists in the installed tinygrad_conv."""
    import importlib

    import tinygrad_conv as tc

    ops = []
    for name in GENERATORS:
        if name.startswith("_"):
            continue
        need = NEEDS.get(name)
        if need == "nn" and not all(hasattr(tc, f) for f in ("conv2d", "max_pool2d", "avg_pool2d")):
            continue
        if need in ("nn", "optim"):
            try:
                importlib.import_module(f"tinygrad_conv.{need}")
                if need == "nn":
                    importlib.import_module("tinygrad_conv.nn").Conv2d  # noqa: B018
            except (ImportError, AttributeError):
                continue
        elif need is not None and not hasattr(tc, need):
            continue
        ops.append(name)
    return ops
