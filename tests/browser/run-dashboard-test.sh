#!/usr/bin/env bash
# The dashboard in a real browser, end to end (docs/DASHBOARD.md):
#   tests/browser/run-dashboard-test.sh <wactor binary> <app.toml> <screenshot.png> [component-id...]
# starts `wactor run <app.toml> --listen 127.0.0.1:0`, reads the address it listens on from
# its stderr, runs dashboard.test.mjs (headless /usr/bin/chromium) against it, expecting a row
# for every component id given (default: every `id = "..."` of the manifest), then stops
# wactor with SIGTERM and checks it exits 0. Exit 77 (skipped) without chromium or
# tests/browser/node_modules (`npm ci --prefix tests/browser`).
set -uo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 <wactor binary> <app.toml> <screenshot.png> [component-id...]" >&2
  exit 2
fi
wactor=$1 manifest=$2 screenshot=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ] || [ ! -d "$here/node_modules/puppeteer-core" ] || ! command -v node >/dev/null; then
  echo "run-dashboard-test: skipped: needs node, $chromium and $here/node_modules (npm ci --prefix tests/browser)" >&2
  exit 77
fi
ids=("$@")
if [ ${#ids[@]} -eq 0 ]; then
  mapfile -t ids < <(sed -n 's/^id *= *"\([^"]*\)".*/\1/p' "$manifest")
fi

work=$(mktemp -d)
pid="" drainer=""
cleanup() {
  local status=$?
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    # Waits for it to exit (at most 15 s), then makes sure.
    timeout 15 tail --pid="$pid" -f /dev/null || kill -KILL "$pid" 2>/dev/null
  fi
  [ -n "$pid" ] && wait "$pid" 2>/dev/null
  [ -n "$drainer" ] && wait "$drainer" 2>/dev/null
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkfifo "$work/stderr"
"$wactor" run "$manifest" --listen 127.0.0.1:0 2>"$work/stderr" &
pid=$!
exec 3<"$work/stderr"
url=""
# Reads wactor's stderr until it says where it listens (30 s at most per line; EOF if it died).
while IFS= read -r -t 30 line <&3; do
  printf '%s\n' "$line" >>"$work/log"
  if [[ $line =~ listening\ on\ (https?://[^[:space:]]+) ]]; then
    url=${BASH_REMATCH[1]}
    break
  fi
done
# Keeps draining its stderr so it never blocks on a full pipe.
cat <&3 >>"$work/log" &
drainer=$!
exec 3<&-
if [ -z "$url" ]; then
  echo "run-dashboard-test: FAIL: wactor did not print 'listening on http://...'; its stderr:" >&2
  cat "$work/log" >&2
  exit 1
fi
echo "run-dashboard-test: wactor (pid $pid) listens on $url; expecting components: ${ids[*]}"

status=0
node "$here/dashboard.test.mjs" "${url%/}/" "$screenshot" "${ids[@]}" || status=1

kill -TERM "$pid"
if ! timeout 15 tail --pid="$pid" -f /dev/null; then
  echo "run-dashboard-test: FAIL: wactor still runs 15 s after SIGTERM" >&2
  exit 1
fi
wait "$pid"
rc=$?
pid=""
if [ $rc -ne 0 ]; then
  echo "run-dashboard-test: FAIL: wactor exited $rc after SIGTERM; its stderr:" >&2
  wait "$drainer" 2>/dev/null
  drainer=""
  cat "$work/log" >&2
  status=1
fi
exit $status
