#!/usr/bin/env bash
# tools/slurm/local-array.sh: `darts sweep` on a real Slurm, without a cluster.
#
# Installs Debian's slurm-wlm and munge if they are missing, starts a
# one-node Slurm cluster on 127.0.0.1 (munged, slurmctld, slurmd, with a
# slurm.conf of its own in a temporary directory), and then:
#   1. emits the sbatch script of an experiment (default tools/slurm/array.json,
#      6 members of seconds each) and submits it as an array, waiting for it;
#   2. checks that every member finished (darts sweep plan) and reports them;
#   3. submits the same script again: every task must skip its finished member;
#   4. deletes member 0, submits it alone, stops it with SIGTERM (scancel
#      --signal=TERM) in the middle of its search, submits it again and checks
#      that it resumed to files identical to those of the uninterrupted run.
# Stops the daemons it started and leaves the run directories in the
# temporary directory it prints. Needs root (apt-get, the daemons) and about
# a minute on 2 cores once the packages are installed.
#
# Bounded in time: every wait and every Slurm client call has a timeout, and
# all of them together stop at DARTS_SLURM_BUDGET seconds (default 900) from
# the start of the cluster. If munged, slurmctld or slurmd cannot start or
# the node does not come up (a container without the privileges, a port in
# use), the script says so, prints the daemons' logs and exits 0 (SKIPPED),
# unless DARTS_SLURM_REQUIRED=1; a failure of darts sweep under a running
# Slurm always exits 1 (FAILED).
#
# Usage: tools/slurm/local-array.sh [EXPERIMENT.json]
set -euo pipefail
cd "$(dirname "$0")/../.."
exp=${1:-tools/slurm/array.json}
say() { printf '\n== %s\n' "$*"; }
budget=${DARTS_SLURM_BUDGET:-900}
deadline=$(($(date +%s) + 3600)) # set again when the cluster starts
# left prints the seconds left of the budget (at least 1), capped at $1.
left() {
	local l=$((deadline - $(date +%s)))
	[ "$l" -ge 1 ] || l=1
	[ -z "${1:-}" ] || [ "$l" -le "$1" ] || l=$1
	echo "$l"
}
# expired reports whether the budget is spent.
expired() { [ "$(date +%s)" -ge "$deadline" ]; }

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
	say "installing slurm-wlm and munge"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq slurm-wlm munge >/dev/null
fi
slurmctld -V

