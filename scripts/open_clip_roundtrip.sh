#!/usr/bin/env bash
# Optional: loads oclip's converted folders in Python open_clip itself and compares its
# features with the golden references. Needs checkouts that CI does not have:
#   OPEN_CLIP_SRC=DIR bash scripts/open_clip_roundtrip.sh
# where DIR holds open_clip/ (v3.3.0) and pytorch-image-models/ (timm v1.0.28). Debian has no
# safetensors package, so each folder is loaded from a copy without the .safetensors file
# (local-dir: prefers safetensors, then takes open_clip_pytorch_model.bin).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${OPEN_CLIP_SRC:?set OPEN_CLIP_SRC to a folder holding open_clip/ and pytorch-image-models/}"
bash scripts/setup.sh
bash scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
golden=../shared/golden/cases
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/shim"
/usr/bin/python3 -c 'import ftfy' 2>/dev/null || echo 'def fix_text(s): return s' >"$work/shim/ftfy.py"

for case in clip-tiny-native openai-vit-tiny openai-rn-tiny; do
  source=$(ls "$golden/$case"/source/*.{pt,bin} 2>/dev/null | head -1)
  build/oclip convert "$source" -o "$work/$case" --bin -q >/dev/null
  rm "$work/$case/open_clip_model.safetensors"
  PYTHONPATH="$OPEN_CLIP_SRC/open_clip/src:$OPEN_CLIP_SRC/pytorch-image-models:$work/shim" \
    /usr/bin/python3 - "$work/$case" "$golden/$case/reference.npz" "$case" <<'PY'
import sys
import numpy as np
import open_clip
import torch
folder, reference, case = sys.argv[1:4]
torch.set_num_threads(1)
model = open_clip.create_model("local-dir:" + folder).eval()
ref = np.load(reference)
with torch.no_grad():
    image = model.encode_image(torch.from_numpy(ref["image"]), normalize=False).numpy()
    text = model.encode_text(torch.from_numpy(ref["text"]), normalize=False).numpy()
for name, got in (("image_features", image), ("text_features", text)):
    want = ref[name]
    rel = np.linalg.norm(got - want) / np.linalg.norm(want)
    print(f"{case}: {name} max|diff| {np.abs(got - want).max():.3g}, relative L2 {rel:.3g}")
    assert rel < 1e-4, f"{case} {name} differs"
PY
done
