# GELU forward and backward on flat, C-contiguous buffers, exact (erf) or tanh-approximated.
# NumPy has no erf; C's erf and tanh come from libm, evaluated in double for both dtypes.
# Layout: any shape, flattened by the caller (tinygrad_conv/ops/activation.py), which also makes the
# buffers C-contiguous and of one float dtype (check_float_input), so bounds checks are off here.
# Parallel: prange over the flat index in static chunks, num_threads chosen by the caller.
# Readable twin: tinygrad_conv/reference/gelu.py.
from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport erf, exp, tanh

cdef double SQRT1_2 = 0.7071067811865476    # 1 / sqrt(2)
cdef double INV_SQRT_2PI = 0.3989422804014327  # 1 / sqrt(2 pi)
cdef double K_TANH = 0.7978845608028654     # sqrt(2 / pi)
cdef double C_TANH = 0.044715


def gelu_forward(const floating[::1] x,   # IN
                 floating[::1] out,       # OUT
                 bint approximate_tanh,
                 int num_threads=1):
    """out = x Phi(x), Phi the standard normal CDF (or PyTorch's tanh approximation)."""
    cdef Py_ssize_t i, n = x.shape[0]
    cdef double v
    for i in prange(n, nogil=True, schedule="static", num_threads=num_threads):
        v = x[i]
        if approximate_tanh:
            out[i] = <floating>(0.5 * v * (1.0 + tanh(K_TANH * (v + C_TANH * v * v * v))))
        else:
            out[i] = <floating>(0.5 * v * (1.0 + erf(v * SQRT1_2)))
    return None


def gelu_backward(const floating[::1] x,         # IN: the forward input
                  const floating[::1] grad_out,  # IN
                  floating[::1] grad_x,          # OUT
                  bint approximate_tanh,
                  int num_threads=1):
    """grad_x = grad_out * (Phi(x) + x phi(x)), or the tanh form's derivative."""
    cdef Py_ssize_t i, n = x.shape[0]
    cdef double v, t, d
    for i in prange(n, nogil=True, schedule="static", num_threads=num_threads):
        v = x[i]
        if approximate_tanh:
            t = tanh(K_TANH * (v + C_TANH * v * v * v))
            d = 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * K_TANH * (1.0 + 3.0 * C_TANH * v * v)
        else:
            d = 0.5 * (1.0 + erf(v * SQRT1_2)) + v * INV_SQRT_2PI * exp(-0.5 * v * v)
        grad_x[i] = <floating>(grad_out[i] * d)
    return None
