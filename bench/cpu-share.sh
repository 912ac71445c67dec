#!/usr/bin/env bash
# CPU share: workers that see all the processors and Spring Boot's 200 Tomcat threads each
# (prefork.worker.share-cpus=false) against workers that see their share (the default:
# -XX:ActiveProcessorCount=max(1, cpus/N), server.tomcat.threads.max=max(25, 200/N)), on the
# sample app's /whoami (2 workers) and on the realistic app's pages (4 workers, bench/lua/shop.lua).
# Memory sizing is on in both. Each run starts fresh, warms up until steady, measures MEASURE s;
# the order alternates (A B, then B A).
#
# Usage: bench/cpu-share.sh   Environment: JAVA, MEASURE (default 30), WARMUP (default 240)
set -euo pipefail
PORT=${PORT:-18880}
MPORT=${MPORT:-18881}
source "$(dirname "$0")/lib.sh"
need wrk
SHOP=$(build_realistic_app)
MEASURE=${MEASURE:-30}

one() {
  local jar=$1 workers=$2 share=$3 script=$4 path=$5
  : > "$WORK/master.log"
  JAR=$jar start_master --prefork.workers="$workers" --prefork.worker.share-cpus="$share" --prefork.boot-timeout=300s
  await_ready "$workers" 600
  warm_up "http://127.0.0.1:$PORT$path" "$script"
  local measured; measured=$(rate "http://127.0.0.1:$PORT$path" "$MEASURE" "$script")
  stop_master
  printf '| %s | %d | %s | %s |\n' "$(basename "$jar" .jar)" "$workers" "$([ "$share" = true ] && echo "shared (default)" || echo "all cpus, 200 threads")" "$measured"
}

echo "# $(nproc) cores, $("$JAVA" -version 2>&1 | head -1), wrk -t2 -c32, warm-up until steady, measured ${MEASURE}s, commit $(git rev-parse --short HEAD)"
echo "| app | workers | processors and Tomcat threads per worker | requests/s |"
echo "|---|---|---|---|"
for order in "false true" "true false"; do
  for share in $order; do one sample-app/target/sample-app.jar 2 "$share" "" /whoami; done
  for share in $order; do one "$SHOP" 4 "$share" bench/lua/shop.lua /; done
done
