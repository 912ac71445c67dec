#!/usr/bin/env bash
# The same zero-downtime operations on gunicorn, for comparison with bench/zero-downtime.sh:
# gunicorn (Debian's package) with 2 gthread workers of 100 threads each (prefork's sample runs
# 2 workers of 100 Tomcat threads) serving a WSGI app that answers like /whoami, under
# wrk -t2 -c32 keep-alive load; after 5 s one operation, then the load runs on to the end.
#   hup:   HUP to the master (new workers, the old ones stopped gracefully)
#   usr2:  USR2 (a new master with new workers), then TERM to the old master once the new
#          master's workers run
#
# Usage: bench/gunicorn.sh [scenario ...]   Environment: DURATION of each load (default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
need() { command -v "$1" >/dev/null || { apt-get update -qq && apt-get install -y -qq "${2:-$1}"; }; }
need wrk
need gunicorn
PORT=${PORT:-18980}
DURATION=${DURATION:-30}
WORK=$(mktemp -d)
MASTER=""
trap '[ -z "$MASTER" ] || { kill -TERM "$MASTER" 2>/dev/null; wait "$MASTER" 2>/dev/null || true; }; pkill -TERM -f "gunicorn.*$WORK" || true; rm -rf "$WORK"' EXIT

cat > "$WORK/app.py" <<'PY'
import json, os

def app(environ, start_response):
    body = json.dumps({"pid": os.getpid(), "path": environ["PATH_INFO"]}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
PY

children() { pgrep -P "$1" | sort | tr '\n' ' '; }

# Waits until $1 is true, for at most 60 s.
await() {
  local start=$SECONDS
  until eval "$1"; do
    [ $((SECONDS - start)) -lt 60 ] || { echo "timed out waiting for: $1" >&2; return 1; }
    sleep 0.1
  done
}

operation_hup() {
  local before; before=$(children "$MASTER")
  kill -HUP "$MASTER"
  # done when the master has 2 workers and none of the old ones
  await '[ "$(children "$MASTER" | wc -w)" = 2 ] && ! grep -qwFf <(tr " " "\n" <<< "$before" | grep .) <(children "$MASTER" | tr " " "\n")'
}

operation_usr2() {
  local old=$MASTER
  kill -USR2 "$old"
  # the new master writes its pid to gunicorn.pid.2 until it is promoted
  await '[ -s "$WORK/gunicorn.pid.2" ] && [ "$(children "$(cat "$WORK/gunicorn.pid.2")" | wc -w)" = 2 ]'
  MASTER=$(cat "$WORK/gunicorn.pid.2")
  kill -TERM "$old"
  await '! kill -0 "$old" 2>/dev/null'
}

run() {
  local name=$1
  gunicorn --chdir "$WORK" --workers 2 --worker-class gthread --threads 100 --bind "127.0.0.1:$PORT" \
    --pid "$WORK/gunicorn.pid" app:app > "$WORK/$name.log" 2>&1 &
  MASTER=$!
  await '[ "$(children "$MASTER" | wc -w)" = 2 ] && curl -sf -o /dev/null "http://127.0.0.1:$PORT/whoami"'
  wrk -t2 -c32 -d"${DURATION}s" "http://127.0.0.1:$PORT/whoami" > "$WORK/$name.wrk" 2>&1 &
  local load=$!
  sleep 5   # load before the operation
  local start=$EPOCHREALTIME
  operation_"$name"
  local took; took=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
  wait "$load"
  kill -TERM "$MASTER"; wait "$MASTER" 2>/dev/null || true
  await '! kill -0 "$MASTER" 2>/dev/null'
  MASTER=""
  local requests errors non2xx detail
  requests=$(awk '/requests in/ { print $1 }' "$WORK/$name.wrk")
  errors=$(awk -F'[ ,]+' '/Socket errors/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i } END { print s + 0 }' "$WORK/$name.wrk")
  non2xx=$(awk '/Non-2xx/ { print $NF }' "$WORK/$name.wrk")
  detail=$(grep -oE 'connect [0-9]+, read [0-9]+, write [0-9]+, timeout [0-9]+' "$WORK/$name.wrk" || true)
  printf '%-6s requests=%-8s failed=%-4s (socket errors %s%s, non-2xx %s)  completed in %s s\n' \
    "$name" "$requests" "$(( ${errors:-0} + ${non2xx:-0} ))" "${errors:-0}" "${detail:+: $detail}" "${non2xx:-0}" "$took"
}

scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(hup usr2)
echo "# $(nproc) cores, $(gunicorn --version 2>&1 | head -1), 2 gthread workers x 100 threads, wrk -t2 -c32 -d${DURATION}s keep-alive"
for scenario in "${scenarios[@]}"; do
  case "$scenario" in hup|usr2) run "$scenario" ;; *) echo "unknown scenario: $scenario" >&2; exit 2 ;; esac
done
