#!/usr/bin/env bash
# The IPVS VM test (npm run test:vm): boots Debian's 6.1 kernel (ip_vs as modules) in qemu under TCG,
# runs dist/src/ipvs/apply-cli.js against the real IPVS table, then our daemon (bin/keepalived) with
# real servers in a namespace inside the VM (test/vm/daemon/: backend flips, adoption after kill -9,
# a HUP reload; then ha_suspend and lvs_sync_daemon following a VRRP instance whose only peer is
# keepalived 2.2.7 in a namespace inside the VM), and checks the results here.
# The VM has no network card; the host root is shared read-only, the job folder writable.
# Exit 0 all checks passed, 1 a check failed (with the VM's console and job log), 2 cannot run.
set -uo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
say() { echo "test:vm: $*"; }

if [ "$(id -u)" != 0 ]; then say "needs root (installs packages, builds an initramfs)"; exit 2; fi
missing=()
for p in qemu-system-x86_64:qemu-system-x86 busybox:busybox-static cpio:cpio ipvsadm:ipvsadm curl:curl; do
  command -v "${p%%:*}" >/dev/null 2>&1 || missing+=("${p#*:}")
done
[ -x /bin/busybox ] || missing+=(busybox-static)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || { say "apt-get install failed"; exit 2; }
fi
# Run alone (npm run test:vm) it builds a stale dist; under vitest the global setup has built it, and
# a second tsc would rewrite dist/ under daemons other test files are starting.
if [ -z "${VITEST:-}" ] && { [ ! -f dist/src/ipvs/apply-cli.js ] || [ -n "$(find src -name '*.ts' -newer dist/src/ipvs/apply-cli.js | head -n1)" ]; }; then
  npx tsc -p tsconfig.json >/dev/null || true
fi
[ -f dist/src/ipvs/apply-cli.js ] || { say "dist/src/ipvs/apply-cli.js missing after the build"; exit 2; }
img="$(bash scripts/vm/build-initramfs.sh)" || { say "building the initramfs failed"; exit 2; }

# Inside the checkout (the VM re-shows a checkout under /tmp or /run over its own tmpfs mounts).
job="$repo/.tmp/vm/run-$$"
rm -rf "$job"
mkdir -p "$job"
# The VM reads the checkout for many minutes: a build meanwhile (another test file, another engineer)
# would rewrite modules under its daemons (once: "SyntaxError: Unexpected end of input"). It runs a
# copy of dist/ taken under the build lock instead (ipvs/job.sh mounts it over dist/ inside the VM).
flock /tmp/keepalivedctl-build.lock cp -a dist "$job/dist" || { say "cannot copy dist/"; exit 2; }
printf '#!/bin/sh\nexec /bin/sh %s/test/vm/ipvs/job.sh %s %s\n' "$repo" "$job" "$repo" > "$job/job.sh"
start=$(date +%s)
timeout 2100 qemu-system-x86_64 -accel tcg -cpu max -m 512 -smp 1 -nographic -no-reboot -nic none \
  -kernel "$img/vmlinuz" -initrd "$img/initrd.img" -append "console=ttyS0 panic=-1 quiet kbjob=$job" \
  -virtfs local,path=/,mount_tag=hostfs,security_model=none,readonly=on,multidevs=remap \
  -virtfs "local,path=$job,mount_tag=job,security_model=none" > "$job/console.log" 2>&1
qrc=$?
say "VM ran $(( $(date +%s) - start )) s (qemu exit $qrc)"

fail=0
check() { # name, expected file, actual file: compared line by line with blanks collapsed
  local exp="$1" act="$2" name="$3"
  if [ ! -f "$act" ]; then say "FAIL $name: no output"; fail=1; return; fi
  if diff -u <(sed -E 's/[[:space:]]+/ /g; s/^ //; s/ $//' "$exp") \
             <(grep -v '^IP Virtual Server version' "$act" | sed -E 's/[[:space:]]+/ /g; s/^ //; s/ $//') > "$job/diff.txt"; then
    say "ok   $name"
  else
    say "FAIL $name"; cat "$job/diff.txt"; fail=1
  fi
}
out="$job/out"
t() { cat "$out/t.$1" 2>/dev/null || echo 0; }
say "phases (VM clock): apply-cli $(( $(t daemon) - $(t start) )) s, daemon $(( $(t ha) - $(t daemon) )) s, ha_suspend/sync daemon $(( $(t end) - $(t ha) )) s"
if [ -f "$out/dist.err" ]; then say "FAIL $(cat "$out/dist.err")"; fail=1; fi
if [ ! -f "$out/finished" ]; then
  say "FAIL the job did not finish"; fail=1
