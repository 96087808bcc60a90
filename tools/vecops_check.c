/*
 * Compiles and runs the training kernel's C helpers (src/w2v/_vecops.h) on their own,
 * so that tools/check_c_portability.sh can build them for every wheel target with
 * clang and all warnings on, and run them where the target runs here: the SIMD and
 * portable paths must agree. Exit status 0 when they do.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "_vecops.h"

#define N 131 /* not a multiple of any vector width: covers the tails */

static const char *const PATH_NAMES[] = {"portable", "avx2", "avx512"};

/* The row-block operations must give the bits of one w2v_dot / w2v_axpy per row (and
 * w2v_axpy_rows those of one w2v_axpy after the other), for
 * every block size and tail (5 rows: one block of four and one left over on AVX-512, two
 * pairs and one on AVX2) and lengths below, at and past the vector widths; row 3 is row 0
 * again, so the scatter steps it twice, in order. */
static int check_row_blocks(const float *a, const float *b, int path)
{
    static const int dims[] = {3, 16, 40, 100, N};
    uint64_t state = 777;
    float r0[N], r1[N], r2[N], e0[N], e1[N], e2[N], acc[N], acc_ref[N], out[5], c[5];
    float out2[5];
    float acc2[N], acc2_ref[N];
    const float *pair_rows[2];
    float *rows[5], *refs[5];
    int d, i, n, r, dim;
    rows[0] = rows[3] = r0;
    rows[1] = rows[4] = r1;
    rows[2] = r2;
    refs[0] = refs[3] = e0;
    refs[1] = refs[4] = e1;
    refs[2] = e2;
    pair_rows[0] = r2;
    pair_rows[1] = r0;
    for (d = 0; d < (int)(sizeof dims / sizeof dims[0]); d++) {
        dim = dims[d];
        for (i = 0; i < dim; i++) {  /* mixed signs and scales, so sums round */
            r0[i] = e0[i] = ((float)w2v_uniform(w2v_next(&state)) - 0.5f) * 1000.0f;
            r1[i] = e1[i] = (float)w2v_uniform(w2v_next(&state)) - 0.5f;
            r2[i] = e2[i] = ((float)w2v_uniform(w2v_next(&state)) - 0.5f) * 0.001f;
        }
        w2v_dot_rows(a, (const float *const *)rows, 5, out, dim);
        for (r = 0; r < 5; r++) {
            if (out[r] != w2v_dot(a, refs[r], dim)) {
                printf("dot_rows differs from dot at row %d, length %d, path %d\n", r, dim,
                       path);
                return 1;
            }
            c[r] = 0.25f * (float)(r + 1) - 0.6f;
        }
        /* two vectors against the five rows (one block of three and two left over on
         * AVX-512), then against the first three (one block, none left) */
        for (n = 5; n >= 3; n -= 2) {
            w2v_dot_rows2(a, r2, (const float *const *)rows, n, out, out2, dim);
            for (r = 0; r < n; r++) {
                if (out[r] != w2v_dot(a, refs[r], dim) || out2[r] != w2v_dot(e2, refs[r], dim)) {
                    printf("dot_rows2 differs from dot at row %d of %d, length %d, path %d\n", r,
                           n, dim, path);
                    return 1;
                }
            }
        }
        for (i = 0; i < dim; i++) {
            acc[i] = acc_ref[i] = b[i];
        }
        w2v_axpy_rows(c, 1, (const float *const *)rows, 5, acc, dim);
        for (r = 0; r < 5; r++) {
            w2v_axpy(c[r], refs[r], acc_ref, dim);
        }
        for (i = 0; i < dim; i++) {
            if (acc[i] != acc_ref[i]) {
                printf("axpy_rows differs from axpy at %d, length %d, path %d\n", i, dim, path);
                return 1;
            }
        }
        /* two outputs in one pass: y with c[0], c[2], c[4] of rows 0, 2, 4; z with c[1], c[3] */
        for (i = 0; i < dim; i++) {
            acc[i] = acc_ref[i] = b[i];
            acc2[i] = acc2_ref[i] = a[i];
        }
        w2v_axpy_rows2(c, 2, 1, (const float *const *)pair_rows, 2, acc, acc2, dim);
        for (r = 0; r < 2; r++) {
            w2v_axpy(c[2 * r], pair_rows[r], acc_ref, dim);
            w2v_axpy(c[2 * r + 1], pair_rows[r], acc2_ref, dim);
        }
        for (i = 0; i < dim; i++) {
            if (acc[i] != acc_ref[i] || acc2[i] != acc2_ref[i]) {
                printf("axpy_rows2 differs from axpy at %d, length %d, path %d\n", i, dim, path);
                return 1;
            }
        }
        /* the sums into y and z that start from nothing: y's old contents (NaNs) unread */
        for (i = 0; i < dim; i++) {
            acc[i] = acc2[i] = NAN;
            acc_ref[i] = acc2_ref[i] = 0.0f;
        }
        w2v_sum_rows2(c, 2, 1, (const float *const *)pair_rows, 2, acc, acc2, dim);
        for (r = 0; r < 2; r++) {
            w2v_axpy(c[2 * r], pair_rows[r], acc_ref, dim);
            w2v_axpy(c[2 * r + 1], pair_rows[r], acc2_ref, dim);
        }
        if (memcmp(acc, acc_ref, (size_t)dim * sizeof(float)) != 0 ||
            memcmp(acc2, acc2_ref, (size_t)dim * sizeof(float)) != 0) {
            printf("sum_rows2 differs from zeros and axpy, length %d, path %d\n", dim, path);
            return 1;
        }
        for (i = 0; i < dim; i++) {
            acc[i] = NAN;
            acc_ref[i] = 0.0f;
        }
        w2v_sum_rows(c, 1, (const float *const *)rows, 5, acc, dim);
        for (r = 0; r < 5; r++) {
            w2v_axpy(c[r], refs[r], acc_ref, dim);
        }
        if (memcmp(acc, acc_ref, (size_t)dim * sizeof(float)) != 0) {
            printf("sum_rows differs from zeros and axpy, length %d, path %d\n", dim, path);
            return 1;
        }
        w2v_axpy_scatter(c, 1, b, rows, 5, dim);
        for (r = 0; r < 5; r++) {
            w2v_axpy(c[r], b, refs[r], dim);
        }
        for (i = 0; i < dim; i++) {
            if (r0[i] != e0[i] || r1[i] != e1[i] || r2[i] != e2[i]) {
                printf("axpy_scatter differs from axpy at %d, length %d, path %d\n", i, dim,
                       path);
                return 1;
            }
        }
        /* a row scaled (CBOW's mean): one rounded product per element on every path */
        for (i = 0; i < dim; i++) {
            acc[i] = b[i];
        }
        w2v_scale(0.3f, acc, dim);
        for (i = 0; i < dim; i++) {
            acc_ref[i] = b[i] * 0.3f;
        }
        if (memcmp(acc, acc_ref, (size_t)dim * sizeof(float)) != 0) {
            printf("scale differs from a plain product, length %d, path %d\n", dim, path);
            return 1;
        }
        /* the error summed from the first three (distinct) rows before their steps, in the
         * pass that steps them */
        for (n = 1; n >= 0; n--) {  /* added to y, then set from nothing (y's NaNs unread) */
            for (i = 0; i < dim; i++) {
                acc[i] = n ? b[i] : NAN;
                acc_ref[i] = n ? b[i] : 0.0f;
            }
            w2v_axpy_rows_scatter(c, 1, a, rows, 3, acc, dim, n);
            for (r = 0; r < 3; r++) {
                w2v_axpy(c[r], refs[r], acc_ref, dim);
            }
            for (r = 0; r < 3; r++) {
                w2v_axpy(c[r], a, refs[r], dim);
            }
            if (memcmp(acc, acc_ref, (size_t)dim * sizeof(float)) != 0 ||
                memcmp(r0, e0, (size_t)dim * sizeof(float)) != 0 ||
                memcmp(r1, e1, (size_t)dim * sizeof(float)) != 0 ||
                memcmp(r2, e2, (size_t)dim * sizeof(float)) != 0) {
                printf("axpy_rows_scatter differs from axpy_rows and axpy_scatter, add %d, "
                       "length %d, path %d\n", n, dim, path);
                return 1;
            }
        }
    }
    return 0;
}

