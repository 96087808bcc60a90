/*
 * Small vector and random-number helpers for the training kernel.
 *
 * The portable versions are plain C99 (also accepted by MSVC's C compiler): the
 * dot product keeps eight independent partial sums so that compilers can
 * vectorise it with whatever baseline SIMD the target has (SSE2 on x86-64, NEON
 * on arm64) without -ffast-math. On x86 an AVX2+FMA version of dot and axpy is
 * compiled alongside (GCC/clang: per-function target attributes; MSVC: its
 * intrinsics need no /arch flag) and chosen at run time when the CPU and the OS
 * support it, so wheels stay portable: no -march anywhere. Likewise an AVX-512F
 * version, which takes the tail of a row (100 floats: six full vectors and 4 more)
 * without a scalar loop (w2v_load_tail_avx512, w2v_store_tail_avx512).
 */
#ifndef W2V_VECOPS_H
#define W2V_VECOPS_H

#include <stdint.h>

#if defined(_MSC_VER)
#define W2V_INLINE static __inline
#define W2V_RESTRICT __restrict
#else
#define W2V_INLINE static inline
#define W2V_RESTRICT __restrict__
#endif

#include "_prefetch.h"

/* The sigmoid tables: EXP_TABLE_SIZE bins on [-MAX_EXP, MAX_EXP] (_core.pyx fills them),
 * inputs beyond which are clipped. */
#define W2V_MAX_EXP 6
#define W2V_EXP_TABLE_SIZE 1000

/*
 * Row ``index`` of ``copy`` (whose first row is row ``first`` of the matrix) when
 * ``index >= first`` and ``index < end``, else row ``index`` of ``shared``; without a
 * branch, because which rows a thread has copied is data (the most frequent words come
 * and go at random) and a mispredicted branch per row costs more than the select.
 * The arithmetic is on uintptr_t, so no out-of-range pointer is ever formed.
 */
W2V_INLINE float *w2v_pick_row(float *shared, float *copy, int64_t index, int64_t first,
                               int64_t end, int dim)
{
    uintptr_t use_copy = (uintptr_t)0 - (uintptr_t)((index >= first) & (index < end));
    uintptr_t from_shared = (uintptr_t)shared + (uintptr_t)index * (uintptr_t)dim * sizeof(float);
    uintptr_t from_copy = (uintptr_t)copy + (uintptr_t)(index - first) * (uintptr_t)dim * sizeof(float);
    return (float *)((from_copy & use_copy) | (from_shared & ~use_copy));
}

/* Prefetch the cache lines of a row of n floats. */
W2V_INLINE void w2v_prefetch_row(const float *row, int n)
{
    int i;
    for (i = 0; i < n; i += 16) {
        W2V_PREFETCH(row + i);
    }
}

/* sum_i a[i] * b[i] */
W2V_INLINE float w2v_dot_portable(const float *W2V_RESTRICT a, const float *W2V_RESTRICT b, int n)
{
    float s0 = 0.f, s1 = 0.f, s2 = 0.f, s3 = 0.f;
    float s4 = 0.f, s5 = 0.f, s6 = 0.f, s7 = 0.f;
    float total;
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
        s4 += a[i + 4] * b[i + 4];
        s5 += a[i + 5] * b[i + 5];
        s6 += a[i + 6] * b[i + 6];
        s7 += a[i + 7] * b[i + 7];
    }
    total = ((s0 + s4) + (s1 + s5)) + ((s2 + s6) + (s3 + s7));
    for (; i < n; i++) {
        total += a[i] * b[i];
    }
    return total;
}

/* y += alpha * x  (x and y never overlap) */
W2V_INLINE void w2v_axpy_portable(float alpha, const float *W2V_RESTRICT x,
                                  float *W2V_RESTRICT y, int n)
{
    int i;
    for (i = 0; i < n; i++) {
        y[i] += alpha * x[i];
    }
}

/* x = 0 */
W2V_INLINE void w2v_zero(float *x, int n)
{
    int i;
    for (i = 0; i < n; i++) {
        x[i] = 0.f;
    }
}

/*
 * y += sum_r c[r * stride] * rows[r] (add) or y = that sum (not add: the bits of zeroing y
 * first), the terms added one row after the other as n calls of w2v_axpy add them (the
 * same bits), but y is loaded (if at all) and stored once per element.
 */
W2V_INLINE void w2v_axpy_rows_portable(const float *c, int stride, const float *const *rows,
                                       int n, float *W2V_RESTRICT y, int dim, int add)
{
    int r;
    if (!add) {
        w2v_zero(y, dim);
    }
    for (r = 0; r < n; r++) {
        w2v_axpy_portable(c[(int64_t)r * stride], rows[r], y, dim);
    }
}

/* out[r] = x . rows[r] for r < n: the bits of n calls of w2v_dot (the vector paths take a
 * few rows at once, loading each slice of x once for all of them and overlapping their
 * sums). */
W2V_INLINE void w2v_dot_rows_portable(const float *W2V_RESTRICT x, const float *const *rows,
                                      int n, float *W2V_RESTRICT out, int dim)
{
    int r;
    for (r = 0; r < n; r++) {
        out[r] = w2v_dot_portable(x, rows[r], dim);
    }
}

/*
 * rows[r] += c[r * stride] * x for r < n: the bits of n calls of w2v_axpy, one row after
 * the other (a row listed twice gets both steps, in order, because every element's steps
 * stay in row order); the vector paths load each slice of x once for all the rows. x must
 * not be one of the rows.
 */
W2V_INLINE void w2v_axpy_scatter_portable(const float *c, int stride, const float *x,
                                          float *const *rows, int n, int dim)
{
    int r;
    for (r = 0; r < n; r++) {
        w2v_axpy_portable(c[(int64_t)r * stride], x, rows[r], dim);
    }
}

/*
 * y += sum_r c[r * stride] * rows[r] (add; else y = that sum, the bits of zeroing y first)
 * and then rows[r] += c[r * stride] * x: the bits of w2v_axpy_rows (or w2v_sum_rows)
 * followed by w2v_axpy_scatter (y's sum takes every row as it was before its step). The
 * vector paths do both in one pass, loading each slice of a row once. The rows must be
 * distinct, and neither x nor y may be one of them.
 */
W2V_INLINE void w2v_axpy_rows_scatter_portable(const float *c, int stride, const float *x,
                                               float *const *rows, int n,
                                               float *W2V_RESTRICT y, int dim, int add)
{
    w2v_axpy_rows_portable(c, stride, (const float *const *)rows, n, y, dim, add);
    w2v_axpy_scatter_portable(c, stride, x, rows, n, dim);
}

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(_M_IX86)
#define W2V_HAVE_AVX2_PATH 1
#include <immintrin.h>
#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
#define W2V_AVX2_FN static
#else
#include <cpuid.h>
#define W2V_AVX2_FN static __attribute__((target("avx2,fma")))
#endif
#if defined(_MSC_VER) && !defined(__clang__)
#define W2V_AVX512_FN static
#define W2V_AVX512_INLINE static __forceinline
#else
#define W2V_AVX512_FN static __attribute__((target("avx512f")))
/* a helper of AVX-512 routines, inlined into every one (a call per row costs more) */
#define W2V_AVX512_INLINE static inline __attribute__((target("avx512f"), always_inline))
#endif

/* The horizontal sum of four partial sums: (s0 + s1) + (s2 + s3), then the halves. It
 * ends w2v_dot_avx2 and w2v_dot2_avx2, so both give the same bits. */
W2V_AVX2_FN float w2v_hsum_avx2(__m256 s0, __m256 s1, __m256 s2, __m256 s3)
{
    __m128 lo;
    s0 = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
    lo = _mm_add_ps(_mm256_castps256_ps128(s0), _mm256_extractf128_ps(s0, 1));
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    return _mm_cvtss_f32(_mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1)));
}

W2V_AVX2_FN float w2v_dot_avx2(const float *a, const float *b, int n)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    float total;
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
    }
    for (; i + 8 <= n; i += 8) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    }
    total = w2v_hsum_avx2(s0, s1, s2, s3);
    for (; i < n; i++) {
        total += a[i] * b[i];
    }
    return total;
}

W2V_AVX2_FN void w2v_axpy_avx2(float alpha, const float *x, float *y, int n)
{
    __m256 va = _mm256_set1_ps(alpha);
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i),
                                                _mm256_loadu_ps(y + i)));
        _mm256_storeu_ps(y + i + 8, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i + 8),
                                                    _mm256_loadu_ps(y + i + 8)));
    }
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i),
                                                _mm256_loadu_ps(y + i)));
    }
    for (; i < n; i++) {
        y[i] += alpha * x[i];
    }
}

/* x *= alpha for the first multiple of 8 elements; returns how many (the caller scales
 * the rest). */
W2V_AVX2_FN int w2v_scale_avx2(float alpha, float *x, int n)
{
    __m256 va = _mm256_set1_ps(alpha);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(x + i, _mm256_mul_ps(va, _mm256_loadu_ps(x + i)));
    }
    return i;
}

/* Where a row sum starts: y's values (add) or +0 (y = the sum; y is not read). */
#define W2V_Y256(p) (add ? _mm256_loadu_ps(p) : _mm256_setzero_ps())

