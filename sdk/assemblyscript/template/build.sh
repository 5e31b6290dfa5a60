#!/bin/sh
# Build: ./build.sh        Run: wactor run wactor.toml --until-idle
# Installs the pinned AssemblyScript compiler (package.json) the first time, then compiles
# component.ts to {{name}}.wasm with the SDK in sdk/ (its transform gives the ABI's
# export names; --use abort= keeps env.abort out of the module).
set -eu
cd "$(dirname "$0")"
[ -x node_modules/.bin/asc ] || npm install --no-audit --no-fund
node_modules/.bin/asc component.ts -O3 --runtime incremental --use abort= \
  --transform ./sdk/transform.mjs -o {{name}}.wasm
echo "built {{name}}.wasm"
