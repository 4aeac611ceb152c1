// bfloat16 rounding shared by the kernels (not part of the public header).
#ifndef SRNN_BF16_ROUND_H
#define SRNN_BF16_ROUND_H

#include <stdint.h>
#include <string.h>

// bfloat16: the upper half of a float's bits. Rounding is to nearest, ties to even, done
// on the integer bits so that every variant (and the scalar reference of the tests) gives
// the same result for every input: subnormals are rounded, not flushed (the AVX-512 BF16
// instruction vcvtneps2bf16 would flush them), a float that rounds past the largest bf16
// becomes infinity, and a NaN stays a NaN of the same sign (quiet bit set).
static inline __attribute__((always_inline)) uint16_t srnn_bf16_round1(float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    uint32_t rounded = (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
    uint32_t quiet = (u >> 16) | 0x0040u;
    return (uint16_t)((u & 0x7FFFFFFFu) > 0x7F800000u ? quiet : rounded);
}

#endif
