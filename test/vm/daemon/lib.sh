# Helpers of the VM daemon phases (sourced by job.sh and ha-job.sh, inside the VM). Needs O (the
# output folder) and T (the VM's scratch folder) set.
now() { date +%s%3N; }
# One line per service and per destination (service first, weights, no connection counts), sorted:
# the kernel's listing order of destinations changes when one leaves and comes back.
normalize() {
  ipvsadm -Ln | awk 'NR > 3 { if ($1 == "->") print svc " -> " $2 " " $3 " " $4; else { svc = $1 " " $2; rest = ""; for (i = 3; i <= NF; i++) rest = rest " " $i; print svc rest } }' | LC_ALL=C sort
}
# The kernel's sync daemons, one line each, sorted (empty when none runs).
syncd() { ipvsadm -L --daemon 2>&1 | LC_ALL=C sort; }
# Waits (bounded in time and count) until the output of a command (normalize by default) equals the
# expected file; writes the time taken, or "timeout". Under TCG on a loaded machine a node process
# takes tens of seconds to start.
follow() { # name, expected file, start time (ms), seconds allowed[, command]
  i=0
  while :; do
    ${5:-normalize} > "$O/$1.table"
    if cmp -s "$O/$1.table" "$2"; then echo $(( $(now) - $3 )) > "$O/$1.ms"; return 0; fi
    i=$((i + 1))
    if [ $i -ge 2000 ] || [ $(( $(now) - $3 )) -ge $(( $4 * 1000 )) ]; then break; fi
    sleep 0.1
  done
  echo "timeout" > "$O/$1.ms"
}
# Waits (bounded) until a file has a line matching a pattern; 1 if it never did.
wait_line() { # file, grep -E pattern, seconds allowed
  i=0
  while [ $i -lt $(( $3 * 10 )) ]; do
    grep -Eq "$2" "$1" 2>/dev/null && return 0
    i=$((i + 1)); sleep 0.1
  done
  echo "no line /$2/ in $1 after $3 s" >&2
  return 1
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
# The Conns counter of one service in ipvsadm -Ln --stats.
conns() { ipvsadm -Ln --stats | awk -v s="$1" '$2 == s { print $3 }'; }
# Sends SIGTERM to a pid in a file and waits (bounded) until it is gone.
stop_pid() { # pidfile, seconds allowed
  p="$(cat "$1" 2>/dev/null)"; [ -n "$p" ] || return 0
  kill -TERM "$p" 2>/dev/null
  i=0; while [ $i -lt $(( $2 * 10 )) ] && kill -0 "$p" 2>/dev/null; do i=$((i + 1)); sleep 0.1; done
}
