#!/bin/sh
# The VM test's daemon phase (run by ../ipvs/job.sh inside the VM, as root, after the apply-cli
# steps): OUR daemon (bin/keepalived -n -l) keeps the kernel's IPVS table in step with its
# checkers. $1: the output folder, $2: the repository. Outputs, checked on the host by run.sh:
#   d1..d5.table  the table normalised (normalize in lib.sh), d*.ms  how long the table took to follow,
#   stats-before/after  the 192.0.2.10:80 Conns counter around a crash+restart (adoption keeps it),
#   restart.min  the fewest services seen while the daemon restarted, daemon*.log  its logs,
#   r1.table  after a HUP reload, reload-before/after  Conns of kept services around it, ha-*  ha-job.sh.
set -u
O="$1"; R="$2"; D="$R/test/vm/daemon"; T=/tmp/kd
mkdir -p "$T/state" "$T/rs"
# The daemon reads its config from here: r1 puts the new one in place before the HUP.
cp "$D/keepalived.conf" "$T/keepalived.conf"
cd "$R" || exit 1
. "$D/lib.sh"
daemon() { # log name
  setsid node bin/keepalived -n -l -D -f "$T/keepalived.conf" --socket /run/kd.sock --state-dir "$T/state" \
    -p /run/kd.pid -r /run/kd-vrrp.pid -c /run/kd-checkers.pid > "$O/$1.log" 2>&1 &
  echo $! > "$T/daemon.pid"
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
ip addr add 192.0.2.30/32 dev lo
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
i=0; while [ $i -lt 3 ]; do ip netns exec cl curl -sS -m 10 -o /dev/null http://192.0.2.30/ >> "$O/client.log" 2>&1; i=$((i + 1)); done
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
# r1: SIGHUP with a new config (keepalived-reload.conf): fwmark 7 removed, 192.0.2.20:80 added,
# 192.0.2.10:80 rescheduled (wrr -> wlc) with .12 at weight 4, the group unchanged. Services edited
# in place or untouched keep their counters (a deleted and re-added one would start from 0).
for s in 192.0.2.10:80 192.0.2.30:80; do echo "$s $(conns $s)"; done > "$O/reload-before"
cp "$D/keepalived-reload.conf" "$T/keepalived.conf"
t=$(now); kill -HUP "$(cat "$T/daemon.pid")"
follow r1 "$D/expected/r1.table" "$t" 60
follow r1.syncd "$D/expected/r1.syncd" "$t" 30 syncd
for s in 192.0.2.10:80 192.0.2.30:80; do echo "$s $(conns $s)"; done > "$O/reload-after"
# d6: SIGTERM: the daemon deletes the services it made; the foreign one stays.
stop_pid "$T/daemon.pid" 20
normalize > "$O/d6.table"
syncd > "$O/d6.syncd.table"
# Phase 3: ha_suspend and lvs_sync_daemon following a VRRP instance (ha-job.sh), same real servers.
date +%s > "$O/t.ha"
timeout 600 sh "$D/ha-job.sh" "$O" "$R" > "$O/ha-job.log" 2>&1
kill "$(cat "$T/backends.pid")" 2>/dev/null
echo done > "$O/daemon.finished"
