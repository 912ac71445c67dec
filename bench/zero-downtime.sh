#!/usr/bin/env bash
# Zero-downtime benchmark: the sample app with 2 workers under wrk keep-alive load, one
# operation per run, one line per scenario: requests, failed (socket errors + non-2xx), and
# how long the operation took to complete.
#
# Usage: bench/zero-downtime.sh [scenario ...]
#   scenarios: hup-rolling hup-all-at-once ttin-ttou usr2-upgrade max-requests kill-worker
#   (default: all)
# Environment: JAVA (default java), DURATION of each load in seconds (default 120; it must
# outlast the operation, which takes 20-45 s under load on 2 cores).
set -euo pipefail
PORT=${PORT:-18180}
MPORT=${MPORT:-18181}
source "$(dirname "$0")/lib.sh"
need wrk
DURATION=${DURATION:-120}

# Waits until the scenario's log contains a line matching $1, for at most $2 seconds.
await_log() {
  local pattern=$1 limit=${2:-180} start=$SECONDS
  until grep -qE "$pattern" "$LOG"; do
    if [ $((SECONDS - start)) -ge "$limit" ]; then echo "timed out waiting for log: $pattern" >&2; return 1; fi
    sleep 0.2
  done
}

ready_pids() { status | field "sorted(w['pid'] for w in s['workers'] if w['state']=='ready')"; }

run() {
  local name=$1; shift
  LOG="$WORK/$name.log"
  "$JAVA" -jar "$JAR" --server.port="$PORT" --management.server.port="$MPORT" \
    --prefork.workers=2 --prefork.pidfile="$WORK/master.pid" "$@" > "$WORK/$name.log" 2>&1 &
  MASTER=$!
  await "s['state']=='running' and len([w for w in s['workers'] if w['state']=='ready'])==2"
  wrk -t2 -c32 -d"${DURATION}s" "http://127.0.0.1:$PORT/whoami" > "$WORK/$name.wrk" 2>&1 &
  local load=$!
  sleep 5   # warm-up under load before the operation
  local before; before=$(ready_pids)
  local start=$EPOCHREALTIME
  operation_"$name" "$before"
  local took; took=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
  wait "$load"
  stop_master
  local recycled; recycled=$(grep -c "exited: max_requests" "$WORK/$name.log" || true)
  [ "$recycled" -eq 0 ] || echo "  ($recycled worker(s) recycled during the run)" >&2
  local requests errors non2xx
  requests=$(awk '/requests in/ { print $1 }' "$WORK/$name.wrk")
  errors=$(awk -F'[ ,]+' '/Socket errors/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i } END { print s + 0 }' "$WORK/$name.wrk")
  non2xx=$(awk '/Non-2xx/ { print $NF }' "$WORK/$name.wrk")
  local detail; detail=$(grep -oE 'connect [0-9]+, read [0-9]+, write [0-9]+, timeout [0-9]+' "$WORK/$name.wrk" || true)
  printf '%-16s requests=%-8s failed=%-4s (socket errors %s%s, non-2xx %s)  completed in %s s\n' \
    "$name" "$requests" "$(( ${errors:-0} + ${non2xx:-0} ))" "${errors:-0}" "${detail:+: $detail}" "${non2xx:-0}" "$took"
  if awk -v took="$took" -v d="$DURATION" 'BEGIN { exit !(took > d - 5) }'; then
    echo "  warning: the operation outlasted the load; rerun with a larger DURATION" >&2
  fi
}

operation_hup-rolling() {
  kill -HUP "$MASTER"
  await "s['lastReload'] is not None and s['lastReload']['result']=='succeeded'" 180
}

operation_hup-all-at-once() { operation_hup-rolling; }

operation_ttin-ttou() {
  kill -TTIN "$MASTER"
  await "len([w for w in s['workers'] if w['state']=='ready'])==3" 180
  kill -TTOU "$MASTER"
  await "len(s['workers'])==2" 180
}

operation_usr2-upgrade() {
  # USR2, wait until the new master's workers are ready, TERM the old master: done once the
  # new master is promoted.
  local old=$MASTER
  kill -USR2 "$old"
  await_log "New master \(pid [0-9]+\) is ready"
  kill -TERM "$old"
  await_log "Promoted: the old master"
  wait "$old" 2>/dev/null || true
  MASTER=$(cat "$WORK/master.pid")
}

operation_max-requests() {
  # Done when the first recycled worker has exited; more recycles follow while the load runs.
  await_log "exited: max_requests"
}

operation_kill-worker() {
  local victim; victim=$(status | field "s['workers'][0]['pid']")
  kill -KILL "$victim"
  await "len([w for w in s['workers'] if w['state']=='ready'])==2 and $victim not in [w['pid'] for w in s['workers']]" 180
}

scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(hup-rolling hup-all-at-once ttin-ttou usr2-upgrade max-requests kill-worker)
echo "# $(nproc) cores, $("$JAVA" -version 2>&1 | head -1), wrk -t2 -c32 -d${DURATION}s keep-alive on /whoami, 2 workers, commit $(git rev-parse --short HEAD)"
for scenario in "${scenarios[@]}"; do
  case "$scenario" in
    hup-rolling) run hup-rolling ;;
    hup-all-at-once) run hup-all-at-once --prefork.reload.strategy=all-at-once ;;
    ttin-ttou) run ttin-ttou ;;
    usr2-upgrade) run usr2-upgrade ;;
    max-requests) run max-requests --prefork.max-requests=20000 --prefork.max-requests-jitter=5000 ;;
    kill-worker) run kill-worker ;;
    *) echo "unknown scenario: $scenario" >&2; exit 2 ;;
  esac
done
