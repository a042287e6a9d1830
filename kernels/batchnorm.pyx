# Batch normalisation over the channels of (N, C, L) arrays, forward and backward, train and eval.
# Layout: x, y, grad_out, grad_x C-contiguous (N, C, L), one float dtype; L = H * W for images, 1 for
# (N, C); weight and bias (C,) in x's dtype (ones and zeros when the layer has no affine part); the
# per-channel statistics mean, var, invstd, sum_dy, sum_dy_xmu (C,) float64 whatever x's dtype.
# tinygrad_conv/ops/normalization.py (check) validated the shapes, dtypes and eps, so bounds checks
# are off here.
# Accuracy: sums are kept in 16 lanes of x's dtype for at most CHUNK elements, then added into
# float64, so float32 inputs get float64 accumulation at the cost of one add per 256 elements. The
# variance comes from sums of (x - shift), shift = the channel's first value (a shifted-data
# scheme): one pass, and no cancellation unless the mean lies many deviations from that value.
# Parallel: prange over channels, each channel read and written by one thread, so 1 or 2 threads
# give identical results. Per channel the second pass runs right after the first, while the
# channel is still in cache.
# Readable twin: tinygrad_conv/reference/batchnorm.py.
from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport sqrt

cdef enum:
    LANES = 32  # partial sums per accumulator
    CHUNK = 1024  # elements summed in x's dtype before the partial sums join float64


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
    cdef Py_ssize_t c
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
    cdef Py_ssize_t c
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
    """grad_x = weight * invstd * (dy - sum(dy) / M - (x - mean) * invstd^2 * sum(dy (x - mean)) / M);
    grad_weight = sum_dy_xmu * invstd and grad_bias = sum_dy are left to the caller."""
    cdef Py_ssize_t c
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
    cdef Py_ssize_t c
    for c in prange(x.shape[1], nogil=True, schedule="static", num_threads=num_threads):
        if need_sums:
            _dy_sums_channel(x, grad_out, mean, sum_dy, sum_dy_xmu, c)
        if need_grad_x:
            _affine_channel(grad_out, grad_x, 0, <floating>(invstd[c] * weight[c]), 0, c)
    return None


cdef inline void _shifted_sums(const floating* a, Py_ssize_t count, floating shift,
                               double* total, double* total_sq) noexcept nogil:
    # total[k] += sum(a - shift), total_sq[k] += sum((a - shift)^2) over LANES lanes k. The lanes
    # are independent adds that GCC packs into vector registers (several, so that no add waits on
    # the one before); each float lane holds at most CHUNK / LANES terms before it joins the
    # float64 lanes, which the caller adds up once per channel.
    cdef floating lane[LANES]
    cdef floating lane_sq[LANES]
    cdef floating d
    cdef Py_ssize_t start = 0, stop, j, k
    if count < LANES:  # short rows ((N, C) inputs have one value per row): straight to float64
        for j in range(count):
            d = a[j] - shift
            total[0] = total[0] + d
            total_sq[0] = total_sq[0] + <double>d * d
        return
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
    if count < LANES:
        for j in range(count):
            total[0] = total[0] + dy[j]
            total_dot[0] = total_dot[0] + <double>dy[j] * (a[j] - center)
        return
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
    cdef double count = <double>n * l, m, v
    cdef double s[LANES]
    cdef double q[LANES]
    cdef floating shift
    if n == 0 or l == 0:
        mean[c] = 0
        var[c] = 0
        invstd[c] = 1 / sqrt(eps)
        return
    shift = x[0, c, 0]
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
