#!/usr/bin/env bash
# Hot path: plain Spring Boot (one JVM, prefork.enabled=false, 200 Tomcat threads) against
# prefork with 2 workers of 100 threads each, wrk -t2 -c32 keep-alive on /whoami. Each setup is
# started fresh, warmed up until its JIT settles (10 s windows of load until two in a row differ
# by less than 5%, at least 60 s, at most WARMUP s), then measured; runs are interleaved
# A B A B ...; prints each run and the ratio of the medians (prefork / plain).
#
# Usage: bench/hot-path.sh   Environment: JAVA (default java), RUNS (pairs, default 3),
#   WARMUP (most seconds of warm-up, default 240) and MEASURE seconds (default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
[ -f sample-app/target/sample-app.jar ] || mvn -B -q -DskipTests package

JAVA=${JAVA:-java}
RUNS=${RUNS:-3}
WARMUP=${WARMUP:-240}
MEASURE=${MEASURE:-30}
PORT=${PORT:-18680}
MPORT=${MPORT:-18681}
WORK=$(mktemp -d)
APP=""
trap '[ -z "$APP" ] || { kill -TERM $APP 2>/dev/null; wait $APP 2>/dev/null || true; }' EXIT

start_app() {
  "$JAVA" -jar sample-app/target/sample-app.jar --server.port="$PORT" --management.server.port="$MPORT" "$@" \
    > "$WORK/app.log" 2>&1 &
  APP=$!
  local start=$SECONDS
  # ready when every worker answers: 20 fresh connections all succeed
  until [ "$(for _ in $(seq 20); do curl -s -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$PORT/whoami"; done | grep -c 200)" = 20 ]; do
    [ $((SECONDS - start)) -lt 180 ] || { echo "not ready" >&2; exit 1; }
    sleep 1
  done
  if [ "$1" != "--prefork.enabled=false" ]; then
    until curl -s "http://127.0.0.1:$MPORT/actuator/prefork" | grep -q '"state":"running"'; do sleep 1; done
  fi
}

stop_app() { kill -TERM "$APP"; wait "$APP" 2>/dev/null || true; APP=""; }

rate() { wrk -t2 -c32 -d"$1s" "http://127.0.0.1:$PORT/whoami" | awk '/Requests\/sec/ { print $2 }'; }

# Two JVMs warm up on half the traffic each while their compilers share the two cores with
# wrk: a fixed short warm-up measures the JIT, not the server.
warm_up() {
  local start=$SECONDS previous=0 current
  while [ $((SECONDS - start)) -lt "$WARMUP" ]; do
    current=$(rate 10)
    if [ $((SECONDS - start)) -ge 60 ] && awk -v a="$previous" -v b="$current" 'BEGIN { exit !(a > 0 && (b - a) / a < 0.05 && (a - b) / a < 0.05) }'; then
      break
    fi
    previous=$current
  done
  echo "warmed up in $((SECONDS - start)) s (last 10 s: $current req/s)" >&2
}

measure() { warm_up; rate "$MEASURE"; }

echo "# $(nproc) cores, $("$JAVA" -version 2>&1 | head -1), wrk -t2 -c32, warm-up until steady (60-${WARMUP} s), measured ${MEASURE}s"
: > "$WORK/plain"; : > "$WORK/prefork"
for run in $(seq "$RUNS"); do
  start_app --prefork.enabled=false --server.tomcat.threads.max=200
  plain=$(measure); stop_app; echo "$plain" >> "$WORK/plain"
  start_app --prefork.workers=2 --server.tomcat.threads.max=100
  prefork=$(measure); stop_app; echo "$prefork" >> "$WORK/prefork"
  echo "run $run: plain $plain req/s, prefork (2 workers) $prefork req/s"
done
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mp=$(median "$WORK/plain"); mf=$(median "$WORK/prefork")
awk -v p="$mp" -v f="$mf" 'BEGIN { printf "median plain %.0f req/s, prefork %.0f req/s, ratio %.3f\n", p, f, f / p }'
