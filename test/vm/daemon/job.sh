#!/bin/sh
# The VM test's daemon phase (run by ../ipvs/job.sh inside the VM, as root, after the apply-cli
# steps): OUR daemon (bin/keepalived -n -l) keeps the kernel's IPVS table in step with its
# checkers. $1: the output folder, $2: the repository. Outputs, checked on the host by run.sh:
#   d1..d5.table  the table normalised (normalize below), d*.ms  how long the table took to follow,
#   stats-before/after  the 192.0.2.10:80 Conns counter around a crash+restart (adoption keeps it),
#   restart.min  the fewest services seen while the daemon restarted, daemon*.log  its logs.
set -u
O="$1"; R="$2"; D="$R/test/vm/daemon"; T=/tmp/kd
mkdir -p "$T/state" "$T/rs"
cd "$R" || exit 1
now() { date +%s%3N; }
# One line per service and per destination (service first, weights, no connection counts), sorted:
# the kernel's listing order of destinations changes when one leaves and comes back.
normalize() {
  ipvsadm -Ln | awk 'NR > 3 { if ($1 == "->") print svc " -> " $2 " " $3 " " $4; else { svc = $1 " " $2; rest = ""; for (i = 3; i <= NF; i++) rest = rest " " $i; print svc rest } }' | LC_ALL=C sort
}
# Waits (bounded in time and count) until the normalised table equals the expected file; writes
# the time taken. Under TCG on a loaded machine a node process takes tens of seconds to start.
follow() { # name, expected file, start time (ms), seconds allowed
  i=0
  while :; do
    normalize > "$O/$1.table"
    if cmp -s "$O/$1.table" "$2"; then echo $(( $(now) - $3 )) > "$O/$1.ms"; return 0; fi
    i=$((i + 1))
    if [ $i -ge 2000 ] || [ $(( $(now) - $3 )) -ge $(( $4 * 1000 )) ]; then break; fi
    sleep 0.1
  done
  echo "timeout" > "$O/$1.ms"
}
daemon() { # log name
  setsid node bin/keepalived -n -l -D -f "$D/keepalived.conf" --socket /run/kd.sock --state-dir "$T/state" \
    -p /run/kd.pid -r /run/kd-vrrp.pid -c /run/kd-checkers.pid > "$O/$1.log" 2>&1 &
  echo $! > "$T/daemon.pid"
}
# Sets a backend down (its listener closed) or up, and waits until it is so.
backend() { # down|up ADDR:PORT
  f="$T/rs/down-$(echo "$2" | tr ':' '_')"
  if [ "$1" = down ]; then : > "$f"; else rm -f "$f"; fi
  i=0
  while [ $i -lt 100 ]; do
    if grep -qx "$2" "$T/rs/state" 2>/dev/null; then [ "$1" = up ] && return 0; else [ "$1" = down ] && return 0; fi
    i=$((i + 1)); sleep 0.05
  done
  echo "backend $2 did not go $1" >&2
}

# Real servers in a namespace behind dv0; a client namespace behind kv0 (made by ../ipvs/job.sh)
# reaches the VIP through this host, the LVS director.
ip netns add rs && ip netns add cl
ip link add dv0 type veth peer name dv1
ip link set dv1 netns rs
ip addr add 203.0.113.254/24 dev dv0 && ip link set dv0 up
ip netns exec rs ip link set lo up
for a in 11 12 13 14 15 16; do ip netns exec rs ip addr add "203.0.113.$a/24" dev dv1; done
ip netns exec rs ip link set dv1 up
ip netns exec rs ip route add default via 203.0.113.254
ip link set kv1 netns cl
ip netns exec cl ip addr add 198.51.100.1/24 dev kv1
ip netns exec cl ip link set kv1 up
ip netns exec cl ip route add default via 198.51.100.254
ip addr add 192.0.2.10/32 dev lo
sysctl -qw net.ipv4.ip_forward=1
ip netns exec rs node "$D/backends.mjs" "$T/rs" 203.0.113.11:8080 203.0.113.12:8080 203.0.113.13:8080 \
  203.0.113.14:80 203.0.113.15:80 203.0.113.16:8080 > "$O/backends.log" 2>&1 &
echo $! > "$T/backends.pid"
backend up 203.0.113.16:8080
# A foreign service: the daemon must leave it alone throughout.
ipvsadm -A -t 203.0.113.200:80 -s rr

# d1: start; every real server is up.
t=$(now); daemon daemon1
follow d1 "$D/expected/d1.table" "$t" 420
# Traffic through the director, so the service has counters a re-created service would not have.
i=0; while [ $i -lt 6 ]; do ip netns exec cl curl -sS -m 10 -o /dev/null http://192.0.2.10/ >> "$O/client.log" 2>&1; i=$((i + 1)); done
# d2: backends down: .12 leaves, .13 stays at weight 0 (inhibit), fwmark 7 loses quorum (sorry server).
backend down 203.0.113.12:8080; backend down 203.0.113.13:8080; backend down 203.0.113.14:80
t=$(now); follow d2 "$D/expected/d2.table" "$t" 60
# d3: back up: the table as at the start.
backend up 203.0.113.12:8080; backend up 203.0.113.13:8080; backend up 203.0.113.14:80
t=$(now); follow d3 "$D/expected/d1.table" "$t" 60
# d4: the daemon dies without cleaning up (SIGKILL, as a crash) and starts again: it adopts the
# table. Proof: the services are never absent meanwhile, and their counters are kept.
ipvsadm -Ln --stats | awk '$2 == "192.0.2.10:80" { print $3 }' > "$O/stats-before"
for f in /run/kd-checkers.pid /run/kd-vrrp.pid /run/kd.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done
kill -9 "$(cat "$T/daemon.pid")" 2>/dev/null
sleep 0.5
( min=99; i=0; while [ $i -lt 3000 ] && [ ! -f "$T/restarted" ]; do
    n=$(ipvsadm -Ln | grep -c '^[TUF]'); [ "$n" -lt "$min" ] && min=$n; echo "$min" > "$O/restart.min"
    i=$((i + 1)); sleep 0.1
  done ) &
watcher=$!
t=$(now); daemon daemon2
# Until the checker child says its first pass is done (bounded), then a little longer.
i=0; while [ $i -lt 3000 ] && ! grep -q 'IPVS: table in step at start' "$O/daemon2.log" 2>/dev/null; do i=$((i + 1)); sleep 0.1; done
sleep 1
touch "$T/restarted"; wait $watcher
t=$(now); follow d4 "$D/expected/d1.table" "$t" 180
ipvsadm -Ln --stats | awk '$2 == "192.0.2.10:80" { print $3 }' > "$O/stats-after"
# d5: a backend down after the restart is still followed.
backend down 203.0.113.15:80
t=$(now); follow d5 "$D/expected/d5.table" "$t" 60
# d6: SIGTERM: the daemon deletes the services it made; the foreign one stays.
kill -TERM "$(cat "$T/daemon.pid")"
i=0; while [ $i -lt 200 ] && kill -0 "$(cat "$T/daemon.pid")" 2>/dev/null; do i=$((i + 1)); sleep 0.1; done
normalize > "$O/d6.table"
kill "$(cat "$T/backends.pid")" 2>/dev/null
echo done > "$O/daemon.finished"
