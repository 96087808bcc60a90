/*
 * Hint that memory will be read soon (a no-op where the compiler offers no hint): the
 * one definition shared by the training kernel (_vecops.h) and the tokenizer (_scan.pyx).
 */
#ifndef W2V_PREFETCH_H
#define W2V_PREFETCH_H

#if defined(__GNUC__) || defined(__clang__)
#define W2V_PREFETCH(p) __builtin_prefetch((const void *)(p))
#elif defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86))
#include <xmmintrin.h>
#define W2V_PREFETCH(p) _mm_prefetch((const char *)(p), _MM_HINT_T0)
#else
#define W2V_PREFETCH(p) ((void)(p))
#endif

#endif
