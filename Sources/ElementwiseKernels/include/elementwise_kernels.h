/// Elementwise float kernels (exp, tanh, logistic sigmoid) for Linalg's `Vector`,
/// compiled twice: for the x86-64 baseline (SSE2) and, on x86-64, for AVX2 + FMA, with
/// the second chosen at run time when the processor and the OS support it. Linalg's
/// public API wraps these; they are not meant to be called directly.
///
/// Every function takes `n` elements; `src` and `dst` may be the same buffer.
/// Accuracy (the same branch-free algorithms as `Vector.exp(_: Float)` and
/// `Vector.tanh(_: Float)`): exp within 2 ulp of the exact value for normal results,
/// tanh within 3 ulp, sigmoid inherits exp's bound; both variants stay within those.
#ifndef ELEMENTWISE_KERNELS_H
#define ELEMENTWISE_KERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The variant in use: 1 for AVX2 + FMA, 0 for the baseline.
int srnn_kernels_use_avx2(void);

/// dst[i] = exp(src[i]); dst[i] = tanh(src[i]); dst[i] = 1 / (1 + exp(-src[i])).
void srnn_exp(const float *src, float *dst, size_t n);
void srnn_tanh(const float *src, float *dst, size_t n);
void srnn_sigmoid(const float *src, float *dst, size_t n);

/// The baseline variants, whatever the processor (for tests that compare the two).
void srnn_exp_baseline(const float *src, float *dst, size_t n);
void srnn_tanh_baseline(const float *src, float *dst, size_t n);
void srnn_sigmoid_baseline(const float *src, float *dst, size_t n);

#ifdef __cplusplus
}
#endif

#endif
