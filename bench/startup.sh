#!/usr/bin/env bash
# Start-up cost of listing models: oclip against Python.
#   bash bench/startup.sh                 writes bench/RESULTS.md (startup section)
#   OPEN_CLIP_SRC=DIR bash bench/startup.sh   also times open_clip itself (DIR holds open_clip/)
# Python's floor is `import torch`: open_clip imports it before it can list anything.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh bench
bash scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
commands=("build/oclip list-models" "build/oclip list-models --pretrained --json"
          "/usr/bin/python3 -c 'import torch'")
names=("oclip list-models" "oclip list-models --pretrained --json" "python3 -c 'import torch' (floor)")
if [[ -n "${OPEN_CLIP_SRC:-}" ]]; then
  # ftfy has no Debian package; a one-line stand-in is enough for listing models.
  mkdir -p "$work/shim"
  python3 -c 'import ftfy' 2>/dev/null || echo 'def fix_text(s): return s' >"$work/shim/ftfy.py"
  commands+=("env PYTHONPATH=$OPEN_CLIP_SRC:$work/shim /usr/bin/python3 -c 'import open_clip; open_clip.list_models()'")
  names+=("python3: import open_clip; open_clip.list_models()")
fi

# No shell in between (-N): a 2 ms command would otherwise be mostly shell start-up.
hyperfine_args=(-N --warmup 3 --min-runs 20 --export-json "$work/startup.json" --style basic)
hyperfine "${hyperfine_args[@]}" "${commands[@]}" >/dev/null

python3 - "$work/startup.json" "${names[@]}" >"$work/table.md" <<'PY'
import json, sys, platform, os
results = json.load(open(sys.argv[1]))["results"]
names = sys.argv[2:]
base = results[0]["mean"]
print("| command | mean | σ | vs `oclip list-models` |")
print("|---|---:|---:|---:|")
for name, r in zip(names, results):
    print(f"| {name} | {r['mean']*1000:.2f} ms | {r['stddev']*1000:.2f} ms | {r['mean']/base:.1f}× |")
PY

# The local Hub: from exec to both ports listening, seeded with the bundled tiny model.
seed=../shared/golden/cases/clip-tiny-native/source
hub_ms=()
if [[ -d "$seed" ]]; then
  for i in $(seq 20); do
    rm -f "$work/ports.json"
    start=$(date +%s%N)
    build/local-hub --repo "laion/tiny=$seed" --port-file "$work/ports.json" >/dev/null &
    pid=$!
    until [[ -s "$work/ports.json" ]]; do sleep 0.001; done
    hub_ms+=($(( ($(date +%s%N) - start) / 1000 )))
    kill "$pid"
    wait "$pid" || true
  done
fi

{
  echo "## Start-up: listing models"
  echo
  echo "\`bash bench/startup.sh\` on $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m); hyperfine -N, 3 warm-up runs, at least 20 runs each."
  echo "torch $( /usr/bin/python3 -c 'import torch; print(torch.__version__)' 2>/dev/null || echo '(not installed)') from Debian's python3-torch."
  echo
  cat "$work/table.md"
  echo
  if ((${#hub_ms[@]})); then
    sorted=($(printf '%s\n' "${hub_ms[@]}" | sort -n))
    echo "local-hub, exec to ready (both ports listening, 1.1 MB repo hashed), 20 starts:" \
      "median $((sorted[10] / 1000)).$(printf '%03d' $((sorted[10] % 1000))) ms," \
      "max $((sorted[19] / 1000)).$(printf '%03d' $((sorted[19] % 1000))) ms."
    echo
  fi
} >"$work/section.md"

results=bench/RESULTS.md
[[ -f "$results" ]] || printf '# Benchmark results\n\nEach section is rewritten by the script it names.\n\n' >"$results"
python3 - "$results" "$work/section.md" <<'PY'
import re, sys
path, section = sys.argv[1], open(sys.argv[2]).read()
text = open(path).read()
pattern = re.compile(r"## Start-up: listing models\n.*?(?=\n## |\Z)", re.S)
text = pattern.sub(lambda _: section.rstrip("\n") + "\n", text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
open(path, "w").write(text)
PY
cat "$work/section.md"
