#!/usr/bin/env bash
# Stops the private Slurm started by scripts/slurm-up.sh in DIR: cancels its jobs, asks slurmctld to shut
# down with its slurmd, then ends whatever is left, and munged, by the pids in DIR (never by name).
# Idempotent; safe on a folder where nothing runs.
#   scripts/slurm-down.sh DIR     # default $SLURM_ROOT
set -u
R=${1:-${SLURM_ROOT:-}}
[ -n "$R" ] || { echo "usage: $0 DIR (or set SLURM_ROOT)" >&2; exit 2; }
[ -d "$R" ] || exit 0
export SLURM_CONF="$R/etc/slurm.conf"

# A pid that still runs (a zombie does not count: it is gone, only not yet reaped).
alive() {  # a pid that runs (a zombie is gone, only not yet reaped); from /proc, without ps
  local s
  s=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) && [ -n "$s" ] && [[ "$s" != Z* ]]
}
pid_of() { [ -s "$1" ] && cat "$1"; }
wait_gone() {  # wait_gone SECONDS PID...
  local n=$(( $1 * 10 )); shift
  for _ in $(seq "$n"); do
    local any=0
    for p in "$@"; do [ -n "$p" ] && alive "$p" && any=1; done
    [ $any = 0 ] && return 0
    sleep 0.1
  done
  return 1
}
stop_pid() {  # stop_pid PID NAME
  local pid=$1
  [ -n "$pid" ] && alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null
  wait_gone 5 "$pid" && return 0
  echo "slurm-down: $2 ($pid) ignored SIGTERM, sending SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null
  wait_gone 2 "$pid" || true
}

ctld=$(pid_of "$R/slurmctld.pid")
sd=$(pid_of "$R/slurmd.pid")
munged=$(pid_of "$R/munge/munged.pid")

if [ -f "$SLURM_CONF" ] && [ -n "$ctld" ] && alive "$ctld"; then
  scancel --quiet --user="$(id -un)" 2>/dev/null || true
  for _ in $(seq 50); do  # the jobs end (KillWait at most), then the daemons can go
    [ -z "$(squeue -h -t running,completing -o %i 2>/dev/null)" ] && break
    sleep 0.2
  done
  scontrol shutdown 2>/dev/null || true  # slurmctld stops itself and every slurmd
  wait_gone 10 "$ctld" "$sd" || true
fi
stop_pid "$sd" slurmd
stop_pid "$ctld" slurmctld
stop_pid "$munged" munged
echo "slurm-down: stopped (slurmctld ${ctld:-none}, slurmd ${sd:-none}, munged ${munged:-none})" >&2
exit 0
