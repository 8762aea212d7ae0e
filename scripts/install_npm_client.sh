#!/usr/bin/env bash
# Installs the npm client @huggingface/hub (pinned) under BUILD_DIR/npm once; prints the path of
# its ES module. usage: install_npm_client.sh BUILD_DIR
set -euo pipefail
version=2.17.5
npm_dir=$(cd "$1" && pwd)/npm
installed=$(node -p "require('$npm_dir/node_modules/@huggingface/hub/package.json').version" 2>/dev/null || true)
if [[ "$installed" != "$version" ]]; then
  npm install --prefix "$npm_dir" --no-audit --no-fund --loglevel=error "@huggingface/hub@$version" >/dev/null
fi
echo "$npm_dir/node_modules/@huggingface/hub/dist/index.mjs"
