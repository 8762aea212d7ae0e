#!/usr/bin/env bash
# One large LFS download from the local Hub on loopback: oclip (parallel ranges, sha256 while
# downloading) against curl (one stream), aria2c -x4 and @huggingface/hub, in one run.
#   bash bench/pull.sh [SIZE_MIB] [THROTTLED_SIZE_MIB]    defaults: 1024 256
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh bench
bash scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
module=$(bash scripts/install_npm_client.sh build)
size_mib=${1:-1024}
throttled_mib=${2:-256}
throttle_kib=20480  # per connection, for the second run: 20 MiB/s

work=$(mktemp -d)
hub_pid=""
stop_hub() {
  [[ -n "$hub_pid" ]] && kill "$hub_pid" 2>/dev/null && wait "$hub_pid" 2>/dev/null
  hub_pid=""
}
trap 'stop_hub; rm -rf "$work"' EXIT

start_hub() {  # SEED_DIR [local-hub flags...]
  rm -f "$work/ports.json"
  build/local-hub --repo "bench/big=$1" "${@:2}" --port-file "$work/ports.json" >/dev/null &
  hub_pid=$!
  until [[ -s "$work/ports.json" ]]; do sleep 0.05; done
  endpoint="http://127.0.0.1:$(sed -E 's/.*"api":([0-9]+).*/\1/' "$work/ports.json")"
  cdn_url=$(curl -sS -o /dev/null -w '%{redirect_url}' "$endpoint/bench/big/resolve/main/open_clip_model.safetensors")
}

# Prints "seconds cpu_seconds peak_rss_mib" for one command.
measure() {
  /usr/bin/time -f '%e %U %S %M' -o "$work/time.txt" "$@" >/dev/null 2>"$work/stderr.txt" || {
    cat "$work/stderr.txt" >&2
    return 1
  }
  awk '{printf "%s %.2f %.0f\n", $1, $2 + $3, $4 / 1024}' "$work/time.txt"
}

row() {  # NAME MIB seconds cpu rss
  awk -v n="$1" -v mib="$2" -v s="$3" -v c="$4" -v r="$5" \
    'BEGIN { printf "| %s | %.0f MiB/s | %.2f s | %.2f s | %d MiB |\n", n, mib / s, s, c, r }'
}

# The run with the median wall time of RUNS, as "seconds cpu rss". Outputs are removed and dirty
# pages flushed before each run, so no tool pays for the previous one's writeback.
median_of() {  # RUNS CLEANUP_COMMAND COMMAND...
  local runs=$1 cleanup=$2
  shift 2
  : >"$work/runs.txt"
  for ((i = 0; i < runs; i++)); do
    eval "$cleanup"
    sync
    measure "$@" >>"$work/runs.txt"
  done
  sort -n "$work/runs.txt" | sed -n "$(((runs + 1) / 2))p"
}

run_all() {  # SIZE_MIB RUNS [local-hub flags...]
  local mib=$1 runs=$2
  local seed=$work/seed-$mib
  mkdir -p "$seed"
  [[ -f "$seed/open_clip_model.safetensors" ]] || head -c $((mib << 20)) /dev/urandom >"$seed/open_clip_model.safetensors"
  echo '{"model_cfg": {}, "preprocess_cfg": {}}' >"$seed/open_clip_config.json"
  start_hub "$seed" "${@:3}"
  echo "| tool | throughput | wall | CPU (user+sys) | peak RSS |"
  echo "|---|---:|---:|---:|---:|"
  row "oclip pull (4 ranges, sha256 verified)" "$mib" $(median_of "$runs" 'rm -rf "$work/hf"' env HF_ENDPOINT="$endpoint" HF_HOME="$work/hf" build/oclip pull -q hf-hub:bench/big)
  row "curl (one stream, no hash)" "$mib" $(median_of "$runs" 'rm -f "$work/curl.bin"' curl -sS -o "$work/curl.bin" "$cdn_url")
  rm -f "$work/curl.bin"
  row "curl piped to sha256sum (one stream, hashed)" "$mib" $(median_of "$runs" : sh -c "curl -sS '$cdn_url' | sha256sum")
  row "aria2c -x4 -s4 (no hash)" "$mib" $(median_of "$runs" 'rm -f "$work/aria.bin"' aria2c -q -x4 -s4 -k1M --file-allocation=none --allow-overwrite=true -d "$work" -o aria.bin "$cdn_url")
  rm -f "$work/aria.bin"
  row "@huggingface/hub downloadFileToCacheDir" "$mib" $(median_of "$runs" 'rm -rf "$work/js"' node bench/js_download.mjs "$module" "$endpoint" bench/big open_clip_model.safetensors "$work/js")
  rm -rf "$work/js"
  warm=$(measure env HF_ENDPOINT="$endpoint" HF_HOME="$work/hf" build/oclip pull -q hf-hub:bench/big)
  stop_hub
  echo
  echo "Warm re-pull (all cached, revision resolved over HTTP, nothing fetched):" \
    "$(awk '{ if ($1 < 0.01) print "under 10 ms (the resolution of GNU time)"; else printf "%.0f ms\n", $1 * 1000 }' <<<"$warm")."
  rm -rf "$work/hf" "$seed"
}

{
  echo "## Pull: one large LFS file from the local Hub on loopback"
  echo
  echo "\`bash bench/pull.sh\` on $(date -u +%Y-%m-%d), $(nproc) cores; GNU time for wall, CPU and peak RSS."
  echo "oclip checks the sha256 while it downloads; the others only write the bytes. Without a"
  echo "throttle, loopback on 2 cores is CPU-bound: server, client and hashing share the cores."
  echo "Unthrottled rows are the median of 3 runs; dirty pages are flushed before every run."
  echo
  echo "### $size_mib MiB, no throttle"
  echo
  run_all "$size_mib" 3
  echo
  echo "### $throttled_mib MiB, server throttled to $((throttle_kib / 1024)) MiB/s per connection"
  echo
  run_all "$throttled_mib" 1 --fault "throttle=$throttle_kib,site=cdn"
  echo
} >"$work/section.md"

results=bench/RESULTS.md
python3 - "$results" "$work/section.md" <<'PY'
import re, sys
path, section = sys.argv[1], open(sys.argv[2]).read()
text = open(path).read()
pattern = re.compile(r"## Pull: one large LFS file.*?(?=\n## |\Z)", re.S)
text = pattern.sub(lambda _: section.rstrip("\n") + "\n", text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
open(path, "w").write(text)
PY
cat "$work/section.md"
