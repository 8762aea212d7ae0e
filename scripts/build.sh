#!/usr/bin/env bash
# Configures and builds one build folder. usage: build.sh DIR [cmake options...]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$1
shift
if [[ ! -f "$dir/build.ninja" ]]; then
  cmake -S . -B "$dir" -G Ninja -DOCLIP_BUILD_TESTS=ON "$@" >/dev/null
fi
cmake --build "$dir" -- -j"$(nproc)"
