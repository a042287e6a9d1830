# Clamp forward and backward on flat, C-contiguous buffers.
# Layout: any shape, flattened by the caller (tinygrad_conv/ops/select.py), which also makes the
# buffers C-contiguous and of one float dtype (check_float_input), so bounds checks are off here.
# Why a kernel: the backward's mask is data-dependent, and NumPy's masked select (np.where) on an
# activation's random signs costs ~60x this loop (benchmarks/bench_overhead.py).
# Parallel: prange over the flat index in static chunks, num_threads chosen by the caller.
# Readable twin: tinygrad_conv/reference/clamp.py.
from cython cimport floating
from cython.parallel cimport prange


def clamp_forward(const floating[::1] x,   # IN
                  floating[::1] out,       # OUT
                  double low, double high,  # -inf / +inf when not given
                  int num_threads=1):
    """out = min(max(x, low), high); NaN stays NaN; low > high gives high (PyTorch)."""
    cdef Py_ssize_t i, n = x.shape[0]
    cdef floating lo = <floating>low
    cdef floating hi = <floating>high
    cdef floating v
    for i in prange(n, nogil=True, schedule="static", num_threads=num_threads):
        v = x[i]
        if v < lo:
            v = lo
        if v > hi:
            v = hi
        out[i] = v
    return None


def clamp_backward(const floating[::1] x,         # IN: the forward input
                   const floating[::1] grad_out,  # IN
                   floating[::1] grad_x,          # OUT
                   double low, double high,
                   int num_threads=1):
    """grad_x = grad_out where low <= x <= high (the bounds included, PyTorch's rule), else 0;
    0 at NaN."""
    cdef Py_ssize_t i, n = x.shape[0]
    cdef floating lo = <floating>low
    cdef floating hi = <floating>high
    cdef floating v, g
    for i in prange(n, nogil=True, schedule="static", num_threads=num_threads):
        v = x[i]
        g = grad_out[i]  # an unconditional load lets the compiler vectorise the select
        grad_x[i] = g if (v >= lo and v <= hi) else 0
    return None
