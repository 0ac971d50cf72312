#!/usr/bin/env bash
# slurm-local.sh: a one-node Slurm cluster on this machine, for testing `budgetrain sweep
# --backend slurm` (cmd.TestSweepSlurmBackend).
#
#   scripts/slurm-local.sh start    install slurm-wlm and munge if missing (apt, needs root),
#                                   write slurm.conf, start munged, slurmctld and slurmd, wait
#                                   until the node is idle; does nothing when that is so already
#   scripts/slurm-local.sh stop     stop the three daemons started here (by their pid files)
#   scripts/slurm-local.sh running  exit 0 if the three daemons started here are running
#   scripts/slurm-local.sh status   print sinfo
#
# The node is this machine as `slurmd -C` reports it (CPUs and memory), with
# proctrack/linuxproc, task/none and select/cons_tres: no cgroups, so it runs in a container.
# Everything runs as root. Files: /etc/slurm/slurm.conf, /var/spool/slurm*, /var/log/slurm,
# /run/slurm-local (pid files).
set -euo pipefail

run=/run/slurm-local
conf=/etc/slurm/slurm.conf

need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "slurm-local: must run as root (got uid $(id -u))" >&2
		exit 1
	fi
}

install() {
	if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null && command -v munged >/dev/null; then
		return
	fi
	echo "slurm-local: installing slurm-wlm and munge" >&2
	export DEBIAN_FRONTEND=noninteractive
	# Package scripts must not try to start services themselves (no init system here).
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
	rm -f /usr/sbin/policy-rc.d
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

write_conf() {
	local host node
	host=$(hostname -s)
	# slurmd -C prints this machine's NodeName line (CPUs, sockets, cores, RealMemory).
	node=$(slurmd -C | head -n 1 | sed "s/^NodeName=[^ ]*/NodeName=$host NodeAddr=127.0.0.1/")
	mkdir -p /etc/slurm
	cat >"$conf.tmp" <<EOF
# Written by scripts/slurm-local.sh: one node, this machine.
ClusterName=local
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SlurmctldPidFile=$run/slurmctld.pid
SlurmdPidFile=$run/slurmd.pid
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
MinJobAge=600
$node State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
	mv "$conf.tmp" "$conf"
}

start_munge() {
	if alive $run/munged.pid; then
		return
	fi
	mkdir -p /etc/munge /var/lib/munge /var/log/munge /run/munge
	if [ ! -s /etc/munge/munge.key ]; then
		dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
	fi
	chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge /run/munge
	chmod 0700 /etc/munge /var/lib/munge /var/log/munge
	chmod 0755 /run/munge
	chmod 0400 /etc/munge/munge.key
	runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid
	cp /run/munge/munged.pid $run/munged.pid
}

wait_idle() {
	local host state i
	host=$(hostname -s)
	for i in $(seq 1 60); do
		state=$(sinfo -h -n "$host" -o %T 2>/dev/null || true)
		case "$state" in
		idle* | mixed* | allocated*) return 0 ;;
		down* | drain*) scontrol update nodename="$host" state=resume 2>/dev/null || true ;;
		esac
		sleep 1
	done
	echo "slurm-local: node $host not idle after 60 s (state: ${state:-none}); see /var/log/slurm" >&2
	exit 1
}

start() {
	need_root
	install
	mkdir -p $run /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
	if alive $run/slurmctld.pid && alive $run/slurmd.pid && alive $run/munged.pid; then
		wait_idle
		return
	fi
	write_conf
	start_munge
	alive $run/slurmctld.pid || slurmctld
	alive $run/slurmd.pid || slurmd
	wait_idle
	echo "slurm-local: running ($(sinfo -h -o '%P %D %c CPUs %m MiB %T' | head -n 1))" >&2
}

stop() {
	need_root
	local f pid i
	for f in slurmd slurmctld munged; do
		if alive $run/$f.pid; then
			pid=$(cat $run/$f.pid)
			kill "$pid"
			for i in $(seq 1 50); do # up to 10 s, so that a start right after finds the ports free
				kill -0 "$pid" 2>/dev/null || break
				[ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" = Z ] && break
				sleep 0.2
			done
		fi
		rm -f $run/$f.pid
	done
}

case "${1:-}" in
start) start ;;
stop) stop ;;
running) alive $run/munged.pid && alive $run/slurmctld.pid && alive $run/slurmd.pid ;;
status) sinfo ;;
*)
	echo "usage: $0 start|stop|running|status" >&2
	exit 2
	;;
esac
