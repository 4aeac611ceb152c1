/// Float kernels for Linalg's `Vector` (exp, tanh, logistic sigmoid) and for RNN (the
/// GRU/LSTM gate math of one step, fused softmax cross-entropy, the Adam update), compiled
/// three times: for the x86-64 baseline (SSE2) and, on x86-64, for AVX2 + FMA and for
/// AVX-512 (F, DQ, BW, VL), with the most capable one the processor and the OS support
/// chosen at run time (one dispatch table). Linalg's and RNN's Swift APIs wrap these; they
/// are not meant to be called directly.
///
/// The elementwise functions take `n` elements; `src` and `dst` may be the same buffer.
/// Accuracy (the same branch-free algorithms as `Vector.exp(_: Float)` and
/// `Vector.tanh(_: Float)`): exp within 2 ulp of the exact value for normal results,
/// tanh within 3 ulp, sigmoid within 4 ulp (0 below the normal range); both variants stay
/// within those (LinalgTests' KernelVariantTests).
#ifndef SWIFT_RNN_KERNELS_H
#define SWIFT_RNN_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The compiled variants, in order of capability.
enum { SRNN_KERNELS_BASELINE = 0, SRNN_KERNELS_AVX2 = 1, SRNN_KERNELS_AVX512 = 2 };

/// The most capable variant this processor and OS support.
int srnn_kernels_best_supported(void);

/// The variant the environment variable SWIFT_RNN_KERNELS asks for ("baseline", "avx2",
/// "avx512"): -1 when it is unset or empty, -2 when it names none of them.
int srnn_kernels_requested(void);

/// The variant in use, fixed at the first call: the requested one when the processor
/// supports it, else the best supported (a variant the processor lacks would crash).
int srnn_kernels_variant(void);

/// Makes `variant` the one in use for the whole process; returns it, or -1 (and changes
/// nothing) when the processor does not support it.
int srnn_kernels_select(int variant);

/// dst[i] = exp(src[i]); dst[i] = tanh(src[i]); dst[i] = 1 / (1 + exp(-src[i])).
void srnn_exp(const float *src, float *dst, size_t n);
void srnn_tanh(const float *src, float *dst, size_t n);
void srnn_sigmoid(const float *src, float *dst, size_t n);

/// The same in a given variant, whatever is in use (for tests that compare variants); a
/// variant the processor does not support runs the baseline.
void srnn_exp_variant(int variant, const float *src, float *dst, size_t n);
void srnn_tanh_variant(int variant, const float *src, float *dst, size_t n);
void srnn_sigmoid_variant(int variant, const float *src, float *dst, size_t n);

/// Fused softmax + cross-entropy over `rows` rows of `classes` logits, in place: a row
/// whose target is >= 0 becomes `scale · (softmax(z) − onehot(target))` and adds
/// `logsumexp(z) − z[target]` to the returned sum; a row whose target is < 0 becomes 0
/// and adds nothing. Targets must be < `classes`.
double srnn_softmax_cross_entropy(float *logits, const int *targets, size_t rows, size_t classes, float scale);

/// LSTM forward gate math for one step of `rows` sequences (`h` hidden units each):
/// `gates` [rows, 4h] holds the pre-activations of i, f, g, o and is overwritten with the
/// activations (sigmoid, sigmoid, tanh, sigmoid); from `c_prev` [rows, h] it writes
/// `c_next = f c_prev + i g`, `tanh_c = tanh(c_next)` and `h_next = o tanh_c` (all [rows, h]).
void srnn_lstm_forward_step(float *gates, const float *c_prev, float *c_next, float *tanh_c, float *h_next,
                            size_t rows, size_t h);

/// GRU forward gate math for one step: `gates` [rows, 3h] holds the input side's
/// pre-activations (x W_ihᵀ + b_ih), `hidden` [rows, 3h] the hidden side's (h W_hhᵀ + b_hh).
/// Overwrites `gates` with r = σ(i_r + h_r), z = σ(i_z + h_z), n = tanh(i_n + r hn), copies
/// hn = the hidden side's n block to `hn` [rows, h], and writes
/// `h_next = n + z (h_prev - n)` [rows, h].
void srnn_gru_forward_step(float *gates, const float *hidden, const float *h_prev, float *hn, float *h_next,
                           size_t rows, size_t h);

