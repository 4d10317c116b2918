#!/usr/bin/env bash
# Re-captures the VRRP advert fixtures in test/fixtures/vrrp/ from Debian's keepalived 2.2.7.
#
# Two namespaces joined only by one veth pair (no route out): keepalived runs in the
# sender namespace as MASTER, tcpdump in the receiver namespace writes a few adverts to
# a pcap. Every process started here is killed by pid and both namespaces are deleted on
# exit, also when a step fails. Needs root. Usage: [ONLY=name] bash test/vrrp/capture.sh [outdir]
set -euo pipefail

OUT=${1:-$(cd "$(dirname "$0")/../fixtures/vrrp" && pwd)}
KEEPALIVED=/usr/sbin/keepalived
TAG="kacap$$"
NS_TX="${TAG}tx"
NS_RX="${TAG}rx"
TMP=$(mktemp -d "/tmp/${TAG}.XXXXXX")
PIDS=()

cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.3
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  # keepalived forks its VRRP child: kill it by the pid it wrote, if that pid is still a keepalived.
  for f in "$TMP"/*.pid; do
    [ -f "$f" ] || continue
    local pid
    pid=$(cat "$f")
    if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q keepalived; then kill -9 "$pid" 2>/dev/null || true; fi
  done
  ip netns del "$NS_TX" 2>/dev/null || true
  ip netns del "$NS_RX" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

ip netns add "$NS_TX"
ip netns add "$NS_RX"
for ns in "$NS_TX" "$NS_RX"; do
  ip -n "$ns" link set lo up
  # No DAD: the link-local source must be usable at once.
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip -n "$NS_TX" link add katx type veth peer name karx netns "$NS_RX"
ip -n "$NS_TX" addr add 192.0.2.1/24 dev katx
ip -n "$NS_RX" addr add 192.0.2.2/24 dev karx
ip -n "$NS_TX" addr add 2001:db8::1/64 dev katx nodad
ip -n "$NS_RX" addr add 2001:db8::2/64 dev karx nodad
ip -n "$NS_TX" link set katx up
ip -n "$NS_RX" link set karx up
sleep 1

# name | instance body (the vrrp_instance block contents)
write_conf() {
  local name=$1 body=$2
  cat >"$TMP/$name.conf" <<EOF
global_defs {
  router_id capture_$name
  script_user root
  enable_script_security
}
vrrp_instance VI_$name {
  interface katx
  state MASTER
$body
}
EOF
}

# name filter [count [stop_after_seconds]]: with stop_after, keepalived is stopped then, so the
# last advert captured is the priority 0 one a MASTER sends when it shuts down.
capture() {
  local name=$1 filter=$2 count=${3:-3} stop_after=${4:-}
  # ONLY=<name> re-captures just that one.
  if [ -n "${ONLY:-}" ] && [ "$ONLY" != "$name" ]; then return 0; fi
  local pcap="$TMP/$name.pcap"
  ip netns exec "$NS_RX" timeout 20 tcpdump -i karx -n -U -c "$count" -w "$pcap" "$filter" 2>"$TMP/$name.tcpdump.log" &
  local tcpdump_pid=$!
  PIDS+=("$tcpdump_pid")
  sleep 0.5
  ip netns exec "$NS_TX" "$KEEPALIVED" -n -l -D -P -f "$TMP/$name.conf" \
    -p "$TMP/$name.main.pid" -r "$TMP/$name.vrrp.pid" >"$TMP/$name.keepalived.log" 2>&1 &
  local ka_pid=$!
  PIDS+=("$ka_pid")
  if [ -n "$stop_after" ]; then
    sleep "$stop_after"
    kill -TERM "$ka_pid" 2>/dev/null || true
  fi
  wait "$tcpdump_pid" || { echo "capture $name failed"; cat "$TMP/$name.tcpdump.log" "$TMP/$name.keepalived.log"; exit 1; }
  kill "$ka_pid" 2>/dev/null || true
  wait "$ka_pid" 2>/dev/null || true
  # Let the VIPs go before the next scenario.
  sleep 0.5
  cp "$pcap" "$OUT/$name.pcap"
  echo "captured $OUT/$name.pcap"
}

write_conf v2-pass "  virtual_router_id 51
  priority 150
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass s3cret
  }
  virtual_ipaddress {
    192.0.2.100
    192.0.2.101
  }"
capture v2-pass 'ip proto 112'

write_conf v2-ah "  virtual_router_id 52
  priority 200
  advert_int 1
  authentication {
    auth_type AH
    auth_pass ahkey123
  }
  virtual_ipaddress {
    192.0.2.110
  }"
capture v2-ah 'ip proto 51'

write_conf v3-ipv4 "  version 3
  virtual_router_id 53
  priority 120
  advert_int 0.5
  virtual_ipaddress {
    192.0.2.120
    192.0.2.121
    192.0.2.122
  }"
capture v3-ipv4 'ip proto 112'

write_conf v3-ipv6 "  version 3
  virtual_router_id 54
  priority 130
  advert_int 1
  virtual_ipaddress {
    2001:db8::100
    2001:db8::101
  }"
capture v3-ipv6 'ip6 proto 112'

write_conf v3-unicast "  version 3
  virtual_router_id 55
  priority 140
  advert_int 1
  unicast_src_ip 192.0.2.1
  unicast_peer {
    192.0.2.2
  }
  virtual_ipaddress {
    192.0.2.130
  }"
capture v3-unicast 'ip proto 112'

write_conf v2-unicast "  virtual_router_id 56
  priority 160
  advert_int 2
  unicast_src_ip 192.0.2.1
  unicast_peer {
    192.0.2.2
  }
  virtual_ipaddress {
    192.0.2.140
  }"
capture v2-unicast 'ip proto 112' 2

# AH over unicast: keepalived also zeroes the TTL in the ICV input.
write_conf v2-ah-unicast "  virtual_router_id 57
  priority 170
  advert_int 1
  authentication {
    auth_type AH
    auth_pass longerthan8
  }
  unicast_src_ip 192.0.2.1
  unicast_peer {
    192.0.2.2
  }
  virtual_ipaddress {
    192.0.2.150
    192.0.2.151
  }"
capture v2-ah-unicast 'ip proto 51' 2

# Shutdown: the address owner (priority 255) is MASTER at once; two adverts (about 0 s and 1 s),
# then SIGTERM at 1.5 s makes it send a priority 0 advert.
write_conf v3-shutdown "  version 3
  virtual_router_id 58
  priority 255
  advert_int 1
  virtual_ipaddress {
    192.0.2.160
  }"
capture v3-shutdown 'ip proto 112' 3 1.5
