#!/usr/bin/env bash
# Installs what oclip needs to build and test, with apt-get, only when something is missing.
#   bash scripts/setup.sh          build and test dependencies
#   bash scripts/setup.sh bench    also what bench/ compares against
set -euo pipefail

# libopenblas0-pthread takes over libblas.so.3: Debian's LibTorch runs its matrix products
# through it, about 14 times faster than through the reference BLAS.
packages=(build-essential dpkg-dev file cmake ninja-build pkg-config git ca-certificates python3
          libtorch-dev libopenblas0-pthread
          libcurl4-openssl-dev libssl-dev zlib1g-dev nlohmann-json3-dev libcli11-dev libfmt-dev libgtest-dev
          clang clang-format libclang-rt-14-dev scdoc curl python3-torch python3-numpy python3-yaml
          libyaml-cpp-dev zsh fish groff-base)
if [[ "${1:-}" == "bench" ]]; then
  packages+=(hyperfine aria2 time)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Node may come from elsewhere than Debian; any node >= 18 with npm will do.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "setup: installing ${missing[*]}"
sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
