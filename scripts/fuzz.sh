#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for a bounded time (default 20 s).
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(repo_path_fuzz natural_sort_fuzz checkpoint_fuzz pickle_fuzz safetensors_fuzz npy_fuzz zip_fuzz
           stored_tokens_fuzz front_matter_fuzz yaml_scalar_fuzz content_range_fuzz journal_fuzz)
fi
if [[ ! -f build-fuzz/build.ninja ]]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DOCLIP_FUZZ=ON -DOCLIP_BUILD_TESTS=OFF -DOCLIP_WITH_TORCH=OFF >/dev/null
fi
cmake --build build-fuzz --target "${targets[@]}" -- -j"$(nproc)"
for target in "${targets[@]}"; do
  corpus=build-fuzz/corpus/$target
  mkdir -p "$corpus"
  cp -n tests/fuzz/seeds/"$target"/* "$corpus"/ 2>/dev/null || true
  log=build-fuzz/$target.log
  status=0
  build-fuzz/tests/fuzz/$target -max_total_time="$seconds" -print_final_stats=1 "$corpus" >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  echo "fuzz: $target ran ${runs:-0} inputs in $seconds s, exit $status"
  if ((status != 0)); then
    grep -E 'ERROR|SUMMARY|Test unit written' "$log" >&2 || tail -20 "$log" >&2
    exit 1
  fi
done
