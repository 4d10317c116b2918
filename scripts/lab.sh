#!/usr/bin/env bash
# npm run lab: a keepalived cluster of our daemons in network namespaces on this machine, a short
# guided demo (status, fail n1, status, heal n1, status), then down. Pauses for Enter only on a
# terminal. --keep leaves the lab up to play with. Ctrl-C at any point takes the lab down.
#   npm run lab                                  # 2 nodes, active-backup
#   npm run lab -- --nodes 3 --template ipv6 --keep
#   npm run lab -- --how kill                    # fail n1 by crashing its daemon (link, kill, stop)
set -uo pipefail
cd "$(dirname "$0")/.."

usage() {
  sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
  echo "options: --nodes 2|3  --template active-backup|active-active|ipv6  --how link|kill|stop  --dir DIR  --keep"
}

KEEP=0
HOW=link
UP_ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) KEEP=1 ;;
    --nodes | --template) [ $# -ge 2 ] || { echo "npm run lab: $1 needs a value" >&2; exit 2; }; UP_ARGS+=("$1" "$2"); shift ;;
    --how) [ $# -ge 2 ] || { echo "npm run lab: --how needs a value" >&2; exit 2; }; HOW="$2"; shift ;;
    --dir) [ $# -ge 2 ] || { echo "npm run lab: --dir needs a value" >&2; exit 2; }; export KEEPALIVEDCTL_LAB_DIR="$2"; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "npm run lab: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
case "$HOW" in link | kill | stop) ;; *) echo "npm run lab: --how must be link, kill or stop, not '$HOW'" >&2; exit 2 ;; esac

if [ "$(id -u)" != 0 ]; then
  echo "npm run lab: the lab needs root (it creates network namespaces); try: sudo npm run lab" >&2
  exit 1
fi
if [ ! -f dist/commands/lab/up.js ]; then
  npm run build --silent || { echo "npm run lab: the build failed" >&2; exit 1; }
fi

# Each step is bounded; --foreground keeps Ctrl-C reaching the command (it cleans up after itself).
ctl() { timeout --foreground 180 node bin/keepalivedctl "$@"; }
TTY=0
if [ -t 0 ] && [ -t 1 ]; then TTY=1; fi
pause() {
  if [ "$TTY" = 1 ]; then
    read -r -t 600 -p $'\n[Enter] to go on, Ctrl-C to stop ' _ || true
  fi
}
step() { printf '\n\033[1m== %s\033[0m\n' "$*" | { if [ "$TTY" = 1 ]; then cat; else sed 's/\x1b\[[0-9;]*m//g'; fi; }; }

UP_DONE=0
cleanup() {
  trap - INT TERM HUP
  if [ "$UP_DONE" = 1 ]; then
    step "keepalivedctl lab down"
    ctl lab down
  fi
}
trap 'echo; echo "interrupted"; cleanup; exit 130' INT TERM HUP

step "keepalivedctl lab up ${UP_ARGS[*]:-}"
ctl lab up "${UP_ARGS[@]}"
rc=$?
# lab up takes the lab down itself when it fails or is interrupted.
[ $rc = 0 ] || exit $rc
UP_DONE=1
echo
echo "n1 has the highest priority, so it is MASTER and holds the VIP. Next: n1 fails ($HOW)."
pause

step "keepalivedctl lab fail n1 --how $HOW"
ctl lab fail n1 --how "$HOW"
echo
echo "A backup noticed and took the VIP over. Next: the cluster as it is now."
pause

step "keepalivedctl lab status"
ctl lab status
echo
echo "Next: n1 comes back; with its higher priority it takes the VIP back (preemption)."
pause

step "keepalivedctl lab heal n1"
ctl lab heal n1
pause

step "keepalivedctl lab status"
ctl lab status
status_rc=$?

if [ "$KEEP" = 1 ]; then
  trap - INT TERM HUP
  echo
  echo "The lab is still up (--keep). Try the commands lab up printed; when done: keepalivedctl lab down${KEEPALIVEDCTL_LAB_DIR:+ --dir $KEEPALIVEDCTL_LAB_DIR}"
  exit $status_rc
fi
cleanup
down_rc=$?
[ $status_rc = 0 ] && exit $down_rc
exit $status_rc
