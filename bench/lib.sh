# Shared by the bench scripts: build the sample app, start and stop a master, read its status.
# Source it after `set -euo pipefail`; set PORT and MPORT before.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# Always built again (unless JAR names another jar): the repackaged jar is not rebuilt when only
# the starter changed, and a figure measured on a stale starter is worse than none.
if [ -z "${JAR:-}" ]; then
  rm -f sample-app/target/sample-app.jar
  mvn -B -q -DskipTests install -pl sample-app -am >&2
fi
JAVA=${JAVA:-java}
JAR=${JAR:-sample-app/target/sample-app.jar}
WORK=$(mktemp -d)
MASTER=""

# Builds bench/realistic-app (Thymeleaf + JPA on H2) against the starter as it is, prints its jar.
build_realistic_app() {
  mvn -B -q -DskipTests install -pl prefork-spring-boot-autoconfigure,prefork-spring-boot-starter -am >&2
  mvn -B -q -DskipTests -f bench/realistic-app/pom.xml clean package >&2
  echo bench/realistic-app/target/realistic-app.jar
}

# Sets JAR, URL and SCRIPT for APP: sample (the default) or realistic (bench/realistic-app, built
# against the starter as it is, or REALISTIC_JAR built before). $1: the wrk script for the
# realistic app (default bench/lua/shop.lua), $2: the one for the sample (default none).
choose_app() {
  if [ "${APP:-sample}" = realistic ]; then
    JAR=${REALISTIC_JAR:-$(build_realistic_app)}; URL="http://127.0.0.1:$PORT/"; SCRIPT=${1:-bench/lua/shop.lua}
  else
    URL="http://127.0.0.1:$PORT/whoami"; SCRIPT=${2:-}
  fi
}

need() { command -v "$1" >/dev/null || { apt-get update -qq && apt-get install -y -qq "${2:-$1}"; }; }

# Starts a master on PORT/MPORT with the given extra arguments; its log is $WORK/master.log.
start_master() {
  "$JAVA" -jar "$JAR" --server.port="$PORT" --management.server.port="$MPORT" "$@" >> "$WORK/master.log" 2>&1 &
  MASTER=$!
}

# Stops the master (TERM), waiting at most 60 s.
stop_master() {
  if [ -n "$MASTER" ] && kill -0 "$MASTER" 2>/dev/null; then
    kill -TERM "$MASTER"
    local start=$SECONDS
    while kill -0 "$MASTER" 2>/dev/null && [ $((SECONDS - start)) -lt 60 ]; do sleep 0.2; done
    wait "$MASTER" 2>/dev/null || true
  fi
  MASTER=""
}
# The work folder (logs, archives: 150+ MiB) goes with the script; KEEP_WORK=1 keeps it.
remove_work() { [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"; }
trap 'stop_master; remove_work' EXIT

status() { curl -s --max-time 2 "http://127.0.0.1:$MPORT/actuator/prefork" || true; }
field() { python3 -c "import json,sys; s=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1" 2>/dev/null || true; }

# Waits until a Python expression over the master's status `s` is true, for at most $2 s.
await() {
  local expression=$1 limit=${2:-180} start=$SECONDS
  until [ "$(status | field "$expression")" = "True" ]; do
    if [ $((SECONDS - start)) -ge "$limit" ]; then echo "timed out waiting for: $expression" >&2; return 1; fi
    sleep 0.1
  done
}

# Waits until the master runs with $1 ready workers.
await_ready() { await "s['state']=='running' and sum(w['state']=='ready' for w in s['workers'])==$1" "${2:-180}"; }

worker_pids() { status | field "' '.join(str(w['pid']) for w in s['workers'])"; }

# Requests per second over $2 seconds of wrk -t2 -c32 on URL $1 (optional wrk script $3).
rate() { wrk -t2 -c32 -d"$2s" --timeout 2s ${3:+-s "$3"} "$1" | awk '/Requests\/sec/ { print $2 }'; }

# Load until the JIT settles: 10 s windows until two in a row differ by less than 5 %, at
# least 60 s, at most WARMUP (default 240) s. Same arguments as rate, without the seconds.
warm_up() {
  local start=$SECONDS previous=0 current=0
  while [ $((SECONDS - start)) -lt "${WARMUP:-240}" ]; do
    current=$(rate "$1" 10 "${2:-}")
    if [ $((SECONDS - start)) -ge "${MIN_WARMUP:-60}" ] && awk -v a="$previous" -v b="$current" 'BEGIN { exit !(a > 0 && (b - a) / a < 0.05 && (a - b) / a < 0.05) }'; then
      break
    fi
    previous=$current
  done
  echo "warmed up in $((SECONDS - start)) s (last 10 s: $current req/s)" >&2
}

# Builds the class-data archive for $JAR into $1 as a deploy would (`--prefork.preload=build`);
# prints the seconds it took.
build_archive() {
  local start=$EPOCHREALTIME
  "$JAVA" -jar "$JAR" --prefork.preload=build --prefork.preload-dir="$1" >> "$WORK/build.log" 2>&1
  awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'
}

# The JVM options and jar a worker runs with the archive in $1 (built before): the archive
# option and the extracted jar, read from a worker's command line. A plain JVM started with them
# boots exactly as the workers do.
worker_archive_args() {
  start_master --prefork.workers=1 --prefork.preload=on --prefork.preload-dir="$1"
  await_ready 1 600
  tr '\0' '\n' < "/proc/$(worker_pids)/cmdline" |
    awk 'previous == "-jar" { printf "-jar %s\n", $0; exit } /^-XX:(SharedArchiveFile|AOTCache)=/ { printf "%s ", $0 } { previous = $0 }'
  stop_master
}