/* The AVX2 row sums' elements from `from` on (fewer than 8): y's (zeros first unless
 * add) plus each row's term in order, as w2v_axpy_avx2's scalar loop adds them. */
W2V_AVX2_FN void w2v_rows_tail_avx2(const float *c, int stride, const float *const *rows,
                                    int n, float *y, int from, int dim, int add)
{
    int r, k;
    if (!add) {
        w2v_zero(y + from, dim - from);
    }
    for (r = 0; r < n; r++) {
        float alpha = c[(int64_t)r * stride];
        const float *x = rows[r];
        for (k = from; k < dim; k++) {
            y[k] += alpha * x[k];
        }
    }
}

/* w2v_axpy_rows_portable with AVX2: elements in the same 16-, 8- and 1-wide steps as
 * w2v_axpy_avx2, each a chain of fused multiply-adds over the rows in order. */
W2V_AVX2_FN void w2v_axpy_rows_avx2(const float *c, int stride, const float *const *rows,
                                    int n, float *y, int dim, int add)
{
    int i = 0, r;
    for (; i + 32 <= dim; i += 32) {  /* four chains in flight, not two */
        __m256 y0 = W2V_Y256(y + i), y1 = W2V_Y256(y + i + 8);
        __m256 y2 = W2V_Y256(y + i + 16), y3 = W2V_Y256(y + i + 24);
        for (r = 0; r < n; r++) {
            __m256 vc = _mm256_set1_ps(c[(int64_t)r * stride]);
            const float *x = rows[r] + i;
            y0 = _mm256_fmadd_ps(vc, _mm256_loadu_ps(x), y0);
            y1 = _mm256_fmadd_ps(vc, _mm256_loadu_ps(x + 8), y1);
            y2 = _mm256_fmadd_ps(vc, _mm256_loadu_ps(x + 16), y2);
            y3 = _mm256_fmadd_ps(vc, _mm256_loadu_ps(x + 24), y3);
        }
        _mm256_storeu_ps(y + i, y0);
        _mm256_storeu_ps(y + i + 8, y1);
        _mm256_storeu_ps(y + i + 16, y2);
        _mm256_storeu_ps(y + i + 24, y3);
    }
    for (; i + 16 <= dim; i += 16) {
        __m256 y0 = W2V_Y256(y + i), y1 = W2V_Y256(y + i + 8);
        for (r = 0; r < n; r++) {
            __m256 vc = _mm256_set1_ps(c[(int64_t)r * stride]);
            y0 = _mm256_fmadd_ps(vc, _mm256_loadu_ps(rows[r] + i), y0);
            y1 = _mm256_fmadd_ps(vc, _mm256_loadu_ps(rows[r] + i + 8), y1);
        }
        _mm256_storeu_ps(y + i, y0);
        _mm256_storeu_ps(y + i + 8, y1);
    }
    for (; i + 8 <= dim; i += 8) {
        __m256 y0 = W2V_Y256(y + i);
        for (r = 0; r < n; r++) {
            y0 = _mm256_fmadd_ps(_mm256_set1_ps(c[(int64_t)r * stride]),
                                 _mm256_loadu_ps(rows[r] + i), y0);
        }
        _mm256_storeu_ps(y + i, y0);
    }
    w2v_rows_tail_avx2(c, stride, rows, n, y, i, dim, add);
}

/* w2v_axpy_rows2_avx512 with AVX2: the bits of w2v_axpy_rows_avx2 into y and into z. */
W2V_AVX2_FN void w2v_axpy_rows2_avx2(const float *c, int stride, int next,
                                     const float *const *rows, int n, float *y, float *z,
                                     int dim, int add)
{
    int i = 0, r;
    for (; i + 32 <= dim; i += 32) {
        __m256 y0 = W2V_Y256(y + i), y1 = W2V_Y256(y + i + 8);
        __m256 y2 = W2V_Y256(y + i + 16), y3 = W2V_Y256(y + i + 24);
        __m256 z0 = W2V_Y256(z + i), z1 = W2V_Y256(z + i + 8);
        __m256 z2 = W2V_Y256(z + i + 16), z3 = W2V_Y256(z + i + 24);
        for (r = 0; r < n; r++) {
            __m256 vc = _mm256_set1_ps(c[(int64_t)r * stride]);
            __m256 vd = _mm256_set1_ps(c[next + (int64_t)r * stride]);
            const float *x = rows[r] + i;
            __m256 x0 = _mm256_loadu_ps(x), x1 = _mm256_loadu_ps(x + 8);
            y0 = _mm256_fmadd_ps(vc, x0, y0);
            z0 = _mm256_fmadd_ps(vd, x0, z0);
            y1 = _mm256_fmadd_ps(vc, x1, y1);
            z1 = _mm256_fmadd_ps(vd, x1, z1);
            x0 = _mm256_loadu_ps(x + 16);
            x1 = _mm256_loadu_ps(x + 24);
            y2 = _mm256_fmadd_ps(vc, x0, y2);
            z2 = _mm256_fmadd_ps(vd, x0, z2);
            y3 = _mm256_fmadd_ps(vc, x1, y3);
            z3 = _mm256_fmadd_ps(vd, x1, z3);
        }
        _mm256_storeu_ps(y + i, y0);
        _mm256_storeu_ps(y + i + 8, y1);
        _mm256_storeu_ps(y + i + 16, y2);
        _mm256_storeu_ps(y + i + 24, y3);
        _mm256_storeu_ps(z + i, z0);
        _mm256_storeu_ps(z + i + 8, z1);
        _mm256_storeu_ps(z + i + 16, z2);
        _mm256_storeu_ps(z + i + 24, z3);
    }
    for (; i + 16 <= dim; i += 16) {
        __m256 y0 = W2V_Y256(y + i), y1 = W2V_Y256(y + i + 8);
        __m256 z0 = W2V_Y256(z + i), z1 = W2V_Y256(z + i + 8);
        for (r = 0; r < n; r++) {
            __m256 vc = _mm256_set1_ps(c[(int64_t)r * stride]);
            __m256 vd = _mm256_set1_ps(c[next + (int64_t)r * stride]);
            __m256 x0 = _mm256_loadu_ps(rows[r] + i), x1 = _mm256_loadu_ps(rows[r] + i + 8);
            y0 = _mm256_fmadd_ps(vc, x0, y0);
            y1 = _mm256_fmadd_ps(vc, x1, y1);
            z0 = _mm256_fmadd_ps(vd, x0, z0);
            z1 = _mm256_fmadd_ps(vd, x1, z1);
        }
        _mm256_storeu_ps(y + i, y0);
        _mm256_storeu_ps(y + i + 8, y1);
        _mm256_storeu_ps(z + i, z0);
        _mm256_storeu_ps(z + i + 8, z1);
    }
    for (; i + 8 <= dim; i += 8) {
        __m256 y0 = W2V_Y256(y + i), z0 = W2V_Y256(z + i);
        for (r = 0; r < n; r++) {
            __m256 x0 = _mm256_loadu_ps(rows[r] + i);
            y0 = _mm256_fmadd_ps(_mm256_set1_ps(c[(int64_t)r * stride]), x0, y0);
            z0 = _mm256_fmadd_ps(_mm256_set1_ps(c[next + (int64_t)r * stride]), x0, z0);
        }
        _mm256_storeu_ps(y + i, y0);
        _mm256_storeu_ps(z + i, z0);
    }
    w2v_rows_tail_avx2(c, stride, rows, n, y, i, dim, add);
    w2v_rows_tail_avx2(c + next, stride, rows, n, z, i, dim, add);
}

/* w2v_axpy_rows_scatter_portable with AVX2: each row's slice is loaded once, added to y's
 * chain and stepped; every element is the fused multiply-add w2v_axpy_rows_avx2 or
 * w2v_axpy_scatter_avx2 gives it, and the tail (under 8 floats) their scalar loops. */
W2V_AVX2_FN void w2v_axpy_rows_scatter_avx2(const float *c, int stride, const float *x,
                                            float *const *rows, int n, float *y, int dim,
                                            int add)
{
    int i = 0, r;
    for (; i + 16 <= dim; i += 16) {
        __m256 y0 = W2V_Y256(y + i), y1 = W2V_Y256(y + i + 8);
        __m256 x0 = _mm256_loadu_ps(x + i), x1 = _mm256_loadu_ps(x + i + 8);
        for (r = 0; r < n; r++) {
            __m256 vc = _mm256_set1_ps(c[(int64_t)r * stride]);
            float *w = rows[r] + i;
            __m256 w0 = _mm256_loadu_ps(w), w1 = _mm256_loadu_ps(w + 8);
            y0 = _mm256_fmadd_ps(vc, w0, y0);
            y1 = _mm256_fmadd_ps(vc, w1, y1);
            _mm256_storeu_ps(w, _mm256_fmadd_ps(vc, x0, w0));
            _mm256_storeu_ps(w + 8, _mm256_fmadd_ps(vc, x1, w1));
        }
        _mm256_storeu_ps(y + i, y0);
        _mm256_storeu_ps(y + i + 8, y1);
    }
    for (; i + 8 <= dim; i += 8) {
        __m256 y0 = W2V_Y256(y + i), x0 = _mm256_loadu_ps(x + i);
        for (r = 0; r < n; r++) {
            __m256 vc = _mm256_set1_ps(c[(int64_t)r * stride]);
            __m256 w0 = _mm256_loadu_ps(rows[r] + i);
            y0 = _mm256_fmadd_ps(vc, w0, y0);
            _mm256_storeu_ps(rows[r] + i, _mm256_fmadd_ps(vc, x0, w0));
        }
        _mm256_storeu_ps(y + i, y0);
    }
    if (i < dim) {  /* y's tail first, from the rows before their steps */
        w2v_rows_tail_avx2(c, stride, (const float *const *)rows, n, y, i, dim, add);
        for (r = 0; r < n; r++) {
            w2v_axpy_avx2(c[(int64_t)r * stride], x + i, rows[r] + i, dim - i);
        }
    }
}

