#!/usr/bin/env bash
# Time of `oclip validate --reference` for ViT-B-16-SigLIP and MobileCLIP-S2 (sources
# regenerated from the golden manifests, converted once), split into build (config to model
# spec), load (weights to LibTorch tensors) and forward (both towers), on CPU and, when LibTorch
# sees one, on CUDA. The peer floor is importing Python torch, which any Python validator pays
# before it has done anything.
#   bash bench/validate.sh        writes bench/RESULTS.md (validate section)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh bench
bash scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
[[ -x build/oclip-validate ]] || { echo "bench/validate.sh: no LibTorch validator was built" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cases=../shared/golden/cases
rows=()
for name in siglip-b16 mobileclip-s2; do
  file=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['source_file'])" "$cases/$name/manifest.json")
  build/tests/golden/checkpoint_tool regen "$cases/$name/manifest.json" "$work/$file" >/dev/null
  build/oclip convert "$work/$file" -o "$work/$name" --no-validate -q >/dev/null
  devices=(cpu)
  build/oclip validate "$work/$name" --device cuda -q >/dev/null 2>&1 && devices+=(cuda)
  for device in "${devices[@]}"; do
    for run in 1 2 3; do
      start=$(date +%s.%N)
      build/oclip validate --json "$work/$name" --device "$device" --reference "$cases/$name/reference.npz" >"$work/r$run.json"
      end=$(date +%s.%N)
      python3 -c "import json,sys; r=json.load(open(sys.argv[1])); t=r['times']
w=max(c['towers'][i]['rel'] for c in r['checks'] for i in range(2))
print(f\"{float(sys.argv[2]) - float(sys.argv[3]):.2f} {t['build']:.3f} {t['load']:.2f} {t['forward']:.2f} {w:.2e} {r['threads']}\")" \
        "$work/r$run.json" "$end" "$start" >>"$work/$name-$device.txt"
    done
    read -r wall build load forward rel threads < <(sort -n "$work/$name-$device.txt" | sed -n 2p)
    rows+=("oclip validate $name|$device ($threads thread)|$wall|$build|$load|$forward|$rel")
  done
done
runs=()
for _ in 1 2 3; do
  start=$(date +%s.%N)
  /usr/bin/python3 -c 'import torch' >/dev/null
  end=$(date +%s.%N)
  runs+=("$(python3 -c "print(f'{$end - $start:.2f}')")")
done
rows+=("python3 -c 'import torch' (floor of a Python validator)|cpu|$(printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p)|||||")

{
  echo "## Validate: ViT-B-16-SigLIP and MobileCLIP-S2 against the golden references"
  echo
  echo "\`bash bench/validate.sh\` on $(date -u +%Y-%m-%d), $(nproc) cores, LibTorch $(dpkg-query -W -f='${Version}' libtorch-dev 2>/dev/null || echo '?') from Debian"
  echo "with OpenBLAS; median of 3 runs by wall time; batch 2 images and 2 texts; no CUDA device here unless a cuda row is shown."
  echo
  echo "| command | device | wall | build | load | forward | worst rel |"
  echo "|---|---|---:|---:|---:|---:|---:|"
  for r in "${rows[@]}"; do
    IFS='|' read -r name device wall build load forward rel <<<"$r"
    echo "| $name | $device | ${wall} s | ${build:+$build s} | ${load:+$load s} | ${forward:+$forward s} | $rel |"
  done
  echo
} >"$work/section.md"

python3 - bench/RESULTS.md "$work/section.md" <<'PY'
import re, sys
path, section = sys.argv[1], open(sys.argv[2]).read()
text = open(path).read()
pattern = re.compile(r"## Validate: .*?\n.*?(?=\n## |\Z)", re.S)
text = pattern.sub(lambda _: section.rstrip("\n") + "\n", text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
open(path, "w").write(text)
PY
cat "$work/section.md"
