#!/usr/bin/env bash
# What the first start's background archive build costs the workers that serve meanwhile: N
# workers start cold (no archive yet), and wrk -t2 -c32 measures them in WINDOWS windows of 10 s
# from the moment they are all ready, once with the build running in the background
# (prefork.preload=on) and once without any (prefork.preload=off). Each window is marked when
# the build ran during it; the cost is the mean rate of those windows against the same windows
# without a build (target >= 0.9).
#
# Usage: bench/build-cost.sh   Environment: APP sample (default) or realistic, JAVA, WORKERS
#   (default 3), WINDOWS (default 8), RUNS (default 2, alternating the order of the two modes)
set -euo pipefail
PORT=${PORT:-18792}
MPORT=${MPORT:-18793}
source "$(dirname "$0")/lib.sh"
need wrk
APP=${APP:-sample}
WORKERS=${WORKERS:-3}
WINDOWS=${WINDOWS:-8}
RUNS=${RUNS:-2}
choose_app

# One run: prints the rate of each window, "*" after those during which the build ran.
run() {
  local preload=$1
  : > "$WORK/master.log"
  rm -rf "$WORK/archives"
  start_master --prefork.workers="$WORKERS" --prefork.preload="$preload" --prefork.preload-dir="$WORK/archives"
  await_ready "$WORKERS" 600
  local out="" w finished r
  for w in $(seq "$WINDOWS"); do
    finished=$(grep -c "Class-data archive built in" "$WORK/master.log" || true)
    r=$(rate "$URL" 10 "$SCRIPT")
    # the build ran during the window: it had started by its end and not finished before its start
    if [ "$finished" = 0 ] && grep -q "Building the class-data archive" "$WORK/master.log"; then
      out="$out ${r%.*}*"
    else
      out="$out ${r%.*}"
    fi
  done
  local took; took=$(grep -o "Class-data archive built in [0-9.]* s" "$WORK/master.log" | grep -o "[0-9.]* s" || echo "-")
  stop_master
  echo "$out|$took"
}

echo "# $APP app, $WORKERS workers from a cold start, $(nproc) cores, $("$JAVA" -version 2>&1 | head -1), wrk -t2 -c32 windows of 10 s, commit $(git rev-parse --short HEAD)"
echo "| run | windows with the build running (* = build ran) | windows without a build | build took | during the build / without |"
echo "|---|---|---|---|---|"
for run in $(seq "$RUNS"); do
  if [ $((run % 2)) -eq 1 ]; then on=$(run on); off=$(run off); else off=$(run off); on=$(run on); fi
  ratio=$(awk -v on="${on%|*}" -v off="${off%|*}" 'BEGIN {
    n = split(on, a, " "); split(off, b, " "); s = 0; t = 0; k = 0
    for (i = 1; i <= n; i++) if (a[i] ~ /\*/) { v = a[i]; sub(/\*/, "", v); s += v; t += b[i]; k++ }
    if (k == 0 || t == 0) print "-"; else printf "%.2f (%d windows)", s / t, k }')
  echo "| $run |${on%|*} |${off%|*} | ${on#*|} | $ratio |"
done