#undef W2V_Y256

/* w2v_dot_avx2 of x with two rows at once: the same partial sums, steps and tail for
 * each, each slice of x loaded once. */
W2V_AVX2_FN void w2v_dot2_avx2(const float *x, const float *b, const float *d, int n,
                               float *out)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    __m256 t0 = _mm256_setzero_ps(), t1 = _mm256_setzero_ps();
    __m256 t2 = _mm256_setzero_ps(), t3 = _mm256_setzero_ps();
    float sb, sd;
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256 x0 = _mm256_loadu_ps(x + i), x1 = _mm256_loadu_ps(x + i + 8);
        __m256 x2 = _mm256_loadu_ps(x + i + 16), x3 = _mm256_loadu_ps(x + i + 24);
        s0 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(b + i), s0);
        t0 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(d + i), t0);
        s1 = _mm256_fmadd_ps(x1, _mm256_loadu_ps(b + i + 8), s1);
        t1 = _mm256_fmadd_ps(x1, _mm256_loadu_ps(d + i + 8), t1);
        s2 = _mm256_fmadd_ps(x2, _mm256_loadu_ps(b + i + 16), s2);
        t2 = _mm256_fmadd_ps(x2, _mm256_loadu_ps(d + i + 16), t2);
        s3 = _mm256_fmadd_ps(x3, _mm256_loadu_ps(b + i + 24), s3);
        t3 = _mm256_fmadd_ps(x3, _mm256_loadu_ps(d + i + 24), t3);
    }
    for (; i + 8 <= n; i += 8) {
        __m256 x0 = _mm256_loadu_ps(x + i);
        s0 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(b + i), s0);
        t0 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(d + i), t0);
    }
    sb = w2v_hsum_avx2(s0, s1, s2, s3);
    sd = w2v_hsum_avx2(t0, t1, t2, t3);
    for (; i < n; i++) {
        sb += x[i] * b[i];
        sd += x[i] * d[i];
    }
    out[0] = sb;
    out[1] = sd;
}

/* w2v_axpy_scatter_portable with AVX2: every element the fused multiply-add of
 * w2v_axpy_avx2, in the same 16- and 8-wide steps; each row's tail (under 8 floats) is
 * w2v_axpy_avx2's own scalar loop. */
W2V_AVX2_FN void w2v_axpy_scatter_avx2(const float *c, int stride, const float *x,
                                       float *const *rows, int n, int dim)
{
    int i = 0, r;
    for (; i + 16 <= dim; i += 16) {
        __m256 x0 = _mm256_loadu_ps(x + i), x1 = _mm256_loadu_ps(x + i + 8);
        for (r = 0; r < n; r++) {
            __m256 vc = _mm256_set1_ps(c[(int64_t)r * stride]);
            float *y = rows[r] + i;
            _mm256_storeu_ps(y, _mm256_fmadd_ps(vc, x0, _mm256_loadu_ps(y)));
            _mm256_storeu_ps(y + 8, _mm256_fmadd_ps(vc, x1, _mm256_loadu_ps(y + 8)));
        }
    }
    for (; i + 8 <= dim; i += 8) {
        __m256 x0 = _mm256_loadu_ps(x + i);
        for (r = 0; r < n; r++) {
            float *y = rows[r] + i;
            _mm256_storeu_ps(y, _mm256_fmadd_ps(_mm256_set1_ps(c[(int64_t)r * stride]), x0,
                                                _mm256_loadu_ps(y)));
        }
    }
    if (i < dim) {
        for (r = 0; r < n; r++) {
            w2v_axpy_avx2(c[(int64_t)r * stride], x + i, rows[r] + i, dim - i);
        }
    }
}


/* The two halves of 8 floats widened to 4 doubles each. */
W2V_AVX2_FN void w2v_widen_avx2(__m256 v, __m256d *lo, __m256d *hi)
{
    *lo = _mm256_cvtps_pd(_mm256_castps256_ps128(v));
    *hi = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
}

/* The table bins of 8 floats v, as _table_index computes each (see w2v_table_bins_avx512). */
W2V_AVX2_FN __m256i w2v_table_bins_avx2(__m256 v)
{
    const __m256d scale = _mm256_set1_pd(W2V_EXP_TABLE_SIZE / (2.0 * W2V_MAX_EXP));
    __m256d lo, hi;
    __m256i idx;
    w2v_widen_avx2(_mm256_add_ps(v, _mm256_set1_ps((float)W2V_MAX_EXP)), &lo, &hi);
    idx = _mm256_castsi128_si256(_mm256_cvttpd_epi32(_mm256_mul_pd(lo, scale)));
    idx = _mm256_inserti128_si256(idx, _mm256_cvttpd_epi32(_mm256_mul_pd(hi, scale)), 1);
    idx = _mm256_max_epi32(idx, _mm256_setzero_si256());
    return _mm256_min_epi32(idx, _mm256_set1_epi32(W2V_EXP_TABLE_SIZE - 1));
}

/* w2v_logistic_avx512 with AVX2, 8 scores at a time: the same bins, clipping and bits. */
W2V_AVX2_FN void w2v_logistic_avx2(const float *scores, int n, const float *lab, int n_lab,
                                   float alpha, const float *sig, const float *logsig,
                                   float *steps, double *terms)
{
    const __m256 six = _mm256_set1_ps((float)W2V_MAX_EXP);
    const __m256 msix = _mm256_set1_ps(-(float)W2V_MAX_EXP);
    const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
    const __m256 va = _mm256_set1_ps(alpha), sign = _mm256_set1_ps(-0.0f);
    const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i period = _mm256_set1_epi32(n_lab), advance = _mm256_set1_epi32(8 % n_lab);
    const __m256i top = _mm256_set1_epi32(n_lab - 1);
    /* each lane's label index: lane mod n_lab, then 8 more (mod n_lab) per vector */
    __m256i b = iota, over;
    __m256 labels = _mm256_maskload_ps(lab, _mm256_cmpgt_epi32(period, iota));
    int i;
    for (;;) {
        over = _mm256_cmpgt_epi32(b, top);
        if (_mm256_testz_si256(over, over)) break;
        b = _mm256_sub_epi32(b, _mm256_and_si256(over, period));
    }
    for (i = 0; i < n; i += 8) {
        __m256i live = _mm256_cmpgt_epi32(_mm256_set1_epi32(n - i), iota);
        __m256 m = _mm256_castsi256_ps(live);
        __m256 f = _mm256_maskload_ps(scores + i, live);
        __m256 l = n_lab <= 8 ? _mm256_permutevar8x32_ps(labels, b)
                              : _mm256_i32gather_ps(lab, b, 4);
        __m256 x = _mm256_blendv_ps(_mm256_xor_ps(f, sign), f, _mm256_cmp_ps(l, zero, _CMP_GT_OQ));
        __m256 s = _mm256_mask_i32gather_ps(zero, sig, w2v_table_bins_avx2(f), m, 4);
        __m256 ls = _mm256_mask_i32gather_ps(zero, logsig, w2v_table_bins_avx2(x), m, 4);
        __m256 fhi = _mm256_cmp_ps(f, six, _CMP_GE_OQ);
        __m256 flo = _mm256_cmp_ps(f, msix, _CMP_LE_OQ);
        __m256 xhi = _mm256_cmp_ps(x, six, _CMP_GE_OQ);
        __m256 xlo = _mm256_andnot_ps(xhi, _mm256_cmp_ps(x, msix, _CMP_LE_OQ));
        __m256d t0, t1;
        s = _mm256_blendv_ps(s, one, fhi);
        s = _mm256_blendv_ps(s, zero, _mm256_andnot_ps(fhi, flo));
        _mm256_maskstore_ps(steps + i, live, _mm256_mul_ps(_mm256_sub_ps(l, s), va));
        ls = _mm256_blendv_ps(ls, x, xlo);
        ls = _mm256_blendv_ps(ls, zero, xhi);
        w2v_widen_avx2(ls, &t0, &t1);
        _mm256_maskstore_pd(terms + i, _mm256_cvtepi32_epi64(_mm256_castsi256_si128(live)), t0);
        _mm256_maskstore_pd(terms + i + 4, _mm256_cvtepi32_epi64(_mm256_extracti128_si256(live, 1)),
                            t1);
        b = _mm256_add_epi32(b, advance);
        b = _mm256_sub_epi32(b, _mm256_and_si256(_mm256_cmpgt_epi32(b, top), period));
    }
}

