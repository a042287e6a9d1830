# Direct convolution, float32, stride 1, dilation 1, one group: no im2col columns at all.
# out[n, o, y, x] = sum over (c, a, b) of weight[o, c, a, b] * xpad[n, c, y + a, x + b], where xpad is x
# shifted by (ph, pw) (either sign) with zeros outside; out's shape gives oH, oW. The input gradient is
# the same operation on grad_out with the weight flipped and transposed (tinygrad_conv/ops/conv.py).
# How: the image is first copied into a zero-padded buffer whose rows are a whole number of vectors
# long, so the inner loop never tests a bound. A register block then holds OCB output channels times
# VX vectors of one output row; for every (c, a, b) it loads VX vectors of the input row and adds each,
# times one broadcast weight, into OCB accumulators. With AVX-512 that is 24 FMAs per 11 loads, the
# accumulators in 24 of the 32 registers; the C code uses GCC/Clang vector types, so a portable build
# compiles it too (narrower vectors; tinygrad_conv/ops/conv_algorithm.py then prefers im2col + BLAS).
# Where oW is not a whole number of vectors (56 of 64 lanes), "flat" mode lays the padded rows back
# to back and runs the blocks over every position of that frame, dropping the kW - 1 extra columns.
# Weight gradient: an outer product over positions, grad_out's channels (vectors) times the input
# value each tap reads there (broadcast), 6-12 taps x 1-4 vectors of accumulators.
# Parallel: one task per image when there are 2 per thread (it pads its own image: one region per
# call), else bands of rows / (batch slice, 24 taps) after a padding region; each task writes only
# its own output or partial sums. Dynamic schedule: a thread that loses its core hands on its tasks.
# Readable twin: tinygrad_conv/reference/conv_direct.py.
import numpy as np

from cython.parallel cimport prange

