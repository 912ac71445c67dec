#!/usr/bin/env bash
# Memory budget: the realistic app (Thymeleaf + JPA on H2, bench/realistic-app) with N = 2, 4
# and 6 workers in a 2 GiB memory cgroup, as in a container, under wrk -t2 -c32 --timeout 2s
# for WARM (default 30) then DURATION seconds: "before" (the master sizes nothing: prefork.memory.size-workers=false,
# prefork.worker.share-cpus=false, so every worker JVM sizes itself for the whole cgroup) and
# "after" (the defaults). Prints, per run: OOM kills (the cgroup's oom_kill count), workers the
# master reported oom_killed, failed requests (non-2xx and socket errors) in the first WARM
# seconds and in the DURATION seconds after, requests per second after WARM,
# and the cgroup's peak memory. Needs root (it makes and removes a child memory cgroup, v1 or v2).
#
# Usage: bench/memory-budget.sh   Environment: JAVA, DURATION (default 180), COUNTS (default "2 4 6"),
#        LIMIT (default 2G), MODES (default "before after")
set -euo pipefail
PORT=${PORT:-18680}
MPORT=${MPORT:-18681}
source "$(dirname "$0")/lib.sh"
need wrk
JAR=$(build_realistic_app)
DURATION=${DURATION:-180}
WARM=${WARM:-30}
COUNTS=${COUNTS:-2 4 6}
LIMIT=${LIMIT:-2G}
MODES=${MODES:-before after}

own=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)
if [ -n "$own" ] && [ -d "/sys/fs/cgroup/memory$own" ]; then
  CG="/sys/fs/cgroup/memory$own/prefork-bench-$$"; V=1
else
  own=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
  CG="/sys/fs/cgroup$own/prefork-bench-$$"; V=2
  echo +memory > "$(dirname "$CG")/cgroup.subtree_control" 2>/dev/null || true
fi
cleanup_cgroup() {
  stop_master
  [ -d "$CG" ] || return 0
  for _ in $(seq 100); do [ -z "$(cat "$CG/cgroup.procs" 2>/dev/null)" ] && break; sleep 0.1; done
  rmdir "$CG" 2>/dev/null || true
}
trap 'cleanup_cgroup; remove_work' EXIT

oom_kills() { if [ $V = 1 ]; then awk '$1 == "oom_kill" { print $2 }' "$CG/memory.oom_control"; else awk '$1 == "oom_kill" { print $2 }' "$CG/memory.events"; fi; }
peak() { if [ $V = 1 ]; then cat "$CG/memory.max_usage_in_bytes"; else cat "$CG/memory.peak" 2>/dev/null || echo 0; fi; }

# "<failed> (<timeouts> timeouts)": non-2xx responses and socket errors in a wrk output.
failures() {
  awk '/Socket errors/ { gsub(",", ""); e = $4 + $6 + $8 + $10; t = $10 } /Non-2xx/ { n = $5 }
    END { printf "%d (%d timeouts)", e + n, t }' "$1"
}

run() {
  local mode=$1 workers=$2; shift 2
  mkdir "$CG"
  if [ $V = 1 ]; then
    echo "$LIMIT" > "$CG/memory.limit_in_bytes"
    [ -f "$CG/memory.memsw.limit_in_bytes" ] && echo "$LIMIT" > "$CG/memory.memsw.limit_in_bytes"
  else
    echo "$LIMIT" > "$CG/memory.max"; echo 0 > "$CG/memory.swap.max" 2>/dev/null || true
  fi
  : > "$WORK/master.log"
  sh -c 'echo $$ > "$1/cgroup.procs"; shift; exec "$@"' sh "$CG" "$JAVA" -jar "$JAR" --server.port="$PORT" \
    --management.server.port="$MPORT" --prefork.workers="$workers" --prefork.boot-timeout=300s "$@" \
    >> "$WORK/master.log" 2>&1 &
  MASTER=$!
  if ! await_ready "$workers" 600; then
    printf '| %s | %d | did not start: %s |\n' "$mode" "$workers" "$(grep -m1 -E 'do not fit|Description' -A2 "$WORK/master.log" | tr '\n' ' ' | cut -c1-150)"
    cleanup_cgroup; return
  fi
  local before; before=$(oom_kills)
  # The first WARM seconds of load find cold JVMs (slow until their JIT has compiled the
  # request path: over 2 s for some requests on 2 cores); counted apart from the rest.
  wrk -t2 -c32 -d"${WARM}s" --timeout 2s -s bench/lua/shop.lua "http://127.0.0.1:$PORT/" > "$WORK/warm.txt" 2>&1 || true
  wrk -t2 -c32 -d"${DURATION}s" --timeout 2s -s bench/lua/shop.lua "http://127.0.0.1:$PORT/" > "$WORK/wrk.txt" 2>&1 || true
  local after; after=$(oom_kills)
  local named heap
  named=$(grep -c "exited unexpectedly: oom_killed" "$WORK/master.log" || true)
  heap=$(status | field "(s.get('memory') or {}).get('workerHeapBytes') or 0")
  printf '| %s | %d | %s | %d | %d | %s | %s | %s | %d MiB |\n' "$mode" "$workers" \
    "$([ "${heap:-0}" -gt 0 ] 2>/dev/null && echo "$((heap >> 20)) MiB" || echo "JVM default")" \
    "$((after - before))" "$named" "$(failures "$WORK/warm.txt")" "$(failures "$WORK/wrk.txt")" \
    "$(awk '/Requests\/sec/ { print $2 }' "$WORK/wrk.txt")" "$(( $(peak) >> 20 ))"
  cleanup_cgroup
}

echo "# $(nproc) cores, $("$JAVA" -version 2>&1 | head -1), realistic app, cgroup v$V limit $LIMIT, wrk -t2 -c32 ${DURATION}s, commit $(git rev-parse --short HEAD)"
echo "| sizing | workers | worker max heap | OOM kills | named oom_killed | failed, first ${WARM} s | failed, next ${DURATION} s | requests/s, next ${DURATION} s | peak cgroup memory |"
echo "|---|---|---|---|---|---|---|---|---|"
for workers in $COUNTS; do
  for mode in $MODES; do
    case $mode in
      before) run before "$workers" --prefork.memory.size-workers=false --prefork.worker.share-cpus=false ;;
      after) run after "$workers" ;;
    esac
  done
done
