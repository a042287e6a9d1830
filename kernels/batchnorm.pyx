# Batch normalisation over the channels of (N, C, L) arrays, forward and backward, train and eval.
# Layout: x, y, grad_out, grad_x C-contiguous (N, C, L), one float dtype, L = H * W for images, 1
# for (N, C); weight, bias (C,) in x's dtype (ones and zeros without an affine part); the statistics
# mean, var, invstd, sum_dy, sum_dy_xmu (C,) float64 whatever x's dtype. ops/normalization.py
# (check) validated the shapes, dtypes and eps, so bounds checks are off here.
# Accuracy: the variance comes from sums of (x - shift), shift = a value near the channel's mean
# (the mean of its first values; the first value itself in the row order, which sums in float64):
# one pass, and no cancellation unless the mean lies many deviations from the shift. Sums are
# float64: in the channel order they are kept in LANES lanes of x's dtype for at most CHUNK values,
# then added into float64 lanes (one float64 add per CHUNK / LANES values).
# Two loop orders:
# - L > 1 (images, sequences): prange over channels, each channel's pass over N * L values followed
#   at once by its second pass, while the channel is still in cache.
# - L = 1 ((N, C)): a channel's values lie C apart, one per cache line (or page), so each thread
#   takes a block of channels and walks the rows in memory order, vectorised over the channels,
#   accumulating straight into the float64 outputs.
# Either way one thread owns each channel, summed in one fixed order: 1 or 2 threads agree exactly.
# Readable twin: tinygrad_conv/reference/batchnorm.py.
from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport sqrt

cdef enum:
    LANES = 32  # partial sums per accumulator
    CHUNK = 1024  # values summed in x's dtype before the partial sums join float64


def batch_norm_forward_train(const floating[:, :, ::1] x,  # IN
                             const floating[::1] weight,   # IN
                             const floating[::1] bias,     # IN
                             floating[:, :, ::1] y,        # OUT
                             double[::1] mean,             # OUT: batch mean per channel
                             double[::1] var,              # OUT: biased batch variance
                             double[::1] invstd,           # OUT: 1 / sqrt(var + eps)
                             double eps, int num_threads=1):
    """mean = sum(x) / M, var = sum((x - mean)^2) / M over M = N * L values per channel;
    y = (x - mean) * invstd * weight + bias."""
    cdef Py_ssize_t c, b, block = _block(x.shape[1], num_threads)
    if x.shape[2] == 1:
        for b in prange((x.shape[1] + block - 1) // block, nogil=True, schedule="static",
                        num_threads=num_threads):
            _rows_forward_train(x, weight, bias, y, mean, var, invstd, eps, b * block, block)
        return None
    for c in prange(x.shape[1], nogil=True, schedule="static", num_threads=num_threads):
        _forward_train_channel(x, weight, bias, y, mean, var, invstd, eps, c)
    return None


def batch_norm_forward_eval(const floating[:, :, ::1] x,  # IN
                            const double[::1] mean,       # IN: the running mean
                            const double[::1] invstd,     # IN: 1 / sqrt(running_var + eps)
                            const floating[::1] weight,   # IN
                            const floating[::1] bias,     # IN
                            floating[:, :, ::1] y,        # OUT
                            int num_threads=1):
    """y = (x - mean) * invstd * weight + bias."""
    cdef Py_ssize_t c, b, block = _block(x.shape[1], num_threads)
    if x.shape[2] == 1:
        for b in prange((x.shape[1] + block - 1) // block, nogil=True, schedule="static",
                        num_threads=num_threads):
            _rows_affine(x, y, mean, invstd, weight, bias, b * block, block)
        return None
    for c in prange(x.shape[1], nogil=True, schedule="static", num_threads=num_threads):
        _affine_channel(x, y, <floating>mean[c], <floating>(invstd[c] * weight[c]),
                        bias[c], c)
    return None


