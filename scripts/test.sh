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
