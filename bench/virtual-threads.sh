#!/usr/bin/env bash
# Virtual threads (spring.threads.virtual.enabled=true) on the realistic app (Thymeleaf + JPA on
# H2, bench/lua/shop.lua), JDK 25: one plain JVM against 2 workers as prefork starts them today
# (-XX:ActiveProcessorCount=1 each; on JDK 24+ the scheduler then has one carrier, before JDK 24
# the master gives it a carrier per processor of the machine), against 2 workers with one
# carrier each (one-carrier: -Djdk.virtualThreadScheduler.parallelism=1) and with a carrier per
# processor of the machine each (machine-carriers). Each run starts
# fresh (no class-data archive) and loads the app for LOAD seconds (wrk -t2 -c32, 2 s timeout)
# from the moment it is ready, then STEADY seconds more: requests/s of both windows, failed
# requests (socket errors and non-2xx) and workers killed as hung over both.
#
# Also 2 workers that see every processor (prefork.worker.share-cpus=false).
#
# Usage: bench/virtual-threads.sh   Environment: JAVA (default Temurin 25), LOAD (default 60),
#   STEADY (default 60), SETUPS (default "plain machine-carriers carriers one-carrier all-cpus plain"),
#   UNTIL_STEADY=1 (load until the JIT settles, at most WARMUP s, before the second window),
#   CURVE=N (instead: N windows of 30 s of load from ready, requests/s of each: how long each
#   setup takes to reach its speed, and whether the workers ever reach the plain JVM's),
#   VIRTUAL=false (the same setups on platform threads, to tell what is the virtual threads' doing)
set -euo pipefail
PORT=${PORT:-18980}
MPORT=${MPORT:-18981}
JAVA=${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
source "$(dirname "$0")/lib.sh"
need wrk
SHOP=$(build_realistic_app)
LOAD=${LOAD:-60}
STEADY=${STEADY:-60}
URL="http://127.0.0.1:$PORT/"
VIRTUAL=${VIRTUAL:-true}

# wrk for $1 seconds; prints "requests/s failed": socket errors (connect, read, write, timeout) and non-2xx.
load() {
  wrk -t2 -c32 -d"$1s" --timeout 2s -s bench/lua/shop.lua "$URL" > "$WORK/wrk.txt"
  awk '/Requests\/sec/ { rps = $2 }
       /Socket errors/ { gsub(",", ""); errors = $4 + $6 + $8 + $10 }
       /Non-2xx/ { non2xx = $NF }
       END { printf "%s %d", rps, errors + non2xx }' "$WORK/wrk.txt"
}

await_answer() {
  local start=$SECONDS
  until curl -s -o /dev/null --max-time 2 "$URL"; do
    [ $((SECONDS - start)) -lt 300 ] || { echo "no answer" >&2; exit 1; }
    sleep 0.5
  done
}

plain() {
  "$JAVA" -jar "$SHOP" --prefork.enabled=false --spring.threads.virtual.enabled="$VIRTUAL" --server.port="$PORT" \
    > "$WORK/master.log" 2>&1 &
  MASTER=$!
  await_answer
}

prefork() {
  : > "$WORK/master.log"
  JAR=$SHOP start_master --prefork.workers=2 --spring.threads.virtual.enabled="$VIRTUAL" --prefork.preload=off \
    --prefork.boot-timeout=300s "$@"
  await_ready 2 600
}

echo "# $(nproc) cores, $("$JAVA" -version 2>&1 | head -1), realistic app, spring.threads.virtual.enabled=$VIRTUAL, wrk -t2 -c32 --timeout 2s for ${LOAD}s from ready, commit $(git rev-parse --short HEAD)"
if [ -n "${CURVE:-}" ]; then
  echo "| setup | requests/s in each 30 s window from ready | workers killed as hung |"
  echo "|---|---|---|"
else
  echo "| setup | requests/s, first ${LOAD} s | requests/s, next ${STEADY} s | failed requests | workers killed as hung |"
  echo "|---|---|---|---|---|"
fi
for setup in ${SETUPS:-plain machine-carriers carriers one-carrier all-cpus plain}; do
  case $setup in
    plain) plain; label="one plain JVM" ;;
    one-carrier) prefork --prefork.worker.jvm-args=-Djdk.virtualThreadScheduler.parallelism=1; label="2 workers, 1 carrier each" ;;
    machine-carriers) prefork --prefork.worker.jvm-args=-Djdk.virtualThreadScheduler.parallelism="$(nproc)"; label="2 workers, a carrier per processor of the machine each" ;;
    carriers) prefork; label="2 workers, the default" ;;
    all-cpus) prefork --prefork.worker.share-cpus=false; label="2 workers seeing every processor (share-cpus=false)" ;;
  esac
  if [ -n "${CURVE:-}" ]; then
    curve=""
    for _ in $(seq "$CURVE"); do curve="$curve $(rate "$URL" 30 bench/lua/shop.lua)"; done
    killed=$(grep -c 'sent no heartbeat' "$WORK/master.log" || true)
    stop_master
    echo "| $label |$curve | $( [ "$setup" = plain ] && echo - || echo "$killed") |"
    continue
  fi
  read -r first failed_first <<< "$(load "$LOAD")"
  # UNTIL_STEADY=1: more load until the JIT settles (lib.sh's warm_up) before the second window
  [ -z "${UNTIL_STEADY:-}" ] || warm_up "$URL" bench/lua/shop.lua
  read -r steady failed_steady <<< "$(load "$STEADY")"
  killed=$(grep -c 'sent no heartbeat' "$WORK/master.log" || true)
  stop_master
  echo "| $label | $first | $steady | $((failed_first + failed_steady)) | $( [ "$setup" = plain ] && echo - || echo "$killed") |"
done
