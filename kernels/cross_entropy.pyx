# Cross-entropy of logits against class indices, row by row, with PyTorch's label smoothing, class
# weights and ignore_index.
# Layout: x and softmax (N, C) C-contiguous, one float dtype (float32 or float64); target (N,) intp,
# each in [0, C) or equal to ignore_index; the per-row vectors loss and grad_loss are (N,) float64
# whatever x's dtype, and so is weight (C,) (None: every class weighs 1).
# tinygrad_conv/ops/loss.py (check) validated the shapes and the target range, so bounds checks are
# off here. Python does the reduction (mean/sum/none; the weighted mean divides by sum w[target]).
# A row whose target is ignore_index has loss 0 and gradient 0.
# Forward saves softmax(x) for backward, which then needs no exp at all: one exp per logit in all,
# not two (as saving the row's log-sum-exp would need); the memory is what PyTorch keeps too.
# Parallel: prange over rows; each row is independent and written by one thread.
# Readable twin: tinygrad_conv/reference/cross_entropy.py.
from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport exp, log
from libc.stdint cimport uint32_t


def cross_entropy_forward(const floating[:, ::1] x,      # IN: logits
                          const Py_ssize_t[::1] target,  # IN: class indices
                          double[::1] loss,              # OUT: per-row loss
                          floating[:, ::1] softmax,      # OUT: softmax(x), for backward
                          double label_smoothing, int num_threads=1,
                          const double[::1] weight=None,  # IN: per-class weights, or None
                          Py_ssize_t ignore_index=-100):
    """lse = m + log(sum_j exp(x_j - m)), m = max_j x_j; softmax = exp(x - m) / sum_j exp(x_j - m);
    loss = (1 - eps) * w_t * (lse - x_t) + eps / C * sum_j w_j * (lse - x_j), 0 where t is
    ignore_index."""
    cdef Py_ssize_t i, n = x.shape[0]
    cdef const double* w = NULL if weight is None else &weight[0]
    for i in prange(n, nogil=True, schedule="static", num_threads=num_threads):
        _row_forward(x, target, loss, softmax, label_smoothing, w, ignore_index, i)
    return None


def cross_entropy_backward(const floating[:, ::1] softmax,  # IN: from cross_entropy_forward
                           const Py_ssize_t[::1] target,    # IN
                           const double[::1] grad_loss,     # IN: dL/d(loss of each row)
                           floating[:, ::1] grad_x,         # OUT
                           double label_smoothing, int num_threads=1,
                           const double[::1] weight=None,   # IN: per-class weights, or None
                           Py_ssize_t ignore_index=-100):
    """grad_x = grad_loss * (((1 - eps) * w_t + eps / C * sum_j w_j) * softmax
    - (1 - eps) * w_t * onehot(t) - eps / C * w), 0 where t is ignore_index."""
    cdef Py_ssize_t i, j, n = softmax.shape[0]
    cdef const double* w = NULL
    cdef double weight_sum = 0
    if weight is not None:
        w = &weight[0]
        for j in range(weight.shape[0]):
            weight_sum = weight_sum + weight[j]
    for i in prange(n, nogil=True, schedule="static", num_threads=num_threads):
        _row_backward(softmax, target, grad_loss, grad_x, label_smoothing, w, weight_sum,
                      ignore_index, i)
    return None


cdef union _bits32:
    float f
    uint32_t u


cdef inline floating _exp(floating v) noexcept nogil:
    if floating is float:
        return _expf(v)
    else:
        return exp(v)


