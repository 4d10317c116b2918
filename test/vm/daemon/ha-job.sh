#!/bin/sh
# The VM test's ha_suspend / lvs_sync_daemon phase (run by job.sh inside the VM, after its daemon is
# stopped; the real servers of job.sh still run). Our daemon (ha.conf) has one VRRP instance on hv0,
# whose only peer is keepalived 2.2.7 (ha-peer.conf) in the namespace vp behind hv1; nothing else is
# on that link. The peer's priority is higher: ours is BACKUP, then MASTER by `keepalivedctl promote`,
# then BACKUP again by `keepalivedctl clear`. advert_int 3: a node process under TCG can stall for
# seconds, and with 1 s adverts our BACKUP timed out while the peer's adverts waited unread. Outputs in $1 (checked on the host by run.sh):
#   hN.table  the IPVS table (lib.sh normalize), hN.ours / hN.peer  each side's sync daemons and VIP,
#   hN.ms  how long each took to follow, ha-daemon.log / ha-peer.log / ha-ctl.log  the logs.
set -u
# T: job.sh's scratch folder (its real servers' state files), S: this phase's.
O="$1"; R="$2"; D="$R/test/vm/daemon"; T=/tmp/kd; S=/tmp/kh
mkdir -p "$S/state"
cd "$R" || exit 1
. "$D/lib.sh"
# The sync daemons of one side and whether it holds the VIP.
ours() { syncd; if ip -4 addr show dev hv0 | grep -q 'inet 192.0.2.40/32'; then echo 'VIP 192.0.2.40 on hv0'; else echo 'no VIP'; fi; }
peer() {
  ip netns exec vp ipvsadm -L --daemon 2>&1 | LC_ALL=C sort
  if ip netns exec vp ip -4 addr show dev hv1 | grep -q 'inet 192.0.2.40/32'; then echo 'VIP 192.0.2.40 on hv1'; else echo 'no VIP'; fi
}
ctl() { # command: the control socket client, bounded; its output and exit status logged
  echo "\$ keepalivedctl $*" >> "$O/ha-ctl.log"
  timeout 120 node bin/keepalivedctl "$@" --socket /run/kh.sock --wait 60 >> "$O/ha-ctl.log" 2>&1
  echo "exit $?" >> "$O/ha-ctl.log"
}
# After a table matched: the held service must stay as it is while its checkers would have run
# twice over (delay_loop 2 + connect_timeout 2), so wait, then look again.
still() { # name
  sleep 8
  normalize > "$O/$1.table"
}

ip netns add vp
ip link add hv0 type veth peer name hv1
ip link set hv1 netns vp
ip addr add 192.0.2.241/28 dev hv0 && ip link set hv0 up
ip netns exec vp ip link set lo up
ip netns exec vp ip addr add 192.0.2.242/28 dev hv1
ip netns exec vp ip link set hv1 up
backend up 203.0.113.11:8080; backend up 203.0.113.12:8080

# The peer first: MASTER alone, so ours starts and stays BACKUP.
ip netns exec vp /usr/sbin/keepalived -n -l -D -P -f "$D/ha-peer.conf" -p "$S/kp.pid" -r "$S/kp-vrrp.pid" > "$O/ha-peer.log" 2>&1 &
echo $! > "$S/peer.pid"
wait_line "$O/ha-peer.log" 'VI_1.*Entering MASTER STATE' 60
# h1: ours starts as BACKUP: both services with their real servers (added at start as keepalived
# does), 192.0.2.40:80's checkers suspended, the backup sync daemon.
t=$(now)
setsid node bin/keepalived -n -l -D -f "$D/ha.conf" --socket /run/kh.sock --state-dir "$S/state" \
  -p /run/kh.pid -r /run/kh-vrrp.pid -c /run/kh-checkers.pid > "$O/ha-daemon.log" 2>&1 &
echo $! > "$S/daemon.pid"
follow h1 "$D/expected/h1.table" "$t" 420
follow h1.ours "$D/expected/h1.ours" "$t" 60 ours
wait_line "$O/ha-daemon.log" 'Suspending healthcheckers for VS' 30
# h2: .12 down while BACKUP: 192.0.2.50:80 loses it, 192.0.2.40:80 is held as it was.
backend down 203.0.113.12:8080
t=$(now); follow h2 "$D/expected/h2.table" "$t" 60
still h2-held
# h3: promoted, ours is MASTER (the VIP, the master sync daemon; the peer's is backup), the checkers
# resume and 192.0.2.40:80 loses .12 too.
ctl promote VI_1
t=$(now)
follow h3.ours "$D/expected/h3.ours" "$t" 60 ours
follow h3 "$D/expected/h3.table" "$t" 60
follow h3.peer "$D/expected/h3.peer" "$t" 30 peer
wait_line "$O/ha-daemon.log" 'Activating healthcheckers for VS' 10
# h4: cleared, the peer takes over: ours BACKUP again (backup sync daemon, no VIP). .12 comes back:
# 192.0.2.50:80 takes it, 192.0.2.40:80 (suspended) stays without it.
ctl clear VI_1
t=$(now)
follow h4.ours "$D/expected/h1.ours" "$t" 60 ours
follow h4.peer "$D/expected/h4.peer" "$t" 30 peer
backend up 203.0.113.12:8080
t=$(now); follow h4 "$D/expected/h4.table" "$t" 60
still h4-held
# h5: SIGTERM: our services and our sync daemon go; the peer's stays.
stop_pid "$S/daemon.pid" 30
normalize > "$O/h5.table"
ours > "$O/h5.ours.table"
peer > "$O/h5.peer.table"
stop_pid "$S/peer.pid" 20
echo done > "$O/ha.finished"
