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
# Usage: tools/slurm/local-array.sh [EXPERIMENT.json]
set -euo pipefail
cd "$(dirname "$0")/../.."
exp=${1:-tools/slurm/array.json}
say() { printf '\n== %s\n' "$*"; }

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
cleanup() {
	set +e
	scancel --user=root >/dev/null 2>&1
	for p in slurmd slurmctld; do
		[ -s "$state/$p.pid" ] && kill "$(cat "$state/$p.pid")" 2>/dev/null
	done
	[ -n "$started_munge" ] && [ -s /run/munge/munged.pid ] && kill "$(cat /run/munge/munged.pid)" 2>/dev/null
	sleep 1
}
trap cleanup EXIT
fail() {
	echo "FAILED: $*" >&2
	for f in "$state"/slurmctld.log "$state"/slurmd.log; do echo "--- $f" >&2; tail -20 "$f" >&2; done
	exit 1
}

say "munge"
if ! munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
	[ -s /etc/munge/munge.key ] || mungekey --create --keyfile=/etc/munge/munge.key
	chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
	mkdir -p /run/munge /var/lib/munge /var/log/munge
	chown munge:munge /run/munge /var/lib/munge /var/log/munge
	runuser -u munge -- /usr/sbin/munged
	started_munge=1
	for _ in $(seq 50); do munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
fi
munge -n </dev/null | unmunge | grep -E '^STATUS'

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
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF" -N "$host"
for _ in $(seq 1500); do
	[ "$(sinfo -h -o %T 2>/dev/null | head -1)" = idle ] && break
	sleep 0.2
done
sinfo
[ "$(sinfo -h -o %T | head -1)" = idle ] || fail "the node did not come up idle"

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
timeout 1200 sbatch --wait array.sbatch || fail "the array failed (or took over 20 minutes)"
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
timeout 900 sbatch --wait array.sbatch || fail "the second array failed"
skips=$(cat darts-*.out | grep -c "already finished" || true)
echo "$skips tasks said 'already finished'"
[ "$skips" = 6 ] || fail "want 6 skips"

say "4. member 0 stopped by SIGTERM mid-search, resubmitted, resumed exactly"
m0=$("$darts" sweep plan "$file" --json | sed -n 's/^ *"dir": "\(.*\)",$/\1/p' | head -1)
mv "$m0" "$state/member0-straight"
jid=$(sbatch --parsable --array=0 array.sbatch)
for _ in $(seq 3000); do
	[ -s "$m0/search/metrics.jsonl" ] && break
	sleep 0.1
done
[ -s "$m0/search/metrics.jsonl" ] || fail "member 0 did not finish a search epoch"
scancel --batch --signal=TERM "$jid"
for _ in $(seq 3000); do
	[ -z "$(squeue -h -j "$jid" 2>/dev/null)" ] && break
	sleep 0.1
done
echo "--- member 0 after SIGTERM:"
tail -3 darts-*-"$jid"_0.out
"$darts" sweep plan "$file" | sed -n '2,3p'
[ ! -e "$m0/result.json" ] || fail "member 0 finished before SIGTERM; make its search longer"
timeout 900 sbatch --wait --array=0 array.sbatch || fail "the resubmitted member 0 failed"
for f in search/alphas.jsonl search/genotype.json train/weights.dgo genotype.json; do
	cmp "$state/member0-straight/$f" "$m0/$f" || fail "$f differs from the uninterrupted run's"
done
echo "member 0, stopped and resumed under Slurm: alphas, genotype and trained weights identical to the uninterrupted run's"

say "ok: $state"