/// LSTM backward gate math for one step of `rows` sequences (`h` hidden units each):
/// `gates` [rows, 4h] holds the activated i, f, g, o; `c_prev`, `tanh_c`, `dh` [rows, h];
/// writes d(pre-activation) of the four gates `[rows, 4h]` to those of four outputs that
/// are not NULL: the floats into `d_gates`, their bf16 bits (rounded to nearest even, as
/// `srnn_to_bf16`) into `d_bits`, their column sums added into `sums` [4h] (row after
/// row), and with `tokens` [rows] each row added into row `tokens[b]` of `token_table`
/// [V, 4h] (none for a token of -1); and replaces the cell-state gradient `dc` [rows, h]
/// (in: from step t+1; out: to step t-1).
void srnn_lstm_backward_step(const float *gates, const float *c_prev, const float *tanh_c, const float *dh,
                             float *d_gates, uint16_t *d_bits, float *sums, const int32_t *tokens, float *token_table,
                             float *dc, size_t rows, size_t h);

/// GRU backward gate math for one step: `gates` [rows, 3h] holds the activated r, z, n;
/// `hn` [rows, h] is `W_hn h + b_hn`; `h_prev`, `dh` [rows, h]. Makes d(pre-activation)
/// of the input side and of the hidden side (the n block times r), both [rows, 3h], in
/// the forms of `srnn_lstm_backward_step` whose pointers are not NULL: the floats into
/// `d_input` and `d_hidden` (both or neither), their bf16 bits into `input_bits` and
/// `hidden_bits` (either), their column sums [3h] added into `input_sums` and
/// `hidden_sums` (both or neither), and with `tokens` the input side's rows added into
/// `token_table` [V, 3h]; and adds the direct part `dh ⊙ z` into `dh_prev` [rows, h].
void srnn_gru_backward_step(const float *gates, const float *hn, const float *h_prev, const float *dh,
                            float *d_input, float *d_hidden, uint16_t *input_bits, uint16_t *hidden_bits,
                            float *input_sums, float *hidden_sums, const int32_t *tokens, float *token_table,
                            float *dh_prev, size_t rows, size_t h);

/// One Adam step over `n` parameters `p` with gradients `g` and moments `m`, `v` (all
/// separate buffers): `gi = g + weight_decay·p`, `m = β1·m + (1−β1)·gi`,
/// `v = β2·v + (1−β2)·gi²`, `p −= lr_corrected · m / (sqrt(v) / bc2_sqrt + eps)` with
/// `lr_corrected = lr / (1 − β1ᵗ)` and `bc2_sqrt = sqrt(1 − β2ᵗ)`. Each operation is
/// rounded separately (no fused multiply-add), so both variants give identical results.
void srnn_adam_step(float *p, const float *g, float *m, float *v, size_t n, float lr_corrected,
                    float beta1, float beta2, float eps, float weight_decay, float bc2_sqrt);

/// One row times a row-major matrix, accumulated: `y[j] += sum_i x[i] * w[i * ldw + j]` for
/// `j < n` (`x` [k], `w` [k, ldw], `y` [n]; separate buffers). Each `y[j]` is the same chain
/// of multiply-adds in the order of `i` whatever `n` and the position of `j`, so a slice of
/// columns (a thread's share) gives the bits of the whole product. Reads `w` once.
void srnn_gemv_rows(const float *x, const float *w, size_t ldw, float *y, size_t k, size_t n);
/// The same in a given variant (for tests); one the processor lacks runs the baseline.
void srnn_gemv_rows_variant(int variant, const float *x, const float *w, size_t ldw, float *y, size_t k,
                            size_t n);

/// A few rows' dot products with the rows of a row-major matrix: `y[r * ldy + j] = sum_i
/// x[r * ldx + i] * w[j * ldw + i]` for `r < rows`, `j < n` (`x` [rows, ldx], `w` [n, ldw], `y`
/// [rows, ldy], overwritten). Each dot is 8 partial sums (`i` mod 8) added pairwise, then the
/// terms past the last multiple of 8 in order: the same bits whatever `rows`, `n` and the
/// position of `j`, and in the AVX2 and AVX-512 variants.
void srnn_dot_rows(const float *x, size_t ldx, size_t rows, const float *w, size_t ldw, float *y, size_t ldy,
                   size_t k, size_t n);
/// The same in a given variant (for tests); one the processor lacks runs the baseline.
void srnn_dot_rows_variant(int variant, const float *x, size_t ldx, size_t rows, const float *w, size_t ldw,
                           float *y, size_t ldy, size_t k, size_t n);

/// A few rows times a row-major matrix, accumulated: `y[r * ldy + j] += sum_i x[r * ldx + i] *
/// w[i * ldw + j]` for `r < rows`, `j < n` (`x` [rows, ldx], `w` [k, ldw], `y` [rows, ldy];
/// separate buffers). The rows share each read of `w`; every `y[r][j]` is the same chain of
/// multiply-adds in the order of `i` as `srnn_gemv_rows` gives row `r` alone.
void srnn_gemm_rows(const float *x, size_t ldx, size_t rows, const float *w, size_t ldw, float *y, size_t ldy,
                    size_t k, size_t n);