cdef extern from *:
    """
    #include <string.h>
    #if defined(__AVX512F__)
      #define TCD_VBYTES 64  /* and 8 output channels per block: 32 vector registers */
    #elif defined(__AVX__)
      #define TCD_VBYTES 32
    #else
      #define TCD_VBYTES 16
    #endif
    #define TCD_OCB (TCD_VBYTES == 64 ? 8 : 4)
    #define TCD_V (TCD_VBYTES / 4)
    #define TCD_VX 3
    typedef float tcd_vec __attribute__((vector_size(TCD_VBYTES)));
    #define TCD_INLINE static inline __attribute__((always_inline))
    TCD_INLINE tcd_vec tcd_load(const float* p) { tcd_vec v; memcpy(&v, p, sizeof v); return v; }
    TCD_INLINE tcd_vec tcd_zero(void) { tcd_vec v = {0}; return v; }

    /* dst (hp, wp) = src (h, w) moved down by ph and right by pw, zeros elsewhere */
    static void tcd_pad_plane(const float* src, float* dst, Py_ssize_t h, Py_ssize_t w,
                              Py_ssize_t hp, Py_ssize_t wp, Py_ssize_t ph, Py_ssize_t pw) {
        Py_ssize_t j0 = pw > 0 ? pw : 0, j1 = w + pw < wp ? w + pw : wp;
        for (Py_ssize_t i = 0; i < hp; i++) {
            float* row = dst + i * wp;
            Py_ssize_t si = i - ph;
            if (si < 0 || si >= h || j1 <= j0) { memset(row, 0, wp * sizeof(float)); continue; }
            memset(row, 0, j0 * sizeof(float));
            memcpy(row + j0, src + si * w + (j0 - pw), (j1 - j0) * sizeof(float));
            memset(row + j1, 0, (wp - j1) * sizeof(float));
        }
    }

    /* every plane of one image (c planes of h x w) into its padded frame */
    static void tcd_pad_image(const float* src, float* dst, Py_ssize_t c, Py_ssize_t h,
                              Py_ssize_t w, Py_ssize_t hp, Py_ssize_t wp, Py_ssize_t ph,
                              Py_ssize_t pw) {
        for (Py_ssize_t p = 0; p < c; p++)
            tcd_pad_plane(src + p * h * w, dst + p * hp * wp, h, w, hp, wp, ph, pw);
    }

    /* VX vectors of output row y from column x0, channels o0 .. o0+ocb-1 of one image; a block of
       fewer than TCD_OCB channels (the input gradient of a 1-channel image) computes only `no` */
    TCD_INLINE void tcd_fwd_block(const float* xp, const float* wpk, float* out, Py_ssize_t c_in,
                                  Py_ssize_t hp, Py_ssize_t wp, Py_ssize_t kh, Py_ssize_t kw,
                                  Py_ssize_t oh, Py_ssize_t ow, Py_ssize_t y, Py_ssize_t x0,
                                  int vx, int ocb, int no) {
        tcd_vec acc[TCD_OCB][TCD_VX];  /* no (a constant after inlining) >= ocb channels computed */
        for (int o = 0; o < no; o++)
            for (int j = 0; j < vx; j++) acc[o][j] = tcd_zero();
        for (Py_ssize_t c = 0; c < c_in; c++)
            for (Py_ssize_t a = 0; a < kh; a++) {
                const float* row = xp + (c * hp + y + a) * wp + x0;
                const float* wr = wpk + (c * kh + a) * kw * TCD_OCB;
                for (Py_ssize_t b = 0; b < kw; b++) {
                    tcd_vec xv[TCD_VX];
                    for (int j = 0; j < vx; j++) xv[j] = tcd_load(row + b + j * TCD_V);
                    for (int o = 0; o < no; o++) {
                        float wv = wr[b * TCD_OCB + o];
                        for (int j = 0; j < vx; j++) acc[o][j] += wv * xv[j];
                    }
                }
            }
        for (int o = 0; o < ocb; o++) {
            float* orow = out + (o * oh + y) * ow;
            for (int j = 0; j < vx; j++) {
                Py_ssize_t col = x0 + j * TCD_V, left = ow - col;
                if (left >= TCD_V)
                    memcpy(orow + col, &acc[o][j], sizeof(tcd_vec));  /* one vector store */
                else
                    for (Py_ssize_t l = 0; l < left; l++) orow[col + l] = acc[o][j][l];
            }
        }
    }

    #define TCD_ROW(NO) {                                                                      \
        Py_ssize_t v = 0;                                                                     \
        for (; v + TCD_VX <= nv; v += TCD_VX)                                                 \
            tcd_fwd_block(xp, w, o, c_in, hp, wp, kh, kw, oh, ow, y, v * TCD_V, TCD_VX, ocb, NO); \
        if (nv - v == 2)                                                                      \
            tcd_fwd_block(xp, w, o, c_in, hp, wp, kh, kw, oh, ow, y, v * TCD_V, 2, ocb, NO);  \
        else if (nv - v == 1)                                                                 \
            tcd_fwd_block(xp, w, o, c_in, hp, wp, kh, kw, oh, ow, y, v * TCD_V, 1, ocb, NO);  \
    }

    /* one (image, band of rows) task: rows y0 .. y1-1 of every output channel. Per row, all the
       channel blocks pass over the same few input rows while they are in L1/L2. */
    static void tcd_fwd_task(const float* xp, const float* wpk, float* out, Py_ssize_t c_in,
                             Py_ssize_t c_out, Py_ssize_t hp, Py_ssize_t wp, Py_ssize_t kh,
                             Py_ssize_t kw, Py_ssize_t oh, Py_ssize_t ow, Py_ssize_t y0,
                             Py_ssize_t y1) {
        Py_ssize_t nv = (ow + TCD_V - 1) / TCD_V, block = c_in * kh * kw * TCD_OCB;
        for (Py_ssize_t y = y0; y < y1; y++)
            for (Py_ssize_t o0 = 0; o0 < c_out; o0 += TCD_OCB) {
                const float* w = wpk + (o0 / TCD_OCB) * block;
                float* o = out + o0 * oh * ow;
                int ocb = c_out - o0 < TCD_OCB ? (int)(c_out - o0) : TCD_OCB;
                if (ocb > 4) TCD_ROW(TCD_OCB)
                else if (ocb > 2) TCD_ROW(4)
                else if (ocb == 2) TCD_ROW(2)
                else TCD_ROW(1)
            }
    }

    /* one image in flat mode: the padded image's rows are wq = oW + kW - 1 long and back to back,
       so output position y * wq + x reads the same offsets for every (y, x); the blocks run
       over all oH * wq positions (the kW - 1 extra ones per row are discarded), which wastes less
       than rounding each row up to whole vectors when oW is not a multiple of them (56 of 64).
       tmp: (c_out, ppad) scratch, ppad = oH * wq rounded up to whole vectors */
    static void tcd_fwd_flat(const float* xp, const float* wpk, float* tmp, float* out,
                             Py_ssize_t c_in, Py_ssize_t c_out, Py_ssize_t hp, Py_ssize_t wq,
                             Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t oh, Py_ssize_t ow,
                             Py_ssize_t ppad) {
        Py_ssize_t nv = ppad / TCD_V, block = c_in * kh * kw * TCD_OCB;
        for (Py_ssize_t v = 0; v < nv; v += TCD_VX) {
            int vx = nv - v < TCD_VX ? (int)(nv - v) : TCD_VX;
            for (Py_ssize_t o0 = 0; o0 < c_out; o0 += TCD_OCB) {
                const float* w = wpk + (o0 / TCD_OCB) * block;
                float* o = tmp + o0 * ppad;
                int ocb = c_out - o0 < TCD_OCB ? (int)(c_out - o0) : TCD_OCB;
                Py_ssize_t x0 = v * TCD_V;
                #define TCD_FLAT(NO) {                                                          \
                    if (vx == 3) tcd_fwd_block(xp, w, o, c_in, hp, wq, kh, kw, 1, ppad, 0, x0, 3, ocb, NO); \
                    else if (vx == 2) tcd_fwd_block(xp, w, o, c_in, hp, wq, kh, kw, 1, ppad, 0, x0, 2, ocb, NO); \
                    else tcd_fwd_block(xp, w, o, c_in, hp, wq, kh, kw, 1, ppad, 0, x0, 1, ocb, NO); }
                if (ocb > 4) TCD_FLAT(TCD_OCB)
                else if (ocb > 2) TCD_FLAT(4)
                else if (ocb == 2) TCD_FLAT(2)
                else TCD_FLAT(1)
            }
        }
        for (Py_ssize_t o = 0; o < c_out; o++)
            for (Py_ssize_t y = 0; y < oh; y++)
                memcpy(out + (o * oh + y) * ow, tmp + o * ppad + y * wq, ow * sizeof(float));
    }

    /* Weight gradient as an outer product over positions: for each position p of the image,
       the vector of grad_out over output channels (gt: positions x OPT, channels padded with
       zeros) times the input value each tap t reads there (xi[offs[t] + p's row * wp + column]),
       added into acc[t] (NT taps x NV vectors of channels). Rows y0 .. y1-1 only. */
    TCD_INLINE void tcd_wg_block(const float* xi, const float* gt, float* dw,
                                 const Py_ssize_t* offs, Py_ssize_t wp, Py_ssize_t ow,
                                 Py_ssize_t opt, Py_ssize_t y0, Py_ssize_t y1, int nv, int nt) {
        tcd_vec acc[24][4];
        for (int t = 0; t < nt; t++)
            for (int i = 0; i < nv; i++) acc[t][i] = tcd_zero();
        for (Py_ssize_t y = y0; y < y1; y++) {
            const float* xr = xi + y * wp;
            const float* gr = gt + y * ow * opt;
            for (Py_ssize_t x = 0; x < ow; x++) {
                tcd_vec gv[4];
                for (int i = 0; i < nv; i++) gv[i] = tcd_load(gr + x * opt + i * TCD_V);
                for (int t = 0; t < nt; t++) {
                    float xs = xr[offs[t] + x];
                    for (int i = 0; i < nv; i++) acc[t][i] += xs * gv[i];
                }
            }
        }
        for (int t = 0; t < nt; t++)
            for (int i = 0; i < nv; i++) {
                float* d = dw + t * opt + i * TCD_V;
                tcd_vec sum = tcd_load(d) + acc[t][i];
                memcpy(d, &sum, sizeof sum);
            }
    }

    /* dst (P, opt) = src (O, P) transposed, channels O .. opt-1 zero; 16 positions at a time so
       that the tile written stays in L1 */
    static void tcd_transpose(const float* src, float* dst, Py_ssize_t O, Py_ssize_t P,
                              Py_ssize_t opt) {
        for (Py_ssize_t p0 = 0; p0 < P; p0 += 16) {
            Py_ssize_t p1 = p0 + 16 < P ? p0 + 16 : P;
            for (Py_ssize_t o = 0; o < O; o++)
                for (Py_ssize_t p = p0; p < p1; p++) dst[p * opt + o] = src[o * P + p];
            for (Py_ssize_t p = p0; p < p1; p++)
                for (Py_ssize_t o = O; o < opt; o++) dst[p * opt + o] = 0;
        }
    }

    #define TCD_TAP_GROUP 24  /* taps per task: a multiple of every NT below */

    /* one (batch slice, group of 24 taps) task: dw (24, OPT) += its share of the gradient.
       xp: padded images (nimg, c, hp, wp); gt: grad_out transposed (nimg, oh * ow, OPT).
       Rows go in bands whose grad_out fits in L1 while every tap of the group passes over it. */
    static void tcd_wgrad_task(const float* xp, const float* gt, float* dw, const Py_ssize_t* offs,
                               Py_ssize_t ntaps, Py_ssize_t nimg, Py_ssize_t x_img, Py_ssize_t wp,
                               Py_ssize_t oh, Py_ssize_t ow, Py_ssize_t opt) {
        Py_ssize_t band = (24 * 1024) / (ow * opt * sizeof(float));
        if (band < 1) band = 1;
        for (Py_ssize_t n = 0; n < nimg; n++)
            for (Py_ssize_t y0 = 0; y0 < oh; y0 += band) {
                Py_ssize_t y1 = y0 + band < oh ? y0 + band : oh;
                const float* xi = xp + n * x_img;
                const float* g = gt + n * oh * ow * opt;
                for (Py_ssize_t o = 0; o < opt; o += 4 * TCD_V) {
                    Py_ssize_t nv = (opt - o) / TCD_V;
                    for (Py_ssize_t t = 0; t < ntaps; ) {
                        const Py_ssize_t* of = offs + t;
                        float* d = dw + t * opt + o;
                        if (nv >= 4) { tcd_wg_block(xi, g + o, d, of, wp, ow, opt, y0, y1, 4, 6); t += 6; }
                        else if (nv == 3) { tcd_wg_block(xi, g + o, d, of, wp, ow, opt, y0, y1, 3, 8); t += 8; }
                        else if (nv == 2) { tcd_wg_block(xi, g + o, d, of, wp, ow, opt, y0, y1, 2, 12); t += 12; }
                        else { tcd_wg_block(xi, g + o, d, of, wp, ow, opt, y0, y1, 1, 12); t += 12; }
                    }
                }
            }
    }
    """
    enum:
        TCD_V
        TCD_OCB
        TCD_VX
    void tcd_pad_plane(const float* src, float* dst, Py_ssize_t h, Py_ssize_t w,
                       Py_ssize_t hp, Py_ssize_t wp, Py_ssize_t ph, Py_ssize_t pw) noexcept nogil
    void tcd_fwd_flat(const float* xp, const float* wpk, float* tmp, float* out,
                      Py_ssize_t c_in, Py_ssize_t c_out, Py_ssize_t hp, Py_ssize_t wq,
                      Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t oh, Py_ssize_t ow,
                      Py_ssize_t ppad) noexcept nogil
    void tcd_pad_image(const float* src, float* dst, Py_ssize_t c, Py_ssize_t h, Py_ssize_t w,
                       Py_ssize_t hp, Py_ssize_t wp, Py_ssize_t ph, Py_ssize_t pw) noexcept nogil
    void tcd_fwd_task(const float* xp, const float* wpk, float* out, Py_ssize_t c_in,
                      Py_ssize_t c_out, Py_ssize_t hp, Py_ssize_t wp, Py_ssize_t kh,
                      Py_ssize_t kw, Py_ssize_t oh, Py_ssize_t ow, Py_ssize_t y0,
                      Py_ssize_t y1) noexcept nogil
    void tcd_wgrad_task(const float* xp, const float* gt, float* dw, const Py_ssize_t* offs,
                        Py_ssize_t ntaps, Py_ssize_t nimg, Py_ssize_t x_img, Py_ssize_t wp,
                        Py_ssize_t oh, Py_ssize_t ow, Py_ssize_t opt) noexcept nogil
    void tcd_transpose(const float* src, float* dst, Py_ssize_t O, Py_ssize_t P,
                       Py_ssize_t opt) noexcept nogil
    enum:
        TCD_TAP_GROUP

