#!/usr/bin/env bash
# Profiles in the AOT cache (JDK 24+, JEP 515): a fresh worker under load, its AOT cache built by
# a training run that served the warm-up requests ("trained") against one that exited at context
# refresh, as before (prefork.warmup.enabled=false at build time: "untrained"). The worker itself
# runs without warm-up, so only the cache differs. One worker, wrk -t2 -c32 for LOAD seconds as
# soon as it is ready; prints requests/s per 5 s slice and the seconds until a slice reaches 90 %
# of the last slice's rate. Runs alternate (RUNS pairs).
#
# Usage: bench/aot-profiles.sh   Environment: APP sample (default) or realistic, JAVA (default the
#   JDK 25 at /usr/lib/jvm/temurin-25-jdk-amd64), RUNS (default 2), LOAD (default 40)
set -euo pipefail
PORT=${PORT:-18880}
MPORT=${MPORT:-18881}
JAVA=${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
source "$(dirname "$0")/lib.sh"
need wrk
APP=${APP:-sample}
RUNS=${RUNS:-2}
LOAD=${LOAD:-40}
choose_app bench/lua/shop-per-100ms.lua bench/lua/per-100ms.lua

"$JAVA" -jar "$JAR" --prefork.preload=build --prefork.preload-dir="$WORK/trained" > "$WORK/build-trained.log" 2>&1
"$JAVA" -jar "$JAR" --prefork.preload=build --prefork.preload-dir="$WORK/untrained" --prefork.warmup.enabled=false > "$WORK/build-untrained.log" 2>&1
grep -h "Class-data archive built in" "$WORK"/build-*.log | sed 's/.*Class-data/Class-data/' >&2

echo "# $APP app, $(nproc) cores, $("$JAVA" -version 2>&1 | head -1), 1 worker without warm-up, wrk -t2 -c32 for ${LOAD} s from ready, commit $(git rev-parse --short HEAD)"
echo "| run | AOT cache | req/s per 5 s slice | s to 90 % of the last slice |"
echo "|---|---|---|---|"
for run in $(seq "$RUNS"); do
  modes="untrained trained"; [ $((run % 2)) -eq 0 ] && modes="trained untrained"
  for mode in $modes; do
    : > "$WORK/master.log"
    start_master --prefork.workers=1 --prefork.preload=on --prefork.preload-dir="$WORK/$mode" --prefork.warmup.enabled=false
    await_ready 1 300
    wrk -t2 -c32 -d"${LOAD}s" --timeout 2s -s "$SCRIPT" "$URL" > "$WORK/wrk.out" 2>&1 || true
    stop_master
    slices=$(sed -n '/^BUCKETS$/,/^END$/p' "$WORK/wrk.out" | sed '1d;$d' \
      | awk 'NR == 1 { t0 = $1 } { s = int(($1 - t0) / 5); n[s] += $2 } END { for (i = 0; i < int(('"$LOAD"') / 5); i++) printf "%d ", n[i] / 5 }')
    reach=$(echo "$slices" | awk '{ last = $NF; for (i = 1; i <= NF; i++) if ($i >= 0.9 * last) { print (i - 1) * 5; exit } }')
    echo "| $run | $mode | $slices | $reach |"
  done
done
