# ReLU forward and backward on flat, C-contiguous buffers.
# Layout: any shape, flattened by the caller (tinygrad_conv/ops/activation.py), which also makes the
# buffers C-contiguous and of one float dtype, so bounds checks are off here.
# Parallel: prange over the flat index in static chunks, with num_threads chosen by the caller
# (1 below a size threshold, where thread start-up costs more than it saves).
# Readable twin: tinygrad_conv/reference/relu.py.
from cython cimport floating
from cython.parallel cimport prange


def relu_forward(const floating[::1] x,   # IN
                 floating[::1] out,       # OUT
                 int num_threads=1):
    """out = max(x, 0); NaN stays NaN, as in PyTorch (hence `<= 0` rather than `> 0`)."""
    cdef Py_ssize_t i, n = x.shape[0]
    for i in prange(n, nogil=True, schedule="static", num_threads=num_threads):
        out[i] = 0 if x[i] <= 0 else x[i]
    return None


def relu_backward(const floating[::1] x,         # IN: the forward input
                  const floating[::1] grad_out,  # IN
                  floating[::1] grad_x,          # OUT
                  int num_threads=1):
    """grad_x = grad_out where x > 0 (or x is NaN), else 0; 0 at exactly 0, as in PyTorch."""
    cdef Py_ssize_t i, n = x.shape[0]
    cdef floating g
    for i in prange(n, nogil=True, schedule="static", num_threads=num_threads):
        g = grad_out[i]  # an unconditional load lets the compiler vectorise the select
        grad_x[i] = 0 if x[i] <= 0 else g
    return None