def direct_lanes():
    """float32 lanes of the vectors the direct kernels were compiled for (16 with AVX-512)."""
    return TCD_V


cdef Py_ssize_t _round_up(Py_ssize_t v, Py_ssize_t m) noexcept nogil:
    return (v + m - 1) // m * m


cdef _padded(const float[:, :, :, ::1] x, Py_ssize_t hp, Py_ssize_t wp, Py_ssize_t ph,
             Py_ssize_t pw, Py_ssize_t c_pad, int num_threads):
    """x (N, C, H, W) -> (N, c_pad, hp, wp), shifted by (ph, pw), zeros elsewhere (channels too)."""
    cdef Py_ssize_t n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3], p
    out = np.empty((n, c_pad, hp, wp), dtype=np.float32)
    cdef float[:, :, :, ::1] o = out
    if c_pad > c:
        out[:, c:] = 0
    for p in prange(n * c, nogil=True, schedule="static", num_threads=num_threads):
        tcd_pad_plane(&x[p // c, p % c, 0, 0], &o[p // c, p % c, 0, 0], h, w, hp, wp, ph, pw)
    return out


def direct_conv2d(const float[:, :, :, ::1] x,       # IN  (N, C_in, H, W)
                  const float[:, :, :, ::1] weight,  # IN  (C_out, C_in, kH, kW)
                  float[:, :, :, ::1] out,           # OUT (N, C_out, oH, oW), overwritten
                  Py_ssize_t ph, Py_ssize_t pw,
                  int num_threads=1):
    """out[n, o, y, x] = sum_cab weight[o, c, a, b] * x[n, c, y + a - ph, x + b - pw] (0 outside x)"""
    cdef Py_ssize_t n = x.shape[0], c = x.shape[1], c_out = weight.shape[0]
    cdef Py_ssize_t kh = weight.shape[2], kw = weight.shape[3], oh = out.shape[2], ow = out.shape[3]
    cdef Py_ssize_t nob = (c_out + TCD_OCB - 1) // TCD_OCB, t, i, y0
    # Whole images per task when there are enough for the threads: each task pads its own image,
    # so one parallel region does all (on a shared machine every region's end waits for the
    # slowest thread). Else bands of 4 rows, after a region that pads every image.
    cdef bint whole = n >= 2 * num_threads
    cdef Py_ssize_t band = oh if whole else 4
    cdef Py_ssize_t bands = (oh + band - 1) // band
    if n * c_out * oh * ow == 0:
        return None
    cdef Py_ssize_t h = x.shape[2], w = x.shape[3]
    cdef Py_ssize_t hp = oh + kh - 1, wp = _round_up(ow, TCD_V) + kw - 1
    cdef Py_ssize_t wq = ow + kw - 1, ppad = _round_up(oh * wq, TCD_V)
    # flat mode (whole images only) where it computes at least 5% fewer lanes than rows rounded up
    if whole and ppad * 20 < oh * _round_up(ow, TCD_V) * 19:
        return _direct_flat(x, weight, out, ph, pw, num_threads, hp, wq, ppad)
    if whole:
        xpad_arr = np.empty((n, c, hp, wp), dtype=np.float32)
    else:
        xpad_arr = _padded(x, hp, wp, ph, pw, c, num_threads)
    cdef float[:, :, :, ::1] xp = xpad_arr
    # weight (C_out, C, kH, kW) -> (blocks, C, kH, kW, OCB), zeros past C_out
    w_arr = np.zeros((nob * TCD_OCB, c, kh, kw), dtype=np.float32)
    w_arr[:c_out] = weight
    w_arr = np.ascontiguousarray(w_arr.reshape(nob, TCD_OCB, c, kh, kw).transpose(0, 2, 3, 4, 1))
    cdef const float[:, :, :, :, ::1] wpk = w_arr
    for t in prange(n * bands, nogil=True, schedule="dynamic", num_threads=num_threads):
        i = t // bands
        y0 = t % bands * band
        if whole:
            tcd_pad_image(&x[i, 0, 0, 0], &xp[i, 0, 0, 0], c, h, w, hp, wp, ph, pw)
        tcd_fwd_task(&xp[i, 0, 0, 0], &wpk[0, 0, 0, 0, 0], &out[i, 0, 0, 0],
                     c, c_out, hp, wp, kh, kw, oh, ow, y0, min(oh, y0 + band))
    return None


cdef _direct_flat(const float[:, :, :, ::1] x, const float[:, :, :, ::1] weight,
                  float[:, :, :, ::1] out, Py_ssize_t ph, Py_ssize_t pw, int num_threads,
                  Py_ssize_t hp, Py_ssize_t wq, Py_ssize_t ppad):
    """direct_conv2d in flat mode (tcd_fwd_flat), one task per image."""
    cdef Py_ssize_t n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
    cdef Py_ssize_t c_out = weight.shape[0], kh = weight.shape[2], kw = weight.shape[3]
    cdef Py_ssize_t oh = out.shape[2], ow = out.shape[3], i, image = c * hp * wq
    cdef Py_ssize_t nob = (c_out + TCD_OCB - 1) // TCD_OCB
    # the blocks past an image's last row read a little beyond it: into the next image, or into
    # this zeroed slack after the last one (those lanes are discarded)
    xpad_arr = np.empty(n * image + 4 * TCD_V * TCD_VX + kw, dtype=np.float32)
    xpad_arr[n * image:] = 0
    cdef float[::1] xp = xpad_arr
    tmp_arr = np.empty((n, c_out, ppad), dtype=np.float32)
    cdef float[:, :, ::1] tmp = tmp_arr
    w_arr = np.zeros((nob * TCD_OCB, c, kh, kw), dtype=np.float32)
    w_arr[:c_out] = weight
    w_arr = np.ascontiguousarray(w_arr.reshape(nob, TCD_OCB, c, kh, kw).transpose(0, 2, 3, 4, 1))
    cdef const float[:, :, :, :, ::1] wpk = w_arr
    for i in prange(n, nogil=True, schedule="dynamic", num_threads=num_threads):
        tcd_pad_image(&x[i, 0, 0, 0], &xp[i * image], c, h, w, hp, wq, ph, pw)
        tcd_fwd_flat(&xp[i * image], &wpk[0, 0, 0, 0, 0], &tmp[i, 0, 0], &out[i, 0, 0, 0],
                     c, c_out, hp, wq, kh, kw, oh, ow, ppad)
    return None


def direct_conv2d_weight_grad(const float[:, :, :, ::1] x,         # IN  (N, C_in, H, W)
                              const float[:, :, :, ::1] grad_out,  # IN  (N, C_out, oH, oW)
                              float[:, :, :, ::1] grad_weight,     # OUT (C_out, C_in, kH, kW)
                              Py_ssize_t ph, Py_ssize_t pw,
                              int num_threads=1):
    """grad_weight[o, c, a, b] = sum_nyx grad_out[n, o, y, x] * x[n, c, y + a - ph, x + b - pw]"""
    cdef Py_ssize_t n = x.shape[0], c = x.shape[1], c_out = grad_out.shape[1]
    cdef Py_ssize_t kh = grad_weight.shape[2], kw = grad_weight.shape[3]
    cdef Py_ssize_t oh = grad_out.shape[2], ow = grad_out.shape[3]
    cdef Py_ssize_t t, s, grp, n0, n1, k = c * kh * kw
    if n * oh * ow == 0 or c == 0:
        grad_weight[...] = 0
        return None
    cdef Py_ssize_t hp = oh + kh - 1, wp = ow + kw - 1, opt = _round_up(c_out, TCD_V)
    cdef Py_ssize_t groups = (k + TCD_TAP_GROUP - 1) // TCD_TAP_GROUP
    # Enough images for the threads: one task per image does its padding, its transpose and all
    # its taps, in one parallel region. Else tasks are (batch slice, group of 24 taps), after
    # regions that pad and transpose everything.
    cdef bint whole = n >= 2 * num_threads
    cdef Py_ssize_t slices = n if whole else max(1, min(n, (2 * num_threads + groups - 1) // groups))
    cdef Py_ssize_t tasks = n if whole else slices * groups
    cdef Py_ssize_t h = x.shape[2], w = x.shape[3]
    if whole:
        xpad_arr = np.empty((n, c, hp, wp), dtype=np.float32)
    else:
        xpad_arr = _padded(x, hp, wp, ph, pw, c, num_threads)
    gt_arr = np.empty((n, oh * ow, opt), dtype=np.float32)  # grad_out, channels last
    # tap (c, a, b) reads the padded image at offset c*hp*wp + a*wp + b; padding taps read 0
    taps = np.arange(k)
    offs_arr = np.zeros(groups * TCD_TAP_GROUP, dtype=np.intp)
    offs_arr[:k] = taps // (kh * kw) * hp * wp + taps // kw % kh * wp + taps % kw
    part_arr = np.zeros((slices, groups * TCD_TAP_GROUP, opt), dtype=np.float32)
    cdef float[:, :, :, ::1] xp = xpad_arr
    cdef float[:, :, ::1] gt = gt_arr
    cdef const Py_ssize_t[::1] offs = offs_arr
    cdef float[:, :, ::1] part = part_arr
    if not whole:
        for t in prange(n, nogil=True, schedule="static", num_threads=num_threads):
            tcd_transpose(&grad_out[t, 0, 0, 0], &gt[t, 0, 0], c_out, oh * ow, opt)
    for t in prange(tasks, nogil=True, schedule="dynamic", num_threads=num_threads):
        if whole:
            tcd_pad_image(&x[t, 0, 0, 0], &xp[t, 0, 0, 0], c, h, w, hp, wp, ph, pw)
            tcd_transpose(&grad_out[t, 0, 0, 0], &gt[t, 0, 0], c_out, oh * ow, opt)
            tcd_wgrad_task(&xp[t, 0, 0, 0], &gt[t, 0, 0], &part[t, 0, 0], &offs[0], k,
                           1, c * hp * wp, wp, oh, ow, opt)
        else:
            s = t // groups
            grp = t % groups
            n0 = s * n // slices
            n1 = (s + 1) * n // slices
            tcd_wgrad_task(&xp[n0, 0, 0, 0], &gt[n0, 0, 0], &part[s, grp * TCD_TAP_GROUP, 0],
                           &offs[grp * TCD_TAP_GROUP], min(TCD_TAP_GROUP, k - grp * TCD_TAP_GROUP),
                           n1 - n0, c * hp * wp, wp, oh, ow, opt)
    total = part_arr.sum(axis=0) if slices > 1 else part_arr[0]  # (taps, channels)
    np.copyto(np.asarray(grad_weight), total[:k, :c_out].T.reshape(c_out, c, kh, kw))
    return None