/* The lanes of a 16-float step that lie before ``left`` (1 <= left <= 16). */
#define W2V_TAIL_MASK(left) ((__mmask16)((1u << (left)) - 1u))

/* The t floats at p (1 <= t <= 16) in a vector's first lanes, the others +0, as
 * _mm512_maskz_loadu_ps(W2V_TAIL_MASK(t), p) gives them; w2v_store_tail_avx512 is the
 * store of those lanes. Both move 8 and 4 floats at a time without a mask where they fit
 * (100 floats: 96, then 4) and only the last t % 4 by mask: a masked load waits until a
 * masked store to the same floats has left the core (it cannot take its data from the
 * store), and a row's tail stored by one window's steps is loaded again by the next. */
W2V_AVX512_INLINE __m512 w2v_load_tail_avx512(const float *p, int t)
{
    __m512 v = _mm512_setzero_ps();
    int k = t & 12;
    if (t == 16) {
        return _mm512_loadu_ps(p);
    }
    if (t & 8) {
        v = _mm512_castpd_ps(_mm512_insertf64x4(_mm512_setzero_pd(),
                                                _mm256_castps_pd(_mm256_loadu_ps(p)), 0));
        if (t & 4) {
            v = _mm512_insertf32x4(v, _mm_loadu_ps(p + 8), 2);
        }
    } else if (t & 4) {
        v = _mm512_insertf32x4(v, _mm_loadu_ps(p), 0);
    }
    if (t & 3) {
        v = _mm512_mask_loadu_ps(v, (__mmask16)(W2V_TAIL_MASK(t) & ~W2V_TAIL_MASK(k)), p);
    }
    return v;
}

W2V_AVX512_INLINE void w2v_store_tail_avx512(float *p, __m512 v, int t)
{
    int k = t & 12;
    if (t == 16) {
        _mm512_storeu_ps(p, v);
        return;
    }
    if (t & 8) {
        _mm256_storeu_ps(p, _mm512_castps512_ps256(v));
        if (t & 4) {
            _mm_storeu_ps(p + 8, _mm512_extractf32x4_ps(v, 2));
        }
    } else if (t & 4) {
        _mm_storeu_ps(p, _mm512_castps512_ps128(v));
    }
    if (t & 3) {
        _mm512_mask_storeu_ps(p, (__mmask16)(W2V_TAIL_MASK(t) & ~W2V_TAIL_MASK(k)), v);
    }
}

/* The four partial sums of one score, (s0 + s1) + (s2 + s3): w2v_hsum_avx512's first step. */
#define W2V_PARTIALS(s0, s1, s2, s3) _mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3))

/* The horizontal sum of four partial sums: (s0 + s1) + (s2 + s3), then the halves by
 * AVX-512F casts (not _mm512_reduce_add_ps: older MSVCs lack it). It ends w2v_dot_avx512;
 * w2v_hsum4_avx512 takes the same steps for the row blocks, so all give the same bits. */
W2V_AVX512_FN float w2v_hsum_avx512(__m512 s0, __m512 s1, __m512 s2, __m512 s3)
{
    __m256 half;
    __m128 lo;
    s0 = W2V_PARTIALS(s0, s1, s2, s3);
    half = _mm256_add_ps(_mm512_castps512_ps256(s0),
                         _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(s0), 1)));
    lo = _mm_add_ps(_mm256_castps256_ps128(half), _mm256_extractf128_ps(half, 1));
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    return _mm_cvtss_f32(_mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1)));
}

/* w2v_hsum_avx512's halving steps for four scores at once (v0..v3: each score's partial
 * sums already added), in lanes 0-3 of the result. Each sum adds the same pairs of floats
 * in the same order as w2v_hsum_avx512 (its bits), but a halving step adds two scores'
 * halves with one instruction: 15 shuffles and adds for four scores against 28. */
W2V_AVX512_INLINE __m128 w2v_hsum4_avx512(__m512 v0, __m512 v1, __m512 v2, __m512 v3)
{
    /* lanes j and j + 8: v0's sums in quarters 0-1, v1's in 2-3 (v2, v3 likewise) */
    __m512 h01 = _mm512_add_ps(_mm512_shuffle_f32x4(v0, v1, _MM_SHUFFLE(1, 0, 1, 0)),
                               _mm512_shuffle_f32x4(v0, v1, _MM_SHUFFLE(3, 2, 3, 2)));
    __m512 h23 = _mm512_add_ps(_mm512_shuffle_f32x4(v2, v3, _MM_SHUFFLE(1, 0, 1, 0)),
                               _mm512_shuffle_f32x4(v2, v3, _MM_SHUFFLE(3, 2, 3, 2)));
    /* lanes j and j + 4 of each: score k's four sums in quarter k */
    __m512 q = _mm512_add_ps(_mm512_shuffle_f32x4(h01, h23, _MM_SHUFFLE(2, 0, 2, 0)),
                             _mm512_shuffle_f32x4(h01, h23, _MM_SHUFFLE(3, 1, 3, 1)));
    /* then lanes 0 + 2 and 1 + 3 of a quarter, then those two (movehl, then shuffle) */
    q = _mm512_add_ps(q, _mm512_permute_ps(q, _MM_SHUFFLE(1, 0, 3, 2)));
    q = _mm512_add_ps(q, _mm512_permute_ps(q, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm512_castps512_ps128(_mm512_permutexvar_ps(
        _mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), q));
}

W2V_AVX512_FN float w2v_dot_avx512(const float *a, const float *b, int n)
{
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    __m512 s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
    int i = 0;
    for (; i + 64 <= n; i += 64) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
        s2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32), s2);
        s3 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48), s3);
    }
    for (; i + 32 <= n; i += 32) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
    }
    for (; i + 16 <= n; i += 16) {
        s2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s2);
    }
    if (i < n) {
        s3 = _mm512_fmadd_ps(w2v_load_tail_avx512(a + i, n - i), w2v_load_tail_avx512(b + i, n - i),
                             s3);
    }
    return w2v_hsum_avx512(s0, s1, s2, s3);
}

W2V_AVX512_FN void w2v_axpy_avx512(float alpha, const float *x, float *y, int n)
{
    __m512 va = _mm512_set1_ps(alpha);
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        _mm512_storeu_ps(y + i, _mm512_fmadd_ps(va, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
    }
    if (i < n) {
        w2v_store_tail_avx512(y + i, _mm512_fmadd_ps(va, w2v_load_tail_avx512(x + i, n - i),
                                                     w2v_load_tail_avx512(y + i, n - i)),
                              n - i);
    }
}

/* x *= alpha, 16 at a time (then the tail). */
W2V_AVX512_FN void w2v_scale_avx512(float alpha, float *x, int n)
{
    __m512 va = _mm512_set1_ps(alpha);
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        _mm512_storeu_ps(x + i, _mm512_mul_ps(va, _mm512_loadu_ps(x + i)));
    }
    if (i < n) {
        w2v_store_tail_avx512(x + i, _mm512_mul_ps(va, w2v_load_tail_avx512(x + i, n - i)), n - i);
    }
}

/* Where a row sum starts: y's values (add) or +0; 16 floats at p, or its first t (a tail). */
#define W2V_Y512(p) (add ? _mm512_loadu_ps(p) : _mm512_setzero_ps())
#define W2V_Y512T(p, t) (add ? w2v_load_tail_avx512(p, t) : _mm512_setzero_ps())

/* w2v_axpy_rows_portable with AVX-512F: every element a chain of fused multiply-adds
 * over the rows in order (the bits of n calls of w2v_axpy_avx512). */
W2V_AVX512_FN void w2v_axpy_rows_avx512(const float *c, int stride, const float *const *rows,
                                        int n, float *y, int dim, int add)
{
    int i = 0, r;
    for (; i + 64 <= dim; i += 64) {  /* four chains in flight, not two */
        __m512 y0 = W2V_Y512(y + i), y1 = W2V_Y512(y + i + 16);
        __m512 y2 = W2V_Y512(y + i + 32), y3 = W2V_Y512(y + i + 48);
        for (r = 0; r < n; r++) {
            __m512 vc = _mm512_set1_ps(c[(int64_t)r * stride]);
            const float *x = rows[r] + i;
            y0 = _mm512_fmadd_ps(vc, _mm512_loadu_ps(x), y0);
            y1 = _mm512_fmadd_ps(vc, _mm512_loadu_ps(x + 16), y1);
            y2 = _mm512_fmadd_ps(vc, _mm512_loadu_ps(x + 32), y2);
            y3 = _mm512_fmadd_ps(vc, _mm512_loadu_ps(x + 48), y3);
        }
        _mm512_storeu_ps(y + i, y0);
        _mm512_storeu_ps(y + i + 16, y1);
        _mm512_storeu_ps(y + i + 32, y2);
        _mm512_storeu_ps(y + i + 48, y3);
    }
    for (; i + 32 <= dim; i += 32) {
        __m512 y0 = W2V_Y512(y + i), y1 = W2V_Y512(y + i + 16);
        for (r = 0; r < n; r++) {
            __m512 vc = _mm512_set1_ps(c[(int64_t)r * stride]);
            y0 = _mm512_fmadd_ps(vc, _mm512_loadu_ps(rows[r] + i), y0);
            y1 = _mm512_fmadd_ps(vc, _mm512_loadu_ps(rows[r] + i + 16), y1);
        }
        _mm512_storeu_ps(y + i, y0);
        _mm512_storeu_ps(y + i + 16, y1);
    }
    for (; i < dim; i += 16) {
        int t = dim - i < 16 ? dim - i : 16;
        __m512 y0 = W2V_Y512T(y + i, t);
        for (r = 0; r < n; r++) {
            y0 = _mm512_fmadd_ps(_mm512_set1_ps(c[(int64_t)r * stride]),
                                 w2v_load_tail_avx512(rows[r] + i, t), y0);
        }
        w2v_store_tail_avx512(y + i, y0, t);
    }
}