#ifdef W2V_HAVE_AVX2_PATH
/* One length's tail loaded both ways into got and want, and stored from a full vector into
 * dst (32 NaNs before). */
W2V_AVX512_FN void check_tail_lanes(const float *src, int t, float *got, float *want,
                                    float *dst)
{
    int i;
    _mm512_storeu_ps(got, w2v_load_tail_avx512(src, t));
    _mm512_storeu_ps(want, _mm512_maskz_loadu_ps(W2V_TAIL_MASK(t), src));
    for (i = 0; i < 32; i++) {
        dst[i] = NAN;
    }
    w2v_store_tail_avx512(dst, _mm512_loadu_ps(src), t);
}
#endif

/* _core.pyx's _table_index, _sigmoid and _log_sigmoid for the table-driven (not exact) case. */
static int ref_bin(float f)
{
    double position = (f + W2V_MAX_EXP) * (W2V_EXP_TABLE_SIZE / (2.0 * W2V_MAX_EXP));
    if (!(position >= 0.0)) return 0;
    if (position >= W2V_EXP_TABLE_SIZE - 1) return W2V_EXP_TABLE_SIZE - 1;
    return (int)position;
}

/* w2v_logistic_steps (where the path has it) against the scalar steps, bit for bit, on
 * scores at and around the clipping bounds, the last bin, zeros of both signs and a NaN,
 * with labels repeating every 1, 6, 16 and 17 scores. */
