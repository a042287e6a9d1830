"""dtype conversions behind Tensor.to(dtype), .float(), .double(), .long(), .bool(): between float
dtypes a differentiable op; to or from an integer or bool dtype a new tensor with no graph (an
index or a mask has no gradient, as in PyTorch)."""

from __future__ import annotations

import numpy as np

from ..autograd import Context, Function, make_tensor

ALLOWED = tuple(
    np.dtype(d)
    for d in (np.float32, np.float64, np.int64, np.int32, np.int16, np.int8, np.uint8, np.bool_)
)


class Cast(Function):
    """y = x in another float dtype; dL/dx = dL/dy back in x's dtype."""

    name = "to"
    inputs = ("x",)

    @staticmethod
    def forward(ctx: Context, x, dtype):
        return x.astype(dtype)

    @staticmethod
    def backward(ctx: Context, grad_out):
        return (grad_out.astype(ctx.input_dtypes[0]),)


def as_dtype(op: str, dtype) -> np.dtype:
    try:
        wanted = np.dtype(dtype)
    except TypeError:
        raise TypeError(
            f"{op}: dtype must be a NumPy dtype such as np.float32, np.int64 or bool, got {dtype!r}"
        ) from None
    if wanted not in ALLOWED:
        raise TypeError(f"{op}: dtype must be float32, float64, an int type or bool, got {wanted}")
    return wanted


def convert(x, dtype, op: str = "to"):
    """x in `dtype` (x itself when it already is, as PyTorch returns self)."""
    wanted = as_dtype(op, dtype)
    if x.dtype == wanted:
        return x
    if x.dtype.kind == "f" and wanted.kind == "f":
        return Cast.apply(x, dtype=wanted)
    if wanted.kind == "f" and x._ctx is not None:  # a recorded mask or index keeps its graph
        return Cast.apply(x, dtype=wanted)  # (ONNX export follows it); it never requires grad
    if wanted.kind in "iu" and x.dtype.kind == "f" and not np.isfinite(x.data).all():
        raise ValueError(f"{op}: NaN or Inf cannot become {wanted}")
    with np.errstate(invalid="ignore"):
        return make_tensor(x.data.astype(wanted))
