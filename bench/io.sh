#!/usr/bin/env bash
# Reading checkpoints: headers only (inspect) and every byte hashed (inspect --hash), on a
# 1 GiB safetensors file and the same tensors as a torch .bin, against sha256sum and Debian's
# torch. Files are freshly written, so the page cache is warm for every tool alike.
#   bash bench/io.sh        writes bench/RESULTS.md (checkpoint I/O section)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh bench
bash scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# 256 f32 tensors of 1 Mi elements each: 1 GiB of data.
/usr/bin/python3 - "$work/model.safetensors" <<'PY'
import json, struct, sys
import numpy as np
count, numel = 256, 1 << 20
header, offset = {}, 0
for i in range(count):
    header[f"layer.{i:03d}.weight"] = {"dtype": "F32", "shape": [1024, 1024], "data_offsets": [offset, offset + 4 * numel]}
    offset += 4 * numel
text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * ((8 - len(text) % 8) % 8)
rng = np.random.default_rng(0)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text)
    for _ in range(count):
        f.write(rng.standard_normal(numel, dtype=np.float32).tobytes())
PY
build/tests/golden/checkpoint_tool rewrite "$work/model.safetensors" "$work/open_clip_pytorch_model.bin"

# Runs a command 3 times; prints "median_wall_s max_rss_kib" of the runs.
measure() {
  local runs=()
  for _ in 1 2 3; do
    /usr/bin/time -f '%e %M' -o "$work/time.txt" "$@" >/dev/null
    runs+=("$(cat "$work/time.txt")")
  done
  printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p
}

st=$work/model.safetensors
bin=$work/open_clip_pytorch_model.bin
load_py='import sys, torch; torch.load(sys.argv[1])'
hash_py='import hashlib, sys, torch
for t in torch.load(sys.argv[1]).values(): hashlib.sha256(t.numpy().tobytes()).hexdigest()'

# One table row: NAME READS_ALL COMMAND...; throughput only where every byte is read.
row() {
  local name=$1 reads_all=$2
  shift 2
  read -r wall rss < <(measure "$@")
  local rate="–"
  [[ $reads_all == yes ]] && rate=$(python3 -c "print(f'{1024 / max($wall, 0.005):.0f} MiB/s')")
  echo "| $name | ${wall} s | $rate | $((rss / 1024)) MiB |"
}

{
  echo "## Checkpoint I/O: inspect and hash a 1 GiB file"
  echo
  echo "\`bash bench/io.sh\` on $(date -u +%Y-%m-%d), $(nproc) cores; 256 f32 tensors of 1024×1024 (1 GiB) as safetensors and as a torch .bin written by oclip;"
  echo "page cache warm; median of 3 runs (GNU time); torch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)') from Debian."
  echo
  echo "| command | wall | throughput | peak RSS |"
  echo "|---|---:|---:|---:|"
  row "oclip inspect --summary (safetensors)" no build/oclip inspect --summary "$st"
  row "oclip inspect --summary (.bin)" no build/oclip inspect --summary "$bin"
  row "oclip inspect --hash --summary (safetensors)" yes build/oclip inspect --hash --summary "$st"
  row "oclip inspect --hash --summary (.bin)" yes build/oclip inspect --hash --summary "$bin"
  row "sha256sum (safetensors, whole file)" yes sha256sum "$st"
  row "python3: torch.load (.bin)" yes /usr/bin/python3 -c "$load_py" "$bin"
  row "python3: torch.load + sha256 per tensor (.bin)" yes /usr/bin/python3 -c "$hash_py" "$bin"
  echo
} >"$work/section.md"

results=bench/RESULTS.md
python3 - "$results" "$work/section.md" <<'PY'
import re, sys
path, section = sys.argv[1], open(sys.argv[2]).read()
text = open(path).read()
pattern = re.compile(r"## Checkpoint I/O: inspect and hash a 1 GiB file\n.*?(?=\n## |\Z)", re.S)
text = pattern.sub(lambda _: section.rstrip("\n") + "\n", text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
open(path, "w").write(text)
PY
cat "$work/section.md"