static int check_logistic(int path)
{
    static const float edge[] = {0.0f, -0.0f, 6.0f, -6.0f, 5.9999995f, -5.9999995f, 5.99f,
                                 7.5f, -7.5f, 1e-30f, -0.072f, 3.25f, -2.5f, 0.5f, -1.0f,
                                 2.0f, -4.0f, 4.5f, NAN, 5.95f};
    static const int periods[] = {1, 6, 16, 17};
    float sig[W2V_EXP_TABLE_SIZE], logsig[W2V_EXP_TABLE_SIZE], steps[20], lab[17];
    double terms[20];
    int i, p, n = (int)(sizeof(edge) / sizeof(edge[0]));
    for (i = 0; i < W2V_EXP_TABLE_SIZE; i++) {
        double x = (i / (double)W2V_EXP_TABLE_SIZE * 2 - 1) * W2V_MAX_EXP;
        sig[i] = (float)(1.0 / (1.0 + exp(-x)));
        logsig[i] = (float)(-log1p(exp(-x)));
    }
    for (i = 0; i < 17; i++) lab[i] = (float)(i % 3 == 0);
    for (p = 0; p < 4; p++) {
        double loss = 0.0, loss_ref = 0.0;
        if (!w2v_logistic_steps(edge, n, lab, periods[p], 0.025f, sig, logsig, steps, terms)) {
            return 0;
        }
        for (i = 0; i < n; i++) {
            float f = edge[i], l = lab[i % periods[p]], x = l > 0 ? f : -f, s, step;
            s = f >= W2V_MAX_EXP ? 1.0f : (f <= -W2V_MAX_EXP ? 0.0f : sig[ref_bin(f)]);
            step = (l - s) * 0.025f;
            loss_ref -= x >= W2V_MAX_EXP ? 0.0
                        : (x <= -W2V_MAX_EXP ? (double)x : (double)logsig[ref_bin(x)]);
            loss -= terms[i];
            if (memcmp(&step, &steps[i], sizeof(float)) != 0) {
                printf("logistic step %d (period %d) differs (%g against %g) on path %d\n", i,
                       periods[p], steps[i], step, path);
                return 1;
            }
        }
        if (memcmp(&loss, &loss_ref, sizeof(double)) != 0) {
            printf("logistic loss %.17g differs from %.17g on path %d\n", loss, loss_ref, path);
            return 1;
        }
    }
    return 0;
}

/* AVX-512's tails: for every length t of 1 to 16, w2v_load_tail_avx512 gives the lanes
 * of a masked load (the t floats, then +0) and w2v_store_tail_avx512 writes those t floats
 * and not one more (the floats after them keep their NaN bits). */
