/*
 * Small portable vector and random-number helpers for the training kernel.
 *
 * Plain C99 (also accepted by MSVC's C compiler): no intrinsics, no -march
 * assumptions. The dot product keeps eight independent partial sums so that
 * compilers can vectorise it with whatever baseline SIMD the target has
 * (SSE2 on x86-64, NEON on arm64) without -ffast-math.
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

/* sum_i a[i] * b[i] */
W2V_INLINE float w2v_dot(const float *W2V_RESTRICT a, const float *W2V_RESTRICT b, int n)
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
W2V_INLINE void w2v_axpy(float alpha, const float *W2V_RESTRICT x, float *W2V_RESTRICT y, int n)
{
    int i;
    for (i = 0; i < n; i++) {
        y[i] += alpha * x[i];
    }
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

W2V_INLINE void w2v_add_progress(int64_t *slots, int slot, int64_t words)
{
    volatile int64_t *p = (volatile int64_t *)slots;
    p[slot] += words;
}

#endif /* W2V_VECOPS_H */
