#!/usr/bin/env bash
# Installs Debian's prometheus package (prometheus and promtool) if it is missing. The
# integration tests call this; it needs root and Debian's package repositories.
set -euo pipefail
if command -v prometheus >/dev/null && command -v promtool >/dev/null; then
  exit 0
fi
# One install at a time: the integration tests run in parallel forks, and two apt-gets at
# once fail on dpkg's lock.
exec 9> /tmp/prefork-apt.lock
flock 9
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends prometheus >/dev/null
# The package may start a system service on machines with an init system; the tests run their
# own server on their own port, so the service is left as the machine has it.
command -v prometheus && command -v promtool
