#!/usr/bin/env bash
# Hot path: plain Spring Boot (one JVM, prefork.enabled=false, 200 Tomcat threads) against
# prefork with 2 workers of 100 threads each, wrk -t2 -c32 keep-alive on /whoami. The plain JVM
# runs exactly as a worker does: the extracted jar and the class-data archive, read from a
# worker's command line. Each setup is started fresh, warmed up until its JIT settles (10 s
# windows of load until two in a row differ by less than 5%, at least 60 s, at most WARMUP s),
# then measured; the order alternates (A B, B A, A B ...); prints each run and the ratio of the
# medians (prefork / plain).
#
# Usage: bench/hot-path.sh   Environment: JAR (default the sample; sample-reactive/target/
#   sample-reactive.jar for WebFlux on Reactor Netty, whose event loops need no thread setting),
#   JAVA (default java), RUNS (pairs, default 3),
#   WARMUP (most seconds of warm-up, default 240) and MEASURE seconds (default 30)
set -euo pipefail
PORT=${PORT:-18680}
MPORT=${MPORT:-18681}
source "$(dirname "$0")/lib.sh"
need wrk
RUNS=${RUNS:-3}
MEASURE=${MEASURE:-30}
URL="http://127.0.0.1:$PORT/whoami"

build_archive "$WORK/archives" > /dev/null
read -r -a PLAIN_JVM <<< "$(worker_archive_args "$WORK/archives")"

# Ready when every worker answers: 20 fresh connections all succeed.
await_answers() {
  local start=$SECONDS
  until [ "$(for _ in $(seq 20); do curl -s -o /dev/null -w '%{http_code}\n' "$URL"; done | grep -c 200)" = 20 ]; do
    [ $((SECONDS - start)) -lt 180 ] || { echo "not ready" >&2; exit 1; }
    sleep 1
  done
}

plain() {
  "$JAVA" "${PLAIN_JVM[@]}" --prefork.enabled=false --server.tomcat.threads.max=200 --server.port="$PORT" \
    --management.server.port="$MPORT" > "$WORK/plain.log" 2>&1 &
  MASTER=$!
  await_answers
}

prefork() {
  start_master --prefork.workers=2 --server.tomcat.threads.max=100 --prefork.preload=on --prefork.preload-dir="$WORK/archives"
  await_ready 2 600
  await_answers
}

echo "# $JAR, $(nproc) cores, $("$JAVA" -version 2>&1 | head -1), wrk -t2 -c32, warm-up until steady (60-${WARMUP:-240} s), measured ${MEASURE}s, commit $(git rev-parse --short HEAD)"
echo "# plain JVM: $JAVA ${PLAIN_JVM[*]}"
: > "$WORK/plain"; : > "$WORK/prefork"
for run in $(seq "$RUNS"); do
  order="plain prefork"; [ $((run % 2)) -eq 0 ] && order="prefork plain"
  for setup in $order; do
    "$setup"
    warm_up "$URL"
    rate "$URL" "$MEASURE" >> "$WORK/$setup"
    stop_master
  done
  echo "run $run ($order): plain $(tail -1 "$WORK/plain") req/s, prefork (2 workers) $(tail -1 "$WORK/prefork") req/s"
done
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mp=$(median "$WORK/plain"); mf=$(median "$WORK/prefork")
awk -v p="$mp" -v f="$mf" 'BEGIN { printf "median plain %.0f req/s, prefork %.0f req/s, ratio %.3f\n", p, f, f / p }'
