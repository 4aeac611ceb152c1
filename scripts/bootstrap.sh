#!/usr/bin/env bash
# Installs the system packages swift-rnn needs (Debian/Ubuntu), only when missing.
# Idempotent: a second run installs nothing and touches no package list.
set -euo pipefail

packages=(libopenblas-dev liblapacke-dev libdnnl-dev pkg-config libopenmpi-dev openmpi-bin)
missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

echo "bootstrap: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then sudo="sudo"; else
        echo "bootstrap: need root (or sudo) to install: ${missing[*]}" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${missing[@]}" >/dev/null
echo "bootstrap: done" >&2
