#!/usr/bin/env bash
# Runs the npm client @huggingface/hub against the local Hub: the server must satisfy a client
# that nobody here wrote. usage: npm_interop.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
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

"$build/local-hub" --repo laion/tiny="$seed" --user hf_interop=alice --page-size 2 \
  --port-file "$work/ports.json" --log "$work/log.jsonl" >/dev/null &
hub_pid=$!
for _ in $(seq 200); do [[ -s "$work/ports.json" ]] && break; sleep 0.02; done
api=$(node -p "require('$work/ports.json').api")

HUB_URL="http://127.0.0.1:$api" OCLIP="$build/oclip" SEED_DIR="$seed" CACHE_DIR="$work/cache" HUB_LOG="$work/log.jsonl" \
  HF_HUB_MODULE="$module" \
  node --test "$here/hub_client.test.mjs"
