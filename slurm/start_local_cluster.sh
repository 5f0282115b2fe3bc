#!/usr/bin/env bash
# Bring up a real one-node SLURM cluster (with accounting) on this machine.
#
#   sudo slurm/start_local_cluster.sh
#
# Idempotent: when the cluster started from the same directory is already up and
# healthy it exits 0 straight away. Everything (configs, munge key, MariaDB data,
# SLURM state, logs, pidfiles) lives under one directory:
#   SKYREELS_SLURM_DIR   (default /var/tmp/skyreels-slurm)
# Other knobs (environment):
#   SKYREELS_SLURM_CLUSTER   cluster name            (default skyreels)
#   SKYREELS_SLURM_ACCOUNT   account for root's jobs (default skyreels)
#   SKYREELS_SLURM_DB_PORT   MariaDB TCP port on 127.0.0.1 (default 3307, so a
#                            system MariaDB on 3306 is left alone)
#   SKYREELS_SLURM_LINK_ETC  1 (default): symlink /etc/slurm/slurm.conf to the
#                            generated config so plain `sinfo`/`sbatch` work
#                            without SLURM_CONF; 0: don't touch /etc/slurm.
# Stop with slurm/stop_local_cluster.sh (state is kept; a restart resumes it).
set -euo pipefail

DIR=${SKYREELS_SLURM_DIR:-/var/tmp/skyreels-slurm}
CLUSTER=${SKYREELS_SLURM_CLUSTER:-skyreels}
ACCOUNT=${SKYREELS_SLURM_ACCOUNT:-skyreels}
DB_PORT=${SKYREELS_SLURM_DB_PORT:-3307}
LINK_ETC=${SKYREELS_SLURM_LINK_ETC:-1}
PARTITION=debug
MAX_ARRAY_SIZE=1001
PACKAGES=(slurmctld slurmd slurm-client munge slurmdbd mariadb-server)

ETC=$DIR/etc
RUN=$DIR/run
LOG=$DIR/log
export SLURM_CONF=$ETC/slurm.conf

T0=$(date +%s%N)
say() {
    local ms=$((($(date +%s%N) - T0) / 1000000))
    printf '[slurm-local %3d.%01ds] %s\n' $((ms / 1000)) $((ms % 1000 / 100)) "$*"
}
die() { say "ERROR: $*" >&2; exit 1; }

# --- helpers ---------------------------------------------------------------
# pid of daemon $1 if its pidfile points at a live process of ours (the process
# name matches and its command line or environment mentions $DIR), else fail.
our_pid() {
    local name=$1 f=$RUN/$1.pid pid
    [[ -s $f ]] || return 1
    pid=$(<"$f")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [[ -r /proc/$pid/comm && "$(</proc/"$pid"/comm)" == "$name" ]] || return 1
    [[ "$(awk '{print $3}' /proc/"$pid"/stat 2>/dev/null)" != Z ]] || return 1  # exited, not reaped yet
    # (no `| grep -q` anywhere: with pipefail an early grep exit can SIGPIPE the writer)
    local ident
    ident=$(tr '\0' '\n' </proc/"$pid"/cmdline; tr '\0' '\n' </proc/"$pid"/environ 2>/dev/null || true)
    [[ $ident == *"$DIR"* ]] || return 1
    echo "$pid"
}

# wait_until TIMEOUT_S DESCRIPTION CMD...: poll CMD every 0.5 s.
wait_until() {
    local timeout=$1 what=$2 deadline
    shift 2
    deadline=$(($(date +%s) + timeout))
    until "$@" >/dev/null 2>&1; do
        if (($(date +%s) >= deadline)); then
            say "timed out after ${timeout}s waiting for $what" >&2
            return 1
        fi
        sleep 0.5
    done
}

node_ready() {
    local st
    st=$(timeout 10 sinfo -h -N -n "$NODE" -p "$PARTITION" -o %t 2>/dev/null | head -1)
    [[ $st == idle || $st == mix || $st == alloc || $st == comp ]]
}
sacct_works() { timeout 10 sacct -n -X -S now-1hours -o JobID >/dev/null 2>&1; }
dbd_works() { timeout 10 sacctmgr -n -P list cluster format=Cluster >/dev/null 2>&1; }

