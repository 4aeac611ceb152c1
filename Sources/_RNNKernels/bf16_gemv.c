// One row times a matrix in bfloat16, accumulated in float: the single-sequence step of
// bf16 inference (`srnn_gemv_rows` in fp32). The matrix is stored in pairs of rows — the
// layout of the AVX-512 BF16 dot product vdpbf16ps, which multiplies two bf16 pairs per
// 32-bit lane and adds both products to a float — so a step reads half the bytes of the
// fp32 product and does two multiply-adds per lane and instruction.

#include "rnn_kernels.h"
#include "bf16_round.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define SRNN_BF16_X86 1
#else
#define SRNN_BF16_X86 0
#endif

// Pairs of x rounded per pass over the columns: a chunk's pairs stay in L1 beside the
// accumulators, and a chunk boundary only stores and reloads y (no change of rounding).
#define SRNN_PAIR_CHUNK 256

static inline float widen_low(uint32_t pair) {
    uint32_t u = pair << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static inline float widen_high(uint32_t pair) {
    uint32_t u = pair & 0xFFFF0000u;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static inline uint32_t make_pair(uint16_t even, uint16_t odd) { return (uint32_t)even | ((uint32_t)odd << 16); }

void srnn_pack_bf16_pairs(const float *w, size_t ldw, size_t k, size_t n, uint32_t *out, size_t ldo) {
    for (size_t p = 0; p < (k + 1) / 2; p++) {
        const float *even = w + 2 * p * ldw;
        const float *odd = 2 * p + 1 < k ? even + ldw : NULL;
        uint32_t *row = out + p * ldo;
        for (size_t j = 0; j < n; j++) row[j] = make_pair(srnn_bf16_round1(even[j]), odd ? srnn_bf16_round1(odd[j]) : 0);
    }
}

// x's pairs p0 ..< p0 + count, rounded; a missing last element (odd k) is zero. In memory
// the pairs are the bf16 values in order (little-endian: the even element in the low
// half), so one contiguous loop, which the compiler vectorizes, writes them.
static inline __attribute__((always_inline)) void round_pairs(const float *x, size_t k, size_t p0, size_t count,
                                                              uint32_t *xp) {
    uint16_t halves[2 * SRNN_PAIR_CHUNK];
    size_t first = 2 * p0, n = k - first < 2 * count ? k - first : 2 * count;
    for (size_t e = 0; e < n; e++) halves[e] = srnn_bf16_round1(x[first + e]);
    if (n < 2 * count) halves[n] = 0;
    memcpy(xp, halves, 4 * count);
}

// Every processor: the dot product's arithmetic in scalar code. The products of two bf16
// values are exact in float, so each lane adds the odd pair's product, then the even
// pair's, each addition rounded — vdpbf16ps's order — with or without fused multiply-add.
static void gemv_bf16_portable(const float *x, const uint32_t *wp, size_t ldw, float *y, size_t k, size_t n) {
    uint32_t xp[SRNN_PAIR_CHUNK];
    size_t pairs = (k + 1) / 2;
    for (size_t p0 = 0; p0 < pairs; p0 += SRNN_PAIR_CHUNK) {
        size_t count = pairs - p0 < SRNN_PAIR_CHUNK ? pairs - p0 : SRNN_PAIR_CHUNK;
        round_pairs(x, k, p0, count, xp);
        for (size_t j0 = 0; j0 < n; j0 += 64) {
            size_t width = n - j0 < 64 ? n - j0 : 64;
            float acc[64];
            for (size_t j = 0; j < width; j++) acc[j] = y[j0 + j];
            for (size_t i = 0; i < count; i++) {
                const float x0 = widen_low(xp[i]), x1 = widen_high(xp[i]);
                const uint32_t *row = wp + (p0 + i) * ldw + j0;
                for (size_t j = 0; j < width; j++) {
                    acc[j] = acc[j] + x1 * widen_high(row[j]);
                    acc[j] = acc[j] + x0 * widen_low(row[j]);
                }
            }
            for (size_t j = 0; j < width; j++) y[j0 + j] = acc[j];
        }
    }
}

#if SRNN_BF16_X86
#define SRNN_BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

// `blocks` registers of 16 columns (the last one's lanes `last`) over a chunk's pairs:
// the accumulators stay in registers, each weight is read once.
static inline __attribute__((always_inline)) SRNN_BF16_TARGET void
dp_block(const uint32_t *xp, size_t count, const uint32_t *w, size_t ldw, float *y, int blocks, __mmask16 last) {
    __m512 acc[8];
    for (int r = 0; r < blocks; r++) acc[r] = _mm512_maskz_loadu_ps(r == blocks - 1 ? last : 0xFFFF, y + 16 * r);
    for (size_t i = 0; i < count; i++) {
        const __m512bh xb = (__m512bh)_mm512_set1_epi32((int)xp[i]);
        const uint32_t *row = w + i * ldw;
        for (int r = 0; r < blocks; r++) {
            __m512i wv = _mm512_maskz_loadu_epi32(r == blocks - 1 ? last : 0xFFFF, row + 16 * r);
            acc[r] = _mm512_dpbf16_ps(acc[r], (__m512bh)wv, xb);
        }
    }
    for (int r = 0; r < blocks; r++) _mm512_mask_storeu_ps(y + 16 * r, r == blocks - 1 ? last : 0xFFFF, acc[r]);
}

static SRNN_BF16_TARGET void gemv_bf16_avx512(const float *x, const uint32_t *wp, size_t ldw, float *y, size_t k,
                                              size_t n) {
    uint32_t xp[SRNN_PAIR_CHUNK];
    size_t pairs = (k + 1) / 2;
    for (size_t p0 = 0; p0 < pairs; p0 += SRNN_PAIR_CHUNK) {
        size_t count = pairs - p0 < SRNN_PAIR_CHUNK ? pairs - p0 : SRNN_PAIR_CHUNK;
        round_pairs(x, k, p0, count, xp);
        const uint32_t *w = wp + p0 * ldw;
        size_t j0 = 0;
        for (; j0 + 128 <= n; j0 += 128) dp_block(xp, count, w + j0, ldw, y + j0, 8, 0xFFFF);
        if (j0 + 64 <= n) { dp_block(xp, count, w + j0, ldw, y + j0, 4, 0xFFFF); j0 += 64; }
        if (j0 + 32 <= n) { dp_block(xp, count, w + j0, ldw, y + j0, 2, 0xFFFF); j0 += 32; }
        if (j0 + 16 <= n) { dp_block(xp, count, w + j0, ldw, y + j0, 1, 0xFFFF); j0 += 16; }
        if (j0 < n) dp_block(xp, count, w + j0, ldw, y + j0, 1, (__mmask16)((1u << (n - j0)) - 1));
    }
}

// Whether the processor has vdpbf16ps, asked once: CPUID is slow (a VM exit under a
// hypervisor). -1 until the first call; racing first calls store the same value.
static int dp_supported = -1;

static int has_dp(int variant) {
    int known = __atomic_load_n(&dp_supported, __ATOMIC_RELAXED);
    if (known < 0) {
        known = srnn_cpu_has_avx512_bf16();
        __atomic_store_n(&dp_supported, known, __ATOMIC_RELAXED);
    }
    return variant == SRNN_KERNELS_AVX512 && known;
}
#else
static int has_dp(int variant) { (void)variant; return 0; }
#endif

void srnn_gemv_rows_bf16_variant(int variant, const float *x, const uint32_t *wp, size_t ldw, float *y, size_t k,
                                 size_t n) {
#if SRNN_BF16_X86
    if (variant <= srnn_kernels_best_supported() && has_dp(variant)) return gemv_bf16_avx512(x, wp, ldw, y, k, n);
#endif
    gemv_bf16_portable(x, wp, ldw, y, k, n);
}

void srnn_gemv_rows_bf16(const float *x, const uint32_t *wp, size_t ldw, float *y, size_t k, size_t n) {
    srnn_gemv_rows_bf16_variant(srnn_kernels_variant(), x, wp, ldw, y, k, n);
}
