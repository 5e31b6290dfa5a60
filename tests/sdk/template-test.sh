#!/bin/sh
# The C++ or AssemblyScript project template (sdk/<lang>/template) built and run by hand as
# its README says, the way `wactor new` lays it out: {{name}} substituted, the SDK copied
# into wactor-sdk/. Usage: template-test.sh cpp|as <wactor binary> <source dir>
# Exit 77 (skipped) when AssemblyScript is not installed.
set -eu
lang=$1 wactor=$2 src=$3
name=hello-sdk
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
case $lang in
  cpp) sdk=$src/sdk/cpp ;;
  as) sdk=$src/sdk/assemblyscript
      [ -x "$sdk/node_modules/.bin/asc" ] || { echo "AssemblyScript not installed"; exit 77; } ;;
  *) echo "unknown language $lang" >&2; exit 2 ;;
esac
cp -r "$sdk/template/." "$tmp/"
for f in $(find "$tmp" -type f); do sed -i "s/{{name}}/$name/g" "$f"; done
mkdir "$tmp/wactor-sdk"
cd "$tmp"
if [ "$lang" = cpp ]; then
  cp "$sdk/wactor.hpp" wactor-sdk/
  make
else
  cp -r "$sdk/assembly" "$sdk/transform.mjs" wactor-sdk/
  ln -s "$sdk/node_modules" node_modules  # what the first ./build.sh would install
  ./build.sh
fi
out=$("$wactor" run wactor.toml --until-idle --max-seconds 30 2>&1)
echo "$out"
echo "$out" | grep -qF "$name INFO hello, world (message 1 from \$host)"
echo "$out" | grep -qF "$name INFO $name starting, config 'from wactor.toml'"
