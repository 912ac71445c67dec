#!/usr/bin/env bash
# Worker boot: spawn -> first 200, cold (prefork.preload=off) against the class-data archive
# (prefork.preload=on), on each JDK given. One master with 1 worker; per sample the serving
# worker is stopped (SIGSTOP) so that only the new worker can accept, TTIN spawns a worker,
# and one request (sent right after the TTIN) is timed until it is answered; then SIGCONT and
# TTOU restore one worker. Prints every sample and the medians.
#
# Usage: bench/worker-boot.sh   Environment: JDKS (java binaries, default: java and
#   /usr/lib/jvm/temurin-25-jdk-amd64/bin/java when present), SAMPLES (default 7)
set -euo pipefail
PORT=${PORT:-18480}
MPORT=${MPORT:-18481}
source "$(dirname "$0")/lib.sh"

SAMPLES=${SAMPLES:-7}
default_jdks=java
[ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ] && default_jdks="java /usr/lib/jvm/temurin-25-jdk-amd64/bin/java"
JDKS=${JDKS:-$default_jdks}
PRELOAD_DIR="$WORK/archives"

sample() {
  local old; old=$(worker_pids)
  kill -STOP "$old"
  local start=$EPOCHREALTIME
  kill -TTIN "$MASTER"
  local answer; answer=$(curl -s --max-time 180 "http://127.0.0.1:$PORT/whoami")
  local took; took=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
  kill -CONT "$old"
  case "$answer" in *"\"pid\":$old"*|"") echo "bad sample: $answer" >&2; exit 1 ;; esac
  echo "$took"
  kill -TTOU "$MASTER"
  await "len(s['workers'])==1 and s['workers'][0]['state']=='ready' and s['state']=='running'"
}

echo "# $(nproc) cores, $SAMPLES samples per row, seconds from TTIN to the first 200 of the new worker"
for jdk in $JDKS; do
  JAVA=$jdk
  version=$("$JAVA" -version 2>&1 | head -1)
  for preload in off on; do
    : > "$WORK/master.log"
    start_master --prefork.workers=1 --prefork.preload="$preload" --prefork.preload-dir="$PRELOAD_DIR" \
      --prefork.timeout=600s
    await_ready 1 600
    built=$(grep -o 'Class-data archive built in [0-9.]* s' "$WORK/master.log" || true)
    for _ in $(seq 20); do curl -s -o /dev/null "http://127.0.0.1:$PORT/whoami"; done
    : > "$WORK/samples"
    for _ in $(seq "$SAMPLES"); do sample >> "$WORK/samples"; done
    stop_master
    median=$(sort -n "$WORK/samples" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
    echo "$version | preload=$preload | samples $(tr '\n' ' ' < "$WORK/samples")| median $median s ${built:+| $built}"
  done
done
