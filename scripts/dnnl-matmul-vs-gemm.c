// The GEMM the library calls (oneDNN's dnnl_gemm_bf16bf16f32, or dnnl_sgemm with `f32`;
// plain row-major operands) against oneDNN's matmul primitive with its weights reordered
// once into the layout the primitive prefers (what "packed once per step" would buy), on
// the shapes of a training step, one thread. Both accumulate into C (beta 1, a sum
// post-op), as a step's recurrent product does. A measurement for docs/performance.md,
// not part of the package. Build and run (OMP_NUM_THREADS=1 keeps both on one thread):
//
//   cc -O2 -o /tmp/dnnl-matmul-vs-gemm scripts/dnnl-matmul-vs-gemm.c -ldnnl
//   OMP_NUM_THREADS=1 /tmp/dnnl-matmul-vs-gemm [bf16|f32] [MxNxK ...]
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

struct gemm_ctx { int f32, M, N, K; void *a, *b; float *c; };
static void run_gemm(void *p) {
    struct gemm_ctx *g = p;
    if (g->f32)
        CHECK(dnnl_sgemm('N', 'N', g->M, g->N, g->K, 1.0f, g->a, g->K, g->b, g->N, 1.0f, g->c, g->N));
    else
        CHECK(dnnl_gemm_bf16bf16f32('N', 'N', g->M, g->N, g->K, 1.0f, g->a, g->K, g->b, g->N, 1.0f, g->c, g->N));
}

struct matmul_ctx { dnnl_primitive_t prim; dnnl_stream_t stream; dnnl_exec_arg_t args[3]; };
static void run_matmul(void *p) {
    struct matmul_ctx *m = p;
    CHECK(dnnl_primitive_execute(m->prim, m->stream, 3, m->args));
    CHECK(dnnl_stream_wait(m->stream));
}

int main(int argc, char **argv) {
    // M x N x K: the step's shapes at ref (B 64, H 256) and large (H 1024), the output
    // layer and the input projection of a chunk (T·B = 4096 rows), unless given.
    int defaults[][3] = {{64, 1024, 256}, {32, 1024, 256}, {64, 4096, 1024}, {4096, 65, 256}, {4096, 1024, 256}};
    int f32 = argc > 1 && argv[1][0] == 'f';
    int count = argc > 2 ? argc - 2 : (int)(sizeof defaults / sizeof defaults[0]);
    int (*shapes)[3] = argc > 2 ? calloc(count, sizeof *shapes) : defaults;
    for (int s = 0; argc > 2 && s < count; s++)
        if (sscanf(argv[s + 2], "%dx%dx%d", &shapes[s][0], &shapes[s][1], &shapes[s][2]) != 3) {
            fprintf(stderr, "a shape is MxNxK, not '%s'\n", argv[s + 2]);
            return 2;
        }
    dnnl_data_type_t type = f32 ? dnnl_f32 : dnnl_bf16;
    size_t size = f32 ? sizeof(float) : sizeof(uint16_t);
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
    printf("%s operands\n%-18s %12s %12s %8s  %s\n", f32 ? "f32" : "bf16", "M x N x K", "gemm GF/s", "matmul GF/s",
           "ratio", "matmul implementation");
    for (int s = 0; s < count; s++) {
        int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        // 64-byte aligned, as the library's buffers: malloc's 16-byte offset from a page costs
        // dnnl_sgemm 10-15% on N = 1024 (90 against 105 GFLOP/s at 64x1024x256 on a Zen 4).
        void *a = aligned_alloc(64, size * M * K + 64), *b = aligned_alloc(64, size * K * N + 64);
        float *c = aligned_alloc(64, sizeof(float) * M * N + 64);
        for (long i = 0; i < (long)M * N; i++) c[i] = 0;
        for (long i = 0; i < (long)M * K; i++) {
            if (f32) ((float *)a)[i] = 1.0f + (i % 7) * 0.01f;
            else ((uint16_t *)a)[i] = 0x3F80 + (i % 7);   // ~1.0–1.05 in bf16
        }
        for (long i = 0; i < (long)K * N; i++) {
            if (f32) ((float *)b)[i] = 0.0078f + (i % 5) * 1e-4f;
            else ((uint16_t *)b)[i] = 0x3C00 + (i % 5);   // ~0.0078
        }
        struct gemm_ctx g = {f32, M, N, K, a, b, c};
        double gemm_seconds = time_calls(run_gemm, &g);

        dnnl_memory_desc_t a_md, b_plain, b_any, c_md;
        dnnl_dims_t ad = {M, K}, bd = {K, N}, cd = {M, N};
        CHECK(dnnl_memory_desc_init_by_tag(&a_md, 2, ad, type, dnnl_ab));
        CHECK(dnnl_memory_desc_init_by_tag(&b_plain, 2, bd, type, dnnl_ab));
        CHECK(dnnl_memory_desc_init_by_tag(&b_any, 2, bd, type, dnnl_format_tag_any));
        CHECK(dnnl_memory_desc_init_by_tag(&c_md, 2, cd, dnnl_f32, dnnl_ab));
        dnnl_matmul_desc_t desc;
        CHECK(dnnl_matmul_desc_init(&desc, &a_md, &b_any, NULL, &c_md));
        dnnl_primitive_attr_t attr;
        dnnl_post_ops_t post_ops;
        CHECK(dnnl_primitive_attr_create(&attr));
        CHECK(dnnl_post_ops_create(&post_ops));
        CHECK(dnnl_post_ops_append_sum(post_ops, 1.0f));
        CHECK(dnnl_primitive_attr_set_post_ops(attr, post_ops));
        dnnl_primitive_desc_t pd;
        CHECK(dnnl_primitive_desc_create(&pd, &desc, attr, engine, NULL));
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
        dnnl_post_ops_destroy(post_ops);
        dnnl_primitive_attr_destroy(attr);
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
