#!/usr/bin/env bash
# Stop the daemons started by slurm/start_local_cluster.sh, using only the pidfiles
# under SKYREELS_SLURM_DIR (default /var/tmp/skyreels-slurm). Nothing is killed by
# name. State (SLURM state, accounting database, munge key, configs) is kept, so a
# later start_local_cluster.sh resumes the same cluster; remove the directory after
# stopping for a clean slate (note: job ids then restart from 1).
set -euo pipefail

DIR=${SKYREELS_SLURM_DIR:-/var/tmp/skyreels-slurm}
RUN=$DIR/run
export SLURM_CONF=$DIR/etc/slurm.conf
STOP_TIMEOUT=${SKYREELS_SLURM_STOP_TIMEOUT:-60}

say() { printf '[slurm-local-stop] %s\n' "$*"; }

# Same identification as the start script: pidfile -> live process with the
# expected name whose command line or environment mentions $DIR.
our_pid() {
    local name=$1 f=$RUN/$1.pid pid ident
    [[ -s $f ]] || return 1
    pid=$(<"$f")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [[ -r /proc/$pid/comm && "$(</proc/"$pid"/comm)" == "$name" ]] || return 1
    [[ "$(awk '{print $3}' /proc/"$pid"/stat 2>/dev/null)" != Z ]] || return 1  # exited, not reaped yet
    ident=$(tr '\0' '\n' </proc/"$pid"/cmdline; tr '\0' '\n' </proc/"$pid"/environ 2>/dev/null || true)
    [[ $ident == *"$DIR"* ]] || return 1
    echo "$pid"
}

if [[ ! -d $RUN ]]; then
    say "nothing to stop ($RUN does not exist)"
    exit 0
fi

if our_pid slurmctld >/dev/null && command -v squeue >/dev/null; then
    running=$(timeout 10 squeue -h -t RUNNING,COMPLETING -o %i 2>/dev/null | wc -l || true)
    if [[ ${running:-0} -gt 0 ]]; then
        say "note: $running job(s) still running; they are not cancelled (scancel them first for a clean stop)"
    fi
fi

stop_one() {
    local name=$1 pid i
    if ! pid=$(our_pid "$name"); then
        [[ -e $RUN/$name.pid ]] && say "$name: not running (stale pidfile removed)"
        rm -f "$RUN/$name.pid"
        return 0
    fi
    say "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
        [[ -e /proc/$pid ]] || break
        # a zombie (not reaped yet by its parent) has exited already
        [[ "$(awk '{print $3}' /proc/"$pid"/stat 2>/dev/null)" == Z ]] && break
        sleep 0.1
    done
    if [[ -e /proc/$pid && "$(awk '{print $3}' /proc/"$pid"/stat 2>/dev/null)" != Z ]]; then
        say "$name did not exit within ${STOP_TIMEOUT}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.5
    fi
    rm -f "$RUN/$name.pid"
}

# Reverse start order: compute daemon, controller, accounting, auth, database.
for d in slurmd slurmctld slurmdbd munged mariadbd; do
    stop_one "$d"
done
say "stopped; state kept in $DIR"
