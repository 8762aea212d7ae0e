#!/usr/bin/env bash
# The main job end to end on the bundled default: a local Hub serving a tiny OpenCLIP model,
# and oclip working against it. Leaves nothing running.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

model=../shared/golden/cases/clip-tiny-native/source
if [[ ! -d "$model" ]]; then
  echo "demo: $model not found (the shared folder must sit beside the project)" >&2
  exit 1
fi
work=$(mktemp -d)
hub_pid=""
cleanup() {
  [[ -n "$hub_pid" ]] && kill "$hub_pid" 2>/dev/null && wait "$hub_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

build/local-hub --repo "laion/CLIP-tiny-native=$model" --user hf_demo_token=demo \
  --multipart-threshold 500000 --chunk-size 400000 --port-file "$work/ports.json" >/dev/null &
hub_pid=$!
for _ in $(seq 200); do [[ -s "$work/ports.json" ]] && break; sleep 0.02; done
api_port=$(sed -E 's/.*"api":([0-9]+).*/\1/' "$work/ports.json")
export HF_ENDPOINT="http://127.0.0.1:$api_port" HF_HOME="$work/hf"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
step build/oclip --version
step build/oclip list-models --filter 'ViT-B-32*'
step build/oclip list-models --pretrained --filter 'ViT-B-32:laion*'
step build/oclip info ViT-B-32 --pretrained laion2b_s34b_b79k
step build/oclip pull hf-hub:laion/CLIP-tiny-native --dry-run
step build/oclip pull hf-hub:laion/CLIP-tiny-native
step ls -l "$HF_HOME/hub/models--laion--CLIP-tiny-native/snapshots/"*/
step env HF_HUB_OFFLINE=1 build/oclip pull hf-hub:laion/CLIP-tiny-native --json

# The pulled weights, inspected from their headers, and the bundled OpenAI TorchScript archive
# converted into a Hub-ready folder (config inferred from its shapes).
snapshot=$(echo "$HF_HOME/hub/models--laion--CLIP-tiny-native/snapshots/"*/)
step build/oclip inspect --summary "$snapshot"
openai=../shared/golden/cases/openai-vit-tiny/source/openai-vit-tiny.pt
step build/oclip convert "$openai" --dry-run
step build/oclip convert "$openai" -o "$work/openai-vit-tiny" --bin --license mit
step ls -l "$work/openai-vit-tiny"
step build/oclip inspect --summary "$work/openai-vit-tiny/open_clip_model.safetensors"

# Proven numerically in LibTorch: against open_clip's own outputs and against the source program.
cases=../shared/golden/cases
step build/oclip validate "$work/openai-vit-tiny" --reference "$cases/openai-vit-tiny/reference.npz" --source "$openai"
step build/oclip validate hf-hub:laion/CLIP-tiny-native --reference "$cases/clip-tiny-native/reference.npz"

# The converted folder, pushed in one commit (weights in multipart LFS parts) and read back.
step build/oclip card --check "$work/openai-vit-tiny"
step build/oclip push "$work/openai-vit-tiny" --repo-id demo/openai-vit-tiny --token hf_demo_token
step build/oclip push "$work/openai-vit-tiny" --repo-id demo/openai-vit-tiny --token hf_demo_token
step build/oclip pull hf-hub:demo/openai-vit-tiny --all
pulled=$(echo "$HF_HOME/hub/models--demo--openai-vit-tiny/snapshots/"*/)
step diff -r -x .gitattributes "$work/openai-vit-tiny" "$pulled"
