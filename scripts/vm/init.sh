#!/bin/sh
# /init of the IPVS test VM (busybox). Loads the modules, mounts the host's root read-only (9p tag
# hostfs) and the job folder writable (9p tag job) at the same path it has on the host, then runs
# the job's job.sh chrooted into the host root and powers off. The VM has no network card.
bb=/bin/busybox
$bb mkdir -p /proc /sys /dev /host
$bb mount -t proc proc /proc
$bb mount -t sysfs sys /sys
$bb mount -t devtmpfs dev /dev
for m in $($bb cat /modules.order); do
  $bb insmod "/lib/modules/$m.ko" 2>/dev/null || echo "vm-init: insmod $m failed"
done
job=""
for w in $($bb cat /proc/cmdline); do
  case "$w" in kbjob=*) job="${w#kbjob=}" ;; esac
done
fail() { echo "vm-init: $*"; $bb sync; $bb poweroff -f; }
[ -n "$job" ] || fail "no kbjob= on the kernel command line"
# The host root at /hostro, seen as /host through a bind mount: the tmpfs mounts below hide /tmp and
# /run in /host only, so a checkout under /tmp or /run (CI clones often live there) can be shown again.
$bb mkdir -p /hostro
$bb mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=loose,ro hostfs /hostro || fail "cannot mount the host root"
$bb mount -o bind /hostro /host || fail "cannot bind the host root"
$bb mount -t proc proc /host/proc
$bb mount -t sysfs sys /host/sys
$bb mount -t devtmpfs dev /host/dev
$bb mount -t tmpfs tmp /host/tmp
$bb mount -t tmpfs run /host/run
case "$job" in
  /tmp/*|/run/*)
    top="$(echo "$job" | $bb sed 's#/\.tmp/vm/.*##')"
    $bb mkdir -p "/host$top"
    $bb mount -o bind "/hostro$top" "/host$top" || fail "cannot show $top inside the VM"
    ;;
esac
$bb mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 job "/host$job" || fail "cannot mount the job folder"
echo "vm-init: running $job/job.sh"
$bb chroot /host /bin/sh "$job/job.sh" > "/host$job/job.log" 2>&1
echo "$?" > "/host$job/job.rc"
echo "vm-init: job exited $($bb cat "/host$job/job.rc")"
$bb sync
$bb umount "/host$job"
$bb poweroff -f
