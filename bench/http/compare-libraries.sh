#!/usr/bin/env bash
# Measures the candidate embedded HTTP server libraries (Debian packages) on one hello-world:
# GET /hello -> 200 "hello", keep-alive, one server loop thread (see candidates/*.cpp).
# Builds each candidate with plain `c++ -O2` into $BUILD_DIR, then runs
# `wrk -t1 -c64 -d${DURATION}s --latency` $RUNS times against each and prints the median
# requests/s and the median p99 latency, the server's CPU time per request, with compile time, binary size and the size of the
# shared libraries each server pulls in beyond libc/libstdc++.
#
# Needs: libevent-dev libboost-dev libcpp-httplib-dev libh2o-evloop-dev wrk curl.
# On the shared 2-core machine run it under the build lock, so that builds do not skew it:
#   flock /tmp/wactor-build.lock bench/http/compare-libraries.sh
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$root/build/http-candidates}"
RUNS="${RUNS:-3}"
DURATION="${DURATION:-5}"
CONNECTIONS="${CONNECTIONS:-64}"
PORT_BASE="${PORT_BASE:-$((20000 + ($$ % 400) * 20))}"  # fresh ports: old sockets may linger
src="$here/candidates"
CXX="${CXX:-c++}"
CXXFLAGS=(-std=c++20 -O2 -Wall -Wextra -Werror -I"$src")

mkdir -p "$BUILD_DIR"
declare -A compile_s
build() {  # name source libs...
  local name="$1" source="$2"
  shift 2
  local t0 t1
  t0=$(date +%s.%N)
  "$CXX" "${CXXFLAGS[@]}" -o "$BUILD_DIR/$name" "$src/$source" "$@" -pthread
  t1=$(date +%s.%N)
  compile_s[$name]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  echo "built $name in ${compile_s[$name]} s" >&2
}

build hello_libevent hello_libevent.cpp -levent -levent_pthreads
build hello_beast hello_beast.cpp
build hello_httplib hello_httplib.cpp -lcpp-httplib
have_h2o=0
if [ -e /usr/include/h2o.h ]; then
  build hello_h2o hello_h2o.cpp -DH2O_USE_LIBUV=0 -lh2o-evloop
  have_h2o=1
fi

# Bytes of the shared libraries a binary loads beyond the C/C++ runtime (what shipping it adds).
extra_libs_kib() {
  ldd "$1" | awk '/=> \// { print $3 }' |
    grep -Ev '/(libc|libm|libstdc\+\+|libgcc_s|ld-linux-x86-64|libpthread|libdl)\.so' |
    xargs -r readlink -f | xargs -r stat -c %s | awk '{ s += $1 } END { printf "%d", s / 1024 }'
}

# wrk prints latencies as 812.00us / 1.23ms / 1.02s; convert to microseconds.
to_us() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") m = 1; else if (u == "ms") m = 1000; else if (u == "s") m = 1000000; else m = 1
    printf "%.0f", n * m }'
}

# CPU time (user + system, all threads) a process has used, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

wait_ready() {  # port pid
  for _ in $(seq 100); do
    kill -0 "$2" 2>/dev/null || return 1
    if [ "$(curl -s -m 1 "http://127.0.0.1:$1/hello" 2>/dev/null)" = "hello" ]; then return 0; fi
    sleep 0.05
  done
  return 1
}

rows=()
port=$PORT_BASE
measure() {  # label binary [args...]
  local label="$1" bin="$2"
  shift 2
  port=$((port + 1))
  "$BUILD_DIR/$bin" "$port" "$@" &
  local pid=$!
  if ! wait_ready "$port" "$pid"; then
    echo "$label: server did not answer" >&2
    kill "$pid" 2>/dev/null || true
    return 1
  fi
  local rps=() p99=() errors=0 out requests=0 ticks0
  ticks0=$(cpu_ticks "$pid")
  for _ in $(seq "$RUNS"); do
    out=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency "http://127.0.0.1:$port/hello")
    requests=$((requests + $(awk '/requests in/ { print $1 }' <<<"$out")))
    rps+=("$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")")
    p99+=("$(to_us "$(awk '$1 == "99%" { print $2 }' <<<"$out")")")
    if grep -qE 'Socket errors|Non-2xx' <<<"$out"; then
      errors=$((errors + 1))
      grep -E 'Socket errors|Non-2xx' <<<"$out" | sed "s/^/  $label: /" >&2
    fi
  done
  # Server CPU per request: robust to the client and other load sharing the cores.
  local cpu_us
  cpu_us=$(awk -v t="$(($(cpu_ticks "$pid") - ticks0))" -v hz="$(getconf CLK_TCK)" -v n="$requests" \
    'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local rps_med p99_med
  rps_med=$(printf '%s\n' "${rps[@]}" | median)
  p99_med=$(printf '%s\n' "${p99[@]}" | median)
  rows+=("$(printf '%-28s %8s %8s %7s %20s %8s %8s %8s' "$label" "$rps_med" "$p99_med" "$cpu_us" \
    "$(IFS=/; echo "${rps[*]}")" "${compile_s[$bin]}" \
    "$(($(stat -c %s "$BUILD_DIR/$bin") / 1024))" "$(extra_libs_kib "$BUILD_DIR/$bin")")")
  echo "$label: ${rps[*]} req/s, p99 ${p99[*]} us, runs with errors: $errors" >&2
}

measure "libevent" hello_libevent || true
measure "libevent deferred" hello_libevent deferred || true
measure "libevent deferred eventfd" hello_libevent deferred-eventfd || true
measure "libevent changelist" hello_libevent changelist || true
measure "libevent changelist deferred" hello_libevent changelist deferred || true
measure "beast" hello_beast || true
measure "beast deferred" hello_beast deferred || true
measure "cpp-httplib (8 thr)" hello_httplib || true
measure "cpp-httplib (8 thr) nodelay" hello_httplib nodelay || true
measure "cpp-httplib (64 thr) nodelay" hello_httplib nodelay threads=64 || true
if [ "$have_h2o" = 1 ]; then
  measure "h2o evloop" hello_h2o || true
  measure "h2o evloop deferred" hello_h2o deferred || true
fi

echo
echo "wrk -t1 -c$CONNECTIONS -d${DURATION}s --latency, $RUNS runs, $(nproc) cores, client on the same machine"
printf '%-28s %8s %8s %7s %20s %8s %8s %8s\n' candidate "req/s" "p99_us" "cpu_us" "runs_req/s" "build_s" "bin_KiB" "libs_KiB"
printf '%s\n' "${rows[@]}"
