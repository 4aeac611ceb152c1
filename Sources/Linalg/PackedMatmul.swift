import CDNNL

// Measured on a Zen 4 (scripts/dnnl-matmul-vs-gemm.c, one thread, accumulating, operands
// aligned as the library's): against dnnl_gemm_bf16bf16f32, the bf16 matmul runs
// 1.11-1.17x at 32-64x1024x256 and 1.33x at 64x4096x1024, 0.83x at 4096x1024x256; the
// library uses it for bf16's thin products. Against dnnl_sgemm the fp32 matmul runs only
// 1.02-1.03x at 32-320x1024x256 and 0.91x at 64x4096x1024, and no faster in a whole
// encoder or training step, so fp32 keeps the GEMM.
/// `C = A B` or `C += A B` of one shape: `A` `[m, k]` (row stride `lda`) times a weight `B`
/// `[k, n]` kept packed (`PackedWeight`) in the layout oneDNN's matmul primitive prefers —
/// the thin products a recurrence repeats at every step with the same weight, where the
/// packed matmul beats the GEMM that packs `B` at each call. The operands are floats or
/// bf16 bits (`operands`); `C` `[m, n]` (row stride `ldc`) is float, accumulated in float.
///
/// One thread's at a time (its stream).
package final class PackedMatmul {
    /// What `A` and `B` hold: floats (`fp32`) or bf16 bits (`bf16`).
    package let operands: Precision
    /// oneDNN's name for the kernel it chose, as `brg:avx512_core` (its blocked GEMM).
    package let implementation: String
    let n: Int, k: Int
    /// The packed weight's layout.
    fileprivate var weightLayout: dnnl_memory_desc_t
    private let primitive: dnnl_primitive_t
    private let stream: dnnl_stream_t
    private let source: dnnl_memory_t, destination: dnnl_memory_t

    /// The product's plan, or nil when oneDNN cannot make one (the caller uses the GEMM).
    /// - Complexity: creating a oneDNN primitive (about 0.1 ms; its kernel is generated).
    package init?(_ operands: Precision, m: Int, n: Int, k: Int, lda: Int, ldc: Int, accumulates: Bool) {
        guard let engine = PackedMatmul.engine else { return nil }
        let type = operands.dnnlType
        var a = dnnl_memory_desc_t(), anyB = dnnl_memory_desc_t(), c = dnnl_memory_desc_t()
        var aDims: [dnnl_dim_t] = [dnnl_dim_t(m), dnnl_dim_t(k)], aStrides: [dnnl_dim_t] = [dnnl_dim_t(lda), 1]
        var bDims: [dnnl_dim_t] = [dnnl_dim_t(k), dnnl_dim_t(n)]
        var cDims: [dnnl_dim_t] = [dnnl_dim_t(m), dnnl_dim_t(n)], cStrides: [dnnl_dim_t] = [dnnl_dim_t(ldc), 1]
        guard dnnl_memory_desc_init_by_strides(&a, 2, &aDims, type, &aStrides) == dnnl_success,
            dnnl_memory_desc_init_by_tag(&anyB, 2, &bDims, type, dnnl_format_tag_any) == dnnl_success,
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
        var name: UnsafePointer<CChar>?
        guard dnnl_primitive_desc_query(matmulDescriptor, dnnl_query_impl_info_str, 0, &name) == dnnl_success,
            let name, let layout = dnnl_primitive_desc_query_md(matmulDescriptor, dnnl_query_weights_md, 0)
        else { return nil }
        var primitive: dnnl_primitive_t?, stream: dnnl_stream_t?
        var source: dnnl_memory_t?, destination: dnnl_memory_t?
        let none = UnsafeMutableRawPointer(bitPattern: 0)  // DNNL_MEMORY_NONE: set per call
        guard dnnl_primitive_create(&primitive, matmulDescriptor) == dnnl_success, let primitive,
            dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue) == dnnl_success, let stream,
            dnnl_memory_create(&source, &a, engine, none) == dnnl_success, let source,
            dnnl_memory_create(&destination, &c, engine, none) == dnnl_success, let destination
        else { return nil }
        (self.operands, self.implementation, self.n, self.k) = (operands, String(cString: name), n, k)
        (self.weightLayout, self.primitive, self.stream) = (layout.pointee, primitive, stream)
        (self.source, self.destination) = (source, destination)
    }

    deinit {
        dnnl_primitive_destroy(primitive)
        dnnl_memory_destroy(source)
        dnnl_memory_destroy(destination)
        dnnl_stream_destroy(stream)
    }

    /// `C (+)= A B` with `weight` (made for this plan or one of the same layout, `fits`),
    /// `A` floats or bf16 bits as `operands` says.
    /// - Complexity: O(m·n·k).
    package func multiply(_ a: UnsafeRawPointer, _ weight: PackedWeight, into c: UnsafeMutablePointer<Float>) {
        precondition(weight.fits(self), "the weight is packed for another layout")
        dnnl_memory_set_data_handle(source, UnsafeMutableRawPointer(mutating: a))
        dnnl_memory_set_data_handle(destination, UnsafeMutableRawPointer(c))
        var arguments = [
            dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: source), dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: weight.memory),
            dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: destination),
        ]
        let status = dnnl_primitive_execute(primitive, stream, 3, &arguments)
        precondition(status == dnnl_success && dnnl_stream_wait(stream) == dnnl_success, "oneDNN's matmul failed")
    }

    /// The CPU engine, made once (thread-safe in oneDNN).
    nonisolated(unsafe) fileprivate static let engine: dnnl_engine_t? = {
        var engine: dnnl_engine_t?
        return dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success ? engine : nil
    }()
}

