#!/usr/bin/env bash
# Brings up a private single-node Slurm (munged, slurmctld, slurmd started by hand: no systemd, nothing
# under /etc edited) whose configuration, state, logs and munge socket all live in one folder. For the
# Slurm tests (tests/slurm) and for trying the batch scripts in slurm/ on a workstation.
#
#   scripts/slurm-up.sh DIR        # DIR: a new or empty folder; default $SLURM_ROOT
#   export SLURM_CONF=DIR/etc/slurm.conf
#   sbatch slurm/trellis.sbatch jobs/quick-example.yaml
#   scripts/slurm-down.sh DIR      # stops the daemons by pid
#
# Installs slurm-wlm, slurmctld, slurmd, slurm-client and munge when they are missing (as root, with
# apt). Exits 77 when Slurm is absent and cannot be installed, or cannot run here (not root). Picks free
# ports unless CTLD_PORT / SLURMD_PORT are set; NCPUS and MEM_MB default to the machine's.
# munged runs as user munge, so every parent of DIR must be traversable by others (not under /root):
# the default for tests is a folder under /tmp.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

R=${1:-${SLURM_ROOT:-}}
[ -n "$R" ] || { echo "usage: $0 DIR (or set SLURM_ROOT)" >&2; exit 2; }
mkdir -p "$R"
R=$(cd "$R" && pwd)

if [ "$(id -u)" != 0 ]; then
  log "slurm-up: needs root (slurmd runs jobs as their users; munged as user munge)"; exit 77
fi
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null ||
   ! [ -x /usr/sbin/munged ]; then
  install_slurm_packages || exit 77
fi
id munge >/dev/null 2>&1 || { log "slurm-up: no 'munge' user (is the munge package installed?)"; exit 1; }

alive() {  # a pid that runs (a zombie is gone, only not yet reaped); from /proc, without ps
  local s
  s=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) && [ -n "$s" ] && [[ "$s" != Z* ]]
}
for f in "$R/slurmctld.pid" "$R/slurmd.pid" "$R/munge/munged.pid"; do
  if [ -s "$f" ] && alive "$(cat "$f")"; then
    log "slurm-up: daemons already running in $R (pid $(cat "$f")); run scripts/slurm-down.sh $R first"; exit 1
  fi
done

# A TCP port nobody listens on (from /proc/net/tcp*), starting at $1.
port_in_use() {
  local hex; hex=$(printf ':%04X' "$1")
  awk -v h="$hex" 'NR > 1 && $4 == "0A" && substr($2, length($2) - 4) == h {found = 1} END {exit !found}' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
free_port() {
  local p=$1
  while port_in_use "$p" || [ "$p" = "${2:-0}" ]; do p=$((p + 1)); done
  echo "$p"
}
base=$(( 17000 + ($$ % 2000) * 2 ))
CTLD_PORT=${CTLD_PORT:-$(free_port "$base")}
SLURMD_PORT=${SLURMD_PORT:-$(free_port $((CTLD_PORT + 1)) "$CTLD_PORT")}
# (nproc alone honours OMP_NUM_THREADS, which test environments set to 1)
NCPUS=${NCPUS:-$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)}
MEM_MB=${MEM_MB:-$(( $(awk '/MemTotal/{print $2}' /proc/meminfo) / 1024 - 1024 ))}

t0=$(date +%s%N)
trap 'echo "slurm-up: failed at line $LINENO" >&2; tail -n 5 "$R"/munge/munged.log "$R"/log/*.log >&2 2>/dev/null' ERR

rm -rf "$R/spool" "$R/log"
mkdir -p "$R"/{etc,munge,spool/ctld,spool/d,log}
chmod 755 "$R"
runuser -u munge -- test -x "$R" ||
  { log "slurm-up: user munge cannot reach $R (a parent folder is not traversable); use a folder under /tmp"; exit 1; }

# munge: a key of this instance only (0400, owned by munge), an o+x socket folder.
chown munge:munge "$R/munge"
chmod 755 "$R/munge"
if [ ! -s "$R/munge/munge.key" ]; then
  (umask 077; dd if=/dev/urandom bs=1 count=1024 status=none > "$R/munge/munge.key")
fi
chown munge:munge "$R/munge/munge.key"
chmod 400 "$R/munge/munge.key"
runuser -u munge -- /usr/sbin/munged \
  --socket="$R/munge/munge.socket" --key-file="$R/munge/munge.key" \
  --pid-file="$R/munge/munged.pid" --log-file="$R/munge/munged.log" --seed-file="$R/munge/munged.seed"
munge -S "$R/munge/munge.socket" -n | unmunge -S "$R/munge/munge.socket" >/dev/null

cat > "$R/etc/slurm.conf" <<CONF
# A private single-node Slurm made by scripts/slurm-up.sh; stop it with scripts/slurm-down.sh $R
ClusterName=trellis
SlurmctldHost=localhost
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$R/munge/munge.socket
StateSaveLocation=$R/spool/ctld
SlurmdSpoolDir=$R/spool/d
SlurmctldPidFile=$R/slurmctld.pid
SlurmdPidFile=$R/slurmd.pid
SlurmctldLogFile=$R/log/slurmctld.log
SlurmdLogFile=$R/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1024
MpiDefault=pmix
ReturnToService=2
SlurmdTimeout=60
InactiveLimit=0
KillWait=10
MinJobAge=300
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$NCPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF

export SLURM_CONF="$R/etc/slurm.conf"
slurmctld -c         # -c: clean state; daemonizes and writes SlurmctldPidFile
slurmd -N localhost  # -N: the node's name in slurm.conf (the hostname is not 'localhost'); daemonizes
st=
for _ in $(seq 150); do
  st=$(sinfo -h -N -o '%T' 2>/dev/null || true)
  [ "$st" = idle ] && break
  sleep 0.2
done
if [ "$st" != idle ]; then
  log "slurm-up: the node did not become idle (state '$st')"; tail -n 20 "$R"/log/*.log >&2
  exit 1
fi
log "slurm up in $(( ($(date +%s%N) - t0) / 1000000 )) ms in $R: munged=$(cat "$R/munge/munged.pid")" \
    "slurmctld=$(cat "$R/slurmctld.pid") slurmd=$(cat "$R/slurmd.pid") ports $CTLD_PORT/$SLURMD_PORT"
echo "export SLURM_CONF=$SLURM_CONF"
