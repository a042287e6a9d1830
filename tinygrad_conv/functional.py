"""Every operation as a plain function (tc.conv2d(x, w), tc.relu(x), ...), PyTorch's signatures.

Built from the `__all__` of each ops family listed in OPS_MODULES: a new op is declared once, in
its family's file, and appears here, in `tc.` and in the tests' op lists.
"""

import importlib

OPS_MODULES = (
    "elementwise",
    "matmul",
    "reduce",
    "movement",
    "join",
    "select",
    "statistics",
    "compare",
    "activation",
    "conv",
    "pool",
    "loss",
    "normalization",
    "linear",
    "dropout",
    "adaptive_pool",
    "pointwise_loss",
)

__all__: list[str] = []
for _family in OPS_MODULES:
    _module = importlib.import_module(f"{__package__}.ops.{_family}")
    for _name in _module.__all__:
        if _name in globals():
            raise ImportError(f"functional: {_name!r} is declared by two ops families")
        globals()[_name] = getattr(_module, _name)
        __all__.append(_name)
del _family, _module, _name
