#!/bin/bash
# `wactor new` end to end (docs/CLI.md): for every language with a template (sdk/<lang>/template),
# write a project, then run the commands of the first ```sh block of its README.md (build,
# run) in it, with this build's wactor first on PATH. Each must succeed, and the run must
# print "hello, world" (what every template's component logs for the manifest's message).
#   tests/new_project_test.sh <wactor binary> <sdk dir> [lang...]
set -u
wactor=$(realpath "$1")
sdk=$2
shift 2
langs=("$@")
if [ ${#langs[@]} -eq 0 ]; then
  for t in "$sdk"/*/template; do langs+=("$(basename "$(dirname "$t")")"); done
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PATH="$(dirname "$wactor"):$PATH"
failed=0
for lang in "${langs[@]}"; do
  dir="$work/demo-$lang"
  if ! "$wactor" new "$lang" "demo-$lang" --dir "$dir"; then
    echo "FAIL $lang: wactor new"; failed=1; continue
  fi
  if grep -rl '{{' "$dir" --exclude-dir=sdk >/dev/null; then
    echo "FAIL $lang: unsubstituted {{...}} in $(grep -rl '{{' "$dir" --exclude-dir=sdk)"; failed=1; continue
  fi
  # AssemblyScript: the project's build.sh installs the pinned compiler with npm the first
  # time; here it uses the tree's (installed by the set-up), so the test needs no network.
  if [ "$lang" = assemblyscript ] && [ -d "$sdk/assemblyscript/node_modules" ]; then
    ln -s "$(realpath "$sdk/assemblyscript/node_modules")" "$dir/node_modules"
  fi
  mapfile -t cmds < <(awk '/^```sh$/ {on=1; next} /^```$/ { if (on) exit } on' "$dir/README.md")
  if [ ${#cmds[@]} -ne 2 ]; then
    echo "FAIL $lang: README.md's first sh block has ${#cmds[@]} commands, not 2 (build, run)"; failed=1; continue
  fi
  out=""
  for c in "${cmds[@]}"; do
    echo "[$lang] \$ $c"
    if ! out=$(cd "$dir" && bash -c "$c" 2>&1); then
      echo "$out"; echo "FAIL $lang: '$c'"; failed=1; continue 2
    fi
  done
  echo "$out"
  if ! grep -q "hello, world" <<<"$out"; then
    echo "FAIL $lang: the run did not print 'hello, world'"; failed=1; continue
  fi
  echo "ok $lang"
done
exit $failed