/* w2v_axpy_rows_avx512 into two outputs at once: y with coefficients c[r * stride], z with
 * c[next + r * stride]. Each row's slice is loaded once for both; every element of y and
 * of z is the chain w2v_axpy_rows_avx512 gives it (the same bits). y and z must not
 * overlap each other or the rows. */
W2V_AVX512_FN void w2v_axpy_rows2_avx512(const float *c, int stride, int next,
                                         const float *const *rows, int n, float *y, float *z,
                                         int dim, int add)
{
    int i = 0, r;
    for (; i + 64 <= dim; i += 64) {
        __m512 y0 = W2V_Y512(y + i), y1 = W2V_Y512(y + i + 16);
        __m512 y2 = W2V_Y512(y + i + 32), y3 = W2V_Y512(y + i + 48);
        __m512 z0 = W2V_Y512(z + i), z1 = W2V_Y512(z + i + 16);
        __m512 z2 = W2V_Y512(z + i + 32), z3 = W2V_Y512(z + i + 48);
        for (r = 0; r < n; r++) {
            __m512 vc = _mm512_set1_ps(c[(int64_t)r * stride]);
            __m512 vd = _mm512_set1_ps(c[next + (int64_t)r * stride]);
            const float *x = rows[r] + i;
            __m512 x0 = _mm512_loadu_ps(x), x1 = _mm512_loadu_ps(x + 16);
            __m512 x2 = _mm512_loadu_ps(x + 32), x3 = _mm512_loadu_ps(x + 48);
            y0 = _mm512_fmadd_ps(vc, x0, y0);
            y1 = _mm512_fmadd_ps(vc, x1, y1);
            y2 = _mm512_fmadd_ps(vc, x2, y2);
            y3 = _mm512_fmadd_ps(vc, x3, y3);
            z0 = _mm512_fmadd_ps(vd, x0, z0);
            z1 = _mm512_fmadd_ps(vd, x1, z1);
            z2 = _mm512_fmadd_ps(vd, x2, z2);
            z3 = _mm512_fmadd_ps(vd, x3, z3);
        }
        _mm512_storeu_ps(y + i, y0);
        _mm512_storeu_ps(y + i + 16, y1);
        _mm512_storeu_ps(y + i + 32, y2);
        _mm512_storeu_ps(y + i + 48, y3);
        _mm512_storeu_ps(z + i, z0);
        _mm512_storeu_ps(z + i + 16, z1);
        _mm512_storeu_ps(z + i + 32, z2);
        _mm512_storeu_ps(z + i + 48, z3);
    }
    for (; i + 32 <= dim; i += 32) {
        __m512 y0 = W2V_Y512(y + i), y1 = W2V_Y512(y + i + 16);
        __m512 z0 = W2V_Y512(z + i), z1 = W2V_Y512(z + i + 16);
        for (r = 0; r < n; r++) {
            __m512 vc = _mm512_set1_ps(c[(int64_t)r * stride]);
            __m512 vd = _mm512_set1_ps(c[next + (int64_t)r * stride]);
            __m512 x0 = _mm512_loadu_ps(rows[r] + i), x1 = _mm512_loadu_ps(rows[r] + i + 16);
            y0 = _mm512_fmadd_ps(vc, x0, y0);
            y1 = _mm512_fmadd_ps(vc, x1, y1);
            z0 = _mm512_fmadd_ps(vd, x0, z0);
            z1 = _mm512_fmadd_ps(vd, x1, z1);
        }
        _mm512_storeu_ps(y + i, y0);
        _mm512_storeu_ps(y + i + 16, y1);
        _mm512_storeu_ps(z + i, z0);
        _mm512_storeu_ps(z + i + 16, z1);
    }
    for (; i < dim; i += 16) {
        int t = dim - i < 16 ? dim - i : 16;
        __m512 y0 = W2V_Y512T(y + i, t), z0 = W2V_Y512T(z + i, t);
        for (r = 0; r < n; r++) {
            __m512 x0 = w2v_load_tail_avx512(rows[r] + i, t);
            y0 = _mm512_fmadd_ps(_mm512_set1_ps(c[(int64_t)r * stride]), x0, y0);
            z0 = _mm512_fmadd_ps(_mm512_set1_ps(c[next + (int64_t)r * stride]), x0, z0);
        }
        w2v_store_tail_avx512(y + i, y0, t);
        w2v_store_tail_avx512(z + i, z0, t);
    }
}

/* w2v_axpy_rows_scatter_portable with AVX-512F: each row's slice is loaded once, added to
 * y's chain and stepped; every element is the fused multiply-add w2v_axpy_rows_avx512 or
 * w2v_axpy_scatter_avx512 gives it (the tail too, as theirs). */
W2V_AVX512_FN void w2v_axpy_rows_scatter_avx512(const float *c, int stride, const float *x,
                                                float *const *rows, int n, float *y, int dim,
                                                int add)
{
    int i = 0, r;
    for (; i + 32 <= dim; i += 32) {
        __m512 y0 = W2V_Y512(y + i), y1 = W2V_Y512(y + i + 16);
        __m512 x0 = _mm512_loadu_ps(x + i), x1 = _mm512_loadu_ps(x + i + 16);
        for (r = 0; r < n; r++) {
            __m512 vc = _mm512_set1_ps(c[(int64_t)r * stride]);
            float *w = rows[r] + i;
            __m512 w0 = _mm512_loadu_ps(w), w1 = _mm512_loadu_ps(w + 16);
            y0 = _mm512_fmadd_ps(vc, w0, y0);
            y1 = _mm512_fmadd_ps(vc, w1, y1);
            _mm512_storeu_ps(w, _mm512_fmadd_ps(vc, x0, w0));
            _mm512_storeu_ps(w + 16, _mm512_fmadd_ps(vc, x1, w1));
        }
        _mm512_storeu_ps(y + i, y0);
        _mm512_storeu_ps(y + i + 16, y1);
    }
    for (; i < dim; i += 16) {
        int t = dim - i < 16 ? dim - i : 16;
        __m512 y0 = W2V_Y512T(y + i, t), x0 = w2v_load_tail_avx512(x + i, t);
        for (r = 0; r < n; r++) {
            __m512 vc = _mm512_set1_ps(c[(int64_t)r * stride]);
            __m512 w0 = w2v_load_tail_avx512(rows[r] + i, t);
            y0 = _mm512_fmadd_ps(vc, w0, y0);
            w2v_store_tail_avx512(rows[r] + i, _mm512_fmadd_ps(vc, x0, w0), t);
        }
        w2v_store_tail_avx512(y + i, y0, t);
    }
}

#undef W2V_Y512
#undef W2V_Y512T

#define W2V_FMA4(m, s, xv, off)                                                   \
    do {                                                                          \
        s##0 = _mm512_fmadd_ps(xv, m(r0 + (off)), s##0);                          \
        s##1 = _mm512_fmadd_ps(xv, m(r1 + (off)), s##1);                          \
        s##2 = _mm512_fmadd_ps(xv, m(r2 + (off)), s##2);                          \
        s##3 = _mm512_fmadd_ps(xv, m(r3 + (off)), s##3);                          \
    } while (0)
#define W2V_LOAD(p) _mm512_loadu_ps(p)

/* w2v_dot_avx512 of x with four rows at once: the same partial sums (a, b, c, d: its s0,
 * s1, s2, s3), steps and tail for each row, each slice of x loaded once. */
W2V_AVX512_FN void w2v_dot4_avx512(const float *x, const float *const *rows, int n,
                                   float *out)
{
    const float *r0 = rows[0], *r1 = rows[1], *r2 = rows[2], *r3 = rows[3];
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    __m512 b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    __m512 c0 = a0, c1 = a0, c2 = a0, c3 = a0;
    __m512 d0 = a0, d1 = a0, d2 = a0, d3 = a0;
    int i = 0;
    for (; i + 64 <= n; i += 64) {
        __m512 xv = _mm512_loadu_ps(x + i);
        W2V_FMA4(W2V_LOAD, a, xv, i);
        xv = _mm512_loadu_ps(x + i + 16);
        W2V_FMA4(W2V_LOAD, b, xv, i + 16);
        xv = _mm512_loadu_ps(x + i + 32);
        W2V_FMA4(W2V_LOAD, c, xv, i + 32);
        xv = _mm512_loadu_ps(x + i + 48);
        W2V_FMA4(W2V_LOAD, d, xv, i + 48);
    }
    for (; i + 32 <= n; i += 32) {
        __m512 xv = _mm512_loadu_ps(x + i);
        W2V_FMA4(W2V_LOAD, a, xv, i);
        xv = _mm512_loadu_ps(x + i + 16);
        W2V_FMA4(W2V_LOAD, b, xv, i + 16);
    }
    for (; i + 16 <= n; i += 16) {
        __m512 xv = _mm512_loadu_ps(x + i);
        W2V_FMA4(W2V_LOAD, c, xv, i);
    }
    if (i < n) {
        int t = n - i;
        __m512 xv = w2v_load_tail_avx512(x + i, t);
#define W2V_MLOAD(p) w2v_load_tail_avx512(p, t)
        W2V_FMA4(W2V_MLOAD, d, xv, i);
#undef W2V_MLOAD
    }
    _mm_storeu_ps(out, w2v_hsum4_avx512(
                           W2V_PARTIALS(a0, b0, c0, d0), W2V_PARTIALS(a1, b1, c1, d1),
                           W2V_PARTIALS(a2, b2, c2, d2), W2V_PARTIALS(a3, b3, c3, d3)));
}
#undef W2V_FMA4
#undef W2V_LOAD

