// The bf16 GEMM the library calls (oneDNN's dnnl_gemm_bf16bf16f32, plain row-major
// operands) against oneDNN's matmul primitive with its weights reordered once into the
// layout the primitive prefers (what "packed once per step" would buy), on the shapes of
// a training step, one thread. A measurement for docs/performance.md, not part of the
// package. Build and run (OMP_NUM_THREADS=1 keeps both on one thread):
//
//   cc -O2 -o /tmp/dnnl-matmul-vs-gemm scripts/dnnl-matmul-vs-gemm.c -ldnnl
//   OMP_NUM_THREADS=1 /tmp/dnnl-matmul-vs-gemm
#include <oneapi/dnnl/dnnl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

dnnl_status_t dnnl_gemm_bf16bf16f32(char transa, char transb, dnnl_dim_t M, dnnl_dim_t N, dnnl_dim_t K, float alpha,
                                    const uint16_t *A, dnnl_dim_t lda, const uint16_t *B, dnnl_dim_t ldb, float beta,
                                    float *C, dnnl_dim_t ldc);

#define CHECK(call)                                                                  \
    do {                                                                             \
        dnnl_status_t status = (call);                                               \
        if (status != dnnl_success) {                                                \
            fprintf(stderr, "%s:%d: %s failed (%d)\n", __FILE__, __LINE__, #call, (int)status); \
            exit(1);                                                                 \
        }                                                                            \
    } while (0)

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

// Seconds per call: the best of 5 rounds of enough calls for ~0.2 s.
typedef void (*call_fn)(void *);
static double time_calls(call_fn f, void *ctx) {
    for (int i = 0; i < 3; i++) f(ctx);
    double start = now();
    long n = 0;
    while (now() - start < 0.05) { f(ctx); n++; }
    double best = 1e9;
    for (int round = 0; round < 5; round++) {
        double t0 = now();
        for (long i = 0; i < n * 4; i++) f(ctx);
        double per = (now() - t0) / (n * 4);
        if (per < best) best = per;
    }
    return best;
}

struct gemm_ctx { int M, N, K; uint16_t *a, *b; float *c; };
static void run_gemm(void *p) {
    struct gemm_ctx *g = p;
    CHECK(dnnl_gemm_bf16bf16f32('N', 'N', g->M, g->N, g->K, 1.0f, g->a, g->K, g->b, g->N, 0.0f, g->c, g->N));
}

struct matmul_ctx { dnnl_primitive_t prim; dnnl_stream_t stream; dnnl_exec_arg_t args[3]; };
static void run_matmul(void *p) {
    struct matmul_ctx *m = p;
    CHECK(dnnl_primitive_execute(m->prim, m->stream, 3, m->args));
    CHECK(dnnl_stream_wait(m->stream));
}

int main(void) {
    // M x N x K: the step's shapes at ref (B 64, H 256) and large (H 1024), the output
    // layer and the input projection of a chunk (T·B = 4096 rows).
    int shapes[][3] = {{64, 1024, 256}, {32, 1024, 256}, {64, 4096, 1024}, {4096, 65, 256}, {4096, 1024, 256}};
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
    printf("%-18s %12s %12s %8s  %s\n", "M x N x K", "gemm GF/s", "matmul GF/s", "ratio", "matmul implementation");
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        uint16_t *a = malloc(sizeof(uint16_t) * M * K), *b = malloc(sizeof(uint16_t) * K * N);
        float *c = malloc(sizeof(float) * M * N);
        for (long i = 0; i < (long)M * K; i++) a[i] = 0x3F80 + (i % 7);   // ~1.0–1.05 in bf16
        for (long i = 0; i < (long)K * N; i++) b[i] = 0x3C00 + (i % 5);   // ~0.0078
        struct gemm_ctx g = {M, N, K, a, b, c};
        double gemm_seconds = time_calls(run_gemm, &g);

        dnnl_memory_desc_t a_md, b_plain, b_any, c_md;
        dnnl_dims_t ad = {M, K}, bd = {K, N}, cd = {M, N};
        CHECK(dnnl_memory_desc_init_by_tag(&a_md, 2, ad, dnnl_bf16, dnnl_ab));
        CHECK(dnnl_memory_desc_init_by_tag(&b_plain, 2, bd, dnnl_bf16, dnnl_ab));
        CHECK(dnnl_memory_desc_init_by_tag(&b_any, 2, bd, dnnl_bf16, dnnl_format_tag_any));
        CHECK(dnnl_memory_desc_init_by_tag(&c_md, 2, cd, dnnl_f32, dnnl_ab));
        dnnl_matmul_desc_t desc;
        CHECK(dnnl_matmul_desc_init(&desc, &a_md, &b_any, NULL, &c_md));
        dnnl_primitive_desc_t pd;
        CHECK(dnnl_primitive_desc_create(&pd, &desc, NULL, engine, NULL));
        const char *impl = "?";
        CHECK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl));
        const dnnl_memory_desc_t *b_packed_md = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
        dnnl_memory_t a_mem, b_mem, b_packed, c_mem;
        CHECK(dnnl_memory_create(&a_mem, &a_md, engine, a));
        CHECK(dnnl_memory_create(&b_mem, &b_plain, engine, b));
        CHECK(dnnl_memory_create(&b_packed, b_packed_md, engine, DNNL_MEMORY_ALLOCATE));
        CHECK(dnnl_memory_create(&c_mem, &c_md, engine, c));
        // The weights reordered once (timed apart: a training step pays it once per step).
        dnnl_primitive_desc_t rpd;
        dnnl_primitive_t reorder;
        CHECK(dnnl_reorder_primitive_desc_create(&rpd, &b_plain, engine, b_packed_md, engine, NULL));
        CHECK(dnnl_primitive_create(&reorder, rpd));
        dnnl_exec_arg_t rargs[2] = {{DNNL_ARG_FROM, b_mem}, {DNNL_ARG_TO, b_packed}};
        double t0 = now();
        CHECK(dnnl_primitive_execute(reorder, stream, 2, rargs));
        CHECK(dnnl_stream_wait(stream));
        double reorder_seconds = now() - t0;
        struct matmul_ctx m = {.stream = stream};
        CHECK(dnnl_primitive_create(&m.prim, pd));
        m.args[0] = (dnnl_exec_arg_t){DNNL_ARG_SRC, a_mem};
        m.args[1] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, b_packed};
        m.args[2] = (dnnl_exec_arg_t){DNNL_ARG_DST, c_mem};
        double matmul_seconds = time_calls(run_matmul, &m);
        double flops = 2.0 * M * N * K;
        char label[32];
        snprintf(label, sizeof label, "%dx%dx%d", M, N, K);
        printf("%-18s %12.1f %12.1f %7.2fx  %s (reorder %.0f us)\n", label, flops / gemm_seconds / 1e9,
               flops / matmul_seconds / 1e9, gemm_seconds / matmul_seconds, impl, reorder_seconds * 1e6);
        dnnl_primitive_destroy(m.prim);
        dnnl_primitive_destroy(reorder);
        dnnl_primitive_desc_destroy(rpd);
        dnnl_primitive_desc_destroy(pd);
        dnnl_memory_destroy(a_mem);
        dnnl_memory_destroy(b_mem);
        dnnl_memory_destroy(b_packed);
        dnnl_memory_destroy(c_mem);
        free(a);
        free(b);
        free(c);
    }
    dnnl_stream_destroy(stream);
    dnnl_engine_destroy(engine);
    return 0;
}
