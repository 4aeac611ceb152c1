// Branch-free exp / tanh / sigmoid over float buffers, and the gate, softmax and Adam
// kernels, vectorized by the compiler three times: for the x86-64 baseline (SSE2, 4
// lanes), in functions with __attribute__((target("avx2,fma"))) for AVX2 + FMA (8 lanes,
// fused multiply-add), and with target("avx512f,...") for AVX-512 (16 lanes), one of
// them chosen at run time through one dispatch table. No compiler flags are needed, so
// packages that depend on this one build unchanged.
//
// The algorithms are those of Linalg's `Vector.exp(_: Float)` / `Vector.tanh(_: Float)`
// (after Cephes' expf / tanhf): see that file for the derivation and the error bounds.

#include "rnn_kernels.h"
#include "bf16_round.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <cpuid.h>
#define SRNN_X86 1
#else
#define SRNN_X86 0
#endif

static const float kExpMax = 88.72283905206835f;   // ln(FLT_MAX)
static const float kExpMin = -103.972084f;         // below this, exp rounds to 0

static inline float bits_to_float(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline int32_t float_to_bits(float f) { int32_t u; memcpy(&u, &f, 4); return u; }

// exp(x) = 2^n · exp(r) for x within exp's range: returns exp(r), n in *n.
// x = n ln2 + r, n = round(x / ln2): adding 1.5·2^23 rounds to an integer and leaves n
// in the low mantissa bits; ln2 is split in two for an exact product (Cephes).
static inline __attribute__((always_inline)) float srnn_exp_reduced(float x, int32_t *n_out) {
    float shifted = x * 1.44269504088896341f + 12582912.0f;
    float n = shifted - 12582912.0f;
    *n_out = float_to_bits(shifted) - 0x4B400000;
    float r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float r2 = r * r;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    return p * r2 + r + 1.0f;
}

static inline __attribute__((always_inline)) float srnn_exp1(float x0) {
    float x = x0 < kExpMin ? kExpMin : x0;
    x = x > kExpMax ? kExpMax : x;
    int32_t ni;
    float y = srnn_exp_reduced(x, &ni);
    // Scale by 2^n in two halves so that subnormal results and n = 128 stay exact.
    int32_t n1 = ni >> 1;
    int32_t n2 = ni - n1;
    float s1 = bits_to_float((uint32_t)(n1 + 127) << 23);
    float s2 = bits_to_float((uint32_t)(n2 + 127) << 23);
    float result = y * s1 * s2;
    result = x0 > kExpMax ? __builtin_inff() : result;
    result = x0 < kExpMin ? 0.0f : result;
    return x0 != x0 ? x0 : result;
}

// exp(x) for x in [0, 20] only (tanh's exp(2|x|), |x| clamped to 10): the same
// reduction and polynomial as srnn_exp1, so the same bits, without what that range never
// needs (the clamps, the NaN and infinity selects, and the scaling by 2^n in two halves,
// which srnn_exp1 needs only for subnormal results and n = 128). About a third fewer
// instructions per tanh.
static inline __attribute__((always_inline)) float srnn_exp_0_20(float x) {
    int32_t ni;
    float y = srnn_exp_reduced(x, &ni);
    return y * bits_to_float((uint32_t)(ni + 127) << 23);   // 2^n, n in 0...29: exact
}

static inline __attribute__((always_inline)) float srnn_tanh1(float x) {
    float ax = __builtin_fabsf(x);
    // |x| < 0.625: odd polynomial (no cancellation near 0).
    float z = x * x;
    float p = -5.70498872745e-3f;
    p = p * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    float small = p * z * x + x;
    // |x| >= 0.625: 1 - 2 / (exp(2|x|) + 1); tanh rounds to 1 beyond |x| = 9.02.
    float e = srnn_exp_0_20(2.0f * (ax < 10.0f ? ax : 10.0f));   // NaN picks 10 here
    float magnitude = 1.0f - 2.0f / (e + 1.0f);
    float large = x < 0 ? -magnitude : magnitude;
    float result = ax < 0.625f ? small : large;
    result = ax < 1e-4f ? x : result;   // tanh(x) rounds to x there; keeps -0
    return x != x ? x : result;
}

static inline __attribute__((always_inline)) float srnn_sigmoid1(float x) {
    return 1.0f / (1.0f + srnn_exp1(-x));
}

// The kernel bodies, as always-inline functions with no target of their own: each
// variant's entry point below (compiled for the baseline, AVX2 + FMA or AVX-512) inlines
// them, and the compiler vectorizes them for that variant's registers.
#define SRNN_INLINE static inline __attribute__((always_inline))

// The elementwise loops, one body for exp, tanh and sigmoid: `f` is a constant at each
// (always-inline) call, so the compiler inlines it and vectorizes the loop. `restrict`
// holds within each loop: the in-place case passes src == dst, and each element is read
// before it is written.
SRNN_INLINE void unary_body(const float *src, float *dst, size_t n, float (*f)(float)) {
    if (src == dst) {
        float *restrict x = dst;
        for (size_t i = 0; i < n; i++) x[i] = f(x[i]);
    } else {
        const float *restrict s = src;
        float *restrict d = dst;
        for (size_t i = 0; i < n; i++) d[i] = f(s[i]);
    }
}

// The recurrent cells' backward gate math, one step of all rows. Each row goes to a
// function whose inputs and outputs are separate buffers, each gate block a restrict
// parameter of its own, so that its loop over the hidden units vectorizes.
// The LSTM's gate gradients go to any of four outputs, `outputs` a constant mask at each
// call (SRNN_GATES_*), so that each combination compiles to its own loop: the floats, their
// bf16 bits (rounded as srnn_to_bf16 rounds them), column sums added row after row, and
// each row added into the row of a [V, 4h] table that its token names (none for -1).
enum { SRNN_GATES_FLOATS = 1, SRNN_GATES_BITS = 2, SRNN_GATES_SUMS = 4, SRNN_GATES_SCATTER = 8 };
// The GRU's input side's bits (its hidden side's are SRNN_GATES_BITS): none over token input.
enum { SRNN_GATES_INPUT_BITS = 16 };

// `CASE(mask)` for every mask of the four outputs (1...15), then of the five (16...31):
// the cases of a switch that calls a body with its mask a constant.
#define SRNN_MASKS_1_15(CASE) CASE(1) CASE(2) CASE(3) CASE(4) CASE(5) CASE(6) CASE(7) CASE(8) CASE(9) CASE(10) \
    CASE(11) CASE(12) CASE(13) CASE(14) CASE(15)
#define SRNN_MASKS_16_31(CASE) CASE(16) CASE(17) CASE(18) CASE(19) CASE(20) CASE(21) CASE(22) CASE(23) CASE(24) \
    CASE(25) CASE(26) CASE(27) CASE(28) CASE(29) CASE(30) CASE(31)

// Four blocks of h, the gates' i, f, g, o (each a restrict parameter of the row function,
// so that the vectorizer needs no overlap check between blocks of one array).
#define SRNN_BLOCKS(type, name) type *restrict name##0, type *restrict name##1, type *restrict name##2, \
                                type *restrict name##3
#define SRNN_SPLIT(p, h) (p), (p) + (h), (p) + 2 * (h), (p) + 3 * (h)
// SRNN_SPLIT of an output that may be absent (NULL blocks, never offset from NULL).
#define SRNN_SPLIT_IF(present, p, h) (present) ? (p) : 0, (present) ? (p) + (h) : 0, \
                                     (present) ? (p) + 2 * (h) : 0, (present) ? (p) + 3 * (h) : 0

SRNN_INLINE void lstm_backward_row(SRNN_BLOCKS(const float, a), const float *restrict cp,
                                   const float *restrict tc, const float *restrict g, float *restrict dcb,
                                   SRNN_BLOCKS(float, da), SRNN_BLOCKS(uint16_t, db), SRNN_BLOCKS(float, s),
                                   SRNN_BLOCKS(float, tr), size_t h, int outputs) {
    for (size_t j = 0; j < h; j++) {
        float i = a0[j], f = a1[j], gg = a2[j], o = a3[j], t = tc[j];
        float cell = dcb[j] + g[j] * o * (1.0f - t * t);
        float di = cell * gg * i * (1.0f - i);
        float df = cell * cp[j] * f * (1.0f - f);
        float dg = cell * i * (1.0f - gg * gg);
        float dout = g[j] * t * o * (1.0f - o);
        if (outputs & SRNN_GATES_FLOATS) { da0[j] = di; da1[j] = df; da2[j] = dg; da3[j] = dout; }
        if (outputs & SRNN_GATES_BITS) {
            db0[j] = srnn_bf16_round1(di); db1[j] = srnn_bf16_round1(df);
            db2[j] = srnn_bf16_round1(dg); db3[j] = srnn_bf16_round1(dout);
        }
        if (outputs & SRNN_GATES_SUMS) { s0[j] += di; s1[j] += df; s2[j] += dg; s3[j] += dout; }
        if (outputs & SRNN_GATES_SCATTER) { tr0[j] += di; tr1[j] += df; tr2[j] += dg; tr3[j] += dout; }
        dcb[j] = cell * f;
    }
}

SRNN_INLINE void lstm_backward_body(const float *gates, const float *c_prev, const float *tanh_c, const float *dh,
                                    float *d_gates, uint16_t *d_bits, float *sums, const int32_t *tokens,
                                    float *table, float *dc, size_t rows, size_t h, int outputs) {
    const int floats = outputs & SRNN_GATES_FLOATS, bits = outputs & SRNN_GATES_BITS;
    const int summed = outputs & SRNN_GATES_SUMS;
    for (size_t b = 0; b < rows; b++) {
        float *da = floats ? d_gates + b * 4 * h : 0;
        uint16_t *db = bits ? d_bits + b * 4 * h : 0;
        int32_t v = (outputs & SRNN_GATES_SCATTER) ? tokens[b] : -1;
        float *row = v >= 0 ? table + (size_t)v * 4 * h : 0;
        if (row) {
            lstm_backward_row(SRNN_SPLIT(gates + b * 4 * h, h), c_prev + b * h, tanh_c + b * h, dh + b * h,
                              dc + b * h, SRNN_SPLIT_IF(floats, da, h), SRNN_SPLIT_IF(bits, db, h),
                              SRNN_SPLIT_IF(summed, sums, h), SRNN_SPLIT(row, h), h, outputs | SRNN_GATES_SCATTER);
        } else {
            lstm_backward_row(SRNN_SPLIT(gates + b * 4 * h, h), c_prev + b * h, tanh_c + b * h, dh + b * h,
                              dc + b * h, SRNN_SPLIT_IF(floats, da, h), SRNN_SPLIT_IF(bits, db, h),
                              SRNN_SPLIT_IF(summed, sums, h), 0, 0, 0, 0, h, outputs & ~SRNN_GATES_SCATTER);
        }
    }
}

// lstm_backward_body with the output mask of the pointers given (a constant in each case).
#define SRNN_LSTM_BACKWARD_CASE(mask)                                                                        \
    case mask:                                                                                              \
        lstm_backward_body(gates, c_prev, tanh_c, dh, d_gates, d_bits, sums, tokens, table, dc, rows, h, mask); \
        break;
SRNN_INLINE void lstm_backward_outputs(const float *gates, const float *c_prev, const float *tanh_c, const float *dh,
                                       float *d_gates, uint16_t *d_bits, float *sums, const int32_t *tokens,
                                       float *table, float *dc, size_t rows, size_t h) {
    int outputs = (d_gates ? SRNN_GATES_FLOATS : 0) | (d_bits ? SRNN_GATES_BITS : 0) | (sums ? SRNN_GATES_SUMS : 0) |
                  (tokens && table ? SRNN_GATES_SCATTER : 0);
    switch (outputs) {
        SRNN_MASKS_1_15(SRNN_LSTM_BACKWARD_CASE)
    default: lstm_backward_body(gates, c_prev, tanh_c, dh, d_gates, d_bits, sums, tokens, table, dc, rows, h, 0);
    }
}
#undef SRNN_LSTM_BACKWARD_CASE

// The GRU's two sides of gate gradients (the input side's r, z, n and the hidden side's,
// whose n block is the input side's times r) in the same forms as the LSTM's, `outputs`
// a constant mask: both sides' floats, the hidden side's bits and the input side's, both
// sides' column sums, and the input side's rows into the token table.
#define SRNN_BLOCKS3(type, name) type *restrict name##0, type *restrict name##1, type *restrict name##2
#define SRNN_SPLIT3(p, h) (p), (p) + (h), (p) + 2 * (h)
#define SRNN_SPLIT3_IF(present, p, h) (present) ? (p) : 0, (present) ? (p) + (h) : 0, (present) ? (p) + 2 * (h) : 0

SRNN_INLINE void gru_backward_row(SRNN_BLOCKS3(const float, a), const float *restrict hnr,
                                  const float *restrict hp, const float *restrict g, float *restrict dp,
                                  SRNN_BLOCKS3(float, di), SRNN_BLOCKS3(float, dg), SRNN_BLOCKS3(uint16_t, bi),
                                  SRNN_BLOCKS3(uint16_t, bg), SRNN_BLOCKS3(float, si), SRNN_BLOCKS3(float, sg),
                                  SRNN_BLOCKS3(float, tr), size_t h, int outputs) {
    for (size_t j = 0; j < h; j++) {
        float r = a0[j], z = a1[j], n = a2[j], gj = g[j];
        float dn = gj * (1.0f - z) * (1.0f - n * n);
        float dr = dn * hnr[j] * r * (1.0f - r);
        float dz = gj * (hp[j] - n) * z * (1.0f - z);
        float dnr = dn * r;
        if (outputs & SRNN_GATES_FLOATS) {
            di0[j] = dr; di1[j] = dz; di2[j] = dn;
            dg0[j] = dr; dg1[j] = dz; dg2[j] = dnr;
        }
        uint16_t r16 = srnn_bf16_round1(dr), z16 = srnn_bf16_round1(dz);
        if (outputs & SRNN_GATES_BITS) { bg0[j] = r16; bg1[j] = z16; bg2[j] = srnn_bf16_round1(dnr); }
        if (outputs & SRNN_GATES_INPUT_BITS) { bi0[j] = r16; bi1[j] = z16; bi2[j] = srnn_bf16_round1(dn); }
        if (outputs & SRNN_GATES_SUMS) {
            si0[j] += dr; si1[j] += dz; si2[j] += dn;
            sg0[j] += dr; sg1[j] += dz; sg2[j] += dnr;
        }
        if (outputs & SRNN_GATES_SCATTER) { tr0[j] += dr; tr1[j] += dz; tr2[j] += dn; }
        dp[j] += gj * z;
    }
}

SRNN_INLINE void gru_backward_body(const float *gates, const float *hn, const float *h_prev, const float *dh,
                                   float *d_input, float *d_hidden, uint16_t *input_bits, uint16_t *hidden_bits,
                                   float *input_sums, float *hidden_sums, const int32_t *tokens, float *table,
                                   float *dh_prev, size_t rows, size_t h, int outputs) {
    const int floats = outputs & SRNN_GATES_FLOATS, bits = outputs & SRNN_GATES_BITS;
    const int input_bits_made = outputs & SRNN_GATES_INPUT_BITS, summed = outputs & SRNN_GATES_SUMS;
    for (size_t b = 0; b < rows; b++) {
        size_t at = b * 3 * h;
        float *di = floats ? d_input + at : 0, *dg = floats ? d_hidden + at : 0;
        uint16_t *bi = input_bits_made ? input_bits + at : 0, *bg = bits ? hidden_bits + at : 0;
        int32_t v = (outputs & SRNN_GATES_SCATTER) ? tokens[b] : -1;
        float *row = v >= 0 ? table + (size_t)v * 3 * h : 0;
        if (row) {
            gru_backward_row(SRNN_SPLIT3(gates + at, h), hn + b * h, h_prev + b * h, dh + b * h, dh_prev + b * h,
                             SRNN_SPLIT3_IF(floats, di, h), SRNN_SPLIT3_IF(floats, dg, h),
                             SRNN_SPLIT3_IF(input_bits_made, bi, h), SRNN_SPLIT3_IF(bits, bg, h),
                             SRNN_SPLIT3_IF(summed, input_sums, h), SRNN_SPLIT3_IF(summed, hidden_sums, h),
                             SRNN_SPLIT3(row, h), h, outputs | SRNN_GATES_SCATTER);
        } else {
            gru_backward_row(SRNN_SPLIT3(gates + at, h), hn + b * h, h_prev + b * h, dh + b * h, dh_prev + b * h,
                             SRNN_SPLIT3_IF(floats, di, h), SRNN_SPLIT3_IF(floats, dg, h),
                             SRNN_SPLIT3_IF(input_bits_made, bi, h), SRNN_SPLIT3_IF(bits, bg, h),
                             SRNN_SPLIT3_IF(summed, input_sums, h), SRNN_SPLIT3_IF(summed, hidden_sums, h), 0, 0, 0,
                             h, outputs & ~SRNN_GATES_SCATTER);
        }
    }
}

#define SRNN_GRU_BACKWARD_CASE(mask)                                                                            \
    case mask:                                                                                                 \
        gru_backward_body(gates, hn, h_prev, dh, d_input, d_hidden, input_bits, hidden_bits, input_sums,        \
                          hidden_sums, tokens, table, dh_prev, rows, h, mask);                                 \
        break;
SRNN_INLINE void gru_backward_outputs(const float *gates, const float *hn, const float *h_prev, const float *dh,
                                      float *d_input, float *d_hidden, uint16_t *input_bits, uint16_t *hidden_bits,
                                      float *input_sums, float *hidden_sums, const int32_t *tokens, float *table,
                                      float *dh_prev, size_t rows, size_t h) {
    int outputs = (d_input && d_hidden ? SRNN_GATES_FLOATS : 0) | (hidden_bits ? SRNN_GATES_BITS : 0) |
                  (input_bits ? SRNN_GATES_INPUT_BITS : 0) | (input_sums && hidden_sums ? SRNN_GATES_SUMS : 0) |
                  (tokens && table ? SRNN_GATES_SCATTER : 0);
    switch (outputs) {
        SRNN_MASKS_1_15(SRNN_GRU_BACKWARD_CASE)
        SRNN_MASKS_16_31(SRNN_GRU_BACKWARD_CASE)
    default:
        gru_backward_body(gates, hn, h_prev, dh, d_input, d_hidden, input_bits, hidden_bits, input_sums, hidden_sums,
                          tokens, table, dh_prev, rows, h, 0);
    }
}
#undef SRNN_GRU_BACKWARD_CASE

// The forward kernels read and overwrite the gate blocks of one array; each row is
// handed to a function whose blocks are separate restrict parameters, so that the
// vectorizer needs no run-time overlap check between them (one that would fail).
SRNN_INLINE void lstm_forward_row(float *restrict gi, float *restrict gf, float *restrict gg, float *restrict go,
                                  const float *restrict cp, float *restrict cn, float *restrict tc,
                                  float *restrict hx, size_t h) {
    for (size_t j = 0; j < h; j++) {
        float i = srnn_sigmoid1(gi[j]), f = srnn_sigmoid1(gf[j]);
        float g = srnn_tanh1(gg[j]), o = srnn_sigmoid1(go[j]);
        gi[j] = i; gf[j] = f; gg[j] = g; go[j] = o;
        float c = f * cp[j] + i * g;
        float t = srnn_tanh1(c);
        cn[j] = c; tc[j] = t; hx[j] = o * t;
    }
}

SRNN_INLINE void lstm_forward_body(float *gates, const float *c_prev, float *c_next, float *tanh_c, float *h_next,
                                   size_t rows, size_t h) {
    for (size_t b = 0; b < rows; b++) {
        float *a = gates + b * 4 * h;
        lstm_forward_row(a, a + h, a + 2 * h, a + 3 * h, c_prev + b * h, c_next + b * h, tanh_c + b * h,
                         h_next + b * h, h);
    }
}

SRNN_INLINE void gru_forward_row(float *restrict gr, float *restrict gz, float *restrict gn,
                                 const float *restrict sr, const float *restrict sz, const float *restrict sn,
                                 const float *restrict hp, float *restrict hnr, float *restrict hx, size_t h) {
    for (size_t j = 0; j < h; j++) {
        float r = srnn_sigmoid1(gr[j] + sr[j]), z = srnn_sigmoid1(gz[j] + sz[j]);
        float hidden_n = sn[j];
        float n = srnn_tanh1(gn[j] + r * hidden_n);
        gr[j] = r; gz[j] = z; gn[j] = n;
        hnr[j] = hidden_n;
        hx[j] = n + z * (hp[j] - n);
    }
}

SRNN_INLINE void gru_forward_body(float *gates, const float *hidden, const float *h_prev, float *hn, float *h_next,
                                  size_t rows, size_t h) {
    for (size_t b = 0; b < rows; b++) {
        float *a = gates + b * 3 * h;
        const float *s = hidden + b * 3 * h;
        gru_forward_row(a, a + h, a + 2 * h, s, s + h, s + 2 * h, h_prev + b * h, hn + b * h, h_next + b * h, h);
    }
}

// One row's product with a row-major matrix, accumulated: y[j] += sum_i x[i] w[i*ldw + j]
// for j < n (x [k], w [k, ldw], y [n]). The columns go in blocks whose accumulators stay in
// registers over the whole sum: `block` columns (a constant at each call: 8 vector
// registers in the variant's width) as long as they last, then one block each of 64, 32
// and 16 columns when that many are left, then the last < 16 columns together (their
// chains interleave). Every y[j] is the same chain of multiply-adds in the order of i,
// whatever block it falls in, so a slice of the columns gives the same bits as the whole.
SRNN_INLINE void gemv_block(const float *restrict x, const float *restrict w, size_t ldw, float *restrict y,
                            size_t k, size_t width) {
    float acc[128];
    for (size_t j = 0; j < width; j++) acc[j] = y[j];
    for (size_t i = 0; i < k; i++) {
        const float xi = x[i];
        const float *restrict row = w + i * ldw;
        for (size_t j = 0; j < width; j++) acc[j] = acc[j] + xi * row[j];
    }
    for (size_t j = 0; j < width; j++) y[j] = acc[j];
}

SRNN_INLINE void gemv_rows_body(const float *restrict x, const float *restrict w, size_t ldw,
                                float *restrict y, size_t k, size_t n, size_t block) {
    size_t j0 = 0;
    for (; j0 + block <= n; j0 += block) gemv_block(x, w + j0, ldw, y + j0, k, block);
    if (block > 64 && j0 + 64 <= n) { gemv_block(x, w + j0, ldw, y + j0, k, 64); j0 += 64; }
    if (block > 32 && j0 + 32 <= n) { gemv_block(x, w + j0, ldw, y + j0, k, 32); j0 += 32; }
    if (block > 16 && j0 + 16 <= n) { gemv_block(x, w + j0, ldw, y + j0, k, 16); j0 += 16; }
    size_t rest = n - j0;
    if (rest > 0) {
        float acc[16];
        for (size_t j = 0; j < rest; j++) acc[j] = y[j0 + j];
        for (size_t i = 0; i < k; i++) {
            const float xi = x[i];
            const float *restrict row = w + i * ldw + j0;
            for (size_t j = 0; j < rest; j++) acc[j] = acc[j] + xi * row[j];
        }
        for (size_t j = 0; j < rest; j++) y[j0 + j] = acc[j];
    }
}

// A few rows' products with a row-major matrix, accumulated:
// y[r*ldy + j] += sum_i x[r*ldx + i] w[i*ldw + j] for r < rows, j < n — gemv_rows for
// several rows that share each read of w (a beam's hypotheses against one source's
// memory, in attention). Tiles of up to 6 rows by `block` columns (a constant at each
// call: two vector registers in the variant's width), then 8, keep their accumulators in
// registers over the whole sum; the columns past the last tile go row by row through
// gemv_rows_body. Every y[r][j] is the same chain of multiply-adds in the order of i as
// gemv_rows gives it, whatever its tile.
SRNN_INLINE void gemm_rows_tile(const float *restrict x, size_t ldx, const float *restrict w, size_t ldw,
                                float *restrict y, size_t ldy, size_t k, size_t width, size_t rows) {
    float acc[6][32];
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < width; j++) acc[r][j] = y[r * ldy + j];
    for (size_t i = 0; i < k; i++) {
        const float *restrict row = w + i * ldw;
        for (size_t r = 0; r < rows; r++) {
            const float xr = x[r * ldx + i];
            for (size_t j = 0; j < width; j++) acc[r][j] = acc[r][j] + xr * row[j];
        }
    }
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < width; j++) y[r * ldy + j] = acc[r][j];
}

