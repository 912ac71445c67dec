#!/usr/bin/env bash
# Reload under load: for each worker count, the sample app under wrk -t2 -c32 keep-alive on
# /whoami, HUP after a warm-up; prints the time from the HUP to every worker of the new
# generation ready (the old ones gone), the requests and failures, and draws requests/s per
# 100 ms with the reload's start and end marked into bench/results/reload-throughput-N<n>.png.
#
# Usage: bench/reload.sh   Environment: JAVA (default java), COUNTS (default "2 4"),
#   WARMUP seconds of load before the HUP, for the JIT (default 120), AFTER seconds of load
#   after the reload (20),
#   PRELOAD (default auto)
set -euo pipefail
PORT=${PORT:-18780}
MPORT=${MPORT:-18781}
source "$(dirname "$0")/lib.sh"
need wrk
command -v gnuplot >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gnuplot-nox; }
COUNTS=${COUNTS:-2 4}
WARMUP=${WARMUP:-120}
AFTER=${AFTER:-20}
PRELOAD=${PRELOAD:-auto}
mkdir -p bench/results

echo "# $(nproc) cores, $("$JAVA" -version 2>&1 | head -1), wrk -t2 -c32, HUP after ${WARMUP} s of load, preload=$PRELOAD"
echo "| workers | HUP to new generation ready | requests | non-2xx | socket errors (connect, read, write, timeout) | plot |"
echo "|---|---|---|---|---|---|"
for n in $COUNTS; do
  : > "$WORK/master.log"
  start_master --prefork.workers="$n" --prefork.preload="$PRELOAD" --prefork.preload-dir="$WORK/archives"
  await_ready "$n" 600
  # The load runs until it is stopped (INT), so that it covers however long the reload takes.
  wrk -t2 -c32 -d3600s -s bench/lua/per-100ms.lua "http://127.0.0.1:$PORT/whoami" > "$WORK/wrk.out" 2>&1 &
  load=$!
  sleep "$WARMUP"
  hup=$EPOCHREALTIME
  kill -HUP "$MASTER"
  await "s['state']=='running' and s['generation']==2 and len(s['workers'])==$n and all(w['generation']==2 and w['state']=='ready' for w in s['workers'])" 900
  ready=$EPOCHREALTIME
  sleep "$AFTER"
  kill -INT "$load"; wait "$load" || true
  stop_master
  took=$(awk -v a="$hup" -v b="$ready" 'BEGIN { printf "%.1f", b - a }')
  requests=$(awk '/requests in/ { print $1 }' "$WORK/wrk.out")
  non2xx=$(awk '/Non-2xx/ { print $NF }' "$WORK/wrk.out"); non2xx=${non2xx:-0}
  errors=$(awk '/Socket errors/ { sub(/^ *Socket errors: */, ""); print }' "$WORK/wrk.out"); errors=${errors:-0}
  sed -n '/^BUCKETS$/,/^END$/p' "$WORK/wrk.out" | sed '1d;$d' \
    | awk -v h="$hup" '{ printf "%.1f %d %d\n", $1 - h, $2 * 10, $3 * 10 }' > "$WORK/series"
  out=bench/results/reload-throughput-N$n.png
  gnuplot <<GP
set terminal pngcairo size 1100,450 noenhanced
set output '$out'
set title "prefork: rolling reload (HUP) of $n workers under wrk -t2 -c32, requests/s per 100 ms ($(nproc) cores)"
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
  echo "| $n | $took s | $requests | $non2xx | $errors | $out |"
done
