# The prefetch hint of _prefetch.h, declared once for Cython: the tokenizer (_scan.pyx)
# cimports it; the training kernel uses it through _vecops.h's w2v_prefetch_row.

cdef extern from "_prefetch.h" nogil:
    void W2V_PREFETCH(const void* p)
