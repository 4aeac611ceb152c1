#!/usr/bin/env bash
# Builds every DocC catalog with warnings as errors: a broken symbol link (``Name``), an
# undocumented parameter of a documented function or a missing article fails here.
# (The Swift blocks of the articles compile in Tests/SnippetTests; relative links of the
# README and docs/ are checked by DocumentationTests.)
# Usage: scripts/check-docs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
for target in Linalg SafeTensors RNN RNNTraining RNNDistributed ONNXExport SequenceData; do
    echo "== documentation of $target"
    swift package --disable-sandbox generate-documentation --target "$target" --warnings-as-errors >docc.log 2>&1 || {
        grep -E "error|warning" -A4 docc.log; rm -f docc.log; exit 1
    }
done
rm -f docc.log