// One tile of `rows` (1...6) rows: a constant row count in each case, so that the
// accumulators are registers.
SRNN_INLINE void gemm_rows_group(const float *restrict x, size_t ldx, const float *restrict w, size_t ldw,
                                 float *restrict y, size_t ldy, size_t k, size_t width, size_t rows) {
    switch (rows) {
    case 1: gemm_rows_tile(x, ldx, w, ldw, y, ldy, k, width, 1); break;
    case 2: gemm_rows_tile(x, ldx, w, ldw, y, ldy, k, width, 2); break;
    case 3: gemm_rows_tile(x, ldx, w, ldw, y, ldy, k, width, 3); break;
    case 4: gemm_rows_tile(x, ldx, w, ldw, y, ldy, k, width, 4); break;
    case 5: gemm_rows_tile(x, ldx, w, ldw, y, ldy, k, width, 5); break;
    default: gemm_rows_tile(x, ldx, w, ldw, y, ldy, k, width, 6); break;
    }
}

// A few rows' dot products with the rows of a row-major matrix:
// y[r*ldy + j] = sum_i x[r*ldx + i] w[j*ldw + i] for r < rows, j < n (overwrites y): the
// products with the matrix transposed, a beam's queries against one source's keys. Each
// dot keeps 8 partial sums (i mod 8, one 8-float vector) over the multiples of 8, adds them
// pairwise (l + 4, then + 2, then + 1), then the terms past the last multiple of 8 in
// order; tiles of up to 6 rows by 2 rows of w share each read. So y[r][j] does not depend
// on n, rows, or the tile it falls in. 8-float vectors in every variant (two registers in
// the baseline's), so the AVX2 and AVX-512 variants give the same bits.
typedef float srnn_v8 __attribute__((vector_size(32)));