static int check_tails(int path)
{
#ifdef W2V_HAVE_AVX2_PATH
    float src[32], got[16], want[16], dst[32];
    int i, t;
    if (path != W2V_AVX512) {
        return 0;
    }
    for (i = 0; i < 32; i++) {
        src[i] = (float)(i + 1) * 0.5f;
    }
    for (t = 1; t <= 16; t++) {
        check_tail_lanes(src, t, got, want, dst);
        if (memcmp(got, want, sizeof got) != 0) {
            printf("load_tail of %d floats gives other lanes than a masked load\n", t);
            return 1;
        }
        for (i = 0; i < 32; i++) {
            float expected = i < t ? src[i] : NAN;
            if (memcmp(&dst[i], &expected, sizeof(float)) != 0) {
                printf("store_tail of %d floats wrote float %d wrongly\n", t, i);
                return 1;
            }
        }
    }
#else
    (void)path;
#endif
    return 0;
}

static int check_path(int wanted)
{
    float a[N], b[N], y[N], y_ref[N], z[N], z_ref[N], c[6];
    const float *rows[3];
    float copy[N], shared[2 * N];
    float dot_ref = 0.0f, dot;
    uint64_t state = 12345;
    int i, r, path = w2v_set_simd(wanted);
    if (path != wanted) {
        printf("path %s: not on this CPU\n", PATH_NAMES[wanted]);
        return 0;
    }
    for (i = 0; i < N; i++) {
        a[i] = (float)w2v_uniform(w2v_next(&state)) - 0.5f;
        b[i] = (float)w2v_uniform(w2v_next(&state)) - 0.5f;
        y[i] = y_ref[i] = (float)i * 0.01f;
        dot_ref += a[i] * b[i];
    }
    dot = w2v_dot(a, b, N);
    w2v_axpy(0.5f, a, y, N);
    for (i = 0; i < N; i++) {
        y_ref[i] += 0.5f * a[i];
        if (fabsf(y[i] - y_ref[i]) > 1e-6f) {
            printf("axpy differs at %d on path %d\n", i, path);
            return 1;
        }
    }
    if (fabsf(dot - dot_ref) > 1e-5f) {
        printf("dot %g != %g on path %d\n", dot, dot_ref, path);
        return 1;
    }
    /* axpy_rows: rows a, b, a with coefficients 0.5, -0.25, 2 (every other one of c) */
    for (i = 0; i < 6; i++) c[i] = (i % 2) ? 99.0f : (i == 0 ? 0.5f : (i == 2 ? -0.25f : 2.0f));
    rows[0] = a;
    rows[1] = b;
    rows[2] = a;
    for (i = 0; i < N; i++) z[i] = z_ref[i] = (float)i * -0.02f;
    w2v_axpy_rows(c, 2, rows, 3, z, N);
    for (i = 0; i < N; i++) {
        for (r = 0; r < 3; r++) z_ref[i] += c[2 * r] * rows[r][i];
        if (fabsf(z[i] - z_ref[i]) > 1e-6f) {
            printf("axpy_rows differs at %d on path %d\n", i, path);
            return 1;
        }
    }
    /* the copy holds row 1 only */
    if (w2v_pick_row(shared, copy, 1, 1, 2, N) != copy ||
        w2v_pick_row(shared, copy, 0, 1, 2, N) != shared) {
        printf("pick_row chose the wrong row\n");
        return 1;
    }
    if (check_row_blocks(a, b, path) || check_logistic(path) || check_tails(path)) {
        return 1;
    }
    printf("path %s: dot, axpy and axpy_rows agree with plain loops; dot_rows, dot_rows2 and "
           "axpy_scatter with one call per row, axpy_rows, axpy_rows2, sum_rows, sum_rows2 and "
           "axpy_rows_scatter with one axpy after the other; scale with a plain product; "
           "logistic_steps (16 or 8 at a time) with the scalar steps; AVX-512's tails with masked "
           "loads and stores\n",
           PATH_NAMES[path]);
    return 0;
}

int main(void)
{
    return check_path(W2V_PORTABLE) || check_path(W2V_AVX2) || check_path(W2V_AVX512);
}