/// The same in a given variant (for tests); one the processor lacks runs the baseline.
void srnn_gemm_rows_variant(int variant, const float *x, size_t ldx, size_t rows, const float *w, size_t ldw,
                            float *y, size_t ldy, size_t k, size_t n);

/// `srnn_lstm_forward_step` for one row's units `0..<units`, gate block g of unit j at
/// `gates[g * stride + j]` (a thread's slice of a [4H] row: `stride` = H); `c_prev`,
/// `c_next`, `tanh_c`, `h_next` point at the slice's first unit.
void srnn_lstm_forward_units(float *gates, size_t stride, const float *c_prev, float *c_next, float *tanh_c,
                             float *h_next, size_t units);

/// `srnn_gru_forward_step` for one row's units `0..<units`, gate blocks at `stride` in both
/// `gates` and `hidden`.
void srnn_gru_forward_units(float *gates, const float *hidden, size_t stride, const float *h_prev, float *hn,
                            float *h_next, size_t units);

/// The sum of `p[0..<n]`, over many independent vector accumulators: timed, the speed of
/// reading the buffer (what a bandwidth measurement needs), not of an addition chain.
float srnn_read_sum(const float *p, size_t n);

/// y[i] = x[i] rounded to bfloat16 (to nearest, ties to even, on the bits: subnormals
/// rounded, overflow to infinity, NaN kept a quiet NaN of its sign); and back, exactly.
void srnn_to_bf16(const float *x, uint16_t *y, size_t n);
void srnn_from_bf16(const uint16_t *x, float *y, size_t n);
void srnn_to_bf16_variant(int variant, const float *x, uint16_t *y, size_t n);
void srnn_from_bf16_variant(int variant, const uint16_t *x, float *y, size_t n);

/// `w` [k, n] (row stride `ldw`) rounded to bfloat16 and stored in pairs of rows, the
/// operand of `srnn_gemv_rows_bf16`: `out[p * ldo + j]` holds row 2p's element j in its low
/// 16 bits and row 2p+1's in its high 16 bits (zero past an odd k), for p < (k + 1) / 2.
void srnn_pack_bf16_pairs(const float *w, size_t ldw, size_t k, size_t n, uint32_t *out, size_t ldo);

/// `srnn_gemv_rows` in bfloat16: `y[j] += sum_i bf16(x[i]) * w[i][j]` for `j < n`, `x` [k]
/// rounded to bf16 in the kernel, `wp` the pairs of rows of `srnn_pack_bf16_pairs` (row
/// stride `ldw` pairs), products exact and sums in float, two rows at a time as vdpbf16ps
/// adds them. AVX-512 BF16 in the AVX-512 variant where the processor has it, portable
/// scalar code otherwise. Each `y[j]` is the same chain whatever `n` and the position of `j`.
void srnn_gemv_rows_bf16(const float *x, const uint32_t *wp, size_t ldw, float *y, size_t k, size_t n);
/// The same in a given variant (for tests).
void srnn_gemv_rows_bf16_variant(int variant, const float *x, const uint32_t *wp, size_t ldw, float *y, size_t k,
                                 size_t n);

/// 1 when the processor has AVX-512 BF16 (vdpbf16ps) and the OS saves the AVX-512 state.
int srnn_cpu_has_avx512_bf16(void);

/// Runs `iterations` rounds of independent bf16 dot products (vdpbf16ps: 16 lanes, two
/// products each) and returns the floating-point operations done; 0 without AVX-512 BF16.
double srnn_bf16_dot_peak_loop(long iterations);

/// A hint to the processor that the calling thread is spinning on a flag (x86 `pause`: it
/// saves power and leaves the core's resources to its sibling); nothing elsewhere.
static inline __attribute__((always_inline)) void srnn_spin_pause(void) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    __builtin_ia32_pause();
#endif
}

/// `iterations` rounds of independent multiply-adds in `variant`'s widest registers (a
/// variant the processor lacks runs the best it has): 16 AVX-512 accumulators, 12 AVX2
/// ones, or 12 SSE multiply + add pairs in the baseline. Returns the floating-point
/// operations done (2 per lane per multiply-add); timed, it gives the core's FMA peak.
double srnn_fma_peak_loop(int variant, long iterations);

#ifdef __cplusplus
}
#endif

#endif