SRNN_INLINE float dot_tile_finish(const srnn_v8 *a, const float *restrict x, const float *restrict row,
                                  size_t from, size_t k) {
    float l[8];
    __builtin_memcpy(l, a, sizeof l);
    float s = ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]));
    for (size_t i = from; i < k; i++) s = s + x[i] * row[i];
    return s;
}

SRNN_INLINE void dot_rows_tile(const float *restrict x, size_t ldx, size_t rows, const float *restrict w,
                               size_t ldw, size_t keys, float *restrict y, size_t ldy, size_t k) {
    const size_t k8 = k - k % 8;
    srnn_v8 acc[6][2];
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < keys; j++) acc[r][j] = (srnn_v8){0, 0, 0, 0, 0, 0, 0, 0};
    for (size_t i = 0; i < k8; i += 8) {
        srnn_v8 wv[2];
        for (size_t j = 0; j < keys; j++) __builtin_memcpy(&wv[j], w + j * ldw + i, sizeof wv[j]);
        for (size_t r = 0; r < rows; r++) {
            srnn_v8 xv;
            __builtin_memcpy(&xv, x + r * ldx + i, sizeof xv);
            for (size_t j = 0; j < keys; j++) acc[r][j] = acc[r][j] + xv * wv[j];
        }
    }
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < keys; j++) y[r * ldy + j] = dot_tile_finish(&acc[r][j], x + r * ldx, w + j * ldw, k8, k);
}

