// The core's floating-point peak, measured: independent fused multiply-adds in the widest
// registers of a variant, enough of them in flight to cover the FMA units' latency (two
// pipes of latency 4 need 8; 16 zmm and 12 ymm accumulators leave margin), with no memory
// traffic. What a GEMM kernel could reach at best; the benchmark reports against it.

#include "rnn_kernels.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

__attribute__((target("avx512f"))) static double fma_avx512(long iterations) {
    __m512 acc[16];
    const __m512 m = _mm512_set1_ps(0.999999f), a = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < 16; i++) acc[i] = _mm512_set1_ps((float)i);
    for (long it = 0; it < iterations; it++)
        for (int i = 0; i < 16; i++) acc[i] = _mm512_fmadd_ps(acc[i], m, a);
    __m512 s = acc[0];
    for (int i = 1; i < 16; i++) s = _mm512_add_ps(s, acc[i]);
    volatile float sink = _mm512_reduce_add_ps(s);
    (void)sink;
    return 2.0 * 16 * 16 * (double)iterations;
}

__attribute__((target("avx2,fma"))) static double fma_avx2(long iterations) {
    __m256 acc[12];
    const __m256 m = _mm256_set1_ps(0.999999f), a = _mm256_set1_ps(1e-7f);
    for (int i = 0; i < 12; i++) acc[i] = _mm256_set1_ps((float)i);
    for (long it = 0; it < iterations; it++)
        for (int i = 0; i < 12; i++) acc[i] = _mm256_fmadd_ps(acc[i], m, a);
    __m256 s = acc[0];
    for (int i = 1; i < 12; i++) s = _mm256_add_ps(s, acc[i]);
    float lanes[8];
    _mm256_storeu_ps(lanes, s);
    volatile float sink = lanes[0] + lanes[7];
    (void)sink;
    return 2.0 * 8 * 12 * (double)iterations;
}

// No FMA in the baseline: a multiply and an add per lane, the two flops an FMA would do.
static double fma_baseline(long iterations) {
    __m128 acc[12];
    const __m128 m = _mm_set1_ps(0.999999f), a = _mm_set1_ps(1e-7f);
    for (int i = 0; i < 12; i++) acc[i] = _mm_set1_ps((float)i);
    for (long it = 0; it < iterations; it++)
        for (int i = 0; i < 12; i++) acc[i] = _mm_add_ps(_mm_mul_ps(acc[i], m), a);
    __m128 s = acc[0];
    for (int i = 1; i < 12; i++) s = _mm_add_ps(s, acc[i]);
    volatile float sink = _mm_cvtss_f32(s);
    (void)sink;
    return 2.0 * 4 * 12 * (double)iterations;
}

// The bf16 dot-product peak: vdpbf16ps adds to each of 16 float lanes the products of two
// pairs of bf16 values (4 flops a lane), 16 independent accumulators as above.
__attribute__((target("avx512f,avx512bf16"))) static double bf16_dot_avx512(long iterations) {
    __m512 acc[16];
    const __m512bh x = (__m512bh)_mm512_set1_epi16(0x3F80), y = (__m512bh)_mm512_set1_epi16(0x3380);   // 1, ~6e-8
    for (int i = 0; i < 16; i++) acc[i] = _mm512_set1_ps((float)i);
    for (long it = 0; it < iterations; it++)
        for (int i = 0; i < 16; i++) acc[i] = _mm512_dpbf16_ps(acc[i], x, y);
    __m512 s = acc[0];
    for (int i = 1; i < 16; i++) s = _mm512_add_ps(s, acc[i]);
    volatile float sink = _mm512_reduce_add_ps(s);
    (void)sink;
    return 4.0 * 16 * 16 * (double)iterations;
}

double srnn_bf16_dot_peak_loop(long iterations) {
    return srnn_cpu_has_avx512_bf16() ? bf16_dot_avx512(iterations) : 0;
}

double srnn_fma_peak_loop(int variant, long iterations) {
    int top = srnn_kernels_best_supported();
    if (variant > top) variant = top;
    switch (variant) {
    case SRNN_KERNELS_AVX512: return fma_avx512(iterations);
    case SRNN_KERNELS_AVX2: return fma_avx2(iterations);
    default: return fma_baseline(iterations);
    }
}
#else
double srnn_bf16_dot_peak_loop(long iterations) { (void)iterations; return 0; }

double srnn_fma_peak_loop(int variant, long iterations) {
    (void)variant;
    float acc[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    for (long it = 0; it < iterations; it++)
        for (int i = 0; i < 8; i++) acc[i] = acc[i] * 0.999999f + 1e-7f;
    volatile float sink = acc[0] + acc[7];
    (void)sink;
    return 2.0 * 8 * (double)iterations;
}
#endif
