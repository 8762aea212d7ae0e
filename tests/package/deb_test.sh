#!/usr/bin/env bash
# CPack's .deb holds oclip, its man pages and completions (and the validator when built) at
# the Debian paths, depends on the shared libraries the binaries use, and works unpacked.
#   deb_test.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$build" && cpack -G DEB -B "$work" >"$work/cpack.log" 2>&1) || {
  cat "$work/cpack.log" >&2
  exit 1
}
deb=$(ls "$work"/oclip_*.deb)
dpkg-deb -c "$deb" | awk '{print $6}' >"$work/contents.txt"
fail() {
  echo "deb_test: $*" >&2
  exit 1
}
for path in ./usr/bin/oclip ./usr/share/man/man1/oclip.1 ./usr/share/man/man1/oclip-push.1 \
  ./usr/share/bash-completion/completions/oclip ./usr/share/zsh/vendor-completions/_oclip \
  ./usr/share/fish/vendor_completions.d/oclip.fish; do
  grep -qx "$path" "$work/contents.txt" || fail "$path missing from the package"
done
depends=$(dpkg-deb -f "$deb" Depends)
for library in libcurl4 libssl3 libstdc++6 libyaml-cpp0.7; do
  grep -q "$library" <<<"$depends" || fail "Depends lacks $library: $depends"
done
if [[ -x "$build/oclip-validate" ]]; then
  grep -qx ./usr/libexec/oclip/oclip-validate "$work/contents.txt" || fail "validator missing"
  grep -q libtorch <<<"$depends" || fail "Depends lacks LibTorch: $depends"
fi

dpkg-deb -x "$deb" "$work/root"
version=$("$work/root/usr/bin/oclip" --version)
grep -q "^oclip 0" <<<"$version" || fail "unexpected --version: $version"
if [[ -x "$build/oclip-validate" ]]; then
  # Found beside the binary in ../libexec/oclip, as installed.
  grep -q "($work/root/usr/libexec/oclip/oclip-validate)" <<<"$version" ||
    fail "the unpacked oclip does not find its validator: $version"
fi
echo "deb_test: $(basename "$deb") ok; Depends: $depends"