def batch_norm_backward_train(const floating[:, :, ::1] x,         # IN: the forward input
                              const floating[:, :, ::1] grad_out,  # IN
                              const double[::1] mean,              # IN: from forward
                              const double[::1] invstd,            # IN: from forward
                              const floating[::1] weight,          # IN
                              floating[:, :, ::1] grad_x,          # OUT (if need_grad_x)
                              double[::1] sum_dy,                  # OUT: sum(grad_out) = grad_bias
                              double[::1] sum_dy_xmu,              # OUT: sum(grad_out * (x - mean))
                              bint need_grad_x, int num_threads=1):
    """grad_x = weight * invstd * (dy - sum(dy) / M - x_hat * sum(dy * x_hat) / M), x_hat =
    (x - mean) * invstd; grad_weight = sum_dy_xmu * invstd, grad_bias = sum_dy (the caller's)."""
    cdef Py_ssize_t c, b, block = _block(x.shape[1], num_threads)
    if x.shape[2] == 1:
        for b in prange((x.shape[1] + block - 1) // block, nogil=True, schedule="static",
                        num_threads=num_threads):
            _rows_dy_sums(x, grad_out, mean, sum_dy, sum_dy_xmu, b * block, block)
            if need_grad_x:
                _rows_grad_train(x, grad_out, mean, invstd, weight, grad_x, sum_dy, sum_dy_xmu,
                                 b * block, block)
        return None
    for c in prange(x.shape[1], nogil=True, schedule="static", num_threads=num_threads):
        _backward_train_channel(x, grad_out, mean, invstd, weight, grad_x, sum_dy, sum_dy_xmu,
                                need_grad_x, c)
    return None


def batch_norm_backward_eval(const floating[:, :, ::1] x,         # IN: the forward input
                             const floating[:, :, ::1] grad_out,  # IN
                             const double[::1] mean,              # IN: the running mean used
                             const double[::1] invstd,            # IN: 1 / sqrt(running_var + eps)
                             const floating[::1] weight,          # IN
                             floating[:, :, ::1] grad_x,          # OUT (if need_grad_x)
                             double[::1] sum_dy,                  # OUT (if need_sums)
                             double[::1] sum_dy_xmu,              # OUT (if need_sums)
                             bint need_grad_x, bint need_sums, int num_threads=1):
    """grad_x = grad_out * invstd * weight (the statistics are constants here); sums as in train."""
    cdef Py_ssize_t c, b, block = _block(x.shape[1], num_threads)
    if x.shape[2] == 1:
        for b in prange((x.shape[1] + block - 1) // block, nogil=True, schedule="static",
                        num_threads=num_threads):
            if need_sums:
                _rows_dy_sums(x, grad_out, mean, sum_dy, sum_dy_xmu, b * block, block)
            if need_grad_x:
                _rows_scale(grad_out, grad_x, invstd, weight, b * block, block)
        return None
    for c in prange(x.shape[1], nogil=True, schedule="static", num_threads=num_threads):
        if need_sums:
            _dy_sums_channel(x, grad_out, mean, sum_dy, sum_dy_xmu, c)
        if need_grad_x:
            _affine_channel(grad_out, grad_x, 0, <floating>(invstd[c] * weight[c]), 0, c)
    return None


cdef inline void _shifted_sums(const floating* a, Py_ssize_t count, floating shift,
                               double* total, double* total_sq) noexcept nogil:
    # total[k] += sum(a - shift), total_sq[k] += sum((a - shift)^2) over lanes k: independent adds
    # in several vector registers (no add waits on the one before); a float lane takes CHUNK / LANES
    # terms, then joins the float64 lanes, which the caller adds up once per channel.
    cdef floating lane[LANES]
    cdef floating lane_sq[LANES]
    cdef floating d
    cdef Py_ssize_t start = 0, stop, j, k
    while start < count:
        stop = start + CHUNK if start + CHUNK < count else count
        for k in range(LANES):
            lane[k] = 0
            lane_sq[k] = 0
        j = start
        while j + LANES <= stop:
            for k in range(LANES):
                d = a[j + k] - shift
                lane[k] = lane[k] + d
                lane_sq[k] = lane_sq[k] + d * d
            j = j + LANES
        for k in range(stop - j):
            d = a[j + k] - shift
            lane[k] = lane[k] + d
            lane_sq[k] = lane_sq[k] + d * d
        for k in range(LANES):
            total[k] = total[k] + lane[k]
            total_sq[k] = total_sq[k] + lane_sq[k]
        start = stop


