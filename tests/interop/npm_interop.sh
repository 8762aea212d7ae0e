#!/usr/bin/env bash
# Runs the npm client @huggingface/hub against the local Hub: the server must satisfy a client
# that nobody here wrote, for downloads and uploads. usage: npm_interop.sh BUILD_DIR GOLDEN_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
golden=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
module=$(bash "$here/../../scripts/install_npm_client.sh" "$build")

work=$(mktemp -d)
hub_pid=""
cleanup() {
  [[ -n "$hub_pid" ]] && kill "$hub_pid" 2>/dev/null && wait "$hub_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

seed=$work/seed
mkdir -p "$seed/tokenizer/nested"
printf '{"model_cfg": {"embed_dim": 32}, "preprocess_cfg": {}}' >"$seed/open_clip_config.json"
head -c 2500000 /dev/urandom >"$seed/open_clip_model.safetensors"
printf -- '---\nlibrary_name: open_clip\n---\n' >"$seed/README.md"
printf '{"a": 0}' >"$seed/tokenizer/vocab.json"
printf 'deep\n' >"$seed/tokenizer/nested/deep.txt"

# What oclip pushes: a golden conversion, and a folder whose weights go multipart. (No empty
# file: downloadFile probes with a Range and needs a Content-Range, which no answer for zero
# bytes carries.)
"$build/oclip" convert "$golden/cases/clip-tiny-native/source/open_clip_pytorch_model.bin" \
  -o "$work/converted" --no-validate --bin >/dev/null
push=$work/push
mkdir -p "$push/tokenizer"
printf '{"model_cfg": {"embed_dim": 16}, "preprocess_cfg": {}}' >"$push/open_clip_config.json"
head -c 3100000 /dev/urandom >"$push/open_clip_model.safetensors"
printf '{"b": 1}' >"$push/tokenizer/vocab.json"


"$build/local-hub" --repo laion/tiny="$seed" --user hf_interop=alice --page-size 2 \
  --multipart-threshold 1000000 --chunk-size 600000 \
  --port-file "$work/ports.json" --log "$work/log.jsonl" >/dev/null &
hub_pid=$!
for _ in $(seq 200); do [[ -s "$work/ports.json" ]] && break; sleep 0.02; done
api=$(node -p "require('$work/ports.json').api")

HUB_URL="http://127.0.0.1:$api" OCLIP="$build/oclip" SEED_DIR="$seed" CACHE_DIR="$work/cache" HUB_LOG="$work/log.jsonl" \
  HF_HUB_MODULE="$module" WORK_DIR="$work" CONVERTED_DIR="$work/converted" PUSH_DIR="$push" \
  node --test "$here/hub_client.test.mjs" "$here/hub_upload.test.mjs"
