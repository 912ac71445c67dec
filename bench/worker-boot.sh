#!/usr/bin/env bash
# Worker boot: spawn -> first 200, cold (prefork.preload=off) against the class-data archive
# (prefork.preload=on, the archive built ahead with prefork.preload=build), on each JDK given.
# Two masters with 1 worker each run side by side, one per mode, and the samples alternate
# between them (off on, on off, ...). Per sample the serving worker is stopped (SIGSTOP) so that
# only the new worker can accept, TTIN spawns a worker, and one request (sent right after the
# TTIN) is timed until it is answered; then SIGCONT and TTOU restore one worker. Prints every
# sample and the medians. The warm-up before ready is off (WORKER_WARMUP=true turns it on): with it,
# a worker spawned next to a ready one warms up for up to 30 s before its first client, which
# would hide the boot this benchmark is about.
#
# Usage: bench/worker-boot.sh   Environment: JDKS (java binaries, default: java and
#   /usr/lib/jvm/temurin-25-jdk-amd64/bin/java when present), SAMPLES (default 7), WORKER_WARMUP (false)
set -euo pipefail
PORT=${PORT:-18480}
MPORT=${MPORT:-18481}
source "$(dirname "$0")/lib.sh"

SAMPLES=${SAMPLES:-7}
WORKER_WARMUP=${WORKER_WARMUP:-false}
default_jdks=java
[ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ] && default_jdks="java /usr/lib/jvm/temurin-25-jdk-amd64/bin/java"
JDKS=${JDKS:-$default_jdks}
BASE_PORT=$PORT BASE_MPORT=$MPORT
declare -A MASTERS

# Points PORT, MPORT and MASTER at the master of mode $1 (off: the base ports, on: +10).
use() {
  local offset=0; [ "$1" = on ] && offset=10
  PORT=$((BASE_PORT + offset)); MPORT=$((BASE_MPORT + offset)); MASTER=${MASTERS[$1]:-}
}

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

stop_both() { for mode in off on; do use "$mode"; stop_master; MASTERS[$mode]=""; done; }
trap 'stop_both; remove_work' EXIT

echo "# $(nproc) cores, $SAMPLES samples per row, alternating, warm-up before ready $WORKER_WARMUP, seconds from TTIN to the first 200 of the new worker, commit $(git rev-parse --short HEAD)"
for jdk in $JDKS; do
  JAVA=$jdk
  version=$("$JAVA" -version 2>&1 | head -1)
  archives="$WORK/archives-$(basename "$(dirname "$(dirname "$jdk")")")"
  built=$(build_archive "$archives")
  for mode in off on; do
    use "$mode"
    start_master --prefork.workers=1 --prefork.preload="$mode" --prefork.preload-dir="$archives" --prefork.timeout=600s \
      --prefork.warmup.enabled="$WORKER_WARMUP"
    MASTERS[$mode]=$MASTER
  done
  for mode in off on; do
    use "$mode"; await_ready 1 600
    for _ in $(seq 20); do curl -s -o /dev/null "http://127.0.0.1:$PORT/whoami"; done
    : > "$WORK/samples-$mode"
  done
  for i in $(seq "$SAMPLES"); do
    order="off on"; [ $((i % 2)) -eq 0 ] && order="on off"
    for mode in $order; do use "$mode"; sample >> "$WORK/samples-$mode"; done
  done
  stop_both
  for mode in off on; do
    median=$(sort -n "$WORK/samples-$mode" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
    echo "$version | preload=$mode | samples $(tr '\n' ' ' < "$WORK/samples-$mode")| median $median s$([ "$mode" = on ] && echo " | archive built ahead in $built s")"
  done
done
