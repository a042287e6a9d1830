# im2col and col2im for conv2d: the data movement around the matrix products.
# Layout: x is NCHW and cols is (N, C, kH, kW, oH, oW), both C-contiguous; the geometry (kH, kW, oH, oW)
# is read from the shape of cols, which the caller sized from its geometry dataclass.
# Padding: only the top/left offsets (ph, pw) are passed; a window position outside the image reads 0
# (im2col) or is dropped (col2im), by a bounds test per row, so no padded copy of x is ever made.
# Dtypes: float32 or float64 (one fused type per call). tinygrad_conv/ops/conv.py (Conv2d.check)
# validated the geometry and hands over C-contiguous arrays of one dtype, so bounds checks are off here.
# Parallel: prange over the N*C independent (n, c) planes; each thread writes only its own planes.
# Readable twin: tinygrad_conv/reference/conv2d.py.
from cython cimport floating
from cython.parallel cimport prange


def im2col(const floating[:, :, :, ::1] x,          # IN  (N, C, H, W)
           floating[:, :, :, :, :, ::1] cols,       # OUT (N, C, kH, kW, oH, oW)
           Py_ssize_t sh, Py_ssize_t sw,
           Py_ssize_t ph, Py_ssize_t pw,
           Py_ssize_t dh, Py_ssize_t dw,
           int num_threads=1):
    """cols[n, c, a, b, y, x] = x[n, c, y*sh - ph + a*dh, x*sw - pw + b*dw] (0 outside the image)"""
    cdef Py_ssize_t n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
    cdef Py_ssize_t kh = cols.shape[2], kw = cols.shape[3], oh = cols.shape[4], ow = cols.shape[5]
    cdef Py_ssize_t p
    if n * c == 0 or kh * kw * oh * ow == 0:
        return None
    for p in prange(n * c, nogil=True, schedule="static", num_threads=num_threads):
        _im2col_plane(&x[p // c, p % c, 0, 0], &cols[p // c, p % c, 0, 0, 0, 0],
                      h, w, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw)
    return None


def col2im(const floating[:, :, :, :, :, ::1] cols,  # IN  (N, C, kH, kW, oH, oW)
           floating[:, :, :, ::1] x,                 # OUT (N, C, H, W), overwritten
           Py_ssize_t sh, Py_ssize_t sw,
           Py_ssize_t ph, Py_ssize_t pw,
           Py_ssize_t dh, Py_ssize_t dw,
           int num_threads=1):
    """x[n, c, i, j] = sum of cols[n, c, a, b, y, x] over every (a, b, y, x) that im2col read from (i, j)"""
    cdef Py_ssize_t n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
    cdef Py_ssize_t kh = cols.shape[2], kw = cols.shape[3], oh = cols.shape[4], ow = cols.shape[5]
    cdef Py_ssize_t p
    if n * c * h * w == 0:
        return None
    for p in prange(n * c, nogil=True, schedule="static", num_threads=num_threads):
        _col2im_plane(&cols[p // c, p % c, 0, 0, 0, 0], &x[p // c, p % c, 0, 0],
                      h, w, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw)
    return None


cdef inline void _valid_columns(Py_ssize_t ix0, Py_ssize_t w, Py_ssize_t sw, Py_ssize_t ow,
                                Py_ssize_t* x0, Py_ssize_t* x1) noexcept nogil:
    # Output columns xo in [x0, x1) read inside the image: 0 <= ix0 + xo*sw < w.
    # Numerators are kept non-negative so that C's truncating division is a floor.
    cdef Py_ssize_t lo = 0, hi = 0
    if ix0 < 0:
        lo = (-ix0 + sw - 1) // sw
    if ix0 < w:
        hi = (w - 1 - ix0) // sw + 1
    if lo > ow:
        lo = ow
    if hi > ow:
        hi = ow
    if hi < lo:
        hi = lo
    x0[0] = lo
    x1[0] = hi


cdef inline void _im2col_plane(const floating* src, floating* dst,
                               Py_ssize_t h, Py_ssize_t w, Py_ssize_t kh, Py_ssize_t kw,
                               Py_ssize_t oh, Py_ssize_t ow, Py_ssize_t sh, Py_ssize_t sw,
                               Py_ssize_t ph, Py_ssize_t pw, Py_ssize_t dh,
                               Py_ssize_t dw) noexcept nogil:
    cdef Py_ssize_t a, b, y, xo, iy, ix0, x0, x1
    cdef floating* row
    cdef const floating* srow
    for a in range(kh):
        for b in range(kw):
            ix0 = b * dw - pw
            _valid_columns(ix0, w, sw, ow, &x0, &x1)
            for y in range(oh):
                row = dst + ((a * kw + b) * oh + y) * ow
                iy = y * sh - ph + a * dh
                if iy < 0 or iy >= h:
                    for xo in range(ow):
                        row[xo] = 0
                    continue
                srow = src + iy * w
                for xo in range(x0):
                    row[xo] = 0
                if sw == 1:  # the common case: a contiguous copy the compiler vectorises
                    for xo in range(x0, x1):
                        row[xo] = srow[ix0 + xo]
                else:
                    for xo in range(x0, x1):
                        row[xo] = srow[ix0 + xo * sw]
                for xo in range(x1, ow):
                    row[xo] = 0


cdef inline void _col2im_plane(const floating* src, floating* dst,
                               Py_ssize_t h, Py_ssize_t w, Py_ssize_t kh, Py_ssize_t kw,
                               Py_ssize_t oh, Py_ssize_t ow, Py_ssize_t sh, Py_ssize_t sw,
                               Py_ssize_t ph, Py_ssize_t pw, Py_ssize_t dh,
                               Py_ssize_t dw) noexcept nogil:
    # One plane of x (H*W values) stays in L1 while all kH*kW*oH rows of cols are added into it.
    cdef Py_ssize_t a, b, y, xo, iy, ix0, x0, x1, i
    cdef const floating* row
    cdef floating* drow
    for i in range(h * w):
        dst[i] = 0
    for a in range(kh):
        for b in range(kw):
            ix0 = b * dw - pw
            _valid_columns(ix0, w, sw, ow, &x0, &x1)
            for y in range(oh):
                iy = y * sh - ph + a * dh
                if iy < 0 or iy >= h:
                    continue
                row = src + ((a * kw + b) * oh + y) * ow
                drow = dst + iy * w
                if sw == 1:
                    for xo in range(x0, x1):
                        drow[ix0 + xo] += row[xo]
                else:
                    for xo in range(x0, x1):
                        drow[ix0 + xo * sw] += row[xo]
