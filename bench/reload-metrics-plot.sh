#!/usr/bin/env bash
# Plots real metrics around a reload: the sample app with 2 workers under wrk load, scraped by a
# real Prometheus every second; HUP after 15 s; then Prometheus's query_range for workers by
# state and requests/s by worker slot, drawn with gnuplot into bench/results/reload-metrics.png.
#
# Usage: bench/reload-metrics-plot.sh   Environment: JAVA (default java), DURATION (default 120)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-prometheus.sh > /dev/null
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
command -v gnuplot >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gnuplot-nox; }
[ -f sample-app/target/sample-app.jar ] || mvn -B -q -DskipTests package

JAVA=${JAVA:-java}
DURATION=${DURATION:-120}
PORT=${PORT:-18480}
MPORT=${MPORT:-18481}
PPORT=${PPORT:-18490}
WORK=$(mktemp -d)
OUT=bench/results/reload-metrics.png

"$JAVA" -jar sample-app/target/sample-app.jar --server.port="$PORT" --management.server.port="$MPORT" \
  --prefork.workers=2 > "$WORK/master.log" 2>&1 &
MASTER=$!
cat > "$WORK/prometheus.yml" <<YML
global: { scrape_interval: 1s, scrape_timeout: 1s }
scrape_configs:
  - job_name: prefork
    metrics_path: /actuator/prometheus
    static_configs: [ { targets: ['127.0.0.1:$MPORT'] } ]
YML
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/data" \
  --web.listen-address="127.0.0.1:$PPORT" > "$WORK/prometheus.log" 2>&1 &
PROMETHEUS=$!
trap 'kill -TERM $MASTER $PROMETHEUS 2>/dev/null; wait $MASTER $PROMETHEUS 2>/dev/null || true; rm -rf "$WORK"' EXIT

status() { curl -s --max-time 2 "http://127.0.0.1:$MPORT/actuator/prefork" || true; }
ready() { status | python3 -c "import json,sys; s=json.load(sys.stdin); print(s['state']=='running' and sum(w['state']=='ready' for w in s['workers'])==2 and ($1))" 2>/dev/null || true; }
start=$SECONDS
until [ "$(ready True)" = True ]; do [ $((SECONDS - start)) -lt 180 ] || exit 1; sleep 0.5; done

begin=$(date +%s)
wrk -t2 -c16 -d"${DURATION}s" "http://127.0.0.1:$PORT/whoami" > "$WORK/wrk.txt" 2>&1 &
LOAD=$!
sleep 15
hup=$(date +%s)
kill -HUP "$MASTER"
until [ "$(ready "s['generation']==2 and all(w['generation']==2 for w in s['workers'])")" = True ]; do
  [ $((SECONDS - start)) -lt 400 ] || exit 1; sleep 0.5
done
done_at=$(date +%s)
wait "$LOAD"
sleep 2
end=$(date +%s)

query() {
  curl -s "http://127.0.0.1:$PPORT/api/v1/query_range" --data-urlencode "query=$1" \
    --data-urlencode "start=$begin" --data-urlencode "end=$end" --data-urlencode "step=1"
}
# One data file per series: "seconds-since-start value"
to_files() {
  python3 -c "
import json, sys
data = json.load(sys.stdin)['data']['result']
for series in data:
    label = series['metric'].get(sys.argv[2], 'all')
    with open(sys.argv[1] + '-' + label + '.dat', 'w') as out:
        for t, v in series['values']:
            out.write(f'{float(t) - $begin:.0f} {v}\n')
    print(sys.argv[1] + '-' + label + '.dat')
" "$WORK/$1" "$2"
}
query 'sum by (state) (prefork_workers)' | to_files workers state > "$WORK/workers.list"
query 'sum by (worker) (rate(http_server_requests_seconds_count{worker!=""}[5s]))' | to_files rate worker > "$WORK/rate.list"

plots_rate=$(awk -v q="'" '{ n = $0; sub(/.*rate-/, "", n); sub(/\.dat$/, "", n);
  printf "%s%s%s using 1:2 with lines lw 2 title %sworker %s%s, ", q, $0, q, q, n, q }' "$WORK/rate.list")
plots_workers=$(awk -v q="'" '{ n = $0; sub(/.*workers-/, "", n); sub(/\.dat$/, "", n);
  printf "%s%s%s using 1:2 with steps lw 2 title %s%s%s, ", q, $0, q, q, n, q }' "$WORK/workers.list")
gnuplot <<GP
set terminal pngcairo size 1100,700 noenhanced
set output '$OUT'
set multiplot layout 2,1 title "prefork: rolling reload (HUP) of 2 workers under wrk -t2 -c16, scraped every 1 s by Prometheus"
set grid
set xlabel 'seconds since the load started'
set arrow from $((hup - begin)), graph 0 to $((hup - begin)), graph 1 nohead lc rgb 'red' dt 2
set arrow from $((done_at - begin)), graph 0 to $((done_at - begin)), graph 1 nohead lc rgb 'dark-green' dt 2
set label 'HUP' at $((hup - begin)), graph 0.95 offset 0.5,0 tc rgb 'red'
set label 'all new workers ready' at $((done_at - begin)), graph 0.95 offset 0.5,0 tc rgb 'dark-green'
set ylabel 'requests/s (rate over 5 s)'
plot ${plots_rate%, }
set ylabel 'workers'
set yrange [0:4]
plot ${plots_workers%, }
unset multiplot
GP
echo "HUP at +$((hup - begin)) s, new generation ready at +$((done_at - begin)) s; $(awk '/requests in/ { print $1 " requests" }' "$WORK/wrk.txt"), $(grep -E 'Socket errors|Non-2xx' "$WORK/wrk.txt" || echo 'no socket errors or non-2xx')"
echo "wrote $OUT"
