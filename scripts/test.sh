#!/usr/bin/env bash
# Bootstraps the system packages, then runs the whole test suite: once as a user's
# machine runs it (the automatic GEMM backend, the best kernel variant), then again with
# each GEMM backend forced, with each kernel variant this CPU supports forced and, where
# the CPU has bf16 dot products, with every model in bf16, so that every code path the
# machine can run is tested on it.
# Usage: scripts/test.sh [extra swift test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
# The formatter's rules (.swift-format), then the DocC catalogs without a warning
# (symbol links, parameter docs).
swift format lint --strict --recursive --parallel Sources Tests Examples Benchmarks Package.swift
scripts/check-docs.sh
# RNNDistributedTests start mpirun (Open MPI, installed by the bootstrap) with tiny models:
# about 12 s of each run below, so they run in every one (each backend and kernel variant
# trains through them too).
# Release build: the suite trains real models (gradient checks, the tutorial example,
# synthetic tasks) and runs ~10x faster optimized; preconditions stay on in -O.
swift build -c release --build-tests
swift test -c release --skip-build "$@"

# The GEMM backends (Linalg's GEMMBackend): OpenBLAS and oneDNN, each forced.
for backend in openblas onednn; do
    echo "== again with the $backend GEMM backend: SWIFT_RNN_GEMM=$backend"
    SWIFT_RNN_GEMM=$backend swift test -c release --skip-build "$@"
done

# The kernel variants (Linalg's KernelVariant) the CPU supports, each forced: what
# machines without AVX-512, or without AVX2, run.
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
has() { for f in "$@"; do [[ " $flags " == *" $f "* ]] || return 1; done; }
variants=(baseline)
if has avx2 fma; then variants+=(avx2); fi
if has avx2 fma avx512f avx512dq avx512bw avx512vl; then variants+=(avx512); fi
for variant in "${variants[@]}"; do
    echo "== again with the $variant kernels: SWIFT_RNN_KERNELS=$variant"
    SWIFT_RNN_KERNELS=$variant swift test -c release --skip-build "$@"
done

# bf16 mixed precision (Linalg's Precision) forced for every model the tests make, where
# the CPU has AVX-512 BF16: the tests whose references are fp32 (finite differences,
# PyTorch, fixtures, one process against a split) hold fp32 (ToolTesting's
# PrecisionScope); the rest, and the tools they run, go through bf16.
if has avx512_bf16; then
    echo "== again with every model in bf16: SWIFT_RNN_PRECISION=bf16"
    SWIFT_RNN_PRECISION=bf16 swift test -c release --skip-build "$@"
fi
