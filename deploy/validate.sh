#!/usr/bin/env bash
# Checks deploy/: Kubernetes manifests against their schemas and the Dockerfile with a linter
# (npm tools, installed into deploy/validate/node_modules on first use), and the systemd units
# with systemd-analyze, where it is installed (scripts/install-test-tools.sh installs node, npm
# and systemd). Exits non-zero on any problem.
set -euo pipefail
cd "$(dirname "$0")"
failed=0
if command -v systemd-analyze > /dev/null; then
  # verify exits 0 on unknown keys and bad values, which it only prints: any output fails.
  output=$(systemd-analyze verify systemd/prefork-sample.socket systemd/prefork-sample.service 2>&1 || true)
  if [ -n "$output" ]; then echo "FAIL systemd units:"; echo "$output"; failed=1; else echo "ok   systemd units"; fi
fi
cd validate
[ -d node_modules ] || npm install --no-audit --no-fund --loglevel=error > /dev/null 2>&1
node validate.mjs || failed=1
exit "$failed"