cdef inline void _dot_sums(const floating* dy, const floating* a, Py_ssize_t count,
                           floating center, double* total, double* total_dot) noexcept nogil:
    # total[k] += sum(dy), total_dot[k] += sum(dy * (a - center)), in lanes as _shifted_sums
    cdef floating lane[LANES]
    cdef floating lane_dot[LANES]
    cdef Py_ssize_t start = 0, stop, j, k
    while start < count:
        stop = start + CHUNK if start + CHUNK < count else count
        for k in range(LANES):
            lane[k] = 0
            lane_dot[k] = 0
        j = start
        while j + LANES <= stop:
            for k in range(LANES):
                lane[k] = lane[k] + dy[j + k]
                lane_dot[k] = lane_dot[k] + dy[j + k] * (a[j + k] - center)
            j = j + LANES
        for k in range(stop - j):
            lane[k] = lane[k] + dy[j + k]
            lane_dot[k] = lane_dot[k] + dy[j + k] * (a[j + k] - center)
        for k in range(LANES):
            total[k] = total[k] + lane[k]
            total_dot[k] = total_dot[k] + lane_dot[k]
        start = stop


cdef inline double _lane_total(const double* lanes) noexcept nogil:
    cdef double total = 0
    cdef Py_ssize_t k
    for k in range(LANES):
        total = total + lanes[k]
    return total


cdef inline void _forward_train_channel(const floating[:, :, ::1] x, const floating[::1] weight,
                                        const floating[::1] bias, floating[:, :, ::1] y,
                                        double[::1] mean, double[::1] var, double[::1] invstd,
                                        double eps, Py_ssize_t c) noexcept nogil:
    cdef Py_ssize_t i, k, n = x.shape[0], l = x.shape[2]
    cdef double count = <double>n * l, m = 0, v
    cdef double s[LANES]
    cdef double q[LANES]
    cdef floating shift
    if n == 0 or l == 0:
        mean[c] = 0
        var[c] = 0
        invstd[c] = 1 / sqrt(eps)
        return
    # shift: the mean of the channel's first values, near the channel's mean unless its first
    # sample is far off; small shifted values keep the float32 lanes' squares accurate
    for k in range(l if l < CHUNK else CHUNK):
        m = m + x[0, c, k]
    shift = <floating>(m / (l if l < CHUNK else CHUNK))
    for k in range(LANES):
        s[k] = 0
        q[k] = 0
    for i in range(n):
        _shifted_sums(&x[i, c, 0], l, shift, s, q)
    m = _lane_total(s) / count  # the mean of x - shift
    v = _lane_total(q) / count - m * m
    if v < 0:  # rounding can leave a constant channel a tiny negative variance
        v = 0
    mean[c] = m + shift
    var[c] = v
    invstd[c] = 1 / sqrt(v + eps)
    _affine_channel(x, y, <floating>mean[c], <floating>(invstd[c] * weight[c]), bias[c], c)


cdef inline void _affine_channel(const floating[:, :, ::1] x, floating[:, :, ::1] y,
                                 floating center, floating scale, floating offset,
                                 Py_ssize_t c) noexcept nogil:
    # y = (x - center) * scale + offset: subtracting first keeps the digits of x near the mean
    cdef Py_ssize_t i, j, n = x.shape[0], l = x.shape[2]
    cdef const floating* src
    cdef floating* dst
    if l == 0:
        return
    for i in range(n):
        src = &x[i, c, 0]
        dst = &y[i, c, 0]
        for j in range(l):
            dst[j] = (src[j] - center) * scale + offset


