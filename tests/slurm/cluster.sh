#!/usr/bin/env bash
# A private one-node Slurm cluster for the tests: munged, slurmctld and slurmd
# on 127.0.0.1 with every file under one folder, no systemd, no cgroups, no
# slurmdbd; stopped by the PIDs it started.
#
#   cluster.sh up DIR CTLD_PORT SLURMD_PORT [CPUS]   start (CPUS: 4); prints "export SLURM_CONF=..."
#   cluster.sh down DIR                       cancel its jobs, stop its daemons
#
# What it relies on (Debian bookworm's Slurm 22.05), each learnt the hard way:
# - proctrack/linuxproc and task/none: no cgroups in a container;
# - slurmd -N localhost: the node is "localhost" whatever the host is called;
#   CPUs or RealMemory above the machine's drain the node, unless
#   SlurmdParameters=config_overrides (used here: 4 CPUs on 2 cores);
# - DependencyParameters=kill_invalid_depend (not SchedulerParameters, where
#   it is ignored): otherwise a job after a failed one pends for ever;
# - AuthInfo cred_expire=10: a requeued job waits that long, not 120 s;
# - bf_interval=1,sched_interval=2: preemption and restarts within seconds;
# - MinJobAge: finished jobs stay visible to scontrol for a while;
# - two partitions, low "debug" and high "urgent", preempt/partition_prio
#   with REQUEUE: an urgent job preempts a debug one for real (srun steps are
#   signalled at once, the batch shell when GraceTime ends);
# - two clusters on one port fail with "Address already in use": the caller
#   passes free ports.
set -euo pipefail

cmd=${1:-}
W=${2:?usage: cluster.sh up|down DIR [CTLD_PORT SLURMD_PORT]}
export SLURM_CONF=$W/etc/slurm.conf
SOCK=$W/run/munge.sock

log() { printf '[cluster %s] %s\n' "$(date +%T)" "$*" >&2; }

# The PID in our pid file, if that process is alive and is NAME (not a reused PID).
pid_of() {
  local f=$W/run/$1.pid p
  [ -s "$f" ] || return 1
  p=$(cat "$f")
  [ -r "/proc/$p/comm" ] && [ "$(cat "/proc/$p/comm")" = "$1" ] && echo "$p"
}

# wait_until SECONDS WHAT CMD...: CMD every 0.2 s until it succeeds.
wait_until() {
  local end=$(( $(date +%s) + $1 )) what=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$end" ] || { log "timed out waiting for $what"; return 1; }
    sleep 0.2
  done
}

up() {
  local ctld_port=${3:?CTLD_PORT} slurmd_port=${4:?SLURMD_PORT} cpus=${5:-4}
  rm -rf "$W"
  mkdir -p "$W"/{etc,key,run,log,state,spool}
  chmod 755 "$W" "$W/run"  # munged wants its socket's folder searchable by all
  chmod 700 "$W/key"
  dd if=/dev/urandom of="$W/key/munge.key" bs=1024 count=1 status=none
  chmod 400 "$W/key/munge.key"
  munged --key-file="$W/key/munge.key" --socket="$SOCK" --pid-file="$W/run/munged.pid" \
         --log-file="$W/log/munged.log" --seed-file="$W/key/munged.seed"
  wait_until 10 munged bash -c "munge -n -S '$SOCK' | unmunge -S '$SOCK'"
  cat >"$SLURM_CONF" <<EOF
ClusterName=genbench-test
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCK,cred_expire=10
StateSaveLocation=$W/state
SlurmdSpoolDir=$W/spool
SlurmctldPidFile=$W/run/slurmctld.pid
SlurmdPidFile=$W/run/slurmd.pid
SlurmctldLogFile=$W/log/slurmctld.log
SlurmdLogFile=$W/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$W/log/jobcomp.txt
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=bf_interval=1,sched_interval=2
DependencyParameters=kill_invalid_depend
ReturnToService=2
# the node's CPUs as configured, not as found: 4 on a 2-core machine, so that
# a throttle of 2 is what limits a 4-shard array (without this the node drains)
SlurmdParameters=config_overrides
KillWait=5
MinJobAge=600
PreemptType=preempt/partition_prio
PreemptMode=REQUEUE
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=1000 State=UNKNOWN
PartitionName=debug  Nodes=localhost Default=YES MaxTime=INFINITE State=UP PriorityTier=1 GraceTime=3
PartitionName=urgent Nodes=localhost MaxTime=INFINITE State=UP PriorityTier=10 PreemptMode=OFF
EOF
  slurmctld -f "$SLURM_CONF"
  # our PID alive too: with a port in use, ping could reach another cluster's slurmctld
  wait_until 30 slurmctld bash -c "[ -n \"\$(pid_of slurmctld)\" ] && scontrol ping | grep -q UP" ||
    { tail -20 "$W/log/slurmctld.log" >&2; return 1; }
  slurmd -f "$SLURM_CONF" -N localhost
  wait_until 30 "the node to be idle" bash -c "sinfo -h -n localhost -o %T | grep -qx idle" ||
    { sinfo -N -l >&2 || true; tail -20 "$W/log/slurmd.log" >&2; return 1; }
  log "up: munged $(pid_of munged), slurmctld $(pid_of slurmctld), slurmd $(pid_of slurmd) in $W"
  echo "export SLURM_CONF=$SLURM_CONF"
}

down() {
  local p
  if pid_of slurmctld >/dev/null; then
    squeue -h -o %A 2>/dev/null | xargs -r scancel 2>/dev/null || true
    wait_until 20 "the jobs to end" bash -c '[ -z "$(squeue -h -o %A 2>/dev/null)" ]' || true
  fi
  for d in slurmd slurmctld munged; do
    p=$(pid_of $d) || continue
    kill -TERM "$p"
    for _ in $(seq 50); do [ -d "/proc/$p" ] || break; sleep 0.2; done
    [ ! -d "/proc/$p" ] || { log "$d ($p) ignored SIGTERM: SIGKILL"; kill -KILL "$p"; }
  done
  rm -f "$W"/run/*.pid
  log "down: $W"
}

export -f pid_of
export W
case $cmd in
  up) up "$@" ;;
  down) down ;;
  *) echo "usage: cluster.sh up DIR CTLD_PORT SLURMD_PORT | down DIR" >&2; exit 2 ;;
esac