state=$(mktemp -d /tmp/darts-slurm.XXXXXX)
chmod 755 "$state"
mkdir -p "$state/ctld" "$state/d" "$state/work"
started_munge=
ctld_pid=
slurmd_pid=
cleanup() {
	set +e
	timeout 20 scancel --user=root >/dev/null 2>&1
	for p in "$slurmd_pid" "$ctld_pid"; do
		[ -n "$p" ] && kill "$p" 2>/dev/null
	done
	for p in "$slurmd_pid" "$ctld_pid"; do
		[ -n "$p" ] && timeout 30 tail --pid="$p" -f /dev/null
	done
	[ -n "$started_munge" ] && [ -s /run/munge/munged.pid ] && kill "$(cat /run/munge/munged.pid)" 2>/dev/null
	sleep 1
}
trap cleanup EXIT
logs() {
	for f in "$state"/slurmctld.log "$state"/slurmctld.out "$state"/slurmd.log "$state"/slurmd.out /var/log/munge/munged.log; do
		[ -e "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }
	done
	return 0
}
fail() {
	echo "FAILED: $*" >&2
	logs
	exit 1
}
# skip ends the script when the cluster itself cannot start.
skip() {
	if [ "${DARTS_SLURM_REQUIRED:-}" = 1 ]; then
		fail "$* (DARTS_SLURM_REQUIRED=1)"
	fi
	echo "SKIPPED: $*: no Slurm check on this machine (set DARTS_SLURM_REQUIRED=1 to make this an error)" >&2
	logs
	exit 0
}

say "munge"
if ! munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
	[ -s /etc/munge/munge.key ] || mungekey --create --keyfile=/etc/munge/munge.key
	chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
	mkdir -p /run/munge /var/lib/munge /var/log/munge
	chown munge:munge /run/munge /var/lib/munge /var/log/munge
	runuser -u munge -- /usr/sbin/munged || skip "munged did not start"
	started_munge=1
	for _ in $(seq 100); do munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
fi
munge -n </dev/null 2>/dev/null | unmunge 2>/dev/null | grep -E '^STATUS' || skip "munge does not answer"

say "slurm.conf ($state/slurm.conf)"
host=$(hostname -s)
node=$(slurmd -C | head -1 | sed "s/^NodeName=[^ ]*/NodeName=$host NodeAddr=127.0.0.1/")
cat >"$state/slurm.conf" <<EOF
ClusterName=darts-local
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/d
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
ReturnToService=2
KillWait=30
$node State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
cat "$state/slurm.conf"
export SLURM_CONF=$state/slurm.conf

say "starting slurmctld and slurmd"
deadline=$(($(date +%s) + budget))
# In the foreground (-D) as children of this script, so that their pids
# are known whatever their pid files say.
slurmctld -D -f "$SLURM_CONF" >>"$state/slurmctld.out" 2>&1 &
ctld_pid=$!
up=
until_t=$(($(date +%s) + 60))
while [ "$(date +%s)" -lt "$until_t" ] && ! expired; do
	kill -0 "$ctld_pid" 2>/dev/null || skip "slurmctld exited at start"
	timeout 5 scontrol ping 2>/dev/null | grep -q 'is UP' && { up=1; break; }
	sleep 0.5
done
[ -n "$up" ] || skip "slurmctld did not answer scontrol ping within a minute"
slurmd -D -f "$SLURM_CONF" -N "$host" >>"$state/slurmd.out" 2>&1 &
slurmd_pid=$!
idle=
until_t=$(($(date +%s) + 60))
while [ "$(date +%s)" -lt "$until_t" ] && ! expired; do
	kill -0 "$slurmd_pid" 2>/dev/null || skip "slurmd exited at start"
	[ "$(timeout 5 sinfo -h -o %T 2>/dev/null | head -1)" = idle ] && { idle=1; break; }
	sleep 0.2
done
timeout 10 sinfo || true
[ -n "$idle" ] || skip "the node did not come up idle within a minute"

say "building darts"
go build -o "$state/darts" ./cmd/darts
darts=$state/darts
work=$state/work
cp "$exp" "$work/"
file=$work/$(basename "$exp")
cd "$work"

say "1. the array"
"$darts" sweep plan "$file"
"$darts" sweep emit "$file" --slurm --darts "$darts" --workdir "$work" --cpus 1 --parallel 2 --time 10:00 >array.sbatch
cat array.sbatch
start=$(date +%s)
timeout "$(left 600)" sbatch --wait array.sbatch || fail "the array failed (or outlasted its timeout)"
echo "array of $("$darts" sweep plan "$file" --json | grep -c '"index"') tasks done in $(($(date +%s) - start)) s"
"$darts" sweep plan "$file"
unfinished=$("$darts" sweep plan "$file" --json | grep '"status"' | grep -vc '"finished"' || true)
[ "$unfinished" = 0 ] || fail "$unfinished members unfinished"
echo "--- the output of task 0:"
cat darts-*_0.out

say "2. report"
"$darts" sweep report "$file"

say "3. the same array again: every member is skipped"
before=$(ls darts-*.out | wc -l)
timeout "$(left 300)" sbatch --wait array.sbatch || fail "the second array failed (or outlasted its timeout)"
skips=$(cat darts-*.out | grep -c "already finished" || true)
echo "$skips tasks said 'already finished'"
[ "$skips" = 6 ] || fail "want 6 skips"

say "4. member 0 stopped by SIGTERM mid-search, resubmitted, resumed exactly"
m0=$("$darts" sweep plan "$file" --json | sed -n 's/^ *"dir": "\(.*\)",$/\1/p' | head -1)
mv "$m0" "$state/member0-straight"
jid=$(timeout 30 sbatch --parsable --array=0 array.sbatch) || fail "sbatch of member 0"
for _ in $(seq 3000); do
	[ -s "$m0/search/metrics.jsonl" ] && break
	expired && break
	sleep 0.1
done
[ -s "$m0/search/metrics.jsonl" ] || fail "member 0 did not finish a search epoch"
timeout 30 scancel --batch --signal=TERM "$jid" || fail "scancel of member 0"
gone=
for _ in $(seq 1200); do
	rc=0
	out=$(timeout 10 squeue -h -j "$jid" 2>/dev/null) || rc=$?
	# squeue fails once the job is purged: gone too; a timeout is not.
	[ "$rc" != 124 ] && [ -z "$out" ] && { gone=1; break; }
	expired && break
	sleep 0.1
done
[ -n "$gone" ] || fail "member 0 did not stop after SIGTERM"
echo "--- member 0 after SIGTERM:"
tail -3 darts-*-"$jid"_0.out
"$darts" sweep plan "$file" | sed -n '2,3p'
[ ! -e "$m0/result.json" ] || fail "member 0 finished before SIGTERM; make its search longer"
timeout "$(left 600)" sbatch --wait --array=0 array.sbatch || fail "the resubmitted member 0 failed (or outlasted its timeout)"
for f in search/alphas.jsonl search/genotype.json train/weights.dgo genotype.json; do
	cmp "$state/member0-straight/$f" "$m0/$f" || fail "$f differs from the uninterrupted run's"
done
echo "member 0, stopped and resumed under Slurm: alphas, genotype and trained weights identical to the uninterrupted run's"

say "ok: $state"