healthy() {
    local d
    for d in mariadbd munged slurmdbd slurmctld slurmd; do our_pid "$d" >/dev/null || return 1; done
    node_ready && sacct_works
}

show_logs() {
    local f
    for f in "$LOG"/*.log; do
        [[ -f $f ]] || continue
        echo "----- tail $f" >&2
        tail -n 15 "$f" >&2
    done
}
# shellcheck disable=SC2154  # rc is assigned inside the trap string
trap 'rc=$?; if ((rc != 0)); then say "start failed (rc=$rc); recent logs:" >&2; show_logs; fi' EXIT

# --- fast path ---------------------------------------------------------------
NODE=$(hostname -s)
if [[ -f $SLURM_CONF ]] && command -v sinfo >/dev/null && healthy; then
    say "cluster '$CLUSTER' already up and healthy ($DIR); nothing to do"
    exit 0
fi

((EUID == 0)) || die "must run as root (installs packages, runs slurmd which runs jobs as root)"

# --- packages ---------------------------------------------------------------
missing=()
for p in "${PACKAGES[@]}"; do
    [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" == *"ok installed"* ]] || missing+=("$p")
done
if ((${#missing[@]})); then
    say "installing ${missing[*]} (apt-get)"
    # Keep the packages' own service scripts from starting system daemons
    # (they would fight over ports / the munge socket with the ones below).
    tmp_policy=""
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        tmp_policy=/usr/sbin/policy-rc.d
        printf '#!/bin/sh\nexit 101\n' >"$tmp_policy"
        chmod 755 "$tmp_policy"
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >"/tmp/skyreels-slurm-apt.$$.log" 2>&1; then
        say "apt-get install failed; retrying after apt-get update"
        apt-get update -q >>"/tmp/skyreels-slurm-apt.$$.log" 2>&1 || true
        apt-get install -y -q --no-install-recommends "${missing[@]}" >>"/tmp/skyreels-slurm-apt.$$.log" 2>&1 \
            || { if [[ -n $tmp_policy ]]; then rm -f "$tmp_policy"; fi; tail -20 "/tmp/skyreels-slurm-apt.$$.log" >&2; die "apt-get install failed"; }
    fi
    if [[ -n $tmp_policy ]]; then rm -f "$tmp_policy"; fi
    rm -f "/tmp/skyreels-slurm-apt.$$.log"
fi

VERSION=$(slurmd -V | awk '{print $2}')
say "slurm $VERSION, node $NODE, state dir $DIR"
getent hosts "$NODE" >/dev/null || say "WARNING: hostname '$NODE' does not resolve; srun may fail (add it to /etc/hosts)"

# --- directories, key, configs ---------------------------------------------------
mkdir -p "$ETC" "$RUN" "$LOG" "$DIR/munge" "$DIR/state/ctld" "$DIR/state/d" "$DIR/mariadb/data"
chmod 755 "$DIR" "$ETC" "$RUN" "$LOG"
chmod 700 "$DIR/munge" "$DIR/state/ctld" "$DIR/state/d"
chown mysql:mysql "$DIR/mariadb" "$DIR/mariadb/data"
chmod 750 "$DIR/mariadb"

if [[ ! -s $DIR/munge/munge.key ]]; then
    say "writing munge key"
    (umask 077 && dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 status=none)
fi
chmod 400 "$DIR/munge/munge.key"
if [[ ! -s $ETC/db.pass ]]; then
    (umask 077 && head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' >"$ETC/db.pass")
fi
DB_PASS=$(<"$ETC/db.pass")
MUNGE_SOCKET=$RUN/munge.socket
DB_SOCKET=$DIR/mariadb/mysqld.sock

# Real hardware of this machine, e.g. "CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=24105"
HW=$(slurmd -C | head -1 | sed -e 's/^NodeName=[^ ]* //' -e 's/ *UpTime=.*//')
CPUS=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$HW")
MEM=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$HW")
[[ -n $CPUS && -n $MEM ]] || die "could not parse 'slurmd -C': $HW"
DEF_MEM_PER_CPU=$((MEM / CPUS))

write_if_changed() {  # write_if_changed FILE MODE <content on stdin>
    local f=$1 mode=$2 tmp
    tmp=$(mktemp "$f.XXXXXX")
    cat >"$tmp"
    chmod "$mode" "$tmp"
    if [[ -f $f ]] && cmp -s "$tmp" "$f"; then rm -f "$tmp"; else mv -f "$tmp" "$f"; fi
}

write_if_changed "$ETC/my.cnf" 644 <<EOF
# MariaDB for slurmdbd only; generated by start_local_cluster.sh
[mysqld]
user=mysql
datadir=$DIR/mariadb/data
socket=$DB_SOCKET
pid-file=$DIR/mariadb/mariadbd.pid
port=$DB_PORT
bind-address=127.0.0.1
skip-name-resolve
innodb_buffer_pool_size=256M
innodb_log_file_size=64M
innodb_lock_wait_timeout=900
max_connections=100
EOF

write_if_changed "$ETC/slurm.conf" 644 <<EOF
# One-node SLURM cluster on localhost; generated by start_local_cluster.sh (slurm $VERSION).
ClusterName=$CLUSTER
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
CredType=cred/munge
# cred_expire=10: a requeued job may start again after 10 s instead of 120 s.
AuthInfo=socket=$MUNGE_SOCKET,cred_expire=10
StateSaveLocation=$DIR/state/ctld
SlurmdSpoolDir=$DIR/state/d
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd.log
MailProg=/bin/true
SlurmctldDebug=info
SlurmdDebug=info
# No systemd / cgroups needed.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=$DEF_MEM_PER_CPU
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=2
# submitit reads job states through sacct, so accounting is required.
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=6819
# Clients authenticate to slurmdbd with the munge socket named here (not AuthInfo).
AccountingStoragePass=$MUNGE_SOCKET
JobCompType=jobcomp/none
JobRequeue=1
MaxArraySize=$MAX_ARRAY_SIZE
MaxJobCount=20000
ReturnToService=2
KillWait=5
MinJobAge=300
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=60
Waittime=0
NodeName=$NODE NodeAddr=127.0.0.1 NodeHostname=$NODE $HW State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=2-00:00:00 DefaultTime=01:00:00 State=UP
EOF

write_if_changed "$ETC/slurmdbd.conf" 600 <<EOF
# generated by start_local_cluster.sh
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=6819
SlurmUser=root
PidFile=$RUN/slurmdbd.pid
LogFile=$LOG/slurmdbd.log
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=skyreels_slurm_acct_db
EOF

cat >"$DIR/env.sh" <<EOF
# source this to use the local cluster without the /etc/slurm symlink
export SLURM_CONF=$SLURM_CONF
EOF

if [[ $LINK_ETC == 1 ]]; then
    mkdir -p /etc/slurm
    if [[ -L /etc/slurm/slurm.conf || ! -e /etc/slurm/slurm.conf ]]; then
        ln -sfn "$SLURM_CONF" /etc/slurm/slurm.conf
    else
        say "WARNING: /etc/slurm/slurm.conf is a regular file; left alone. Use: source $DIR/env.sh"
    fi
fi

# --- daemons -------------------------------------------------------------------
# 1. MariaDB (accounting storage for slurmdbd)
if ! our_pid mariadbd >/dev/null; then
    if [[ ! -d $DIR/mariadb/data/mysql ]]; then
        say "initialising MariaDB data dir"
        mariadb-install-db --defaults-file="$ETC/my.cnf" --auth-root-authentication-method=socket \
            --skip-test-db >"$LOG/mariadb-install.log" 2>&1 || die "mariadb-install-db failed (see $LOG/mariadb-install.log)"
    fi
    say "starting mariadbd (127.0.0.1:$DB_PORT)"
    rm -f "$DB_SOCKET"
    # setsid without -f does not fork here, so $! is mariadbd's own pid.
    setsid /usr/sbin/mariadbd --defaults-file="$ETC/my.cnf" </dev/null >>"$LOG/mariadb.log" 2>&1 &
    echo $! >"$RUN/mariadbd.pid"
fi
wait_until 60 "MariaDB" mariadb-admin --socket="$DB_SOCKET" ping || die "MariaDB did not come up"
mariadb --socket="$DB_SOCKET" -u root <<EOF || die "could not create the slurm database user"
CREATE DATABASE IF NOT EXISTS skyreels_slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
ALTER USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
GRANT ALL ON skyreels_slurm_acct_db.* TO 'slurm'@'127.0.0.1';
EOF

# 2. munged (own key and socket; does not use /etc/munge)
if ! our_pid munged >/dev/null; then
    say "starting munged"
    rm -f "$MUNGE_SOCKET" "$MUNGE_SOCKET.lock"
    munged --key-file="$DIR/munge/munge.key" --socket="$MUNGE_SOCKET" --pid-file="$RUN/munged.pid" \
        --log-file="$LOG/munged.log" --seed-file="$DIR/munge/munged.seed" --force \
        || die "munged failed to start"
fi
wait_until 20 "munged" bash -c "munge -n -S '$MUNGE_SOCKET' | unmunge -S '$MUNGE_SOCKET'" || die "munge does not work"

# 3. slurmdbd
if ! our_pid slurmdbd >/dev/null; then
    say "starting slurmdbd"
    slurmdbd || die "slurmdbd failed to start"
fi
wait_until 60 "slurmdbd" dbd_works || die "slurmdbd does not answer"

# 4. register the cluster before slurmctld first talks to the dbd
has_line() { local line; while IFS= read -r line; do [[ $line == "$1" ]] && return 0; done <<<"$2"; return 1; }
if ! has_line "$CLUSTER" "$(sacctmgr -n -P list cluster format=Cluster)"; then
    say "registering cluster '$CLUSTER' in accounting"
    sacctmgr -i add cluster "$CLUSTER" >/dev/null
fi

# 5. slurmctld
if ! our_pid slurmctld >/dev/null; then
    say "starting slurmctld"
    slurmctld -f "$SLURM_CONF" || die "slurmctld failed to start"
fi
wait_until 60 "slurmctld" timeout 10 scontrol ping || die "slurmctld does not answer"

# 6. slurmd
if ! our_pid slurmd >/dev/null; then
    say "starting slurmd"
    slurmd -f "$SLURM_CONF" || die "slurmd failed to start"
fi

# 7. account + association for root (jobs are submitted as root)
if ! has_line "$ACCOUNT" "$(sacctmgr -n -P list account format=Account)"; then
    say "adding account '$ACCOUNT'"
    sacctmgr -i add account "$ACCOUNT" Cluster="$CLUSTER" Description="skyreels eval" Organization=skyreels >/dev/null
fi
if ! has_line root "$(sacctmgr -n -P list assoc cluster="$CLUSTER" account="$ACCOUNT" user=root format=User)"; then
    sacctmgr -i add user root Account="$ACCOUNT" Cluster="$CLUSTER" >/dev/null
fi

# 8. wait for the node to be schedulable and for sacct to answer
if ! wait_until 30 "node $NODE idle" node_ready; then
    st=$(sinfo -h -N -n "$NODE" -o %t 2>/dev/null | head -1)
    if [[ $st == down* || $st == drain* || $st == drng* ]]; then
        say "node is '$st'; resuming it"
        scontrol update NodeName="$NODE" State=RESUME || true
    fi
    wait_until 60 "node $NODE idle" node_ready || die "node $NODE not idle: $(sinfo -N -l 2>&1 | tail -n +2)"
fi
wait_until 30 "sacct" sacct_works || die "sacct does not work"

say "cluster '$CLUSTER' up: partition '$PARTITION', node $NODE (CPUs=$CPUS RealMemory=${MEM}M), MaxArraySize=$MAX_ARRAY_SIZE"
say "SLURM_CONF=$SLURM_CONF; logs in $LOG; stop with slurm/stop_local_cluster.sh"
