#!/usr/bin/env bash
# Re-captures test/fixtures/bfd/keepalived-2.2.7.pcap: BFD control packets of Debian's keepalived
# 2.2.7 talking to itself, one IPv4 and one IPv6 session (one side passive), through coming Up, the
# Poll/Final that follows, a cut (node b's leg down in the bridge namespace: node a expires and
# sends Down with a diagnostic) and coming back Up. Three namespaces (a, b, a bridge), TEST-NET
# addresses, no route out; tcpdump writes on a's veth. Every process started here is killed by pid
# and the namespaces are deleted on exit, also when a step fails. Needs root.
# Usage: bash test/bfd/capture.sh [out.pcap]
set -euo pipefail

OUT=${1:-$(cd "$(dirname "$0")/../fixtures/bfd" && pwd)/keepalived-2.2.7.pcap}
KEEPALIVED=/usr/sbin/keepalived
TAG="kabfd$$"
TMP=$(mktemp -d "/tmp/${TAG}.XXXXXX")
PIDS=()

cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for f in "$TMP"/*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q keepalived; then kill -9 "$pid" 2>/dev/null || true; fi
  done
  for n in a b br; do ip netns del "${TAG}$n" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

ip netns add "${TAG}br"
ip -n "${TAG}br" link add br0 type bridge
ip -n "${TAG}br" link set br0 type bridge forward_delay 0 stp_state 0
ip -n "${TAG}br" link set br0 up
i=1
for n in a b; do
  ns="${TAG}$n"
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  ip link add veth0 netns "$ns" type veth peer name "leg$n" netns "${TAG}br"
  ip -n "${TAG}br" link set "leg$n" master br0
  ip -n "${TAG}br" link set "leg$n" up
  ip -n "$ns" link set veth0 up
  ip -n "$ns" addr add "192.0.2.$i/24" dev veth0
  ip -n "$ns" addr add "2001:db8::$i/64" dev veth0 nodad
  i=$((i + 1))
done

conf() { # me peer me6 peer6 passive-on-v6
  cat <<EOF
bfd_instance v4 {
  neighbor_ip $2
  source_ip $1
  min_rx 100
  min_tx 100
  idle_tx 1000
  multiplier 3
}
bfd_instance v6 {
  neighbor_ip $4
  source_ip $3
  min_rx 200
  min_tx 150
  multiplier 4
  $5
}
EOF
}
conf 192.0.2.1 192.0.2.2 2001:db8::1 2001:db8::2 "" >"$TMP/a.conf"
conf 192.0.2.2 192.0.2.1 2001:db8::2 2001:db8::1 passive >"$TMP/b.conf"

ip netns exec "${TAG}a" tcpdump -i veth0 -n -U -w "$TMP/cap.pcap" 'udp port 3784' 2>"$TMP/tcpdump.log" &
PIDS+=($!)
sleep 1
for n in a b; do
  ip netns exec "${TAG}$n" "$KEEPALIVED" -n -l -D -f "$TMP/$n.conf" -p "$TMP/$n.pid" -r "$TMP/$n-v.pid" -c "$TMP/$n-c.pid" -b "$TMP/$n-b.pid" >"$TMP/$n.log" 2>&1 &
  PIDS+=($!)
done
sleep 6
ip -n "${TAG}br" link set legb down
sleep 2
ip -n "${TAG}br" link set legb up
sleep 5
grep -c "Entering Up state" "$TMP/a.log" >/dev/null || { echo "keepalived never came Up:"; cat "$TMP/a.log"; exit 1; }
kill "${PIDS[0]}"
sleep 0.5
mkdir -p "$(dirname "$OUT")"
cp "$TMP/cap.pcap" "$OUT"
echo "wrote $OUT ($(stat -c %s "$OUT") bytes)"