/* One step of w2v_dot2x3_avx512: each of the three rows' slice at ``off`` loaded once, its
 * products with xv (accumulators s0..s2) and with yv (s3..s5) added. */
#define W2V_FMA2X3(m, s, off)                                                     \
    do {                                                                          \
        __m512 w_ = m(r0 + (off));                                                \
        s##0 = _mm512_fmadd_ps(xv, w_, s##0);                                     \
        s##3 = _mm512_fmadd_ps(yv, w_, s##3);                                     \
        w_ = m(r1 + (off));                                                       \
        s##1 = _mm512_fmadd_ps(xv, w_, s##1);                                     \
        s##4 = _mm512_fmadd_ps(yv, w_, s##4);                                     \
        w_ = m(r2 + (off));                                                       \
        s##2 = _mm512_fmadd_ps(xv, w_, s##2);                                     \
        s##5 = _mm512_fmadd_ps(yv, w_, s##5);                                     \
    } while (0)
#define W2V_LOAD(p) _mm512_loadu_ps(p)
#define W2V_XY(off)                                                               \
    do {                                                                          \
        xv = _mm512_loadu_ps(x + (off));                                          \
        yv = _mm512_loadu_ps(y + (off));                                          \
    } while (0)

/* w2v_dot_avx512 of x and of y with three rows each (a 2 x 3 block of scores): the same
 * partial sums (a, b, c, d), steps and tail for every pair, so the bits of six
 * calls; each slice of a row is loaded once for both vectors and each slice of x and y
 * once for all three rows (8 loads for 12 multiply-adds, against 9 for 6 one vector at a
 * time). 24 accumulators and three operands fit in the 32 registers. */
W2V_AVX512_FN void w2v_dot2x3_avx512(const float *x, const float *y, const float *const *rows,
                                     int n, float *out_x, float *out_y)
{
    const float *r0 = rows[0], *r1 = rows[1], *r2 = rows[2];
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
    __m512 b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0;
    __m512 c0 = a0, c1 = a0, c2 = a0, c3 = a0, c4 = a0, c5 = a0;
    __m512 d0 = a0, d1 = a0, d2 = a0, d3 = a0, d4 = a0, d5 = a0;
    __m512 xv, yv;
    int i = 0;
    for (; i + 64 <= n; i += 64) {
        W2V_XY(i);
        W2V_FMA2X3(W2V_LOAD, a, i);
        W2V_XY(i + 16);
        W2V_FMA2X3(W2V_LOAD, b, i + 16);
        W2V_XY(i + 32);
        W2V_FMA2X3(W2V_LOAD, c, i + 32);
        W2V_XY(i + 48);
        W2V_FMA2X3(W2V_LOAD, d, i + 48);
    }
    for (; i + 32 <= n; i += 32) {
        W2V_XY(i);
        W2V_FMA2X3(W2V_LOAD, a, i);
        W2V_XY(i + 16);
        W2V_FMA2X3(W2V_LOAD, b, i + 16);
    }
    for (; i + 16 <= n; i += 16) {
        W2V_XY(i);
        W2V_FMA2X3(W2V_LOAD, c, i);
    }
    if (i < n) {
        int t = n - i;
#define W2V_MLOAD(p) w2v_load_tail_avx512(p, t)
        xv = W2V_MLOAD(x + i);
        yv = W2V_MLOAD(y + i);
        W2V_FMA2X3(W2V_MLOAD, d, i);
#undef W2V_MLOAD
    }
    {
        float first[4], last[4];
        __m512 v4 = W2V_PARTIALS(a4, b4, c4, d4), v5 = W2V_PARTIALS(a5, b5, c5, d5);
        _mm_storeu_ps(first, w2v_hsum4_avx512(W2V_PARTIALS(a0, b0, c0, d0),
                                              W2V_PARTIALS(a1, b1, c1, d1),
                                              W2V_PARTIALS(a2, b2, c2, d2),
                                              W2V_PARTIALS(a3, b3, c3, d3)));
        _mm_storeu_ps(last, w2v_hsum4_avx512(v4, v5, v4, v5));
        out_x[0] = first[0];
        out_x[1] = first[1];
        out_x[2] = first[2];
        out_y[0] = first[3];
        out_y[1] = last[0];
        out_y[2] = last[1];
    }
}
#undef W2V_FMA2X3
#undef W2V_LOAD
#undef W2V_XY

/* w2v_axpy_scatter_portable with AVX-512F: every element the fused multiply-add of
 * w2v_axpy_avx512, in the same 16-wide steps; each row's tail as w2v_axpy_avx512 steps
 * it, in the same loop over the rows (not a call per row). */
W2V_AVX512_FN void w2v_axpy_scatter_avx512(const float *c, int stride, const float *x,
                                           float *const *rows, int n, int dim)
{
    int i = 0, r;
    for (; i + 64 <= dim; i += 64) {
        __m512 x0 = _mm512_loadu_ps(x + i), x1 = _mm512_loadu_ps(x + i + 16);
        __m512 x2 = _mm512_loadu_ps(x + i + 32), x3 = _mm512_loadu_ps(x + i + 48);
        for (r = 0; r < n; r++) {
            __m512 vc = _mm512_set1_ps(c[(int64_t)r * stride]);
            float *y = rows[r] + i;
            _mm512_storeu_ps(y, _mm512_fmadd_ps(vc, x0, _mm512_loadu_ps(y)));
            _mm512_storeu_ps(y + 16, _mm512_fmadd_ps(vc, x1, _mm512_loadu_ps(y + 16)));
            _mm512_storeu_ps(y + 32, _mm512_fmadd_ps(vc, x2, _mm512_loadu_ps(y + 32)));
            _mm512_storeu_ps(y + 48, _mm512_fmadd_ps(vc, x3, _mm512_loadu_ps(y + 48)));
        }
    }
    for (; i + 32 <= dim; i += 32) {
        __m512 x0 = _mm512_loadu_ps(x + i), x1 = _mm512_loadu_ps(x + i + 16);
        for (r = 0; r < n; r++) {
            __m512 vc = _mm512_set1_ps(c[(int64_t)r * stride]);
            float *y = rows[r] + i;
            _mm512_storeu_ps(y, _mm512_fmadd_ps(vc, x0, _mm512_loadu_ps(y)));
            _mm512_storeu_ps(y + 16, _mm512_fmadd_ps(vc, x1, _mm512_loadu_ps(y + 16)));
        }
    }
    for (; i < dim; i += 16) {  /* 16 floats, or the tail as w2v_axpy_avx512 steps it */
        int t = dim - i < 16 ? dim - i : 16;
        __m512 x0 = w2v_load_tail_avx512(x + i, t);
        for (r = 0; r < n; r++) {
            float *y = rows[r] + i;
            w2v_store_tail_avx512(y, _mm512_fmadd_ps(_mm512_set1_ps(c[(int64_t)r * stride]), x0,
                                                     w2v_load_tail_avx512(y, t)),
                                  t);
        }
    }
}

/* The two halves of 16 floats widened to 8 doubles each. */
W2V_AVX512_FN void w2v_widen_avx512(__m512 v, __m512d *lo, __m512d *hi)
{
    *lo = _mm512_cvtps_pd(_mm512_castps512_ps256(v));
    *hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
}

/* The table bins of 16 floats v, as _table_index computes each: (v + W2V_MAX_EXP) in
 * float, times W2V_EXP_TABLE_SIZE / (2 W2V_MAX_EXP) in double, truncated, clamped to the
 * table (a NaN gives bin 0). */
W2V_AVX512_FN __m512i w2v_table_bins_avx512(__m512 v)
{
    const __m512d scale = _mm512_set1_pd(W2V_EXP_TABLE_SIZE / (2.0 * W2V_MAX_EXP));
    __m512d lo, hi;
    __m512i idx;
    w2v_widen_avx512(_mm512_add_ps(v, _mm512_set1_ps((float)W2V_MAX_EXP)), &lo, &hi);
    idx = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvttpd_epi32(_mm512_mul_pd(lo, scale))),
                             _mm512_cvttpd_epi32(_mm512_mul_pd(hi, scale)), 1);
    idx = _mm512_max_epi32(idx, _mm512_setzero_si512());
    return _mm512_min_epi32(idx, _mm512_set1_epi32(W2V_EXP_TABLE_SIZE - 1));
}

