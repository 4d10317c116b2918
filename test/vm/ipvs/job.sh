#!/bin/sh
# The IPVS VM test's job, run inside the VM (chrooted into the host's root, read-only) as root.
# $1: the job folder (writable), $2: the repository. Every step's output goes to $1/out.
set -u
J="$1"; R="$2"; O="$J/out"; C="$R/test/vm/ipvs"
mkdir -p "$O"
date +%s > "$O/t.start" # phase times, reported by run.sh
cd "$R" || exit 1
# run.sh's copy of dist/, over the checkout's (in the VM only), from the VM's memory.
if [ -d "$J/dist" ]; then
  cp -a "$J/dist" /tmp/dist && mount --bind /tmp/dist "$R/dist" || { echo "cannot put the copy of dist/ in place" > "$O/dist.err"; }
fi
# A veth pair gives NAT real servers a route (the kernel refuses a non-unicast destination).
ip link set lo up
ip link add kv0 type veth peer name kv1
ip addr add 198.51.100.254/24 dev kv0
ip -6 addr add 2001:db8:1::fe/64 dev kv0 nodad
ip link set kv0 up && ip link set kv1 up
# A foreign service (must survive), and a clash: our service with the wrong scheduler, one of our
# real servers at the wrong weight and a foreign destination inside it.
ipvsadm -A -t 203.0.113.50:80 -s rr
ipvsadm -a -t 203.0.113.50:80 -r 198.51.100.200:80 -m -w 1
ipvsadm -A -t 192.0.2.10:80 -s rr
ipvsadm -a -t 192.0.2.10:80 -r 198.51.100.250:8080 -m -w 1
ipvsadm -a -t 192.0.2.10:80 -r 198.51.100.12:8080 -m -w 9
step() {
  name="$1"; shift
  timeout 120 node dist/src/ipvs/apply-cli.js -f "$C/keepalived.conf" "$@" > "$O/$name.plan" 2> "$O/$name.err"
  echo $? > "$O/$name.rc"
  ipvsadm -Ln > "$O/$name.table" 2>&1
  ipvsadm -Ln --stats > "$O/$name.stats" 2>&1
}
step run1 -s "$C/states1.json"
step run2 -s "$C/states2.json"
step run3 -s "$C/states2.json"
step run4 -s "$C/states3.json"
step run5 --clear
timeout 120 node "$C/probe.mjs" > "$O/probe.json" 2> "$O/probe.err"
echo $? > "$O/probe.rc"
ipvsadm -Ln --timeout > "$O/timeouts.txt" 2>&1
echo done > "$O/finished"
# Phase 2 in the same boot: our daemon drives the table (test/vm/daemon/job.sh).
date +%s > "$O/t.daemon"
timeout 1500 sh "$R/test/vm/daemon/job.sh" "$O" "$R" > "$O/daemon-job.log" 2>&1
date +%s > "$O/t.end"
