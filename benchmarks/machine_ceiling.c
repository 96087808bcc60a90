/* What the machine gives a second thread when nothing is shared: a fixed amount of pure
 * arithmetic per thread, on 1 or more threads at once, timed. No memory beyond registers, no
 * shared data, no locks, so the two threads can only slow each other through the
 * hardware (a shared core or its pipes, power and clocks). Compiled and run by
 * machine_ceiling.py; a benchmark tool, not part of the package. x86-64 with GCC or clang
 * (target attributes, cpuid through __builtin_cpu_supports).
 *
 *   machine_ceiling KIND THREADS STEPS   ->  prints the seconds the threads took
 *
 * THREADS: 1 to MAX_THREADS, each doing STEPS steps.
 *
 * KIND:
 *   fma512  AVX-512 fused multiply-adds on 8 independent registers (the kernel's vector
 *           work, without its loads and stores);
 *   fma256  the same with AVX2 registers;
 *   scalar  a chain of dependent scalar float multiply-adds (latency-bound: it leaves
 *           the core's pipes mostly idle).
 * STEPS: steps per thread (each step is 8 operations; the chain's is one).
 * Exit status 2 for bad arguments, 3 when the CPU lacks the instructions KIND needs.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <immintrin.h>

#define MAX_THREADS 64

static long steps;
static int kind;  /* 0 fma512, 1 fma256, 2 scalar */
static volatile float sink[MAX_THREADS];

__attribute__((target("avx512f"))) static float fma512(void)
{
    __m512 a[8];
    const __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
    float total = 0.0f;
    int k;
    long i;
    for (k = 0; k < 8; k++) a[k] = _mm512_set1_ps(1.0f + (float)k);
    for (i = 0; i < steps; i++) {
        for (k = 0; k < 8; k++) a[k] = _mm512_fmadd_ps(a[k], m, c);
    }
    for (k = 0; k < 8; k++) total += _mm512_reduce_add_ps(a[k]);
    return total;
}

__attribute__((target("avx2,fma"))) static float fma256(void)
{
    __m256 a[8];
    const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
    float lanes[8], total = 0.0f;
    int k, j;
    long i;
    for (k = 0; k < 8; k++) a[k] = _mm256_set1_ps(1.0f + (float)k);
    for (i = 0; i < steps; i++) {
        for (k = 0; k < 8; k++) a[k] = _mm256_fmadd_ps(a[k], m, c);
    }
    for (k = 0; k < 8; k++) {
        _mm256_storeu_ps(lanes, a[k]);
        for (j = 0; j < 8; j++) total += lanes[j];
    }
    return total;
}

static float chain(void)
{
    float x = 1.0f;
    long i;
    for (i = 0; i < steps; i++) x = x * 0.999999f + 1e-7f;
    return x;
}

static void *work(void *arg)
{
    long slot = (long)arg;
    sink[slot] = kind == 0 ? fma512() : kind == 1 ? fma256() : chain();
    return NULL;
}

int main(int argc, char **argv)
{
    static const char *const kinds[] = {"fma512", "fma256", "scalar"};
    pthread_t threads[MAX_THREADS];
    struct timespec t0, t1;
    long t, n;
    if (argc != 4) {
        fprintf(stderr, "usage: %s fma512|fma256|scalar THREADS STEPS\n", argv[0]);
        return 2;
    }
    for (kind = 0; kind < 3 && strcmp(argv[1], kinds[kind]) != 0; kind++) {
    }
    n = atol(argv[2]);
    steps = atol(argv[3]);
    if (kind == 3 || n < 1 || n > MAX_THREADS || steps < 1) {
        fprintf(stderr, "bad arguments: KIND fma512|fma256|scalar, THREADS 1-%d, STEPS >= 1\n",
                MAX_THREADS);
        return 2;
    }
    __builtin_cpu_init();
    if ((kind == 0 && !__builtin_cpu_supports("avx512f"))
        || (kind == 1 && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")))) {
        fprintf(stderr, "this CPU lacks the instructions %s needs\n", kinds[kind]);
        return 3;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (t = 0; t < n; t++) {
        if (pthread_create(&threads[t], NULL, work, (void *)t) != 0) {
            fprintf(stderr, "cannot start a thread\n");
            return 1;
        }
    }
    for (t = 0; t < n; t++) pthread_join(threads[t], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("%.6f\n", (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
    return 0;
}