else
  for r in run1 run2 run3 run4 run5; do
    check "test/vm/expected/$r.table" "$out/$r.table" "$r: ipvsadm -Ln"
    [ -f "$out/$r.plan" ] && tail -n1 "$out/$r.plan" > "$out/$r.summary"
    check "test/vm/expected/$r.summary" "$out/$r.summary" "$r: operations and netlink messages"
    if [ "$(cat "$out/$r.rc")" != 0 ]; then say "FAIL $r: apply-cli exited $(cat "$out/$r.rc")"; cat "$out/$r.err"; fail=1; fi
  done
  check test/vm/expected/run1.stats "$out/run1.stats" "run1: ipvsadm -Ln --stats"
  if node test/vm/ipvs/check-probe.mjs "$out/probe.json" "$out/timeouts.txt"; then say "ok   client commands (info, timeouts, sync daemon, zero, flush, errors)"
  else fail=1; cat "$out/probe.err" 2>/dev/null; fi
fi
same() { # expected file, actual file, name: compared exactly
  if diff -u "$1" "$2" > "$job/diff.txt" 2>&1; then say "ok   $3"; else say "FAIL $3"; cat "$job/diff.txt"; fail=1; fi
}
within() { # name, bound (ms): how long the table took to follow ($out/NAME.ms)
  local ms; ms=$(cat "$out/$1.ms" 2>/dev/null || echo none)
  if [ "$ms" -le "$2" ] 2>/dev/null; then say "ok   daemon $1 followed in $ms ms (bound $2)"; else say "FAIL daemon $1 followed in '$ms' ms (bound $2)"; fail=1; fi
}
# Phase 2: our daemon.
bound_ms=$(( (2 + 5) * 1000 + ${VM_SLACK_MS:-25000} ))   # delay_loop + connect_timeout, + slack: TCG on a loaded machine
if [ ! -f "$out/daemon.finished" ]; then
  say "FAIL the daemon phase did not finish"; fail=1
else
  dx=test/vm/daemon/expected
  for p in "d1 d1 start" "d2 d2 backends down" "d3 d1 backends up again" "d4 d1 after crash and restart" "d5 d5 a backend down after the restart" "d6 d6 stopped: own services deleted"; do
    set -- $p; n=$1; e=$2; shift 2
    if diff -u "$dx/$e.table" "$out/$n.table" > "$job/diff.txt"; then say "ok   daemon $n ($*): ipvsadm -Ln"; else say "FAIL daemon $n ($*)"; cat "$job/diff.txt"; fail=1; fi
  done
  for n in d2 d3 d5; do
    ms=$(cat "$out/$n.ms" 2>/dev/null || echo none)
    if [ "$ms" -le "$bound_ms" ] 2>/dev/null; then say "ok   daemon $n followed in $ms ms (bound $bound_ms)"; else say "FAIL daemon $n followed in '$ms' ms (bound $bound_ms)"; fail=1; fi
  done
  before=$(cat "$out/stats-before" 2>/dev/null); after=$(cat "$out/stats-after" 2>/dev/null); min=$(cat "$out/restart.min" 2>/dev/null)
  if [ -n "$before" ] && [ "$before" -gt 0 ] && [ "$before" = "$after" ] && [ "$min" = 6 ]; then
    say "ok   daemon restart adopted the table (192.0.2.10:80 Conns $before kept, all 6 services present throughout)"
  else say "FAIL daemon restart: Conns before '$before' after '$after', fewest services seen '$min' (want 6)"; fail=1; fi
  if grep -q 'IPVS: table in step at start (0 operations, 6 services' "$out/daemon2.log"; then
    say "ok   daemon restart: 0 operations at start"
  else say "FAIL daemon restart: it changed the table at start"; grep IPVS "$out/daemon2.log"; fail=1; fi
  same "$dx/r1.table" "$out/r1.table" "daemon r1 (HUP: a service added, one removed, a weight and a scheduler changed): ipvsadm -Ln"
  within r1 "$bound_ms"
  if [ "$(awk '$2 > 0' "$out/reload-before" 2>/dev/null | wc -l)" = 2 ] && cmp -s "$out/reload-before" "$out/reload-after"; then
    say "ok   daemon r1 kept the counters of the services it kept ($(tr '\n' ' ' < "$out/reload-after"))"
  else say "FAIL daemon r1 counters: before '$(cat "$out/reload-before" 2>/dev/null)' after '$(cat "$out/reload-after" 2>/dev/null)'"; fail=1; fi
  same "$dx/r1.syncd" "$out/r1.syncd.table" "daemon r1: lvs_sync_daemon without an instance: master and backup on kv0 syncid 0"
  same /dev/null "$out/d6.syncd.table" "daemon d6: sync daemons stopped"
