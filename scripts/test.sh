#!/usr/bin/env bash
# Builds oclip twice (normal, then with AddressSanitizer and UBSan) and runs every test in both,
# then the fuzz targets.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

bash scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo
ctest --test-dir build --output-on-failure -j2

bash scripts/build.sh build-sanitize -DCMAKE_BUILD_TYPE=Debug -DOCLIP_SANITIZE=ON -DOCLIP_WITH_TORCH=OFF
# The "big" tests (1.5 GB of regenerated golden checkpoints) ran above; under ASan they take minutes.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-sanitize --output-on-failure -j2 -LE big

# Parsers of what servers send, under libFuzzer for a bounded time.
bash scripts/fuzz.sh 15
