#!/usr/bin/env bash
# Memory: the sample app with 4 idle workers (after 200 requests), per-worker RSS and PSS
# (/proc/PID/smaps_rollup) and the master's RSS, for each preload setting: cold (off), the
# class-data archive (on), and the archive mapped at its base address (on, with
# -XX:ArchiveRelocationMode=0, a diagnostic flag on JDK 17). The archive is built ahead
# (prefork.preload=build, as a deploy would); one master at a time; the rows run twice, the
# second time in the reverse order.
#
# Usage: bench/memory.sh   Environment: JAVA (default java), WORKERS (default 4)
set -euo pipefail
PORT=${PORT:-18580}
MPORT=${MPORT:-18581}
source "$(dirname "$0")/lib.sh"
WORKERS=${WORKERS:-4}

kib() { awk -v k="$1" '$1 == k ":" { print $2 }' "$2"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

measure() {
  local name=$1; shift
  : > "$WORK/master.log"
  start_master --prefork.workers="$WORKERS" --prefork.preload-dir="$WORK/archives" "$@"
  await_ready "$WORKERS" 600
  for _ in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:$PORT/whoami"; done
  sleep 5   # let the workers settle after their first requests
  local rss=0 pss=0 shared=0 pid
  for pid in $(worker_pids); do
    rss=$((rss + $(kib Rss "/proc/$pid/smaps_rollup")))
    pss=$((pss + $(kib Pss "/proc/$pid/smaps_rollup")))
    shared=$((shared + $(kib Shared_Clean "/proc/$pid/smaps_rollup") + $(kib Shared_Dirty "/proc/$pid/smaps_rollup")))
  done
  local master; master=$(kib Rss "/proc/$MASTER/smaps_rollup")
  printf '| %s | %s MiB | %s MiB | %s MiB | %s MiB | %s MiB |\n' "$name" "$(mib $((rss / WORKERS)))" \
    "$(mib $((pss / WORKERS)))" "$(mib $((shared / WORKERS)))" "$(mib $((pss)))" "$(mib "$master")"
  stop_master
}

row() {
  case "$1" in
    cold) measure "cold (preload=off)" --prefork.preload=off ;;
    archive) measure "archive (preload=on)" --prefork.preload=on ;;
    fixed) measure "archive, ArchiveRelocationMode=0" --prefork.preload=on \
      "--prefork.worker.jvm-args=-XX:+UnlockDiagnosticVMOptions -XX:ArchiveRelocationMode=0" ;;
  esac
}

build_archive "$WORK/archives" > /dev/null
echo "# $(nproc) cores, $("$JAVA" -version 2>&1 | head -1), $WORKERS workers, idle after 200 requests, commit $(git rev-parse --short HEAD)"
echo "| workers start | RSS per worker | PSS per worker | shared per worker | PSS all workers | master RSS |"
echo "|---|---|---|---|---|---|"
for setup in cold archive fixed fixed archive cold; do row "$setup"; done
