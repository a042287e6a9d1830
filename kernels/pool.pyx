# max_pool2d and avg_pool2d, forward and backward, on NCHW images.
# Layout: x, out and the grads C-contiguous (N, C, H, W) / (N, C, OH, OW), one float dtype; argmax
# (N, C, OH, OW) intp, the flat index h * W + w of each window's maximum in its (H, W) plane.
# kh, kw, sh, sw, ph, pw and the output size were validated by tinygrad_conv/ops/pool.py (check),
# so bounds checks are off here. Padding is done by bounds tests, never by a padded copy: max pool
# skips padded cells (PyTorch pads with -inf), avg pool counts them as zeros and always divides by
# kh * kw (PyTorch's count_include_pad=True).
# Parallel: prange over the N * C planes, each written by one thread only (backward's overlapping
# windows accumulate within one plane: no races, and 1 or 2 threads give identical results).
# Readable twin: tinygrad_conv/reference/pool.py.
from cython cimport floating
from cython.parallel cimport prange


def max_pool2d_forward(const floating[:, :, :, ::1] x,   # IN
                       floating[:, :, :, ::1] out,       # OUT
                       Py_ssize_t[:, :, :, ::1] argmax,  # OUT
                       Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t sh, Py_ssize_t sw,
                       Py_ssize_t ph, Py_ssize_t pw, int num_threads=1):
    """out = max over each window; argmax = the first maximum's flat index (or the last NaN)."""
    cdef Py_ssize_t n = x.shape[0], c = x.shape[1]
    cdef Py_ssize_t p
    for p in prange(n * c, nogil=True, schedule="static", num_threads=num_threads):
        _max_plane(x, out, argmax, p // c, p % c, kh, kw, sh, sw, ph, pw)
    return None


def max_pool2d_backward(const floating[:, :, :, ::1] grad_out,  # IN
                        const Py_ssize_t[:, :, :, ::1] argmax,  # IN: from max_pool2d_forward
                        floating[:, :, :, ::1] grad_x,          # OUT
                        int num_threads=1):
    """grad_x[argmax] += grad_out: each window's gradient goes to its maximum (overlaps add up)."""
    cdef Py_ssize_t n = grad_x.shape[0], c = grad_x.shape[1], p
    for p in prange(n * c, nogil=True, schedule="static", num_threads=num_threads):
        _max_plane_backward(grad_out, argmax, grad_x, p // c, p % c)
    return None


def avg_pool2d_forward(const floating[:, :, :, ::1] x,  # IN
                       floating[:, :, :, ::1] out,      # OUT
                       Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t sh, Py_ssize_t sw,
                       Py_ssize_t ph, Py_ssize_t pw, int num_threads=1):
    """out = sum over each window (padded cells are zeros) / (kh * kw)."""
    cdef Py_ssize_t n = x.shape[0], c = x.shape[1], p
    for p in prange(n * c, nogil=True, schedule="static", num_threads=num_threads):
        _avg_plane(x, out, p // c, p % c, kh, kw, sh, sw, ph, pw)
    return None


def avg_pool2d_backward(const floating[:, :, :, ::1] grad_out,  # IN
                        floating[:, :, :, ::1] grad_x,          # OUT
                        Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t sh, Py_ssize_t sw,
                        Py_ssize_t ph, Py_ssize_t pw, int num_threads=1):
    """grad_x[window] += grad_out / (kh * kw) for every window; padding's share is dropped."""
    cdef Py_ssize_t n = grad_x.shape[0], c = grad_x.shape[1], p
    for p in prange(n * c, nogil=True, schedule="static", num_threads=num_threads):
        _avg_plane_backward(grad_out, grad_x, p // c, p % c, kh, kw, sh, sw, ph, pw)
    return None


cdef inline void _max_plane(const floating[:, :, :, ::1] x, floating[:, :, :, ::1] out,
                            Py_ssize_t[:, :, :, ::1] argmax, Py_ssize_t i, Py_ssize_t j,
                            Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t sh, Py_ssize_t sw,
                            Py_ssize_t ph, Py_ssize_t pw) noexcept nogil:
    cdef Py_ssize_t h = x.shape[2], w = x.shape[3], oh = out.shape[2], ow = out.shape[3]
    cdef Py_ssize_t y, z, r, s, r0, r1, s0, s1, best_index
    cdef floating v, best
    for y in range(oh):
        r0 = y * sh - ph
        r1 = min(r0 + kh, h)
        r0 = max(r0, 0)
        for z in range(ow):
            s0 = z * sw - pw
            s1 = min(s0 + kw, w)
            s0 = max(s0, 0)
            # Start from the window's first real cell (PyTorch: -inf there), so that an all -inf
            # window still routes its gradient to a real cell, never to padding.
            best = x[i, j, r0, s0]
            best_index = r0 * w + s0
            for r in range(r0, r1):
                for s in range(s0, s1):
                    v = x[i, j, r, s]
                    # "v != v" is NaN, which always wins: the last NaN is kept, as in PyTorch.
                    if v > best or v != v:
                        best = v
                        best_index = r * w + s
            out[i, j, y, z] = best
            argmax[i, j, y, z] = best_index


cdef inline void _max_plane_backward(const floating[:, :, :, ::1] grad_out,
                                     const Py_ssize_t[:, :, :, ::1] argmax,
                                     floating[:, :, :, ::1] grad_x,
                                     Py_ssize_t i, Py_ssize_t j) noexcept nogil:
    cdef Py_ssize_t w = grad_x.shape[3], y, z, k
    cdef Py_ssize_t oh = grad_out.shape[2], ow = grad_out.shape[3]
    for y in range(grad_x.shape[2]):
        for z in range(w):
            grad_x[i, j, y, z] = 0
    for y in range(oh):
        for z in range(ow):
            k = argmax[i, j, y, z]
            grad_x[i, j, k // w, k % w] += grad_out[i, j, y, z]


cdef inline void _avg_plane(const floating[:, :, :, ::1] x, floating[:, :, :, ::1] out,
                            Py_ssize_t i, Py_ssize_t j,
                            Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t sh, Py_ssize_t sw,
                            Py_ssize_t ph, Py_ssize_t pw) noexcept nogil:
    cdef Py_ssize_t h = x.shape[2], w = x.shape[3], oh = out.shape[2], ow = out.shape[3]
    cdef Py_ssize_t y, z, r, s, r0, r1, s0, s1
    cdef double total  # double even for float32: a big window's sum keeps its low bits
    cdef double scale = 1.0 / (kh * kw)
    for y in range(oh):
        r0 = max(y * sh - ph, 0)
        r1 = min(y * sh - ph + kh, h)
        for z in range(ow):
            s0 = max(z * sw - pw, 0)
            s1 = min(z * sw - pw + kw, w)
            total = 0
            for r in range(r0, r1):
                for s in range(s0, s1):
                    total = total + x[i, j, r, s]
            out[i, j, y, z] = <floating>(total * scale)


cdef inline void _avg_plane_backward(const floating[:, :, :, ::1] grad_out,
                                     floating[:, :, :, ::1] grad_x, Py_ssize_t i, Py_ssize_t j,
                                     Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t sh, Py_ssize_t sw,
                                     Py_ssize_t ph, Py_ssize_t pw) noexcept nogil:
    cdef Py_ssize_t h = grad_x.shape[2], w = grad_x.shape[3]
    cdef Py_ssize_t oh = grad_out.shape[2], ow = grad_out.shape[3]
    cdef Py_ssize_t y, z, r, s, r0, r1, s0, s1
    cdef floating g
    cdef double scale = 1.0 / (kh * kw)
    for y in range(h):
        for z in range(w):
            grad_x[i, j, y, z] = 0
    for y in range(oh):
        r0 = max(y * sh - ph, 0)
        r1 = min(y * sh - ph + kh, h)
        for z in range(ow):
            s0 = max(z * sw - pw, 0)
            s1 = min(z * sw - pw + kw, w)
            g = <floating>(grad_out[i, j, y, z] * scale)
            for r in range(r0, r1):
                for s in range(s0, s1):
                    grad_x[i, j, r, s] += g
