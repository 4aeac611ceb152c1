#!/usr/bin/env bash
# Bootstraps the system packages, then runs the whole test suite.
# Usage: scripts/test.sh [extra swift test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
# Release build: the suite trains real models (gradient checks, the tutorial example,
# synthetic tasks) and runs ~10x faster optimized; preconditions stay on in -O.
swift build -c release --build-tests
swift test -c release --skip-build "$@"
# The elementwise kernels have an AVX2 + FMA variant and a baseline one; where the
# first ran above, run the numerical suites again on the second (what a machine
# without AVX2 runs).
if grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo 2>/dev/null; then
    echo "== again with the baseline (SSE2) elementwise kernels: SWIFT_RNN_KERNELS=baseline"
    SWIFT_RNN_KERNELS=baseline swift test -c release --skip-build --filter "^(LinalgTests|RNNTests)\." "$@"
fi
