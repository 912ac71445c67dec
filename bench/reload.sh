#!/usr/bin/env bash
# Reload under load, with and without the warm-up: the app under wrk -t2 -c32 keep-alive
# (--timeout 2s), HUP after LOAD seconds of load; reports the time from the HUP to every
# worker of the new generation ready, the throughput in the THEN seconds after that against
# the LAST seconds before the HUP (the ratio the warm-up is for), requests over 2 s (wrk
# timeouts) and non-2xx, and draws requests/s per 100 ms into
# bench/results/reload-<app>-warmup-<on|off>-N<n>.png.
#
# Usage: bench/reload.sh   Environment: APP sample (default: /whoami), reactive (the WebFlux
#   sample on Reactor Netty, /whoami) or realistic (templates + JPA, the shop.lua page mix), JAVA (default java), COUNTS (default "2"), MODES (default
#   "off on": prefork.warmup.enabled), LOAD seconds of load before the HUP (default 90),
#   LAST (30), THEN (30), PRELOAD (default auto), EXTRA (more master arguments, such as
#   --prefork.reload.strategy=all-at-once)
set -euo pipefail
PORT=${PORT:-18780}
MPORT=${MPORT:-18781}
source "$(dirname "$0")/lib.sh"
need wrk
command -v gnuplot >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gnuplot-nox; }
APP=${APP:-sample}
COUNTS=${COUNTS:-2}
MODES=${MODES:-off on}
LOAD=${LOAD:-90}
LAST=${LAST:-30}
THEN=${THEN:-30}
PRELOAD=${PRELOAD:-auto}
if [ "$APP" = realistic ]; then
  JAR=$(build_realistic_app); URL="http://127.0.0.1:$PORT/"; SCRIPT=bench/lua/shop-per-100ms.lua
elif [ "$APP" = reactive ]; then
  [ -f sample-reactive/target/sample-reactive.jar ] || mvn -B -q -DskipTests package
  JAR=sample-reactive/target/sample-reactive.jar; URL="http://127.0.0.1:$PORT/whoami"; SCRIPT=bench/lua/per-100ms.lua
else
  URL="http://127.0.0.1:$PORT/whoami"; SCRIPT=bench/lua/per-100ms.lua
fi
mkdir -p bench/results
# The class-data archive is built ahead, as a deploy would (prefork.preload=build), so that no
# build in the background competes with the load.
[ "$PRELOAD" = off ] || "$JAVA" -jar "$JAR" --prefork.preload=build --prefork.preload-dir="$WORK/archives" > "$WORK/build.log" 2>&1

echo "# $APP app, $(nproc) cores, $("$JAVA" -version 2>&1 | head -1), wrk -t2 -c32 --timeout 2s, HUP after ${LOAD} s of load, preload=$PRELOAD${EXTRA:+, $EXTRA}, commit $(git rev-parse --short HEAD)"
echo "| workers | warm-up | HUP to new generation ready | req/s in the ${LAST} s before HUP | req/s in the ${THEN} s after ready | ratio | requests over 2 s | non-2xx | plot |"
echo "|---|---|---|---|---|---|---|---|---|"
for n in $COUNTS; do
  for mode in $MODES; do
    enabled=$([ "$mode" = on ] && echo true || echo false)
    : > "$WORK/master.log"
    start_master --prefork.workers="$n" --prefork.preload="$PRELOAD" --prefork.preload-dir="$WORK/archives" \
      --prefork.warmup.enabled="$enabled" ${EXTRA:-}
    await_ready "$n" 600
    # The load runs until it is stopped (INT), so that it covers however long the reload takes.
    wrk -t2 -c32 -d3600s --timeout 2s -s "$SCRIPT" "$URL" > "$WORK/wrk.out" 2>&1 &
    load=$!
    sleep "$LOAD"
    hup=$EPOCHREALTIME
    kill -HUP "$MASTER"
    await "s['state']=='running' and s['generation']==2 and len(s['workers'])==$n and all(w['generation']==2 and w['state']=='ready' for w in s['workers'])" 900
    ready=$EPOCHREALTIME
    sleep "$THEN"
    kill -INT "$load"; wait "$load" || true
    stop_master
    took=$(awk -v a="$hup" -v b="$ready" 'BEGIN { printf "%.1f", b - a }')
    timeouts=$(awk '/Socket errors/ { for (i = 1; i <= NF; i++) if ($i == "timeout") print $(i + 1) }' "$WORK/wrk.out"); timeouts=${timeouts:-0}
    non2xx=$(awk '/Non-2xx/ { print $NF }' "$WORK/wrk.out"); non2xx=${non2xx:-0}
    sed -n '/^BUCKETS$/,/^END$/p' "$WORK/wrk.out" | sed '1d;$d' \
      | awk -v h="$hup" '{ printf "%.1f %d %d\n", $1 - h, $2 * 10, $3 * 10 }' > "$WORK/series"
    before=$(awk -v s="-$LAST" '$1 >= s && $1 < 0 { sum += $2; k++ } END { printf "%.0f", sum / k }' "$WORK/series")
    after=$(awk -v a="$took" -v t="$THEN" '$1 >= a && $1 < a + t { sum += $2; k++ } END { printf "%.0f", sum / k }' "$WORK/series")
    ratio=$(awk -v a="$after" -v b="$before" 'BEGIN { printf "%.2f", a / b }')
    out=bench/results/reload-$APP-warmup-$mode-N$n.png
    gnuplot <<GP
set terminal pngcairo size 1100,450 noenhanced
set output '$out'
set title "prefork: rolling reload (HUP) of $n workers, $APP app, warm-up $mode, wrk -t2 -c32, requests/s per 100 ms ($(nproc) cores)"
set grid
set xlabel 'seconds since HUP'
set ylabel 'requests/s'
set yrange [0:*]
set key bottom right
set arrow from 0, graph 0 to 0, graph 1 nohead lc rgb 'red' dt 2 lw 2
set arrow from $took, graph 0 to $took, graph 1 nohead lc rgb 'dark-green' dt 2 lw 2
set label 'HUP' at 0, graph 0.95 offset 0.5,0 tc rgb 'red'
set label 'new generation ready ($took s)' at $took, graph 0.88 right offset -0.5,0 tc rgb 'dark-green'
plot '$WORK/series' using 1:2 with lines lc rgb '#1f77b4' title '2xx', \
     '' using 1:3 with impulses lc rgb 'red' title 'non-2xx'
GP
    echo "| $n | $mode | $took s | $before | $after | $ratio | $timeouts | $non2xx | $out |"
  done
done