/* Logistic steps of n scores whose labels repeat with period n_lab (a block of rows of
 * scores, each row against the same n_lab labels): steps[k] = (lab[k % n_lab] -
 * sigmoid(scores[k])) * alpha and terms[k] = the log-sigmoid of scores[k] (label 1) or of
 * -scores[k] (label 0), with the tables, clipping at +-W2V_MAX_EXP and the bits of
 * _core.pyx's _logistic_gradient; the caller subtracts the terms' sum from the loss.
 * steps may be scores. */
W2V_AVX512_FN void w2v_logistic_avx512(const float *scores, int n, const float *lab, int n_lab,
                                       float alpha, const float *sig, const float *logsig,
                                       float *steps, double *terms)
{
    const __m512 six = _mm512_set1_ps((float)W2V_MAX_EXP);
    const __m512 msix = _mm512_set1_ps(-(float)W2V_MAX_EXP);
    const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f);
    const __m512 va = _mm512_set1_ps(alpha);
    const __m512i period = _mm512_set1_epi32(n_lab), advance = _mm512_set1_epi32(16 % n_lab);
    /* each lane's label index: lane mod n_lab, then 16 more (mod n_lab) per vector */
    __m512i b = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    __m512 labels = _mm512_maskz_loadu_ps(n_lab >= 16 ? (__mmask16)0xFFFF : W2V_TAIL_MASK(n_lab),
                                          lab);
    __mmask16 over;
    int i;
    while ((over = _mm512_cmpge_epi32_mask(b, period)) != 0) {
        b = _mm512_mask_sub_epi32(b, over, b, period);
    }
    for (i = 0; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : W2V_TAIL_MASK(n - i);
        __m512 f = _mm512_maskz_loadu_ps(m, scores + i);
        __m512 l = n_lab <= 16 ? _mm512_permutexvar_ps(b, labels)
                               : _mm512_i32gather_ps(b, lab, 4);
        __mmask16 pos = _mm512_cmp_ps_mask(l, zero, _CMP_GT_OQ);
        __m512 negf = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(f),
                                                           _mm512_set1_epi32((int)0x80000000u)));
        __m512 x = _mm512_mask_blend_ps(pos, negf, f);
        __m512 s = _mm512_mask_i32gather_ps(zero, m, w2v_table_bins_avx512(f), sig, 4);
        __m512 ls = _mm512_mask_i32gather_ps(zero, m, w2v_table_bins_avx512(x), logsig, 4);
        __mmask16 fhi = _mm512_cmp_ps_mask(f, six, _CMP_GE_OQ);
        __mmask16 flo = _mm512_cmp_ps_mask(f, msix, _CMP_LE_OQ);
        __mmask16 xhi = _mm512_cmp_ps_mask(x, six, _CMP_GE_OQ);
        __mmask16 xlo = _mm512_cmp_ps_mask(x, msix, _CMP_LE_OQ) & (__mmask16)~xhi;
        __m512d t0, t1;
        s = _mm512_mask_mov_ps(s, fhi, one);
        s = _mm512_mask_mov_ps(s, (__mmask16)(flo & ~fhi), zero);
        _mm512_mask_storeu_ps(steps + i, m, _mm512_mul_ps(_mm512_sub_ps(l, s), va));
        ls = _mm512_mask_mov_ps(ls, xlo, x);
        ls = _mm512_mask_mov_ps(ls, xhi, zero);
        w2v_widen_avx512(ls, &t0, &t1);
        _mm512_mask_storeu_pd(terms + i, (__mmask8)(m & 0xFF), t0);
        _mm512_mask_storeu_pd(terms + i + 8, (__mmask8)(m >> 8), t1);
        b = _mm512_add_epi32(b, advance);
        b = _mm512_mask_sub_epi32(b, _mm512_cmpge_epi32_mask(b, period), b, period);
    }
}

/* Whether the CPU has AVX-512F and the OS saves the opmask and ZMM registers. */
static int w2v_cpu_has_avx512(void)
{
#if defined(_MSC_VER) && !defined(__clang__)
    int info[4];
    __cpuid(info, 0);
    if (info[0] < 7) return 0;
    __cpuid(info, 1);
    if (!(info[2] & (1 << 27))) return 0;
    if ((_xgetbv(0) & 0xE6) != 0xE6) return 0;
    __cpuidex(info, 7, 0);
    return (info[1] & (1 << 16)) != 0;
#else
    unsigned int eax, ebx, ecx, edx, xcr0, xcr0_high;
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid(1, eax, ebx, ecx, edx);
    if (!(ecx & (1u << 27))) return 0;  /* OSXSAVE: xgetbv may be used */
    __asm__ __volatile__("xgetbv" : "=a"(xcr0), "=d"(xcr0_high) : "c"(0));
    (void)xcr0_high;
    if ((xcr0 & 0xE6) != 0xE6) return 0;  /* SSE, AVX, opmask and both ZMM halves saved */
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    return (ebx & (1u << 16)) != 0;
#endif
}

/* Whether the CPU has AVX2 and FMA and the OS saves the AVX registers. */
static int w2v_cpu_has_avx2(void)
{
#if defined(_MSC_VER) && !defined(__clang__)
    int info[4];
    __cpuid(info, 0);
    if (info[0] < 7) return 0;
    __cpuid(info, 1);
    if (!(info[2] & (1 << 12)) || !(info[2] & (1 << 27)) || !(info[2] & (1 << 28))) return 0;
    if ((_xgetbv(0) & 6) != 6) return 0;
    __cpuidex(info, 7, 0);
    return (info[1] & (1 << 5)) != 0;
#else
    /* <cpuid.h> and xgetbv rather than __builtin_cpu_supports, which needs a runtime
     * symbol (__cpu_model) that not every toolchain links, e.g. older macOS ones. */
    unsigned int eax, ebx, ecx, edx, xcr0, xcr0_high;
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid(1, eax, ebx, ecx, edx);
    if (!(ecx & (1u << 12)) || !(ecx & (1u << 27)) || !(ecx & (1u << 28))) return 0;
    __asm__ __volatile__("xgetbv" : "=a"(xcr0), "=d"(xcr0_high) : "c"(0));
    (void)xcr0_high;
    if ((xcr0 & 6) != 6) return 0;  /* the OS saves the SSE and AVX registers */
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    return (ebx & (1u << 5)) != 0;
#endif
}
#else
static int w2v_cpu_has_avx2(void) { return 0; }
static int w2v_cpu_has_avx512(void) { return 0; }
#endif

/* The vector paths, slowest first. */
#define W2V_PORTABLE 0
#define W2V_AVX2 1
#define W2V_AVX512 2

/* The path in use (W2V_PORTABLE, W2V_AVX2 or W2V_AVX512); set at import by w2v_set_simd. */
static int w2v_simd = W2V_PORTABLE;

/* Use the fastest path the CPU supports that is no faster than ``wanted`` (W2V_AVX512:
 * the fastest there is; W2V_PORTABLE: the portable one); returns the path now in use. */
static int w2v_set_simd(int wanted)
{
    if (wanted >= W2V_AVX512 && w2v_cpu_has_avx512() && w2v_cpu_has_avx2()) {
        w2v_simd = W2V_AVX512;
    } else if (wanted >= W2V_AVX2 && w2v_cpu_has_avx2()) {
        w2v_simd = W2V_AVX2;
    } else {
        w2v_simd = W2V_PORTABLE;
    }
    return w2v_simd;
}

W2V_INLINE float w2v_dot(const float *W2V_RESTRICT a, const float *W2V_RESTRICT b, int n)
{
#ifdef W2V_HAVE_AVX2_PATH
    if (w2v_simd == W2V_AVX512) return w2v_dot_avx512(a, b, n);
    if (w2v_simd == W2V_AVX2) return w2v_dot_avx2(a, b, n);
#endif
    return w2v_dot_portable(a, b, n);
}

W2V_INLINE void w2v_axpy(float alpha, const float *W2V_RESTRICT x, float *W2V_RESTRICT y, int n)
{
#ifdef W2V_HAVE_AVX2_PATH
    if (w2v_simd == W2V_AVX512) {
        w2v_axpy_avx512(alpha, x, y, n);
        return;
    }
    if (w2v_simd == W2V_AVX2) {
        w2v_axpy_avx2(alpha, x, y, n);
        return;
    }
#endif
    w2v_axpy_portable(alpha, x, y, n);
}

W2V_INLINE void w2v_rows_sum(const float *c, int stride, const float *const *rows, int n,
                             float *W2V_RESTRICT y, int dim, int add)
{
#ifdef W2V_HAVE_AVX2_PATH
    if (w2v_simd == W2V_AVX512) {
        w2v_axpy_rows_avx512(c, stride, rows, n, y, dim, add);
        return;
    }
    if (w2v_simd == W2V_AVX2) {
        w2v_axpy_rows_avx2(c, stride, rows, n, y, dim, add);
        return;
    }
#endif
    w2v_axpy_rows_portable(c, stride, rows, n, y, dim, add);
}