/// A weight `[k, n]` in a `PackedMatmul`'s packed layout, and the version of the values it
/// holds. oneDNN packs a weight alike for every row count `m` of a shape, so one packed copy
/// serves all the plans it `fits` (a beam search's steps, whose rows shrink as sources end).
///
/// One thread's at a time; `pack` again whenever the weight changes.
package final class PackedWeight {
    /// The caller's version of the values last packed (nil: none yet).
    package var version: UInt64?
    fileprivate let memory: dnnl_memory_t
    private var layout: dnnl_memory_desc_t
    private let plain: dnnl_memory_t
    private let reorder: dnnl_primitive_t
    private let stream: dnnl_stream_t

    /// Storage in `plan`'s layout, or nil when oneDNN cannot make it.
    /// - Complexity: O(k·n) to allocate; creating a reorder primitive.
    package init?(for plan: PackedMatmul) {
        guard let engine = PackedMatmul.engine else { return nil }
        var plainLayout = dnnl_memory_desc_t(), layout = plan.weightLayout
        var dims: [dnnl_dim_t] = [dnnl_dim_t(plan.k), dnnl_dim_t(plan.n)]
        guard dnnl_memory_desc_init_by_tag(&plainLayout, 2, &dims, plan.operands.dnnlType, dnnl_ab) == dnnl_success
        else { return nil }
        var reorderDescriptor: dnnl_primitive_desc_t?
        guard dnnl_reorder_primitive_desc_create(&reorderDescriptor, &plainLayout, engine, &layout, engine, nil) == dnnl_success,
            let reorderDescriptor
        else { return nil }
        defer { dnnl_primitive_desc_destroy(reorderDescriptor) }
        var reorder: dnnl_primitive_t?, stream: dnnl_stream_t?, plain: dnnl_memory_t?, memory: dnnl_memory_t?
        let none = UnsafeMutableRawPointer(bitPattern: 0)  // DNNL_MEMORY_NONE: set per call
        guard dnnl_primitive_create(&reorder, reorderDescriptor) == dnnl_success, let reorder,
            dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue) == dnnl_success, let stream,
            dnnl_memory_create(&plain, &plainLayout, engine, none) == dnnl_success, let plain,
            dnnl_memory_create(&memory, &layout, engine, UnsafeMutableRawPointer(bitPattern: -1))
                == dnnl_success, let memory  // DNNL_MEMORY_ALLOCATE
        else { return nil }
        (self.layout, self.reorder, self.stream, self.plain, self.memory) = (layout, reorder, stream, plain, memory)
    }

    deinit {
        dnnl_primitive_destroy(reorder)
        dnnl_memory_destroy(plain)
        dnnl_memory_destroy(memory)
        dnnl_stream_destroy(stream)
    }

    /// Whether `plan` reads this layout.
    package func fits(_ plan: PackedMatmul) -> Bool { dnnl_memory_desc_equal(&layout, &plan.weightLayout) != 0 }

    /// Packs `b` (`[k, n]`, contiguous; floats or bf16 bits as the plan's `operands`) for
    /// the products that follow, and records `version`.
    /// - Complexity: O(k·n).
    package func pack(_ b: UnsafeRawPointer, version: UInt64?) {
        dnnl_memory_set_data_handle(plain, UnsafeMutableRawPointer(mutating: b))
        var arguments = [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: plain), dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: memory)]
        let status = dnnl_primitive_execute(reorder, stream, 2, &arguments)
        precondition(status == dnnl_success && dnnl_stream_wait(stream) == dnnl_success, "oneDNN's reorder failed")
        self.version = version
    }
}

extension Precision {
    fileprivate var dnnlType: dnnl_data_type_t {
        switch self {
        case .fp32: return dnnl_f32
        case .bf16: return dnnl_bf16
        }
    }
}
