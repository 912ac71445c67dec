#!/usr/bin/env bash
# Sets up a real container engine for the container tests, from Debian's packages, on a bare
# machine with no container registry: podman (runc, fuse-overlayfs, slirp4netns, uidmap,
# CNI plugins, catatonit for the pause container of `podman kube play`'s pods), a drop-in
# that fits this machine's cgroups and limits, and the images the shipped Dockerfile's FROM
# lines name, made locally (debootstrap of this machine's Debian release, its JRE/JDK and
# Maven from Debian's packages). Idempotent: what exists is kept.
# Needs root. Prints the engine's version at the end.
set -euo pipefail

# One install at a time (the integration tests run in forks).
exec 9> /tmp/prefork-apt.lock
flock 9

release=$(. /etc/os-release && echo "$VERSION_CODENAME")
missing=()
for tool in podman runc fuse-overlayfs slirp4netns newuidmap catatonit debootstrap; do
	command -v "$tool" > /dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends podman runc fuse-overlayfs slirp4netns uidmap \
		catatonit containernetworking-plugins debootstrap ca-certificates > /dev/null
fi

# crun refuses a hybrid cgroup layout; root may not raise the open-files and process limits
# podman asks for by default.
mkdir -p /etc/containers/containers.conf.d
cat > /etc/containers/containers.conf.d/50-prefork.conf <<'CONF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF

have_image() {
	podman image exists "$1"
}

# The base: this machine's Debian release, its apt sources and locally added CA certificates
# (a proxy's, so that apt and Maven inside reach what the host reaches).
if ! have_image "localhost/debian:$release"; then
	root=$(mktemp -d /tmp/prefork-rootfs.XXXXXX)
	trap 'rm -rf "$root"' EXIT
	debootstrap --variant=minbase "$release" "$root" http://deb.debian.org/debian > /dev/null
	rm -f "$root/etc/apt/sources.list"
	cp -a /etc/apt/sources.list.d/. "$root/etc/apt/sources.list.d/" 2> /dev/null || true
	[ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$root/etc/apt/sources.list"
	mkdir -p "$root/usr/local/share/ca-certificates"
	cp -a /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/" 2> /dev/null || true
	tar -C "$root" -c . | podman import - "localhost/debian:$release" > /dev/null
	rm -rf "$root"
	trap - EXIT
fi

build_image() {
	local name=$1
	shift
	if ! have_image "$name"; then
		printf '%s\n' "$@" | podman build --pull=never --network=host -t "$name" -f - /tmp > /dev/null
	fi
}

# The names the Dockerfile's FROM lines use, made from Debian's OpenJDK 17 and Maven.
build_image "docker.io/library/eclipse-temurin:17-jre" \
	"FROM localhost/debian:$release" \
	"RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless ca-certificates passwd > /dev/null && update-ca-certificates > /dev/null && rm -rf /var/lib/apt/lists/*"
build_image "docker.io/library/maven:3.9-eclipse-temurin-17" \
	"FROM localhost/debian:$release" \
	"RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-17-jdk-headless maven ca-certificates > /dev/null && update-ca-certificates > /dev/null && rm -rf /var/lib/apt/lists/*"

podman --version
