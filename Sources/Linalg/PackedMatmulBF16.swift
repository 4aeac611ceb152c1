import CDNNL

// Measured on a Zen 4 (scripts/dnnl-matmul-vs-gemm.c, one thread): oneDNN's matmul with
// packed weights ran 1.09x dnnl_gemm_bf16bf16f32 at 64x1024x256 and 1.18-1.23x at
// 64x4096x1024; 0.94x at 4096x1024x256.
/// `C = A B` or `C += A B` for bf16 `A` `[m, k]` (row stride `lda`) and a bf16 weight `B`
/// `[k, n]` kept packed in the layout oneDNN's matmul primitive prefers: the thin products
/// a recurrence repeats at every step with the same weight, where the packed matmul beats
/// the GEMM that packs `B` at each call. Float `C` `[m, n]` (row stride `ldc`), float
/// accumulation.
///
/// One thread's at a time (its stream); `pack` again whenever the weight changes.
package final class PackedMatmulBF16 {
    private let primitive: dnnl_primitive_t
    private let reorder: dnnl_primitive_t
    private let stream: dnnl_stream_t
    private let source: dnnl_memory_t, weights: dnnl_memory_t, packed: dnnl_memory_t, destination: dnnl_memory_t

    /// The product's plan, or nil when oneDNN cannot make one (the caller uses the GEMM).
    /// - Complexity: creating oneDNN primitives (tens of microseconds).
    package init?(m: Int, n: Int, k: Int, lda: Int, ldc: Int, accumulates: Bool) {
        guard let engine = Self.engine else { return nil }
        var a = dnnl_memory_desc_t(), plainB = dnnl_memory_desc_t(), anyB = dnnl_memory_desc_t(), c = dnnl_memory_desc_t()
        var aDims: [dnnl_dim_t] = [dnnl_dim_t(m), dnnl_dim_t(k)], aStrides: [dnnl_dim_t] = [dnnl_dim_t(lda), 1]
        var bDims: [dnnl_dim_t] = [dnnl_dim_t(k), dnnl_dim_t(n)]
        var cDims: [dnnl_dim_t] = [dnnl_dim_t(m), dnnl_dim_t(n)], cStrides: [dnnl_dim_t] = [dnnl_dim_t(ldc), 1]
        guard dnnl_memory_desc_init_by_strides(&a, 2, &aDims, dnnl_bf16, &aStrides) == dnnl_success,
            dnnl_memory_desc_init_by_tag(&plainB, 2, &bDims, dnnl_bf16, dnnl_ab) == dnnl_success,
            dnnl_memory_desc_init_by_tag(&anyB, 2, &bDims, dnnl_bf16, dnnl_format_tag_any) == dnnl_success,
            dnnl_memory_desc_init_by_strides(&c, 2, &cDims, dnnl_f32, &cStrides) == dnnl_success
        else { return nil }
        var description = dnnl_matmul_desc_t()
        guard dnnl_matmul_desc_init(&description, &a, &anyB, nil, &c) == dnnl_success else { return nil }
        var attributes: dnnl_primitive_attr_t?
        guard dnnl_primitive_attr_create(&attributes) == dnnl_success, let attributes else { return nil }
        defer { dnnl_primitive_attr_destroy(attributes) }
        if accumulates {
            var postOps: dnnl_post_ops_t?
            guard dnnl_post_ops_create(&postOps) == dnnl_success, let postOps else { return nil }
            defer { dnnl_post_ops_destroy(postOps) }
            guard dnnl_post_ops_append_sum(postOps, 1) == dnnl_success,
                dnnl_primitive_attr_set_post_ops(attributes, postOps) == dnnl_success
            else { return nil }
        }
        var matmulDescriptor: dnnl_primitive_desc_t?
        guard dnnl_primitive_desc_create(&matmulDescriptor, &description, attributes, engine, nil) == dnnl_success,
            let matmulDescriptor
        else { return nil }
        defer { dnnl_primitive_desc_destroy(matmulDescriptor) }
        guard let packedDescriptor = dnnl_primitive_desc_query_md(matmulDescriptor, dnnl_query_weights_md, 0) else {
            return nil
        }
        var reorderDescriptor: dnnl_primitive_desc_t?
        guard dnnl_reorder_primitive_desc_create(&reorderDescriptor, &plainB, engine, packedDescriptor, engine, nil) == dnnl_success,
            let reorderDescriptor
        else { return nil }
        defer { dnnl_primitive_desc_destroy(reorderDescriptor) }
        var primitive: dnnl_primitive_t?, reorder: dnnl_primitive_t?, stream: dnnl_stream_t?
        var source: dnnl_memory_t?, weights: dnnl_memory_t?, packed: dnnl_memory_t?, destination: dnnl_memory_t?
        let none = UnsafeMutableRawPointer(bitPattern: 0)  // DNNL_MEMORY_NONE: set per call
        guard dnnl_primitive_create(&primitive, matmulDescriptor) == dnnl_success, let primitive,
            dnnl_primitive_create(&reorder, reorderDescriptor) == dnnl_success, let reorder,
            dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue) == dnnl_success, let stream,
            dnnl_memory_create(&source, &a, engine, none) == dnnl_success, let source,
            dnnl_memory_create(&weights, &plainB, engine, none) == dnnl_success, let weights,
            dnnl_memory_create(&packed, packedDescriptor, engine, UnsafeMutableRawPointer(bitPattern: -1))
                == dnnl_success, let packed,  // DNNL_MEMORY_ALLOCATE
            dnnl_memory_create(&destination, &c, engine, none) == dnnl_success, let destination
        else { return nil }
        (self.primitive, self.reorder, self.stream) = (primitive, reorder, stream)
        (self.source, self.weights, self.packed, self.destination) = (source, weights, packed, destination)
    }

    deinit {
        dnnl_primitive_destroy(primitive)
        dnnl_primitive_destroy(reorder)
        for memory in [source, weights, packed, destination] { dnnl_memory_destroy(memory) }
        dnnl_stream_destroy(stream)
    }

    /// Packs the weight `b` (bf16 `[k, n]`, contiguous) for the products that follow.
    /// - Complexity: O(k·n).
    package func pack(_ b: UnsafePointer<UInt16>) {
        dnnl_memory_set_data_handle(weights, UnsafeMutableRawPointer(mutating: b))
        var arguments = [
            dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: weights), dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: packed),
        ]
        let status = dnnl_primitive_execute(reorder, stream, 2, &arguments)
        precondition(status == dnnl_success && dnnl_stream_wait(stream) == dnnl_success, "oneDNN's reorder failed")
    }

    /// `C (+)= A B` with the weight packed last.
    /// - Complexity: O(m·n·k).
    package func multiply(_ a: UnsafePointer<UInt16>, into c: UnsafeMutablePointer<Float>) {
        dnnl_memory_set_data_handle(source, UnsafeMutableRawPointer(mutating: a))
        dnnl_memory_set_data_handle(destination, UnsafeMutableRawPointer(c))
        var arguments = [
            dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: source), dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: packed),
            dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: destination),
        ]
        let status = dnnl_primitive_execute(primitive, stream, 3, &arguments)
        precondition(status == dnnl_success && dnnl_stream_wait(stream) == dnnl_success, "oneDNN's matmul failed")
    }

    /// The CPU engine, made once (thread-safe in oneDNN).
    nonisolated(unsafe) private static let engine: dnnl_engine_t? = {
        var engine: dnnl_engine_t?
        return dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success ? engine : nil
    }()
}
