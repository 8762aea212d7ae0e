#!/usr/bin/env bash
# Converting two real-size sources against copying the same bytes and against Python:
# MobileCLIP-S2 (regenerated from the golden manifest, 398 MB torch zip) and an OpenAI ViT-B/32
# TorchScript archive (random weights, traced by tests/interop/openai_clip_archive.py, 354 MB,
# mostly fp16 widened to fp32). Python's floor is loading the state dict and torch.save-ing it,
# which any Python converter pays; with OPEN_CLIP_SRC=DIR (a folder holding open_clip/ and
# timm/ checkouts) open_clip's own MobileCLIP converter is timed too.
#   bash bench/convert.sh        writes bench/RESULTS.md (convert section)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh bench
bash scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mobileclip=$work/mobileclip_s2.pt
build/tests/golden/checkpoint_tool regen ../shared/golden/cases/mobileclip-s2/manifest.json "$mobileclip"
openai=$work/ViT-B-32.pt
/usr/bin/python3 tests/interop/openai_clip_archive.py "$openai"
cat "$mobileclip" "$openai" >/dev/null  # warm the page cache for every tool alike

# Median of 3 runs of a command: "wall_s max_rss_kib".
measure() {
  local runs=()
  for _ in 1 2 3; do
    rm -rf "$work/out" "$work/copy.pt" "$work/saved.pt"
    /usr/bin/time -f '%e %M' -o "$work/time.txt" "$@" >/dev/null 2>&1
    runs+=("$(cat "$work/time.txt")")
  done
  printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p
}

rows=()
row() {
  local name=$1
  shift
  read -r wall rss < <(measure "$@")
  rows+=("$name|$wall|$rss")
}

# The rows every source gets; the first two are the baselines of the ratio columns.
common_rows() {
  local source=$1
  row "cp" cp "$source" "$work/copy.pt"
  # oclip fsyncs what it publishes (a crash never leaves a torn file under the final name).
  row "cp, then sync of the copy" sh -c 'cp "$1" "$2" && sync "$2"' sh "$source" "$work/copy.pt"
  # The source record needs the file's sha256: one core hashing the whole file is oclip's floor.
  row "openssl dgst -sha256 (oclip's floor: the source record's hash)" openssl dgst -sha256 "$source"
  row "oclip convert --no-validate (safetensors, sha256 of the source)" build/oclip convert "$source" -o "$work/out" -q --no-validate
  row "oclip convert (the default: validated on the CPU with LibTorch)" build/oclip convert "$source" -o "$work/out" -q
  row "oclip convert --no-validate --bin (both files)" build/oclip convert "$source" -o "$work/out" --bin -q --no-validate
}

# Markdown for the rows gathered since the last call.
table() {
  local cp_wall cp_sync_wall
  cp_wall=$(echo "${rows[0]}" | cut -d'|' -f2)
  cp_sync_wall=$(echo "${rows[1]}" | cut -d'|' -f2)
  echo "| command | wall | vs cp | vs cp + sync | peak RSS |"
  echo "|---|---:|---:|---:|---:|"
  for r in "${rows[@]}"; do
    IFS='|' read -r name wall rss <<<"$r"
    ratios=$(python3 -c "print(f'{$wall / max($cp_wall, 0.001):.1f}× | {$wall / max($cp_sync_wall, 0.001):.1f}×')")
    echo "| $name | ${wall} s | $ratios | $((rss / 1024)) MiB |"
  done
  rows=()
}

largest_mib() {
  build/oclip inspect --json "$1" | python3 -c 'import json,sys; print(max(t["bytes"] for t in json.load(sys.stdin)["tensors"]) // 1048576)'
}

{
  echo "## Convert: MobileCLIP-S2 and OpenAI ViT-B/32"
  echo
  echo "\`bash bench/convert.sh\` on $(date -u +%Y-%m-%d), $(nproc) cores, page cache warm; median of 3 runs (GNU time);"
  echo "torch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)') from Debian."
  echo "Peak RSS is the largest of the command and its children: in the validated row that is the"
  echo "validator process, which holds the model; the conversion alone is the row above it."
  echo
  common_rows "$mobileclip"
  row "python3: torch.load + torch.save (floor)" /usr/bin/python3 -c \
    'import sys, torch; torch.save(torch.load(sys.argv[1]), sys.argv[2])' "$mobileclip" "$work/saved.pt"
  if [[ -n "${OPEN_CLIP_SRC:-}" ]]; then
    convert_py='import sys, torch, open_clip
from open_clip.convert import convert_state_dict
model = open_clip.create_model("MobileCLIP-S2")
sd = convert_state_dict(model, torch.load(sys.argv[1]))
torch.save(sd, sys.argv[2])'
    row "python3: open_clip convert_state_dict + torch.save" env PYTHONPATH="$OPEN_CLIP_SRC/open_clip/src:$OPEN_CLIP_SRC/timm" \
      /usr/bin/python3 -c "$convert_py" "$mobileclip" "$work/saved.pt"
  fi
  echo "### MobileCLIP-S2, 398 MB torch zip regenerated from the golden manifest; largest tensor $(largest_mib "$mobileclip") MiB"
  [[ -z "${OPEN_CLIP_SRC:-}" ]] && echo "open_clip's own converter was not timed (no OPEN_CLIP_SRC checkout)."
  echo
  table
  echo
  common_rows "$openai"
  row "python3: torch.jit.load, float(), torch.save (floor)" /usr/bin/python3 -c \
    'import sys, torch; m = torch.jit.load(sys.argv[1]); torch.save({k: v.float() for k, v in m.state_dict().items()}, sys.argv[2])' \
    "$openai" "$work/saved.pt"
  echo "### OpenAI ViT-B/32 TorchScript, 354 MB (195 fp16 tensors widened to fp32); largest tensor $(largest_mib "$openai") MiB"
  echo
  table
  echo
} >"$work/section.md"

python3 - bench/RESULTS.md "$work/section.md" <<'PY'
import re, sys
path, section = sys.argv[1], open(sys.argv[2]).read()
text = open(path).read()
pattern = re.compile(r"## Convert: MobileCLIP-S2 .*?(?=\n## |\Z)", re.S)
text = pattern.sub(lambda _: section.rstrip("\n") + "\n", text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
open(path, "w").write(text)
PY
cat "$work/section.md"
