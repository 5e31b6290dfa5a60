#!/usr/bin/env bash
# The "collapse" of issue 15 (docs/BENCHMARKS.md): repeats the aot fire-and-forget 16 B,
# 1 pair run N times, each in a fresh process, and reports the distribution.
#   bench/collapse.sh [N] [build dir]          (default 30, build)
# Each line: run, M msg/s, the native thread handoff of 16 B measured in the same process
# just before (M msg/s), the sink's mailbox high water, its handler time (ms), the load
# average before the run; then the scheduler's counters for the run (docs/BENCHMARKS.md, "The
# collapse: cause and fix"): hand-offs (a send woke the sink into the sender's next slot), the
# sink taken from there by the other worker, futex wakes, parks, messages per batch, sends
# that waited for the sink (Scheduler::throttle), and the
# vCPU time the hypervisor stole during the run (jiffies, /proc/stat). Then min / p10 /
# median / max and the runs below 0.7x the median.
# Environment:
#   COLLAPSE_LOCK=FILE   hold `flock FILE` around each run (a shared build lock)
#   COLLAPSE_PREFIX=CMD  run each under CMD, e.g. "taskset -c 0" (both workers on one core)
#   COLLAPSE_ARGS=...    more wactor-bench arguments, e.g. "--workers 1"
set -euo pipefail
n=${1:-30}
build=${2:-build}
bin=$build/wactor-bench
[ -x "$bin" ] || { echo "collapse.sh: $bin missing (scripts/wactor-dev build)" >&2; exit 2; }
lock=()
[ -n "${COLLAPSE_LOCK:-}" ] && lock=(flock "$COLLAPSE_LOCK")
read -r -a prefix <<<"${COLLAPSE_PREFIX:-}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%4s %9s %9s %10s %8s %8s %8s %7s %6s %8s %9s %5s %6s\n' run "M msg/s" native "high water" "sink ms" \
  handoffs "next st" wakes parks "msg/bat" throttled steal load
for i in $(seq "$n"); do
  load=$(cut -d' ' -f1 /proc/loadavg)
  steal0=$(awk '/^cpu /{ print $9 }' /proc/stat)
  "${lock[@]}" env WACTOR_BENCH_DEBUG=1 "${prefix[@]}" "$bin" --only throughput16 --engines aot --reps 1 --no-peers \
    ${COLLAPSE_ARGS:-} --json "$tmp/run.json" >/dev/null 2>"$tmp/err"
  v=$(grep '"fire-and-forget, 1 pair, 16 B"' "$tmp/run.json" | sed 's/.*"value": \([0-9.e+-]*\).*/\1/')
  nat=$(grep '"native thread handoff, 16 B"' "$tmp/run.json" | sed 's/.*"value": \([0-9.e+-]*\).*/\1/')
  hw=$(sed -n 's/^throughput 16 B: k0 handler \([0-9.]*\) ms, high water \([0-9]*\)$/\2/p' "$tmp/err")
  ms=$(sed -n 's/^throughput 16 B: k0 handler \([0-9.]*\) ms, high water \([0-9]*\)$/\1/p' "$tmp/err")
  steal=$(( $(awk '/^cpu /{ print $9 }' /proc/stat) - steal0 ))
  sched=$(sed -n 's/^throughput 16 B: scheduler //p' "$tmp/err")
  c() { awk -v k="$1" '{ for (i = 1; i < NF; i += 2) if ($i == k) print $(i + 1) }' <<<"$sched"; }
  batches=$(c batches)
  per=$(awk -v b="${batches:-0}" 'BEGIN { if (b > 2) printf "%.1f", 1e6 / (b - 2); else print "-" }')
  printf '%4d %9.2f %9.2f %10s %8s %8s %8s %7s %6s %8s %9s %5s %6s\n' "$i" "$v" "$nat" "$hw" "$ms" \
    "$(c handoffs)" "$(c next_steals)" "$(c wakes)" "$(c parks)" "$per" "$(c throttled)" "$steal" "$load"
  echo "$v" >>"$tmp/values"
done
sort -g "$tmp/values" | awk '{ v[NR] = $1 } END {
  med = v[int((NR + 1) / 2)]; low = 0
  for (i = 1; i <= NR; i++) if (v[i] < 0.7 * med) low++
  printf "runs %d: min %.2f  p10 %.2f  median %.2f  max %.2f M msg/s; below 0.7x median: %d\n",
         NR, v[1], v[int(NR * 0.1 + 0.999)], med, v[NR], low }'
