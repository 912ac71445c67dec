#!/usr/bin/env bash
# First start of a new jar (no class-data archive yet), with and without the warm-up: the time
# from `java -jar` to the first 200 (what a client and a readiness probe with min-ready-workers=1
# see) and to N ready workers, against the same application as one plain JVM
# (prefork.enabled=false: the time to its first 200); then the first load, wrk -t2 -c32 for
# FIRST seconds with --timeout 2s: requests over 2 s and the request rate.
#
# Usage: bench/first-start.sh   Environment: APP sample (default) or realistic, JAVA, COUNTS
#   (default "2"), MODES (default "off on": prefork.warmup.enabled), RUNS (default 3, alternated),
#   FIRST (default 10)
set -euo pipefail
PORT=${PORT:-18790}
MPORT=${MPORT:-18791}
source "$(dirname "$0")/lib.sh"
need wrk
APP=${APP:-sample}
COUNTS=${COUNTS:-2}
MODES=${MODES:-off on}
RUNS=${RUNS:-3}
FIRST=${FIRST:-10}
choose_app

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

plain() {
  local start; start=$(now)
  "$JAVA" -jar "$JAR" --prefork.enabled=false --server.port="$PORT" --management.server.port=-1 > "$WORK/plain.log" 2>&1 &
  local pid=$!
  until curl -sf -o /dev/null --max-time 2 "$URL"; do sleep 0.05; done
  local took; took=$(elapsed "$start")
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  echo "$took"
}

first_load() {
  wrk -t2 -c32 -d"${FIRST}s" --timeout 2s ${SCRIPT:+-s "$SCRIPT"} "$URL" > "$WORK/wrk.out" 2>&1 || true
  local timeouts rate
  timeouts=$(awk '/Socket errors/ { for (i = 1; i <= NF; i++) if ($i == "timeout") print $(i + 1) }' "$WORK/wrk.out")
  rate=$(awk '/Requests\/sec/ { printf "%.0f", $2 }' "$WORK/wrk.out")
  echo "${timeouts:-0} ${rate:-0}"
}

echo "# $APP app, $(nproc) cores, $("$JAVA" -version 2>&1 | head -1), no archive at start (preload=auto), first load wrk -t2 -c32 -d${FIRST}s --timeout 2s, commit $(git rev-parse --short HEAD)"
echo "| run | workers | warm-up | plain JVM to first 200 | prefork to first 200 | ratio | prefork to N ready | ratio | first load: requests over 2 s | first load req/s |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for run in $(seq "$RUNS"); do
  for n in $COUNTS; do
    modes=$MODES; [ $((run % 2)) -eq 0 ] && modes=$(echo "$MODES" | awk '{ for (i = NF; i > 0; i--) printf "%s ", $i }')
    for mode in $modes; do
      enabled=$([ "$mode" = on ] && echo true || echo false)
      base=$(plain)
      : > "$WORK/master.log"
      rm -rf "$WORK/archives"
      start=$(now)
      start_master --prefork.workers="$n" --prefork.preload-dir="$WORK/archives" --prefork.warmup.enabled="$enabled"
      (until curl -sf -o /dev/null --max-time 2 "$URL"; do sleep 0.05; done; elapsed "$start" > "$WORK/first200") &
      poller=$!
      await_ready "$n" 600
      took=$(elapsed "$start")
      wait "$poller"; first=$(cat "$WORK/first200")
      read -r timeouts rate < <(first_load)
      stop_master
      ratio=$(awk -v a="$took" -v b="$base" 'BEGIN { printf "%.2f", a / b }')
      ratio1=$(awk -v a="$first" -v b="$base" 'BEGIN { printf "%.2f", a / b }')
      echo "| $run | $n | $mode | $base s | $first s | $ratio1 | $took s | $ratio | $timeouts | $rate |"
    done
  done
done
