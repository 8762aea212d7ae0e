#!/usr/bin/env bash
# One folder with a large weight file pushed to the local Hub on loopback (multipart LFS, one
# commit): oclip against @huggingface/hub's uploadFiles, in one run, each to a fresh server.
#   bash bench/push.sh [SIZE_MIB]    default: 1024
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh bench
bash scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
module=$(bash scripts/install_npm_client.sh build)
size_mib=${1:-1024}
token=hf_bench_token

work=$(mktemp -d)
hub_pid=""
stop_hub() {
  [[ -n "$hub_pid" ]] && kill "$hub_pid" 2>/dev/null && wait "$hub_pid" 2>/dev/null
  hub_pid=""
}
trap 'stop_hub; rm -rf "$work"' EXIT

start_hub() {  # a server with no objects, so that nothing is skipped as already stored
  stop_hub
  rm -f "$work/ports.json"
  build/local-hub --user "$token=bench" --port-file "$work/ports.json" --log "$work/log.jsonl" >/dev/null &
  hub_pid=$!
  until [[ -s "$work/ports.json" ]]; do sleep 0.05; done
  endpoint="http://127.0.0.1:$(sed -E 's/.*"api":([0-9]+).*/\1/' "$work/ports.json")"
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

folder=$work/model
mkdir -p "$folder"
head -c $((size_mib << 20)) /dev/urandom >"$folder/open_clip_model.safetensors"
echo '{"model_cfg": {"embed_dim": 512}, "preprocess_cfg": {}}' >"$folder/open_clip_config.json"
oclip_push() {  # REPO [flags...]: the command line, for measure
  echo env HF_ENDPOINT="$endpoint" HF_TOKEN="$token" HF_HOME="$work/hf" \
    build/oclip push -q "$folder" --repo-id "$1" --no-card "${@:2}"
}

{
  echo "## Push: a folder with one large LFS file to the local Hub on loopback"
  echo
  echo "\`bash bench/push.sh\` on $(date -u +%Y-%m-%d), $(nproc) cores; GNU time for wall, CPU and peak RSS."
  echo "The server asks for multipart in 10 MiB parts (the Hub's usual size). Both clients hash the"
  echo "file (sha256) before the LFS batch request; each run starts on a fresh server."
  echo
  echo "| tool | throughput | wall | CPU (user+sys) | peak RSS |"
  echo "|---|---:|---:|---:|---:|"
  start_hub
  row "oclip push (4 parts in parallel)" "$size_mib" $(measure $(oclip_push bench/oclip))
  warm=$(measure $(oclip_push bench/oclip))
  start_hub
  row "oclip push --jobs 8" "$size_mib" $(measure $(oclip_push bench/oclip8 --jobs 8))
  start_hub
  row "@huggingface/hub uploadFiles" "$size_mib" $(measure node bench/js_upload.mjs "$module" "$endpoint" bench/js "$folder" "$token")
  stop_hub
  echo
  echo "Second oclip push of the same folder (hashes the file, preupload says unchanged, no commit):" \
    "$(awk '{printf "%.2f s\n", $1}' <<<"$warm")."
  echo
} >"$work/section.md"

results=bench/RESULTS.md
python3 - "$results" "$work/section.md" <<'PY'
import re, sys
path, section = sys.argv[1], open(sys.argv[2]).read()
text = open(path).read()
pattern = re.compile(r"## Push: a folder with one large LFS file.*?(?=\n## |\Z)", re.S)
text = pattern.sub(lambda _: section.rstrip("\n") + "\n", text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
open(path, "w").write(text)
PY
cat "$work/section.md"
