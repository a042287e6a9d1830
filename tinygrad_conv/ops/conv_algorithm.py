"""Which algorithm conv2d runs: `set_conv_algorithm("auto" | "im2col" | "direct")`.

- "im2col": copy every window into columns, then BLAS matrix products (any stride, dilation,
  groups, float32 and float64). Backward: two more products and col2im.
- "direct": the kernels of kernels/conv_direct.pyx, which add up the shifted image in vector
  registers and never build columns (stride 1, dilation 1, one group, float32). It keeps only x
  and the weight for backward, so its memory is that of the input, not nine times it.
- "auto" (the default): "direct" where it applies, the kernels were compiled with vectors of at
  least 8 floats (AVX or AVX-512, i.e. a default build on such a machine) and the call has at
  least MIN_MACS multiply-adds and MIN_TAPS per output value, else "im2col".

A call the forced algorithm cannot run (a stride of 2 under "direct", say) runs im2col. Both give
the same results within float32 rounding; the tests run both.
"""

from __future__ import annotations

from .._backend import kernels

ALGORITHMS = ("auto", "im2col", "direct")

# The rule's threshold (benchmarks/bench_conv.py, Zen 5): with 16-float vectors the direct kernels
# beat im2col + OpenBLAS on every workload there; narrower vectors (a portable SSE2 build) leave
# them behind OpenBLAS, which picks its own kernels at run time.
MIN_LANES = 8
# Below about a million multiply-adds (the seed's 5x5 image) the direct path's packing and padding
# copies cost more than im2col's few small products: seed fwd+bwd 0.04-0.18 ms im2col, 0.11-0.36
# direct. With fewer than MIN_TAPS products per output value (C_in * kH * kW: 9 for LeNet's first
# layer) the direct kernel's register blocks are mostly set-up: LeNet's first layer fwd+bwd 0.9-1.1
# ms im2col, 1.56-1.69 direct (medians of 30, Zen 5).
MIN_MACS = 1 << 20
MIN_TAPS = 16

_algorithm = "auto"


def set_conv_algorithm(name: str) -> None:
    """Force conv2d's algorithm ("im2col" or "direct") or let it choose per call ("auto")."""
    global _algorithm
    if not isinstance(name, str):
        raise TypeError(
            f"set_conv_algorithm: name must be a str, one of {ALGORITHMS}, got {name!r}"
        )
    if name not in ALGORITHMS:
        raise ValueError(f"set_conv_algorithm: name must be one of {ALGORITHMS}, got {name!r}")
    _algorithm = name


def get_conv_algorithm() -> str:
    """The setting: "auto", "im2col" or "direct"."""
    return _algorithm


def direct_applies(geometry, dtype) -> bool:
    """Whether the direct kernels can run this call (they are float32, stride 1, no dilation)."""
    g = geometry
    return dtype == "float32" and g.sh == g.sw == g.dh == g.dw == g.groups == 1


def choose(geometry, dtype) -> str:
    """The algorithm one call runs: "im2col" or "direct"."""
    if _algorithm == "im2col" or not direct_applies(geometry, dtype):
        return "im2col"
    if _algorithm == "direct":
        return "direct"
    g = geometry
    macs = g.n * g.c_out * g.oh * g.ow * g.c * g.kh * g.kw
    taps = g.c * g.kh * g.kw
    fast = kernels().direct_lanes() >= MIN_LANES and macs >= MIN_MACS and taps >= MIN_TAPS
    return "direct" if fast else "im2col"