// A tile of `rows` (1...6) rows by `keys` (1 or 2) rows of w, each a constant in its case.
SRNN_INLINE void dot_rows_group(const float *restrict x, size_t ldx, size_t rows, const float *restrict w,
                                size_t ldw, size_t keys, float *restrict y, size_t ldy, size_t k) {
#define SRNN_DOT_CASE(R)                                                                        \
    case R:                                                                                     \
        if (keys == 2) dot_rows_tile(x, ldx, R, w, ldw, 2, y, ldy, k);                          \
        else dot_rows_tile(x, ldx, R, w, ldw, 1, y, ldy, k);                                    \
        break;
    switch (rows) {
        SRNN_DOT_CASE(1)
        SRNN_DOT_CASE(2)
        SRNN_DOT_CASE(3)
        SRNN_DOT_CASE(4)
        SRNN_DOT_CASE(5)
    default:
        if (keys == 2) dot_rows_tile(x, ldx, 6, w, ldw, 2, y, ldy, k);
        else dot_rows_tile(x, ldx, 6, w, ldw, 1, y, ldy, k);
        break;
    }
#undef SRNN_DOT_CASE
}

SRNN_INLINE void dot_rows_body(const float *restrict x, size_t ldx, size_t rows, const float *restrict w,
                               size_t ldw, float *restrict y, size_t ldy, size_t k, size_t n) {
    for (size_t r0 = 0; r0 < rows; r0 += 6) {
        const size_t group = rows - r0 < 6 ? rows - r0 : 6;
        for (size_t j = 0; j < n; j += 2)
            dot_rows_group(x + r0 * ldx, ldx, group, w + j * ldw, ldw, n - j < 2 ? 1 : 2, y + r0 * ldy + j, ldy, k);
    }
}

