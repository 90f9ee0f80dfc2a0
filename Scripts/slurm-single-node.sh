#!/usr/bin/env bash
# Opt-in: a single-node Slurm cluster on this machine (Debian's slurm-wlm: munged, slurmctld, slurmd on
# localhost), so Scripts/check_scale_out.sh can run examples/slurm/embed-array.sbatch for real. Needs root.
#
#   bash Scripts/slurm-single-node.sh start     # installs slurm-wlm if missing, writes /etc/slurm/slurm.conf
#   bash Scripts/slurm-single-node.sh stop
set -euo pipefail
case "${1:-start}" in
start)
  command -v slurmctld >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm >/dev/null
  mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge
  chown munge:munge /run/munge
  [ -f /etc/munge/munge.key ] || mungekey -c
  pgrep -x munged >/dev/null || su -s /bin/sh munge -c /usr/sbin/munged
  node=$(hostname)
  cpus=$(nproc)
  memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 8 / 10 ))
  cat > /etc/slurm/slurm.conf <<CONF
ClusterName=altclip
SlurmctldHost=$node
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
NodeName=$node CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
  pgrep -x slurmctld >/dev/null || slurmctld
  sleep 1
  pgrep -x slurmd >/dev/null || slurmd
  for _ in $(seq 30); do sinfo -h -o %T 2>/dev/null | grep -q idle && break; sleep 1; done
  sinfo
  ;;
stop)
  pkill -x slurmd || true
  pkill -x slurmctld || true
  for _ in $(seq 30); do { pgrep -x slurmd || pgrep -x slurmctld; } >/dev/null || break; sleep 0.5; done
  ;;
esac
