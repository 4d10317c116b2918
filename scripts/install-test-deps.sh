#!/usr/bin/env bash
# Debian packages the tests run against (real keepalived and genhash as oracles, tcpdump for captures).
# openssl makes the HTTPS checker test certificate; tmux drives the init wizard in a pseudo-terminal;
# systemd gives systemd-analyze (the unit is verified); util-linux gives setpriv (script users).
# Installs only what is missing, and only as root; otherwise the tests that need them are skipped.
set -euo pipefail
need=()
for pkg in keepalived ipvsadm tcpdump iputils-arping iproute2 openssl tmux python3 systemd util-linux; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "note: not installing ${need[*]} (needs root and apt-get); tests that need them are skipped" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${need[@]}" >/dev/null
