# The training kernel's C helpers, declared once for Cython (as scikit-learn's
# utils/_cython_blas.pxd does): _vecops.h's SIMD vector operations with a portable
# fallback chosen at run time, the random streams, the shared progress counters.
# Everything here is GIL-free. (One .pxd per header: a module that cimports from a .pxd
# includes all of its headers, and _scan needs only _prefetch.pxd.)

from libc.stdint cimport int32_t, int64_t, uint64_t


cdef extern from "_vecops.h" nogil:
    enum:
        W2V_MAX_EXP           # the sigmoid tables' clipping bound
        W2V_EXP_TABLE_SIZE    # ... and their number of bins
    float w2v_dot(const float *a, const float *b, int n)
    void w2v_axpy(float alpha, const float *x, float *y, int n)
    void w2v_axpy_rows(const float *c, int stride, const float **rows, int n, float *y,
                       int dim)
    void w2v_axpy_rows2(const float *c, int stride, int next, const float **rows, int n,
                        float *y, float *z, int dim)
    void w2v_sum_rows(const float *c, int stride, const float **rows, int n, float *y,
                      int dim)
    void w2v_sum_rows2(const float *c, int stride, int next, const float **rows, int n,
                       float *y, float *z, int dim)
    void w2v_dot_rows(const float *x, const float **rows, int n, float *out, int dim)
    int w2v_logistic_steps(const float *scores, int n, const float *lab, int n_lab,
                           float alpha, const float *sig, const float *logsig, float *steps,
                           double *terms)
    void w2v_dot_rows2(const float *x, const float *y, const float **rows, int n,
                       float *out_x, float *out_y, int dim)
    void w2v_axpy_scatter(const float *c, int stride, const float *x, float **rows, int n,
                          int dim)
    void w2v_axpy_rows_scatter(const float *c, int stride, const float *x, float **rows,
                               int n, float *y, int dim, int add)
    void w2v_scale(float alpha, float *x, int n)
    void w2v_zero(float *x, int n)
    uint64_t w2v_next(uint64_t *state)
    int64_t w2v_below(uint64_t r, int64_t n)
    double w2v_uniform(uint64_t r)
    double w2v_uniform_low(uint64_t r)
    int64_t w2v_sum_progress(const int64_t *slots, int n)
    void w2v_add_progress(int64_t *slots, int slot, int64_t words)
    int w2v_stop_requested(const int32_t *flag)
    int w2v_set_simd(int wanted)
    void w2v_prefetch_row(const float *row, int n)
    float *w2v_pick_row(float *shared, float *copy, int64_t index, int64_t first,
                        int64_t end, int dim)
    int w2v_simd