SRNN_INLINE void gemm_rows_body(const float *restrict x, size_t ldx, size_t rows, const float *restrict w,
                                size_t ldw, float *restrict y, size_t ldy, size_t k, size_t n, size_t block) {
    for (size_t r0 = 0; r0 < rows; r0 += 6) {
        const size_t group = rows - r0 < 6 ? rows - r0 : 6;
        const float *gx = x + r0 * ldx;
        float *gy = y + r0 * ldy;
        size_t j0 = 0;
        for (; j0 + block <= n; j0 += block) gemm_rows_group(gx, ldx, w + j0, ldw, gy + j0, ldy, k, block, group);
        if (block > 8 && j0 + 8 <= n) {
            gemm_rows_group(gx, ldx, w + j0, ldw, gy + j0, ldy, k, 8, group);
            j0 += 8;
        }
        if (j0 < n)
            for (size_t r = 0; r < group; r++) gemv_rows_body(gx + r * ldx, w + j0, ldw, gy + r * ldy + j0, k, n - j0, 8);
    }
}

// The sum of n floats in 8 vector registers' worth of independent accumulators: a loop
// whose speed is the speed of reading the buffer (the bench's bandwidth), not of a chain
// of additions.
SRNN_INLINE float read_sum_body(const float *restrict p, size_t n) {
    float acc[128] = {0};
    size_t i = 0;
    for (; i + 128 <= n; i += 128)
        for (size_t j = 0; j < 128; j++) acc[j] += p[i + j];
    float s = 0;
    for (size_t j = 0; j < 128; j++) s += acc[j];
    for (; i < n; i++) s += p[i];
    return s;
}

// The forward gate math of one row's hidden units 0..<units, gate block g of unit j at
// gates[g * stride + j] (stride = H for a slice of a [4H] / [3H] row).
SRNN_INLINE void lstm_forward_units_body(float *gates, size_t stride, const float *c_prev, float *c_next,
                                         float *tanh_c, float *h_next, size_t units) {
    lstm_forward_row(gates, gates + stride, gates + 2 * stride, gates + 3 * stride, c_prev, c_next, tanh_c,
                     h_next, units);
}

SRNN_INLINE void gru_forward_units_body(float *gates, const float *hidden, size_t stride, const float *h_prev,
                                        float *hn, float *h_next, size_t units) {
    gru_forward_row(gates, gates + stride, gates + 2 * stride, hidden, hidden + stride, hidden + 2 * stride,
                    h_prev, hn, h_next, units);
}

