#!/usr/bin/env bash
# The shipped Dockerfile's image with and without its class-data archive layer: image size and
# a container's first start, from `podman run` to the first 200 on /whoami and to all workers
# ready. "with" is deploy/docker/Dockerfile as shipped; "without" drops its
# `RUN java -jar /app/app.jar --prefork.preload=build` line (an application that cannot train
# at build time), so the master builds the archive after its first workers are ready.
# Needs root and podman (scripts/install-container-engine.sh sets it up). RUNS starts of each.
#
# Usage: bench/container-start.sh   Environment: WORKERS (default 3), MEMORY (default 1g), RUNS (2)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
WORKERS=${WORKERS:-3}
MEMORY=${MEMORY:-1g}
RUNS=${RUNS:-2}
PORT=18980
MPORT=18981
TOKEN=bench-token
scripts/install-container-engine.sh > /dev/null
trap 'podman rm -f -t 0 prefork-bench > /dev/null 2>&1 || true; podman rmi -f localhost/prefork-bench:with localhost/prefork-bench:without > /dev/null 2>&1 || true' EXIT

# The Dockerfile on stdin, built as tag $1.
build() {
  podman build --pull=never --network=host -v "$HOME/.m2:/root/.m2" -f - -t "localhost/prefork-bench:$1" . > /dev/null
}
build with < deploy/docker/Dockerfile
grep -v 'preload=build' deploy/docker/Dockerfile | build without

ready_workers() {
  curl -s --max-time 1 -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$MPORT/actuator/prefork" \
    | python3 -c "import json,sys; s=json.load(sys.stdin); print(sum(w['state']=='ready' for w in s['workers']))" 2>/dev/null || echo 0
}

echo "# podman $(podman --version | awk '{print $3}'), $(nproc) cores, --memory=$MEMORY, $WORKERS workers, commit $(git rev-parse --short HEAD)"
echo "| image | size | first 200 (s) | all $WORKERS ready (s) |"
echo "|---|---|---|---|"
for tag in with without; do
  size=$(podman image inspect "localhost/prefork-bench:$tag" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1e6}')
  for run in $(seq 1 "$RUNS"); do
    start=$(date +%s.%N)
    podman run -d --name prefork-bench --memory="$MEMORY" -p "127.0.0.1:$PORT:8080" -p "127.0.0.1:$MPORT:8081" \
      -e PREFORK_CONTROL_TOKEN=$TOKEN "localhost/prefork-bench:$tag" --prefork.workers="$WORKERS" > /dev/null
    until curl -sf --max-time 1 "http://127.0.0.1:$PORT/whoami" > /dev/null; do sleep 0.05; done
    first=$(echo "$(date +%s.%N) - $start" | bc)
    until [ "$(ready_workers)" = "$WORKERS" ]; do sleep 0.1; done
    all=$(echo "$(date +%s.%N) - $start" | bc)
    podman rm -f -t 30 prefork-bench > /dev/null
    printf '| %s archive | %s | %.1f | %.1f |\n' "$tag" "$size" "$first" "$all"
  done
done
