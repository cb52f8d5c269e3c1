#!/usr/bin/env bash
# A one-node Slurm cluster on localhost for the tests of array jobs (tests/cli/slurm.test.ts):
#   slurm-cluster.sh start DIR   writes DIR/slurm.conf, a munge key, starts munged, slurmctld and
#                                slurmd (state, logs, sockets and pid files all under DIR), waits
#                                until the node is idle, and prints `SLURM_CONF=DIR/slurm.conf`
#                                (the one variable sbatch, squeue and scontrol need);
#   slurm-cluster.sh stop DIR    stops those daemons (by the pids in DIR) and nothing else.
# Needs root (slurmd starts the jobs) and Debian's slurm-wlm and munge
# (tests/setup/ensure-system-deps.sh installs them). Ports: WIDENET_SLURM_PORT (default 16817) and the next one.
set -euo pipefail

action=${1:?usage: slurm-cluster.sh start|stop DIR}
dir=${2:?usage: slurm-cluster.sh start|stop DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

stop() {
  for name in slurmd slurmctld munged; do
    pidfile="$dir/$name.pid"
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
}

if [ "$action" = stop ]; then
  stop
  exit 0
fi
[ "$action" = start ] || { echo "slurm-cluster.sh: expected start or stop; received $action" >&2; exit 2; }

for tool in munged slurmctld slurmd sbatch squeue scontrol; do
  command -v "$tool" >/dev/null || { echo "slurm-cluster.sh: $tool is missing (apt-get install slurm-wlm munge; tests/setup/ensure-system-deps.sh does it as root)" >&2; exit 3; }
done
[ "$(id -u)" -eq 0 ] || { echo "slurm-cluster.sh: needs root (slurmd starts the jobs as their user)" >&2; exit 3; }

port=${WIDENET_SLURM_PORT:-16817}
node=$(hostname -s)
cpus=$(nproc)
mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
chmod 700 "$dir/munge"

# munge: its own key, socket and files under DIR (the system's munged, if any, is left alone)
dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
chmod 600 "$dir/munge/munge.key"
socket="$dir/munge/munge.socket"
munged --force --key-file="$dir/munge/munge.key" --socket="$socket" --pid-file="$dir/munged.pid" \
  --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed" 2>>"$dir/munge/munged.log"

cat > "$dir/slurm.conf" <<CONF
ClusterName=widenet-test
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
SlurmctldPort=$port
SlurmdPort=$((port + 1))
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MinJobAge=600
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=widenet Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"

slurmctld -i 2>>"$dir/slurmctld.log"
slurmd -N "$node" 2>>"$dir/slurmd.log"

# wait (up to 30 s) for the node to come up idle
for _ in $(seq 150); do
  state=$(sinfo -h -N -o '%t' 2>/dev/null | head -1 || true)
  case "$state" in idle*|mix*|alloc*) echo "SLURM_CONF=$SLURM_CONF"; exit 0 ;; esac
  sleep 0.2
done
echo "slurm-cluster.sh: the node did not come up (state: ${state:-none}); logs in $dir" >&2
tail -5 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
stop
exit 4