cdef inline void _dy_sums_channel(const floating[:, :, ::1] x, const floating[:, :, ::1] grad_out,
                                  const double[::1] mean, double[::1] sum_dy,
                                  double[::1] sum_dy_xmu, Py_ssize_t c) noexcept nogil:
    cdef Py_ssize_t i, n = x.shape[0], l = x.shape[2]
    cdef double s[LANES]
    cdef double q[LANES]
    cdef Py_ssize_t k
    for k in range(LANES):
        s[k] = 0
        q[k] = 0
    if l > 0:
        for i in range(n):
            _dot_sums(&grad_out[i, c, 0], &x[i, c, 0], l, <floating>mean[c], s, q)
    sum_dy[c] = _lane_total(s)
    sum_dy_xmu[c] = _lane_total(q)


cdef inline void _backward_train_channel(const floating[:, :, ::1] x,
                                         const floating[:, :, ::1] grad_out,
                                         const double[::1] mean, const double[::1] invstd,
                                         const floating[::1] weight, floating[:, :, ::1] grad_x,
                                         double[::1] sum_dy, double[::1] sum_dy_xmu,
                                         bint need_grad_x, Py_ssize_t c) noexcept nogil:
    cdef Py_ssize_t i, j, n = x.shape[0], l = x.shape[2]
    cdef double count = <double>n * l, k1
    cdef floating center, a, b, d
    cdef const floating* src
    cdef const floating* dy
    cdef floating* dst
    _dy_sums_channel(x, grad_out, mean, sum_dy, sum_dy_xmu, c)
    if not need_grad_x or count == 0:
        return
    # grad_x = dy * a + (x - mean) * b + d, with a, b, d per channel
    k1 = invstd[c] * weight[c]
    a = <floating>k1
    b = <floating>(-k1 * invstd[c] * invstd[c] * sum_dy_xmu[c] / count)
    d = <floating>(-k1 * sum_dy[c] / count)
    center = <floating>mean[c]
    for i in range(n):
        src = &x[i, c, 0]
        dy = &grad_out[i, c, 0]
        dst = &grad_x[i, c, 0]
        for j in range(l):
            dst[j] = dy[j] * a + (src[j] - center) * b + d


cdef inline Py_ssize_t _block(Py_ssize_t channels, int num_threads) noexcept nogil:
    # one share of channels per thread, in whole 64-byte lines (no two threads write one line of
    # y); smaller blocks measured slower (4 KiB rows walked half at a time: a fifth of the speed)
    cdef Py_ssize_t threads = num_threads if num_threads > 1 else 1
    cdef Py_ssize_t share = (channels + threads - 1) // threads
    return (share + 15) // 16 * 16 if share > 0 else 16  # never 0: _blocks divides by it


cdef inline void _rows_forward_train(const floating[:, :, ::1] x, const floating[::1] weight,
                                     const floating[::1] bias, floating[:, :, ::1] y,
                                     double[::1] mean, double[::1] var, double[::1] invstd,
                                     double eps, Py_ssize_t c0, Py_ssize_t block) noexcept nogil:
    # L = 1. s and q (the outputs mean and var) hold the sums of x - x[0] and of its square first.
    cdef Py_ssize_t i, c, n = x.shape[0], c1 = min(c0 + block, x.shape[1])
    cdef double d, m, v
    cdef double* s = &mean[0]
    cdef double* q = &var[0]
    cdef const floating* row
    cdef const floating* first
    if n == 0:
        for c in range(c0, c1):
            mean[c] = 0
            var[c] = 0
            invstd[c] = 1 / sqrt(eps)
        return
    first = &x[0, 0, 0]
    for c in range(c0, c1):
        s[c] = 0
        q[c] = 0
    for i in range(n):
        row = &x[i, 0, 0]
        for c in range(c0, c1):
            d = <double>row[c] - first[c]
            s[c] = s[c] + d
            q[c] = q[c] + d * d
    for c in range(c0, c1):
        m = s[c] / n
        v = q[c] / n - m * m
        var[c] = 0 if v < 0 else v  # as in _forward_train_channel (NaN stays NaN)
        mean[c] = m + first[c]
        invstd[c] = 1 / sqrt(var[c] + eps)
    _rows_affine(x, y, mean, invstd, weight, bias, c0, block)


