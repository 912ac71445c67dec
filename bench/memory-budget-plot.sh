#!/usr/bin/env bash
# Draws bench/results/memory-budget.png from the table bench/memory-budget.sh printed:
# peak cgroup memory against the limit, and requests per second, before and after sizing,
# with the OOM kills of each run written on its bar.
#
# Usage: bench/memory-budget.sh | tee table.md; bench/memory-budget-plot.sh table.md [LIMIT_MIB]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v gnuplot >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gnuplot-nox; }
table=$1
limit=${2:-2048}
data=$(mktemp)
# "<label> <peak MiB> <requests/s> <OOM kills>" per run; the last two columns are req/s and peak.
awk -F'|' '$2 ~ /before|after/ {
    n = NF - 1; gsub(/ /, "", $2); gsub(/ /, "", $3); peak = $n; gsub(/[^0-9]/, "", peak)
    printf "N=%s,%s %s %s %s\n", $3, $2, peak, $(n - 1) + 0, $5 + 0 }' "$table" > "$data"
out=bench/results/memory-budget.png
gnuplot <<GP
set terminal pngcairo size 1100,500 noenhanced
set output '$out'
set multiplot layout 1,2 title "realistic app in a ${limit} MiB memory cgroup, wrk -t2 -c32 ($(nproc) cores): before = JVM defaults, after = prefork's sizing"
set style fill solid 0.8
set boxwidth 0.6
set grid ytics
set xtics rotate by -30
set yrange [0:*]
set title 'peak cgroup memory (MiB); OOM kills on the bars'
set arrow from graph 0, first $limit to graph 1, first $limit nohead lc rgb 'red' dt 2 lw 2
plot '$data' using 0:2:xtic(1) with boxes lc rgb '#1f77b4' notitle, \
     '' using 0:2:(sprintf('%d OOM', \$4)) with labels offset 0,0.7 notitle
unset arrow
set title 'requests/s'
plot '$data' using 0:3:xtic(1) with boxes lc rgb '#2ca02c' notitle
unset multiplot
GP
rm -f "$data"
echo "$out"