/* y += sum_r c[r * stride] * rows[r] (see w2v_axpy_rows_portable). */
W2V_INLINE void w2v_axpy_rows(const float *c, int stride, const float *const *rows, int n,
                              float *W2V_RESTRICT y, int dim)
{
    w2v_rows_sum(c, stride, rows, n, y, dim, 1);
}

/* y = sum_r c[r * stride] * rows[r]: the bits of zeroing y, then w2v_axpy_rows, without
 * the zeroing's stores and loads (the sums start at +0 in registers). */
W2V_INLINE void w2v_sum_rows(const float *c, int stride, const float *const *rows, int n,
                             float *W2V_RESTRICT y, int dim)
{
    w2v_rows_sum(c, stride, rows, n, y, dim, 0);
}

W2V_INLINE void w2v_rows_sum2(const float *c, int stride, int next, const float *const *rows,
                              int n, float *W2V_RESTRICT y, float *W2V_RESTRICT z, int dim,
                              int add)
{
#ifdef W2V_HAVE_AVX2_PATH
    if (w2v_simd == W2V_AVX512) {
        w2v_axpy_rows2_avx512(c, stride, next, rows, n, y, z, dim, add);
        return;
    }
    if (w2v_simd == W2V_AVX2) {
        w2v_axpy_rows2_avx2(c, stride, next, rows, n, y, z, dim, add);
        return;
    }
#endif
    w2v_axpy_rows_portable(c, stride, rows, n, y, dim, add);
    w2v_axpy_rows_portable(c + next, stride, rows, n, z, dim, add);
}

/* w2v_axpy_rows into y (coefficients c[r * stride]) and z (c[next + r * stride]) in one
 * pass over the rows: the bits of the two calls. y, z and the rows must not overlap. */
W2V_INLINE void w2v_axpy_rows2(const float *c, int stride, int next, const float *const *rows,
                               int n, float *W2V_RESTRICT y, float *W2V_RESTRICT z, int dim)
{
    w2v_rows_sum2(c, stride, next, rows, n, y, z, dim, 1);
}

/* w2v_sum_rows into y and z in one pass over the rows (as w2v_axpy_rows2). */
W2V_INLINE void w2v_sum_rows2(const float *c, int stride, int next, const float *const *rows,
                              int n, float *W2V_RESTRICT y, float *W2V_RESTRICT z, int dim)
{
    w2v_rows_sum2(c, stride, next, rows, n, y, z, dim, 0);
}

W2V_INLINE void w2v_dot_rows(const float *W2V_RESTRICT x, const float *const *rows, int n,
                             float *W2V_RESTRICT out, int dim)
{
#ifdef W2V_HAVE_AVX2_PATH
    int r = 0;
    if (w2v_simd == W2V_AVX512) {
        for (; r + 4 <= n; r += 4) {
            w2v_dot4_avx512(x, rows + r, dim, out + r);
        }
        for (; r < n; r++) {
            out[r] = w2v_dot_avx512(x, rows[r], dim);
        }
        return;
    }
    if (w2v_simd == W2V_AVX2) {
        for (; r + 2 <= n; r += 2) {
            w2v_dot2_avx2(x, rows[r], rows[r + 1], dim, out + r);
        }
        if (r < n) {
            out[r] = w2v_dot_avx2(x, rows[r], dim);
        }
        return;
    }
#endif
    w2v_dot_rows_portable(x, rows, n, out, dim);
}

/* w2v_dot_rows of x into out_x and of y into out_y: the bits of the two calls. AVX-512
 * takes three rows at a time against both vectors (see w2v_dot2x3_avx512); elsewhere, and
 * for the rows left over, it is the two calls. */
W2V_INLINE void w2v_dot_rows2(const float *W2V_RESTRICT x, const float *W2V_RESTRICT y,
                              const float *const *rows, int n, float *W2V_RESTRICT out_x,
                              float *W2V_RESTRICT out_y, int dim)
{
#ifdef W2V_HAVE_AVX2_PATH
    if (w2v_simd == W2V_AVX512) {
        int r = 0;
        for (; r + 3 <= n; r += 3) {
            w2v_dot2x3_avx512(x, y, rows + r, dim, out_x + r, out_y + r);
        }
        rows += r;
        out_x += r;
        out_y += r;
        n -= r;
    }
#endif
    w2v_dot_rows(x, rows, n, out_x, dim);
    w2v_dot_rows(y, rows, n, out_y, dim);
}

/* w2v_logistic_avx512 or _avx2 where the CPU runs them (n_lab >= 1); returns 1 if it did,
 * 0 if the caller must take the steps itself (the portable path). */
W2V_INLINE int w2v_logistic_steps(const float *scores, int n, const float *lab, int n_lab,
                                  float alpha, const float *sig, const float *logsig,
                                  float *steps, double *terms)
{
#ifdef W2V_HAVE_AVX2_PATH
    if (w2v_simd == W2V_AVX512) {
        w2v_logistic_avx512(scores, n, lab, n_lab, alpha, sig, logsig, steps, terms);
        return 1;
    }
    if (w2v_simd == W2V_AVX2) {
        w2v_logistic_avx2(scores, n, lab, n_lab, alpha, sig, logsig, steps, terms);
        return 1;
    }
#endif
    (void)scores; (void)n; (void)lab; (void)n_lab; (void)alpha; (void)sig; (void)logsig;
    (void)steps; (void)terms;
    return 0;
}

W2V_INLINE void w2v_axpy_scatter(const float *c, int stride, const float *x,
                                 float *const *rows, int n, int dim)
{
#ifdef W2V_HAVE_AVX2_PATH
    if (w2v_simd == W2V_AVX512) {
        w2v_axpy_scatter_avx512(c, stride, x, rows, n, dim);
        return;
    }
    if (w2v_simd == W2V_AVX2) {
        w2v_axpy_scatter_avx2(c, stride, x, rows, n, dim);
        return;
    }
#endif
    w2v_axpy_scatter_portable(c, stride, x, rows, n, dim);
}

/* y += sum_r c[r * stride] * rows[r] (add; else y = that sum), then rows[r] +=
 * c[r * stride] * x, in one pass (see w2v_axpy_rows_scatter_portable: distinct rows, x and
 * y not among them). */
W2V_INLINE void w2v_axpy_rows_scatter(const float *c, int stride, const float *x,
                                      float *const *rows, int n, float *W2V_RESTRICT y,
                                      int dim, int add)
{
#ifdef W2V_HAVE_AVX2_PATH
    if (w2v_simd == W2V_AVX512) {
        w2v_axpy_rows_scatter_avx512(c, stride, x, rows, n, y, dim, add);
        return;
    }
    if (w2v_simd == W2V_AVX2) {
        w2v_axpy_rows_scatter_avx2(c, stride, x, rows, n, y, dim, add);
        return;
    }
#endif
    w2v_axpy_rows_scatter_portable(c, stride, x, rows, n, y, dim, add);
}

/* x *= alpha: one rounded product per element, the same bits at any vector width. */
W2V_INLINE void w2v_scale(float alpha, float *x, int n)
{
    int i = 0;
#ifdef W2V_HAVE_AVX2_PATH
    if (w2v_simd == W2V_AVX512) {
        w2v_scale_avx512(alpha, x, n);
        return;
    }
    if (w2v_simd == W2V_AVX2) {
        i = w2v_scale_avx2(alpha, x, n);
    }
#endif
    for (; i < n; i++) {
        x[i] *= alpha;
    }
}

/*
 * xorshift64* generator: 64-bit state that must never be zero.
 * Returns the next 64 random bits and advances the state.
 */
W2V_INLINE uint64_t w2v_next(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * UINT64_C(0x2545F4914F6CDD1D);
}

/* A uniform integer in [0, n) from the high 32 bits of r (multiply-shift, no modulo). */
W2V_INLINE int64_t w2v_below(uint64_t r, int64_t n)
{
    return (int64_t)(((r >> 32) * (uint64_t)n) >> 32);
}

/* A uniform double in [0, 1) from the high 53 bits of r. */
W2V_INLINE double w2v_uniform(uint64_t r)
{
    return (double)(r >> 11) * (1.0 / 9007199254740992.0);
}

/* A uniform double in [0, 1) from the low 32 bits of r. */
W2V_INLINE double w2v_uniform_low(uint64_t r)
{
    return (double)(r & UINT64_C(0xFFFFFFFF)) * (1.0 / 4294967296.0);
}

/*
 * Sum of the per-thread progress counters. Each thread writes only its own
 * slot; the volatile read makes every call see the other threads' latest
 * stores instead of a value the compiler kept in a register.
 */
W2V_INLINE int64_t w2v_sum_progress(const int64_t *slots, int n)
{
    const volatile int64_t *p = (const volatile int64_t *)slots;
    int64_t total = 0;
    int i;
    for (i = 0; i < n; i++) {
        total += p[i];
    }
    return total;
}

/* Whether the calling thread has asked the workers to stop (a nonzero flag); read
 * through volatile, like the progress counters, so each call sees the latest store. */
W2V_INLINE int w2v_stop_requested(const int32_t *flag)
{
    return flag != 0 && *(const volatile int32_t *)flag != 0;
}

W2V_INLINE void w2v_add_progress(int64_t *slots, int slot, int64_t words)
{
    volatile int64_t *p = (volatile int64_t *)slots;
    p[slot] += words;
}

#endif /* W2V_VECOPS_H */