cdef inline float _expf(float v) noexcept nogil:
    # exp for float32 in plain arithmetic (Cephes' expf polynomial, within 1 ulp here), for v <= 88:
    # the callers pass v <= 0. libm's expf is an opaque call that keeps a loop scalar; this inlines,
    # and GCC vectorises the loops around it. Any `if` would stop that (GCC will not if-convert
    # float code that may trap), hence the bit masks. exp(v) = 2^k * exp(r), k = round(v / ln 2),
    # |r| <= ln(2) / 2.
    cdef float log2e = 1.44269504088896341, magic = 12582912.0  # 1.5 * 2^23: + magic rounds to int
    cdef float ln2_hi = 0.693359375, ln2_lo = -2.12194440e-4, k, r, p
    cdef uint32_t lowest = 0xC2AEAC50, minus_inf = 0xFF800000  # the bits of -87.3365 = ln(FLT_MIN)
    cdef uint32_t tiny, keep
    cdef _bits32 x, t, scale, out
    x.f = v
    # As unsigned bits a negative float grows with its size: v < ln(FLT_MIN) or -inf, never NaN.
    tiny = (x.u > lowest) & (x.u <= minus_inf)
    keep = tiny - 1  # all ones when v is in range, zero when it is tiny
    x.u = (x.u & keep) | (lowest & ~keep)
    t.f = x.f * log2e + magic
    k = t.f - magic
    r = x.f - k * ln2_hi
    r = r - k * ln2_lo
    p = <float>1.9875691500e-4 * r + <float>1.3981999507e-3
    p = p * r + <float>8.3334519073e-3
    p = p * r + <float>4.1665795894e-2
    p = p * r + <float>1.6666665459e-1
    p = p * r + <float>5.0000001201e-1
    p = p * r * r + r + <float>1
    scale.u = (t.u - 0x4B400000 + 127) << 23  # t's low bits hold k: these are the bits of 2^k
    out.f = p * scale.f
    out.u = out.u & keep  # exp of a tiny v is 0
    return out.f


cdef inline void _row_forward(const floating[:, ::1] x, const Py_ssize_t[::1] target,
                              double[::1] loss, floating[:, ::1] softmax, double eps,
                              const double* w, Py_ssize_t ignore_index,
                              Py_ssize_t i) noexcept nogil:
    cdef Py_ssize_t j, k, c = x.shape[1], c16 = c - c % 16
    cdef const floating* row = &x[i, 0]
    cdef floating* prob = &softmax[i, 0]
    cdef floating m = row[0], e, inverse
    cdef floating lane[16]  # 16 partial sums: independent adds that GCC packs into vector registers
    cdef double total = 0, row_sum = 0, row_lse, w_t = 1
    cdef Py_ssize_t t = target[i]
    for j in range(1, c):
        if row[j] > m:
            m = row[j]
    # Subtracting the max makes every exponent <= 0: no overflow, and the largest term is exactly 1.
    for k in range(16):
        lane[k] = 0
    for j in range(0, c16, 16):
        for k in range(16):
            e = _exp(row[j + k] - m)
            prob[j + k] = e
            lane[k] = lane[k] + e
    for k in range(16):
        total = total + lane[k]
    for j in range(c16, c):
        e = _exp(row[j] - m)
        prob[j] = e
        total = total + e
    inverse = <floating>(1 / total)
    for j in range(c):  # the row is still in L1: this pass costs little
        prob[j] = prob[j] * inverse
    row_lse = m + log(total)
    if t == ignore_index:
        loss[i] = 0
        return
    if w != NULL:
        w_t = w[t]
    loss[i] = w_t * (row_lse - row[t])
    if eps != 0:  # skipped at 0 so that a -inf logit cannot turn 0 * inf into NaN
        if w == NULL:
            for j in range(c):
                row_sum = row_sum + row[j]
            loss[i] = (1 - eps) * loss[i] + eps * (row_lse - row_sum / c)
        else:
            for j in range(c):
                row_sum = row_sum + w[j] * (row_lse - row[j])
            loss[i] = (1 - eps) * loss[i] + eps / c * row_sum


cdef inline void _row_backward(const floating[:, ::1] softmax, const Py_ssize_t[::1] target,
                               const double[::1] grad_loss, floating[:, ::1] grad_x, double eps,
                               const double* w, double weight_sum, Py_ssize_t ignore_index,
                               Py_ssize_t i) noexcept nogil:
    cdef Py_ssize_t j, c = softmax.shape[1], t = target[i]
    cdef const floating* prob = &softmax[i, 0]
    cdef floating* grad_row = &grad_x[i, 0]
    cdef double g = grad_loss[i], w_t
    cdef floating scale, off
    if t == ignore_index:
        for j in range(c):
            grad_row[j] = 0
        return
    if w == NULL:
        scale = <floating>g
        off = <floating>(g * eps / c)
        for j in range(c):
            grad_row[j] = scale * prob[j] - off
        grad_row[t] = <floating>(grad_row[t] - g * (1 - eps))
        return
    w_t = w[t]
    scale = <floating>(g * ((1 - eps) * w_t + eps / c * weight_sum))
    for j in range(c):
        grad_row[j] = <floating>(scale * prob[j] - g * eps / c * w[j])
    grad_row[t] = <floating>(grad_row[t] - g * (1 - eps) * w_t)