// Softmax + cross-entropy, row by row in place. The max and the sum run over 8
// independent lanes (a single running max or sum is a serial chain the compiler may not
// reorder); the sum is finished in double.
SRNN_INLINE double softmax_xent_body(float *logits, const int *targets, size_t rows, size_t classes, float scale) {
    double total = 0;
    for (size_t r = 0; r < rows; r++) {
        float *restrict z = logits + r * classes;
        int target = targets[r];
        if (target < 0) {
            for (size_t c = 0; c < classes; c++) z[c] = 0;
            continue;
        }
        float lanes[8] = {-__builtin_inff(), -__builtin_inff(), -__builtin_inff(), -__builtin_inff(),
                          -__builtin_inff(), -__builtin_inff(), -__builtin_inff(), -__builtin_inff()};
        size_t c = 0;
        for (; c + 8 <= classes; c += 8)
            for (int l = 0; l < 8; l++) lanes[l] = z[c + l] > lanes[l] ? z[c + l] : lanes[l];
        float m = -__builtin_inff();
        for (int l = 0; l < 8; l++) m = lanes[l] > m ? lanes[l] : m;
        for (; c < classes; c++) m = z[c] > m ? z[c] : m;
        float zt = z[target];
        for (size_t k = 0; k < classes; k++) z[k] = srnn_exp1(z[k] - m);
        float sums[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        c = 0;
        for (; c + 8 <= classes; c += 8)
            for (int l = 0; l < 8; l++) sums[l] += z[c + l];
        double sum = 0;
        for (int l = 0; l < 8; l++) sum += sums[l];
        for (; c < classes; c++) sum += z[c];
        float inv = (float)(1.0 / sum) * scale;
        for (size_t k = 0; k < classes; k++) z[k] *= inv;
        z[target] -= scale;
        total += (double)m + __builtin_log(sum) - (double)zt;
    }
    return total;
}

// sqrt without errno (libm's sqrtf may set it, which keeps loops scalar): the IEEE
// square root, correctly rounded, as vsqrtps / sqrtps compute it.
SRNN_INLINE float srnn_sqrt(float x) {
#if defined(__clang__) && __has_builtin(__builtin_elementwise_sqrt)
    return __builtin_elementwise_sqrt(x);
#else
    return __builtin_sqrtf(x);   // correct bits; the loop may stay scalar
#endif
}

// One Adam update (torch.optim.Adam, L2 weight decay added to the gradient) over n
// parameters, each operation rounded on its own as in Swift's scalar loop (no FMA
// contraction), so every variant gives the same bits as that loop did. The pragma is
// clang's (SwiftPM compiles C with clang); other compilers must not contract either.
SRNN_INLINE void adam_body(float *restrict p, const float *restrict g, float *restrict m, float *restrict v,
                           size_t n, float lr_corrected, float b1, float b2, float eps, float wd, float bc2_sqrt) {
#pragma clang fp contract(off)
    const float c1 = 1.0f - b1, c2 = 1.0f - b2;
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] + wd * p[i];
        float mi = b1 * m[i] + c1 * gi;
        float vi = b2 * v[i] + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] - lr_corrected * mi / (srnn_sqrt(vi) / bc2_sqrt + eps);
    }
}

SRNN_INLINE void to_bf16_body(const float *x, uint16_t *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = srnn_bf16_round1(x[i]);
}

SRNN_INLINE void from_bf16_body(const uint16_t *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t u = (uint32_t)x[i] << 16;
        memcpy(&y[i], &u, 4);
    }
}

// Each variant's entry points: the bodies above, inlined into functions compiled for
// that variant's target, gathered in its table. `gemv_block` and `tile_block` are the
// column blocks of gemv_rows and gemm_rows in the variant's registers.
#define SRNN_VARIANT(suffix, attributes, gemv_block, tile_block)                         \
    attributes static void exp_##suffix(const float *s, float *d, size_t n) { unary_body(s, d, n, srnn_exp1); } \
    attributes static void tanh_##suffix(const float *s, float *d, size_t n) { unary_body(s, d, n, srnn_tanh1); } \
    attributes static void sigmoid_##suffix(const float *s, float *d, size_t n) { unary_body(s, d, n, srnn_sigmoid1); } \
    attributes static double softmax_xent_##suffix(float *z, const int *t, size_t r, size_t c, float scale) { \
        return softmax_xent_body(z, t, r, c, scale);                                     \
    }                                                                                    \
    attributes static void adam_##suffix(float *p, const float *g, float *m, float *v, size_t n, float lr, \
                                         float b1, float b2, float eps, float wd, float bc2) { \
        adam_body(p, g, m, v, n, lr, b1, b2, eps, wd, bc2);                              \
    }                                                                                    \
    attributes static void lstm_forward_##suffix(float *g, const float *cp, float *cn, float *tc, float *hx, \
                                                 size_t rows, size_t h) {                \
        lstm_forward_body(g, cp, cn, tc, hx, rows, h);                                   \
    }                                                                                    \
    attributes static void gru_forward_##suffix(float *g, const float *s, const float *hp, float *hn, float *hx, \
                                                size_t rows, size_t h) {                 \
        gru_forward_body(g, s, hp, hn, hx, rows, h);                                     \
    }                                                                                    \
    attributes static void lstm_backward_##suffix(const float *g, const float *cp, const float *tc, const float *dh, \
                                                  float *dg, uint16_t *bits, float *sums, const int32_t *tok, \
                                                  float *table, float *dc, size_t rows, size_t h) { \
        lstm_backward_outputs(g, cp, tc, dh, dg, bits, sums, tok, table, dc, rows, h);   \
    }                                                                                    \
    attributes static void gru_backward_##suffix(const float *g, const float *hn, const float *hp, const float *dh, \
                                                 float *di, float *dg, uint16_t *bi, uint16_t *bg, float *si, \
                                                 float *sg, const int32_t *tok, float *table, float *dp, \
                                                 size_t rows, size_t h) {                \
        gru_backward_outputs(g, hn, hp, dh, di, dg, bi, bg, si, sg, tok, table, dp, rows, h); \
    }                                                                                    \
    attributes static void gemv_rows_##suffix(const float *x, const float *w, size_t ldw, float *y, size_t k, \
                                              size_t n) {                                \
        gemv_rows_body(x, w, ldw, y, k, n, gemv_block);                                  \
    }                                                                                    \
    attributes static void lstm_units_##suffix(float *g, size_t stride, const float *cp, float *cn, float *tc, \
                                               float *hx, size_t units) {                \
        lstm_forward_units_body(g, stride, cp, cn, tc, hx, units);                       \
    }                                                                                    \
    attributes static void gru_units_##suffix(float *g, const float *s, size_t stride, const float *hp, \
                                              float *hn, float *hx, size_t units) {      \
        gru_forward_units_body(g, s, stride, hp, hn, hx, units);                         \
    }                                                                                    \
    attributes static void dot_rows_##suffix(const float *x, size_t ldx, size_t rows, const float *w, size_t ldw, \
                                             float *y, size_t ldy, size_t k, size_t n) { \
        dot_rows_body(x, ldx, rows, w, ldw, y, ldy, k, n);                               \
    }                                                                                    \
    attributes static void gemm_rows_##suffix(const float *x, size_t ldx, size_t rows, const float *w, \
                                              size_t ldw, float *y, size_t ldy, size_t k, size_t n) { \
        gemm_rows_body(x, ldx, rows, w, ldw, y, ldy, k, n, tile_block);                  \
    }                                                                                    \
    attributes static float read_sum_##suffix(const float *p, size_t n) { return read_sum_body(p, n); } \
    attributes static void to_bf16_##suffix(const float *x, uint16_t *y, size_t n) { to_bf16_body(x, y, n); } \
    attributes static void from_bf16_##suffix(const uint16_t *x, float *y, size_t n) { from_bf16_body(x, y, n); } \
    static const struct kernel_table table_##suffix = {                                  \
        exp_##suffix, tanh_##suffix, sigmoid_##suffix, softmax_xent_##suffix, adam_##suffix, \
        lstm_forward_##suffix, gru_forward_##suffix, lstm_backward_##suffix, gru_backward_##suffix, \
        gemv_rows_##suffix, gemm_rows_##suffix, dot_rows_##suffix, lstm_units_##suffix, gru_units_##suffix, \
        read_sum_##suffix, to_bf16_##suffix, from_bf16_##suffix,                                            \
    };

