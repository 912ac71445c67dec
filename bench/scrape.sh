#!/usr/bin/env bash
# Scrape cost: the sample app with 4 workers, idle; N scrapes of the master's
# /actuator/prometheus one after another; prints p50/p90/p99/max latency and the master's
# CPU time per scrape (from /proc/PID/stat).
#
# Usage: bench/scrape.sh   Environment: JAVA (default java), SCRAPES (default 300), WORKERS (4)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f sample-app/target/sample-app.jar ] || mvn -B -q -DskipTests package

JAVA=${JAVA:-java}
SCRAPES=${SCRAPES:-300}
WORKERS=${WORKERS:-4}
PORT=${PORT:-18380}
MPORT=${MPORT:-18381}
WORK=$(mktemp -d)

# The archive built ahead, as a deploy would: otherwise the master builds it in the background
# (a training run of the application) while the scrapes are timed.
"$JAVA" -jar sample-app/target/sample-app.jar --prefork.preload=build --prefork.preload-dir="$WORK/archives" \
  > "$WORK/build.log" 2>&1
"$JAVA" -jar sample-app/target/sample-app.jar --server.port="$PORT" --management.server.port="$MPORT" \
  --prefork.workers="$WORKERS" --prefork.preload-dir="$WORK/archives" > "$WORK/master.log" 2>&1 &
MASTER=$!
trap 'kill -TERM $MASTER 2>/dev/null; wait $MASTER 2>/dev/null || true; rm -rf "$WORK"' EXIT

start=$SECONDS
until curl -s "http://127.0.0.1:$MPORT/actuator/prefork" | python3 -c "
import json,sys; s=json.load(sys.stdin); sys.exit(0 if s['state']=='running' and sum(w['state']=='ready' for w in s['workers'])==$WORKERS else 1)" 2>/dev/null; do
  [ $((SECONDS - start)) -lt 180 ] || { echo "workers not ready" >&2; exit 1; }
  sleep 0.5
done
for _ in $(seq 20); do curl -s "http://127.0.0.1:$PORT/whoami" > /dev/null; done
for _ in $(seq 20); do curl -s -o /dev/null "http://127.0.0.1:$MPORT/actuator/prometheus"; done   # warm-up

ticks() { awk '{ print $14 + $15 }' "/proc/$MASTER/stat"; }
before=$(ticks)
for _ in $(seq "$SCRAPES"); do
  curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$MPORT/actuator/prometheus"
done > "$WORK/times"
after=$(ticks)
lines=$(curl -s "http://127.0.0.1:$MPORT/actuator/prometheus" | grep -vc '^#')
sort -n "$WORK/times" | awk -v n="$SCRAPES" -v cpu=$((after - before)) -v w="$WORKERS" -v lines="$lines" '
  { t[NR] = $1 * 1000 }
  END {
    printf "# %d cores, %d workers, %d scrapes, %d samples per scrape, commit '"$(git rev-parse --short HEAD)"'\n", '"$(nproc)"', w, n, lines
    printf "p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms  master CPU %.1f ms per scrape\n",
      t[int(n * 0.5)], t[int(n * 0.9)], t[int(n * 0.99)], t[n], cpu * 10 / n
  }'
