#!/usr/bin/env bash
# The HTTP ingress benchmark (docs/BENCHMARKS.md, "HTTP ingress"): wrk against GET /hello on
#   native            build/wactor-http-native: libevent evhttp, one loop thread, reply inline
#   native-deferred   the same, each reply made on a worker thread and posted back to the loop
#   wactor            build/wactor run build/bench/http/app.toml (aot guest answering "hello")
# in the same run, RUNS rounds of one wrk run each, and prints the medians of requests/s and
# p99 latency, the ratios and the target (wactor >= 0.8x native). The ratios are the medians
# of each round's ratio: a round's three runs follow each other, so a busy neighbour on a
# shared machine weighs on the three alike. Builds nothing: run `scripts/wactor-dev build`
# first (scripts/wactor-dev bench does).
#   bench/http-bench.sh [BUILD_DIR]      env: RUNS (3), DURATION (5s), CONNECTIONS (64), THREADS (1),
#                                        WACTOR_ARGS (more `wactor run` options, e.g. "--workers 1")
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
runs=${RUNS:-3}
duration=${DURATION:-5s}
conns=${CONNECTIONS:-64}
threads=${THREADS:-1}

if ! command -v wrk >/dev/null; then
  echo "http-bench: wrk is not installed (apt-get install wrk): skipping the HTTP benchmark"
  exit 0
fi
for f in "$build/wactor" "$build/wactor-http-native" "$build/bench/http/app.toml" "$build/bench/http/hello.wasm"; do
  [ -e "$f" ] || { echo "http-bench: $f is missing: build first (scripts/wactor-dev build)" >&2; exit 1; }
done
command -v curl >/dev/null || { echo "http-bench: curl is needed to wait for the servers" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# start <name> <command...>: runs it, waits for its "listening on http://..." line and for
# GET /hello to answer 200; sets $url.
start() {
  local name=$1; shift
  "$@" 2>"$work/$name.err" >/dev/null &
  pids+=($!)
  local pid=$! addr=""
  for _ in $(seq 1 600); do
    kill -0 "$pid" 2>/dev/null || { echo "http-bench: $name exited:" >&2; cat "$work/$name.err" >&2; exit 1; }
    addr=$(grep -o 'http://[0-9.]*:[0-9]*' "$work/$name.err" | head -1 || true)
    if [ -n "$addr" ] && curl -fsS -o /dev/null --max-time 1 "$addr/hello" 2>/dev/null; then
      url="$addr/hello"
      return 0
    fi
    # The poll's own pace (not a synchronization): the next check of the log and the port.
    sleep 0.05
  done
  echo "http-bench: $name did not answer GET /hello in time" >&2
  cat "$work/$name.err" >&2
  exit 1
}

declare -A urls
start native "$build/wactor-http-native"; urls[native]=$url
start native-deferred "$build/wactor-http-native" --deferred; urls[native-deferred]=$url
# shellcheck disable=SC2086
start wactor "$build/wactor" run "$build/bench/http/app.toml" --listen 127.0.0.1:0 ${WACTOR_ARGS:-}; urls[wactor]=$url

# One wrk run: "<requests/s> <p99 in ms>".
measure() {
  local out
  out=$(wrk -t"$threads" -c"$conns" -d"$duration" --latency "$1")
  if echo "$out" | grep -q "Non-2xx"; then
    echo "http-bench: non-2xx answers from $1:" >&2
    echo "$out" >&2
    exit 1
  fi
  local rps p99
  rps=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
        f = (u == "us") ? 0.001 : (u == "s") ? 1000 : (u == "m") ? 60000 : 1; printf "%.3f", v * f}')
  echo "$rps $p99"
}

median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

echo "== HTTP ingress: wrk -t$threads -c$conns -d$duration --latency GET /hello, $runs runs each (interleaved)"
names=(native native-deferred wactor)
for n in "${names[@]}"; do wrk -t1 -c"$conns" -d1s "${urls[$n]}" >/dev/null; done  # warm-up
for r in $(seq 1 "$runs"); do
  for n in "${names[@]}"; do
    read -r rps p99 < <(measure "${urls[$n]}") || true
    [ -n "${rps:-}" ] || { echo "http-bench: no figures from $n" >&2; exit 1; }
    printf '  run %d %-16s %10.0f req/s  p99 %8.3f ms\n' "$r" "$n" "$rps" "$p99"
    echo "$rps" >>"$work/$n.rps"
    echo "$p99" >>"$work/$n.p99"
    case $n in
      native) round_native=$rps ;;
      native-deferred) round_deferred=$rps ;;
      wactor)
        awk -v a="$rps" -v b="$round_native" 'BEGIN {print a / b}' >>"$work/ratio.native"
        awk -v a="$rps" -v b="$round_deferred" 'BEGIN {print a / b}' >>"$work/ratio.deferred"
        ;;
    esac
  done
done

declare -A rps p99
echo "== medians"
printf '  %-16s %12s %12s\n' server "req/s" "p99 (ms)"
for n in "${names[@]}"; do
  rps[$n]=$(median <"$work/$n.rps")
  p99[$n]=$(median <"$work/$n.p99")
  printf '  %-16s %12.0f %12.3f\n' "$n" "${rps[$n]}" "${p99[$n]}"
done
ratio_native=$(median <"$work/ratio.native" | awk '{printf "%.2f", $1}')
ratio_deferred=$(median <"$work/ratio.deferred" | awk '{printf "%.2f", $1}')
echo "  wactor/native          ${ratio_native}x (median of the rounds' ratios; of the medians: $(awk -v a="${rps[wactor]}" -v b="${rps[native]}" 'BEGIN {printf "%.2f", a / b}')x)"
echo "  wactor/native-deferred ${ratio_deferred}x (of the medians: $(awk -v a="${rps[wactor]}" -v b="${rps[native-deferred]}" 'BEGIN {printf "%.2f", a / b}')x)"
if awk -v r="$ratio_native" 'BEGIN {exit !(r >= 0.8)}'; then
  echo "  target (>= 0.80x native requests/s): met (${ratio_native}x)"
else
  echo "  target (>= 0.80x native requests/s): NOT met (${ratio_native}x)"
fi
