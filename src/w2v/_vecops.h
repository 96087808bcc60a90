/*
 * Small vector and random-number helpers for the training kernel.
 *
 * The portable versions are plain C99 (also accepted by MSVC's C compiler): the
 * dot product keeps eight independent partial sums so that compilers can
 * vectorise it with whatever baseline SIMD the target has (SSE2 on x86-64, NEON
 * on arm64) without -ffast-math. On x86 an AVX2+FMA version of dot and axpy is
 * compiled alongside (GCC/clang: per-function target attributes; MSVC: its
 * intrinsics need no /arch flag) and chosen at run time when the CPU and the OS
 * support it, so wheels stay portable: no -march anywhere.
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

W2V_AVX2_FN float w2v_dot_avx2(const float *a, const float *b, int n)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    __m128 lo, hi;
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
    s0 = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
    lo = _mm_add_ps(_mm256_castps256_ps128(s0), _mm256_extractf128_ps(s0, 1));
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    hi = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
    total = _mm_cvtss_f32(hi);
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
#endif

/* 1 while the AVX2 path is in use; set once at import by w2v_set_simd. */
static int w2v_use_avx2 = 0;

/* Use the fastest path the CPU supports (wanted = 1) or the portable one (0);
 * returns the path now in use (1 = AVX2+FMA). */
static int w2v_set_simd(int wanted)
{
    w2v_use_avx2 = wanted && w2v_cpu_has_avx2();
    return w2v_use_avx2;
}

W2V_INLINE float w2v_dot(const float *W2V_RESTRICT a, const float *W2V_RESTRICT b, int n)
{
#ifdef W2V_HAVE_AVX2_PATH
    if (w2v_use_avx2) return w2v_dot_avx2(a, b, n);
#endif
    return w2v_dot_portable(a, b, n);
}

W2V_INLINE void w2v_axpy(float alpha, const float *W2V_RESTRICT x, float *W2V_RESTRICT y, int n)
{
#ifdef W2V_HAVE_AVX2_PATH
    if (w2v_use_avx2) {
        w2v_axpy_avx2(alpha, x, y, n);
        return;
    }
#endif
    w2v_axpy_portable(alpha, x, y, n);
}

/* x *= alpha */
W2V_INLINE void w2v_scale(float alpha, float *x, int n)
{
    int i;
    for (i = 0; i < n; i++) {
        x[i] *= alpha;
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
