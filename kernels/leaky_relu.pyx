# Leaky ReLU forward and backward on flat, C-contiguous buffers.
# Layout: any shape, flattened by the caller (tinygrad_conv/ops/activation.py), which also makes the
# buffers C-contiguous and of one float dtype (check_float_input), so bounds checks are off here.
# One pass per direction where NumPy needs three (a compare, a multiply, a select).
# Parallel: prange over the flat index in static chunks, num_threads chosen by the caller.
# Readable twin: tinygrad_conv/reference/leaky_relu.py.
from cython cimport floating
from cython.parallel cimport prange


def leaky_relu_forward(const floating[::1] x,   # IN
                       floating[::1] out,       # OUT
                       double negative_slope,
                       int num_threads=1):
    """out = x where x > 0, else negative_slope * x (NaN stays NaN)."""
    cdef Py_ssize_t i, n = x.shape[0]
    cdef floating slope = <floating>negative_slope
    cdef floating v
    for i in prange(n, nogil=True, schedule="static", num_threads=num_threads):
        v = x[i]
        out[i] = v if v > 0 else v * slope
    return None


def leaky_relu_backward(const floating[::1] x,         # IN: the forward input
                        const floating[::1] grad_out,  # IN
                        floating[::1] grad_x,          # OUT
                        double negative_slope,
                        int num_threads=1):
    """grad_x = grad_out where x > 0, else negative_slope * grad_out (at 0 too, as PyTorch)."""
    cdef Py_ssize_t i, n = x.shape[0]
    cdef floating slope = <floating>negative_slope
    cdef floating g
    for i in prange(n, nogil=True, schedule="static", num_threads=num_threads):
        g = grad_out[i]
        grad_x[i] = g if x[i] > 0 else g * slope
    return None