typedef void (*unary_kernel)(const float *, float *, size_t);

/// Every entry point's implementation in one variant.
struct kernel_table {
    unary_kernel exp, tanh, sigmoid;
    double (*softmax_xent)(float *, const int *, size_t, size_t, float);
    void (*adam)(float *, const float *, float *, float *, size_t, float, float, float, float, float, float);
    void (*lstm_forward)(float *, const float *, float *, float *, float *, size_t, size_t);
    void (*gru_forward)(float *, const float *, const float *, float *, float *, size_t, size_t);
    void (*lstm_backward)(const float *, const float *, const float *, const float *, float *, uint16_t *, float *,
                          const int32_t *, float *, float *, size_t, size_t);
    void (*gru_backward)(const float *, const float *, const float *, const float *, float *, float *, uint16_t *,
                         uint16_t *, float *, float *, const int32_t *, float *, float *, size_t, size_t);
    void (*gemv_rows)(const float *, const float *, size_t, float *, size_t, size_t);
    void (*gemm_rows)(const float *, size_t, size_t, const float *, size_t, float *, size_t, size_t, size_t);
    void (*dot_rows)(const float *, size_t, size_t, const float *, size_t, float *, size_t, size_t, size_t);
    void (*lstm_units)(float *, size_t, const float *, float *, float *, float *, size_t);
    void (*gru_units)(float *, const float *, size_t, const float *, float *, float *, size_t);
    float (*read_sum)(const float *, size_t);
    void (*to_bf16)(const float *, uint16_t *, size_t);
    void (*from_bf16)(const uint16_t *, float *, size_t);
};

SRNN_VARIANT(base, , 32, 8)

#if SRNN_X86
SRNN_VARIANT(avx2, __attribute__((target("avx2,fma"))), 64, 16)
SRNN_VARIANT(avx512, __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma"))), 128, 32)

/// The most capable variant the processor has and the OS saves the registers of:
/// AVX2 + FMA needs CPUID's FMA, AVX, OSXSAVE and AVX2 bits and XMM/YMM state in XCR0;
/// AVX-512 also needs AVX512F, DQ, BW and VL and the opmask/ZMM state.
static int detect_best(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return SRNN_KERNELS_BASELINE;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (!(fma && osxsave && avx)) return SRNN_KERNELS_BASELINE;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0x6) != 0x6) return SRNN_KERNELS_BASELINE;   // XMM and YMM state enabled
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return SRNN_KERNELS_BASELINE;
    if (!((b >> 5) & 1)) return SRNN_KERNELS_BASELINE;     // AVX2
    unsigned avx512 = (1u << 16) | (1u << 17) | (1u << 30) | (1u << 31);   // F, DQ, BW, VL
    if ((b & avx512) == avx512 && (lo & 0xE0) == 0xE0) return SRNN_KERNELS_AVX512;   // opmask, ZMM state
    return SRNN_KERNELS_AVX2;
}
static const struct kernel_table *const tables[3] = {&table_base, &table_avx2, &table_avx512};
#else
static int detect_best(void) { return SRNN_KERNELS_BASELINE; }
static const struct kernel_table *const tables[1] = {&table_base};
#endif

// -1 until the first call; then the variant in use. Racing first calls (worker threads)
// store the same value; relaxed atomics make that a benign race rather than a data race.
static int selected = -1;
static int best = -1;

int srnn_kernels_best_supported(void) {
    int b = __atomic_load_n(&best, __ATOMIC_RELAXED);
    if (b < 0) {
        b = detect_best();
        __atomic_store_n(&best, b, __ATOMIC_RELAXED);
    }
    return b;
}

int srnn_kernels_requested(void) {
    const char *forced = getenv("SWIFT_RNN_KERNELS");
    if (forced == NULL || forced[0] == 0) return -1;
    if (strcmp(forced, "baseline") == 0) return SRNN_KERNELS_BASELINE;
    if (strcmp(forced, "avx2") == 0) return SRNN_KERNELS_AVX2;
    if (strcmp(forced, "avx512") == 0) return SRNN_KERNELS_AVX512;
    return -2;
}

int srnn_kernels_variant(void) {
    int choice = __atomic_load_n(&selected, __ATOMIC_RELAXED);
    if (choice < 0) {
        int top = srnn_kernels_best_supported();
        int requested = srnn_kernels_requested();
        choice = requested >= 0 && requested <= top ? requested : top;
        __atomic_store_n(&selected, choice, __ATOMIC_RELAXED);
    }
    return choice;
}