cdef inline void _rows_affine(const floating[:, :, ::1] x, floating[:, :, ::1] y,
                              const double[::1] mean, const double[::1] invstd,
                              const floating[::1] weight, const floating[::1] bias,
                              Py_ssize_t c0, Py_ssize_t block) noexcept nogil:
    # L = 1: y = (x - mean) * (invstd * weight) + bias. Row pointers: GCC vectorises no loop over a
    # memoryview's middle axis (its stride is unknown at compile time).
    cdef Py_ssize_t i, c, c1 = min(c0 + block, x.shape[1])
    cdef const floating* src
    cdef floating* dst
    for i in range(x.shape[0]):
        src = &x[i, 0, 0]
        dst = &y[i, 0, 0]
        for c in range(c0, c1):
            dst[c] = (src[c] - <floating>mean[c]) * <floating>(invstd[c] * weight[c]) + bias[c]


cdef inline void _rows_scale(const floating[:, :, ::1] grad_out, floating[:, :, ::1] grad_x,
                             const double[::1] invstd, const floating[::1] weight,
                             Py_ssize_t c0, Py_ssize_t block) noexcept nogil:
    # L = 1: grad_x = grad_out * (invstd * weight)
    cdef Py_ssize_t i, c, c1 = min(c0 + block, grad_out.shape[1])
    cdef const floating* dy
    cdef floating* dst
    for i in range(grad_out.shape[0]):
        dy = &grad_out[i, 0, 0]
        dst = &grad_x[i, 0, 0]
        for c in range(c0, c1):
            dst[c] = dy[c] * <floating>(invstd[c] * weight[c])


cdef inline void _rows_dy_sums(const floating[:, :, ::1] x, const floating[:, :, ::1] grad_out,
                               const double[::1] mean, double[::1] sum_dy, double[::1] sum_dy_xmu,
                               Py_ssize_t c0, Py_ssize_t block) noexcept nogil:
    # L = 1: sum_dy = sum(dy), sum_dy_xmu = sum(dy * (x - mean)), in float64
    cdef Py_ssize_t i, c, c1 = min(c0 + block, x.shape[1])
    cdef double* s = &sum_dy[0]
    cdef double* q = &sum_dy_xmu[0]
    cdef const floating* dy
    cdef const floating* row
    for c in range(c0, c1):
        s[c] = 0
        q[c] = 0
    for i in range(x.shape[0]):
        dy = &grad_out[i, 0, 0]
        row = &x[i, 0, 0]
        for c in range(c0, c1):
            s[c] = s[c] + dy[c]
            q[c] = q[c] + <double>dy[c] * (row[c] - <floating>mean[c])


cdef inline void _rows_grad_train(const floating[:, :, ::1] x, const floating[:, :, ::1] grad_out,
                                  const double[::1] mean, const double[::1] invstd,
                                  const floating[::1] weight, floating[:, :, ::1] grad_x,
                                  const double[::1] sum_dy, const double[::1] sum_dy_xmu,
                                  Py_ssize_t c0, Py_ssize_t block) noexcept nogil:
    # L = 1: grad_x = dy * a + (x - mean) * b + d, the coefficients of _backward_train_channel
    cdef Py_ssize_t i, c, n = x.shape[0], c1 = min(c0 + block, x.shape[1])
    cdef double k1, per_value = 1.0 / n if n > 0 else 0  # no division in the loop
    cdef const floating* src
    cdef const floating* dy
    cdef floating* dst
    for i in range(n):
        src = &x[i, 0, 0]
        dy = &grad_out[i, 0, 0]
        dst = &grad_x[i, 0, 0]
        for c in range(c0, c1):
            k1 = invstd[c] * weight[c]
            dst[c] = (dy[c] * <floating>k1
                      + (src[c] - <floating>mean[c])
                      * <floating>(-k1 * invstd[c] * invstd[c] * sum_dy_xmu[c] * per_value)
                      + <floating>(-k1 * sum_dy[c] * per_value))