fi
# Phase 3: ha_suspend and lvs_sync_daemon following a VRRP instance, against a keepalived 2.2.7 peer.
if [ ! -f "$out/ha.finished" ]; then
  say "FAIL the ha_suspend/lvs_sync_daemon phase did not finish"; fail=1
else
  dx=test/vm/daemon/expected
  same "$dx/h1.table" "$out/h1.table" "ha h1 (BACKUP at start: services added, 192.0.2.40:80 suspended): ipvsadm -Ln"
  same "$dx/h1.ours" "$out/h1.ours.table" "ha h1: backup sync daemon on hv0 syncid 42, no VIP"
  same "$dx/h2.table" "$out/h2.table" "ha h2 (a real server down while BACKUP: the ha_suspend service held, the other follows)"
  same "$dx/h2.table" "$out/h2-held.table" "ha h2: still held 8 s later"
  same "$dx/h3.ours" "$out/h3.ours.table" "ha h3 (promoted to MASTER): master sync daemon, VIP"
  same "$dx/h3.peer" "$out/h3.peer.table" "ha h3: keepalived 2.2.7 peer in BACKUP runs the backup sync daemon"
  same "$dx/h3.table" "$out/h3.table" "ha h3: checkers resumed, 192.0.2.40:80 follows"
  within h3 "$bound_ms"
  same "$dx/h1.ours" "$out/h4.ours.table" "ha h4 (cleared, BACKUP again): backup sync daemon, no VIP"
  same "$dx/h4.peer" "$out/h4.peer.table" "ha h4: keepalived 2.2.7 peer in MASTER runs the master sync daemon"
  same "$dx/h4.table" "$out/h4.table" "ha h4 (the real server back while BACKUP: only the other service takes it)"
  same "$dx/h4.table" "$out/h4-held.table" "ha h4: still held 8 s later"
  same "$dx/d6.table" "$out/h5.table" "ha h5 (stopped): own services deleted"
  same <(echo 'no VIP') "$out/h5.ours.table" "ha h5: sync daemon stopped"
  same "$dx/h4.peer" "$out/h5.peer.table" "ha h5: the peer's sync daemon untouched"
  n_s=$(grep -c 'Suspending healthcheckers for VS' "$out/ha-daemon.log"); n_a=$(grep -c 'Activating healthcheckers for VS' "$out/ha-daemon.log")
  if [ "$n_s" = 2 ] && [ "$n_a" = 1 ]; then say "ok   ha: checkers suspended at start and on leaving MASTER, resumed on MASTER (log)"
  else say "FAIL ha: 'Suspending healthcheckers' logged $n_s times (want 2), 'Activating' $n_a (want 1)"; fail=1; fi
  if grep -E 'IPVS.*(Multipart|busy)' "$out/daemon1.log" "$out/daemon2.log" "$out/ha-daemon.log" > "$job/diff.txt"; then
    say "FAIL IPVS netlink requests collided (a status poll's dump amid a pass's)"; cat "$job/diff.txt"; fail=1
  else say "ok   IPVS netlink: no dump refused or cut short while status polled"; fi
fi
if [ $fail != 0 ]; then
  say "---- VM console ----"; tail -n 60 "$job/console.log"
  say "---- job log ----"; cat "$job/job.log" 2>/dev/null
  for r in run1 run2 run3 run4 run5; do say "---- $r plan ----"; cat "$out/$r.plan" "$out/$r.err" 2>/dev/null; done
  for f in daemon-job.log daemon1.log daemon2.log backends.log client.log ha-job.log ha-daemon.log ha-peer.log ha-ctl.log; do say "---- $f ----"; tail -n 80 "$out/$f" 2>/dev/null; done
  say "FAILED (outputs kept in $job)"
  exit 1
fi
rm -rf "$job"
say "all checks passed"
