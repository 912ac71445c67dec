#!/usr/bin/env bash
# Installs what the integration tests run besides Java, from Debian's packages, if missing:
# systemd-socket-activate and systemd-analyze (package systemd), node and npm (for
# deploy/validate.sh), python3 (a notify socket, a pty), unshare (util-linux), ss (iproute2).
# Needs root.
set -euo pipefail
missing=()
command -v systemd-socket-activate > /dev/null || missing+=(systemd)
command -v systemd-analyze > /dev/null || missing+=(systemd)
command -v node > /dev/null || missing+=(nodejs)
command -v npm > /dev/null || missing+=(npm)
command -v python3 > /dev/null || missing+=(python3)
command -v unshare > /dev/null || missing+=(util-linux)
command -v ss > /dev/null || missing+=(iproute2)
[ ${#missing[@]} -eq 0 ] && exit 0
# One install at a time: the integration tests run in parallel forks, and two apt-gets at
# once fail on dpkg's lock.
exec 9> /tmp/prefork-apt.lock
flock 9
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${missing[@]}" | sort -u) > /dev/null