int srnn_kernels_select(int variant) {
    if (variant < 0 || variant > srnn_kernels_best_supported()) return -1;
    __atomic_store_n(&selected, variant, __ATOMIC_RELAXED);
    return variant;
}

static inline const struct kernel_table *table(void) { return tables[srnn_kernels_variant()]; }

void srnn_exp(const float *src, float *dst, size_t n) { table()->exp(src, dst, n); }
void srnn_tanh(const float *src, float *dst, size_t n) { table()->tanh(src, dst, n); }
void srnn_sigmoid(const float *src, float *dst, size_t n) { table()->sigmoid(src, dst, n); }

// A variant the processor lacks (or an unknown one) runs the baseline.
static inline const struct kernel_table *table_for(int variant) {
    return tables[variant >= 0 && variant <= srnn_kernels_best_supported() ? variant : SRNN_KERNELS_BASELINE];
}
void srnn_exp_variant(int variant, const float *src, float *dst, size_t n) { table_for(variant)->exp(src, dst, n); }
void srnn_tanh_variant(int variant, const float *src, float *dst, size_t n) { table_for(variant)->tanh(src, dst, n); }
void srnn_sigmoid_variant(int variant, const float *src, float *dst, size_t n) {
    table_for(variant)->sigmoid(src, dst, n);
}

void srnn_lstm_backward_step(const float *gates, const float *c_prev, const float *tanh_c, const float *dh,
                             float *d_gates, uint16_t *d_bits, float *sums, const int32_t *tokens, float *token_table,
                             float *dc, size_t rows, size_t h) {
    table()->lstm_backward(gates, c_prev, tanh_c, dh, d_gates, d_bits, sums, tokens, token_table, dc, rows, h);
}

void srnn_gru_backward_step(const float *gates, const float *hn, const float *h_prev, const float *dh,
                            float *d_input, float *d_hidden, uint16_t *input_bits, uint16_t *hidden_bits,
                            float *input_sums, float *hidden_sums, const int32_t *tokens, float *token_table,
                            float *dh_prev, size_t rows, size_t h) {
    table()->gru_backward(gates, hn, h_prev, dh, d_input, d_hidden, input_bits, hidden_bits, input_sums, hidden_sums,
                          tokens, token_table, dh_prev, rows, h);
}

void srnn_lstm_forward_step(float *gates, const float *c_prev, float *c_next, float *tanh_c, float *h_next,
                            size_t rows, size_t h) {
    table()->lstm_forward(gates, c_prev, c_next, tanh_c, h_next, rows, h);
}

void srnn_gru_forward_step(float *gates, const float *hidden, const float *h_prev, float *hn, float *h_next,
                           size_t rows, size_t h) {
    table()->gru_forward(gates, hidden, h_prev, hn, h_next, rows, h);
}

double srnn_softmax_cross_entropy(float *logits, const int *targets, size_t rows, size_t classes, float scale) {
    return table()->softmax_xent(logits, targets, rows, classes, scale);
}

void srnn_adam_step(float *p, const float *g, float *m, float *v, size_t n, float lr_corrected,
                    float beta1, float beta2, float eps, float weight_decay, float bc2_sqrt) {
    table()->adam(p, g, m, v, n, lr_corrected, beta1, beta2, eps, weight_decay, bc2_sqrt);
}

void srnn_gemv_rows(const float *x, const float *w, size_t ldw, float *y, size_t k, size_t n) {
    table()->gemv_rows(x, w, ldw, y, k, n);
}

void srnn_gemv_rows_variant(int variant, const float *x, const float *w, size_t ldw, float *y, size_t k,
                            size_t n) {
    table_for(variant)->gemv_rows(x, w, ldw, y, k, n);
}

void srnn_gemm_rows(const float *x, size_t ldx, size_t rows, const float *w, size_t ldw, float *y, size_t ldy,
                    size_t k, size_t n) {
    table()->gemm_rows(x, ldx, rows, w, ldw, y, ldy, k, n);
}

void srnn_dot_rows(const float *x, size_t ldx, size_t rows, const float *w, size_t ldw, float *y, size_t ldy,
                   size_t k, size_t n) {
    table()->dot_rows(x, ldx, rows, w, ldw, y, ldy, k, n);
}

void srnn_dot_rows_variant(int variant, const float *x, size_t ldx, size_t rows, const float *w, size_t ldw,
                           float *y, size_t ldy, size_t k, size_t n) {
    table_for(variant)->dot_rows(x, ldx, rows, w, ldw, y, ldy, k, n);
}

void srnn_gemm_rows_variant(int variant, const float *x, size_t ldx, size_t rows, const float *w, size_t ldw,
                            float *y, size_t ldy, size_t k, size_t n) {
    table_for(variant)->gemm_rows(x, ldx, rows, w, ldw, y, ldy, k, n);
}

void srnn_lstm_forward_units(float *gates, size_t stride, const float *c_prev, float *c_next, float *tanh_c,
                             float *h_next, size_t units) {
    table()->lstm_units(gates, stride, c_prev, c_next, tanh_c, h_next, units);
}

void srnn_gru_forward_units(float *gates, const float *hidden, size_t stride, const float *h_prev, float *hn,
                            float *h_next, size_t units) {
    table()->gru_units(gates, hidden, stride, h_prev, hn, h_next, units);
}

float srnn_read_sum(const float *p, size_t n) { return table()->read_sum(p, n); }

void srnn_to_bf16(const float *x, uint16_t *y, size_t n) { table()->to_bf16(x, y, n); }
void srnn_from_bf16(const uint16_t *x, float *y, size_t n) { table()->from_bf16(x, y, n); }
void srnn_to_bf16_variant(int variant, const float *x, uint16_t *y, size_t n) { table_for(variant)->to_bf16(x, y, n); }
void srnn_from_bf16_variant(int variant, const uint16_t *x, float *y, size_t n) {
    table_for(variant)->from_bf16(x, y, n);
}

#if SRNN_X86
int srnn_cpu_has_avx512_bf16(void) {
    unsigned a, b, c, d;
    if (srnn_kernels_best_supported() < SRNN_KERNELS_AVX512) return 0;   // AVX-512 and its OS state
    if (!__get_cpuid_count(7, 1, &a, &b, &c, &d)) return 0;
    return (int)((a >> 5) & 1);                                           // CPUID.(7,1):EAX[5]
}
#else
int srnn_cpu_has_avx512_bf16(void) { return 0; }
#endif
