// The C interfaces of oneDNN (Debian's libdnnl-dev: dnnl_sgemm and the bf16 GEMM, the CPU ISA it
// dispatches to) and the two OpenMP calls that set its thread count. Debian builds oneDNN
// on GNU OpenMP (libgomp), whose thread count is an ICV of the calling thread: each
// thread that calls dnnl_sgemm can choose its own. The declarations are OpenMP's
// (omp.h is GCC's, not on clang's include path).
// Only the Linalg module imports this; no C type leaves it.
#ifndef SWIFT_RNN_CDNNL_SHIM_H
#define SWIFT_RNN_CDNNL_SHIM_H

#include <oneapi/dnnl/dnnl.h>
#include <stdint.h>

// oneDNN's bf16 GEMM: C = alpha op(A) op(B) + beta C, row-major as dnnl_sgemm, with bf16
// A and B (the upper 16 bits of a float) and float C, accumulated in float. libdnnl
// exports it (Debian lists it in the package's symbols file) but dnnl.h does not declare
// it; this is its declaration in oneDNN's own tests (bfloat16_t is 16 bits, a uint16_t in
// the ABI).
dnnl_status_t dnnl_gemm_bf16bf16f32(char transa, char transb, dnnl_dim_t M, dnnl_dim_t N, dnnl_dim_t K, float alpha,
                                    const uint16_t *A, dnnl_dim_t lda, const uint16_t *B, dnnl_dim_t ldb, float beta,
                                    float *C, dnnl_dim_t ldc);

void omp_set_num_threads(int num_threads);
int omp_get_max_threads(void);

#endif
