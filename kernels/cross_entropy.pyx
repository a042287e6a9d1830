# Cross-entropy of logits against class indices, row by row, with PyTorch's label smoothing.
# Layout: x (N, C) C-contiguous float32 or float64; target (N,) intp, each in [0, C); the per-row vectors
# loss, lse and grad_loss are (N,) float64 whatever x's dtype (a float32 log-sum-exp of logits near 1e4 would
# keep only 3 decimals). tinygrad_conv/ops/loss.py (check) validated shapes and the target range, so bounds
# checks are off here. The reduction (mean/sum/none) is done in Python on the per-row losses.
# Parallel: prange over rows; each row is independent and written by one thread.
# Readable twin: tinygrad_conv/reference/cross_entropy.py.
from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport exp, expf, log


def cross_entropy_forward(const floating[:, ::1] x,      # IN: logits
                          const Py_ssize_t[::1] target,  # IN: class indices
                          double[::1] loss,              # OUT: per-row loss
                          double[::1] lse,               # OUT: per-row log-sum-exp, for backward
                          double label_smoothing, int num_threads=1):
    """lse = m + log(sum_j exp(x_j - m)), m = max_j x_j;
    loss = (1 - eps) * (lse - x_target) + eps * (lse - mean_j x_j)."""
    cdef Py_ssize_t i, n = x.shape[0]
    for i in prange(n, nogil=True, schedule="static", num_threads=num_threads):
        _row_forward(x, target, loss, lse, label_smoothing, i)
    return None


def cross_entropy_backward(const floating[:, ::1] x,      # IN: logits
                           const Py_ssize_t[::1] target,  # IN
                           const double[::1] lse,         # IN: from cross_entropy_forward
                           const double[::1] grad_loss,   # IN: dL/d(loss of each row)
                           floating[:, ::1] grad_x,       # OUT
                           double label_smoothing, int num_threads=1):
    """grad_x = grad_loss * (softmax(x) - (1 - eps) * onehot(target) - eps / C), softmax = exp(x - lse)."""
    cdef Py_ssize_t i, n = x.shape[0]
    for i in prange(n, nogil=True, schedule="static", num_threads=num_threads):
        _row_backward(x, target, lse, grad_loss, grad_x, label_smoothing, i)
    return None


cdef inline floating _exp(floating v) noexcept nogil:
    # expf for float32: exp in double would cost twice as much for precision float32 cannot keep.
    if floating is float:
        return expf(v)
    else:
        return exp(v)


cdef inline void _row_forward(const floating[:, ::1] x, const Py_ssize_t[::1] target,
                              double[::1] loss, double[::1] lse, double eps,
                              Py_ssize_t i) noexcept nogil:
    cdef Py_ssize_t j, c = x.shape[1]
    cdef floating m = x[i, 0]
    cdef double total = 0, row_sum = 0, row_lse
    for j in range(1, c):
        if x[i, j] > m:
            m = x[i, j]
    # Subtracting the max makes every exponent <= 0: no overflow, and the largest term is exactly 1.
    for j in range(c):
        total = total + _exp(x[i, j] - m)
    row_lse = m + log(total)
    lse[i] = row_lse
    loss[i] = row_lse - x[i, target[i]]
    if eps != 0:  # skipped at 0 so that a -inf logit cannot turn 0 * inf into NaN
        for j in range(c):
            row_sum = row_sum + x[i, j]
        loss[i] = (1 - eps) * loss[i] + eps * (row_lse - row_sum / c)


cdef inline void _row_backward(const floating[:, ::1] x, const Py_ssize_t[::1] target,
                               const double[::1] lse, const double[::1] grad_loss,
                               floating[:, ::1] grad_x, double eps, Py_ssize_t i) noexcept nogil:
    cdef Py_ssize_t j, c = x.shape[1]
    cdef double g = grad_loss[i], row_lse = lse[i], off = eps / c
    # x - lse in double, then rounded: the exponent is accurate even when the logits are near 1e4.
    for j in range(c):
        grad_x[i, j] = <floating>(g * (_exp(<floating>(x[i, j] - row_lse)) - off))
    grad_x[i, target[i]] = <floating>(grad_x[i, target[i]] - g * (1 - eps))
